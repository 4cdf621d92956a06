"""Database schema (SQLAlchemy 2.0 typed ORM). Alembic migrations live in ``migrations/``.

Snapshots are immutable: a snapshot row, its file list and its entity membership are written
once, in the same transaction that (possibly) activates it. Entity content is stored once per
distinct version (keyed by its sha256 fingerprint), so a daily list that changes a handful of
entries costs a handful of new rows plus the membership list.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DatasetRow(Base):
    __tablename__ = "datasets"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)
    format: Mapped[str] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(Text)
    active_snapshot_id: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class RawFileRow(Base):
    """A raw published file, content-addressed; bytes live in the blob store."""

    __tablename__ = "raw_files"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    size: Mapped[int] = mapped_column(BigInteger)
    first_name: Mapped[str] = mapped_column(Text)
    stored_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class SnapshotRow(Base):
    __tablename__ = "snapshots"

    # sha256 over dataset, format and the sorted raw-file hashes (content address), shortened
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    dataset: Mapped[str] = mapped_column(ForeignKey("datasets.id"), index=True)
    format: Mapped[str] = mapped_column(String(40))
    published: Mapped[dt.date] = mapped_column(Date, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    entity_count: Mapped[int] = mapped_column(Integer)
    designation_count: Mapped[int] = mapped_column(Integer)
    warnings: Mapped[str | None] = mapped_column(Text)


class SnapshotFileRow(Base):
    __tablename__ = "snapshot_files"

    snapshot_id: Mapped[str] = mapped_column(ForeignKey("snapshots.id"), primary_key=True)
    sha256: Mapped[str] = mapped_column(ForeignKey("raw_files.sha256"), primary_key=True)
    name: Mapped[str] = mapped_column(Text)


class EntityVersionRow(Base):
    """One distinct content of one entity: canonical JSON, keyed by its fingerprint."""

    __tablename__ = "entity_versions"

    hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    schema: Mapped[str] = mapped_column(String(40))
    caption: Mapped[str] = mapped_column(Text)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # canonical JSON, UTF-8


class SnapshotEntityRow(Base):
    __tablename__ = "snapshot_entities"

    snapshot_id: Mapped[str] = mapped_column(ForeignKey("snapshots.id"), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    version_hash: Mapped[str] = mapped_column(ForeignKey("entity_versions.hash"))

    __table_args__ = (Index("ix_snapshot_entities_entity", "entity_id"),)


class VersionDesignationRow(Base):
    """Programs of an entity version, for "who is designated under X as of D" queries."""

    __tablename__ = "version_designations"

    version_hash: Mapped[str] = mapped_column(ForeignKey("entity_versions.hash"), primary_key=True)
    program: Mapped[str] = mapped_column(String(100), primary_key=True)
    authority: Mapped[str] = mapped_column(Text)
    listed_on: Mapped[str | None] = mapped_column(String(10))

    __table_args__ = (Index("ix_version_designations_program", "program"),)


class VersionRelationRow(Base):
    """Resolved relations of an entity version, for reverse ("who links to X") lookups."""

    __tablename__ = "version_relations"

    version_hash: Mapped[str] = mapped_column(ForeignKey("entity_versions.hash"), primary_key=True)
    target_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)

    __table_args__ = (Index("ix_version_relations_target", "target_id"),)


class FirstSeenRow(Base):
    """Publication date of the first snapshot in which an entity carried a program.

    Lists such as OFAC's CSV do not state listing dates; this is the fallback ``listed_on``.
    """

    __tablename__ = "designation_first_seen"

    dataset: Mapped[str] = mapped_column(String(100), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    program: Mapped[str] = mapped_column(String(100), primary_key=True)
    first_published: Mapped[dt.date] = mapped_column(Date)


class ActivationRow(Base):
    """Every activation of a snapshot, in order: which list version was live when."""

    __tablename__ = "activations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    dataset: Mapped[str] = mapped_column(String(100), index=True)
    snapshot_id: Mapped[str] = mapped_column(ForeignKey("snapshots.id"))
    previous_snapshot_id: Mapped[str | None] = mapped_column(String(64))
    activated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class FetchStateRow(Base):
    """HTTP validators of the last successful download of an official URL."""

    __tablename__ = "fetch_state"

    url: Mapped[str] = mapped_column(Text, primary_key=True)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)
    sha256: Mapped[str | None] = mapped_column(String(64))
    fetched_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# -- authentication and the audit trail (revision 0002) ----------------------------------


class ApiKeyRow(Base):
    """An API key: a public id plus a salted HMAC of its secret (never the secret itself)."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # public lookup id
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(20))
    salt: Mapped[str] = mapped_column(String(64))  # hex
    secret_hash: Mapped[str] = mapped_column(String(64))  # hex HMAC-SHA256(salt, secret)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(200))
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    revoked_by: Mapped[str | None] = mapped_column(String(200))

    # Names are unique among active keys only, so a revoked name can be issued again.
    __table_args__ = (
        Index(
            "uq_api_keys_active_name",
            "name",
            unique=True,
            sqlite_where=text("revoked_at IS NULL"),
            postgresql_where=text("revoked_at IS NULL"),
        ),
    )


