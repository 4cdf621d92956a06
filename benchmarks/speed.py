"""Speed and memory of the tamiz engine over all lists, and per-pair scoring speed against the
baselines (as a ratio)."""

from __future__ import annotations

import json
import multiprocessing as mp
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from benchmarks.corpus import ROOT, Party

Log = Callable[[str], None]

# Forked workers inherit the loaded index copy-on-write (set before forking).
_WORKER_INDEX = None
_WORKER_QUERIES: list = []


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms, dtype=float)
    return {
        "n": int(arr.size),
        "mean_ms": float(arr.mean()),
        "p50_ms": float(np.percentile(arr, 50)),
        "p90_ms": float(np.percentile(arr, 90)),
        "p99_ms": float(np.percentile(arr, 99)),
        "max_ms": float(arr.max()),
    }


def measure_build(entities, log: Log) -> tuple[object, dict, Path]:
    from tamiz.match import MatchIndex

    start = time.perf_counter()
    index = MatchIndex.build(entities)
    build = time.perf_counter() - start
    folder = Path(tempfile.mkdtemp(prefix="tamiz-bench-index-"))
    path = folder / "index"
    start = time.perf_counter()
    index.save(path)
    save = time.perf_counter() - start
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    log(f"  index: {len(entities)} entities, built in {build:.2f}s, {size / 2**20:.1f} MB")
    return (
        index,
        {
            "entities": len(entities),
            "build_seconds": build,
            "save_seconds": save,
            "size_mb": size / 2**20,
        },
        path,
    )


def measure_load(path: Path, repeats: int = 3) -> dict:
    """Load time and resident memory in fresh processes (median of ``repeats``)."""
    runs = []
    for _ in range(repeats):
        done = subprocess.run(
            [sys.executable, "-m", "benchmarks.probe", "load", str(path)],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"index load probe failed: {done.stderr.strip()[-400:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    out = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
    out["repeats"] = repeats
    return out


def measure_latency(index, queries: Sequence, threshold: float, warmup: int = 50) -> dict:
    for q in queries[:warmup]:
        index.search(q, threshold=threshold, limit=10)
    samples = []
    for q in queries:
        start = time.perf_counter()
        index.search(q, threshold=threshold, limit=10)
        samples.append((time.perf_counter() - start) * 1000)
    return percentiles(samples)


def _work(args: tuple[int, int, float]) -> int:
    start, stop, threshold = args
    for i in range(start, stop):
        _WORKER_INDEX.search(
            _WORKER_QUERIES[i % len(_WORKER_QUERIES)], threshold=threshold, limit=10
        )
    return stop - start


def measure_throughput(
    index, queries: Sequence, threshold: float, processes: int, total: int
) -> dict:
    """Names per second with ``processes`` forked workers sharing the loaded index."""
    global _WORKER_INDEX, _WORKER_QUERIES
    _WORKER_INDEX, _WORKER_QUERIES = index, list(queries)
    step = max(1, total // (processes * 8))
    chunks = [(i, min(i + step, total), threshold) for i in range(0, total, step)]
    ctx = mp.get_context("fork")
    with ctx.Pool(processes) as pool:
        pool.map(_work, [(0, processes, threshold)] * processes)  # start-up, warm
        start = time.perf_counter()
        done = sum(pool.map(_work, chunks, chunksize=1))
        wall = time.perf_counter() - start
    return {"processes": processes, "names": done, "seconds": wall, "names_per_second": done / wall}


def _fork_call(args: tuple) -> object:
    func, start, stop, threshold = args
    return [func(_WORKER_INDEX, item, threshold) for item in _WORKER_QUERIES[start:stop]]


def fork_map(func, index, items: Sequence, threshold: float, processes: int = 2) -> list:
    """``func(index, item, threshold)`` for every item, in forked workers sharing ``index``
    (``func`` must be a module-level function)."""
    global _WORKER_INDEX, _WORKER_QUERIES
    _WORKER_INDEX, _WORKER_QUERIES = index, list(items)
    step = max(1, len(items) // (processes * 4))
    chunks = [(func, i, min(i + step, len(items)), threshold) for i in range(0, len(items), step)]
    with mp.get_context("fork").Pool(processes) as pool:
        parts = pool.map(_fork_call, chunks, chunksize=1)
    return [r for part in parts for r in part]


def speed_pairs(queries: Sequence[Party], retrieval, entities_by_ref: dict, n_queries: int):
    """Realistic (query, list entity) pairs: each query against its shared-retrieval candidates.
    Returns pairs as Party records and the matching tamiz entities."""
    sample = list(queries[:n_queries])
    found = retrieval.candidates(sample)
    party_pairs, entity_pairs = [], []
    for q, indices in zip(sample, found, strict=True):
        for i in indices:
            party = retrieval.parties[i]
            party_pairs.append((q, party))
            entity_pairs.append((q, entities_by_ref[party.ref]))
    return party_pairs, entity_pairs


def measure_tamiz_pairs(entity_pairs) -> dict:
    from benchmarks.matchers import safe_query
    from tamiz.match import compare

    built = [(q, e) for q, e in ((safe_query(q), e) for q, e in entity_pairs) if q is not None]
    for q, e in built[:100]:
        compare(q, e)
    start = time.perf_counter()
    for q, e in built:
        compare(q, e)
    seconds = time.perf_counter() - start
    return {"pairs": len(built), "seconds": seconds, "us_per_pair": 1e6 * seconds / len(built)}


def measure_baseline_pairs(scorer, party_pairs) -> dict:
    """Per-pair time of a baseline; nomenklatura's is measured inside its worker (matcher
    ``compare`` only), rapidfuzz's in process."""
    scorer.score(party_pairs[:100])  # warm caches and imports
    if hasattr(scorer, "compute_seconds"):
        before_s, before_n = scorer.compute_seconds, scorer.pairs_scored
        scorer.score(party_pairs)
        seconds = scorer.compute_seconds - before_s
        n = scorer.pairs_scored - before_n
    else:
        start = time.perf_counter()
        scorer.score(party_pairs)
        seconds, n = time.perf_counter() - start, len(party_pairs)
    return {"pairs": n, "seconds": seconds, "us_per_pair": 1e6 * seconds / n}
