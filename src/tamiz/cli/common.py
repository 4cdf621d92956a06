"""Small pieces every CLI command uses: opening the store, JSON output, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from tamiz.match import DEFAULT_THRESHOLD
from tamiz.store import Settings, Store

console = Console()
err_console = Console(stderr=True)


def open_store() -> Store:
    try:
        return Store.open(Settings.from_env())
    except Exception as exc:  # a database that cannot be opened is a usage problem
        fail(f"cannot open the tamiz store: {exc}", code=1)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print one line to stderr and exit: 2 for bad input, 1 for an operation that failed."""
    err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2, default=str) + "\n")


def parse_day(value: str | None, option: str) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (use YYYY-MM-DD)")


# -- options several commands share ---------------------------------------------------------

JsonFlag = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
ThresholdOpt = Annotated[
    float | None,
    typer.Option(min=0.0, max=1.0, help=f"Match threshold (default {DEFAULT_THRESHOLD})."),
]
DatasetOpt = Annotated[
    list[str] | None, typer.Option("--dataset", "-d", help="Only these datasets; repeatable.")
]
TopicOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        help="Only entities with this FtM topic, e.g. sanction, crime.terror, wanted "
        "(repeatable; covers sub-topics).",
    ),
]
ExcludeTopicOpt = Annotated[
    list[str] | None,
    typer.Option("--exclude-topic", help="Leave out entities with this topic (repeatable)."),
]
