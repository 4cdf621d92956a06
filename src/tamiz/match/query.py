"""What is screened: a :class:`Query`, validated and normalised when it is built."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from tamiz.countries import country_code
from tamiz.index.normalize import MAX_NAME_CHARS, Token, clean_text, tokenize
from tamiz.model import Entity, Schema

MAX_NAMES = 50
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")
_ID_CHARS = re.compile(r"[^0-9A-Z]+")
_GENDERS = {"male": "male", "m": "male", "female": "female", "f": "female"}


class QueryError(ValueError):
    """A query that cannot be screened; the message is one line saying why."""


def normalize_identifier_value(value: str) -> str:
    """Upper-case letters and digits only: ``"A 123-456"`` -> ``"A123456"``."""
    return _ID_CHARS.sub("", value.upper())


def parse_schema(value: Schema | str | None) -> Schema | None:
    if value is None or isinstance(value, Schema):
        return value
    text = str(value).strip()
    if not text:
        return None
    for schema in Schema:
        if schema.value.lower() == text.lower() or schema.name.lower() == text.lower():
            return schema
    known = ", ".join(s.value for s in Schema)
    raise QueryError(f"unknown schema {text!r}; use one of: {known}")


def check_date(value: str) -> str:
    text = str(value).strip()
    m = _DATE.match(text)
    if not m:
        raise QueryError(f"birth date {value!r} is not YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = m.groups()
    try:
        if day:
            dt.date(int(year), int(month), int(day))
        elif month and not 1 <= int(month) <= 12:
            raise ValueError
    except ValueError:
        raise QueryError(f"birth date {value!r} is not a valid calendar date") from None
    return text


def prepare_name(name: str) -> tuple[str, tuple[Token, ...]]:
    """Validate one query name; returns the cleaned text and its tokens.

    Control characters are turned into spaces (a documented normalisation); names longer
    than MAX_NAME_CHARS are rejected rather than truncated, so that nothing is screened
    silently on half a name.
    """
    if not isinstance(name, str):
        raise QueryError(f"a name must be text, not {type(name).__name__}")
    if len(name) > MAX_NAME_CHARS:
        raise QueryError(f"name is {len(name):,} characters long; the limit is {MAX_NAME_CHARS:,}")
    text = clean_text(name)
    if not text:
        raise QueryError("name is empty")
    tokens = tokenize(text)
    if not tokens:
        raise QueryError(f"name {text[:60]!r} has no letters or digits to match on")
    return text, tokens


@dataclass(frozen=True)
class Query:
    """A party to screen. Validated on construction (raises :class:`QueryError`).

    ``names``: one or more names of the same party (aliases). ``birth_dates``: ISO prefixes.
    ``countries``: ISO alpha-2 codes or country names/demonyms (normalised to codes).
    ``identifiers``: raw values (passport, IMO, BIC, wallet...), compared case- and
    punctuation-insensitively. ``gender``: ``male``/``female``.
    """

    names: tuple[str, ...]
    schema: Schema | None = None
    birth_dates: tuple[str, ...] = ()
    countries: tuple[str, ...] = ()
    identifiers: tuple[str, ...] = ()
    gender: str | None = None
    prepared: tuple[tuple[str, tuple[Token, ...]], ...] = field(
        default=(), init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        names = self.names
        if isinstance(names, str):
            names = (names,)
        names = tuple(n for n in (names or ()) if not (isinstance(n, str) and not n.strip()))
        if not names:
            raise QueryError("a query needs at least one non-empty name")
        if len(names) > MAX_NAMES:
            raise QueryError(f"a query has {len(names)} names; the limit is {MAX_NAMES}")
        prepared = tuple(prepare_name(n) for n in names)
        object.__setattr__(self, "names", tuple(text for text, _ in prepared))
        object.__setattr__(self, "prepared", prepared)
        object.__setattr__(self, "schema", parse_schema(self.schema))
        object.__setattr__(
            self, "birth_dates", _tuple(check_date(d) for d in _seq(self.birth_dates))
        )
        codes = []
        for c in _seq(self.countries):
            code = country_code(str(c))
            if code is None:
                raise QueryError(f"unknown country {c!r}; give an ISO 3166 code or English name")
            codes.append(code)
        object.__setattr__(self, "countries", _tuple(codes))
        ids = _tuple(normalize_identifier_value(str(v)) for v in _seq(self.identifiers))
        object.__setattr__(self, "identifiers", tuple(i for i in ids if len(i) >= 4))
        if self.gender is not None:
            g = _GENDERS.get(str(self.gender).strip().lower())
            if str(self.gender).strip() == "":
                g = None
            elif g is None:
                raise QueryError(f"unknown gender {self.gender!r}; use male or female")
            object.__setattr__(self, "gender", g)

    @classmethod
    def from_entity(cls, entity: Entity) -> Query:
        """The query that describes a list entity (to compare two records)."""
        names = tuple(dict.fromkeys(n.full for n in entity.names if n.full and n.full.strip()))
        dates = tuple(d.value for d in entity.birth_dates if d.value and _DATE.match(d.value))
        countries = tuple(
            c
            for c in dict.fromkeys((*entity.nationalities, *entity.citizenships, *entity.countries))
            if c and len(c) == 2 and c.isalpha()
        )
        return cls(
            names=names,
            schema=entity.schema,
            birth_dates=dates,
            countries=countries,
            identifiers=tuple(i.value for i in entity.identifiers),
            gender=entity.gender,
        )

    def to_dict(self) -> dict:
        out: dict = {"names": list(self.names)}
        if self.schema:
            out["schema"] = self.schema.value
        for key in ("birth_dates", "countries", "identifiers"):
            if getattr(self, key):
                out[key] = list(getattr(self, key))
        if self.gender:
            out["gender"] = self.gender
        return out


def _seq(value: Iterable[str] | str | None) -> tuple:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,) if value.strip() else ()
    return tuple(v for v in value if v is not None and str(v).strip())


def _tuple(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(values))
