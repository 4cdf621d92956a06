"""Administration: ``tamiz keys create|list|revoke``, ``tamiz audit verify|export|list``."""

from __future__ import annotations

import datetime as dt
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tamiz.cli.app import app
from tamiz.cli.common import JsonFlag, console, emit_json, err_console, fail, open_store
from tamiz.store import audit
from tamiz.store.keys import ApiKeyError, Role, create_key, list_keys, revoke_key

keys_app = typer.Typer(help="API keys for the HTTP service.", no_args_is_help=True)
audit_app = typer.Typer(help="The tamper-evident audit trail.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")
app.add_typer(audit_app, name="audit")


# -- keys ---------------------------------------------------------------------------------


@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="Who or what uses the key (unique among active keys).")],
    role: Annotated[Role, typer.Option(help="reader < analyst < admin.")],
    as_json: JsonFlag = False,
) -> None:
    """Create an API key and print it once; only a salted hash of it is stored."""
    store = open_store()
    try:
        info, key = create_key(store, name, role)
    except ApiKeyError as exc:
        fail(str(exc), code=1)
    if as_json:
        emit_json({"key": key, "name": info.name, "role": info.role.value, "id": info.id})
        return
    console.print(f"API key for [bold]{info.name}[/] (role {info.role.value}, id {info.id}):")
    sys.stdout.write(key + "\n")
    err_console.print("Store it now: it cannot be shown again.")


@keys_app.command("list")
def keys_list(
    active: Annotated[bool, typer.Option("--active", help="Only keys not revoked.")] = False,
    as_json: JsonFlag = False,
) -> None:
    """Every API key with its role and status (never the secret)."""
    keys = list_keys(open_store(), include_revoked=not active)
    if as_json:
        emit_json([k.to_dict() for k in keys])
        return
    table = Table("id", "name", "role", "status", "created", "by")
    for k in keys:
        status = "active" if k.revoked_at is None else f"[red]revoked {k.revoked_at:%Y-%m-%d}[/]"
        table.add_row(
            k.id, k.name, k.role.value, status, f"{k.created_at:%Y-%m-%d %H:%M}", k.created_by
        )
    console.print(table)


@keys_app.command("revoke")
def keys_revoke(
    key: Annotated[
        str, typer.Argument(metavar="NAME_OR_ID", help="Key id, or an active key's name.")
    ],
    as_json: JsonFlag = False,
) -> None:
    """Revoke a key: refused at once by this host, by running services within seconds."""
    try:
        info = revoke_key(open_store(), key)
    except ApiKeyError as exc:
        fail(str(exc), code=1)
    if as_json:
        emit_json(info.to_dict())
    else:
        console.print(f"revoked key {info.id} ({info.name}, {info.role.value})")


# -- audit --------------------------------------------------------------------------------


def _parse_when(value: str | None, option: str, *, end: bool = False) -> dt.datetime | None:
    """A date (a whole UTC day; ``--to`` includes it) or an ISO date-time (naive = UTC)."""
    if value is None:
        return None
    try:
        day = dt.date.fromisoformat(value)
    except ValueError:
        pass
    else:
        start = dt.datetime.combine(day, dt.time(), dt.UTC)
        return start + dt.timedelta(days=1) if end else start
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        fail(f"{option}: {value!r} is not a date (YYYY-MM-DD) or ISO date-time")
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment


def _parse_anchor(value: str) -> tuple[int, str]:
    seq, _, digest = value.partition(":")
    if not seq.isdigit() or len(digest) != 64:
        fail(f"--anchor: {value!r} is not SEQ:HASH (as printed by `tamiz audit verify`)")
    return int(seq), digest.lower()


class ExportFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


@audit_app.command("verify")
def audit_verify(
    anchor: Annotated[
        list[str] | None,
        typer.Option(help="SEQ:HASH of a head noted earlier; fails if the chain lost it."),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Recompute the hash chain. Exit 0 when intact; 1 naming the first bad record."""
    anchors = dict(_parse_anchor(a) for a in anchor or ())
    report = audit.verify(open_store(), anchors=anchors)
    if as_json:
        emit_json(report.to_dict())
    elif report.ok:
        console.print(report.summary(), highlight=False, soft_wrap=True)
    else:
        fail(report.summary(), code=1)
    if not report.ok:
        raise typer.Exit(1)


@audit_app.command("export")
def audit_export(
    from_: Annotated[
        str | None, typer.Option("--from", help="First day (YYYY-MM-DD) or date-time, UTC.")
    ] = None,
    to: Annotated[
        str | None, typer.Option("--to", help="Last day, included (or an exclusive date-time).")
    ] = None,
    format: Annotated[ExportFormat, typer.Option("--format", help="Output format.")] = (
        ExportFormat.jsonl
    ),
    action: Annotated[str | None, typer.Option(help="Only records of this action.")] = None,
    out: Annotated[Path | None, typer.Option(help="Write here instead of stdout.")] = None,
) -> None:
    """Export audit records for an examiner (JSON lines or CSV); the export is itself audited."""
    since = _parse_when(from_, "--from")
    until = _parse_when(to, "--to", end=True)
    if since and until and since >= until:
        fail("--from must be before --to")
    store = open_store()
    lines = audit.export(store, since, until, format.value, action=action)
    written = 0
    try:
        target = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
    except OSError as exc:
        fail(f"--out: cannot write {out}: {exc.strerror}", code=1)
    try:
        for line in lines:
            target.write(line)
            written += 1
    finally:
        if out:
            target.close()
    count = written - (1 if format is ExportFormat.csv else 0)
    head = audit.head(store)
    audit.append(
        store,
        audit.AuditEntry(
            "audit_export",
            audit.local_actor(),
            details={
                "from": since.isoformat() if since else None,
                "to": until.isoformat() if until else None,
                "format": format.value,
                "action": action,
                "records": count,
                "head": f"{head[0]}:{head[1]}" if head else None,
            },
        ),
    )
    err_console.print(
        f"exported {count} records"
        + (f" to {out}" if out else "")
        + (f"; chain head {head[0]}:{head[1]} (keep it to anchor a later verify)" if head else ""),
        highlight=False,
        soft_wrap=True,
    )


def _summary(record: audit.AuditRecord) -> str:
    p = record.payload
    parts = []
    if "query" in p:
        query = p["query"] if isinstance(p["query"], str) else audit.canonical(p["query"])
        parts.append(query if len(query) <= 60 else query[:57] + "...")
    elif "query_sha256" in p:
        parts.append(f"sha256:{p['query_sha256'][:12]}")
    if "results" in p:
        results = p["results"]
        matches = sum(1 for r in results if isinstance(r, dict) and r.get("match"))
        parts.append(f"{len(results)} results, {matches} matches")
    if p.get("details"):
        parts.append(audit.canonical(p["details"])[:80])
    return "  ".join(parts)


@audit_app.command("list")
def audit_list(
    limit: Annotated[int, typer.Option(min=1, help="How many records, newest first.")] = 20,
    action: Annotated[str | None, typer.Option(help="Only records of this action.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """The most recent audit records."""
    rows = audit.records(open_store(), limit=limit, action=action)
    if as_json:
        emit_json([r.to_dict() for r in rows])
        return
    table = Table("seq", "time (UTC)", "actor", "action", "summary")
    for r in rows:
        table.add_row(str(r.seq), f"{r.ts:%Y-%m-%d %H:%M:%S}", r.actor, r.action, _summary(r))
    console.print(table)
