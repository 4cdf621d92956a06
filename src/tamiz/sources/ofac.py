"""OFAC legacy CSV sets: the SDN list and the Consolidated (non-SDN) list.

Both lists ship as four header-less CSV files (CRLF or LF, ``-0-`` for empty, a DOS 0x1A end
byte, fields quoted with ``"``)::

    sdn.csv / cons_prim.csv          ent_num, SDN_Name, SDN_Type, Program, Title, Call_Sign,
                                     Vess_type, Tonnage, GRT, Vess_flag, Vess_owner, Remarks
    add.csv / cons_add.csv           ent_num, Add_num, Address, City/State/Province/Postal Code,
                                     Country, Add_remarks
    alt.csv / cons_alt.csv           ent_num, alt_num, alt_type (aka/fka/nka), alt_name,
                                     alt_remarks
    sdn_comments.csv / cons_comments ent_num, Remarks_Extended

OFAC cuts Remarks after about a thousand characters and publishes the rest in the comments
file; the two are joined back without a separator. Most of what a screener needs (birth
dates, identity documents, weak aliases, vessel and aircraft details, "Linked To" relations)
lives in the ``;``-separated Remarks, so they are parsed segment by segment here; segments
not understood stay in ``Entity.remarks`` and the full text is kept as the ``notes`` property.

Any subset of the four files may be given. With the main file, it defines the entity set;
without it (OFAC's partial snapshots), entities are built from the other files alone.
"""

from __future__ import annotations

import csv
import dataclasses
import enum
import functools
import io
import re
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

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
from tamiz.sources.common import clean, decode_text, identifier_type, parse_date, unique

CATALOGUE = "us_ofac"
OFAC = "US Department of the Treasury, OFAC"


class Role(enum.Enum):
    """What one file of the set holds, with its column count."""

    MAIN = 12
    ADDRESSES = 6
    ALIASES = 5
    COMMENTS = 2


_ROLE_TOKENS: tuple[tuple[Role, frozenset[str]], ...] = (
    (Role.COMMENTS, frozenset({"comments", "comment"})),
    (Role.ALIASES, frozenset({"alt", "alias", "aliases"})),
    (Role.ADDRESSES, frozenset({"add", "address", "addresses"})),
    (Role.MAIN, frozenset({"sdn", "prim", "primary"})),
)
_BY_WIDTH = {role.value: role for role in Role}


def file_role(name: str) -> Role | None:
    """The role a file name announces (``cons_alt.csv`` -> aliases), or None."""
    base = re.split(r"[\\/]", name)[-1].lower()
    base = base.rsplit(".", 1)[0] if "." in base else base
    tokens = set(re.split(r"[^a-z0-9]+", base))
    for role, words in _ROLE_TOKENS:
        if tokens & words:
            return role
    return None


# -- reading the CSV files ------------------------------------------------------------------


@dataclass
class _Table:
    name: str
    role: Role
    rows: list[list[str]]


def _read_table(source: SourceFile) -> _Table:
    text = decode_text(source.data, source.name)
    if not text.strip():
        raise ParseError(f"{source.name}: file is empty")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows: list[list[str]] = []
    lines: list[int] = []  # where each row ends, for error messages
    try:
        for row in reader:
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            rows.append(row)
            lines.append(reader.line_num)
    except csv.Error as exc:
        raise ParseError(
            f"{source.name} line {reader.line_num}: malformed CSV ({exc}); "
            "the file may be truncated or not an OFAC CSV file"
        ) from None
    if not rows:
        raise ParseError(f"{source.name}: no rows")
    role = file_role(source.name)
    if role is None:
        role = _BY_WIDTH.get(len(rows[0]))
        if role is None:
            raise ParseError(
                f"{source.name}: cannot tell which OFAC file this is: its name says nothing "
                f"and its first row has {len(rows[0])} columns (expected 12, 6, 5 or 2)"
            )
    for row, line in zip(rows, lines, strict=True):
        if len(row) != role.value:
            raise ParseError(
                f"{source.name} line {line}: expected {role.value} columns for the "
                f"{role.name.lower()} file, found {len(row)}"
            )
        if not (row[0].strip().isascii() and row[0].strip().isdigit()):
            raise ParseError(
                f"{source.name} line {line}: entry number {row[0][:20]!r} is not a number"
            )
    return _Table(source.name, role, rows)


# -- remarks --------------------------------------------------------------------------------

_SEGMENT_SPLIT = re.compile(r";\s+")
_ALT_PREFIX = re.compile(r"^alt\.\s*", re.I)

