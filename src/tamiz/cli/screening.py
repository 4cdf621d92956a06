"""Screening commands: screen, compare, compare-file, screen-file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from tamiz.cli.app import app
from tamiz.cli.common import (
    DatasetOpt,
    ExcludeTopicOpt,
    JsonFlag,
    ThresholdOpt,
    TopicOpt,
    console,
    emit_json,
    fail,
    open_store,
    parse_day,
    record_in_audit,
)
from tamiz.match import DEFAULT_THRESHOLD, MatchResult, Query, QueryError, compare
from tamiz.screen import (
    NoListsLoaded,
    RecordColumns,
    Screener,
    UnknownDataset,
    query_from_properties,
)
from tamiz.screen.audit import file_entry, screen_entry
from tamiz.screen.files import InputFileError, count_records, screen_file
from tamiz.screen.records import normalize_date
from tamiz.store import audit

SchemaOpt = Annotated[
    str | None,
    typer.Option(help="Person, Organization, Company, LegalEntity, Vessel or Airplane."),
]


def _print_results(results: list[MatchResult] | tuple[MatchResult, ...]) -> None:
    for r in results:
        flag = "[bold red]MATCH[/]" if r.match else "[dim]below[/]"
        programs = " ".join(r.programs[:5])
        topics = ", ".join(r.topics)
        console.print(
            f"{r.score:.3f} {flag}  [bold]{r.caption}[/]  {r.entity_id}  {r.schema}"
            f"  [cyan]{programs}[/]  [magenta]{topics}[/]",
            highlight=False,
        )
        console.print(f"        [dim]{r.explanation.summary}[/]", highlight=False)


def _open_screener() -> Screener:
    return Screener(open_store())


@app.command()
def screen(
    name: Annotated[
        list[str], typer.Argument(help="Name(s) of the party; extra names are aliases.")
    ],
    schema: SchemaOpt = None,
    dob: Annotated[
        str | None, typer.Option(help="Birth date: YYYY, YYYY-MM or YYYY-MM-DD.")
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="Country (ISO code or English name); repeatable.")
    ] = None,
    id: Annotated[
        list[str] | None,
        typer.Option("--id", help="Identifier (passport, IMO, BIC...); repeatable."),
    ] = None,
    dataset: DatasetOpt = None,
    as_of: Annotated[
        str | None, typer.Option(help="Screen against the lists as of this date.")
    ] = None,
    topic: TopicOpt = None,
    exclude_topic: ExcludeTopicOpt = None,
    threshold: ThresholdOpt = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="Most results shown.")] = 10,
    as_json: JsonFlag = False,
) -> None:
    """Screen one party against the loaded lists."""
    day = parse_day(as_of, "--as-of")
    try:
        query = Query(
            names=tuple(name),
            schema=schema,
            birth_dates=(normalize_date(dob),) if dob else (),
            countries=tuple(country or ()),
            identifiers=tuple(id or ()),
        )
    except QueryError as exc:
        fail(str(exc))
    screener = _open_screener()
    try:
        response = screener.screen(
            query,
            datasets=dataset,
            threshold=threshold,
            limit=limit,
            as_of=day,
            topics=topic,
            exclude_topics=exclude_topic,
        )
    except (UnknownDataset, ValueError) as exc:
        fail(str(exc))
    except NoListsLoaded as exc:
        fail(str(exc), code=1)
    (recorded,) = record_in_audit(screener.store, [screen_entry(audit.local_actor(), response)])
    if as_json:
        emit_json({**response.to_dict(), "audit": recorded})
        return
    snaps = ", ".join(f"{d}@{s}" for d, s in response.snapshots.items())
    console.print(f"[dim]lists: {snaps}  threshold {response.threshold}[/]")
    if not response.results:
        console.print(f"No match at or above {response.threshold} for {' / '.join(query.names)}.")
        return
    _print_results(response.results)


@app.command("compare")
def compare_command(
    left: Annotated[str, typer.Argument(help="First name.")],
    right: Annotated[str, typer.Argument(help="Second name.")],
    schema: SchemaOpt = None,
    threshold: ThresholdOpt = None,
    as_json: JsonFlag = False,
) -> None:
    """Score two names against each other, with the explanation."""
    try:
        result = compare(
            Query(names=(left,), schema=schema),
            Query(names=(right,), schema=schema),
            threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
        )
    except QueryError as exc:
        fail(str(exc))
    if as_json:
        emit_json(
            {
                "left": left,
                "right": right,
                "score": round(result.score, 4),
                "match": result.match,
                "explanation": result.explanation.to_dict(),
            }
        )
        return
    verdict = "[bold red]match[/]" if result.match else "no match"
    console.print(f"{result.score:.3f}  {verdict}")
    console.print(result.explanation.summary)
    table = Table("query token", "list token", "how", "weight", "similarity")
    for a in result.explanation.aligned:
        table.add_row(a.query, a.listed, a.how, f"{a.weight:.1f}", f"{a.similarity:.2f}")
    console.print(table)


@app.command("compare-file")
def compare_file(
    pairs: Annotated[Path, typer.Argument(help="JSON lines: {schema, left: {...}, right: {...}}.")],
    out: Annotated[Path | None, typer.Option(help="Write here instead of standard output.")] = None,
    threshold: ThresholdOpt = None,
) -> None:
    """Score record pairs given with FollowTheMoney properties; one output line per input."""
    if not pairs.is_file():
        fail(f"{pairs}: no such file")
    cut = DEFAULT_THRESHOLD if threshold is None else threshold
    sink = out.open("w", encoding="utf-8") if out else None
    errors = 0
    try:
        with pairs.open(encoding="utf-8-sig") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    item = json.loads(line)
                    schema = item.get("schema")
                    result = compare(
                        query_from_properties(schema, item["left"]),
                        query_from_properties(schema, item["right"]),
                        threshold=cut,
                    )
                    item["score"] = round(result.score, 4)
                    item["match"] = result.match
                except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
                    fail(f"{pairs}:{number}: not a pair record ({exc})")
                except QueryError as exc:
                    item["score"], item["match"], item["error"] = None, None, str(exc)
                    errors += 1
                text = json.dumps(item, ensure_ascii=False) + "\n"
                (sink.write(text) if sink else typer.echo(text, nl=False))
    finally:
        if sink:
            sink.close()
    if errors and out:
        console.print(f"{errors} pairs could not be scored (see their 'error')")


@app.command("screen-file")
def screen_file_command(
    input: Annotated[Path, typer.Argument(help="CSV, TSV, JSON lines or Parquet file.")],
    name_column: Annotated[str, typer.Option(help="Column with the name to screen.")],
    out: Annotated[Path, typer.Option(help="Output file: .csv or .jsonl.")],
    dob_column: Annotated[str | None, typer.Option(help="Column with birth dates.")] = None,
    country_column: Annotated[str | None, typer.Option(help="Column with countries.")] = None,
    id_column: Annotated[str | None, typer.Option(help="Column with identifier values.")] = None,
    schema: SchemaOpt = None,
    schema_column: Annotated[
        str | None, typer.Option(help="Column with each row's schema.")
    ] = None,
    dataset: DatasetOpt = None,
    threshold: ThresholdOpt = None,
    limit: Annotated[
        int, typer.Option(min=1, max=100, help="Results kept per row (JSON lines).")
    ] = 5,
    workers: Annotated[int, typer.Option(min=1, help="Worker processes.")] = 1,
    engine: Annotated[
        str,
        typer.Option(help="local (processes on this machine) or spark (needs the spark extra)."),
    ] = "local",
    master: Annotated[
        str | None, typer.Option(help="Spark master for --engine spark (default local[2]).")
    ] = None,
    as_json: JsonFlag = False,
) -> None:
    """Screen every row of a file; one output row per input row, in input order."""
    if schema and schema_column:
        fail("give either --schema or --schema-column, not both")
    if engine not in ("local", "spark"):
        fail(f"--engine must be local or spark, not {engine!r}")
    if engine == "local" and master:
        fail("--master applies to --engine spark")
    if engine == "spark" and workers > 1:
        fail("--workers applies to --engine local; Spark uses the cores of --master")
    columns = RecordColumns(
        name=name_column,
        dob=dob_column,
        country=country_column,
        id=id_column,
        schema=schema,
        schema_column=schema_column,
    )
    try:
        if schema:
            Query(names=("x",), schema=schema)  # validate the schema before any work
    except QueryError as exc:
        fail(str(exc))
    screener = _open_screener()
    total = count_records(input) if input.is_file() else None
    try:
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=console,
            disable=as_json,
            transient=False,
        ) as bar:
            task = bar.add_task(f"screening {input.name}", total=total)
            if engine == "spark":
                from tamiz import spark  # optional dependency: imported only when asked for

                stats, loaded = spark.screen_file(
                    screener,
                    input,
                    out,
                    columns,
                    master=master or spark.DEFAULT_MASTER,
                    threshold=threshold,
                    limit=limit,
                    datasets=dataset,
                    progress=lambda n: bar.advance(task, n),
                )
            else:
                stats, loaded = screen_file(
                    screener,
                    input,
                    out,
                    columns,
                    threshold=threshold,
                    limit=limit,
                    datasets=dataset,
                    workers=workers,
                    progress=lambda n: bar.advance(task, n),
                )
    except (InputFileError, QueryError, UnknownDataset) as exc:
        fail(str(exc))
    except ImportError as exc:  # --engine spark without the spark extra
        fail(str(exc), code=1)
    except NoListsLoaded as exc:
        fail(str(exc), code=1)
    (recorded,) = record_in_audit(
        screener.store,
        [
            file_entry(
                audit.local_actor(),
                source=input,
                output=out,
                rows=stats.rows,
                screened=stats.screened,
                errors=stats.errors,
                alerts=stats.alerts_detail,
                snapshots={
                    ds: sn for ds, sn in loaded.snapshot_ids.items() if not dataset or ds in dataset
                },
                threshold=DEFAULT_THRESHOLD if threshold is None else threshold,
                options={
                    "columns": {k: v for k, v in dataclasses.asdict(columns).items() if v},
                    "datasets": sorted(dataset or []),
                    "limit": limit,
                },
            )
        ],
    )
    summary = {
        "input": str(input),
        "output": str(out),
        "rows": stats.rows,
        "screened": stats.screened,
        "errors": stats.errors,
        "rows_with_alerts": stats.matched_rows,
        "alerts": stats.alerts,
        "snapshots": loaded.snapshot_ids,
        "audit": recorded,
    }
    if as_json:
        emit_json(summary)
    else:
        console.print(
            f"{stats.rows} rows screened into {out}: {stats.matched_rows} with alerts "
            f"({stats.alerts} alerts), {stats.errors} rows could not be screened"
        )
