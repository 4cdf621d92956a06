"""Scores record pairs with OpenSanctions nomenklatura matchers; runs in .venv-baselines.

Protocol: one JSON object per line on stdin, one answer per line on stdout.

- ``{"op": "versions"}`` → ``{"nomenklatura": "…", "followthemoney": "…", "rigour": "…"}``
- ``{"op": "score", "algorithm": "logic-v2", "pairs": [[LEFT, RIGHT], …]}`` →
  ``{"scores": [...], "seconds": S}`` where LEFT/RIGHT are FtM entity dicts
  (``{"id", "schema", "properties"}``) and ``seconds`` is the time spent in the matcher's
  ``compare`` only (entity construction and JSON excluded), for the per-pair speed figure.

Entity ids must differ whenever contents differ: nomenklatura memoises name analysis by id.
Only the standard library and nomenklatura are imported here (this file is not run with
tamiz's interpreter).
"""

from __future__ import annotations

import json
import logging
import sys
import time
from importlib.metadata import version


def main() -> None:
    logging.disable(logging.WARNING)
    from followthemoney import model
    from nomenklatura.matching import get_algorithm

    proxies: dict = {}
    configs: dict = {}

    def proxy(data: dict):
        found = proxies.get(data["id"])
        if found is None:
            if len(proxies) > 200_000:
                proxies.clear()
            found = model.get_proxy(data, cleaned=False)
            proxies[data["id"]] = found
        return found

    out = sys.stdout
    for line in sys.stdin:
        if not line.strip():
            continue
        request = json.loads(line)
        op = request.get("op")
        try:
            if op == "versions":
                answer = {
                    name: version(name) for name in ("nomenklatura", "followthemoney", "rigour")
                }
            elif op == "score":
                name = request["algorithm"]
                algorithm = get_algorithm(name)
                if algorithm is None:
                    raise ValueError(f"nomenklatura has no matcher named {name!r}")
                config = configs.setdefault(name, algorithm.default_config())
                pairs = [(proxy(a), proxy(b)) for a, b in request["pairs"]]
                scores = []
                start = time.perf_counter()
                for left, right in pairs:
                    scores.append(algorithm.compare(left, right, config).score)
                answer = {"scores": scores, "seconds": time.perf_counter() - start}
            else:
                raise ValueError(f"unknown op {op!r}")
        except Exception as exc:  # reported to the harness, which fails loudly
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer) + "\n")
        out.flush()


if __name__ == "__main__":
    main()