class AuditRecordRow(Base):
    """One audit record, a link of the hash chain. Rows are only ever inserted.

    ``hash`` covers (seq, prev_hash, ts, actor, action, payload); ``payload`` is the exact
    canonical JSON text that was hashed, so verification never depends on re-serialising.
    """

    __tablename__ = "audit_log"

    # INTEGER on SQLite makes seq the rowid (no second index); seq is assigned under the
    # chain lock, never by the database.
    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False
    )
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40), index=True)
    payload: Mapped[str] = mapped_column(Text)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHeadRow(Base):
    """The single chain-head row (id 1): the last seq and hash written.

    Appenders lock it (``SELECT ... FOR UPDATE``) to serialise across processes and replicas,
    and ``verify`` compares it with the last record, which reveals a truncated tail.
    """

    __tablename__ = "audit_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


# -- monitoring and alert review (revision 0003) -----------------------------------------


class MonitorBookRow(Base):
    """A named book of monitored parties and how it is screened.

    Topic filters are space-separated FollowTheMoney topics; a designation topic matches a
    filter topic when it equals it or is a sub-topic of it (``crime.terror`` under ``crime``).
    ``four_eyes`` NULL means "use the global setting" (``TAMIZ_FOUR_EYES``).
    """

    __tablename__ = "monitor_books"

    name: Mapped[str] = mapped_column(String(100), primary_key=True)
    include_topics: Mapped[str | None] = mapped_column(Text)
    exclude_topics: Mapped[str | None] = mapped_column(Text)
    datasets: Mapped[str | None] = mapped_column(Text)  # space-separated; NULL = all loaded
    threshold: Mapped[float | None] = mapped_column(Float)
    four_eyes: Mapped[bool | None] = mapped_column(Boolean)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class MonitoredPartyRow(Base):
    """One party of a book: the caller's id, the screening query and its fingerprint.

    ``query`` is the canonical JSON of the screening-relevant data (names, schema, birth
    dates, countries, identifiers); ``fingerprint`` is its sha256, so a changed party is
    noticed on re-add. ``record`` keeps the row as supplied, for display. Removing a party
    only deactivates it: its alerts and their history stay.
    """

    __tablename__ = "monitor_parties"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    book: Mapped[str] = mapped_column(ForeignKey("monitor_books.name"))
    party_id: Mapped[str] = mapped_column(String(200))
    query: Mapped[str] = mapped_column(Text)
    record: Mapped[str | None] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, index=True)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("book", "party_id", name="uq_monitor_parties_book_party"),)


class AlertRow(Base):
    """One alert per (party, list entity): the latest score and where it came from.

    ``party_fingerprint`` and ``entity_version`` are the party data and list-entry version
    the alert was last scored on: a ``false_positive`` stays suppressed while both are
    unchanged. ``pending_by`` is the analyst who proposed ``true_match`` under four-eyes.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    party_pk: Mapped[int] = mapped_column(ForeignKey("monitor_parties.id"))
    entity_id: Mapped[str] = mapped_column(String(200), index=True)
    book: Mapped[str] = mapped_column(String(100), index=True)
    dataset: Mapped[str] = mapped_column(String(100))
    snapshot: Mapped[str] = mapped_column(String(64))
    entity_version: Mapped[str] = mapped_column(String(64))
    party_fingerprint: Mapped[str] = mapped_column(String(64))
    caption: Mapped[str] = mapped_column(Text)
    score: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)  # JSON
    status: Mapped[str] = mapped_column(String(24), index=True)
    changed: Mapped[bool] = mapped_column(Boolean)
    pending_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("party_pk", "entity_id", name="uq_alerts_party_entity"),)


class AlertEventRow(Base):
    """History of an alert: every decision (analyst, reason, time) and every system event
    (created, rescored, reopened, closed). Rows are only ever inserted."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id"), index=True)
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    analyst: Mapped[str] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str] = mapped_column(String(24))
    reason: Mapped[str | None] = mapped_column(Text)
    run_id: Mapped[int | None] = mapped_column(Integer)
    audit_seq: Mapped[int | None] = mapped_column(BigInteger)


class MonitorRunRow(Base):
    """One monitoring pass: full, incremental (after a list update) or new parties."""

    __tablename__ = "monitor_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(20))
    trigger: Mapped[str | None] = mapped_column(Text)
    snapshots: Mapped[str] = mapped_column(Text)  # JSON: dataset -> snapshot id
    started_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    seconds: Mapped[float] = mapped_column(Float)
    parties: Mapped[int] = mapped_column(Integer)  # parties re-scored
    created: Mapped[int] = mapped_column(Integer)
    reopened: Mapped[int] = mapped_column(Integer)
    updated: Mapped[int] = mapped_column(Integer)
    closed: Mapped[int] = mapped_column(Integer)


class WebhookDeliveryRow(Base):
    """A webhook message (outbox): written with the alerts it announces, sent afterwards."""

    __tablename__ = "webhook_deliveries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int | None] = mapped_column(Integer)
    url: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending|delivered|failed
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    delivered_at: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    last_error: Mapped[str | None] = mapped_column(Text)


class WebhookAttemptRow(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempt: Mapped[int] = mapped_column(Integer)
    ts: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    seconds: Mapped[float] = mapped_column(Float)
