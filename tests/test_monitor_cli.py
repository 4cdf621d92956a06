"""``tamiz monitor …`` and the monitoring hook of ``tamiz update`` (CLI, in-process)."""

from __future__ import annotations

import csv
import json

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tamiz.cli import app
from tamiz.store import cases
from test_monitor_support import INTERNAL_V1, INTERNAL_V2, write_list

runner = CliRunner()

BOOK = [
    {"cust": "p1", "full_name": "Wolfgang Kurzweil", "born": "1961-03-04", "kind": "Person"},
    {"cust": "p2", "full_name": "Zorbatron Shipping Co", "born": "", "kind": "Company"},
    {"cust": "p3", "full_name": "Quintessa Velmorova", "born": "", "kind": "Person"},
    {"cust": "p4", "full_name": "Bartholomew Xanthopoulos", "born": "", "kind": "Person"},
    {"cust": "p5", "full_name": "John Smith", "born": "1970", "kind": "Person"},
]
COLUMNS = ["--name-column", "full_name", "--dob-column", "born", "--schema-column", "kind"]
COLUMNS += ["--party-id-column", "cust"]


def invoke(args: list[str], code: int = 0):
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    return result


def write_book(path, rows=BOOK):
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def update(path) -> None:
    invoke(["update", "-d", "internal", "--format", "csv", "--from", str(path)])


@pytest.fixture
def loaded(store, tmp_path):
    update(write_list(tmp_path / "internal-v1.csv", INTERNAL_V1))
    return tmp_path


def test_monitor_add_list_and_update_hook(store, loaded):
    book = write_book(loaded / "book.csv")
    out = json.loads(invoke(["monitor", "add", str(book), *COLUMNS, "--json"]).stdout)
    assert (out["added"], out["rows"], out["skipped"]) == (5, 5, [])
    assert out["screened"]["created"] == 3
    parties = json.loads(invoke(["monitor", "list", "--json"]).stdout)
    assert [p["party_id"] for p in parties] == ["p1", "p2", "p3", "p4", "p5"]
    assert parties[0]["query"]["birth_dates"] == ["1961-03-04"]
    assert parties[0]["record"]["full_name"] == "Wolfgang Kurzweil"
    assert parties[1]["query"]["schema"] == "Company"

    # a list update runs the incremental pass and says so on stderr (stdout stays JSON)
    v2 = write_list(loaded / "internal-v2.csv", INTERNAL_V2)
    result = invoke(["update", "-d", "internal", "--format", "csv", "--json", "--from", str(v2)])
    assert json.loads(result.stdout)["status"] == "activated"
    assert "monitoring internal" in result.stderr and "1 new alerts" in result.stderr
    statuses = {
        (a["party_id"], a["status"])
        for a in json.loads(invoke(["alerts", "list", "--json"]).stdout)
    }
    assert statuses == {("p1", "open"), ("p2", "open"), ("p3", "closed"), ("p4", "open")}
    runs = json.loads(invoke(["monitor", "runs", "--json"]).stdout)
    assert [r["kind"] for r in runs] == ["incremental", "parties"]


def test_monitor_add_refuses_bad_rows_unless_told(store, loaded):
    rows = [*BOOK, {"cust": "", "full_name": "No Id", "born": "", "kind": "Person"}]
    rows.append({"cust": "p7", "full_name": "Bad Date", "born": "31/02/1990", "kind": "Person"})
    book = write_book(loaded / "bad.csv", rows)
    refused = invoke(["monitor", "add", str(book), *COLUMNS], code=2)
    assert "row 6" in refused.output and "row 7" in refused.output
    assert "nothing was added" in refused.output
    assert cases.count_active_parties(store) == 0
    ok = json.loads(invoke(["monitor", "add", str(book), *COLUMNS, "--skip-bad", "--json"]).stdout)
    assert ok["added"] == 5 and [s["row"] for s in ok["skipped"]] == [6, 7]
    missing = invoke(["monitor", "add", str(book), "--name-column", "nom", *COLUMNS[2:]], code=2)
    assert "--name-column" in missing.output


def test_monitor_add_reads_jsonl_and_parquet(store, loaded):
    jsonl = loaded / "book.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in BOOK[:2]) + "\n", encoding="utf-8")
    out = json.loads(invoke(["monitor", "add", str(jsonl), *COLUMNS, "--json"]).stdout)
    assert out["added"] == 2
    parquet = loaded / "book.parquet"
    pq.write_table(pa.Table.from_pylist(BOOK[2:]), parquet)
    out = json.loads(
        invoke(["monitor", "add", str(parquet), *COLUMNS, "--book", "other", "--json"]).stdout
    )
    assert out["added"] == 3 and out["book"] == "other"
    books = {
        b["name"]: b["parties"] for b in json.loads(invoke(["monitor", "books", "--json"]).stdout)
    }
    assert books == {"default": 2, "other": 3}


def test_monitor_book_remove_and_run(store, loaded):
    invoke(["monitor", "add", str(write_book(loaded / "book.csv")), *COLUMNS, "--book", "retail"])
    conf = json.loads(
        invoke(
            [
                "monitor",
                "book",
                "retail",
                "--exclude-topic",
                "wanted",
                "--four-eyes",
                "--threshold",
                "0.8",
                "--json",
            ]
        ).stdout
    )
    assert conf["exclude_topics"] == ["wanted"] and conf["four_eyes"] is True
    assert conf["threshold"] == 0.8 and conf["parties"] == 5
    cleared = json.loads(invoke(["monitor", "book", "retail", "--clear-topics", "--json"]).stdout)
    assert cleared["exclude_topics"] == [] and cleared["four_eyes"] is True

    removed = json.loads(invoke(["monitor", "remove", "p1", "--book", "retail", "--json"]).stdout)
    assert removed == {"book": "retail", "removed": 1, "alerts_closed": 1}
    invoke(["monitor", "remove", "p1", "--book", "retail"], code=1)  # no longer active

    run = json.loads(invoke(["monitor", "run", "--json"]).stdout)
    assert run["kind"] == "full" and run["parties"] == 4
    assert (run["created"], run["closed"]) == (0, 0)
    human = invoke(["monitor", "run"])
    assert "full pass" in human.output


def test_monitor_run_without_lists_fails_cleanly(store, tmp_path):
    invoke(["monitor", "add", str(write_book(tmp_path / "book.csv")), *COLUMNS])
    result = invoke(["monitor", "run"], code=1)
    assert "no list is loaded" in result.output
