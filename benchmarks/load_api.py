"""HTTP load test of the screening API: single-name ``POST /match/default`` on 127.0.0.1.

    python benchmarks/load_api.py [--home DIR] [--duration 15] [--connections 16]
                                  [--postgres [URL]] [--json FILE]

Starts ``tamiz serve`` (real uvicorn workers, API keys on, rate limiter on with a high
limit) and drives it with ``wrk`` (Debian's package; installed with apt if missing), a C
load generator, so the client costs little of the two cores it shares with the server.
Each request is one query with one name, cycling through 400 names: half listed names
(captions of entities in the index), half clean names (synthetic negatives from
``shared/data/eval``), Latin and non-Latin scripts. Scenarios: 1 and 2 workers, with and
without the audit trail (audit on = every answer waits for its record to be committed), and
2 workers with audit while a list update activates a new snapshot (a copy of the UN list
with a comment appended, so the whole index is rebuilt and swapped in mid-run).

Reported per scenario: requests/s, latency percentiles (wrk's, microsecond resolution), errors
(socket errors + non-2xx), and the server's CPU time per request (all its processes, from
/proc), which is the figure to read when other work shares the machine. The lists are loaded
from ``shared/data/lists`` into a temporary home unless ``--home`` names one that has them.
"""

from __future__ import annotations

import argparse
import csv
import functools
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT / ".." / "shared" / "data").resolve()
LISTS = DATA / "lists"
NEGATIVES = DATA / "eval" / "negatives"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SERVE = [sys.executable, "-m", "tamiz", "serve"]
PACED_CONNECTIONS = 32
YENTE_PER_VCPU = 4.0  # published logic-v2 match requests/s per vCPU (see DESIGN.md)

# name -> (workers, audit on, during a list update)
SCENARIOS = {
    "1-off": (1, False, False),
    "1-on": (1, True, False),
    "2-off": (2, False, False),
    "2-on": (2, True, False),
    "2-on-update": (2, True, True),
}

LUA = r"""
local bodies = {}
for line in io.lines("%(names)s") do
  bodies[#bodies + 1] = line
end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer %(key)s"}
local counter = 0
local think = %(think)d
if think > 0 then
  -- paced load: each connection pauses 0.5-1.5x `think` ms between requests
  local half = math.floor(think / 2)
  delay = function() return math.random(think - half, think + half) end
end
request = function()
  counter = counter + 1
  return wrk.format("POST", "/match/default", headers, bodies[(counter %% #bodies) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests": %%d, "duration_us": %%d, "mean": %%d, "p50": %%d, "p90": %%d, ' ..
    '"p99": %%d, "p999": %%d, "max": %%d, "connect": %%d, "read": %%d, "write": %%d, ' ..
    '"status": %%d, "timeout": %%d}\n',
    summary.requests, summary.duration, math.floor(latency.mean), latency:percentile(50),
    latency:percentile(90),
    latency:percentile(99), latency:percentile(99.9), latency.max, e.connect, e.read,
    e.write, e.status, e.timeout))
end
"""


@dataclass
class Outcome:
    scenario: str
    workers: int
    audit: bool
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    p999_ms: float
    max_ms: float
    errors: int
    cpu_ms_per_request: float
    notes: dict[str, Any] = field(default_factory=dict)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        log("installing wrk (Debian package)")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], env=env, check=False)
        found = shutil.which("wrk")
    if not found:
        sys.exit("wrk is needed: apt-get install wrk")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare_store(home: Path, database_url: str) -> None:
    from tamiz.screen import Screener
    from tamiz.store import Settings, Store
    from tamiz.store.updates import update_from_mirror

    store = Store.open(Settings(home=home, database_url=database_url))
    try:
        if not store.active_snapshots():
            log(f"loading every list from {LISTS} (about a minute)")
            started = time.monotonic()
            results = update_from_mirror(store, LISTS)
            bad = [r for r in results if r.status == "rejected"]
            took = time.monotonic() - started
            log(f"  {len(results)} snapshots in {took:.0f}s, {len(bad)} rejected")
        log("building / loading the index cache")
        Screener(store).current()
    finally:
        store.close()


def make_key(home: Path, database_url: str) -> str:
    from tamiz.store import Settings, Store
    from tamiz.store.keys import create_key

    store = Store.open(Settings(home=home, database_url=database_url))
    try:
        return create_key(store, f"load-bench-{uuid.uuid4().hex[:8]}", "reader")[1]
    finally:
        store.close()


