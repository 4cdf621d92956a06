"""Administration (admin role): list updates and the audit trail. Also the health probes."""

# No ``from __future__ import annotations``: FastAPI reads the ``Annotated`` dependencies
# below at definition time, and they refer to variables local to ``router()``.
import contextlib
import datetime as dt
import json
import os
import subprocess
import sys
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from starlette.concurrency import run_in_threadpool

from tamiz.api import routes_monitoring
from tamiz.api.auth import Authenticator, Principal
from tamiz.api.errors import ApiError, error_response
from tamiz.api.jsonio import JSONResponse, OrjsonRoute
from tamiz.api.models import AuditPage, Health, UpdateRequest, UpdateResponse
from tamiz.api.routes.lookup import parse_moment
from tamiz.api.service import Service
from tamiz.screen import NoListsLoaded
from tamiz.sources import DATASETS, FORMATS
from tamiz.store import UpdateResult, audit
from tamiz.store.audit import AuditEntry
from tamiz.store.keys import Role

UPDATE_TIMEOUT = 3600.0


def _run_update(service: Service, body: UpdateRequest) -> list[dict[str, Any]]:
    """Run the update in a child process (``tamiz.api.updatejob``), at low priority."""
    settings = service.store.settings
    env = {
        **os.environ,
        "TAMIZ_HOME": str(settings.home),
        "TAMIZ_DATABASE_URL": settings.database_url,
    }
    done = subprocess.run(
        [sys.executable, "-m", "tamiz.api.updatejob"],
        input=body.model_dump_json(),
        env=env,
        capture_output=True,
        text=True,
        timeout=UPDATE_TIMEOUT,
        check=False,
    )
    if done.returncode != 0:
        lines = done.stderr.strip().splitlines()
        raise ApiError(500, f"the update failed: {lines[-1] if lines else done.returncode}")
    return json.loads(done.stdout)


def _check(body: UpdateRequest) -> str:
    sources = [
        name
        for name, given in (
            ("mirror", bool(body.mirror)),
            ("paths", bool(body.paths)),
            ("publishers", body.publishers),
        )
        if given
    ]
    if len(sources) != 1:
        raise ApiError(400, "give exactly one of: mirror, dataset + paths, publishers: true")
    if body.format is not None and body.format not in FORMATS:
        raise ApiError(400, f"format: unknown format {body.format!r}; known: {', '.join(FORMATS)}")
    if sources[0] == "paths":
        if not body.dataset:
            raise ApiError(400, "paths need the dataset they belong to")
        if body.dataset not in DATASETS and body.format is None:
            raise ApiError(400, f"dataset {body.dataset!r} is not built in; give its format")
    elif body.dataset:
        raise ApiError(400, "dataset goes with paths; use datasets to restrict an update")
    return sources[0]


async def perform_update(
    service: Service, body: UpdateRequest, actor: str, *, via: str | None = None
) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
    """A list update as an administrator asks for it (``POST /admin/update``, the console's
    lists page): the update job in a child process, the index swap, incremental monitoring of
    the books, and a ``list_update`` audit record. The outcome of every snapshot and the audit
    record's reference. One update at a time per process (409)."""
    source = _check(body)
    if not service.update_lock.acquire(blocking=False):
        raise ApiError(409, "an update is already running in this process")
    try:

        def work() -> list[dict[str, Any]]:
            results = _run_update(service, body)
            with contextlib.suppress(NoListsLoaded):
                service.refresh()  # (the watcher thread may have done it already)
            # re-screen the monitored books against what changed (errors are logged)
            routes_monitoring.after_update(service, [UpdateResult.from_dict(r) for r in results])
            return results

        results = await run_in_threadpool(work)
    finally:
        service.update_lock.release()
    activated = {r["dataset"]: r["snapshot"] for r in results if r["status"] == "activated"}
    details: dict[str, Any] = {"source": source, "results": results}
    if via:
        details["via"] = via
    entry = AuditEntry("list_update", actor, datasets=activated, details=details)
    recorded = await service.receipt(service.submit(entry))
    return results, recorded


