"""Australia's Consolidated List (DFAT), published as ``regulation8_consolidated.xlsx``.

One sheet, one row per *name*: the primary name row carries a numeric reference (``2``),
its aliases the same number with a letter suffix (``2a``, ``2b``; sometimes ``34c1``), and
``Name Type`` says what each is (Primary Name / aka / Original Script / Formerly known as /
Previously listed as; capitalisation varies). Rows are grouped on the leading number, which
becomes the native id (``au_dfat:2``). Columns are found by header text: Reference, Name of
Individual or Entity, Type, Name Type, Date of Birth, Place of Birth, Citizenship, Address,
Additional Information, Listing Information, Committees, Control Date (and Instrument of
Designation where a release has it).

The free-text cells are messy and are read conservatively:

* dates of birth: Excel dates, bare years, ``a) … b) …`` lists, ``;``/newline/``or`` lists,
  "Approximately"/"Circa"/"c.", "Between 1965 and 1969", ``1955-1958`` ranges, ``03/1965``;
  text that is no date is kept as ``DateValue(text=…)``;
* citizenship: split into countries and mapped to ISO codes (as nationalities); a cell with a
  part that is no country is kept whole as a remark;
* identifiers: only passport numbers, national identity numbers and IMO numbers that follow
  an explicit label in Additional Information; the whole text stays in the remarks;
* Committees map to designations through the ``au_dfat`` program catalogue; ``listed_on`` is
  the first listing date stated in Listing Information. Control Date is DFAT's date of the
  record's last change, not a listing date, so it is kept as ``modifiedAt``.

The publication date is the workbook's "modified" time from its document properties, when it
is not earlier than the latest Control Date.
"""

from __future__ import annotations

import datetime as dt
import functools
import io
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import openpyxl

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
from tamiz.programs import program_info
from tamiz.sources.common import MAX_XML_BYTES, clean, parse_date, parse_single_date, unique

CATALOGUE = "au_dfat"
FALLBACK_AUTHORITY = "Australian Government, Department of Foreign Affairs and Trade"

_HEADERS = {
    "reference": "reference",
    "nameofindividualorentity": "name",
    "name": "name",
    "type": "type",
    "nametype": "name_type",
    "dateofbirth": "dob",
    "placeofbirth": "pob",
    "citizenship": "citizenship",
    "address": "address",
    "additionalinformation": "info",
    "listinginformation": "listing",
    "committees": "committees",
    "controldate": "control_date",
    "instrumentofdesignation": "instrument",
}
_REQUIRED = ("reference", "name", "name_type")

_NAME_KINDS = {
    "primary name": NameKind.PRIMARY,
    "aka": NameKind.AKA,
    "original script": NameKind.NATIVE,
    "formerly known as": NameKind.FORMER,
    "previously listed as": NameKind.FORMER,
    "fka": NameKind.FORMER,
}
_SCHEMAS = {"individual": Schema.PERSON, "entity": Schema.ORGANIZATION}

_EMPTY = {"na", "n/a", "nil", "none", "unknown", "-"}
_REFERENCE = re.compile(r"^(\d+)([a-z]*\d*)$", re.I)
_PARENS = re.compile(r"\(([^()]*)\)")
_EXCEL_EPOCH = dt.date(1899, 12, 30)


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    if len(files) != 1:
        names = ", ".join(f.name for f in files) or "no file"
        raise ParseError(f"DFAT consolidated list: expected one XLSX file, got {names}")
    source = files[0]
    try:
        return _parse(source, dataset)
    finally:
        _clean_text.cache_clear()  # the cache only serves one parse


def _parse(source: SourceFile, dataset: str) -> ParsedList:
    rows, modified = _read_sheet(source)
    header_row, body = rows[0], rows[1:]
    columns = _columns(header_row, source.name)
    extra = [key[len(_EXTRA) :] for _, key in columns if key.startswith(_EXTRA)]
    warnings: list[str] = []
    if extra:
        warnings.append(f"{source.name}: unrecognised columns kept as remarks: {', '.join(extra)}")

    groups: dict[str, list[_Row]] = {}
    for number, cells in body:
        values = {key: cells[i] for i, key in columns if i < len(cells) and cells[i] is not None}
        if not any(_text(v) for v in values.values()):
            continue
        reference = _reference(values.get("reference"))
        match = _REFERENCE.match(reference or "")
        if not match:
            raise ParseError(f"{source.name}: row {number} has no usable Reference ({reference!r})")
        groups.setdefault(match.group(1), []).append(_Row(number, values))
    if not groups:
        raise ParseError(f"{source.name}: the sheet has a header but no entries")

    entities = tuple(
        _entity(dataset, base, rows, source.name, warnings) for base, rows in groups.items()
    )
    latest_change = max(
        (d for e in entities for d in e.property_values("modifiedAt")), default=None
    )
    published = None
    if modified and (latest_change is None or modified.isoformat() >= latest_change):
        published = modified
        warnings.append(
            f"{source.name}: publication date {published} taken from the workbook's "
            "document properties"
        )
    return ParsedList(entities=entities, published=published, warnings=tuple(unique(warnings)))


