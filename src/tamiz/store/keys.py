"""API keys: creation, verification on every request, listing and revocation.

A key reads ``tmz_<id>_<secret>``. The id is public and indexed, so checking a key is one
primary-key lookup (usually served from a short in-process cache) and one constant-time
comparison. Only a per-key salt and HMAC-SHA256(salt, secret) are stored.

Why not a slow password hash (bcrypt, scrypt, Argon2): those exist to make guessing a
low-entropy, human-chosen password expensive after a database leak. The secret here is 256
random bits; no amount of guessing recovers it, fast hash or not, so a deliberately slow hash
would only add tens of milliseconds to every API request. The salt still keeps stored hashes
from being compared across databases or precomputed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import string
import threading
import time
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from tamiz.store.audit import AuditEntry, chain_transaction, local_actor
from tamiz.store.schema import ApiKeyRow

if TYPE_CHECKING:
    from tamiz.store.lists import Store

KEY_PREFIX = "tmz"
_ID_ALPHABET = string.ascii_lowercase + string.digits
_SECRET_ALPHABET = string.ascii_letters + string.digits
ID_LENGTH = 12  # ~62 bits: unique enough for a lookup id, not a secret
SECRET_LENGTH = 43  # 43 base-62 characters carry 256 bits
_KEY = re.compile(rf"^{KEY_PREFIX}_([a-z0-9]{{{ID_LENGTH}}})_([A-Za-z0-9]{{{SECRET_LENGTH}}})$")
_NAME = re.compile(r"^[^\x00-\x1f\x7f]{1,100}$")
# How long a key row may be served from the cache: a revocation made by another process or
# replica takes effect within this many seconds.
CACHE_TTL = 2.0


class Role(StrEnum):
    """Roles are ordered: admin can do everything analyst can, analyst everything reader can."""

    READER = "reader"
    ANALYST = "analyst"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        return _RANKS[self]

    def allows(self, required: Role | str) -> bool:
        return self.rank >= Role(required).rank


_RANKS = {Role.READER: 0, Role.ANALYST: 1, Role.ADMIN: 2}


class ApiKeyError(Exception):
    """A key operation that cannot be done (bad name or role, unknown key, duplicate name)."""


@dataclass(frozen=True, slots=True)
class KeyInfo:
    id: str
    name: str
    role: Role
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None

    @property
    def actor(self) -> str:
        """How requests made with this key appear in the audit trail."""
        return f"key:{self.name}"

    def allows(self, required: Role | str) -> bool:
        return self.active and self.role.allows(required)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "role": self.role.value,
            "active": self.active,
            "created_at": _iso(self.created_at),
            "created_by": self.created_by,
            "revoked_at": _iso(self.revoked_at),
            "revoked_by": self.revoked_by,
        }


def _iso(value: dt.datetime | None) -> str | None:
    return _utc(value).isoformat() if value else None


def _utc(value: dt.datetime) -> dt.datetime:
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def _info(row: Any) -> KeyInfo:
    return KeyInfo(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        revoked_at=_utc(row.revoked_at) if row.revoked_at else None,
        revoked_by=row.revoked_by,
    )


def _secret_hash(salt: bytes, secret: str) -> str:
    return hmac.new(salt, secret.encode("ascii"), hashlib.sha256).hexdigest()


def _parse_role(role: Role | str) -> Role:
    try:
        return Role(role)
    except ValueError:
        raise ApiKeyError(
            f"unknown role {role!r}: use one of {', '.join(r.value for r in Role)}"
        ) from None


def create_key(
    store: Store, name: str, role: Role | str, *, actor: str | None = None
) -> tuple[KeyInfo, str]:
    """Create a key; return its info and the full key text, which is never shown again."""
    name = name.strip()
    if not _NAME.match(name):
        raise ApiKeyError("a key name must be 1-100 characters without control characters")
    role = _parse_role(role)
    actor = actor or local_actor()
    key_id = "".join(secrets.choice(_ID_ALPHABET) for _ in range(ID_LENGTH))
    secret = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))
    salt = secrets.token_bytes(16)
    now = dt.datetime.now(dt.UTC)
    try:
        # One transaction: the key exists if and only if its creation is in the audit trail.
        with chain_transaction(store) as tx:
            conn = tx.connection
            if conn.execute(select(ApiKeyRow.id).where(ApiKeyRow.id == name)).first():
                # revoke_key and get_key resolve ids before names; keep that unambiguous
                raise ApiKeyError(f"{name!r} is the id of an existing key; choose another name")
            taken = conn.execute(
                select(ApiKeyRow.id).where(ApiKeyRow.name == name, ApiKeyRow.revoked_at.is_(None))
            ).first()
            if taken is not None:
                raise ApiKeyError(f"an active key named {name!r} already exists")
            conn.execute(
                insert(ApiKeyRow).values(
                    id=key_id,
                    name=name,
                    role=role.value,
                    salt=salt.hex(),
                    secret_hash=_secret_hash(salt, secret),
                    created_at=now,
                    created_by=actor,
                )
            )
            tx.append(
                AuditEntry(
                    "key_create",
                    actor,
                    details={"key_id": key_id, "name": name, "role": role.value},
                    ts=now,
                )
            )
    except IntegrityError:  # the partial unique index: a concurrent create of the same name
        raise ApiKeyError(f"an active key named {name!r} already exists") from None
    _forget(store, key_id)
    info = KeyInfo(id=key_id, name=name, role=role, created_at=now, created_by=actor)
    return info, f"{KEY_PREFIX}_{key_id}_{secret}"


def list_keys(store: Store, *, include_revoked: bool = True) -> list[KeyInfo]:
    query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.id)
    if not include_revoked:
        query = query.where(ApiKeyRow.revoked_at.is_(None))
    with store.session() as s:
        return [_info(row) for row in s.scalars(query)]


def get_key(store: Store, name_or_id: str) -> KeyInfo:
    """The key with this id, else the active key with this name."""
    with store.session() as s:
        row = (
            s.get(ApiKeyRow, name_or_id)
            or s.scalars(
                select(ApiKeyRow).where(
                    ApiKeyRow.name == name_or_id, ApiKeyRow.revoked_at.is_(None)
                )
            ).first()
        )
        if row is None:
            raise ApiKeyError(f"no key with id or active name {name_or_id!r}")
        return _info(row)


def revoke_key(store: Store, name_or_id: str, *, actor: str | None = None) -> KeyInfo:
    """Revoke a key by id or active name; effective at once here, within CACHE_TTL elsewhere."""
    actor = actor or local_actor()
    now = dt.datetime.now(dt.UTC)
    with chain_transaction(store) as tx:
        conn = tx.connection
        row = conn.execute(select(ApiKeyRow).where(ApiKeyRow.id == name_or_id)).first()
        if row is None:
            row = conn.execute(
                select(ApiKeyRow).where(
                    ApiKeyRow.name == name_or_id, ApiKeyRow.revoked_at.is_(None)
                )
            ).first()
        if row is None:
            raise ApiKeyError(f"no key with id or active name {name_or_id!r}")
        if row.revoked_at is not None:
            raise ApiKeyError(f"key {row.id} ({row.name}) is already revoked")
        conn.execute(
            update(ApiKeyRow).where(ApiKeyRow.id == row.id).values(revoked_at=now, revoked_by=actor)
        )
        tx.append(
            AuditEntry(
                "key_revoke",
                actor,
                details={"key_id": row.id, "name": row.name, "role": row.role},
                ts=now,
            )
        )
    _forget(store, row.id)
    return KeyInfo(
        id=row.id,
        name=row.name,
        role=Role(row.role),
        created_at=_utc(row.created_at),
        created_by=row.created_by,
        revoked_at=now,
        revoked_by=actor,
    )


@dataclass(frozen=True, slots=True)
class _Cached:
    fetched: float
    info: KeyInfo | None  # None: no such key id (negative entries stop id-guessing floods)
    salt: bytes = b""
    secret_hash: str = ""


class KeyVerifier:
    """Checks presented keys for one store; thread-safe; keeps key rows for ``ttl`` seconds.

    The API keeps one per process (``authenticate`` does this for you). A hit costs a dict
    lookup and one HMAC; a miss one primary-key query.
    """

    def __init__(self, store: Store, *, ttl: float = CACHE_TTL, max_entries: int = 4096) -> None:
        self.store = store
        self.ttl = ttl
        self.max_entries = max_entries
        self._cache: OrderedDict[str, _Cached] = OrderedDict()
        self._lock = threading.Lock()

    def authenticate(self, presented: str | None) -> KeyInfo | None:
        """The key's info if ``presented`` is a valid, active key; None otherwise."""
        match = _KEY.match(presented.strip()) if presented else None
        if match is None:
            return None
        key_id, secret = match.groups()
        entry = self._lookup(key_id)
        if entry.info is None or not entry.info.active:
            return None
        if not hmac.compare_digest(_secret_hash(entry.salt, secret), entry.secret_hash):
            return None
        return entry.info

    def forget(self, key_id: str | None = None) -> None:
        with self._lock:
            if key_id is None:
                self._cache.clear()
            else:
                self._cache.pop(key_id, None)

    def _lookup(self, key_id: str) -> _Cached:
        now = time.monotonic()
        with self._lock:
            entry = self._cache.get(key_id)
            if entry is not None and now - entry.fetched < self.ttl:
                self._cache.move_to_end(key_id)
                return entry
        with self.store.session() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None:
                entry = _Cached(now, None)
            else:
                entry = _Cached(now, _info(row), bytes.fromhex(row.salt), row.secret_hash)
        with self._lock:
            self._cache[key_id] = entry
            self._cache.move_to_end(key_id)
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return entry


_VERIFIERS: weakref.WeakKeyDictionary[Store, KeyVerifier] = weakref.WeakKeyDictionary()
_VERIFIERS_LOCK = threading.Lock()


def verifier(store: Store) -> KeyVerifier:
    """The process-wide verifier of ``store``."""
    with _VERIFIERS_LOCK:
        found = _VERIFIERS.get(store)
        if found is None:
            found = _VERIFIERS[store] = KeyVerifier(store)
        return found


def authenticate(store: Store, presented: str | None) -> KeyInfo | None:
    """Check a presented key (revoked, unknown or malformed -> None)."""
    return verifier(store).authenticate(presented)


def _forget(store: Store, key_id: str) -> None:
    with _VERIFIERS_LOCK:
        found = _VERIFIERS.get(store)
    if found is not None:
        found.forget(key_id)
