"""Audit-trail append throughput: one transaction per record vs group commit (AuditWriter).

    python benchmarks/audit_append.py [--records N] [--threads T] [--postgres URL|none] [--json]

Each mode runs on a fresh SQLite file (WAL, synchronous=NORMAL: tamiz's settings) and on a
fresh database on the PostgreSQL server (default: the test server at 127.0.0.1:5432; it is
created and dropped here). Records look like an API match: a query, two dataset snapshots,
threshold, algorithm and three compact results. Every run ends with ``verify``.

Modes:
- ``single``: one thread, ``audit.append`` (one transaction per record), as the CLI does.
- ``single x T``: T threads each calling ``audit.append``; they queue on the chain lock.
- ``writer wait x T``: T request threads call ``AuditWriter.append(wait=True)``: each request
  waits until its record is committed (durable before the response).
- ``writer fire&forget``: one thread submits without waiting; timed until ``close`` returns.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tamiz.store import Settings, Store, audit

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def entry(i: int) -> audit.AuditEntry:
    return audit.AuditEntry(
        action="match",
        actor="key:bench",
        query={"schema": "Person", "properties": {"name": [f"Person Number {i}"]}},
        datasets={"us_ofac_sdn": "a1b2c3d4e5f60718", "un_sc": "0f1e2d3c4b5a6978"},
        threshold=0.7,
        algorithm="tamiz-1.0",
        results=[
            {"id": f"us_ofac_sdn:{i}", "score": 0.912, "match": True},
            {"id": f"un_sc:QDi.{i}", "score": 0.644, "match": False},
            {"id": f"us_ofac_sdn:{i + 1}", "score": 0.501, "match": False},
        ],
    )


def timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def latencies(call, items: range, threads: int) -> dict:  # type: ignore[no-untyped-def]
    """Run ``call(i)`` for every item on ``threads`` threads; per-call latency percentiles."""

    def one(i: int) -> float:
        start = time.perf_counter()
        call(i)
        return time.perf_counter() - start

    with ThreadPoolExecutor(threads) as pool:
        times = sorted(pool.map(one, items))
    return {
        "p50_ms": round(1000 * times[len(times) // 2], 2),
        "p99_ms": round(1000 * times[int(len(times) * 0.99)], 2),
    }


def run_modes(store: Store, records: int, threads: int) -> list[dict]:
    results = []
    single_n = max(records // 10, 200)  # per-record transactions are slow: fewer of them

    def single() -> None:
        for i in range(single_n):
            audit.append(store, entry(i))

    results.append({"mode": "single", "records": single_n, "seconds": timed(single)})

    start = time.perf_counter()
    lat = latencies(lambda i: audit.append(store, entry(i)), range(single_n), threads)
    results.append(
        {
            "mode": f"single x {threads}",
            "records": single_n,
            "seconds": time.perf_counter() - start,
            **lat,
        }
    )

    start = time.perf_counter()
    with audit.AuditWriter(store) as writer:
        lat = latencies(lambda i: writer.append(entry(i)), range(records), threads)
        batches = writer.batches
    results.append(
        {
            "mode": f"writer wait x {threads}",
            "records": records,
            "seconds": time.perf_counter() - start,
            "batches": batches,
            **lat,
        }
    )

    def writer_fire() -> None:
        writer = audit.AuditWriter(store)
        for i in range(records):
            writer.append(entry(i), wait=False)
        writer.close()

    results.append(
        {"mode": "writer fire&forget", "records": records, "seconds": timed(writer_fire)}
    )
    report = audit.verify(store)
    expected = 2 * single_n + 2 * records
    if not report.ok or report.records != expected:
        raise SystemExit(f"verify failed: {report.summary()} (expected {expected} records)")
    for r in results:
        r["per_second"] = round(r["records"] / r["seconds"])
    results.append({"mode": "verify", "records": report.records, "seconds": timed(
        lambda: audit.verify(store))})  # fmt: skip
    results[-1]["per_second"] = round(report.records / results[-1]["seconds"])
    return results


def bench_sqlite(records: int, threads: int) -> list[dict]:
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        store = Store.open(Settings(home=home, database_url=f"sqlite:///{home / 'bench.db'}"))
        try:
            return run_modes(store, records, threads)
        finally:
            store.close()


def bench_postgres(server: str, records: int, threads: int) -> list[dict]:
    import psycopg

    admin = server.replace("postgresql+psycopg://", "postgresql://")
    name = f"tamiz_bench_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory() as tmp:
            url = f"{server.rsplit('/', 1)[0]}/{name}"
            store = Store.open(Settings(home=Path(tmp), database_url=url))
            try:
                return run_modes(store, records, threads)
            finally:
                store.close()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, or 'none'")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    table = {"sqlite": bench_sqlite(args.records, args.threads)}
    if args.postgres != "none":
        table["postgresql"] = bench_postgres(args.postgres, args.records, args.threads)
    if args.json:
        print(json.dumps(table, indent=2))
        return
    print("| database | mode | records | seconds | appends/s | p50 ms | p99 ms |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for db, rows in table.items():
        for r in rows:
            print(
                f"| {db} | {r['mode']} | {r['records']} | {r['seconds']:.2f} | "
                f"{r['per_second']} | {r.get('p50_ms', '')} | {r.get('p99_ms', '')} |"
            )


if __name__ == "__main__":
    main()
