"""What the pages show, gathered from the store and shaped for the templates.

Everything here runs in a worker thread (it reads the database); the route handlers stay
thin. Screening itself is not here: the search page goes through the API's screening and
audit helpers (``tamiz.api.screening``, ``tamiz.screen.audit``).
"""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import aliased

from tamiz.countries import country_name
from tamiz.model import DateValue, Entity
from tamiz.sources import DATASETS
from tamiz.store import EntityRecord, SnapshotDiff, SnapshotInfo, Store, StoreError, cases
from tamiz.store.audit import AuditRecord
from tamiz.store.schema import SnapshotEntityRow
from tamiz.web.explain import ExplanationView, explanation_view
from tamiz.web.graph import Graph, layout, relation_links
from tamiz.web.timeline import TimelineEvent, VersionStep, build_timeline, version_history

ALERTS_PAGE = 50
AUDIT_PAGE = 50
CHANGES_SHOWN = 30
CHANGE_IDS_SHOWN = 500
# The queue's filters: "backlog" is what waits for an analyst.
STATUS_FILTERS = {
    "backlog": ("Awaiting review", cases.BACKLOG),  # open, escalated, pending
    "all": ("All statuses", ()),
    **{s: (s.replace("_", " ").capitalize(), (s,)) for s in cases.STATUSES},
}
SORT_OPTIONS = {
    "-score": "Score, highest first",
    "score": "Score, lowest first",
    "-updated": "Last change, newest first",
    "updated": "Last change, oldest first",
    "-id": "Alert number, newest first",
    "id": "Alert number, oldest first",
}
DECISION_LABELS = {
    cases.FALSE_POSITIVE: "False positive",
    cases.TRUE_MATCH: "True match",
    cases.ESCALATED: "Escalate",
}


def country_label(code: str) -> str:
    if len(code) == 2 and code.isalpha():
        name = country_name(code)
        return f"{name} ({code.upper()})" if name and name != code else code
    return code


def date_label(d: DateValue) -> str:
    text = d.value or d.text or ""
    if d.end:
        text = f"{text} to {d.end}"
    if d.circa:
        text = f"circa {text}"
    return text


# -- entity page ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EntityPage:
    record: EntityRecord
    timeline: list[TimelineEvent]
    steps: list[VersionStep]
    graph: Graph
    dataset_title: str | None
    properties: list[tuple[str, tuple[str, ...]]]


def entity_page(store: Store, entity_id: str, as_of: dt.date | None) -> EntityPage:
    record = store.entity(entity_id, as_of)
    steps = version_history(store, entity_id)
    entity = record.entity
    graph = layout(entity, relation_links(entity, record.related_from))
    props = [(k, v) for k, v in entity.properties if k not in ("modifiedAt",)]
    title = DATASETS[entity.dataset].title if entity.dataset in DATASETS else None
    return EntityPage(record, build_timeline(store, record, steps), steps, graph, title, props)


# -- lists page -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DatasetRow:
    dataset: str
    title: str | None
    active: SnapshotInfo | None
    snapshots: int
    last_activation: dt.datetime | None
    served: bool


@dataclass(frozen=True, slots=True)
class Activation:
    dataset: str
    snapshot: str
    previous: str | None
    when: dt.datetime
    published: dt.date | None
    added: int
    removed: int
    changed: int


