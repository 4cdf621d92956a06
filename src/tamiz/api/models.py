"""Request and response shapes, for validation and the OpenAPI document.

``/match`` follows OpenSanctions yente's request and response (``EntityMatchQuery`` /
``EntityMatchResponse``) so yente clients work unchanged; tamiz adds fields (``snapshots``,
``audit``, ``explanation``, ``topics``, ``programs``) that such clients ignore.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tamiz.api.errors import ErrorDetail

MAX_MATCH_QUERIES = 100
MAX_SCREEN_RECORDS = 1000

PropertyValue = str | int | float | None
CellValue = str | int | float | bool | None | list[str | int | float | None]


class _Model(BaseModel):
    model_config = ConfigDict(populate_by_name=True, extra="ignore")


# -- /match -------------------------------------------------------------------------------


class EntityExample(_Model):
    """One party to match, as FollowTheMoney properties (yente's ``EntityExample``)."""

    id: str | None = Field(None, max_length=1000, description="Caller's reference (echoed).")
    schema_: str | None = Field(
        None,
        alias="schema",
        max_length=100,
        description="Person, Organization, Company, LegalEntity, Vessel or Airplane; "
        "omitted = any.",
    )
    properties: dict[str, list[PropertyValue] | PropertyValue] = Field(
        default_factory=dict,
        description="name, alias, firstName, lastName, birthDate, nationality, country, "
        "idNumber, passportNumber, ... -> list of values.",
    )


class MatchRequest(_Model):
    queries: dict[str, EntityExample] = Field(
        ...,
        max_length=MAX_MATCH_QUERIES,
        description=f"Up to {MAX_MATCH_QUERIES} queries, by the caller's key. A query that "
        "cannot be screened gets its own status 400; the others still answer.",
        examples=[
            {
                "q1": {
                    "schema": "Person",
                    "properties": {
                        "name": ["Nicolás Maduro Moros"],
                        "birthDate": ["1962-11-23"],
                        "nationality": ["ve"],
                    },
                }
            }
        ],
    )


class Total(_Model):
    value: int
    relation: str = "eq"


class FeatureResult(_Model):
    score: float
    detail: str | None = None


class ScoredEntity(_Model):
    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    referents: list[str] = []
    target: bool = False
    topics: list[str] = []
    programs: list[str] = []
    score: float
    match: bool
    features: dict[str, float] = {}
    explanations: dict[str, FeatureResult] = {}
    explanation: dict[str, Any] | None = None


class QueryResponse(_Model):
    status: int = 200
    results: list[ScoredEntity] = []
    total: Total
    query: dict[str, Any]
    error: ErrorDetail | None = None


class Matcher(_Model):
    name: str
    description: str
    requested: str | None = None


class AuditRef(_Model):
    seq: int
    hash: str


class MatchResponse(_Model):
    responses: dict[str, QueryResponse]
    matcher: Matcher
    limit: int
    threshold: float
    cutoff: float
    snapshots: dict[str, str] = Field(
        description="Dataset -> snapshot id of every list version the answer used."
    )
    audit: AuditRef | None = Field(None, description="The audit record of this screening.")


# -- /search ------------------------------------------------------------------------------


class SearchResponse(_Model):
    results: list[ScoredEntity]
    total: Total
    limit: int
    offset: int
    snapshots: dict[str, str]
    audit: AuditRef | None = None


# -- /screen ------------------------------------------------------------------------------


class ScreenRequest(_Model):
    """A batch of customer records, the same flat rows and column options as
    ``tamiz screen-file``."""

    records: list[dict[str, CellValue]] = Field(
        ...,
        min_length=1,
        max_length=MAX_SCREEN_RECORDS,
        description=f"1 to {MAX_SCREEN_RECORDS} flat records (column -> value). A cell may "
        "hold several values separated by ';' or '|', or a list.",
        examples=[[{"ref": "c-1", "name": "Nicolas Maduro", "dob": "1962-11-23", "country": "VE"}]],
    )
    name_column: str = Field("name", description="Column with the name to screen.")
    dob_column: str | None = Field(None, description="Column with birth dates.")
    country_column: str | None = Field(None, description="Column with countries.")
    id_column: str | None = Field(None, description="Column with identifiers.")
    ref_column: str | None = Field(None, description="Caller's record id, echoed back.")
    schema_: str | None = Field(None, alias="schema", description="Schema of every record.")
    schema_column: str | None = Field(None, description="Column with each record's schema.")
    threshold: float | None = Field(None, ge=0.0, le=1.0, allow_inf_nan=False)
    limit: int = Field(5, ge=1, le=100, description="Results kept per record.")
    datasets: list[str] | None = Field(None, description="Only these datasets.")
    topics: list[str] | None = Field(None, description="Only entities with these topics.")
    as_of: dt.date | None = Field(None, description="Screen against the lists as of this date.")


class RecordResult(_Model):
    model_config = ConfigDict(populate_by_name=True, extra="allow")

    row: int
    ref: Any = None
    query: dict[str, Any] | None = None
    results: list[dict[str, Any]] = []
    error: str | None = None


class ScreenSummary(_Model):
    records: int
    screened: int
    errors: int
    alerts: int
    records_with_alerts: int


class ScreenResponse(_Model):
    results: list[RecordResult]
    summary: ScreenSummary
    threshold: float
    algorithm: str
    snapshots: dict[str, str]
    unused_fields: list[str] = Field(
        [], description="Fields of the first record that no column option maps."
    )
    audit: AuditRef | None = None


# -- lists, changes, entities -------------------------------------------------------------


class ListInfo(_Model):
    model_config = ConfigDict(extra="allow")

    dataset: str
    title: str | None
    snapshot: str
    published: str
    entities: int
    designations: int
    loaded_at: str
    served: bool


class ListsResponse(_Model):
    datasets: list[ListInfo]
    index: dict[str, Any] | None


class Change(_Model):
    model_config = ConfigDict(extra="allow")

    dataset: str
    snapshot: str
    previous: str | None
    activated_at: str
    initial: bool
    added: list[str] | None = None
    removed: list[str] | None = None
    changed: list[dict[str, Any]] | None = None
    counts: dict[str, int]


class ChangesResponse(_Model):
    changes: list[Change]
    next_since: str | None = Field(
        None, description="Pass as `since` to continue after the last change listed."
    )


class EntityResponse(_Model):
    model_config = ConfigDict(populate_by_name=True, extra="allow")

    id: str
    caption: str
    schema_: str = Field(alias="schema")
    properties: dict[str, list[str]]
    datasets: list[str]
    listed: bool
    designations: list[dict[str, Any]]
    relations: dict[str, list[dict[str, Any]]]
    snapshot: dict[str, Any]
    appears_in: list[dict[str, Any]]
    entity: dict[str, Any]


# -- admin --------------------------------------------------------------------------------


class UpdateRequest(_Model):
    """Exactly one source: ``mirror``; ``dataset`` + ``paths``; or ``publishers``."""

    mirror: str | None = Field(None, description="Directory of an offline mirror (server side).")
    dataset: str | None = Field(None, description="With `paths`: the dataset they belong to.")
    datasets: list[str] | None = Field(None, description="Restrict a mirror/publisher update.")
    paths: list[str] | None = Field(None, description="Files (server side) of one snapshot.")
    publishers: bool = Field(False, description="Download from the official publishers.")
    urls: list[str] | None = Field(None, description="With publishers and one dataset.")
    format: str | None = None
    published: dt.date | None = None
    force: bool = False


class UpdateResponse(_Model):
    results: list[dict[str, Any]]
    swapped: bool = Field(description="The index now serves every snapshot activated.")
    snapshots: dict[str, str]
    audit: AuditRef | None = None


class AuditPage(_Model):
    records: list[dict[str, Any]]
    next_before_seq: int | None


class Health(_Model):
    model_config = ConfigDict(extra="allow")

    status: str
