"""Explanations a reviewer can read: aligned tokens, the list name, evidence, a summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class AlignedToken:
    query: str
    listed: str
    how: str  # exact | phonetic | translit | edit | initial | nickname | abbrev
    weight: float  # information of the query token(s), bits
    similarity: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "list": self.listed,
            "how": self.how,
            "weight": round(self.weight, 2),
            "similarity": round(self.similarity, 3),
        }


@dataclass(frozen=True, slots=True)
class AttributeEffect:
    attribute: str  # dob | country | id | gender | schema
    outcome: str  # agree | exact | month | year | near | contradict
    effect: float  # log-odds added to the score
    detail: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "attribute": self.attribute,
            "outcome": self.outcome,
            "effect": round(self.effect, 2),
            "detail": self.detail,
        }


@dataclass(frozen=True, slots=True)
class Explanation:
    query_name: str
    matched_name: str
    name_kind: str  # primary | aka | weak | former | native
    aligned: tuple[AlignedToken, ...]
    unmatched_query: tuple[str, ...]
    unmatched_list: tuple[str, ...]
    name_score: float  # probability from the names alone
    attributes: tuple[AttributeEffect, ...] = ()
    features: dict[str, float] = field(default_factory=dict)
    summary: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "query_name": self.query_name,
            "matched_name": self.matched_name,
            "name_kind": self.name_kind,
            "name_score": round(self.name_score, 4),
            "aligned": [a.to_dict() for a in self.aligned],
            "unmatched_query_tokens": list(self.unmatched_query),
            "unmatched_list_tokens": list(self.unmatched_list),
            "attributes": [a.to_dict() for a in self.attributes],
            "features": {k: round(v, 3) for k, v in self.features.items()},
        }


def summarize(
    score: float,
    matched_name: str,
    name_kind: str,
    aligned: tuple[AlignedToken, ...],
    unmatched_query: tuple[str, ...],
    unmatched_list: tuple[str, ...],
    attributes: tuple[AttributeEffect, ...],
) -> str:
    parts = [f"{score:.2f}: '{matched_name}' ({name_kind})"]
    if aligned:
        tokens = ", ".join(
            a.query if a.how == "exact" else f"{a.query}~{a.listed} ({a.how})" for a in aligned
        )
        parts.append(f"matched {tokens}")
    if unmatched_query:
        parts.append(f"query-only {' '.join(unmatched_query)}")
    if unmatched_list:
        parts.append(f"list-only {' '.join(unmatched_list)}")
    for a in attributes:
        parts.append(f"{a.attribute} {a.outcome} ({a.effect:+.1f})")
    return "; ".join(parts)
