"""Screening use cases as audit records: one place that decides what the trail keeps.

The CLI (``screen``, ``screen-file``) and the API (``/match``, ``/screen``, ``/search``) build
their :class:`~tamiz.store.audit.AuditEntry` here, so a record of the same kind of check has
the same shape whoever made it:

- ``query``: what was screened, as the matcher saw it (``Query.to_dict()``; for a batch, one
  item per query). ``TAMIZ_AUDIT_QUERY=hash`` keeps only its SHA-256 (done by the store).
- ``datasets``: the snapshot of every dataset the screening used (exactly the index's set).
- ``threshold`` and ``algorithm``.
- ``results``: compact, ``{"id", "score", "match"}`` per result (plus ``"query"``, the batch
  key, or ``"row"``, the file row), enough to prove what came back without copying the
  explanation text, which is reproducible from the query and the snapshots.

A file run is one record (not one per row): the input's SHA-256 and row count, the output's
SHA-256, the counts and every alert. A nightly re-screen of millions of rows would otherwise
add millions of records that prove nothing the two file hashes do not already pin down: an
examiner re-runs the recorded input against the recorded snapshots and compares the output.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tamiz.match import ALGORITHM, MatchResult
from tamiz.screen.screener import ScreenResponse
from tamiz.store.audit import AuditEntry

# Alerts listed one by one in a file-run record; beyond this only their count is kept (the
# output file's hash still covers every one of them).
MAX_FILE_ALERTS = 10_000


def compact(results: Iterable[MatchResult], **extra: Any) -> list[dict[str, Any]]:
    """``{"id", "score", "match"}`` per result, with ``extra`` keys (e.g. ``query="q1"``)."""
    return [
        {**extra, "id": r.entity_id, "score": round(r.score, 4), "match": r.match} for r in results
    ]


def screen_entry(
    actor: str,
    response: ScreenResponse,
    *,
    action: str = "screen",
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """One query screened (CLI ``screen``)."""
    extra: dict[str, Any] = {"limit": response.limit}
    if response.as_of:
        extra["as_of"] = response.as_of.isoformat()
    return AuditEntry(
        action=action,
        actor=actor,
        query=response.query.to_dict(),
        datasets=dict(response.snapshots),
        threshold=response.threshold,
        algorithm=response.algorithm,
        results=compact(response.results),
        details={**extra, **(details or {})},
    )


@dataclass(frozen=True, slots=True)
class BatchItem:
    """One query of a batch: its key, what was screened (or the error), what came back."""

    key: str
    query: Mapping[str, Any] | None  # Query.to_dict(); None when the input was refused
    results: Sequence[MatchResult] = ()
    error: str | None = None
    raw: Any = None  # the refused input, recorded with its error


def batch_entry(
    action: str,
    actor: str,
    items: Sequence[BatchItem],
    *,
    snapshots: Mapping[str, str],
    threshold: float | None,
    algorithm: str = ALGORITHM,
    details: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """A batch screened in one request (API ``/match``, ``/screen``, ``/search``)."""
    queries: dict[str, Any] = {}
    results: list[dict[str, Any]] = []
    errors: dict[str, str] = {}
    for item in items:
        if item.error is not None:
            errors[item.key] = item.error
            queries[item.key] = {"refused": item.raw}
            continue
        queries[item.key] = item.query
        results.extend(compact(item.results, query=item.key))
    extra = dict(details or {})
    if errors:
        extra["errors"] = errors
    return AuditEntry(
        action=action,
        actor=actor,
        query=queries,
        datasets=dict(snapshots),
        threshold=threshold,
        algorithm=algorithm,
        results=results,
        details=extra or None,
    )


def file_sha256(path: str | os.PathLike[str]) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_entry(
    actor: str,
    *,
    source: Path,
    output: Path,
    rows: int,
    screened: int,
    errors: int,
    alerts: Sequence[tuple[int, str, float]],
    snapshots: Mapping[str, str],
    threshold: float | None,
    options: Mapping[str, Any],
    algorithm: str = ALGORITHM,
    as_of: dt.date | None = None,
) -> AuditEntry:
    """One run of ``screen-file``: input and output pinned by SHA-256, every alert listed."""
    listed = [{"row": row, "id": eid, "score": round(score, 4)} for row, eid, score in alerts]
    details: dict[str, Any] = {
        "output": {"name": output.name, "sha256": file_sha256(output)},
        "rows": rows,
        "screened": screened,
        "errors": errors,
        "alerts": len(alerts),
        "rows_with_alerts": len({row for row, _, _ in alerts}),
        "options": dict(options),
    }
    if len(listed) > MAX_FILE_ALERTS:
        details["alerts_listed"] = MAX_FILE_ALERTS
        listed = listed[:MAX_FILE_ALERTS]
    if as_of:
        details["as_of"] = as_of.isoformat()
    return AuditEntry(
        action="screen_file",
        actor=actor,
        query={"file": source.name, "sha256": file_sha256(source), "rows": rows},
        datasets=dict(snapshots),
        threshold=threshold,
        algorithm=algorithm,
        results=listed,
        details=details,
    )
