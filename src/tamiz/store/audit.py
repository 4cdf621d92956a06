"""The tamper-evident audit trail: an append-only hash chain of records in the database.

Every record stores the previous record's hash and its own hash over
``(seq, prev_hash, ts, actor, action, payload)``, so changing, deleting, inserting or reordering
a row breaks the chain at that row; ``verify`` walks it and names the first bad record.

Several processes, threads and API replicas append to one chain over one database. Appends are
serialised *by the database*, never by an in-process lock alone: every append transaction
first locks the single chain-head row (``audit_head``): ``SELECT ... FOR UPDATE`` on
PostgreSQL, ``BEGIN IMMEDIATE`` (the database write lock, taken up front) on SQLite. The head
row also records the last seq and hash written, which is how a truncated tail is noticed.

What a plain hash chain cannot prove: someone with write access to the database who rewrites
the tail *and* the head row consistently (or recomputes the whole chain) leaves a valid chain.
Anchors close that gap: note the head (``verify`` reports it; ``tamiz audit verify`` prints it)
somewhere outside the database, e.g. in the examiner's export receipt, and pass it back as
``anchors`` later; a chain that no longer contains that record with that hash fails.

Throughput: a single append is one short transaction. ``AuditWriter`` batches appends from
many request threads into one transaction (group commit), with back-pressure and no silent
loss, for an API that must keep up with hundreds of requests per second.

Hash recipe, for examiners who re-verify an export independently::

    sha256(utf8(canonical_json(["tamiz-audit/1", seq, prev_hash, ts, actor, action, payload])))

where ``canonical_json`` is JSON with sorted keys, no whitespace, non-ASCII kept as UTF-8,
``ts`` is ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC) and ``payload`` is the payload's canonical
JSON text (a string inside the array). The genesis ``prev_hash`` is 64 zeros.
"""

from __future__ import annotations

import atexit
import contextlib
import csv
import dataclasses
import datetime as dt
import enum
import getpass
import hashlib
import io
import json
import logging
import os
import queue
import re
import threading
import time
import uuid
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite

from tamiz.store.schema import AuditHeadRow, AuditRecordRow

if TYPE_CHECKING:
    from tamiz.store.lists import Store

log = logging.getLogger("tamiz.audit")

GENESIS_HASH = "0" * 64
HASH_VERSION = "tamiz-audit/1"
HEAD_ID = 1
QUERY_MODE_ENV = "TAMIZ_AUDIT_QUERY"
QUERY_MODES = ("full", "hash")
# Actions tamiz itself records; the set is open (any lower-case identifier is accepted).
ACTIONS = (
    "screen",
    "screen_file",
    "match",
    "search",
    "scan",
    "payment",
    "alert_decision",
    "list_update",
    "key_create",
    "key_revoke",
    "audit_export",
)
_ACTION = re.compile(r"^[a-z][a-z0-9_.]{0,39}$")
_ACTOR = re.compile(r"^[^\x00-\x1f\x7f]{1,200}$")
_PAGE = 2000


class AuditError(Exception):
    """The audit trail cannot record or read what was asked."""


class AuditBackpressure(AuditError):
    """The ``AuditWriter`` queue stayed full for the caller's whole timeout."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(ts: dt.datetime) -> dt.datetime:
    # SQLite hands back naive datetimes; everything tamiz writes is UTC.
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def format_ts(ts: dt.datetime) -> str:
    """The timestamp as hashed and exported: UTC with microseconds, ``...Z``."""
    return _utc(ts).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _json_default(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        return format_ts(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    raise TypeError(f"cannot record a {type(value).__name__} in the audit trail")


def canonical(data: Any) -> str:
    """Canonical JSON for hashing.

    Stricter than ``tamiz.model.canonical_json``: NaN/Infinity are refused (they are not JSON
    and would make a record unreadable elsewhere), and dates are written as ISO text.
    """
    return json.dumps(
        data,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=_json_default,
    )


def query_sha256(query: Any) -> str:
    """SHA-256 (hex) of the query's canonical JSON; a plain string ``s`` hashes as ``"s"``."""
    return hashlib.sha256(canonical(query).encode()).hexdigest()


