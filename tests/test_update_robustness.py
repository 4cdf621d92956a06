"""Updates from the network and under failure: conditional GET, dropped connections,
a process killed mid-update. The "publisher" is a local HTTP server on 127.0.0.1."""

from __future__ import annotations

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select

from tamiz.store import Settings, Store
from tamiz.store.schema import SnapshotEntityRow, SnapshotRow
from tamiz.store.updates import update_from_paths, update_from_publishers


class Publisher(http.server.ThreadingHTTPServer):
    """Serves files by name; ``/drop/NAME`` announces the full length and hangs up half-way."""

    daemon_threads = True

    def __init__(self, files: dict[str, bytes]) -> None:
        self.files = files
        self.requests: list[tuple[str, dict[str, str]]] = []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(http.server.BaseHTTPRequestHandler):
    server: Publisher

    def log_message(self, *args) -> None:  # keep test output clean
        pass

    def do_GET(self) -> None:
        self.server.requests.append((self.path, dict(self.headers)))
        drop = self.path.startswith("/drop/")
        name = self.path.removeprefix("/drop/").lstrip("/")
        body = self.server.files.get(name)
        if body is None:
            self.send_error(404)
            return
        etag = f'"{hash(body) & 0xFFFFFFFF:x}"'
        if self.headers.get("If-None-Match") == etag and not drop:
            self.send_response(304)
            self.send_header("ETag", etag)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("ETag", etag)
        self.end_headers()
        if drop:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.connection.shutdown(2)
            return
        self.wfile.write(body)


@pytest.fixture
def publisher(lists_dir):
    history = lists_dir / "us_ofac_sdn" / "history"
    files = {p.name: p.read_bytes() for p in history.glob("sdn-2024-05-0*.csv")}
    server = Publisher(files)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()


def test_download_then_conditional_get(store, publisher):
    url = f"{publisher.base}/sdn-2024-05-01.csv"
    first = update_from_publishers(store, ["us_ofac_sdn"], urls=[url], backoff=0)
    assert [r.status for r in first] == ["activated"], first[0].error
    second = update_from_publishers(store, ["us_ofac_sdn"], urls=[url], backoff=0)
    assert [r.status for r in second] == ["unchanged"]
    assert second[0].snapshot == first[0].snapshot
    # the second request carried the validator and got 304 Not Modified
    assert publisher.requests[-1][1].get("If-None-Match")


def test_connection_dropped_half_way_is_rejected_after_retries(store, publisher):
    good = update_from_publishers(
        store, ["us_ofac_sdn"], urls=[f"{publisher.base}/sdn-2024-05-01.csv"], backoff=0
    )[0]
    results = update_from_publishers(
        store,
        ["us_ofac_sdn"],
        urls=[f"{publisher.base}/drop/sdn-2024-05-02.csv"],
        retries=2,
        backoff=0,
    )
    assert results[0].status == "rejected"
    assert "sdn-2024-05-02.csv" in results[0].error
    assert sum(1 for path, _ in publisher.requests if path.startswith("/drop/")) == 3
    assert store.active_snapshots()["us_ofac_sdn"].id == good.snapshot


def test_http_error_and_unknown_host_are_clear(store, publisher):
    missing = update_from_publishers(
        store, ["us_ofac_sdn"], urls=[f"{publisher.base}/nope.csv"], retries=0
    )[0]
    assert missing.status == "rejected" and "404" in missing.error
    unreachable = update_from_publishers(
        store, ["us_ofac_sdn"], urls=["http://127.0.0.1:9/sdn.csv"], retries=0, timeout=2
    )[0]
    assert unreachable.status == "rejected" and "127.0.0.1:9" in unreachable.error


def test_token_protected_download_explains_what_is_missing(store, monkeypatch):
    monkeypatch.delenv("TAMIZ_EU_FSF_TOKEN", raising=False)
    result = update_from_publishers(
        store, ["eu_fsf"], urls=["https://example.invalid/fsf?token={token}"], retries=0
    )[0]
    assert result.status == "rejected"
    assert "TAMIZ_EU_FSF_TOKEN" in result.error


