"""Small pieces every CLI command uses: opening the store, JSON output, one-line errors."""

from __future__ import annotations

import datetime as dt
import json
import sys
from collections.abc import Sequence
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from tamiz.match import DEFAULT_THRESHOLD
from tamiz.store import Settings, Store, audit
from tamiz.store.audit import AuditEntry

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


def record_in_audit(store: Store, entries: Sequence[AuditEntry]) -> list[dict[str, object]]:
    """Append screenings to the audit trail before showing them: a check that cannot be
    recorded is reported as failed (exit 1) rather than shown unrecorded. The records'
    references (``seq``, ``hash``)."""
    try:
        receipts = audit.append_many(store, entries)
    except Exception as exc:  # AuditError, or the database refusing the write
        fail(f"the screening could not be recorded in the audit trail: {exc}", code=1)
    return [{"seq": r.seq, "hash": r.hash} for r in receipts]


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
