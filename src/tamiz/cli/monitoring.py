"""Monitoring and alert review: ``tamiz monitor add|list|remove|run|book|books|runs`` and
``tamiz alerts list|show|decide|history|summary|webhooks``."""

from __future__ import annotations

import datetime as dt
import getpass
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tamiz.cli.app import app
from tamiz.cli.common import JsonFlag, console, emit_json, err_console, fail, open_store, parse_day
from tamiz.match import QueryError
from tamiz.screen import NoListsLoaded, RecordColumns
from tamiz.screen.files import InputFileError
from tamiz.screen.monitor import Monitor, MonitorError, read_book
from tamiz.screen.monitor_webhooks import WebhookConfigError, WebhookDispatcher
from tamiz.store import Store, UpdateResult, cases
from tamiz.store.cases import CaseError, RunResult

BookOpt = Annotated[str, typer.Option("--book", "-b", help="Book of parties.")]
WorkersOpt = Annotated[
    int | None,
    typer.Option(min=1, help="Worker processes for large passes (default: CPU count, max 4)."),
]
# How long a command waits at exit for webhook messages still being sent; what is left
# stays pending in the outbox for `tamiz alerts webhooks --retry`.
WEBHOOK_WAIT = 30.0

monitor_app = typer.Typer(help="Ongoing monitoring of books of parties.", no_args_is_help=True)
alerts_app = typer.Typer(help="Review monitoring alerts.", no_args_is_help=True)
app.add_typer(monitor_app, name="monitor")
app.add_typer(alerts_app, name="alerts")


def _workers(value: int | None) -> int:
    return value or min(os.cpu_count() or 1, 4)


def _monitor(store: Store, workers: int | None = None) -> Monitor:
    try:
        return Monitor.from_env(store, workers=_workers(workers))
    except WebhookConfigError as exc:
        fail(str(exc))


def _finish(monitor: Monitor) -> None:
    if monitor.dispatcher is not None and not monitor.dispatcher.join(WEBHOOK_WAIT):
        err_console.print(
            "webhook messages still pending; `tamiz alerts webhooks --retry` sends them"
        )


def _print_run(run: RunResult) -> None:
    console.print(
        f"{run.kind} pass (run {run.run_id}): {run.parties} parties re-scored, "
        f"{len(run.created)} new alerts, {len(run.reopened)} re-opened, {run.updated} updated, "
        f"{run.closed} closed, {run.suppressed} suppressed (accepted), {run.seconds:.2f} s",
        highlight=False,
        soft_wrap=True,
    )


def after_update(store: Store, results: list[UpdateResult]) -> list[RunResult]:
    """Incremental monitoring after ``tamiz update``; reports on stderr (stdout may be JSON).

    A failure here does not undo the update: it is reported and ``tamiz monitor run``
    catches up.
    """
    if not any(r.status == "activated" for r in results):
        return []
    if cases.count_active_parties(store) == 0:
        return []
    monitor = _monitor(store)
    try:
        runs = monitor.after_update(results)
    except (NoListsLoaded, CaseError) as exc:
        err_console.print(f"[bold red]monitoring failed:[/] {exc}; run `tamiz monitor run`")
        raise typer.Exit(1) from None
    for run in runs:
        err_console.print(
            f"monitoring {run.trigger}: {run.parties} parties re-scored, "
            f"{len(run.created)} new alerts, {len(run.reopened)} re-opened, "
            f"{run.closed} closed ({run.seconds:.2f} s)",
            highlight=False,
            soft_wrap=True,
        )
    _finish(monitor)
    return runs


# -- monitor ------------------------------------------------------------------------------


