"""Plain data model shared by every layer.

Field names follow FollowTheMoney (FtM) where a property exists there, so that FtM import and
export are a mapping rather than a translation. Everything here is immutable and hashable so
that a parsed entity can be fingerprinted, diffed and cached safely.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson


class Schema(enum.StrEnum):
    """Entity types, named as in FollowTheMoney."""

    PERSON = "Person"
    ORGANIZATION = "Organization"
    COMPANY = "Company"
    LEGAL_ENTITY = "LegalEntity"
    VESSEL = "Vessel"
    AIRPLANE = "Airplane"
    # An entry the publisher did not type (e.g. a bare alias list); matched as anything.
    THING = "Thing"


class NameKind(enum.StrEnum):
    PRIMARY = "primary"
    AKA = "aka"  # a.k.a., good-quality alias
    WEAK = "weak"  # weak / low-quality a.k.a. (OFAC "weak aka", UN "Low" quality)
    FORMER = "former"  # f.k.a. / former name
    NATIVE = "native"  # the primary name written in its original script


class RelationKind(enum.StrEnum):
    LINKED_TO = "linked_to"
    LEADER_OF = "leader_of"
    OWNED_BY = "owned_by"
    FAMILY = "family"
    ASSOCIATE = "associate"


@dataclass(frozen=True, slots=True)
class Name:
    """One name of an entity. ``full`` is the name as published."""

    full: str
    kind: NameKind = NameKind.PRIMARY
    lang: str | None = None  # ISO 639 code where the publisher states it
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    father_name: str | None = None  # patronymic
    title: str | None = None  # honorific as published (Dr., Sheikh, Mullah, ...)
    note: str | None = None  # what the publisher says about this name ("Call sign", DOB used)


@dataclass(frozen=True, slots=True)
class DateValue:
    """A date as precise as the publisher gave it.

    ``value`` is an ISO prefix: ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``. A range ("1960 to
    1965") has ``end``; ``circa`` marks approximate dates. ``text`` keeps the original wording
    when it could not be represented exactly (e.g. an Islamic-calendar date).
    """

    value: str | None = None
    end: str | None = None
    circa: bool = False
    text: str | None = None


@dataclass(frozen=True, slots=True)
class Identifier:
    """An identity or registration document. ``type`` uses a small controlled vocabulary
    (passport, national_id, cedula, rif, nit, tax_id, registration, imo, mmsi, swift_bic,
    crypto_wallet, ssn, lei, duns, other) while ``label`` keeps the publisher's wording."""

    type: str
    value: str
    country: str | None = None  # ISO 3166-1 alpha-2 where known
    label: str | None = None
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Address:
    full: str | None = None
    street: str | None = None
    city: str | None = None
    region: str | None = None
    postal_code: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2 where known
    country_name: str | None = None  # as published
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Designation:
    """A listing of an entity under a program by an authority."""

    authority: str  # e.g. "US Department of the Treasury, OFAC"
    program: str  # program code as published, e.g. "SDGT", "FTO", "QDi"
    program_title: str | None = None
    legal_basis: str | None = None  # e.g. "E.O. 13224"
    listed_on: str | None = None  # ISO date, where the list states it
    effective_from: str | None = None
    delisted_on: str | None = None
    source_ref: str | None = None  # publisher's reference number / URL
    topics: tuple[str, ...] = ()  # FtM topics: sanction, crime.terror, ...
    kind: str = "sanction"  # sanction | wanted | debarment | export_control
    # Publication date of the first stored snapshot that carried this designation. Filled by
    # the store on read (never by parsers), as the fallback when the list states no date.
    first_seen: str | None = None


@dataclass(frozen=True, slots=True)
class Relation:
    kind: RelationKind
    target_name: str  # as published ("Linked To: ISLAMIC REVOLUTIONARY GUARD CORPS")
    target_id: str | None = None  # resolved entity id, where the list makes it resolvable
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Entity:
    """One listed party as of one snapshot of one dataset.

    ``id`` is ``DATASET:NATIVE_ID`` and stays the same across snapshots of the dataset.
    ``properties`` holds schema-specific details as FtM property name -> values (vessel flag,
    tonnage, call sign, aircraft model, website, email, ...).
    """

    id: str
    dataset: str
    schema: Schema
    names: tuple[Name, ...]
    birth_dates: tuple[DateValue, ...] = ()
    birth_places: tuple[str, ...] = ()
    nationalities: tuple[str, ...] = ()  # ISO alpha-2 codes where known, else as published
    citizenships: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()  # other country links (residence, jurisdiction)
    gender: str | None = None  # "male" | "female" | None
    addresses: tuple[Address, ...] = ()
    identifiers: tuple[Identifier, ...] = ()
    positions: tuple[str, ...] = ()
    remarks: tuple[str, ...] = ()
    designations: tuple[Designation, ...] = ()
    relations: tuple[Relation, ...] = ()
    properties: tuple[tuple[str, tuple[str, ...]], ...] = ()

    @property
    def native_id(self) -> str:
        return self.id.split(":", 1)[1]

    @property
    def caption(self) -> str:
        for name in self.names:
            if name.kind is NameKind.PRIMARY:
                return name.full
        return self.names[0].full if self.names else self.id

    @property
    def programs(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.program for d in self.designations))

    @property
    def topics(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(t for d in self.designations for t in d.topics))

    def property_values(self, name: str) -> tuple[str, ...]:
        for key, values in self.properties:
            if key == name:
                return values
        return ()

    def to_dict(self) -> dict[str, Any]:
        return entity_to_dict(self)

    def fingerprint(self) -> str:
        """sha256 of the canonical JSON form: equal fingerprints mean equal content."""
        return hashlib.sha256(canonical_json(self.to_dict()).encode()).hexdigest()


