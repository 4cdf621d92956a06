"""Monitoring passes: parties, full and incremental; accept list; topics; the SDN history.

Runs on SQLite and PostgreSQL (the ``store`` fixture). Small lists are written by the tests
(see test_monitor_support.py); the SDN history, the SDN small fixture and the FBI wanted page
are real files from ../shared/data.
"""

from __future__ import annotations

import pytest

from tamiz.model import topic_matches
from tamiz.screen import Screener
from tamiz.screen.monitor import Monitor
from tamiz.store import Settings, Store, audit, cases
from tamiz.store.updates import update_from_paths
from test_monitor_support import (
    INTERNAL_V1,
    INTERNAL_V2,
    alerts_by_pair,
    book_parties,
    filler_rows,
    load_internal,
    party,
)


@pytest.fixture
def monitor(store):
    return Monitor(store, Screener(store, disk_cache=False))


def test_schema_matches_migrations(store):
    """The ORM models and the Alembic revisions describe the same tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from tamiz.store.schema import Base

    with store.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diffs == []


def test_adding_parties_screens_them_once_per_pair(store, monitor, tmp_path):
    v1 = load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    added = monitor.add("retail", book_parties())
    assert added.upsert.added == 5
    assert added.run is not None and added.run.kind == "parties"
    pairs = alerts_by_pair(store)
    assert set(pairs) == {
        ("p1", "internal:1"),
        ("p2", "internal:2"),
        ("p3", "internal:3"),
    }
    alert = pairs[("p1", "internal:1")]
    assert alert.status == "open" and not alert.changed
    assert alert.snapshot == v1.snapshot and alert.book == "retail"
    assert alert.explanation["matched_name"]
    # the same file again: nothing to screen, nothing new
    again = monitor.add("retail", book_parties())
    assert (again.upsert.unchanged, again.upsert.added, again.run) == (5, 0, None)
    full = monitor.run_full()
    assert (len(full.created), len(full.reopened), full.closed) == (0, 0, 0)
    assert len(cases.list_alerts(store)) == 3


def test_incremental_pass_follows_the_diff(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor.add("retail", book_parties())
    before = alerts_by_pair(store)
    v2 = load_internal(store, tmp_path, INTERNAL_V2, "2025-01-02")
    diff = store.diff("internal", v2.previous, v2.snapshot)
    assert diff.added == ("internal:4",) and diff.removed == ("internal:3",)
    assert [eid for eid, _ in diff.changed] == ["internal:1"]

    run = monitor.on_snapshot_activated(v2)
    assert run is not None and run.kind == "incremental"
    after = alerts_by_pair(store)
    created = {(a.party_id, a.entity_id) for a in after.values() if a.id in run.created}
    # only an added (or changed) entity can raise a new alert
    assert created == {("p4", "internal:4")}
    # only parties that could match the added/changed entities were re-scored
    assert run.parties <= 3
    # a removed entry closes its waiting alert with a system note naming the snapshot
    closed = after[("p3", "internal:3")]
    assert closed.status == "closed"
    last = cases.alert_history(store, closed.id)[-1]
    assert last.kind == "closed" and last.analyst == "system"
    assert "removed from internal" in last.reason and v2.snapshot in last.reason
    # a changed entry re-scores its open alert and flags it
    rescored = after[("p1", "internal:1")]
    assert rescored.status == "open" and rescored.changed
    assert rescored.entity_version != before[("p1", "internal:1")].entity_version
    assert cases.alert_history(store, rescored.id)[-1].reason == "list entry changed"
    # untouched entity: untouched alert
    assert after[("p2", "internal:2")].updated_at == before[("p2", "internal:2")].updated_at
    # a full pass on the new snapshot agrees with the incremental one
    full = monitor.run_full()
    assert (len(full.created), len(full.reopened), full.closed) == (0, 0, 0)


def test_accept_list_suppresses_until_the_list_entry_changes(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor.add("retail", book_parties())
    fp = alerts_by_pair(store)[("p1", "internal:1")]
    cases.decide(store, fp.id, "false_positive", "born elsewhere, different person", "ana")
    for _ in range(2):
        run = monitor.run_full()
        assert run.suppressed == 1 and not run.reopened
        assert cases.get_alert(store, fp.id).status == "false_positive"
    v2 = load_internal(store, tmp_path, INTERNAL_V2, "2025-01-02")
    run = monitor.on_snapshot_activated(v2)
    assert fp.id in run.reopened
    reopened = cases.get_alert(store, fp.id)
    assert reopened.status == "open" and reopened.changed
    event = cases.alert_history(store, fp.id)[-1]
    assert (event.kind, event.from_status, event.reason) == (
        "reopened",
        "false_positive",
        "list entry changed",
    )
    # the webhook batch of that run would carry it: it is a "new" alert again
    assert fp.id in run.new_alerts


def test_changed_party_reopens_its_accepted_alerts(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor.add("retail", book_parties())
    fp = alerts_by_pair(store)[("p2", "internal:2")]
    cases.decide(store, fp.id, "false_positive", "a different shipping firm", "ana")
    # same data re-added: still suppressed
    assert monitor.add("retail", [party("p2", "Zorbatron Shipping Co", "Company")]).run is None
    assert cases.get_alert(store, fp.id).status == "false_positive"
    # changed data (a country now given): the accept list no longer holds
    changed = monitor.add(
        "retail", [party("p2", "Zorbatron Shipping Co", "Company", countries=("GR",))]
    )
    assert changed.upsert.updated == 1 and changed.upsert.reopened == 1
    alert = cases.get_alert(store, fp.id)
    assert alert.status == "open" and alert.changed
    assert alert.party_fingerprint == cases.get_party(store, "retail", "p2").fingerprint
    assert cases.alert_history(store, fp.id)[-2].reason == "party data changed"


def test_party_index_covers_parties_added_after_it_was_built(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor.add("retail", book_parties()[:3])
    assert monitor.refresh_party_index().delta is None
    # added later, not screened yet: not in the index file, so in the delta index
    monitor.add("retail", [party("p4", "Bartholomew Xanthopoulos", "Person")], screen=False)
    pindex = monitor.party_index()
    assert pindex.delta is not None and len(pindex.delta) == 1
    v2 = load_internal(store, tmp_path, INTERNAL_V2, "2025-01-02")
    run = monitor.on_snapshot_activated(v2)
    created = {(a.party_id, a.entity_id) for a in cases.list_alerts(store) if a.id in run.created}
    assert created == {("p4", "internal:4")}
    assert monitor.refresh_party_index().delta is None
    assert len(monitor.party_index().main) == 4


def test_removing_a_party_closes_its_waiting_alerts(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor.add("retail", book_parties())
    removed, closed = monitor.remove("retail", ["p1", "p5", "nope"])
    assert (removed, closed) == (2, 1)
    assert alerts_by_pair(store)[("p1", "internal:1")].status == "closed"
    assert [p.party_id for p in cases.list_parties(store, "retail")] == ["p2", "p3", "p4"]
    full = monitor.run_full()
    assert full.parties == 3 and not full.created
    # re-adding re-activates and re-screens it; the closed alert re-opens
    again = monitor.add("retail", [party("p1", "Wolfgang Kurzweil", "Person")])
    assert again.upsert.reactivated == 1
    assert alerts_by_pair(store)[("p1", "internal:1")].status == "open"


def test_books_keep_parties_apart_and_thresholds_apply(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    cases.configure_book(store, "strict", threshold=0.999)
    monitor.add("retail", book_parties())
    monitor.add("strict", book_parties())
    by_book = cases.count_alerts(store, by="book")
    assert by_book["retail"] == 3
    assert by_book.get("strict", 0) < 3  # partial names score below 0.999
    assert {b.name: b.parties for b in cases.books(store)} == {"retail": 5, "strict": 5}


def test_topic_filters_per_book(store, lists_dir):
    """FBI wanted persons carry the topic ``wanted``; SDN entries ``sanction``."""
    monitor = Monitor(store, Screener(store, disk_cache=False))
    fbi = lists_dir / "us_fbi_wanted" / "wanted-list-page20-2024-09.json"
    assert update_from_paths(store, "us_fbi_wanted", [fbi]).status == "activated"
    sdn = lists_dir / "us_ofac_sdn" / "small-fixture"
    assert update_from_paths(store, "us_ofac_sdn", [sdn]).status == "activated"
    parties = [
        party("w1", "Yevgeniy Viktorovich Prigozhin", "Person"),
        party("s1", "Elvis Angus Logan Morey", "Person"),
    ]
    cases.configure_book(store, "no-wanted", exclude_topics=["wanted"])
    cases.configure_book(store, "only-wanted", include_topics=["wanted"])
    for name in ("all", "no-wanted", "only-wanted"):
        monitor.add(name, parties)

    def datasets(book):
        return {(a.party_id, a.dataset) for a in cases.list_alerts(store, book=book)}

    assert datasets("all") == {("w1", "us_fbi_wanted"), ("s1", "us_ofac_sdn")}
    assert datasets("no-wanted") == {("s1", "us_ofac_sdn")}
    assert datasets("only-wanted") == {("w1", "us_fbi_wanted")}
    # a sub-topic matches its parent: SDGT-style "crime.terror" is under "crime"
    assert topic_matches("crime.terror", "crime")
    assert not topic_matches("crimes", "crime")
    # a filter added later applies at the next pass: the wanted alert closes
    cases.configure_book(store, "all", exclude_topics=["wanted"])
    run = monitor.run_full()
    assert run.closed == 1
    assert {(a.party_id, a.status) for a in cases.list_alerts(store, book="all")} == {
        ("w1", "closed"),
        ("s1", "open"),
    }


def test_runs_are_audited_and_the_chain_stays_intact(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor.add("retail", book_parties())
    monitor.run_full()
    runs = audit.records(store, action="monitor_run")
    assert len(runs) == 2
    details = runs[0].payload["details"]
    assert details["kind"] == "full" and details["parties"] == 5
    first = runs[1].payload["details"]
    assert first["created"] == 3 and len(first["new_alert_ids"]) == 3
    assert audit.records(store, action="monitor_add")[0].payload["details"]["added"] == 5
    assert audit.verify(store).ok


def test_no_parties_means_no_work(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    v2 = load_internal(store, tmp_path, INTERNAL_V2, "2025-01-02")
    assert monitor.on_snapshot_activated(v2) is None
    assert monitor.after_update([v2]) == []
    assert cases.runs(store) == []


def test_first_load_of_a_dataset_is_a_full_pass_over_it(store, monitor, tmp_path):
    monitor.add("retail", book_parties())  # no list yet: nothing screened
    assert cases.list_alerts(store) == []
    v1 = load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    [run] = monitor.after_update([v1])
    assert run.kind == "full" and len(run.created) == 3


def test_after_update_collapses_a_batch_per_dataset(store, monitor, tmp_path):
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor.add("retail", book_parties())
    v2 = load_internal(store, tmp_path, INTERNAL_V2, "2025-01-02")
    v3_rows = [*INTERNAL_V2, ("5", "Ottoline Frampton", "", "Person", "", "FIN")]
    v3 = load_internal(store, tmp_path, v3_rows, "2025-01-03")
    runs = monitor.after_update([v2, v3])
    assert len(runs) == 1
    assert runs[0].trigger.endswith(f"{v2.previous} -> {v3.snapshot}")


@pytest.mark.slow
def test_sdn_daily_updates_raise_and_close_alerts(store, lists_dir):
    """A book with names from the SDN history: 05-01 → 05-02 adds seven entries (Hizballah
    financiers), 05-02 → 05-03 removes eight (Emperor Aviation and its aircraft)."""
    history = lists_dir / "us_ofac_sdn" / "history"
    monitor = Monitor(store, Screener(store))
    first = update_from_paths(store, "us_ofac_sdn", [history / "sdn-2024-05-01.csv"])
    assert first.status == "activated"
    parties = [
        party("c-maduro", "Nicolas Maduro Moros", "Person", birth_dates=("1962-11-23",)),
        party("c-emperor", "Emperor Aviation Limited", "Company"),
        party("c-youssef", "Adnan Mahmoud Youssef", "Person"),
        party("c-zein", "Mazen Al-Zein", "Person"),
        party("c-teleport", "Teleport Company SAL", "Company"),
        party("c-smith", "John Smith", "Person"),
        party("c-garcia", "Maria Garcia Lopez", "Person"),
    ]
    monitor.add("retail", parties)
    pairs = alerts_by_pair(store)
    assert ("c-maduro", "us_ofac_sdn:22790") in pairs
    assert ("c-emperor", "us_ofac_sdn:38556") in pairs
    assert not any(p == "c-youssef" for p, _ in pairs)

    second = update_from_paths(store, "us_ofac_sdn", [history / "sdn-2024-05-02.csv"])
    diff = store.diff("us_ofac_sdn", first.snapshot, second.snapshot)
    assert len(diff.added) == 7 and not diff.removed
    run = monitor.on_snapshot_activated(second)
    new = {(a.party_id, a.entity_id) for a in cases.list_alerts(store) if a.id in run.created}
    assert new == {
        ("c-youssef", "us_ofac_sdn:48321"),
        ("c-zein", "us_ofac_sdn:48323"),
        ("c-teleport", "us_ofac_sdn:48329"),
    }
    assert {eid for _, eid in new} <= set(diff.added)
    assert run.parties < len(parties)  # only parties that could match were re-scored

    third = update_from_paths(store, "us_ofac_sdn", [history / "sdn-2024-05-03.csv"])
    diff = store.diff("us_ofac_sdn", second.snapshot, third.snapshot)
    assert "us_ofac_sdn:38556" in diff.removed and not diff.added
    run = monitor.on_snapshot_activated(third)
    assert run.closed == 1 and not run.created and run.parties == 0
    emperor = alerts_by_pair(store)[("c-emperor", "us_ofac_sdn:38556")]
    assert emperor.status == "closed"
    note = cases.alert_history(store, emperor.id)[-1]
    assert "removed from us_ofac_sdn" in note.reason and "2024-05-03" in note.reason
    # every other alert still stands; a full pass on 05-03 finds nothing more
    full = monitor.run_full()
    assert (len(full.created), len(full.reopened), full.closed) == (0, 0, 0)


@pytest.mark.slow
def test_incremental_pass_finds_what_a_full_pass_finds(tmp_path, lists_dir):
    """The 2022 Russia wave (SDN 2022-02-03 → 2022-03-01 adds ~170 entries): for a book of
    spellings of the added names plus 1,000 unrelated people, the incremental pass (party
    index prefilter, then normal screening of the candidates) raises exactly the alerts a
    full pass raises on those entities. SQLite only: the point is the matching, not SQL."""
    import random

    home = tmp_path / "home"
    store = Store.open(Settings(home=home, database_url=f"sqlite:///{home / 'tamiz.db'}"))
    history = lists_dir / "us_ofac_sdn" / "history"
    old = update_from_paths(store, "us_ofac_sdn", [history / "sdn-2022-02-03.csv"])
    new = update_from_paths(store, "us_ofac_sdn", [history / "sdn-2022-03-01.csv"])
    diff = store.diff("us_ofac_sdn", old.snapshot, new.snapshot)
    touched = set(diff.added) | {eid for eid, _ in diff.changed}
    assert len(touched) > 100
    entities = cases.snapshot_entities(store, new.snapshot, touched)
    rng = random.Random(7)
    parties = []
    for n, entity in enumerate(sorted(entities, key=lambda e: e.id)):
        name = rng.choice([x.full for x in entity.names])
        words = name.replace(",", " ").split()
        if len(words) > 1 and rng.random() < 0.5:
            rng.shuffle(words)
        parties.append(party(f"r{n}", " ".join(words).title()))
    parties += [party(f"x{n}", name) for n, name in enumerate(COMMON_NAMES)]
    # and 1,000 synthetic people on no list, as most of a real book
    parties += [party(f"n{row[0]}", row[1], "Person") for row in filler_rows()]
    store.set_active("us_ofac_sdn", old.snapshot)
    monitor = Monitor(store, Screener(store))
    monitor.add("book", parties, screen=False)
    monitor.run_full()
    monitor.rebuild_party_index()
    store.set_active("us_ofac_sdn", new.snapshot)
    run = monitor.on_snapshot_activated(new)
    incremental = {
        (a.party_id, a.entity_id) for a in cases.list_alerts(store) if a.entity_id in touched
    }
    assert len(incremental) > 100
    assert run.parties < len(parties) / 2
    check = monitor.run_full()
    assert (len(check.created), len(check.reopened), check.closed) == (0, 0, 0)
    store.close()


COMMON_NAMES = [
    "John Smith",
    "Maria Garcia",
    "Mohammed Ali",
    "Ivan Petrov",
    "Olga Ivanova",
    "Sergei Volkov",
    "Li Wei",
    "Ahmed Hassan",
    "Anna Schmidt",
    "Global Trading LLC",
    "Petro Energy Group",
    "Nord Shipping Ltd",
]
