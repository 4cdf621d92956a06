"""The lists the benchmarks screen against, and the plain record every matcher is fed.

``Party`` is the common currency between the evaluation sets and the matchers: a name-bearing
record (query or list entry) in FollowTheMoney terms, so it can be handed to tamiz, to
nomenklatura (as an FtM entity, through a JSON-lines worker) and to rapidfuzz alike.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from tamiz.model import Entity, NameKind, Schema

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = (ROOT / ".." / "shared" / "data").resolve()
LISTS = SHARED_DATA / "lists"
EVAL = SHARED_DATA / "eval"

# Which snapshot stands for a dataset when "all lists" are loaded (issue 3: the 2024-05-03 SDN
# is the SDN). Other datasets use the newest snapshot of their mirror.
PREFERRED_SNAPSHOT = {"us_ofac_sdn": "history/sdn-2024-05-03.csv"}
SDN_ALIAS_SNAPSHOT = "us_ofac_sdn/2021-07-07"
UN_ALIAS_SNAPSHOT = "un_sc/consolidated-2026-02-27.xml"

# FollowTheMoney property that carries a tamiz name of each kind.
FTM_NAME_PROPERTY = {
    NameKind.PRIMARY: "name",
    NameKind.NATIVE: "name",
    NameKind.AKA: "alias",
    NameKind.FORMER: "previousName",
    NameKind.WEAK: "weakAlias",
}
# FtM has no abstract "Thing" that can be matched by name; LegalEntity is the closest.
FTM_SCHEMA = {Schema.THING: "LegalEntity"}


@dataclass(frozen=True, slots=True)
class Party:
    """A record to match: a query, or one list entity (possibly with an alias held out).

    ``names`` are strong names (primary, a.k.a., former), ``weak_names`` low-quality aliases.
    ``birth_dates`` are ISO prefixes (YYYY, YYYY-MM, YYYY-MM-DD), ``countries`` ISO alpha-2.
    ``ref`` is the list entity id when the record stands for one.
    """

    schema: str
    names: tuple[str, ...]
    weak_names: tuple[str, ...] = ()
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    gender: str | None = None
    ref: str | None = None

    @property
    def all_names(self) -> tuple[str, ...]:
        return self.names + self.weak_names

    def key(self) -> str:
        """A content hash: nomenklatura caches name analysis by entity id, so two different
        records must never share an id, and equal records may."""
        raw = json.dumps(dataclasses.astuple(self), ensure_ascii=False)
        return hashlib.sha1(raw.encode()).hexdigest()[:20]

    def to_ftm(self) -> dict:
        props: dict[str, list[str]] = {"name": list(self.names)}
        if self.weak_names:
            props["weakAlias"] = list(self.weak_names)
        if self.birth_dates:
            props["birthDate"] = list(self.birth_dates)
        if self.countries:
            props["country"] = list(self.countries)
        if self.gender:
            props["gender"] = [self.gender]
        return {"id": self.key(), "schema": self.schema, "properties": props}


def name_key(text: str) -> str:
    """Loose identity of a name for leave-one-out: case, accents, punctuation and spacing
    do not make a different alias."""
    folded = unicodedata.normalize("NFKD", text.casefold())
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return " ".join(re.findall(r"\w+", folded))


def ftm_schema(schema: Schema | str) -> str:
    schema = Schema(schema)
    return FTM_SCHEMA.get(schema, schema.value)


def entity_party(entity: Entity, drop: str | None = None) -> Party:
    """The record of a list entity; ``drop`` (a :func:`name_key`) removes one alias."""
    strong: list[str] = []
    weak: list[str] = []
    for name in entity.names:
        if drop is not None and name_key(name.full) == drop:
            continue
        (weak if name.kind is NameKind.WEAK else strong).append(name.full)
    dates = tuple(d.value for d in entity.birth_dates if d.value)
    countries = tuple(
        dict.fromkeys(
            c
            for c in (*entity.nationalities, *entity.citizenships, *entity.countries)
            if len(c) == 2
        )
    )
    return Party(
        schema=ftm_schema(entity.schema),
        names=tuple(dict.fromkeys(strong)),
        weak_names=tuple(dict.fromkeys(weak)),
        birth_dates=tuple(dict.fromkeys(dates)),
        countries=countries,
        gender=entity.gender,
        ref=entity.id,
    )


def drop_alias(entity: Entity, drop: str) -> Entity:
    """The entity without every name whose :func:`name_key` is ``drop``."""
    kept = tuple(n for n in entity.names if name_key(n.full) != drop)
    return dataclasses.replace(entity, names=kept)


# -- loading the lists -------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LoadedSnapshot:
    dataset: str
    label: str  # mirror path(s), relative to the lists root
    entities: tuple[Entity, ...]
    seconds: float
    error: str | None = None


def mirror_snapshots(root: Path = LISTS) -> dict[str, list[tuple[str, tuple[Path, ...]]]]:
    """Per built-in dataset, its mirror snapshots oldest first as (label, paths)."""
    from tamiz.store.fetch import mirror_items

    out: dict[str, list[tuple[str, tuple[Path, ...]]]] = {}
    for item in mirror_items(root):
        label = str(item.paths[0].relative_to(root))
        if len(item.paths) > 1:
            label += f" +{len(item.paths) - 1} files"
        out.setdefault(item.dataset, []).append((label, item.paths))
    return out


def parse_snapshot(dataset: str, paths: Sequence[Path], root: Path = LISTS) -> LoadedSnapshot:
    """Parse one snapshot with the registered parser; a missing or failing parser is reported
    (as ``error``), not raised, so the benchmark can say which lists it ran without."""
    import time

    from tamiz.sources import format_for
    from tamiz.store.fetch import files_from_paths

    label = str(Path(paths[0]).relative_to(root))
    if len(paths) > 1:
        label += f" +{len(paths) - 1} files"
    start = time.perf_counter()
    try:
        parser = format_for(dataset).parser()
        parsed = parser(files_from_paths(paths), dataset)
    except Exception as exc:  # a parser still being written, or a parse error
        return LoadedSnapshot(dataset, label, (), time.perf_counter() - start, _short(exc))
    return LoadedSnapshot(dataset, label, parsed.entities, time.perf_counter() - start)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) < 160 else text[:157] + "..."


def load_all_lists(root: Path = LISTS) -> list[LoadedSnapshot]:
    """One snapshot per built-in dataset: the preferred one, else the newest in the mirror."""
    out = []
    for dataset, snapshots in sorted(mirror_snapshots(root).items()):
        chosen = snapshots[-1]
        preferred = PREFERRED_SNAPSHOT.get(dataset)
        for label, paths in snapshots:
            if preferred and label.endswith(preferred):
                chosen = (label, paths)
        out.append(parse_snapshot(dataset, chosen[1], root))
    return out


def load_snapshot_at(relative: str, root: Path = LISTS) -> LoadedSnapshot:
    """The mirror snapshot whose label is ``relative`` (e.g. ``un_sc/consolidated-….xml``)."""
    for dataset, snapshots in mirror_snapshots(root).items():
        for label, paths in snapshots:
            if label == relative or label.startswith(relative + "/"):
                return parse_snapshot(dataset, paths, root)
    raise FileNotFoundError(f"{relative}: not a snapshot of any built-in dataset's mirror")


def entities_of(snapshots: Iterable[LoadedSnapshot]) -> list[Entity]:
    return [e for s in snapshots for e in s.entities]
