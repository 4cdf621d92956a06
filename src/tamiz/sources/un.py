"""UN Security Council Consolidated List, official XML (format ``un-xml``).

Published at https://scsanctions.un.org/resources/xml/en/consolidated.xml (schema
https://www.un.org/sc/resources/sc-sanctions.xsd): a ``CONSOLIDATED_LIST`` root whose
``dateGenerated`` attribute is the publication time, holding ``INDIVIDUALS/INDIVIDUAL`` and
``ENTITIES/ENTITY`` records.

Ids: ``REFERENCE_NUMBER`` (``QDi.430``) is the permanent public reference, so entities are
``{dataset}:QDi.430``; a record without one falls back to its ``DATAID``. The reference's two
letters name the sanctions regime (``QD`` ISIL/Al-Qaida, ``KP`` DPRK, ...), whose authority,
title and legal basis come from ``data/programs/un_sc.csv``.

Everything is read from element text with whitespace collapsed, so re-indented or re-quoted
copies of the same list parse to identical entities.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

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
    clean,
    identifier_type,
    is_patronymic,
    looks_like_company,
    normalize_identifier,
    parse_date,
    parse_single_date,
    parse_xml,
    strip_namespaces,
    text_of,
    unique,
)

CATALOGUE = "un_sc"
AUTHORITY = "United Nations Security Council"
ROOT_TAG = "CONSOLIDATED_LIST"
NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")

# Fallback when a record lacks a usable REFERENCE_NUMBER: UN_LIST_TYPE -> regime code.
_LIST_TYPE_CODES = {
    "al-qaida": "QD",
    "taliban": "TA",
    "dprk": "KP",
    "iran": "IR",
    "iraq": "IQ",
    "drc": "CD",
    "libya": "LY",
    "somalia": "SO",
    "car": "CF",
    "yemen": "YE",
    "gb": "GB",
    "southsudan": "SS",
    "sudan": "SD",
    "haiti": "HT",
    "mali": "ML",
}

_ALIAS_KINDS = {
    "good": NameKind.AKA,
    "a.k.a.": NameKind.AKA,
    "": NameKind.AKA,
    "low": NameKind.WEAK,
    "f.k.a.": NameKind.FORMER,
}

# Nationalities that write the family name first; the UN then puts it in FIRST_NAME.
_FAMILY_NAME_FIRST = {"KP", "KR", "CN", "TW", "HK", "MO", "VN"}
_NOT_A_COUNTRY = {"na", "n/a", "unknown", "none", "-"}

REFERENCE = re.compile(r"\b([A-Z]{2}[ie]\.\d{3})\b")
_ENUMERATOR = re.compile(r"^\(?[a-z]\)\s*")  # "a) Minister of ..." in DESIGNATION values
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\u08A0-\u08FF\uFB50-\uFDFF\uFE70-\uFEFF]")
_CYRILLIC = re.compile(r"[\u0400-\u04FF]")
_HANGUL = re.compile(r"[\uAC00-\uD7AF\u1100-\u11FF]")
_HAN = re.compile(r"[\u4E00-\u9FFF]")
_PASHTO_LETTERS = re.compile(r"[ټډړښږځڅېۍ]")
_PERSIAN_LETTERS = re.compile(r"[پچژگ]")  # not ی or ک: Arabic names often use them too
_SCRIPT_IN_NOTE = re.compile(
    r"(?:\bin (?:Arabic|Russian|Cyrillic)(?: script)?|\boriginal script)\s*:\s*([^;.]+)", re.I
)
_ORIGINAL_SCRIPT_MARK = re.compile(r"^original script\s*:\s*|\s*\(original script\)$", re.I)
_ACRONYM = re.compile(r"^[A-Z][A-Z0-9/&'’ -]{0,15}$")
_BIRTH_CLAUSE = re.compile(r",\s*(?:born|DOB)\b.*$|\s+[-–]\s+(?=(?-i:[a-z])[\w -]*$).*$", re.I)
_ENUMERATED = re.compile(r"\s+[a-z]\)\s+")

# Identifiers and contact details that entity comments state in prose.
_COMMENT_IDS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (
        re.compile(r"\bIMO\)?(?:\s+(?:company\s+)?(?:number|no\.?))?\s*:?\s*(\d{7})\b", re.I),
        "imo",
        "IMO number",
    ),
    (
        re.compile(r"\bSWIFT(?:/BIC)?\s*:?\s*([A-Z]{6}[A-Z0-9]{2}(?:[A-Z0-9]{3})?)\b"),
        "swift_bic",
        "SWIFT/BIC",
    ),
    (re.compile(r"\bVAT\s+Number\s*:?\s*([A-Z]{2}\d{8,12})\b", re.I), "tax_id", "VAT number"),
)
_COMMENT_LABELLED_ID = re.compile(
    r"((?:[A-Z][\w'’-]*\s+){0,3}(?:[Rr]egistration|[Tt]ax|[Ll]icen[cs]e)\s+(?:[Nn]umber|[Nn]o\.?))"
    r"\s*:?\s*([A-Z]{0,3}\d[\dA-Z-]*)(?:\s*\(([A-Z][\w ]+)\))?"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_WEBSITE = re.compile(r"\bWebsite:\s*(\S+?)[)\].,;]*(?:\s|$)", re.I)
_FORMERLY_KNOWN = re.compile(r"\(?\bformerly known as\s+([^().;,]+)", re.I)

# Relation cues, looked for in the words that lead up to a reference number.
_FAMILY_CUE = re.compile(
    r"\b(?:brother|sister|son|daughter|father|mother|wife|husband|spouse|cousin|nephew|niece"
    r"|uncle|aunt|brother-in-law|son-in-law|father-in-law|sibling)s?\b",
    re.I,
)
_LEADER_CUE = re.compile(r"\b(?:leader|head|founder|chief|commander|amir|emir)\s+of\b", re.I)
_OWNER_CUE = re.compile(
    r"\b(?:owned|controlled)\s+by\b|\bsubsidiary of\b|\bfront(?:-|\s)company (?:for|of)\b"
    r"|\bsubordinate (?:of|to)\b",
    re.I,
)
_ASSOCIATE_CUE = re.compile(r"\bassociat(?:e|ed|es)\b", re.I)
_RELATION_CUES = (
    (_FAMILY_CUE, RelationKind.FAMILY),
    (_OWNER_CUE, RelationKind.OWNED_BY),
    (_LEADER_CUE, RelationKind.LEADER_OF),
    (_ASSOCIATE_CUE, RelationKind.ASSOCIATE),
)
# "he was also listed under number TAi.048": an earlier reference of the same entry.
_SAME_ENTRY = re.compile(
    r"\b(?:also|previously|formerly)\s+(?:listed|appeared)\b|\bappeared also\b"
    r"|\bconsolidated into this\b|\bmerged into this\b",
    re.I,
)
_LIST_CONTINUATION = re.compile(r"^\W*(?:,|;|and\b|or\b|as well as\b)", re.I)
_NAME_CONNECTORS = {"al", "bin", "ibn", "of", "the", "wal", "ul", "el", "de", "du", "la", "da"}
_NAME_STOPWORDS = {
    "the", "member", "members", "leader", "head", "associated", "linked", "brother", "son",
    "senior", "former", "founder", "with", "of", "and",
}  # fmt: skip
_ASSOCIATED_NAME = re.compile(r"\b(?:associated with|linked to)\s+(?:the\s+)?([^.;,()]+)", re.I)


@dataclass
class _Context:
    """What one record's conversion may consult about the rest of the file."""

    dataset: str
    source: str
    captions: dict[str, str]  # reference number -> primary name
    name_index: dict[str, str]  # casefolded name or alias -> reference number
    warnings: list[str] = field(default_factory=list)


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    """Parse one UN consolidated list XML file."""
    if len(files) != 1:
        names = ", ".join(f.name for f in files) or "none"
        raise ParseError(f"un-xml expects exactly one XML file, got {len(files)} ({names})")
    source = files[0]
    root = strip_namespaces(parse_xml(source.data, source.name))
    if root.tag != ROOT_TAG:
        raise ParseError(
            f"{source.name}: not a UN consolidated list: root element is <{root.tag}>, "
            f"expected <{ROOT_TAG}>"
        )
    records = root.findall("./INDIVIDUALS/INDIVIDUAL") + root.findall("./ENTITIES/ENTITY")
    if not records:
        raise ParseError(
            f"{source.name}: UN consolidated list without any INDIVIDUAL or ENTITY record"
        )

    ctx = _Context(dataset, source.name, {}, {})
    ids: list[str] = []
    seen: set[str] = set()
    for el in records:
        native = _native_id(el, seen, ctx)
        ids.append(native)
        if native:
            seen.add(native)
            ctx.captions[native] = _caption(el)
            for name in [_caption(el), *(_text(a, "ALIAS_NAME") for a in _aliases(el))]:
                if name:
                    ctx.name_index.setdefault(name.casefold(), native)

    entities = []
    for el, native in zip(records, ids, strict=True):
        if not native:
            continue
        entity = _entity(el, native, ctx)
        if entity is not None:
            entities.append(entity)
    return ParsedList(
        entities=tuple(entities),
        published=_published(root, source.name),
        warnings=tuple(ctx.warnings),
    )


