"""Batch screening on Apache Spark: a DataFrame of customer records in, a DataFrame of results out.

The plan is one ``mapInPandas`` over the input, with no shuffle: every partition is screened
where it lies. The compiled match index (a few MB for all lists) is shipped once as a
broadcast variable; each Python worker process loads it into memory on its first task and
keeps it in a module-level cache keyed by the index key, so with Python worker reuse
(``spark.python.worker.reuse``, on by default) an executor core loads it once per job, never
per partition or per batch. Rows become queries through
:func:`tamiz.screen.records.query_from_row`, exactly as ``tamiz screen-file`` does, and are
scored by the same index, so the results equal the single-process ones row for row.

Result rows (:data:`RESULT_COLUMNS`), one per (input row, result) plus one for every input
row without a result, so every input id appears at least once:

- ``input_id``: the caller's ``id_col`` value (its type kept), or a generated
  ``monotonically_increasing_id`` (increasing in input order) when no id column is given;
- ``rank``: 1 for the best result, 2 for the next...; null for a row without results;
- ``entity_id``, ``caption``, ``schema``, ``score`` (unrounded), ``match``, ``datasets``,
  ``programs``, ``topics``, ``explanation`` (the result's explanation as a JSON string): the
  fields of :meth:`tamiz.match.MatchResult.to_dict`; null (``match`` false) when there is no result;
- ``error``: why the row could not be screened (no name, a bad date...), else null;
- ``snapshots``: dataset -> snapshot id of the lists the index was built from (the same map
  on every row of a run).

Executors need tamiz installed in the Python they run (the same version as the driver).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import resource
import sys
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from tamiz.match import DEFAULT_THRESHOLD, MatchIndex, QueryError
from tamiz.screen import LoadedIndex, RecordColumns, Screener, query_from_row
from tamiz.screen.files import (
    INPUT_SUFFIXES,
    OUTPUT_SUFFIXES,
    FileStats,
    InputFileError,
    count_records,
    read_records,
)
from tamiz.screen.files import screen_file as write_screened_file

if TYPE_CHECKING:  # pyspark is an optional dependency (the ``spark`` extra)
    import pandas as pd
    from pyspark.accumulators import Accumulator
    from pyspark.sql import DataFrame, SparkSession

RESULT_COLUMNS = (
    "input_id",
    "rank",
    "entity_id",
    "caption",
    "schema",
    "score",
    "match",
    "datasets",
    "programs",
    "topics",
    "explanation",
    "error",
    "snapshots",
)
_RESULT_DDL = (
    "rank int, entity_id string, caption string, schema string, score double, match boolean, "
    "datasets array<string>, programs array<string>, topics array<string>, explanation string, "
    "error string"
)
_INPUT_ID = "__tamiz_input_id"
_RECORD = "__tamiz_record"  # a JSON object of the needed cells (the CLI's staged input)
DEFAULT_MASTER = "local[2]"


def _pyspark() -> Any:
    try:
        import pyspark
    except ImportError:
        raise ImportError(
            "the Spark engine needs PySpark: pip install 'tamiz[spark]' (and Java 17+)"
        ) from None
    return pyspark


# -- session ------------------------------------------------------------------------------


def session(
    master: str = DEFAULT_MASTER, app_name: str = "tamiz", conf: Mapping[str, str] | None = None
) -> SparkSession:
    """A SparkSession configured for screening (or the running one, which is returned as is).

    For a local master the Python workers run this interpreter, so they import the same
    tamiz; on a cluster set ``PYSPARK_PYTHON`` to a Python that has tamiz installed.
    """
    _pyspark()
    from pyspark.sql import SparkSession

    settings = {
        "spark.python.worker.reuse": "true",  # the index is loaded once per worker process
        "spark.ui.showConsoleProgress": "false",
        "spark.ui.enabled": "false",
        "spark.sql.shuffle.partitions": "8",
    }
    if master.startswith("local"):
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # nothing leaves the machine
        log_config = resources.files("tamiz.data") / "spark" / "log4j2.properties"
        settings["spark.driver.extraJavaOptions"] = f"-Dlog4j2.configurationFile={log_config}"
    settings.update(conf or {})
    builder = SparkSession.builder.master(master).appName(app_name)
    for key, value in settings.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


# -- metrics ------------------------------------------------------------------------------


@dataclass(frozen=True)
class SparkMetrics:
    """Counters filled in by the executors (read them after an action has run).

    ``index_loads`` lists the process id of every Python worker that loaded the index (so
    ``len(set(...)) == len(...)`` means no process loaded it twice), ``batches``/``rows``
    count what was screened, ``worker_cpu_seconds`` is the CPU time the Python workers
    spent screening batches (independent of how busy the machine is),
    ``peak_worker_rss`` is the largest resident memory of any Python worker, in bytes.
    """

    index_loads: Accumulator
    batches: Accumulator
    rows: Accumulator
    worker_cpu_seconds: Accumulator
    peak_worker_rss: Accumulator

    @classmethod
    def create(cls, spark: SparkSession) -> SparkMetrics:
        from pyspark.accumulators import AccumulatorParam

        class ListParam(AccumulatorParam):
            def zero(self, value: list) -> list:
                return []

            def addInPlace(self, a: list, b: list) -> list:
                return [*a, *b]

        class MaxParam(AccumulatorParam):
            def zero(self, value: int) -> int:
                return 0

            def addInPlace(self, a: int, b: int) -> int:
                return max(a, b)

        sc = spark.sparkContext
        return cls(
            index_loads=sc.accumulator([], ListParam()),
            batches=sc.accumulator(0),
            rows=sc.accumulator(0),
            worker_cpu_seconds=sc.accumulator(0.0),
            peak_worker_rss=sc.accumulator(0, MaxParam()),
        )

    def to_dict(self) -> dict[str, Any]:
        loads = list(self.index_loads.value)
        return {
            "index_loads": len(loads),
            "loading_workers": len(set(loads)),
            "batches": self.batches.value,
            "rows": self.rows.value,
            "worker_cpu_seconds": self.worker_cpu_seconds.value,
            "peak_worker_rss": self.peak_worker_rss.value,
        }


# -- shipping the index -------------------------------------------------------------------


@dataclass(frozen=True)
class _ShippedIndex:
    key: str
    data: Any  # Broadcast[bytes]: the compiled index file
    size: int


_BROADCASTS: dict[tuple[str, str], _ShippedIndex] = {}
_BROADCASTS_LOCK = threading.Lock()


def _index_bytes(index: MatchIndex) -> bytes:
    fd, tmp = tempfile.mkstemp(prefix="tamiz-", suffix=".idx")
    os.close(fd)
    try:
        index.save(tmp)
        return Path(tmp).read_bytes()
    finally:
        Path(tmp).unlink(missing_ok=True)


def _ship(spark: SparkSession, key: str, data: Callable[[], bytes]) -> _ShippedIndex:
    """Broadcast the index bytes once per Spark application and index key."""
    app = spark.sparkContext.applicationId
    cache_key = (app, key)
    with _BROADCASTS_LOCK:
        for stale in [k for k in _BROADCASTS if k[0] != app]:  # of stopped Spark contexts
            del _BROADCASTS[stale]
        shipped = _BROADCASTS.get(cache_key)
        if shipped is None:
            payload = data()
            shipped = _ShippedIndex(key, spark.sparkContext.broadcast(payload), len(payload))
            _BROADCASTS[cache_key] = shipped
    return shipped


def _resolve_index(
    spark: SparkSession,
    loaded: LoadedIndex | None,
    index_path: str | os.PathLike[str] | None,
    snapshots: Mapping[str, str] | None,
) -> tuple[_ShippedIndex, dict[str, str], list[str] | None]:
    """The shipped index, its snapshot ids and the datasets it knows (None: unknown)."""
    if loaded is not None and index_path is not None:
        raise ValueError("give either loaded= or index_path=, not both")
    if index_path is not None:
        data = Path(index_path).read_bytes()
        key = "file-" + hashlib.sha256(data).hexdigest()[:20]
        shipped = _ship(spark, key, lambda: data)
        return shipped, dict(snapshots or {}), sorted(snapshots) if snapshots else None
    if loaded is None:
        from tamiz.store import Settings, Store

        store = Store.open(Settings.from_env())
        try:
            loaded = Screener(store).current()
        finally:
            store.close()
    shipped = _ship(spark, loaded.key, partial(_index_bytes, loaded.index))
    return shipped, loaded.snapshot_ids, sorted(loaded.snapshots)


# -- executor side ------------------------------------------------------------------------

# Indexes loaded in this Python worker process, by key; the last two are kept so a worker
# that outlives a list update does not hold every old index.
_WORKER_INDEXES: OrderedDict[str, MatchIndex] = OrderedDict()
_WORKER_LOCK = threading.Lock()


def _worker_index(shipped: _ShippedIndex, metrics: SparkMetrics | None) -> MatchIndex:
    with _WORKER_LOCK:
        index = _WORKER_INDEXES.get(shipped.key)
        if index is not None:
            _WORKER_INDEXES.move_to_end(shipped.key)
            return index
        # MatchIndex.load reads a file; the broadcast value is its bytes
        fd, tmp = tempfile.mkstemp(prefix="tamiz-", suffix=".idx")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(shipped.data.value)
            index = MatchIndex.load(tmp)
        finally:
            Path(tmp).unlink(missing_ok=True)
        _WORKER_INDEXES[shipped.key] = index
        while len(_WORKER_INDEXES) > 2:
            _WORKER_INDEXES.popitem(last=False)
        if metrics is not None:
            metrics.index_loads.add([os.getpid()])
        return index


def _plain(value: Any) -> Any:
    """A pandas cell as the plain Python value a file reader would give (null -> None)."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "tolist"):  # numpy scalars and arrays (array columns)
        return value.tolist()
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return None
    except ImportError:  # pragma: no cover - pandas comes with pyspark[sql]
        pass
    return value


