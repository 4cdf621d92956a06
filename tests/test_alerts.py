"""Alert review: decisions with history and audit records, four-eyes, the daily summary, and
the ``tamiz alerts`` commands. SQLite and PostgreSQL (the ``store`` fixture)."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from typer.testing import CliRunner

from tamiz.cli import app
from tamiz.screen import Screener
from tamiz.screen.monitor import Monitor
from tamiz.store import audit, cases
from tamiz.store.cases import CaseError, FourEyesError
from test_monitor_support import (
    INTERNAL_V1,
    INTERNAL_V2,
    alerts_by_pair,
    book_parties,
    load_internal,
)

runner = CliRunner()


@pytest.fixture
def alerted(store, tmp_path):
    """Store with the internal list v1 and the five-party book screened: three open alerts."""
    load_internal(store, tmp_path, INTERNAL_V1, "2025-01-01")
    monitor = Monitor(store, Screener(store, disk_cache=False))
    monitor.add("retail", book_parties())
    return monitor


def test_decision_is_stored_with_history_and_audit_record(store, alerted):
    alert = alerts_by_pair(store)[("p3", "internal:3")]
    result = cases.decide(store, alert.id, "escalated", "  needs EDD  ", "ana", actor="key:ana")
    assert result.alert.status == "escalated" and not result.pending
    event = cases.alert_history(store, alert.id)[-1]
    assert (event.kind, event.analyst, event.from_status, event.to_status, event.reason) == (
        "decision",
        "ana",
        "open",
        "escalated",
        "needs EDD",
    )
    assert event.audit_seq == result.audit_seq
    [record] = audit.records(store, action="alert_decision")
    assert record.seq == result.audit_seq and record.actor == "key:ana"
    details = record.payload["details"]
    assert details["alert"] == alert.id and details["entity_id"] == "internal:3"
    assert (details["from"], details["to"], details["reason"]) == ("open", "escalated", "needs EDD")
    assert details["party_id"] == "p3" and details["snapshot"] == alert.snapshot
    assert audit.verify(store).ok


@pytest.mark.parametrize(
    ("status", "reason", "analyst", "message"),
    [
        ("closed", "x", "ana", "cannot decide"),
        ("open", "x", "ana", "cannot decide"),
        ("false_positive", "   ", "ana", "needs a reason"),
        ("false_positive", "x", "", "analyst"),
    ],
)
def test_bad_decisions_are_refused(store, alerted, status, reason, analyst, message):
    alert = cases.list_alerts(store)[0]
    with pytest.raises(CaseError, match=message):
        cases.decide(store, alert.id, status, reason, analyst)
    assert cases.get_alert(store, alert.id).status == "open"
    assert audit.records(store, action="alert_decision") == []


def test_unknown_and_closed_alerts(store, alerted):
    with pytest.raises(CaseError, match="no alert 999"):
        cases.decide(store, 999, "escalated", "x", "ana")
    alerted.remove("retail", ["p1"])
    closed = alerts_by_pair(store)[("p1", "internal:1")]
    assert closed.status == "closed"
    with pytest.raises(CaseError, match="closed"):
        cases.decide(store, closed.id, "false_positive", "x", "ana")


def test_four_eyes_needs_a_second_analyst(store, alerted):
    cases.configure_book(store, "retail", four_eyes=True)
    alert = alerts_by_pair(store)[("p2", "internal:2")]
    proposed = cases.decide(store, alert.id, "true_match", "same registration", "ana")
    assert proposed.pending and proposed.alert.status == "pending_true_match"
    assert proposed.alert.pending_by == "ana" and proposed.event.kind == "proposal"
    with pytest.raises(FourEyesError, match="different analyst"):
        cases.decide(store, alert.id, "true_match", "I insist", "ana")
    confirmed = cases.decide(store, alert.id, "true_match", "confirmed: same IMO", "bob")
    assert confirmed.alert.status == "true_match" and confirmed.alert.pending_by is None
    assert confirmed.event.kind == "confirmation"
    kinds = [(e.kind, e.analyst) for e in cases.alert_history(store, alert.id)]
    assert kinds == [("created", "system"), ("proposal", "ana"), ("confirmation", "bob")]
    records = audit.records(store, action="alert_decision")
    assert [r.payload["details"]["kind"] for r in records] == ["confirmation", "proposal"]
    assert records[0].payload["details"]["proposed_by"] == "ana"
    # pending alerts count as backlog; a different decision replaces the proposal
    other = alerts_by_pair(store)[("p3", "internal:3")]
    cases.decide(store, other.id, "true_match", "looks right", "ana")
    replaced = cases.decide(store, other.id, "false_positive", "no: different DOB", "bob")
    assert replaced.alert.status == "false_positive" and replaced.alert.pending_by is None


def test_four_eyes_off_decides_at_once_and_global_switch(store, alerted, monkeypatch):
    a1, a2 = (alerts_by_pair(store)[k] for k in (("p1", "internal:1"), ("p2", "internal:2")))
    assert cases.decide(store, a1.id, "true_match", "clear", "ana").alert.status == "true_match"
    monkeypatch.setenv("TAMIZ_FOUR_EYES", "1")
    assert cases.book(store, "retail").effective_four_eyes
    assert cases.decide(store, a2.id, "true_match", "clear", "ana").pending
    cases.configure_book(store, "retail", four_eyes=False)  # the book overrides the default
    assert not cases.book(store, "retail").effective_four_eyes


def test_daily_summary(store, alerted, tmp_path):
    today = dt.datetime.now(dt.UTC).date()
    ids = {k: a.id for k, a in alerts_by_pair(store).items()}
    cases.decide(store, ids[("p1", "internal:1")], "false_positive", "other person", "ana")
    cases.decide(store, ids[("p2", "internal:2")], "escalated", "check owner", "bob")
    v2 = load_internal(store, tmp_path, INTERNAL_V2, "2025-01-02")
    alerted.on_snapshot_activated(v2)
    summary = cases.daily_summary(store, today)
    assert summary["date"] == today.isoformat()
    assert summary["new_alerts"] == {
        "total": 4,
        "by_book": {"retail": 4},
        "by_dataset": {"internal": 4},
    }
    assert summary["decisions"]["by_status"] == {"escalated": 1, "false_positive": 1}
    assert summary["decisions"]["by_analyst"] == {"ana": 1, "bob": 1}
    # p1 re-opened (list entry changed), p3 closed (entry removed), p4 new, p2 escalated
    assert summary["reopened"] == 1 and summary["closed"] == 1
    assert summary["backlog"]["by_book"] == {"retail": {"escalated": 1, "open": 2}}
    assert summary["backlog"]["total"] == 3
    [first, second] = summary["list_updates"]
    assert first["previous"] is None and second["snapshot"] == v2.snapshot
    assert (second["added"], second["removed"], second["changed"]) == (1, 1, 1)
    assert {r["kind"] for r in summary["monitor_runs"]} == {"parties", "incremental"}
    # another day: nothing happened, and the backlog then was empty
    empty = cases.daily_summary(store, today - dt.timedelta(days=1))
    assert empty["new_alerts"]["total"] == 0 and empty["backlog"]["total"] == 0
    assert empty["list_updates"] == [] and empty["monitor_runs"] == []


# -- the CLI ------------------------------------------------------------------------------


def _json(args: list[str]):
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_cli_alerts_list_decide_show_history(store, alerted, monkeypatch):
    rows = _json(["alerts", "list", "--json"])
    assert len(rows) == 3
    for row in rows:
        assert {"id", "party_id", "entity_id", "score", "status", "snapshot", "changed"} <= set(row)
        assert row["status"] == "open" and row["changed"] is False
        assert isinstance(row["score"], float) and row["snapshot"]
    assert _json(["alerts", "list", "--status", "false_positive", "--json"]) == []
    assert len(_json(["alerts", "list", "--book", "retail", "--json"])) == 3
    assert _json(["alerts", "list", "--book", "other", "--json"]) == []
    target = next(r for r in rows if r["party_id"] == "p2")

    monkeypatch.setattr("getpass.getuser", lambda: "carla")
    reason = "different company, other registry"
    args = ["alerts", "decide", str(target["id"]), "--status", "false_positive"]
    decided = _json([*args, "--reason", reason, "--json"])
    assert decided["alert"]["status"] == "false_positive"
    assert decided["event"]["analyst"] == "carla"  # the OS user by default
    fps = _json(["alerts", "list", "--status", "false_positive", "--json"])
    assert [r["id"] for r in fps] == [target["id"]]

    shown = _json(["alerts", "show", str(target["id"]), "--json"])
    assert shown["party"]["party_id"] == "p2" and shown["explanation"]["matched_name"]
    assert [e["kind"] for e in shown["history"]] == ["created", "decision"]
    history = _json(["alerts", "history", str(target["id"]), "--json"])
    assert history[-1]["reason"] == "different company, other registry"

    human = runner.invoke(app, ["alerts", "show", str(target["id"])])
    assert human.exit_code == 0 and "false_positive" in human.output


def test_cli_decide_errors(store, alerted):
    bad = runner.invoke(app, ["alerts", "decide", "1", "--status", "nope", "--reason", "x"])
    assert bad.exit_code == 2 and "cannot decide" in bad.output
    missing = runner.invoke(
        app, ["alerts", "decide", "424242", "--status", "escalated", "--reason", "x"]
    )
    assert missing.exit_code == 2 and "no alert 424242" in missing.output
    cases.configure_book(store, "retail", four_eyes=True)
    first = runner.invoke(
        app,
        ["alerts", "decide", "1", "--status", "true_match", "--reason", "x", "--analyst", "ana"],
    )
    assert first.exit_code == 0 and "pending_true_match" in first.output
    again = runner.invoke(
        app,
        ["alerts", "decide", "1", "--status", "true_match", "--reason", "x", "--analyst", "ana"],
    )
    assert again.exit_code == 1 and "different analyst" in again.output


def test_cli_summary_json(store, alerted):
    data = _json(["alerts", "summary", "--json"])
    assert data["new_alerts"]["total"] == 3
    assert data["backlog"]["by_book"] == {"retail": {"open": 3}}
    day = _json(["alerts", "summary", "--date", "2020-01-01", "--json"])
    assert day["date"] == "2020-01-01" and day["new_alerts"]["total"] == 0
    bad = runner.invoke(app, ["alerts", "summary", "--date", "yesterday"])
    assert bad.exit_code == 2