def router(service: Service, auth: Authenticator) -> APIRouter:
    api = APIRouter(route_class=OrjsonRoute)
    admin = Depends(auth.require(Role.ADMIN))

    @api.post(
        "/admin/update",
        response_model=UpdateResponse,
        tags=["admin"],
        summary="Load new list snapshots, then swap the index in",
        description="The options of `tamiz update`: an offline `mirror`; one `dataset` "
        "with its `paths`; or `publishers: true` (official downloads). Paths are on the "
        "server. Runs in the background while requests are served from the current index; "
        "the new index is built in a separate process and swapped in atomically. Answers "
        "when done, with the outcome of every snapshot. One update at a time (409).",
    )
    async def update(body: UpdateRequest, who: Annotated[Principal, admin]) -> JSONResponse:
        results, recorded = await perform_update(service, body, who.actor)
        loaded = service.screener.current() if service.ready.is_set() else None
        served = loaded.snapshot_ids if loaded else {}
        activated = {r["dataset"]: r["snapshot"] for r in results if r["status"] == "activated"}
        swapped = bool(activated) and all(served.get(d) == s for d, s in activated.items())
        return JSONResponse(
            {
                "results": results,
                "swapped": swapped,
                "snapshots": served,
                "audit": recorded,
            }
        )

    @api.get(
        "/audit",
        response_model=AuditPage,
        tags=["admin"],
        summary="Audit records, newest first",
        description="Page backwards with `before_seq=next_before_seq`.",
    )
    async def audit_records(
        _who: Annotated[Principal, admin],
        limit: Annotated[int, Query(ge=1, le=1000)] = 50,
        before_seq: Annotated[int | None, Query(ge=1, le=2**62)] = None,
        action: Annotated[str | None, Query(max_length=40)] = None,
        actor: Annotated[str | None, Query(max_length=200)] = None,
        since: Annotated[str | None, Query(max_length=40, description="Date or date-time.")] = None,
        until: Annotated[str | None, Query(max_length=40, description="Date or date-time.")] = None,
    ) -> JSONResponse:
        start, end = parse_moment(since), parse_moment(until)
        records = await run_in_threadpool(
            lambda: audit.records(
                service.store,
                limit=limit,
                action=action,
                actor=actor,
                before_seq=before_seq,
                since=start,
                until=end,
            )
        )
        return JSONResponse(
            {
                "records": [r.to_dict() for r in records],
                "next_before_seq": records[-1].seq if len(records) == limit else None,
            }
        )

    @api.get(
        "/audit/verify",
        tags=["admin"],
        summary="Verify the audit trail's hash chain",
        description="Recomputes the whole chain. `ok: false` names the first bad record.",
    )
    async def audit_verify(_who: Annotated[Principal, admin]) -> JSONResponse:
        report = await run_in_threadpool(audit.verify, service.store)
        return JSONResponse({**report.to_dict(), "summary": report.summary()})

    @api.get(
        "/healthz",
        response_model=Health,
        tags=["health"],
        summary="The process is up (no key needed)",
    )
    async def healthz() -> JSONResponse:
        return JSONResponse({"status": "ok"})

    @api.get(
        "/readyz",
        response_model=Health,
        tags=["health"],
        summary="Ready to screen: index loaded, database reachable (no key needed)",
        responses={503: {"description": "Not ready; the message says why"}},
    )
    async def readyz() -> Any:
        problems = []
        if not service.ready.is_set():
            problems.append(f"index not loaded: {service.load_error or 'loading'}")
        db_ok, db_error = await run_in_threadpool(service.database_ok)
        if not db_ok:
            problems.append(f"database unreachable: {db_error}")
        writer = service.writer
        if writer is not None and not writer.healthy:
            problems.append(f"audit writer failing: {writer.last_error}")
        if problems:
            return error_response(
                503, "; ".join(problems), code="not_ready", headers={"Retry-After": "5"}
            )
        loaded = service.screener.current()
        doc: dict[str, Any] = {
            "status": "ready",
            "snapshots": loaded.snapshot_ids,
            "entities": len(loaded.index),
            "index_loaded_at": dt.datetime.fromtimestamp(loaded.loaded_at, dt.UTC).isoformat(),
        }
        if writer is not None:
            doc["audit_pending"] = writer.pending
        return JSONResponse(doc)

    return api