def _published(root: etree._Element, source: str) -> dt.date | None:
    generated = clean(root.get("dateGenerated"))
    if not generated:
        return None
    try:
        return dt.date.fromisoformat(generated[:10])
    except ValueError:
        raise ParseError(f"{source}: dateGenerated {generated!r} is not a date") from None


def _native_id(el: etree._Element, seen: set[str], ctx: _Context) -> str | None:
    ref = _text(el, "REFERENCE_NUMBER")
    data_id = _text(el, "DATAID")
    if ref and ref not in seen:
        return ref
    if data_id and data_id not in seen:
        why = f"duplicate REFERENCE_NUMBER {ref}" if ref else "no REFERENCE_NUMBER"
        ctx.warnings.append(f"{ctx.source}: record DATAID {data_id} has {why}; id uses DATAID")
        return data_id
    line = getattr(el, "sourceline", "?")
    ctx.warnings.append(
        f"{ctx.source}: {el.tag} record at line {line} has no usable REFERENCE_NUMBER or "
        f"DATAID ({ref or data_id or 'both empty'}); record skipped"
    )
    return None


def _text(el: etree._Element | None, path: str | None = None) -> str | None:
    """Cleaned text; the literal ``null`` some copies write for an empty field is empty."""
    value = text_of(el, path)
    return None if value is None or value.casefold() == "null" else value


