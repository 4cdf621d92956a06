"""Getting raw list files: from local paths, from an offline mirror, or from the publishers.

Downloads use conditional GET (ETag / Last-Modified remembered per URL), timeouts, retries
with exponential back-off, and refuse a body shorter than its announced length, so a dropped
connection never turns into a "valid" truncated list.
"""

from __future__ import annotations

import datetime as dt
import glob
import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tamiz.model import SourceFile
from tamiz.sources import DATASETS, Dataset, MirrorSnapshot
from tamiz.store.blobs import sha256_hex
from tamiz.store.lists import Store, published_from_names

MAX_DOWNLOAD_BYTES = 512 * 1024 * 1024
USER_AGENT = "tamiz/0.1 (sanctions screening; +https://example.invalid/tamiz)"


class FetchError(Exception):
    """A download failed; the message names the URL and what went wrong."""


def files_from_paths(paths: Iterable[str | os.PathLike[str]]) -> list[SourceFile]:
    """Read the given files; a directory contributes its (non-hidden) files, sorted."""
    out: list[SourceFile] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            members = sorted(
                p for p in path.iterdir() if p.is_file() and not p.name.startswith(".")
            )
            if not members:
                raise FileNotFoundError(f"{path}: directory has no files")
            out.extend(SourceFile(p.name, p.read_bytes()) for p in members)
        elif path.is_file():
            out.append(SourceFile(path.name, path.read_bytes()))
        else:
            raise FileNotFoundError(f"{path}: no such file or directory")
    return out


@dataclass(frozen=True, slots=True)
class MirrorItem:
    dataset: str
    paths: tuple[Path, ...]
    published: dt.date | None

    @property
    def label(self) -> str:
        return ", ".join(str(p) for p in self.paths)


def mirror_items(root: Path, datasets: Sequence[str] | None = None) -> list[MirrorItem]:
    """Snapshots found in an offline mirror, per dataset oldest first.

    The mirror layout is described per built-in dataset in ``tamiz.sources.DATASETS``.
    """
    items: list[MirrorItem] = []
    wanted: list[Dataset] = [
        DATASETS[d] for d in (datasets or DATASETS) if d in DATASETS and DATASETS[d].mirror
    ]
    for ds in wanted:
        found: list[MirrorItem] = []
        for spec in ds.mirror:
            if isinstance(spec, MirrorSnapshot):
                paths = tuple(
                    Path(p)
                    for pattern in spec.paths
                    for p in sorted(glob.glob(str(root / pattern)))
                )
                if paths:
                    published = dt.date.fromisoformat(spec.published) if spec.published else None
                    found.append(MirrorItem(ds.id, paths, published))
            else:
                for match in sorted(glob.glob(str(root / spec))):
                    found.append(MirrorItem(ds.id, (Path(match),), None))
        # oldest first, so the newest ends up active and diffs run forward in time
        found.sort(
            key=lambda item: (
                item.published or published_from_names(str(p) for p in item.paths) or dt.date.min
            )
        )
        items.extend(found)
    return items


def _get_with_retries(
    client: httpx.Client, url: str, headers: dict[str, str], retries: int, backoff: float
) -> httpx.Response:
    last: Exception | None = None
    for attempt in range(retries + 1):
        try:
            with client.stream("GET", url, headers=headers) as response:
                if response.status_code == 304:
                    return response
                if response.status_code in (429, 500, 502, 503, 504):
                    raise FetchError(f"{url}: HTTP {response.status_code}")
                if response.status_code != 200:
                    # 4xx other than 429 will not get better by retrying
                    raise httpx.HTTPStatusError(
                        f"{url}: HTTP {response.status_code}",
                        request=response.request,
                        response=response,
                    )
                expected = response.headers.get("content-length")
                chunks: list[bytes] = []
                size = 0
                for chunk in response.iter_raw():
                    size += len(chunk)
                    if size > MAX_DOWNLOAD_BYTES:
                        raise FetchError(f"{url}: larger than {MAX_DOWNLOAD_BYTES} bytes")
                    chunks.append(chunk)
                body = b"".join(chunks)
                encoding = response.headers.get("content-encoding", "identity")
                if expected is not None and encoding == "identity" and int(expected) != size:
                    raise FetchError(f"{url}: truncated, got {size} of {expected} bytes")
                if encoding != "identity":
                    body = httpx.Response(200, headers=response.headers, content=body).content
                response._content = body  # type: ignore[attr-defined]
                return response
        except httpx.HTTPStatusError as exc:
            raise FetchError(str(exc)) from None
        except (httpx.TransportError, FetchError) as exc:
            last = exc
            if attempt < retries:
                time.sleep(backoff * (2**attempt))
    raise FetchError(f"{url}: failed after {retries + 1} attempts: {last}")