def record_hash(seq: int, prev_hash: str, ts: str, actor: str, action: str, payload: str) -> str:
    material = canonical([HASH_VERSION, seq, prev_hash, ts, actor, action, payload])
    return hashlib.sha256(material.encode()).hexdigest()


def query_mode_from_env() -> str:
    """``full`` (default) stores queries; ``hash`` stores only their SHA-256."""
    mode = (os.environ.get(QUERY_MODE_ENV) or "full").strip().lower()
    if mode not in QUERY_MODES:
        raise AuditError(f"{QUERY_MODE_ENV}={mode!r}: use one of {', '.join(QUERY_MODES)}")
    return mode


def local_actor() -> str:
    """The actor for local (CLI) use: ``user:<login>``. API requests use ``key:<name>``."""
    try:
        return f"user:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (e.g. a container uid without passwd entry)
        return f"uid:{os.getuid()}"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """What a caller records. ``ts`` is the time of the event, set when the entry is made.

    ``datasets`` maps each dataset used to its active snapshot id; ``results`` should be
    compact, e.g. ``[{"id": "us_ofac_sdn:22790", "score": 0.93, "match": True}]``.
    """

    action: str
    actor: str
    query: Any = None
    datasets: Mapping[str, str | None] | None = None
    threshold: float | None = None
    algorithm: str | None = None
    results: Sequence[Mapping[str, Any]] | None = None
    details: Mapping[str, Any] | None = None
    ts: dt.datetime = field(default_factory=_now)

    def payload(self, query_mode: str = "full") -> str:
        """The canonical JSON payload; raises AuditError for anything that cannot be stored."""
        if query_mode not in QUERY_MODES:
            raise AuditError(f"unknown audit query mode {query_mode!r}")
        try:
            return self._payload(query_mode)
        except UnicodeEncodeError:
            # e.g. a lone surrogate from a JSON "\ud800" escape: neither hashable nor storable
            raise AuditError(
                f"audit record for {self.action!r} contains invalid Unicode (a lone surrogate)"
            ) from None
        except (TypeError, ValueError) as exc:
            raise AuditError(f"audit record for {self.action!r}: {exc}") from exc

    def _payload(self, query_mode: str) -> str:
        data: dict[str, Any] = {}
        if self.query is not None:
            data["query_sha256"] = query_sha256(self.query)
            if query_mode == "full":
                data["query"] = self.query
        if self.datasets is not None:
            data["datasets"] = dict(self.datasets)
        if self.threshold is not None:
            data["threshold"] = self.threshold
        if self.algorithm is not None:
            data["algorithm"] = self.algorithm
        if self.results is not None:
            data["results"] = list(self.results)
        if self.details:
            data["details"] = dict(self.details)
        text = canonical(data)
        text.encode("utf-8")  # the query may be absent (hash mode) but must still be valid
        return text


def _utf8_ok(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


@dataclass(frozen=True, slots=True)
class PreparedEntry:
    """An entry validated and serialised, ready to be chained (done in the caller's thread)."""

    ts: dt.datetime
    actor: str
    action: str
    payload: str

    @classmethod
    def of(cls, entry: AuditEntry, query_mode: str) -> PreparedEntry:
        if not _ACTION.match(entry.action):
            raise AuditError(f"invalid audit action {entry.action!r}")
        if not _ACTOR.match(entry.actor or "") or not _utf8_ok(entry.actor):
            raise AuditError(
                f"audit actor must be 1-200 characters without control characters: {entry.actor!r}"
            )
        # Everything the database would refuse is refused here, in the caller's thread: a
        # record that can never be written would stall every record queued behind it.
        return cls(_utc(entry.ts), entry.actor, entry.action, entry.payload(query_mode))


@dataclass(frozen=True, slots=True)
class AuditReceipt:
    """Where an entry landed in the chain."""

    seq: int
    hash: str
    ts: dt.datetime


@dataclass(frozen=True, slots=True)
class AuditRecord:
    seq: int
    ts: dt.datetime
    actor: str
    action: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": format_ts(self.ts),
            "actor": self.actor,
            "action": self.action,
            "payload": self.payload,
            "prev_hash": self.prev_hash,
            "hash": self.hash,
        }


