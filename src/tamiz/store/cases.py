"""Persistence of monitoring and case work: books, monitored parties, alerts, their history,
monitoring runs, webhook outbox and the daily summary.

Alert life cycle (``STATUSES``)::

    (new match) -> open -> escalated -> pending_true_match -> true_match
                     \\---------\\-------------> false_positive  (accept list)
    open / escalated / pending_true_match -> closed   (list entry removed, party removed,
                                                       or no longer matching)
    false_positive -> open, changed   (party data or list entry changed and still matching)
    closed -> open, changed           (matching again)

Every write that touches alerts runs inside :func:`tamiz.store.audit.chain_transaction`,
which holds the audit chain's lock: a monitoring run and an analyst's decision on the same
alert are therefore serialised (the run re-reads the alerts it may touch under that lock),
and the alert changes commit atomically with their audit record.

Four-eyes: with four-eyes on for a book (or globally via ``TAMIZ_FOUR_EYES=1``), a
``true_match`` decision by analyst A moves the alert to ``pending_true_match`` (A is kept in
``pending_by``); a later ``true_match`` decision by a different analyst B confirms it. A
cannot confirm their own proposal; any other decision by anyone replaces the proposal.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import os
from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, and_, bindparam, func, insert, select, update

from tamiz.model import Entity, canonical_json, entity_from_dict
from tamiz.store.audit import AuditEntry, chain_transaction, local_actor
from tamiz.store.lists import Store, StoreError
from tamiz.store.schema import (
    ActivationRow,
    AlertEventRow,
    AlertRow,
    EntityVersionRow,
    MonitorBookRow,
    MonitoredPartyRow,
    MonitorRunRow,
    SnapshotEntityRow,
    SnapshotRow,
    WebhookAttemptRow,
    WebhookDeliveryRow,
)

OPEN = "open"
ESCALATED = "escalated"
PENDING_TRUE_MATCH = "pending_true_match"
TRUE_MATCH = "true_match"
FALSE_POSITIVE = "false_positive"
CLOSED = "closed"
STATUSES = (OPEN, ESCALATED, PENDING_TRUE_MATCH, TRUE_MATCH, FALSE_POSITIVE, CLOSED)
BACKLOG = (OPEN, ESCALATED, PENDING_TRUE_MATCH)  # waiting for an analyst
DECISIONS = (ESCALATED, FALSE_POSITIVE, TRUE_MATCH)  # what an analyst may decide
SYSTEM = "system"
DEFAULT_BOOK = "default"
FOUR_EYES_ENV = "TAMIZ_FOUR_EYES"
_CHUNK = 900  # stay under SQLite's bound-parameter limit


class CaseError(StoreError):
    """A case-management request that cannot be carried out (unknown alert, bad decision)."""


class FourEyesError(CaseError):
    """A true-match confirmation by the analyst who proposed it."""


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _utc(ts: dt.datetime | None) -> dt.datetime | None:
    if ts is None:
        return None
    return ts.replace(tzinfo=dt.UTC) if ts.tzinfo is None else ts.astimezone(dt.UTC)


def _chunks(items: Sequence[Any], size: int = _CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def fingerprint(query: Mapping[str, Any]) -> str:
    """sha256 of the canonical JSON of a party's screening-relevant data."""
    return hashlib.sha256(canonical_json(dict(query)).encode()).hexdigest()


def four_eyes_default() -> bool:
    return (os.environ.get(FOUR_EYES_ENV) or "").strip().lower() in ("1", "true", "yes", "on")


# -- books --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Book:
    name: str
    include_topics: tuple[str, ...] = ()
    exclude_topics: tuple[str, ...] = ()
    datasets: tuple[str, ...] = ()
    threshold: float | None = None
    four_eyes: bool | None = None
    parties: int = 0

    @property
    def effective_four_eyes(self) -> bool:
        return four_eyes_default() if self.four_eyes is None else self.four_eyes

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "include_topics": list(self.include_topics),
            "exclude_topics": list(self.exclude_topics),
            "datasets": list(self.datasets),
            "threshold": self.threshold,
            "four_eyes": self.four_eyes,
            "effective_four_eyes": self.effective_four_eyes,
            "parties": self.parties,
        }


def _split(text: str | None) -> tuple[str, ...]:
    return tuple(text.split()) if text else ()


def _join(values: Iterable[str] | None) -> str | None:
    cleaned = list(dict.fromkeys(v.strip() for v in values or () if v and v.strip()))
    return " ".join(cleaned) or None


def _book(row: MonitorBookRow, parties: int = 0) -> Book:
    return Book(
        name=row.name,
        include_topics=_split(row.include_topics),
        exclude_topics=_split(row.exclude_topics),
        datasets=_split(row.datasets),
        threshold=row.threshold,
        four_eyes=row.four_eyes,
        parties=parties,
    )


def _check_book_name(name: str) -> str:
    name = (name or "").strip()
    if not name or len(name) > 100 or any(ord(c) < 32 for c in name):
        raise CaseError(f"invalid book name {name!r}: 1-100 printable characters")
    return name


def _ensure_book(conn: Connection, name: str) -> None:
    if conn.execute(select(MonitorBookRow.name).where(MonitorBookRow.name == name)).first():
        return
    now = _now()
    conn.execute(insert(MonitorBookRow).values(name=name, created_at=now, updated_at=now))


_UNSET: Any = object()


def configure_book(
    store: Store,
    name: str,
    *,
    include_topics: Iterable[str] | None = _UNSET,
    exclude_topics: Iterable[str] | None = _UNSET,
    datasets: Iterable[str] | None = _UNSET,
    threshold: float | None = _UNSET,
    four_eyes: bool | None = _UNSET,
) -> Book:
    """Create a book or change its settings; arguments left out keep their value."""
    name = _check_book_name(name)
    if threshold is not _UNSET and threshold is not None and not 0.0 < threshold <= 1.0:
        raise CaseError(f"threshold {threshold} is outside (0, 1]")
    values: dict[str, Any] = {}
    if include_topics is not _UNSET:
        values["include_topics"] = _join(include_topics)
    if exclude_topics is not _UNSET:
        values["exclude_topics"] = _join(exclude_topics)
    if datasets is not _UNSET:
        values["datasets"] = _join(datasets)
    if threshold is not _UNSET:
        values["threshold"] = threshold
    if four_eyes is not _UNSET:
        values["four_eyes"] = four_eyes
    with store.engine.begin() as conn:
        _ensure_book(conn, name)
        if values:
            conn.execute(
                update(MonitorBookRow)
                .where(MonitorBookRow.name == name)
                .values(**values, updated_at=_now())
            )
    return book(store, name)


