"""``tamiz serve``: the HTTP API under uvicorn."""

from __future__ import annotations

import ipaddress
import os
import socket
from typing import Annotated

import typer

from tamiz.cli.app import app
from tamiz.cli.common import err_console, fail, open_store


def is_loopback(host: str) -> bool:
    """True only if every address ``host`` stands for is a loopback address."""
    text = host.strip().strip("[]")
    if text.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(text).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(text, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(
        ipaddress.ip_address(a.split("%", 1)[0]).is_loopback for a in addresses
    )


@app.command()
def serve(
    host: Annotated[str, typer.Option(help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    no_auth: Annotated[
        bool,
        typer.Option(
            "--no-auth",
            help="No API keys (every caller is an anonymous admin); loopback addresses only.",
        ),
    ] = False,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve the HTTP API (OpenAPI at /openapi.json, documentation at /docs).

    Every worker loads the compiled index from the cache under TAMIZ_HOME, which this
    command builds first if needed. Service options come from TAMIZ_API_* variables
    (rate limit, body size, audit; see tamiz.api.config).
    """
    import uvicorn

    from tamiz.api.config import ApiConfig
    from tamiz.api.indexbuild import build_lock
    from tamiz.api.workers import APP, supervise
    from tamiz.screen import NoListsLoaded, Screener
    from tamiz.store.keys import list_keys

    if no_auth and not is_loopback(host):
        fail(
            f"refusing to serve {host} without authentication: --no-auth is for loopback "
            "addresses (127.0.0.1, ::1, localhost) only"
        )
    try:
        config = ApiConfig.from_env(auth=not no_auth)
    except ValueError as exc:
        fail(str(exc))
    store = open_store()
    try:
        if config.auth and not list_keys(store, include_revoked=False):
            err_console.print(
                "[yellow]warning:[/] no active API key: every request will get 401. "
                "Create one with `tamiz keys create --name NAME --role reader`."
            )
        # Build (or check) the index cache once, so that every worker only loads it.
        try:
            with build_lock(store.settings.index_dir):
                Screener(store).current()
        except NoListsLoaded:
            err_console.print(
                "[yellow]warning:[/] no list is loaded: /readyz answers 503 until "
                "`tamiz update` (or POST /admin/update) loads one."
            )
        settings = store.settings
    finally:
        store.close()
    # Workers are separate processes: they read their settings from the environment.
    os.environ.update(config.to_env())
    os.environ["TAMIZ_HOME"] = str(settings.home)
    os.environ["TAMIZ_DATABASE_URL"] = settings.database_url
    err_console.print(
        f"tamiz API on http://{host}:{port} ({workers} worker{'s' if workers > 1 else ''}"
        f"{', NO AUTHENTICATION' if no_auth else ''})"
    )
    options = {"log_level": log_level, "access_log": False, "timeout_graceful_shutdown": 30}
    if workers == 1:
        uvicorn.run(APP, factory=True, host=host, port=port, **options)
        return
    try:
        status = supervise(host, port, workers, options)
    except OSError as exc:
        fail(f"cannot listen on {host}:{port}: {exc}", code=1)
    if status:
        raise typer.Exit(status)
