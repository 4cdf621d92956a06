"""Webhook notifications for new alerts: signed, retried with back-off, never blocking.

A monitoring run that creates or re-opens alerts writes one webhook message into the
``webhook_deliveries`` outbox in the same transaction as the alerts (so a message is never
lost, nor sent for alerts that were rolled back). A background thread then POSTs it:

- body: JSON ``{"event": "alerts.new", "run": …, "created_at": …, "count": …, "alerts":
  [{"id", "party_id", "book", "entity_id", "caption", "dataset", "score", "status",
  "snapshot", "changed"}]}``;
- headers: ``X-Tamiz-Signature: sha256=<hex HMAC-SHA256 of the exact body bytes, keyed with
  the configured secret>``, ``X-Tamiz-Timestamp`` (Unix seconds of this attempt),
  ``X-Tamiz-Delivery`` (the outbox id, the same on every retry: use it to de-duplicate),
  ``X-Tamiz-Event: alerts.new``;
- retries: on a network error, a timeout, HTTP 408, 429 or 5xx, up to ``retries`` attempts
  in all, waiting ``backoff * 2**(n-1)`` seconds after attempt n; any other 4xx fails at
  once (retrying a rejected request cannot help). Every attempt is recorded
  (``webhook_attempts``).

A message still pending when the process exits (the CLI waits a little) is sent by the next
dispatcher that runs ``deliver_pending`` (``tamiz alerts webhooks --retry``).

Configuration (environment): ``TAMIZ_WEBHOOK_URL``, ``TAMIZ_WEBHOOK_SECRET`` (required with
a URL), ``TAMIZ_WEBHOOK_RETRIES`` (default 5), ``TAMIZ_WEBHOOK_BACKOFF`` (seconds, default 1),
``TAMIZ_WEBHOOK_TIMEOUT`` (seconds, default 10).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from tamiz.store import Store, cases

log = logging.getLogger("tamiz.webhooks")

SIGNATURE_HEADER = "X-Tamiz-Signature"
TIMESTAMP_HEADER = "X-Tamiz-Timestamp"
DELIVERY_HEADER = "X-Tamiz-Delivery"
EVENT_HEADER = "X-Tamiz-Event"
RETRY_STATUS = frozenset({408, 429})


class WebhookConfigError(ValueError):
    """The webhook settings are incomplete or invalid."""


@dataclass(frozen=True, slots=True)
class WebhookConfig:
    url: str
    secret: str
    retries: int = 5
    backoff: float = 1.0
    timeout: float = 10.0

    def __post_init__(self) -> None:
        if not self.url.startswith(("http://", "https://")):
            raise WebhookConfigError(f"webhook URL {self.url!r} must be http:// or https://")
        if not self.secret:
            raise WebhookConfigError("a webhook needs a signing secret (TAMIZ_WEBHOOK_SECRET)")
        if self.retries < 1:
            raise WebhookConfigError("webhook retries must be at least 1")

    @classmethod
    def from_env(cls) -> WebhookConfig | None:
        url = (os.environ.get("TAMIZ_WEBHOOK_URL") or "").strip()
        if not url:
            return None
        try:
            return cls(
                url=url,
                secret=os.environ.get("TAMIZ_WEBHOOK_SECRET") or "",
                retries=int(os.environ.get("TAMIZ_WEBHOOK_RETRIES") or 5),
                backoff=float(os.environ.get("TAMIZ_WEBHOOK_BACKOFF") or 1.0),
                timeout=float(os.environ.get("TAMIZ_WEBHOOK_TIMEOUT") or 10.0),
            )
        except ValueError as exc:
            raise WebhookConfigError(f"webhook settings: {exc}") from None


def sign(body: bytes, secret: str) -> str:
    """The signature header value: ``sha256=`` + hex HMAC-SHA256 of ``body``."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def verify_signature(body: bytes, secret: str, header: str) -> bool:
    """What a receiver does: constant-time comparison with the expected signature."""
    return hmac.compare_digest(sign(body, secret), header or "")


def deliver(
    store: Store,
    delivery: cases.Delivery,
    config: WebhookConfig,
    *,
    client: httpx.Client | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> bool:
    """Send one outbox message with retries; True when the receiver accepted it (2xx)."""
    body = delivery.body.encode()
    signature = sign(body, config.secret)
    own_client = client is None
    client = client or httpx.Client(timeout=config.timeout, follow_redirects=False)
    try:
        attempt = delivery.attempts
        while attempt < config.retries:
            attempt += 1
            started = time.perf_counter()
            code: int | None = None
            error: str | None = None
            try:
                response = client.post(
                    delivery.url,
                    content=body,
                    headers={
                        "Content-Type": "application/json",
                        SIGNATURE_HEADER: signature,
                        TIMESTAMP_HEADER: str(int(time.time())),
                        DELIVERY_HEADER: str(delivery.id),
                        EVENT_HEADER: "alerts.new",
                        "User-Agent": "tamiz-webhook/1",
                    },
                )
                code = response.status_code
                if 200 <= code < 300:
                    cases.record_attempt(
                        store,
                        delivery.id,
                        attempt=attempt,
                        status_code=code,
                        error=None,
                        seconds=time.perf_counter() - started,
                        final="delivered",
                    )
                    return True
                error = f"HTTP {code}"
                retry = code >= 500 or code in RETRY_STATUS
            except httpx.HTTPError as exc:
                error = f"{type(exc).__name__}: {exc}"[:500]
                retry = True
            final = None if retry and attempt < config.retries else "failed"
            cases.record_attempt(
                store,
                delivery.id,
                attempt=attempt,
                status_code=code,
                error=error,
                seconds=time.perf_counter() - started,
                final=final,
            )
            if final:
                log.warning("webhook delivery %s failed: %s", delivery.id, error)
                return False
            sleep(config.backoff * 2 ** (attempt - 1))
        return False
    finally:
        if own_client:
            client.close()


class WebhookDispatcher:
    """Sends outbox messages from one background thread, in order, so that the caller (a
    list update, a monitoring run) never waits for a receiver."""

    def __init__(
        self, store: Store, config: WebhookConfig, *, client: httpx.Client | None = None
    ) -> None:
        self.store = store
        self.config = config
        self.client = client
        self._queue: queue.Queue[int] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, delivery_id: int) -> None:
        self._queue.put(delivery_id)
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="tamiz-webhooks", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            try:
                delivery_id = self._queue.get(timeout=0.5)
            except queue.Empty:
                with self._lock:
                    if self._queue.empty():
                        self._thread = None
                        return
                continue
            try:
                [delivery] = cases.deliveries(self.store, ids=[delivery_id]) or [None]
                if delivery is not None and delivery.status == "pending":
                    deliver(self.store, delivery, self.config, client=self.client)
            except Exception:  # a broken receiver or database hiccup must not kill the thread
                log.exception("webhook delivery %s", delivery_id)
            finally:
                self._queue.task_done()

    def deliver_pending(self) -> int:
        """Queue every pending message (e.g. left over by an exited process)."""
        pending = cases.deliveries(self.store, status="pending")
        for d in pending:
            self.submit(d.id)
        return len(pending)

    def join(self, timeout: float | None = None) -> bool:
        """Wait until the queue is empty (at most ``timeout`` s); True when it is."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while self._queue.unfinished_tasks:
            if deadline is not None and time.monotonic() >= deadline:
                return False
            time.sleep(0.02)
        return True


__all__ = [
    "DELIVERY_HEADER",
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "WebhookConfig",
    "WebhookConfigError",
    "WebhookDispatcher",
    "deliver",
    "sign",
    "verify_signature",
]
