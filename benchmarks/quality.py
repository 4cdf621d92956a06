"""Matching quality: run every matcher over the evaluation sets and turn scores into metrics.

Raw outcomes are kept per case (scores, not just yes/no) so every metric can be read at any
threshold: the tables use each matcher's own default threshold, the curves sweep all of them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from benchmarks.corpus import Party, entity_party
from benchmarks.evalsets import SearchCase, fold_entities
from benchmarks.matchers import PairScorer, SharedRetrieval, safe_query
from tamiz.model import Entity

THRESHOLDS = np.round(np.arange(0.30, 1.0001, 0.01), 2)
# tamiz is asked for everything down to this score, so curves can go below its default.
SEARCH_FLOOR = 0.30
SEARCH_LIMIT = 10

Log = Callable[[str], None]


@dataclass
class SearchOutcomes:
    """Per case: the true entity's score (0 when not returned), the best score of any other
    entity, and how many others tie with the true entity."""

    groups: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    related: list[bool | None] = field(default_factory=list)
    true_score: list[float] = field(default_factory=list)
    best_other: list[float] = field(default_factory=list)
    ties: list[int] = field(default_factory=list)
    refused: int = 0  # queries the engine rejected as invalid

    def add(self, case: SearchCase, scored: Sequence[tuple[str | None, float]]) -> None:
        true = 0.0
        others: list[float] = []
        for ref, score in scored:
            if case.expected is not None and ref == case.expected:
                true = max(true, score)
            else:
                others.append(score)
        self.groups.append(case.group)
        self.kinds.append(case.kind)
        self.related.append(case.related)
        self.true_score.append(true)
        self.best_other.append(max(others, default=0.0))
        self.ties.append(sum(1 for s in others if true > 0 and s == true))

    def arrays(self, group: str, kind: str | None = None, related: bool | None = None):
        """Score arrays of one set, optionally only one alias kind / related or not."""
        sel = np.array(
            [
                g == group and (kind is None or k == kind) and (related is None or r == related)
                for g, k, r in zip(self.groups, self.kinds, self.related, strict=True)
            ],
            dtype=bool,
        )
        return (
            np.asarray(self.true_score)[sel],
            np.asarray(self.best_other)[sel],
            np.asarray(self.ties)[sel],
        )


# -- metrics -----------------------------------------------------------------------------


def rank_one_credit(true: np.ndarray, best_other: np.ndarray, ties: np.ndarray) -> np.ndarray:
    """1 when the true entity is strictly first, 1/(k+1) when k others tie with it (a random
    tie-break), 0 otherwise."""
    first = (true > 0) & (true >= best_other)
    return np.where(first, 1.0 / (1 + ties), 0.0)


def alias_metrics(true, best_other, ties, threshold: float) -> dict:
    credit = rank_one_credit(true, best_other, ties)
    return {
        "n": len(true),
        "recall_at_1": float(credit.mean()) if len(true) else None,
        "recall_first_above_threshold": float((credit * (true >= threshold)).mean())
        if len(true)
        else None,
        "recall_above_threshold": float((true >= threshold).mean()) if len(true) else None,
    }


def alias_curve(true, best_other, ties) -> list[float]:
    credit = rank_one_credit(true, best_other, ties)
    return [float((credit * (true >= t)).mean()) if len(true) else 0.0 for t in THRESHOLDS]


def alerts_metrics(best: np.ndarray, threshold: float) -> dict:
    n = len(best)
    return {
        "n": int(n),
        "alerts": int((best >= threshold).sum()),
        "alerts_per_1k": float(1000 * (best >= threshold).mean()) if n else None,
    }


def alerts_curve(best: np.ndarray) -> list[float]:
    return [float(1000 * (best >= t).mean()) if len(best) else 0.0 for t in THRESHOLDS]


def pair_metrics(scores: np.ndarray, labels: np.ndarray, threshold: float) -> dict:
    predicted = scores >= threshold
    tp = int((predicted & labels).sum())
    fp = int((predicted & ~labels).sum())
    fn = int((~predicted & labels).sum())
    precision = tp / (tp + fp) if tp + fp else None  # nothing predicted: undefined
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision and recall else 0.0
    return {
        "positives": int(labels.sum()),
        "negatives": int((~labels).sum()),
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
    }


def pair_curve(scores: np.ndarray, labels: np.ndarray) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"precision": [], "recall": [], "f1": []}
    for t in THRESHOLDS:
        m = pair_metrics(scores, labels, float(t))
        for key in out:
            out[key].append(m[key])
    return out


# -- running tamiz -----------------------------------------------------------------------


def tamiz_search(index, cases: Sequence[SearchCase], outcomes: SearchOutcomes) -> float:
    """Search every case in ``index``; returns the seconds spent in ``search``."""
    queries = [safe_query(c.query) for c in cases]
    spent = 0.0
    for case, query in zip(cases, queries, strict=True):
        if query is None:  # refused by the engine (QueryError): nothing found
            outcomes.add(case, [])
            outcomes.refused += 1
            continue
        start = time.perf_counter()
        results = index.search(query, threshold=SEARCH_FLOOR, limit=SEARCH_LIMIT)
        spent += time.perf_counter() - start
        outcomes.add(case, [(r.entity_id, float(r.score)) for r in results])
    return spent


def tamiz_leave_one_alias_out(
    entities: Sequence[Entity], cases: Sequence[SearchCase], folds: int, log: Log
) -> tuple[SearchOutcomes, dict]:
    """Build one index per fold (its aliases removed) and search that fold's aliases in it."""
    from tamiz.match import MatchIndex

    outcomes = SearchOutcomes()
    build_seconds = search_seconds = 0.0
    by_fold: dict[int, list[SearchCase]] = defaultdict(list)
    for case in cases:
        by_fold[case.fold].append(case)
    for fold in sorted(by_fold):
        start = time.perf_counter()
        index = MatchIndex.build(fold_entities(entities, cases, fold))
        build_seconds += time.perf_counter() - start
        search_seconds += tamiz_search(index, by_fold[fold], outcomes)
        log(f"  tamiz fold {fold + 1}/{folds}: {len(by_fold[fold])} aliases")
    timing = {"build_seconds": build_seconds, "search_seconds": search_seconds}
    return outcomes, timing