# Identifier labels OFAC uses in Remarks, followed by the value. Longer labels first so
# "Passport Booklet" wins over "Passport". The controlled type is derived from the label
# (tamiz.sources.common.identifier_type) unless _ID_TYPE_OVERRIDES says otherwise.
_ID_LABELS = (
    "Passport", "Passport No.", "Passport Booklet", "Diplomatic Passport",
    "British National Overseas Passport", "Stateless Person Passport",
    "National ID No.", "National Foreign ID Number", "Personal ID Card", "Kenyan ID No.",
    "Tazkira National ID Card", "Bosnian Personal ID No.", "Moroccan Personal ID No.",
    "Citizen's Card Number", "Turkish Identification Number", "Numero de Identidad", "D.N.I.",
    "N.I.E.", "C.U.I.", "CNP (Personal Numerical Code)", "UAE Identification",
    "Identification Number", "Stateless Person ID Card", "Refugee ID Card",
    "Seafarer's Identification Document", "Travel Document Number",
    "Cedula No.", "RIF #", "NIT #", "RUC #", "Tax ID No.", "R.F.C.", "R.F.C. #", "RFC",
    "C.U.R.P.", "C.U.R.P. #", "C.U.I.T.", "C.U.I.P.", "C.I.F.", "N.I.F.", "V.A.T. Number",
    "US FEIN", "Italian Fiscal Code", "Fiscal Code", "Romanian Tax Registration", "RTN", "RSIN",
    "Numero Unico de Identificacao Tributaria (NUIT)", "Paraguayan tax identification number",
    "SSN", "I.F.E.", "Credencial electoral", "Electoral Registry No.",
    "Cartilla de Servicio Militar Nacional", "Military Registration Number",
    "Driver's License No.", "Birth Certificate Number", "Residency Number",
    "Romanian Permanent Resident CAN", "Permit Number", "SRE Permit No.", "VisaNumberID",
    "Immigration No.", "Public Security and Immigration No.", "Pilot License Number",
    "Tarjeta Profesional",
    "Registration Number", "Registration ID", "Business Registration Number",
    "Business Registration Document #", "Business Number", "Public Registration Number",
    "Central Registration System Number", "Commercial Registry Number", "Company Number",
    "UK Company Number", "Company ID: No.", "Certificate of Incorporation Number",
    "Chamber of Commerce Number", "Dubai Chamber of Commerce Membership No.",
    "Istanbul Chamber of Comm. No.", "Enterprise Number", "Branch Unit Number",
    "Government Gazette Number", "Folio Mercantil No.", "Matricula Mercantil No",
    "C.R. No.", "Romanian C.R.", "Trade License No.", "Tourism License No.", "License",
    "Registered Charity No.", "Economic Register Number (CBLS)",
    "Unified Social Credit Code (USCC)", "United Social Credit Code Certificate (USCCC)",
    "Organization Code", "Registration Certificate Number (Dubai)", "MSB Registration Number",
    "C.I.N.", "Afghan Money Service Provider License Number", "Trademark number", "File Number",
    "Legal Entity Number", "D-U-N-S Number", "SWIFT/BIC", "BIK (RU)", "ISIN", "Equity Ticker",
    "Vessel Registration Identification", "Identification Number IMO", "Company Number IMO",
    "International Maritime Organization No.", "MMSI", "UN/LOCODE",
    "Aircraft Manufacturer's Serial Number (MSN)", "Aircraft Serial Identification",
    "Aircraft Construction Number (also called L/N or S/N or F/N)", "Aircraft Tail Number",
    "Previous Aircraft Tail Number", "Aircraft Mode S Transponder Code",
)  # fmt: skip
_ID_LABEL_RE = re.compile(
    r"^(?P<label>Digital Currency Address - (?P<currency>[A-Za-z0-9]+)|"
    + "|".join(re.escape(label) for label in sorted(_ID_LABELS, key=len, reverse=True))
    + r")(?:\s*:\s*|\s+)(?P<rest>.+)$"
)
# Any other "<Words> No./Number/ID/Code/Card <value with a digit>" is an identifier too.
_GENERIC_ID_RE = re.compile(
    r"^(?!Fax|FAX|Phone|PHONE|Tel)"
    r"(?P<label>[A-Z][\w'./()-]*(?:\s+[\w'./()-]+){0,5}?\s+(?:No\.?|Number|#|ID|Code|Card))"
    r"(?:\s*:\s*|\s+)(?P<rest>\S*\d.*)$"
)
_ID_TYPE_OVERRIDES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), t)
    for p, t in (
        (r"^Digital Currency", "crypto_wallet"),
        (r"Aircraft", "aircraft_id"),
        (r"International Maritime Organization", "imo"),
        (r"Pilot License|Electoral", "other"),
        (r"^Vessel Registration Identification$", "registration"),
        (r"Money Service Provider", "registration"),
        (r"Government Gazette|Folio Mercantil|Matricula Mercantil|^C\.R\. No|Romanian C\.R\."
         r"|Trade License|Tourism License|Economic Register|Certificate of Incorporation"
         r"|Branch Unit|Registered Charity|Istanbul Chamber|Social Credit Code|Organization Code"
         r"|^C\.I\.N\.|Company ID", "registration"),
        (r"US FEIN|Fiscal Code|^RTN$|^RSIN$|NUIT|^C\.I\.F\.$", "tax_id"),
        (r"Citizen's Card|Kenyan ID|Numero de Identidad|^C\.U\.I\.$|^N\.I\.E\.$|^CNP\b"
         r"|UAE Identification|Personal ID", "national_id"),
        (r"Cartilla de Servicio Militar|Military Registration", "military_id"),
        (r"^Serial No", "other"),
    )
)  # fmt: skip

