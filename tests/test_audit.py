"""The audit trail: appends, the hash chain, tamper detection, concurrency, group commit,
export, query-hash mode and the CLI.

Runs on SQLite and on a real PostgreSQL server (the ``store`` fixture is parametrised);
tampering is done directly in SQL, as someone with database access would.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text, update
from typer.testing import CliRunner

from tamiz.cli import app
from tamiz.store import Store, audit
from tamiz.store.audit import (
    AuditBackpressure,
    AuditEntry,
    AuditError,
    AuditWriter,
    chain_transaction,
    query_sha256,
    verify,
)
from tamiz.store.schema import AuditRecordRow

runner = CliRunner()
T0 = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


def screening(i: int, **extra) -> AuditEntry:
    fields = {
        "action": "match",
        "actor": "key:onboarding",
        "query": {"schema": "Person", "properties": {"name": [f"Person {i}"]}},
        "datasets": {"us_ofac_sdn": "a1b2c3d4e5f60718", "un_sc": "0f1e2d3c4b5a6978"},
        "threshold": 0.7,
        "algorithm": "tamiz-1.0",
        "results": [{"id": f"us_ofac_sdn:{i}", "score": 0.91, "match": True}],
    }
    fields.update(extra)
    return AuditEntry(**fields)


def count(store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(AuditRecordRow)).scalar_one()


def run_sql(store, *statements: str) -> None:
    with store.engine.begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


# -- appending and the chain --------------------------------------------------------------


def test_append_builds_a_verifiable_chain(store):
    receipts = [audit.append(store, screening(i)) for i in range(5)]
    assert [r.seq for r in receipts] == [1, 2, 3, 4, 5]
    rows = list(reversed(audit.records(store, limit=10)))
    assert [r.seq for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0].prev_hash == audit.GENESIS_HASH
    for before, after in itertools.pairwise(rows):
        assert after.prev_hash == before.hash
    assert [r.hash for r in rows] == [r.hash for r in receipts]

    report = verify(store)
    assert report.ok and report.records == 5 and report.first_bad_seq is None
    assert (report.last_seq, report.last_hash) == (5, receipts[-1].hash)
    assert (report.head_seq, report.head_hash) == (5, receipts[-1].hash)
    assert report.summary().startswith("audit trail intact: 5 records")


def test_empty_trail_verifies(store):
    report = verify(store)
    assert report.ok and report.records == 0 and report.last_hash == audit.GENESIS_HASH


def test_record_content(store):
    ts = dt.datetime(2026, 3, 1, 12, 30, 15, 123456, tzinfo=dt.UTC)
    query = {"schema": "Person", "properties": {"name": ["Nicolás Maduro"]}}
    audit.append(store, screening(1, query=query, ts=ts, details={"request_id": "r-1"}))
    (record,) = audit.records(store)
    assert record.ts == ts and record.actor == "key:onboarding" and record.action == "match"
    assert record.payload == {
        "query": query,
        "query_sha256": hashlib.sha256(
            json.dumps(query, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest(),
        "datasets": {"us_ofac_sdn": "a1b2c3d4e5f60718", "un_sc": "0f1e2d3c4b5a6978"},
        "threshold": 0.7,
        "algorithm": "tamiz-1.0",
        "results": [{"id": "us_ofac_sdn:1", "score": 0.91, "match": True}],
        "details": {"request_id": "r-1"},
    }
    assert record.to_dict()["ts"] == "2026-03-01T12:30:15.123456Z"


def test_invalid_entries_are_refused(store):
    with pytest.raises(AuditError, match="action"):
        audit.append(store, AuditEntry("Screen Now", "user:x"))
    with pytest.raises(AuditError, match="actor"):
        audit.append(store, AuditEntry("screen", ""))
    with pytest.raises(AuditError):  # NaN is not JSON
        audit.append(store, screening(1, threshold=float("nan")))
    with pytest.raises(AuditError, match="cannot record"):
        audit.append(store, screening(1, details={"obj": object()}))
    with pytest.raises(AuditError, match="control"):  # PostgreSQL cannot store NUL
        audit.append(store, AuditEntry("screen", "key:a\x00b"))
    with pytest.raises(AuditError, match="actor"):
        audit.append(store, AuditEntry("screen", "key:\udc80"))
    with pytest.raises(AuditError, match="Unicode"):  # what json.loads('"\\ud800"') yields
        audit.append(store, screening(1, query="Ma\ud800duro"))
    assert count(store) == 0 and verify(store).ok


def test_query_hash_mode(store, monkeypatch):
    monkeypatch.setenv("TAMIZ_AUDIT_QUERY", "hash")
    query = {"schema": "Person", "properties": {"name": ["Diosdado Cabello Rondón"]}}
    audit.append(store, screening(1, query=query))
    with AuditWriter(store) as writer:
        writer.append(screening(2, query="Cabello Rondón, Diosdado"))
    with store.engine.connect() as conn:
        raw = repr([tuple(r) for r in conn.execute(text("SELECT * FROM audit_log"))])
    assert "Cabello" not in raw and "Diosdado" not in raw
    first, second = reversed(audit.records(store))
    assert "query" not in first.payload and "query" not in second.payload
    assert first.payload["query_sha256"] == query_sha256(query)
    assert (
        second.payload["query_sha256"]
        == hashlib.sha256(b'"Cabello Rond\xc3\xb3n, Diosdado"').hexdigest()
    )  # a string query hashes as its JSON text
    assert verify(store).ok
    monkeypatch.setenv("TAMIZ_AUDIT_QUERY", "sometimes")
    with pytest.raises(AuditError, match="TAMIZ_AUDIT_QUERY"):
        audit.append(store, screening(3))


def test_pages_of_records_verify(store):
    audit.append_many(store, [screening(i) for i in range(2500)])  # > one verify page
    assert verify(store).records == 2500
    newest = audit.records(store, limit=3)
    assert [r.seq for r in newest] == [2500, 2499, 2498]
    assert [r.seq for r in audit.records(store, limit=2, before_seq=2498)] == [2497, 2496]


# -- tamper detection ---------------------------------------------------------------------

# Six records, then one kind of tampering in plain SQL; verify must name the first bad record.
TAMPERING = {
    "payload changed": (
        ["UPDATE audit_log SET payload = replace(payload, '0.91', '0.19') WHERE seq = 3"],
        3,
        "does not match its hash",
    ),
    "actor changed": (
        ["UPDATE audit_log SET actor = 'key:someone-else' WHERE seq = 4"],
        4,
        "does not match its hash",
    ),
    "middle row deleted": (["DELETE FROM audit_log WHERE seq = 3"], 3, "record 3 is missing"),
    "two rows deleted": (
        ["DELETE FROM audit_log WHERE seq IN (2, 3)"],
        2,
        "records 2-3 are missing",
    ),
    "two rows swapped": (
        [
            "UPDATE audit_log SET seq = -1 WHERE seq = 3",
            "UPDATE audit_log SET seq = 3 WHERE seq = 4",
            "UPDATE audit_log SET seq = 4 WHERE seq = -1",
        ],
        3,
        "link to the previous record is broken",
    ),
    "last row deleted": (["DELETE FROM audit_log WHERE seq = 6"], 6, "the tail was deleted"),
    "last two rows deleted": (
        ["DELETE FROM audit_log WHERE seq >= 5"],
        5,
        "records 5-6 are missing",
    ),
    "row added after the head": (
        [
            "INSERT INTO audit_log (seq, ts, actor, action, payload, prev_hash, hash) "
            "SELECT 7, ts, actor, action, payload, hash, hash FROM audit_log WHERE seq = 6"
        ],
        7,
        "does not match its hash",
    ),
    "head row deleted": (["DELETE FROM audit_head"], None, "head row is missing"),
    "hash replaced": (
        ["UPDATE audit_log SET hash = prev_hash WHERE seq = 2"],
        2,
        "does not match its hash",
    ),
}


@pytest.mark.parametrize("case", list(TAMPERING))
def test_tampering_is_detected(store, case):
    statements, first_bad, problem = TAMPERING[case]
    for i in range(6):
        audit.append(store, screening(i))
    assert verify(store).ok
    run_sql(store, *statements)
    report = verify(store)
    assert not report.ok
    assert report.first_bad_seq == first_bad, report.problem
    assert problem in report.problem
    if first_bad is not None:
        assert report.summary().startswith(f"audit record {first_bad}: ")


def test_changed_timestamp_is_detected(store):
    for i in range(4):
        audit.append(store, screening(i))
    with store.engine.begin() as conn:
        conn.execute(
            update(AuditRecordRow)
            .where(AuditRecordRow.seq == 2)
            .values(ts=dt.datetime(2020, 1, 1, tzinfo=dt.UTC))
        )
    report = verify(store)
    assert (report.ok, report.first_bad_seq) == (False, 2)


def test_inserted_rehashed_row_is_detected(store):
    """A forger who inserts a correctly hashed record must renumber what follows; the next
    record's link then breaks."""
    for i in range(5):
        audit.append(store, screening(i))
    with store.engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET seq = -(seq + 1) WHERE seq >= 3"))
        conn.execute(text("UPDATE audit_log SET seq = -seq WHERE seq < 0"))
        prev = conn.execute(text("SELECT hash FROM audit_log WHERE seq = 2")).scalar_one()
        ts = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
        payload = audit.canonical({"details": {"forged": True}})
        digest = audit.record_hash(3, prev, audit.format_ts(ts), "user:x", "screen", payload)
        conn.execute(
            AuditRecordRow.__table__.insert().values(
                seq=3,
                ts=ts,
                actor="user:x",
                action="screen",
                payload=payload,
                prev_hash=prev,
                hash=digest,
            )
        )
    report = verify(store)
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "link to the previous record is broken" in report.problem


