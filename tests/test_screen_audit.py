"""Screenings as audit records: the shared builders and the CLI's screen / screen-file."""

from __future__ import annotations

import csv
import getpass
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tamiz.cli import app
from tamiz.match import ALGORITHM, Query
from tamiz.screen import Screener
from tamiz.screen.audit import BatchItem, batch_entry, compact, file_entry, screen_entry
from tamiz.store import Store, audit
from tamiz.store.updates import update_from_paths

runner = CliRunner()


@pytest.fixture
def loaded_store(store, lists_dir) -> Store:
    un = lists_dir / "un_sc" / "consolidated-2025-11-20.xml"
    assert update_from_paths(store, "un_sc", [un]).status == "activated"
    return store


def test_screen_entry_names_query_snapshots_and_results(loaded_store):
    screener = Screener(loaded_store, disk_cache=False)
    response = screener.screen(Query(names=("Joseph Kony",), schema="Person"), limit=3)
    assert response.results
    entry = screen_entry("user:alice", response)
    assert entry.action == "screen" and entry.actor == "user:alice"
    assert entry.query == {"names": ["Joseph Kony"], "schema": "Person"}
    assert dict(entry.datasets) == response.snapshots
    assert entry.threshold == response.threshold and entry.algorithm == ALGORITHM
    assert entry.results == compact(response.results)
    assert set(entry.results[0]) == {"id", "score", "match"}
    receipt = audit.append(loaded_store, entry)
    [record] = audit.records(loaded_store, limit=1)
    assert record.seq == receipt.seq
    assert record.payload["results"][0]["id"] == response.results[0].entity_id
    assert record.payload["details"] == {"limit": 3}


def test_batch_entry_keeps_refused_inputs_with_their_error():
    entry = batch_entry(
        "match",
        "key:svc",
        [
            BatchItem("ok", {"names": ["A B"]}, ()),
            BatchItem("bad", None, error="unknown schema 'X'", raw={"schema": "X"}),
        ],
        snapshots={"un_sc": "abc"},
        threshold=0.7,
        details={"endpoint": "/match/default"},
    )
    assert entry.query == {"ok": {"names": ["A B"]}, "bad": {"refused": {"schema": "X"}}}
    assert entry.results == []
    assert entry.details == {"endpoint": "/match/default", "errors": {"bad": "unknown schema 'X'"}}
    # the payload is canonical JSON, hashable and storable
    assert json.loads(entry.payload())["datasets"] == {"un_sc": "abc"}


def test_file_entry_pins_input_and_output(tmp_path):
    source, output = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text("name\nA B\n")
    output.write_text("name,match\nA B,false\n")
    entry = file_entry(
        "user:bob",
        source=source,
        output=output,
        rows=1,
        screened=1,
        errors=0,
        alerts=[(1, "un_sc:QDi.1", 0.912345)],
        snapshots={"un_sc": "abc"},
        threshold=0.8,
        options={"limit": 5},
    )
    assert entry.query == {
        "file": "in.csv",
        "sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "rows": 1,
    }
    assert entry.details["output"]["sha256"] == hashlib.sha256(output.read_bytes()).hexdigest()
    assert entry.results == [{"row": 1, "id": "un_sc:QDi.1", "score": 0.9123}]
    assert entry.details["rows_with_alerts"] == 1 and entry.threshold == 0.8


def test_cli_screen_is_audited(loaded_store):
    before = audit.head(loaded_store)
    result = runner.invoke(app, ["screen", "Joseph Kony", "--schema", "Person", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    [record] = audit.records(loaded_store, limit=1)
    assert record.seq == data["audit"]["seq"] and record.seq == (before[0] if before else 0) + 1
    assert record.action == "screen"
    assert record.actor == f"user:{getpass.getuser()}"
    assert record.payload["datasets"] == data["snapshots"]
    assert [r["id"] for r in record.payload["results"]] == [r["id"] for r in data["results"]]
    # not shown in JSON only: the human-readable output is audited too
    assert runner.invoke(app, ["screen", "Joseph Kony"]).exit_code == 0
    assert audit.records(loaded_store, limit=1)[0].seq == record.seq + 1
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


def test_cli_screen_file_is_one_audit_record(loaded_store, tmp_path: Path):
    source = tmp_path / "customers.csv"
    with source.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["name", "dob"])
        writer.writerow(["Joseph Kony", "1959"])
        writer.writerow(["Zzyzx Qwertyuiop", ""])
        writer.writerow(["", ""])
    out = tmp_path / "screened.jsonl"
    args = ["screen-file", str(source), "--name-column", "name", "--dob-column", "dob"]
    result = runner.invoke(app, [*args, "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output)
    [record] = audit.records(loaded_store, limit=1)
    assert record.action == "screen_file" and record.seq == summary["audit"]["seq"]
    p = record.payload
    assert p["query"]["sha256"] == hashlib.sha256(source.read_bytes()).hexdigest()
    assert p["query"]["rows"] == 3
    assert p["details"]["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert p["details"]["errors"] == 1 and p["details"]["alerts"] == summary["alerts"]
    assert summary["alerts"] >= 1
    assert {r["row"] for r in p["results"]} == {1}
    assert p["details"]["options"]["columns"] == {"name": "name", "dob": "dob"}
    assert p["datasets"] == summary["snapshots"]
    verify = runner.invoke(app, ["audit", "verify"])
    assert verify.exit_code == 0, verify.output


def test_cli_refuses_to_show_a_screening_it_cannot_record(loaded_store, monkeypatch, tmp_path):
    def broken(*_args, **_kwargs):
        raise audit.AuditError("database is read-only")

    monkeypatch.setattr(audit, "append_many", broken)
    result = runner.invoke(app, ["screen", "Joseph Kony", "--json"])
    assert result.exit_code == 1
    assert "could not be recorded" in result.output and "KONY" not in result.output
    # the same for a text scan: no mention is shown unrecorded
    article = tmp_path / "article.txt"
    article.write_text("Joseph Kony of the Lord's Resistance Army was seen again.")
    result = runner.invoke(app, ["scan", str(article), "--json"])
    assert result.exit_code == 1
    assert "could not be recorded" in result.output and "KONY" not in result.output
