"""US Commerce Department, BIS Denied Persons List (``dpl.txt``).

Tab-separated text with quoted fields and the header ``Name, Street_Address, City, State,
Country, Postal_Code, Effective_Date, Expiration_Date, Standard_Order, Last_Update, Action,
FR_Citation`` (columns are found by header name). Each row is one name at one address, so a
party denied at three addresses has three rows; rows are grouped into one denied party when
they share the name and the effective date of the denial order. The Federal Register
citation is *not* part of the key: BIS retypes it per row ("3/11/02 71 F.R." against
"3/11/02, 71 F.R.") and sometimes omits the latest notice on one address row. The same name
under two different orders (different effective dates) stays two entities, one per order.

**Native id.** BIS publishes no identifier. The id is derived from the party's name (upper
case, whitespace collapsed) and the order's effective date: the first 16 hex digits of
``sha256("NAME|YYYY-MM-DD")``, e.g. ``us_bis_dpl:5f0c…``. It is stable as long as BIS keeps
the spelling and the date, and changes (as an removal plus an addition) when BIS corrects a
name.

**Names.** ``A/K/A``, ``(A.K.A. …)`` and ``D/B/A`` inside the name cell are split into
aliases (``FUYI SUN A/K/A FRANK SUN`` → FUYI SUN + a.k.a. FRANK SUN).

**Person or organisation.** The list does not say; the name decides, conservatively:

1. a legal-form word (LLC, LTD, INC, CORP, CO, GMBH, AG, AB, S.A., PTE, PVT, JSC, FZC, …)
   → Company;
2. else an organisation word (AIRLINES, AVIATION, TRADING, TECHNOLOGY, SYSTEMS, GROUP,
   INTERNATIONAL, ENGINEERING, ELECTRONICS, …) → Organization;
3. else two to six alphabetic words (initials, hyphens, apostrophes, JR./SR./II allowed)
   → Person;
4. anything else (one word, digits, ``.NET``) → LegalEntity, i.e. "we do not know".

**Designation.** Program ``DPL`` from the ``us_bis`` catalogue (Export Administration
Regulations, 15 CFR Part 764; topic ``export.control``); ``listed_on`` is the effective date,
``delisted_on`` the order's expiration date (in the future while the denial runs; empty for
open-ended orders), ``source_ref`` the Federal Register citation. Non-standard orders
(Standard_Order = N) are noted in the remarks. The file states no publication date.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass

from tamiz.countries import country_code
from tamiz.model import (
    Address,
    Designation,
    Entity,
    Name,
    NameKind,
    ParsedList,
    ParseError,
    Schema,
    SourceFile,
    make_properties,
)
from tamiz.programs import program_info
from tamiz.sources.common import clean, decode_text, parse_single_date, unique

CATALOGUE = "us_bis"
PROGRAM = "DPL"

_HEADERS = {
    "name": "name",
    "streetaddress": "street",
    "city": "city",
    "state": "state",
    "country": "country",
    "postalcode": "postal_code",
    "effectivedate": "effective",
    "expirationdate": "expiration",
    "standardorder": "standard_order",
    "lastupdate": "last_update",
    "action": "action",
    "frcitation": "fr_citation",
}
_REQUIRED = ("name", "effective")

_ALIAS_MARK = re.compile(r"\s*\b(?:A/K/A|A\.K\.A\.?|AKA|D/B/A|DBA)\b\.?:?\s*", re.I)
_PAREN_ALIAS = re.compile(r"\(\s*(?:A/K/A|A\.K\.A\.?|AKA)\s*:?\s*([^()]+)\)", re.I)

# Compared with each word stripped of punctuation ("S.A." -> "SA", "L.L.C." -> "LLC").
_LEGAL_FORMS = frozenset(
    [
        "LLC",
        "LTD",
        "LIMITED",
        "INC",
        "INCORPORATED",
        "CORP",
        "CORPORATION",
        "CO",
        "COMPANY",
        "GMBH",
        "AG",
        "AB",
        "SA",
        "SL",
        "SARL",
        "SRL",
        "SPA",
        "PTE",
        "PVT",
        "PLC",
        "LLP",
        "BV",
        "NV",
        "OY",
        "JSC",
        "PJSC",
        "OJSC",
        "CJSC",
        "OOO",
        "ZAO",
        "OAO",
        "FZC",
        "FZE",
        "FZCO",
        "GIE",
        "KG",
        "ANSTALT",
        "SDN",
        "BHD",
    ]
)
_ORG_WORDS = frozenset(
    [
        "AIR",
        "AIRLINES",
        "AIRWAYS",
        "AVIATION",
        "AEROCARGO",
        "CARGO",
        "FREIGHT",
        "LOGISTICS",
        "SHIPPING",
        "TRANSPORT",
        "TRANSPORTATION",
        "TRADING",
        "TRADE",
        "TRADERS",
        "EXPORT",
        "EXPORTS",
        "IMPORT",
        "IMPORTS",
        "TECHNOLOGY",
        "TECHNOLOGIES",
        "TECH",
        "TECHNIK",
        "SOLUTIONS",
        "SYSTEMS",
        "ELECTRONICS",
        "ELECTRONIC",
        "ELEKTRONISCHE",
        "ENGINEERING",
        "ENTERPRISE",
        "ENTERPRISES",
        "GROUP",
        "INTERNATIONAL",
        "INTERNACIONAL",
        "INDUSTRIES",
        "INDUSTRIE",
        "INDUSTRIAL",
        "SERVICES",
        "SERVICE",
        "METALS",
        "COMPUTERS",
        "MANUFACTURING",
        "CONTRACTING",
        "EQUIPMENT",
        "MACHINERY",
        "SUPPLY",
        "SUPPLIES",
        "PRODUCTS",
        "RESULTS",
        "ZONE",
        "MICROWAVE",
        "CIRCUIT",
        "CIRCUITS",
        "DATA",
        "NETWORK",
        "ASSOCIATES",
        "HANDEL",
        "VERTRIEBS",
        "SUPPORT",
        "MANAGEMENT",
        "INVEST",
        "INVESTMENT",
        "BANK",
        "EMPRESA",
        "REFINING",
        "NONWOVENS",
        "FIBERS",
        "PROTOTYPE",
        "UNIVERSAL",
        "GLOBAL",
        "GENERAL",
    ]
)
_SUFFIXES = frozenset({"JR", "JR.", "SR", "SR.", "II", "III", "IV"})
_PERSON_TOKEN = re.compile(r"^[A-Z][A-Z'\-]*\.?$|^[A-Z]\.$")


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    if len(files) != 1:
        names = ", ".join(f.name for f in files) or "no file"
        raise ParseError(f"BIS Denied Persons List: expected one dpl.txt file, got {names}")
    source = files[0]
    rows = _rows(source)
    groups: dict[tuple[str, str], list[_Row]] = {}
    for row in rows:
        groups.setdefault((row.name_key, row.effective), []).append(row)
    entities = tuple(_entity(dataset, key, group) for key, group in groups.items())
    return ParsedList(entities=entities)


@dataclass
class _Row:
    number: int
    values: dict[str, str]
    name_key: str
    effective: str


def _rows(source: SourceFile) -> list[_Row]:
    name = source.name
    if not source.data.strip():
        raise ParseError(f"{name}: empty file")
    text = decode_text(source.data, name)
    # strict: an unterminated quote (a file cut inside a cell) is an error, not a short row
    reader = csv.reader(io.StringIO(text, newline=""), delimiter="\t", strict=True)
    try:
        header = next(reader, None)
        records = list(reader)
    except csv.Error as exc:
        raise ParseError(f"{name}: malformed tab-separated text ({exc})") from None
    if not header or len(header) < 2:
        raise ParseError(f"{name}: not a tab-separated Denied Persons List (no header row)")
    columns = {}
    for index, label in enumerate(header):
        key = _HEADERS.get(re.sub(r"[^a-z]", "", label.lower()))
        if key and key not in columns:
            columns[key] = index
    missing = [k for k in _REQUIRED if k not in columns]
    if missing:
        raise ParseError(
            f"{name}: not a BIS Denied Persons List; header lacks {', '.join(missing)} "
            f"(found: {', '.join(h for h in header if h)})"
        )
    rows = []
    for number, record in enumerate(records, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != len(header):
            raise ParseError(
                f"{name}: row {number} has {len(record)} cells where the header has "
                f"{len(header)} (truncated file?)"
            )
        values = {
            key: cell
            for key, index in columns.items()
            if index < len(record) and (cell := clean(record[index]))
        }
        person = values.get("name")
        if not person:
            raise ParseError(f"{name}: row {number} has no name")
        effective = parse_single_date(values.get("effective", ""), day_first=False)
        if not effective:
            raise ParseError(
                f"{name}: row {number} ({person}): effective date "
                f"{values.get('effective')!r} is not a date"
            )
        rows.append(_Row(number, values, person.upper(), effective))
    if not rows:
        raise ParseError(f"{name}: header only, no denied parties")
    return rows


def _split_names(text: str) -> tuple[str, list[str]]:
    """The primary name and the aliases written into one DPL name cell."""
    aliases = [clean(m.group(1)) for m in _PAREN_ALIAS.finditer(text)]
    text = clean(_PAREN_ALIAS.sub(" ", text)) or text
    parts = [clean(p) for p in _ALIAS_MARK.split(text)]
    parts = [p for p in parts if p]
    primary = parts[0] if parts else text
    return primary, [a for a in [*parts[1:], *aliases] if a]


def infer_schema(name: str) -> Schema:
    """Company / Organization / Person / LegalEntity from the shape of a name (the rule is in
    the module docstring)."""
    words = re.sub(r"[,()]", " ", name.upper()).split()
    bare = {re.sub(r"[^A-Z0-9]", "", w) for w in words}
    if bare & _LEGAL_FORMS:
        return Schema.COMPANY
    pieces = {p for w in words for p in re.split(r"[^A-Z]+", w) if p}
    if pieces & _ORG_WORDS:
        return Schema.ORGANIZATION
    tokens = [w for w in words if w not in _SUFFIXES]
    if 2 <= len(tokens) <= 6 and all(_PERSON_TOKEN.match(t.strip('"')) for t in tokens):
        return Schema.PERSON
    return Schema.LEGAL_ENTITY


def _native_id(name_key: str, effective: str) -> str:
    digest = hashlib.sha256(f"{name_key}|{effective}".encode()).hexdigest()
    return digest[:16]


def _entity(dataset: str, key: tuple[str, str], rows: list[_Row]) -> Entity:
    name_key, effective = key
    # Latest-updated row first: its citation and expiry are BIS's current wording.
    # The order of rows in the file carries no meaning; sorting on content keeps the entity
    # (and so its fingerprint) the same when BIS reorders the file.
    rows = sorted(
        rows,
        key=lambda r: (r.values.get("last_update", ""), sorted(r.values.items())),
        reverse=True,
    )
    first = rows[0].values
    primary, aliases = _split_names(first["name"])
    names = [Name(primary, NameKind.PRIMARY)]
    names.extend(Name(a, NameKind.AKA) for a in unique(aliases) if a != primary)
    schema = infer_schema(primary)

    addresses = []
    for row in rows:
        v = row.values
        country_text = v.get("country")
        parts = [v.get("street"), v.get("city"), v.get("state"), v.get("postal_code"), country_text]
        if not any(parts):
            continue
        address = Address(
            full=", ".join(p for p in parts if p),
            street=v.get("street"),
            city=v.get("city"),
            region=v.get("state"),
            postal_code=v.get("postal_code"),
            country=country_code(country_text) if country_text else None,
            country_name=country_text,
        )
        if address not in addresses:
            addresses.append(address)
    addresses.sort(key=lambda a: a.full or "")

    expirations = unique(
        parse_single_date(r.values.get("expiration", ""), day_first=False) for r in rows
    )
    remarks = []
    if any((r.values.get("standard_order") or "").upper() == "N" for r in rows):
        remarks.append("Non-standard denial order (Standard_Order = N)")
    if len(expirations) > 1:
        differing = ", ".join(sorted(expirations))
        remarks.append(f"Expiration dates differ between address rows: {differing}")
    actions = unique(r.values.get("action") for r in rows)
    remarks.extend(f"BIS action: {a}" for a in actions[:1])

    citations = unique(r.values.get("fr_citation") for r in rows)
    info = program_info(CATALOGUE, PROGRAM)
    if info is None:  # the catalogue ships with the package; this is a packaging fault
        raise ParseError(f"program catalogue {CATALOGUE!r} lacks {PROGRAM!r}")
    designation = Designation(
        authority=info.authority,
        program=PROGRAM,
        program_title=info.title,
        legal_basis=info.legal_basis,
        listed_on=effective,
        delisted_on=expirations[0] if expirations else None,
        # Rows of one party repeat the citation list, some with a notice missing; the
        # longest is the most complete.
        source_ref=max(citations, key=len) if citations else None,
        topics=info.topics,
        kind=info.kind,
    )
    updates = sorted(
        d for d in (parse_single_date(r.values.get("last_update", "")) for r in rows) if d
    )
    return Entity(
        id=f"{dataset}:{_native_id(name_key, effective)}",
        dataset=dataset,
        schema=schema,
        names=tuple(names),
        addresses=tuple(addresses),
        countries=unique(a.country for a in addresses),
        remarks=tuple(remarks),
        designations=(designation,),
        properties=make_properties({"modifiedAt": updates[-1:]}),
    )
