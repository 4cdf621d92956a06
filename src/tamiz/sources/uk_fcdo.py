"""UK Sanctions List published by the Foreign, Commonwealth & Development Office (FCDO).

Format ids ``uk-ods`` and ``uk-csv`` both land here; the bytes decide the reader: a zip
archive whose ``mimetype`` is the OpenDocument spreadsheet type is read as ODS, anything else
as CSV. Both readers produce rows of cells, and one header-driven mapper turns rows into
entities, so each layout works in either container:

* **Summary export** (the ODS on the FCDO site, sheet ``UK_Sanction_List``): one row per
  designation with ``Unique ID, OFSI Group ID, Name, Regime Name, Type, Designation source,
  Date Designated, Sanctions Imposed``. Primary names only; no aliases, dates of birth or
  addresses.
* **Full list** (``UK-Sanctions-List.csv``): a first line ``Report Date: …``, then a header
  and one row per *name*, grouped by ``Unique ID``. Names are split into ``Name 1`` … ``Name 5``
  (given names) and ``Name 6`` (surname, or the whole name of an entity or ship), with
  ``Name type`` (Primary name / Primary name variation / Alias), ``Alias strength``, a
  non-Latin-script name, and the entity's details (dates of birth, nationalities, passports,
  national identifiers, addresses, positions, ship particulars …). Columns are found by
  their header text, so order does not matter and absent columns are simply empty.
  Multi-valued cells use the UK's ``(1) … (2) …`` enumeration or line breaks.

The entity id is the UK Unique ID (``gb_fcdo:RUS0001``), which the FCDO keeps for the life of
a designation. The regime becomes a designation through the ``gb_fcdo`` program catalogue
(authority, the regime's regulations, topics); ``Date designated`` is ``listed_on``.

The publication date comes from the CSV's ``Report Date`` line. The summary ODS does not
state one, so the modification time the exporter wrote on its ``content.xml`` zip entry is
used, provided it is not earlier than the latest designation in the file.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import zipfile
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pycountry
from lxml import etree

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
    Relation,
    RelationKind,
    Schema,
    SourceFile,
    make_properties,
)
from tamiz.programs import program_info
from tamiz.sources.common import (
    MAX_XML_BYTES,
    clean,
    decode_text,
    parse_date,
    parse_single_date,
    parse_xml,
    unique,
)

CATALOGUE = "gb_fcdo"
FALLBACK_AUTHORITY = "UK Foreign, Commonwealth & Development Office"
ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"

# -- header mapping -----------------------------------------------------------------------

# Canonical field -> header spellings, compared after lower-casing and dropping everything
# but letters and digits ("Nationality(/ies)" -> "nationalityies").
_HEADERS: dict[str, tuple[str, ...]] = {
    "last_updated": ("lastupdated",),
    "uid": ("uniqueid",),
    "ofsi_group_id": ("ofsigroupid", "groupid"),
    "un_ref": ("unreferencenumber", "unreference", "unref"),
    "name": ("name", "fullname", "primaryname"),
    **{f"name{i}": (f"name{i}",) for i in range(1, 7)},
    "name_type": ("nametype", "aliastype"),
    "alias_strength": ("aliasstrength", "aliasquality"),
    "title": ("title",),
    "non_latin": ("namenonlatinscript", "nonlatinscriptname", "namenonlatin"),
    "non_latin_type": ("nonlatinscripttype",),
    "non_latin_language": ("nonlatinscriptlanguage",),
    "entity_type": ("entitytype", "type", "individualentityship"),
    "regime": ("regimename", "regime"),
    "designation_source": ("designationsource",),
    "date_designated": ("datedesignated", "dateofdesignation"),
    "sanctions_imposed": ("sanctionsimposed",),
    "other_information": ("otherinformation",),
    "statement_of_reasons": ("ukstatementofreasons", "statementofreasons"),
    **{f"address{i}": (f"addressline{i}", f"address{i}") for i in range(1, 7)},
    "postal_code": ("addresspostalcode", "postalcode", "postcode"),
    "address_country": ("addresscountry",),
    "phone": ("phonenumber", "phonenumbers", "phone"),
    "website": ("website", "websites"),
    "email": ("emailaddress", "emailaddresses", "email"),
    "dob": ("dob", "dateofbirth"),
    "nationality": ("nationalityies", "nationality", "nationalities"),
    "national_id": ("nationalidentifiernumber", "nationalidentificationnumber", "nationalid"),
    "national_id_info": (
        "nationalidentifieradditionalinformation",
        "nationalidentificationdetails",
        "nationalidentifierdetails",
    ),
    "passport": ("passportnumber", "passportnumbers"),
    "passport_info": ("passportadditionalinformation", "passportdetails"),
    "position": ("position", "positions"),
    "gender": ("gender",),
    "town_of_birth": ("townofbirth",),
    "country_of_birth": ("countryofbirth",),
    "type_of_entity": ("typeofentity",),
    "subsidiaries": ("subsidiaries",),
    "parent_company": ("parentcompany", "parentcompanies"),
    "business_registration": (
        "businessregistrationnumbers",
        "businessregistrationnumber",
        "registrationnumber",
    ),
    "imo": ("imonumber", "imo"),
    "current_owner": ("currentowneroperators", "currentowneroperator"),
    "previous_owner": ("previousowneroperators", "previousowneroperator"),
    "flag": ("currentbelievedflagofship", "currentflagofship", "flagofship", "flag"),
    "previous_flags": ("previousflags", "previousflag"),
    "ship_type": ("typeofship",),
    "tonnage": ("tonnageofship", "tonnage"),
    "length": ("lengthofship", "length"),
    "year_built": ("yearbuilt",),
    "hin": ("hullidentificationnumberhin", "hullidentificationnumber", "hin"),
}
_HEADER_LOOKUP = {spelling: key for key, spellings in _HEADERS.items() for spelling in spellings}
_NAME_PARTS = tuple(f"name{i}" for i in range(1, 7))

_SCHEMAS = {
    "individual": Schema.PERSON,
    "person": Schema.PERSON,
    "entity": Schema.ORGANIZATION,
    "organisation": Schema.ORGANIZATION,
    "organization": Schema.ORGANIZATION,
    "ship": Schema.VESSEL,
    "vessel": Schema.VESSEL,
}

_ENUMERATION = re.compile(r"\(\d{1,2}\)|\n")
_REPORT_DATE = re.compile(r"report\s*date\s*:?\s*(.+)", re.I)
_HYPHEN_MONTH = re.compile(r"\b(\d{1,2})-([A-Za-z]{3,9})-(\d{4})\b")


def _header_key(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


# -- entry point --------------------------------------------------------------------------


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    """Parse UK Sanctions List files (summary ODS or full CSV; several files are merged)."""
    if not files:
        raise ParseError("UK Sanctions List: no file given")
    groups: dict[str, list[_Row]] = {}
    published: dt.date | None = None
    warnings: list[str] = []
    for source in files:
        table = _read_table(source)
        stated, latest_designation = _group_rows(table, groups, warnings)
        # The summary export states no date; trust the zip entry's time only if it is
        # consistent with the content (not earlier than the latest designation).
        if (
            stated is None
            and table.timestamp is not None
            and (latest_designation is None or table.timestamp.isoformat() >= latest_designation)
        ):
            stated = table.timestamp
            warnings.append(
                f"{source.name}: publication date {stated} taken from the file's content "
                "timestamp (the summary export states none)"
            )
        if stated and (published is None or stated > published):
            published = stated
    if not groups:
        raise ParseError(f"{_names(files)}: the sheet has a header but no designations")
    builder = _EntityBuilder(dataset)
    entities = tuple(builder.build(uid, rows) for uid, rows in groups.items())
    warnings.extend(builder.warnings)
    return ParsedList(entities=entities, published=published, warnings=tuple(unique(warnings)))


def _names(files: Sequence[SourceFile]) -> str:
    return ", ".join(f.name for f in files)


# -- reading cells ------------------------------------------------------------------------


@dataclass
class _Table:
    source: str
    rows: list[tuple[int, list[str]]]  # (row number as shown in the file, cells)
    timestamp: dt.date | None = None  # ODS content.xml modification date, if any


@dataclass
class _Row:
    source: str
    number: int
    values: dict[str, str]
    extra: dict[str, str]  # columns we do not know, kept as remarks


def _read_table(source: SourceFile) -> _Table:
    data = source.data
    if not data.strip():
        raise ParseError(f"{source.name}: empty file")
    if data.startswith(b"PK\x03\x04"):
        return _read_ods(source)
    return _read_csv(source)


def _read_csv(source: SourceFile) -> _Table:
    text = decode_text(source.data, source.name)
    try:
        rows = [
            (number, row)
            for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1)
        ]
    except csv.Error as exc:
        raise ParseError(f"{source.name}: malformed CSV ({exc})") from None
    return _Table(source.name, rows)


# ODS (OpenDocument) qualified names.
_NS_TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
_NS_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_NS_OFFICE = "urn:oasis:names:tc:opendocument:xmlns:office:1.0"
_T_TABLE = f"{{{_NS_TABLE}}}table"
_T_ROW = f"{{{_NS_TABLE}}}table-row"
_T_CELL = f"{{{_NS_TABLE}}}table-cell"
_T_COVERED = f"{{{_NS_TABLE}}}covered-table-cell"
_T_NAME = f"{{{_NS_TABLE}}}name"
_T_COLS_REPEATED = f"{{{_NS_TABLE}}}number-columns-repeated"
_T_ROWS_REPEATED = f"{{{_NS_TABLE}}}number-rows-repeated"
_X_P = f"{{{_NS_TEXT}}}p"
_X_H = f"{{{_NS_TEXT}}}h"
_X_S = f"{{{_NS_TEXT}}}s"
_X_C = f"{{{_NS_TEXT}}}c"
_X_TAB = f"{{{_NS_TEXT}}}tab"
_X_BREAK = f"{{{_NS_TEXT}}}line-break"
_O_VALUE_TYPE = f"{{{_NS_OFFICE}}}value-type"
_O_VALUE = f"{{{_NS_OFFICE}}}value"
_O_DATE_VALUE = f"{{{_NS_OFFICE}}}date-value"
_O_BOOLEAN_VALUE = f"{{{_NS_OFFICE}}}boolean-value"

_ODF_SPACE = re.compile(r"[ \t\r\n]+")

# A row repeated more often than this is a spreadsheet's filler, not data.
_MAX_ROW_REPEAT = 1000


def _read_ods(source: SourceFile) -> _Table:
    name = source.name
    try:
        archive = zipfile.ZipFile(io.BytesIO(source.data))
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise ParseError(f"{name}: truncated or corrupt zip archive, not a readable ODS") from None
    with archive:
        try:
            mimetype = archive.read("mimetype").decode("ascii", "replace").strip()
        except KeyError:
            mimetype = ""
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError):
            raise ParseError(f"{name}: corrupt zip archive (mimetype unreadable)") from None
        if mimetype != ODS_MIMETYPE:
            is_xlsx = "[Content_Types].xml" in archive.namelist()
            hint = " (this looks like an Excel XLSX)" if is_xlsx else ""
            raise ParseError(
                f"{name}: zip archive is not an OpenDocument spreadsheet{hint}; "
                f"mimetype is {mimetype or 'missing'!r}"
            )
        try:
            info = archive.getinfo("content.xml")
        except KeyError:
            raise ParseError(f"{name}: ODS has no content.xml") from None
        if info.file_size > MAX_XML_BYTES:
            raise ParseError(f"{name}: content.xml declares {info.file_size} bytes; too large")
        try:
            content = archive.read(info)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
            raise ParseError(f"{name}: corrupt or truncated ODS ({exc})") from None
    root = parse_xml(content, f"{name}:content.xml")
    table = _pick_ods_table(root, name)
    rows = list(_ods_rows(table))
    timestamp = None
    if info.date_time[0] > 1980:  # 1980-01-01 is the zip "no date" value
        try:
            timestamp = dt.date(*info.date_time[:3])
        except ValueError:
            timestamp = None
    return _Table(name, rows, timestamp)


def _pick_ods_table(root: etree._Element, source: str) -> etree._Element:
    tables = list(root.iter(_T_TABLE))
    if not tables:
        raise ParseError(f"{source}: the spreadsheet has no sheets")
    for table in tables:
        for _, cells in _ods_rows(table, limit=20):
            if "uniqueid" in {_header_key(c) for c in cells}:
                return table
    names = ", ".join(repr(t.get(_T_NAME)) for t in tables)
    raise ParseError(f"{source}: no sheet with a 'Unique ID' column (sheets: {names})")


def _ods_rows(table: etree._Element, limit: int | None = None):
    number = 0
    seen = 0
    for row in table.iter(_T_ROW):
        repeat = int(row.get(_T_ROWS_REPEATED, "1") or "1")
        cells = _ods_cells(row)
        if not any(cells):
            number += repeat
            continue
        for _ in range(min(repeat, _MAX_ROW_REPEAT)):
            number += 1
            yield number, cells
        seen += 1
        if limit is not None and seen >= limit:
            return


def _ods_cells(row: etree._Element) -> list[str]:
    cells: list[str] = []
    pending_empty = 0  # empty cells are only materialised when a value follows them
    for cell in row:
        if cell.tag not in (_T_CELL, _T_COVERED):
            continue
        repeat = int(cell.get(_T_COLS_REPEATED, "1") or "1")
        value = _ods_cell_value(cell) if cell.tag == _T_CELL else ""
        if not value:
            pending_empty += repeat
            continue
        cells.extend([""] * pending_empty)
        pending_empty = 0
        cells.extend([value] * min(repeat, 1024))
    return cells


def _ods_cell_value(cell: etree._Element) -> str:
    kind = cell.get(_O_VALUE_TYPE)
    if kind == "date" and cell.get(_O_DATE_VALUE):
        return cell.get(_O_DATE_VALUE, "")[:10]
    if kind in ("float", "percentage", "currency") and cell.get(_O_VALUE):
        value = cell.get(_O_VALUE, "")
        return value[:-2] if value.endswith(".0") else value
    if kind == "boolean" and cell.get(_O_BOOLEAN_VALUE):
        return cell.get(_O_BOOLEAN_VALUE, "")
    paragraphs = [_ods_text(p) for p in cell if p.tag in (_X_P, _X_H)]
    return "\n".join(paragraphs).strip()


def _ods_text(el: etree._Element) -> str:
    # ODF collapses white space in paragraph text like HTML does; explicit spaces, tabs and
    # line breaks are elements (text:s, text:tab, text:line-break).
    parts = [_ODF_SPACE.sub(" ", el.text or "")]
    for child in el:
        if child.tag == _X_S:
            parts.append(" " * int(child.get(_X_C, "1") or "1"))
        elif child.tag == _X_TAB:
            parts.append("\t")
        elif child.tag == _X_BREAK:
            parts.append("\n")
        elif isinstance(child.tag, str):
            parts.append(_ods_text(child))
        parts.append(_ODF_SPACE.sub(" ", child.tail or ""))
    return "".join(parts)


# -- rows -> groups -----------------------------------------------------------------------


def _group_rows(
    table: _Table, groups: dict[str, list[_Row]], warnings: list[str]
) -> tuple[dt.date | None, str | None]:
    """Add the table's rows to ``groups`` (by Unique ID).

    Returns the publication date stated above the header and the latest designation date.
    """
    header_at = None
    for index, (_, cells) in enumerate(table.rows[:50]):
        if "uniqueid" in {_header_key(c) for c in cells}:
            header_at = index
            break
    if header_at is None:
        raise ParseError(
            f"{table.source}: not a UK Sanctions List file (no header row with 'Unique ID')"
        )
    stated = None
    for _, cells in table.rows[:header_at]:
        for cell in cells:
            if (m := _REPORT_DATE.search(cell)) and (found := _date(m.group(1))):
                stated = dt.date.fromisoformat(found)

    header = table.rows[header_at][1]
    columns: list[tuple[int, str | None, str]] = []
    for position, text in enumerate(header):
        label = clean(text)
        if not label:
            continue
        columns.append((position, _HEADER_LOOKUP.get(_header_key(label)), label))
    keys = {key for _, key, _ in columns if key}
    if "uid" not in keys or not ({"name"} | set(_NAME_PARTS)) & keys:
        raise ParseError(f"{table.source}: header lacks the Unique ID or name columns")
    unknown = [label for _, key, label in columns if key is None]
    if unknown:
        warnings.append(
            f"{table.source}: unrecognised columns kept as remarks: {', '.join(unknown)}"
        )

    latest_designation = None
    for number, cells in table.rows[header_at + 1 :]:
        values: dict[str, str] = {}
        extra: dict[str, str] = {}
        for position, key, label in columns:
            if position >= len(cells):
                continue
            value = cells[position].replace("\r\n", "\n").strip()
            if not value:
                continue
            if key is None:
                extra[label] = value
            elif key in values:
                values[key] += "\n" + value
            else:
                values[key] = value
        if not values and not extra:
            continue
        uid = clean(values.get("uid"))
        if not uid:
            raise ParseError(f"{table.source}: row {number} has no Unique ID")
        designated = _date(values.get("date_designated"))
        if designated and (latest_designation is None or designated > latest_designation):
            latest_designation = designated
        groups.setdefault(uid, []).append(_Row(table.source, number, values, extra))

    return stated, latest_designation


# -- groups -> entities -------------------------------------------------------------------


def _value(row: _Row, key: str) -> str | None:
    return clean(row.values.get(key))


def _date(text: str | None) -> str | None:
    text = clean(text)
    if not text:
        return None
    text = _HYPHEN_MONTH.sub(r"\1 \2 \3", text)
    return parse_single_date(text)


def _split(text: str | None) -> list[str]:
    """Values of a multi-valued UK cell: ``(1) a (2) b`` enumerations and line breaks."""
    if not text:
        return []
    return [v for v in (clean(p) for p in _ENUMERATION.split(text)) if v]


def _language_code(language: str | None) -> str | None:
    language = clean(language)
    if not language:
        return None
    try:
        found = pycountry.languages.lookup(language)
    except LookupError:
        return None
    return getattr(found, "alpha_2", None) or getattr(found, "alpha_3", None)


def _summary_name_parts(full: str) -> tuple[str | None, str | None]:
    """(given names, surname) of a summary-export person name written ``SURNAME Given``.

    Only when the name starts with upper-case words followed by mixed-case words; anything
    else (all upper, all mixed) is left unsplit rather than guessed.
    """
    tokens = full.split()
    count = 0
    for token in tokens:
        if any(ch.isalpha() for ch in token) and token == token.upper():
            count += 1
        else:
            break
    rest = tokens[count:]
    if count and rest and all(any(ch.islower() for ch in t) for t in rest):
        return " ".join(rest), " ".join(tokens[:count])
    return None, None


class _EntityBuilder:
    def __init__(self, dataset: str) -> None:
        self.dataset = dataset
        self.warnings: list[str] = []

    def build(self, uid: str, rows: list[_Row]) -> Entity:
        first = rows[0]

        def values(key: str) -> list[str]:
            return list(unique(clean(r.values.get(key)) for r in rows))

        def split_values(key: str) -> list[str]:
            return list(unique(v for r in rows for v in _split(r.values.get(key))))

        type_text = next(iter(values("entity_type")), "")
        schema = _SCHEMAS.get(type_text.lower())
        if schema is None:
            schema = Schema.LEGAL_ENTITY
            self.warnings.append(
                f"{first.source}: row {first.number} ({uid}): entity type {type_text!r} "
                "not recognised; stored as LegalEntity"
            )
        names = self._names(uid, rows, schema)

        birth_dates: list[DateValue] = []
        for text in split_values("dob"):
            value = parse_date(_HYPHEN_MONTH.sub(r"\1 \2 \3", text))
            if value and value not in birth_dates:
                birth_dates.append(value)

        nationalities = unique(self._country(v) for v in split_values("nationality"))
        # Town and country of birth are paired within a row, not across rows.
        birth_places = unique(
            ", ".join(p for p in (_value(r, "town_of_birth"), _value(r, "country_of_birth")) if p)
            for r in rows
        )
        gender = next(
            (g.lower() for g in values("gender") if g.lower() in ("male", "female")), None
        )

        addresses = _unique_addresses(self._address(r) for r in rows)
        identifiers = self._identifiers(rows)
        positions = split_values("position")

        remarks: list[str] = []
        for source_value in values("designation_source"):
            remarks.append(f"Designation source: {source_value}")
        for imposed in values("sanctions_imposed"):
            remarks.append(f"Sanctions imposed: {imposed}")
        remarks.extend(values("other_information"))
        remarks.extend(f"UK statement of reasons: {v}" for v in values("statement_of_reasons"))
        for row in rows:
            remarks.extend(f"{label}: {value}" for label, value in row.extra.items())

        relations: list[Relation] = []
        for parent in split_values("parent_company"):
            relations.append(Relation(RelationKind.OWNED_BY, parent, note="parent company"))
        for subsidiary in split_values("subsidiaries"):
            relations.append(Relation(RelationKind.LINKED_TO, subsidiary, note="subsidiary"))
        for owner in split_values("current_owner"):
            relations.append(Relation(RelationKind.OWNED_BY, owner, note="current owner/operator"))
        for owner in split_values("previous_owner"):
            relations.append(
                Relation(RelationKind.LINKED_TO, owner, note="previous owner/operator")
            )

        updated = unique(_date(v) for v in values("last_updated"))
        properties = make_properties(
            {
                "ofsiGroupId": values("ofsi_group_id"),
                "unscId": split_values("un_ref"),
                "phone": split_values("phone"),
                "website": split_values("website"),
                "email": split_values("email"),
                "legalForm": split_values("type_of_entity"),
                "imoNumber": split_values("imo"),
                "flag": [self._country(v) for v in split_values("flag")],
                "pastFlags": [self._country(v) for v in split_values("previous_flags")],
                "type": split_values("ship_type"),
                "tonnage": split_values("tonnage"),
                "length": split_values("length"),
                "buildDate": split_values("year_built"),
                "modifiedAt": [max(updated)] if updated else [],
            }
        )

        return Entity(
            id=f"{self.dataset}:{uid}",
            dataset=self.dataset,
            schema=schema,
            names=names,
            birth_dates=tuple(birth_dates),
            birth_places=birth_places,
            nationalities=nationalities,
            gender=gender,
            addresses=addresses,
            identifiers=identifiers,
            positions=tuple(positions),
            remarks=unique(remarks),
            designations=self._designations(uid, rows),
            relations=tuple(dict.fromkeys(relations)),
            properties=properties,
        )

    def _country(self, text: str) -> str:
        return country_code(text) or text

    def _names(self, uid: str, rows: list[_Row], schema: Schema) -> tuple[Name, ...]:
        found: dict[str, Name] = {}
        order = {
            NameKind.PRIMARY: 0,
            NameKind.AKA: 1,
            NameKind.FORMER: 2,
            NameKind.WEAK: 3,
            NameKind.NATIVE: 4,
        }
        for row in rows:
            v = row.values
            kind = self._name_kind(v.get("name_type"), v.get("alias_strength"))
            title = clean(v.get("title"))
            full = clean(v.get("name"))
            first = middle = last = None
            if full is None:
                parts = [clean(v.get(k)) for k in _NAME_PARTS]
                full = clean(" ".join(p for p in parts if p))
                if full and schema is Schema.PERSON:
                    first = parts[0]
                    middle = clean(" ".join(p for p in parts[1:5] if p))
                    last = parts[5]
            elif schema is Schema.PERSON:
                first, last = _summary_name_parts(full)
            if full:
                name = Name(
                    full,
                    kind,
                    first_name=first,
                    middle_name=middle,
                    last_name=last,
                    title=title if schema is Schema.PERSON else None,
                )
                known = found.get(full)
                if known is None or order[kind] < order[known.kind]:
                    found[full] = name
            native = clean(v.get("non_latin"))
            if native and native not in found:
                lang = _language_code(v.get("non_latin_language"))
                found[native] = Name(native, NameKind.NATIVE, lang=lang)
        if not found:
            # The summary export has designations whose name cell is blank; the designation
            # is still real, so it is kept (and reported) rather than dropped.
            self.warnings.append(f"{rows[0].source}: row {rows[0].number} ({uid}) has no name")
        return tuple(sorted(found.values(), key=lambda n: order[n.kind]))

    @staticmethod
    def _name_kind(name_type: str | None, strength: str | None) -> NameKind:
        name_type = (clean(name_type) or "").lower()
        strength = (clean(strength) or "").lower()
        if not name_type or name_type in ("primary name", "primary", "prime alias"):
            return NameKind.PRIMARY
        if "former" in name_type or "fka" in name_type:
            return NameKind.FORMER
        if "low" in strength or "weak" in strength:
            return NameKind.WEAK
        return NameKind.AKA  # "Alias", "Primary name variation", "AKA"

    def _address(self, row: _Row) -> Address | None:
        v = row.values
        lines = [clean(v.get(f"address{i}")) for i in range(1, 7)]
        street = ", ".join(line for line in lines if line) or None
        postal = clean(v.get("postal_code"))
        country_text = clean(v.get("address_country"))
        if not (street or postal or country_text):
            return None
        full = ", ".join(p for p in (street, postal, country_text) if p)
        return Address(
            full=full,
            street=street,
            postal_code=postal,
            country=country_code(country_text),
            country_name=country_text,
        )

    def _identifiers(self, rows: list[_Row]) -> tuple[Identifier, ...]:
        found: list[Identifier] = []
        for row in rows:
            v = row.values
            found.extend(_paired_ids("passport", v.get("passport"), v.get("passport_info")))
            found.extend(
                _paired_ids("national_id", v.get("national_id"), v.get("national_id_info"))
            )
            for number in _split(v.get("business_registration")):
                found.append(Identifier("registration", number, label="Business registration"))
            for number in _split(v.get("imo")):
                found.append(Identifier("imo", number, label="IMO number"))
            for number in _split(v.get("hin")):
                found.append(Identifier("other", number, label="Hull identification number"))
        return tuple(dict.fromkeys(found))

    def _designations(self, uid: str, rows: list[_Row]) -> tuple[Designation, ...]:
        out: list[Designation] = []
        regimes = unique(clean(r.values.get("regime")) for r in rows)
        dates = sorted(unique(_date(r.values.get("date_designated")) for r in rows))
        listed_on = dates[0] if dates else None
        for regime in regimes:
            info = program_info(CATALOGUE, regime)
            if info is None:
                self.warnings.append(
                    f"{rows[0].source}: regime {regime!r} is not in the {CATALOGUE} program "
                    "catalogue; designation kept without legal basis"
                )
                out.append(
                    Designation(
                        authority=FALLBACK_AUTHORITY,
                        program=regime,
                        listed_on=listed_on,
                        source_ref=uid,
                        topics=("sanction",),
                    )
                )
                continue
            out.append(
                Designation(
                    authority=info.authority,
                    program=regime,
                    program_title=info.title,
                    legal_basis=info.legal_basis,
                    listed_on=listed_on,
                    source_ref=uid,
                    topics=info.topics,
                    kind=info.kind,
                )
            )
        return tuple(out)


def _unique_addresses(addresses: Iterable[Address | None]) -> tuple[Address, ...]:
    return tuple(dict.fromkeys(a for a in addresses if a is not None))


def _paired_ids(kind: str, numbers: str | None, details: str | None) -> list[Identifier]:
    """Identifiers from a number cell and its details cell, paired by enumeration index."""
    values = _split(numbers)
    notes = _split(details)
    if len(notes) != len(values):
        joined = clean(details)
        notes = [joined] * len(values)
    label = "Passport" if kind == "passport" else "National identifier"
    return [
        Identifier(kind, value, label=label, note=note)
        for value, note in zip(values, notes, strict=True)
    ]
