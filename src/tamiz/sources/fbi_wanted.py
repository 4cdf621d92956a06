"""FBI Wanted API list pages (``https://api.fbi.gov/wanted/v1/list``), JSON.

A page is ``{"total", "page", "items": [...]}``; each item is one poster with ``uid``,
``title``, ``aliases``, ``dates_of_birth_used`` ("May 5, 1970"), ``nationality``, ``sex``,
``place_of_birth``, ``subjects``, ``description`` (the charges), ``reward_text``,
``caution``/``remarks``/``details`` (HTML), ``warning_message``, ``poster_classification``,
``person_classification``, ``publication``, ``modified``, ``url``. Input may be several page
files, or one file holding a JSON array of pages (or of items); items are de-duplicated by
``uid``, the most recently modified copy winning.

Only posters of **wanted persons** become entities. The list also carries posters about
missing persons, unidentified bodies and victims, requests for information and case
posters about a group or an unknown suspect: a screening hit on a victim or a missing
person would be wrong and harmful, so those are left out (and counted in the warnings). A
poster is a wanted person when none of these says otherwise: its ``person_classification``
(``Victim``), its ``poster_classification`` (``missing``, ``information``), the kind of its
subjects in ``tamiz/data/programs/us_fbi.csv`` (only ``wanted`` counts), a placeholder
title ("Unknown suspect", "John/Jane Doe"), or the absence of any personal description (a
case poster such as "GRU hacking to undermine anti-doping efforts").

Designations are of kind ``wanted`` with FtM topic ``wanted`` (never ``sanction``),
authority US Federal Bureau of Investigation, one per subject, listed on the poster's
publication date.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Sequence
from typing import Any

from tamiz.countries import country_code
from tamiz.model import (
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
from tamiz.programs import ProgramInfo, program_info
from tamiz.sources.common import clean, decode_text, parse_date, unique

AUTHORITY = "US Federal Bureau of Investigation"
NOT_WANTED_POSTERS = {"missing", "information"}
DESCRIPTORS = ("sex", "dates_of_birth_used", "nationality", "race", "hair", "eyes")
_PLACEHOLDER = re.compile(r"^(?:unknown\b|unidentified\b|(?:john|jane|baby) doe\b)", re.I)
_TAG = re.compile(r"<[^>]+>")
# A nickname printed in quotes ("El Mono") or a single word ("Lexa"): too weak to match on
# its own, so it is a weak alias.
_QUOTES = "\"'“”‘’«»"


def parse(files: Sequence[SourceFile], dataset: str) -> ParsedList:
    if not files:
        raise ParseError("fbi-wanted-json: no files given")
    items: dict[str, dict[str, Any]] = {}
    for file in files:
        for item in _items(file):
            uid = item["uid"]
            known = items.get(uid)
            if known is None or str(item.get("modified") or "") > str(known.get("modified") or ""):
                items[uid] = item
    entities = []
    skipped: dict[str, list[str]] = {}
    warnings: list[str] = []
    for item in items.values():
        reason = _not_wanted(item)
        if reason:
            skipped.setdefault(reason, []).append(clean(item.get("title")) or item["uid"])
            continue
        entities.append(_entity(item, dataset, warnings))
    for reason, titles in sorted(skipped.items()):
        warnings.append(f"{len(titles)} posters left out ({reason}): {'; '.join(titles)}")
    modified = [str(i.get("modified") or "")[:10] for i in items.values() if i.get("modified")]
    published = None
    if modified:
        try:  # pages state no date of their own; the latest change to any poster stands in
            published = dt.date.fromisoformat(max(modified))
        except ValueError:
            published = None
    return ParsedList(tuple(entities), published=published, warnings=tuple(warnings))


def _items(file: SourceFile) -> list[dict[str, Any]]:
    text = decode_text(file.data, file.name)
    if not text.strip():
        raise ParseError(f"{file.name}: empty file, expected an FBI Wanted API page (JSON)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(
            f"{file.name}: not valid JSON ({exc.msg} at line {exc.lineno}); truncated?"
        ) from None
    pages = data if isinstance(data, list) else [data]
    out: list[dict[str, Any]] = []
    for page in pages:
        if isinstance(page, dict) and isinstance(page.get("items"), list):
            out.extend(page["items"])
        elif isinstance(page, dict) and "uid" in page:
            out.append(page)  # an array of items rather than of pages
        else:
            raise ParseError(
                f"{file.name}: not an FBI Wanted API list page (expected an object with "
                "'items', or an array of them)"
            )
    for number, item in enumerate(out, 1):
        if not (isinstance(item, dict) and isinstance(item.get("uid"), str) and item["uid"]):
            raise ParseError(f"{file.name}: item {number} has no 'uid'")
    return out


def _subjects(item: dict[str, Any]) -> list[str]:
    return list(unique(clean(s) for s in item.get("subjects") or () if isinstance(s, str)))


def _info(subject: str) -> ProgramInfo | None:
    return program_info("us_fbi", subject)


def _not_wanted(item: dict[str, Any]) -> str | None:
    """Why a poster is not about a wanted person, or None when it is."""
    if (clean(item.get("person_classification")) or "").lower() == "victim":
        return "victims"
    poster = (clean(item.get("poster_classification")) or "").lower()
    if poster in NOT_WANTED_POSTERS:
        return f"poster classification {poster}"
    kinds = {info.kind for s in _subjects(item) if (info := _info(s))}
    if kinds and "wanted" not in kinds:
        return f"subjects of kind {'/'.join(sorted(kinds))}"
    title = clean(item.get("title")) or ""
    if not title or _PLACEHOLDER.match(title):
        return "no name"
    if not any(item.get(field) for field in DESCRIPTORS):
        return "case posters without a described person"
    return None


def _text(value: Any) -> str | None:
    """Plain text of an HTML fragment from the API."""
    if not isinstance(value, str):
        return None
    return clean(html.unescape(_TAG.sub(" ", value)))


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _entity(item: dict[str, Any], dataset: str, warnings: list[str]) -> Entity:
    uid = item["uid"]
    title = clean(item.get("title")) or uid
    names = [Name(title, NameKind.PRIMARY)]
    for alias in _strings(item.get("aliases")):
        bare = clean(alias.strip().strip(_QUOTES))
        if not bare or bare == title:
            continue
        nickname = alias.strip()[:1] in _QUOTES or " " not in bare
        names.append(Name(bare, NameKind.WEAK if nickname else NameKind.AKA))
    birth_dates = [
        d for text in _strings(item.get("dates_of_birth_used")) if (d := parse_date(text, False))
    ]
    nationalities = [
        country_code(n) or n for n in (clean(v) for v in _strings(item.get("nationality"))) if n
    ]
    sex = (clean(item.get("sex")) or "").lower()
    remarks = [
        _text(item.get(field))
        for field in (
            "description",
            "reward_text",
            "warning_message",
            "caution",
            "remarks",
            "details",
            "scars_and_marks",
            "additional_information",
        )
    ]
    offices = [clean(o) for o in _strings(item.get("field_offices"))]
    if any(offices):
        remarks.append(f"FBI field office: {', '.join(o for o in offices if o)}")
    if ncic := clean(item.get("ncic")):
        remarks.append(f"NCIC: {ncic}")
    published = (clean(item.get("publication")) or "")[:10] or None
    url = clean(item.get("url"))
    designations = []
    for subject in _subjects(item) or [clean(item.get("poster_classification")) or "wanted"]:
        info = _info(subject)
        if info is None:
            warnings.append(f"{dataset}:{uid}: subject {subject!r} is not in the us_fbi catalogue")
        elif info.kind != "wanted":
            continue  # e.g. "Seeking Information" beside "Ten Most Wanted Fugitives"
        designations.append(
            Designation(
                authority=info.authority if info else AUTHORITY,
                program=subject,
                program_title=info.title if info else None,
                listed_on=published,
                source_ref=url,
                topics=info.topics if info else ("wanted",),
                kind="wanted",
            )
        )
    properties = {
        "sourceUrl": [url] if url else [],
        "hairColor": [clean(item.get("hair_raw")) or clean(item.get("hair"))],
        "eyeColor": [clean(item.get("eyes_raw")) or clean(item.get("eyes"))],
        "ethnicity": [clean(item.get("race_raw")) or clean(item.get("race"))],
        "spokenLanguage": [clean(v) for v in _strings(item.get("languages"))],
        "modifiedAt": [(clean(item.get("modified")) or "")[:10]],
    }
    return Entity(
        id=f"{dataset}:{uid}",
        dataset=dataset,
        schema=Schema.PERSON,
        names=tuple(dict.fromkeys(names)),
        birth_dates=tuple(dict.fromkeys(birth_dates)),
        birth_places=unique([clean(item.get("place_of_birth"))]),
        nationalities=unique(nationalities),
        countries=unique(
            country_code(c) or c
            for c in (clean(v) for v in _strings(item.get("possible_countries")))
            if c
        ),
        gender=sex if sex in ("male", "female") else None,
        positions=unique(clean(o) for o in _strings(item.get("occupations"))),
        remarks=unique(remarks),
        designations=tuple(dict.fromkeys(designations)),
        properties=make_properties(properties),
    )