_TRAILING_TERMS = re.compile(r"\s+(?=(?:issued|expires|expired)\b)", re.I)
_IMO_VALUE = re.compile(r"^(?:IMO\s*)?(\d{7})$")
_EMAIL = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")
_PHONE = re.compile(r"^[+(]?\s*\d[\d\s()+./-]*\d\)?$")
_WEAK_ALIAS = re.compile(r"^(?:a\.k\.a\.|f\.k\.a\.|d\.b\.a\.|n\.k\.a\.)\s*'(?P<v>.+)'$", re.I)

# Statements in Remarks that expose a party to secondary sanctions, and the catalogue code
# each becomes a designation under (see data/programs/us_ofac.csv).
_REMARK_PROGRAMS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), code)
    for p, code in (
        (r"^Additional Sanctions Information - Subject to Secondary Sanctions Pursuant to the "
         r"Hizballah Financial Sanctions Regulations", "SECONDARY-HFSR"),
        (r"^Additional Sanctions Information - Subject to Secondary Sanctions$", "SECONDARY-IFSR"),
        (r"^Secondary sanctions risk: North Korea Sanctions Regulations", "SECONDARY-NKSR"),
        (r"^Transactions Prohibited For Persons Owned or Controlled By U\.S\. Financial "
         r"Institutions: North Korea Sanctions Regulations", "SECONDARY-NKSR"),
        (r"^Secondary sanctions risk: section 1\(b\) of Executive Order 13224",
         "SECONDARY-EO13224"),
        (r"^Secondary sanctions risk: Ukraine-/Russia-Related Sanctions Regulations",
         "SECONDARY-UKRAINE-RUSSIA"),
        (r"^Secondary sanctions risk: .*\bsection 11 of Executive Order 14024",
         "SECONDARY-EO14024"),
        (r"^Secondary sanctions risk: pursuant to the Hong Kong Autonomy Act", "SECONDARY-HKAA"),
    )
)  # fmt: skip

# "Target Type" values that describe a commercial company vs. another kind of organization.
_COMPANY_TARGET_TYPES = ("company", "enterprise", "financial institution")
_GROUP_WORDS = re.compile(
    r"terror|armed|militia|criminal|group|political|religious|charit|non-?profit|government",
    re.I,
)
# Words in an untyped entry's name that make it a company (dots removed: S.A. -> SA).
_LEGAL_FORMS = frozenset({
    "LTD", "LIMITED", "LLC", "INC", "CORP", "CORPORATION", "CO", "COMPANY", "SA", "SAS", "SRL",
    "SARL", "GMBH", "AG", "JSC", "OJSC", "PJSC", "CJSC", "OAO", "ZAO", "OOO", "PAO", "AO", "LLP",
    "PLC", "BV", "NV", "FZE", "FZCO", "FZC", "PTE", "PVT", "BHD", "SPA", "KG", "CV", "LTDA",
    "BANK", "BANCO", "BANQUE", "TRADING", "HOLDING", "HOLDINGS", "INDUSTRIES", "SHIPPING",
    "AIRLINES", "AIRWAYS",
})  # fmt: skip
_COMPANY_ID_TYPES = frozenset({"registration", "tax_id", "lei", "duns", "swift_bic"})