def _batch_rows(batch: pd.DataFrame, cells: Sequence[str]) -> list[dict[str, Any]]:
    if _RECORD in batch.columns:
        return [json.loads(text) for text in batch[_RECORD].tolist()]
    columns = {c: [_plain(v) for v in batch[c].tolist()] for c in cells}
    return [{c: columns[c][i] for c in cells} for i in range(len(batch))]


_OUTPUT_FIELDS = (
    "rank",
    "entity_id",
    "caption",
    "schema",
    "score",
    "match",
    "datasets",
    "programs",
    "topics",
    "explanation",
    "error",
)


def _screen_rows(
    index: MatchIndex,
    rows: Sequence[Mapping[str, Any]],
    columns: RecordColumns,
    threshold: float,
    limit: int,
    datasets: list[str] | None,
) -> tuple[list[int], dict[str, list[Any]]]:
    """Result rows for ``rows``: the position of each one's input row, and its fields."""
    source: list[int] = []
    out: dict[str, list[Any]] = {k: [] for k in _OUTPUT_FIELDS}

    def emit(position: int, **values: Any) -> None:
        source.append(position)
        for k, column in out.items():
            column.append(values.get(k, False if k == "match" else None))

    for position, row in enumerate(rows):
        try:
            query = query_from_row(row, columns)
        except QueryError as exc:
            emit(position, error=str(exc))
            continue
        results = index.search(query, threshold=threshold, limit=limit, datasets=datasets)
        if not results:
            emit(position)
        for rank, r in enumerate(results, 1):
            emit(
                position,
                rank=rank,
                entity_id=r.entity_id,
                caption=r.caption,
                schema=r.schema,
                score=r.score,
                match=r.match,
                datasets=list(r.datasets),
                programs=list(r.programs),
                topics=list(r.topics),
                explanation=json.dumps(r.explanation.to_dict(), ensure_ascii=False),
            )
    return source, out