def _caption(el: etree._Element) -> str:
    return " ".join(p for p in (_text(el, t) for t in NAME_PARTS) if p)


def _aliases(el: etree._Element) -> list[etree._Element]:
    return el.findall("INDIVIDUAL_ALIAS") + el.findall("ENTITY_ALIAS")


def _values(el: etree._Element, path: str) -> list[str]:
    return [v for v in (_text(x) for x in el.iterfind(path)) if v]


# -- one record ---------------------------------------------------------------------------


def _entity(el: etree._Element, native: str, ctx: _Context) -> Entity | None:
    is_person = el.tag == "INDIVIDUAL"
    ref = _text(el, "REFERENCE_NUMBER") or native
    comments = _text(el, "COMMENTS1")
    nationalities = _countries(_values(el, "NATIONALITY/VALUE"))

    names: list[Name] = []
    birth_dates: list[DateValue] = []
    birth_places: list[str] = []
    identifiers: list[Identifier] = []
    remarks: list[str] = []

    primary = _primary_name(el, ref, nationalities, is_person)
    if primary is None:
        ctx.warnings.append(f"{ctx.source}: {ref} has no name; record skipped")
        return None
    names.append(primary)
    native_script = _text(el, "NAME_ORIGINAL_SCRIPT")
    if native_script:
        names.append(Name(native_script, NameKind.NATIVE, lang=_script_lang(native_script)))

    for alias in _aliases(el):
        alias_names, alias_dates, alias_places = _alias(alias, ref, ctx)
        names.extend(alias_names)
        birth_dates.extend(alias_dates)
        birth_places.extend(alias_places)
    if comments and not is_person:
        names.extend(_former_names_in(comments, names))

    for dob in el.iterfind("INDIVIDUAL_DATE_OF_BIRTH"):
        value = _birth_date(dob)
        if value is not None:
            birth_dates.append(value)
    for pob in el.iterfind("INDIVIDUAL_PLACE_OF_BIRTH"):
        place = _place(pob)
        if place:
            birth_places.append(place)

    for doc in el.iterfind("INDIVIDUAL_DOCUMENT"):
        identifier, doc_names, leftover = _document(doc)
        if identifier is not None:
            identifiers.append(identifier)
        names.extend(doc_names)
        if leftover:
            remarks.append(leftover)

    addresses = [
        a
        for a in map(_address, el.findall("INDIVIDUAL_ADDRESS") + el.findall("ENTITY_ADDRESS"))
        if a is not None
    ]
    properties: dict[str, list[str]] = {"modifiedAt": _values(el, "LAST_DAY_UPDATED/VALUE")}
    relations: list[Relation] = []
    if comments:
        relations, properties["previousReference"] = _relations(comments, native, ctx)
        remarks.insert(0, comments)
        if not is_person:
            identifiers.extend(_identifiers_in(comments))
            properties["email"] = _EMAIL.findall(comments)
            properties["website"] = _WEBSITE.findall(comments)

    titles = _values(el, "TITLE/VALUE")
    honorifics = [t for t in titles if len(t.split()) <= 3]
    positions = [t for t in titles if len(t.split()) > 3]
    positions += [_ENUMERATOR.sub("", v) for v in _values(el, "DESIGNATION/VALUE")]
    if honorifics:
        names[0] = _with_title(names[0], ", ".join(honorifics))

    schema = Schema.PERSON if is_person else _organisation_schema(primary.full)
    gender = (_text(el, "GENDER") or "").lower() or None
    return Entity(
        id=f"{ctx.dataset}:{native}",
        dataset=ctx.dataset,
        schema=schema,
        names=_unique_names(names),
        # Sorted: copies of the list order (and even nest) birth data differently.
        birth_dates=tuple(sorted(dict.fromkeys(birth_dates), key=_date_order)),
        birth_places=tuple(sorted(unique(birth_places))),
        nationalities=nationalities,
        countries=unique(a.country or a.country_name for a in addresses),
        gender=gender if gender in ("male", "female") else None,
        addresses=tuple(dict.fromkeys(addresses)),
        identifiers=_merge_identifiers(identifiers),
        positions=unique(clean(p) for p in positions),
        remarks=unique(remarks),
        designations=(_designation(el, ref, ctx),),
        relations=tuple(relations),
        properties=make_properties(properties),
    )