def test_rehashed_row_added_behind_the_head_is_detected(store):
    for i in range(3):
        audit.append(store, screening(i))
    seq, prev = audit.head(store)
    ts, payload = T0, audit.canonical({"details": {"forged": True}})
    with store.engine.begin() as conn:
        conn.execute(
            AuditRecordRow.__table__.insert().values(
                seq=seq + 1,
                ts=ts,
                actor="user:x",
                action="screen",
                payload=payload,
                prev_hash=prev,
                hash=audit.record_hash(
                    seq + 1, prev, audit.format_ts(ts), "user:x", "screen", payload
                ),
            )
        )
    report = verify(store)
    assert (report.ok, report.first_bad_seq) == (False, 4)
    assert "beyond the chain head" in report.problem


def test_tail_rewrite_needs_an_anchor(store):
    """Deleting the last record *and* rolling the head row back leaves a valid-looking chain:
    a hash chain alone cannot tell. A head noted earlier (an anchor) can."""
    for i in range(5):
        audit.append(store, screening(i))
    anchor = audit.head(store)
    assert anchor is not None and anchor[0] == 5
    with store.engine.begin() as conn:
        prev = conn.execute(text("SELECT hash FROM audit_log WHERE seq = 4")).scalar_one()
        conn.execute(text("DELETE FROM audit_log WHERE seq = 5"))
        conn.execute(text("UPDATE audit_head SET seq = 4, hash = :h"), {"h": prev})
    assert verify(store).ok  # the limitation
    report = verify(store, anchors={anchor[0]: anchor[1]})
    assert (report.ok, report.first_bad_seq) == (False, 5)
    assert "anchored record is missing" in report.problem
    # an anchor that still matches passes; a wrong hash fails
    assert verify(store, anchors={4: prev}).ok
    assert verify(store, anchors={4: "f" * 64}).first_bad_seq == 4