@dataclass(frozen=True, slots=True)
class VerifyReport:
    ok: bool
    records: int  # records checked
    first_bad_seq: int | None = None
    problem: str | None = None
    last_seq: int = 0
    last_hash: str = GENESIS_HASH
    head_seq: int | None = None
    head_hash: str | None = None

    def summary(self) -> str:
        if self.ok:
            return (
                f"audit trail intact: {self.records} records, head {self.last_seq}:{self.last_hash}"
            )
        return f"audit record {self.first_bad_seq}: {self.problem}"

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


# -- appending ----------------------------------------------------------------------------


class ChainTransaction:
    """An open transaction holding the chain lock; see ``chain_transaction``."""

    def __init__(self, conn: Connection, seq: int, head_hash: str, query_mode: str) -> None:
        self.connection = conn
        self.seq = seq
        self.hash = head_hash
        self.query_mode = query_mode
        self._dirty = False

    def append(self, entry: AuditEntry) -> AuditReceipt:
        return self.append_prepared([PreparedEntry.of(entry, self.query_mode)])[0]

    def append_prepared(self, entries: Sequence[PreparedEntry]) -> list[AuditReceipt]:
        rows, receipts, seq, prev = _link(self.seq, self.hash, entries)
        if rows:
            values = [dict(zip(_RECORD_COLUMNS, row, strict=True)) for row in rows]
            self.connection.execute(insert(AuditRecordRow), values)
            self.seq, self.hash, self._dirty = seq, prev, True
        return receipts


_RECORD_COLUMNS = ("seq", "ts", "actor", "action", "payload", "prev_hash", "hash")


def _link(
    seq: int, prev: str, entries: Sequence[PreparedEntry]
) -> tuple[list[tuple[Any, ...]], list[AuditReceipt], int, str]:
    """Chain ``entries`` behind (seq, prev): the rows (in ``_RECORD_COLUMNS`` order), the
    receipts, and the new head."""
    rows, receipts = [], []
    for e in entries:
        seq += 1
        digest = record_hash(seq, prev, format_ts(e.ts), e.actor, e.action, e.payload)
        rows.append((seq, e.ts, e.actor, e.action, e.payload, prev, digest))
        receipts.append(AuditReceipt(seq, digest, e.ts))
        prev = digest
    return rows, receipts, seq, prev


def _lock_head(conn: Connection) -> tuple[int, str]:
    head = select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID)
    row = conn.execute(head.with_for_update()).first()
    if row is not None:
        return row.seq, row.hash
    # Only a database created without the migration's head row gets here.
    if conn.execute(select(func.count()).select_from(AuditRecordRow)).scalar_one():
        raise AuditError(
            "the audit chain head row is missing although records exist; "
            "the trail has been tampered with (run `tamiz audit verify`)"
        )
    values = {"id": HEAD_ID, "seq": 0, "hash": GENESIS_HASH, "updated_at": _now()}
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    conn.execute(dialect.insert(AuditHeadRow).values(values).on_conflict_do_nothing())
    row = conn.execute(head.with_for_update()).one()
    return row.seq, row.hash


@contextmanager
def chain_transaction(store: Store, *, query_mode: str | None = None) -> Iterator[ChainTransaction]:
    """A transaction that holds the chain lock; commit on normal exit, roll back otherwise.

    Other writes made through ``tx.connection`` commit atomically with the records appended
    (key creation and its ``key_create`` record, an alert decision and its record...). Keep
    it short: every appender in every process waits for it.
    """
    mode = query_mode or query_mode_from_env()
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            # Take SQLite's write lock now (busy_timeout waits for it); a deferred BEGIN would
            # read the head first and fail to upgrade to a writer under contention.
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            seq, head_hash = _lock_head(conn)
            tx = ChainTransaction(conn, seq, head_hash, mode)
            yield tx
            if tx._dirty:
                conn.execute(
                    update(AuditHeadRow)
                    .where(AuditHeadRow.id == HEAD_ID)
                    .values(seq=tx.seq, hash=tx.hash, updated_at=_now())
                )
            conn.commit()
        except BaseException:
            conn.rollback()
            raise