@dataclass(frozen=True, slots=True)
class Download:
    files: list[SourceFile]
    changed: bool  # False when every URL answered 304 Not Modified
    # (url, etag, last-modified, sha256) to remember once the snapshot is safely stored
    validators: list[tuple[str, str | None, str | None, str]]


def download(
    store: Store,
    urls: Sequence[str],
    *,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    transport: httpx.BaseTransport | None = None,
) -> Download:
    """Download every file of one snapshot.

    Files that did not change are taken from the blob store, so a partially changed set still
    forms a complete snapshot. Validators are saved only after every file arrived whole.
    """
    files: list[SourceFile] = []
    validators: list[tuple[str, str | None, str | None, str]] = []
    changed = False
    with httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT},
        transport=transport,
    ) as client:
        for url in urls:
            state = store.fetch_state(url)
            headers: dict[str, str] = {}
            if state is not None and state.sha256 and state.sha256 in store.blobs:
                if state.etag:
                    headers["If-None-Match"] = state.etag
                if state.last_modified:
                    headers["If-Modified-Since"] = state.last_modified
            response = _get_with_retries(client, url, headers, retries, backoff)
            name = url.rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or "download"
            if response.status_code == 304 and state is not None and state.sha256:
                files.append(SourceFile(name, store.blobs.get(state.sha256)))
                continue
            body = response.content
            if not body:
                raise FetchError(f"{url}: empty response body")
            changed = True
            files.append(SourceFile(name, body))
            validators.append(
                (
                    url,
                    response.headers.get("etag"),
                    response.headers.get("last-modified"),
                    sha256_hex(body),
                )
            )
    return Download(files, changed, validators)


def remember_validators(store: Store, fetched: Download) -> None:
    for url, etag, last_modified, digest in fetched.validators:
        store.save_fetch_state(url, etag, last_modified, digest)


PAGE_SIZE = 50
MAX_PAGES = 200


def download_pages(
    urls_base: str,
    *,
    timeout: float = 60.0,
    retries: int = 3,
    backoff: float = 1.0,
    pause: float = 1.0,
    transport: httpx.BaseTransport | None = None,
) -> list[SourceFile]:
    """Fetch every page of a paged JSON API (``page``/``pageSize``), politely.

    One request at a time, ``pause`` seconds apart, retrying with back-off on 429/5xx
    (``Retry-After`` honoured up to a minute). Stops at the first empty page, or when the
    reported ``total`` is reached.
    """
    import json

    files: list[SourceFile] = []
    seen = 0
    with httpx.Client(
        timeout=httpx.Timeout(timeout, connect=min(timeout, 15.0)),
        follow_redirects=True,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
        transport=transport,
    ) as client:
        for page in range(1, MAX_PAGES + 1):
            sep = "&" if "?" in urls_base else "?"
            url = f"{urls_base}{sep}page={page}&pageSize={PAGE_SIZE}"
            response = _get_with_retries(client, url, {}, retries, backoff)
            try:
                data = json.loads(response.content)
            except ValueError:
                raise FetchError(f"{url}: response is not JSON") from None
            items = data.get("items") if isinstance(data, dict) else None
            if not items:
                break
            files.append(SourceFile(f"page-{page:04d}.json", response.content))
            seen += len(items)
            total = data.get("total")
            if isinstance(total, int) and seen >= total:
                break
            if pause:
                time.sleep(pause)
        else:
            raise FetchError(f"{urls_base}: more than {MAX_PAGES} pages; refusing to go on")
    if not files:
        raise FetchError(f"{urls_base}: no results")
    return files
