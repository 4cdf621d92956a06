"""Spark batch screening (tamiz.spark, screen-file --engine spark) against the single-process
engine, on records built here from the real UN list: list names with spelling noise, clean
names from the negatives set (many in non-Latin scripts), and rows that cannot be screened."""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

pytest.importorskip("pyspark")
if not (shutil.which("java") or os.environ.get("JAVA_HOME")) and not os.environ.get("CI"):
    pytest.skip("PySpark needs Java 17+ (not found)", allow_module_level=True)

from tamiz import spark as tspark
from tamiz.cli import app
from tamiz.screen import RecordColumns, Screener
from tamiz.screen.files import screen_file
from tamiz.store import Settings, Store
from tamiz.store.updates import update_from_paths

pytestmark = [pytest.mark.spark, pytest.mark.slow]

COLUMNS = ("cid", "full_name", "dob", "nat", "kind")


@pytest.fixture(scope="module")
def home(tmp_path_factory, lists_dir) -> Path:
    home = tmp_path_factory.mktemp("spark")
    store = Store.open(Settings(home=home, database_url=f"sqlite:///{home / 'tamiz.db'}"))
    xml = lists_dir / "un_sc" / "consolidated-2026-02-27.xml"
    assert update_from_paths(store, "un_sc", [xml]).status == "activated"
    store.close()
    return home


@pytest.fixture(scope="module")
def env(home):
    saved = {k: os.environ.get(k) for k in ("TAMIZ_HOME", "TAMIZ_DATABASE_URL")}
    os.environ["TAMIZ_HOME"] = str(home)
    os.environ["TAMIZ_DATABASE_URL"] = f"sqlite:///{home / 'tamiz.db'}"
    yield home
    for k, v in saved.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="module")
def screener(env):
    store = Store.open(Settings.from_env())
    yield Screener(store)
    store.close()


def _noisy(name: str, rng: random.Random) -> str:
    tokens = name.split()
    how = rng.randrange(4)
    if how == 0 and len(tokens) > 1:
        tokens = tokens[1:] + tokens[:1]  # reordered
    elif how == 1:
        t = rng.randrange(len(tokens))
        word = tokens[t]
        if len(word) > 4:
            cut = rng.randrange(1, len(word) - 1)
            tokens[t] = word[:cut] + word[cut + 1 :]  # a letter dropped
    elif how == 2:
        tokens = [t.lower() for t in tokens]
    return " ".join(tokens)


@pytest.fixture(scope="module")
def records(screener, shared_data) -> list[dict[str, str]]:
    """~300 rows: 150 UN names (noisy, some with birth date / nationality), 130 clean names,
    and rows with no name or a bad date."""
    rng = random.Random(20260227)
    [snapshot] = screener.store.active_snapshots().values()
    entities = list(screener.store.iter_entities(snapshot.id))
    rows: list[dict[str, str]] = []
    for entity in rng.sample(entities, 150):
        name = rng.choice(entity.names).full
        dob = next((d.value for d in entity.birth_dates if d.value), "")
        nat = entity.nationalities[0] if entity.nationalities else ""
        with_facts = rng.random() < 0.5
        rows.append(
            {
                "full_name": _noisy(name, rng),
                "dob": dob if with_facts else "",
                "nat": nat if with_facts else "",
                "kind": "Person" if entity.schema.value == "Person" else "Organization",
            }
        )
    with (shared_data / "eval" / "negatives" / "vr_negatives_global.csv").open() as fh:
        clean = list(csv.DictReader(fh))
    for person in rng.sample(clean, 130):
        rows.append(
            {
                "full_name": person["full_name"],
                "dob": person["date_of_birth"] if rng.random() < 0.3 else "",
                "nat": "",
                "kind": "Person",
            }
        )
    rows += [
        {"full_name": "", "dob": "", "nat": "", "kind": "Person"},
        {"full_name": "Mohammed Omar", "dob": "31/02/1960", "nat": "", "kind": "Person"},
        {"full_name": "Ali Baba", "dob": "", "nat": "", "kind": "Spaceship"},
    ]
    rng.shuffle(rows)
    return [{"cid": f"c{i:04d}", **row} for i, row in enumerate(rows, 1)]


@pytest.fixture(scope="module")
def customers(records, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("customers") / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(COLUMNS))
        writer.writeheader()
        writer.writerows(records)
    return path


@pytest.fixture(scope="module")
def spark(env):
    # small Arrow batches and several partitions: many batches per worker process, so
    # re-loading the index per batch or per partition would show in the load count
    session = tspark.session(
        "local[2]", conf={"spark.sql.execution.arrow.maxRecordsPerBatch": "16"}
    )
    yield session
    session.stop()


SCREEN_FILE_OPTIONS = (
    "--name-column",
    "full_name",
    "--dob-column",
    "dob",
    "--country-column",
    "nat",
    "--schema-column",
    "kind",
)


def _local_jsonl(screener, customers: Path, out: Path) -> list[dict]:
    columns = RecordColumns(name="full_name", dob="dob", country="nat", schema_column="kind")
    screen_file(screener, customers, out, columns, limit=5)
    return [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]