def append(store: Store, entry: AuditEntry, *, query_mode: str | None = None) -> AuditReceipt:
    """Append one record in its own transaction (fine for the CLI; the API uses AuditWriter)."""
    return append_many(store, [entry], query_mode=query_mode)[0]


def append_many(
    store: Store, entries: Sequence[AuditEntry], *, query_mode: str | None = None
) -> list[AuditReceipt]:
    mode = query_mode or query_mode_from_env()
    prepared = [PreparedEntry.of(e, mode) for e in entries]
    with chain_transaction(store, query_mode=mode) as tx:
        return tx.append_prepared(prepared)


class DirectChain:
    """The chain transaction of ``chain_transaction`` on a connection of its own, in plain SQL.

    For a writer that appends hundreds of batches a second (``AuditWriter``): the SQL is
    written once and run on the DBAPI connection, so a batch costs no statement building,
    compiling or cache-key generation, no pool checkout and no liveness ping (the
    connection is held; one that fails is discarded and the next batch opens another).
    The locking is the same as ``chain_transaction``'s, so both kinds of appender, in any
    process or replica, share one chain: ``BEGIN IMMEDIATE`` on SQLite, ``SELECT ... FOR
    UPDATE`` of the head row on PostgreSQL (statements that psycopg prepares server-side
    after a few uses).

    On SQLite the connection commits with ``synchronous=FULL``: the WAL is fsynced once
    per batch, so a receipt handed out survives a power loss, not only a crash of the
    process (the rest of tamiz keeps WAL's ``NORMAL``).

    Not thread-safe: one per writer thread.
    """

    def __init__(self, store: Store) -> None:
        self.engine = store.engine
        dialect = self.engine.dialect
        self.sqlite = dialect.name == "sqlite"
        if dialect.name not in ("sqlite", "postgresql"):
            raise AuditError(f"no direct audit path for {dialect.name}")
        ts_type = AuditRecordRow.__table__.c.ts.type.dialect_impl(dialect)
        self._ts = ts_type.bind_processor(dialect) or (lambda value: value)
        mark = "?" if dialect.paramstyle == "qmark" else "%s"
        records, head = AuditRecordRow.__tablename__, AuditHeadRow.__tablename__
        self._select_head = f"SELECT seq, hash FROM {head} WHERE id = {HEAD_ID}" + (
            "" if self.sqlite else " FOR UPDATE"
        )
        self._insert = (
            f"INSERT INTO {records} ({', '.join(_RECORD_COLUMNS)}) "
            f"VALUES ({', '.join([mark] * len(_RECORD_COLUMNS))})"
        )
        self._move_head = (
            f"UPDATE {head} SET seq = {mark}, hash = {mark}, updated_at = {mark} "
            f"WHERE id = {HEAD_ID}"
        )
        self._raw: Any = None  # the DBAPI connection (sqlite3 or psycopg)

    def _connection(self) -> Any:
        if self._raw is None:
            proxy = self.engine.raw_connection()
            # Out of the pool: it keeps its own settings, and closing it really closes it.
            proxy.detach()
            raw = proxy.dbapi_connection
            if self.sqlite:
                cursor = raw.cursor()
                cursor.execute("PRAGMA synchronous=FULL")
                cursor.close()
            self._raw = raw
        return self._raw

    def close(self) -> None:
        raw, self._raw = self._raw, None
        if raw is not None:
            with contextlib.suppress(Exception):
                raw.close()

    def append(self, entries: Sequence[PreparedEntry]) -> list[AuditReceipt] | None:
        """Chain and commit ``entries`` in one transaction; their receipts.

        None when the head row does not exist yet (a database made without the migration):
        ``chain_transaction`` creates it.
        """
        raw = self._connection()
        try:
            cursor = raw.cursor()
            try:
                if self.sqlite:
                    cursor.execute("BEGIN IMMEDIATE")
                cursor.execute(self._select_head)
                head = cursor.fetchone()
                if head is None:
                    raw.rollback()
                    return None
                rows, receipts, seq, prev = _link(head[0], head[1], entries)
                ts = self._ts
                cursor.executemany(self._insert, [(r[0], ts(r[1]), *r[2:]) for r in rows])
                cursor.execute(self._move_head, (seq, prev, ts(_now())))
                raw.commit()
                return receipts
            finally:
                cursor.close()
        except BaseException:
            # The connection may be broken (server restart, network): never reuse it. Closing
            # it also ends (rolls back) the transaction if one is still open.
            self.close()
            raise


