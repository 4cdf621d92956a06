"""List commands: update, lists, snapshots, diff, entity."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from tamiz.cli.app import app
from tamiz.cli.common import JsonFlag, console, emit_json, fail, open_store, parse_day
from tamiz.cli.monitoring import after_update
from tamiz.model import Entity
from tamiz.sources import DATASETS, FORMATS
from tamiz.store import EntityRecord, StoreError, UpdateResult, audit
from tamiz.store.audit import AuditEntry
from tamiz.store.updates import update_from_mirror, update_from_paths, update_from_publishers


def _print_results(results: list[UpdateResult], as_json: bool) -> None:
    if as_json:
        emit_json(results[0].to_dict() if len(results) == 1 else [r.to_dict() for r in results])
        return
    table = Table("dataset", "status", "snapshot", "published", "entities", "note")
    colours = {"activated": "green", "unchanged": "dim", "stored": "cyan", "rejected": "red"}
    for r in results:
        table.add_row(
            r.dataset,
            f"[{colours.get(r.status, 'white')}]{r.status}[/]",
            r.snapshot or "",
            r.published.isoformat() if r.published else "",
            str(r.entities) if r.entities is not None else "",
            r.error or (f"{len(r.warnings)} warnings" if r.warnings else ""),
        )
    console.print(table)


@app.command()
def update(
    dataset: Annotated[
        list[str] | None,
        typer.Option("--dataset", "-d", help="Dataset id (repeatable). Default: all built-ins."),
    ] = None,
    format: Annotated[
        str | None, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = None,
    from_: Annotated[
        list[Path] | None,
        typer.Option("--from", help="Load these local files/directories as one snapshot."),
    ] = None,
    mirror: Annotated[
        Path | None,
        typer.Option(help="Load every snapshot found in an offline mirror of the official files."),
    ] = None,
    url: Annotated[
        list[str] | None, typer.Option(help="Download from this URL instead of the official one.")
    ] = None,
    published: Annotated[
        str | None, typer.Option(help="Publication date YYYY-MM-DD (default: from the file).")
    ] = None,
    force: Annotated[
        bool, typer.Option(help="Accept a snapshot that drops more than 20% of the entities.")
    ] = False,
    timeout: Annotated[float, typer.Option(help="Download timeout per request, seconds.")] = 60.0,
    retries: Annotated[int, typer.Option(help="Download retries per file.")] = 3,
    as_json: JsonFlag = False,
) -> None:
    """Load a new snapshot of one or more lists and activate it.

    With --from, the files are one snapshot of --dataset. With --mirror, every snapshot of the
    built-in datasets found in that directory is loaded, oldest first. Otherwise the official
    files are downloaded. Exit status 1 when any snapshot was rejected.
    """
    day = parse_day(published, "--published")
    if format is not None and format not in FORMATS:
        fail(f"--format: unknown format {format!r}; known: {', '.join(FORMATS)}")
    store = open_store()
    if from_:
        if not dataset or len(dataset) != 1:
            fail("--from needs exactly one --dataset")
        if dataset[0] not in DATASETS and format is None:
            fail(f"dataset {dataset[0]!r} is not built in; say which --format it uses")
        results = [
            update_from_paths(store, dataset[0], from_, format=format, published=day, force=force)
        ]
    elif mirror is not None:
        results = update_from_mirror(store, mirror, dataset, force=force)
    else:
        results = update_from_publishers(
            store,
            dataset,
            urls=url,
            format=format,
            published=day,
            force=force,
            timeout=timeout,
            retries=retries,
        )
    _print_results(results, as_json)
    if any(r.status in ("activated", "stored", "rejected") for r in results):
        # the trail records which list versions went live, and which files were refused
        audit.append(
            store,
            AuditEntry(
                "list_update",
                audit.local_actor(),
                datasets={r.dataset: r.snapshot for r in results if r.status == "activated"},
                details={
                    "source": _source(from_, mirror, url),
                    "results": [r.to_dict() for r in results],
                },
            ),
        )
    after_update(store, results)  # incremental monitoring of the books, if any
    if any(r.status == "rejected" for r in results):
        raise typer.Exit(1)


def _source(paths: list[Path] | None, mirror: Path | None, urls: list[str] | None) -> dict:
    if paths:
        return {"paths": [str(p) for p in paths]}
    if mirror is not None:
        return {"mirror": str(mirror)}
    return {"urls": urls} if urls else {"publishers": True}


@app.command("lists")
def lists_command(
    as_of: Annotated[
        str | None, typer.Option(help="Show the lists as they were on this date.")
    ] = None,
    program: Annotated[
        str | None, typer.Option(help="List the entities designated under this program code.")
    ] = None,
    dataset: Annotated[str | None, typer.Option(help="Restrict to one dataset.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """Datasets with their active (or as-of) snapshot; or who is designated under a program."""
    day = parse_day(as_of, "--as-of")
    store = open_store()
    if program:
        rows = store.designated_under(program, as_of=day, dataset=dataset)
        if as_json:
            emit_json(
                {
                    "program": program,
                    "as_of": as_of,
                    "entities": [{"id": i, "caption": c, "dataset": d} for i, c, d in rows],
                }
            )
            return
        table = Table("id", "name", "dataset", title=f"Designated under {program}")
        for i, c, d in rows:
            table.add_row(i, c, d)
        console.print(table)
        console.print(f"{len(rows)} entities")
        return
    snaps = store.snapshots_as_of(day) if day else store.active_snapshots()
    if dataset:
        snaps = {k: v for k, v in snaps.items() if k == dataset}
    if as_json:
        emit_json(
            {
                "as_of": as_of,
                "datasets": [
                    {
                        "dataset": ds,
                        "title": DATASETS[ds].title if ds in DATASETS else None,
                        "snapshot": sn.id,
                        "published": sn.published.isoformat(),
                        "entities": sn.entity_count,
                        "designations": sn.designation_count,
                        "loaded_at": sn.created_at.isoformat(),
                        "active": sn.active,
                    }
                    for ds, sn in sorted(snaps.items())
                ],
            }
        )
        return
    table = Table("dataset", "snapshot", "published", "entities", "designations", "loaded")
    for ds, sn in sorted(snaps.items()):
        table.add_row(
            ds,
            sn.id,
            sn.published.isoformat(),
            str(sn.entity_count),
            str(sn.designation_count),
            sn.created_at.strftime("%Y-%m-%d %H:%M"),
        )
    console.print(table)


@app.command()
def snapshots(dataset: str, as_json: JsonFlag = False) -> None:
    """Every stored snapshot of a dataset, oldest first."""
    store = open_store()
    rows = store.snapshots(dataset)
    if not rows:
        fail(f"no snapshots of {dataset!r}", code=1)
    if as_json:
        emit_json([r.to_dict() for r in rows])
        return
    table = Table("snapshot", "published", "entities", "files", "active")
    for r in rows:
        table.add_row(
            r.id,
            r.published.isoformat(),
            str(r.entity_count),
            ", ".join(r.files),
            "yes" if r.active else "",
        )
    console.print(table)


@app.command()
def diff(
    dataset: str,
    from_: Annotated[str, typer.Option("--from", help="Snapshot id or publication date.")],
    to: Annotated[str, typer.Option("--to", help="Snapshot id or publication date.")],
    as_json: JsonFlag = False,
) -> None:
    """What changed between two snapshots: added, removed and changed entities (by field)."""
    store = open_store()
    try:
        result = store.diff(dataset, from_, to)
    except StoreError as exc:
        fail(str(exc))
    if as_json:
        emit_json(result.to_dict())
        return
    console.print(
        f"{dataset}: {result.from_snapshot.id} ({result.from_snapshot.published}) → "
        f"{result.to_snapshot.id} ({result.to_snapshot.published})"
    )
    console.print(
        f"[green]added {len(result.added)}[/]  [red]removed {len(result.removed)}[/]"
        f"  [yellow]changed {len(result.changed)}[/]"
    )
    for eid in result.added[:50]:
        console.print(f"  [green]+[/] {eid}")
    for eid in result.removed[:50]:
        console.print(f"  [red]-[/] {eid}")
    for eid, fields in result.changed[:50]:
        console.print(f"  [yellow]~[/] {eid}: {', '.join(fields)}")


def entity_record_to_dict(record: EntityRecord) -> dict:
    data = record.entity.to_dict()
    data["caption"] = record.entity.caption
    data["listed"] = record.listed
    data["snapshot"] = record.snapshot.to_dict()
    data["appears_in"] = [
        {"snapshot": s.id, "published": s.published.isoformat()} for s in record.appears_in
    ]
    data["related_from"] = [{"id": i, "caption": c, "kind": k} for i, c, k in record.related_from]
    return data


def _print_entity(record: EntityRecord) -> None:
    e: Entity = record.entity
    status = "" if record.listed else "  [red](not in the active snapshot)[/]"
    console.print(f"[bold]{e.caption}[/]  {e.id}  {e.schema.value}{status}")
    for n in e.names:
        console.print(f"  {n.kind.value:8} {n.full}" + (f" [{n.lang}]" if n.lang else ""))
    for d in e.designations:
        since = d.listed_on or (f"first seen {d.first_seen}" if d.first_seen else "")
        console.print(
            f"  [cyan]{d.program}[/] {d.program_title or ''} — {d.authority}"
            f"{' (' + d.legal_basis + ')' if d.legal_basis else ''} {since}"
        )
    for b in e.birth_dates:
        console.print(
            f"  born {b.value or ''}{' to ' + b.end if b.end else ''}"
            f"{' (circa)' if b.circa else ''} {b.text or ''}"
        )
    for i in e.identifiers:
        console.print(f"  {i.type}: {i.value}" + (f" ({i.country})" if i.country else ""))
    for r in e.relations:
        console.print(
            f"  → {r.kind.value} {r.target_name}" + (f" [{r.target_id}]" if r.target_id else "")
        )
    for i, c, k in record.related_from:
        console.print(f"  ← {k} {c} [{i}]")
    console.print(
        "  in snapshots: " + ", ".join(f"{s.id} ({s.published})" for s in record.appears_in)
    )


@app.command()
def entity(
    entity_id: Annotated[str, typer.Argument(metavar="ID", help="e.g. us_ofac_sdn:22790")],
    as_of: Annotated[str | None, typer.Option(help="As listed on this date.")] = None,
    as_json: JsonFlag = False,
) -> None:
    """One listed entity: names, designations, identifiers, relations and history."""
    day = parse_day(as_of, "--as-of")
    store = open_store()
    try:
        record = store.entity(entity_id, as_of=day)
    except StoreError as exc:
        fail(str(exc), code=1)
    if as_json:
        emit_json(entity_record_to_dict(record))
    else:
        _print_entity(record)
