"""API keys: create, authenticate, revoke, roles, unique names, storage, and the CLI.

Runs on SQLite and on a real PostgreSQL server (the ``store`` fixture is parametrised).
"""

from __future__ import annotations

import json
import time

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from tamiz.cli import app
from tamiz.store import Store, audit
from tamiz.store.keys import (
    ApiKeyError,
    KeyVerifier,
    Role,
    authenticate,
    create_key,
    get_key,
    list_keys,
    revoke_key,
)

runner = CliRunner()


def test_create_and_authenticate(store):
    info, key = create_key(store, "onboarding", "analyst", actor="user:test")
    assert key.startswith(f"tmz_{info.id}_")
    assert info.role is Role.ANALYST and info.active and info.created_by == "user:test"
    found = authenticate(store, key)
    assert found is not None
    assert (found.id, found.name, found.role) == (info.id, "onboarding", Role.ANALYST)
    assert found.actor == "key:onboarding"
    assert authenticate(store, f"  {key}\n") == found  # header whitespace is tolerated


def test_wrong_malformed_and_unknown_keys_are_refused(store):
    _, key = create_key(store, "svc", "reader")
    prefix, key_id, secret = key.split("_", 2)
    flipped = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    other_id = "z" * len(key_id) if key_id != "z" * len(key_id) else "y" * len(key_id)
    for bad in (
        f"{prefix}_{key_id}_{flipped}",  # right id, wrong secret
        f"{prefix}_{other_id}_{secret}",  # unknown id, right secret
        key[:-1],  # truncated
        key + "x",
        key.replace("tmz_", "tmx_"),
        secret,
        "",
        None,
        "Bearer " + key,  # the API strips the scheme, not the key store
    ):
        assert authenticate(store, bad) is None, bad
    assert authenticate(store, key) is not None


def test_revocation_by_name_and_by_id(store):
    a, key_a = create_key(store, "alpha", "admin")
    b, key_b = create_key(store, "beta", "reader")
    assert authenticate(store, key_a) and authenticate(store, key_b)  # both now cached

    revoked = revoke_key(store, "alpha", actor="user:ops")
    assert revoked.id == a.id and not revoked.active and revoked.revoked_by == "user:ops"
    assert authenticate(store, key_a) is None  # same process: immediately
    revoke_key(store, b.id)
    assert authenticate(store, key_b) is None

    with pytest.raises(ApiKeyError, match="already revoked"):
        revoke_key(store, a.id)
    with pytest.raises(ApiKeyError, match="no key"):
        revoke_key(store, "alpha")  # no active key of that name any more
    with pytest.raises(ApiKeyError, match="no key"):
        revoke_key(store, "nobody")


def test_revocation_elsewhere_takes_effect_within_the_cache_ttl(store, store_settings):
    _, key = create_key(store, "replica-test", "reader")
    verifier = KeyVerifier(store, ttl=0.3)
    assert verifier.authenticate(key) is not None
    other = Store(store_settings)  # another process or replica: its own engine and cache
    try:
        revoke_key(other, "replica-test")
    finally:
        other.close()
    # Still served from this verifier's cache for at most ttl seconds...
    assert verifier.authenticate(key) is not None
    time.sleep(0.35)
    # ...then the revocation is seen.
    assert verifier.authenticate(key) is None


def test_roles_are_ordered():
    assert Role.ADMIN.allows(Role.ANALYST) and Role.ADMIN.allows("reader")
    assert Role.ANALYST.allows("reader") and Role.ANALYST.allows("analyst")
    assert not Role.ANALYST.allows("admin")
    assert not Role.READER.allows(Role.ANALYST)
    with pytest.raises(ValueError):
        Role.READER.allows("root")


def test_key_info_allows_respects_role_and_revocation(store):
    info, _ = create_key(store, "a", "analyst")
    assert info.allows("reader") and info.allows("analyst") and not info.allows("admin")
    revoke_key(store, "a")
    assert not get_key(store, info.id).allows("reader")


def test_bad_role_and_name_are_refused(store):
    with pytest.raises(ApiKeyError, match="unknown role"):
        create_key(store, "x", "superuser")
    for name in ("", "   ", "a" * 101, "tab\there"):
        with pytest.raises(ApiKeyError, match="name"):
            create_key(store, name, "reader")
    assert list_keys(store) == []


def test_names_are_unique_among_active_keys(store):
    first, _ = create_key(store, "payments", "analyst")
    with pytest.raises(ApiKeyError, match="already exists"):
        create_key(store, "payments", "reader")
    revoke_key(store, "payments")
    second, key = create_key(store, "payments", "reader")  # reusable once revoked
    assert second.id != first.id
    assert get_key(store, "payments").id == second.id
    assert [k.active for k in list_keys(store)] == [False, True]
    assert [k.id for k in list_keys(store, include_revoked=False)] == [second.id]
    assert authenticate(store, key).role is Role.READER
    # a name may not shadow an existing key id (revoke/get resolve ids first)
    with pytest.raises(ApiKeyError, match="id of an existing key"):
        create_key(store, first.id, "reader")


