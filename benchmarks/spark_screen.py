"""Spark batch screening throughput: synthetic customer records screened with
``tamiz.spark.screen`` against the full index (every list loaded), on local[1] and local[2].

    pip install -e '.[spark,bench]'
    TAMIZ_HOME=/tmp/tamiz-bench tamiz update --mirror ../shared/data/lists
    TAMIZ_HOME=/tmp/tamiz-bench python benchmarks/spark_screen.py              # 1,000,000
    TAMIZ_HOME=/tmp/tamiz-bench python benchmarks/spark_screen.py --records 100000

Records: Faker names in twelve locales (Latin, Cyrillic, Arabic, Persian and Chinese
script), a tenth of them company names, plus ``--planted`` (default 1 %) names of listed
parties with spelling noise. The records are generated once (seeded) into a Parquet file
and reused. Each master runs in its own process (its own JVM): the job reads the Parquet
file, screens every row (``mapInPandas``, index broadcast once) and writes the results as
Parquet. Measured: wall time of that job, records/s, index loads, Python worker peak RSS
(from the workers themselves and sampled by psutil), JVM peak RSS; and, as a reference,
single-process ``MatchIndex.search`` speed on one core without Spark.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

DEFAULT_DATA = Path(tempfile.gettempdir()) / "tamiz-spark-bench"
LOCALES = {
    "en_US": 30,
    "es_ES": 10,
    "de_DE": 6,
    "fr_FR": 6,
    "it_IT": 4,
    "pt_BR": 6,
    "pl_PL": 4,
    "tr_TR": 6,
    "ru_RU": 8,
    "ar_AA": 8,
    "fa_IR": 4,
    "zh_CN": 8,
}


def _noisy(name: str, rng: random.Random) -> str:
    tokens = name.split()
    how = rng.randrange(4)
    if how == 0 and len(tokens) > 1:
        tokens = tokens[1:] + tokens[:1]
    elif how == 1:
        t = rng.randrange(len(tokens))
        if len(tokens[t]) > 4:
            cut = rng.randrange(1, len(tokens[t]) - 1)
            tokens[t] = tokens[t][:cut] + tokens[t][cut + 1 :]
    elif how == 2:
        tokens = [t.lower() for t in tokens]
    return " ".join(tokens)


def generate(path: Path, records: int, planted_share: float, seed: int) -> dict:
    """Write ``records`` synthetic rows (cid, name, kind, planted) to a Parquet file."""
    import pyarrow as pa
    import pyarrow.parquet as pq
    from faker import Faker

    from tamiz.screen import Screener
    from tamiz.store import Settings, Store

    store = Store.open(Settings.from_env())
    index = Screener(store).current().index
    store.close()
    rng = random.Random(seed)
    listed = [
        info
        for info in (index.get(e) for e in index.entity_ids())
        if info and info.schema in ("Person", "Organization", "Company", "LegalEntity")
    ]
    fakers = {loc: Faker(loc) for loc in LOCALES}
    for i, f in enumerate(fakers.values()):
        f.seed_instance(seed + i)
    locales, weights = list(LOCALES), list(LOCALES.values())
    schema = pa.schema(
        [
            ("cid", pa.string()),
            ("name", pa.string()),
            ("kind", pa.string()),
            ("planted", pa.string()),
        ]
    )
    started = time.perf_counter()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".partial")
    planted_total = 0
    with pq.ParquetWriter(tmp, schema) as writer:
        for start in range(0, records, 20_000):
            cids, names, kinds, planted = [], [], [], []
            for i in range(start, min(start + 20_000, records)):
                cids.append(f"r{i + 1:08d}")
                if rng.random() < planted_share:
                    info = rng.choice(listed)
                    names.append(_noisy(info.caption, rng))
                    kinds.append("Person" if info.schema == "Person" else "Organization")
                    planted.append(info.id)
                    planted_total += 1
                    continue
                f = fakers[rng.choices(locales, weights)[0]]
                if rng.random() < 0.1:
                    names.append(f.company())
                    kinds.append("Company")
                else:
                    names.append(f.name())
                    kinds.append("Person")
                planted.append(None)
            writer.write_table(pa.table([cids, names, kinds, planted], schema=schema))
    tmp.replace(path)
    return {"seconds": time.perf_counter() - started, "planted": planted_total}


def single_process_rate(path: Path, sample: int) -> tuple[float, float]:
    """Records per wall second and per CPU second of plain MatchIndex.search in this
    process (one core, no Spark), for reference."""
    import pyarrow.parquet as pq

    from tamiz.match import Query, QueryError
    from tamiz.screen import Screener
    from tamiz.store import Settings, Store

    store = Store.open(Settings.from_env())
    loaded = Screener(store).current()
    store.close()
    table = pq.ParquetFile(path).read_row_group(0).slice(0, sample + 500).to_pylist()
    for row in table[:500]:  # warm up lazily built tables, as a Spark worker's first batch does
        with contextlib.suppress(QueryError):
            loaded.index.search(Query(names=(row["name"],), schema=row["kind"]), limit=5)
    table = table[500:]
    started, cpu = time.perf_counter(), time.process_time()
    for row in table:
        with contextlib.suppress(QueryError):
            loaded.index.search(Query(names=(row["name"],), schema=row["kind"]), limit=5)
    return (
        len(table) / (time.perf_counter() - started),
        len(table) / (time.process_time() - cpu),
    )


class _Sampler(threading.Thread):
    """Peak RSS of the JVM and of its Python worker processes, sampled every 0.5 s."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.jvm = 0
        self.jvm_cpu = 0.0
        self.worker = 0
        self.workers_total = 0
        self.worker_pids: set[int] = set()
        self.stop = threading.Event()

    def run(self) -> None:
        import psutil

        me = psutil.Process()
        while not self.stop.wait(0.5):
            total = 0
            for p in me.children(recursive=True):
                try:
                    rss = p.memory_info().rss
                    name = p.name()
                    cmd = " ".join(p.cmdline())
                except psutil.Error:
                    continue
                if name == "java":
                    self.jvm = max(self.jvm, rss)
                    with contextlib.suppress(psutil.Error):
                        cpu = p.cpu_times()
                        self.jvm_cpu = cpu.user + cpu.system
                elif "pyspark.worker" in cmd or "pyspark/worker" in cmd:
                    total += rss
                    self.worker = max(self.worker, rss)
                    self.worker_pids.add(p.pid)
                elif "daemon" in cmd and "python" in name:
                    total += rss
            self.workers_total = max(self.workers_total, total)


