"""Monitoring and alert review over HTTP: ``/monitor/…`` and ``/alerts/…``.

Mount with ``app.include_router(routes_monitoring.router(service, auth))``. Roles: reading
is ``reader``; adding/removing parties and deciding alerts is ``analyst``; book settings and
a full pass are ``admin``. The analyst of a decision is the API key (``key:<name>``), so
four-eyes over the API means two different keys.

After an update that activated snapshots (``POST /admin/update``), call
:func:`after_update` with the update results: it runs the incremental monitoring pass.
"""

# No ``from __future__ import annotations``: FastAPI reads the ``Annotated`` dependencies
# below at definition time, and they refer to variables local to ``router()``.
import datetime as dt
import logging
import threading
import weakref
from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from tamiz.api.auth import Authenticator, Principal
from tamiz.api.errors import ApiError
from tamiz.api.jsonio import JSONResponse, OrjsonRoute
from tamiz.api.service import Service
from tamiz.match import Query as MatchQuery
from tamiz.match import QueryError
from tamiz.screen import NoListsLoaded
from tamiz.screen.monitor import Monitor
from tamiz.store import UpdateResult, cases
from tamiz.store.cases import CaseError, FourEyesError, PartyInput, RunResult
from tamiz.store.keys import Role

log = logging.getLogger("tamiz.api.monitoring")

MAX_PARTIES = 10_000
# Offsets and ids beyond a 64-bit integer column cannot exist; refuse them with a 422.
MAX_ROW_NUMBER = 2**62

_MONITORS: "weakref.WeakKeyDictionary[Service, Monitor]" = weakref.WeakKeyDictionary()
_MONITORS_LOCK = threading.Lock()
# One pass at a time per process: passes write the same alerts.
_PASS_LOCK = threading.Lock()


def monitor_for(service: Service) -> Monitor:
    """The service's Monitor (one per process: it caches the party index). Never forks:
    a threaded server must not start process pools."""
    with _MONITORS_LOCK:
        monitor = _MONITORS.get(service)
        if monitor is None:
            monitor = Monitor.from_env(service.store, service.screener, workers=1)
            _MONITORS[service] = monitor
        return monitor


def after_update(service: Service, results: Sequence[UpdateResult]) -> list[RunResult]:
    """Incremental monitoring after an update (call it after ``service.refresh()``, from a
    worker thread). Errors are logged, not raised: the update itself has succeeded and
    ``POST /monitor/run`` catches up."""
    try:
        with _PASS_LOCK:
            return monitor_for(service).after_update(results)
    except Exception:
        log.exception("incremental monitoring after the update failed")
        return []


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="forbid")


class PartyBody(_Model):
    party_id: str = Field(..., min_length=1, max_length=200, description="Your own id.")
    names: list[str] = Field(..., min_length=1, max_length=50)
    schema_: str | None = Field(None, alias="schema", max_length=40)
    birth_dates: list[str] = Field(default_factory=list, max_length=20)
    countries: list[str] = Field(default_factory=list, max_length=20)
    identifiers: list[str] = Field(default_factory=list, max_length=20)
    gender: str | None = Field(None, max_length=10)
    record: dict[str, Any] | None = Field(None, description="Your record, kept for display.")


class AddPartiesRequest(_Model):
    book: str = Field(cases.DEFAULT_BOOK, min_length=1, max_length=100)
    parties: list[PartyBody] = Field(..., min_length=1, max_length=MAX_PARTIES)
    screen: bool = Field(True, description="Screen new and changed parties now.")


class RemovePartiesRequest(_Model):
    book: str = Field(cases.DEFAULT_BOOK, min_length=1, max_length=100)
    party_ids: list[str] = Field(..., min_length=1, max_length=MAX_PARTIES)


class BookRequest(_Model):
    include_topics: list[str] | None = Field(None, max_length=50)
    exclude_topics: list[str] | None = Field(None, max_length=50)
    datasets: list[str] | None = Field(None, max_length=100)
    threshold: float | None = Field(None, gt=0.0, le=1.0)
    four_eyes: bool | None = None


class DecisionRequest(_Model):
    status: str = Field(..., description="false_positive, true_match or escalated.")
    reason: str = Field(..., min_length=1, max_length=4000)
    analyst: str | None = Field(
        None, max_length=200, description="Only without authentication; else the API key."
    )


def _case_error(exc: CaseError) -> ApiError:
    if isinstance(exc, FourEyesError):
        return ApiError(409, str(exc), code="four_eyes")
    if str(exc).startswith(("no alert", "no party", "no book")):
        return ApiError(404, str(exc))
    return ApiError(400, str(exc))


def _party_input(body: PartyBody) -> PartyInput:
    try:
        query = MatchQuery(
            names=tuple(body.names),
            schema=body.schema_,
            birth_dates=tuple(body.birth_dates),
            countries=tuple(body.countries),
            identifiers=tuple(body.identifiers),
            gender=body.gender,
        )
    except QueryError as exc:
        raise ApiError(400, f"party {body.party_id!r}: {exc}") from None
    return PartyInput(body.party_id, query.to_dict(), body.record)


