"""Rich tables from a results dict (the same dict written to results/latest.json)."""

from __future__ import annotations

from collections.abc import Callable

from rich.console import Console
from rich.table import Table

TARGETS = {
    "alias_recall": 0.99,
    "alerts_per_1k": 2.0,
    "p50_ms": 2.0,
    "p99_ms": 20.0,
    "names_per_second": 1000.0,
    "load_seconds": 3.0,
    "rss_mb": 300.0,
    "ingest_seconds": 30.0,
    "ingest_mb": 1024.0,
}


def _pct(v: float | None) -> str:
    return "—" if v is None else f"{100 * v:.1f}%"


def _num(v: float | None, fmt: str = "{:.2f}") -> str:
    return "—" if v is None else fmt.format(v)


def _mark(ok: bool | None, text: str) -> str:
    if ok is None:
        return text
    return f"[green]{text}[/]" if ok else f"[red]{text}[/]"


def matcher_names(results: dict) -> list[str]:
    return [m for m, info in results.get("matchers", {}).items() if info.get("available", True)]


def print_matchers(console: Console, results: dict) -> None:
    table = Table(title="Matchers", title_justify="left")
    table.add_column("matcher")
    table.add_column("default threshold", justify="right")
    table.add_column("versions / note")
    for name, info in results.get("matchers", {}).items():
        versions = ", ".join(f"{k} {v}" for k, v in (info.get("versions") or {}).items())
        table.add_row(
            name,
            _num(info.get("threshold")) if info.get("available", True) else "—",
            versions or info.get("note", ""),
        )
    console.print(table)


def print_lists(console: Console, results: dict) -> None:
    rows = results.get("lists") or []
    if not rows:
        return
    table = Table(title="Lists loaded (all-lists index)", title_justify="left")
    for col in ("dataset", "snapshot files", "entities", "parse s", "problem"):
        table.add_column(col, justify="right" if col in ("entities", "parse s") else "left")
    for r in rows:
        table.add_row(
            r["dataset"], r["files"], str(r["entities"]), f"{r['seconds']:.2f}", r["error"] or ""
        )
    console.print(table)


def _matrix(
    console: Console,
    title: str,
    sections: dict,
    names: list[str],
    cell: Callable[[dict], str],
    first: str = "set",
    extra: Callable[[str, dict], str] | None = None,
) -> None:
    table = Table(title=title, title_justify="left")
    table.add_column(first)
    if extra:
        table.add_column("n", justify="right")
    for name in names:
        table.add_column(name, justify="right")
    for group, data in sections.items():
        per = data.get("matchers", {})
        row = [group]
        if extra:
            row.append(extra(group, data))
        row += [cell(per[name]) if name in per else "—" for name in names]
        table.add_row(*row)
    console.print(table)


def print_quality(console: Console, results: dict) -> None:
    q = results.get("quality")
    if not q:
        return
    names = [n for n in matcher_names(results)]
    if q.get("alias"):
        _matrix(
            console,
            "Leave-one-alias-out: true entity ranked first AND ≥ the matcher's threshold "
            f"(target ≥ {100 * TARGETS['alias_recall']:.0f}%); in brackets first at any score",
            q["alias"],
            names,
            lambda m: (
                _mark(
                    m["recall_first_above_threshold"] >= TARGETS["alias_recall"],
                    _pct(m["recall_first_above_threshold"]),
                )
                + f" ({_pct(m['recall_at_1'])})"
            ),
            extra=lambda g, d: str(d["cases"]),
        )
        kinds = {}
        for group, data in q["alias"].items():
            for name, m in data["matchers"].items():
                for kind, km in m.get("subsets", {}).items():
                    kinds.setdefault(f"{group} · {kind}", {"cases": km["n"], "matchers": {}})
                    kinds[f"{group} · {kind}"]["matchers"][name] = km
        if kinds:
            _matrix(
                console,
                "… by alias kind, and by whether the alias shares a word with another name of "
                "the entity (first AND ≥ threshold)",
                kinds,
                names,
                lambda m: _pct(m["recall_first_above_threshold"]),
                extra=lambda g, d: str(d["cases"]),
            )
    if q.get("clean"):
        _matrix(
            console,
            "Clean names screened against all lists: alerts per 1,000 names at the matcher's "
            f"threshold (target ≤ {TARGETS['alerts_per_1k']:.0f})",
            q["clean"],
            names,
            lambda m: _mark(
                m["alerts_per_1k"] <= TARGETS["alerts_per_1k"], _num(m["alerts_per_1k"], "{:.1f}")
            ),
            extra=lambda g, d: str(d["cases"]),
        )
    if q.get("translit"):
        _matrix(
            console,
            "Transliteration pairs (native ↔ Latin): recall at threshold "
            "[false matches on shuffled pairs]",
            q["translit"],
            names,
            lambda m: f"{_pct(m['recall'])} [{_pct(m['false_match_rate'])}]",
            extra=lambda g, d: str(d["positives"]),
        )
    if q.get("pairs"):
        _matrix(
            console,
            "Record-linkage pairs at threshold: precision / recall / F1",
            q["pairs"],
            names,
            lambda m: " / ".join(_num(m[k], "{:.3f}") for k in ("precision", "recall", "f1")),
            extra=lambda g, d: f"{d['positives']}+{d['negatives']}",
        )
    r = q.get("retrieval")
    if r:
        ok = r["recall"] >= 0.999 if r.get("recall") is not None else None
        console.print(
            f"tamiz retrieval recall vs exhaustive scan at threshold {r['threshold']:.2f}: "
            + _mark(ok, _pct(r.get("recall")))
            + f" over {r['queries']} queries ({r['exhaustive_hits']} exhaustive hits; "
            "target ≥ 99.9%)"
        )