def query_names(home: Path, database_url: str, count: int = 400) -> list[str]:
    from tamiz.screen import Screener
    from tamiz.store import Settings, Store

    rng = random.Random(7)
    store = Store.open(Settings(home=home, database_url=database_url))
    try:
        index = Screener(store).current().index
        listed = [
            index.get(eid).caption
            for eid in rng.sample(index.entity_ids(), min(count // 2, len(index)))
        ]
    finally:
        store.close()
    clean: list[str] = []
    for name in ("vr_negatives_us.csv", "vr_negatives_global.csv"):
        with (NEGATIVES / name).open(encoding="utf-8") as fh:
            clean += [row["full_name"] for row in csv.DictReader(fh) if row["full_name"].strip()]
    names = listed + rng.sample(clean, count - len(listed))
    rng.shuffle(names)
    return names


def write_bodies(names: list[str], path: Path) -> None:
    with path.open("w", encoding="utf-8") as out:
        for name in names:
            body = {"queries": {"q1": {"schema": "Person", "properties": {"name": [name]}}}}
            out.write(json.dumps(body, ensure_ascii=False) + "\n")


def process_tree(pid: int) -> list[int]:
    out = [pid]
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for c in child.read_text().split():
            out.extend(process_tree(int(c)))
    return out


def cpu_seconds(pid: int) -> float:
    """User+system CPU of ``pid`` and its live descendants (plus reaped children)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in set(process_tree(pid)):
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        # utime, stime, cutime, cstime (fields 14-17 of stat; index 11-14 after the name)
        total += sum(int(v) for v in fields[11:15]) / tick
    return total


class Server:
    def __init__(
        self, home: Path, database_url: str, workers: int, audit: bool, extra: dict[str, str]
    ) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        env = {
            **os.environ,
            "TAMIZ_HOME": str(home),
            "TAMIZ_DATABASE_URL": database_url,
            "TAMIZ_API_AUDIT": "true" if audit else "false",
            "TAMIZ_API_RATE_LIMIT": "1000000",  # the limiter runs, but never limits
            "TAMIZ_API_RATE_BURST": "1000000",
            **extra,
        }
        self.process = subprocess.Popen(
            [*SERVE, "--port", str(self.port), "--workers", str(workers)],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        deadline, ok = time.monotonic() + timeout, 0
        while ok < 10:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.process.stderr.read()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError("server not ready in time")
            try:
                ready = httpx.get(f"{self.base}/readyz", timeout=5).status_code == 200
            except httpx.HTTPError:
                ready = False
            ok = ok + 1 if ready else 0
            time.sleep(0.05 if ready else 0.5)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(40)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class PacedScripts:
    """wrk scripts whose connections pause ``think`` ms (on average) between requests."""

    workdir: Path
    names_file: Path
    key: str

    @staticmethod
    def think(rps: float) -> int:
        return round(PACED_CONNECTIONS * 1000 / rps)

    def path(self, think: int) -> Path:
        script = self.workdir / f"paced-{think}.lua"
        script.write_text(LUA % {"names": self.names_file, "key": self.key, "think": think})
        return script


def wrk_command(wrk: str, script: Path, base: str, seconds: float, connections: int) -> list:
    return [wrk, "-t2", f"-c{connections}", f"-d{int(seconds)}s", "--timeout", "10s", "-s",
            str(script), base]  # fmt: skip


def run_wrk(wrk: str, script: Path, base: str, seconds: float, connections: int) -> dict:
    done = subprocess.run(
        wrk_command(wrk, script, base, seconds, connections),
        capture_output=True,
        text=True,
        check=True,
        timeout=seconds + 60,
    )
    for line in done.stdout.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    raise RuntimeError(f"no result from wrk: {done.stdout[-2000:]} {done.stderr[-2000:]}")


def outcome(name: str, workers: int, audit: bool, raw: dict, cpu: float, **notes: Any) -> Outcome:
    seconds = raw["duration_us"] / 1e6
    errors = raw["connect"] + raw["read"] + raw["write"] + raw["status"] + raw["timeout"]
    return Outcome(
        scenario=name,
        workers=workers,
        audit=audit,
        requests=raw["requests"],
        seconds=round(seconds, 2),
        rps=round(raw["requests"] / seconds, 1),
        p50_ms=round(raw["p50"] / 1000, 2),
        p90_ms=round(raw["p90"] / 1000, 2),
        p99_ms=round(raw["p99"] / 1000, 2),
        p999_ms=round(raw["p999"] / 1000, 2),
        max_ms=round(raw["max"] / 1000, 2),
        errors=errors,
        cpu_ms_per_request=round(cpu * 1000 / max(raw["requests"], 1), 2),
        notes=notes,
    )


def update_copy(workdir: Path) -> Path:
    """The latest UN list with a comment appended: a new snapshot of identical content."""
    source = sorted((LISTS / "un_sc").glob("consolidated-*.xml"))[-1]
    target = workdir / f"un-{uuid.uuid4().hex[:6]}" / source.name
    target.parent.mkdir(parents=True)
    target.write_bytes(source.read_bytes() + f"\n<!-- load test {uuid.uuid4()} -->\n".encode())
    return target


def scenario(
    wrk: str,
    script: Path,
    paced_script: PacedScripts,
    home: Path,
    database_url: str,
    workers: int,
    audit: bool,
    args: argparse.Namespace,
    update_file: Path | None = None,
) -> Outcome:
    name = f"{workers} worker{'s' if workers > 1 else ''}, audit {'on' if audit else 'off'}"
    if update_file is not None:
        name += ", during a list update"
    log(f"- {name}")
    extra = dict(item.split("=", 1) for item in args.env)
    server = Server(home, database_url, workers, audit, extra)
    try:
        server.wait_ready()
        run_wrk(wrk, script, server.base, args.warmup, args.connections)  # warm caches
        before = cpu_seconds(server.process.pid)
        if update_file is None:
            raw = run_wrk(wrk, script, server.base, args.duration, args.connections)
            result = outcome(name, workers, audit, raw, cpu_seconds(server.process.pid) - before)
            # A connection waits for its answer before it thinks again, so the offered rate
            # is connections / (think + latency): when the first run falls short of the
            # target, the think time is shortened by the mean latency it measured.
            think = paced_script.think(args.paced_rps)
            paced = run_wrk(
                wrk, paced_script.path(think), server.base, args.duration, PACED_CONNECTIONS
            )
            if paced["requests"] / (paced["duration_us"] / 1e6) < 0.97 * args.paced_rps:
                think = max(1, think - round(paced["mean"] / 1000))
                paced = run_wrk(
                    wrk, paced_script.path(think), server.base, args.duration, PACED_CONNECTIONS
                )
            paced_result = outcome(name, workers, audit, paced, 0.0)
            result.notes["paced"] = {
                "think_ms": think,
                "rps": paced_result.rps,
                "p50_ms": paced_result.p50_ms,
                "p99_ms": paced_result.p99_ms,
                "p999_ms": paced_result.p999_ms,
                "errors": paced_result.errors,
            }
            return result
        # the update starts 2 s into the run, which lasts long enough for the rebuild + swap
        seconds = max(args.duration, args.update_duration)
        load = subprocess.Popen(
            wrk_command(wrk, script, server.base, seconds, args.connections),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        time.sleep(2)
        admin_key = make_key_admin(home, database_url)
        started = time.monotonic()
        r = httpx.post(
            f"{server.base}/admin/update",
            json={"dataset": "un_sc", "paths": [str(update_file)]},
            headers={"Authorization": f"Bearer {admin_key}"},
            timeout=600,
        )
        update_seconds = time.monotonic() - started
        r.raise_for_status()
        result = r.json()
        stdout, _ = load.communicate(timeout=seconds + 120)
        cpu = cpu_seconds(server.process.pid) - before
        raw = next(
            json.loads(line[len("RESULT ") :])
            for line in stdout.splitlines()
            if line.startswith("RESULT ")
        )
        # every worker must end up serving the new snapshot (the others pick it up by
        # themselves within seconds): ask until 10 answers in a row say so
        new = result["results"][0]["snapshot"]
        deadline, in_a_row = time.monotonic() + 60, 0
        while in_a_row < 10 and time.monotonic() < deadline:
            served = httpx.get(
                f"{server.base}/lists",
                headers={"Authorization": f"Bearer {admin_key}"},
                timeout=30,
            ).json()
            ok = any(
                d["dataset"] == "un_sc" and d["snapshot"] == new and d["served"]
                for d in served["datasets"]
            )
            in_a_row = in_a_row + 1 if ok else 0
            time.sleep(0.05 if ok else 0.5)
        swapped = in_a_row >= 10
        return outcome(
            name,
            workers,
            audit,
            raw,
            cpu,
            update_status=result["results"][0]["status"],
            update_seconds=round(update_seconds, 1),
            new_snapshot_served=swapped,
        )
    finally:
        server.stop()


def make_key_admin(home: Path, database_url: str) -> str:
    from tamiz.store import Settings, Store
    from tamiz.store.keys import create_key

    store = Store.open(Settings(home=home, database_url=database_url))
    try:
        return create_key(store, f"load-bench-admin-{uuid.uuid4().hex[:8]}", "admin")[1]
    finally:
        store.close()


def fresh_postgres(server: str) -> str:
    import psycopg

    admin = server.replace("postgresql+psycopg://", "postgresql://")
    name = f"tamiz_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"{server.rsplit('/', 1)[0]}/{name}"


def drop_postgres(server: str, database_url: str) -> None:
    import psycopg

    admin = server.replace("postgresql+psycopg://", "postgresql://")
    name = database_url.rsplit("/", 1)[1]
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def table(outcomes: list[Outcome], cores: int) -> str:
    lines = [
        "| scenario | max requests/s | p50 ms | p99 ms | errors | server CPU ms/req "
        "| paced: requests/s | p50 ms | p99 ms | p99.9 ms | errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in outcomes:
        paced = o.notes.get("paced")
        tail = (
            f"{paced['rps']:.0f} | {paced['p50_ms']:.1f} | {paced['p99_ms']:.1f} | "
            f"{paced['p999_ms']:.1f} | {paced['errors']}"
            if paced
            else "– | – | – | – | –"
        )
        label = o.scenario
        if "update_seconds" in o.notes:
            label += (
                f" (update {o.notes['update_seconds']:.0f} s, new snapshot served by all: "
                f"{'yes' if o.notes['new_snapshot_served'] else 'NO'})"
            )
        lines.append(
            f"| {label} | {o.rps:.0f} | {o.p50_ms:.1f} | {o.p99_ms:.1f} | {o.errors} | "
            f"{o.cpu_ms_per_request:.2f} | {tail} |"
        )
    yente = YENTE_PER_VCPU * cores
    best = max(
        (o for o in outcomes if o.audit and o.workers > 1), key=lambda o: o.rps, default=None
    )
    if best:
        lines.append("")
        lines.append(
            f"yente (published ~{YENTE_PER_VCPU:g} match requests/s per vCPU) on {cores} cores: "
            f"~{yente:.0f} requests/s; tamiz with the audit on: {best.rps:.0f} "
            f"({best.rps / yente:.0f}x)."
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--home", type=Path, help="TAMIZ_HOME with the lists loaded (reused)")
    parser.add_argument(
        "--postgres",
        nargs="?",
        const=DEFAULT_POSTGRES,
        default=None,
        help="run on a fresh database on this PostgreSQL server",
    )
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per scenario")
    parser.add_argument(
        "--update-duration",
        type=float,
        default=40.0,
        help="seconds of the list-update scenario (covers the rebuild)",
    )
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--paced-rps",
        type=float,
        default=300.0,
        help="offered load of the paced runs (latency at a set rate)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated subset of {','.join(SCENARIOS)} (workers-audit[-update])",
    )
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="extra environment for the server (e.g. TAMIZ_API_* settings)",
    )
    args = parser.parse_args()

    wrk = ensure_wrk()
    workdir = Path(tempfile.mkdtemp(prefix="tamiz-load-"))
    home = args.home or workdir / "home"
    database_url = (
        fresh_postgres(args.postgres) if args.postgres else f"sqlite:///{home / 'tamiz.db'}"
    )
    prepare_store(home, database_url)
    key = make_key(home, database_url)
    names_file = workdir / "bodies.jsonl"
    write_bodies(query_names(home, database_url), names_file)
    script = workdir / "match.lua"
    script.write_text(LUA % {"names": names_file, "key": key, "think": 0})
    cores = os.cpu_count() or 1
    log(
        f"wrk: 2 threads, {args.connections} connections, {args.duration:g}s per scenario, "
        f"{cores} cores, database {database_url.split(':', 1)[0]}"
    )
    paced = PacedScripts(workdir, names_file, key)
    run = functools.partial(scenario, wrk, script, paced, home, database_url)
    outcomes = []
    for name in args.scenarios.split(","):
        workers, audit, update = SCENARIOS[name.strip()]
        outcomes.append(run(workers, audit, args, update_copy(workdir) if update else None))
    text = table(outcomes, cores)
    print(text)
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "database": database_url.split(":", 1)[0],
                    "connections": args.connections,
                    "cores": cores,
                    "load_average_at_end": os.getloadavg(),
                    "outcomes": [asdict(o) for o in outcomes],
                },
                indent=2,
            )
        )
    if not args.home:
        shutil.rmtree(workdir, ignore_errors=True)
    if args.postgres:
        drop_postgres(args.postgres, database_url)


if __name__ == "__main__":
    main()