def _organisation_schema(name: str) -> Schema:
    return Schema.COMPANY if looks_like_company(name) else Schema.ORGANIZATION


def _countries(values: Iterable[str]) -> tuple[str, ...]:
    return unique(country_code(v) or v for v in values if v.casefold() not in _NOT_A_COUNTRY)


# -- names --------------------------------------------------------------------------------


def _primary_name(
    el: etree._Element, ref: str, nationalities: tuple[str, ...], is_person: bool
) -> Name | None:
    parts = [p for p in (_text(el, t) for t in NAME_PARTS) if p]
    if not parts:
        return None
    full = " ".join(parts)
    if not is_person or len(parts) == 1:
        return Name(full)
    if ref.startswith("KP") or _FAMILY_NAME_FIRST.intersection(nationalities):
        return Name(full, last_name=parts[0], first_name=" ".join(parts[1:]))
    middle = parts[1:-1]
    father = next((p for p in middle if is_patronymic(p)), None)
    middle = [p for p in middle if p != father]
    return Name(
        full,
        first_name=parts[0],
        middle_name=" ".join(middle) or None,
        last_name=parts[-1],
        father_name=father,
    )


def _with_title(name: Name, title: str) -> Name:
    return Name(
        name.full,
        name.kind,
        lang=name.lang,
        first_name=name.first_name,
        middle_name=name.middle_name,
        last_name=name.last_name,
        father_name=name.father_name,
        title=title,
        note=name.note,
    )


def _script_lang(text: str) -> str | None:
    """ISO 639-3 language of a native-script name, guessed from its script; None if Latin."""
    if _ARABIC.search(text):
        # Taliban-list names are often Pashto or Dari: their extra letters give them away.
        if _PASHTO_LETTERS.search(text):
            return "pus"
        if _PERSIAN_LETTERS.search(text):
            return "fas"
        return "ara"
    if _CYRILLIC.search(text):
        return "rus"
    if _HANGUL.search(text):
        return "kor"
    if _HAN.search(text):
        return "zho"
    return None


def _is_latin(text: str) -> bool:
    return all(not ch.isalpha() or unicodedata.name(ch, "").startswith("LATIN") for ch in text)


def _alias(
    alias: etree._Element, ref: str, ctx: _Context
) -> tuple[list[Name], list[DateValue], list[str]]:
    full = _text(alias, "ALIAS_NAME")
    dob = _text(alias, "DATE_OF_BIRTH")
    place = ", ".join(
        p for p in (_text(alias, "CITY_OF_BIRTH"), _text(alias, "COUNTRY_OF_BIRTH")) if p
    )
    dates = [d for d in [parse_date(dob)] if d is not None] if dob else []
    places = [place] if place else []
    if not full:
        # Some copies carry extra birth dates and places in alias records without a name.
        return [], dates, places
    quality = (_text(alias, "QUALITY") or "").lower()
    kind = _ALIAS_KINDS.get(quality)
    if kind is None:
        ctx.warnings.append(f"{ctx.source}: {ref} alias {full!r} has unknown QUALITY {quality!r}")
        kind = NameKind.AKA
    note = _text(alias, "NOTE")
    details = [note] if note else []
    if dob:
        details.append(f"DOB {dob}")
    if place:
        details.append(f"POB {place}")
    note_text = "; ".join(details) or None

    names = []
    for variant, variant_note in _alias_variants(full):
        names.append(
            Name(
                variant,
                kind,
                lang=None if _is_latin(variant) else _script_lang(variant),
                note="; ".join(p for p in (variant_note, note_text) if p) or None,
            )
        )
    if note:
        for written in _SCRIPT_IN_NOTE.findall(note):
            written = clean(written)
            if written and not _is_latin(written):
                names.append(Name(written, kind, lang=_script_lang(written), note=full))

    return names, dates, places