def print_speed(console: Console, results: dict) -> None:
    s = results.get("speed")
    if not s:
        return
    if s.get("note"):
        console.print(f"[yellow]speed: {s['note']}[/]")
    table = Table(title="Speed and memory (all lists)", title_justify="left")
    table.add_column("measure")
    table.add_column("value", justify="right")
    table.add_column("target", justify="right")
    lat = s.get("latency") or {}
    build = s.get("build") or {}
    load = s.get("load") or {}
    rows = [
        ("entities in index", _num(build.get("entities"), "{:,}"), "", None),
        ("index build", _num(build.get("build_seconds"), "{:.2f} s"), "", None),
        ("index size on disk", _num(build.get("size_mb"), "{:.1f} MB"), "", None),
        (
            "index load (fresh process)",
            _num(load.get("load_seconds"), "{:.2f} s"),
            f"≤ {TARGETS['load_seconds']:.0f} s",
            load.get("load_seconds", 1e9) <= TARGETS["load_seconds"] if load else None,
        ),
        (
            "resident memory after load",
            _num(load.get("rss_after_search_mb"), "{:.0f} MB"),
            f"≤ {TARGETS['rss_mb']:.0f} MB",
            load.get("rss_after_search_mb", 1e9) <= TARGETS["rss_mb"] if load else None,
        ),
        (
            "latency p50",
            _num(lat.get("p50_ms"), "{:.2f} ms"),
            f"≤ {TARGETS['p50_ms']:.0f} ms",
            lat.get("p50_ms", 1e9) <= TARGETS["p50_ms"] if lat else None,
        ),
        (
            "latency p99",
            _num(lat.get("p99_ms"), "{:.2f} ms"),
            f"≤ {TARGETS['p99_ms']:.0f} ms",
            lat.get("p99_ms", 1e9) <= TARGETS["p99_ms"] if lat else None,
        ),
        ("latency max", _num(lat.get("max_ms"), "{:.1f} ms"), "", None),
    ]
    for t in s.get("throughput") or []:
        target = t["processes"] >= 2
        rows.append(
            (
                f"batch, {t['processes']} process(es)",
                f"{t['names_per_second']:,.0f} names/s",
                f"≥ {TARGETS['names_per_second']:,.0f}" if target else "",
                t["names_per_second"] >= TARGETS["names_per_second"] if target else None,
            )
        )
    for label, value, target, ok in rows:
        table.add_row(label, _mark(ok, value), target)
    console.print(table)
    pairs = s.get("pairs")
    if pairs:
        table = Table(title="Per-pair scoring speed (same pairs)", title_justify="left")
        for col in ("matcher", "µs / pair", "pairs / s", "time relative to tamiz"):
            table.add_column(col, justify="left" if col == "matcher" else "right")
        base = pairs.get("tamiz", {}).get("us_per_pair")
        for name, m in pairs.items():
            ratio = m["us_per_pair"] / base if base and name != "tamiz" else None
            table.add_row(
                name,
                f"{m['us_per_pair']:.1f}",
                f"{1e6 / m['us_per_pair']:,.0f}",
                _num(ratio, "{:.2g}×"),
            )
        console.print(table)


