"""Listed entities as the API shows them, read from the store by (snapshot, id) and cached.

The match index keeps only what scoring needs; responses also carry each result's
FollowTheMoney properties and topics. Those come from the entity version stored for the
snapshot the index was built from, so a response never mixes versions. Snapshots are
immutable, so cached entries never go stale; the cache is a bounded LRU.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from sqlalchemy import select

from tamiz.model import Entity, entity_from_dict
from tamiz.sources.ftm import entities_to_ftm
from tamiz.store import Store
from tamiz.store.schema import EntityVersionRow, SnapshotEntityRow

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class ListedEntity:
    entity: Entity
    snapshot: str
    properties: dict[str, list[str]]  # FollowTheMoney properties

    @property
    def topics(self) -> tuple[str, ...]:
        return self.entity.topics


def ftm_properties(entity: Entity) -> dict[str, list[str]]:
    main = next(iter(entities_to_ftm([entity])))
    return main["properties"]


class EntityCache:
    def __init__(self, store: Store, *, max_entries: int = 20_000) -> None:
        self.store = store
        self.max_entries = max_entries
        self._cache: OrderedDict[tuple[str, str], ListedEntity] = OrderedDict()
        self._lock = threading.Lock()

    def cached(
        self, snapshots: Mapping[str, str], entity_ids: Iterable[str]
    ) -> tuple[dict[str, ListedEntity], list[str]]:
        """What the cache has (no database access), and the ids it lacks."""
        found: dict[str, ListedEntity] = {}
        missing: list[str] = []
        with self._lock:
            for entity_id in entity_ids:
                snapshot = snapshots.get(entity_id.split(":", 1)[0])
                hit = self._cache.get((snapshot, entity_id)) if snapshot else None
                if hit is None:
                    missing.append(entity_id)
                else:
                    self._cache.move_to_end((snapshot, entity_id))
                    found[entity_id] = hit
        return found, missing

    def get_many(
        self, snapshots: Mapping[str, str], entity_ids: Iterable[str]
    ) -> dict[str, ListedEntity]:
        """The entities as stored in ``snapshots`` (dataset -> snapshot id); unknown ids are
        left out."""
        found, missing = self.cached(snapshots, entity_ids)
        if not missing:
            return found
        by_snapshot: dict[str, list[str]] = {}
        for entity_id in missing:
            snapshot = snapshots.get(entity_id.split(":", 1)[0])
            if snapshot:
                by_snapshot.setdefault(snapshot, []).append(entity_id)
        loaded: list[ListedEntity] = []
        with self.store.session() as s:
            for snapshot, ids in by_snapshot.items():
                for start in range(0, len(ids), _CHUNK):
                    rows = s.execute(
                        select(SnapshotEntityRow.entity_id, EntityVersionRow.data)
                        .join(
                            EntityVersionRow,
                            EntityVersionRow.hash == SnapshotEntityRow.version_hash,
                        )
                        .where(
                            SnapshotEntityRow.snapshot_id == snapshot,
                            SnapshotEntityRow.entity_id.in_(ids[start : start + _CHUNK]),
                        )
                    )
                    for _entity_id, data in rows:
                        entity = entity_from_dict(orjson.loads(data))
                        loaded.append(ListedEntity(entity, snapshot, ftm_properties(entity)))
        with self._lock:
            for item in loaded:
                self._cache[(item.snapshot, item.entity.id)] = item
                found[item.entity.id] = item
            while len(self._cache) > self.max_entries:
                self._cache.popitem(last=False)
        return found


def entity_summary(item: ListedEntity | None, entity_id: str) -> dict[str, Any]:
    """The yente ``EntityResponse`` fields of an entity (id, caption, schema, properties...)."""
    if item is None:  # only if the store lost a row the index has: answer with the id
        return {
            "id": entity_id,
            "caption": entity_id,
            "schema": "Thing",
            "properties": {},
            "datasets": [entity_id.split(":", 1)[0]],
            "referents": [],
            "target": False,
            "topics": [],
        }
    e = item.entity
    return {
        "id": e.id,
        "caption": e.caption,
        "schema": e.schema.value,
        "properties": item.properties,
        "datasets": [e.dataset],
        "referents": [],
        "target": bool(e.designations),
        "topics": list(e.topics),
        "programs": list(e.programs),
    }
