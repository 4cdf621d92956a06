"""An entity's designations and list history as one dated timeline.

Dates come from two places: what the publisher states (listed on, effective from, delisted
on, the UN's "last day updated") and what tamiz saw (the first snapshot that carried a
designation, the snapshots where the entry changed or disappeared). Lists such as OFAC's
CSV state no designation dates at all; for those, the first snapshot is the only date there
is, and the timeline says so.
"""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
from sqlalchemy import select

from tamiz.model import Designation
from tamiz.store import EntityRecord, SnapshotInfo, Store
from tamiz.store.schema import EntityVersionRow, SnapshotEntityRow

# Fields of the stored entity whose change an analyst cares about, in reading order.
FIELD_LABELS = {
    "names": "names",
    "designations": "designations",
    "birth_dates": "birth dates",
    "birth_places": "birth places",
    "nationalities": "nationalities",
    "citizenships": "citizenships",
    "countries": "countries",
    "gender": "gender",
    "addresses": "addresses",
    "identifiers": "identifiers",
    "positions": "positions",
    "remarks": "remarks",
    "relations": "relations",
    "properties": "other details",
    "schema": "entity type",
}


@dataclass(frozen=True, slots=True)
class TimelineEvent:
    date: str  # ISO date or prefix (YYYY, YYYY-MM)
    kind: str  # listed | effective | first_seen | added | amended | changed | delisted | removed
    label: str
    designation: Designation | None = None
    detail: str | None = None
    source: str = "publisher"  # publisher: stated in the list; tamiz: observed in snapshots


@dataclass(frozen=True, slots=True)
class VersionStep:
    snapshot: SnapshotInfo
    version: str | None  # the entity's version hash in it; None when absent


def version_history(store: Store, entity_id: str) -> list[VersionStep]:
    """The entity's version in every stored snapshot of its dataset, oldest first."""
    dataset = entity_id.split(":", 1)[0]
    snapshots = store.snapshots(dataset)
    with store.session() as s:
        versions = dict(
            s.execute(
                select(SnapshotEntityRow.snapshot_id, SnapshotEntityRow.version_hash).where(
                    SnapshotEntityRow.entity_id == entity_id
                )
            ).all()
        )
    return [VersionStep(sn, versions.get(sn.id)) for sn in snapshots]


def _changed_fields(store: Store, pairs: Sequence[tuple[str, str]]) -> dict[tuple[str, str], str]:
    hashes = sorted({h for pair in pairs for h in pair})
    if not hashes:
        return {}
    with store.session() as s:
        data = {
            h: orjson.loads(blob)
            for h, blob in s.execute(
                select(EntityVersionRow.hash, EntityVersionRow.data).where(
                    EntityVersionRow.hash.in_(hashes)
                )
            )
        }
    out = {}
    for old, new in pairs:
        a, b = data.get(old, {}), data.get(new, {})
        keys = [k for k in FIELD_LABELS if a.get(k) != b.get(k)]
        out[(old, new)] = ", ".join(FIELD_LABELS[k] for k in keys) or "details"
    return out


def _program(d: Designation) -> str:
    return f"{d.program} ({d.program_title})" if d.program_title else d.program


def build_timeline(
    store: Store, record: EntityRecord, steps: Sequence[VersionStep] | None = None
) -> list[TimelineEvent]:
    """Every dated event of the entity, oldest first."""
    entity = record.entity
    steps = list(steps) if steps is not None else version_history(store, entity.id)
    events: list[TimelineEvent] = []

    first_present = next((st.snapshot.published.isoformat() for st in steps if st.version), None)
    for d in entity.designations:
        program = _program(d)
        if d.listed_on:
            events.append(TimelineEvent(d.listed_on, "listed", f"Listed: {program}", d))
        elif d.first_seen:
            # the list states no date (OFAC's files do not): the first snapshot carrying it
            kind = "added" if first_present and d.first_seen > first_present else "listed"
            events.append(
                TimelineEvent(
                    d.first_seen,
                    kind,
                    f"{'Designation added' if kind == 'added' else 'On the list'}: {program}",
                    d,
                    detail="no designation date in the list: first snapshot carrying it",
                    source="tamiz",
                )
            )
        if d.effective_from and d.effective_from != d.listed_on:
            events.append(TimelineEvent(d.effective_from, "effective", f"Effective: {program}", d))
        if d.listed_on and d.first_seen and first_present and d.first_seen > first_present:
            events.append(
                TimelineEvent(
                    d.first_seen,
                    "added",
                    f"Designation added to the entry: {program}",
                    d,
                    detail="first snapshot carrying it",
                    source="tamiz",
                )
            )
        if d.delisted_on:
            events.append(TimelineEvent(d.delisted_on, "delisted", f"Delisted: {program}", d))
    if first_present and not any(e.date == first_present for e in events):
        events.append(
            TimelineEvent(
                first_present,
                "first_seen",
                "First seen: in the list snapshot published on this date",
                source="tamiz",
            )
        )
    for day in entity.property_values("modifiedAt"):
        events.append(TimelineEvent(day, "amended", "Amended by the publisher (last update)"))

    pairs = [
        (old.version, new.version)
        for old, new in itertools.pairwise(steps)
        if old.version and new.version and old.version != new.version
    ]
    fields = _changed_fields(store, pairs)
    previous: str | None
    seen: bool
    previous, seen = None, False
    for st in steps:
        day = st.snapshot.published.isoformat()
        if st.version and previous and st.version != previous:
            events.append(
                TimelineEvent(
                    day,
                    "changed",
                    "Entry changed in the list",
                    detail=f"changed: {fields.get((previous, st.version), 'details')}",
                    source="tamiz",
                )
            )
        elif st.version and not previous and seen:
            events.append(TimelineEvent(day, "listed", "Back on the list", source="tamiz"))
        elif not st.version and previous:
            events.append(
                TimelineEvent(
                    day,
                    "removed",
                    "Removed: absent from the list snapshot published on this date",
                    source="tamiz",
                )
            )
        seen = seen or bool(st.version)
        previous = st.version
    events.sort(key=lambda e: e.date)
    return events


def iso_day(value: dt.date | dt.datetime | str | None) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