@functools.lru_cache(maxsize=8192)
def _country(text: str | None) -> str | None:
    if not text:
        return None
    text = text.strip().rstrip(".")
    code = country_code(text)
    if code is None and text.lower().startswith("region:"):
        code = country_code(text.split(":", 1)[1])
    return code


_UNUSUAL_SPACE = re.compile(r"\s\s|[\t\r\n]")


def _cell(value: str) -> str | None:
    """``clean`` for a CSV cell, with a fast path for the common plain-ASCII cell."""
    stripped = value.strip()
    if not stripped or stripped == "-0-":
        return None
    if stripped.isascii() and not _UNUSUAL_SPACE.search(stripped):
        return stripped
    return clean(stripped)


@functools.lru_cache(maxsize=1024)
def _id_type(label: str) -> str:
    for pattern, kind in _ID_TYPE_OVERRIDES:
        if pattern.search(label):
            return kind
    return identifier_type(label.replace(".", ""))


def _name_key(name: str) -> str:
    return " ".join(name.casefold().split()).rstrip(".").rstrip()


def _split_person(full: str) -> tuple[str | None, str | None]:
    """OFAC writes individuals as ``SURNAME, Given names``: (first, last)."""
    if "," not in full:
        return None, None
    last, first = (part.strip() for part in full.split(",", 1))
    return (first or None), (last or None)


@dataclass
class _Entry:
    """Everything collected about one ent_num before the Entity is frozen."""

    ent_num: str
    schema: Schema = Schema.THING
    names: list[Name] = field(default_factory=list)
    birth_dates: list[DateValue] = field(default_factory=list)
    birth_places: list[str] = field(default_factory=list)
    nationalities: list[str] = field(default_factory=list)
    citizenships: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    gender: str | None = None
    addresses: list[Address] = field(default_factory=list)
    identifiers: list[Identifier] = field(default_factory=list)
    positions: list[str] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    programs: list[str] = field(default_factory=list)
    program_dates: dict[str, dict[str, str]] = field(default_factory=dict)
    linked_to: list[str] = field(default_factory=list)
    props: dict[str, list[str]] = field(default_factory=dict)
    target_type: str | None = None
    organization_type: str | None = None

    def prop(self, key: str, value: str | None) -> None:
        if value:
            self.props.setdefault(key, []).append(value)

    def add_name(self, full: str | None, kind: NameKind, note: str | None = None) -> None:
        full = _cell(full) if full else None
        if not full:
            return
        first = last = None
        if self.schema is Schema.PERSON:
            first, last = _split_person(full)
        self.names.append(Name(full, kind, first_name=first, last_name=last, note=note))


# Segment handlers: each gets the entry and the segment's value and returns True when it has
# structured the segment (False leaves it in remarks).
_Handler = Callable[[_Entry, str], bool]


def _dob(entry: _Entry, value: str) -> bool:
    date = parse_date(value)
    if date is None:
        return False
    entry.birth_dates.append(date)
    return True


def _pob(entry: _Entry, value: str) -> bool:
    entry.birth_places.append(value)
    entry.prop("birthCountry", _country(value.rsplit(",", 1)[-1]))
    return True


def _country_list(attr: str) -> _Handler:
    def handle(entry: _Entry, value: str) -> bool:
        code = _country(value)
        if code is None and (len(value) > 40 or ";" in value):
            return False
        getattr(entry, attr).append(code or value)
        return True

    return handle


def _gender(entry: _Entry, value: str) -> bool:
    gender = value.strip().lower()
    if gender not in ("male", "female"):
        return False
    entry.gender = gender
    return True


def _linked(entry: _Entry, value: str) -> bool:
    entry.linked_to.append(value)
    return True


def _weak_alias(entry: _Entry, value: str) -> bool:
    entry.add_name(value, NameKind.WEAK)
    return True


def _prop(key: str, pattern: re.Pattern[str] | None = None) -> _Handler:
    def handle(entry: _Entry, value: str) -> bool:
        if pattern is not None and not pattern.match(value):
            return False
        entry.prop(key, value)
        return True

    return handle


def _date_prop(key: str) -> _Handler:
    def handle(entry: _Entry, value: str) -> bool:
        date = parse_date(value)
        entry.prop(key, (date.value if date else None) or value)
        return True

    return handle


def _flag(key: str) -> _Handler:
    def handle(entry: _Entry, value: str) -> bool:
        entry.prop(key, _country(value) or value)
        return True

    return handle


def _registration_country(entry: _Entry, value: str) -> bool:
    code = _country(value)
    if entry.schema is Schema.VESSEL:
        entry.prop("flag", code or value)
    elif code:
        entry.countries.append(code)
    else:
        return False
    return True


