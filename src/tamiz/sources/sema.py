"""Canada's Consolidated Special Economic Measures Act Sanctions List, XML (``sema-xml``).

Published by Global Affairs Canada as ``sema-lmes.xml``: a ``data-set`` root with one
``record`` per listing. Fields seen in the 2020 file: ``Country`` (really the sanctions
regime, bilingual: "Burma / Birmanie", or "Justice for Victims of Corrupt Foreign Officials
Regulations (JVCFOR) / ..."), ``LastName``, ``GivenName``, ``Entity``, ``Title``, ``Aliases``
(comma-separated), ``DateOfBirth``, ``Schedule`` and ``Item``. Later editions of the list
rename some fields (``EntityOrShip``, ``TitleOrShip``, ``DateOfBirthOrShipBuildDate``) and add
``ShipIMONumber`` and ``DateOfListing``; those are read too (from the published field names,
no such file is in our test data).

Ids: the list has none, so each record is identified by what the regulations themselves use
to cite it: regime, schedule and item number ("Venezuela regulations, item 1"). Canada adds
new listings as new items and repeals old ones without renumbering the rest, so
``VENEZUELA-1`` or ``RUSSIA-S1P2-5`` stay stable across editions, while a name-based id
would change with every spelling correction.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from lxml import etree

from tamiz.model import (
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
from tamiz.sources.common import (
    clean,
    is_patronymic,
    looks_like_company,
    parse_date,
    parse_xml,
    strip_namespaces,
    text_of,
    unique,
)

CATALOGUE = "ca_sema"
AUTHORITY = "Global Affairs Canada"
ROOT_TAG = "data-set"
RECORD_TAG = "record"

# Field names of the 2020 edition and their later renamings.
_FIELDS = {
    "Country": "regime",
    "LastName": "last_name",
    "GivenName": "given_name",
    "Entity": "entity",
    "EntityOrShip": "entity",
    "Title": "title",
    "TitleOrShip": "title",
    "Aliases": "aliases",
    "DateOfBirth": "birth_date",
    "DateOfBirthOrShipBuildDate": "birth_date",
    "ShipIMONumber": "imo",
    "Schedule": "schedule",
    "Item": "item",
    "DateOfListing": "listed_on",
}
_NO_SCHEDULE = {"", "n/a", "na", "-"}
_SCHEDULE = re.compile(r"^(\d+)(?:\s*,?\s*Part\s*(\d+))?$", re.I)
_ABBREVIATION_AT_END = re.compile(r"\(([A-Z]{2,12})\)\s*$")
# A comma-separated fragment that is only a legal form belongs to the name before it:
# "Kingly Won International Co., Ltd" is one alias, not two.
_LEGAL_FORM_ONLY = re.compile(
    r"^(?:ltd|limited|inc|co|corp|llc|llp|plc|jsc|pjsc|ojsc|cjsc|pjs|ooo|tov|ag|gmbh|pte"
    r"|s\.?a|s\.?a\.?r\.?l|b\.?v|n\.?v|co\.?\s*ltd)\.?$",
    re.I,
)
_DATE_ALTERNATIVES = re.compile(r"\s+(?:or|ou)\s+|\s*;\s*", re.I)


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    """Parse one Canada SEMA consolidated list XML file."""
    if len(files) != 1:
        names = ", ".join(f.name for f in files) or "none"
        raise ParseError(f"sema-xml expects exactly one XML file, got {len(files)} ({names})")
    source = files[0]
    root = strip_namespaces(parse_xml(source.data, source.name))
    if root.tag != ROOT_TAG:
        raise ParseError(
            f"{source.name}: not a Canada SEMA consolidated list: root element is "
            f"<{root.tag}>, expected <{ROOT_TAG}>"
        )
    records = root.findall(RECORD_TAG)
    if not records:
        raise ParseError(f"{source.name}: SEMA list without any <{RECORD_TAG}> element")

    warnings: list[str] = []
    unknown = sorted({child.tag for r in records for child in r if child.tag not in _FIELDS})
    if unknown:
        warnings.append(
            f"{source.name}: fields not understood, kept as properties: {', '.join(unknown)}"
        )
    entities: list[Entity] = []
    seen: dict[str, int] = {}
    for record in records:
        entity = _entity(record, dataset, source.name, seen, warnings)
        if entity is not None:
            entities.append(entity)
    return ParsedList(entities=tuple(entities), published=None, warnings=tuple(warnings))


def _fields(record: etree._Element) -> tuple[dict[str, str], dict[str, list[str]]]:
    known: dict[str, str] = {}
    other: dict[str, list[str]] = {}
    for child in record:
        value = text_of(child)
        if not value:
            continue
        key = _FIELDS.get(child.tag)
        if key is None:
            other.setdefault(child.tag, []).append(value)
        else:
            known[key] = value
    return known, other


def english(text: str) -> str:
    """The English half of a bilingual "English/Français" or "English / Français" value."""
    return _split_bilingual(text)[0]


def _split_bilingual(text: str) -> list[str]:
    """Split on "/" outside parentheses: "Iranian Army/Armée iranienne" -> both halves.

    "MEC Steel Mills (Hmaw Bi/Pyi/Ywama)" stays whole: its slashes are inside brackets.
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "/" and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    cleaned = [clean(p) for p in parts]
    if len(cleaned) > 1 and all(p and len(p) > 1 for p in cleaned):
        return [p for p in cleaned if p]
    return [clean(text) or text]