class DiffCache:
    """Diffs between two snapshots never change: keep the recent ones."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[str, str, str], SnapshotDiff] = OrderedDict()
        self._counts: dict[tuple[str, str, str], tuple[int, int, int]] = {}
        self._lock = threading.Lock()
        self.size = size

    def counts(self, store: Store, old: str, new: str) -> tuple[int, int, int]:
        """(added, removed, changed) between two snapshots, counted in the database: the
        feed needs only the numbers, and a full diff of a large list takes a while."""
        key = ("#counts", old, new)
        with self._lock:
            found = self._counts.get(key)
        if found is None:
            found = diff_counts(store, old, new)
            with self._lock:
                self._counts[key] = found
        return found

    def get(self, store: Store, dataset: str, old: str, new: str) -> SnapshotDiff:
        key = (dataset, old, new)
        with self._lock:
            found = self._items.get(key)
        if found is None:
            found = store.diff(dataset, old, new)
            with self._lock:
                self._items[key] = found
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return found


def diff_counts(store: Store, old: str, new: str) -> tuple[int, int, int]:
    """(added, removed, changed) entities from snapshot ``old`` to ``new``."""
    before = aliased(SnapshotEntityRow)
    after = aliased(SnapshotEntityRow)

    def only_in(a: Any, b: Any, a_id: str, b_id: str) -> Any:
        return (
            select(func.count())
            .select_from(a)
            .outerjoin(b, and_(b.snapshot_id == b_id, b.entity_id == a.entity_id))
            .where(a.snapshot_id == a_id, b.entity_id.is_(None))
        )

    changed = (
        select(func.count())
        .select_from(after)
        .join(before, and_(before.snapshot_id == old, before.entity_id == after.entity_id))
        .where(after.snapshot_id == new, before.version_hash != after.version_hash)
    )
    with store.session() as s:
        return (
            s.scalar(only_in(after, before, new, old)) or 0,
            s.scalar(only_in(before, after, old, new)) or 0,
            s.scalar(changed) or 0,
        )


def lists_page(
    store: Store, diffs: DiffCache, served: Mapping[str, str]
) -> tuple[list[DatasetRow], list[Activation]]:
    active = store.active_snapshots()
    activations = store.activations()
    last: dict[str, dt.datetime] = {}
    for ds, _sn, _prev, when in activations:
        last[ds] = when
    rows = []
    published: dict[str, dt.date] = {}
    for ds in store.dataset_ids():
        snaps = store.snapshots(ds)
        published.update({sn.id: sn.published for sn in snaps})
        current = active.get(ds)
        rows.append(
            DatasetRow(
                dataset=ds,
                title=DATASETS[ds].title if ds in DATASETS else None,
                active=current,
                snapshots=len(snaps),
                last_activation=last.get(ds),
                served=current is not None and served.get(ds) == current.id,
            )
        )
    feed = []
    for ds, sn, prev, when in reversed(activations[-CHANGES_SHOWN:]):
        if prev is None:
            info = store.resolve_snapshot(ds, sn)
            counts = (info.entity_count, 0, 0)
        else:
            counts = diffs.counts(store, prev, sn)
        feed.append(Activation(ds, sn, prev, when, published.get(sn), *counts))
    return rows, feed


@dataclass(frozen=True, slots=True)
class ChangeItem:
    id: str
    caption: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ChangesPage:
    dataset: str
    snapshot: SnapshotInfo
    previous: SnapshotInfo | None
    when: dt.datetime | None
    added: list[ChangeItem]
    removed: list[ChangeItem]
    changed: list[ChangeItem]
    counts: tuple[int, int, int]


def _captions(store: Store, snapshot: str, ids: Sequence[str]) -> dict[str, str]:
    entities = cases.snapshot_entities(store, snapshot, ids)
    return {e.id: e.caption for e in entities}


def changes_page(store: Store, diffs: DiffCache, dataset: str, snapshot_ref: str) -> ChangesPage:
    snapshot = store.resolve_snapshot(dataset, snapshot_ref)
    found = [a for a in store.activations(dataset) if a[1] == snapshot.id]
    if not found:
        raise StoreError(f"snapshot {snapshot.id} of {dataset} was never activated")
    _ds, _sn, prev, when = found[-1]
    if prev is None:
        shown = _members(store, snapshot)
        caps = _captions(store, snapshot.id, shown)
        added = [ChangeItem(i, caps.get(i, i)) for i in shown]
        return ChangesPage(
            dataset, snapshot, None, when, added, [], [], (snapshot.entity_count, 0, 0)
        )
    previous = store.resolve_snapshot(dataset, prev)
    diff = diffs.get(store, dataset, prev, snapshot.id)
    new_ids = list(diff.added[:CHANGE_IDS_SHOWN]) + [i for i, _ in diff.changed[:CHANGE_IDS_SHOWN]]
    caps = _captions(store, snapshot.id, new_ids)
    old_caps = _captions(store, prev, diff.removed[:CHANGE_IDS_SHOWN])
    return ChangesPage(
        dataset,
        snapshot,
        previous,
        when,
        [ChangeItem(i, caps.get(i, i)) for i in diff.added[:CHANGE_IDS_SHOWN]],
        [ChangeItem(i, old_caps.get(i, i)) for i in diff.removed[:CHANGE_IDS_SHOWN]],
        [ChangeItem(i, caps.get(i, i), f) for i, f in diff.changed[:CHANGE_IDS_SHOWN]],
        (len(diff.added), len(diff.removed), len(diff.changed)),
    )


def _members(store: Store, snapshot: SnapshotInfo) -> list[str]:
    """The first entity ids of a snapshot (an initial load lists only these)."""
    with store.session() as s:
        return list(
            s.scalars(
                select(SnapshotEntityRow.entity_id)
                .where(SnapshotEntityRow.snapshot_id == snapshot.id)
                .order_by(SnapshotEntityRow.entity_id)
                .limit(CHANGE_IDS_SHOWN)
            )
        )


# -- alerts -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class QueueFilters:
    status: str = "backlog"
    book: str = ""
    changed: str = ""  # "" any, "yes", "no"
    sort: str = "-score"
    page: int = 1

    def params(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "book": self.book,
            "changed": self.changed,
            "sort": self.sort,
        }


def queue_filters(
    status: str, book: str, changed: str, sort: str, page: str
) -> tuple[QueueFilters, list[str]]:
    """Filters from the query string; unknown values fall back to the default, with a note."""
    problems = []
    if status not in STATUS_FILTERS:
        problems.append(f"unknown status {status!r}")
        status = "backlog"
    if changed not in ("", "yes", "no"):
        problems.append(f"unknown changed filter {changed!r}")
        changed = ""
    if sort not in SORT_OPTIONS:
        problems.append(f"unknown sort {sort!r}")
        sort = "-score"
    try:
        number = max(1, min(int(page or 1), 10_000))
    except ValueError:
        problems.append(f"page {page!r} is not a number")
        number = 1
    return QueueFilters(status, book[:100], changed, sort, number), problems


@dataclass(frozen=True, slots=True)
class QueuePage:
    alerts: list[cases.Alert]
    books: list[cases.Book]
    counts: dict[str, int]
    more: bool


def queue_page(store: Store, f: QueueFilters) -> QueuePage:
    statuses = STATUS_FILTERS[f.status][1]
    found = cases.list_alerts(
        store,
        status=list(statuses) or None,
        book=f.book or None,
        changed={"yes": True, "no": False}.get(f.changed),
        sort=f.sort,
        limit=ALERTS_PAGE + 1,
        offset=(f.page - 1) * ALERTS_PAGE,
    )
    return QueuePage(
        alerts=found[:ALERTS_PAGE],
        books=cases.books(store),
        counts=cases.count_alerts(store, book=f.book or None),
        more=len(found) > ALERTS_PAGE,
    )


@dataclass(frozen=True, slots=True)
class CompareRow:
    label: str
    party: list[str]
    listed: list[str]
    evidence: str = ""  # agrees | contradicts | neutral | ""
    evidence_text: str = ""


@dataclass(frozen=True, slots=True)
class AlertPage:
    alert: cases.Alert
    party: cases.Party
    history: list[cases.AlertEvent]
    book: cases.Book | None
    entity: Entity | None
    listed_now: bool | None
    explanation: ExplanationView | None
    compare: list[CompareRow]
    decisions: dict[str, str] = field(default_factory=lambda: dict(DECISION_LABELS))


def _entity_names(entity: Entity) -> list[str]:
    return [f"{n.full} ({n.kind.value})" for n in entity.names]


def alert_page(store: Store, alert_id: int) -> AlertPage:
    alert = cases.get_alert(store, alert_id)
    party = cases.alert_party(store, alert_id)
    history = cases.alert_history(store, alert_id)
    try:
        book: cases.Book | None = cases.book(store, alert.book)
    except cases.CaseError:
        book = None
    found = cases.snapshot_entities(store, alert.snapshot, [alert.entity_id])
    entity = found[0] if found else None
    listed_now: bool | None = None
    try:
        current = store.entity(alert.entity_id)
        listed_now = current.listed
        entity = entity or current.entity
    except StoreError:
        pass
    explanation = explanation_view(alert.explanation)
    return AlertPage(
        alert,
        party,
        history,
        book,
        entity,
        listed_now,
        explanation,
        compare_rows(party.query, entity, explanation),
    )


def compare_rows(
    query: Mapping[str, Any], entity: Entity | None, explanation: ExplanationView | None
) -> list[CompareRow]:
    """The party's screening data next to the list entry's, with the matcher's verdict."""
    verdicts = {a.attribute: a for a in explanation.attributes} if explanation else {}

    def evidence(attribute: str) -> tuple[str, str]:
        a = verdicts.get(attribute)
        if a is None:
            return "", ""
        return a.verdict, f"{a.outcome} ({a.effect:+.1f}): {a.detail}"

    e = entity
    rows = [
        CompareRow("Names", list(query.get("names") or ()), _entity_names(e) if e else []),
        CompareRow(
            "Entity type",
            [str(query["schema"])] if query.get("schema") else [],
            [e.schema.value] if e else [],
            *evidence("schema"),
        ),
        CompareRow(
            "Date of birth",
            list(query.get("birth_dates") or ()),
            [date_label(d) for d in e.birth_dates] if e else [],
            *evidence("dob"),
        ),
        CompareRow(
            "Countries",
            [country_label(c) for c in query.get("countries") or ()],
            [
                country_label(c)
                for c in dict.fromkeys((*e.nationalities, *e.citizenships, *e.countries))
            ]
            if e
            else [],
            *evidence("country"),
        ),
        CompareRow(
            "Identifiers",
            list(query.get("identifiers") or ()),
            [
                f"{i.label or i.type}: {i.value}" + (f" ({i.country})" if i.country else "")
                for i in e.identifiers
            ]
            if e
            else [],
            *evidence("id"),
        ),
    ]
    if query.get("gender") or (e and e.gender):
        rows.append(
            CompareRow(
                "Gender",
                [str(query["gender"])] if query.get("gender") else [],
                [e.gender] if e and e.gender else [],
                *evidence("gender"),
            )
        )
    return rows