# -- concurrency: threads, replicas and processes over one database -----------------------


def test_concurrent_threads_and_replicas_form_one_chain(store, store_settings):
    """Threads on one Store and on a second Store (another replica's engine) append at once."""
    replica = Store(store_settings)
    per_thread = 25

    def work(target: Store, worker: int) -> list[int]:
        return [
            audit.append(target, screening(i, details={"worker": worker, "i": i})).seq
            for i in range(per_thread)
        ]

    try:
        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(work, store if w % 2 else replica, w) for w in range(8)]
            seqs = [s for f in futures for s in f.result()]
    finally:
        replica.close()
    total = 8 * per_thread
    assert sorted(seqs) == list(range(1, total + 1))  # no seq given twice
    report = verify(store)
    assert report.ok and report.records == total, report.problem
    seen = {(r.payload["details"]["worker"], r.payload["details"]["i"]) for r in
            audit.records(store, limit=total)}  # fmt: skip
    assert len(seen) == total


def test_verify_while_appending_sees_a_consistent_chain(store):
    stop = threading.Event()
    errors: list[BaseException] = []

    def keep_appending() -> None:
        try:
            while not stop.is_set():
                audit.append_many(store, [screening(i) for i in range(5)])
        except BaseException as exc:  # surfaced below
            errors.append(exc)

    audit.append_many(store, [screening(i) for i in range(50)])
    thread = threading.Thread(target=keep_appending)
    thread.start()
    try:
        reports = [verify(store) for _ in range(10)]
    finally:
        stop.set()
        thread.join()
    assert not errors
    assert all(r.ok for r in reports), [r.problem for r in reports if not r.ok]
    assert reports[-1].records > 50


