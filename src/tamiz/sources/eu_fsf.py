"""EU Financial Sanctions File (FSF), XML 1.1.

Root ``export`` (``generationDate``) holding one ``sanctionEntity`` per listed party, each
with ``subjectType`` (person / enterprise), ``regulation`` (the act that listed or last
amended it: type, date of publication and entry into force, ``numberTitle``, ``programme``),
``nameAlias`` (names and name parts, ``function``, ``gender``, ``title``, ``nameLanguage``,
``strong``), ``citizenship``, ``birthdate``, ``identification``, ``address`` and ``remark``.
Most child elements carry a ``regulationSummary`` naming the act that introduced them.

Entity ids are ``DATASET:euReferenceNumber`` (``eu_fsf:EU.27.28``), falling back to the
``logicalId``. Programme codes are described in ``tamiz/data/programs/eu_fsf.csv``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence

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
    Schema,
    SourceFile,
    make_properties,
)
from tamiz.programs import program_info
from tamiz.sources.common import clean, identifier_type, parse_xml, strip_namespaces, unique

AUTHORITY = "European Union"
SUBJECT_TYPES = {"person": Schema.PERSON, "enterprise": Schema.ORGANIZATION}
GENDERS = {"M": "male", "F": "female"}
# identificationTypeCode -> controlled identifier type; other codes go by their description.
ID_CODES = {
    "passport": "passport",
    "id": "national_id",
    "regnumber": "registration",
    "fiscalcode": "tax_id",
    "imo": "imo",
    "swiftbic": "swift_bic",
    "ssn": "ssn",
}
ID_FLAGS = {
    "diplomatic": "diplomatic",
    "knownExpired": "known expired",
    "knownFalse": "known false",
    "reportedLost": "reported lost",
    "revokedByIssuer": "revoked by issuer",
}
CONTACT_PROPS = {"PHONE": "phone", "EMAIL": "email", "WEB": "website", "FAX": "phone"}
# Alias remarks that only grade the alias: they set its kind instead of becoming remarks.
_QUALITY = re.compile(r"^(good|low)\s+quality\s+ali+as\.?$", re.I)
_LOW_QUALITY = re.compile(r"\blow\s+quality\b", re.I)
# Only a remark that opens with it: "formerly known as" inside a company profile is about
# someone else.
_FORMER = re.compile(r"^\s*former(?:ly)?\s+(?:name|known)\b", re.I)
# Scripts whose names must not carry a language of another script (the EU tags some
# Cyrillic names "EN"): language codes that are plausible for each script.
_SCRIPT_LANGS = {
    "cyrillic": frozenset(["ru", "uk", "be", "bg", "sr", "mk", "kk", "ky", "tg", "mn"]),
    "arabic": frozenset(["ar", "fa", "ur", "ps", "ku"]),
}
NO_COUNTRY = {"00", ""}


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    if not files:
        raise ParseError("eu-fsf-xml: no files given")
    entities: dict[str, Entity] = {}
    warnings: list[str] = []
    published: dt.date | None = None
    for file in files:
        root = strip_namespaces(parse_xml(file.data, file.name))
        if root.tag != "export":
            raise ParseError(
                f"{file.name}: root element is <{root.tag}>, expected <export> of the EU "
                "Financial Sanctions File"
            )
        stamp = root.get("generationDate")
        if stamp:
            try:
                date = dt.date.fromisoformat(stamp[:10])
            except ValueError:
                raise ParseError(f"{file.name}: generationDate {stamp!r} is not a date") from None
            published = max(published, date) if published else date
        count = 0
        for element in root.iter("sanctionEntity"):
            count += 1
            entity = _entity(element, dataset, file.name, warnings)
            if entity.id in entities:
                warnings.append(f"{file.name}: {entity.id} appears twice; the first is kept")
                continue
            entities[entity.id] = entity
        if count == 0:
            raise ParseError(f"{file.name}: no sanctionEntity elements; not an FSF export?")
    return ParsedList(tuple(entities.values()), published=published, warnings=tuple(warnings))


def _attr(el: etree._Element, name: str) -> str | None:
    return clean(el.get(name))


def _remarks(el: etree._Element) -> list[str]:
    return [
        text
        for r in el.findall("remark")
        if (text := clean("".join(r.itertext()))) and text.lower() != "none"
    ]


def _country(el: etree._Element) -> str | None:
    code = (el.get("countryIso2Code") or "").strip().upper()
    if code not in NO_COUNTRY:
        return code
    return country_code(_country_name(el))


def _country_name(el: etree._Element) -> str | None:
    name = _attr(el, "countryDescription")
    return None if name is None or name.upper() == "UNKNOWN" else name


def _script(text: str) -> str | None:
    for ch in text:
        if "\u0400" <= ch <= "\u04ff":
            return "cyrillic"
        if "\u0600" <= ch <= "\u06ff" or "\ufb50" <= ch <= "\ufeff":
            return "arabic"
    return None


def _entity(el: etree._Element, dataset: str, source: str, warnings: list[str]) -> Entity:
    native = _attr(el, "euReferenceNumber") or _attr(el, "logicalId")
    if not native:
        raise ParseError(f"{source}: a sanctionEntity has neither euReferenceNumber nor logicalId")
    entity_id = f"{dataset}:{native}"
    subject = el.find("subjectType")
    code = (subject.get("code") if subject is not None else "") or ""
    schema = SUBJECT_TYPES.get(code.strip().lower())
    if schema is None:
        warnings.append(f"{entity_id}: subject type {code!r} is not known; typed Thing")
        schema = Schema.THING

    remarks = _remarks(el)
    if details := _attr(el, "designationDetails"):
        remarks.append(details)
    names, positions, gender = _names(el, entity_id, remarks, warnings)
    birth_dates, birth_places, birth_countries = _birth(el, remarks)
    citizenships = []
    for cit in el.findall("citizenship"):
        citizenships.append(_country(cit) or _country_name(cit))
        remarks.extend(_remarks(cit))
    properties: dict[str, list[str]] = {"birthCountry": birth_countries}
    addresses = _addresses(el, remarks, properties)
    identifiers = _identifiers(el, remarks)
    if un_ref := _attr(el, "unitedNationId"):
        properties["unscId"] = [un_ref]
    return Entity(
        id=entity_id,
        dataset=dataset,
        schema=schema,
        names=names,
        birth_dates=birth_dates,
        birth_places=birth_places,
        citizenships=unique(citizenships),
        gender=gender,
        addresses=addresses,
        identifiers=identifiers,
        positions=positions,
        remarks=unique(remarks),
        designations=_designations(el, entity_id, warnings),
        properties=make_properties(properties),
    )


def _names(
    el: etree._Element, entity_id: str, remarks: list[str], warnings: list[str]
) -> tuple[tuple[Name, ...], tuple[str, ...], str | None]:
    names: list[Name] = []
    positions: list[str] = []
    genders: list[str] = []
    for alias in el.findall("nameAlias"):
        parts = [_attr(alias, p) for p in ("firstName", "middleName", "lastName")]
        full = _attr(alias, "wholeName") or " ".join(p for p in parts if p)
        if not full:
            continue
        alias_remarks = _remarks(alias)
        kind = NameKind.AKA
        if (alias.get("strong") or "true").strip().lower() == "false" or any(
            _LOW_QUALITY.search(r) for r in alias_remarks
        ):
            kind = NameKind.WEAK
        elif any(_FORMER.match(r) for r in alias_remarks):
            kind = NameKind.FORMER
        remarks.extend(r for r in alias_remarks if not _QUALITY.match(r))
        lang = (_attr(alias, "nameLanguage") or "").lower() or None
        script = _script(full)
        if lang and script and lang not in _SCRIPT_LANGS[script]:
            warnings.append(
                f"{entity_id}: name {full!r} is written in {script} script but tagged "
                f"language {lang!r}; language dropped"
            )
            lang = None
        names.append(
            Name(
                full=full,
                kind=kind,
                lang=lang,
                first_name=parts[0],
                middle_name=parts[1],
                last_name=parts[2],
                title=_attr(alias, "title"),
            )
        )
        if function := _attr(alias, "function"):
            positions.append(function)
        if gender := GENDERS.get((alias.get("gender") or "").strip().upper()):
            genders.append(gender)
    if not names:
        raise ParseError(f"{entity_id}: sanctionEntity has no nameAlias with a name")
    # The FSF marks no primary name: take the first good alias in the file's own language
    # (untagged or English), else the first good alias.
    good = [i for i, n in enumerate(names) if n.kind is NameKind.AKA]
    latin = [i for i in good if names[i].lang in (None, "en") and _script(names[i].full) is None]
    chosen = (latin or good or [0])[0]
    names[chosen] = Name(**{**_fields(names[chosen]), "kind": NameKind.PRIMARY})
    ordered = [names[chosen], *(n for i, n in enumerate(names) if i != chosen)]
    return tuple(dict.fromkeys(ordered)), unique(positions), genders[0] if genders else None


def _fields(name: Name) -> dict:
    return {f: getattr(name, f) for f in name.__slots__}


def _birth(
    el: etree._Element, remarks: list[str]
) -> tuple[tuple[DateValue, ...], tuple[str, ...], list[str]]:
    dates: list[DateValue] = []
    places: list[str | None] = []
    countries: list[str | None] = []
    for bd in el.findall("birthdate"):
        if (date := _birth_date(bd)) is not None:
            dates.append(date)
        place = ", ".join(
            unique([_attr(bd, "place"), _attr(bd, "city"), _attr(bd, "region"), _country_name(bd)])
        )
        places.append(place or None)
        countries.append((_country(bd) or "").lower() or None)
        remarks.extend(_remarks(bd))
    return tuple(dict.fromkeys(dates)), unique(places), list(unique(countries))


def _int(el: etree._Element, name: str) -> int | None:
    value = _attr(el, name)
    return int(value) if value and value.isdigit() else None


def _birth_date(bd: etree._Element) -> DateValue | None:
    circa = (bd.get("circa") or "").strip().lower() == "true"
    calendar = (_attr(bd, "calendarType") or "GREGORIAN").upper()
    year, month, day = _int(bd, "year"), _int(bd, "monthOfYear"), _int(bd, "dayOfMonth")
    full = _attr(bd, "birthdate")
    if calendar != "GREGORIAN":
        # Kept as stated; the FSF's own Gregorian equivalent, where it gives one, is the value.
        parts = (year, month, day)
        stated = "-".join(f"{v:02d}" if i else str(v) for i, v in enumerate(parts) if v)
        if not stated:
            return None
        text = f"{stated} ({calendar.lower()} calendar)"
        return DateValue(full, circa=circa, text=text)
    if full:
        return DateValue(full, circa=circa)
    if year:
        value = f"{year:04d}" + (f"-{month:02d}" if month else "")
        value += f"-{day:02d}" if month and day else ""
        return DateValue(value, circa=circa)
    start, end = _attr(bd, "yearRangeFrom"), _attr(bd, "yearRangeTo")
    if start or end:
        text = f"{start or '?'} to {end or '?'}"
        return DateValue(start or end, end=end if start else None, circa=circa, text=text)
    if month or day:  # a day and month without a year: nothing to match on, keep the words
        return DateValue(None, circa=circa, text=f"day {day or '?'}, month {month or '?'}")
    return None


def _addresses(
    el: etree._Element, remarks: list[str], properties: dict[str, list[str]]
) -> tuple[Address, ...]:
    out = []
    for addr in el.findall("address"):
        street = _attr(addr, "street")
        if box := _attr(addr, "poBox"):
            street = ", ".join(unique([street, f"P.O. Box {box}"]))
        place = _attr(addr, "place")
        notes = _remarks(addr)
        if place:
            notes.insert(0, place)
        if (addr.get("asAtListingTime") or "").strip().lower() == "true":
            notes.append("as at listing time")
        for contact in addr.findall("contactInfo"):
            key, value = (contact.get("key") or "").strip().upper(), clean(contact.get("value"))
            if not value:
                continue
            if key in CONTACT_PROPS:
                properties.setdefault(CONTACT_PROPS[key], []).append(value)
            else:
                remarks.append(f"{key.title()}: {value}")
        city, zip_code, region = _attr(addr, "city"), _attr(addr, "zipCode"), _attr(addr, "region")
        country_name = _country_name(addr)
        full = ", ".join(unique([street, place, city, zip_code, region, country_name]))
        if not full:
            remarks.extend(notes)
            continue
        out.append(
            Address(
                full=full,
                street=street,
                city=city,
                region=region,
                postal_code=zip_code,
                country=_country(addr),
                country_name=country_name,
                note="; ".join(notes) or None,
            )
        )
    return tuple(dict.fromkeys(out))


def _identifiers(el: etree._Element, remarks: list[str]) -> tuple[Identifier, ...]:
    out = []
    for doc in el.findall("identification"):
        number = _attr(doc, "number")
        notes = _remarks(doc)
        if not number or number.strip("-") == "":
            remarks.extend(notes)  # "-" is the FSF's way of saying there is no number
            continue
        code = (_attr(doc, "identificationTypeCode") or "").lower()
        label = _attr(doc, "identificationTypeDescription") or code or None
        kind = ID_CODES.get(code) or identifier_type(label or "")
        flags = [text for attr, text in ID_FLAGS.items() if doc.get(attr) == "true"]
        extra = [
            f"issued by {v}" if (v := _attr(doc, "issuedBy")) else None,
            f"issued {v}" if (v := _attr(doc, "issueDate")) else None,
            f"valid to {v}" if (v := _attr(doc, "validTo")) else None,
            f"name on document: {v}" if (v := _attr(doc, "nameOnDocument")) else None,
            f"latin number: {v}" if (v := _attr(doc, "latinNumber")) else None,
            f"region: {v}" if (v := _attr(doc, "region")) else None,
        ]
        note = "; ".join(unique([*flags, *extra, *notes]))
        out.append(
            Identifier(
                type=kind,
                value=number,
                country=_country(doc),
                label=label,
                note=note or None,
            )
        )
    return tuple(dict.fromkeys(out))


def _acts(el: etree._Element) -> list[etree._Element]:
    """The sanctionEntity's regulation elements and every regulationSummary below it."""
    return [*el.findall("regulation"), *el.iter("regulationSummary")]


