"""Failure dumps for developing the matching engine (tamiz only, no baselines).

    python -m benchmarks.match_dev aliases [--folds 10] [--sample N] [--only SDN|UN] [--out F]
    python -m benchmarks.match_dev clean [--out F]
    python -m benchmarks.match_dev translit [--per-set 1000] [--out F]
    python -m benchmarks.match_dev retrieval [--queries 600] [--out F]

``aliases``: the same alias cases and folds as the quality benchmark
(``evalsets.alias_cases``), searched with tamiz; every case is written as one JSON line with
the held-out alias, the names its entity keeps, the true entity's score when scored directly
(no retrieval), what the search returned first, and both explanations, so misses can be read
and classified by cause. A summary by coarse cause is printed.

``clean``: the clean-name sets of the benchmark screened against all lists; every alert at
the default threshold is printed with its explanation.

``retrieval``: the benchmark's retrieval check (indexed search against an exhaustive scan
over all lists, the speed benchmark's query stream); every entity the search misses.

``translit``: the transliteration pairs of the benchmark through ``compare``; recall and
false-match rate per set, misses written out.
"""

from __future__ import annotations

import argparse
import collections
import time
from pathlib import Path

import orjson

from benchmarks.corpus import SDN_ALIAS_SNAPSHOT, UN_ALIAS_SNAPSHOT, load_snapshot_at, name_key
from benchmarks.evalsets import ALIAS_KINDS, alias_cases, fold_entities
from benchmarks.matchers import safe_query
from tamiz.match import DEFAULT_THRESHOLD, MatchIndex
from tamiz.model import NameKind

SETS = (
    ("SDN 2021-07-07 aliases", SDN_ALIAS_SNAPSHOT, (NameKind.AKA, NameKind.FORMER)),
    ("UN 2026-02-27 aliases", UN_ALIAS_SNAPSHOT, ALIAS_KINDS),
)


def coarse_cause(row: dict) -> str:
    """A first, automatic split; the fine classification is done by reading the rows."""
    if row["ok"]:
        return "ok"
    direct = row["direct_score"]
    if not row["related"]:
        return "shares no word"
    if row["true_score"] == 0 and direct >= DEFAULT_THRESHOLD:
        return "retrieval missed (scoring would pass)"
    if row["true_score"] >= DEFAULT_THRESHOLD or direct >= DEFAULT_THRESHOLD:
        return "ranked behind another entity"
    return "scored below threshold"


def run(folds: int, sample: int | None, out: Path, only: str | None) -> None:
    rows = []
    for group, where, kinds in SETS:
        if only and only not in group:
            continue
        snapshot = load_snapshot_at(where)
        aset = alias_cases(snapshot.entities, group, kinds=kinds, folds=folds, sample=sample)
        by_id = {e.id: e for e in snapshot.entities}
        by_fold = collections.defaultdict(list)
        for case in aset.cases:
            by_fold[case.fold].append(case)
        for fold in sorted(by_fold):
            t0 = time.perf_counter()
            index = MatchIndex.build(fold_entities(snapshot.entities, aset.cases, fold))
            for case in by_fold[fold]:
                q = safe_query(case.query)
                ent = by_id[case.expected]
                kept = [n.full for n in ent.names if name_key(n.full) != case.drop]
                row = {
                    "group": group,
                    "kind": case.kind,
                    "related": case.related,
                    "query": case.query.names[0],
                    "schema": case.query.schema,
                    "expected": case.expected,
                    "kept": kept,
                }
                if q is None:
                    row.update(ok=False, true_score=0.0, direct_score=0.0, refused=True)
                    rows.append(row)
                    continue
                results = index.search(q, threshold=0.3, limit=10)
                mine = next((r for r in results if r.entity_id == case.expected), None)
                true = mine.score if mine else 0.0
                other = next((r for r in results if r.entity_id != case.expected), None)
                best_other = other.score if other else 0.0
                direct = index.score_entity(q, case.expected)
                row.update(
                    ok=bool(mine and true >= DEFAULT_THRESHOLD and true >= best_other),
                    true_score=round(true, 4),
                    direct_score=round(direct.score, 4) if direct else 0.0,
                    direct=direct.explanation.summary if direct else None,
                    direct_features=direct.explanation.features if direct else None,
                    other_id=other.entity_id if other else None,
                    other_score=round(best_other, 4),
                    other=other.explanation.summary if other else None,
                )
                rows.append(row)
            print(
                f"{group} fold {fold}: {len(by_fold[fold])} cases, {time.perf_counter() - t0:.0f}s"
            )
    with out.open("wb") as fh:
        for row in rows:
            row["cause"] = coarse_cause(row)
            fh.write(orjson.dumps(row) + b"\n")
    for group in sorted({r["group"] for r in rows}):
        sel = [r for r in rows if r["group"] == group]
        ok = sum(r["ok"] for r in sel)
        print(f"\n{group}: {ok}/{len(sel)} = {ok / len(sel):.1%}")
        rel = [r for r in sel if r["related"]]
        print(f"  sharing a word: {sum(r['ok'] for r in rel)}/{len(rel)}")
        for cause, n in collections.Counter(r["cause"] for r in sel).most_common():
            print(f"  {cause:45s} {n:6d} {n / len(sel):6.1%}")


