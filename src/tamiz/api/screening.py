"""Screening for the HTTP endpoints: dataset scope, result filters, result documents.

The matching itself is ``Screener.screen`` against one ``LoadedIndex`` per request, so every
query of a request, and the snapshots the response names, come from the same index even
while an update swaps a new one in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from starlette.concurrency import run_in_threadpool

from tamiz.api.entities import ListedEntity, entity_summary
from tamiz.api.errors import ApiError
from tamiz.api.service import Service
from tamiz.match import ALGORITHM, DEFAULT_THRESHOLD, MatchResult, Query
from tamiz.model import has_topic
from tamiz.screen import LoadedIndex, NoListsLoaded, Screener
from tamiz.screen.screener import ScreenResponse

# yente's algorithm names (and ours): all answered by tamiz's matcher, which the response
# names. Anything else is refused, so a typo does not silently change the scoring.
ALGORITHM_ALIASES = frozenset(
    {
        ALGORITHM,
        "best",
        "default",
        "logic-v1",
        "logic-v2",
        "name-based",
        "name-qualified",
        "regression-v1",
        "regression-v2",
        "regression-v3",
        "erun-v1",
        "ofac-249",
    }
)
MATCHER_DESCRIPTION = (
    "tamiz name matcher: transliteration-aware token alignment weighted by name-token "
    "information, with birth date, country, identifier, gender and schema evidence; the "
    "score is a calibrated probability in [0, 1]."
)
# Most candidates examined when results are filtered after matching (topics, schemata).
FILTERED_POOL = 200


def resolve_algorithm(name: str | None) -> str:
    if not name or name in ALGORITHM_ALIASES:
        return ALGORITHM
    known = ", ".join(sorted(ALGORITHM_ALIASES))
    raise ApiError(400, f"unknown algorithm {name!r}; accepted: {known}", code="bad_algorithm")


async def loaded_index(service: Service, as_of: dt.date | None) -> LoadedIndex:
    if as_of is None:
        return service.loaded()
    service.loaded()  # the same readiness answer as without as_of
    try:
        return await run_in_threadpool(service.screener.as_of, as_of)
    except NoListsLoaded:
        raise ApiError(404, f"no list snapshot was published on or before {as_of}") from None


def dataset_scope(
    loaded: LoadedIndex,
    dataset: str | None,
    include: Collection[str] = (),
    exclude: Collection[str] = (),
) -> list[str]:
    """Datasets to screen: ``dataset`` (``default``/None = all served) narrowed by
    ``include`` and ``exclude``. Unknown names are an error, not an empty answer."""
    served = set(loaded.snapshots)
    known = ", ".join(sorted(served)) or "none"
    if dataset in (None, "default"):
        scope = set(served)
    elif dataset in served:
        scope = {dataset}
    else:
        raise ApiError(404, f"unknown dataset {dataset!r}; served: default, {known}")
    for option, names in (("include_dataset", include), ("exclude_dataset", exclude)):
        unknown = sorted(set(names) - served)
        if unknown:
            names_ = ", ".join(unknown)
            raise ApiError(400, f"{option}: unknown dataset(s) {names_}; known: {known}")
    if include:
        scope &= set(include)
    scope -= set(exclude)
    if not scope:
        raise ApiError(400, "the dataset filters leave no dataset to screen")
    return sorted(scope)


@dataclass(frozen=True, slots=True)
class ResultFilter:
    """Filters applied after matching, so more candidates are matched to fill ``limit``."""

    topics: tuple[str, ...] = ()
    exclude_topics: tuple[str, ...] = ()
    exclude_schemata: frozenset[str] = frozenset()
    exclude_ids: frozenset[str] = frozenset()

    @property
    def active(self) -> bool:
        return bool(self.topics or self.exclude_topics or self.exclude_schemata or self.exclude_ids)

    @property
    def needs_entities(self) -> bool:
        return bool(self.topics or self.exclude_topics)

    def pool(self, limit: int) -> int:
        return max(limit, FILTERED_POOL) if self.active else limit

    def keep(self, result: MatchResult, entity: ListedEntity | None) -> bool:
        if result.entity_id in self.exclude_ids or result.schema in self.exclude_schemata:
            return False
        topics = entity.topics if entity is not None else ()
        if self.topics and not has_topic(topics, self.topics):
            return False
        return not (self.exclude_topics and has_topic(topics, self.exclude_topics))


@dataclass(slots=True)
class Screened:
    key: str
    query: Query | None
    results: list[MatchResult] = field(default_factory=list)
    error: str | None = None


def screen_queries(
    screener: Screener,
    loaded: LoadedIndex,
    queries: Sequence[tuple[str, Query | str]],
    *,
    scope: list[str],
    cutoff: float,
    limit: int,
    filters: ResultFilter,
) -> list[Screened]:
    """Screen each query (or carry its error message) against ``loaded``."""
    datasets = None if set(scope) == set(loaded.snapshots) else scope
    out = []
    pool = filters.pool(limit)
    for key, query in queries:
        if isinstance(query, str):
            out.append(Screened(key, None, error=query))
            continue
        response: ScreenResponse = screener.screen(
            query, datasets=datasets, threshold=cutoff, limit=pool, loaded=loaded
        )
        out.append(Screened(key, query, list(response.results)))
    return out


def result_ids(screened: Iterable[Screened]) -> list[str]:
    return list(dict.fromkeys(r.entity_id for s in screened for r in s.results))


async def fetch_entities(
    service: Service, snapshots: Mapping[str, str], ids: list[str]
) -> dict[str, ListedEntity]:
    """Entities of the results; from the cache inline, from the database off the loop."""
    found, missing = service.entities.cached(snapshots, ids)
    if missing:
        found.update(await run_in_threadpool(service.entities.get_many, snapshots, missing))
    return found


def apply_filters(
    screened: list[Screened],
    entities: Mapping[str, ListedEntity],
    filters: ResultFilter,
    limit: int,
) -> None:
    for item in screened:
        if filters.active:
            item.results = [r for r in item.results if filters.keep(r, entities.get(r.entity_id))]
        del item.results[limit:]


def _features(result: MatchResult) -> tuple[dict[str, float], dict[str, dict[str, Any]]]:
    e = result.explanation
    features = {k: round(v, 4) for k, v in e.features.items()}
    features["name_score"] = round(e.name_score, 4)
    explanations: dict[str, dict[str, Any]] = {
        "name": {"score": round(e.name_score, 4), "detail": e.summary}
    }
    for a in e.attributes:
        features[a.attribute] = round(a.effect, 3)
        explanations[a.attribute] = {
            "score": round(a.effect, 3),
            "detail": f"{a.outcome}: {a.detail}" if a.detail else a.outcome,
        }
    return features, explanations


def scored_entity(
    result: MatchResult, entity: ListedEntity | None, threshold: float
) -> dict[str, Any]:
    """A result in yente's ``ScoredEntityResponse`` shape plus tamiz's explanation."""
    doc = entity_summary(entity, result.entity_id)
    if entity is None:
        doc.update(caption=result.caption, schema=result.schema, programs=list(result.programs))
    features, explanations = _features(result)
    doc.update(
        score=round(result.score, 4),
        match=result.score >= threshold,
        features=features,
        explanations=explanations,
        explanation=result.explanation.to_dict(),
    )
    return doc


def native_result(
    result: MatchResult, entity: ListedEntity | None, threshold: float
) -> dict[str, Any]:
    """A result in tamiz's own shape (as ``screen --json``), with topics."""
    doc = result.to_dict()
    doc["match"] = result.score >= threshold
    doc["topics"] = list(entity.topics) if entity else []
    return doc


def effective_threshold(threshold: float | None) -> float:
    return DEFAULT_THRESHOLD if threshold is None else threshold
