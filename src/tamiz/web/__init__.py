"""The analyst web console, served by ``tamiz serve`` next to the API (``/ui``).

Mount it with ``tamiz.web.install(app, service)``: the console pages, their static files,
and local (CDN-free) ``/docs`` and ``/redoc`` pages.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from starlette.responses import Response
from starlette.staticfiles import StaticFiles

from tamiz.api.service import Service
from tamiz.web import docs, routes
from tamiz.web.access import PREFIX, Console, ConsoleError, LoginRequired, login_redirect

__all__ = ["PREFIX", "install"]


def install(app: FastAPI, service: Service) -> Console:
    """Mount the console on ``app`` (the API app of ``service``)."""
    console = Console(service)

    async def login_required(_request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(exc.next_url)

    async def console_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ConsoleError)
        who = await console.user(request)
        return console.render(
            request,
            "error.html",
            {"status": exc.status, "message": exc.message},
            user=who,
            status=exc.status,
            headers=exc.headers,
        )

    app.add_exception_handler(LoginRequired, login_required)
    app.add_exception_handler(ConsoleError, console_error)
    app.mount(
        f"{PREFIX}/static",
        StaticFiles(packages=[("tamiz.web", "static")]),
        name="console-static",
    )
    app.include_router(routes.router(console, service))

    async def root(_request: Request) -> Response:
        return console.redirect(f"{PREFIX}/search")

    app.add_route("/", root, include_in_schema=False)
    docs.install(app)
    app.state.console = console
    return console
