"""The console's pages under ``/ui``: log in, search, entity, lists, alerts, audit.

Thin handlers: screening goes through the API's helpers (``tamiz.api.screening``) and its
audit records through ``tamiz.screen.audit``; alerts through ``tamiz.store.cases``; list
updates through the admin route's update job. Every state-changing form is a POST with the
session's CSRF token.
"""

# No ``from __future__ import annotations``: FastAPI reads the ``Annotated`` dependencies
# below at definition time, and they refer to variables local to ``router()``.
import datetime as dt
import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, Response

from tamiz.api.auth import client_address
from tamiz.api.errors import ApiError
from tamiz.api.models import UpdateRequest
from tamiz.api.routes import admin as admin_routes
from tamiz.api.routes.lookup import SEARCH_THRESHOLD
from tamiz.api.screening import (
    ResultFilter,
    dataset_scope,
    fetch_entities,
    loaded_index,
    result_ids,
    screen_queries,
)
from tamiz.api.service import Service
from tamiz.match import DEFAULT_THRESHOLD, QueryError
from tamiz.match import Query as MatchQuery
from tamiz.model import Schema
from tamiz.screen.audit import BatchItem, batch_entry
from tamiz.store import StoreError, audit, cases
from tamiz.store.audit import ACTIONS, AuditEntry
from tamiz.store.keys import Role, verifier
from tamiz.web import views
from tamiz.web.access import (
    ANONYMOUS_KEY,
    PREFIX,
    Console,
    ConsoleError,
    ConsoleUser,
    login_cookie_name,
    safe_next,
    session_cookie_name,
)
from tamiz.web.explain import HOW_LABELS, explanation_view
from tamiz.web.graph import grouped

SEARCH_RESULTS = 20
MAX_FIELD = 1000
LOGIN_FORM_SECONDS = 3600


def _set_cookie(response: Response, request: Request, name: str, value: str, age: int) -> None:
    response.set_cookie(
        name,
        value,
        max_age=age,
        path="/",
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )


def _clean(value: str, label: str, limit: int = MAX_FIELD) -> str:
    value = (value or "").strip()
    if len(value) > limit:
        raise ConsoleError(400, f"{label} is longer than {limit} characters.")
    return value


