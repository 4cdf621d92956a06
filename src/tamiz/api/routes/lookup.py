"""Reading the lists: ``/search``, ``/entities/{id}``, ``/lists``, ``/changes``."""

# No ``from __future__ import annotations``: FastAPI reads the ``Annotated`` dependencies
# below at definition time, and they refer to variables local to ``router()``.
import datetime as dt
import functools
import threading
from collections import OrderedDict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from tamiz.api.auth import Authenticator, Principal
from tamiz.api.entities import entity_summary, ftm_properties
from tamiz.api.errors import ApiError
from tamiz.api.jsonio import JSONResponse, OrjsonRoute
from tamiz.api.models import ChangesResponse, EntityResponse, ListsResponse, SearchResponse
from tamiz.api.screening import (
    FILTERED_POOL,
    ResultFilter,
    apply_filters,
    dataset_scope,
    fetch_entities,
    loaded_index,
    result_ids,
    screen_queries,
)
from tamiz.api.service import Service
from tamiz.match import DEFAULT_THRESHOLD, QueryError
from tamiz.match import Query as MatchQuery
from tamiz.screen.audit import BatchItem, batch_entry
from tamiz.sources import DATASETS
from tamiz.store import EntityRecord, SnapshotDiff, StoreError
from tamiz.store.keys import Role

# Low: a search for a bare surname ("Maduro") should list every Maduro, ranked.
SEARCH_THRESHOLD = 0.02
# The matcher scores at most this many candidates per query name: the deepest page.
MAX_SEARCH_RESULTS = 400
SEARCH_POOL = 100
DayParam = Annotated[dt.date | None, Query(description="As of this date (YYYY-MM-DD).")]


