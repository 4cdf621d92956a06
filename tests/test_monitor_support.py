"""Shared helpers for the monitoring tests (no tests here).

The "internal" lists below are written by the tests in tamiz's own list CSV format (format
id ``csv``, documented in ``tamiz.sources.user_csv``): a few invented entries that change
between versions, padded with the 1,000 synthetic people of
``eval/negatives/vr_negatives_us.csv`` so that the matcher's list-frequency statistics are
those of a list, not of three names. Tests that need real list data (SDN history, FBI
wanted, the SDN small fixture) read it from ``../shared/data``.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest

from tamiz.match import Query
from tamiz.screen.monitor import Monitor
from tamiz.store import Store, UpdateResult
from tamiz.store.cases import PartyInput
from tamiz.store.updates import update_from_paths

HEADER = ("id", "name", "aliases", "schema", "dob", "program")
FILLER = (
    Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "eval" / "negatives"
).resolve() / "vr_negatives_us.csv"

INTERNAL_V1 = [
    ("1", "Wolfgang Amadeus Kurzweil", "Wolfi Kurzweil", "Person", "1961-03-04", "ARMS"),
    ("2", "Zorbatron Shipping Company", "", "Company", "", "SHIP"),
    ("3", "Quintessa Velmorova", "", "Person", "1975-07-08", "FIN"),
]
# v2: entry 1 changes (another birth date), entry 3 leaves, entry 4 arrives
INTERNAL_V2 = [
    ("1", "Wolfgang Amadeus Kurzweil", "Wolfi Kurzweil", "Person", "1961-03-05", "ARMS"),
    ("2", "Zorbatron Shipping Company", "", "Company", "", "SHIP"),
    ("4", "Bartholomew Xanthopoulos", "", "Person", "1980-01-02", "FIN"),
]

PARTIES = [
    ("p1", "Wolfgang Kurzweil", "Person"),
    ("p2", "Zorbatron Shipping Co", "Company"),
    ("p3", "Quintessa Velmorova", "Person"),
    ("p4", "Bartholomew Xanthopoulos", "Person"),
    ("p5", "John Smith", "Person"),
]


@functools.cache
def filler_rows() -> tuple[tuple[str, ...], ...]:
    if not FILLER.is_file():
        pytest.skip(f"shared eval data not found at {FILLER}")
    with FILLER.open(encoding="utf-8") as fh:
        return tuple(
            (f"f{n}", row["full_name"], "", "Person", row["date_of_birth"], "OTHER")
            for n, row in enumerate(csv.DictReader(fh))
        )


def write_list(path: Path, rows: list[tuple[str, ...]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
        writer.writerows(filler_rows())
    return path


def load_internal(store: Store, tmp_path: Path, rows: list[tuple[str, ...]], day: str):
    path = write_list(tmp_path / f"internal-{day}.csv", rows)
    result = update_from_paths(store, "internal", [path], format="csv")
    assert result.status == "activated", result.error
    return result


def party(pid: str, name: str, schema: str | None = None, **extra) -> PartyInput:
    query = Query(names=(name,), schema=schema, **extra)
    return PartyInput(pid, query.to_dict(), {"name": name})


def book_parties(rows=PARTIES) -> list[PartyInput]:
    return [party(pid, name, schema) for pid, name, schema in rows]


def alerts_by_pair(store: Store) -> dict[tuple[str, str], object]:
    from tamiz.store import cases

    return {(a.party_id, a.entity_id): a for a in cases.list_alerts(store)}


def update_and_monitor(monitor: Monitor, result: UpdateResult):
    run = monitor.on_snapshot_activated(result)
    assert run is not None
    return run
