"""UK HM Treasury / OFSI Consolidated List, legacy "ConList" CSV (retired in favour of the
FCDO UK Sanctions List, still found in archives and older systems).

Windows-1252 text with CRLF line ends. Line 1 is ``Last Updated,DD/MM/YYYY`` (the
publication date), line 2 the 29-column header: ``Name 6`` (surname, or an entity's whole
name), ``Name 1``-``Name 5`` (given names), ``Title``, ``DOB``, ``Town of Birth``, ``Country
of Birth``, ``Nationality``, ``Passport Details``, ``NI Number``, ``Position``, ``Address 1``-
``Address 6``, ``Post/Zip Code``, ``Country``, ``Other Information``, ``Group Type``
(Individual / Entity), ``Alias Type`` (Prime Alias / AKA / FKA), ``Regime``, ``Listed On``,
``Last Updated``, ``Group ID``. Every row is one name of one listed party; rows sharing a
``Group ID`` are the same party, and the publisher repeats a party's names once per date of
birth and address, so the parser collapses duplicates.

Entity ids are ``DATASET:GROUP_ID``; regimes are described in
``tamiz/data/programs/gb_hmt.csv`` (keyed by the regime name as printed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections import defaultdict
from collections.abc import Iterable, Sequence

from tamiz.countries import country_code
from tamiz.model import (
    Address,
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
from tamiz.programs import program_info
from tamiz.sources.common import (
    clean,
    decode_text,
    identifier_type,
    parse_date,
    parse_single_date,
    unique,
)

AUTHORITY = "HM Treasury, Office of Financial Sanctions Implementation"
GIVEN = ("Name 1", "Name 2", "Name 3", "Name 4", "Name 5")
ADDRESS_LINES = ("Address 1", "Address 2", "Address 3", "Address 4", "Address 5")
REQUIRED = ("Name 6", "Group ID", "Group Type", "Alias Type", "Regime")
ALIAS_TYPES = {"prime alias": NameKind.PRIMARY, "aka": NameKind.AKA, "fka": NameKind.FORMER}
GROUP_TYPES = {"individual": Schema.PERSON, "entity": Schema.ORGANIZATION, "ship": Schema.VESSEL}

# "(1) ... (2) ...", "a) ... b) ...", "(a) ..." enumerations used in free-text columns.
_ENUMERATION = re.compile(
    r"\(\d{1,2}\)(?:\s*(?:-|to)\s*\(\d{1,2}\))?|\([a-z]\)|(?<!\w)[a-z1-9]\)\s", re.I
)
# Where a document's number has ended and its particulars begin.
_PARTICULARS = re.compile(r"\b(?:issued|expir|valid|dob|under name|in the name)", re.I)
_TOKEN = re.compile(r"[^\s,;:()]+")
_NOT_SERIES = frozenset({"ID", "NO", "NI", "NR"})
_NUMBER_PREFIX = re.compile(r"^(?:no|nr|num|number)\.", re.I)
_NEGATION = re.compile(r"\bnot\b", re.I)


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    if not files:
        raise ParseError("uk-conlist-csv: no files given")
    groups: dict[str, list[dict[str, str]]] = defaultdict(list)
    published: dt.date | None = None
    warnings: list[str] = []
    for file in files:
        file_published, rows = _rows(file)
        if file_published:
            published = max(published, file_published) if published else file_published
        for row in rows:
            groups[row["Group ID"]].append(row)
    entities = tuple(
        _entity(group_id, rows, dataset, warnings) for group_id, rows in groups.items()
    )
    return ParsedList(entities, published=published, warnings=tuple(warnings))


def _rows(file: SourceFile) -> tuple[dt.date | None, list[dict[str, str]]]:
    text = decode_text(file.data, file.name)
    if not text.strip():
        raise ParseError(f"{file.name}: empty file, expected the HM Treasury ConList CSV")
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        first = next(reader)
        published = None
        if first and first[0].strip().lower() == "last updated":
            stamp = first[1].strip() if len(first) > 1 else ""
            date = parse_single_date(stamp)
            if not date or len(date) != 10:
                raise ParseError(f"{file.name}: 'Last Updated' date {stamp!r} is not a date")
            published = dt.date.fromisoformat(date)
            header = next(reader)
        else:
            header = first
        header = [h.strip() for h in header]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise ParseError(
                f"{file.name}: not a ConList CSV, header lacks {', '.join(missing)} "
                f"(found {', '.join(header[:6])}...)"
            )
        rows = []
        for row in reader:
            if not any(cell.strip() for cell in row):
                continue
            if len(row) != len(header):
                raise ParseError(
                    f"{file.name}: line {reader.line_num} has {len(row)} fields, expected "
                    f"{len(header)}; the file is truncated or damaged"
                )
            # cleaned once here (whitespace, Unicode NFC); "" stands for an empty cell
            record = {h: (clean(v) or "") if v else "" for h, v in zip(header, row, strict=True)}
            if not record["Group ID"]:
                raise ParseError(f"{file.name}: line {reader.line_num} has no Group ID")
            rows.append(record)
    except csv.Error as exc:
        raise ParseError(f"{file.name}: line {reader.line_num}: malformed CSV ({exc})") from None
    except StopIteration:
        raise ParseError(f"{file.name}: no header line; not a ConList CSV") from None
    if not rows:
        raise ParseError(f"{file.name}: header only, no entries")
    return published, rows


def _iso(text: str | None) -> str | None:
    return parse_single_date(text) if text else None


def _entity(group_id: str, rows: list[dict[str, str]], dataset: str, warnings: list[str]) -> Entity:
    entity_id = f"{dataset}:{group_id}"

    def values(column: str) -> tuple[str, ...]:
        return unique(row.get(column) for row in rows)

    group_type = values("Group Type")[0] if values("Group Type") else ""
    schema = GROUP_TYPES.get(group_type.lower())
    if schema is None:
        warnings.append(f"{entity_id}: group type {group_type!r} is not known; typed Thing")
        schema = Schema.THING

    remarks: list[str] = list(values("Other Information"))
    names = _names(rows, schema, entity_id, warnings)
    birth_dates = []
    for dob in values("DOB"):
        if (date := parse_date(dob)) is not None:
            birth_dates.append(date)
    birth_places = unique(
        ", ".join(unique([row["Town of Birth"], row["Country of Birth"]])) for row in rows
    )
    nationalities: list[str] = []
    for text in values("Nationality"):
        codes = countries_in(text)
        if codes or not _NEGATION.search(text):
            nationalities.extend(codes or [text])
        if len(codes) != 1 or country_code(text) is None:
            remarks.append(f"Nationality: {text}")  # the wording says more than the codes
    identifiers: list[Identifier] = []
    for text in values("Passport Details"):
        identifiers.extend(identifiers_in(text, "passport", "Passport Details", remarks))
    for text in values("NI Number"):
        identifiers.extend(identifiers_in(text, "national_id", "NI Number", remarks))

    designations = []
    for key in unique(f"{row['Regime']}\x00{row.get('Listed On', '')}" for row in rows):
        regime, listed = key.split("\x00")
        designations.append(_designation(regime, listed, entity_id, warnings))
    updated = sorted(d for d in (_iso(v) for v in values("Last Updated")) if d)
    return Entity(
        id=entity_id,
        dataset=dataset,
        schema=schema,
        names=names,
        birth_dates=tuple(dict.fromkeys(birth_dates)),
        birth_places=birth_places,
        nationalities=unique(nationalities),
        addresses=_addresses(rows),
        identifiers=tuple(dict.fromkeys(identifiers)),
        positions=values("Position"),
        remarks=unique(remarks),
        designations=tuple(dict.fromkeys(designations)),
        properties=make_properties({"modifiedAt": updated[-1:]}),
    )


def _names(
    rows: list[dict[str, str]], schema: Schema, entity_id: str, warnings: list[str]
) -> tuple[Name, ...]:
    names: dict[str, Name] = {}
    for row in rows:
        given = [p for p in (row.get(c) for c in GIVEN) if p]
        last = row.get("Name 6")
        full = " ".join([*given, last] if last else given)
        if not full:
            continue
        alias_type = (row.get("Alias Type") or "").lower()
        kind = ALIAS_TYPES.get(alias_type)
        if kind is None:
            warnings.append(f"{entity_id}: alias type {alias_type!r} is not known; read as AKA")
            kind = NameKind.AKA
        if kind is NameKind.PRIMARY and any(n.kind is NameKind.PRIMARY for n in names.values()):
            kind = NameKind.AKA  # one primary name per entity; the first one printed wins
        person = schema is Schema.PERSON
        name = Name(
            full=full,
            kind=kind,
            first_name=given[0] if person and given else None,
            middle_name=" ".join(given[1:]) or None if person else None,
            last_name=last if person and given else None,
            title=row.get("Title") or None,
        )
        known = names.get(full)
        if known is None or (kind is NameKind.PRIMARY and known.kind is not NameKind.PRIMARY):
            names[full] = name
    if not names:
        raise ParseError(f"{entity_id}: group has no name")
    ordered = sorted(names.values(), key=lambda n: n.kind is not NameKind.PRIMARY)
    return tuple(ordered)


def _addresses(rows: list[dict[str, str]]) -> tuple[Address, ...]:
    # rows repeat the same address once per name and date of birth: build each once
    columns = (*ADDRESS_LINES, "Address 6", "Post/Zip Code", "Country")
    distinct = dict.fromkeys(tuple(row.get(c, "") for c in columns) for row in rows)
    built = (_address(dict(zip(columns, cells, strict=True))) for cells in distinct)
    return tuple(dict.fromkeys(a for a in built if a))


def _address(row: dict[str, str]) -> Address | None:
    lines = [row.get(c) or None for c in ADDRESS_LINES]
    city, postcode, country = (
        row.get(c) or None for c in ("Address 6", "Post/Zip Code", "Country")
    )
    full = ", ".join(unique([*lines, city, postcode, country]))
    if not full:
        return None
    codes = countries_in(country) if country else []
    return Address(
        full=full,
        street=", ".join(unique(lines)) or None,
        city=city,
        postal_code=postcode,
        country=codes[0] if len(codes) == 1 else None,
        country_name=country,
    )


def _designation(regime: str, listed: str, entity_id: str, warnings: list[str]) -> Designation:
    info = program_info("gb_hmt", regime) if regime else None
    if info is None:
        warnings.append(f"{entity_id}: regime {regime!r} is not in the gb_hmt catalogue")
    return Designation(
        authority=info.authority if info else AUTHORITY,
        program=regime or "unknown",
        program_title=info.title if info else None,
        legal_basis=info.legal_basis if info else None,
        listed_on=_iso(listed),
        topics=info.topics if info else ("sanction",),
        kind=info.kind if info else "sanction",
    )


# -- free text ----------------------------------------------------------------------------


def split_enumeration(text: str) -> list[str]:
    """``"(1) A (2) B"`` / ``"a) A, b) B"`` -> ``["A", "B"]``; other text -> ``[text]``."""
    parts = [p.strip(" ,;.") for p in _ENUMERATION.split(text)]
    return [p for p in parts if p] or [text]


def countries_in(text: str | None) -> list[str]:
    """ISO codes for the countries a free-text field names (``"(1) Somali (2) Swedish"``,
    ``"Jordan (since July 2013)"``). Empty when none is recognised or the text negates
    ("Not registered as a citizen of ...")."""
    if not text or _NEGATION.search(text):
        return []
    codes: list[str] = []
    for part in split_enumeration(text):
        code = country_code(part)
        codes.extend([code] if code else _countries_in_words(part))
    return list(unique(codes))


def _country_in_words(text: str) -> str | None:
    found = _countries_in_words(text)
    return found[0] if found else None


def _countries_in_words(text: str) -> list[str]:
    """Countries named by one to three consecutive words of ``text``, in order.

    Words under four letters are skipped on their own: "no", "ID" or "CGI" are country
    codes to :func:`country_code`, not country names in a sentence.
    """
    words = re.findall(r"[A-Za-z'’-]+", text)
    found: list[str] = []
    i = 0
    while i < len(words):
        for size in (3, 2, 1):
            chunk = words[i : i + size]
            if len(chunk) < size or (size == 1 and len(chunk[0]) < 4):
                continue
            if code := country_code(" ".join(chunk)):
                found.append(code)
                i += size
                break
        else:
            i += 1
    return list(unique(found))


def identifiers_in(
    text: str, default_type: str, column: str, remarks: list[str]
) -> Iterable[Identifier]:
    """Documents described in a ``Passport Details`` / ``NI Number`` cell.

    Each enumerated part names at most one document: its number is the first token with a
    digit before the particulars ("issued on ...", "expires ..."); the issuing country comes
    from the part's wording ("(Tunisian)", "Pakistani passport no."). The part's text is kept
    as the identifier's note. A cell without any number is kept as a remark.
    """
    found = []
    context_country = None
    for part in split_enumeration(text):
        head = _PARTICULARS.split(part, maxsplit=1)[0]
        number = _number(head)
        country = _country_in_words(re.sub(r"\bin\b.*$", "", head)) or context_country
        if number is None:
            context_country = country or context_country  # "Jordanian passport numbers (1)..."
            continue
        kind = identifier_type(head)
        if kind == "other":
            kind = default_type
        found.append(Identifier(type=kind, value=number, country=country, label=column, note=part))
    if not found:
        remarks.append(f"{column}: {text}")
    return found


def _number(text: str) -> str | None:
    tokens = _TOKEN.findall(text)
    for i, token in enumerate(tokens):
        token = _NUMBER_PREFIX.sub("", token.rstrip("."))
        if not any(ch.isdigit() for ch in token) or sum(ch.isalnum() for ch in token) < 4:
            continue
        # "A 11263265", "D 000974": a one- or two-letter series printed apart from the digits
        previous = tokens[i - 1] if i else ""
        series = 1 <= len(previous) <= 2 and previous.isalpha() and previous.isupper()
        if token[0].isdigit() and series and previous not in _NOT_SERIES:
            return f"{previous} {token}"
        return token
    return None
