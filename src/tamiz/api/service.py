"""What one serving process holds: the store, the screener and its index, the audit writer.

Nothing here is state another replica needs: lists, keys and the audit chain live in the
database; the index is derived from the active snapshots (built from the database alone,
never from the raw files, which stay with whoever loaded them) and cached under this
replica's ``TAMIZ_HOME``. A background thread checks every ``refresh_interval`` seconds
whether the active snapshots changed (an update made by another worker, replica or a cron
job): one small query while nothing changed; on a change, the new index is built in a child
process, loaded, and swapped in with one reference assignment, so each request is answered
from one index and names the snapshots of that index. An update made through this process
swaps it at once.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from typing import Any

from sqlalchemy import select, text

from tamiz.api.config import ApiConfig
from tamiz.api.entities import EntityCache
from tamiz.api.errors import ApiError
from tamiz.api.indexbuild import build_lock
from tamiz.api.limits import RateLimiter
from tamiz.match import Query as MatchQuery
from tamiz.screen import LoadedIndex, NoListsLoaded, Screener
from tamiz.screen.screener import index_key
from tamiz.store import Store
from tamiz.store.audit import AuditBackpressure, AuditEntry, AuditError, AuditReceipt, AuditWriter
from tamiz.store.schema import DatasetRow

log = logging.getLogger("tamiz.api")

BUILD_TIMEOUT = 1800.0


class HostLockedWriter(AuditWriter):
    """An ``AuditWriter`` for SQLite whose batches take turns with the other processes on
    this host through a lock file.

    The chain itself is serialised by SQLite's write lock either way; but a writer that
    finds that lock taken polls for it with growing sleeps (up to 100 ms), while one
    waiting on the lock file is woken by the kernel the moment it is released. With
    several workers appending hundreds of records a second that is the difference between
    a few milliseconds and a few hundred for a request waiting on its record.
    """

    def __init__(self, store: Store, **kwargs: Any) -> None:
        folder = store.settings.home
        folder.mkdir(parents=True, exist_ok=True)
        self._lock_file = (folder / ".audit-append.lock").open("a")
        super().__init__(store, **kwargs)

    def _write(self, batch: list[Any]) -> bool:
        import fcntl

        fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_EX)
        try:
            return super()._write(batch)
        finally:
            fcntl.flock(self._lock_file.fileno(), fcntl.LOCK_UN)

    def close(self, timeout: float = 30.0) -> Any:
        try:
            return super().close(timeout)
        finally:
            self._lock_file.close()


class Service:
    def __init__(self, store: Store, config: ApiConfig, *, owns_store: bool = False) -> None:
        self.store = store
        self.config = config
        self.owns_store = owns_store
        self.screener = Screener(store)
        self.entities = EntityCache(store)
        self.limiter = RateLimiter(config.rate_limit, config.rate_burst)
        # Failed authentications per client address: slows down key guessing floods.
        self.auth_failures = RateLimiter(max(config.rate_limit, 10.0), max(config.rate_burst, 20))
        self.writer: AuditWriter | None = None
        self.ready = threading.Event()
        self.load_error: str | None = None
        self.swaps = 0
        self._refresh_lock = threading.Lock()
        self.update_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if os.environ.get("TAMIZ_API_SWITCH_INTERVAL"):
            sys.setswitchinterval(float(os.environ["TAMIZ_API_SWITCH_INTERVAL"]))
        if self.config.audit:
            if (
                self.store.engine.dialect.name == "sqlite"
                and os.environ.get("TAMIZ_API_FLOCK", "1") == "1"
            ):
                self.writer = HostLockedWriter(self.store, linger=self.config.audit_linger)
            else:
                self.writer = AuditWriter(self.store, linger=self.config.audit_linger)
        self._thread = threading.Thread(target=self._watch, name="tamiz-index-watch", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        if self.writer is not None:
            self.writer.close()
        if self.owns_store:
            self.store.close()

    def _watch(self) -> None:
        """Load the index, then look for newly activated snapshots until stopped."""
        delay = self.config.refresh_interval or 2.0
        while not self._stop.is_set():
            try:
                self.refresh()
            except NoListsLoaded as exc:
                self.load_error = str(exc)
            except Exception as exc:  # the database is away: keep serving the index we have
                self.load_error = f"{type(exc).__name__}: {exc}"
                log.warning("index refresh failed: %s", self.load_error)
            if self.ready.is_set() and not self.config.refresh_interval:
                return
            self._stop.wait(delay)

    # -- the index -----------------------------------------------------------------------

    def loaded(self) -> LoadedIndex:
        if not self.ready.is_set():
            raise ApiError(
                503,
                self.load_error or "the lists are being loaded; retry shortly",
                code="not_ready",
                headers={"Retry-After": "5"},
            )
        return self.screener.current()

    def _active_ids(self) -> dict[str, str]:
        """Dataset -> active snapshot id, in one small query (what the watcher polls)."""
        query = select(DatasetRow.id, DatasetRow.active_snapshot_id)
        with self.store.engine.connect() as conn:
            return {ds: snap for ds, snap in conn.execute(query) if snap}

    def refresh(self) -> bool:
        """Swap in the index of the active snapshots if they changed; True if it swapped."""
        with self._refresh_lock:
            if self.ready.is_set() and self._active_ids() == self.screener.current().snapshot_ids:
                return False
            active = self.store.active_snapshots()
            if not active:
                raise NoListsLoaded("no list is loaded; run `tamiz update` first")
            key = index_key(active)
            if self.ready.is_set() and self.screener.current().key == key:
                return False
            if (
                self.ready.is_set()  # while serving; a first load has nothing to keep responsive
                and self.config.build_in_subprocess
                and self.screener.disk_cache
                and not (self.store.settings.index_dir / f"{key}.idx").exists()
            ):
                self._build_in_child()
            with build_lock(self.store.settings.index_dir):
                if self.ready.is_set():
                    swapped = self.screener.refresh()
                else:
                    self.screener.current()
                    swapped = True
            self.ready.set()
            self.load_error = None
            if swapped:
                self.swaps += 1
                self._warm_up()
                log.info("serving lists %s", self.screener.current().snapshot_ids)
            return swapped

    def _warm_up(self) -> None:
        """One throw-away query per script family, so the lazily prepared parts of the
        matcher (transliteration tables, nickname index) are ready before real requests."""
        loaded = self.screener.current()
        for name in ("John Smith", "Мухаммад Али", "محمد علي", "金正恩"):
            try:
                self.screener.screen(MatchQuery(names=(name,)), loaded=loaded, threshold=0.5)
            except Exception as exc:  # never fatal
                log.debug("warm-up query %r failed: %s", name, exc)

    def _build_in_child(self) -> None:
        settings = self.store.settings
        env = {
            **os.environ,
            "TAMIZ_HOME": str(settings.home),
            "TAMIZ_DATABASE_URL": settings.database_url,
        }
        started = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-m", "tamiz.api.indexbuild"],
            env=env,
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT,
            check=False,
        )
        if done.returncode != 0:
            # not fatal: the refresh then builds in this process
            log.warning("index build process failed (%s): %s", done.returncode, done.stderr[-2000:])
        else:
            log.info("index built in a child process in %.1fs", time.monotonic() - started)

    # -- database and audit -----------------------------------------------------------------

    def database_ok(self) -> tuple[bool, str | None]:
        try:
            with self.store.engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        except Exception as exc:
            return False, f"{type(exc).__name__}: {exc}"
        return True, None

    def submit(self, entry: AuditEntry) -> Future[AuditReceipt] | None:
        """Queue an audit record (any thread). None when auditing is off."""
        if self.writer is None:
            return None
        try:
            return self.writer.submit(entry, timeout=0)
        except AuditBackpressure as exc:
            raise ApiError(
                503,
                f"the audit trail is not keeping up; retry shortly ({exc})",
                code="audit_unavailable",
                headers={"Retry-After": "2"},
            ) from None
        except AuditError as exc:
            raise ApiError(400, f"the request cannot be recorded: {exc}") from None

    async def receipt(self, future: Future[AuditReceipt] | None) -> dict[str, Any] | None:
        """Wait for the record's commit when configured to; its reference for the response."""
        if future is None or not self.config.audit_wait:
            return None
        try:
            receipt = await asyncio.wait_for(
                asyncio.wrap_future(future), timeout=self.config.audit_timeout
            )
        except (TimeoutError, AuditError) as exc:
            raise ApiError(
                503,
                "the screening could not be recorded in the audit trail, so it is not "
                f"answered: {exc or 'timed out'}",
                code="audit_unavailable",
                headers={"Retry-After": "5"},
            ) from None
        return {"seq": receipt.seq, "hash": receipt.hash}