def _screen_batches(
    batches: Iterable[pd.DataFrame],
    *,
    shipped: _ShippedIndex,
    columns: RecordColumns,
    cells: tuple[str, ...],
    threshold: float,
    limit: int,
    datasets: list[str] | None,
    metrics: SparkMetrics | None,
) -> Iterator[pd.DataFrame]:
    """mapInPandas body: screen every row of every batch of one partition."""
    import pandas as pd

    index = _worker_index(shipped, metrics)
    for batch in batches:
        cpu = time.process_time()
        rows = _batch_rows(batch, cells)
        source, out = _screen_rows(index, rows, columns, threshold, limit, datasets)
        frame = pd.DataFrame(
            {
                _INPUT_ID: batch[_INPUT_ID].iloc[source].reset_index(drop=True),
                **{k: pd.Series(v, dtype="object") for k, v in out.items()},
            }
        )
        frame["rank"] = pd.array(out["rank"], dtype="Int32")
        frame["score"] = pd.array(out["score"], dtype="Float64")
        frame["match"] = pd.array(out["match"], dtype="bool")
        if metrics is not None:
            metrics.batches.add(1)
            metrics.rows.add(len(rows))
            metrics.worker_cpu_seconds.add(time.process_time() - cpu)
            metrics.peak_worker_rss.add(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024)
        yield frame