def _consistent(settings: Settings) -> str | None:
    """Active SDN snapshot id, after checking every snapshot has all its members."""
    store = Store.open(settings)
    try:
        with store.session() as s:
            for snap in s.scalars(select(SnapshotRow)):
                members = s.scalar(
                    select(func.count())
                    .select_from(SnapshotEntityRow)
                    .where(SnapshotEntityRow.snapshot_id == snap.id)
                )
                assert members == snap.entity_count, "a snapshot was stored half-written"
        active = store.active_snapshots().get("us_ofac_sdn")
        return active.id if active else None
    finally:
        store.close()


@pytest.mark.slow
def test_process_killed_mid_update_leaves_the_store_as_it_was(tmp_path, lists_dir):
    """SIGKILL an update at many points; the store is always the old or the new state."""
    home = tmp_path / "home"
    settings = Settings(home=home, database_url=f"sqlite:///{home / 'tamiz.db'}")
    store = Store.open(settings)
    old = update_from_paths(
        store, "us_ofac_sdn", [lists_dir / "us_ofac_sdn/history/sdn-2024-05-01.csv"]
    )
    store.close()
    env = {**os.environ, "TAMIZ_HOME": str(home), "TAMIZ_DATABASE_URL": settings.database_url}
    new_file = lists_dir / "us_ofac_sdn/history/sdn-2024-05-03.csv"
    cmd = [
        sys.executable,
        "-m",
        "tamiz",
        "update",
        "--dataset",
        "us_ofac_sdn",
        "--from",
        str(new_file),
        "--json",
    ]
    # measure how long a full run takes (and learn the new snapshot id), then kill at
    # fractions of it
    start = time.monotonic()
    probe_home = tmp_path / "probe"
    probe = subprocess.run(
        cmd,
        env={
            **env,
            "TAMIZ_HOME": str(probe_home),
            "TAMIZ_DATABASE_URL": f"sqlite:///{probe_home / 't.db'}",
        },
        check=True,
        capture_output=True,
        text=True,
    )
    duration = time.monotonic() - start
    new_snapshot = json.loads(probe.stdout)["snapshot"]
    killed_before_activation = 0
    for fraction in (0.3, 0.5, 0.65, 0.8, 0.9, 0.95):
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(duration * fraction)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        active = _consistent(settings)  # raises if any snapshot is half-written
        assert active in (old.snapshot, new_snapshot)
        if active == new_snapshot:
            break  # the update completed before the kill; later kills test nothing new
        killed_before_activation += 1
    assert killed_before_activation, "at least one kill landed before the activation"
    # after all that, a normal update still works and the store is consistent
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    assert _consistent(settings) == new_snapshot


class PagedApi(http.server.ThreadingHTTPServer):
    """An FBI-Wanted-like paged API: page 1 is the shared page, page 2 is empty; the very
    first request is answered 429 to check that the client backs off and retries."""

    daemon_threads = True

    def __init__(self, page: bytes) -> None:
        self.page = page
        self.requests: list[str] = []
        super().__init__(("127.0.0.1", 0), _PagedHandler)


class _PagedHandler(http.server.BaseHTTPRequestHandler):
    server: PagedApi

    def log_message(self, *args) -> None:
        pass

    def do_GET(self) -> None:
        self.server.requests.append(self.path)
        if len(self.server.requests) == 1:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            self.end_headers()
            return
        body = self.server.page if "page=1&" in self.path else b'{"total": 20, "items": []}'
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def test_paged_api_is_fetched_page_by_page(store, lists_dir):
    page = (lists_dir / "us_fbi_wanted" / "wanted-list-page20-2024-09.json").read_bytes()
    server = PagedApi(page.replace(b'"total":', b'"total_was":', 1))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/wanted/v1/list"
        [result] = update_from_publishers(
            store, ["us_fbi_wanted"], urls=[url], backoff=0, page_pause=0
        )
    finally:
        server.shutdown()
    assert result.status == "activated", result.error
    assert result.entities and result.entities > 0
    assert server.requests[0] == server.requests[1]  # the 429 was retried
    assert "page=1&pageSize=" in server.requests[1] and "page=2&" in server.requests[2]
