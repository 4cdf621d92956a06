"""Build (or load) the compiled index of the active snapshots into the disk cache.

Run as ``python -m tamiz.api.indexbuild`` by a serving process after a list update, so the
CPU-heavy build runs in its own process (at lower priority) instead of competing for the
serving process's GIL; the server then loads the cached file in about a second. The build
holds a lock file, so workers and replicas sharing ``TAMIZ_HOME`` build each index once.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

from tamiz.screen import NoListsLoaded, Screener
from tamiz.store import Settings, Store

LOCK_NAME = ".build.lock"


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """An exclusive lock on ``index_dir`` shared by every process on this host."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with (index_dir / LOCK_NAME).open("a") as handle:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: builds may then happen twice
            yield
            return
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def main() -> int:
    with contextlib.suppress(OSError):
        os.nice(10)  # requests first: the build may take a little longer
    settings = Settings.from_env()
    store = Store(settings)
    try:
        with build_lock(settings.index_dir):
            Screener(store).current()
    except NoListsLoaded:
        return 0
    finally:
        store.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
