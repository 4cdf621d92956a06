"""List updates: local files, an offline mirror, or the publishers' official downloads.

Each function returns one :class:`UpdateResult` per snapshot it tried; none raises for a bad
file or a failed download (those become ``rejected`` results with the reason), so a batch
update carries on past one broken source and the caller decides the exit status.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import httpx

from tamiz.sources import DATASETS
from tamiz.store.fetch import (
    Download,
    FetchError,
    download,
    download_pages,
    files_from_paths,
    mirror_items,
)
from tamiz.store.fetch import remember_validators as _remember
from tamiz.store.lists import Store, UpdateResult, published_from_names


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


def update_from_mirror(
    store: Store,
    root: str | os.PathLike[str],
    datasets: Sequence[str] | None = None,
    *,
    force: bool = False,
) -> list[UpdateResult]:
    """Load every snapshot an offline mirror holds for the built-in datasets, oldest first."""
    root = Path(root)
    if not root.is_dir():
        return [
            UpdateResult(d, "rejected", error=f"{root}: not a directory") for d in datasets or ["*"]
        ]
    unknown = [d for d in datasets or () if d not in DATASETS]
    results = [UpdateResult(d, "rejected", error=f"{d}: not a built-in dataset") for d in unknown]
    for item in mirror_items(root, [d for d in datasets or DATASETS if d in DATASETS]):
        # a MirrorSnapshot's stated date wins; dates in paths only fill in for the file's own
        result = update_from_paths(
            store, item.dataset, item.paths, published=item.published, force=force
        )
        results.append(result)
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