def print_ingest(console: Console, results: dict) -> None:
    ing = results.get("ingest")
    if not ing:
        return
    table = Table(title="Ingest: every file under lists/", title_justify="left")
    for col in ("run", "seconds", "peak memory", "result"):
        table.add_column(col, justify="left" if col in ("run", "result") else "right")
    upd = ing.get("update") or {}
    if upd.get("available"):
        for label in ("from_scratch", "unchanged"):
            r = upd.get(label)
            if not r:
                continue
            statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
            table.add_row(
                f"tamiz update --mirror ({label.replace('_', ' ')})",
                _mark(r["seconds"] < TARGETS["ingest_seconds"], f"{r['seconds']:.1f}"),
                _mark(r["peak_rss_mb"] < TARGETS["ingest_mb"], f"{r['peak_rss_mb']:.0f} MB"),
                statuses + (f" (exit {r['returncode']})" if r["returncode"] else ""),
            )
    else:
        table.add_row("tamiz update --mirror", "—", "—", upd.get("note", "not run"))
    parse = ing.get("parse_only") or {}
    if parse.get("snapshots"):
        failed = [s for s in parse["snapshots"] if s["error"]]
        entities = sum(s["entities"] for s in parse["snapshots"])
        table.add_row(
            "parsing only (no store)",
            f"{parse['wall_seconds']:.1f}",
            f"{parse['peak_rss_mb']:.0f} MB",
            f"{len(parse['snapshots'])} snapshots, {entities:,} entities"
            + (f", [red]{len(failed)} failed[/]" if failed else ""),
        )
    console.print(table)
    console.print(
        f"targets: < {TARGETS['ingest_seconds']:.0f} s and < {TARGETS['ingest_mb'] / 1024:.0f} GB"
        " peak on 2 cores"
    )
    if parse.get("snapshots"):
        detail = Table(title="… parsing time per snapshot", title_justify="left")
        for col in ("dataset", "files", "entities", "seconds", "problem"):
            detail.add_column(col, justify="right" if col in ("entities", "seconds") else "left")
        for s in parse["snapshots"]:
            detail.add_row(
                s["dataset"],
                s["files"],
                f"{s['entities']:,}",
                f"{s['seconds']:.2f}",
                s["error"] or "",
            )
        console.print(detail)
    for label in ("from_scratch", "unchanged"):
        errors = (upd.get(label) or {}).get("errors")
        if errors:
            console.print(f"[yellow]{label}: " + "; ".join(errors[:5]) + "[/]")


def print_all(console: Console, results: dict) -> None:
    meta = results.get("meta") or {}
    if meta:
        load = meta.get("load_average_before")
        console.print(
            f"run {meta.get('date')} · {meta.get('mode')} · git {meta.get('git')} · "
            f"{meta.get('machine')}" + (f" · load average at start {load[0]:.1f}" if load else "")
        )
    print_matchers(console, results)
    print_lists(console, results)
    print_quality(console, results)
    print_speed(console, results)
    print_ingest(console, results)
    for note in results.get("notes", []):
        console.print(f"[yellow]note:[/] {note}")


