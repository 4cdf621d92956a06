"""The versioned store: snapshots, activation, the loss guard, diffs, as-of and entity views.

Runs on SQLite and on a real PostgreSQL server (the ``store`` fixture is parametrised).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tamiz.model import SourceFile
from tamiz.store import StoreError
from tamiz.store.fetch import files_from_paths
from tamiz.store.schema import EntityVersionRow, SnapshotEntityRow, SnapshotRow
from tamiz.store.updates import update_from_paths


def sdn_history(lists_dir: Path, day: str) -> Path:
    return lists_dir / "us_ofac_sdn" / "history" / f"sdn-{day}.csv"


def raw_rows(path: Path) -> dict[str, list[str]]:
    """ent_num -> raw CSV row, read independently of the parser (the oracle for diffs)."""
    text = path.read_bytes().decode("utf-8", "replace").rstrip("\x1a")
    return {row[0]: row for row in csv.reader(io.StringIO(text)) if row and row[0].strip()}


def counts(store) -> tuple[int, int, int]:
    with store.session() as s:
        return (
            s.scalar(select(func.count()).select_from(SnapshotRow)),
            s.scalar(select(func.count()).select_from(SnapshotEntityRow)),
            s.scalar(select(func.count()).select_from(EntityVersionRow)),
        )


def test_same_bytes_twice_is_unchanged(store, lists_dir):
    path = sdn_history(lists_dir, "2024-05-01")
    first = update_from_paths(store, "us_ofac_sdn", [path])
    assert first.status == "activated", first.error
    assert first.published == dt.date(2024, 5, 1)  # from the file name
    assert first.entities == len(raw_rows(path))
    before = counts(store)
    again = update_from_paths(store, "us_ofac_sdn", [path])
    assert again.status == "unchanged"
    assert again.snapshot == first.snapshot
    assert counts(store) == before


def test_sdn_daily_diffs_match_the_raw_files(store, lists_dir):
    days = ["2024-05-01", "2024-05-02", "2024-05-03"]
    for day in days:
        result = update_from_paths(store, "us_ofac_sdn", [sdn_history(lists_dir, day)])
        assert result.status == "activated", result.error
    for old_day, new_day in itertools.pairwise(days):
        old, new = (
            raw_rows(sdn_history(lists_dir, old_day)),
            raw_rows(sdn_history(lists_dir, new_day)),
        )
        diff = store.diff("us_ofac_sdn", old_day, new_day)
        assert set(diff.added) == {f"us_ofac_sdn:{i}" for i in new.keys() - old.keys()}
        assert set(diff.removed) == {f"us_ofac_sdn:{i}" for i in old.keys() - new.keys()}
        raw_changed = {f"us_ofac_sdn:{i}" for i in old.keys() & new.keys() if old[i] != new[i]}
        assert {i for i, _ in diff.changed} == raw_changed
        for _, fields in diff.changed:
            assert fields, "a changed entity names the fields that changed"
    first = store.diff("us_ofac_sdn", "2024-05-01", "2024-05-02")
    assert first.added or first.removed or first.changed, "consecutive OFAC days differ"


def test_un_2024_to_2025_diff(store, lists_dir):
    for name in ("consolidated-2024-11-30.xml", "consolidated-2025-11-20.xml"):
        result = update_from_paths(store, "un_sc", [lists_dir / "un_sc" / name])
        assert result.status == "activated", result.error
    diff = store.diff("un_sc", "2024-11-30", "2025-11-20")
    assert len(diff.added) == 126
    assert len(diff.removed) == 5
    assert all(i.startswith("un_sc:") for i in diff.added)


def test_loss_guard_rejects_a_truncated_list_and_keeps_the_active_one(store, lists_dir, tmp_path):
    full = sdn_history(lists_dir, "2024-05-03")
    assert update_from_paths(store, "us_ofac_sdn", [full]).status == "activated"
    active = store.active_snapshots()["us_ofac_sdn"]
    # A download cut at a row boundary parses cleanly but lacks most entries.
    lines = full.read_bytes().splitlines(keepends=True)
    cut = tmp_path / "sdn-2024-05-04.csv"
    cut.write_bytes(b"".join(lines[: len(lines) // 3]))
    before = counts(store)
    result = update_from_paths(store, "us_ofac_sdn", [cut])
    assert result.status == "rejected"
    assert "fewer than the active snapshot" in result.error
    assert store.active_snapshots()["us_ofac_sdn"].id == active.id
    assert counts(store) == before
    forced = update_from_paths(store, "us_ofac_sdn", [cut], force=True)
    assert forced.status == "activated"
    assert store.active_snapshots()["us_ofac_sdn"].id == forced.snapshot


@pytest.mark.parametrize(
    "payload",
    [
        b"",
        b'10278,"LOGAN MOREY, Elvis Angus","individual","SDNT",-0- ,-0- ,-0- ,"DOB 28 Ju',
        "Ünïcödé".encode("utf-16"),
        b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    ],
    ids=["empty", "cut-mid-quote", "utf16", "binary"],
)
def test_bad_files_are_rejected_and_change_nothing(store, lists_dir, payload):
    good = update_from_paths(store, "us_ofac_sdn", [sdn_history(lists_dir, "2024-05-01")])
    before = counts(store)
    result = store.ingest("us_ofac_sdn", [SourceFile("sdn.csv", payload)])
    assert result.status == "rejected"
    assert result.error and "sdn.csv" in result.error
    assert counts(store) == before
    assert store.active_snapshots()["us_ofac_sdn"].id == good.snapshot


def test_older_file_loaded_later_is_stored_not_activated(store, lists_dir):
    newer = update_from_paths(store, "us_ofac_sdn", [sdn_history(lists_dir, "2024-05-02")])
    older = update_from_paths(store, "us_ofac_sdn", [sdn_history(lists_dir, "2024-05-01")])
    assert older.status == "stored"
    assert store.active_snapshots()["us_ofac_sdn"].id == newer.snapshot
    # ... but it answers as-of questions
    assert store.snapshots_as_of(dt.date(2024, 5, 1))["us_ofac_sdn"].id == older.snapshot
    # and first-seen dates move back to the older publication
    maduro = store.entity("us_ofac_sdn:22790").entity
    assert {d.first_seen for d in maduro.designations} == {"2024-05-01"}


def test_as_of_and_program_queries(store, lists_dir):
    for day in ("2023-01-05", "2024-05-03"):
        update_from_paths(store, "us_ofac_sdn", [sdn_history(lists_dir, day)])
    raw = raw_rows(sdn_history(lists_dir, "2024-05-03"))
    fto_raw = {
        f"us_ofac_sdn:{i}"
        for i, row in raw.items()
        if "FTO" in row[3].replace("]", " ").replace("[", " ").split()
    }
    assert fto_raw, "the 2024-05-03 SDN has FTO-tagged entries"
    fto = {i for i, _, _ in store.designated_under("FTO")}
    assert fto == fto_raw
    old = store.snapshots_as_of(dt.date(2023, 6, 1))["us_ofac_sdn"]
    assert old.published == dt.date(2023, 1, 5)
    raw_old = raw_rows(sdn_history(lists_dir, "2023-01-05"))
    assert old.entity_count == len(raw_old)
    assert store.snapshots_as_of(dt.date(2020, 1, 1)) == {}


def test_entity_view_history_first_seen_and_relations(store, lists_dir):
    for day in ("2023-01-05", "2024-05-01", "2024-05-03"):
        update_from_paths(store, "us_ofac_sdn", [sdn_history(lists_dir, day)])
    record = store.entity("us_ofac_sdn:22790")
    assert record.listed
    assert "MADURO MOROS" in record.entity.caption
    assert [s.published.isoformat() for s in record.appears_in] == [
        "2023-01-05",
        "2024-05-01",
        "2024-05-03",
    ]
    venezuela = [d for d in record.entity.designations if d.program == "VENEZUELA"]
    assert venezuela and venezuela[0].first_seen == "2023-01-05"
    # Incoming "Linked To" relations: some entity in the list links to another one.
    linked = [
        (e.id, r.target_id)
        for e in store.iter_entities(store.active_snapshots()["us_ofac_sdn"].id)
        for r in e.relations
        if r.target_id
    ]
    assert linked, "OFAC 'Linked To:' remarks resolve to entity ids"
    source, target = linked[0]
    assert source in {i for i, _, _ in store.entity(target).related_from}
    with pytest.raises(StoreError):
        store.entity("us_ofac_sdn:does-not-exist")


def test_removed_entity_is_shown_as_not_listed(store, lists_dir):
    update_from_paths(store, "un_sc", [lists_dir / "un_sc" / "consolidated-2024-11-30.xml"])
    update_from_paths(store, "un_sc", [lists_dir / "un_sc" / "consolidated-2025-11-20.xml"])
    removed = store.diff("un_sc", "2024-11-30", "2025-11-20").removed[0]
    record = store.entity(removed)
    assert not record.listed
    assert record.snapshot.published == dt.date(2024, 11, 30)
    assert store.entity(removed, as_of=dt.date(2024, 12, 1)).listed


def test_snapshot_refs(store, lists_dir):
    result = update_from_paths(store, "us_ofac_sdn", [sdn_history(lists_dir, "2024-05-01")])
    assert store.resolve_snapshot("us_ofac_sdn", result.snapshot[:6]).id == result.snapshot
    assert store.resolve_snapshot("us_ofac_sdn", "2024-05-01").id == result.snapshot
    with pytest.raises(StoreError, match="no snapshot"):
        store.resolve_snapshot("us_ofac_sdn", "2001-01-01")
    with pytest.raises(StoreError, match="unknown dataset"):
        store.resolve_snapshot("nope", "2001-01-01")


def test_raw_files_are_kept_content_addressed(store, lists_dir):
    path = sdn_history(lists_dir, "2024-05-01")
    result = update_from_paths(store, "us_ofac_sdn", [path])
    [(name, digest)] = store.snapshot_file_hashes(result.snapshot)
    assert name == path.name
    assert store.raw_file(digest) == path.read_bytes()


def test_files_from_paths_reads_directories(lists_dir):
    files = files_from_paths([lists_dir / "us_ofac_sdn" / "2021-07-07"])
    assert sorted(f.name for f in files) == ["add.csv", "alt.csv", "sdn.csv", "sdn_comments.csv"]
    with pytest.raises(FileNotFoundError):
        files_from_paths([lists_dir / "nope"])