def router(service: Service, auth: Authenticator) -> APIRouter:
    api = APIRouter(route_class=OrjsonRoute)
    reader = Depends(auth.require(Role.READER))
    analyst = Depends(auth.require(Role.ANALYST))
    admin = Depends(auth.require(Role.ADMIN))

    # -- books and parties ---------------------------------------------------------------

    @api.get("/monitor/books", tags=["monitoring"], summary="Books of monitored parties")
    async def list_books(_who: Annotated[Principal, reader]) -> JSONResponse:
        books = await run_in_threadpool(cases.books, service.store)
        return JSONResponse({"books": [b.to_dict() for b in books]})

    @api.put(
        "/monitor/books/{name}",
        tags=["monitoring"],
        summary="Create a book or change its settings",
        description="Fields left out keep their value; `null` clears a filter. Topic "
        "filters use FollowTheMoney topics and match sub-topics (`crime` matches "
        "`crime.terror`). They apply from the next pass.",
    )
    async def put_book(
        body: BookRequest,
        _who: Annotated[Principal, admin],
        name: Annotated[str, Path(min_length=1, max_length=100)],
    ) -> JSONResponse:
        changes = body.model_dump(exclude_unset=True)
        try:
            book = await run_in_threadpool(
                lambda: cases.configure_book(service.store, name, **changes)
            )
        except CaseError as exc:
            raise _case_error(exc) from None
        return JSONResponse(book.to_dict())

    @api.get("/monitor/parties", tags=["monitoring"], summary="Monitored parties")
    async def list_parties(
        _who: Annotated[Principal, reader],
        book: Annotated[str | None, Query(max_length=100)] = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_ROW_NUMBER)] = 0,
        removed: bool = False,
    ) -> JSONResponse:
        parties = await run_in_threadpool(
            lambda: cases.list_parties(
                service.store, book, include_removed=removed, limit=limit, offset=offset
            )
        )
        return JSONResponse({"parties": [p.to_dict() for p in parties]})

    @api.post(
        "/monitor/parties",
        tags=["monitoring"],
        summary="Add or update parties of a book",
        description=f"Up to {MAX_PARTIES:,} parties. A known `party_id` is updated; a party "
        "whose data changed re-opens its accepted (false positive) alerts. New and changed "
        "parties are screened at once unless `screen` is false.",
    )
    async def add_parties(
        body: AddPartiesRequest, who: Annotated[Principal, analyst]
    ) -> JSONResponse:
        parties = [_party_input(p) for p in body.parties]

        def work():  # type: ignore[no-untyped-def]
            with _PASS_LOCK:
                return monitor_for(service).add(
                    body.book, parties, screen=body.screen, actor=who.actor
                )

        try:
            result = await run_in_threadpool(work)
        except CaseError as exc:
            raise _case_error(exc) from None
        except NoListsLoaded as exc:
            raise ApiError(503, str(exc), code="not_ready") from None
        return JSONResponse({"book": body.book, **result.to_dict()})

    @api.post(
        "/monitor/parties/remove",
        tags=["monitoring"],
        summary="Stop monitoring parties",
        description="Their alerts waiting for review are closed; history is kept.",
    )
    async def remove_parties(
        body: RemovePartiesRequest, who: Annotated[Principal, analyst]
    ) -> JSONResponse:
        removed, closed = await run_in_threadpool(
            lambda: cases.remove_parties(service.store, body.book, body.party_ids, actor=who.actor)
        )
        return JSONResponse({"book": body.book, "removed": removed, "alerts_closed": closed})

    @api.post(
        "/monitor/run",
        tags=["monitoring"],
        summary="Full pass: every party against the active lists",
        description="Answers when done. One pass at a time per process (409).",
    )
    async def run_full(_who: Annotated[Principal, admin]) -> JSONResponse:
        if not _PASS_LOCK.acquire(blocking=False):
            raise ApiError(409, "a monitoring pass is already running in this process")
        try:

            def work() -> RunResult:
                monitor = monitor_for(service)
                run = monitor.run_full()
                monitor.refresh_party_index()
                return run

            run = await run_in_threadpool(work)
        except NoListsLoaded as exc:
            raise ApiError(503, str(exc), code="not_ready") from None
        finally:
            _PASS_LOCK.release()
        return JSONResponse(run.to_dict())

    @api.get("/monitor/runs", tags=["monitoring"], summary="Recent passes, newest first")
    async def list_runs(
        _who: Annotated[Principal, reader], limit: Annotated[int, Query(ge=1, le=500)] = 20
    ) -> JSONResponse:
        rows = await run_in_threadpool(lambda: cases.runs(service.store, limit=limit))
        return JSONResponse({"runs": rows})

    # -- alerts --------------------------------------------------------------------------

    @api.get(
        "/alerts",
        tags=["alerts"],
        summary="Alerts, filtered and sorted",
        description="Each alert has at least `id`, `party_id`, `entity_id`, `score`, "
        "`status`, `snapshot`, `changed`. Repeat `status` for several.",
    )
    async def list_alerts(
        _who: Annotated[Principal, reader],
        status: Annotated[list[str] | None, Query()] = None,
        book: Annotated[str | None, Query(max_length=100)] = None,
        changed: bool | None = None,
        entity_id: Annotated[str | None, Query(max_length=200)] = None,
        party_id: Annotated[str | None, Query(max_length=200)] = None,
        sort: Annotated[str, Query(description=", ".join(cases.SORTS))] = "id",
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        offset: Annotated[int, Query(ge=0, le=MAX_ROW_NUMBER)] = 0,
    ) -> JSONResponse:
        try:
            alerts = await run_in_threadpool(
                lambda: cases.list_alerts(
                    service.store,
                    status=status,
                    book=book,
                    changed=changed,
                    entity_id=entity_id,
                    party_id=party_id,
                    sort=sort,
                    limit=limit,
                    offset=offset,
                )
            )
        except CaseError as exc:
            raise _case_error(exc) from None
        return JSONResponse({"alerts": [a.to_dict() for a in alerts]})

    @api.get(
        "/alerts/summary",
        tags=["alerts"],
        summary="Daily summary",
        description="New alerts, decisions, list updates and monitoring runs of a day "
        "(UTC), and the backlog by book and status at the end of it.",
    )
    async def summary(
        _who: Annotated[Principal, reader],
        date: Annotated[dt.date | None, Query(description="YYYY-MM-DD; default today.")] = None,
    ) -> JSONResponse:
        day = date or dt.datetime.now(dt.UTC).date()
        data = await run_in_threadpool(cases.daily_summary, service.store, day)
        return JSONResponse(data)

    @api.get(
        "/alerts/webhooks",
        tags=["alerts"],
        summary="Webhook messages and their delivery attempts",
    )
    async def webhooks(
        _who: Annotated[Principal, admin],
        status: Annotated[str | None, Query(pattern="^(pending|delivered|failed)$")] = None,
    ) -> JSONResponse:
        def work() -> list[dict[str, Any]]:
            rows = cases.deliveries(service.store, status=status)
            return [
                {**d.to_dict(), "attempts_log": cases.delivery_attempts(service.store, d.id)}
                for d in rows
            ]

        return JSONResponse({"deliveries": await run_in_threadpool(work)})

    @api.get(
        "/alerts/{alert_id}",
        tags=["alerts"],
        summary="One alert: party, list entry, explanation, history",
    )
    async def get_alert(
        _who: Annotated[Principal, reader], alert_id: Annotated[int, Path(ge=1, le=MAX_ROW_NUMBER)]
    ) -> JSONResponse:
        def work() -> dict[str, Any]:
            alert = cases.get_alert(service.store, alert_id)
            return {
                **alert.to_dict(explanation=True),
                "party": cases.alert_party(service.store, alert_id).to_dict(),
                "history": [e.to_dict() for e in cases.alert_history(service.store, alert_id)],
            }

        try:
            return JSONResponse(await run_in_threadpool(work))
        except CaseError as exc:
            raise _case_error(exc) from None

    @api.get("/alerts/{alert_id}/history", tags=["alerts"], summary="History of an alert")
    async def history(
        _who: Annotated[Principal, reader], alert_id: Annotated[int, Path(ge=1, le=MAX_ROW_NUMBER)]
    ) -> JSONResponse:
        try:
            events = await run_in_threadpool(cases.alert_history, service.store, alert_id)
        except CaseError as exc:
            raise _case_error(exc) from None
        return JSONResponse({"history": [e.to_dict() for e in events]})

    @api.post(
        "/alerts/{alert_id}/decision",
        tags=["alerts"],
        summary="Decide an alert",
        description="`false_positive` (accept list: suppressed until the party's data or "
        "the list entry changes), `true_match` or `escalated`, with a reason; recorded in the "
        "alert's history and the audit trail. Under four-eyes a `true_match` waits "
        "(`pending_true_match`) for a `true_match` by a different key; the same key "
        "confirming gets 409.",
    )
    async def decide(
        body: DecisionRequest,
        who: Annotated[Principal, analyst],
        alert_id: Annotated[int, Path(ge=1, le=MAX_ROW_NUMBER)],
    ) -> JSONResponse:
        name = who.actor
        if not service.config.auth and body.analyst:
            name = body.analyst
        try:
            result = await run_in_threadpool(
                lambda: cases.decide(
                    service.store, alert_id, body.status, body.reason, name, actor=who.actor
                )
            )
        except CaseError as exc:
            raise _case_error(exc) from None
        return JSONResponse(result.to_dict())

    return api
