"""Helpers every parser shares: safe XML, text decoding, dates, identifiers.

Parsers receive bytes and return model objects; nothing here touches the file system, the
network or the database.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Iterable

from lxml import etree

from tamiz.model import DateValue, ParseError

# -- text ---------------------------------------------------------------------------------


def decode_text(data: bytes, source: str, fallback: str = "cp1252") -> str:
    """Decode a published text file.

    UTF-8 (with or without BOM) is tried first; publishers that still ship Windows code pages
    (the UK ConList, some OFAC copies) fall back to ``fallback``. UTF-16 and binary data are
    rejected with a message naming the file, rather than producing mojibake.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or data[:2000].count(b"\x00") > 2:
        raise ParseError(f"{source}: looks like UTF-16 or binary data, expected a text file")
    # OFAC appends a DOS end-of-file byte (0x1A) to its CSV files.
    data = data.rstrip(b"\x1a")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return data.decode(fallback)
        except UnicodeDecodeError as exc:
            raise ParseError(f"{source}: not valid UTF-8 or {fallback} text ({exc})") from None


def clean(value: str | None) -> str | None:
    """Collapse whitespace, drop OFAC's ``-0-`` empty marker; None for empty."""
    if value is None:
        return None
    value = unicodedata.normalize("NFC", value)
    value = " ".join(value.split())
    if not value or value == "-0-":
        return None
    return value


def unique(values: Iterable[str | None]) -> tuple[str, ...]:
    """Non-empty values in first-seen order, without duplicates."""
    return tuple(dict.fromkeys(v for v in values if v))


# -- XML ----------------------------------------------------------------------------------

MAX_XML_BYTES = 512 * 1024 * 1024

# Entity declarations, searched for in the whole document (not just its head: a long comment
# before the DOCTYPE must not hide them) and in the UTF-16 encodings lxml also accepts.
_ENTITY_DECLARATIONS = tuple(
    "<!ENTITY".encode(encoding) for encoding in ("utf-8", "utf-16-le", "utf-16-be")
)
# A DOCTYPE that opens an internal subset: <!DOCTYPE name [SYSTEM "..."|PUBLIC "..." "..."] [
_INTERNAL_SUBSET = re.compile(
    rb"<!DOCTYPE\s+[^\s\[>]+(?:\s+(?:SYSTEM|PUBLIC)(?:\s+(?:\"[^\"]*\"|'[^']*'))+)?\s*\["
)


def parse_xml(data: bytes, source: str) -> etree._Element:
    """Parse untrusted XML: no DTD loading, no entity expansion, no network access.

    A document that declares entities or carries an internal DTD subset (the "billion
    laughs" family, XXE) is refused outright: no sanctions list needs them. An external DTD
    reference is tolerated but never fetched.
    """
    if len(data) > MAX_XML_BYTES:
        raise ParseError(f"{source}: {len(data)} bytes is larger than the {MAX_XML_BYTES} limit")
    if not data or data.isspace():
        raise ParseError(f"{source}: empty file, expected an XML document")
    if any(marker in data for marker in _ENTITY_DECLARATIONS):
        raise ParseError(f"{source}: XML declares entities in a DTD; refused")
    doctype_at = data.find(b"<!DOCTYPE")
    if doctype_at >= 0 and _INTERNAL_SUBSET.match(data, doctype_at):
        raise ParseError(f"{source}: XML carries an internal DTD subset; refused")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(f"{source}: malformed XML ({exc})") from None
    if root is None:
        raise ParseError(f"{source}: empty XML document")
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None and len(docinfo.internalDTD.entities()) > 0:
        raise ParseError(f"{source}: XML declares entities in a DTD; refused")
    # An entity only an (unloaded) external DTD could define would otherwise stay in the
    # text as a literal "&name;".
    unresolved = next(root.iter(etree.Entity), None)
    if unresolved is not None:
        raise ParseError(
            f"{source}: XML refers to entity {unresolved.text} that it does not define "
            "(external DTDs are never loaded); refused"
        )
    return root


def strip_namespaces(root: etree._Element) -> etree._Element:
    """Drop namespace prefixes in place so parsers can use plain tag names."""
    for el in root.iter():
        if isinstance(el.tag, str) and "}" in el.tag:
            el.tag = el.tag.split("}", 1)[1]
    return root


def text_of(el: etree._Element | None, path: str | None = None) -> str | None:
    """Cleaned text of ``el`` or of its child at ``path``."""
    if el is None:
        return None
    if path is not None:
        el = el.find(path)
        if el is None:
            return None
    return clean("".join(el.itertext()))


# -- dates --------------------------------------------------------------------------------

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_abbr) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_name) if m})
_MONTHS["sept"] = 9

_ISO = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_DMY_TEXT = re.compile(r"^(?:(\d{1,2})\s+)?([A-Za-z]{3,9})\.?,?\s+(\d{4})$")
_MDY_TEXT = re.compile(r"^([A-Za-z]{3,9})\.?\s+(\d{1,2}),?\s+(\d{4})$")
_NUMERIC = re.compile(r"^(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})$")
_CIRCA = re.compile(r"^(?:circa|ca\.?|c\.|approximately|approx\.?|about)\s*", re.I)
_RANGE = re.compile(r"^(.+?)\s*(?:\bto\b|-|–|—|/)\s*(.+)$", re.I)


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not 1800 <= year <= 2200:
        return None
    if month is None or month == 0:
        return f"{year:04d}"
    if not 1 <= month <= 12:
        return None
    if day is None or day == 0:
        return f"{year:04d}-{month:02d}"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return None
    return f"{year:04d}-{month:02d}-{day:02d}"


