"""Measurements that need a fresh process; run as ``python -m benchmarks.probe COMMAND``.

- ``load INDEX``: import the engine, load the index, report load time and resident memory
  (before import, after import, after load, after a first search).
- ``parse``: parse every snapshot of the mirror with the registered parsers (no store), per
  snapshot time and entity count, and the process's peak memory.

Prints one JSON object on stdout.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def probe_load(path: str) -> dict:
    bare = _rss_mb()
    start = time.perf_counter()
    from tamiz.match import MatchIndex, Query
    from tamiz.model import Schema

    imported = time.perf_counter()
    after_import = _rss_mb()
    index = MatchIndex.load(path)
    loaded = time.perf_counter()
    after_load = _rss_mb()
    index.search(Query(names=("Nicolas Maduro",), schema=Schema.PERSON), limit=5)
    first_search = time.perf_counter() - loaded
    return {
        "import_seconds": imported - start,
        "load_seconds": loaded - imported,
        "first_search_seconds": first_search,
        "rss_bare_mb": bare,
        "rss_after_import_mb": after_import,
        "rss_after_load_mb": after_load,
        "rss_after_search_mb": _rss_mb(),
        "peak_rss_mb": _peak_mb(),
    }


def probe_parse() -> dict:
    from benchmarks.corpus import LISTS, mirror_snapshots, parse_snapshot

    snapshots = []
    start = time.perf_counter()
    for dataset, items in sorted(mirror_snapshots(LISTS).items()):
        for _label, paths in items:
            loaded = parse_snapshot(dataset, paths)
            snapshots.append(
                {
                    "dataset": dataset,
                    "files": loaded.label,
                    "entities": len(loaded.entities),
                    "seconds": loaded.seconds,
                    "error": loaded.error,
                }
            )
    return {
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": _peak_mb(),
        "snapshots": snapshots,
    }


def main(argv: list[str]) -> None:
    if argv[:1] == ["load"] and len(argv) == 2:
        result = probe_load(argv[1])
    elif argv == ["parse"]:
        result = probe_parse()
    else:
        raise SystemExit("usage: python -m benchmarks.probe load INDEX | parse")
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1:])