# -- driver side --------------------------------------------------------------------------


def _options(
    threshold: float | None, limit: int, datasets: Sequence[str] | None, known: list[str] | None
) -> tuple[float, int, list[str] | None]:
    threshold = DEFAULT_THRESHOLD if threshold is None else float(threshold)
    if not 0.0 <= threshold <= 1.0:
        raise ValueError(f"threshold {threshold} is outside [0, 1]")
    if limit < 1:
        raise ValueError("limit must be at least 1")
    chosen = list(datasets) if datasets else None
    if chosen and known is not None:
        from tamiz.screen import UnknownDataset

        unknown = sorted(set(chosen) - set(known))
        if unknown:
            raise UnknownDataset(
                f"dataset(s) not loaded: {', '.join(unknown)}; loaded: {', '.join(known)}"
            )
    return threshold, limit, chosen


def _run(
    df: DataFrame,
    input_id: Any,
    columns: RecordColumns,
    cells: tuple[str, ...],
    *,
    threshold: float | None,
    limit: int,
    datasets: Sequence[str] | None,
    loaded: LoadedIndex | None,
    index_path: str | os.PathLike[str] | None,
    snapshots: Mapping[str, str] | None,
    metrics: SparkMetrics | None,
) -> DataFrame:
    from pyspark.sql import functions as F
    from pyspark.sql.types import StructField, StructType

    spark = df.sparkSession
    shipped, snapshot_ids, known = _resolve_index(spark, loaded, index_path, snapshots)
    cut, limit, chosen = _options(threshold, limit, datasets, known)
    staged = df.select(input_id.alias(_INPUT_ID), *(F.col(f"`{c}`") for c in cells))
    id_field = staged.schema[_INPUT_ID]
    result_schema = StructType(
        [
            StructField(_INPUT_ID, id_field.dataType, True),
            *StructType.fromDDL(_RESULT_DDL).fields,
        ]
    )
    body = partial(
        _screen_batches,
        shipped=shipped,
        columns=columns,
        cells=cells,
        threshold=cut,
        limit=limit,
        datasets=chosen,
        metrics=metrics,
    )
    pairs = [F.lit(x) for ds, sn in sorted(snapshot_ids.items()) for x in (ds, sn)]
    return (
        staged.mapInPandas(body, result_schema)
        .withColumnRenamed(_INPUT_ID, "input_id")
        .withColumn("snapshots", F.create_map(*pairs))
        .select(*RESULT_COLUMNS)
    )