def _organization_type(entry: _Entry, value: str) -> bool:
    entry.organization_type = value
    entry.prop("sector", value)
    return True


def _target_type(entry: _Entry, value: str) -> bool:
    entry.target_type = value
    entry.prop("classification", value)
    return True


def _position(entry: _Entry, value: str) -> bool:
    entry.positions.append(value)
    return True


def _program_date(program: str, which: str) -> _Handler:
    def handle(entry: _Entry, value: str) -> bool:
        date = parse_date(value)
        if program not in entry.programs or date is None or date.value is None:
            return False
        entry.program_dates.setdefault(program, {})[which] = date.value
        return True

    return handle


# Labelled segments: label pattern (case-sensitive unless it says (?i:...)) -> handler of the
# text after the label. All labels are tried in one regex; the named group says which matched.
_LABELS: tuple[tuple[str, _Handler], ...] = (
    (r"DOB:?\s+", _dob),
    (r"POB:?\s+", _pob),
    (r"Nationality of Registration:?\s+", _registration_country),
    (r"(?i:nationality):?\s+", _country_list("nationalities")),
    (r"(?i:citizen(?:ship)?):?\s+", _country_list("citizenships")),
    (r"(?i:Gender):?\s+", _gender),
    (r"Linked To:\s*", _linked),
    (r"(?i:Website|Web site):?\s*", _prop("website", re.compile(r"^\S+$"))),
    (r"(?i:Email Address|E-?mail):?\s*", _prop("email", _EMAIL)),
    (r"(?i:Phone Number|Phone No\.|Phone|Telephone Number|Telephone No\.|Telephone):?\s*",
     _prop("phone", _PHONE)),
    (r"Organization Established Date:?\s+", _date_prop("incorporationDate")),
    (r"Organization Type:?\s+", _organization_type),
    (r"Target Type:?\s+", _target_type),
    (r"Vessel Year of Build:?\s+", _date_prop("buildDate")),
    (r"Aircraft Manufacture Date:?\s+", _date_prop("buildDate")),
    (r"Aircraft Model:?\s+", _prop("model")),
    (r"Aircraft Operator:?\s+", _prop("operator")),
    (r"(?:Other|Former) Vessel Flag:?\s+", _flag("pastFlags")),
    (r"Other Vessel Call Sign:?\s+", _prop("callSign")),
    (r"Other Vessel Type:?\s+", _prop("pastTypes")),
    (r"(?:Title|Position):?\s+", _position),
    (r"Listing Date \(CMIC\):?\s+", _program_date("CMIC-EO13959", "listed_on")),
    (r"Effective Date \(CMIC\):?\s+", _program_date("CMIC-EO13959", "effective_from")),
)  # fmt: skip
_LABEL_RE = re.compile("|".join(f"(?P<l{i}>{label})" for i, (label, _) in enumerate(_LABELS)))
_LABEL_HANDLERS = {f"l{i}": handler for i, (_, handler) in enumerate(_LABELS)}
# OFAC's older style: the value first, its kind in brackets after it.
_SUFFIXED = re.compile(r"^(?P<v>\S+)\s+\((?P<kind>email|website)\)$", re.I)
_SUFFIX_HANDLERS = {"email": _prop("email", _EMAIL), "website": _prop("website")}
_PROGRAM_REMARK_STARTS = ("Additional Sanctions", "Secondary sanctions", "Transactions Prohibited")


def _identifier(entry: _Entry, segment: str) -> bool:
    match = _ID_LABEL_RE.match(segment) or _GENERIC_ID_RE.match(segment)
    if match is None:
        return False
    label = match.group("label")
    rest = match.group("rest").strip()
    value_part, tail = rest, None
    if split := _TRAILING_TERMS.search(rest):
        value_part, tail = rest[: split.start()], rest[split.end() :]
    qualifiers: list[str] = []
    while value_part.endswith(")"):
        start = value_part.rfind("(")
        if start <= 0:
            break
        qualifiers.insert(0, value_part[start + 1 : -1].strip())
        value_part = value_part[:start].rstrip()
    country = None
    notes: list[str] = []
    for qualifier in reversed(qualifiers):
        code = None if country else _country(qualifier)
        if code:
            country = code
        else:
            notes.insert(0, qualifier)
    value = value_part.strip(" ,:;#")
    if not value and notes and any(ch.isdigit() for ch in notes[-1]):
        value = notes.pop()
    if not any(ch.isalnum() for ch in value):
        return False
    kind = _id_type(label)
    imo = _IMO_VALUE.match(value)
    if imo and (kind == "imo" or value.upper().startswith("IMO")):
        kind, value = "imo", imo.group(1)
    note = "; ".join([*notes, tail] if tail else notes) or None
    if match.groupdict().get("currency"):
        note = match.group("currency")
    entry.identifiers.append(Identifier(kind, value, country, label, note))
    if kind == "imo" and entry.schema is Schema.VESSEL:
        entry.prop("imoNumber", value)
    elif kind == "mmsi":
        entry.prop("mmsi", value)
    elif label.startswith("Aircraft") and ("Serial" in label or "Construction" in label):
        entry.prop("serialNumber", value)
    elif label == "Aircraft Tail Number":
        entry.prop("registrationNumber", value)
    return True