def parse_single_date(text: str, day_first: bool = True) -> str | None:
    """One date in any of the forms lists use, as an ISO prefix; None if not a date.

    Handles ``1963``, ``1963-07-28``, ``28 Jul 1963``, ``Jul 1963``, ``July 28, 1963``,
    ``28/07/1963`` (day first unless ``day_first`` is False) and ``00/00/1963``.
    """
    text = text.strip().strip(".;,")
    if m := _ISO.match(text):
        y, mo, d = m.groups()
        return _iso(int(y), int(mo) if mo else None, int(d) if d else None)
    if m := _DMY_TEXT.match(text):
        d, mon, y = m.groups()
        month = _MONTHS.get(mon.lower())
        return _iso(int(y), month, int(d) if d else None) if month else None
    if m := _MDY_TEXT.match(text):
        mon, d, y = m.groups()
        month = _MONTHS.get(mon.lower())
        return _iso(int(y), month, int(d)) if month else None
    if m := _NUMERIC.match(text):
        a, b, y = (int(g) for g in m.groups())
        day, month = (a, b) if day_first else (b, a)
        return _iso(y, month, day)
    return None


def parse_date(text: str | None, day_first: bool = True) -> DateValue | None:
    """Parse a published birth date, including ``circa`` and ranges (``1960 to 1965``).

    Returns a DateValue keeping the original ``text`` when it is not a plain date, and None
    for empty input. Text that is not a date at all is kept as ``DateValue(None, text=...)``
    so nothing the publisher said is lost.
    """
    raw = clean(text)
    if not raw:
        return None
    body = raw
    circa = False
    if m := _CIRCA.match(body):
        circa = True
        body = body[m.end() :]
    single = parse_single_date(body, day_first)
    if single:
        return DateValue(single, circa=circa, text=raw if circa else None)
    if m := _RANGE.match(body):
        start = parse_single_date(m.group(1), day_first)
        end = parse_single_date(m.group(2), day_first)
        if start and end:
            return DateValue(start, end=end, circa=circa, text=raw)
    return DateValue(None, circa=circa, text=raw)


# -- identifiers --------------------------------------------------------------------------

# Publisher wording -> controlled identifier type. Checked in order; first match wins.
_ID_TYPES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p, re.I), t)
    for p, t in (
        (r"pass(?:e)?port|pasaporte", "passport"),
        (r"c[eé]dula", "cedula"),
        (r"\bRIF\b", "rif"),
        (r"\bNIT\b", "nit"),
        (r"\bCURP\b", "curp"),
        (r"\bRFC\b", "tax_id"),
        (r"\bSSN\b|social security", "ssn"),
        (r"tax|fiscal|\bINN\b|\bTIN\b|\bVAT\b|\bKPP\b|\bRUC\b|\bCUIT\b|\bNIF\b", "tax_id"),
        (r"\bIMO\b|vessel registration", "imo"),
        (r"\bMMSI\b", "mmsi"),
        (r"SWIFT|\bBIC\b", "swift_bic"),
        (r"digital currency|wallet|crypto", "crypto_wallet"),
        (r"\bLEI\b|legal entity number", "lei"),
        (r"\bD-?U-?N-?S\b", "duns"),
        (
            r"\bOGRN\b|registration|registry|business number|company number|chamber of commerce"
            r"|commercial registry|enterprise number|\bUSCC\b|unified social credit",
            "registration",
        ),
        (
            r"national|\bNID\b|identity|identification|\bDNI\b|\bCNIC\b|\bCNI\b|personal id",
            "national_id",
        ),
        (r"aircraft|serial|tail|\bMSN\b", "aircraft_id"),
        (r"driver", "drivers_license"),
        (r"licen[cs]e", "registration"),  # business / money-service licence numbers
        (r"residency|resident|permit|visa", "residence_permit"),
        (r"birth cert", "birth_certificate"),
        (r"military|service", "military_id"),
    )
)


def identifier_type(label: str) -> str:
    """Controlled identifier type for a publisher's label ("Cedula No." -> ``cedula``)."""
    for pattern, kind in _ID_TYPES:
        if pattern.search(label):
            return kind
    return "other"


def normalize_identifier(value: str) -> str:
    """Canonical form used to compare identifiers: upper case, letters and digits only."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", value).upper() if ch.isalnum())


# -- names --------------------------------------------------------------------------------

# Words that mark a business rather than a group, movement or state body. Lists that only
# say "entity" (UN, Canada SEMA) are typed Company when the name carries one of these.
_COMPANY_WORDS = re.compile(
    r"\b(?:co|corp|corporation|company|companies|ltd|limited|llc|l\.l\.c|inc|incorporated"
    r"|plc|p\.l\.c|pte|gmbh|ag|s\.?a|s\.?a\.?r\.?l|b\.?v|n\.?v|jsc|ojsc|cjsc|pjsc|ooo|oao|zao"
    r"|pao|tov|jv|bank|banking|trading|holding|holdings|enterprise|enterprises|industries"
    r"|shipping|airlines?|group of companies|firm)\b\.?",
    re.I,
)
# East Slavic patronymics (Ivanovich, Petrovna, Oleksandrovych, Magomedovich, ...).
_PATRONYMIC = re.compile(r"(?:ovich|evich|ovych|evych|ovna|evna|ivna|ichna)$", re.I)


def looks_like_company(name: str) -> bool:
    """True when an organisation's name carries a legal form or business word."""
    return bool(_COMPANY_WORDS.search(name))


def is_patronymic(token: str) -> bool:
    """True for a Russian-style patronymic name part such as ``Magomedovich``."""
    return len(token) > 5 and " " not in token.strip() and bool(_PATRONYMIC.search(token))