# -- Markdown summary (results/summary.md, for the READMEs) ------------------------------


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def markdown_summary(results: dict) -> str:
    """The headline figures as Markdown tables, matchers side by side."""
    names = matcher_names(results)
    meta = results.get("runs") or {}
    out = ["<!-- generated by benchmarks/run.py: results/summary.md -->"]
    for section, m in meta.items():
        out.append(
            f"*{section}: {m.get('date')}, {m.get('mode')} run, git {m.get('git')}, "
            f"{m.get('machine')}, load average at start "
            f"{(m.get('load_average_before') or [0])[0]:.1f}*  "
        )
    q = results.get("quality")
    if q:
        thresholds = [_num(results["matchers"][n].get("threshold")) for n in names]
        rows = [["default threshold", *thresholds, ""]]
        for group, data in q.get("alias", {}).items():
            per = data["matchers"]
            rows.append(
                [f"{group}: first and ≥ threshold (n={data['cases']})"]
                + [_pct(per[n]["recall_first_above_threshold"]) if n in per else "—" for n in names]
                + ["≥ 99%"]
            )
            subset = "shares a word with another name"
            rows.append(
                ["… aliases sharing a word with another name of the entity"]
                + [
                    _pct(per[n]["subsets"][subset]["recall_first_above_threshold"])
                    if n in per and subset in per[n].get("subsets", {})
                    else "—"
                    for n in names
                ]
                + [""]
            )
        for group, data in q.get("clean", {}).items():
            per = data["matchers"]
            rows.append(
                [f"clean names {group}: alerts per 1,000 (n={data['cases']})"]
                + [_num(per[n]["alerts_per_1k"], "{:.1f}") if n in per else "—" for n in names]
                + ["≤ 2"]
            )
        translit = q.get("translit", {})
        if translit:
            for group, data in translit.items():
                per = data["matchers"]
                rows.append(
                    [f"transliteration {group}: recall (n={data['positives']})"]
                    + [_pct(per[n]["recall"]) if n in per else "—" for n in names]
                    + [""]
                )
        for group, data in q.get("pairs", {}).items():
            per = data["matchers"]
            rows.append(
                [f"{group} pairs: precision / recall / F1"]
                + [
                    " / ".join(_num(per[n][k], "{:.2f}") for k in ("precision", "recall", "f1"))
                    if n in per
                    else "—"
                    for n in names
                ]
                + [""]
            )
        r = q.get("retrieval")
        if r and "tamiz" in names:
            rows.append(
                ["tamiz retrieval vs exhaustive scan"]
                + [_pct(r.get("recall")) if n == "tamiz" else "" for n in names]
                + ["≥ 99.9%"]
            )
        out += ["", "**Quality**", "", _md_table(["", *names, "target"], rows)]
    s = results.get("speed")
    if s:
        rows = []
        build, load, lat = s.get("build") or {}, s.get("load") or {}, s.get("latency") or {}
        if build:
            rows.append(
                [
                    "index build (all lists, " + f"{build['entities']:,} entities)",
                    f"{build['build_seconds']:.1f} s",
                    "",
                ]
            )
        if load:
            rows.append(["index load, fresh process", f"{load['load_seconds']:.2f} s", "≤ 3 s"])
            rows.append(
                [
                    "resident memory after load + 1 search",
                    f"{load['rss_after_search_mb']:.0f} MB",
                    "≤ 300 MB",
                ]
            )
        if lat:
            rows.append(
                [
                    f"latency p50 / p99 ({lat['n']:,} queries)",
                    f"{lat['p50_ms']:.2f} / {lat['p99_ms']:.1f} ms",
                    "≤ 2 / ≤ 20 ms",
                ]
            )
        for t in s.get("throughput") or []:
            rows.append(
                [
                    f"batch, {t['processes']} process(es)",
                    f"{t['names_per_second']:,.0f} names/s",
                    "≥ 1,000" if t["processes"] == 2 else "",
                ]
            )
        pairs = s.get("pairs") or {}
        base = (pairs.get("tamiz") or {}).get("us_per_pair")
        for name, m in pairs.items():
            ratio = (
                f" ({m['us_per_pair'] / base:.2g}× tamiz's time)"
                if base and name != "tamiz"
                else ""
            )
            rows.append([f"per-pair scoring, {name}", f"{m['us_per_pair']:.0f} µs{ratio}", ""])
        out += ["", "**Speed and memory**", "", _md_table(["", "value", "target"], rows)]
    ing = results.get("ingest")
    if ing:
        rows = []
        upd = ing.get("update") or {}
        for label in ("from_scratch", "unchanged"):
            r = upd.get(label)
            if r:
                statuses = ", ".join(f"{k} {v}" for k, v in sorted(r["statuses"].items()))
                rows.append(
                    [
                        f"`tamiz update --mirror` ({label.replace('_', ' ')})",
                        f"{r['seconds']:.1f} s",
                        f"{r['peak_rss_mb']:.0f} MB",
                        statuses,
                    ]
                )
        parse = ing.get("parse_only") or {}
        if parse.get("snapshots"):
            rows.append(
                [
                    "parsing only, no store",
                    f"{parse['wall_seconds']:.1f} s",
                    f"{parse['peak_rss_mb']:.0f} MB",
                    f"{len(parse['snapshots'])} snapshots",
                ]
            )
        out += [
            "",
            "**Ingest** (target < 30 s, < 1 GB)",
            "",
            _md_table(["", "time", "peak memory", "result"], rows),
        ]
    return "\n".join(out) + "\n"
