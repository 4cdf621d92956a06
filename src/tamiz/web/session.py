"""Console sessions: a signed cookie naming the API key, and per-session CSRF tokens.

An analyst logs in with an API key; the key is checked once, by the store's key verifier,
and never stored in the cookie. The cookie carries the key's public id, a random session
nonce and the expiry, signed with HMAC-SHA256 under a server secret. Every request re-reads
the key row (cached for ``keys.CACHE_TTL`` seconds), so revoking the key ends its console
sessions as quickly as its API use.

Why signed and not an id looked up in server memory: ``tamiz serve --workers N`` runs N
processes, and a request may land on any of them. Every worker of a host shares the secret
through a file in ``TAMIZ_HOME`` (created once, mode 0600); replicas on several hosts need
the same ``TAMIZ_WEB_SECRET`` in their environment.

Logging out deletes the cookie in the browser and refuses the nonce in this process. A copy
of the cookie taken before logout stays valid on other processes until it expires
(``SESSION_HOURS``); revoke the key to end every session at once.

CSRF: every state-changing form carries ``HMAC(secret, "csrf" | nonce)``; the login form,
which comes before any session, carries a token bound to a random pre-login cookie.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

SESSION_COOKIE = "tamiz_session"
SECURE_SESSION_COOKIE = "__Host-tamiz_session"  # only over https: the browser then pins it
LOGIN_COOKIE = "tamiz_login"
SECURE_LOGIN_COOKIE = "__Host-tamiz_login"
SESSION_HOURS = 8.0  # a working day; then log in again
SECRET_ENV = "TAMIZ_WEB_SECRET"
SECRET_FILE = "web-session.key"
MIN_SECRET_CHARS = 32
_VERSION = "1"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def load_secret(home: Path) -> bytes:
    """The signing secret: ``TAMIZ_WEB_SECRET``, else the secret file under ``home``
    (created on first use by whichever worker comes first; the others read it)."""
    configured = os.environ.get(SECRET_ENV, "").strip()
    if configured:
        if len(configured) < MIN_SECRET_CHARS:
            raise ValueError(f"{SECRET_ENV} must be at least {MIN_SECRET_CHARS} characters")
        return configured.encode("utf-8")
    path = Path(home) / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".web-session-")
        try:
            os.fchmod(fd, 0o600)
            os.write(fd, secrets.token_hex(32).encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        try:
            os.link(tmp, path)  # atomic, and fails if another worker got there first
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    secret = path.read_text("ascii").strip()
    if len(secret) < MIN_SECRET_CHARS:
        raise ValueError(f"{path}: the console secret is too short; delete the file")
    return secret.encode("ascii")


@dataclass(frozen=True, slots=True)
class Session:
    key_id: str  # the API key's public id ("-" when authentication is off)
    nonce: str
    issued: int  # Unix seconds
    expires: int


class SessionSigner:
    """Makes and checks session cookies and CSRF tokens under one secret."""

    def __init__(self, secret: bytes, *, hours: float = SESSION_HOURS) -> None:
        self._session_key = hmac.new(secret, b"tamiz-web-session", hashlib.sha256).digest()
        self._csrf_key = hmac.new(secret, b"tamiz-web-csrf", hashlib.sha256).digest()
        self.lifetime = int(hours * 3600)
        self._ended: dict[str, int] = {}  # nonce -> expiry, sessions logged out here
        self._lock = threading.Lock()

    # -- sessions ---------------------------------------------------------------------------

    def issue(self, key_id: str, *, now: float | None = None) -> tuple[Session, str]:
        issued = int(now if now is not None else time.time())
        session = Session(key_id, secrets.token_urlsafe(18), issued, issued + self.lifetime)
        body = _b64(
            json.dumps(
                [_VERSION, session.key_id, session.nonce, session.issued, session.expires],
                separators=(",", ":"),
            ).encode("utf-8")
        )
        return session, f"{body}.{self._mac(body)}"

    def read(self, cookie: str | None, *, now: float | None = None) -> Session | None:
        """The session of a cookie: None if it is missing, forged, expired or logged out."""
        if not cookie or len(cookie) > 1000 or cookie.count(".") != 1:
            return None
        body, mac = cookie.split(".")
        if not hmac.compare_digest(mac, self._mac(body)):
            return None
        try:
            version, key_id, nonce, issued, expires = json.loads(_unb64(body))
        except (ValueError, TypeError):
            return None
        if version != _VERSION or not isinstance(expires, int) or not isinstance(key_id, str):
            return None
        if expires <= (now if now is not None else time.time()):
            return None
        with self._lock:
            if nonce in self._ended:
                return None
        return Session(key_id, nonce, issued, expires)

    def end(self, session: Session) -> None:
        """Refuse this session from now on (in this process)."""
        now = int(time.time())
        with self._lock:
            self._ended = {n: e for n, e in self._ended.items() if e > now}
            self._ended[session.nonce] = session.expires

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._session_key, body.encode("ascii"), hashlib.sha256).digest())

    # -- CSRF -------------------------------------------------------------------------------

    def csrf_token(self, nonce: str) -> str:
        """The token forms of a session (or of a pre-login nonce) must send back."""
        return _b64(hmac.new(self._csrf_key, nonce.encode("utf-8"), hashlib.sha256).digest())

    def csrf_ok(self, nonce: str | None, token: str | None) -> bool:
        if not nonce or not token:
            return False
        return hmac.compare_digest(self.csrf_token(nonce), token)