# -- audit ------------------------------------------------------------------------------


def audit_summary(record: AuditRecord) -> str:
    """One line saying what a record is about."""
    p = record.payload
    details = p.get("details") or {}
    action = record.action
    if action == "alert_decision":
        text = (
            f"alert #{details.get('alert')} ({details.get('party_id')} vs "
            f"{details.get('entity_id')}): {details.get('from')} → {details.get('to')}"
        )
        if details.get("kind") not in (None, "decision"):
            text += f" [{details.get('kind')}]"
        return f"{text}; reason: {details.get('reason')}"
    if action in ("search", "match", "screen", "scan", "payment"):
        query = p.get("query")
        names: list[str] = []
        if isinstance(query, Mapping):
            for q in query.values() if "names" not in query else [query]:
                if isinstance(q, Mapping):
                    names += [str(n) for n in q.get("names") or ()]
        results = p.get("results") or []
        hits = sum(1 for r in results if isinstance(r, Mapping) and r.get("match"))
        where = details.get("endpoint")
        label = ", ".join(names[:3]) + ("…" if len(names) > 3 else "")
        return f"{label or 'query'}: {len(results)} result(s), {hits} alert(s)" + (
            f" via {where}" if where else ""
        )
    if action == "list_update":
        datasets = p.get("datasets") or {}
        return "activated: " + (", ".join(f"{d} {s}" for d, s in datasets.items()) or "nothing")
    if action in ("key_create", "key_revoke"):
        return f"key {details.get('name')} ({details.get('role')})"
    if action in ("console_login", "console_logout"):
        return f"key id {details.get('key_id')} from {details.get('client', '?')}"
    text = json.dumps(details or p, ensure_ascii=False, sort_keys=True)
    return text if len(text) <= 160 else text[:159] + "…"


def audit_actions(known: Iterable[str]) -> list[str]:
    return sorted({*known, "console_login", "console_logout"})


def pretty_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, indent=2, default=str)