@monitor_app.command("add")
def monitor_add(
    input: Annotated[Path, typer.Argument(help="CSV, TSV, JSON lines or Parquet file.")],
    name_column: Annotated[str, typer.Option(help="Column with the name to screen.")],
    party_id_column: Annotated[str, typer.Option(help="Column with your own id of each party.")],
    dob_column: Annotated[str | None, typer.Option(help="Column with birth dates.")] = None,
    country_column: Annotated[str | None, typer.Option(help="Column with countries.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column with identifier values.")] = None,
    schema: Annotated[
        str | None, typer.Option(help="Schema of every row: Person, Organization, Company...")
    ] = None,
    schema_column: Annotated[
        str | None, typer.Option(help="Column with each row's schema.")
    ] = None,
    book: BookOpt = cases.DEFAULT_BOOK,
    screen: Annotated[
        bool, typer.Option(help="Screen new and changed parties now (default) or at the next run.")
    ] = True,
    skip_bad: Annotated[
        bool, typer.Option(help="Add the usable rows even if some rows cannot be screened.")
    ] = False,
    workers: WorkersOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Add the parties of a file to a book (a known party id is updated)."""
    if schema and schema_column:
        fail("give either --schema or --schema-column, not both")
    columns = RecordColumns(
        name=name_column,
        dob=dob_column,
        country=country_column,
        id=id_column,
        schema=schema,
        schema_column=schema_column,
        party_id=party_id_column,
    )
    try:
        parsed = read_book(input, columns)
    except (InputFileError, QueryError, MonitorError) as exc:
        fail(str(exc))
    if parsed.errors and not skip_bad:
        shown = "; ".join(f"row {n}: {msg}" for n, msg in parsed.errors[:10])
        more = f" (and {len(parsed.errors) - 10} more)" if len(parsed.errors) > 10 else ""
        fail(
            f"{input}: {len(parsed.errors)} row(s) cannot be monitored, nothing was added: "
            f"{shown}{more}. Fix them, or pass --skip-bad to add the others."
        )
    store = open_store()
    monitor = _monitor(store, workers)
    try:
        result = monitor.add(book, parsed.parties, screen=screen)
    except CaseError as exc:
        fail(str(exc))
    except NoListsLoaded as exc:
        fail(str(exc), code=1)
    _finish(monitor)
    out = {
        "book": book,
        "rows": parsed.rows,
        "skipped": [{"row": n, "error": msg} for n, msg in parsed.errors],
        "duplicates": parsed.duplicates,
        **result.to_dict(),
    }
    if as_json:
        emit_json(out)
        return
    u = result.upsert
    console.print(
        f"{book}: {u.added} added, {u.updated} updated, {u.unchanged} unchanged, "
        f"{u.reactivated} re-activated; {u.reopened} accepted alerts re-opened (party changed)",
        highlight=False,
    )
    if parsed.duplicates:
        console.print(f"{parsed.duplicates} duplicate party ids: the last row of each was kept")
    for n, msg in parsed.errors:
        err_console.print(f"skipped row {n}: {msg}", highlight=False)
    if result.run is not None:
        _print_run(result.run)
    elif screen and (u.added or u.updated):
        console.print("no list is loaded yet: the parties will be screened after `tamiz update`")


@monitor_app.command("list")
def monitor_list(
    book: Annotated[str | None, typer.Option("--book", "-b", help="Only this book.")] = None,
    removed: Annotated[bool, typer.Option(help="Include removed parties.")] = False,
    limit: Annotated[int, typer.Option(min=1, help="Most parties shown.")] = 100,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonFlag = False,
) -> None:
    """Monitored parties."""
    store = open_store()
    parties = cases.list_parties(store, book, include_removed=removed, limit=limit, offset=offset)
    if as_json:
        emit_json([p.to_dict() for p in parties])
        return
    table = Table("book", "party id", "names", "schema", "born", "countries", "active")
    for p in parties:
        q = p.query
        table.add_row(
            p.book,
            p.party_id,
            " / ".join(q.get("names", [])),
            q.get("schema") or "",
            ", ".join(q.get("birth_dates", [])),
            ", ".join(q.get("countries", [])),
            "" if p.active else "removed",
        )
    console.print(table)
    total = sum(b.parties for b in cases.books(store) if book is None or b.name == book)
    console.print(f"{len(parties)} shown of {total} active parties")


@monitor_app.command("remove")
def monitor_remove(
    party_id: Annotated[list[str], typer.Argument(help="Party id(s) to stop monitoring.")],
    book: BookOpt = cases.DEFAULT_BOOK,
    as_json: JsonFlag = False,
) -> None:
    """Stop monitoring parties; their alerts waiting for review are closed."""
    store = open_store()
    removed, closed = cases.remove_parties(store, book, party_id)
    if as_json:
        emit_json({"book": book, "removed": removed, "alerts_closed": closed})
    else:
        console.print(f"{book}: {removed} parties removed, {closed} alerts closed")
    if removed < len(set(party_id)):
        err_console.print(f"{len(set(party_id)) - removed} id(s) were not active in {book}")
        raise typer.Exit(1)


@monitor_app.command("run")
def monitor_run(workers: WorkersOpt = None, as_json: JsonFlag = False) -> None:
    """Full pass: screen every monitored party against the active lists."""
    store = open_store()
    monitor = _monitor(store, workers)
    try:
        run = monitor.run_full()
    except NoListsLoaded as exc:
        fail(str(exc), code=1)
    monitor.refresh_party_index()  # the next incremental pass needs no delta index
    _finish(monitor)
    if as_json:
        emit_json(run.to_dict())
    else:
        _print_run(run)


@monitor_app.command("book")
def monitor_book(
    name: Annotated[str, typer.Argument(help="Book name (created if new).")],
    include_topic: Annotated[
        list[str] | None,
        typer.Option(help="Alert only on entities with this topic (e.g. sanction); repeatable."),
    ] = None,
    exclude_topic: Annotated[
        list[str] | None,
        typer.Option(help="Never alert on entities with this topic (e.g. wanted); repeatable."),
    ] = None,
    clear_topics: Annotated[bool, typer.Option(help="Remove the topic filters.")] = False,
    dataset: Annotated[
        list[str] | None, typer.Option("--dataset", "-d", help="Only these datasets; repeatable.")
    ] = None,
    all_datasets: Annotated[bool, typer.Option(help="Screen against every dataset.")] = False,
    threshold: Annotated[
        float | None, typer.Option(min=0.01, max=1.0, help="Alert threshold for this book.")
    ] = None,
    four_eyes: Annotated[
        bool | None,
        typer.Option(
            "--four-eyes/--no-four-eyes",
            help="true_match needs a second analyst (default: TAMIZ_FOUR_EYES).",
        ),
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Create a book or change how it is screened (topics, datasets, threshold, four-eyes).

    Filters take effect at the next pass (`tamiz monitor run` applies them to every party).
    """
    changes: dict = {}
    if clear_topics:
        changes["include_topics"] = changes["exclude_topics"] = None
    if include_topic:
        changes["include_topics"] = include_topic
    if exclude_topic:
        changes["exclude_topics"] = exclude_topic
    if all_datasets:
        changes["datasets"] = None
    elif dataset:
        changes["datasets"] = dataset
    if threshold is not None:
        changes["threshold"] = threshold
    if four_eyes is not None:
        changes["four_eyes"] = four_eyes
    try:
        result = cases.configure_book(open_store(), name, **changes)
    except CaseError as exc:
        fail(str(exc))
    if as_json:
        emit_json(result.to_dict())
        return
    _print_books([result])


def _print_books(books: list[cases.Book]) -> None:
    table = Table("book", "parties", "include topics", "exclude topics", "datasets", "threshold")
    table.add_column("four-eyes")
    for b in books:
        table.add_row(
            b.name,
            str(b.parties),
            " ".join(b.include_topics),
            " ".join(b.exclude_topics),
            " ".join(b.datasets) or "all",
            "" if b.threshold is None else f"{b.threshold:.2f}",
            ("yes" if b.effective_four_eyes else "no")
            + (" (global)" if b.four_eyes is None else ""),
        )
    console.print(table)


@monitor_app.command("books")
def monitor_books(as_json: JsonFlag = False) -> None:
    """Books with their settings and party counts."""
    books = cases.books(open_store())
    if as_json:
        emit_json([b.to_dict() for b in books])
    else:
        _print_books(books)


@monitor_app.command("runs")
def monitor_runs(
    limit: Annotated[int, typer.Option(min=1)] = 20, as_json: JsonFlag = False
) -> None:
    """Recent monitoring passes, newest first."""
    rows = cases.runs(open_store(), limit=limit)
    if as_json:
        emit_json(rows)
        return
    table = Table("run", "kind", "started", "seconds", "parties", "new", "re-opened", "closed")
    table.add_column("trigger")
    for r in rows:
        table.add_row(
            str(r["run"]),
            r["kind"],
            r["started_at"][:19],
            f"{r['seconds']:.2f}",
            str(r["parties"]),
            str(r["created"]),
            str(r["reopened"]),
            str(r["closed"]),
            r["trigger"] or "",
        )
    console.print(table)


# -- alerts -------------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list(
    status: Annotated[
        list[str] | None,
        typer.Option(help=f"Only this status (repeatable): {', '.join(cases.STATUSES)}."),
    ] = None,
    book: Annotated[str | None, typer.Option("--book", "-b", help="Only this book.")] = None,
    changed: Annotated[
        bool, typer.Option("--changed", help="Only alerts re-opened or re-scored on a change.")
    ] = False,
    entity: Annotated[str | None, typer.Option(help="Only alerts on this list entity.")] = None,
    party: Annotated[str | None, typer.Option(help="Only alerts of this party id.")] = None,
    sort: Annotated[str, typer.Option(help=f"One of: {', '.join(cases.SORTS)}.")] = "id",
    limit: Annotated[int | None, typer.Option(min=1, help="Most alerts shown.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Alerts, filtered by status and book."""
    try:
        alerts = cases.list_alerts(
            open_store(),
            status=status,
            book=book,
            changed=True if changed else None,
            entity_id=entity,
            party_id=party,
            sort=sort,
            limit=limit,
        )
    except CaseError as exc:
        fail(str(exc))
    if as_json:
        emit_json([a.to_dict() for a in alerts])
        return
    table = Table("id", "book", "party", "entity", "name", "score", "status", "changed")
    table.add_column("snapshot")
    colours = {"open": "yellow", "escalated": "magenta", "true_match": "red", "closed": "dim"}
    for a in alerts:
        table.add_row(
            str(a.id),
            a.book,
            a.party_id,
            a.entity_id,
            a.caption,
            f"{a.score:.3f}",
            f"[{colours.get(a.status, 'white')}]{a.status}[/]",
            "changed" if a.changed else "",
            a.snapshot,
        )
    console.print(table)
    console.print(f"{len(alerts)} alerts")


def _analyst(value: str | None) -> str:
    if value:
        return value
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid:{os.getuid()}"


@alerts_app.command("decide")
def alerts_decide(
    alert_id: Annotated[int, typer.Argument(metavar="ID", help="Alert id.")],
    status: Annotated[str, typer.Option(help="false_positive, true_match or escalated.")],
    reason: Annotated[str, typer.Option(help="Why: recorded with the decision and audited.")],
    analyst: Annotated[
        str | None, typer.Option(help="Who decides (default: your login name).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Decide an alert. Under four-eyes a true_match waits for a second analyst's
    true_match (status pending_true_match until then)."""
    try:
        result = cases.decide(open_store(), alert_id, status, reason, _analyst(analyst))
    except cases.FourEyesError as exc:
        fail(str(exc), code=1)
    except CaseError as exc:
        fail(str(exc))
    if as_json:
        emit_json(result.to_dict())
        return
    a = result.alert
    console.print(
        f"alert {a.id}: {result.event.from_status} → {a.status} by {result.event.analyst} "
        f"(audit record {result.audit_seq})",
        highlight=False,
    )
    if result.pending:
        console.print("four-eyes: a different analyst must confirm with --status true_match")


def _print_history(events: list[cases.AlertEvent]) -> None:
    table = Table("when", "event", "by", "from", "to", "reason", "audit")
    for e in events:
        table.add_row(
            e.ts.strftime("%Y-%m-%d %H:%M:%S"),
            e.kind,
            e.analyst,
            e.from_status or "",
            e.to_status,
            e.reason or "",
            str(e.audit_seq or ""),
        )
    console.print(table)


@alerts_app.command("history")
def alerts_history(
    alert_id: Annotated[int, typer.Argument(metavar="ID", help="Alert id.")],
    as_json: JsonFlag = False,
) -> None:
    """Every event of an alert: created, re-scored, re-opened, decisions, closed."""
    try:
        events = cases.alert_history(open_store(), alert_id)
    except CaseError as exc:
        fail(str(exc), code=1)
    if as_json:
        emit_json([e.to_dict() for e in events])
    else:
        _print_history(events)


@alerts_app.command("show")
def alerts_show(
    alert_id: Annotated[int, typer.Argument(metavar="ID", help="Alert id.")],
    as_json: JsonFlag = False,
) -> None:
    """One alert: the party, the list entry, the explanation and the history."""
    store = open_store()
    try:
        alert = cases.get_alert(store, alert_id)
        party = cases.alert_party(store, alert_id)
        events = cases.alert_history(store, alert_id)
    except CaseError as exc:
        fail(str(exc), code=1)
    if as_json:
        emit_json(
            {
                **alert.to_dict(explanation=True),
                "party": party.to_dict(),
                "history": [e.to_dict() for e in events],
            }
        )
        return
    console.print(
        f"[bold]alert {alert.id}[/]  {alert.status}{'  (changed)' if alert.changed else ''}"
        f"  score {alert.score:.3f}  book {alert.book}",
        highlight=False,
    )
    q = party.query
    console.print(
        f"party   {party.party_id}: {' / '.join(q.get('names', []))}"
        f"  {q.get('schema') or ''} {' '.join(q.get('birth_dates', []))}"
        f" {' '.join(q.get('countries', []))}",
        highlight=False,
    )
    console.print(
        f"listed  {alert.entity_id}: {alert.caption}  (snapshot {alert.snapshot})", highlight=False
    )
    summary = alert.explanation.get("summary")
    if summary:
        console.print(f"        [dim]{summary}[/]", highlight=False)
    if alert.pending_by:
        console.print(f"true match proposed by {alert.pending_by}; waiting for a second analyst")
    _print_history(events)


@alerts_app.command("summary")
def alerts_summary(
    date: Annotated[
        str | None, typer.Option("--date", help="Day (YYYY-MM-DD, UTC; default today).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Daily summary: new alerts, decisions, backlog by book and status, list updates."""
    day = parse_day(date, "--date") or dt.datetime.now(dt.UTC).date()
    data = cases.daily_summary(open_store(), day)
    if as_json:
        emit_json(data)
        return
    new = data["new_alerts"]
    console.print(f"[bold]{data['date']}[/]")
    console.print(
        f"new alerts {new['total']}  re-opened {data['reopened']}  closed {data['closed']}  "
        f"decisions {data['decisions']['total']}  backlog {data['backlog']['total']}",
        highlight=False,
    )
    for b, counts in data["backlog"]["by_book"].items():
        console.print(f"  backlog {b}: " + ", ".join(f"{s} {n}" for s, n in counts.items()))
    for u in data["list_updates"]:
        change = (
            f"+{u.get('added', 0)} -{u.get('removed', 0)} ~{u.get('changed', 0)}"
            if u.get("previous")
            else "first load"
        )
        console.print(f"  list {u['dataset']} → {u['snapshot']} ({u['published']}): {change}")


@alerts_app.command("webhooks")
def alerts_webhooks(
    retry: Annotated[bool, typer.Option(help="Send the pending messages now.")] = False,
    status: Annotated[
        str | None, typer.Option(help="Only pending, delivered or failed messages.")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Webhook messages (new-alert batches) and their delivery attempts."""
    store = open_store()
    if retry:
        monitor = _monitor(store)
        if monitor.dispatcher is None:
            fail("no webhook configured (TAMIZ_WEBHOOK_URL, TAMIZ_WEBHOOK_SECRET)")
        assert isinstance(monitor.dispatcher, WebhookDispatcher)
        queued = monitor.dispatcher.deliver_pending()
        err_console.print(f"sending {queued} pending message(s)")
        _finish(monitor)
    rows = cases.deliveries(store, status=status)
    if as_json:
        emit_json(
            [{**d.to_dict(), "attempts_log": cases.delivery_attempts(store, d.id)} for d in rows]
        )
        return
    table = Table("id", "run", "status", "attempts", "created", "delivered", "last error")
    for d in rows:
        table.add_row(
            str(d.id),
            str(d.run_id or ""),
            d.status,
            str(d.attempts),
            d.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            d.delivered_at.strftime("%Y-%m-%d %H:%M:%S") if d.delivered_at else "",
            d.last_error or "",
        )
    console.print(table)
