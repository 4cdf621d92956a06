"""Versioned storage of list snapshots, raw files, and (later) audit and case data."""

from tamiz.store.config import Settings
from tamiz.store.lists import (
    EntityRecord,
    SnapshotDiff,
    SnapshotInfo,
    Store,
    StoreError,
    UpdateResult,
)

__all__ = [
    "EntityRecord",
    "Settings",
    "SnapshotDiff",
    "SnapshotInfo",
    "Store",
    "StoreError",
    "UpdateResult",
]
