"""``tamiz serve``: the loopback rule, several workers over one audit chain, and a list
update swapped in under load (on SQLite and PostgreSQL, through real HTTP)."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx
import pytest
from typer.testing import CliRunner

from tamiz.cli import app
from tamiz.cli.service import is_loopback
from tamiz.store import Store, audit
from tamiz.store.keys import create_key
from tamiz.store.updates import update_from_mirror, update_from_paths

runner = CliRunner()
QUERY = {"queries": {"q": {"schema": "Person", "properties": {"name": ["Joseph Kony"]}}}}


def test_loopback_detection():
    for host in ("127.0.0.1", "127.8.9.10", "::1", "[::1]", "localhost"):
        assert is_loopback(host), host
    for host in ("0.0.0.0", "::", "10.1.2.3", "192.168.0.1", "example.invalid"):
        assert not is_loopback(host), host


@pytest.mark.parametrize("host", ["0.0.0.0", "10.0.0.1", "::"])
def test_no_auth_refuses_a_non_loopback_address(host, tmp_path, monkeypatch):
    monkeypatch.setenv("TAMIZ_HOME", str(tmp_path))
    result = runner.invoke(app, ["serve", "--no-auth", "--host", host])
    assert result.exit_code == 2
    assert "refusing" in result.output and "without authentication" in result.output
    assert not (tmp_path / "tamiz.db").exists()  # refused before touching anything


@pytest.fixture
def served_store(store, lists_dir):
    un = lists_dir / "un_sc" / "consolidated-2025-11-20.xml"
    assert update_from_paths(store, "un_sc", [un]).status == "activated"
    [sdn] = update_from_mirror(store, lists_dir, ["us_ofac_sdn_2026"])
    assert sdn.status == "activated", sdn.error
    return store


@pytest.mark.slow
def test_two_workers_append_to_one_chain(served_store: Store, store_settings, serve_tamiz):
    _, key = create_key(served_store, "two-workers", "reader")
    start = audit.head(served_store)[0]
    with serve_tamiz(
        store_settings.home, store_settings.database_url, log=store_settings.home / "serve.log"
    ) as base:
        results: list[tuple[int, int | None]] = []

        def hammer() -> None:
            with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=30) as client:
                for _ in range(40):
                    r = client.post("/match/default", json=QUERY)
                    results.append((r.status_code, r.json().get("audit", {}).get("seq")))

        threads = [threading.Thread(target=hammer) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert Counter(status for status, _ in results) == {200: 240}
    seqs = sorted(seq for _, seq in results)
    assert len(set(seqs)) == 240 and seqs[0] > start
    report = audit.verify(served_store)
    assert report.ok, report.summary()
    matches = audit.records(served_store, limit=1000, action="match")
    assert {r.seq for r in matches} == set(seqs)
    assert runner.invoke(app, ["audit", "verify"]).exit_code == 0


@pytest.mark.slow
def test_update_under_load_swaps_without_a_failed_or_mixed_response(
    served_store: Store, store_settings, lists_dir, serve_tamiz
):
    _, key = create_key(served_store, "load", "admin")
    old = {ds: sn.id for ds, sn in served_store.active_snapshots().items()}
    with serve_tamiz(
        store_settings.home, store_settings.database_url, log=store_settings.home / "serve.log"
    ) as base:
        stop = threading.Event()
        seen: list[tuple[int, dict | None, float]] = []

        def hammer() -> None:
            with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=60) as client:
                while not stop.is_set():
                    r = client.post("/match/default", json=QUERY)
                    snaps = r.json().get("snapshots") if r.status_code == 200 else None
                    seen.append((r.status_code, snaps, time.monotonic()))

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.0)
        new_file = lists_dir / "un_sc" / "consolidated-2026-02-27.xml"
        with httpx.Client(base_url=base, headers={"X-API-Key": key}, timeout=300) as admin:
            r = admin.post("/admin/update", json={"dataset": "un_sc", "paths": [str(new_file)]})
        assert r.status_code == 200, r.text
        [result] = r.json()["results"]
        assert result["status"] == "activated"
        new = {**old, "un_sc": result["snapshot"]}
        updated_at = time.monotonic()
        # the other worker picks the new snapshot up by itself within seconds
        deadline = updated_at + 30
        while True:
            recent = [s for _, s, t in seen[-40:] if t > updated_at]
            if len(recent) >= 40 and all(s == new for s in recent):
                break
            assert time.monotonic() < deadline, "the new snapshot was not served everywhere"
            time.sleep(0.2)
        stop.set()
        for t in threads:
            t.join()
    statuses = Counter(status for status, _, _ in seen)
    assert statuses == {200: len(seen)}, statuses
    kinds = Counter("old" if s == old else "new" if s == new else "mixed" for _, s, _ in seen)
    assert set(kinds) == {"old", "new"}, kinds
    assert kinds["old"] > 0 and kinds["new"] > 0
    assert audit.verify(served_store).ok