def books(store: Store) -> list[Book]:
    with store.session() as s:
        counts = dict(
            s.execute(
                select(MonitoredPartyRow.book, func.count())
                .where(MonitoredPartyRow.active.is_(True))
                .group_by(MonitoredPartyRow.book)
            ).all()
        )
        rows = s.scalars(select(MonitorBookRow).order_by(MonitorBookRow.name))
        return [_book(r, counts.get(r.name, 0)) for r in rows]


def book(store: Store, name: str) -> Book:
    for b in books(store):
        if b.name == name:
            return b
    raise CaseError(f"no book {name!r}")


# -- parties ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PartyInput:
    """A party as the screening layer hands it over: the caller's id, the query as a dict
    (``Query.to_dict()``), and the original record for display."""

    party_id: str
    query: Mapping[str, Any]
    record: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Party:
    pk: int
    book: str
    party_id: str
    query: dict[str, Any]
    fingerprint: str
    active: bool = True
    record: dict[str, Any] | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "book": self.book,
            "party_id": self.party_id,
            "query": self.query,
            "fingerprint": self.fingerprint,
            "active": self.active,
            "record": self.record,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }


@dataclass(slots=True)
class UpsertResult:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reactivated: int = 0
    reopened: int = 0
    # parties whose screening data is new or changed: the ones to screen now
    to_screen: list[int] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "reactivated": self.reactivated,
            "reopened": self.reopened,
        }


