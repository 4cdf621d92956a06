"""Monitoring benchmark: a book of 100,000 synthetic parties through the SDN daily updates.

    python benchmarks/monitoring.py [--parties 100000] [--planted 300] [--workers 2]
                                    [--database-url URL] [--keep DIR]

Steps (each timed, with the peak resident memory of this process and its workers):

1. load OFAC SDN 2024-05-01 into a fresh store;
2. generate the book with Faker (persons in several locales, companies) plus ``--planted``
   names of listed entities written with noise (typo, reordering, dropped or abbreviated
   part, case), and one noisy party for each entity the 05-02 update adds;
3. add the book (no screening), run the first full pass, build the party index;
4. load 2024-05-02, run the incremental pass; load 2024-05-03, run the incremental pass;
5. run a full pass on 2024-05-03 as a check: it must find nothing the incremental passes
   missed (no new alert, nothing closed).

Reports alerts raised, how many planted names were found (an alert on the entity the name
was taken from), and the incremental/full cost ratio (target: under 5 %). Each incremental
pass runs in a fresh ``Monitor`` (as a new ``tamiz update`` process would): it loads the
list index and the party index from their disk caches, and that is counted. Building the
list index of a new snapshot is done once per update for all screening (API, CLI) and is
reported on its own line. Writes ``benchmarks/results/monitoring.json``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing as mp
import os
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make ``benchmarks`` importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import psutil
from rich.console import Console
from rich.table import Table

from tamiz.match import Query, QueryError
from tamiz.model import Entity, NameKind, Schema
from tamiz.screen import Screener
from tamiz.screen.monitor import Monitor
from tamiz.store import Settings, Store, UpdateResult, cases
from tamiz.store.cases import PartyInput
from tamiz.store.updates import update_from_paths

ROOT = Path(__file__).resolve().parents[1]
HISTORY = (ROOT / ".." / "shared" / "data" / "lists" / "us_ofac_sdn" / "history").resolve()
RESULTS = Path(__file__).resolve().parent / "results"
DAYS = ("2024-05-01", "2024-05-02", "2024-05-03")
LOCALES = ("en_US", "en_GB", "es_ES", "es_MX", "fr_FR", "de_DE", "it_IT", "ru_RU", "tr_TR")
LOCALES += ("ar_AA", "fa_IR", "zh_CN", "pt_BR", "pl_PL", "nl_NL")
COUNTRIES = ("US", "GB", "ES", "MX", "FR", "DE", "IT", "RU", "TR", "AE", "IR", "CN", "BR")

console = Console()


def log(message: str) -> None:
    console.log(message, highlight=False)


# -- measuring ------------------------------------------------------------------------------


class PeakMemory:
    """Samples the resident memory of this process plus its children (pool workers)."""

    def __init__(self, interval: float = 0.05) -> None:
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._proc = psutil.Process()

    def _rss(self) -> int:
        total = self._proc.memory_info().rss
        for child in self._proc.children(recursive=True):
            try:
                # a forked worker shares the parent's pages until written: count its own
                # unique set where the platform reports it, else its RSS
                info = child.memory_full_info()
                total += getattr(info, "uss", info.rss)
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            self._stop.wait(self.interval)

    @contextmanager
    def measure(self) -> Iterator[PeakMemory]:
        self.peak = self._rss()
        self._stop.clear()
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, self._rss())


@dataclass
class Step:
    name: str
    seconds: float
    peak_mb: float
    detail: dict[str, Any] = field(default_factory=dict)


def timed(steps: list[Step], name: str, fn: Callable[[], Any], **detail: Any) -> Any:
    meter = PeakMemory()
    with meter.measure():
        started = time.perf_counter()
        value = fn()
        seconds = time.perf_counter() - started
    steps.append(Step(name, seconds, meter.peak / 2**20, detail))
    log(f"{name}: {seconds:.2f} s, peak {meter.peak / 2**20:.0f} MB")
    return value


# -- the synthetic book ---------------------------------------------------------------------


@dataclass(frozen=True)
class Planted:
    party_id: str
    entity_id: str
    listed_name: str
    written: str
    noise: str


def noisy_name(name: str, rng: random.Random) -> tuple[str, str]:
    """A listed name as a customer file might have it, and what was done to it."""
    words = name.replace(",", " ").split()
    if len(words) > 1 and "," in name:
        # "MADURO MOROS, Nicolas" is written given name first in customer files
        head, _, tail = name.partition(",")
        words = tail.split() + head.split()
    kind = rng.choice(("typo", "reorder", "drop", "initial", "case", "typo"))
    if kind == "typo":
        candidates = [i for i, w in enumerate(words) if len(w) >= 5]
        if candidates:
            i = rng.choice(candidates)
            w = words[i]
            j = rng.randrange(1, len(w) - 1)
            op = rng.choice(("delete", "swap", "replace"))
            if op == "delete":
                w = w[:j] + w[j + 1 :]
            elif op == "swap":
                w = w[: j - 1] + w[j] + w[j - 1] + w[j + 1 :]
            else:
                w = w[:j] + rng.choice("aeioulnrst") + w[j + 1 :]
            words[i] = w
        else:
            kind = "case"
    elif kind == "reorder" and len(words) > 1:
        rng.shuffle(words)
    elif kind == "drop" and len(words) > 2:
        words.pop(rng.randrange(1, len(words)))
    elif kind == "initial" and len(words) > 2:
        i = rng.randrange(1, len(words) - 1)
        words[i] = words[i][0] + "."
    else:
        kind = "case"
    text = " ".join(words)
    return (text.title() if rng.random() < 0.7 else text.lower()), kind


def _plantable(entity: Entity) -> bool:
    return entity.schema in (Schema.PERSON, Schema.ORGANIZATION, Schema.COMPANY) and any(
        n.kind is NameKind.PRIMARY and len(n.full) >= 6 for n in entity.names
    )


def plant(
    entities: list[Entity], count: int, rng: random.Random, prefix: str
) -> tuple[list[PartyInput], list[Planted]]:
    parties, planted = [], []
    pool = [e for e in entities if _plantable(e)]
    for n, entity in enumerate(rng.sample(pool, min(count, len(pool)))):
        listed = entity.caption
        written, noise = noisy_name(listed, rng)
        query: dict[str, Any] = {"names": [written]}
        schema = entity.schema.value if rng.random() < 0.8 else None
        dates = [d.value for d in entity.birth_dates if d.value and len(d.value) == 10]
        birth = dates[0] if dates and rng.random() < 0.5 else None
        try:
            q = Query(names=(written,), schema=schema, birth_dates=(birth,) if birth else ())
        except QueryError:
            continue
        query = q.to_dict()
        pid = f"{prefix}{n:04d}"
        parties.append(PartyInput(pid, query, {"name": written, "planted_from": entity.id}))
        planted.append(Planted(pid, entity.id, listed, written, noise))
    return parties, planted


def synthetic_parties(count: int, seed: int) -> list[PartyInput]:
    from faker import Faker

    fakers = [Faker(locale) for locale in LOCALES]
    for i, f in enumerate(fakers):
        f.seed_instance(seed + i)
    rng = random.Random(seed)
    out = []
    for n in range(count):
        f = fakers[n % len(fakers)]
        if rng.random() < 0.1:
            name, schema, dob = f.company(), "Company", None
        else:
            name, schema = f.name(), "Person"
            dob = f.date_of_birth(minimum_age=18, maximum_age=90).isoformat()
        country = COUNTRIES[n % len(COUNTRIES)]
        try:
            q = Query(
                names=(name,),
                schema=schema,
                birth_dates=(dob,) if dob and rng.random() < 0.7 else (),
                countries=(country,) if rng.random() < 0.5 else (),
            )
        except QueryError:
            continue
        out.append(PartyInput(f"c{n:06d}", q.to_dict(), {"name": name}))
    return out


# -- the run ---------------------------------------------------------------------------------


def found_planted(store: Store, planted: list[Planted]) -> tuple[int, list[Planted]]:
    alerted = {(a.party_id, a.entity_id) for a in cases.list_alerts(store)}
    missed = [p for p in planted if (p.party_id, p.entity_id) not in alerted]
    return len(planted) - len(missed), missed


def _incremental_pass(home: Path, url: str, result: dict, workers: int) -> dict[str, Any]:
    store = Store.open(Settings(home=home, database_url=url))
    try:
        monitor = Monitor(store, Screener(store), workers=workers)
        run = monitor.on_snapshot_activated(UpdateResult.from_dict(result))
        return run.to_dict() if run is not None else {"seconds": 0.0}
    finally:
        store.close()


def _in_fresh_process(home: Path, url: str, result: UpdateResult, workers: int) -> dict:
    """The incremental pass of ``result`` in a new interpreter (its own timings: from the
    moment the activated snapshot is handed over, imports excluded)."""
    with mp.get_context("spawn").Pool(1) as pool:
        return pool.apply(_incremental_pass, (home, url, result.to_dict(), workers))


def run(args: argparse.Namespace) -> dict[str, Any]:
    home = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="tamiz-monbench-"))
    if args.keep and home.exists():
        shutil.rmtree(home)
    url = args.database_url or f"sqlite:///{home / 'tamiz.db'}"
    store = Store.open(Settings(home=home, database_url=url))
    screener = Screener(store)
    monitor = Monitor(store, screener, workers=args.workers)
    steps: list[Step] = []
    rng = random.Random(args.seed)
    try:
        first = timed(
            steps,
            "load SDN 2024-05-01",
            lambda: update_from_paths(store, "us_ofac_sdn", [HISTORY / f"sdn-{DAYS[0]}.csv"]),
        )
        sdn1 = list(store.iter_entities(first.snapshot))
        timed(steps, "list index build 05-01 (shared)", screener.current)

        # entities the 05-02 update adds (names planted for the incremental pass to find)
        # and the 05-03 update removes (planted names whose alerts it must close)
        probe = Store.open(Settings(home=home / "probe", database_url=f"sqlite:///{home / 'p.db'}"))
        update_from_paths(probe, "us_ofac_sdn", [HISTORY / f"sdn-{DAYS[1]}.csv"])
        sdn2 = {e.id: e for e in probe.iter_entities(probe.active_snapshots()["us_ofac_sdn"].id)}
        update_from_paths(probe, "us_ofac_sdn", [HISTORY / f"sdn-{DAYS[2]}.csv"])
        sdn3 = {e.id for e in probe.iter_entities(probe.active_snapshots()["us_ofac_sdn"].id)}
        probe.close()
        added = [sdn2[i] for i in sorted(set(sdn2) - {e.id for e in sdn1})]
        removed = [sdn2[i] for i in sorted(set(sdn2) - sdn3)]

        synthetic = timed(
            steps,
            f"generate {args.parties:,} parties (Faker)",
            lambda: synthetic_parties(
                args.parties - args.planted - len(added) - len(removed), args.seed
            ),
        )
        planted_parties, planted = plant(sdn1, args.planted, rng, "p")
        new_parties, new_planted = plant(added, len(added), rng, "n")
        gone_parties, gone_planted = plant(removed, len(removed), rng, "r")
        book = synthetic + planted_parties + new_parties + gone_parties
        log(f"book: {len(book):,} parties, {len(planted)} planted, {len(new_planted)} for 05-02")

        timed(
            steps,
            "add parties (no screening)",
            lambda: monitor.add("bench", book, screen=False),
            parties=len(book),
        )
        full = timed(steps, "full pass (05-01)", monitor.run_full, workers=args.workers)
        n_found, missed = found_planted(store, planted)
        log(f"full pass: {full.to_dict()}; planted found {n_found}/{len(planted)}")
        timed(steps, "party index build (once per book change)", monitor.rebuild_party_index)

        incremental = []
        for day in DAYS[1:]:
            result = timed(
                steps,
                f"load SDN {day}",
                lambda day=day: update_from_paths(
                    store, "us_ofac_sdn", [HISTORY / f"sdn-{day}.csv"]
                ),
            )
            timed(steps, f"list index build {day[5:]} (shared)", screener.refresh)
            # In a fresh process, as `tamiz update` runs it: list and party indexes loaded
            # from disk, and none of this benchmark's own objects on the heap (a heap of 100,000
            # Faker parties makes every garbage collection of the pass walk them).
            inc = timed(
                steps,
                f"incremental pass ({day[5:]})",
                lambda result=result: _in_fresh_process(home, url, result, args.workers),
            )
            log(f"incremental {day}: {inc}")
            incremental.append((day, inc))
        new_found, new_missed = found_planted(store, new_planted)
        gone = {p.party_id for p in gone_planted}
        gone_closed = sum(
            1 for a in cases.list_alerts(store, status="closed") if a.party_id in gone
        )
        check = timed(steps, "check: full pass (05-03)", monitor.run_full)
        log(f"check full pass: {check.to_dict()}")
    finally:
        store.close()
        if not args.keep:
            shutil.rmtree(home, ignore_errors=True)

    full_step = next(s for s in steps if s.name.startswith("full pass"))
    report = {
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "database": url.split(":", 1)[0],
            "workers": args.workers,
        },
        "parties": len(book),
        "planted": len(planted),
        "steps": [
            {"name": s.name, "seconds": round(s.seconds, 3), "peak_mb": round(s.peak_mb, 1)}
            for s in steps
        ],
        "full_pass": full.to_dict(),
        "planted_found": n_found,
        "planted_missed": [p.__dict__ for p in missed],
        "incremental": [
            {
                "update": day,
                **inc,
                "share_of_full_pass": round(inc["seconds"] / full_step.seconds, 4),
            }
            for day, inc in incremental
        ],
        "planted_for_05_02": len(new_planted),
        "planted_for_05_02_found": new_found,
        "planted_for_05_02_missed": [p.__dict__ for p in new_missed],
        "planted_for_05_03_removals": len(gone_planted),
        "planted_for_05_03_removals_closed": gone_closed,
        "check_full_pass": check.to_dict(),
    }
    return report


def print_report(report: dict[str, Any]) -> None:
    table = Table("step", "seconds", "peak MB", title=f"monitoring {report['parties']:,} parties")
    for s in report["steps"]:
        table.add_row(s["name"], f"{s['seconds']:.2f}", f"{s['peak_mb']:.0f}")
    console.print(table)
    full = report["full_pass"]
    console.print(
        f"full pass: {full['created']} alerts on {full['parties']:,} parties; planted names "
        f"found {report['planted_found']}/{report['planted']}"
    )
    t2 = Table("update", "seconds", "% of full", "candidates", "re-scored", "new", "closed")
    for inc in report["incremental"]:
        t2.add_row(
            inc["update"],
            f"{inc['seconds']:.3f}",
            f"{100 * inc['share_of_full_pass']:.2f} %",
            str(inc.get("candidates", 0)),
            str(inc["parties"]),
            str(inc["created"]),
            str(inc["closed"]),
        )
    console.print(t2)
    console.print(
        f"names planted for the 05-02 additions found: {report['planted_for_05_02_found']}/"
        f"{report['planted_for_05_02']}"
    )
    console.print(
        f"alerts on names planted for the 05-03 removals closed: "
        f"{report['planted_for_05_03_removals_closed']}/{report['planted_for_05_03_removals']}"
    )
    check = report["check_full_pass"]
    console.print(
        f"check full pass on 05-03: {check['created']} new, {check['reopened']} re-opened, "
        f"{check['closed']} closed (0/0/0: the incremental passes missed nothing)"
    )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--parties", type=int, default=100_000)
    parser.add_argument("--planted", type=int, default=300)
    parser.add_argument("--workers", type=int, default=min(os.cpu_count() or 1, 4))
    parser.add_argument("--seed", type=int, default=20240501)
    parser.add_argument("--database-url", help="default: SQLite in a temporary directory")
    parser.add_argument("--keep", help="keep the store in this directory")
    parser.add_argument("--out", type=Path, default=RESULTS / "monitoring.json")
    args = parser.parse_args(argv)
    report = run(args)
    print_report(report)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    log(f"wrote {args.out}")


if __name__ == "__main__":
    main()
