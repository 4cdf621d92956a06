"""The screening layer and its CLI shell: screen, compare, compare-file, screen-file."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from tamiz.cli import app
from tamiz.match import Query
from tamiz.screen import Screener, UnknownDataset
from tamiz.store import Settings, Store
from tamiz.store.updates import update_from_mirror, update_from_paths

runner = CliRunner()


@pytest.fixture(scope="module")
def home(tmp_path_factory, lists_dir) -> Path:
    """A store with the UN list (two versions) and the 2026 SDN excerpt loaded."""
    home = tmp_path_factory.mktemp("screening")
    store = Store.open(Settings(home=home, database_url=f"sqlite:///{home / 'tamiz.db'}"))
    for name in ("consolidated-2025-11-20.xml", "consolidated-2026-02-27.xml"):
        assert update_from_paths(store, "un_sc", [lists_dir / "un_sc" / name]).status == "activated"
    [result] = update_from_mirror(store, lists_dir, ["us_ofac_sdn_2026"])
    assert result.status == "activated", result.error
    store.close()
    return home


@pytest.fixture
def env(home, monkeypatch):
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.setenv("TAMIZ_DATABASE_URL", f"sqlite:///{home / 'tamiz.db'}")
    return home


@pytest.fixture
def screener(env):
    store = Store.open(Settings.from_env())
    yield Screener(store)
    store.close()


def test_screen_names_the_snapshots_it_used(screener):
    response = screener.screen(Query(names=("Nicolas Maduro",), schema="Person"))
    assert response.results[0].entity_id == "us_ofac_sdn_2026:22790"
    assert response.results[0].match
    active = {ds: sn.id for ds, sn in screener.store.active_snapshots().items()}
    assert response.snapshots == active
    data = response.to_dict()
    assert data["threshold"] == response.threshold
    assert {
        "id",
        "caption",
        "schema",
        "score",
        "match",
        "datasets",
        "programs",
        "explanation",
    } <= set(data["results"][0])


def test_dataset_filter_and_unknown_dataset(screener):
    only_un = screener.screen(Query(names=("Nicolas Maduro",)), datasets=["un_sc"])
    assert all(r.entity_id.startswith("un_sc:") for r in only_un.results)
    assert set(only_un.snapshots) == {"un_sc"}
    with pytest.raises(UnknownDataset, match="nope"):
        screener.screen(Query(names=("x y",)), datasets=["nope"])


def test_as_of_screens_against_the_older_snapshot(screener, lists_dir):
    old = screener.loaded(dt.date(2025, 12, 1))
    assert old.snapshots["un_sc"].published == dt.date(2025, 11, 20)
    assert "us_ofac_sdn_2026" not in old.snapshots  # published 2026-01-01
    # an entry added to the UN list between the two versions is found only in the new one
    store = screener.store
    added = store.diff("un_sc", "2025-11-20", "2026-02-27").added
    assert added, "the 2026 UN file adds entries"
    name = store.entity(added[0]).entity.caption
    now = screener.screen(Query(names=(name,)), datasets=["un_sc"])
    then = screener.screen(Query(names=(name,)), datasets=["un_sc"], as_of=dt.date(2025, 12, 1))
    assert added[0] in {r.entity_id for r in now.results}
    assert added[0] not in {r.entity_id for r in then.results}


def test_compiled_index_is_cached_on_disk(screener, monkeypatch):
    first = screener.current()
    assert (screener.store.settings.index_dir / f"{first.key}.idx").exists()

    def no_rebuild(*_a, **_k):
        raise AssertionError("a cached index must be loaded, not rebuilt")

    fresh = Screener(screener.store)
    monkeypatch.setattr(fresh.store, "iter_entities", no_rebuild)
    assert len(fresh.current().index) == len(first.index)


def test_refresh_swaps_the_index_after_an_update(tmp_path, lists_dir):
    store = Store.open(Settings(home=tmp_path, database_url=f"sqlite:///{tmp_path / 't.db'}"))
    un = lists_dir / "un_sc"
    update_from_paths(store, "un_sc", [un / "consolidated-2025-11-20.xml"])
    screener = Screener(store, disk_cache=False)
    before = screener.current()
    assert screener.refresh() is False  # nothing changed
    update_from_paths(store, "un_sc", [un / "consolidated-2026-02-27.xml"])
    assert screener.refresh() is True
    after = screener.current()
    assert after.snapshots["un_sc"].id != before.snapshots["un_sc"].id
    # the old index stays usable for requests that started before the swap
    assert len(before.index) > 0 and len(after.index) >= len(before.index)
    store.close()


# -- CLI ------------------------------------------------------------------------------


def test_cli_screen_json_shape(env):
    result = runner.invoke(app, ["screen", "Cartel of the Suns", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert set(data) >= {"query", "threshold", "results", "snapshots", "algorithm"}
    top = data["results"][0]
    assert top["id"] == "us_ofac_sdn_2026:55025"
    assert {"FTO", "SDGT"} <= set(top["programs"])
    assert top["explanation"]["matched_name"] == "CARTEL OF THE SUNS"


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["screen", ""], "name"),
        (["screen", "!!! ..."], "no letters"),
        (["screen", "x" * 10_000_000], "limit"),
        (["screen", "Jane Doe", "--schema", "Spaceship"], "unknown schema"),
        (["screen", "Jane Doe", "--dob", "1962-13-45"], "date"),
        (["screen", "Jane Doe", "--country", "Atlantis"], "country"),
        (["screen", "Jane Doe", "--dataset", "nope"], "nope"),
        (["screen", "Jane Doe", "--as-of", "yesterday"], "--as-of"),
    ],
    ids=["empty", "punctuation", "10MB", "schema", "dob", "country", "dataset", "as-of"],
)
def test_cli_bad_input_is_one_clear_line_with_exit_2(env, args, needle):
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert needle in result.output.lower() or needle in result.output
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) <= 2


def test_cli_screen_without_lists_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("TAMIZ_HOME", str(tmp_path))
    monkeypatch.setenv("TAMIZ_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    result = runner.invoke(app, ["screen", "Jane Doe"])
    assert result.exit_code == 1
    assert "tamiz update" in result.output


def test_cli_compare_and_compare_file(env, tmp_path):
    result = runner.invoke(app, ["compare", "Nicolas Maduro", "MADURO MOROS, Nicolas", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["match"] is True
    pairs = tmp_path / "pairs.jsonl"
    lines = [
        {
            "schema": "Person",
            "left": {"name": ["Vladimir Padrino Lopez"]},
            "right": {"firstName": ["Vladimir"], "lastName": ["PADRINO LOPEZ"]},
        },
        {"schema": "Person", "left": {"name": ["John Smith"]}, "right": {"name": ["Maria Garcia"]}},
        {"schema": "Person", "left": {"name": [""]}, "right": {"name": ["x"]}},
    ]
    pairs.write_text("\n".join(json.dumps(x) for x in lines) + "\n")
    out = tmp_path / "scored.jsonl"
    result = runner.invoke(app, ["compare-file", str(pairs), "--out", str(out)])
    assert result.exit_code == 0, result.output
    scored = [json.loads(x) for x in out.read_text().splitlines()]
    assert [s["match"] for s in scored] == [True, False, None]
    assert scored[0]["left"] == lines[0]["left"]  # the input is carried through
    assert "error" in scored[2]


def _customers(tmp_path: Path) -> tuple[Path, list[dict]]:
    rows = [
        {"cid": "1", "full_name": "Nicolás Maduro Moros", "dob": "1962-11-23", "nat": "VE"},
        {"cid": "2", "full_name": "Jane Q. Customer", "dob": "1980", "nat": "GB"},
        {"cid": "3", "full_name": "", "dob": "", "nat": ""},
        {"cid": "4", "full_name": "Cartel de los Soles", "dob": "", "nat": "Venezuela"},
        {"cid": "5", "full_name": "Bad Date Person", "dob": "31/02/1990", "nat": ""},
    ]
    path = tmp_path / "customers.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path, rows


def test_cli_screen_file_csv_keeps_every_row_in_order(env, tmp_path):
    source, rows = _customers(tmp_path)
    out = tmp_path / "out.csv"
    result = runner.invoke(
        app,
        [
            "screen-file",
            str(source),
            "--name-column",
            "full_name",
            "--dob-column",
            "dob",
            "--country-column",
            "nat",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.output[result.output.index("{") :])
    assert summary["rows"] == 5 and summary["errors"] == 2
    with out.open(newline="", encoding="utf-8") as fh:
        written = list(csv.DictReader(fh))
    assert [r["cid"] for r in written] == [r["cid"] for r in rows]
    assert written[0]["match_id"] == "us_ofac_sdn_2026:22790" and written[0]["match"] == "true"
    assert written[1]["match"] == "false" and written[1]["match_id"] == ""
    assert written[2]["error"] and written[4]["error"]
    assert written[3]["match_id"] == "us_ofac_sdn_2026:55025"


def test_cli_screen_file_jsonl_from_parquet_with_workers(env, tmp_path):
    _, rows = _customers(tmp_path)
    source = tmp_path / "customers.parquet"
    pq.write_table(pa.Table.from_pylist(rows * 30), source)
    single, pooled = tmp_path / "one.jsonl", tmp_path / "two.jsonl"
    for out, workers in ((single, "1"), (pooled, "2")):
        result = runner.invoke(
            app,
            [
                "screen-file",
                str(source),
                "--name-column",
                "full_name",
                "--out",
                str(out),
                "--workers",
                workers,
            ],
        )
        assert result.exit_code == 0, result.output
    one = [json.loads(x) for x in single.read_text().splitlines()]
    assert len(one) == 150 and [x["row"] for x in one] == list(range(1, 151))
    assert one[0]["input"]["cid"] == "1" and one[0]["results"][0]["id"] == "us_ofac_sdn_2026:22790"
    assert single.read_text() == pooled.read_text()


def test_cli_screen_file_bad_options(env, tmp_path):
    source, _ = _customers(tmp_path)
    result = runner.invoke(
        app,
        [
            "screen-file",
            str(source),
            "--name-column",
            "nom",
            "--out",
            str(tmp_path / "o.csv"),
        ],
    )
    assert result.exit_code == 2 and "nom" in result.output
    garbage = tmp_path / "bad.jsonl"
    garbage.write_text('{"name": "a"}\n{not json\n')
    result = runner.invoke(
        app,
        [
            "screen-file",
            str(garbage),
            "--name-column",
            "name",
            "--out",
            str(tmp_path / "o.jsonl"),
        ],
    )
    assert result.exit_code == 2 and "bad.jsonl:2" in result.output
    assert not (tmp_path / "o.jsonl").exists(), "no partial output is left behind"


def test_topic_filters_cover_sub_topics_and_show_in_results(env):
    wide = runner.invoke(app, ["screen", "Cartel de los Soles", "--topic", "crime", "--json"])
    assert wide.exit_code == 0, wide.output
    data = json.loads(wide.output)
    top = data["results"][0]
    assert top["id"] == "us_ofac_sdn_2026:55025"
    assert "crime.terror" in top["topics"] and data["topics"] == ["crime"]
    narrow = runner.invoke(
        app, ["screen", "Cartel de los Soles", "--exclude-topic", "crime.terror", "--json"]
    )
    assert "us_ofac_sdn_2026:55025" not in {r["id"] for r in json.loads(narrow.output)["results"]}
    wanted = runner.invoke(app, ["screen", "Cartel de los Soles", "--topic", "wanted", "--json"])
    assert json.loads(wanted.output)["results"] == []


def test_scan_honours_topic_filters(env, shared_data):
    article = shared_data / "text" / "news-2025-11-cartel-de-los-soles-fto.txt"
    every = runner.invoke(app, ["scan", str(article), "--json"])
    assert every.exit_code == 0, every.output
    ids = {m["id"] for m in json.loads(every.output)["mentions"]}
    assert "us_ofac_sdn_2026:55025" in ids
    no_terror = runner.invoke(
        app, ["scan", str(article), "--exclude-topic", "crime.terror", "--json"]
    )
    kept = {m["id"] for m in json.loads(no_terror.output)["mentions"]}
    assert "us_ofac_sdn_2026:55025" not in kept
    assert kept, "the people named in the article are sanctioned but not terror-listed"


def test_top_level_names_are_the_library_classes():
    import tamiz
    from tamiz.match import Query, compare
    from tamiz.screen import Screener
    from tamiz.store import Store

    assert (tamiz.Screener, tamiz.Store, tamiz.Query, tamiz.compare) == (
        Screener,
        Store,
        Query,
        compare,
    )
    assert set(tamiz.__all__) >= {"Screener", "Store", "Query", "compare", "__version__"}
    with pytest.raises(AttributeError, match="no attribute 'Screner'"):
        _ = tamiz.Screner