def upsert_parties(
    store: Store, book_name: str, parties: Iterable[PartyInput], *, actor: str | None = None
) -> UpsertResult:
    """Add parties to a book; a known party id is updated in place.

    A party whose screening data changed re-opens its ``false_positive`` alerts flagged
    ``changed`` (the accept list holds only for the data that was cleared).
    """
    book_name = _check_book_name(book_name)
    incoming: dict[str, PartyInput] = {}
    for p in parties:
        pid = str(p.party_id).strip()
        if not pid or len(pid) > 200:
            raise CaseError(f"invalid party id {p.party_id!r}: 1-200 characters")
        incoming[pid] = dataclasses.replace(p, party_id=pid)  # the last row of an id wins
    result = UpsertResult()
    now = _now()
    with chain_transaction(store) as tx:
        conn = tx.connection
        _ensure_book(conn, book_name)
        known = {
            r.party_id: r
            for r in conn.execute(
                select(
                    MonitoredPartyRow.id,
                    MonitoredPartyRow.party_id,
                    MonitoredPartyRow.fingerprint,
                    MonitoredPartyRow.active,
                ).where(MonitoredPartyRow.book == book_name)
            )
        }
        new_rows, changed_rows, changed_pks = [], [], []
        for pid, p in incoming.items():
            query_text = canonical_json(dict(p.query))
            fp = hashlib.sha256(query_text.encode()).hexdigest()
            record = canonical_json(dict(p.record)) if p.record is not None else None
            old = known.get(pid)
            if old is None:
                new_rows.append(
                    {
                        "book": book_name,
                        "party_id": pid,
                        "query": query_text,
                        "record": record,
                        "fingerprint": fp,
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                continue
            if old.fingerprint == fp and old.active:
                result.unchanged += 1
                continue
            if old.fingerprint != fp:
                result.updated += 1
                changed_pks.append(old.id)
            if not old.active:
                result.reactivated += 1
            result.to_screen.append(old.id)
            changed_rows.append(
                {
                    "pk": old.id,
                    "query": query_text,
                    "record": record,
                    "fingerprint": fp,
                    "active": True,
                    "updated_at": now,
                }
            )
        if new_rows:
            for chunk in _chunks(new_rows, 5000):
                conn.execute(insert(MonitoredPartyRow), list(chunk))
            result.added = len(new_rows)
            ids = dict(
                conn.execute(
                    select(MonitoredPartyRow.party_id, MonitoredPartyRow.id).where(
                        MonitoredPartyRow.book == book_name
                    )
                ).all()
            )
            result.to_screen.extend(ids[r["party_id"]] for r in new_rows)
        if changed_rows:
            conn.execute(
                update(MonitoredPartyRow)
                .where(MonitoredPartyRow.id == bindparam("pk"))
                .values(
                    query=bindparam("query"),
                    record=bindparam("record"),
                    fingerprint=bindparam("fingerprint"),
                    active=bindparam("active"),
                    updated_at=bindparam("updated_at"),
                ),
                changed_rows,
            )
        reopened = []
        for chunk in _chunks(changed_pks):
            reopened += conn.execute(
                select(AlertRow.id).where(
                    AlertRow.party_pk.in_(chunk), AlertRow.status == FALSE_POSITIVE
                )
            ).all()
        if reopened:
            ids = [r.id for r in reopened]
            for chunk in _chunks(ids):
                conn.execute(
                    update(AlertRow)
                    .where(AlertRow.id.in_(chunk))
                    .values(status=OPEN, changed=True, pending_by=None, updated_at=now)
                )
            _events(
                conn,
                [
                    _event(i, "reopened", FALSE_POSITIVE, OPEN, "party data changed", now)
                    for i in ids
                ],
            )
            result.reopened = len(ids)
        if result.added or result.updated or result.reactivated:
            tx.append(
                AuditEntry(
                    action="monitor_add",
                    actor=actor or local_actor(),
                    details={"book": book_name, **result.to_dict()},
                )
            )
    return result


def remove_parties(
    store: Store, book_name: str, party_ids: Iterable[str], *, actor: str | None = None
) -> tuple[int, int]:
    """Stop monitoring parties; their waiting alerts close. Returns (removed, alerts closed)."""
    wanted = list(dict.fromkeys(str(p).strip() for p in party_ids))
    now = _now()
    with chain_transaction(store) as tx:
        conn = tx.connection
        pks: list[int] = []
        for chunk in _chunks(wanted):
            pks += [
                r.id
                for r in conn.execute(
                    select(MonitoredPartyRow.id).where(
                        MonitoredPartyRow.book == book_name,
                        MonitoredPartyRow.party_id.in_(chunk),
                        MonitoredPartyRow.active.is_(True),
                    )
                )
            ]
        closed = []
        for chunk in _chunks(pks):
            conn.execute(
                update(MonitoredPartyRow)
                .where(MonitoredPartyRow.id.in_(chunk))
                .values(active=False, updated_at=now)
            )
            closed += conn.execute(
                select(AlertRow.id, AlertRow.status).where(
                    AlertRow.party_pk.in_(chunk), AlertRow.status.in_(BACKLOG)
                )
            ).all()
        _close(conn, closed, "party removed from monitoring", now, None)
        if pks:
            tx.append(
                AuditEntry(
                    action="monitor_remove",
                    actor=actor or local_actor(),
                    details={"book": book_name, "removed": len(pks), "alerts_closed": len(closed)},
                )
            )
    return len(pks), len(closed)


def _party(row: Any, with_record: bool = False) -> Party:
    return Party(
        pk=row.id,
        book=row.book,
        party_id=row.party_id,
        query=orjson.loads(row.query),
        fingerprint=row.fingerprint,
        active=row.active,
        record=orjson.loads(row.record) if with_record and row.record else None,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
    )


def active_parties(store: Store, pks: Collection[int] | None = None) -> list[Party]:
    """Monitored parties (all active ones, or these primary keys if still active)."""
    cols = (
        MonitoredPartyRow.id,
        MonitoredPartyRow.book,
        MonitoredPartyRow.party_id,
        MonitoredPartyRow.query,
        MonitoredPartyRow.fingerprint,
        MonitoredPartyRow.active,
        MonitoredPartyRow.created_at,
        MonitoredPartyRow.updated_at,
    )
    base = select(*cols).where(MonitoredPartyRow.active.is_(True))
    with store.engine.connect() as conn:
        if pks is None:
            rows = conn.execute(base.order_by(MonitoredPartyRow.id)).all()
        else:
            rows = []
            for chunk in _chunks(sorted(pks)):
                rows += conn.execute(base.where(MonitoredPartyRow.id.in_(chunk))).all()
    return [_party(r) for r in rows]


def party_fingerprints(store: Store) -> dict[int, str]:
    """Primary key -> fingerprint of every active party (cheap: no party data)."""
    with store.engine.connect() as conn:
        return dict(
            conn.execute(
                select(MonitoredPartyRow.id, MonitoredPartyRow.fingerprint).where(
                    MonitoredPartyRow.active.is_(True)
                )
            ).all()
        )


def count_active_parties(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(
            select(func.count()).where(MonitoredPartyRow.active.is_(True))
        ).scalar_one()


def list_parties(
    store: Store,
    book_name: str | None = None,
    *,
    include_removed: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[Party]:
    query = select(MonitoredPartyRow).order_by(MonitoredPartyRow.book, MonitoredPartyRow.party_id)
    if book_name is not None:
        query = query.where(MonitoredPartyRow.book == book_name)
    if not include_removed:
        query = query.where(MonitoredPartyRow.active.is_(True))
    if limit is not None:
        query = query.limit(limit).offset(offset)
    with store.session() as s:
        return [_party(r, with_record=True) for r in s.scalars(query)]


def get_party(store: Store, book_name: str, party_id: str) -> Party:
    with store.session() as s:
        row = s.scalars(
            select(MonitoredPartyRow).where(
                MonitoredPartyRow.book == book_name, MonitoredPartyRow.party_id == party_id
            )
        ).first()
        if row is None:
            raise CaseError(f"no party {party_id!r} in book {book_name!r}")
        return _party(row, with_record=True)


# -- list-side facts for alerts -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntityFacts:
    entity_id: str
    dataset: str
    snapshot: str
    version: str
    topics: tuple[str, ...]


def entity_facts(
    store: Store, snapshots: Mapping[str, str], entity_ids: Iterable[str]
) -> dict[str, EntityFacts]:
    """Version hash and topics of entities in the given snapshots (dataset -> snapshot)."""
    wanted = sorted(set(entity_ids))
    out: dict[str, EntityFacts] = {}
    by_snapshot: dict[str, str] = {sn: ds for ds, sn in snapshots.items()}
    with store.engine.connect() as conn:
        for chunk in _chunks(wanted):
            rows = conn.execute(
                select(
                    SnapshotEntityRow.entity_id,
                    SnapshotEntityRow.snapshot_id,
                    SnapshotEntityRow.version_hash,
                    EntityVersionRow.data,
                )
                .join(EntityVersionRow, EntityVersionRow.hash == SnapshotEntityRow.version_hash)
                .where(
                    SnapshotEntityRow.snapshot_id.in_(list(by_snapshot)),
                    SnapshotEntityRow.entity_id.in_(chunk),
                )
            )
            for eid, sid, version, data in rows:
                designations = orjson.loads(data).get("designations") or ()
                topics = tuple(dict.fromkeys(t for d in designations for t in d.get("topics", ())))
                out[eid] = EntityFacts(eid, by_snapshot[sid], sid, version, topics)
    return out


def snapshot_entities(store: Store, snapshot_id: str, entity_ids: Iterable[str]) -> list[Entity]:
    """Entities of one snapshot by id, as stored (without first-seen dates)."""
    wanted = sorted(set(entity_ids))
    out = []
    with store.engine.connect() as conn:
        for chunk in _chunks(wanted):
            rows = conn.execute(
                select(EntityVersionRow.data)
                .join(SnapshotEntityRow, SnapshotEntityRow.version_hash == EntityVersionRow.hash)
                .where(
                    SnapshotEntityRow.snapshot_id == snapshot_id,
                    SnapshotEntityRow.entity_id.in_(chunk),
                )
            )
            out += [entity_from_dict(orjson.loads(data)) for (data,) in rows]
    return out


def parties_alerted_on(store: Store, entity_ids: Iterable[str]) -> set[int]:
    """Parties with a non-closed alert on any of these entities."""
    out: set[int] = set()
    with store.engine.connect() as conn:
        for chunk in _chunks(sorted(set(entity_ids))):
            out.update(
                conn.execute(
                    select(AlertRow.party_pk).where(
                        AlertRow.entity_id.in_(chunk), AlertRow.status != CLOSED
                    )
                ).scalars()
            )
    return out


# -- alerts -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alert:
    id: int
    party_pk: int
    party_id: str
    book: str
    entity_id: str
    caption: str
    dataset: str
    snapshot: str
    score: float
    status: str
    changed: bool
    created_at: dt.datetime
    updated_at: dt.datetime
    explanation: dict[str, Any] = field(default_factory=dict)
    pending_by: str | None = None
    entity_version: str = ""
    party_fingerprint: str = ""

    def to_dict(self, *, explanation: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "party_id": self.party_id,
            "entity_id": self.entity_id,
            "score": round(self.score, 4),
            "status": self.status,
            "snapshot": self.snapshot,
            "changed": self.changed,
            "book": self.book,
            "caption": self.caption,
            "dataset": self.dataset,
            "pending_by": self.pending_by,
            "created_at": _iso(self.created_at),
            "updated_at": _iso(self.updated_at),
        }
        if explanation:
            out["explanation"] = self.explanation
        return out


@dataclass(frozen=True, slots=True)
class AlertEvent:
    id: int
    alert_id: int
    ts: dt.datetime
    kind: str
    analyst: str
    from_status: str | None
    to_status: str
    reason: str | None
    run_id: int | None = None
    audit_seq: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alert_id": self.alert_id,
            "ts": _iso(self.ts),
            "kind": self.kind,
            "analyst": self.analyst,
            "from_status": self.from_status,
            "to_status": self.to_status,
            "reason": self.reason,
            "run_id": self.run_id,
            "audit_seq": self.audit_seq,
        }


def _iso(ts: dt.datetime | None) -> str | None:
    ts = _utc(ts)
    return ts.isoformat() if ts else None


_ALERT_COLUMNS = (AlertRow, MonitoredPartyRow.party_id)


def _alert(row: AlertRow, party_id: str) -> Alert:
    return Alert(
        id=row.id,
        party_pk=row.party_pk,
        party_id=party_id,
        book=row.book,
        entity_id=row.entity_id,
        caption=row.caption,
        dataset=row.dataset,
        snapshot=row.snapshot,
        score=row.score,
        status=row.status,
        changed=row.changed,
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        explanation=orjson.loads(row.explanation) if row.explanation else {},
        pending_by=row.pending_by,
        entity_version=row.entity_version,
        party_fingerprint=row.party_fingerprint,
    )


SORTS = {
    "id": AlertRow.id.asc(),
    "-id": AlertRow.id.desc(),
    "score": AlertRow.score.asc(),
    "-score": AlertRow.score.desc(),
    "updated": AlertRow.updated_at.asc(),
    "-updated": AlertRow.updated_at.desc(),
}


def list_alerts(
    store: Store,
    *,
    status: str | Collection[str] | None = None,
    book: str | None = None,
    changed: bool | None = None,
    entity_id: str | None = None,
    party_id: str | None = None,
    limit: int | None = None,
    offset: int = 0,
    sort: str = "id",
) -> list[Alert]:
    """Alerts filtered by status(es), book, changed flag, entity or party id."""
    query = select(*_ALERT_COLUMNS).join(
        MonitoredPartyRow, MonitoredPartyRow.id == AlertRow.party_pk
    )
    statuses = [status] if isinstance(status, str) else list(status or ())
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise CaseError(f"unknown status {unknown[0]!r}; use one of {', '.join(STATUSES)}")
    if statuses:
        query = query.where(AlertRow.status.in_(statuses))
    if book is not None:
        query = query.where(AlertRow.book == book)
    if changed is not None:
        query = query.where(AlertRow.changed.is_(changed))
    if entity_id is not None:
        query = query.where(AlertRow.entity_id == entity_id)
    if party_id is not None:
        query = query.where(MonitoredPartyRow.party_id == party_id)
    if sort not in SORTS:
        raise CaseError(f"unknown sort {sort!r}; use one of {', '.join(SORTS)}")
    query = query.order_by(SORTS[sort], AlertRow.id)
    if limit is not None:
        query = query.limit(limit).offset(offset)
    with store.session() as s:
        return [_alert(row, pid) for row, pid in s.execute(query)]


def count_alerts(store: Store, *, by: str = "status", book: str | None = None) -> dict[str, int]:
    column = {"status": AlertRow.status, "book": AlertRow.book}[by]
    query = select(column, func.count()).group_by(column)
    if book is not None:
        query = query.where(AlertRow.book == book)
    with store.engine.connect() as conn:
        return {k: n for k, n in conn.execute(query)}


def get_alert(store: Store, alert_id: int) -> Alert:
    with store.session() as s:
        row = s.execute(
            select(*_ALERT_COLUMNS)
            .join(MonitoredPartyRow, MonitoredPartyRow.id == AlertRow.party_pk)
            .where(AlertRow.id == alert_id)
        ).first()
        if row is None:
            raise CaseError(f"no alert {alert_id}")
        return _alert(row[0], row[1])


def alert_party(store: Store, alert_id: int) -> Party:
    with store.session() as s:
        row = s.scalars(
            select(MonitoredPartyRow)
            .join(AlertRow, AlertRow.party_pk == MonitoredPartyRow.id)
            .where(AlertRow.id == alert_id)
        ).first()
        if row is None:
            raise CaseError(f"no alert {alert_id}")
        return _party(row, with_record=True)


def alert_history(store: Store, alert_id: int) -> list[AlertEvent]:
    get_alert(store, alert_id)  # a clear error for an unknown id
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(AlertEventRow)
            .where(AlertEventRow.alert_id == alert_id)
            .order_by(AlertEventRow.id)
        )
        return [
            AlertEvent(
                id=r.id,
                alert_id=r.alert_id,
                ts=_utc(r.ts),
                kind=r.kind,
                analyst=r.analyst,
                from_status=r.from_status,
                to_status=r.to_status,
                reason=r.reason,
                run_id=r.run_id,
                audit_seq=r.audit_seq,
            )
            for r in rows
        ]


def _event(
    alert_id: int,
    kind: str,
    from_status: str | None,
    to_status: str,
    reason: str | None,
    ts: dt.datetime,
    *,
    analyst: str = SYSTEM,
    run_id: int | None = None,
    audit_seq: int | None = None,
) -> dict[str, Any]:
    return {
        "alert_id": alert_id,
        "ts": ts,
        "kind": kind,
        "analyst": analyst,
        "from_status": from_status,
        "to_status": to_status,
        "reason": reason,
        "run_id": run_id,
        "audit_seq": audit_seq,
    }


def _events(conn: Connection, rows: list[dict[str, Any]]) -> None:
    for chunk in _chunks(rows, 5000):
        conn.execute(insert(AlertEventRow), list(chunk))


def _close(
    conn: Connection, alerts: Sequence[Any], reason: str, now: dt.datetime, run_id: int | None
) -> None:
    """Close (id, status) alerts that wait for an analyst; others get a note only."""
    waiting = [a for a in alerts if a.status in BACKLOG]
    for chunk in _chunks([a.id for a in waiting]):
        conn.execute(
            update(AlertRow)
            .where(AlertRow.id.in_(chunk))
            .values(status=CLOSED, pending_by=None, updated_at=now)
        )
    _events(
        conn,
        [_event(a.id, "closed", a.status, CLOSED, reason, now, run_id=run_id) for a in waiting]
        + [
            _event(a.id, "note", a.status, a.status, reason, now, run_id=run_id)
            for a in alerts
            if a.status in (TRUE_MATCH, FALSE_POSITIVE)
        ],
    )


# -- monitoring runs: reconciling findings with the alerts ---------------------------------


@dataclass(frozen=True, slots=True)
class Finding:
    """One (party, entity) pair scoring at or above the party's threshold in a run."""

    party_pk: int
    book: str
    entity_id: str
    dataset: str
    snapshot: str
    entity_version: str
    party_fingerprint: str
    caption: str
    score: float
    explanation: str  # JSON text


@dataclass(frozen=True, slots=True)
class Scope:
    """Which existing alerts a run re-examined: an alert in scope that the run did not find
    again no longer matches. ``None`` means "any"."""

    party_pks: frozenset[int] | None = None
    entity_ids: frozenset[str] | None = None
    datasets: frozenset[str] | None = None

    def where(self) -> Any:
        clauses = []
        if self.datasets is not None:
            clauses.append(AlertRow.dataset.in_(sorted(self.datasets)))
        return and_(*clauses) if clauses else None


@dataclass(slots=True)
class RunResult:
    run_id: int
    kind: str
    parties: int
    created: list[int] = field(default_factory=list)
    reopened: list[int] = field(default_factory=list)
    updated: int = 0
    closed: int = 0
    suppressed: int = 0
    seconds: float = 0.0
    delivery_id: int | None = None
    snapshots: dict[str, str] = field(default_factory=dict)
    trigger: str | None = None
    candidates: int | None = None
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def new_alerts(self) -> list[int]:
        return self.created + self.reopened

    def to_dict(self) -> dict[str, Any]:
        out = {
            "run": self.run_id,
            "kind": self.kind,
            "trigger": self.trigger,
            "snapshots": self.snapshots,
            "parties": self.parties,
            "created": len(self.created),
            "reopened": len(self.reopened),
            "updated": self.updated,
            "closed": self.closed,
            "suppressed": self.suppressed,
            "seconds": round(self.seconds, 3),
        }
        if self.candidates is not None:
            out["candidates"] = self.candidates
        if self.timings:
            out["timings"] = {k: round(v, 3) for k, v in self.timings.items()}
        return out


def _in_scope_alerts(conn: Connection, scope: Scope) -> list[Any]:
    cols = (
        AlertRow.id,
        AlertRow.party_pk,
        AlertRow.entity_id,
        AlertRow.status,
        AlertRow.entity_version,
        AlertRow.party_fingerprint,
        AlertRow.score,
        AlertRow.snapshot,
        AlertRow.explanation,
    )
    base = select(*cols)
    extra = scope.where()
    if extra is not None:
        base = base.where(extra)
    if scope.party_pks is None and scope.entity_ids is None:
        return conn.execute(base).all()
    rows: list[Any] = []
    # narrow by the smaller of the two sets, then filter in Python
    if scope.entity_ids is not None and (
        scope.party_pks is None or len(scope.entity_ids) <= len(scope.party_pks)
    ):
        for chunk in _chunks(sorted(scope.entity_ids)):
            rows += conn.execute(base.where(AlertRow.entity_id.in_(chunk))).all()
    else:
        assert scope.party_pks is not None
        for chunk in _chunks(sorted(scope.party_pks)):
            rows += conn.execute(base.where(AlertRow.party_pk.in_(chunk))).all()
    return [
        r
        for r in rows
        if (scope.party_pks is None or r.party_pk in scope.party_pks)
        and (scope.entity_ids is None or r.entity_id in scope.entity_ids)
    ]


def record_run(
    store: Store,
    *,
    kind: str,
    findings: Sequence[Finding],
    scope: Scope,
    snapshots: Mapping[str, str],
    parties: int,
    seconds: float,
    trigger: str | None = None,
    removed: Collection[str] = (),
    removed_reason: str | None = None,
    webhook_url: str | None = None,
    actor: str = SYSTEM,
) -> RunResult:
    """Write a run's outcome: create, re-open, update and close alerts, record the run, the
    history, one ``monitor_run`` audit record and (with ``webhook_url``) the webhook message
    announcing the new alerts: all in one transaction."""
    now = _now()
    found = {(f.party_pk, f.entity_id): f for f in findings}
    with chain_transaction(store) as tx:
        conn = tx.connection
        run_id = conn.execute(
            insert(MonitorRunRow)
            .values(
                kind=kind,
                trigger=trigger,
                snapshots=canonical_json(dict(snapshots)),
                started_at=now - dt.timedelta(seconds=seconds),
                seconds=seconds,
                parties=parties,
                created=0,
                reopened=0,
                updated=0,
                closed=0,
            )
            .returning(MonitorRunRow.id)
        ).scalar_one()
        result = RunResult(
            run_id, kind, parties, seconds=seconds, snapshots=dict(snapshots), trigger=trigger
        )
        existing = {(a.party_pk, a.entity_id): a for a in _in_scope_alerts(conn, scope)}
        # alerts outside the scope that a finding hits (e.g. a party pass finding an entity
        # that was previously matched by another run) must be known too
        missing = [k for k in found if k not in existing]
        for chunk in _chunks(missing, 400):
            pks = sorted({k[0] for k in chunk})
            eids = sorted({k[1] for k in chunk})
            for a in _in_scope_alerts(
                conn, Scope(party_pks=frozenset(pks), entity_ids=frozenset(eids))
            ):
                existing.setdefault((a.party_pk, a.entity_id), a)

        new_rows, updates, events = [], [], []
        for key, f in found.items():
            a = existing.get(key)
            values = {
                "dataset": f.dataset,
                "snapshot": f.snapshot,
                "entity_version": f.entity_version,
                "party_fingerprint": f.party_fingerprint,
                "caption": f.caption[:1000],
                "score": f.score,
                "explanation": f.explanation,
            }
            if a is None:
                new_rows.append(
                    {
                        "party_pk": f.party_pk,
                        "entity_id": f.entity_id,
                        "book": f.book,
                        **values,
                        "status": OPEN,
                        "changed": False,
                        "created_at": now,
                        "updated_at": now,
                    }
                )
                continue
            what = []
            if a.party_fingerprint != f.party_fingerprint:
                what.append("party data changed")
            if a.entity_version != f.entity_version:
                what.append("list entry changed")
            reason = "; ".join(what) or None
            if a.status == FALSE_POSITIVE:
                if not what:
                    result.suppressed += 1
                    continue
                updates.append({"aid": a.id, **values, "status": OPEN, "changed": True})
                events.append(_event(a.id, "reopened", a.status, OPEN, reason, now, run_id=run_id))
                result.reopened.append(a.id)
            elif a.status == CLOSED:
                updates.append({"aid": a.id, **values, "status": OPEN, "changed": True})
                again = reason or "matches again"
                events.append(_event(a.id, "reopened", a.status, OPEN, again, now, run_id=run_id))
                result.reopened.append(a.id)
            elif what:
                updates.append({"aid": a.id, **values, "status": a.status, "changed": True})
                events.append(
                    _event(a.id, "rescored", a.status, a.status, reason, now, run_id=run_id)
                )
                result.updated += 1
            elif (
                abs(a.score - f.score) > 1e-9
                or a.snapshot != f.snapshot
                or a.explanation != f.explanation
            ):
                # same data, new snapshot or scorer version: refresh quietly
                updates.append({"aid": a.id, **values, "status": a.status, "changed": None})
                result.updated += 1
        if new_rows:
            for chunk in _chunks(new_rows, 2000):
                ids = conn.execute(
                    insert(AlertRow).returning(AlertRow.id, sort_by_parameter_order=True),
                    list(chunk),
                ).scalars()
                result.created.extend(ids)
            events += [
                _event(i, "created", None, OPEN, None, now, run_id=run_id) for i in result.created
            ]
        if updates:
            _update_alerts(conn, updates, now)
        gone = [a for k, a in existing.items() if k not in found and a.status in BACKLOG]
        gone = [a for a in gone if _in(scope, a)]
        _close(conn, gone, "no longer matches", now, run_id)
        result.closed = len(gone)
        if removed:
            hit: list[Any] = []
            for chunk in _chunks(sorted(removed)):
                hit += conn.execute(
                    select(AlertRow.id, AlertRow.status).where(
                        AlertRow.entity_id.in_(chunk), AlertRow.status != CLOSED
                    )
                ).all()
            _close(conn, hit, removed_reason or "removed from the list", now, run_id)
            result.closed += sum(1 for a in hit if a.status in BACKLOG)
        _events(conn, events)
        conn.execute(
            update(MonitorRunRow)
            .where(MonitorRunRow.id == run_id)
            .values(
                created=len(result.created),
                reopened=len(result.reopened),
                updated=result.updated,
                closed=result.closed,
            )
        )
        if webhook_url and result.new_alerts:
            result.delivery_id = _queue_webhook(conn, webhook_url, run_id, result.new_alerts, now)
        details = result.to_dict()
        if len(result.new_alerts) <= 1000:
            details["new_alert_ids"] = result.new_alerts
        tx.append(
            AuditEntry(action="monitor_run", actor=actor, datasets=dict(snapshots), details=details)
        )
    return result


def _in(scope: Scope, a: Any) -> bool:
    return (scope.party_pks is None or a.party_pk in scope.party_pks) and (
        scope.entity_ids is None or a.entity_id in scope.entity_ids
    )


def _update_alerts(conn: Connection, updates: list[dict[str, Any]], now: dt.datetime) -> None:
    keep_flag = [u for u in updates if u["changed"] is None]
    set_flag = [u for u in updates if u["changed"] is not None]
    common = {
        "dataset": bindparam("dataset"),
        "snapshot": bindparam("snapshot"),
        "entity_version": bindparam("entity_version"),
        "party_fingerprint": bindparam("party_fingerprint"),
        "caption": bindparam("caption"),
        "score": bindparam("score"),
        "explanation": bindparam("explanation"),
        "status": bindparam("status"),
        "updated_at": now,
    }
    stmt = update(AlertRow).where(AlertRow.id == bindparam("aid"))
    if set_flag:
        conn.execute(
            stmt.values(**common, changed=bindparam("changed"), pending_by=None),
            [{k: v for k, v in u.items()} for u in set_flag],
        )
    if keep_flag:
        conn.execute(
            stmt.values(**common),
            [{k: v for k, v in u.items() if k != "changed"} for u in keep_flag],
        )


# -- decisions ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DecisionResult:
    alert: Alert
    event: AlertEvent
    audit_seq: int
    pending: bool  # a true_match proposal waiting for a second analyst

    def to_dict(self) -> dict[str, Any]:
        return {
            "alert": self.alert.to_dict(),
            "event": self.event.to_dict(),
            "audit_seq": self.audit_seq,
            "pending_confirmation": self.pending,
        }


def decide(
    store: Store,
    alert_id: int,
    status: str,
    reason: str,
    analyst: str,
    *,
    actor: str | None = None,
) -> DecisionResult:
    """Record an analyst's decision on an alert, with its audit record, atomically.

    ``analyst`` is who decided (stored in the history); ``actor`` is who made the request
    (the audit actor: ``user:<login>`` on the CLI, ``key:<name>`` over the API).
    """
    if status not in DECISIONS:
        raise CaseError(f"cannot decide {status!r}; use one of {', '.join(DECISIONS)}")
    reason = (reason or "").strip()
    if not reason:
        raise CaseError("a decision needs a reason")
    analyst = (analyst or "").strip()
    if not analyst or len(analyst) > 200 or any(ord(c) < 32 for c in analyst):
        raise CaseError("analyst must be 1-200 printable characters")
    now = _now()
    with chain_transaction(store) as tx:
        conn = tx.connection
        row = conn.execute(
            select(AlertRow.__table__, MonitoredPartyRow.party_id)
            .join(MonitoredPartyRow, MonitoredPartyRow.id == AlertRow.party_pk)
            .where(AlertRow.id == alert_id)
        ).first()
        if row is None:
            raise CaseError(f"no alert {alert_id}")
        current = row._mapping
        old_status = current["status"]
        if old_status == CLOSED:
            raise CaseError(f"alert {alert_id} is closed; closed alerts take no decisions")
        book_row = conn.execute(
            select(MonitorBookRow.four_eyes).where(MonitorBookRow.name == current["book"])
        ).first()
        four_eyes = (
            book_row.four_eyes
            if book_row is not None and book_row.four_eyes is not None
            else four_eyes_default()
        )
        kind, new_status, pending_by = "decision", status, None
        if status == TRUE_MATCH and four_eyes:
            if old_status == PENDING_TRUE_MATCH:
                if current["pending_by"] == analyst:
                    raise FourEyesError(
                        f"alert {alert_id}: the true match proposed by {analyst} needs "
                        "confirmation by a different analyst"
                    )
                kind = "confirmation"
            elif old_status != TRUE_MATCH:
                kind, new_status, pending_by = "proposal", PENDING_TRUE_MATCH, analyst
        receipt = tx.append(
            AuditEntry(
                action="alert_decision",
                actor=actor or local_actor(),
                details={
                    "alert": alert_id,
                    "book": current["book"],
                    "party_id": current["party_id"],
                    "entity_id": current["entity_id"],
                    "snapshot": current["snapshot"],
                    "score": round(current["score"], 4),
                    "from": old_status,
                    "to": new_status,
                    "decision": status,
                    "kind": kind,
                    "analyst": analyst,
                    "reason": reason,
                    "four_eyes": four_eyes,
                    "proposed_by": current["pending_by"] if kind == "confirmation" else None,
                },
                ts=now,
            )
        )
        conn.execute(
            update(AlertRow)
            .where(AlertRow.id == alert_id)
            .values(status=new_status, changed=False, pending_by=pending_by, updated_at=now)
        )
        event_id = conn.execute(
            insert(AlertEventRow)
            .values(
                **_event(
                    alert_id,
                    kind,
                    old_status,
                    new_status,
                    reason,
                    now,
                    analyst=analyst,
                    audit_seq=receipt.seq,
                )
            )
            .returning(AlertEventRow.id)
        ).scalar_one()
    alert = get_alert(store, alert_id)
    event = AlertEvent(
        event_id, alert_id, now, kind, analyst, old_status, new_status, reason, None, receipt.seq
    )
    return DecisionResult(alert, event, receipt.seq, new_status == PENDING_TRUE_MATCH)


# -- webhook outbox -----------------------------------------------------------------------


def _queue_webhook(
    conn: Connection, url: str, run_id: int, alert_ids: Sequence[int], now: dt.datetime
) -> int:
    rows = []
    for chunk in _chunks(list(alert_ids)):
        rows += conn.execute(
            select(AlertRow.__table__, MonitoredPartyRow.party_id)
            .join(MonitoredPartyRow, MonitoredPartyRow.id == AlertRow.party_pk)
            .where(AlertRow.id.in_(chunk))
        ).all()
    alerts = [
        {
            "id": r.id,
            "party_id": r.party_id,
            "book": r.book,
            "entity_id": r.entity_id,
            "caption": r.caption,
            "dataset": r.dataset,
            "score": round(r.score, 4),
            "status": r.status,
            "snapshot": r.snapshot,
            "changed": r.changed,
        }
        for r in sorted(rows, key=lambda r: r.id)
    ]
    body = orjson.dumps(
        {
            "event": "alerts.new",
            "run": run_id,
            "created_at": now.isoformat(),
            "count": len(alerts),
            "alerts": alerts,
        }
    ).decode()
    return conn.execute(
        insert(WebhookDeliveryRow)
        .values(
            run_id=run_id,
            url=url,
            body=body,
            status="pending",
            attempts=0,
            created_at=now,
        )
        .returning(WebhookDeliveryRow.id)
    ).scalar_one()


@dataclass(frozen=True, slots=True)
class Delivery:
    id: int
    url: str
    body: str
    status: str
    attempts: int
    created_at: dt.datetime
    delivered_at: dt.datetime | None = None
    last_error: str | None = None
    run_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "run": self.run_id,
            "url": self.url,
            "status": self.status,
            "attempts": self.attempts,
            "created_at": _iso(self.created_at),
            "delivered_at": _iso(self.delivered_at),
            "last_error": self.last_error,
        }


def _delivery(r: Any) -> Delivery:
    return Delivery(
        id=r.id,
        url=r.url,
        body=r.body,
        status=r.status,
        attempts=r.attempts,
        created_at=_utc(r.created_at),
        delivered_at=_utc(r.delivered_at),
        last_error=r.last_error,
        run_id=r.run_id,
    )


def deliveries(
    store: Store, *, status: str | None = None, ids: Collection[int] | None = None
) -> list[Delivery]:
    query = select(WebhookDeliveryRow).order_by(WebhookDeliveryRow.id)
    if status is not None:
        query = query.where(WebhookDeliveryRow.status == status)
    if ids is not None:
        query = query.where(WebhookDeliveryRow.id.in_(list(ids)))
    with store.engine.connect() as conn:
        return [_delivery(r) for r in conn.execute(query)]


def record_attempt(
    store: Store,
    delivery_id: int,
    *,
    attempt: int,
    status_code: int | None,
    error: str | None,
    seconds: float,
    final: str | None,
) -> None:
    """One delivery attempt; ``final`` (delivered | failed) closes the delivery."""
    now = _now()
    values: dict[str, Any] = {"attempts": attempt, "last_error": error}
    if final:
        values["status"] = final
        if final == "delivered":
            values["delivered_at"] = now
    with store.engine.begin() as conn:
        conn.execute(
            insert(WebhookAttemptRow).values(
                delivery_id=delivery_id,
                attempt=attempt,
                ts=now,
                status_code=status_code,
                error=error,
                seconds=seconds,
            )
        )
        conn.execute(
            update(WebhookDeliveryRow).where(WebhookDeliveryRow.id == delivery_id).values(**values)
        )


def delivery_attempts(store: Store, delivery_id: int) -> list[dict[str, Any]]:
    with store.engine.connect() as conn:
        return [
            {
                "attempt": r.attempt,
                "ts": _iso(r.ts),
                "status_code": r.status_code,
                "error": r.error,
                "seconds": round(r.seconds, 4),
            }
            for r in conn.execute(
                select(WebhookAttemptRow)
                .where(WebhookAttemptRow.delivery_id == delivery_id)
                .order_by(WebhookAttemptRow.attempt)
            )
        ]


# -- runs and the daily summary ------------------------------------------------------------


def runs(store: Store, *, limit: int = 20, since: dt.datetime | None = None) -> list[dict]:
    query = select(MonitorRunRow).order_by(MonitorRunRow.id.desc()).limit(limit)
    if since is not None:
        query = query.where(MonitorRunRow.started_at >= since)
    with store.engine.connect() as conn:
        return [
            {
                "run": r.id,
                "kind": r.kind,
                "trigger": r.trigger,
                "snapshots": orjson.loads(r.snapshots),
                "started_at": _iso(r.started_at),
                "seconds": round(r.seconds, 3),
                "parties": r.parties,
                "created": r.created,
                "reopened": r.reopened,
                "updated": r.updated,
                "closed": r.closed,
            }
            for r in conn.execute(query)
        ]


def daily_summary(store: Store, day: dt.date) -> dict[str, Any]:
    """What happened on ``day`` (UTC): new alerts, decisions, list updates, monitoring
    runs, and the backlog of alerts waiting for an analyst at the end of that day."""
    start = dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC)
    end = start + dt.timedelta(days=1)
    with store.engine.connect() as conn:
        created = conn.execute(
            select(AlertRow.book, AlertRow.dataset, func.count())
            .join(AlertEventRow, AlertEventRow.alert_id == AlertRow.id)
            .where(
                AlertEventRow.kind == "created", AlertEventRow.ts >= start, AlertEventRow.ts < end
            )
            .group_by(AlertRow.book, AlertRow.dataset)
        ).all()
        reopened = conn.execute(
            select(func.count()).where(
                AlertEventRow.kind == "reopened", AlertEventRow.ts >= start, AlertEventRow.ts < end
            )
        ).scalar_one()
        closed = conn.execute(
            select(func.count()).where(
                AlertEventRow.kind == "closed", AlertEventRow.ts >= start, AlertEventRow.ts < end
            )
        ).scalar_one()
        decisions = conn.execute(
            select(
                AlertEventRow.kind, AlertEventRow.to_status, AlertEventRow.analyst, AlertRow.book
            )
            .join(AlertRow, AlertRow.id == AlertEventRow.alert_id)
            .where(
                AlertEventRow.kind.in_(("decision", "proposal", "confirmation")),
                AlertEventRow.ts >= start,
                AlertEventRow.ts < end,
            )
        ).all()
        # backlog at the end of the day: each alert's status after its last event before then
        last = (
            select(AlertEventRow.alert_id, func.max(AlertEventRow.id).label("last_id"))
            .where(AlertEventRow.ts < end)
            .group_by(AlertEventRow.alert_id)
            .subquery()
        )
        backlog_rows = conn.execute(
            select(AlertRow.book, AlertEventRow.to_status, func.count())
            .join(last, last.c.last_id == AlertEventRow.id)
            .join(AlertRow, AlertRow.id == AlertEventRow.alert_id)
            .where(AlertEventRow.to_status.in_(BACKLOG))
            .group_by(AlertRow.book, AlertEventRow.to_status)
        ).all()
        activations = conn.execute(
            select(ActivationRow.__table__, SnapshotRow.published)
            .join(SnapshotRow, SnapshotRow.id == ActivationRow.snapshot_id)
            .where(ActivationRow.activated_at >= start, ActivationRow.activated_at < end)
            .order_by(ActivationRow.id)
        ).all()
    by_book: Counter[str] = Counter()
    by_dataset: Counter[str] = Counter()
    for b, ds, n in created:
        by_book[b] += n
        by_dataset[ds] += n
    backlog: dict[str, dict[str, int]] = defaultdict(dict)
    for b, st, n in backlog_rows:
        backlog[b][st] = n
    updates = []
    for act in activations:
        entry: dict[str, Any] = {
            "dataset": act.dataset,
            "snapshot": act.snapshot_id,
            "previous": act.previous_snapshot_id,
            "published": act.published.isoformat() if act.published else None,
            "activated_at": _iso(act.activated_at),
        }
        if act.previous_snapshot_id:
            try:
                d = store.diff(act.dataset, act.previous_snapshot_id, act.snapshot_id)
                entry.update(added=len(d.added), removed=len(d.removed), changed=len(d.changed))
            except StoreError:
                pass
        updates.append(entry)
    return {
        "date": day.isoformat(),
        "new_alerts": {
            "total": sum(by_book.values()),
            "by_book": dict(sorted(by_book.items())),
            "by_dataset": dict(sorted(by_dataset.items())),
        },
        "reopened": reopened,
        "closed": closed,
        "decisions": {
            "total": len(decisions),
            "by_status": dict(sorted(Counter(d.to_status for d in decisions).items())),
            "by_analyst": dict(sorted(Counter(d.analyst for d in decisions).items())),
            "by_book": dict(sorted(Counter(d.book for d in decisions).items())),
        },
        "backlog": {
            "as_of": _iso(end),
            "total": sum(n for b in backlog.values() for n in b.values()),
            "by_book": {b: dict(sorted(v.items())) for b, v in sorted(backlog.items())},
            "by_status": dict(
                sorted(
                    Counter(
                        {st: sum(v.get(st, 0) for v in backlog.values()) for st in BACKLOG}
                    ).items()
                )
            ),
        },
        "list_updates": updates,
        "monitor_runs": [
            r for r in runs(store, limit=1000, since=start) if r["started_at"] < _iso(end)
        ],
    }


__all__ = [
    "BACKLOG",
    "CLOSED",
    "DECISIONS",
    "DEFAULT_BOOK",
    "ESCALATED",
    "FALSE_POSITIVE",
    "OPEN",
    "PENDING_TRUE_MATCH",
    "STATUSES",
    "TRUE_MATCH",
    "Alert",
    "AlertEvent",
    "Book",
    "CaseError",
    "DecisionResult",
    "Delivery",
    "EntityFacts",
    "Finding",
    "FourEyesError",
    "Party",
    "PartyInput",
    "RunResult",
    "Scope",
    "UpsertResult",
    "active_parties",
    "alert_history",
    "alert_party",
    "book",
    "books",
    "configure_book",
    "count_active_parties",
    "count_alerts",
    "daily_summary",
    "decide",
    "deliveries",
    "delivery_attempts",
    "entity_facts",
    "fingerprint",
    "get_alert",
    "get_party",
    "list_alerts",
    "list_parties",
    "parties_alerted_on",
    "party_fingerprints",
    "record_attempt",
    "record_run",
    "remove_parties",
    "runs",
    "snapshot_entities",
]
