"""Text and payment commands: ``tamiz scan FILE|-`` and ``tamiz payment FILE...``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from tamiz.cli.app import app
from tamiz.cli.common import (
    DatasetOpt,
    ExcludeTopicOpt,
    JsonFlag,
    ThresholdOpt,
    TopicOpt,
    console,
    emit_json,
    err_console,
    fail,
    open_store,
    record_in_audit,
)
from tamiz.match import DEFAULT_THRESHOLD
from tamiz.messages import MessageError, PaymentMessage, read_messages
from tamiz.screen import NoListsLoaded, Screener, UnknownDataset
from tamiz.screen.payments import HOLD, PaymentDecision, PaymentScreener, audit_entry
from tamiz.screen.payments import error_decision as _error_decision
from tamiz.screen.text import TextScanner, scan_audit_entry
from tamiz.sources.common import decode_text
from tamiz.store import audit

MAX_TEXT_BYTES = 64 * 1024 * 1024


def _loaded(screener: Screener, dataset: list[str] | None):
    try:
        loaded = screener.current()
        scope = Screener.check_datasets(loaded, dataset)
    except UnknownDataset as exc:
        fail(str(exc))
    except NoListsLoaded as exc:
        fail(str(exc), code=1)
    snapshots = {ds: sn for ds, sn in loaded.snapshot_ids.items() if not scope or ds in scope}
    return loaded, scope, snapshots


@app.command()
def scan(
    file: Annotated[str, typer.Argument(help="Text file to scan, or - for standard input.")],
    threshold: ThresholdOpt = None,
    dataset: DatasetOpt = None,
    topic: TopicOpt = None,
    exclude_topic: ExcludeTopicOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Find every mention of a listed party in a text (news article, any prose)."""
    if file == "-":
        data = sys.stdin.buffer.read(MAX_TEXT_BYTES + 1)
        source = "<stdin>"
    else:
        path = Path(file)
        if not path.is_file():
            fail(f"{file}: no such file")
        if path.stat().st_size > MAX_TEXT_BYTES:
            fail(f"{file}: larger than {MAX_TEXT_BYTES // (1024 * 1024)} MB")
        data, source = path.read_bytes(), path.name
    if len(data) > MAX_TEXT_BYTES:
        fail(f"{source}: larger than {MAX_TEXT_BYTES // (1024 * 1024)} MB")
    try:
        text = decode_text(data, source)
    except ValueError as exc:
        fail(str(exc))
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    screener = Screener(open_store())
    loaded, scope, snapshots = _loaded(screener, dataset)
    mentions = TextScanner(
        loaded.index, threshold=cut, datasets=scope, topics=topic, exclude_topics=exclude_topic
    ).scan(text)
    entry = scan_audit_entry(
        audit.local_actor(), text, mentions, snapshots=snapshots, threshold=cut, source=source
    )
    record_in_audit(screener.store, [entry])
    if as_json:
        emit_json({"mentions": [m.to_dict() for m in mentions], "snapshots": snapshots})
        return
    if not mentions:
        console.print(f"No listed party mentioned in {source} (threshold {cut}).")
        return
    for m in mentions:
        r = m.result
        where = f"{m.start}-{m.end}"
        via = " [dim](refers back)[/]" if m.via == "coreference" else ""
        console.print(
            f"{where:>11}  [bold]{m.text}[/]{via}  ->  {r.caption}  {r.entity_id}  "
            f"{r.score:.3f}  [cyan]{' '.join(r.programs)}[/]",
            highlight=False,
        )


@app.command()
def payment(
    files: Annotated[list[Path], typer.Argument(help="ISO 20022 XML or SWIFT MT files.")],
    threshold: ThresholdOpt = None,
    dataset: DatasetOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Screen payment messages (pacs.008, pacs.009, pain.001, MT103, MT202): pass or hold.

    A message that cannot be read is reported and the others are still decided; the exit
    code is 1 if any message could not be read."""
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    screener = Screener(open_store())
    loaded, scope, snapshots = _loaded(screener, dataset)
    payments = PaymentScreener(loaded.index, threshold=cut, datasets=scope, snapshots=snapshots)
    decided: list[tuple[PaymentDecision, PaymentMessage | None]] = []
    for path in files:
        if not path.is_file():
            decided.append(
                (_error_decision(str(path), MessageError(f"{path}: no such file")), None)
            )
            continue
        for item in read_messages(path.read_bytes(), path.name):
            if isinstance(item, MessageError):
                decided.append((_error_decision(path.name, item), None))
            else:
                decided.append((payments.screen(item), item))
    actor = audit.local_actor()
    record_in_audit(screener.store, [audit_entry(actor, d, m) for d, m in decided])
    failed = sum(1 for d, _ in decided if d.error)
    if as_json:
        emit_json([d.to_dict() for d, _ in decided])
    else:
        for d, _ in decided:
            if d.error:
                err_console.print(f"[bold red]error:[/] {d.error}", highlight=False)
                continue
            flag = "[bold red]HOLD[/]" if d.decision == HOLD else "[green]pass[/]"
            console.print(f"{flag}  {d.source}  {d.type}  {d.message_id}", highlight=False)
            for h in d.hits:
                console.print(
                    f"      {h.field}  {h.value!r}  ->  {h.id}  {h.score:.2f}  [dim]{h.reason}[/]",
                    highlight=False,
                )
    if failed:
        raise typer.Exit(1)