def clean(out: Path) -> None:
    from benchmarks.corpus import entities_of, load_all_lists
    from benchmarks.evalsets import clean_name_cases

    t0 = time.perf_counter()
    index = MatchIndex.build(entities_of(load_all_lists()))
    print(f"index of all lists built in {time.perf_counter() - t0:.0f}s")
    cases = clean_name_cases(None, 2000)
    counts: collections.Counter = collections.Counter()
    totals: collections.Counter = collections.Counter()
    with out.open("wb") as fh:
        for case in cases:
            totals[case.group] += 1
            q = safe_query(case.query)
            if q is None:
                continue
            for r in index.search(q, threshold=DEFAULT_THRESHOLD, limit=3)[:1]:
                counts[case.group] += 1
                row = {"group": case.group, "query": q.to_dict(), "id": r.entity_id}
                row["score"] = round(r.score, 4)
                row["summary"] = r.explanation.summary
                row["features"] = r.explanation.features
                fh.write(orjson.dumps(row) + b"\n")
                print(f"[{case.group}] {q.names[0]!r} -> {r.explanation.summary}")
    for group, n in totals.items():
        print(f"{group:24s} {counts[group]:3d} alerts / {n} = {1000 * counts[group] / n:.1f}")


def _retrieval_check(index, item, threshold):
    text, query = item
    full = {r.entity_id: r for r in index.search_exhaustive(query, threshold=threshold)}
    got = {r.entity_id for r in index.search(query, threshold=threshold, limit=max(10, len(full)))}
    return text, {e: r.explanation.summary for e, r in full.items() if e not in got}, len(full)


def retrieval(n: int, out: Path) -> None:
    from benchmarks import speed
    from benchmarks.corpus import entities_of, load_all_lists
    from benchmarks.evalsets import speed_queries

    entities = entities_of(load_all_lists())
    index = MatchIndex.build(entities)
    queries = [(p.names[0], q) for p in speed_queries(entities, n) if (q := safe_query(p))]
    checked = speed.fork_map(_retrieval_check, index, queries, DEFAULT_THRESHOLD, processes=2)
    hits = sum(n for _, _, n in checked)
    missed = sum(len(m) for _, m, _ in checked)
    with out.open("wb") as fh:
        for text, miss, _ in checked:
            for eid, summary in miss.items():
                print(f"{text!r} -> {eid}: {summary}")
                fh.write(orjson.dumps({"query": text, "id": eid, "summary": summary}) + b"\n")
    print(f"retrieval recall {(hits - missed) / max(hits, 1):.4f} ({hits - missed}/{hits})")


def translit(per_set: int, out: Path) -> None:
    from benchmarks.evalsets import translit_pairs
    from tamiz.match import compare

    pairs = translit_pairs(per_set)
    stats: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0, 0, 0])
    with out.open("wb") as fh:
        for p in pairs:
            a, b = safe_query(p.left), safe_query(p.right)
            r = compare(a, b) if a is not None and b is not None else None
            hit = bool(r and r.match)
            s = stats[p.group]
            s[0 if p.label else 2] += 1
            s[1 if p.label else 3] += hit
            if p.label != hit:
                row = {"group": p.group, "label": p.label, "left": p.left.names[0]}
                row["right"] = p.right.names[0]
                row["summary"] = r.explanation.summary if r else None
                fh.write(orjson.dumps(row) + b"\n")
    for group, (n, tp, m, fp) in stats.items():
        print(f"{group:20s} recall {tp / n:6.1%} ({n})  false matches {fp / max(m, 1):6.1%}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("mode", choices=("aliases", "clean", "translit", "retrieval"))
    ap.add_argument("--folds", type=int, default=10)
    ap.add_argument("--sample", type=int, default=None)
    ap.add_argument("--per-set", type=int, default=1000)
    ap.add_argument("--queries", type=int, default=600)
    ap.add_argument("--only", default=None, help="'SDN' or 'UN'")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    out = args.out or Path(f"/tmp/match_dev_{args.mode}.jsonl")
    if args.mode == "aliases":
        run(args.folds, args.sample, out, args.only)
    elif args.mode == "clean":
        clean(out)
    elif args.mode == "retrieval":
        retrieval(args.queries, out)
    else:
        translit(args.per_set, out)


if __name__ == "__main__":
    main()