# -- group commit -------------------------------------------------------------------------

_STOP = object()


class AuditWriter:
    """Batches appends from many threads into one transaction per batch (group commit).

    ``submit`` validates and serialises the entry in the caller's thread, queues it and
    returns a ``Future`` resolving to its ``AuditReceipt`` once committed; ``append(...,
    wait=True)`` blocks for that. Fire-and-forget callers ignore the future. The queue is
    bounded: when the database falls behind, ``submit`` blocks (back-pressure) and raises
    ``AuditBackpressure`` after ``timeout`` seconds, so a caller learns it could not record
    rather than losing the record.

    Failed batches are retried with back-off, in order, never dropped; ``healthy`` and
    ``last_error`` tell a readiness probe. ``close`` (also run at exit) drains the queue; what
    still cannot be written by its deadline is spilled to a JSON-lines file under
    ``TAMIZ_HOME/audit-spill/`` (logged as an error) for ``replay_spill``.

    Batches: the writer takes what is queued when it wakes, plus what arrives within
    ``linger`` seconds (0: nothing more), and commits it through a ``DirectChain`` (its own
    connection, SQL written once). Records that arrive while a batch commits make up the
    next batch, so under load batches grow by themselves; ``linger`` only trades a little
    latency for fewer commits when records trickle in.

    Create the writer in each process after any fork (e.g. in the API's startup hook).
    """

    def __init__(
        self,
        store: Store,
        *,
        max_batch: int = 500,
        max_pending: int = 10_000,
        query_mode: str | None = None,
        max_retry_delay: float = 5.0,
        linger: float = 0.0,
    ) -> None:
        self.store = store
        self.query_mode = query_mode or query_mode_from_env()
        self.max_batch = max_batch
        self.linger = linger
        self._direct: DirectChain | None = None
        self.max_retry_delay = max_retry_delay
        self.healthy = True
        self.last_error: BaseException | None = None
        self.batches = 0  # committed transactions, for tests and metrics
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=max_pending)
        self._submit_lock = threading.Lock()
        self._closed = False
        self._deadline: float | None = None  # set by close(): stop retrying after it
        self._last: Future[AuditReceipt] | None = None
        self._spilled: Path | None = None
        self._thread = threading.Thread(target=self._run, name="tamiz-audit-writer", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    @property
    def pending(self) -> int:
        return self._queue.qsize()

    def submit(self, entry: AuditEntry, *, timeout: float | None = None) -> Future[AuditReceipt]:
        prepared = PreparedEntry.of(entry, self.query_mode)
        future: Future[AuditReceipt] = Future()
        future.set_running_or_notify_cancel()  # a caller cannot cancel a queued record
        # The lock keeps queue order equal to the order of ``_last`` (what flush waits on).
        with self._submit_lock:
            if self._closed:
                raise AuditError("the audit writer is closed")
            try:
                self._queue.put((prepared, future), timeout=timeout)
            except queue.Full:
                raise AuditBackpressure(
                    f"audit queue full ({self._queue.maxsize} records pending) for {timeout}s; "
                    f"the database is not keeping up"
                    + (f": {self.last_error}" if self.last_error else "")
                ) from None
            self._last = future
        return future

    def append(
        self, entry: AuditEntry, *, wait: bool = True, timeout: float | None = None
    ) -> AuditReceipt | None:
        future = self.submit(entry, timeout=timeout)
        return future.result(timeout) if wait else None

    def flush(self, timeout: float | None = None) -> None:
        """Wait until everything submitted so far is committed (FIFO: the last one is enough)."""
        last = self._last
        if last is not None:
            last.exception(timeout)  # waits; a failure is reported on its own future

    def close(self, timeout: float = 30.0) -> Path | None:
        """Write what is queued, stop the thread; return the spill file if one was needed."""
        with self._submit_lock:
            if self._closed:
                return self._spilled
            self._closed = True
            self._deadline = time.monotonic() + timeout
        atexit.unregister(self.close)
        # If the queue is full, the worker drains it (or spills it once the deadline passes).
        with contextlib.suppress(queue.Full):
            self._queue.put(_STOP, timeout=timeout)
        self._thread.join(timeout + 5.0)
        if self._thread.is_alive():
            log.error("audit writer still busy after %.0fs; %d queued", timeout, self.pending)
        return self._spilled

    def __enter__(self) -> AuditWriter:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # The worker thread ------------------------------------------------------------------

    def _run(self) -> None:
        try:
            self._loop()
        finally:
            if self._direct is not None:
                self._direct.close()

    def _loop(self) -> None:
        stopping = False
        while not stopping:
            item = self._queue.get()
            if item is _STOP:
                break
            batch = [item]
            until = None
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    if self.linger <= 0:
                        break
                    now = time.monotonic()
                    until = until or now + self.linger
                    try:
                        item = self._queue.get(timeout=until - now) if until > now else None
                    except queue.Empty:
                        item = None
                    if item is None:
                        break
                if item is _STOP:
                    stopping = True
                    break
                batch.append(item)
            if not self._write(batch):
                # Past the close deadline with the database still failing: spill this batch
                # and everything behind it rather than lose it.
                rest = [] if stopping else self._drain()
                self._spill(batch + rest)
                return

    def _drain(self) -> list[Any]:
        items = []
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return items
            if item is not _STOP:
                items.append(item)

    def _write(self, batch: list[tuple[PreparedEntry, Future[AuditReceipt]]]) -> bool:
        delay = 0.05
        entries = [entry for entry, _ in batch]
        while True:
            try:
                receipts = self._commit(entries)
            except Exception as exc:
                self.healthy, self.last_error = False, exc
                if self._deadline is not None and time.monotonic() >= self._deadline:
                    return False
                log.warning("audit append of %d records failed, retrying: %s", len(batch), exc)
                time.sleep(delay)
                delay = min(delay * 2, self.max_retry_delay)
                continue
            self.healthy, self.last_error = True, None
            self.batches += 1
            for (_, future), receipt in zip(batch, receipts, strict=True):
                future.set_result(receipt)
            return True

    def _commit(self, entries: list[PreparedEntry]) -> list[AuditReceipt]:
        """One transaction: on the direct path when the database has one, else (or when the
        head row is still to be created) through ``chain_transaction``."""
        if self._direct is None and self.store.engine.dialect.name in ("sqlite", "postgresql"):
            self._direct = DirectChain(self.store)
        if self._direct is not None:
            receipts = self._direct.append(entries)
            if receipts is not None:
                return receipts
        with chain_transaction(self.store, query_mode=self.query_mode) as tx:
            return tx.append_prepared(entries)

    def _spill(self, items: list[tuple[PreparedEntry, Future[AuditReceipt]]]) -> None:
        if not items:
            return
        folder = self.store.settings.home / "audit-spill"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = _now().strftime("%Y%m%dT%H%M%S")
        path = folder / f"{stamp}-{os.getpid()}-{uuid.uuid4().hex[:6]}.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for entry, _ in items:
                line = {
                    "ts": format_ts(entry.ts),
                    "actor": entry.actor,
                    "action": entry.action,
                    "payload": entry.payload,
                }
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
            out.flush()
            os.fsync(out.fileno())
        error = AuditError(f"audit database unavailable; {len(items)} records spilled to {path}")
        for _, future in items:
            future.set_exception(error)
        self._spilled = path
        log.error("%s (last error: %s); replay it with replay_spill()", error, self.last_error)


def replay_spill(store: Store, path: Path) -> int:
    """Append the records of a spill file (original timestamps kept); rename it ``.replayed``."""
    entries = []
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            try:
                item = json.loads(line)
                ts = dt.datetime.strptime(item["ts"], "%Y-%m-%dT%H:%M:%S.%fZ")
                entries.append(
                    PreparedEntry(_utc(ts), item["actor"], item["action"], item["payload"])
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise AuditError(f"{path}:{number}: not an audit spill record: {exc}") from exc
    with chain_transaction(store) as tx:
        tx.append_prepared(entries)
    path.rename(path.with_suffix(".replayed"))
    return len(entries)


# -- reading ------------------------------------------------------------------------------


def _record(row: Any) -> AuditRecord:
    return AuditRecord(
        seq=row.seq,
        ts=_utc(row.ts),
        actor=row.actor,
        action=row.action,
        payload=json.loads(row.payload),
        prev_hash=row.prev_hash,
        hash=row.hash,
    )


def _iter_rows(
    store: Store,
    *,
    conn: Connection | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    action: str | None = None,
) -> Iterator[Any]:
    """Rows in seq order, paged by seq (keyset), on ``conn`` or a fresh connection per page
    so that a slow reader of an export holds no transaction open."""
    after = None
    while True:
        query = select(AuditRecordRow).order_by(AuditRecordRow.seq).limit(_PAGE)
        if after is not None:
            query = query.where(AuditRecordRow.seq > after)
        if since is not None:
            query = query.where(AuditRecordRow.ts >= _utc(since))
        if until is not None:
            query = query.where(AuditRecordRow.ts < _utc(until))
        if action is not None:
            query = query.where(AuditRecordRow.action == action)
        if conn is None:
            with store.engine.connect() as page_conn:
                rows = page_conn.execute(query).all()
        else:
            rows = conn.execute(query).all()
        yield from rows
        if len(rows) < _PAGE:
            return
        after = rows[-1].seq


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """A read transaction that sees one consistent state, so appends made while ``verify``
    runs are neither half-seen nor mistaken for records written behind the head."""
    with store.engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")  # WAL: the first read fixes the snapshot
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()


def records(
    store: Store,
    *,
    limit: int = 50,
    action: str | None = None,
    actor: str | None = None,
    before_seq: int | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
) -> list[AuditRecord]:
    """The newest records first (page backwards with ``before_seq``)."""
    query = select(AuditRecordRow).order_by(AuditRecordRow.seq.desc()).limit(max(0, limit))
    if action is not None:
        query = query.where(AuditRecordRow.action == action)
    if actor is not None:
        query = query.where(AuditRecordRow.actor == actor)
    if before_seq is not None:
        query = query.where(AuditRecordRow.seq < before_seq)
    if since is not None:
        query = query.where(AuditRecordRow.ts >= _utc(since))
    if until is not None:
        query = query.where(AuditRecordRow.ts < _utc(until))
    with store.engine.connect() as conn:
        return [_record(row) for row in conn.execute(query)]


def _read_head(conn: Connection) -> tuple[int, str] | None:
    row = conn.execute(
        select(AuditHeadRow.seq, AuditHeadRow.hash).where(AuditHeadRow.id == HEAD_ID)
    ).first()
    return (row.seq, row.hash) if row else None


def head(store: Store) -> tuple[int, str] | None:
    """The chain head as recorded (seq, hash): what to write down as an anchor."""
    with store.engine.connect() as conn:
        return _read_head(conn)


def verify(store: Store, *, anchors: Mapping[int, str] | None = None) -> VerifyReport:
    """Recompute the whole chain; report the first bad record, or that it is intact.

    Detected: a changed row (its hash no longer matches), a deleted row (a gap in seq), an
    inserted or reordered row (the previous-hash link breaks), a deleted tail (the head row
    is ahead of the last record), rows added behind tamiz's back after the head. Not detected
    without ``anchors`` ({seq: hash} noted earlier): a consistent rewrite of the tail together
    with the head row, or of the whole chain.
    """
    with _snapshot(store) as conn:
        return _verify(store, conn, dict(anchors or {}))


def _verify(store: Store, conn: Connection, anchors: dict[int, str]) -> VerifyReport:
    head_row = _read_head(conn)
    head_seq, head_hash = head_row if head_row else (None, None)
    expected, prev, count = 1, GENESIS_HASH, 0

    def bad(seq: int | None, problem: str) -> VerifyReport:
        return VerifyReport(False, count, seq, problem, expected - 1, prev, head_seq, head_hash)

    for row in _iter_rows(store, conn=conn):
        if row.seq != expected:
            if row.seq < expected:
                return bad(row.seq, f"out of sequence (expected {expected})")
            missing = (
                f"record {expected} is missing"
                if row.seq == expected + 1
                else f"records {expected}-{row.seq - 1} are missing"
            )
            return bad(expected, f"{missing} (deleted); the chain resumes at {row.seq}")
        if row.prev_hash != prev:
            return bad(
                row.seq,
                "link to the previous record is broken: records were reordered or inserted, "
                f"or record {row.seq - 1} was altered and re-hashed",
            )
        digest = record_hash(
            row.seq, row.prev_hash, format_ts(row.ts), row.actor, row.action, row.payload
        )
        if digest != row.hash:
            return bad(row.seq, "content does not match its hash (changed after it was written)")
        if row.seq in anchors and anchors.pop(row.seq) != row.hash:
            return bad(row.seq, "hash differs from the anchor noted earlier (chain rewritten)")
        prev, expected, count = row.hash, expected + 1, count + 1

    last = expected - 1
    if head_seq is None:
        if count:
            return bad(None, "the chain head row is missing")
    elif head_seq > last:
        span = (
            f"record {last + 1} is"
            if head_seq == last + 1
            else f"records {last + 1}-{head_seq} are"
        )
        return bad(
            last + 1,
            f"{span} missing: the chain head says {head_seq} records were written but the "
            f"last stored one is {last} (the tail was deleted)",
        )
    elif head_seq < last:
        return bad(
            head_seq + 1,
            f"beyond the chain head ({head_seq}): added outside tamiz, or the head was rolled back",
        )
    elif head_hash != prev:
        return bad(last, "does not match the chain head's hash (the tail was rewritten)")
    if anchors:
        return bad(min(anchors), "anchored record is missing (the chain was truncated below it)")
    return VerifyReport(True, count, None, None, last, prev, head_seq, head_hash)


# -- export -------------------------------------------------------------------------------

CSV_COLUMNS = (
    "seq",
    "ts",
    "actor",
    "action",
    "query",
    "query_sha256",
    "datasets",
    "threshold",
    "algorithm",
    "results",
    "details",
    "prev_hash",
    "hash",
)


def export(
    store: Store,
    from_: dt.datetime | None = None,
    to: dt.datetime | None = None,
    fmt: str = "jsonl",
    *,
    action: str | None = None,
) -> Iterator[str]:
    """Records with ``from_ <= ts < to`` as text lines (``jsonl`` or ``csv``), streamed.

    JSON lines carry the payload as an object plus ``prev_hash``/``hash``, so an examiner
    can re-verify the exported stretch of chain (see the module docstring for the recipe).
    CSV flattens the payload into columns; nested values are JSON text.
    """
    if fmt not in ("jsonl", "csv"):
        raise AuditError(f"unknown export format {fmt!r}: use jsonl or csv")
    rows = _iter_rows(store, since=from_, until=to, action=action)
    if fmt == "jsonl":
        for row in rows:
            yield json.dumps(_record(row).to_dict(), ensure_ascii=False) + "\n"
        return
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield take()
    for row in rows:
        record = _record(row)
        p = record.payload

        def cell(key: str, p: dict[str, Any] = p) -> str:
            value = p.get(key)
            if value is None:
                return ""
            return value if isinstance(value, str) else canonical(value)

        writer.writerow(
            [
                record.seq,
                format_ts(record.ts),
                record.actor,
                record.action,
                cell("query"),
                cell("query_sha256"),
                cell("datasets"),
                cell("threshold"),
                cell("algorithm"),
                cell("results"),
                cell("details"),
                record.prev_hash,
                record.hash,
            ]
        )
        yield take()