def test_spark_results_equal_screen_file_row_for_row(spark, screener, customers, records, tmp_path):
    local = _local_jsonl(screener, customers, tmp_path / "local.jsonl")
    assert len(local) == len(records)
    assert sum(1 for line in local if any(r["match"] for r in line["results"])) >= 100
    assert sum(1 for line in local if "error" in line) == 3

    df = spark.createDataFrame(records, schema=", ".join(f"{c} string" for c in COLUMNS))
    df = df.repartition(6)  # rows spread over partitions out of input order
    metrics = tspark.SparkMetrics.create(spark)
    loaded = screener.current()
    results = tspark.screen(
        df,
        name_col="full_name",
        dob_col="dob",
        country_col="nat",
        schema_col="kind",
        id_col="cid",
        limit=5,
        loaded=loaded,
        metrics=metrics,
    )
    assert results.columns == list(tspark.RESULT_COLUMNS)
    rows = results.collect()

    by_id: dict[str, list] = {}
    for row in rows:
        by_id.setdefault(row["input_id"], []).append(row)
    assert set(by_id) == {r["cid"] for r in records}, "every input row has at least one row"
    for line in local:
        got = sorted(by_id[line["input"]["cid"]], key=lambda r: r["rank"] or 0)
        if not line["results"]:
            assert len(got) == 1 and got[0]["entity_id"] is None and got[0]["match"] is False
            assert got[0]["error"] == line.get("error"), line
            continue
        assert [r["rank"] for r in got] == list(range(1, len(got) + 1)), line
        assert [(r["entity_id"], round(r["score"], 4), r["match"]) for r in got] == [
            (r["id"], r["score"], r["match"]) for r in line["results"]
        ], line["input"]
        assert [tspark.result_dict(r) for r in got] == line["results"]
    assert all(dict(row["snapshots"]) == loaded.snapshot_ids for row in rows)

    # the index was shipped once: at most one load per Python worker process (local[2]:
    # two), although the rows came in many batches and partitions
    stats = metrics.to_dict()
    assert stats["rows"] == len(records)
    assert stats["batches"] >= 12
    assert 1 <= stats["index_loads"] <= 2
    assert stats["loading_workers"] == stats["index_loads"], "no process loaded it twice"

    # a second job on the same session reuses the loaded index in the same workers
    again = tspark.screen(df, name_col="full_name", id_col="cid", loaded=loaded, metrics=metrics)
    assert again.filter("match").count() > 0
    assert metrics.to_dict()["index_loads"] <= 2
    assert metrics.to_dict()["batches"] > stats["batches"]


def test_generated_ids_follow_input_order_and_bad_options_fail_early(spark, screener):
    loaded = screener.current()
    df = spark.createDataFrame(
        [(n,) for n in ("Nobody Inparticular", "Sayf-al Adl", "")], "name string"
    ).coalesce(1)
    rows = tspark.screen(df, name_col="name", loaded=loaded).collect()
    first = {}
    for row in rows:
        first.setdefault(row["input_id"], row)
    ids = sorted(first)
    assert len(ids) == 3
    assert first[ids[0]]["entity_id"] is None and first[ids[0]]["error"] is None
    assert first[ids[1]]["match"] and first[ids[1]]["entity_id"].startswith("un_sc:")
    assert "name" in first[ids[2]]["error"]
    with pytest.raises(ValueError, match="no column 'nom'"):
        tspark.screen(df, name_col="nom", loaded=loaded)
    with pytest.raises(ValueError, match="dataset"):
        tspark.screen(df, name_col="name", loaded=loaded, datasets=["nope"])
    with pytest.raises(ValueError, match="threshold"):
        tspark.screen(df, name_col="name", loaded=loaded, threshold=1.5)


def test_cli_engine_spark_writes_the_same_files(spark, env, customers, tmp_path):
    runner = CliRunner()
    for suffix in ("csv", "jsonl"):
        outputs = {}
        for engine in ("local", "spark"):
            out = tmp_path / f"{engine}.{suffix}"
            result = runner.invoke(
                app,
                [
                    "screen-file",
                    str(customers),
                    *SCREEN_FILE_OPTIONS,
                    "--out",
                    str(out),
                    "--engine",
                    engine,
                    "--json",
                ],
            )
            assert result.exit_code == 0, result.output
            outputs[engine] = out.read_bytes()
        assert outputs["spark"] == outputs["local"], suffix
    result = runner.invoke(
        app,
        [
            "screen-file",
            str(customers),
            "--name-column",
            "full_name",
            "--out",
            str(tmp_path / "x.csv"),
            "--master",
            "local[2]",
        ],
    )
    assert result.exit_code == 2 and "--engine spark" in result.output


def test_cli_engine_spark_in_a_fresh_process(env, customers, tmp_path):
    """The command as a user runs it: starts its own local Spark, input order kept."""
    out = tmp_path / "spark.csv"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "tamiz",
            "screen-file",
            str(customers),
            *SCREEN_FILE_OPTIONS,
            "--out",
            str(out),
            "--engine",
            "spark",
            "--master",
            "local[2]",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env=os.environ.copy(),
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(proc.stdout)
    with out.open(newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    with customers.open(newline="", encoding="utf-8") as fh:
        given = list(csv.DictReader(fh))
    assert [r["cid"] for r in written] == [r["cid"] for r in given]
    assert summary["rows"] == len(given) and summary["errors"] == 3
    assert summary["rows_with_alerts"] == sum(r["match"] == "true" for r in written) >= 100