WORKER = """
import sys
from tamiz.store import Settings, Store, audit
name, count, batched = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
store = Store.open(Settings.from_env())
entries = (
    audit.AuditEntry("screen", f"user:{name}", query=f"{name}-{i}", details={"i": i})
    for i in range(count)
)
if batched:
    writer = audit.AuditWriter(store, max_batch=7)
    futures = [writer.submit(e) for e in entries]
    writer.close()
    assert all(f.result().seq > 0 for f in futures)
else:
    for e in entries:
        audit.append(store, e)
"""


@pytest.mark.slow
def test_concurrent_processes_form_one_chain(store, store_settings):
    """Several OS processes (replicas), some appending one by one, some through AuditWriter."""
    per_process, processes = 60, 6
    env = {
        **os.environ,
        "TAMIZ_HOME": str(store_settings.home),
        "TAMIZ_DATABASE_URL": store_settings.database_url,
    }
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", WORKER, f"p{n}", str(per_process), str(n % 2)],
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(processes)
    ]
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
    report = verify(store)
    assert report.ok, report.problem
    assert report.records == per_process * processes
    actors = [r.actor for r in audit.records(store, limit=1000)]
    assert {a: actors.count(a) for a in set(actors)} == {
        f"user:p{n}": per_process for n in range(processes)
    }


# -- AuditWriter: group commit, back-pressure, no silent loss -----------------------------


def test_writer_from_many_threads(store):
    with AuditWriter(store) as writer:
        with ThreadPoolExecutor(16) as pool:
            receipts = list(pool.map(lambda i: writer.append(screening(i)), range(400)))
        assert sorted(r.seq for r in receipts) == list(range(1, 401))
    assert verify(store).records == 400


def test_writer_group_commits_while_the_chain_is_busy(store):
    with AuditWriter(store) as writer:
        with chain_transaction(store):  # another replica holds the chain lock for a moment
            futures = [writer.submit(screening(i)) for i in range(300)]
        receipts = [f.result(timeout=30) for f in futures]
        # the first record may be taken alone before the rest arrive; the rest go together
        assert writer.batches <= 3
    assert [r.seq for r in receipts] == list(range(1, 301))  # submission order kept
    assert verify(store).records == 300


