"""``POST /screen``: a batch of customer records, as ``tamiz screen-file`` rows."""

# No ``from __future__ import annotations``: FastAPI reads the ``Annotated`` dependencies
# below at definition time, and they refer to variables local to ``router()``.
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from starlette.concurrency import run_in_threadpool

from tamiz.api.auth import Authenticator, Principal
from tamiz.api.errors import ApiError
from tamiz.api.jsonio import JSONResponse, OrjsonRoute
from tamiz.api.models import ScreenRequest, ScreenResponse
from tamiz.api.screening import (
    ResultFilter,
    apply_filters,
    dataset_scope,
    effective_threshold,
    fetch_entities,
    loaded_index,
    native_result,
    result_ids,
    screen_queries,
)
from tamiz.api.service import Service
from tamiz.match import ALGORITHM, Query, QueryError
from tamiz.screen import RecordColumns, query_from_row
from tamiz.screen.audit import BatchItem, batch_entry
from tamiz.store.keys import Role


def _columns(body: ScreenRequest) -> RecordColumns:
    if body.schema_ and body.schema_column:
        raise ApiError(400, "give either schema or schema_column, not both")
    if body.schema_:
        try:
            Query(names=("x",), schema=body.schema_)
        except QueryError as exc:
            raise ApiError(400, f"schema: {exc}") from None
    return RecordColumns(
        name=body.name_column,
        dob=body.dob_column,
        country=body.country_column,
        id=body.id_column,
        schema=body.schema_,
        schema_column=body.schema_column,
        party_id=body.ref_column,
    )


def _query(row: dict[str, Any], columns: RecordColumns) -> Query | str:
    try:
        return query_from_row(row, columns)
    except (QueryError, ValueError, TypeError) as exc:
        return str(exc) or type(exc).__name__


def router(service: Service, auth: Authenticator) -> APIRouter:
    api = APIRouter(route_class=OrjsonRoute, tags=["screening"])
    reader = Depends(auth.require(Role.READER))

    @api.post(
        "/screen",
        response_model=ScreenResponse,
        summary="Screen a batch of customer records",
        description="Up to 1,000 flat records (the rows `tamiz screen-file` reads), with "
        "column options saying which field holds the name, birth date, country, "
        "identifier, schema and your own record id. One result entry per record, in input "
        "order; a record that cannot be screened gets an `error` and no results. The "
        "whole batch uses one set of list snapshots and is one audit record.",
    )
    async def screen(body: ScreenRequest, who: Annotated[Principal, reader]) -> JSONResponse:
        columns = _columns(body)
        threshold = effective_threshold(body.threshold)
        loaded = await loaded_index(service, body.as_of)
        scope = dataset_scope(loaded, None, body.datasets or ())
        snapshots = {ds: loaded.snapshot_ids[ds] for ds in scope}
        filters = ResultFilter(topics=tuple(body.topics or ()))
        queries = [(str(n), _query(row, columns)) for n, row in enumerate(body.records, 1)]
        screened = await run_in_threadpool(
            screen_queries,
            service.screener,
            loaded,
            queries,
            scope=scope,
            cutoff=threshold,
            limit=body.limit,
            filters=filters,
        )
        entities = await fetch_entities(service, snapshots, result_ids(screened))
        apply_filters(screened, entities, filters, body.limit)

        results = []
        alerts = with_alerts = errors = 0
        for item, row in zip(screened, body.records, strict=True):
            doc: dict[str, Any] = {"row": int(item.key)}
            if columns.party_id:
                doc["ref"] = row.get(columns.party_id)
            if item.error is not None:
                errors += 1
                doc.update(query=None, results=[], error=item.error)
            else:
                found = [
                    native_result(r, entities.get(r.entity_id), threshold) for r in item.results
                ]
                hits = sum(1 for r in found if r["match"])
                alerts += hits
                with_alerts += bool(hits)
                doc.update(query=item.query.to_dict() if item.query else None, results=found)
            results.append(doc)
        mapped = {c for c in (columns.name, columns.dob, columns.country, columns.id) if c}
        mapped |= {c for c in (columns.schema_column, columns.party_id) if c}
        unused = sorted(set(body.records[0]) - mapped)

        entry = batch_entry(
            "screen",
            who.actor,
            [
                BatchItem(
                    s.key,
                    s.query.to_dict() if s.query else None,
                    s.results,
                    s.error,
                    raw=row if s.error else None,
                )
                for s, row in zip(screened, body.records, strict=True)
            ],
            snapshots=snapshots,
            threshold=threshold,
            details={
                "endpoint": "/screen",
                "records": len(body.records),
                "limit": body.limit,
                "columns": {
                    k: v
                    for k, v in (
                        ("name", columns.name),
                        ("dob", columns.dob),
                        ("country", columns.country),
                        ("id", columns.id),
                        ("schema", columns.schema),
                        ("schema_column", columns.schema_column),
                        ("ref", columns.party_id),
                    )
                    if v
                },
                **({"as_of": body.as_of.isoformat()} if body.as_of else {}),
                **({"topics": list(body.topics)} if body.topics else {}),
            },
        )
        # serialising a large record for the chain takes a while: off the event loop
        recorded = await service.receipt(await run_in_threadpool(service.submit, entry))
        return JSONResponse(
            {
                "results": results,
                "summary": {
                    "records": len(results),
                    "screened": len(results) - errors,
                    "errors": errors,
                    "alerts": alerts,
                    "records_with_alerts": with_alerts,
                },
                "threshold": threshold,
                "algorithm": ALGORITHM,
                "snapshots": snapshots,
                "unused_fields": unused,
                "audit": recorded,
            }
        )

    return api