def topic_matches(topic: str, wanted: str) -> bool:
    """FollowTheMoney topics are dotted: the filter ``crime`` covers ``crime.terror``."""
    return topic == wanted or topic.startswith(wanted + ".")


def has_topic(topics: Iterable[str], wanted: Iterable[str]) -> bool:
    """True if any of ``topics`` falls under any of ``wanted``."""
    wanted = tuple(wanted)
    return any(topic_matches(t, w) for t in topics for w in wanted)


def make_properties(mapping: dict[str, Iterable[str]]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Build the ``Entity.properties`` tuple from a dict, dropping empty values, sorted."""
    out = []
    for key in sorted(mapping):
        values = tuple(dict.fromkeys(v for v in mapping[key] if v))
        if values:
            out.append((key, values))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ParsedList:
    """What a source parser returns: entities plus what the file says about itself."""

    entities: tuple[Entity, ...]
    published: dt.date | None = None  # publication date stated inside the file, if any
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Snapshot:
    id: str
    dataset: str
    published: dt.date
    raw_hashes: tuple[str, ...]
    entity_count: int
    created_at: dt.datetime | None = None
    format: str | None = None


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One raw input file handed to a parser: its original name and bytes."""

    name: str
    data: bytes = field(repr=False)


class ParseError(ValueError):
    """A file could not be parsed. The message names the file and what is wrong."""


# -- canonical (de)serialisation ---------------------------------------------------------


_FIELD_NAMES: dict[type, tuple[tuple[str, bool], ...]] = {}


def _field_names(cls: type) -> tuple[tuple[str, bool], ...]:
    """(field name, whether its default is False) per dataclass, cached."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(
            (f.name, f.default is False) for f in dataclasses.fields(cls)
        )
    return names


def _plain(value: Any) -> Any:
    """Dataclasses to dicts without empty fields; enums to values; tuples to lists.

    Hot on ingest (every entity of every snapshot is fingerprinted), hence no recursion
    through ``dataclasses.asdict`` and a per-class cache of field names.
    """
    cls = type(value)
    if cls is str or value is None:
        return value
    if cls is tuple:
        return [_plain(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if dataclasses.is_dataclass(value):
        out = {}
        for name, false_by_default in _field_names(cls):
            v = getattr(value, name)
            if v is None or v == () or (v is False and false_by_default):
                continue
            out[name] = _plain(v)
        return out
    return value


def entity_to_dict(entity: Entity) -> dict[str, Any]:
    data = _plain(entity)
    if entity.properties:
        data["properties"] = {k: list(v) for k, v in entity.properties}
    return data


def canonical_json(data: Any) -> str:
    """Sorted keys, no whitespace, UTF-8 text: equal content gives equal bytes."""
    return orjson.dumps(data, option=orjson.OPT_SORT_KEYS).decode()


def entity_from_dict(data: dict[str, Any]) -> Entity:
    def tup(key: str, cls: type) -> tuple:
        return tuple(cls(**item) for item in data.get(key, ()))

    names = tuple(
        Name(**{**n, "kind": NameKind(n.get("kind", "primary"))}) for n in data.get("names", ())
    )
    designations = tuple(
        Designation(**{**d, "topics": tuple(d.get("topics", ()))})
        for d in data.get("designations", ())
    )
    relations = tuple(
        Relation(**{**r, "kind": RelationKind(r["kind"])}) for r in data.get("relations", ())
    )
    props = data.get("properties") or {}
    return Entity(
        id=data["id"],
        dataset=data["dataset"],
        schema=Schema(data["schema"]),
        names=names,
        birth_dates=tup("birth_dates", DateValue),
        birth_places=tuple(data.get("birth_places", ())),
        nationalities=tuple(data.get("nationalities", ())),
        citizenships=tuple(data.get("citizenships", ())),
        countries=tuple(data.get("countries", ())),
        gender=data.get("gender"),
        addresses=tup("addresses", Address),
        identifiers=tup("identifiers", Identifier),
        positions=tuple(data.get("positions", ())),
        remarks=tuple(data.get("remarks", ())),
        designations=designations,
        relations=relations,
        properties=tuple((k, tuple(v)) for k, v in sorted(props.items())),
    )
