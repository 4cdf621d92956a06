"""The matchers under test: tamiz (search engine + pair scorer) and the pair-scoring baselines.

Baselines (nomenklatura ``logic-v2``/``logic-v1`` and a rapidfuzz token-sort ratio) are pair
scorers, not search engines. For search-style evaluations they score the same candidate set:
the top entities of a cheap shared retrieval (:class:`SharedRetrieval`), plus the true entity
when there is one. tamiz is run end to end, through its own index.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

import numpy as np
from anyascii import anyascii
from rapidfuzz import fuzz, process, utils

from benchmarks.corpus import Party, name_key

HERE = Path(__file__).resolve().parent
BASELINES_VENV = HERE / ".venv-baselines"
BASELINES_REQUIREMENTS = HERE / "baselines-requirements.txt"

# yente (the OpenSanctions API that runs nomenklatura) screens with a score threshold of 0.70;
# the nomenklatura package itself sets none for logic-v1/v2.
NOMENKLATURA_THRESHOLD = 0.70
# rapidfuzz has no notion of a match threshold; 0.85 (ratio 85) is a common choice.
RAPIDFUZZ_THRESHOLD = 0.85


class PairScorer(Protocol):
    name: str
    threshold: float

    def score(self, pairs: Sequence[tuple[Party, Party]]) -> list[float]: ...

    def versions(self) -> dict[str, str]: ...


# -- rapidfuzz ---------------------------------------------------------------------------


class RapidfuzzScorer:
    """``token_sort_ratio`` / 100, the best over every (query name, candidate name) pair,
    rapidfuzz's default processing (lower case, non-alphanumerics to spaces), no
    transliteration: the plain fuzzy baseline."""

    name = "rapidfuzz"
    threshold = RAPIDFUZZ_THRESHOLD

    def score(self, pairs: Sequence[tuple[Party, Party]]) -> list[float]:
        out = []
        for left, right in pairs:
            best = 0.0
            for a in left.all_names:
                for b in right.all_names:
                    s = fuzz.token_sort_ratio(a, b, processor=utils.default_process)
                    best = max(best, s)
            out.append(best / 100.0)
        return out

    def versions(self) -> dict[str, str]:
        from importlib.metadata import version

        return {"rapidfuzz": version("rapidfuzz")}


# -- nomenklatura, through a worker in its own virtualenv --------------------------------


class BaselineEnvError(RuntimeError):
    pass


def ensure_baselines_venv(log=print) -> Path:
    """Create (or refresh) ``benchmarks/.venv-baselines`` from the pinned requirements and
    return its Python. Re-created only when the requirements file changes."""
    python = BASELINES_VENV / "bin" / "python"
    wanted = hashlib.sha256(BASELINES_REQUIREMENTS.read_bytes()).hexdigest()
    marker = BASELINES_VENV / ".requirements.sha256"
    if python.exists() and marker.exists() and marker.read_text().strip() == wanted:
        return python
    log(f"creating {BASELINES_VENV} (nomenklatura baselines; needs the package index once)")
    base = getattr(sys, "_base_executable", None) or sys.executable
    steps = [
        [base, "-m", "venv", "--clear", str(BASELINES_VENV)],
        [str(python), "-m", "pip", "install", "--quiet", "-r", str(BASELINES_REQUIREMENTS)],
    ]
    for cmd in steps:
        done = subprocess.run(cmd, capture_output=True, text=True)
        if done.returncode != 0:
            tail = (done.stderr or done.stdout).strip().splitlines()[-5:]
            raise BaselineEnvError(f"{' '.join(cmd[:4])} failed:\n" + "\n".join(tail))
    marker.write_text(wanted + "\n")
    return python


class NomenklaturaScorer:
    """One worker process per matcher; pairs go over a pipe as JSON lines, in batches."""

    threshold = NOMENKLATURA_THRESHOLD
    batch = 2000

    def __init__(self, algorithm: str, python: Path) -> None:
        self.name = algorithm
        self.algorithm = algorithm
        self.compute_seconds = 0.0
        self.pairs_scored = 0
        env = {**os.environ, "PYTHONHASHSEED": "0"}
        self._proc = subprocess.Popen(
            [str(python), str(HERE / "nk_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            bufsize=1,
        )

    def _ask(self, request: dict) -> dict:
        assert self._proc.stdin and self._proc.stdout
        self._proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
        self._proc.stdin.flush()
        line = self._proc.stdout.readline()
        if not line:
            raise BaselineEnvError(f"{self.name} worker exited (code {self._proc.poll()})")
        answer = json.loads(line)
        if "error" in answer:
            raise BaselineEnvError(f"{self.name} worker: {answer['error']}")
        return answer

    def score(self, pairs: Sequence[tuple[Party, Party]]) -> list[float]:
        out: list[float] = []
        ftm: dict[Party, dict] = {}

        def enc(p: Party) -> dict:
            found = ftm.get(p)
            if found is None:
                found = ftm[p] = p.to_ftm()
            return found

        for start in range(0, len(pairs), self.batch):
            chunk = pairs[start : start + self.batch]
            answer = self._ask(
                {
                    "op": "score",
                    "algorithm": self.algorithm,
                    "pairs": [[enc(a), enc(b)] for a, b in chunk],
                }
            )
            out.extend(answer["scores"])
            self.compute_seconds += answer["seconds"]
            self.pairs_scored += len(chunk)
        return out

    def versions(self) -> dict[str, str]:
        return self._ask({"op": "versions"})

    def close(self) -> None:
        if self._proc.poll() is None:
            assert self._proc.stdin
            self._proc.stdin.close()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._proc.kill()


# -- shared candidate retrieval for the pair-scoring baselines ---------------------------


def retrieval_form(text: str) -> str:
    """Latin transcription, lower case, alphanumerics only."""
    return utils.default_process(anyascii(text))


@dataclass
class SharedRetrieval:
    """Top entities by rapidfuzz ``token_sort_ratio`` and ``token_set_ratio`` (``per_scorer``
    each, union) over every name of every entity, after transcription to Latin script.

    A full scan (vectorised), used only to give the pair-scoring baselines a candidate set; it
    is not part of any matcher's timing.
    """

    parties: Sequence[Party]
    per_scorer: int = 10
    _rows: list[int] = field(default_factory=list)  # name row -> entity index
    _names: list[str] = field(default_factory=list)
    _keys: list[str] = field(default_factory=list)
    _by_ref: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for i, party in enumerate(self.parties):
            if party.ref:
                self._by_ref[party.ref] = i
            for name in party.all_names:
                self._rows.append(i)
                self._names.append(retrieval_form(name))
                self._keys.append(name_key(name))
        self._row_entity = np.asarray(self._rows, dtype=np.int64)

    def index_of(self, ref: str) -> int | None:
        return self._by_ref.get(ref)

    def hidden_rows(self, drops: dict[str, set[str]]) -> np.ndarray:
        """Boolean mask of the name rows held out of a fold: entity ref -> name keys."""
        mask = np.zeros(len(self._names), dtype=bool)
        for ref, keys in drops.items():
            entity = self._by_ref.get(ref)
            if entity is None:
                continue
            for r in np.flatnonzero(self._row_entity == entity):
                if self._keys[r] in keys:
                    mask[r] = True
        return mask

    def candidates(
        self,
        queries: Sequence[Party],
        hidden: Sequence[np.ndarray | None] | None = None,
        chunk: int = 128,
        cache: Path | None = None,
    ) -> list[list[int]]:
        """Entity indices per query; ``hidden[i]`` masks name rows query ``i`` must not see
        (the aliases held out of its leave-one-alias-out fold). With ``cache`` (a folder),
        the result is kept there under a digest of everything it depends on."""
        if cache is None:
            return self._candidates(queries, hidden, chunk)
        digest = hashlib.sha256(json.dumps([self.per_scorer, self._names]).encode())
        digest.update(json.dumps([q.names for q in queries]).encode())
        masks: dict[int, int] = {}
        for mask in hidden or ():
            if mask is not None and id(mask) not in masks:
                masks[id(mask)] = len(masks)
                digest.update(np.packbits(mask).tobytes())
            digest.update(str(masks.get(id(mask), -1)).encode())
        path = cache / f"candidates-{digest.hexdigest()[:32]}.json"
        if path.exists():
            return json.loads(path.read_text())
        found = self._candidates(queries, hidden, chunk)
        cache.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(found))
        return found

    def _candidates(
        self,
        queries: Sequence[Party],
        hidden: Sequence[np.ndarray | None] | None,
        chunk: int,
    ) -> list[list[int]]:
        out: list[list[int]] = []
        for start in range(0, len(queries), chunk):
            block = queries[start : start + chunk]
            forms = [retrieval_form(" ".join(q.names)) for q in block]
            matrices = [
                process.cdist(forms, self._names, scorer=s, dtype=np.uint8, workers=2)
                for s in (fuzz.token_sort_ratio, fuzz.token_set_ratio)
            ]
            for j in range(len(block)):
                mask = hidden[start + j] if hidden is not None else None
                chosen: dict[int, None] = {}
                for matrix in matrices:
                    row = matrix[j].astype(np.int16)
                    if mask is not None:
                        row[mask] = -1
                    chosen.update(dict.fromkeys(self._top_entities(row)))
                out.append(list(chosen))
        return out

    def _top_entities(self, row: np.ndarray) -> list[int]:
        k = min(len(row), self.per_scorer * 8)
        top = np.argpartition(-row, k - 1)[:k] if k < len(row) else np.arange(len(row))
        top = top[np.argsort(-row[top], kind="stable")]
        seen: dict[int, None] = {}
        for r in top:
            if row[r] <= 0:
                break
            seen.setdefault(int(self._row_entity[r]), None)
            if len(seen) >= self.per_scorer:
                break
        return list(seen)


# -- tamiz -------------------------------------------------------------------------------


@dataclass
class TamizInfo:
    available: bool
    reason: str = ""
    threshold: float | None = None
    algorithm: str | None = None


def tamiz_info() -> TamizInfo:
    """Whether the matching engine exists yet, and its default threshold."""
    try:
        from tamiz.match import ALGORITHM, DEFAULT_THRESHOLD, MatchIndex, Query, compare  # noqa: F401
    except Exception as exc:
        return TamizInfo(False, f"tamiz.match not importable ({type(exc).__name__}: {exc})")
    return TamizInfo(True, threshold=float(DEFAULT_THRESHOLD), algorithm=str(ALGORITHM))


def tamiz_query(party: Party):
    """A ``tamiz.match.Query`` from a record, passing only the fields the engine declares."""
    import dataclasses

    from tamiz.match import Query
    from tamiz.model import Schema

    wanted = {
        "names": party.all_names,
        "schema": Schema(party.schema),
        "birth_dates": party.birth_dates,
        "countries": party.countries,
        "gender": party.gender,
    }
    if dataclasses.is_dataclass(Query):
        declared = {f.name for f in dataclasses.fields(Query)}
    else:  # pragma: no cover - a non-dataclass Query
        import inspect

        declared = set(inspect.signature(Query).parameters)
    return Query(**{k: v for k, v in wanted.items() if k in declared and v is not None})


def safe_query(party: Party):
    """:func:`tamiz_query`, or ``None`` when the engine refuses the record as a query."""
    from tamiz.match import QueryError

    try:
        return tamiz_query(party)
    except QueryError:
        return None


class TamizPairScorer:
    """``tamiz.match.compare`` on the same pairs as the baselines."""

    name = "tamiz"

    def __init__(self) -> None:
        info = tamiz_info()
        if not info.available:
            raise RuntimeError(info.reason)
        self.threshold = float(info.threshold or 0.0)
        self.compute_seconds = 0.0
        self.pairs_scored = 0
        self.refused = 0  # pairs with a side the engine rejects as a query (scored 0)

    def score(self, pairs: Sequence[tuple[Party, Party]]) -> list[float]:
        from tamiz.match import compare

        queries: dict[Party, object] = {}

        def q(p: Party):
            if p not in queries:
                queries[p] = safe_query(p)
            return queries[p]

        built = [(q(a), q(b)) for a, b in pairs]
        self.refused += sum(1 for a, b in built if a is None or b is None)
        start = time.perf_counter()
        scores = [
            float(compare(a, b).score) if a is not None and b is not None else 0.0 for a, b in built
        ]
        self.compute_seconds += time.perf_counter() - start
        self.pairs_scored += len(pairs)
        return scores

    def versions(self) -> dict[str, str]:
        info = tamiz_info()
        return {"tamiz": _tamiz_version(), "algorithm": info.algorithm or "?"}


def _tamiz_version() -> str:
    from importlib.metadata import version

    try:
        rev = subprocess.run(
            ["git", "-C", str(HERE.parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
    except OSError:
        rev = ""
    return version("tamiz") + (f"+{rev}" if rev else "")
