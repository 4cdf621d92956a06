"""Country names and codes: every list spells countries its own way; we store ISO 3166-1
alpha-2 codes (plus ``XK`` for Kosovo, as FtM does) and keep the published wording beside."""

from __future__ import annotations

import csv
import functools
import re
import unicodedata
from importlib import resources

import pycountry

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def _key(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    text = text.replace("'", "").replace("’", "")
    return _NON_ALNUM.sub(" ", text).strip()


@functools.cache
def _table() -> dict[str, str]:
    table: dict[str, str] = {}
    for country in pycountry.countries:
        code = country.alpha_2
        for attr in ("name", "official_name", "common_name"):
            value = getattr(country, attr, None)
            if value:
                table[_key(value)] = code
        table[country.alpha_3.lower()] = code
    path = resources.files("tamiz.data").joinpath("country_aliases.csv")
    with path.open(encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            table[_key(row["alias"])] = row["code"]
    return table


def country_code(text: str | None) -> str | None:
    """ISO alpha-2 code for a country name, code or demonym; None when not recognised.

    >>> country_code("Korea, North"), country_code("ve"), country_code("Iran (Islamic Republic of)")
    ('KP', 'VE', 'IR')
    """
    if not text:
        return None
    raw = text.strip()
    if len(raw) == 2 and raw.isalpha():
        upper = raw.upper()
        if upper == "XK" or pycountry.countries.get(alpha_2=upper):
            return upper
        return _table().get(raw.lower())  # "UK" is not ISO but everybody writes it
    key = _key(raw)
    if not key:
        return None
    table = _table()
    if key in table:
        return table[key]
    # "Iran (Islamic Republic of)" style and "City, Country" tails
    stripped = _key(re.sub(r"\(.*?\)", " ", raw))
    if stripped in table:
        return table[stripped]
    if key.startswith("the ") and key[4:] in table:
        return table[key[4:]]
    return None


def country_name(code: str) -> str:
    if code == "XK":
        return "Kosovo"
    country = pycountry.countries.get(alpha_2=code.upper())
    return getattr(country, "common_name", None) or (country.name if country else code)