def _split_trailing_parenthesis(text: str) -> tuple[str, str | None]:
    """ "A (B (C); D)" -> ("A", "B (C); D"): the last balanced parenthesis, if it ends the text."""
    if not text.endswith(")"):
        return text, None
    depth = 0
    for i in range(len(text) - 1, -1, -1):
        depth += {")": 1, "(": -1}.get(text[i], 0)
        if depth == 0:
            head = text[:i].strip()
            return (head, text[i + 1 : -1].strip()) if head else (text, None)
    return text, None


def _alias_variants(text: str) -> list[tuple[str, str | None]]:
    """The names one published alias string holds, each with what the text says about it.

    Handles "A; B; C" variant lists, "Jin Tiesan (金铁三)" and "حسن غول (Hassan Ghul; Hasan Gul)"
    (the same name in two scripts), "(original script: ...)", "X (birth name)" descriptions,
    "X, born 1 Jan. 1953" and "Agha Jan Alizai اغا جان عالیزی" (two scripts, no brackets).
    Acronyms "(LRM)" stay part of the name as published.
    """
    text = text.strip().rstrip(",;").strip()
    leading_note = None
    if text.startswith("(") and ")" in text:  # "(Sheikh) Musa Hilal"
        leading_note, text = text[1 : text.index(")")].strip(), text[text.index(")") + 1 :]
        text = text.strip()
    out: list[tuple[str, str | None]] = []
    # "Mohammed Sabet; Mohammad Sabet b) M. Javad Kareemi Sabet; ..." enumerates variants.
    parts = _ENUMERATED.split(text) if ";" in text else [text]
    for part in (p.strip() for p in parts):
        head, inner = _split_trailing_parenthesis(part)
        if inner is None or (_ACRONYM.match(inner) and not REFERENCE.search(inner.upper())):
            candidates = [(v, None) for v in part.split(";")]
        elif (
            ";" in inner
            or _ORIGINAL_SCRIPT_MARK.search(inner)
            or (_is_latin(head) != _is_latin(inner))
        ):
            candidates = [(head, None)] + [(v, None) for v in inner.split(";")]
        else:
            candidates = [(head, inner)]  # "(birth name)", "(false identity ...)", "(QDe.118)"
        for name, note in candidates:
            name = _ORIGINAL_SCRIPT_MARK.sub("", name.strip()).strip()
            if said := _BIRTH_CLAUSE.search(name):
                note = "; ".join(p for p in (said.group(0).lstrip(",-– "), note) if p)
                name = name[: said.start()].strip()
            for piece in _by_script(name):
                if piece:
                    out.append((piece, "; ".join(p for p in (leading_note, note) if p) or None))
    return out


def _by_script(text: str) -> list[str]:
    """Split "Agha Jan Alizai اغا جان عالیزی" into its Latin and non-Latin runs."""
    runs: list[tuple[bool, list[str]]] = []
    for word in text.split():
        latin = _is_latin(word)
        if runs and runs[-1][0] == latin:
            runs[-1][1].append(word)
        else:
            runs.append((latin, [word]))
    if len(runs) == 2 and all(any(ch.isalpha() for w in r[1] for ch in w) for r in runs):
        return [" ".join(r[1]) for r in runs]
    return [text]


def _former_names_in(comments: str, names: list[Name]) -> list[Name]:
    """ "X (formerly known as Y)" where X is one of the entity's own names -> former name Y."""
    own = [n.full.casefold() for n in names]
    out = []
    for match in _FORMERLY_KNOWN.finditer(comments):
        before = comments[: match.start()].rstrip(" (").casefold()
        former = clean(match.group(1))
        if former and any(before.endswith(name) for name in own):
            out.append(Name(former, NameKind.FORMER, note="formerly known as (remarks)"))
    return out


def _unique_names(names: list[Name]) -> tuple[Name, ...]:
    """Drop repeats: same text and kind, or an alias that only restates the primary name."""
    out: list[Name] = []
    seen: set[tuple[str, NameKind]] = set()
    primary = names[0].full.casefold() if names else None
    for i, name in enumerate(names):
        key = (name.full.casefold(), name.kind)
        if key in seen or (
            i > 0
            and name.kind is not NameKind.NATIVE
            and name.full.casefold() == primary
            and name.note is None
        ):
            continue
        seen.add(key)
        out.append(name)
    return tuple(out)