def test_writer_applies_backpressure(store):
    writer = AuditWriter(store, max_batch=1, max_pending=5)
    accepted = []
    try:
        with chain_transaction(store):  # the database stalls
            with pytest.raises(AuditBackpressure, match="queue full"):
                for i in range(20):
                    accepted.append(writer.submit(screening(i), timeout=0.2))
            assert 5 <= len(accepted) <= 7  # queue + one batch in hand
    finally:
        writer.close()
    assert [f.result().seq for f in accepted] == list(range(1, len(accepted) + 1))
    assert verify(store).records == len(accepted)


def test_writer_fire_and_forget_is_written_on_close(store):
    writer = AuditWriter(store)
    for i in range(250):
        assert writer.append(screening(i), wait=False) is None
    writer.close()
    assert count(store) == 250 and verify(store).ok
    with pytest.raises(AuditError, match="closed"):
        writer.submit(screening(0))


def test_writer_flush_waits_for_durability(store):
    with AuditWriter(store) as writer:
        for i in range(50):
            writer.submit(screening(i))
        writer.flush(timeout=30)
        assert count(store) == 50


def test_writer_rejects_bad_entries_in_the_callers_thread(store):
    with AuditWriter(store) as writer:
        with pytest.raises(AuditError):
            writer.submit(screening(1, threshold=float("inf")))
        with pytest.raises(AuditError):
            writer.submit(screening(1, query={"name": ["\udc80"]}))
        assert writer.append(screening(2)).seq == 1


def test_writer_retries_failed_batches_in_order(store, monkeypatch):
    real = AuditWriter._commit  # the writer's transaction (its direct path or chain_transaction)
    failures = {"left": 2}

    def flaky(self, entries):
        if failures["left"]:
            failures["left"] -= 1
            raise ConnectionError("database restarting")
        return real(self, entries)

    monkeypatch.setattr(AuditWriter, "_commit", flaky)
    with AuditWriter(store) as writer:
        futures = [writer.submit(screening(i, details={"i": i})) for i in range(30)]
        receipts = [f.result(timeout=30) for f in futures]
        assert writer.healthy and writer.last_error is None
    assert failures["left"] == 0
    assert [r.seq for r in receipts] == list(range(1, 31))
    assert [r.payload["details"]["i"] for r in reversed(audit.records(store, limit=30))] == list(
        range(30)
    )


def test_writer_spills_what_it_cannot_write_and_replay_restores_it(store, monkeypatch):
    real = audit.chain_transaction

    def down(*args, **kwargs):
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(audit, "chain_transaction", down)
    monkeypatch.setattr(audit.DirectChain, "append", down)
    writer = AuditWriter(store, max_retry_delay=0.05)
    futures = [writer.submit(screening(i, ts=T0 + dt.timedelta(seconds=i))) for i in range(5)]
    spill = writer.close(timeout=0.5)
    assert not writer.healthy
    assert spill is not None and spill.parent == store.settings.home / "audit-spill"
    assert len(spill.read_text().splitlines()) == 5
    for f in futures:
        with pytest.raises(AuditError, match="spilled"):
            f.result()
    assert count(store) == 0

    monkeypatch.setattr(audit, "chain_transaction", real)
    assert audit.replay_spill(store, spill) == 5
    assert not spill.exists() and spill.with_suffix(".replayed").exists()
    replayed = list(reversed(audit.records(store)))
    assert [r.ts for r in replayed] == [T0 + dt.timedelta(seconds=i) for i in range(5)]
    assert verify(store).ok


