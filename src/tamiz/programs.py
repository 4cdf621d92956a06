"""The program catalogue: what each list's program codes mean.

Kept as data (``tamiz/data/programs/<catalogue>.csv``, one file per publisher) rather than as
code branches, so adding a new OFAC tag or UN regime is a one-line data change. Columns:
``code, authority, title, legal_basis, topics, kind`` where ``topics`` is a space-separated
list of FollowTheMoney topics and ``kind`` is sanction | wanted | debarment | export_control.
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True, slots=True)
class ProgramInfo:
    code: str
    authority: str
    title: str
    legal_basis: str | None
    topics: tuple[str, ...]
    kind: str


@functools.cache
def catalogue(name: str) -> dict[str, ProgramInfo]:
    """All programs of one catalogue (e.g. ``us_ofac``), keyed by upper-case code."""
    path = resources.files("tamiz.data").joinpath("programs", f"{name}.csv")
    out: dict[str, ProgramInfo] = {}
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            code = row["code"].strip()
            out[code.upper()] = ProgramInfo(
                code=code,
                authority=row["authority"].strip(),
                title=row["title"].strip(),
                legal_basis=(row.get("legal_basis") or "").strip() or None,
                topics=tuple((row.get("topics") or "").split()),
                kind=(row.get("kind") or "sanction").strip(),
            )
    return out


def program_info(catalogue_name: str, code: str) -> ProgramInfo | None:
    return catalogue(catalogue_name).get(code.strip().upper())