def screen(
    df: DataFrame,
    *,
    name_col: str,
    dob_col: str | None = None,
    country_col: str | None = None,
    identifier_col: str | None = None,
    id_col: str | None = None,
    schema: str | None = None,
    schema_col: str | None = None,
    threshold: float | None = None,
    limit: int = 5,
    datasets: Sequence[str] | None = None,
    loaded: LoadedIndex | None = None,
    index_path: str | os.PathLike[str] | None = None,
    snapshots: Mapping[str, str] | None = None,
    metrics: SparkMetrics | None = None,
) -> DataFrame:
    """Screen every row of ``df``; a DataFrame of results (see the module docstring).

    ``name_col``, ``dob_col``, ``country_col``, ``identifier_col`` (passport, IMO, BIC...)
    and ``schema_col`` name the columns that carry those values, as ``--name-column`` etc. do
    for ``tamiz screen-file`` (several values in one cell: a list column or ``a; b``).
    ``id_col`` is the caller's own record id, returned as ``input_id``.

    The index: ``loaded`` (``Screener.current()``), or ``index_path`` (a compiled index
    file, with ``snapshots`` naming its list versions if known), or by default the active
    lists of the store named by ``TAMIZ_HOME`` / ``TAMIZ_DATABASE_URL`` on the driver.
    Nothing runs until an action (``write``, ``count``, ``collect``...) asks for the result.
    """
    _pyspark()
    from pyspark.sql import functions as F

    columns = RecordColumns(
        name=name_col,
        dob=dob_col,
        country=country_col,
        id=identifier_col,
        schema=schema,
        schema_column=schema_col,
    )
    present = set(df.columns)
    for option, column in (
        ("name_col", name_col),
        ("dob_col", dob_col),
        ("country_col", country_col),
        ("identifier_col", identifier_col),
        ("schema_col", schema_col),
        ("id_col", id_col),
    ):
        if column is not None and column not in present:
            raise QueryError(
                f"{option}: no column {column!r}; the DataFrame has: {', '.join(sorted(present))}"
            )
    if schema is not None:
        from tamiz.match import Query

        Query(names=("x",), schema=schema)  # an unknown schema fails here, not in a task
    cells = tuple(
        dict.fromkeys(c for c in (name_col, dob_col, country_col, identifier_col, schema_col) if c)
    )
    input_id = F.col(f"`{id_col}`") if id_col else F.monotonically_increasing_id()
    return _run(
        df,
        input_id,
        columns,
        cells,
        threshold=threshold,
        limit=limit,
        datasets=datasets,
        loaded=loaded,
        index_path=index_path,
        snapshots=snapshots,
        metrics=metrics,
    )


def result_dict(row: Any) -> dict[str, Any]:
    """A result row as :meth:`MatchResult.to_dict` gives it (what ``screen-file`` writes)."""
    return {
        "id": row["entity_id"],
        "caption": row["caption"],
        "schema": row["schema"],
        "score": round(row["score"], 4),
        "match": row["match"],
        "datasets": list(row["datasets"] or ()),
        "programs": list(row["programs"] or ()),
        "topics": list(row["topics"] or ()),
        "explanation": json.loads(row["explanation"]),
    }


# -- screen-file --engine spark -----------------------------------------------------------