def test_the_database_partial_index_enforces_unique_active_names(store):
    """Even a writer that skips create_key's check cannot add a second active name."""
    from sqlalchemy.exc import IntegrityError

    create_key(store, "dup", "reader")
    with pytest.raises(IntegrityError), store.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO api_keys (id, name, role, salt, secret_hash, created_at, created_by)"
                " VALUES ('x12345678901', 'dup', 'reader', '00', '00', :now, 'test')"
            ),
            {"now": "2026-01-01 00:00:00"},
        )


def test_secret_is_never_stored(store, store_settings):
    _, key = create_key(store, "secretive", "admin")
    secret = key.split("_", 2)[2]
    with store.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(text("SELECT * FROM api_keys"))]
        trail = [tuple(r) for r in conn.execute(text("SELECT * FROM audit_log"))]
    stored = repr(rows) + repr(trail)
    assert rows and secret not in stored and key not in stored
    if store_settings.database_url.startswith("sqlite"):
        db = store_settings.home / "tamiz.db"
        raw = b"".join(p.read_bytes() for p in db.parent.glob("tamiz.db*"))
        assert raw and secret.encode() not in raw


def test_key_creation_and_revocation_are_audited(store):
    info, _ = create_key(store, "audited", "analyst", actor="user:alice")
    revoke_key(store, info.id, actor="user:bob")
    newest = audit.records(store, limit=10)
    assert [(r.action, r.actor) for r in newest] == [
        ("key_revoke", "user:bob"),
        ("key_create", "user:alice"),
    ]
    assert newest[1].payload["details"] == {"key_id": info.id, "name": "audited", "role": "analyst"}
    assert audit.verify(store).ok


def test_a_failed_create_leaves_no_audit_record(store):
    create_key(store, "once", "reader")
    with pytest.raises(ApiKeyError):
        create_key(store, "once", "reader")
    assert [r.action for r in audit.records(store)] == ["key_create"]


def test_verifier_cache_is_bounded(store):
    _, key = create_key(store, "k", "reader")
    verifier = KeyVerifier(store, max_entries=8)
    for i in range(50):  # a flood of unknown ids must not grow the cache without bound
        verifier.authenticate(f"tmz_{i:012d}_{'a' * 43}")
    assert verifier.authenticate(key) is not None
    assert len(verifier._cache) <= 8


# -- CLI ----------------------------------------------------------------------------------


def test_cli_create_list_revoke_json(store):
    result = runner.invoke(
        app, ["keys", "create", "--name", "cli-key", "--role", "analyst", "--json"]
    )
    assert result.exit_code == 0, result.output
    created = json.loads(result.stdout)
    assert set(created) == {"key", "name", "role", "id"}
    assert created["name"] == "cli-key" and created["role"] == "analyst"
    assert created["key"].startswith(f"tmz_{created['id']}_")
    assert authenticate(store, created["key"]).name == "cli-key"

    result = runner.invoke(app, ["keys", "list", "--json"])
    assert result.exit_code == 0, result.output
    listed = json.loads(result.stdout)
    assert [k["id"] for k in listed] == [created["id"]]
    assert set(listed[0]) == {
        "id",
        "name",
        "role",
        "active",
        "created_at",
        "created_by",
        "revoked_at",
        "revoked_by",
    }
    secret = created["key"].split("_", 2)[2]
    assert secret not in result.stdout

    result = runner.invoke(app, ["keys", "revoke", "cli-key"])
    assert result.exit_code == 0, result.output
    # The CLI is another Store: this process's cached verifier would see it within the TTL.
    assert KeyVerifier(store).authenticate(created["key"]) is None
    listed = json.loads(runner.invoke(app, ["keys", "list", "--json"]).stdout)
    assert listed[0]["active"] is False and listed[0]["revoked_by"].startswith(("user:", "uid:"))
    assert json.loads(runner.invoke(app, ["keys", "list", "--active", "--json"]).stdout) == []


def test_cli_errors(store):
    assert runner.invoke(app, ["keys", "create", "--name", "a", "--role", "root"]).exit_code == 2
    assert runner.invoke(app, ["keys", "create", "--name", "a", "--role", "reader"]).exit_code == 0
    dup = runner.invoke(app, ["keys", "create", "--name", "a", "--role", "reader"])
    assert dup.exit_code == 1 and "already exists" in dup.stderr
    missing = runner.invoke(app, ["keys", "revoke", "nobody"])
    assert missing.exit_code == 1 and "nobody" in missing.stderr


def test_cli_plain_create_prints_the_key_once(store):
    result = runner.invoke(app, ["keys", "create", "--name", "plain", "--role", "reader"])
    assert result.exit_code == 0, result.output
    keys = [line for line in result.stdout.split() if line.startswith("tmz_")]
    assert len(keys) == 1 and authenticate(store, keys[0]) is not None