def _parse_remarks(entry: _Entry, text: str, first_is_fragment: bool, last_is_fragment: bool):
    segments = [s.strip() for s in _SEGMENT_SPLIT.split(text)]
    segments = [s for s in segments if s]
    positions = {p.casefold() for p in entry.positions}
    for index, raw in enumerate(segments):
        fragment = (index == 0 and first_is_fragment) or (
            index == len(segments) - 1 and last_is_fragment
        )
        if fragment:
            entry.remarks.append(raw)
            continue
        segment = _ALT_PREFIX.sub("", raw)
        # Remarks end with a full stop, and OFAC puts stray ones after some segments; inside
        # the text a Linked To target keeps its own ("... COMPANY LTD.; Linked To: ...").
        last = index == len(segments) - 1
        if segment.endswith(".") and (last or not segment.startswith("Linked To:")):
            segment = segment[:-1].rstrip()
        if _structure(entry, segment, positions):
            continue
        entry.remarks.append(raw)


def _structure(entry: _Entry, segment: str, positions: set[str]) -> bool:
    if segment.casefold() in positions:
        return True
    if segment.startswith(("a.k.a.", "f.k.a.", "d.b.a.", "n.k.a.")):
        match = _WEAK_ALIAS.match(segment)
        return match is not None and _weak_alias(entry, match.group("v"))
    if segment.startswith(_PROGRAM_REMARK_STARTS):
        for pattern, code in _REMARK_PROGRAMS:
            if pattern.match(segment):
                entry.programs.append(code)
                return True
    if match := _LABEL_RE.match(segment):
        value = segment[match.end() :].strip()
        handler = _LABEL_HANDLERS[str(match.lastgroup)]
        if value and handler(entry, value):
            return True
    elif match := _SUFFIXED.match(segment):
        handler = _SUFFIX_HANDLERS[match.group("kind").lower()]
        if handler(entry, match.group("v")):
            return True
    return _identifier(entry, segment)


# -- building entities ----------------------------------------------------------------------


@functools.lru_cache(maxsize=1024)
def _programs(column: str | None) -> tuple[str, ...]:
    """``"FTO] [SDGT"`` -> ``("FTO", "SDGT")``."""
    if not column:
        return ()
    return unique(clean(p.strip("[] ")) for p in re.split(r"\]\s*\[", column))


def _main_schema(sdn_type: str | None, vessel_columns: bool) -> Schema:
    kind = (sdn_type or "").lower()
    if kind == "individual":
        return Schema.PERSON
    if kind == "vessel" or vessel_columns:
        return Schema.VESSEL
    if kind == "aircraft":
        return Schema.AIRPLANE
    return Schema.ORGANIZATION


def _refine_organization(entry: _Entry) -> Schema:
    """Organization or Company, from what the remarks and the name say."""
    if entry.target_type:
        lowered = entry.target_type.lower()
        if any(word in lowered for word in _COMPANY_TARGET_TYPES):
            return Schema.COMPANY
        return Schema.ORGANIZATION
    if entry.organization_type:
        if _GROUP_WORDS.search(entry.organization_type):
            return Schema.ORGANIZATION
        return Schema.COMPANY
    primary = entry.names[0].full if entry.names else ""
    tokens = set(re.split(r"[^A-Z0-9]+", primary.upper().replace(".", "")))
    if tokens & _LEGAL_FORMS:
        return Schema.COMPANY
    if any(i.type in _COMPANY_ID_TYPES for i in entry.identifiers):
        return Schema.COMPANY
    return Schema.ORGANIZATION


def _address(row: list[str]) -> Address | None:
    street, city, country, note = (_cell(v) for v in row[2:6])
    if not (street or city or country):
        return None
    full = ", ".join(v for v in (street, city, country) if v)
    return Address(
        full=full,
        street=street,
        city=city,
        country=_country(country),
        country_name=country,
        note=note,
    )