def program_code(regime: str) -> str:
    """Catalogue code for a published regime label.

    "Burma / Birmanie" -> ``BURMA``; "South Sudan / Soudan du sud" -> ``SOUTH_SUDAN``;
    "Justice for Victims ... Regulations (JVCFOR) / ..." -> ``JVCFOR``.
    """
    label = (clean(regime) or "").split(" / ", 1)[0].strip()
    if abbreviation := _ABBREVIATION_AT_END.search(label):
        return abbreviation.group(1)
    return re.sub(r"[^A-Z0-9]+", "_", label.upper()).strip("_") or "UNKNOWN"


def _schedule_code(schedule: str | None) -> str | None:
    if not schedule or schedule.casefold() in _NO_SCHEDULE:
        return None
    if match := _SCHEDULE.match(schedule):
        return f"S{match.group(1)}" + (f"P{match.group(2)}" if match.group(2) else "")
    return "S" + re.sub(r"[^A-Za-z0-9]+", "", schedule)


def native_id(regime: str, schedule: str | None, item: str) -> str:
    """``VENEZUELA-1``, ``BURMA-S2-17``, ``RUSSIA-S1P2-5``: regime, schedule, item."""
    parts = [program_code(regime), _schedule_code(schedule), re.sub(r"\s+", "", item)]
    return "-".join(p for p in parts if p)


# -- one record ---------------------------------------------------------------------------


def _entity(
    record: etree._Element,
    dataset: str,
    source: str,
    seen: dict[str, int],
    warnings: list[str],
) -> Entity | None:
    fields, other = _fields(record)
    line = getattr(record, "sourceline", "?")
    regime = fields.get("regime")
    item = fields.get("item")
    if not regime or not item:
        warnings.append(f"{source}: record at line {line} has no Country or Item; skipped")
        return None
    native = native_id(regime, fields.get("schedule"), item)
    if native in seen:
        seen[native] += 1
        warnings.append(f"{source}: record at line {line} repeats id {native}; kept as #2+")
        native = f"{native}#{seen[native]}"
    else:
        seen[native] = 1

    last, given = fields.get("last_name"), fields.get("given_name")
    is_person = bool(last or given)
    is_vessel = bool(fields.get("imo")) and not is_person
    title = english(fields["title"]) if fields.get("title") else None
    properties: dict[str, list[str]] = {k: v for k, v in other.items()}

    if is_person:
        names = [_person_name(given, last, title)]
        names += _person_aliases(fields.get("aliases"), given, last)
        schema = Schema.PERSON
    else:
        published = fields.get("entity")
        if not published:
            warnings.append(f"{source}: record {native} (line {line}) has no name; skipped")
            return None
        halves = _split_bilingual(published)
        names = [Name(halves[0])]
        names += [Name(h, NameKind.AKA, lang="fra") for h in halves[1:]]
        names += _entity_aliases(fields.get("aliases"))
        if title and is_vessel:
            properties["type"] = [title]
        schema = (
            Schema.VESSEL
            if is_vessel
            else Schema.COMPANY
            if looks_like_company(halves[0])
            else Schema.ORGANIZATION
        )

    birth_dates: tuple[DateValue, ...] = ()
    if fields.get("birth_date"):
        dates = [parse_date(d) for d in _DATE_ALTERNATIVES.split(fields["birth_date"])]
        if schema is Schema.VESSEL:
            properties["buildDate"] = [d.value or d.text or "" for d in dates if d]
        else:
            birth_dates = tuple(dict.fromkeys(d for d in dates if d is not None))
    identifiers = ()
    if fields.get("imo"):
        imo = re.sub(r"(?i)^imo\s*", "", fields["imo"])
        identifiers = (Identifier(type="imo", value=imo, label="IMO number"),)

    return Entity(
        id=f"{dataset}:{native}",
        dataset=dataset,
        schema=schema,
        names=_unique_names(names),
        birth_dates=birth_dates,
        identifiers=identifiers,
        designations=(_designation(regime, fields, native, warnings, source),),
        properties=make_properties(properties),
    )