def _designations(
    el: etree._Element, entity_id: str, warnings: list[str]
) -> tuple[Designation, ...]:
    stated = _attr(el, "designationDate")
    # Without a designation date the earliest act that mentions the entity is when it was
    # listed (for early entries the act entered into force before it was published).
    act_dates = sorted(
        d
        for act in _acts(el)
        for d in (_attr(act, "publicationDate"), _attr(act, "entryIntoForceDate"))
        if d
    )
    listed_on = stated or (act_dates[0] if act_dates else None)
    out = []
    for reg in el.findall("regulation"):
        programme = _attr(reg, "programme") or "EU"
        info = program_info("eu_fsf", programme)
        if info is None:
            warnings.append(f"{entity_id}: EU programme {programme!r} is not in the catalogue")
        url = clean("".join(reg.findtext("publicationUrl") or ""))
        out.append(
            Designation(
                authority=info.authority if info else AUTHORITY,
                program=programme,
                program_title=info.title if info else None,
                legal_basis=_attr(reg, "numberTitle") or (info.legal_basis if info else None),
                listed_on=listed_on,
                source_ref=url,
                topics=info.topics if info else ("sanction",),
                kind=info.kind if info else "sanction",
            )
        )
    if not out:
        warnings.append(f"{entity_id}: no regulation element; listed without a programme")
        out.append(Designation(authority=AUTHORITY, program="EU", listed_on=listed_on))
    return tuple(dict.fromkeys(out))
