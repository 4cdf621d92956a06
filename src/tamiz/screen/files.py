"""Batch screening of customer files: CSV, JSON lines or Parquet in; CSV or JSON lines out.

One output row per input row, in input order. A row that cannot be screened (no name, a bad
date) is not dropped: it is written with an ``error`` and no results, and counted.
"""

from __future__ import annotations

import collections
import csv
import json
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tamiz.match import QueryError
from tamiz.screen.records import RecordColumns, query_from_row
from tamiz.screen.screener import LoadedIndex, Screener

INPUT_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".ndjson", ".json", ".parquet")
OUTPUT_SUFFIXES = (".csv", ".jsonl", ".ndjson")
CSV_RESULT_COLUMNS = ("match_id", "match_caption", "score", "match", "error")


class InputFileError(ValueError):
    """The input file cannot be read as a table of records."""


def _detect_encoding(path: Path) -> str:
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        # a multi-byte character cut by the 1 MB window is still UTF-8
        if exc.start < len(head) - 4:
            return "cp1252"
    return "utf-8-sig"


def read_records(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a CSV/TSV, JSON lines or Parquet file as dicts (streamed)."""
    suffix = path.suffix.lower()
    if not path.is_file():
        raise InputFileError(f"{path}: no such file")
    if suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            parquet = pq.ParquetFile(path)
        except Exception as exc:
            raise InputFileError(f"{path}: not a readable Parquet file ({exc})") from None
        for batch in parquet.iter_batches(batch_size=4096):
            yield from batch.to_pylist()
        return
    if suffix in (".jsonl", ".ndjson", ".json"):
        with path.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputFileError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
                if not isinstance(record, dict):
                    raise InputFileError(f"{path}:{number}: each line must be a JSON object")
                yield record
        return
    encoding = _detect_encoding(path)
    with path.open(encoding=encoding, newline="") as fh:
        sample = fh.read(64 * 1024)
        fh.seek(0)
        try:
            dialect: Any = csv.Sniffer().sniff(sample, delimiters=",;\t|")
        except csv.Error:
            dialect = csv.excel_tab if suffix == ".tsv" else csv.excel
        reader = csv.DictReader(fh, dialect=dialect)
        if not reader.fieldnames:
            raise InputFileError(f"{path}: empty file or no header row")
        yield from reader


@dataclass
class FileStats:
    rows: int = 0
    screened: int = 0
    errors: int = 0
    alerts: int = 0
    matched_rows: int = 0
    alerts_detail: list[tuple[int, str, float]] = field(default_factory=list)


# A forked worker inherits the loaded index of the parent (copy-on-write) through this.
_WORKER: tuple[Screener, LoadedIndex, RecordColumns, dict[str, Any]] | None = None


def _screen_row(row: dict[str, Any]) -> tuple[list[dict[str, Any]], str | None]:
    assert _WORKER is not None
    screener, loaded, columns, options = _WORKER
    try:
        query = query_from_row(row, columns)
    except QueryError as exc:
        return [], str(exc)
    response = screener.screen(query, loaded=loaded, **options)
    return [r.to_dict() for r in response.results], None


def _screen_chunk(rows: list[dict[str, Any]]) -> list[tuple[list[dict[str, Any]], str | None]]:
    return [_screen_row(row) for row in rows]


def screen_file(
    screener: Screener,
    source: Path,
    out: Path,
    columns: RecordColumns,
    *,
    threshold: float | None = None,
    limit: int = 5,
    datasets: list[str] | None = None,
    workers: int = 1,
    progress: Callable[[int], None] | None = None,
    precomputed: Iterable[tuple[list[dict[str, Any]], str | None]] | None = None,
) -> tuple[FileStats, LoadedIndex]:
    """Screen every row of ``source`` into ``out``; returns counts and the index used.

    ``precomputed``: (results, error) for each input row in input order, computed elsewhere
    (the Spark engine) against the same index; the rows are then only written.
    """
    global _WORKER
    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputFileError(f"{out}: output must be .csv or .jsonl")
    if source.suffix.lower() not in INPUT_SUFFIXES:
        raise InputFileError(f"{source}: input must be .csv, .tsv, .jsonl or .parquet")
    loaded = screener.current()
    options = {"threshold": threshold, "limit": limit, "datasets": datasets}
    _WORKER = (screener, loaded, columns, options)
    stats = FileStats()
    records = read_records(source)
    first = next(records, None)
    if first is None:
        raise InputFileError(f"{source}: no records")
    columns.check(first.keys())
    screener.check_datasets(loaded, datasets)  # fail before any work on a bad option

    def all_rows() -> Iterator[dict[str, Any]]:
        yield first
        yield from records

    def chunks(size: int) -> Iterator[list[dict[str, Any]]]:
        chunk: list[dict[str, Any]] = []
        for row in all_rows():
            chunk.append(row)
            if len(chunk) >= size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    tmp = out.with_name(f".{out.name}.partial")
    is_csv = out.suffix.lower() == ".csv"
    pool = None
    try:
        with tmp.open("w", encoding="utf-8", newline="") as fh:
            writer: csv.DictWriter | None = None
            if precomputed is not None:
                pairs = zip(all_rows(), precomputed, strict=True)
            elif workers > 1 and "fork" in multiprocessing.get_all_start_methods():
                pool = multiprocessing.get_context("fork").Pool(workers)
                pairs = _pooled(pool, chunks(64))
            else:
                pairs = ((row, _screen_row(row)) for row in all_rows())
            for row, (results, error) in pairs:
                stats.rows += 1
                if error:
                    stats.errors += 1
                else:
                    stats.screened += 1
                matches = [r for r in results if r["match"]]
                stats.alerts += len(matches)
                if matches:
                    stats.matched_rows += 1
                    stats.alerts_detail.extend((stats.rows, r["id"], r["score"]) for r in matches)
                if is_csv:
                    if writer is None:
                        fieldnames = [*row.keys(), *(c for c in CSV_RESULT_COLUMNS if c not in row)]
                        writer = csv.DictWriter(fh, fieldnames=fieldnames, extrasaction="ignore")
                        writer.writeheader()
                    best = results[0] if results else None
                    writer.writerow(
                        {
                            **{k: _csv_cell(v) for k, v in row.items()},
                            "match_id": best["id"] if best else "",
                            "match_caption": best["caption"] if best else "",
                            "score": f"{best['score']:.4f}" if best else "",
                            "match": "true" if best and best["match"] else "false",
                            "error": error or "",
                        }
                    )
                else:
                    line: dict[str, Any] = {"row": stats.rows, "input": row, "results": results}
                    if error:
                        line["error"] = error
                    fh.write(json.dumps(line, ensure_ascii=False, default=str) + "\n")
                if progress:
                    progress(1)
        os.replace(tmp, out)
    finally:
        if pool is not None:
            pool.terminate()
        tmp.unlink(missing_ok=True)
        _WORKER = None
    return stats, loaded


def _pooled(
    pool: Any, chunks: Iterator[list[dict[str, Any]]]
) -> Iterator[tuple[dict[str, Any], tuple[list[dict[str, Any]], str | None]]]:
    """Screen chunks in worker processes, yielding (row, result) in input order."""
    pending: collections.deque[list[dict[str, Any]]] = collections.deque()

    def feed() -> Iterator[list[dict[str, Any]]]:
        for chunk in chunks:
            pending.append(chunk)  # before the pool sees it, so popleft below always pairs
            yield chunk

    for results in pool.imap(_screen_chunk, feed()):
        yield from zip(pending.popleft(), results, strict=True)


def _csv_cell(value: Any) -> Any:
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def count_records(path: Path) -> int | None:
    """Row count for a progress bar, when cheap to get (CSV / JSON lines / Parquet)."""
    suffix = path.suffix.lower()
    try:
        if suffix == ".parquet":
            import pyarrow.parquet as pq

            return pq.ParquetFile(path).metadata.num_rows
        with path.open("rb") as fh:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        return max(lines - (0 if suffix in (".jsonl", ".ndjson", ".json") else 1), 0)
    except OSError:
        return None
