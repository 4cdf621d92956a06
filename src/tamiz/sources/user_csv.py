"""Your own list as CSV: a compliance team's internal watch list, format id ``csv``.

Layout
------
One row per listed party; the first row is the header. Column names are case-insensitive,
and spaces or hyphens count as underscores (``Birth Date`` = ``birth_date``). The delimiter is
detected from the header line: comma, semicolon or tab. The file may be UTF-8 (with or
without BOM) or Windows-1252. Multi-valued cells separate values with ``;`` or ``|``
(addresses with ``|`` only, since an address may contain a semicolon).

Required:

* ``name`` — the party's main name.

Optional:

* ``id`` — your own identifier; the entity id becomes ``DATASET:ID``. Without it the id is
  a stable hash of the name and schema, so keep ids if two parties share a name.
* ``aliases`` (or ``alias``) — other names, ``;`` or ``|`` separated.
* ``schema`` (or ``type``) — Person, Organization, Company, Vessel, Airplane or LegalEntity
  (case-insensitive; ``individual``, ``organisation``, ``ship``, ``aircraft`` also work).
  Default LegalEntity, which screens against anything.
* ``dob`` / ``birth_date`` / ``date_of_birth`` — e.g. ``1962-09-04``, ``04/09/1962`` (day
  first), ``4 Sep 1962``, ``1962``, ``circa 1962``, ``1960 to 1965``; several with ``;``.
* ``birth_place`` / ``place_of_birth``, ``gender`` (male/female).
* ``nationality``, ``citizenship``, ``country`` — ISO codes or country names, ``;``
  separated (``country`` is any other country link, e.g. residence or jurisdiction).
* ``address`` — one or more addresses separated by ``|``.
* identifier columns, each ``;`` separated: ``passport``, ``national_id``, ``tax_id``,
  ``registration``, ``imo``, ``mmsi``, ``swift_bic``, ``lei``, ``cedula``, ``rif``, ``nit``,
  ``ssn``, ``duns``, ``crypto_wallet``, ``id_number`` (any other document number).
* ``position``, ``email``, ``phone``, ``website``, ``remarks`` (or ``notes``).
* ``program`` — why the party is on your list (``;`` separated); each becomes a designation
  by ``authority`` (default "internal list"), with ``listed_on`` (a date) when given.

Columns not named here are kept in the entity's remarks as ``column: value`` and reported as
a warning, so nothing in the file is lost.

Errors (a ``ParseError`` naming the file): an empty file, a header without a ``name``
column, a row without a name, an unknown schema, a ``listed_on`` that is not a date, or two
rows with the same id (all with their row numbers; the header is row 1).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence

from tamiz.countries import country_code
from tamiz.model import (
    Address,
    DateValue,
    Designation,
    Entity,
    Identifier,
    Name,
    NameKind,
    ParsedList,
    ParseError,
    Schema,
    SourceFile,
    make_properties,
)
from tamiz.sources.common import clean, decode_text, parse_date, parse_single_date, unique

DEFAULT_AUTHORITY = "internal list"

_ALIASES = {
    "full_name": "name",
    "alias": "aliases",
    "aka": "aliases",
    "type": "schema",
    "entity_type": "schema",
    "birth_date": "dob",
    "date_of_birth": "dob",
    "birthdate": "dob",
    "place_of_birth": "birth_place",
    "nationalities": "nationality",
    "countries": "country",
    "addresses": "address",
    "notes": "remarks",
    "note": "remarks",
    "programs": "program",
    "positions": "position",
}
_IDENTIFIER_COLUMNS = {
    "passport": "passport",
    "national_id": "national_id",
    "tax_id": "tax_id",
    "registration": "registration",
    "imo": "imo",
    "mmsi": "mmsi",
    "swift_bic": "swift_bic",
    "lei": "lei",
    "cedula": "cedula",
    "rif": "rif",
    "nit": "nit",
    "ssn": "ssn",
    "duns": "duns",
    "crypto_wallet": "crypto_wallet",
    "id_number": "other",
}
_KNOWN = {
    "name", "id", "aliases", "schema", "dob", "birth_place", "gender", "nationality",
    "citizenship", "country", "address", "position", "email", "phone", "website", "remarks",
    "program", "authority", "listed_on", *_IDENTIFIER_COLUMNS,
}  # fmt: skip
_SCHEMAS = {
    "person": Schema.PERSON,
    "individual": Schema.PERSON,
    "organization": Schema.ORGANIZATION,
    "organisation": Schema.ORGANIZATION,
    "company": Schema.COMPANY,
    "vessel": Schema.VESSEL,
    "ship": Schema.VESSEL,
    "airplane": Schema.AIRPLANE,
    "aircraft": Schema.AIRPLANE,
    "legalentity": Schema.LEGAL_ENTITY,
    "legal_entity": Schema.LEGAL_ENTITY,
    "entity": Schema.LEGAL_ENTITY,
}
_GENDERS = {"male": "male", "m": "male", "female": "female", "f": "female"}
_MULTI = re.compile(r"[;|]")


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    """Parse one or more CSV files of the layout above into one list (ids must be unique
    across them)."""
    if not files:
        raise ParseError("CSV list: no file given")
    entities: list[Entity] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}  # entity id -> "file row N"
    for source in files:
        for entity, where in _parse_file(source, dataset, warnings):
            if entity.id in seen:
                raise ParseError(
                    f"{source.name}: {where} repeats id {entity.native_id!r} "
                    f"already used on {seen[entity.id]}"
                )
            seen[entity.id] = where if len(files) == 1 else f"{source.name} {where}"
            entities.append(entity)
    return ParsedList(entities=tuple(entities), warnings=tuple(warnings))


def _column_key(label: str) -> str:
    key = re.sub(r"[\s\-]+", "_", label.strip().lower()).strip("_")
    return _ALIASES.get(key, key)


def _sniff_delimiter(text: str) -> str:
    header = text.split("\n", 1)[0]
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _parse_file(source: SourceFile, dataset: str, warnings: list[str]):
    name = source.name
    if not source.data.strip():
        raise ParseError(f"{name}: empty file")
    text = decode_text(source.data, name).replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise ParseError(f"{name}: empty file")
    reader = csv.reader(io.StringIO(text), delimiter=_sniff_delimiter(text))
    try:
        records = list(reader)
    except csv.Error as exc:
        raise ParseError(f"{name}: malformed CSV ({exc})") from None
    header = [_column_key(h) for h in records[0]]
    labels = [h.strip() for h in records[0]]
    if "name" not in header:
        found = ", ".join(label for label in labels if label) or "nothing"
        raise ParseError(f"{name}: the header has no 'name' column (found: {found})")
    duplicated = sorted({h for h in header if h and header.count(h) > 1})
    if duplicated:
        raise ParseError(f"{name}: columns appear twice in the header: {', '.join(duplicated)}")
    unknown = [labels[i] for i, key in enumerate(header) if key and key not in _KNOWN]
    if unknown:
        warnings.append(
            f"{name}: columns kept as remarks (not part of the layout): " + ", ".join(unknown)
        )

    for index, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        where = f"row {index}"
        if len(record) > len(header) and any(c.strip() for c in record[len(header) :]):
            raise ParseError(
                f"{name}: {where} has {len(record)} cells but the header has {len(header)}"
            )
        row = {
            key: value
            for key, cell in zip(header, record, strict=False)
            if key and (value := clean(cell))
        }
        extras = [
            f"{labels[i]}: {value}"
            for i, key in enumerate(header)
            if key not in _KNOWN and i < len(record) and (value := clean(record[i]))
        ]
        yield _entity(row, extras, dataset, f"{name}: {where}", warnings), where


def _values(text: str | None, separator: re.Pattern[str] = _MULTI) -> list[str]:
    if not text:
        return []
    return list(unique(clean(v) for v in separator.split(text)))


def _entity(
    row: dict[str, str], extras: list[str], dataset: str, where: str, warnings: list[str]
) -> Entity:
    primary = row.get("name")
    if not primary:
        raise ParseError(f"{where} has no name")
    schema_text = row.get("schema", "LegalEntity")
    schema = _SCHEMAS.get(schema_text.lower().replace(" ", ""))
    if schema is None:
        known = "Person, Organization, Company, Vessel, Airplane, LegalEntity"
        raise ParseError(f"{where}: unknown schema {schema_text!r} (use one of {known})")
    native_id = row.get("id") or _hashed_id(primary, schema)

    names = [Name(primary, NameKind.PRIMARY)]
    names.extend(Name(a, NameKind.AKA) for a in _values(row.get("aliases")) if a != primary)

    birth_dates: list[DateValue] = []
    for text in _values(row.get("dob"), re.compile(r";|\|")):
        value = parse_date(text)
        if value and value not in birth_dates:
            birth_dates.append(value)
            if value.value is None:
                warnings.append(f"{where}: date of birth {text!r} is not a date; kept as text")

    def countries(key: str) -> tuple[str, ...]:
        out = []
        for text in _values(row.get(key)):
            code = country_code(text)
            if code is None:
                warnings.append(f"{where}: {key} {text!r} is not a known country; kept as written")
            out.append(code or text)
        return unique(out)

    gender = None
    if row.get("gender"):
        gender = _GENDERS.get(row["gender"].lower())
        if gender is None:
            warnings.append(f"{where}: gender {row['gender']!r} not understood; ignored")

    identifiers = tuple(
        Identifier(kind, value, label=column)
        for column, kind in _IDENTIFIER_COLUMNS.items()
        for value in _values(row.get(column))
    )
    addresses = tuple(
        Address(full=text, country=_trailing_country(text))
        for text in _values(row.get("address"), re.compile(r"\|"))
    )

    listed_on = None
    if row.get("listed_on"):
        listed_on = parse_single_date(row["listed_on"])
        if listed_on is None:
            raise ParseError(f"{where}: listed_on {row['listed_on']!r} is not a date")
    authority = row.get("authority") or DEFAULT_AUTHORITY
    programs = _values(row.get("program"))
    if not programs and (row.get("listed_on") or row.get("authority")):
        programs = [dataset]
    designations = tuple(
        Designation(
            authority=authority,
            program=program,
            listed_on=listed_on,
            source_ref=native_id,
            kind="internal",
        )
        for program in programs
    )

    return Entity(
        id=f"{dataset}:{native_id}",
        dataset=dataset,
        schema=schema,
        names=tuple(names),
        birth_dates=tuple(birth_dates),
        birth_places=tuple(_values(row.get("birth_place"))),
        nationalities=countries("nationality"),
        citizenships=countries("citizenship"),
        countries=countries("country"),
        gender=gender,
        addresses=addresses,
        identifiers=identifiers,
        positions=tuple(_values(row.get("position"))),
        remarks=unique([row.get("remarks"), *extras]),
        designations=designations,
        properties=make_properties(
            {
                "email": _values(row.get("email")),
                "phone": _values(row.get("phone")),
                "website": _values(row.get("website")),
            }
        ),
    )


def _hashed_id(name: str, schema: Schema) -> str:
    key = f"{' '.join(name.upper().split())}|{schema.value}"
    return hashlib.sha256(key.encode()).hexdigest()[:16]


def _trailing_country(address: str) -> str | None:
    parts = [p.strip() for p in address.split(",") if p.strip()]
    return country_code(parts[-1]) if len(parts) > 1 else None