# -- dates, places, addresses -------------------------------------------------------------

_BETWEEN_MONTHS = re.compile(
    r"^between\s+([A-Za-z]{3,9})\.?\s+and\s+([A-Za-z]{3,9})\.?\s+(\d{4})$", re.I
)


def _date_order(value: DateValue) -> tuple[str, str, bool, str]:
    return (value.value or "", value.end or "", value.circa, value.text or "")


def _iso_day(text: str | None) -> str | None:
    """``1978-04-28`` (also with a time part) or a bare year, as an ISO prefix."""
    if not text:
        return None
    return parse_single_date(text.split("T", 1)[0])


def _birth_date(dob: etree._Element) -> DateValue | None:
    kind = (_text(dob, "TYPE_OF_DATE") or "").upper()
    date = _iso_day(_text(dob, "DATE"))
    year = _iso_day(_text(dob, "YEAR"))
    from_year = _iso_day(_text(dob, "FROM_YEAR"))
    to_year = _iso_day(_text(dob, "TO_YEAR"))
    note = _text(dob, "NOTE")
    circa = kind == "APPROXIMATELY" or (note or "").casefold() in ("approximately", "circa")
    if note and note.casefold() in ("approximately", "circa"):
        note = None

    if from_year or to_year:
        return DateValue(
            from_year or to_year, end=to_year if from_year else None, circa=circa, text=note
        )
    value = date or year
    if note:
        from_note = parse_date(note)
        if value is None and from_note is not None and from_note.value:
            return DateValue(
                from_note.value, end=from_note.end, circa=circa or from_note.circa, text=note
            )
        if value and len(value) == 4 and (month := parse_single_date(f"{note} {value}")):
            return DateValue(month, circa=circa, text=note)  # YEAR 1958 + NOTE "Sep."
        if value is None and (between := _BETWEEN_MONTHS.match(note)):
            start = parse_single_date(f"{between.group(1)} {between.group(3)}")
            end = parse_single_date(f"{between.group(2)} {between.group(3)}")
            if start and end:
                return DateValue(start, end=end, circa=circa, text=note)
    if value is None and note is None:
        return None
    return DateValue(value, circa=circa, text=note)


def _place(el: etree._Element) -> str | None:
    parts = [_text(el, t) for t in ("STREET", "CITY", "STATE_PROVINCE", "COUNTRY")]
    place = ", ".join(p for p in parts if p)
    note = _text(el, "NOTE")
    if note:
        place = f"{place} ({note})" if place else note
    return place or None


def _address(el: etree._Element) -> Address | None:
    street = _text(el, "STREET")
    city = _text(el, "CITY")
    region = _text(el, "STATE_PROVINCE")
    postal = _text(el, "ZIP_CODE")
    country_name = _text(el, "COUNTRY")
    note = _text(el, "NOTE")
    if not any((street, city, region, postal, country_name, note)):
        return None
    full = ", ".join(p for p in (street, city, postal, region, country_name) if p) or None
    return Address(
        full=full,
        street=street,
        city=city,
        region=region,
        postal_code=postal,
        country=country_code(country_name),
        country_name=country_name,
        note=note,
    )


# -- documents and identifiers ------------------------------------------------------------

# "CAR diplomatic passport no. D00000898", "Diplomatic Passport: Z30321794"
_LABELLED_NUMBER = re.compile(
    r"^(?P<label>.*?(?:\b(?:number|no\.?|n[°º])\s*:?|:))\s*(?P<value>[A-Z0-9][A-Z0-9 ./-]*)$",
    re.I,
)
# A number stated inside free text: "Tunisian passport number L 191609 issued on ...",
# "Italian Fiscal Code: DAOMMD74T11Z352Z", "Moroccan national identity card DE- 473900".
_NUMBER_IN_TEXT = re.compile(
    r"(?P<label>(?i:(?:[A-Za-z()]+\s+){0,4}?(?:number|no\.?|SSN|card|code)))\s*:?\s*"
    r"(?P<value>(?:[A-Z]{1,3}[ -]{0,2})?\d[\dA-Z/-]*|[A-Z]{2,}\d[\dA-Z]*)"
)
# A note that starts with the number itself: "04643632 issued on 18 Jun. 1999"
_LEADING_NUMBER = re.compile(r"^(?P<label>)(?P<value>[A-Z]{0,3}\d{4,}[\dA-Z-]*)\b")