# -- running the pair-scoring baselines on shared candidates -----------------------------


@dataclass
class CandidateSet:
    """Per case, the candidate records the pair scorers compare the query with."""

    cases: list[SearchCase]
    candidates: list[list[Party]]

    @property
    def pairs(self) -> list[tuple[Party, Party]]:
        return [
            (c.query, p)
            for c, cands in zip(self.cases, self.candidates, strict=True)
            for p in cands
        ]

    def outcomes(self, scores: Sequence[float], into: SearchOutcomes | None = None):
        into = into or SearchOutcomes()
        i = 0
        for case, cands in zip(self.cases, self.candidates, strict=True):
            scored = [(p.ref, scores[i + j]) for j, p in enumerate(cands)]
            i += len(cands)
            into.add(case, scored)
        return into


def alias_candidates(
    entities: Sequence[Entity],
    cases: Sequence[SearchCase],
    per_scorer: int,
    cache: Path | None = None,
) -> CandidateSet:
    """Shared retrieval over the fold's view of the list, plus the true entity (always)."""
    from benchmarks.evalsets import held_out_party

    parties = [entity_party(e) for e in entities]
    retrieval = SharedRetrieval(parties, per_scorer=per_scorer)
    by_ref = {e.id: e for e in entities}
    fold_drops: dict[int, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for case in cases:
        if case.expected and case.drop:
            fold_drops[case.fold][case.expected].add(case.drop)
    masks = {fold: retrieval.hidden_rows(drops) for fold, drops in fold_drops.items()}
    found = retrieval.candidates(
        [c.query for c in cases], [masks.get(c.fold) for c in cases], cache=cache
    )

    candidates: list[list[Party]] = []
    held: dict[tuple[int, str], Party] = {}
    for case, indices in zip(cases, found, strict=True):
        refs = [parties[i].ref for i in indices]
        if case.expected not in refs:
            refs.append(case.expected)
        row = []
        for ref in refs:
            if ref in fold_drops[case.fold]:
                key = (case.fold, ref)
                if key not in held:
                    held[key] = held_out_party(by_ref[ref], cases, case.fold)
                row.append(held[key])
            else:
                row.append(parties[retrieval.index_of(ref)])
        candidates.append(row)
    return CandidateSet(list(cases), candidates)


def screening_candidates(
    retrieval: SharedRetrieval, cases: Sequence[SearchCase], cache: Path | None = None
) -> CandidateSet:
    found = retrieval.candidates([c.query for c in cases], cache=cache)
    return CandidateSet(list(cases), [[retrieval.parties[i] for i in indices] for indices in found])


def score_pairs(scorer: PairScorer, pairs: Sequence[tuple[Party, Party]]) -> np.ndarray:
    return np.asarray(scorer.score(pairs), dtype=float)
