"""Who is calling: API key authentication, role checks and the per-key rate limit.

``Authorization: Bearer KEY`` or ``X-API-Key: KEY``. Keys are checked by the store's
``KeyVerifier`` (cached key rows, one HMAC per check); a verified key is additionally kept
here for one second, keyed by the presented text, so the common case costs a dict lookup
and never touches the database from the event loop. A revoked key is therefore refused
within ``keys.CACHE_TTL`` + 1 seconds on every process.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from tamiz.api.errors import ApiError
from tamiz.api.service import Service
from tamiz.store.keys import KeyInfo, Role, verifier

FRONT_TTL = 1.0
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="tamiz"'}


@dataclass(frozen=True, slots=True)
class Principal:
    actor: str  # as recorded in the audit trail: key:<name> (or "anonymous" without auth)
    role: Role
    bucket: str  # rate-limit bucket


class _FrontCache:
    def __init__(self, max_entries: int = 4096) -> None:
        self._items: OrderedDict[str, tuple[float, KeyInfo | None]] = OrderedDict()
        self._lock = threading.Lock()
        self.max_entries = max_entries

    def get(self, presented: str) -> tuple[bool, KeyInfo | None]:
        with self._lock:
            item = self._items.get(presented)
            if item is None or item[0] < time.monotonic():
                return False, None
            return True, item[1]

    def put(self, presented: str, info: KeyInfo | None) -> None:
        with self._lock:
            self._items[presented] = (time.monotonic() + FRONT_TTL, info)
            self._items.move_to_end(presented)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)


def presented_key(request: Request) -> str | None:
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() == "bearer" and value.strip():
            return value.strip()
    key = request.headers.get("x-api-key")
    return key.strip() if key and key.strip() else None


def client_address(request: Request) -> str:
    """The caller's address (rate limits of failed log-ins, audit of console sessions)."""
    return request.client.host if request.client else "unknown"


class Authenticator:
    def __init__(self, service: Service) -> None:
        self.service = service
        self.front = _FrontCache()

    async def principal(self, request: Request) -> Principal:
        service = self.service
        if not service.config.auth:
            return Principal("anonymous", Role.ADMIN, f"ip:{client_address(request)}")
        presented = presented_key(request)
        if presented is None:
            raise ApiError(
                401,
                "an API key is required: send 'Authorization: Bearer KEY' or 'X-API-Key: KEY'",
                headers=_CHALLENGE,
            )
        hit, info = self.front.get(presented)
        if not hit:
            info = await run_in_threadpool(verifier(service.store).authenticate, presented)
            self.front.put(presented, info)
        if info is None:
            wait = service.auth_failures.take(f"ip:{client_address(request)}")
            if wait:
                raise ApiError(
                    429,
                    "too many failed authentications from this address",
                    headers={"Retry-After": service.auth_failures.retry_after(wait)},
                )
            raise ApiError(
                401,
                "invalid or revoked API key",
                headers={"WWW-Authenticate": 'Bearer realm="tamiz", error="invalid_token"'},
            )
        return Principal(info.actor, info.role, f"key:{info.id}")

    def require(self, role: Role):  # type: ignore[no-untyped-def]
        """A FastAPI dependency: the caller, if their role allows ``role`` and the rate limit
        has a token left."""

        async def dependency(request: Request) -> Principal:
            who = await self.principal(request)
            if not who.role.allows(role):
                raise ApiError(
                    403,
                    f"this needs the {role.value} role; the key has the {who.role.value} role",
                )
            wait = self.service.limiter.take(who.bucket)
            if wait:
                raise ApiError(
                    429,
                    f"rate limit of {self.service.limiter.rate:g} requests/s "
                    f"(burst {self.service.limiter.burst}) exceeded for this key",
                    headers={"Retry-After": self.service.limiter.retry_after(wait)},
                )
            return who

        return dependency