_ALIAS_KINDS = {"aka": NameKind.AKA, "nka": NameKind.AKA, "fka": NameKind.FORMER}
_KIND_RANK = {NameKind.PRIMARY: 0, NameKind.AKA: 1, NameKind.FORMER: 2, NameKind.WEAK: 3}


def _dedupe_names(names: list[Name]) -> tuple[Name, ...]:
    best: dict[str, Name] = {}
    for name in names:
        key = " ".join(name.full.casefold().split())
        kept = best.get(key)
        if kept is None or _KIND_RANK.get(name.kind, 9) < _KIND_RANK.get(kept.kind, 9):
            best[key] = name
    order = {id(n): i for i, n in enumerate(names)}
    return tuple(sorted(best.values(), key=lambda n: (_KIND_RANK.get(n.kind, 9), order[id(n)])))


@functools.lru_cache(maxsize=512)
def _designation(code: str) -> Designation | None:
    """The catalogue's designation for a program tag (no dates); None for unknown tags."""
    info = program_info(CATALOGUE, code)
    if info is None:
        return None
    return Designation(
        authority=info.authority,
        program=code,
        program_title=info.title,
        legal_basis=info.legal_basis,
        topics=info.topics,
        kind=info.kind,
    )


def _designations(entry: _Entry, unknown: Counter[str]) -> tuple[Designation, ...]:
    out = []
    for code in dict.fromkeys(entry.programs):
        designation = _designation(code)
        if designation is None:
            unknown[code] += 1
            designation = Designation(OFAC, code, program_title=code, topics=("sanction",))
        if dates := entry.program_dates.get(code):
            designation = dataclasses.replace(
                designation,
                listed_on=dates.get("listed_on"),
                effective_from=dates.get("effective_from"),
            )
        out.append(designation)
    return tuple(out)


def _group(tables: list[_Table], role: Role) -> dict[str, list[list[str]]]:
    grouped: dict[str, list[list[str]]] = {}
    for table in tables:
        if table.role is role:
            for row in table.rows:
                grouped.setdefault(str(int(row[0])), []).append(row)
    return grouped


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    """Parse any subset of an OFAC legacy CSV set into entities ``DATASET:ent_num``."""
    if not files:
        raise ParseError("OFAC CSV set: no files given")
    tables = [_read_table(f) for f in files]
    warnings: list[str] = []
    has_main = any(t.role is Role.MAIN for t in tables)
    rows = {role: _group(tables, role) for role in Role}
    comments = {ent: "".join(r[1] for r in rs) for ent, rs in rows[Role.COMMENTS].items()}

    entries: dict[str, _Entry] = {}
    if has_main:
        duplicates = truncated = 0
        for ent_num, main_rows in rows[Role.MAIN].items():
            duplicates += len(main_rows) - 1
            row = main_rows[0]
            entries[ent_num] = entry = _main_entry(ent_num, row)
            extra = comments.get(ent_num, "")
            text = clean((row[11] if _cell(row[11]) else "") + extra) or ""
            # Without its continuation, a remark cut at OFAC's length limit ends mid-word.
            cut = not extra and len(text) >= 900 and not text.endswith(".")
            truncated += cut
            _finish_remarks(entry, text, first_is_fragment=False, last_is_fragment=cut)
        if duplicates:
            warnings.append(f"{duplicates} repeated entry numbers in the main file ignored")
        if truncated:
            warnings.append(
                f"{truncated} entries have Remarks cut at OFAC's length limit and no "
                "continuation in the comments file; their last remark is kept unparsed"
            )
        for role in (Role.ALIASES, Role.ADDRESSES, Role.COMMENTS):
            orphans = [e for e in rows[role] if e not in entries]
            if orphans:
                count = sum(len(rows[role][e]) for e in orphans)
                warnings.append(
                    f"{_role_file(tables, role)}: {count} rows for {len(orphans)} entry "
                    "numbers not in the main file dropped"
                )
    else:
        referenced = {*rows[Role.ALIASES], *rows[Role.ADDRESSES], *comments}
        for ent_num in sorted(referenced, key=int):
            entries[ent_num] = entry = _Entry(ent_num)
            # The comments file only holds the tail of each remark: its first piece is cut.
            text = clean(comments.get(ent_num)) or ""
            _finish_remarks(entry, text, first_is_fragment=True, last_is_fragment=False)

    for ent_num, entry in entries.items():
        for row in rows[Role.ALIASES].get(ent_num, ()):
            kind = _ALIAS_KINDS.get((_cell(row[2]) or "").lower(), NameKind.AKA)
            entry.add_name(row[3], kind, note=_cell(row[4]))
        for row in rows[Role.ADDRESSES].get(ent_num, ()):
            address = _address(row)
            if address is not None:
                entry.addresses.append(address)
                if address.country:
                    entry.countries.append(address.country)

    if not has_main:
        nameless = sum(1 for e in entries.values() if not e.names)
        warnings.append(
            f"no main file (sdn.csv / cons_prim.csv): {len(entries)} entities built from the "
            f"other files as schema Thing; {nameless} of them have no name"
        )
    unknown: Counter[str] = Counter()
    entities = _assemble(entries, dataset, unknown)
    for code, count in sorted(unknown.items()):
        warnings.append(f"unknown OFAC program tag {code!r} ({count} entries)")
    return ParsedList(entities=entities, warnings=tuple(warnings))


