"""FollowTheMoney (FtM) entity streams, JSON lines: import and export.

Import reads OpenSanctions-style lines (``id, schema, properties, caption, datasets,
referents, target, ...``). Parties (Person, Organization, Company, LegalEntity, PublicBody,
Vessel, Airplane) become entities ``DATASET:FTM_ID``; the helper entities that FtM keeps on
separate lines are folded onto the party they point at:

- ``Sanction`` (``entity``) -> :class:`Designation`: authority, ``programId`` (else
  ``program``) as the program code, ``program`` as its title, ``reason`` as the stated basis,
  ``listingDate`` (else ``startDate``) as listed_on, ``startDate`` as effective_from,
  ``endDate`` as delisted_on, ``authorityId``/``unscId``/``recordId``/``sourceUrl`` as the
  source reference. Measures (``provisions``), ``status`` and ``duration`` are not modelled.
- ``Address`` (via ``addressEntity``, also through ``referents``) -> :class:`Address`.
- ``Identification``/``Passport`` (``holder``) -> :class:`Identifier`.
- ``Family``, ``Associate``, ``Ownership``, ``Directorship``, ``UnknownLink``, ``Membership``,
  ``Employment``, ``Representation`` -> :class:`Relation` on the source party with the target
  party's id.

FtM records topics per entity, not per sanction, so the entity's ``topics`` go onto each of
its designations. A listed party without any Sanction line still gets one designation per
``programId`` (or one in all) whose authority is the FtM dataset names, so it shows as listed.

Export (:func:`entities_to_ftm`) writes the main entity plus Sanction, Address,
Identification/Passport and relationship entities with deterministic ids, using only
properties the FtM schema defines (``tamiz/data/ftm_properties.csv``), such that importing the
export gives back what FtM can carry. FtM cannot carry: a name's language or the name parts
of non-primary names, NATIVE as a name kind (exported as an alias), per-designation topics
and kind (both derived from the entity's topics), inexact dates (only ``DateValue.value``
is written), a country that is not a code, relations whose target is not a known entity, and
the wording a list used for a relation's target (FtM shows the target's own caption).
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from typing import Any

from tamiz.model import (
    Address,
    Designation,
    Entity,
    Identifier,
    Name,
    NameKind,
    ParsedList,
    ParseError,
    Relation,
    RelationKind,
    Schema,
    SourceFile,
    make_properties,
)
from tamiz.sources.common import clean, decode_text, normalize_identifier, parse_date, unique
from tamiz.sources.common import identifier_type as label_to_type

# FtM schema -> tamiz schema for the parties we import (PublicBody has no own tamiz schema).
PARTY_SCHEMATA: dict[str, Schema] = {
    "Person": Schema.PERSON,
    "Organization": Schema.ORGANIZATION,
    "Company": Schema.COMPANY,
    "LegalEntity": Schema.LEGAL_ENTITY,
    "PublicBody": Schema.ORGANIZATION,
    "Vessel": Schema.VESSEL,
    "Airplane": Schema.AIRPLANE,
}
EXPORT_SCHEMATA: dict[Schema, str] = {
    Schema.PERSON: "Person",
    Schema.ORGANIZATION: "Organization",
    Schema.COMPANY: "Company",
    Schema.LEGAL_ENTITY: "LegalEntity",
    Schema.VESSEL: "Vessel",
    Schema.AIRPLANE: "Airplane",
    Schema.THING: "LegalEntity",  # FtM's Thing is abstract
}

# Relationship schema -> (property of the party holding the relation, property of the
# party it points to, properties that describe it, relation kind).
RELATIONSHIPS: dict[str, tuple[str, str, tuple[str, ...], RelationKind]] = {
    "Family": ("person", "relative", ("relationship",), RelationKind.FAMILY),
    "Associate": ("person", "associate", ("relationship",), RelationKind.ASSOCIATE),
    "Ownership": ("asset", "owner", ("role",), RelationKind.OWNED_BY),
    "Directorship": ("director", "organization", ("role",), RelationKind.LEADER_OF),
    "UnknownLink": ("subject", "object", ("role",), RelationKind.LINKED_TO),
    "Membership": ("member", "organization", ("role",), RelationKind.LINKED_TO),
    "Employment": ("employee", "employer", ("role",), RelationKind.LINKED_TO),
    "Representation": ("agent", "client", ("role",), RelationKind.LINKED_TO),
}
EXPORT_RELATIONSHIPS: dict[RelationKind, str] = {
    RelationKind.FAMILY: "Family",
    RelationKind.ASSOCIATE: "Associate",
    RelationKind.OWNED_BY: "Ownership",
    RelationKind.LEADER_OF: "Directorship",
    RelationKind.LINKED_TO: "UnknownLink",
}
IDENTITY_SCHEMATA = ("Identification", "Passport")

# Identifier properties on a party, in the order they are read (specific before generic, so
# a number given both as innCode and idNumber is typed as the INN it is).
FLAT_IDENTIFIERS: dict[str, str] = {
    "imoNumber": "imo",
    "mmsi": "mmsi",
    "passportNumber": "passport",
    "socialSecurityNumber": "ssn",
    "innCode": "tax_id",
    "taxNumber": "tax_id",
    "vatCode": "tax_id",
    "ogrnCode": "registration",
    "okpoCode": "registration",
    "registrationNumber": "registration",
    "leiCode": "lei",
    "swiftBic": "swift_bic",
    "dunsCode": "duns",
    "serialNumber": "aircraft_id",
    "idNumber": "national_id",
}
# Identifier type -> the party property it is exported under (idNumber for everything else).
EXPORT_IDENTIFIERS: dict[str, str] = {
    "passport": "passportNumber",
    "national_id": "idNumber",
    "cedula": "idNumber",
    "curp": "idNumber",
    "tax_id": "taxNumber",
    "rif": "taxNumber",
    "nit": "taxNumber",
    "registration": "registrationNumber",
    "lei": "leiCode",
    "swift_bic": "swiftBic",
    "imo": "imoNumber",
    "mmsi": "mmsi",
    "duns": "dunsCode",
    "ssn": "socialSecurityNumber",
    "aircraft_id": "serialNumber",
}
ID_TYPES = frozenset(
    [
        "passport",
        "national_id",
        "cedula",
        "rif",
        "nit",
        "curp",
        "tax_id",
        "ssn",
        "imo",
        "mmsi",
        "swift_bic",
        "crypto_wallet",
        "lei",
        "duns",
        "registration",
        "aircraft_id",
        "drivers_license",
        "residence_permit",
        "birth_certificate",
        "military_id",
        "other",
    ]
)
NAME_PARTS = {
    "firstName": "first_name",
    "middleName": "middle_name",
    "lastName": "last_name",
    "fatherName": "father_name",
    "title": "title",
}
NAME_PROPS = {"alias": NameKind.AKA, "weakAlias": NameKind.WEAK, "previousName": NameKind.FORMER}
# Party properties that map onto Entity fields (everything else stays in Entity.properties).
MAPPED = frozenset(
    [
        "name",
        "alias",
        "weakAlias",
        "previousName",
        "birthDate",
        "birthPlace",
        "nationality",
        "citizenship",
        "country",
        "gender",
        "position",
        "notes",
        "topics",
        "address",
        "addressEntity",
    ]
)
GENDERS = {"male", "female", "other"}
REFERENCE_PROPS = ("authorityId", "unscId", "recordId", "sourceUrl")


@functools.cache
def schema_properties() -> dict[str, frozenset[str]]:
    """FtM schema name -> the property names it defines (from the packaged table)."""
    path = resources.files("tamiz.data").joinpath("ftm_properties.csv")
    out: dict[str, set[str]] = defaultdict(set)
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(line for line in fh if not line.startswith("#")):
            out[row["schema"]].add(row["property"])
    return {schema: frozenset(props) for schema, props in out.items()}


# -- import -------------------------------------------------------------------------------


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    if not files:
        raise ParseError("ftm: no files given")
    raw: dict[str, dict[str, Any]] = {}
    for file in files:
        for record in _records(file):
            _merge(raw, record)
    return _Importer(raw, dataset).run()


def _records(file: SourceFile) -> Iterator[dict[str, Any]]:
    text = decode_text(file.data, file.name)
    if not text.strip():
        raise ParseError(f"{file.name}: empty file, expected FollowTheMoney JSON lines")
    if text.lstrip().startswith("["):  # a JSON array of entities is accepted as well
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ParseError(
                f"{file.name}: not valid JSON ({exc.msg}, line {exc.lineno})"
            ) from None
        numbered = list(enumerate(items, 1))
    else:
        numbered = []
        for number, line in enumerate(text.splitlines(), 1):
            if not line.strip():
                continue
            try:
                numbered.append((number, json.loads(line)))
            except json.JSONDecodeError as exc:
                raise ParseError(
                    f"{file.name}: line {number} is not valid JSON ({exc.msg}); "
                    "truncated or not a FollowTheMoney JSON lines file?"
                ) from None
    for number, item in numbered:
        if not (
            isinstance(item, dict)
            and isinstance(item.get("id"), str)
            and isinstance(item.get("schema"), str)
            and isinstance(item.get("properties", {}), dict)
        ):
            raise ParseError(
                f"{file.name}: entry {number} is not a FollowTheMoney entity "
                "(needs string 'id' and 'schema' and a 'properties' object)"
            )
        for prop, values in item.get("properties", {}).items():
            if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
                raise ParseError(
                    f"{file.name}: entry {number} ({item['id']}): property {prop!r} must be "
                    "a list of strings"
                )
        yield item


def _merge(raw: dict[str, dict[str, Any]], item: dict[str, Any]) -> None:
    """Streams may carry several fragments of one entity: union their properties."""
    existing = raw.get(item["id"])
    if existing is None:
        raw[item["id"]] = {**item, "properties": dict(item.get("properties") or {})}
        return
    props = existing["properties"]
    for prop, values in (item.get("properties") or {}).items():
        props[prop] = list(dict.fromkeys([*props.get(prop, []), *values]))
    for key in ("datasets", "referents"):
        existing[key] = list(dict.fromkeys([*existing.get(key, []), *item.get(key, [])]))
    existing["target"] = bool(existing.get("target")) or bool(item.get("target"))


def _values(item: dict[str, Any], prop: str) -> list[str]:
    return [v for v in (clean(x) for x in item["properties"].get(prop, [])) if v]


def _first(item: dict[str, Any], prop: str) -> str | None:
    values = _values(item, prop)
    return values[0] if values else None


def _code(value: str) -> str:
    return value.strip().upper()


def _date(value: str) -> str:
    return value.strip()[:10]


def _primary_name(item: dict[str, Any]) -> str:
    names = _values(item, "name")
    caption = clean(item.get("caption"))
    if caption and caption in names:
        return caption
    return names[0] if names else caption or item["id"]


def _topics_kind(topics: Sequence[str]) -> str:
    if not topics or any(t == "sanction" or t.startswith("sanction.") for t in topics):
        return "sanction"
    if "wanted" in topics:
        return "wanted"
    if "debarment" in topics:
        return "debarment"
    if any(t.startswith("export.control") for t in topics):
        return "export_control"
    return "other"


class _Importer:
    def __init__(self, raw: dict[str, dict[str, Any]], dataset: str) -> None:
        self.raw = raw
        self.dataset = dataset
        self.warnings: list[str] = []
        # referent id -> canonical id, so references to merged-away ids still resolve
        self.canonical: dict[str, str] = {}
        for item in raw.values():
            for ref in item.get("referents") or ():
                self.canonical.setdefault(ref, item["id"])
        self.sanctions: dict[str, list[dict]] = defaultdict(list)
        self.documents: dict[str, list[dict]] = defaultdict(list)
        self.links: dict[str, list[tuple[RelationKind, str, str | None]]] = defaultdict(list)
        self.skipped: dict[str, int] = defaultdict(int)

    def resolve(self, ref: str) -> str | None:
        return ref if ref in self.raw else self.canonical.get(ref)

    def is_party(self, ref: str | None) -> bool:
        return ref is not None and self.raw[ref]["schema"] in PARTY_SCHEMATA

    def run(self) -> ParsedList:
        for item in self.raw.values():
            schema = item["schema"]
            if schema == "Sanction":
                self._attach(item, "entity", self.sanctions)
            elif schema in IDENTITY_SCHEMATA:
                self._attach(item, "holder", self.documents)
            elif schema in RELATIONSHIPS:
                self._link(item)
            elif schema not in PARTY_SCHEMATA and schema != "Address":
                self.skipped[schema] += 1
        entities = tuple(
            self._entity(item) for item in self.raw.values() if item["schema"] in PARTY_SCHEMATA
        )
        for schema, count in sorted(self.skipped.items()):
            self.warnings.append(f"{count} {schema} entities are not modelled and were skipped")
        seen = [
            str(item.get("last_seen"))[:10] for item in self.raw.values() if item.get("last_seen")
        ]
        # Streams state no publication date; the last time an entity was seen is the export's.
        published = None
        if seen:
            try:
                published = dt.date.fromisoformat(max(seen))
            except ValueError:
                published = None
        return ParsedList(entities=entities, published=published, warnings=tuple(self.warnings))

    def _attach(self, item: dict, prop: str, into: dict[str, list[dict]]) -> None:
        targets = [self.resolve(ref) for ref in item["properties"].get(prop, [])]
        parties = [t for t in targets if self.is_party(t)]
        if not parties:
            self.warnings.append(
                f"{item['schema']} {item['id']}: its {prop} is not an entity in the stream; skipped"
            )
        for target in dict.fromkeys(parties):
            into[target].append(item)

    def _link(self, item: dict) -> None:
        source_prop, target_prop, note_props, kind = RELATIONSHIPS[item["schema"]]
        sources = [self.resolve(r) for r in item["properties"].get(source_prop, [])]
        targets = [self.resolve(r) for r in item["properties"].get(target_prop, [])]
        sources = [s for s in sources if self.is_party(s)]
        targets = [t for t in targets if self.is_party(t)]
        if not sources or not targets:
            self.warnings.append(
                f"{item['schema']} {item['id']}: one side is not an entity in the stream; skipped"
            )
            return
        notes = [v for p in note_props for v in _values(item, p)]
        if percentage := _first(item, "percentage"):
            notes.append(f"{percentage}%")
        if start := _first(item, "startDate"):
            notes.append(f"since {_date(start)}")
        if end := _first(item, "endDate"):
            notes.append(f"until {_date(end)}")
        note = "; ".join(unique(notes)) or None
        for source in sources:
            for target in targets:
                self.links[source].append((kind, target, note))

    def _entity(self, item: dict[str, Any]) -> Entity:
        ftm_id = item["id"]
        schema = PARTY_SCHEMATA[item["schema"]]
        props: dict[str, list[str]] = {
            k: [v for v in (clean(x) for x in vs) if v] for k, vs in item["properties"].items()
        }
        consumed: set[str] = set(MAPPED)

        names = self._names(item, props, consumed, schema)
        identifiers = self._identifiers(item, props, consumed)
        designations, used_program_ids = self._designations(item, props)
        if used_program_ids:
            consumed.add("programId")
        remarks = list(props.get("notes", []))
        for sanction in self.sanctions.get(ftm_id, ()):
            remarks.extend(_values(sanction, "summary"))

        birth_dates = []
        for value in props.get("birthDate", []):
            date = parse_date(_date(value))
            if date is not None:
                birth_dates.append(date)
        gender = next((g.lower() for g in props.get("gender", []) if g.lower() in GENDERS), None)
        relations = []
        for kind, target, note in self.links.get(ftm_id, ()):
            relations.append(
                Relation(
                    kind=kind,
                    target_name=_primary_name(self.raw[target]),
                    target_id=f"{self.dataset}:{target}",
                    note=note,
                )
            )
        properties = {k: v for k, v in props.items() if k not in consumed and v}
        return Entity(
            id=f"{self.dataset}:{ftm_id}",
            dataset=self.dataset,
            schema=schema,
            names=names,
            birth_dates=tuple(dict.fromkeys(birth_dates)),
            birth_places=unique(props.get("birthPlace", [])),
            nationalities=unique(_code(v) for v in props.get("nationality", [])),
            citizenships=unique(_code(v) for v in props.get("citizenship", [])),
            countries=unique(_code(v) for v in props.get("country", [])),
            gender=gender,
            addresses=self._addresses(item, props),
            identifiers=identifiers,
            positions=unique(props.get("position", [])),
            remarks=unique(remarks),
            designations=tuple(dict.fromkeys(designations)),
            relations=tuple(dict.fromkeys(relations)),
            properties=make_properties(properties),
        )

    def _names(
        self, item: dict, props: dict[str, list[str]], consumed: set[str], schema: Schema
    ) -> tuple[Name, ...]:
        primary = _primary_name(item)
        parts: dict[str, str] = {}
        if schema is Schema.PERSON:
            # Name parts are not tied to one name in FtM; a single value belongs to the
            # primary name, several values stay as published in the properties.
            for prop, field in NAME_PARTS.items():
                values = unique(props.get(prop, []))
                if len(values) == 1:
                    parts[field] = values[0]
                    consumed.add(prop)
        names = {primary: Name(primary, NameKind.PRIMARY, **parts)}
        for value in props.get("name", []):
            names.setdefault(value, Name(value, NameKind.AKA))
        for prop, kind in NAME_PROPS.items():
            for value in props.get(prop, []):
                names.setdefault(value, Name(value, kind))
        return tuple(names.values())

    def _identifiers(
        self, item: dict, props: dict[str, list[str]], consumed: set[str]
    ) -> tuple[Identifier, ...]:
        found: list[Identifier] = []
        seen_docs: set[tuple[str, str, str | None]] = set()
        for doc in self.documents.get(item["id"], ()):
            number = _first(doc, "number") or _first(doc, "passportNumber")
            if not number:
                continue
            label = _first(doc, "type")
            if label in ID_TYPES:  # our own export of an identifier without a label
                kind, label = label, None
            elif label in FLAT_IDENTIFIERS:
                kind = FLAT_IDENTIFIERS[label]
            elif label:
                kind = label_to_type(label)
            else:
                kind = "other"
            if kind == "other" and doc["schema"] == "Passport":
                kind = "passport"
            country = _first(doc, "country")
            note_parts = _values(doc, "summary")
            note_parts += [f"issued by {a}" for a in _values(doc, "authority")]
            if start := _first(doc, "startDate"):
                note_parts.append(f"issued {_date(start)}")
            if end := _first(doc, "endDate"):
                note_parts.append(f"expires {_date(end)}")
            ident = Identifier(
                type=kind,
                value=number,
                country=_code(country) if country else None,
                label=label,
                note="; ".join(note_parts) or None,
            )
            key = (kind, normalize_identifier(number), ident.country)
            if key not in seen_docs:
                seen_docs.add(key)
                found.append(ident)
        seen_values = {normalize_identifier(i.value) for i in found}
        for prop, kind in FLAT_IDENTIFIERS.items():
            if prop not in props:
                continue
            consumed.add(prop)
            for value in props[prop]:
                normalized = normalize_identifier(value)
                if normalized and normalized not in seen_values:
                    seen_values.add(normalized)
                    found.append(Identifier(type=kind, value=value, label=prop))
        return tuple(found)

    def _addresses(self, item: dict, props: dict[str, list[str]]) -> tuple[Address, ...]:
        out: list[Address] = []
        for ref in props.get("addressEntity", []):
            target = self.resolve(ref)
            if target is None or self.raw[target]["schema"] != "Address":
                continue
            addr = self.raw[target]
            street = ", ".join(unique([*_values(addr, "street"), *_values(addr, "street2")]))
            if box := _first(addr, "postOfficeBox"):
                box = box if "box" in box.lower() else f"P.O. Box {box}"
                street = ", ".join(unique([street, box]))
            country = _first(addr, "country")
            out.append(
                Address(
                    full=_first(addr, "full"),
                    street=street or None,
                    city=_first(addr, "city"),
                    region=_first(addr, "region") or _first(addr, "state"),
                    postal_code=_first(addr, "postalCode"),
                    country=_code(country) if country else None,
                    note="; ".join(unique([*_values(addr, "remarks"), *_values(addr, "summary")]))
                    or None,
                )
            )
        known = {address_text(a) for a in out} | {a.full for a in out if a.full}
        for text in props.get("address", []):
            if text not in known:
                known.add(text)
                out.append(Address(full=text))
        # FtM values are sets: a canonical order keeps re-imports of the same data identical.
        return tuple(sorted(dict.fromkeys(out), key=lambda a: (address_text(a), repr(a))))

    def _designations(
        self, item: dict, props: dict[str, list[str]]
    ) -> tuple[list[Designation], bool]:
        topics = unique(props.get("topics", []))
        kind = _topics_kind(topics)
        out = []
        for sanction in self.sanctions.get(item["id"], ()):
            authority = "; ".join(_values(sanction, "authority"))
            program_ids = _values(sanction, "programId")
            programs = _values(sanction, "program")
            if program_ids:
                program, title = "; ".join(program_ids), "; ".join(programs) or None
            else:
                program, title = "; ".join(programs), None
            listing = sorted(_date(v) for v in _values(sanction, "listingDate"))
            starts = sorted(_date(v) for v in _values(sanction, "startDate"))
            ends = sorted(_date(v) for v in _values(sanction, "endDate"))
            reference = next((v for p in REFERENCE_PROPS for v in _values(sanction, p)), None)
            out.append(
                Designation(
                    authority=authority or ", ".join(sanction.get("datasets") or ()) or "unknown",
                    program=program or authority or "unknown",
                    program_title=title,
                    legal_basis="; ".join(_values(sanction, "reason")) or None,
                    listed_on=(listing or starts or [None])[0],
                    effective_from=starts[0] if starts else None,
                    delisted_on=ends[-1] if ends else None,
                    source_ref=reference,
                    topics=topics,
                    kind=kind,
                )
            )
        if out or not (item.get("target") or topics):
            return out, False
        # Listed, but the stream carries no Sanction line for it: say so from what it has.
        authority = ", ".join(item.get("datasets") or ()) or self.dataset
        programs = unique(props.get("programId", [])) or (authority,)
        return [
            Designation(authority=authority, program=p, topics=topics, kind=kind) for p in programs
        ], bool(props.get("programId"))


def address_text(address: Address) -> str:
    """One-line form of an address: as published, else its parts joined."""
    if address.full:
        return address.full
    return ", ".join(
        unique(
            [
                address.street,
                address.city,
                address.postal_code,
                address.region,
                address.country_name or address.country,
            ]
        )
    )


# -- export -------------------------------------------------------------------------------


def entities_to_ftm(
    entities: Iterable[Entity], qualified_ids: bool = False
) -> Iterator[dict[str, Any]]:
    """FtM JSON objects for ``entities``: each party followed by its helper entities.

    Ids are the entities' native ids, so importing the stream under the same dataset name
    gives back the same entity ids. With ``qualified_ids`` they become ``DATASET-NATIVE_ID``
    (for one stream mixing several datasets, where native ids could collide).
    """
    for entity in entities:
        yield from _export(entity, qualified_ids)


def entities_to_ftm_lines(entities: Iterable[Entity], qualified_ids: bool = False) -> Iterator[str]:
    """Same as :func:`entities_to_ftm`, one JSON text per entity (no newline)."""
    for obj in entities_to_ftm(entities, qualified_ids):
        yield json.dumps(obj, ensure_ascii=False, sort_keys=True)


def _ftm_ref(entity_id: str, home: str, qualified: bool) -> str:
    dataset, _, native = entity_id.partition(":")
    if not native:
        return entity_id
    if qualified or dataset != home:
        return f"{dataset}-{native}"
    return native


# ISO codes plus FtM's own territory codes (``suhh`` for the USSR, ``ge-ab`` for Abkhazia).
_COUNTRY_CODE = re.compile(r"^(?:[A-Z]{2}(?:-[A-Z0-9]{1,3})?|[A-Z]{4})$")


def _country_codes(values: Iterable[str]) -> list[str]:
    """Country values FtM accepts (codes), lower-cased; published wording is left out."""
    return [v.lower() for v in values if _COUNTRY_CODE.match(v)]


def _child_id(parent: str, kind: str, *parts: Any) -> str:
    digest = hashlib.sha1(json.dumps(parts, default=str).encode()).hexdigest()[:16]
    return f"{parent}-{kind}-{digest}"


def _obj(
    ftm_id: str, schema: str, props: dict[str, list[str]], dataset: str, caption: str | None
) -> dict[str, Any]:
    allowed = schema_properties()[schema]
    properties = {
        k: list(dict.fromkeys(v for v in vs if v))
        for k, vs in props.items()
        if k in allowed and any(vs)
    }
    obj: dict[str, Any] = {
        "id": ftm_id,
        "schema": schema,
        "properties": properties,
        "datasets": [dataset],
        "target": False,
    }
    if caption:
        obj["caption"] = caption
    return obj


def _export(entity: Entity, qualified: bool) -> Iterator[dict[str, Any]]:
    schema = EXPORT_SCHEMATA[entity.schema]
    allowed = schema_properties()[schema]
    ftm_id = _ftm_ref(entity.id, entity.dataset, qualified)
    props: dict[str, list[str]] = defaultdict(list)
    for key, values in entity.properties:
        props[key].extend(values)

    primary = next((n for n in entity.names if n.kind is NameKind.PRIMARY), None)
    primary = primary or (entity.names[0] if entity.names else Name(entity.id))
    props["name"].insert(0, primary.full)
    kind_props = {NameKind.AKA: "alias", NameKind.NATIVE: "alias", NameKind.WEAK: "weakAlias"}
    kind_props[NameKind.FORMER] = "previousName"
    kind_props[NameKind.PRIMARY] = "alias"  # a second primary name stays a name of the entity
    for name in entity.names:
        if name is not primary:
            props[kind_props[name.kind]].append(name.full)
    for prop, field in NAME_PARTS.items():
        value = getattr(primary, field)
        if value:
            props[prop].insert(0, value)

    props["birthDate"].extend(d.value for d in entity.birth_dates if d.value)
    props["birthPlace"].extend(entity.birth_places)
    nationalities = _country_codes(entity.nationalities)
    if "nationality" in allowed:
        props["nationality"].extend(nationalities)
    else:  # organisations have a country, not a nationality
        props["country"].extend(nationalities)
    props["citizenship"].extend(_country_codes(entity.citizenships))
    props["country"].extend(_country_codes(entity.countries))
    if entity.gender:
        props["gender"].append(entity.gender)
    props["position"].extend(entity.positions)
    props["notes"].extend(entity.remarks)
    props["topics"].extend(entity.topics)

    children: list[dict[str, Any]] = []
    for address in entity.addresses:
        text = address_text(address)
        if text:
            props["address"].append(text)
        parts = {
            "street": [address.street],
            "city": [address.city],
            "region": [address.region],
            "postalCode": [address.postal_code],
            "country": [address.country.lower() if address.country else None],
            "remarks": [address.note],
        }
        if any(v[0] for v in parts.values()):
            child_id = _child_id(ftm_id, "addr", address)
            parts["full"] = [address.full]
            props["addressEntity"].append(child_id)
            children.append(_obj(child_id, "Address", parts, entity.dataset, text))

    for ident in entity.identifiers:
        flat = ident.label if FLAT_IDENTIFIERS.get(ident.label or "") == ident.type else None
        flat = flat or EXPORT_IDENTIFIERS.get(ident.type, "idNumber")
        if flat in allowed:
            props[flat].append(ident.value)
        # The bare property says only "this is a <property>": anything more (the publisher's
        # label, issuing country, note) needs an Identification entity beside it.
        if not (flat in allowed and ident.label == flat and not ident.country and not ident.note):
            doc_schema = "Passport" if ident.type == "passport" else "Identification"
            child_id = _child_id(ftm_id, "id", ident)
            doc = {
                "holder": [ftm_id],
                "number": [ident.value],
                "type": [ident.label or ident.type],
                "country": [ident.country.lower() if ident.country else None],
                "summary": [ident.note],
            }
            children.append(_obj(child_id, doc_schema, doc, entity.dataset, ident.value))

    for designation in entity.designations:
        child_id = _child_id(ftm_id, "sanction", designation)
        reference = designation.source_ref
        is_url = bool(reference and reference.startswith(("http://", "https://")))
        sanction = {
            "entity": [ftm_id],
            "authority": [designation.authority],
            "programId": [designation.program],
            "program": [designation.program_title],
            "reason": [designation.legal_basis],
            "listingDate": [designation.listed_on],
            "startDate": [designation.effective_from],
            "endDate": [designation.delisted_on],
            "sourceUrl": [reference if is_url else None],
            "authorityId": [None if is_url else reference],
        }
        caption = designation.program_title or designation.program
        children.append(_obj(child_id, "Sanction", sanction, entity.dataset, caption))

    for relation in entity.relations:
        if relation.target_id is None:
            continue  # FtM links entities; a bare name has nothing to point at
        rel_schema = EXPORT_RELATIONSHIPS[relation.kind]
        source_prop, target_prop, note_props, _ = RELATIONSHIPS[rel_schema]
        child_id = _child_id(ftm_id, "rel", relation)
        link = {
            source_prop: [ftm_id],
            target_prop: [_ftm_ref(relation.target_id, entity.dataset, qualified)],
            note_props[0]: [relation.note],
        }
        children.append(_obj(child_id, rel_schema, link, entity.dataset, relation.kind.value))

    main = _obj(ftm_id, schema, props, entity.dataset, primary.full)
    main["target"] = bool(entity.designations)
    yield main
    yield from children