def test_writer_replaces_a_connection_that_broke_under_it(store):
    """The writer holds one connection; when the database drops it (a restart, a failover),
    the batch is retried on a new connection and nothing is lost or written twice."""
    with AuditWriter(store, max_retry_delay=0.05) as writer:
        assert writer.append(screening(0)).seq == 1
        direct = writer._direct
        assert direct is not None and direct._raw is not None
        if store.engine.dialect.name == "postgresql":
            backend = direct._raw.info.backend_pid
            with store.engine.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
                conn.commit()
        else:
            direct._raw.close()
        receipts = [writer.append(screening(i)) for i in range(1, 6)]
        assert writer.healthy
    assert [r.seq for r in receipts] == [2, 3, 4, 5, 6]
    assert verify(store).records == 6


def test_direct_path_writes_what_the_orm_path_writes(store):
    """Rows written by the writer's plain SQL read back (timestamps included) exactly as
    rows written through chain_transaction, and both kinds of appender share one chain."""
    ts = dt.datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=dt.UTC)
    audit.append(store, screening(0, ts=ts))
    direct = audit.DirectChain(store)
    try:
        prepared = audit.PreparedEntry.of(screening(1, ts=ts), "full")
        [receipt] = direct.append([prepared])
    finally:
        direct.close()
    audit.append(store, screening(2, ts=ts))
    newest = audit.records(store, limit=3)
    assert [r.seq for r in newest] == [3, 2, 1]
    assert {r.ts for r in newest} == {ts}
    assert newest[1].hash == receipt.hash and newest[2].hash == newest[1].prev_hash
    assert verify(store).ok


def test_direct_path_leaves_a_missing_head_row_to_chain_transaction(store):
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_head"))
    direct = audit.DirectChain(store)
    try:
        assert direct.append([audit.PreparedEntry.of(screening(0), "full")]) is None
    finally:
        direct.close()
    with AuditWriter(store) as writer:  # falls back to chain_transaction, which creates it
        assert writer.append(screening(1)).seq == 1
    assert verify(store).ok


def test_sqlite_writer_connection_syncs_every_commit(store):
    if store.engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's durability is the server's synchronous_commit")
    direct = audit.DirectChain(store)
    try:
        direct.append([audit.PreparedEntry.of(screening(0), "full")])
        assert direct._raw.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    finally:
        direct.close()
    with store.engine.connect() as conn:  # the pooled connections keep WAL's NORMAL
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1


def test_writer_lingers_for_company(store):
    with AuditWriter(store, linger=0.2) as writer:
        futures = []
        for i in range(5):
            futures.append(writer.submit(screening(i)))
            threading.Event().wait(0.01)
        assert [f.result(timeout=30).seq for f in futures] == [1, 2, 3, 4, 5]
        assert writer.batches == 1  # one commit for records that trickled in over 40 ms


# -- export -------------------------------------------------------------------------------


def _three_days(store) -> None:
    for day in range(3):
        for i in range(2):
            ts = T0 + dt.timedelta(days=day, hours=i)
            audit.append(store, screening(day * 10 + i, ts=ts, action="screen" if i else "match"))