@dataclass
class _Row:
    number: int
    values: dict[str, Any]


# -- reading the workbook -----------------------------------------------------------------


def _read_sheet(source: SourceFile) -> tuple[list[tuple[int, tuple[Any, ...]]], dt.date | None]:
    data = source.data
    name = source.name
    if not data.strip():
        raise ParseError(f"{name}: empty file")
    if not data.startswith(b"PK\x03\x04"):
        raise ParseError(f"{name}: not an XLSX workbook (no zip signature)")
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ParseError(f"{name}: truncated or corrupt zip archive, not a readable XLSX") from None
    if "[Content_Types].xml" not in names or not any(n.startswith("xl/") for n in names):
        kind = " (this looks like an OpenDocument file)" if "mimetype" in names else ""
        raise ParseError(f"{name}: zip archive is not an Excel XLSX workbook{kind}")
    if total > MAX_XML_BYTES:
        raise ParseError(f"{name}: workbook unpacks to {total} bytes; too large")
    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(data), read_only=True, data_only=True, keep_links=False
        )
    except Exception as exc:  # openpyxl raises many types for damaged archives
        raise ParseError(
            f"{name}: unreadable XLSX workbook ({type(exc).__name__}: {exc})"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        rows: list[tuple[int, tuple[Any, ...]]] = []
        width = None
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
            if width is None:
                # The header fixes the width; the sheet's declared dimension is far wider.
                width = max((i + 1 for i, c in enumerate(cells) if c is not None), default=0)
                if not width:
                    continue
            rows.append((number, tuple(cells[:width])))
        modified = workbook.properties.modified
    except Exception as exc:
        raise ParseError(f"{name}: damaged XLSX sheet ({type(exc).__name__}: {exc})") from None
    finally:
        workbook.close()
    if not rows:
        raise ParseError(f"{name}: the workbook's first sheet is empty")
    return rows, (modified.date() if isinstance(modified, dt.datetime) else None)


_EXTRA = "extra:"  # key prefix of columns this parser does not know; kept as remarks


def _columns(header: tuple[int, tuple[Any, ...]], source: str) -> list[tuple[int, str]]:
    columns: list[tuple[int, str]] = []
    for index, cell in enumerate(header[1]):
        label = _text(cell)
        if not label:
            continue
        key = _HEADERS.get(re.sub(r"[^a-z]", "", label.lower())) or f"{_EXTRA}{label}"
        if key not in {k for _, k in columns}:
            columns.append((index, key))
    missing = [k for k in _REQUIRED if k not in {k for _, k in columns}]
    if missing:
        raise ParseError(
            f"{source}: not a DFAT consolidated list; header lacks {', '.join(missing)} "
            f"(found: {', '.join(str(c) for c in header[1] if c)})"
        )
    return columns


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return _clean_text(value if isinstance(value, str) else str(value))


@functools.lru_cache(maxsize=65536)
def _clean_text(text: str) -> str | None:
    # Alias rows repeat their entity's long cells verbatim; cleaning each once is enough.
    cleaned = clean(text.replace("\xa0", " "))
    if cleaned and cleaned.lower() in _EMPTY:
        return None
    return cleaned


def _reference(value: Any) -> str | None:
    text = _text(value)
    return text.replace(" ", "") if text else None


# -- entities -----------------------------------------------------------------------------


def _entity(dataset: str, base: str, rows: list[_Row], source: str, warnings: list[str]) -> Entity:
    def cells(key: str) -> list[Any]:
        return [r.values[key] for r in rows if r.values.get(key) is not None]

    def texts(key: str) -> list[str]:
        return list(unique(_text(v) for v in cells(key)))

    names: list[Name] = []
    primary_type = None
    for row in rows:
        full = _text(row.values.get("name"))
        if not full:
            raise ParseError(f"{source}: row {row.number} (reference {base}) has no name")
        label = _text(row.values.get("name_type")) or ""
        kind = _NAME_KINDS.get(label.lower())
        if kind is None:
            kind = NameKind.AKA
            warnings.append(f"{source}: row {row.number}: name type {label!r} read as an alias")
        if kind is NameKind.PRIMARY and primary_type is None:
            primary_type = _text(row.values.get("type"))
        name = Name(full, kind)
        if name not in names:
            names.append(name)
    if not any(n.kind is NameKind.PRIMARY for n in names):
        warnings.append(f"{source}: reference {base} has no Primary Name row")
    names.sort(key=lambda n: n.kind is not NameKind.PRIMARY)

    type_text = (primary_type or next(iter(texts("type")), "") or "").lower()
    schema = _SCHEMAS.get(type_text)
    if schema is None:
        schema = Schema.LEGAL_ENTITY
        warnings.append(f"{source}: reference {base}: type {type_text!r} stored as LegalEntity")

    birth_dates: list[DateValue] = []
    for value in cells("dob"):
        for date in _birth_dates(value):
            if date not in birth_dates:
                birth_dates.append(date)

    remarks: list[str] = []
    nationalities: list[str] = []
    for text in texts("citizenship"):
        codes, complete = _countries(text)
        nationalities.extend(c for c in codes if c not in nationalities)
        if not complete:
            remarks.append(f"Citizenship: {text}")

    birth_places = unique(p for text in texts("pob") for p in _items(text))
    addresses = tuple(dict.fromkeys(a for text in texts("address") for a in _addresses(text)))
    infos = texts("info")
    identifiers = tuple(dict.fromkeys(i for text in infos for i in _identifiers(text)))
    remarks.extend(infos)
    remarks.extend(f"Listing information: {t}" for t in texts("listing"))
    remarks.extend(f"Instrument of designation: {t}" for t in texts("instrument"))
    for key in dict.fromkeys(k for r in rows for k in r.values if k.startswith(_EXTRA)):
        remarks.extend(f"{key[len(_EXTRA) :]}: {t}" for t in texts(key))

    changes = [_date_cell(v) for v in cells("control_date")]
    changes = sorted(c for c in changes if c)
    properties = make_properties(
        {
            "modifiedAt": [changes[-1]] if changes else [],
            "imoNumber": [i.value for i in identifiers if i.type == "imo"],
        }
    )
    return Entity(
        id=f"{dataset}:{base}",
        dataset=dataset,
        schema=schema,
        names=tuple(names),
        birth_dates=tuple(birth_dates),
        birth_places=birth_places,
        nationalities=tuple(nationalities),
        addresses=addresses,
        identifiers=identifiers,
        remarks=unique(remarks),
        designations=_designations(base, texts("committees"), cells("listing"), warnings, source),
        properties=properties,
    )


# "a) … b) …" item labels: a single letter and ")" not glued to a preceding word.
_ITEM = r"(?<![A-Za-z0-9])[a-z]\)"


def _items(text: str) -> list[str]:
    """Parts of an ``a) … b) …`` / ``;`` / newline / ``>>`` list."""
    parts = re.split(_ITEM + r"|;|\n|>>", text)
    out = []
    for part in parts:
        part = clean(part.strip(" ,.;"))
        if part and part.lower() not in _EMPTY:
            out.append(part)
    return out


# -- dates --------------------------------------------------------------------------------


def _date_cell(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and 1 < value < 100000:
        return (_EXCEL_EPOCH + dt.timedelta(days=int(value))).isoformat()
    text = _text(value)
    return _single_date(text) if text else None


_DOB_SPLIT = re.compile(
    _ITEM
    + r"|;|\n|>>|\bor\b"
    # between two dates: "1961, 1962", "5/06/1953 15/06/1953", "1968 (as X) 1970 (as Y)"
    + r"|(?<=\d{4}),\s*(?=\d)|(?<=\d{4})\s*,\s*(?=[A-Z])|(?<=\d{4})\s+(?=\d{1,2}/)"
    + r"|(?<=\))\s+(?=\d)",
    re.I,
)
_BETWEEN = re.compile(r"^between\s+(.+?)\s+(?:and|to)\s+(.+)$", re.I)
_MONTH_YEAR = re.compile(r"^(\d{1,2})/(\d{4})$")
_HYPHEN_MONTH = re.compile(r"\b(\d{1,2})-([A-Za-z]{3,9})-(\d{4})\b")
_DOB_PREFIX = re.compile(r"^(?:alt(?:ernative)?\.?\s*)?(?:dob|date of birth)\s*:?\s*", re.I)


def _single_date(text: str) -> str | None:
    """One date in DFAT's spellings: ``11-Sep-2000``, ``24 Jan.1973``, ``03/1965`` and the
    forms :func:`parse_single_date` knows."""
    text = _HYPHEN_MONTH.sub(r"\1 \2 \3", text)
    text = re.sub(r"(?<=[A-Za-z])\.(?=\d)", ". ", text)  # "24 Jan.1973"
    text = re.sub(r"(?<=\d)\.\s+(?=[A-Za-z])", " ", text)  # "21. Jul 1997"
    text = re.sub(r"/\s+(?=\d)", "/", text)  # "09/11/ 1954"
    text = " ".join(text.split())
    if m := _MONTH_YEAR.match(text):
        month, year = int(m.group(1)), int(m.group(2))
        if 1 <= month <= 12 and 1800 <= year <= 2200:
            return f"{year:04d}-{month:02d}"
    return parse_single_date(text)


def _birth_dates(value: Any) -> list[DateValue]:
    if isinstance(value, dt.datetime | dt.date):
        return [DateValue(_date_cell(value))]
    if isinstance(value, int | float):
        number = int(value)
        if 1800 <= number <= 2200:
            return [DateValue(f"{number:04d}")]
        return [DateValue(_date_cell(value))]
    text = _text(value)
    if not text:
        return []
    out = []
    for part in _DOB_SPLIT.split(text):
        part = clean(part.strip(" ,.;"))
        if not part or part.lower() in _EMPTY:
            continue
        out.append(_one_birth_date(part))
    return out


def _one_birth_date(part: str) -> DateValue:
    body = part
    if body.count("(") > body.count(")"):
        body = body[: body.rindex("(")]  # "5 Feb. 1970 (this aka only, alt born …" unclosed
    note = "; ".join(m.group(1).strip() for m in _PARENS.finditer(body)) or None
    body = clean(_PARENS.sub(" ", body)) or clean(body.strip("()")) or part
    body = _DOB_PREFIX.sub("", body)
    note = note or (None if body in part.strip("()") else part)
    circa = False
    if m := re.match(r"^(?:circa|approximately|approx\.?|about|ca\.|c\.)\s*", body, re.I):
        circa = True
        body = body[m.end() :]
    if m := _BETWEEN.match(body):
        start, end = _single_date(m.group(1)), _single_date(m.group(2))
        if start and end:
            return DateValue(start, end=end, circa=circa, text=part)
    single = _single_date(body)
    if single:
        return DateValue(single, circa=circa, text=part if (circa or note) else None)
    if m := re.match(r"^(\d{4})\s*(?:-|–|to)\s*(\d{4})$", body):
        return DateValue(m.group(1), end=m.group(2), circa=circa, text=part)
    parsed = parse_date(body)
    if parsed and parsed.value:
        return DateValue(parsed.value, end=parsed.end, circa=circa or parsed.circa, text=part)
    return DateValue(None, circa=circa, text=part)


# -- countries, addresses, identifiers ----------------------------------------------------


def _countries(text: str) -> tuple[list[str], bool]:
    """ISO codes named in a citizenship cell, and whether every part was understood."""
    codes: list[str] = []
    complete = True
    for part in re.split(_ITEM + r"|;|/|\n|,", text):
        part = clean(part.strip(" .;"))
        if not part or part.lower() in _EMPTY:
            continue
        if _PARENS.search(part):
            complete = False  # "(as at Dec. 2003)": keep the wording as a remark
            part = clean(_PARENS.sub(" ", part)) or ""
        part = re.sub(r"^(?:possibly|probably)\s+", "", part, flags=re.I)
        code = country_code(part)
        found = [code] if code else [country_code(p) for p in re.split(r"\s+and\s+", part)]
        if not all(found):
            complete = False
        codes.extend(c for c in found if c and c not in codes)
    return codes, complete


def _addresses(text: str) -> list[Address]:
    out = []
    for item in re.split(_ITEM + r"|;|>>", text):
        item = clean(item.strip(" ,;"))
        if not item or item.lower() in _EMPTY:
            continue
        bare = clean(_PARENS.sub(" ", item)) or item
        parts = [p.strip(" .") for p in bare.split(",") if p.strip(" .")]
        code = None
        country_name = None
        for candidate in reversed(parts[-2:]):
            code = country_code(candidate)
            if code:
                country_name = candidate
                break
        note = "; ".join(m.group(1).strip() for m in _PARENS.finditer(item)) or None
        out.append(Address(full=item, country=code, country_name=country_name, note=note))
    return out


# The number, optionally followed by its country in brackets: "Passport U12937160 (Turkey)".
_VALUE = r"(?P<value>[A-Z]{0,3}\d[0-9A-Z]*(?:[.\-][0-9A-Z]+)*)(?:\s*\((?P<after>[A-Z][a-z]+)\))?"
_PASSPORT = re.compile(
    r"(?:(?P<pre>[A-Z][a-z]+)\s+)?(?i:passport)(?:\s+(?i:no\.?|number|#))?\s*:?\s*"
    r"(?:(?i:no\.?)\s*)?(?:(?P<post>[A-Z][a-z]+),?\s+(?:(?i:number|no\.?)\s+)?)?" + _VALUE
)
_NATIONAL_ID = re.compile(
    r"(?:(?P<pre>[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+)?"
    r"(?i:national\s+(?:identification|identity)(?:\s+card)?(?:\s+\(tazkira\))?"
    r"|(?:identity|identification)\s+card)"
    r"(?:\s+(?i:no\.?|number))?\s*:?\s*" + _VALUE
)
_IMO = re.compile(r"\bIMO(?:\s+(?:number|no\.?))?\s*:?\s*(?P<value>\d{7})\b", re.I)


def _identifiers(text: str) -> list[Identifier]:
    found: list[Identifier] = []
    for pattern, kind, label in (
        (_PASSPORT, "passport", "Passport"),
        (_NATIONAL_ID, "national_id", "National identification number"),
    ):
        for m in pattern.finditer(text):
            value = m.group("value").rstrip(".-")
            if len(re.sub(r"[^0-9A-Z]", "", value)) < 5:
                continue
            named = (m.group("after"), m.groupdict().get("post"), m.group("pre"))
            country = next((c for c in map(country_code, named) if c), None)
            found.append(Identifier(kind, value, country=country, label=label))
    for m in _IMO.finditer(text):
        found.append(Identifier("imo", m.group("value"), label="IMO number"))
    return found


# -- designations -------------------------------------------------------------------------

_COMMITTEE = re.compile(r"(?:Autonomous|\d+(?:/\d+)*)\s*\((?:[^()]|\([^()]*\))*\)")
# The first date in the sentence that says the entry was listed or designated ("Listed on
# 19 Nov. 2014", "Listed by UN 1267 Committee 8 Mar. 2001", "Designated under … on 2 March
# 2012"); "Relisted on" is a later event and does not count.
_LISTED_ON = re.compile(
    r"\b(?:listed|designated)[^.;]*?\b"
    r"(\d{1,2}(?:st|nd|rd|th)?\.?\s+[A-Za-z]{3,9}\.?,?\s+\d{4}|\d{1,2}/\d{1,2}/\d{4})",
    re.I,
)


def _committee_codes(text: str) -> list[str]:
    text = " ".join(text.replace("–", "-").replace("—", "-").split())
    found = [" ".join(m.group(0).split()) for m in _COMMITTEE.finditer(text)]
    return found or [text]


_LEADING_DATE = re.compile(r"^(\d{1,2}\.?\s+[A-Za-z]{3,9}\.?\s*\d{4}|\d{1,2}/\d{1,2}/\d{4})")


def _listed_on(listing: list[Any]) -> str | None:
    """The first listing date stated in Listing Information cells (Excel dates included)."""
    for value in listing:
        if isinstance(value, dt.date | dt.datetime):
            return _date_cell(value)
        text = _text(value)
        if not text:
            continue
        match = _LISTED_ON.search(text) or _LEADING_DATE.match(text)
        if match:
            date = _single_date(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b", "", match.group(1)))
            if date:
                return date
    return None


def _designations(
    base: str, committees: list[str], listing: list[Any], warnings: list[str], source: str
) -> tuple[Designation, ...]:
    listed_on = _listed_on(listing)
    out: list[Designation] = []
    for code in unique(c for text in committees for c in _committee_codes(text)):
        info = program_info(CATALOGUE, code)
        if info is None:
            warnings.append(
                f"{source}: committee {code!r} is not in the {CATALOGUE} program catalogue"
            )
            out.append(
                Designation(
                    authority=FALLBACK_AUTHORITY,
                    program=code,
                    listed_on=listed_on,
                    source_ref=base,
                    topics=("sanction",),
                )
            )
            continue
        out.append(
            Designation(
                authority=info.authority,
                program=info.code,
                program_title=info.title,
                legal_basis=info.legal_basis,
                listed_on=listed_on,
                source_ref=base,
                topics=info.topics,
                kind=info.kind,
            )
        )
    return tuple(out)