def router(console: Console, service: Service) -> APIRouter:
    ui = APIRouter(prefix=PREFIX, include_in_schema=False, default_response_class=HTMLResponse)
    reader = Depends(console.require(Role.READER))
    analyst = Depends(console.require(Role.ANALYST))
    admin = Depends(console.require(Role.ADMIN))
    store = service.store
    diffs = views.DiffCache()

    # -- log in / out ---------------------------------------------------------------------

    def login_form(
        request: Request, next_url: str, *, message: str = "", error: str = "", status: int = 200
    ) -> Response:
        nonce = secrets.token_urlsafe(18)
        response = console.render(
            request,
            "login.html",
            {
                "next": next_url,
                "csrf": console.signer.csrf_token("login:" + nonce),
                "message": message,
                "error": error,
            },
            status=status,
        )
        _set_cookie(response, request, login_cookie_name(request), nonce, LOGIN_FORM_SECONDS)
        return response

    @ui.get("/login")
    async def login_page(request: Request, next: str = "", out: str = "") -> Response:
        target = safe_next(next)
        if not console.auth:  # no keys: everyone is the anonymous administrator
            _session, cookie = console.signer.issue(ANONYMOUS_KEY)
            response = console.redirect(target)
            _set_cookie(
                response, request, session_cookie_name(request), cookie, console.signer.lifetime
            )
            return response
        if await console.user(request) is not None:
            return console.redirect(target)
        return login_form(request, target, message="You are logged out." if out else "")

    @ui.post("/login")
    async def login(
        request: Request,
        key: Annotated[str, Form(max_length=200)] = "",
        next: Annotated[str, Form(max_length=2000)] = "",
        csrf: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        target = safe_next(next)
        nonce = request.cookies.get(login_cookie_name(request))
        if not console.auth:
            return console.redirect(f"{PREFIX}/login")
        if not nonce or not console.signer.csrf_ok("login:" + nonce, csrf):
            return login_form(
                request, target, error="The login form expired; please try again.", status=400
            )
        info = await run_in_threadpool(verifier(store).authenticate, key.strip())
        if info is None:
            wait = service.auth_failures.take(f"ip:{client_address(request)}")
            if wait:
                raise ConsoleError(
                    429,
                    "Too many failed log-ins from this address; wait a moment and retry.",
                    headers={"Retry-After": service.auth_failures.retry_after(wait)},
                )
            return login_form(
                request, target, error="That key is not valid or has been revoked.", status=401
            )
        _session, cookie = console.signer.issue(info.id)
        console.forget_key(info.id)
        response = console.redirect(target)
        _set_cookie(
            response, request, session_cookie_name(request), cookie, console.signer.lifetime
        )
        response.delete_cookie(login_cookie_name(request), path="/")
        console.record(
            AuditEntry(
                "console_login",
                info.actor,
                details={
                    "key_id": info.id,
                    "role": info.role.value,
                    "client": client_address(request),
                },
            )
        )
        return response

    @ui.post("/logout")
    async def logout(request: Request, csrf: Annotated[str, Form(max_length=200)] = "") -> Response:
        who = await console.user(request)
        if who is not None:
            console.check_csrf(request, who, csrf)
            console.signer.end(who.session)
            if console.auth:
                console.record(
                    AuditEntry(
                        "console_logout",
                        who.actor,
                        details={
                            "key_id": who.session.key_id,
                            "client": client_address(request),
                        },
                    )
                )
        response = console.redirect(f"{PREFIX}/login?out=1")
        response.delete_cookie(session_cookie_name(request), path="/")
        return response

    @ui.get("")
    @ui.get("/")
    async def home() -> Response:
        return console.redirect(f"{PREFIX}/search")

    # -- search ---------------------------------------------------------------------------

    @ui.get("/search")
    async def search(
        request: Request,
        who: Annotated[ConsoleUser, reader],
        q: str = "",
        dob: str = "",
        country: str = "",
        schema: str = "",
        dataset: str = "",
    ) -> Response:
        form = {
            "q": _clean(q, "The name"),
            "dob": _clean(dob, "The date of birth", 40),
            "country": _clean(country, "The country", 100),
            "schema": _clean(schema, "The type", 40),
            "dataset": _clean(dataset, "The list", 100),
        }
        context: dict[str, Any] = {
            "form": form,
            "schemas": [s.value for s in Schema if s is not Schema.THING],
            "datasets": sorted(service.screener.current().snapshots)
            if service.ready.is_set()
            else [],
            "results": None,
            "error": "",
            "recorded": None,
            "snapshots": {},
            "threshold": DEFAULT_THRESHOLD,
            "how_labels": HOW_LABELS,
        }
        status = 200
        if form["q"]:
            try:
                context.update(await _screen(who, form))
            except QueryError as exc:
                context["error"], status = str(exc), 400
            except ApiError as exc:
                context["error"], status = exc.message, exc.status
        return console.render(request, "search.html", context, user=who, status=status)

    async def _screen(who: ConsoleUser, form: dict[str, str]) -> dict[str, Any]:
        query = MatchQuery(
            names=(form["q"],),
            schema=form["schema"] or None,
            birth_dates=(form["dob"],) if form["dob"] else (),
            countries=(form["country"],) if form["country"] else (),
        )
        loaded = await loaded_index(service, None)
        scope = dataset_scope(loaded, form["dataset"] or None)
        snapshots = {ds: loaded.snapshot_ids[ds] for ds in scope}
        [item] = await run_in_threadpool(
            screen_queries,
            service.screener,
            loaded,
            [("q", query)],
            scope=scope,
            cutoff=SEARCH_THRESHOLD,
            limit=SEARCH_RESULTS,
            filters=ResultFilter(),
        )
        entities = await fetch_entities(service, snapshots, result_ids([item]))
        details: dict[str, Any] = {"endpoint": f"{PREFIX}/search", "limit": SEARCH_RESULTS}
        if form["dataset"]:
            details["dataset"] = form["dataset"]
        entry = batch_entry(
            "search",
            who.actor,
            [BatchItem("q", query.to_dict(), item.results)],
            snapshots=snapshots,
            threshold=SEARCH_THRESHOLD,
            details=details,
        )
        # as over the API: a search that cannot be recorded is not answered
        recorded = await service.receipt(service.submit(entry))
        results = []
        for rank, r in enumerate(item.results, 1):
            listed = entities.get(r.entity_id)
            results.append(
                {
                    "rank": rank,
                    "id": r.entity_id,
                    "caption": listed.entity.caption if listed else r.caption,
                    "schema": r.schema,
                    "dataset": r.entity_id.split(":", 1)[0],
                    "programs": list(listed.entity.programs if listed else r.programs),
                    "topics": list(listed.topics) if listed else [],
                    "score": r.score,
                    "alert": r.score >= DEFAULT_THRESHOLD,
                    "explanation": explanation_view(r.explanation.to_dict()),
                }
            )
        return {"results": results, "recorded": recorded, "snapshots": snapshots}

    # -- entity ---------------------------------------------------------------------------

    @ui.get("/entities/{entity_id:path}")
    async def entity(
        request: Request,
        who: Annotated[ConsoleUser, reader],
        entity_id: str,
        as_of: str = "",
    ) -> Response:
        day = None
        if as_of.strip():
            try:
                day = dt.date.fromisoformat(as_of.strip())
            except ValueError:
                raise ConsoleError(
                    400, f"as_of {as_of[:40]!r} is not a date (YYYY-MM-DD)."
                ) from None
        if not entity_id or len(entity_id) > 300:
            raise ConsoleError(404, "No such entity.")
        try:
            page = await run_in_threadpool(views.entity_page, store, entity_id, day)
        except StoreError as exc:
            raise ConsoleError(404, str(exc)) from None
        return console.render(
            request,
            "entity.html",
            {
                "page": page,
                "e": page.record.entity,
                "as_of": day,
                "country_label": views.country_label,
                "date_label": views.date_label,
                "relation_groups": grouped,
            },
            user=who,
        )

    # -- lists ----------------------------------------------------------------------------

    async def lists_context() -> dict[str, Any]:
        served = service.screener.current().snapshot_ids if service.ready.is_set() else {}
        rows, feed = await run_in_threadpool(views.lists_page, store, diffs, served)
        return {
            "rows": rows,
            "feed": feed,
            "served": served,
            "update_results": None,
            "update_error": "",
            "update_form": {"source": "mirror", "mirror": "", "datasets": ""},
        }

    @ui.get("/lists")
    async def lists(request: Request, who: Annotated[ConsoleUser, reader]) -> Response:
        return console.render(request, "lists.html", await lists_context(), user=who)

    @ui.get("/lists/{dataset}/changes/{snapshot}")
    async def changes(
        request: Request, who: Annotated[ConsoleUser, reader], dataset: str, snapshot: str
    ) -> Response:
        try:
            page = await run_in_threadpool(views.changes_page, store, diffs, dataset, snapshot)
        except StoreError as exc:
            raise ConsoleError(404, str(exc)) from None
        return console.render(
            request, "changes.html", {"page": page, "shown": views.CHANGE_IDS_SHOWN}, user=who
        )

    @ui.post("/lists/update")
    async def update_lists(
        request: Request,
        who: Annotated[ConsoleUser, admin],
        csrf: Annotated[str, Form(max_length=200)] = "",
        source: Annotated[str, Form(max_length=20)] = "mirror",
        mirror: Annotated[str, Form(max_length=1000)] = "",
        datasets: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        console.check_csrf(request, who, csrf)
        names = [d for d in datasets.replace(",", " ").split() if d]
        form = {"source": source, "mirror": mirror.strip(), "datasets": " ".join(names)}
        error, results, status = "", None, 200
        try:
            if source not in ("mirror", "publishers"):
                raise ApiError(400, "choose where the lists come from")
            if source == "mirror" and not form["mirror"]:
                raise ApiError(400, "give the mirror directory (a folder on the server)")
            body = UpdateRequest(
                mirror=form["mirror"] if source == "mirror" else None,
                publishers=source == "publishers",
                datasets=names or None,
            )
            results = await _update(who, body)
        except ApiError as exc:
            error, status = exc.message, exc.status
        context = await lists_context()
        context.update(update_results=results, update_error=error, update_form=form)
        return console.render(request, "lists.html", context, user=who, status=status)

    async def _update(who: ConsoleUser, body: UpdateRequest) -> list[dict[str, Any]]:
        results, _ = await admin_routes.perform_update(
            service, body, who.actor, via=f"{PREFIX}/lists"
        )
        return results

    # -- alerts ---------------------------------------------------------------------------

    @ui.get("/alerts")
    async def alerts(
        request: Request,
        who: Annotated[ConsoleUser, reader],
        status: str = "backlog",
        book: str = "",
        changed: str = "",
        sort: str = "-score",
        page: str = "1",
    ) -> Response:
        filters, problems = views.queue_filters(status, book, changed, sort, page)
        data = await run_in_threadpool(views.queue_page, store, filters)
        return console.render(
            request,
            "alerts.html",
            {
                "f": filters,
                "data": data,
                "problems": problems,
                "status_filters": views.STATUS_FILTERS,
                "sort_options": views.SORT_OPTIONS,
                "page_size": views.ALERTS_PAGE,
            },
            user=who,
        )

    async def render_alert(
        request: Request,
        who: ConsoleUser,
        alert_id: int,
        *,
        error: str = "",
        chosen: str = "",
        reason: str = "",
        status: int = 200,
    ) -> Response:
        try:
            page = await run_in_threadpool(views.alert_page, store, alert_id)
        except cases.CaseError as exc:
            raise ConsoleError(404, str(exc)) from None
        done = request.query_params.get("done", "")
        seq = request.query_params.get("seq", "")
        return console.render(
            request,
            "alert.html",
            {
                "page": page,
                "a": page.alert,
                "error": error,
                "chosen": chosen,
                "reason": reason,
                "done": done if done in ("decision", "proposal", "confirmation") else "",
                "seq": seq if seq.isdigit() else "",
                "closed": page.alert.status == cases.CLOSED,
                "four_eyes": bool(page.book and page.book.effective_four_eyes),
                "how_labels": HOW_LABELS,
            },
            user=who,
            status=status,
        )

    @ui.get("/alerts/{alert_id}")
    async def alert(
        request: Request, who: Annotated[ConsoleUser, reader], alert_id: str
    ) -> Response:
        if not alert_id.isdigit() or len(alert_id) > 18:
            raise ConsoleError(404, f"No alert {alert_id[:40]!r}.")
        return await render_alert(request, who, int(alert_id))

    @ui.post("/alerts/{alert_id}/decision")
    async def decide(
        request: Request,
        who: Annotated[ConsoleUser, analyst],
        alert_id: str,
        csrf: Annotated[str, Form(max_length=200)] = "",
        status: Annotated[str, Form(max_length=40)] = "",
        reason: Annotated[str, Form(max_length=4000)] = "",
    ) -> Response:
        console.check_csrf(request, who, csrf)
        if not alert_id.isdigit() or len(alert_id) > 18:
            raise ConsoleError(404, f"No alert {alert_id[:40]!r}.")
        number = int(alert_id)
        if status not in cases.DECISIONS:
            return await render_alert(
                request, who, number, error="Choose a decision.", reason=reason, status=400
            )
        if not reason.strip():
            return await render_alert(
                request,
                who,
                number,
                error="A decision needs a reason.",
                chosen=status,
                status=400,
            )
        try:
            result = await run_in_threadpool(
                lambda: cases.decide(store, number, status, reason, who.actor, actor=who.actor)
            )
        except cases.FourEyesError as exc:
            return await render_alert(
                request, who, number, error=str(exc), chosen=status, reason=reason, status=409
            )
        except cases.CaseError as exc:
            if str(exc).startswith("no alert"):
                raise ConsoleError(404, str(exc)) from None
            return await render_alert(
                request, who, number, error=str(exc), chosen=status, reason=reason, status=400
            )
        return console.redirect(
            f"{PREFIX}/alerts/{number}?done={result.event.kind}&seq={result.audit_seq}"
        )

    # -- audit ----------------------------------------------------------------------------

    async def audit_context(action: str, actor: str, before: str) -> dict[str, Any]:
        before_seq = int(before) if before.isdigit() and len(before) < 19 else None
        records = await run_in_threadpool(
            lambda: audit.records(
                store,
                limit=views.AUDIT_PAGE,
                action=action or None,
                actor=actor or None,
                before_seq=before_seq,
            )
        )
        return {
            "records": records,
            "summary": views.audit_summary,
            "pretty": views.pretty_json,
            "actions": views.audit_actions(ACTIONS),
            "filters": {"action": action, "actor": actor},
            "before": before_seq,
            "older": records[-1].seq if len(records) == views.AUDIT_PAGE else None,
            "report": None,
        }

    @ui.get("/audit")
    async def audit_page(
        request: Request,
        who: Annotated[ConsoleUser, admin],
        action: str = "",
        actor: str = "",
        before: str = "",
    ) -> Response:
        context = await audit_context(
            _clean(action, "The action", 40), _clean(actor, "The actor", 200), before
        )
        return console.render(request, "audit.html", context, user=who)

    @ui.post("/audit/verify")
    async def audit_verify(
        request: Request,
        who: Annotated[ConsoleUser, admin],
        csrf: Annotated[str, Form(max_length=200)] = "",
    ) -> Response:
        console.check_csrf(request, who, csrf)
        report = await run_in_threadpool(audit.verify, store)
        if console.wants_fragment(request):
            return console.render(request, "_verify.html", {"report": report}, user=who)
        context = await audit_context("", "", "")
        context["report"] = report
        return console.render(request, "audit.html", context, user=who)

    # -- anything else under /ui ----------------------------------------------------------

    @ui.get("/{rest:path}")
    async def not_found(rest: str) -> Response:
        raise ConsoleError(404, "There is no such page.")

    return ui
