"""``/docs`` and ``/redoc`` without a CDN.

FastAPI's own documentation pages load Swagger UI and ReDoc from a CDN, so they stay blank
on a machine without internet access, which is where a screening service usually runs.
The same pages are served here with the assets shipped in the pinned ``fastapi-offline``
package (Swagger UI 5, which reads OpenAPI 3.1, and ReDoc), under ``/docs-assets``.
"""

from __future__ import annotations

from importlib import resources

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from starlette.responses import HTMLResponse
from starlette.routing import BaseRoute, Route
from starlette.staticfiles import StaticFiles

ASSETS = "/docs-assets"


def _assets_dir() -> str:
    return str(resources.files("fastapi_offline") / "static")


def _route_path(route: BaseRoute) -> str | None:
    return route.path if isinstance(route, Route) else None


def install(app: FastAPI) -> None:
    """Replace the CDN-backed documentation pages of ``app`` by local ones."""
    if not app.openapi_url:
        return
    replaced = {p for p in (app.docs_url, app.redoc_url) if p}
    app.router.routes[:] = [r for r in app.router.routes if _route_path(r) not in replaced]
    app.mount(ASSETS, StaticFiles(directory=_assets_dir()), name="docs-assets")
    openapi_url = app.openapi_url
    title = app.title

    if app.docs_url:

        async def swagger_ui(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "").rstrip("/")
            return get_swagger_ui_html(
                openapi_url=root + openapi_url,
                title=f"{title} - API documentation",
                oauth2_redirect_url=(root + app.swagger_ui_oauth2_redirect_url)
                if app.swagger_ui_oauth2_redirect_url
                else None,
                swagger_js_url=f"{root}{ASSETS}/swagger-ui-bundle.js",
                swagger_css_url=f"{root}{ASSETS}/swagger-ui.css",
                swagger_favicon_url=f"{root}{ASSETS}/favicon.png",
                swagger_ui_parameters=app.swagger_ui_parameters,
            )

        app.add_route(app.docs_url, swagger_ui, include_in_schema=False)

    if app.redoc_url:

        async def redoc(request: Request) -> HTMLResponse:
            root = request.scope.get("root_path", "").rstrip("/")
            return get_redoc_html(
                openapi_url=root + openapi_url,
                title=f"{title} - API reference",
                redoc_js_url=f"{root}{ASSETS}/redoc.standalone.js",
                redoc_favicon_url=f"{root}{ASSETS}/favicon.png",
                with_google_fonts=False,
            )

        app.add_route(app.redoc_url, redoc, include_in_schema=False)