def _role_file(tables: list[_Table], role: Role) -> str:
    return ", ".join(t.name for t in tables if t.role is role)


def _main_entry(ent_num: str, row: list[str]) -> _Entry:
    name, sdn_type, program, title = (_cell(v) for v in row[1:5])
    call_sign, vess_type, tonnage, grt, flag, owner = (_cell(v) for v in row[5:11])
    vessel_columns = any((call_sign, vess_type, tonnage, grt, flag, owner))
    entry = _Entry(ent_num, schema=_main_schema(sdn_type, vessel_columns))
    entry.add_name(name, NameKind.PRIMARY)
    entry.programs.extend(_programs(program))
    if title:
        entry.positions.extend(p for p in (clean(t) for t in title.split(";")) if p)
    entry.prop("callSign", call_sign)
    entry.prop("type", vess_type)
    entry.prop("tonnage", tonnage)
    entry.prop("grossRegisteredTonnage", grt)
    entry.prop("flag", _country(flag) or flag)
    entry.prop("owner", owner)
    return entry


def _finish_remarks(
    entry: _Entry, text: str, first_is_fragment: bool, last_is_fragment: bool
) -> None:
    if text:
        entry.prop("notes", text)
        _parse_remarks(entry, text, first_is_fragment, last_is_fragment)
    if entry.schema is Schema.ORGANIZATION:
        entry.schema = _refine_organization(entry)


def _distinct(values: list) -> tuple:
    return tuple(dict.fromkeys(values)) if values else ()


def _assemble(entries: dict[str, _Entry], dataset: str, unknown: Counter[str]) -> tuple:
    ids = {ent: f"{dataset}:{ent}" for ent in entries}
    # "Linked To" names the target's primary name; an alias is the fallback.
    by_primary: dict[str, set[str]] = {}
    by_alias: dict[str, set[str]] = {}
    primary_of: dict[str, str] = {}
    for ent, entry in entries.items():
        for name in entry.names:
            if name.kind is NameKind.PRIMARY:
                by_primary.setdefault(_name_key(name.full), set()).add(ent)
                primary_of[ent] = name.full
            elif name.kind is not NameKind.WEAK:
                by_alias.setdefault(_name_key(name.full), set()).add(ent)
    entities = []
    for ent, entry in entries.items():
        relations = []
        for target in unique(clean(t) for t in entry.linked_to):
            key = _name_key(target)
            primaries = by_primary.get(key, set()) - {ent}
            matches = primaries or by_alias.get(key, set()) - {ent}
            if len(matches) == 1:
                (match,) = matches
                name = primary_of[match] if primaries else target
                relations.append(Relation(RelationKind.LINKED_TO, name, ids[match]))
            else:
                relations.append(Relation(RelationKind.LINKED_TO, target))
        entities.append(
            Entity(
                id=ids[ent],
                dataset=dataset,
                schema=entry.schema,
                names=_dedupe_names(entry.names),
                birth_dates=_distinct(entry.birth_dates),
                birth_places=_distinct(entry.birth_places),
                nationalities=_distinct(entry.nationalities),
                citizenships=_distinct(entry.citizenships),
                countries=_distinct(entry.countries),
                gender=entry.gender,
                addresses=_distinct(entry.addresses),
                identifiers=_distinct(entry.identifiers),
                positions=_distinct(entry.positions),
                remarks=_distinct(entry.remarks),
                designations=_designations(entry, unknown),
                relations=_distinct(relations),
                properties=make_properties(entry.props),
            )
        )
    return tuple(entities)