def test_export_jsonl_range_and_independent_rehash(store):
    _three_days(store)
    lines = list(audit.export(store, T0 + dt.timedelta(days=1), T0 + dt.timedelta(days=2)))
    rows = [json.loads(line) for line in lines]
    assert [r["seq"] for r in rows] == [3, 4]
    assert set(rows[0]) == {"seq", "ts", "actor", "action", "payload", "prev_hash", "hash"}
    assert rows[0]["ts"] == "2026-03-02T12:00:00.000000Z"
    # An examiner can re-verify the exported stretch with only the documented recipe.
    for before, row in itertools.pairwise(rows):
        assert row["prev_hash"] == before["hash"]
    for row in rows:
        payload = json.dumps(
            row["payload"], sort_keys=True, ensure_ascii=False, separators=(",", ":")
        )
        material = [
            "tamiz-audit/1",
            row["seq"],
            row["prev_hash"],
            row["ts"],
            row["actor"],
            row["action"],
            payload,
        ]
        digest = hashlib.sha256(
            json.dumps(material, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        assert digest == row["hash"]
    assert [json.loads(x)["seq"] for x in audit.export(store, action="screen")] == [2, 4, 6]


def test_export_csv(store):
    _three_days(store)
    text_out = "".join(audit.export(store, fmt="csv"))
    rows = list(csv.DictReader(io.StringIO(text_out)))
    assert list(rows[0]) == list(audit.CSV_COLUMNS)
    assert [r["seq"] for r in rows] == ["1", "2", "3", "4", "5", "6"]
    first = rows[0]
    assert json.loads(first["query"])["properties"]["name"] == ["Person 0"]
    assert json.loads(first["datasets"])["us_ofac_sdn"] == "a1b2c3d4e5f60718"
    assert first["threshold"] == "0.7" and first["algorithm"] == "tamiz-1.0"
    assert json.loads(first["results"])[0]["match"] is True
    assert first["details"] == "" and first["prev_hash"] == audit.GENESIS_HASH
    with pytest.raises(AuditError, match="format"):
        list(audit.export(store, fmt="xml"))


# -- CLI ----------------------------------------------------------------------------------


def test_cli_verify_ok_and_tampered(store):
    for i in range(4):
        audit.append(store, screening(i))
    ok = runner.invoke(app, ["audit", "verify"])
    assert ok.exit_code == 0, ok.output
    assert "intact: 4 records" in ok.stdout
    run_sql(store, "DELETE FROM audit_log WHERE seq = 2")
    bad = runner.invoke(app, ["audit", "verify"])
    assert bad.exit_code == 1
    lines = bad.stderr.strip().splitlines()
    assert len(lines) == 1 and "audit record 2" in lines[0] and "missing" in lines[0]
    as_json = runner.invoke(app, ["audit", "verify", "--json"])
    assert as_json.exit_code == 1
    report = json.loads(as_json.stdout)
    assert report["ok"] is False and report["first_bad_seq"] == 2


def test_cli_verify_anchor(store):
    for i in range(3):
        audit.append(store, screening(i))
    seq, digest = audit.head(store)
    assert runner.invoke(app, ["audit", "verify", "--anchor", f"{seq}:{digest}"]).exit_code == 0
    wrong = runner.invoke(app, ["audit", "verify", "--anchor", f"{seq}:{'0' * 64}"])
    assert wrong.exit_code == 1 and f"audit record {seq}" in wrong.stderr
    assert runner.invoke(app, ["audit", "verify", "--anchor", "nonsense"]).exit_code == 2


def test_cli_export_is_audited(store, tmp_path):
    _three_days(store)
    out = tmp_path / "exam.csv"
    result = runner.invoke(
        app,
        ["audit", "export", "--from", "2026-03-02", "--to", "2026-03-03", "--format", "csv",
         "--out", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "exported 4 records" in result.stderr  # --to includes the whole day
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["seq"] for r in rows] == ["3", "4", "5", "6"]
    (record,) = audit.records(store, action="audit_export")
    assert record.payload["details"]["records"] == 4
    assert record.payload["details"]["head"].startswith("6:")
    assert verify(store).ok

    jsonl = runner.invoke(app, ["audit", "export", "--format", "jsonl"])
    assert jsonl.exit_code == 0
    assert [json.loads(x)["seq"] for x in jsonl.stdout.splitlines()] == list(range(1, 8))
    assert runner.invoke(app, ["audit", "export", "--from", "March"]).exit_code == 2
    assert runner.invoke(app, ["audit", "export", "--format", "xml"]).exit_code == 2


def test_cli_list(store):
    _three_days(store)
    result = runner.invoke(app, ["audit", "list", "--limit", "2", "--action", "screen", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [r["seq"] for r in rows] == [6, 4]
    assert rows[0]["action"] == "screen" and rows[0]["payload"]["threshold"] == 0.7
    table = runner.invoke(app, ["audit", "list"])
    assert table.exit_code == 0 and "key:onboarding" in table.stdout
