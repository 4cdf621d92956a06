"""``POST /match/{dataset}``: yente's match endpoint, answered by tamiz's matcher."""

# No ``from __future__ import annotations``: FastAPI reads the ``Annotated`` dependencies
# below at definition time, and they refer to variables local to ``router()``.
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from starlette.concurrency import run_in_threadpool

from tamiz.api.auth import Authenticator, Principal
from tamiz.api.errors import ApiError
from tamiz.api.jsonio import JSONResponse, OrjsonRoute
from tamiz.api.models import EntityExample, MatchRequest, MatchResponse
from tamiz.api.screening import (
    MATCHER_DESCRIPTION,
    ResultFilter,
    apply_filters,
    dataset_scope,
    effective_threshold,
    fetch_entities,
    loaded_index,
    resolve_algorithm,
    result_ids,
    scored_entity,
    screen_queries,
)
from tamiz.api.service import Service
from tamiz.match import ALGORITHM, QueryError
from tamiz.match import Query as MatchQuery
from tamiz.screen import query_from_properties
from tamiz.screen.audit import BatchItem, batch_entry
from tamiz.store.keys import Role

# Batches up to this many queries are matched on the event loop (no thread hand-off);
# larger ones in the thread pool, so one big batch does not stall other requests.
INLINE_QUERIES = 2


def _echo(example: EntityExample) -> dict[str, Any]:
    return {"id": example.id, "schema": example.schema_, "properties": example.properties}


def _query(example: EntityExample) -> MatchQuery | str:
    try:
        return query_from_properties(example.schema_, example.properties)
    except (QueryError, ValueError, TypeError) as exc:
        return str(exc) or type(exc).__name__


def router(service: Service, auth: Authenticator) -> APIRouter:
    api = APIRouter(route_class=OrjsonRoute, tags=["screening"])
    reader = Depends(auth.require(Role.READER))

    @api.post(
        "/match/{dataset}",
        response_model=MatchResponse,
        summary="Match entities (yente-compatible)",
        description="Screens each query against the lists: the request and response follow "
        "OpenSanctions yente's `/match`. `dataset` is a dataset id or `default` (every "
        "active list). Each query answers with its own `status`; a query that cannot be "
        "screened (unknown schema, bad date, no name) gets 400 and an `error`, the others "
        "still answer. Every call is recorded in the audit trail; `audit` is the record.",
    )
    async def match(
        body: MatchRequest,
        who: Annotated[Principal, reader],
        dataset: Annotated[str, Path(max_length=100)],
        limit: Annotated[int, Query(ge=1, le=500, description="Results per query.")] = 5,
        threshold: Annotated[
            float | None,
            Query(ge=0.0, le=1.0, allow_inf_nan=False, description="Score for `match: true`."),
        ] = None,
        cutoff: Annotated[
            float | None,
            Query(
                ge=0.0,
                le=1.0,
                allow_inf_nan=False,
                description="Lowest score returned (default: the threshold).",
            ),
        ] = None,
        algorithm: Annotated[
            str, Query(max_length=100, description="yente names are accepted as aliases.")
        ] = "best",
        include_dataset: Annotated[list[str], Query()] = [],  # noqa: B006
        exclude_dataset: Annotated[list[str], Query()] = [],  # noqa: B006
        exclude_schema: Annotated[list[str], Query()] = [],  # noqa: B006
        exclude_entity_ids: Annotated[list[str], Query()] = [],  # noqa: B006
        topics: Annotated[
            list[str],
            Query(description="Only entities with one of these topics (or a sub-topic)."),
        ] = [],  # noqa: B006
        exclude_topics: Annotated[list[str], Query()] = [],  # noqa: B006
        as_of: Annotated[
            dt.date | None, Query(description="Screen against the lists as of this date.")
        ] = None,
    ) -> JSONResponse:
        if not body.queries:
            raise ApiError(400, "queries: give at least one query")
        requested = algorithm
        resolve_algorithm(algorithm)
        threshold_ = effective_threshold(threshold)
        cutoff_ = threshold_ if cutoff is None else min(cutoff, threshold_)
        loaded = await loaded_index(service, as_of)
        scope = dataset_scope(loaded, dataset, include_dataset, exclude_dataset)
        snapshots = {ds: loaded.snapshot_ids[ds] for ds in scope}
        filters = ResultFilter(
            topics=tuple(topics),
            exclude_topics=tuple(exclude_topics),
            exclude_schemata=frozenset(exclude_schema),
            exclude_ids=frozenset(exclude_entity_ids),
        )
        queries = [(key, _query(example)) for key, example in body.queries.items()]
        args = (service.screener, loaded, queries)
        kwargs = {"scope": scope, "cutoff": cutoff_, "limit": limit, "filters": filters}
        if len(queries) <= INLINE_QUERIES:
            screened = screen_queries(*args, **kwargs)
        else:
            screened = await run_in_threadpool(screen_queries, *args, **kwargs)
        entities = await fetch_entities(service, snapshots, result_ids(screened))
        apply_filters(screened, entities, filters, limit)

        responses: dict[str, Any] = {}
        for item in screened:
            echo = _echo(body.queries[item.key])
            if item.error is not None:
                responses[item.key] = {
                    "status": 400,
                    "results": [],
                    "total": {"value": 0, "relation": "eq"},
                    "query": echo,
                    "error": {"code": "invalid_query", "message": item.error},
                }
                continue
            responses[item.key] = {
                "status": 200,
                "results": [
                    scored_entity(r, entities.get(r.entity_id), threshold_) for r in item.results
                ],
                "total": {"value": len(item.results), "relation": "eq"},
                "query": echo,
            }
        details: dict[str, Any] = {"endpoint": f"/match/{dataset}", "limit": limit}
        if cutoff_ != threshold_:
            details["cutoff"] = cutoff_
        for name, value in (
            ("include_dataset", include_dataset),
            ("exclude_dataset", exclude_dataset),
            ("exclude_schema", exclude_schema),
            ("exclude_entity_ids", exclude_entity_ids),
            ("topics", topics),
            ("exclude_topics", exclude_topics),
        ):
            if value:
                details[name] = list(value)
        if as_of:
            details["as_of"] = as_of.isoformat()
        entry = batch_entry(
            "match",
            who.actor,
            [
                BatchItem(
                    s.key,
                    s.query.to_dict() if s.query else None,
                    s.results,
                    s.error,
                    raw=_echo(body.queries[s.key]) if s.error else None,
                )
                for s in screened
            ],
            snapshots=snapshots,
            threshold=threshold_,
            details=details,
        )
        recorded = await service.receipt(service.submit(entry))
        return JSONResponse(
            {
                "responses": responses,
                "matcher": {
                    "name": ALGORITHM,
                    "description": MATCHER_DESCRIPTION,
                    "requested": requested,
                },
                "limit": limit,
                "threshold": threshold_,
                "cutoff": cutoff_,
                "snapshots": snapshots,
                "audit": recorded,
            }
        )

    return api
