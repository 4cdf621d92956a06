"""Run one list update (the options of ``POST /admin/update``) and print its results.

``python -m tamiz.api.updatejob`` reads the request as JSON on standard input and writes
one JSON list of results to standard output. The service runs updates this way, in a child
process at lower priority: parsing and writing a list takes seconds of CPU, which in the
serving process would hold the GIL that the requests being served need.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import sys
from typing import Any

from tamiz.store import Settings, Store, UpdateResult
from tamiz.store.updates import update_from_mirror, update_from_paths, update_from_publishers


def run(store: Store, request: dict[str, Any]) -> list[UpdateResult]:
    published = dt.date.fromisoformat(request["published"]) if request.get("published") else None
    force = bool(request.get("force"))
    if request.get("mirror"):
        return update_from_mirror(store, request["mirror"], request.get("datasets"), force=force)
    if request.get("paths"):
        return [
            update_from_paths(
                store,
                request["dataset"],
                request["paths"],
                format=request.get("format"),
                published=published,
                force=force,
            )
        ]
    return update_from_publishers(
        store,
        request.get("datasets"),
        urls=request.get("urls"),
        format=request.get("format"),
        published=published,
        force=force,
    )


def main() -> int:
    with contextlib.suppress(OSError):
        os.nice(10)  # the requests being served come first
    request = json.load(sys.stdin)
    store = Store.open(Settings.from_env())
    try:
        results = run(store, request)
    finally:
        store.close()
    json.dump([r.to_dict() for r in results], sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