def _stage_input(source: Path, columns: RecordColumns, path: Path) -> int:
    """Write the rows of ``source``, read exactly as ``screen-file`` reads them, to a Parquet
    file Spark splits into partitions: ``row`` (1-based) and the needed cells as JSON."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    cells = [
        c
        for c in (columns.name, columns.dob, columns.country, columns.id, columns.schema_column)
        if c
    ]
    schema = pa.schema([("row", pa.int64()), (_RECORD, pa.string())])
    estimate = count_records(source) or 100_000
    group = max(200, math.ceil(estimate / 64))  # row groups: the unit Spark splits by
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        rows: list[int] = []
        records: list[str] = []
        for record in read_records(source):
            if count == 0:
                columns.check(record.keys())
            count += 1
            rows.append(count)
            records.append(
                json.dumps({c: record.get(c) for c in cells}, ensure_ascii=False, default=str)
            )
            if len(rows) >= group:
                writer.write_table(pa.table([rows, records], schema=schema))
                rows, records = [], []
        if rows:
            writer.write_table(pa.table([rows, records], schema=schema))
    if count == 0:
        raise InputFileError(f"{source}: no records")
    return count


def _ordered_pairs(
    rows: Iterator[Any], count: int
) -> Iterator[tuple[list[dict[str, Any]], str | None]]:
    """(results, error) per input row, from result rows sorted by (input_id, rank)."""
    expected = 1
    current: int | None = None
    results: list[dict[str, Any]] = []
    error: str | None = None
    for row in rows:
        if row["input_id"] != current:
            if current is not None:
                yield results, error
                expected += 1
            current, results, error = row["input_id"], [], row["error"]
            if current != expected:
                raise RuntimeError(f"Spark returned row {current} where row {expected} was due")
        if row["entity_id"] is not None:
            results.append(result_dict(row))
    if current is not None:
        yield results, error
    if current != count:
        raise RuntimeError(f"Spark returned {current or 0} rows of {count}")


def screen_file(
    screener: Screener,
    source: Path,
    out: Path,
    columns: RecordColumns,
    *,
    master: str = DEFAULT_MASTER,
    threshold: float | None = None,
    limit: int = 5,
    datasets: list[str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> tuple[FileStats, LoadedIndex]:
    """``tamiz screen-file --engine spark``: the same output file as the local engine.

    The input is read on the driver with the same reader as the local engine, staged as
    Parquet in a temporary directory, screened by :func:`screen` and written back in input
    order. The temporary directory must be visible to the executors: a local master, or a
    cluster on a shared file system (``TMPDIR``). For data already in a cluster, call
    :func:`screen` on a DataFrame instead. A SparkSession already running is used (and left
    running); otherwise one is started on ``master`` and stopped at the end.
    """
    _pyspark()
    from pyspark.sql import SparkSession

    if out.suffix.lower() not in OUTPUT_SUFFIXES:
        raise InputFileError(f"{out}: output must be .csv or .jsonl")
    if source.suffix.lower() not in INPUT_SUFFIXES:
        raise InputFileError(f"{source}: input must be .csv, .tsv, .jsonl or .parquet")
    loaded = screener.current()
    cut, limit, chosen = _options(threshold, limit, datasets, sorted(loaded.snapshots))
    running = SparkSession.getActiveSession()
    with tempfile.TemporaryDirectory(prefix="tamiz-spark-") as tmp:
        staged = Path(tmp) / "input.parquet"
        count = _stage_input(source, columns, staged)
        spark = running or session(master)
        try:
            # about four partitions per core: Parquet splits at row-group boundaries
            parts = 4 * max(spark.sparkContext.defaultParallelism, 1)
            split = max(staged.stat().st_size // parts, 1)
            frame = spark.read.parquet(str(staged))
            results = _run(
                frame,
                frame["row"],
                columns,
                (_RECORD,),
                threshold=cut,
                limit=limit,
                datasets=chosen,
                loaded=loaded,
                index_path=None,
                snapshots=None,
                metrics=None,
            )
            done = Path(tmp) / "results"
            with _runtime_conf(  # file splits are planned when the write runs
                spark,
                {
                    "spark.sql.files.maxPartitionBytes": str(split),
                    "spark.sql.files.openCostInBytes": "0",
                },
            ):
                results.write.parquet(str(done))
            ordered = (
                spark.read.parquet(str(done))
                .select("input_id", "rank", *RESULT_COLUMNS[2:-1])
                .orderBy("input_id", "rank")
            )
            pairs = _ordered_pairs(ordered.toLocalIterator(prefetchPartitions=True), count)
            return write_screened_file(
                screener,
                source,
                out,
                columns,
                threshold=cut,
                limit=limit,
                datasets=chosen,
                progress=progress,
                precomputed=pairs,
            )
        finally:
            if running is None:
                spark.stop()


@contextlib.contextmanager
def _runtime_conf(spark: SparkSession, values: Mapping[str, str]) -> Iterator[None]:
    """Set SQL runtime options for the duration of a block (they apply when a plan runs)."""
    before = {k: spark.conf.get(k, None) for k in values}
    for k, v in values.items():
        spark.conf.set(k, v)
    try:
        yield
    finally:
        for k, v in before.items():
            if v is None:
                spark.conf.unset(k)
            else:
                spark.conf.set(k, v)
