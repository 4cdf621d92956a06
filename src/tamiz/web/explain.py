"""A match explanation laid out for reading: query and list tokens side by side.

Works on the explanation's dictionary form (``Explanation.to_dict()``), which is what both a
fresh screening and a stored alert carry, so the search page and the alert page show the
same thing the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from tamiz.index.normalize import tokenize

# How two tokens matched, as the matcher names it -> what an analyst reads.
HOW_LABELS = {
    "exact": "exact",
    "translit": "transliteration",
    "phonetic": "phonetic",
    "edit": "spelling (edit distance)",
    "initial": "initial",
    "nickname": "nickname",
    "abbrev": "abbreviation",
    "number": "number",
}
ATTRIBUTE_LABELS = {
    "dob": "Date of birth",
    "country": "Country",
    "id": "Identifier",
    "gender": "Gender",
    "schema": "Entity type",
}
NAME_KIND_LABELS = {
    "primary": "primary name",
    "aka": "alias (a.k.a.)",
    "weak": "weak alias",
    "former": "former name (f.k.a.)",
    "native": "name in original script",
}


@dataclass(frozen=True, slots=True)
class TokenRow:
    query: str  # "" when the list token has no counterpart
    listed: str  # "" when the query token has no counterpart
    how: str  # a HOW_LABELS key, or "missing-list" / "missing-query"
    label: str
    weight: float | None = None
    similarity: float | None = None


@dataclass(frozen=True, slots=True)
class AttributeRow:
    attribute: str
    label: str
    outcome: str
    effect: float
    detail: str

    @property
    def verdict(self) -> str:
        """agrees / contradicts / neutral, for the highlight."""
        if self.effect > 0:
            return "agrees"
        if self.effect < 0 or self.outcome == "contradict":
            return "contradicts"
        return "neutral"


@dataclass(frozen=True, slots=True)
class ExplanationView:
    summary: str
    query_name: str
    matched_name: str
    name_kind: str
    name_kind_label: str
    name_score: float | None
    rows: tuple[TokenRow, ...]
    attributes: tuple[AttributeRow, ...]


def _query_order(query_name: str) -> list[str]:
    try:
        return [t.text for t in tokenize(query_name)]
    except Exception:  # display only: never fail a page on an odd name
        return query_name.casefold().split()


def _aligned_rows(aligned: Sequence[Mapping[str, Any]]) -> list[TokenRow]:
    rows = []
    for a in aligned:
        how = str(a.get("how") or "")
        rows.append(
            TokenRow(
                query=str(a.get("query") or ""),
                listed=str(a.get("list") or ""),
                how=how if how in HOW_LABELS else "other",
                label=HOW_LABELS.get(how, how or "other"),
                weight=a.get("weight"),
                similarity=a.get("similarity"),
            )
        )
    return rows


def explanation_view(data: Mapping[str, Any] | None) -> ExplanationView | None:
    """The explanation as rows in the order of the query's own tokens; list-only tokens
    last."""
    if not data:
        return None
    query_name = str(data.get("query_name") or "")
    aligned = _aligned_rows(data.get("aligned") or ())
    unmatched_query = [str(t) for t in data.get("unmatched_query_tokens") or ()]
    unmatched_list = [str(t) for t in data.get("unmatched_list_tokens") or ()]
    ordered: list[TokenRow] = []
    pending = list(aligned)
    missing = list(unmatched_query)
    for token in _query_order(query_name):
        hit = next((r for r in pending if token in r.query.split()), None)
        if hit is not None:
            pending.remove(hit)
            ordered.append(hit)
        elif token in missing:
            missing.remove(token)
            ordered.append(TokenRow(token, "", "missing-list", "no counterpart in the list name"))
    ordered += pending  # tokens the query order did not place (e.g. merged forms)
    ordered += [TokenRow(t, "", "missing-list", "no counterpart in the list name") for t in missing]
    ordered += [
        TokenRow("", t, "missing-query", "list-only token (not in the query)")
        for t in unmatched_list
    ]
    attributes = tuple(
        AttributeRow(
            attribute=str(a.get("attribute")),
            label=ATTRIBUTE_LABELS.get(str(a.get("attribute")), str(a.get("attribute"))),
            outcome=str(a.get("outcome") or ""),
            effect=float(a.get("effect") or 0.0),
            detail=str(a.get("detail") or ""),
        )
        for a in data.get("attributes") or ()
    )
    kind = str(data.get("name_kind") or "")
    score = data.get("name_score")
    return ExplanationView(
        summary=str(data.get("summary") or ""),
        query_name=query_name,
        matched_name=str(data.get("matched_name") or ""),
        name_kind=kind,
        name_kind_label=NAME_KIND_LABELS.get(kind, kind),
        name_score=float(score) if score is not None else None,
        rows=tuple(ordered),
        attributes=attributes,
    )
