"""List updates: local files, an offline mirror, or the publishers' official downloads.

Each function returns one :class:`UpdateResult` per snapshot it tried; none raises for a bad
file or a failed download (those become ``rejected`` results with the reason), so a batch
update carries on past one broken source and the caller decides the exit status.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
import os
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

import httpx

from tamiz.model import ParsedList, ParseError
from tamiz.sources import DATASETS
from tamiz.store.fetch import (
    Download,
    FetchError,
    MirrorItem,
    download,
    download_pages,
    files_from_paths,
    mirror_items,
)
from tamiz.store.fetch import remember_validators as _remember
from tamiz.store.lists import (
    Store,
    UpdateResult,
    encode_entities,
    parse_source,
    published_from_names,
)


def update_from_paths(
    store: Store,
    dataset: str,
    paths: Sequence[str | os.PathLike[str]],
    *,
    format: str | None = None,
    published: dt.date | None = None,
    force: bool = False,
) -> UpdateResult:
    try:
        files = files_from_paths(paths)
    except OSError as exc:
        return UpdateResult(dataset, "rejected", error=str(exc))
    return store.ingest(
        dataset,
        files,
        format=format,
        published=published,
        published_fallback=published_from_names(str(p) for p in paths),
        force=force,
    )


def _parse_mirror_item(
    dataset: str, fmt_id: str, paths: Sequence[Path]
) -> tuple[ParsedList, list[bytes]] | ParseError:
    """Worker-process job: parse one mirror snapshot and encode its entities (the parent
    re-reads the raw bytes, which is cheaper than shipping them back)."""
    try:
        parsed = parse_source(dataset, fmt_id, files_from_paths(paths))
    except ParseError as exc:
        return exc
    except OSError as exc:
        return ParseError(str(exc))
    return parsed, encode_entities(parsed.entities)


def update_from_mirror(
    store: Store,
    root: str | os.PathLike[str],
    datasets: Sequence[str] | None = None,
    *,
    force: bool = False,
    workers: int = 2,
) -> list[UpdateResult]:
    """Load every snapshot an offline mirror holds for the built-in datasets, oldest first.

    Parsing runs in ``workers`` processes, a couple of snapshots ahead of the writer, while
    snapshots are written (and activated) strictly in order.
    """
    root = Path(root)
    if not root.is_dir():
        return [
            UpdateResult(d, "rejected", error=f"{root}: not a directory") for d in datasets or ["*"]
        ]
    unknown = [d for d in datasets or () if d not in DATASETS]
    results = [UpdateResult(d, "rejected", error=f"{d}: not a built-in dataset") for d in unknown]
    items = mirror_items(root, [d for d in datasets or DATASETS if d in DATASETS])
    if workers <= 1 or len(items) < 2:
        for item in items:
            results.append(
                update_from_paths(
                    store, item.dataset, item.paths, published=item.published, force=force
                )
            )
        return results
    context = multiprocessing.get_context("fork" if hasattr(os, "fork") else "spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[tuple[MirrorItem, Future]] = deque()
        queue = deque(items)

        def submit_ahead() -> None:
            while queue and len(pending) < workers + 1:
                item = queue.popleft()
                fmt_id = DATASETS[item.dataset].format
                try:
                    known = store.known_snapshot(item.dataset, fmt_id, files_from_paths(item.paths))
                except OSError:
                    known = None  # reported when the item is written
                if known is not None:
                    done: Future = Future()
                    done.set_result(known)
                    pending.append((item, done))
                    continue
                pending.append(
                    (item, pool.submit(_parse_mirror_item, item.dataset, fmt_id, item.paths))
                )

        submit_ahead()
        while pending:
            item, future = pending.popleft()
            submit_ahead()
            outcome = future.result()
            if isinstance(outcome, UpdateResult):  # the same bytes were loaded before
                results.append(outcome)
                continue
            try:
                files = files_from_paths(item.paths)
            except OSError as exc:
                results.append(UpdateResult(item.dataset, "rejected", error=str(exc)))
                continue
            results.append(
                store.ingest(
                    item.dataset,
                    files,
                    published=item.published,
                    published_fallback=published_from_names(str(p) for p in item.paths),
                    force=force,
                    parsed=outcome if isinstance(outcome, ParseError) else outcome[0],
                    encoded=None if isinstance(outcome, ParseError) else outcome[1],
                )
            )
    return results


def _resolve_urls(dataset: str, urls: Sequence[str]) -> list[str]:
    resolved = []
    for url in urls:
        if "{token}" in url:
            env = f"TAMIZ_{dataset.upper()}_TOKEN"
            token = os.environ.get(env)
            if not token:
                raise FetchError(f"{dataset}: the official download needs a token; set {env}")
            url = url.replace("{token}", token)
        resolved.append(url)
    return resolved


def update_from_publishers(
    store: Store,
    datasets: Sequence[str] | None = None,
    *,
    urls: Sequence[str] | None = None,
    format: str | None = None,
    published: dt.date | None = None,
    force: bool = False,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    page_pause: float = 1.0,
    transport: httpx.BaseTransport | None = None,
) -> list[UpdateResult]:
    """Download and ingest the official files (or ``urls``, for a single dataset)."""
    names = list(datasets or [d.id for d in DATASETS.values() if d.urls])
    if urls and len(names) != 1:
        return [
            UpdateResult(
                ",".join(names) or "?", "rejected", error="--url needs exactly one --dataset"
            )
        ]
    results = []
    for name in names:
        builtin = DATASETS.get(name)
        sources = list(urls or (builtin.urls if builtin else ()))
        if not sources:
            results.append(
                UpdateResult(name, "rejected", error=f"{name}: no official download; use --from")
            )
            continue
        try:
            if builtin is not None and builtin.paged:
                pages = download_pages(
                    sources[0],
                    timeout=timeout,
                    retries=retries,
                    backoff=backoff,
                    pause=page_pause,
                    transport=transport,
                )
                fetched = Download(pages, True, [])
            else:
                fetched = download(
                    store,
                    _resolve_urls(name, sources),
                    timeout=timeout,
                    retries=retries,
                    backoff=backoff,
                    transport=transport,
                )
        except FetchError as exc:
            results.append(UpdateResult(name, "rejected", error=str(exc)))
            continue
        if not fetched.changed:
            active = store.active_snapshots().get(name)
            results.append(
                UpdateResult(
                    name,
                    "unchanged",
                    snapshot=active.id if active else None,
                    published=active.published if active else None,
                    entities=active.entity_count if active else None,
                )
            )
            continue
        result = store.ingest(name, fetched.files, format=format, published=published, force=force)
        if result.status != "rejected":
            _remember(store, fetched)
        results.append(result)
    return results
