"""Several ``tamiz serve`` replicas over one PostgreSQL database (issue 7).

Two replicas, each with its own ``TAMIZ_HOME`` (as on two machines: no shared index cache, no
raw list files), serve ``/match`` under continuous load while the lists are updated twice:
once through one replica (``POST /admin/update``) and once by ``tamiz update`` run as a cron
job would, from a third home. Every replica must pick each update up by itself within
seconds, with no failed request and no response that mixes list versions; both replicas
append to one audit chain, which ``tamiz audit verify`` then checks.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest

from tamiz.store import Settings, Store, audit
from tamiz.store.keys import create_key
from tamiz.store.updates import update_from_paths

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

QUERY = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Joseph Kony"]}}}}
PICKUP_LIMIT = 30.0  # seconds; a replica picks an update up in ~1-5 s on an idle machine


def tamiz_env(home: Path, database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        "TAMIZ_HOME": str(home),
        "TAMIZ_DATABASE_URL": database_url,
        "TAMIZ_API_REFRESH_INTERVAL": "0.5",
        "TAMIZ_API_RATE_LIMIT": "0",
    }


class Load:
    """Threads firing ``/match`` at every replica until stopped; every answer is kept."""

    def __init__(self, bases: dict[str, str], key: str, threads_per_replica: int = 2) -> None:
        self.seen: list[tuple[str, float, int, dict | None, int | None]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._fire, args=(name, base, key), daemon=True)
            for name, base in bases.items()
            for _ in range(threads_per_replica)
        ]

    def _fire(self, name: str, base: str, key: str) -> None:
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
            while not self._stop.is_set():
                try:
                    r = client.post("/match/default", json=QUERY)
                    status = r.status_code
                    body = r.json() if status == 200 else {}
                except httpx.HTTPError:
                    status, body = 0, {}  # a failed request (connection refused, reset...)
                seq = (body.get("audit") or {}).get("seq")
                with self._lock:
                    self.seen.append((name, time.monotonic(), status, body.get("snapshots"), seq))
                time.sleep(0.01)

    def __enter__(self) -> Load:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._stop.set()
        for t in self._threads:
            t.join(timeout=90)

    def wait_for(self, state: dict[str, str], names: list[str], since: float) -> dict[str, float]:
        """Per replica, when it switched to ``state`` for good: the time of the first answer
        from which every later one named ``state``, once 5 in a row have."""
        deadline = since + PICKUP_LIMIT
        while True:
            with self._lock:
                recent = [s for s in self.seen if s[1] > since]
            done = {}
            for name in names:
                answers = [s for s in recent if s[0] == name]
                tail = answers[-5:]
                if len(tail) == 5 and all(s[3] == state for s in tail):
                    done[name] = next(
                        s[1]
                        for i, s in enumerate(answers)
                        if all(a[3] == state for a in answers[i:])
                    )
            if len(done) == len(names):
                return done
            assert time.monotonic() < deadline, (
                f"not every replica serves {state} {PICKUP_LIMIT:.0f}s after the update: "
                f"{ {n: [s[3] for s in recent if s[0] == n][-1:] for n in names} }"
            )
            time.sleep(0.2)


def test_replicas_pick_up_updates_without_failed_or_mixed_responses(
    postgres_url, tmp_path, lists_dir, serve_tamiz
):
    un = lists_dir / "un_sc"
    loader_home = tmp_path / "loader"
    store = Store.open(Settings(home=loader_home, database_url=postgres_url))
    try:
        first = update_from_paths(store, "un_sc", [un / "consolidated-2025-11-20.xml"])
        dpl = update_from_paths(store, "us_bis_dpl", [lists_dir / "us_bis_dpl" / "dpl-2022-09.txt"])
        assert first.status == dpl.status == "activated"
        _, key = create_key(store, "replica-test", "admin")
        start_seq = audit.head(store)[0]
    finally:
        store.close()
    states = [{"un_sc": first.snapshot, "us_bis_dpl": dpl.snapshot}]

    homes = {"a": tmp_path / "replica-a", "b": tmp_path / "replica-b"}
    with ExitStack() as stack:
        bases = {
            name: stack.enter_context(
                serve_tamiz(
                    home, postgres_url, workers=workers, log=tmp_path / f"replica-{name}.log"
                )
            )
            for (name, home), workers in zip(homes.items(), (2, 1), strict=True)
        }
        # Neither replica has the raw list files: the index comes from the database alone.
        assert not any((home / "blobs").exists() for home in homes.values())
        with Load(bases, key) as load:
            time.sleep(1.0)

            # 1. An update through replica a; replica b notices by itself.
            started = time.monotonic()
            r = httpx.post(
                f"{bases['a']}/admin/update",
                json={"dataset": "un_sc", "paths": [str(un / "consolidated-2026-02-27.xml")]},
                headers={"X-API-Key": key},
                timeout=300,
            )
            assert r.status_code == 200, r.text
            [result] = r.json()["results"]
            assert result["status"] == "activated"
            assert r.json()["swapped"] is True  # replica a serves it when it answers
            states.append({**states[-1], "un_sc": result["snapshot"]})
            answered = time.monotonic()
            switched = [load.wait_for(states[-1], ["a", "b"], answered)]
            assert not (homes["b"] / "blobs").exists()

            # 2. `tamiz update` as a cron job on a third machine adds a list.
            sema = lists_dir / "ca_sema" / "sema-lmes-2020-04.xml"
            cron = subprocess.run(
                [sys.executable, "-m", "tamiz", "update", "-d", "ca_sema", "--from", str(sema)],
                env=tamiz_env(tmp_path / "cron", postgres_url),
                capture_output=True,
                text=True,
                timeout=300,
            )
            assert cron.returncode == 0, cron.stderr[-3000:]
            check = Store.open(Settings(home=tmp_path / "cron", database_url=postgres_url))
            try:
                states.append({ds: sn.id for ds, sn in check.active_snapshots().items()})
            finally:
                check.close()
            assert set(states[-1]) == {"un_sc", "us_bis_dpl", "ca_sema"}
            cron_done = time.monotonic()
            switched.append(load.wait_for(states[-1], ["a", "b"], cron_done))
            time.sleep(1.0)
        print(
            f"\nupdate through replica a answered in {answered - started:.1f}s; every replica "
            f"served it {max(switched[0].values()) - answered:.1f}s later; the cron job's "
            f"update was served everywhere {max(switched[1].values()) - cron_done:.1f}s after "
            f"it ended; {len(load.seen)} requests"
        )

    # No failed request; every answer names exactly one of the states (never a mix); once a
    # replica has switched to a state, it never answers from an older one again. (While a
    # replica's workers switch one after the other, answers may still alternate.)
    statuses = Counter(status for _, _, status, _, _ in load.seen)
    assert statuses == {200: len(load.seen)}, statuses
    for name in bases:
        answers = [(t, s) for n, t, _, s, _ in load.seen if n == name]
        assert all(s in states for _, s in answers), "a response named a mix of list versions"
        served = [(t, states.index(s)) for t, s in answers]
        assert {k for _, k in served} == {0, 1, 2}, f"replica {name} did not serve every state"
        for k, when in enumerate(switched, 1):
            assert all(i >= k for t, i in served if t >= when[name]), (
                f"replica {name} went back to older lists after switching to state {k}"
            )

    # Both replicas appended to one chain; each record names the lists its response named.
    store = Store.open(Settings(home=loader_home, database_url=postgres_url))
    try:
        records = {
            r.seq: r for r in audit.records(store, limit=len(load.seen) + 100, action="match")
        }
    finally:
        store.close()
    seqs = [seq for *_, seq in load.seen]
    assert len(set(seqs)) == len(seqs) and min(seqs) > start_seq
    assert set(records) == set(seqs)
    for _, _, _, snapshots, seq in load.seen:
        assert records[seq].payload["datasets"] == snapshots
    verify = subprocess.run(
        [sys.executable, "-m", "tamiz", "audit", "verify"],
        env=tamiz_env(tmp_path / "examiner", postgres_url),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "intact" in verify.stdout
