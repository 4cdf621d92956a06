"""The benchmark harness on tiny inputs, so it cannot rot between benchmark runs.

No baselines virtualenv and no full lists: the evaluation-set builders read a few rows of the
real eval files, and the search/metrics plumbing runs against a stand-in index (plus the real
engine on three entities, when it is importable).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import evalsets, ingest, plots, quality, report, speed  # noqa: E402
from benchmarks.corpus import Party, entity_party, name_key  # noqa: E402
from benchmarks.matchers import RapidfuzzScorer, SharedRetrieval  # noqa: E402
from benchmarks.run import merge_previous  # noqa: E402

from tamiz.model import DateValue, Entity, Name, NameKind, Schema  # noqa: E402


def _entity(native: str, primary: str, *aliases: str, schema=Schema.PERSON, kind=NameKind.AKA):
    names = (Name(primary), *(Name(a, kind) for a in aliases))
    return Entity(
        id=f"test:{native}",
        dataset="test",
        schema=schema,
        names=names,
        birth_dates=(DateValue("1962-11-23"),),
        nationalities=("VE",),
    )


ENTITIES = [
    _entity("1", "MADURO MOROS, Nicolas", "Nicolás Maduro", "MADURO, Nico"),
    _entity("2", "CABELLO RONDON, Diosdado", "Диосдадо Кабельо", "EL MAZO"),
    _entity(
        "3",
        "CARTEL DE LOS SOLES",
        "CARTEL OF THE SUNS",
        "Cartel de los Soles",
        schema=Schema.ORGANIZATION,
    ),
]


def test_alias_cases_hold_out_each_alias_once_and_spread_over_folds():
    aset = evalsets.alias_cases(ENTITIES, "t", folds=2)
    # "Cartel de los Soles" normalises to the primary name: not a held-out case.
    assert aset.skipped_same_as_other_name == 1
    assert sorted(c.query.names[0] for c in aset.cases) == [
        "CARTEL OF THE SUNS",
        "EL MAZO",
        "MADURO, Nico",
        "Nicolás Maduro",
        "Диосдадо Кабельо",
    ]
    related = {c.query.names[0]: c.related for c in aset.cases}
    # A transcription shares its words with the Latin name; a nickname shares none.
    assert related["Диосдадо Кабельо"] and related["MADURO, Nico"]
    assert not related["EL MAZO"]
    maduro = [c for c in aset.cases if c.expected == "test:1"]
    assert {c.fold for c in maduro} == {0, 1}  # two aliases of one entity, two folds
    case = maduro[0]
    fold = evalsets.fold_entities(ENTITIES, aset.cases, case.fold)
    kept = {name_key(n.full) for n in fold[0].names}
    assert case.drop not in kept and name_key("MADURO MOROS, Nicolas") in kept
    held = evalsets.held_out_party(ENTITIES[0], aset.cases, case.fold)
    assert case.query.names[0] not in held.names and len(held.names) == 2


def test_entity_party_carries_attributes():
    party = entity_party(ENTITIES[0])
    assert party.schema == "Person" and party.birth_dates == ("1962-11-23",)
    assert party.countries == ("VE",) and party.ref == "test:1"
    assert party.to_ftm()["properties"]["birthDate"] == ["1962-11-23"]
    assert party.key() != entity_party(ENTITIES[1]).key()


def test_eval_files_give_the_expected_shapes(shared_data):
    if not (shared_data / "eval").is_dir():
        pytest.skip("shared eval data missing")
    pairs = evalsets.translit_pairs(per_set=3)
    groups = {p.group for p in pairs}
    assert {"wikidata-russian", "arabic-fullname", "ar2en"} <= groups
    assert any(p.label for p in pairs) and any(not p.label for p in pairs)
    clean = evalsets.clean_name_cases(per_set=4, census_names=5)
    counts = evalsets.describe_counts(clean)
    assert counts["census"] == 5 and counts["vr-global"] == 4
    with_dob = [c for c in clean if c.group == "vr-us"]
    assert all(c.expected is None for c in clean) and any(c.query.birth_dates for c in with_dob)
    febrl = evalsets.febrl_pairs(matches=10)
    assert sum(p.label for p in febrl) == 10 and len(febrl) == 30
    assert all(p.left.ref != p.right.ref or p.label for p in febrl)
    senzing = evalsets.senzing_pairs()
    assert any(p.label for p in senzing) and any(not p.label for p in senzing)
    queries = evalsets.speed_queries(ENTITIES * 4, 8)
    assert len(queries) == 8 and all(q.names[0] for q in queries)


def test_rank_one_credit_splits_ties_and_needs_the_threshold():
    true = np.array([0.9, 0.8, 0.8, 0.0, 0.75])
    best_other = np.array([0.5, 0.9, 0.8, 0.3, 0.1])
    ties = np.array([0, 0, 1, 0, 0])
    assert quality.rank_one_credit(true, best_other, ties).tolist() == [1, 0, 0.5, 0, 1]
    m = quality.alias_metrics(true, best_other, ties, threshold=0.8)
    assert m["recall_at_1"] == pytest.approx(2.5 / 5)
    assert m["recall_first_above_threshold"] == pytest.approx(1.5 / 5)
    assert len(quality.alias_curve(true, best_other, ties)) == len(quality.THRESHOLDS)


def test_pair_and_alert_metrics():
    scores = np.array([0.9, 0.6, 0.8, 0.2])
    labels = np.array([True, True, False, False])
    m = quality.pair_metrics(scores, labels, 0.7)
    assert (m["tp"], m["fp"], m["fn"]) == (1, 1, 1)
    assert m["precision"] == 0.5 and m["recall"] == 0.5
    assert quality.alerts_metrics(np.array([0.1, 0.95]), 0.7)["alerts_per_1k"] == 500


def test_shared_retrieval_hides_held_out_rows_and_baseline_scores(tmp_path):
    parties = [entity_party(e) for e in ENTITIES]
    retrieval = SharedRetrieval(parties, per_scorer=1)
    query = Party("Person", ("Nicolas Maduro",))
    assert retrieval.candidates([query])[0][0] == 0
    cached = retrieval.candidates([query], cache=tmp_path)
    assert cached == retrieval.candidates([query], cache=tmp_path) == [[0, *cached[0][1:]]]
    assert len(list(tmp_path.glob("candidates-*.json"))) == 1
    mask = retrieval.hidden_rows({"test:3": {name_key("CARTEL OF THE SUNS")}})
    assert mask.sum() == 1
    sun = Party("Organization", ("Cartel of the Suns",))
    assert 2 in retrieval.candidates([sun])[0]
    scores = RapidfuzzScorer().score([(query, parties[0]), (query, parties[2])])
    assert scores[0] > 0.9 > scores[1]


@dataclass
class _Hit:
    entity_id: str
    score: float


class _StandInIndex:
    """Finds an entity when the query shares a word with one of its names."""

    def __init__(self, entities):
        self.entities = entities

    def search(self, query, threshold=0.7, limit=10):
        words = set(name_key(" ".join(query.names)).split())
        hits = []
        for e in self.entities:
            overlap = max(len(words & set(name_key(n.full).split())) for n in e.names)
            if overlap:
                hits.append(_Hit(e.id, min(1.0, 0.5 + 0.2 * overlap)))
        return sorted(hits, key=lambda h: -h.score)[:limit]


def test_search_outcomes_from_a_stand_in_index(monkeypatch):
    import benchmarks.quality as q

    monkeypatch.setattr(q, "safe_query", lambda party: party)
    cases = [
        evalsets.SearchCase(Party("Person", ("Nico Maduro",)), "test:1", "t", "aka"),
        evalsets.SearchCase(Party("Person", ("John Smith",)), None, "clean"),
    ]
    outcomes = quality.SearchOutcomes()
    quality.tamiz_search(_StandInIndex(ENTITIES), cases, outcomes)
    true, best, _ = outcomes.arrays("t")
    assert true[0] == pytest.approx(0.9) and best[0] == 0
    _, best_clean, _ = outcomes.arrays("clean")
    assert best_clean[0] == 0


def test_candidate_set_outcomes_include_the_true_entity():
    aset = evalsets.alias_cases(ENTITIES, "t", folds=2)
    cset = quality.alias_candidates(ENTITIES, aset.cases, per_scorer=2)
    for case, cands in zip(cset.cases, cset.candidates, strict=True):
        refs = [p.ref for p in cands]
        assert case.expected in refs
        held = cands[refs.index(case.expected)]
        assert case.drop not in {name_key(n) for n in held.all_names}
    scores = RapidfuzzScorer().score(cset.pairs)
    outcomes = cset.outcomes(scores)
    assert len(outcomes.true_score) == len(aset.cases)


def test_real_engine_adapter_on_three_entities():
    pytest.importorskip("tamiz.match")
    from benchmarks.matchers import TamizPairScorer, safe_query, tamiz_info

    from tamiz.match import MatchIndex

    info = tamiz_info()
    if not info.available:
        pytest.skip(info.reason)
    index = MatchIndex.build(ENTITIES)
    outcomes = quality.SearchOutcomes()
    case = evalsets.SearchCase(Party("Person", ("Nicolas Maduro",)), "test:1", "t")
    quality.tamiz_search(index, [case], outcomes)
    # Only the plumbing is checked here: how well the engine ranks is the benchmark's job.
    assert len(outcomes.true_score) == 1 and outcomes.refused == 0
    assert safe_query(Party("Person", ("!!!",))) is None
    scorer = TamizPairScorer()
    score = scorer.score([(Party("Person", ("Nicolas Maduro",)), entity_party(ENTITIES[0]))])
    assert score[0] >= info.threshold


def test_report_and_plots_render(tmp_path):
    n = len(quality.THRESHOLDS)
    curve = {"precision": [1.0] * n, "recall": [0.5] * n, "f1": [0.6] * n}
    pair = {"precision": 1.0, "recall": 0.5, "f1": 0.6, "curve": curve}
    alias = {
        "n": 4,
        "recall_at_1": 1.0,
        "recall_first_above_threshold": 0.75,
        "recall_above_threshold": 0.75,
        "curve": [0.5] * n,
        "subsets": {"aka": {"n": 4, "recall_first_above_threshold": 0.75}},
    }
    results = {
        "matchers": {"tamiz": {"threshold": 0.7}, "rapidfuzz": {"threshold": 0.85}},
        "quality": {
            "thresholds": [float(t) for t in quality.THRESHOLDS],
            "alias": {"a": {"cases": 4, "matchers": {"tamiz": alias, "rapidfuzz": alias}}},
            "clean": {
                "c": {
                    "cases": 2,
                    "matchers": {"tamiz": {"n": 2, "alerts_per_1k": 0.0, "curve": [0.0] * n}},
                }
            },
            "translit": {
                "x": {
                    "positives": 1,
                    "matchers": {"tamiz": {"recall": 1.0, "false_match_rate": 0.0}},
                }
            },
            "pairs": {"p": {"positives": 1, "negatives": 1, "matchers": {"tamiz": pair}}},
        },
        "speed": {
            "latency": speed.percentiles([1.0, 2.0, 30.0]),
            "throughput": [{"processes": 2, "names_per_second": 1500.0}],
            "pairs": {"tamiz": {"us_per_pair": 10.0}, "logic-v2": {"us_per_pair": 500.0}},
        },
        "ingest": {"update": {"available": False, "note": "missing"}},
    }
    from rich.console import Console

    console = Console(record=True, width=140)
    report.print_all(console, results)
    text = console.export_text()
    assert "50×" in text and "75.0%" in text
    written = plots.write_plots(results, tmp_path)
    assert {p.name for p in written} == {
        "pairs_precision_recall.png",
        "screening_recall_alerts.png",
    }
    assert all(p.stat().st_size > 1000 for p in written)


def test_merge_keeps_sections_not_run(tmp_path):
    path = tmp_path / "latest.json"
    old = {"meta": {"date": "old"}, "matchers": {"logic-v2": {}}, "speed": {"x": 1}}
    path.write_text(json.dumps(old))
    new = {"meta": {"date": "new"}, "matchers": {"tamiz": {}}, "quality": {"y": 2}}
    merged = merge_previous(new, path, ["quality"])
    assert merged["speed"] == {"x": 1} and merged["quality"] == {"y": 2}
    assert merged["runs"]["speed"]["date"] == "old" and merged["runs"]["quality"]["date"] == "new"
    assert set(merged["matchers"]) == {"tamiz", "logic-v2"}


def test_ingest_helpers():
    counts, items = ingest._statuses('[{"dataset": "a", "status": "activated"}]')
    assert counts["activated"] == 1 and items[0]["dataset"] == "a"
    counts, _ = ingest._statuses('{"dataset": "a", "status": "unchanged"}')
    assert counts["unchanged"] == 1
    measured = ingest.run_measured(
        [sys.executable, "-c", "x = bytearray(50 * 2**20); import time; time.sleep(0.3)"],
        env={},
    )
    assert measured["returncode"] == 0 and measured["peak_rss_mb"] > 40


class _CountingIndex:
    def search(self, query, threshold=0.7, limit=10):
        return []


def test_latency_and_throughput_plumbing():
    lat = speed.measure_latency(_CountingIndex(), ["q"] * 20, 0.7, warmup=2)
    assert lat["n"] == 20 and lat["p50_ms"] <= lat["p99_ms"]
    tp = speed.measure_throughput(_CountingIndex(), ["q"] * 5, 0.7, processes=2, total=40)
    assert tp["names"] == 40 and tp["names_per_second"] > 0


def test_baseline_scores_are_cached_by_content(tmp_path, monkeypatch):
    import benchmarks.run as run

    monkeypatch.setattr(run, "CACHE", tmp_path)
    pairs = [(Party("Person", ("Ann Lee",)), Party("Person", ("Anne Lee",)))]
    first = run.cached_scores(RapidfuzzScorer(), pairs, use_cache=True)
    assert len(list(tmp_path.glob("rapidfuzz-*.npy"))) == 1
    again = run.cached_scores(RapidfuzzScorer(), pairs, use_cache=True)
    assert again.tolist() == first.tolist()
    other = [(Party("Person", ("Ann Lee",)), Party("Person", ("Bo Chan",)))]
    run.cached_scores(RapidfuzzScorer(), other, use_cache=True)
    assert len(list(tmp_path.glob("rapidfuzz-*.npy"))) == 2
