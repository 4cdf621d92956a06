"""Turning the records callers send into :class:`~tamiz.match.Query` objects.

Two shapes arrive: FollowTheMoney-style property maps (``compare-file`` pairs and yente's
``/match`` API) and flat rows of a customer file (``screen-file``, ``monitor``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from tamiz.match import Query, QueryError

# FtM properties that carry identifiers a list may also carry.
IDENTIFIER_PROPERTIES = (
    "idNumber",
    "passportNumber",
    "nationalId",
    "taxNumber",
    "registrationNumber",
    "innCode",
    "ogrnCode",
    "vatCode",
    "leiCode",
    "swiftBic",
    "bicCode",
    "imoNumber",
    "mmsi",
    "callSign",
    "serialNumber",
    "cryptoWallet",
    "publicKey",
    "ssn",
)
COUNTRY_PROPERTIES = ("nationality", "citizenship", "country", "jurisdiction", "flag")
_FULL_DATE_WITH_TIME = re.compile(r"^(\d{4}-\d{2}-\d{2})T")


def _values(props: Mapping[str, Any], key: str) -> list[str]:
    raw = props.get(key)
    if raw is None:
        return []
    if isinstance(raw, str | int | float):
        raw = [raw]
    if not isinstance(raw, list | tuple):
        raise QueryError(f"property {key!r} must be a list of values")
    return [str(v).strip() for v in raw if v is not None and str(v).strip()]


def normalize_date(value: str) -> str:
    """Accept ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` and ISO timestamps; else QueryError."""
    text = value.strip()
    m = _FULL_DATE_WITH_TIME.match(text)
    if m:
        return m.group(1)
    for fmt, keep in (("%d/%m/%Y", 10), ("%d.%m.%Y", 10)):
        try:
            return dt.datetime.strptime(text, fmt).date().isoformat()[:keep]
        except ValueError:
            continue
    return text  # Query validates the ISO prefix forms and rejects the rest


def query_from_properties(schema: str | None, properties: Mapping[str, Any]) -> Query:
    """A Query from FollowTheMoney properties (``name``, ``firstName``, ``birthDate``...)."""
    if not isinstance(properties, Mapping):
        raise QueryError("properties must be an object of property name -> list of values")
    names = _values(properties, "name") + _values(properties, "alias")
    names += _values(properties, "previousName") + _values(properties, "weakAlias")
    parts = [
        " ".join(
            p
            for p in (
                first,
                *(_values(properties, "middleName")[:1]),
                *(_values(properties, "fatherName")[:1]),
                last,
            )
            if p
        )
        for first in (_values(properties, "firstName") or [""])
        for last in (_values(properties, "lastName") or [""])
    ]
    names += [p for p in parts if p.strip()]
    identifiers = [v for key in IDENTIFIER_PROPERTIES for v in _values(properties, key)]
    countries = [v for key in COUNTRY_PROPERTIES for v in _values(properties, key)]
    genders = _values(properties, "gender")
    return Query(
        names=tuple(dict.fromkeys(names)),
        schema=schema,
        birth_dates=tuple(normalize_date(d) for d in _values(properties, "birthDate")),
        countries=tuple(countries),
        identifiers=tuple(identifiers),
        gender=genders[0] if genders else None,
    )


@dataclass(frozen=True, slots=True)
class RecordColumns:
    """Which columns of a customer file carry what (``screen-file`` / ``monitor add``)."""

    name: str
    dob: str | None = None
    country: str | None = None
    id: str | None = None
    schema: str | None = None  # fixed schema for every row
    schema_column: str | None = None
    party_id: str | None = None  # the caller's own id of each record (monitoring)

    def check(self, header: Iterable[str]) -> None:
        present = set(header)
        for option, column in (
            ("--name-column", self.name),
            ("--dob-column", self.dob),
            ("--country-column", self.country),
            ("--id-column", self.id),
            ("--schema-column", self.schema_column),
            ("--party-id-column", self.party_id),
        ):
            if column is not None and column not in present:
                cols = ", ".join(sorted(present)) or "none"
                raise QueryError(f"{option}: no column {column!r}; the file has: {cols}")


def _cell_values(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if v is not None and str(v).strip()]
    text = str(value).strip()
    if not text:
        return []
    # several values in one cell: "VE; CO" or "1962-11-23|1963"
    return [v.strip() for v in re.split(r"[;|]", text) if v.strip()]


def query_from_row(row: Mapping[str, Any], columns: RecordColumns) -> Query:
    """A Query from one row of a customer file; raises QueryError naming the problem."""
    names = _cell_values(row.get(columns.name))
    schema = columns.schema
    if columns.schema_column:
        cell = row.get(columns.schema_column)
        schema = str(cell).strip() if cell not in (None, "") else schema
    return Query(
        names=tuple(names),
        schema=schema,
        birth_dates=tuple(
            normalize_date(v) for v in _cell_values(row.get(columns.dob) if columns.dob else None)
        ),
        countries=tuple(_cell_values(row.get(columns.country) if columns.country else None)),
        identifiers=tuple(_cell_values(row.get(columns.id) if columns.id else None)),
    )
