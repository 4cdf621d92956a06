"""The Typer application; command modules register themselves on ``app``."""

from __future__ import annotations

import typer

app = typer.Typer(
    name="tamiz",
    help="Screen people, companies, vessels, payments and text against sanctions lists.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
