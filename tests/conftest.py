from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
LISTS = SHARED_DATA / "lists"


@pytest.fixture(scope="session")
def lists_dir() -> Path:
    if not LISTS.is_dir():
        pytest.skip(f"shared list files not found at {LISTS}")
    return LISTS


@pytest.fixture(scope="session")
def shared_data() -> Path:
    return SHARED_DATA


# -- stores: SQLite by default, and the same tests against a real PostgreSQL server -------

import contextlib  # noqa: E402
import os  # noqa: E402
import uuid  # noqa: E402

POSTGRES_URL = os.environ.get(
    "TAMIZ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_available() -> bool:
    try:
        import psycopg

        with psycopg.connect(
            POSTGRES_URL.replace("postgresql+psycopg://", "postgresql://"), connect_timeout=3
        ):
            return True
    except Exception:
        return False


@pytest.fixture(scope="session")
def postgres_server() -> str:
    if not _postgres_available():
        if os.environ.get("TAMIZ_REQUIRE_POSTGRES"):
            pytest.fail(f"PostgreSQL required but not reachable at {POSTGRES_URL}")
        pytest.skip(f"PostgreSQL not reachable at {POSTGRES_URL}")
    return POSTGRES_URL


@pytest.fixture
def postgres_url(postgres_server: str):
    """A fresh, empty PostgreSQL database for one test, dropped afterwards."""
    import psycopg

    admin = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    name = f"tamiz_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = postgres_server.rsplit("/", 1)[0]
    yield f"{base}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_settings(request, tmp_path, monkeypatch):
    """Settings for an empty store on each supported database; also exported to the env so
    CLI commands run in-process or as subprocesses use the same store."""
    from tamiz.store import Settings

    home = tmp_path / "home"
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    else:
        url = f"sqlite:///{home / 'tamiz.db'}"
    monkeypatch.setenv("TAMIZ_HOME", str(home))
    monkeypatch.setenv("TAMIZ_DATABASE_URL", url)
    return Settings(home=home, database_url=url)


@pytest.fixture
def store(store_settings):
    from tamiz.store import Store

    s = Store.open(store_settings)
    yield s
    s.close()


# -- a real `tamiz serve` process ----------------------------------------------------------


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def _serve_tamiz(
    home: Path,
    database_url: str,
    *,
    log: Path,
    workers: int = 2,
    env: dict[str, str | None] | None = None,
    ready_in_a_row: int = 10,
):
    """``tamiz serve`` on a free loopback port, its output in ``log``; yields the base URL
    once ``/readyz`` answered ``ready_in_a_row`` times in a row (connections land on every
    worker), and stops the process afterwards."""
    import subprocess
    import sys
    import time

    import httpx

    port = free_port()
    environment = {
        **os.environ,
        "TAMIZ_HOME": str(home),
        "TAMIZ_DATABASE_URL": database_url,
        "TAMIZ_API_REFRESH_INTERVAL": "0.5",
        "TAMIZ_API_RATE_LIMIT": "0",
        **(env or {}),
    }
    environment = {k: v for k, v in environment.items() if v is not None}
    with log.open("w") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "tamiz", "serve", f"--port={port}", f"--workers={workers}"],
            env=environment,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline, ok = time.monotonic() + 120, 0
        while ok < ready_in_a_row:
            assert process.poll() is None, log.read_text()[-3000:]
            assert time.monotonic() < deadline, f"server not ready: {log.read_text()[-3000:]}"
            try:
                ok = ok + 1 if httpx.get(f"{base}/readyz", timeout=2).status_code == 200 else 0
            except httpx.HTTPError:
                ok = 0
            time.sleep(0.05 if ok else 0.3)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="session")
def serve_tamiz():
    """``serve_tamiz(home, database_url, log=..., workers=2, env=...)``: a context manager
    running ``tamiz serve`` (an ``env`` value of None removes that variable)."""
    return _serve_tamiz
