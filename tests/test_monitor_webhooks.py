"""Webhooks for new-alert batches: signed, retried with back-off, recorded, never blocking.

The receiver is a real HTTP server on 127.0.0.1 (a thread in the test) that answers 500 to
the first requests, then 200.
"""

from __future__ import annotations

import hashlib
import hmac
import http.server
import json
import threading
import time
from collections.abc import Iterator

import pytest

from tamiz.screen import Screener
from tamiz.screen.monitor import Monitor
from tamiz.screen.monitor_webhooks import (
    WebhookConfig,
    WebhookConfigError,
    sign,
    verify_signature,
)
from tamiz.store import cases
from test_monitor_support import INTERNAL_V1, INTERNAL_V2, book_parties, load_internal

SECRET = "s3cret-for-tests"


class Receiver:
    def __init__(self, fail_first: int = 0, delay: float = 0.0, status: int = 500) -> None:
        self.fail_first = fail_first
        self.delay = delay
        self.status = status
        self.requests: list[tuple[dict[str, str], bytes, float]] = []
        self.lock = threading.Lock()

    def handler(self):  # type: ignore[no-untyped-def]
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append((dict(self.headers), body, time.monotonic()))
                    n = len(receiver.requests)
                time.sleep(receiver.delay)
                code = receiver.status if n <= receiver.fail_first else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_args) -> None:
                pass

        return Handler


@pytest.fixture
def receiver() -> Iterator[tuple[Receiver, str]]:
    state = Receiver()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), state.handler())
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/hook"
    finally:
        server.shutdown()
        server.server_close()


def _monitor(store, url: str, **kwargs) -> Monitor:
    config = WebhookConfig(url=url, secret=SECRET, **{"retries": 4, "backoff": 0.05, **kwargs})
    return Monitor(store, Screener(store, disk_cache=False), webhook=config)


def test_signature_is_hmac_sha256_of_the_body():
    body = b'{"event":"alerts.new"}'
    expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert sign(body, SECRET) == f"sha256={expected}"
    assert verify_signature(body, SECRET, f"sha256={expected}")
    assert not verify_signature(body + b" ", SECRET, f"sha256={expected}")
    assert not verify_signature(body, "other", f"sha256={expected}")


def test_config_from_env(monkeypatch):
    assert WebhookConfig.from_env() is None
    monkeypatch.setenv("TAMIZ_WEBHOOK_URL", "http://127.0.0.1:9/x")
    with pytest.raises(WebhookConfigError, match="secret"):
        WebhookConfig.from_env()
    monkeypatch.setenv("TAMIZ_WEBHOOK_SECRET", "k")
    monkeypatch.setenv("TAMIZ_WEBHOOK_RETRIES", "3")
    config = WebhookConfig.from_env()
    assert config is not None and config.retries == 3 and config.backoff == 1.0
    monkeypatch.setenv("TAMIZ_WEBHOOK_URL", "ftp://example")
    with pytest.raises(WebhookConfigError, match="http"):
        WebhookConfig.from_env()


def test_batch_is_signed_retried_with_backoff_and_recorded(store, tmp_path, receiver):
    state, url = receiver
    state.fail_first = 2
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor = _monitor(store, url)
    added = monitor.add("retail", book_parties())
    run = added.run
    assert run is not None and run.delivery_id is not None
    assert monitor.dispatcher.join(10)

    assert len(state.requests) == 3  # two failures, then accepted
    bodies = {body for _, body, _ in state.requests}
    assert len(bodies) == 1  # every retry sends the same bytes
    headers, body, _ = state.requests[-1]
    assert verify_signature(body, SECRET, headers["X-Tamiz-Signature"])
    assert headers["X-Tamiz-Delivery"] == str(run.delivery_id)
    assert abs(int(headers["X-Tamiz-Timestamp"]) - time.time()) < 60
    assert headers["Content-Type"] == "application/json"
    payload = json.loads(body)
    assert payload["event"] == "alerts.new" and payload["run"] == run.run_id
    assert payload["count"] == 3 == len(payload["alerts"])
    assert {a["party_id"] for a in payload["alerts"]} == {"p1", "p2", "p3"}
    assert {"id", "party_id", "entity_id", "score", "status", "snapshot", "changed"} <= set(
        payload["alerts"][0]
    )
    # exponential back-off: waits of ~0.05 s then ~0.1 s between the attempts
    times = [t for _, _, t in state.requests]
    assert times[1] - times[0] >= 0.045 and times[2] - times[1] >= 0.09

    [delivery] = cases.deliveries(store)
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    attempts = cases.delivery_attempts(store, delivery.id)
    assert [(a["attempt"], a["status_code"]) for a in attempts] == [(1, 500), (2, 500), (3, 200)]
    assert attempts[0]["error"] == "HTTP 500"

    # the next update's new alerts are another batch; no new alert, no message
    v2 = load_internal(store, tmp_path, INTERNAL_V2, "2025-01-02")
    second = monitor.on_snapshot_activated(v2)
    assert second.delivery_id is not None and second.delivery_id != delivery.id
    assert monitor.dispatcher.join(10)
    last = json.loads(state.requests[-1][1])
    assert {a["entity_id"] for a in last["alerts"]} == {"internal:4"}
    assert monitor.run_full().delivery_id is None


def test_delivery_never_blocks_the_pass_and_gives_up_after_retries(store, tmp_path, receiver):
    state, url = receiver
    state.fail_first, state.delay, state.status = 100, 0.3, 503
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor = _monitor(store, url, retries=3, backoff=0.01)
    started = time.monotonic()
    run = monitor.add("retail", book_parties()).run
    assert time.monotonic() - started < 5  # not waiting for 3 x 0.3 s of receiver
    [pending] = cases.deliveries(store)
    assert pending.id == run.delivery_id and pending.status == "pending"
    assert monitor.dispatcher.join(10)
    [failed] = cases.deliveries(store)
    assert (failed.status, failed.attempts, failed.last_error) == ("failed", 3, "HTTP 503")
    assert len(state.requests) == 3


def test_client_errors_are_not_retried_and_unreachable_receivers_are(store, tmp_path, receiver):
    state, url = receiver
    state.fail_first, state.status = 100, 400
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor = _monitor(store, url)
    monitor.add("retail", book_parties())
    assert monitor.dispatcher.join(10)
    assert len(state.requests) == 1
    assert cases.deliveries(store)[0].status == "failed"
    # nothing listens on this port: connection errors are retried, and recorded
    dead = _monitor(store, "http://127.0.0.1:9/hook", retries=2, backoff=0.01)
    dead.remove("retail", ["p1"])
    dead.add("retail", book_parties())  # p1 re-activated: its alert re-opens, a new batch
    assert dead.dispatcher.join(10)
    last = cases.deliveries(store)[-1]
    assert last.status == "failed" and last.attempts == 2
    assert "ConnectError" in last.last_error


def test_pending_messages_are_sent_later(store, tmp_path, receiver):
    """A message left pending (the process exited) is sent by a later dispatcher."""
    state, url = receiver
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    # recorded with a URL but no dispatcher running: as if the process had died at once
    quiet = Monitor(store, Screener(store, disk_cache=False))
    quiet.webhook = WebhookConfig(url=url, secret=SECRET)
    quiet.add("retail", book_parties())
    assert [d.status for d in cases.deliveries(store)] == ["pending"]
    later = _monitor(store, url)
    assert later.dispatcher.deliver_pending() == 1
    assert later.dispatcher.join(10)
    assert [d.status for d in cases.deliveries(store)] == ["delivered"]
    assert len(state.requests) == 1