def _split_number(text: str) -> tuple[str | None, str]:
    """Separate a publisher's label from the number it precedes."""
    match = _LABELLED_NUMBER.match(text)
    if match and any(ch.isdigit() for ch in match.group("value")):
        return clean(match.group("label").rstrip(":")), match.group("value").strip()
    return None, text


def _document(doc: etree._Element) -> tuple[Identifier | None, list[Name], str | None]:
    """An INDIVIDUAL_DOCUMENT as an identifier; names it states; text kept when no number."""
    doc_type = _text(doc, "TYPE_OF_DOCUMENT")
    doc_type2 = _text(doc, "TYPE_OF_DOCUMENT2")
    number = _text(doc, "NUMBER")
    note = _text(doc, "NOTE")
    country_name = _text(doc, "ISSUING_COUNTRY") or _text(doc, "COUNTRY_OF_ISSUE")
    issued = _text(doc, "DATE_OF_ISSUE")
    city = _text(doc, "CITY_OF_ISSUE")
    if not any((doc_type, doc_type2, number, note, country_name, issued, city)):
        return None, [], None

    names = []
    if note:
        for written in re.findall(r"name in (?:Arabic|Cyrillic) script:\s*([^;]+)", note, re.I):
            written = clean(written)
            if written:
                names.append(
                    Name(
                        written,
                        NameKind.AKA,
                        lang=_script_lang(written),
                        note="name on identity document",
                    )
                )

    label_parts = [p for p in (doc_type, doc_type2) if p]
    if number:
        prefix, number = _split_number(number)
        if prefix:
            label_parts.append(prefix)
    else:
        candidates = [
            (_NUMBER_IN_TEXT, doc_type2),
            (_NUMBER_IN_TEXT, note),
            (_LEADING_NUMBER, note),
        ]
        for pattern, text in candidates:
            found = pattern.search(text or "")
            if found:
                number = found.group("value").strip()
                if text is doc_type2:  # the number was part of the type: keep only the words
                    label_parts.remove(doc_type2)
                label_parts.append(clean(found.group("label")) or "")
                break
    label = " / ".join(unique(p.rstrip(" :") for p in label_parts)) or None
    if not country_name and note:
        # "United States of America, issued on ...", "SSN 156-92-9858 (United States ...)"
        tail = re.search(r"\(([^()]+)\)\s*$", note)
        for candidate in (note.split(",", 1)[0], tail.group(1) if tail else None):
            if candidate and country_code(candidate):
                country_name = candidate
                break
    details = []
    if issued:
        details.append(f"issued {issued.split('T', 1)[0]}")
    if city:
        details.append(f"in {city}")
    if note:
        details.append(note)
    detail_text = "; ".join(details) or None
    if not number:
        described = ", ".join(p for p in (label, country_name, detail_text) if p)
        return None, names, f"Document: {described}"

    # The specific wording (TYPE_OF_DOCUMENT2, or the words before the number) decides the
    # type; the generic TYPE_OF_DOCUMENT is the fallback.
    kind = "other"
    for text in (*label_parts[1:], doc_type or ""):
        kind = identifier_type(text)
        if kind != "other":
            break
    return (
        Identifier(
            type=kind,
            value=number,
            country=country_code(country_name),
            label=label,
            note=detail_text
            if not country_name or country_code(country_name)
            else "; ".join(p for p in (country_name, detail_text) if p),
        ),
        names,
        None,
    )


def _merge_identifiers(identifiers: list[Identifier]) -> tuple[Identifier, ...]:
    """One identifier per (type, number, country); the same passport restated under a
    French or Spanish label keeps every label and note."""
    merged: dict[tuple[str, str, str | None], Identifier] = {}
    for ident in identifiers:
        key = (ident.type, normalize_identifier(ident.value), ident.country)
        first = merged.get(key)
        if first is None:
            merged[key] = ident
            continue
        merged[key] = Identifier(
            type=first.type,
            value=first.value,
            country=first.country,
            label=" / ".join(unique([first.label, ident.label])) or None,
            note="; ".join(unique(f"{first.note or ''}; {ident.note or ''}".split("; "))) or None,
        )
    return tuple(merged.values())


def _identifiers_in(comments: str) -> list[Identifier]:
    found = []
    for pattern, kind, label in _COMMENT_IDS:
        for match in pattern.finditer(comments):
            found.append(Identifier(type=kind, value=match.group(1), label=label))
    for match in _COMMENT_LABELLED_ID.finditer(comments):
        label, value, country = clean(match.group(1)) or "", match.group(2), match.group(3)
        found.append(
            Identifier(
                type=identifier_type(label),
                value=value,
                country=country_code(country) or country_code(label.split()[0]),
                label=label,
            )
        )
    return found