class _DiffCache:
    """Diffs between two snapshots never change: keep the recent ones."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[str, str, str], SnapshotDiff] = OrderedDict()
        self._lock = threading.Lock()
        self.size = size

    def get(self, service: Service, dataset: str, old: str, new: str) -> SnapshotDiff:
        key = (dataset, old, new)
        with self._lock:
            found = self._items.get(key)
        if found is None:
            found = service.store.diff(dataset, old, new)
            with self._lock:
                self._items[key] = found
                while len(self._items) > self.size:
                    self._items.popitem(last=False)
        return found


def parse_moment(value: str | None) -> dt.datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        day = dt.date.fromisoformat(text)
    except ValueError:
        pass
    else:
        return dt.datetime.combine(day, dt.time(), dt.UTC)
    try:
        moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(
            400, f"since: {value!r} is not a date (YYYY-MM-DD) or ISO date-time"
        ) from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


def _iso(moment: dt.datetime) -> str:
    moment = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def entity_document(record: EntityRecord, as_of: dt.date | None) -> dict[str, Any]:
    e = record.entity
    native = e.to_dict()
    return {
        "id": e.id,
        "caption": e.caption,
        "schema": e.schema.value,
        "properties": ftm_properties(e),
        "datasets": [e.dataset],
        "target": bool(e.designations),
        "topics": list(e.topics),
        "listed": record.listed,
        "as_of": as_of.isoformat() if as_of else None,
        "designations": native.get("designations", []),
        "relations": {
            "outgoing": native.get("relations", []),
            "incoming": [{"id": i, "caption": c, "kind": k} for i, c, k in record.related_from],
        },
        "snapshot": record.snapshot.to_dict(),
        "appears_in": [
            {"snapshot": s.id, "published": s.published.isoformat(), "active": s.active}
            for s in record.appears_in
        ],
        "entity": native,
    }


def router(service: Service, auth: Authenticator) -> APIRouter:
    api = APIRouter(route_class=OrjsonRoute)
    reader = Depends(auth.require(Role.READER))
    diffs = _DiffCache()

    @api.get(
        "/search/{dataset}",
        response_model=SearchResponse,
        tags=["screening"],
        summary="Search listed entities by name",
        description="A simple name search (yente's `/search` shape), best first, paginated "
        "with `limit`/`offset`. Recorded in the audit trail like a match: a name looked up "
        "is a name checked.",
    )
    async def search(
        who: Annotated[Principal, reader],
        dataset: Annotated[str, Path(max_length=100)],
        q: Annotated[str, Query(min_length=1, max_length=1000, description="A name.")],
        schema: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=100)] = 10,
        offset: Annotated[int, Query(ge=0, le=MAX_SEARCH_RESULTS - 1)] = 0,
        threshold: Annotated[float | None, Query(ge=0.0, le=1.0, allow_inf_nan=False)] = None,
        include_dataset: Annotated[list[str], Query()] = [],  # noqa: B006
        exclude_dataset: Annotated[list[str], Query()] = [],  # noqa: B006
        topics: Annotated[list[str], Query()] = [],  # noqa: B006
        exclude_topics: Annotated[list[str], Query()] = [],  # noqa: B006
        as_of: DayParam = None,
    ) -> JSONResponse:
        try:
            query = MatchQuery(names=(q,), schema=schema)
        except QueryError as exc:
            raise ApiError(400, str(exc), code="invalid_query") from None
        cut = SEARCH_THRESHOLD if threshold is None else threshold
        loaded = await loaded_index(service, as_of)
        scope = dataset_scope(loaded, dataset, include_dataset, exclude_dataset)
        snapshots = {ds: loaded.snapshot_ids[ds] for ds in scope}
        filters = ResultFilter(topics=tuple(topics), exclude_topics=tuple(exclude_topics))
        # match a deeper pool than the page, so that `total` is exact for most searches
        pool = min(
            max(offset + limit, SEARCH_POOL, FILTERED_POOL if filters.active else 0),
            MAX_SEARCH_RESULTS,
        )
        [item] = await run_in_threadpool(
            screen_queries,
            service.screener,
            loaded,
            [("q", query)],
            scope=scope,
            cutoff=cut,
            limit=pool,
            filters=ResultFilter(),
        )
        entities = await fetch_entities(service, snapshots, result_ids([item]))
        apply_filters([item], entities, filters, pool)
        page = item.results[offset : offset + limit]
        total = len(item.results)
        results = []
        for r in page:
            doc = entity_summary(entities.get(r.entity_id), r.entity_id)
            doc.update(score=round(r.score, 4), match=r.score >= DEFAULT_THRESHOLD)
            results.append(doc)
        details: dict[str, Any] = {"endpoint": f"/search/{dataset}", "offset": offset}
        entry = batch_entry(
            "search",
            who.actor,
            [BatchItem("q", query.to_dict(), page)],
            snapshots=snapshots,
            threshold=cut,
            details=details,
        )
        recorded = await service.receipt(service.submit(entry))
        return JSONResponse(
            {
                "results": results,
                "total": {"value": total, "relation": "gte" if total >= pool else "eq"},
                "limit": limit,
                "offset": offset,
                "snapshots": snapshots,
                "audit": recorded,
            }
        )

    @api.get(
        "/entities/{entity_id:path}",
        response_model=EntityResponse,
        tags=["lists"],
        summary="One listed entity",
        description="Names, designations (with listing and first-seen dates), identifiers, "
        "relations both ways, and every snapshot the entity appears in; `as_of` shows it "
        "as listed on that date. An entity that left its list is shown from its last "
        "snapshot with `listed: false`.",
    )
    async def entity(
        _who: Annotated[Principal, reader],
        entity_id: Annotated[str, Path(min_length=1, max_length=300)],
        as_of: DayParam = None,
    ) -> JSONResponse:
        try:
            record = await run_in_threadpool(service.store.entity, entity_id, as_of)
        except StoreError as exc:
            raise ApiError(404, str(exc)) from None
        return JSONResponse(entity_document(record, as_of))

    @api.get(
        "/lists",
        response_model=ListsResponse,
        tags=["lists"],
        summary="Loaded lists and their active snapshots",
        description="Each dataset with its active (or `as_of`) snapshot, and the snapshots "
        "the running index serves (`served`).",
    )
    async def lists(_who: Annotated[Principal, reader], as_of: DayParam = None) -> JSONResponse:
        store = service.store
        snaps = await run_in_threadpool(
            functools.partial(store.snapshots_as_of, as_of) if as_of else store.active_snapshots
        )
        index = None
        served: dict[str, str] = {}
        if service.ready.is_set():
            loaded = service.screener.current()
            served = loaded.snapshot_ids
            index = {"key": loaded.key, "snapshots": served, "entities": len(loaded.index)}
        return JSONResponse(
            {
                "datasets": [
                    {
                        "dataset": ds,
                        "title": DATASETS[ds].title if ds in DATASETS else None,
                        "snapshot": sn.id,
                        "published": sn.published.isoformat(),
                        "entities": sn.entity_count,
                        "designations": sn.designation_count,
                        "loaded_at": _iso(sn.created_at),
                        "active": sn.active,
                        "served": served.get(ds) == sn.id,
                    }
                    for ds, sn in sorted(snaps.items())
                ],
                "index": index,
            }
        )

    @api.get(
        "/changes",
        response_model=ChangesResponse,
        tags=["lists"],
        summary="The change feed: list activations and what they changed",
        description="Every activation of a new snapshot (oldest first) since `since`, with "
        "the entity ids added, removed and changed (with the changed fields) against the "
        "snapshot it replaced. A dataset's first activation is `initial` (everything is "
        "new; only counts). Continue with `since=next_since`.",
    )
    async def changes(
        _who: Annotated[Principal, reader],
        dataset: Annotated[str | None, Query(max_length=100)] = None,
        since: Annotated[
            str | None, Query(max_length=40, description="YYYY-MM-DD or ISO date-time (UTC).")
        ] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 50,
        ids: Annotated[bool, Query(description="Include the entity id lists.")] = True,
    ) -> JSONResponse:
        moment = parse_moment(since)
        if dataset is not None:
            known = await run_in_threadpool(service.store.dataset_ids)
            if dataset not in known:
                raise ApiError(404, f"unknown dataset {dataset!r}; known: {', '.join(known)}")

        def collect() -> dict[str, Any]:
            rows = service.store.activations(dataset, moment)[:limit]
            out = []
            for ds, snapshot, previous, when in rows:
                item: dict[str, Any] = {
                    "dataset": ds,
                    "snapshot": snapshot,
                    "previous": previous,
                    "activated_at": _iso(when),
                    "initial": previous is None,
                }
                if previous is None:
                    info = service.store.resolve_snapshot(ds, snapshot)
                    item["counts"] = {"added": info.entity_count, "removed": 0, "changed": 0}
                else:
                    diff = diffs.get(service, ds, previous, snapshot)
                    item["counts"] = {
                        "added": len(diff.added),
                        "removed": len(diff.removed),
                        "changed": len(diff.changed),
                    }
                    if ids:
                        item["added"] = list(diff.added)
                        item["removed"] = list(diff.removed)
                        item["changed"] = [{"id": i, "fields": list(f)} for i, f in diff.changed]
                out.append(item)
            next_since = None
            if len(rows) == limit:
                last = rows[-1][3]
                next_since = _iso(last + dt.timedelta(microseconds=1))
            return {"changes": out, "next_since": next_since}

        try:
            return JSONResponse(await run_in_threadpool(collect))
        except StoreError as exc:
            raise ApiError(404, str(exc)) from None

    return api
