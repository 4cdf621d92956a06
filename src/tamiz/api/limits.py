"""Request size limit (ASGI middleware) and per-key rate limiting (token buckets)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.exceptions import HTTPException

from tamiz.api.errors import error_bytes

Scope = dict[str, Any]


class _TooLarge(HTTPException):
    """Raised while the body streams in; an HTTPException so that FastAPI's body parsing
    passes it through (it turns other exceptions into a 400) and the error handler answers
    413 with the standard body."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes:,} bytes")


class BodySizeLimit:
    """Answers 413 when a request body is (or turns out to be) larger than ``max_bytes``.

    A declared ``Content-Length`` over the limit is refused before reading anything; a
    chunked body is counted as it streams and refused as soon as it passes the limit.
    """

    def __init__(self, app: Any, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or self.max_bytes <= 0:
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await self._refuse(send, 400, "invalid Content-Length header", "bad_request")
                    return
                if declared > self.max_bytes:
                    await self._too_large(send)
                    return
                break
        seen = 0
        started = False

        async def limited_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge(self.max_bytes)
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _TooLarge:
            if not started:
                await self._too_large(send)

    async def _too_large(self, send: Any) -> None:
        await self._refuse(
            send,
            413,
            f"request body larger than {self.max_bytes:,} bytes",
            "payload_too_large",
        )

    @staticmethod
    async def _refuse(send: Any, status: int, message: str, code: str) -> None:
        body = error_bytes(status, message, code)
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class RateLimiter:
    """Token buckets per caller: ``rate`` tokens a second up to ``burst``; thread-safe.

    ``take`` returns 0 when the request may go ahead, else the seconds until a token is
    available (for ``Retry-After``). The bucket table is bounded (least recently used out).
    """

    def __init__(self, rate: float, burst: int, *, max_callers: int = 10_000) -> None:
        self.rate = rate
        self.burst = max(1, burst)
        self.max_callers = max_callers
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    @property
    def enabled(self) -> bool:
        return self.rate > 0

    def take(self, caller: str, now: float | None = None) -> float:
        if self.rate <= 0:
            return 0.0
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.get(caller, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens >= 1.0:
                self._buckets[caller] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[caller] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            self._buckets.move_to_end(caller)
            while len(self._buckets) > self.max_callers:
                self._buckets.popitem(last=False)
        return wait

    @staticmethod
    def retry_after(wait: float) -> str:
        return str(max(1, math.ceil(wait)))