def run_one(master: str, path: Path, out: Path) -> dict:
    """Screen the Parquet file on ``master`` (called in a child process)."""
    import pyarrow.parquet as pq

    from tamiz import spark as tspark
    from tamiz.screen import Screener
    from tamiz.store import Settings, Store

    store = Store.open(Settings.from_env())
    loaded = Screener(store).current()
    store.close()
    sampler = _Sampler()
    sampler.start()
    started = time.perf_counter()
    spark = tspark.session(master, app_name="tamiz-bench")
    session_seconds = time.perf_counter() - started
    cores = spark.sparkContext.defaultParallelism
    partitions = 8 * cores
    # Parquet splits at row-group boundaries: aim at `partitions` splits
    spark.conf.set("spark.sql.files.maxPartitionBytes", str(path.stat().st_size // partitions))
    spark.conf.set("spark.sql.files.openCostInBytes", "0")
    df = spark.read.parquet(str(path)).select("cid", "name", "kind")
    metrics = tspark.SparkMetrics.create(spark)
    results = tspark.screen(
        df, name_col="name", schema_col="kind", id_col="cid", loaded=loaded, metrics=metrics
    )
    load_before = os.getloadavg()[0]
    jvm_cpu_before = sampler.jvm_cpu
    started = time.perf_counter()
    results.write.mode("overwrite").parquet(str(out))
    seconds = time.perf_counter() - started
    load_after = os.getloadavg()[0]
    time.sleep(0.6)  # one more sample of the JVM's CPU time
    jvm_cpu = sampler.jvm_cpu - jvm_cpu_before
    used_partitions = df.rdd.getNumPartitions()
    plan = results._jdf.queryExecution().executedPlan().toString()
    spark.stop()
    sampler.stop.set()
    sampler.join()

    written = pq.read_table(out, columns=["input_id", "entity_id", "match"]).to_pylist()
    planted = {
        r["cid"]: r["planted"]
        for r in pq.read_table(path, columns=["cid", "planted"]).to_pylist()
        if r["planted"]
    }
    matched_rows = {r["input_id"] for r in written if r["match"]}
    found = {
        r["input_id"]
        for r in written
        if r["match"] and planted.get(r["input_id"]) == r["entity_id"]
    }
    stats = metrics.to_dict()
    return {
        "master": master,
        "cores": cores,
        "partitions": used_partitions,
        "records": stats["rows"],
        "session_seconds": session_seconds,
        "seconds": seconds,
        "records_per_second": stats["rows"] / seconds,
        "worker_cpu_seconds": stats["worker_cpu_seconds"],
        "records_per_worker_cpu_second": stats["rows"] / max(stats["worker_cpu_seconds"], 1e-9),
        "jvm_cpu_seconds": jvm_cpu,
        "load_average": [load_before, load_after],
        "index_loads": stats["index_loads"],
        "loading_workers": stats["loading_workers"],
        "batches": stats["batches"],
        "worker_peak_rss": stats["peak_worker_rss"],
        "sampled_worker_peak_rss": sampler.worker,
        "sampled_workers_total_rss": sampler.workers_total,
        "python_worker_processes": len(sampler.worker_pids),
        "jvm_peak_rss": sampler.jvm,
        "result_rows": len(written),
        "rows_with_alerts": len(matched_rows),
        "planted": len(planted),
        "planted_found": len(found),
        "shuffle_in_plan": "Exchange" in plan,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--planted", type=float, default=0.01, help="share of list names")
    parser.add_argument("--masters", default="local[1],local[2]")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="work directory")
    parser.add_argument("--json", type=Path, help="also write the measurements here")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    args = parser.parse_args()

    path = args.data / f"records-{args.records}-{args.seed}-{args.planted}.parquet"
    if args.run_one:
        out = args.data / f"results-{args.run_one.strip('[]').replace('[', '-')}"
        print(json.dumps(run_one(args.run_one, path, out)))
        return

    from tamiz.screen import Screener
    from tamiz.store import Settings, Store

    store = Store.open(Settings.from_env())
    loaded = Screener(store).current()
    store.close()
    print(
        f"index: {len(loaded.index):,} entities, {loaded.index.name_count:,} names, "
        f"{len(loaded.snapshots)} lists (key {loaded.key})"
    )
    if path.exists():
        print(f"records: reusing {path}")
    else:
        made = generate(path, args.records, args.planted, args.seed)
        print(f"records: generated {args.records:,} in {made['seconds']:.0f} s -> {path}")
    reference_wall, reference = single_process_rate(path, 3000)
    print(
        f"single process, one core, no Spark (3,000-row sample): {reference_wall:,.0f} "
        f"records/s wall-clock, {reference:,.0f} records per CPU-second"
    )

    runs = []
    for master in args.masters.split(","):
        proc = subprocess.run(
            [
                sys.executable,
                __file__,
                *("--records", str(args.records), "--planted", str(args.planted)),
                *("--seed", str(args.seed), "--data", str(args.data), "--run-one", master),
            ],
            capture_output=True,
            text=True,
            env=os.environ.copy(),
        )
        if proc.returncode != 0:
            sys.exit(f"{master} failed:\n{proc.stderr[-4000:]}")
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))

    mb = 1024 * 1024
    header = (
        f"{'master':<9} {'records':>9} {'parts':>5} {'wall s':>7} {'rec/s':>6} "
        f"{'wkr CPU s':>9} {'rec/CPU-s':>9} {'JVM CPU s':>9} {'load':>9} {'loads':>5} "
        f"{'wkr RSS':>7} {'all wkrs':>8} {'JVM RSS':>7} {'alerts':>6} {'planted':>11}"
    )
    print()
    print(header)
    print("-" * len(header))
    for r in runs:
        load = "/".join(f"{x:.1f}" for x in r["load_average"])
        print(
            f"{r['master']:<9} {r['records']:>9,} {r['partitions']:>5} {r['seconds']:>7.1f} "
            f"{r['records_per_second']:>6,.0f} {r['worker_cpu_seconds']:>9.1f} "
            f"{r['records_per_worker_cpu_second']:>9,.0f} {r['jvm_cpu_seconds']:>9.1f} "
            f"{load:>9} {r['index_loads']:>5} "
            f"{r['worker_peak_rss'] / mb:>5.0f}MB {r['sampled_workers_total_rss'] / mb:>6.0f}MB "
            f"{r['jvm_peak_rss'] / mb:>5.0f}MB {r['rows_with_alerts']:>6,} "
            f"{r['planted_found']:>5,}/{r['planted']:<5,}"
        )
    print(
        "wall s/rec/s: the screening job (read, screen, write Parquet); wkr CPU s: CPU time of "
        "the Python workers in screening batches; load: 1-min load average before/after "
        "(above the core count, other processes shared the CPUs); wkr RSS: peak of one Python "
        "worker; all wkrs: peak sum of Python worker (and daemon) RSS; alerts: input rows "
        "with a match; planted: planted list names found as their own entity"
    )
    print()
    by_master = {r["master"]: r for r in runs}
    if "local[1]" in by_master and "local[2]" in by_master:
        one, two = by_master["local[1]"], by_master["local[2]"]
        speedup = two["records_per_second"] / one["records_per_second"]
        print(
            f"scaling local[1] -> local[2]: x{speedup:.2f} wall-clock (ideal x2.00); "
            f"CPU per record local[2]/local[1]: "
            f"{one['records_per_worker_cpu_second'] / two['records_per_worker_cpu_second']:.2f}"
        )
    for r in runs:
        print(
            f"{r['master']}: records per Python worker CPU-second vs plain single process: "
            f"{r['records_per_worker_cpu_second'] / reference:.0%}"
        )
    shuffles = [r["master"] for r in runs if r["shuffle_in_plan"]]
    print(f"shuffle in the screening plan: {'yes: ' + ', '.join(shuffles) if shuffles else 'none'}")
    compiled = Settings.from_env().index_dir / f"{loaded.key}.idx"
    print(
        f"broadcast: {compiled.stat().st_size / mb:.1f} MB compiled index, "
        f"loaded {', '.join(str(r['index_loads']) for r in runs)} time(s) "
        f"(once per Python worker process)"
    )
    if args.records == 1_000_000:
        print("ran the full 1,000,000 records")
    else:
        print(f"ran {args.records:,} records (not 1,000,000); extrapolated to 1,000,000:")
        for r in runs:
            print(
                f"  {r['master']}: ~{1_000_000 / r['records_per_second'] / 60:.1f} min "
                f"at {r['records_per_second']:,.0f} records/s (fixed costs amortised further)"
            )
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "records": args.records,
                    "single_process_per_second": reference_wall,
                    "single_process_per_cpu_second": reference,
                    "runs": runs,
                },
                indent=2,
            )
        )


if __name__ == "__main__":
    main()