def _designation(
    regime: str, fields: dict[str, str], native: str, warnings: list[str], source: str
) -> Designation:
    code = program_code(regime)
    info = program_info(CATALOGUE, code)
    if info is None:
        warnings.append(
            f"{source}: {native}: regime {regime!r} is not in the {CATALOGUE} catalogue"
        )
    schedule = fields.get("schedule")
    where = [english(regime)]
    if schedule and schedule.casefold() not in _NO_SCHEDULE:
        where.append(f"Schedule {schedule}")
    where.append(f"item {fields['item']}")
    listed_on = parse_date(fields.get("listed_on"))
    return Designation(
        authority=info.authority if info else AUTHORITY,
        program=info.code if info else code,
        program_title=info.title if info else english(regime),
        legal_basis=info.legal_basis if info else "Special Economic Measures Act",
        listed_on=listed_on.value if listed_on and listed_on.value else None,
        source_ref=", ".join(where),
        topics=info.topics if info else ("sanction",),
        kind=info.kind if info else "sanction",
    )


# -- names --------------------------------------------------------------------------------


def _person_name(given: str | None, last: str | None, title: str | None) -> Name:
    tokens = (given or "").split()
    father = tokens[-1] if len(tokens) > 1 and is_patronymic(tokens[-1]) else None
    if father:
        tokens = tokens[:-1]
    return Name(
        " ".join(p for p in (given, last) if p),
        first_name=tokens[0] if tokens else None,
        middle_name=" ".join(tokens[1:]) or None,
        last_name=last,
        father_name=father,
        title=title,
    )


def split_aliases(text: str | None) -> list[str]:
    """Split the comma-separated ``Aliases`` field.

    Commas also occur inside company names ("Kingly Won International Co., Ltd"): a piece
    that is only a legal form is glued back to the name before it. Parentheses around a
    whole alias ("(Rosselkhozbank)") are dropped, and bilingual "English/Français" aliases
    become two.
    """
    if not text:
        return []
    pieces: list[str] = []
    depth = 0
    current = ""
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if ch == "," and depth <= 0:
            pieces.append(current)
            current = ""
        else:
            current += ch
    pieces.append(current)
    joined: list[str] = []
    for piece in (clean(p) for p in pieces):
        if not piece:
            continue
        if joined and _LEGAL_FORM_ONLY.match(piece):
            joined[-1] = f"{joined[-1]}, {piece}"
        else:
            joined.append(piece)
    out = []
    for alias in joined:
        if alias.startswith("(") and alias.endswith(")") and alias.count("(") == 1:
            alias = alias[1:-1].strip()
        out.extend(_split_bilingual(alias))
    return list(unique(out))


def _is_upper(word: str) -> bool:
    letters = [ch for ch in word if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def _similar(a: str, b: str) -> bool:
    """Two spellings of one given name: "Andrey"/"Andrei", "Aleksei"/"Alexey"."""
    a, b = a.casefold(), b.casefold()
    ratio = difflib.SequenceMatcher(None, a, b).ratio()
    return ratio >= 0.7 or (ratio >= 0.6 and a[:2] == b[:2])


def _person_aliases(text: str | None, given: str | None, last: str | None) -> list[Name]:
    """Aliases of a person. Canada often lists only the part of the name that varies:
    for "AKIMOV, Andrey Igorevich" the alias "Andrei" means "Andrei Igorevich AKIMOV", and for
    "PASHCHENKO, Natalya Aleksandrovna" the alias "PASHENKO" is a surname spelling. Those
    are completed into full names (the published fragment stays in the note); anything else
    (noms de guerre such as "Motorola", full alternative names) is kept as published.
    A lone one-word alias is a weak alias: on its own it matches far too much.
    """
    given_tokens = (given or "").split()
    # Only lists that write the surname in capitals ("AKIMOV, Andrey Igorevich") publish
    # name fragments; elsewhere an alias is a whole name.
    fragments = bool(last and given_tokens) and _is_upper(last or "")
    spellings = given_tokens[:1]  # first given name and its accepted variants
    names = []
    for alias in split_aliases(text):
        tokens = alias.split()
        if fragments and all(_is_upper(t) for t in tokens) and len(tokens) <= 2:
            names.append(
                Name(
                    f"{given} {alias}",
                    NameKind.AKA,
                    first_name=given_tokens[0],
                    last_name=alias,
                    note=f"surname spelling {alias!r}",
                )
            )
            continue
        if (
            fragments
            and not any(_is_upper(t) for t in tokens)
            and len(tokens) <= len(given_tokens)
            and any(_similar(tokens[0], known) for known in spellings)
        ):
            spellings.append(tokens[0])
            full_given = tokens + given_tokens[len(tokens) :]
            names.append(
                Name(
                    f"{' '.join(full_given)} {last}",
                    NameKind.AKA,
                    first_name=full_given[0],
                    last_name=last,
                    note=f"given-name spelling {alias!r}",
                )
            )
            continue
        names.append(Name(alias, NameKind.WEAK if len(tokens) == 1 else NameKind.AKA))
    return names


def _entity_aliases(text: str | None) -> list[Name]:
    return [Name(alias, NameKind.AKA) for alias in split_aliases(text)]


def _unique_names(names: list[Name]) -> tuple[Name, ...]:
    out, seen = [], set()
    for name in names:
        key = name.full.casefold()
        if key not in seen:
            seen.add(key)
            out.append(name)
    return tuple(out)
