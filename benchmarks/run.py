"""tamiz benchmarks: quality, speed and ingest, side by side with baselines, in one run.

    python benchmarks/run.py [--quick] [--only quality|speed|ingest] [--baseline NAME ...]

Prints tables and writes benchmarks/results/latest.json and benchmarks/results/*.png.
See benchmarks/README.md for what each figure means.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np
from rich.console import Console

from benchmarks import evalsets, ingest, plots, quality, report, speed
from benchmarks.corpus import (
    ROOT,
    SDN_ALIAS_SNAPSHOT,
    UN_ALIAS_SNAPSHOT,
    LoadedSnapshot,
    entities_of,
    entity_party,
    load_all_lists,
    load_snapshot_at,
)
from benchmarks.matchers import (
    NomenklaturaScorer,
    RapidfuzzScorer,
    SharedRetrieval,
    TamizPairScorer,
    ensure_baselines_venv,
    safe_query,
    tamiz_info,
)
from tamiz.model import NameKind

RESULTS = Path(__file__).resolve().parent / "results"
# Baseline scores are cached outside the repository (they are large and reproducible).
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "tamiz-benchmarks"
BASELINES = ("logic-v2", "logic-v1", "rapidfuzz")
SECTIONS = ("quality", "speed", "ingest")

console = Console()


def log(message: str) -> None:
    console.log(message, highlight=False)


@dataclass(frozen=True)
class Sizes:
    alias_sample: int | None
    folds: int
    translit_per_set: int
    clean_per_set: int | None
    census: int
    febrl_matches: int
    speed_queries: int
    retrieval_queries: int
    candidates_per_scorer: int = 10

    @classmethod
    def for_mode(cls, quick: bool) -> Sizes:
        if quick:
            return cls(2000, 5, 200, 300, 500, 500, 1000, 40)
        return cls(None, 10, 1000, None, 2000, 3000, 3000, 150)


@dataclass
class Context:
    sizes: Sizes
    baselines: list[str]
    results: dict
    tamiz_available: bool = False
    use_cache: bool = True
    _lists: list[LoadedSnapshot] | None = None
    _retrieval: SharedRetrieval | None = None
    _index: object | None = None
    _index_path: Path | None = None
    _index_stats: dict | None = None
    _nk_python: Path | None = None
    scorers: dict = field(default_factory=dict)

    # -- lazily built shared pieces ---------------------------------------------------

    def lists(self) -> list[LoadedSnapshot]:
        if self._lists is None:
            log("parsing every list (one snapshot per dataset; SDN = 2024-05-03)")
            self._lists = load_all_lists()
            self.results["lists"] = [
                {
                    "dataset": s.dataset,
                    "files": s.label,
                    "entities": len(s.entities),
                    "seconds": s.seconds,
                    "error": s.error,
                }
                for s in self._lists
            ]
            missing = [s.dataset for s in self._lists if s.error]
            if missing:
                note(
                    self.results,
                    "lists not loaded (parser missing or failing): " + ", ".join(missing),
                )
        return self._lists

    def entities(self):
        return entities_of(self.lists())

    def retrieval(self) -> SharedRetrieval:
        if self._retrieval is None:
            parties = [entity_party(e) for e in self.entities()]
            self._retrieval = SharedRetrieval(parties, self.sizes.candidates_per_scorer)
        return self._retrieval

    def index(self):
        if self._index is None:
            log("building the tamiz index over all lists")
            self._index, self._index_stats, self._index_path = speed.measure_build(
                self.entities(), log
            )
        return self._index

    def baseline_scorers(self) -> dict:
        """The baselines asked for, started once (nomenklatura workers need the venv)."""
        if self.scorers:
            return self.scorers
        for name in self.baselines:
            if name == "rapidfuzz":
                self.scorers[name] = RapidfuzzScorer()
                continue
            if self._nk_python is None:
                self._nk_python = ensure_baselines_venv(log)
            self.scorers[name] = NomenklaturaScorer(name, self._nk_python)
        for name, scorer in self.scorers.items():
            self.results["matchers"][name] = {
                "available": True,
                "threshold": scorer.threshold,
                "versions": scorer.versions(),
            }
        return self.scorers

    def close(self) -> None:
        for scorer in self.scorers.values():
            close = getattr(scorer, "close", None)
            if close:
                close()


def note(results: dict, text: str) -> None:
    results.setdefault("notes", []).append(text)
    log(f"[yellow]note:[/] {text}")


# -- quality -----------------------------------------------------------------------------


def run_quality(ctx: Context) -> dict:
    sizes = ctx.sizes
    scorers = ctx.baseline_scorers()
    out: dict = {"thresholds": [float(t) for t in quality.THRESHOLDS], "sizes": vars(sizes)}
    thresholds = {
        name: info["threshold"]
        for name, info in ctx.results["matchers"].items()
        if info.get("available", True)
    }

    # Evaluation sets.
    alias_sets = []
    # SDN: the alt.csv aliases (a.k.a., f.k.a., n.k.a.), not the weak a.k.a.s the parser
    # reads from the remarks column. UN: every alias, whatever its quality.
    for group, where, kinds in (
        ("SDN 2021-07-07 aliases", SDN_ALIAS_SNAPSHOT, (NameKind.AKA, NameKind.FORMER)),
        ("UN 2026-02-27 aliases", UN_ALIAS_SNAPSHOT, evalsets.ALIAS_KINDS),
    ):
        snapshot = load_snapshot_at(where)
        if snapshot.error or not snapshot.entities:
            note(ctx.results, f"{group}: skipped, {where} did not parse ({snapshot.error})")
            continue
        aset = evalsets.alias_cases(
            snapshot.entities, group, kinds=kinds, folds=sizes.folds, sample=sizes.alias_sample
        )
        alias_sets.append((group, snapshot, aset))
        log(
            f"{group}: {len(aset.cases)} held-out aliases over {len(snapshot.entities)} "
            f"entities, {aset.folds} folds"
        )
    clean_cases = evalsets.clean_name_cases(sizes.clean_per_set, sizes.census)
    translit = evalsets.translit_pairs(sizes.translit_per_set)
    records = evalsets.febrl_pairs(sizes.febrl_matches) + evalsets.senzing_pairs()
    log(
        f"clean names {len(clean_cases)}, transliteration pairs {len(translit)}, "
        f"record pairs {len(records)}"
    )

    # Candidate sets for the pair-scoring baselines, then score everything per baseline in
    # its own thread (nomenklatura runs in worker processes) while tamiz runs here.
    jobs: list[tuple[str, str, object]] = []
    cache = CACHE if ctx.use_cache else None
    if scorers:
        log("shared candidate retrieval for the baselines")
        for group, snapshot, aset in alias_sets:
            cset = quality.alias_candidates(
                snapshot.entities, aset.cases, sizes.candidates_per_scorer, cache=cache
            )
            jobs.append(("alias", group, cset))
        if ctx.entities():
            jobs.append(
                (
                    "clean",
                    "all",
                    quality.screening_candidates(ctx.retrieval(), clean_cases, cache=cache),
                )
            )
    pair_lists = [(j[0], j[1], j[2].pairs) for j in jobs]
    pair_lists.append(("pairs", "translit", [(p.left, p.right) for p in translit]))
    pair_lists.append(("pairs", "records", [(p.left, p.right) for p in records]))
    flat = [pair for _, _, pairs in pair_lists for pair in pairs]
    log(f"baselines score {len(flat):,} pairs each: {', '.join(scorers)}")

    def run_scorer(name):
        start = time.perf_counter()
        scores = cached_scores(scorers[name], flat, ctx.use_cache)
        return name, scores, time.perf_counter() - start

    baseline_scores: dict[str, dict] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(scorers))) as pool:
        futures = [pool.submit(run_scorer, name) for name in scorers]
        tamiz_outcomes = run_tamiz_quality(ctx, alias_sets, clean_cases, translit, records)
        for future in futures:
            name, scores, seconds = future.result()
            log(f"  {name}: {len(scores):,} pairs in {seconds:.0f}s")
            split, i = {}, 0
            for kind, group, pairs in pair_lists:
                split[(kind, group)] = scores[i : i + len(pairs)]
                i += len(pairs)
            baseline_scores[name] = split

    # Outcomes per matcher.
    alias_outcomes: dict[str, quality.SearchOutcomes] = {}
    clean_outcomes: dict[str, quality.SearchOutcomes] = {}
    pair_scores: dict[str, dict[str, np.ndarray]] = {}
    for name, split in baseline_scores.items():
        alias_outcomes[name] = quality.SearchOutcomes()
        for kind, group, cset in jobs:
            target = (
                alias_outcomes[name]
                if kind == "alias"
                else clean_outcomes.setdefault(name, quality.SearchOutcomes())
            )
            cset.outcomes(split[(kind, group)], into=target)
        pair_scores[name] = {
            "translit": split[("pairs", "translit")],
            "records": split[("pairs", "records")],
        }
    if tamiz_outcomes:
        alias_outcomes["tamiz"] = tamiz_outcomes["alias"]
        if "clean" in tamiz_outcomes:
            clean_outcomes["tamiz"] = tamiz_outcomes["clean"]
        pair_scores["tamiz"] = tamiz_outcomes["pairs"]
        out["tamiz_refused"] = tamiz_outcomes["refused"]
        if any(tamiz_outcomes["refused"].values()):
            note(
                ctx.results,
                f"tamiz refused some inputs as queries (counted as not found): "
                f"{tamiz_outcomes['refused']}",
            )

    order = [n for n in ("tamiz", *ctx.baselines) if n in thresholds]
    out["alias"] = {}
    for group, _snapshot, aset in alias_sets:
        section = {
            "cases": len(aset.cases),
            "folds": aset.folds,
            "skipped_same_as_other_name": aset.skipped_same_as_other_name,
            "matchers": {},
        }
        kinds = sorted({c.kind for c in aset.cases})
        for name in order:
            if name not in alias_outcomes:
                continue
            arrays = alias_outcomes[name].arrays(group)
            m = quality.alias_metrics(*arrays, thresholds[name])
            m["curve"] = quality.alias_curve(*arrays)
            got = alias_outcomes[name]
            m["subsets"] = {
                k: quality.alias_metrics(*got.arrays(group, k), thresholds[name]) for k in kinds
            }
            for label, related in (
                ("shares a word with another name", True),
                ("shares no word with another name", False),
            ):
                m["subsets"][label] = quality.alias_metrics(
                    *got.arrays(group, related=related), thresholds[name]
                )
            section["matchers"][name] = m
        out["alias"][group] = section

    out["clean"] = {}
    for group in dict.fromkeys(c.group for c in clean_cases):
        section = {"cases": sum(1 for c in clean_cases if c.group == group), "matchers": {}}
        for name in order:
            if name not in clean_outcomes:
                continue
            _true, best, _ties = clean_outcomes[name].arrays(group)
            m = quality.alerts_metrics(best, thresholds[name])
            m["curve"] = quality.alerts_curve(best)
            section["matchers"][name] = m
        out["clean"][group] = section

    out["translit"] = {}
    labels = np.array([p.label for p in translit], dtype=bool)
    groups = np.array([p.group for p in translit])
    for group in dict.fromkeys(groups.tolist()):
        sel = groups == group
        section = {
            "positives": int((labels & sel).sum()),
            "negatives": int((~labels & sel).sum()),
            "matchers": {},
        }
        for name in order:
            if name not in pair_scores:
                continue
            s = pair_scores[name]["translit"][sel]
            lab = labels[sel]
            t = thresholds[name]
            section["matchers"][name] = {
                "recall": float((s[lab] >= t).mean()) if lab.any() else None,
                "false_match_rate": float((s[~lab] >= t).mean()) if (~lab).any() else None,
            }
        out["translit"][group] = section

    out["pairs"] = {}
    labels = np.array([p.label for p in records], dtype=bool)
    groups = np.array([p.group for p in records])
    for group in dict.fromkeys(groups.tolist()):
        sel = groups == group
        section = {
            "positives": int((labels & sel).sum()),
            "negatives": int((~labels & sel).sum()),
            "matchers": {},
        }
        for name in order:
            if name not in pair_scores:
                continue
            s = pair_scores[name]["records"][sel]
            m = quality.pair_metrics(s, labels[sel], thresholds[name])
            m["curve"] = quality.pair_curve(s, labels[sel])
            section["matchers"][name] = m
        out["pairs"][group] = section

    if ctx.tamiz_available and ctx.entities():
        out["retrieval"] = measure_retrieval(ctx)
    return out


def cached_scores(scorer, pairs, use_cache: bool) -> np.ndarray:
    """A baseline's scores for ``pairs``, from the cache when the same matcher version has
    scored exactly these records before (the baselines do not change between tamiz runs)."""
    digest = hashlib.sha256(scorer.name.encode())
    digest.update(json.dumps(scorer.versions(), sort_keys=True).encode())
    keys: dict = {}
    for pair in pairs:
        for party in pair:
            key = keys.get(party)
            if key is None:
                key = keys[party] = party.key()
            digest.update(key.encode())
    path = CACHE / f"{scorer.name}-{digest.hexdigest()[:32]}.npy"
    if use_cache and path.exists():
        log(f"  {scorer.name}: scores from cache {path}")
        return np.load(path)
    scores = np.asarray(scorer.score(pairs), dtype=float)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, scores)
    return scores


def run_tamiz_quality(ctx: Context, alias_sets, clean_cases, translit, records) -> dict | None:
    if not ctx.tamiz_available:
        return None
    out: dict = {}
    outcomes = quality.SearchOutcomes()
    for group, snapshot, aset in alias_sets:
        log(f"tamiz: leave-one-alias-out on {group}")
        got, timing = quality.tamiz_leave_one_alias_out(
            snapshot.entities, aset.cases, aset.folds, log
        )
        for attr in ("groups", "kinds", "related", "true_score", "best_other", "ties"):
            getattr(outcomes, attr).extend(getattr(got, attr))
        log(
            f"  built {aset.folds} indexes in {timing['build_seconds']:.1f}s, searched in "
            f"{timing['search_seconds']:.1f}s"
        )
    out["alias"] = outcomes
    refused = {"alias": outcomes.refused}
    if ctx.entities():
        log("tamiz: clean names against all lists")
        clean = quality.SearchOutcomes()
        quality.tamiz_search(ctx.index(), clean_cases, clean)
        out["clean"] = clean
        refused["clean"] = clean.refused
    log("tamiz: pair sets")
    scorer = TamizPairScorer()
    out["pairs"] = {
        "translit": np.asarray(scorer.score([(p.left, p.right) for p in translit])),
        "records": np.asarray(scorer.score([(p.left, p.right) for p in records])),
    }
    refused["pairs"] = scorer.refused
    out["refused"] = refused
    return out


def measure_retrieval(ctx: Context) -> dict:
    """Share of what an exhaustive scan scores ≥ threshold that the index search returns.
    The exhaustive scan scores every entity (seconds per query), so this uses few queries,
    spread over two forked processes."""
    threshold = ctx.results["matchers"]["tamiz"]["threshold"]
    index = ctx.index()
    parties = evalsets.speed_queries(ctx.entities(), ctx.sizes.retrieval_queries)
    queries = [(p.names[0], q) for p in parties if (q := safe_query(p)) is not None]
    log(f"tamiz: retrieval recall on {len(queries)} queries (exhaustive scan, 2 processes)")
    checked = speed.fork_map(_retrieval_check, index, queries, threshold, processes=2)
    hits = sum(len(full) for _, full, _ in checked)
    found = sum(len(full & got) for _, full, got in checked)
    missed = [
        {"query": text, "missed": sorted(full - got)[:3]}
        for text, full, got in checked
        if full - got
    ]
    return {
        "threshold": threshold,
        "queries": len(queries),
        "exhaustive_hits": hits,
        "recall": found / hits if hits else None,
        "examples_missed": missed[:10],
    }


def _retrieval_check(index, item, threshold):
    text, query = item
    full = {r.entity_id for r in index.search_exhaustive(query, threshold=threshold)}
    got = {r.entity_id for r in index.search(query, threshold=threshold, limit=max(10, len(full)))}
    return text, full, got


# -- speed -------------------------------------------------------------------------------


def run_speed(ctx: Context) -> dict:
    out: dict = {}
    entities = ctx.entities()
    if not entities:
        return {"note": "no list parsed: nothing to index"}
    queries = evalsets.speed_queries(entities, ctx.sizes.speed_queries)
    out["queries"] = len(queries)
    party_pairs = entity_pairs = None
    if ctx.tamiz_available:
        threshold = ctx.results["matchers"]["tamiz"]["threshold"]
        ctx.index()
        out["build"] = ctx._index_stats
        log("speed: index load + memory in fresh processes")
        out["load"] = speed.measure_load(ctx._index_path)
        from tamiz.match import MatchIndex

        loaded = MatchIndex.load(ctx._index_path)
        tamiz_queries = [q for q in map(safe_query, queries) if q is not None]
        log(f"speed: latency over {len(queries)} queries")
        out["latency"] = speed.measure_latency(loaded, tamiz_queries, threshold)
        total = max(2000, 2 * len(queries))
        out["throughput"] = []
        for processes in (1, 2):
            log(f"speed: batch throughput, {processes} process(es)")
            out["throughput"].append(
                speed.measure_throughput(loaded, tamiz_queries, threshold, processes, total)
            )
        del loaded
    else:
        out["note"] = "tamiz.match not available: only the baselines' per-pair speed measured"
    log("speed: per-pair scoring")
    by_ref = {e.id: e for e in entities}
    party_pairs, entity_pairs = speed.speed_pairs(
        queries, ctx.retrieval(), by_ref, n_queries=min(300, len(queries))
    )
    out["pairs"] = {}
    if ctx.tamiz_available:
        out["pairs"]["tamiz"] = speed.measure_tamiz_pairs(entity_pairs)
    for name, scorer in ctx.baseline_scorers().items():
        out["pairs"][name] = speed.measure_baseline_pairs(scorer, party_pairs)
    return out


# -- ingest ------------------------------------------------------------------------------


def run_ingest(ctx: Context) -> dict:
    out = {"update": ingest.measure_update(log)}
    if not out["update"].get("available"):
        note(ctx.results, f"ingest: {out['update']['note']}; parse-only timing instead")
    log("ingest: parsing every snapshot (no store)")
    out["parse_only"] = ingest.measure_parse_only()
    return out


# -- main --------------------------------------------------------------------------------


def git_revision() -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True, text=True
    )
    dirty = subprocess.run(
        ["git", "-C", str(ROOT), "status", "--porcelain", "--", "src"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    return done.stdout.strip() + ("+dirty" if dirty else "")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller fixed-seed samples")
    parser.add_argument(
        "--only", choices=SECTIONS, action="append", help="run only this section (repeatable)"
    )
    parser.add_argument(
        "--baseline",
        action="append",
        choices=(*BASELINES, "none"),
        help="baseline matcher to compare with (repeatable; default: all)",
    )
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help=f"re-score the baselines even when {CACHE} has their scores",
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    os.chdir(ROOT)
    baselines = [b for b in (args.baseline or BASELINES) if b != "none"]
    sections = list(dict.fromkeys(args.only)) if args.only else list(SECTIONS)
    started = time.perf_counter()
    results: dict = {
        "meta": {
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "mode": "quick" if args.quick else "full",
            "sections": sections,
            "git": git_revision(),
            "python": platform.python_version(),
            "machine": f"{platform.machine()}, {os.cpu_count()} CPUs",
            # Other work on the machine skews timings; the load average says how much.
            "load_average_before": os.getloadavg(),
        },
        "matchers": {},
    }
    info = tamiz_info()
    results["matchers"]["tamiz"] = (
        {
            "available": True,
            "threshold": info.threshold,
            "versions": {"algorithm": info.algorithm, "git": results["meta"]["git"]},
        }
        if info.available
        else {"available": False, "note": info.reason}
    )
    if not info.available:
        note(results, f"tamiz engine missing, baselines only: {info.reason}")
    ctx = Context(
        Sizes.for_mode(args.quick),
        baselines,
        results,
        tamiz_available=info.available,
        use_cache=not args.no_cache,
    )
    runners = {"quality": run_quality, "speed": run_speed, "ingest": run_ingest}
    done: list[str] = []
    try:
        for section in sections:
            results[section] = runners[section](ctx)
            done.append(section)
            # Saved after every section, so a late failure does not lose the earlier ones.
            save(results, args.out, done, started)
    finally:
        ctx.close()
    pictures = plots.write_plots(results, args.out) if "quality" in sections else []
    report.print_all(console, results)
    names = ", ".join(p.name for p in pictures)
    console.print(f"wrote {args.out / 'latest.json'}, summary.md" + (f", {names}" if names else ""))
    return 0


def save(results: dict, folder: Path, sections: list[str], started: float) -> None:
    results["meta"]["seconds"] = time.perf_counter() - started
    results["meta"]["load_average_after"] = os.getloadavg()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "latest.json"
    merged = merge_previous(results, path, sections)
    path.write_text(json.dumps(merged, indent=1, ensure_ascii=False) + "\n")
    summary = report.markdown_summary(merged)
    (folder / "summary.md").write_text(summary)
    if results["meta"]["mode"] == "full" and folder == RESULTS:
        update_readme(summary)


def update_readme(summary: str) -> None:
    """Put the summary tables between the results markers of benchmarks/README.md and of the
    project's README.md (which also shows the pictures)."""
    here = Path(__file__).resolve().parent
    for readme, pictures in ((here / "README.md", ""), (here.parent / "README.md", PICTURES)):
        if not readme.exists():
            continue
        text = readme.read_text()
        start, end = "<!-- results:start -->", "<!-- results:end -->"
        if start in text and end in text:
            head, rest = text.split(start, 1)
            tail = rest.split(end, 1)[1]
            readme.write_text(f"{head}{start}\n{summary}{pictures}{end}{tail}")


# The pictures as the project README shows them (benchmarks/README.md has its own links).
PICTURES = "".join(
    f"\n![{alt}](benchmarks/results/{name})\n"
    for alt, name in (
        ("precision and recall against threshold on record pairs", "pairs_precision_recall.png"),
        ("alias recall and clean-name alerts against threshold", "screening_recall_alerts.png"),
    )
)


def merge_previous(results: dict, path: Path, sections: list[str]) -> dict:
    """latest.json keeps the newest figures of every section: sections not run this time are
    carried over from the previous file, each with the meta of the run that produced it."""
    merged = dict(results)
    merged["runs"] = {s: results["meta"] for s in sections}
    if not path.exists():
        return merged
    try:
        previous = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError):
        return merged
    for section in SECTIONS:
        if section in sections or section not in previous:
            continue
        merged[section] = previous[section]
        merged["runs"][section] = previous.get("runs", {}).get(section, previous.get("meta"))
        if section == "quality" and "lists" not in results and "lists" in previous:
            merged["lists"] = previous["lists"]
    for name, info in previous.get("matchers", {}).items():
        merged["matchers"].setdefault(name, info)
    return merged


if __name__ == "__main__":
    sys.exit(main())
