"""The FastAPI application: ``create_app(settings | store, config=...)``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from tamiz import web
from tamiz.api import errors, routes_monitoring, routes_text
from tamiz.api.auth import Authenticator
from tamiz.api.config import ApiConfig
from tamiz.api.jsonio import JSONResponse
from tamiz.api.limits import BodySizeLimit
from tamiz.api.routes import admin, lookup, match, screen
from tamiz.api.service import Service
from tamiz.store import Settings, Store

DESCRIPTION = """\
Screen people, companies, vessels and aircraft against sanctions and designation lists.

**Authentication.** Every endpoint except `/healthz`, `/readyz` and these documentation pages
needs an API key (`tamiz keys create --name NAME --role reader|analyst|admin`), sent as
`Authorization: Bearer KEY` or `X-API-Key: KEY`. Missing or invalid key: 401. A role that
may not: 403 (only `admin` updates lists and reads the audit trail). Each key has a rate
limit (429 with `Retry-After`); request bodies are limited in size (413).

**Errors** always have the body `{"error": {"code": "...", "message": "..."}}` (plus
`details` for schema violations).

**Audit.** Every screening (`/match`, `/screen`, `/search`) is recorded in a hash-chained
audit trail before it is answered; `audit` in the response is the record's sequence number
and hash. When it cannot be recorded, the screening is refused with 503.

**Consistency.** A response names the list snapshots it used (`snapshots`); a list update
swaps the index atomically, so a response is never a mix of two versions.

**yente compatibility.** `POST /match/{dataset}` takes and returns OpenSanctions yente's
match shapes; tamiz adds fields. Divergences: `algorithm` accepts yente's names but tamiz's
matcher answers them all (the response's `matcher.name` says which); `cutoff` defaults to the
threshold (only results that are alerts are returned unless you lower it); `weights`,
`config` and `changed_since` are ignored; `topics` also matches sub-topics (`crime` matches
`crime.terror`); `properties` of results are FollowTheMoney properties of the party only
(sanctions are in `GET /entities/{id}`).
"""


def create_app(
    source: Settings | Store | None = None,
    *,
    config: ApiConfig | None = None,
) -> FastAPI:
    """The service over ``source`` (a store, or settings to open one; default: the
    environment, as ``tamiz serve`` workers do)."""
    config = config or ApiConfig.from_env()
    if isinstance(source, Store):
        store, owns = source, False
    else:
        store, owns = Store.open(source or Settings.from_env()), True
    service = Service(store, config, owns_store=owns)
    auth = Authenticator(service)

    @contextlib.asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.start()
        try:
            yield
        finally:
            service.stop()

    app = FastAPI(
        title="tamiz",
        version="0.1.0",
        description=DESCRIPTION,
        lifespan=lifespan,
        default_response_class=JSONResponse,
        responses=errors.ERROR_RESPONSES,
    )
    app.state.service = service
    errors.install(app)
    app.include_router(match.router(service, auth))
    app.include_router(screen.router(service, auth))
    app.include_router(lookup.router(service, auth))
    app.include_router(admin.router(service, auth))
    app.include_router(routes_text.router(service, auth))
    app.include_router(routes_monitoring.router(service, auth))
    web.install(app, service)  # the analyst console (/ui) and CDN-free /docs
    app.add_middleware(BodySizeLimit, max_bytes=config.max_body_bytes)
    return app


def create_app_from_env() -> FastAPI:
    """Factory for uvicorn workers (``tamiz serve``): everything from the environment."""
    return create_app()
