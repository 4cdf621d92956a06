"""Who is using the console, page rendering, and the console's answers to failures.

Pages need a session (see ``session.py``); a request without one is sent to the login page,
while the JSON API keeps answering 401. Roles are the API's: reader < analyst < admin.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from fastapi import Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tamiz.api.auth import Principal, client_address
from tamiz.api.errors import ApiError
from tamiz.api.service import Service
from tamiz.store.audit import AuditEntry
from tamiz.store.keys import CACHE_TTL, ApiKeyError, KeyInfo, Role, get_key
from tamiz.web.session import (
    LOGIN_COOKIE,
    SECURE_LOGIN_COOKIE,
    SECURE_SESSION_COOKIE,
    SESSION_COOKIE,
    SESSION_HOURS,
    Session,
    SessionSigner,
    load_secret,
)

log = logging.getLogger("tamiz.web")

PREFIX = "/ui"
ANONYMOUS_KEY = "-"  # the session key id when the service runs without authentication

SECURITY_HEADERS = {
    # everything the console loads is its own: no inline script, no third-party origin
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


class LoginRequired(Exception):
    """The page needs a session; answered with a redirect to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


class ConsoleError(Exception):
    """A failure answered with an HTML page (status and message)."""

    def __init__(self, status: int, message: str, *, headers: Mapping[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    principal: Principal
    name: str
    session: Session
    csrf: str

    @property
    def actor(self) -> str:
        return self.principal.actor

    @property
    def role(self) -> Role:
        return self.principal.role

    def can(self, role: Role | str) -> bool:
        return self.principal.role.allows(role)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


def session_cookie_name(request: Request) -> str:
    return SECURE_SESSION_COOKIE if is_https(request) else SESSION_COOKIE


def login_cookie_name(request: Request) -> str:
    return SECURE_LOGIN_COOKIE if is_https(request) else LOGIN_COOKIE


def safe_next(target: str | None) -> str:
    """Only a console path of this site (never ``//host`` or a full URL)."""
    if (
        target
        and target.startswith(PREFIX + "/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ord(c) < 32 for c in target)
    ):
        return target
    return PREFIX + "/search"


def entity_url(entity_id: str) -> str:
    return f"{PREFIX}/entities/{quote(entity_id, safe=':')}"


def _fmt_time(value: Any) -> str:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    if isinstance(value, str) and "T" in value:
        try:
            return _fmt_time(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return value
    return "" if value is None else str(value)


def _query_string(params: Mapping[str, Any], **changes: Any) -> str:
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "", [])}
    return urlencode(merged, doseq=True)


def make_environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("tamiz.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True, default_for_string=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["entity_url"] = entity_url
    env.filters["when"] = _fmt_time
    env.globals["prefix"] = PREFIX
    env.globals["session_hours"] = f"{SESSION_HOURS:g}"
    env.globals["query_string"] = _query_string
    return env


class Console:
    """Sessions, the current user and page rendering for the console routes."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self.signer = SessionSigner(load_secret(service.store.settings.home))
        self.env = make_environment()
        self._keys: dict[str, tuple[float, KeyInfo | None]] = {}
        self._keys_lock = threading.Lock()

    @property
    def auth(self) -> bool:
        return self.service.config.auth

    # -- the current user -------------------------------------------------------------------

    def _key_info(self, key_id: str) -> KeyInfo | None:
        """The key row by id, cached as briefly as the API's key cache."""
        now = time.monotonic()
        with self._keys_lock:
            hit = self._keys.get(key_id)
            if hit is not None and hit[0] > now:
                return hit[1]
        try:
            info: KeyInfo | None = get_key(self.service.store, key_id)
        except ApiKeyError:
            info = None
        if info is not None and info.id != key_id:  # get_key also resolves names
            info = None
        with self._keys_lock:
            if len(self._keys) > 4096:
                self._keys.clear()
            self._keys[key_id] = (now + CACHE_TTL, info)
        return info

    def forget_key(self, key_id: str) -> None:
        with self._keys_lock:
            self._keys.pop(key_id, None)

    async def user(self, request: Request) -> ConsoleUser | None:
        session = self.signer.read(request.cookies.get(session_cookie_name(request)))
        if session is None:
            return None
        if session.key_id == ANONYMOUS_KEY:
            if self.auth:
                return None
            principal = Principal("anonymous", Role.ADMIN, f"ip:{client_address(request)}")
            return ConsoleUser(principal, "anonymous", session, self._csrf(session))
        if not self.auth:
            return None
        info = await run_in_threadpool(self._key_info, session.key_id)
        if info is None or not info.active:
            return None
        principal = Principal(info.actor, info.role, f"key:{info.id}")
        return ConsoleUser(principal, info.name, session, self._csrf(session))

    def _csrf(self, session: Session) -> str:
        return self.signer.csrf_token(session.nonce)

    def require(self, role: Role):  # type: ignore[no-untyped-def]
        """A dependency: the signed-in user, if their role allows ``role``."""

        async def dependency(request: Request) -> ConsoleUser:
            who = await self.user(request)
            if who is None:
                target = request.url.path
                if request.url.query and request.method == "GET":
                    target += "?" + request.url.query
                raise LoginRequired(target if request.method == "GET" else PREFIX + "/search")
            if not who.can(role):
                raise ConsoleError(
                    403,
                    f"This page needs the {role.value} role; you are signed in with a "
                    f"{who.role.value} key.",
                )
            wait = self.service.limiter.take(who.principal.bucket)
            if wait:
                raise ConsoleError(
                    429,
                    "Too many requests with this key; wait a moment and retry.",
                    headers={"Retry-After": self.service.limiter.retry_after(wait)},
                )
            return who

        return dependency

    def check_csrf(self, request: Request, who: ConsoleUser, token: str | None) -> None:
        """Refuse a state-changing form without this session's token or from another
        origin."""
        origin = request.headers.get("origin")
        if origin and origin != "null":
            expected = f"{request.url.scheme}://{request.headers.get('host', '')}"
            if origin.rstrip("/") != expected:
                raise ConsoleError(403, "This form was sent from another site; refused.")
        if not self.signer.csrf_ok(who.session.nonce, token):
            raise ConsoleError(
                403, "The form's security token is missing or stale; reload the page and retry."
            )

    # -- audit ------------------------------------------------------------------------------

    def record(self, entry: AuditEntry) -> None:
        """Queue an audit record of a console event; never fails the page."""
        try:
            self.service.submit(entry)
        except ApiError as exc:
            log.warning("console audit record %s not queued: %s", entry.action, exc.message)

    # -- rendering --------------------------------------------------------------------------

    def render(
        self,
        request: Request,
        template: str,
        context: Mapping[str, Any] | None = None,
        *,
        user: ConsoleUser | None = None,
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> HTMLResponse:
        values = {
            "request": request,
            "user": user,
            "auth": self.auth,
            "path": request.url.path,
            "Role": Role,
            **(context or {}),
        }
        html = self.env.get_template(template).render(values)
        return HTMLResponse(
            html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
        )

    def wants_fragment(self, request: Request) -> bool:
        """The console's script asks for the part of the page it replaces."""
        return request.headers.get("x-console-fragment") == "1"

    def redirect(self, url: str) -> RedirectResponse:
        return RedirectResponse(url, status_code=303, headers=SECURITY_HEADERS)


def login_redirect(next_url: str) -> Response:
    target = f"{PREFIX}/login?{urlencode({'next': safe_next(next_url)})}"
    return RedirectResponse(target, status_code=303, headers=SECURITY_HEADERS)
