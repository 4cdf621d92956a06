"""Ongoing monitoring: books of parties re-screened whenever a list changes.

Three kinds of pass, all ending in :func:`tamiz.store.cases.record_run`, which turns the
pairs found into alerts (created, re-opened, re-scored, closed) in one audited transaction:

- **full** (``tamiz monitor run``): every active party against the active lists.
- **parties** (``tamiz monitor add``): the parties that are new or whose data changed.
- **incremental** (:func:`on_snapshot_activated`, after a list update activates a
  snapshot): only the entities the diff added or changed can raise alerts, and only the
  parties that could match them are re-scored. Removed entities close their waiting alerts
  with a system note.

How the incremental pass finds "the parties that could match" without screening them all:
the monitored parties themselves are compiled into a :class:`~tamiz.match.MatchIndex` (the
*party index*, cached on disk next to the list indexes and patched with a small delta index
for parties added since it was built). Each added or changed list entity is searched in it,
retrieval only, at a low threshold (``PREFILTER``): that costs a few milliseconds per entity
whatever the size of the book. The parties it retrieves, plus any party that already has an
alert on those entities, are then screened normally against the full index of the new
snapshots, and only their results for the touched entities are kept, so an incremental pass
gives exactly the scores a full pass would. (Searching every party's query against a small
index of the touched entities, the obvious alternative, costs ~0.13 ms per party: 13 s for
100,000 parties, over 10 % of a full pass, and its scores would use the small index's token
statistics.) ``benchmarks/monitoring.py`` compares the two passes on 100,000 parties.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import multiprocessing
import os
import re
import tempfile
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from tamiz.index.similarity import GLUED_PREFIXES
from tamiz.match import DEFAULT_THRESHOLD, MatchIndex, Query, QueryError
from tamiz.match.query import parse_schema
from tamiz.model import Entity, Identifier, Name, NameKind, Schema
from tamiz.screen.files import read_records
from tamiz.screen.monitor_webhooks import WebhookConfig, WebhookDispatcher
from tamiz.screen.records import RecordColumns, query_from_row
from tamiz.screen.screener import LoadedIndex, Screener
from tamiz.store import Store, UpdateResult, cases
from tamiz.store.cases import Book, Finding, Party, PartyInput, RunResult, Scope

log = logging.getLogger("tamiz.monitor")

# Results kept per party and search (topic and dataset filters apply inside the search).
LIMIT = 10
# Retrieval threshold of list entity -> party index searches. Retrieval from the list side
# measures how much of the *entity's* name a party covers, which for a short party name
# against a long listed name is well below the forward score; 0.05 keeps every pair a full
# pass finds on the SDN history updates (tests/test_monitor.py checks it) at a few dozen
# candidates per entity.
PREFILTER = 0.05
# Below this many parties a pass runs in-process (a process pool costs more than it saves).
POOL_MIN_PARTIES = 2000
PARTY_INDEX_FILE = "monitor-parties.idx"
PARTY_INDEX_DATASET = "monitor"


class MonitorError(ValueError):
    """A monitoring request that cannot be carried out; the message says why."""


# -- reading a book from a file -------------------------------------------------------------


@dataclass
class BookFile:
    """Parties read from a customer file, and the rows that could not be used."""

    parties: list[PartyInput] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, problem)
    duplicates: int = 0
    rows: int = 0


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return str(value)


def read_book(path: Path, columns: RecordColumns) -> BookFile:
    """Parties of a CSV / JSON lines / Parquet file; every unusable row is listed."""
    if not columns.party_id:
        raise MonitorError("--party-id-column is required: each party needs the caller's id")
    out = BookFile()
    seen: dict[str, int] = {}
    for number, row in enumerate(read_records(path), 1):
        out.rows += 1
        if number == 1:
            columns.check(row.keys())
        raw_id = row.get(columns.party_id)
        party_id = str(raw_id).strip() if raw_id is not None else ""
        if not party_id:
            out.errors.append((number, f"no party id in column {columns.party_id!r}"))
            continue
        if len(party_id) > 200:
            out.errors.append((number, "party id longer than 200 characters"))
            continue
        try:
            query = query_from_row(row, columns)
        except QueryError as exc:
            out.errors.append((number, str(exc)))
            continue
        party = PartyInput(party_id, query.to_dict(), _plain(dict(row)))
        if party_id in seen:
            out.duplicates += 1
            out.parties[seen[party_id]] = party
            continue
        seen[party_id] = len(out.parties)
        out.parties.append(party)
    if out.rows == 0:
        raise MonitorError(f"{path}: no records")
    return out


def query_of(data: dict[str, Any]) -> Query:
    """The Query stored for a party (``Query.to_dict()`` form)."""
    return Query(
        names=tuple(data.get("names") or ()),
        schema=data.get("schema"),
        birth_dates=tuple(data.get("birth_dates") or ()),
        countries=tuple(data.get("countries") or ()),
        identifiers=tuple(data.get("identifiers") or ()),
        gender=data.get("gender"),
    )


# -- forward screening of parties (in-process or in forked workers) ------------------------

# (party pk, entity id, score, caption, dataset, explanation JSON)
Hit = tuple[int, str, float, str, str, str]
# A forked worker inherits the loaded index and the search options through this
# (copy-on-write): (index, book -> search options or None, entity ids to keep or None).
_WORKER: tuple[LoadedIndex, dict[str, dict[str, Any] | None], frozenset[str] | None] | None
_WORKER = None


def search_options(
    loaded: LoadedIndex, book: Book, datasets: Collection[str] | None = None
) -> dict[str, Any] | None:
    """How a book's parties are searched; None when none of its datasets is loaded (or
    among ``datasets``, a restriction of the pass)."""
    allowed = None
    if book.datasets or datasets is not None:
        allowed = [
            d
            for d in loaded.snapshots
            if (not book.datasets or d in book.datasets) and (datasets is None or d in datasets)
        ]
        if not allowed:
            return None
    threshold = DEFAULT_THRESHOLD if book.threshold is None else book.threshold
    return {
        "threshold": threshold,
        "limit": LIMIT,
        "datasets": allowed,
        "topics": book.include_topics or None,
        "exclude_topics": book.exclude_topics or None,
    }


def _screen_party(
    loaded: LoadedIndex,
    options: dict[str, Any] | None,
    only: frozenset[str] | None,
    pk: int,
    query_data: dict[str, Any],
) -> list[Hit]:
    if options is None:
        return []
    try:
        query = query_of(query_data)
    except QueryError as exc:  # stored by an older version with looser validation
        log.warning("party %s: cannot screen: %s", pk, exc)
        return []
    hits = []
    for r in loaded.index.search(query, **options):
        if only is not None and r.entity_id not in only:
            continue
        dataset = r.datasets[0] if r.datasets else r.entity_id.split(":", 1)[0]
        explanation = orjson.dumps(r.explanation.to_dict()).decode()
        hits.append((pk, r.entity_id, r.score, r.caption, dataset, explanation))
    return hits


def _screen_chunk(chunk: list[tuple[int, str, dict[str, Any]]]) -> list[Hit]:
    assert _WORKER is not None
    loaded, options, only = _WORKER
    out: list[Hit] = []
    for pk, book, data in chunk:
        out.extend(_screen_party(loaded, options[book], only, pk, data))
    return out


def screen_parties(
    loaded: LoadedIndex,
    parties: Sequence[Party],
    books: dict[str, Book],
    *,
    only: Collection[str] | None = None,
    datasets: Collection[str] | None = None,
    workers: int = 1,
    chunk_size: int = 256,
) -> list[Hit]:
    """Screen parties against the loaded index with their book's settings.

    ``only`` keeps the hits on these entity ids; ``datasets`` restricts the searches.
    """
    global _WORKER
    restrict = frozenset(only) if only is not None else None
    jobs = [(p.pk, p.book, p.query) for p in parties]
    options = {name: search_options(loaded, b, datasets) for name, b in books.items()}
    _WORKER = (loaded, options, restrict)
    try:
        if (
            workers > 1
            and len(jobs) >= POOL_MIN_PARTIES
            and "fork" in multiprocessing.get_all_start_methods()
        ):
            chunks = [jobs[i : i + chunk_size] for i in range(0, len(jobs), chunk_size)]
            with multiprocessing.get_context("fork").Pool(workers) as pool:
                return [h for part in pool.imap(_screen_chunk, chunks) for h in part]
        return _screen_chunk(jobs)
    finally:
        _WORKER = None


# -- the party index (list entity -> parties that could match it) --------------------------


def _party_key(p: Party) -> str:
    return f"{p.pk}:{p.fingerprint[:16]}"


_WORDS = re.compile(r"[^\W\d_]+")


def _name_variants(name: str) -> list[str]:
    """A party's name plus, for each word that starts with a glued article or particle
    (``Alzawahiri``, ``Dasilva``), the name with that word stripped of it.

    Retrieval from the entity side cannot find ``alzawahiri`` from ``zawahiri`` (the forward
    search can: it tries query tokens without such prefixes), so the party index gets both.
    """
    out = [name]
    words = _WORDS.findall(name.lower())
    for i, w in enumerate(words):
        if not w.isascii():
            continue
        for prefix in GLUED_PREFIXES:
            if w.startswith(prefix) and len(w) - len(prefix) >= 4:
                out.append(" ".join([*words[:i], w[len(prefix) :], *words[i + 1 :]]))
    return out


def party_entity(p: Party) -> Entity | None:
    """A monitored party as an entity of the party index (names, schema, identifiers).

    Built from the stored query, which was validated and cleaned when the party was added.
    """
    names: list[Name] = []
    for text in p.query.get("names") or ():
        for variant in _name_variants(text):
            names.append(Name(variant, NameKind.PRIMARY if not names else NameKind.AKA))
    if not names:
        return None
    try:
        schema = parse_schema(p.query.get("schema")) or Schema.THING
    except QueryError:
        schema = Schema.THING
    return Entity(
        id=_party_key(p),
        dataset=PARTY_INDEX_DATASET,
        schema=schema,
        names=tuple(names),
        identifiers=tuple(Identifier("other", v) for v in p.query.get("identifiers") or ()),
    )


def _build_party_index(parties: Iterable[Party]) -> MatchIndex:
    return MatchIndex.build(e for e in map(party_entity, parties) if e is not None)


def _entity_queries(entity: Entity) -> Iterator[Query]:
    """Retrieval queries for a list entity: its names (50 per query), identifiers."""
    names = list(dict.fromkeys(n.full for n in entity.names if n.full and n.full.strip()))
    ids = tuple(i.value for i in entity.identifiers if i.value)
    for start in range(0, max(len(names), 1), 50):
        chunk = tuple(names[start : start + 50])
        if not chunk:
            return
        try:
            yield Query(names=chunk, identifiers=ids)
        except QueryError:  # one unusable published name must not hide the others
            for name in chunk:
                with contextlib.suppress(QueryError):
                    yield Query(names=(name,), identifiers=ids)


@dataclass
class PartyIndex:
    """The party index plus a delta index over parties it does not cover yet."""

    main: MatchIndex | None
    delta: MatchIndex | None
    key_to_pk: dict[str, int]

    def candidates(self, entity: Entity, threshold: float = PREFILTER) -> set[int]:
        found: set[int] = set()
        for index in (self.main, self.delta):
            if index is None or not len(index):
                continue
            for query in _entity_queries(entity):
                for key, _bound in index.candidates(query, threshold=threshold):
                    pk = self.key_to_pk.get(key)
                    if pk is not None:
                        found.add(pk)
        return found


# -- the monitor ----------------------------------------------------------------------------


@dataclass
class AddResult:
    upsert: cases.UpsertResult
    run: RunResult | None = None

    def to_dict(self) -> dict[str, Any]:
        out = self.upsert.to_dict()
        out["screened"] = self.run.to_dict() if self.run else None
        return out


class Monitor:
    """Monitoring over one store; reuse one instance (it caches the party index)."""

    def __init__(
        self,
        store: Store,
        screener: Screener | None = None,
        *,
        workers: int = 1,
        webhook: WebhookConfig | None = None,
        actor: str = cases.SYSTEM,
    ) -> None:
        self.store = store
        self.screener = screener or Screener(store)
        self.workers = max(1, workers)
        self.webhook = webhook
        self.actor = actor
        self.dispatcher = WebhookDispatcher(store, webhook) if webhook else None
        self._party_index: tuple[float, MatchIndex] | None = None

    @classmethod
    def from_env(cls, store: Store, screener: Screener | None = None, **kwargs: Any) -> Monitor:
        """A monitor configured from ``TAMIZ_WEBHOOK_*`` (see ``WebhookConfig.from_env``)."""
        return cls(store, screener, webhook=WebhookConfig.from_env(), **kwargs)

    # -- parties -----------------------------------------------------------------------

    def add(
        self,
        book: str,
        parties: Iterable[PartyInput],
        *,
        screen: bool = True,
        actor: str | None = None,
    ) -> AddResult:
        """Add or update parties; new and changed ones are screened at once (``screen``)."""
        upsert = cases.upsert_parties(self.store, book, parties, actor=actor)
        run = None
        if screen and upsert.to_screen and self.store.active_snapshots():
            run = self.run_parties(upsert.to_screen)
        return AddResult(upsert, run)

    def remove(
        self, book: str, party_ids: Iterable[str], *, actor: str | None = None
    ) -> tuple[int, int]:
        """Stop monitoring parties; returns (parties removed, alerts closed)."""
        return cases.remove_parties(self.store, book, party_ids, actor=actor)

    # -- passes ------------------------------------------------------------------------

    def _books(self) -> dict[str, Book]:
        return {b.name: b for b in cases.books(self.store)}

    def _loaded(self) -> LoadedIndex:
        """The index of the snapshots active now (rebuilt or reloaded if they changed)."""
        self.screener.refresh()
        return self.screener.current()

    def _findings(
        self, loaded: LoadedIndex, hits: list[Hit], parties: list[Party]
    ) -> list[Finding]:
        by_pk = {p.pk: p for p in parties}
        facts = cases.entity_facts(self.store, loaded.snapshot_ids, {h[1] for h in hits})
        out = []
        for pk, entity_id, score, caption, dataset, explanation in hits:
            party = by_pk[pk]
            fact = facts.get(entity_id)
            if fact is None:  # not in the snapshots the index was built from: stale cache
                log.warning("%s is not in the active snapshots; skipped", entity_id)
                continue
            out.append(
                Finding(
                    party_pk=pk,
                    book=party.book,
                    entity_id=entity_id,
                    dataset=fact.dataset or dataset,
                    snapshot=fact.snapshot,
                    entity_version=fact.version,
                    party_fingerprint=party.fingerprint,
                    caption=caption,
                    score=score,
                    explanation=explanation,
                )
            )
        return out

    def _record(self, **kwargs: Any) -> RunResult:
        result = cases.record_run(
            self.store,
            webhook_url=self.webhook.url if self.webhook else None,
            actor=self.actor,
            **kwargs,
        )
        if result.delivery_id is not None and self.dispatcher is not None:
            self.dispatcher.submit(result.delivery_id)  # sent in the background
        return result

    def run_full(self, *, datasets: Collection[str] | None = None) -> RunResult:
        """Screen every active party against the active lists (or only ``datasets``)."""
        started = time.perf_counter()
        loaded = self._loaded()
        timings = {"index": time.perf_counter() - started}
        books = self._books()
        parties = cases.active_parties(self.store)
        timings["load_parties"] = time.perf_counter() - started - timings["index"]
        t = time.perf_counter()
        hits = screen_parties(loaded, parties, books, datasets=datasets, workers=self.workers)
        timings["screen"] = time.perf_counter() - t
        t = time.perf_counter()
        findings = self._findings(loaded, hits, parties)
        scope = Scope(datasets=frozenset(datasets) if datasets is not None else None)
        result = self._record(
            kind="full",
            findings=findings,
            scope=scope,
            snapshots=loaded.snapshot_ids,
            parties=len(parties),
            seconds=time.perf_counter() - started,
            trigger="monitor run" if datasets is None else f"first load of {', '.join(datasets)}",
        )
        timings["record"] = time.perf_counter() - t
        result.timings = timings
        return result

    def run_parties(self, pks: Collection[int]) -> RunResult:
        """Screen these parties (new or changed) against the active lists."""
        started = time.perf_counter()
        loaded = self._loaded()
        books = self._books()
        parties = cases.active_parties(self.store, pks)
        hits = screen_parties(loaded, parties, books, workers=self.workers)
        findings = self._findings(loaded, hits, parties)
        return self._record(
            kind="parties",
            findings=findings,
            scope=Scope(party_pks=frozenset(p.pk for p in parties)),
            snapshots=loaded.snapshot_ids,
            parties=len(parties),
            seconds=time.perf_counter() - started,
            trigger=f"{len(parties)} new or changed parties",
        )

    # -- incremental ---------------------------------------------------------------------

    def party_index(self, *, rebuild_share: float = 0.10, min_rebuild: int = 500) -> PartyIndex:
        """The party index, loaded from its cache file; parties it does not cover (added or
        changed since it was built) go into a small delta index. When they exceed
        ``rebuild_share`` of the book (and ``min_rebuild``), the cache file is rebuilt."""
        fingerprints = cases.party_fingerprints(self.store)
        key_to_pk = {f"{pk}:{fp[:16]}": pk for pk, fp in fingerprints.items()}
        path = self.store.settings.index_dir / PARTY_INDEX_FILE
        main = self._load_party_index(path)
        covered = set(main.entity_ids()) if main is not None else set()
        missing = [pk for key, pk in key_to_pk.items() if key not in covered]
        if main is None or len(missing) > max(min_rebuild, rebuild_share * len(key_to_pk)):
            main = self.rebuild_party_index()
            missing = []
        delta = None
        if missing:
            delta = _build_party_index(cases.active_parties(self.store, missing))
        return PartyIndex(main, delta, key_to_pk)

    def refresh_party_index(self) -> PartyIndex:
        """Bring the party index file up to date if any party is missing from it (after a
        full pass, so that the next list update starts without a delta)."""
        return self.party_index(rebuild_share=0.0, min_rebuild=0)

    def _load_party_index(self, path: Path) -> MatchIndex | None:
        try:
            mtime = path.stat().st_mtime
        except FileNotFoundError:
            return None
        if self._party_index is not None and self._party_index[0] == mtime:
            return self._party_index[1]
        try:
            index = MatchIndex.load(path)
        except Exception:  # a damaged or outdated cache is rebuilt, never trusted
            path.unlink(missing_ok=True)
            return None
        self._party_index = (mtime, index)
        return index

    def rebuild_party_index(self, parties: Sequence[Party] | None = None) -> MatchIndex:
        parties = cases.active_parties(self.store) if parties is None else parties
        index = _build_party_index(parties)
        path = self.store.settings.index_dir / PARTY_INDEX_FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-parties-", suffix=".idx")
        os.close(fd)
        try:
            index.save(tmp)
            os.replace(tmp, path)
        finally:
            Path(tmp).unlink(missing_ok=True)
        self._party_index = (path.stat().st_mtime, index)
        return index

    def on_snapshot_activated(self, result: UpdateResult) -> RunResult | None:
        """Re-screen after ``result`` activated a snapshot (None when there is nothing to do).

        ``result.previous`` is the snapshot it replaced; with none (a dataset's first load)
        the pass is a full pass restricted to that dataset.
        """
        if result.status != "activated" or not result.snapshot:
            return None
        if cases.count_active_parties(self.store) == 0:
            return None
        if not result.previous:
            return self.run_full(datasets=[result.dataset])
        started = time.perf_counter()
        timings: dict[str, float] = {}
        diff = self.store.diff(result.dataset, result.previous, result.snapshot)
        touched = set(diff.added) | {eid for eid, _ in diff.changed}
        snap = diff.to_snapshot
        removed_reason = (
            f"removed from {result.dataset} in snapshot {snap.id} (published {snap.published})"
        )
        trigger = f"{result.dataset} {diff.from_snapshot.id} -> {snap.id}"
        timings["diff"] = time.perf_counter() - started
        if not touched:
            return self._record(
                kind="incremental",
                findings=[],
                scope=Scope(entity_ids=frozenset()),
                snapshots={result.dataset: snap.id},
                parties=0,
                seconds=time.perf_counter() - started,
                trigger=trigger,
                removed=diff.removed,
                removed_reason=removed_reason,
            )
        t = time.perf_counter()
        loaded = self._loaded()
        timings["index"] = time.perf_counter() - t
        t = time.perf_counter()
        entities = cases.snapshot_entities(self.store, snap.id, touched)
        pindex = self.party_index()
        timings["party_index"] = time.perf_counter() - t
        t = time.perf_counter()
        candidates: set[int] = set()
        for entity in entities:
            candidates |= pindex.candidates(entity)
        # a party already alerted on a touched entity is re-scored whatever retrieval says,
        # so a changed entry never closes an alert on the strength of the prefilter alone
        candidates |= cases.parties_alerted_on(self.store, touched)
        timings["candidates"] = time.perf_counter() - t
        t = time.perf_counter()
        books = self._books()
        parties = cases.active_parties(self.store, candidates)
        hits = screen_parties(loaded, parties, books, only=touched, workers=self.workers)
        findings = self._findings(loaded, hits, parties)
        timings["screen"] = time.perf_counter() - t
        t = time.perf_counter()
        run = self._record(
            kind="incremental",
            findings=findings,
            scope=Scope(entity_ids=frozenset(touched)),
            snapshots={result.dataset: snap.id},
            parties=len(parties),
            seconds=time.perf_counter() - started,
            trigger=trigger,
            removed=diff.removed,
            removed_reason=removed_reason,
        )
        timings["record"] = time.perf_counter() - t
        run.candidates = len(candidates)
        run.timings = timings
        return run

    def after_update(self, results: Sequence[UpdateResult]) -> list[RunResult]:
        """The incremental passes for a batch of update results: one per dataset, from the
        snapshot active before the batch to the one active after it, against one index."""
        first: dict[str, str | None] = {}
        last: dict[str, UpdateResult] = {}
        for r in results:
            if r.status == "activated" and r.snapshot:
                first.setdefault(r.dataset, r.previous)
                last[r.dataset] = r
        if not last or cases.count_active_parties(self.store) == 0:
            return []
        self.screener.refresh()
        runs = []
        for dataset, r in last.items():
            combined = dataclasses.replace(r, previous=first[dataset])
            if combined.previous == combined.snapshot:
                continue
            run = self.on_snapshot_activated(combined)
            if run is not None:
                runs.append(run)
        return runs

    def wait_for_webhooks(self, timeout: float | None = None) -> None:
        if self.dispatcher is not None:
            self.dispatcher.join(timeout)


def on_snapshot_activated(
    store: Store,
    screener: Screener | None,
    result: UpdateResult,
    *,
    monitor: Monitor | None = None,
) -> RunResult | None:
    """The hook for update paths: incremental monitoring after ``result`` (if activated)."""
    monitor = monitor or Monitor.from_env(store, screener)
    return monitor.on_snapshot_activated(result)


__all__ = [
    "LIMIT",
    "PREFILTER",
    "AddResult",
    "BookFile",
    "Monitor",
    "MonitorError",
    "PartyIndex",
    "on_snapshot_activated",
    "party_entity",
    "query_of",
    "read_book",
    "screen_parties",
]
