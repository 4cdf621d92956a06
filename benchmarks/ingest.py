"""Ingest (issue 2): every file under lists/ through ``tamiz update --mirror`` into a fresh
``TAMIZ_HOME``, then the same again with nothing changed. Time and peak memory of the whole
process tree. Parsing alone (no store) is measured as well, per snapshot, which is also the
fallback when the command is missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path

from benchmarks.corpus import LISTS, ROOT

Log = Callable[[str], None]


def tamiz_command() -> list[str]:
    exe = Path(sys.executable).with_name("tamiz")
    return [str(exe)] if exe.exists() else [sys.executable, "-m", "tamiz.cli"]


def update_command_available() -> tuple[bool, str]:
    try:
        done = subprocess.run(
            [*tamiz_command(), "update", "--help"], capture_output=True, text=True, timeout=60
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return False, f"tamiz CLI not runnable: {exc}"
    if done.returncode != 0 or "--mirror" not in done.stdout:
        return False, "`tamiz update --mirror` not available"
    return True, ""


def run_measured(cmd: Sequence[str], env: dict[str, str], interval: float = 0.02) -> dict:
    """Run ``cmd``; wall time, and peak resident memory of the process and its children
    (sampled, summed over the tree)."""
    import psutil

    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    peak = 0.0
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        try:
            parent = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not stop.is_set():
            try:
                procs = [parent, *parent.children(recursive=True)]
                total = sum(p.memory_info().rss for p in procs)
            except psutil.Error:
                total = 0
            peak = max(peak, total / 2**20)
            stop.wait(interval)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    stop.set()
    sampler.join()
    return {
        "seconds": time.perf_counter() - start,
        "peak_rss_mb": peak,
        "returncode": proc.returncode,
        "stdout": out,
        "stderr": err,
    }


def _statuses(stdout: str) -> tuple[Counter, list[dict]]:
    """Per-snapshot results printed by ``tamiz update --json`` (a list, an object, or JSON
    lines — accept all three)."""
    items: list[dict] = []
    text = stdout.strip()
    try:
        data = json.loads(text)
        items = data if isinstance(data, list) else data.get("results", [data])
    except json.JSONDecodeError:
        for line in text.splitlines():
            try:
                value = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(value, dict):
                items.append(value)
    return Counter(str(i.get("status")) for i in items if isinstance(i, dict)), items


def measure_update(log: Log, mirror: Path = LISTS) -> dict:
    available, why = update_command_available()
    if not available:
        return {"available": False, "note": why}
    home = Path(tempfile.mkdtemp(prefix="tamiz-bench-home-"))
    env = {k: v for k, v in os.environ.items() if k != "TAMIZ_DATABASE_URL"}
    env["TAMIZ_HOME"] = str(home)
    cmd = [*tamiz_command(), "update", "--mirror", str(mirror), "--json"]
    runs = {}
    try:
        for label in ("from_scratch", "unchanged"):
            log(f"  tamiz update --mirror ({label.replace('_', ' ')})")
            result = run_measured(cmd, env)
            counts, items = _statuses(result["stdout"])
            errors = [f"{i.get('dataset')}: {i.get('error')}" for i in items if i.get("error")]
            runs[label] = {
                "seconds": result["seconds"],
                "peak_rss_mb": result["peak_rss_mb"],
                "returncode": result["returncode"],
                "statuses": dict(counts),
                "errors": errors[:20],
                "stderr_tail": result["stderr"].strip()[-500:],
            }
        size = sum(p.stat().st_size for p in home.rglob("*") if p.is_file())
    finally:
        shutil.rmtree(home, ignore_errors=True)
    return {"available": True, "command": " ".join(cmd[1:]), "store_mb": size / 2**20, **runs}


def measure_parse_only() -> dict:
    """Every mirror snapshot through its parser, in a fresh process (no store)."""
    result = run_measured([sys.executable, "-m", "benchmarks.probe", "parse"], dict(os.environ))
    if result["returncode"] != 0:
        return {"error": result["stderr"].strip()[-500:]}
    data = json.loads(result["stdout"].strip().splitlines()[-1])
    data["wall_seconds"] = result["seconds"]
    data["peak_rss_mb"] = max(data["peak_rss_mb"], result["peak_rss_mb"])
    return data
