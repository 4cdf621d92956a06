"""The screening service object: the active list snapshots compiled into a match index.

A :class:`Screener` answers every screening question from one immutable
:class:`LoadedIndex` (index + the snapshot of each dataset it was built from), so a response
always names exactly the list versions it used, and swapping in a new index after a list
update is a single reference assignment: a request sees the old index or the new one, never
a mix. Compiled indexes are cached on disk under ``TAMIZ_HOME/index`` keyed by the snapshots
and the algorithm version, so a CLI call or a new API worker loads instead of rebuilding.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tamiz.match import (
    ALGORITHM,
    DEFAULT_THRESHOLD,
    INDEX_VERSION,
    MatchIndex,
    MatchResult,
    Query,
)
from tamiz.store import SnapshotInfo, Store


class NoListsLoaded(RuntimeError):
    """Screening was asked for but no list snapshot is active (run ``tamiz update``)."""


class UnknownDataset(ValueError):
    """A dataset filter names a dataset that is not loaded."""


@dataclass(frozen=True, slots=True)
class LoadedIndex:
    index: MatchIndex
    snapshots: dict[str, SnapshotInfo]  # dataset -> snapshot the index was built from
    key: str
    loaded_at: float = field(default_factory=time.time)

    @property
    def snapshot_ids(self) -> dict[str, str]:
        return {ds: sn.id for ds, sn in sorted(self.snapshots.items())}


@dataclass(frozen=True, slots=True)
class ScreenResponse:
    query: Query
    threshold: float
    limit: int
    results: tuple[MatchResult, ...]
    snapshots: dict[str, str]
    algorithm: str = ALGORITHM
    as_of: dt.date | None = None
    topics: tuple[str, ...] = ()
    exclude_topics: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "query": self.query.to_dict(),
            "threshold": self.threshold,
            "algorithm": self.algorithm,
            "snapshots": self.snapshots,
            "results": [r.to_dict() for r in self.results],
        }
        if self.as_of:
            out["as_of"] = self.as_of.isoformat()
        if self.topics:
            out["topics"] = list(self.topics)
        if self.exclude_topics:
            out["exclude_topics"] = list(self.exclude_topics)
        return out


def index_key(snapshots: dict[str, SnapshotInfo]) -> str:
    parts = [ALGORITHM, INDEX_VERSION, *(f"{ds}:{sn.id}" for ds, sn in sorted(snapshots.items()))]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:20]


class Screener:
    """Screens queries against the active (or as-of) list snapshots in a store."""

    def __init__(self, store: Store, *, disk_cache: bool = True, max_as_of: int = 4) -> None:
        self.store = store
        self.disk_cache = disk_cache
        self._current: LoadedIndex | None = None
        self._as_of: OrderedDict[dt.date, LoadedIndex] = OrderedDict()
        self._max_as_of = max_as_of
        self._lock = threading.Lock()

    # -- index lifecycle ----------------------------------------------------------------

    def _load(self, snapshots: dict[str, SnapshotInfo]) -> LoadedIndex:
        if not snapshots:
            raise NoListsLoaded("no list is loaded; run `tamiz update` first")
        key = index_key(snapshots)
        path = self.store.settings.index_dir / f"{key}.idx"
        if self.disk_cache and path.exists():
            try:
                return LoadedIndex(MatchIndex.load(path), snapshots, key)
            except Exception:  # a stale or damaged cache file is rebuilt, never trusted
                path.unlink(missing_ok=True)
        entities = [e for sn in snapshots.values() for e in self.store.iter_entities(sn.id)]
        index = MatchIndex.build(entities)
        if self.disk_cache:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".idx")
            os.close(fd)
            try:
                index.save(tmp)
                os.replace(tmp, path)
            finally:
                Path(tmp).unlink(missing_ok=True)
        return LoadedIndex(index, snapshots, key)

    def current(self) -> LoadedIndex:
        """The index of the active snapshots (loaded on first use)."""
        loaded = self._current
        if loaded is None:
            with self._lock:
                if self._current is None:
                    self._current = self._load(self.store.active_snapshots())
                loaded = self._current
        return loaded

    def refresh(self) -> bool:
        """Swap in a new index if the active snapshots changed. True when it swapped.

        The new index is built (or loaded) before the swap, so requests keep being served
        from the old one meanwhile.
        """
        active = self.store.active_snapshots()
        loaded = self._current
        if loaded is not None and index_key(active) == loaded.key:
            return False
        fresh = self._load(active)
        with self._lock:
            self._current = fresh
        return True

    def as_of(self, day: dt.date) -> LoadedIndex:
        with self._lock:
            cached = self._as_of.get(day)
            if cached is not None:
                self._as_of.move_to_end(day)
                return cached
        loaded = self._load(self.store.snapshots_as_of(day))
        with self._lock:
            self._as_of[day] = loaded
            while len(self._as_of) > self._max_as_of:
                self._as_of.popitem(last=False)
        return loaded

    def loaded(self, as_of: dt.date | None = None) -> LoadedIndex:
        return self.as_of(as_of) if as_of else self.current()

    # -- screening ----------------------------------------------------------------------

    @staticmethod
    def check_datasets(loaded: LoadedIndex, datasets: Collection[str] | None) -> list[str] | None:
        """The dataset filter as a list (None: all); UnknownDataset for names not loaded."""
        if not datasets:
            return None
        unknown = sorted(set(datasets) - set(loaded.snapshots))
        if unknown:
            known = ", ".join(sorted(loaded.snapshots)) or "none"
            raise UnknownDataset(f"dataset(s) not loaded: {', '.join(unknown)}; loaded: {known}")
        return list(datasets)

    def screen(
        self,
        query: Query,
        *,
        datasets: Collection[str] | None = None,
        threshold: float | None = None,
        limit: int = 10,
        as_of: dt.date | None = None,
        topics: Collection[str] | None = None,
        exclude_topics: Collection[str] | None = None,
        loaded: LoadedIndex | None = None,
    ) -> ScreenResponse:
        """Screen one query. ``topics`` keeps only entities with one of these FtM topics (or
        a sub-topic: ``crime`` covers ``crime.terror``); ``exclude_topics`` drops them."""
        loaded = loaded or self.loaded(as_of)
        threshold = DEFAULT_THRESHOLD if threshold is None else threshold
        if not 0.0 <= threshold <= 1.0:
            raise ValueError(f"threshold {threshold} is outside [0, 1]")
        if limit < 1:
            raise ValueError("limit must be at least 1")
        results = loaded.index.search(
            query,
            threshold=threshold,
            limit=limit,
            datasets=self.check_datasets(loaded, datasets),
            topics=topics or None,
            exclude_topics=exclude_topics or None,
        )
        return ScreenResponse(
            query=query,
            threshold=threshold,
            limit=limit,
            results=tuple(results),
            snapshots={
                ds: sn for ds, sn in loaded.snapshot_ids.items() if not datasets or ds in datasets
            },
            as_of=as_of,
            topics=tuple(topics or ()),
            exclude_topics=tuple(exclude_topics or ()),
        )

    def screen_many(self, queries: Sequence[Query], **kwargs: Any) -> list[ScreenResponse]:
        """Screen a batch against one index, so the whole batch uses the same snapshots."""
        loaded = kwargs.pop("loaded", None) or self.loaded(kwargs.get("as_of"))
        return [self.screen(q, loaded=loaded, **kwargs) for q in queries]