# -- designation and relations ------------------------------------------------------------


def _designation(el: etree._Element, ref: str, ctx: _Context) -> Designation:
    code = ref[:2] if REFERENCE.fullmatch(ref) else None
    list_type = _text(el, "UN_LIST_TYPE")
    if code is None and list_type:
        code = _LIST_TYPE_CODES.get(list_type.casefold().replace(" ", ""))
    code = code or list_type or "UN"
    info = program_info(CATALOGUE, code)
    if info is None:
        ctx.warnings.append(
            f"{ctx.source}: {ref}: UN regime {code!r} ({list_type}) is not in the {CATALOGUE} "
            "program catalogue"
        )
    listed_on = _text(el, "LISTED_ON")
    return Designation(
        authority=info.authority if info else AUTHORITY,
        program=info.code if info else code,
        program_title=info.title if info else list_type,
        legal_basis=info.legal_basis if info else None,
        listed_on=_iso_day(listed_on),
        source_ref=ref,
        topics=info.topics if info else ("sanction",),
        kind=info.kind if info else "sanction",
    )


def _sentences(text: str) -> list[tuple[int, str]]:
    out, start = [], 0
    for match in re.finditer(r"(?<=[.;])\s+(?=[A-Z“\"(])", text):
        out.append((start, text[start : match.start()]))
        start = match.end()
    out.append((start, text[start:]))
    return out


def _relation_kind(clause: str, previous: RelationKind | None) -> RelationKind:
    """The relation a clause describes; the cue nearest the reference number wins."""
    best: tuple[int, RelationKind] | None = None
    for pattern, kind in _RELATION_CUES:
        for match in pattern.finditer(clause):
            if best is None or match.end() > best[0]:
                best = (match.end(), kind)
    if best is not None:
        return best[1]
    if previous is not None and _LIST_CONTINUATION.match(clause):
        return previous  # "Member of A (QDe.1), B (QDe.2) and C (QDe.3)"
    return RelationKind.LINKED_TO


def _name_before(text: str) -> str | None:
    """The capitalised words that end ``text``: the published name of a referenced entry."""
    text = re.sub(r"(?:\s*\([^()]*\))+\s*$", "", text).rstrip(" ,")
    words: list[str] = []
    for token in reversed(text.split()):
        word = token.strip("\"'“”‘’")
        bare = word.rstrip(",")
        lower = bare.casefold()
        if bare and (
            bare[0].isupper() or lower in _NAME_CONNECTORS or lower.startswith(("al-", "el-"))
        ):
            words.append(word)
            continue
        break
    words.reverse()
    while words and words[0].strip(",").casefold() in _NAME_STOPWORDS | _NAME_CONNECTORS:
        words.pop(0)
    name = " ".join(words).strip(" ,")
    return name or None


def _relations(comments: str, own: str, ctx: _Context) -> tuple[list[Relation], list[str]]:
    """Relations the remarks state, and earlier reference numbers of this same entry."""
    relations: dict[tuple[RelationKind, str], Relation] = {}
    earlier_refs: list[str] = []
    for _, sentence in _sentences(comments):
        previous: RelationKind | None = None
        clause_start = 0
        for match in REFERENCE.finditer(sentence):
            target = match.group(1)
            # The clause runs from the previous mention to the parenthesis holding this one.
            paren = sentence.rfind("(", clause_start, match.start())
            clause = sentence[clause_start : paren if paren >= 0 else match.start()]
            kind = _relation_kind(clause, previous)
            previous = kind
            close = sentence.find(")", match.end())
            clause_start = close + 1 if close >= 0 else match.end()
            if target == own:
                continue
            resolved = target in ctx.captions
            if not resolved and _SAME_ENTRY.search(sentence):
                earlier_refs.append(target)
                continue
            name = ctx.captions.get(target) or _name_before(clause) or target
            key = (kind, target)
            if key not in relations:
                relations[key] = Relation(
                    kind,
                    name,
                    target_id=f"{ctx.dataset}:{target}" if resolved else None,
                    note=sentence if resolved else f"{target} (not in this list): {sentence}",
                )
        # "Associated with <name>" without a reference number: resolve only exact names.
        for match in _ASSOCIATED_NAME.finditer(sentence):
            phrase = clean(match.group(1)) or ""
            target = ctx.name_index.get(phrase.casefold())
            if target and target != own and not any(t == target for _, t in relations):
                kind = _relation_kind(sentence[: match.end()], None)
                relations[(kind, target)] = Relation(
                    kind, ctx.captions[target], target_id=f"{ctx.dataset}:{target}", note=sentence
                )
    return list(relations.values()), earlier_refs
