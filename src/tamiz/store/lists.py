"""The versioned list store: ingest snapshots, activate them atomically, query and diff them."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

import orjson
from sqlalchemy import Engine, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from tamiz.model import (
    Entity,
    ParsedList,
    ParseError,
    SourceFile,
    canonical_json,
    entity_from_dict,
    entity_to_dict,
)
from tamiz.sources import DATASETS, format_for
from tamiz.store.blobs import BlobStore
from tamiz.store.config import Settings
from tamiz.store.db import create_db_engine, migrate
from tamiz.store.schema import (
    ActivationRow,
    DatasetRow,
    EntityVersionRow,
    FetchStateRow,
    FirstSeenRow,
    RawFileRow,
    SnapshotEntityRow,
    SnapshotFileRow,
    SnapshotRow,
    VersionDesignationRow,
    VersionRelationRow,
)

# A new snapshot that loses more than this share of the active snapshot's entities is refused
# (a truncated download parses "fine" into a much shorter list); --force overrides.
MAX_ENTITY_LOSS = 0.20
DATASET_ID = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_DATE_IN_NAME = re.compile(r"(\d{4})-(\d{2})(?:-(\d{2}))?")


class StoreError(Exception):
    """A request the store cannot satisfy (unknown dataset, snapshot, entity...)."""


@dataclass(frozen=True, slots=True)
class SnapshotInfo:
    id: str
    dataset: str
    format: str
    published: dt.date
    created_at: dt.datetime
    entity_count: int
    designation_count: int
    files: tuple[str, ...] = ()
    active: bool = False

    def to_dict(self) -> dict:
        return {
            "id": self.id,
            "dataset": self.dataset,
            "format": self.format,
            "published": self.published.isoformat(),
            "created_at": self.created_at.isoformat(),
            "entities": self.entity_count,
            "designations": self.designation_count,
            "files": list(self.files),
            "active": self.active,
        }


@dataclass(frozen=True, slots=True)
class UpdateResult:
    dataset: str
    status: str  # activated | unchanged | stored | rejected
    snapshot: str | None = None
    published: dt.date | None = None
    entities: int | None = None
    error: str | None = None
    previous: str | None = None
    warnings: tuple[str, ...] = ()

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "status": self.status,
            "snapshot": self.snapshot,
            "published": self.published.isoformat() if self.published else None,
            "entities": self.entities,
            "error": self.error,
            "previous": self.previous,
        }

    @classmethod
    def from_dict(cls, data: dict) -> UpdateResult:
        return cls(
            dataset=data["dataset"],
            status=data["status"],
            snapshot=data.get("snapshot"),
            published=dt.date.fromisoformat(data["published"]) if data.get("published") else None,
            entities=data.get("entities"),
            error=data.get("error"),
            previous=data.get("previous"),
        )


@dataclass(frozen=True, slots=True)
class SnapshotDiff:
    dataset: str
    from_snapshot: SnapshotInfo
    to_snapshot: SnapshotInfo
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]  # (entity id, changed fields)

    def to_dict(self) -> dict:
        return {
            "dataset": self.dataset,
            "from": self.from_snapshot.id,
            "to": self.to_snapshot.id,
            "from_published": self.from_snapshot.published.isoformat(),
            "to_published": self.to_snapshot.published.isoformat(),
            "added": list(self.added),
            "removed": list(self.removed),
            "changed": [{"id": i, "fields": list(f)} for i, f in self.changed],
        }


@dataclass(frozen=True, slots=True)
class EntityRecord:
    """An entity as of one snapshot, with its history and incoming relations."""

    entity: Entity
    snapshot: SnapshotInfo
    appears_in: tuple[SnapshotInfo, ...]
    related_from: tuple[tuple[str, str, str], ...] = field(default=())  # (id, caption, kind)
    listed: bool = True  # False when the entity is absent from the active/as-of snapshot


def snapshot_id_for(dataset: str, fmt: str, hashes: Iterable[str]) -> str:
    digest = hashlib.sha256("\0".join([dataset, fmt, *sorted(hashes)]).encode()).hexdigest()
    return digest[:16]


def published_from_names(names: Iterable[str]) -> dt.date | None:
    """A publication date written into file or folder names (``sdn-2024-05-03.csv``)."""
    best: dt.date | None = None
    for name in names:
        for m in _DATE_IN_NAME.finditer(name):
            y, mo, d = int(m.group(1)), int(m.group(2)), int(m.group(3) or 1)
            try:
                found = dt.date(y, mo, d)
            except ValueError:
                continue
            best = max(best, found) if best else found
    return best


def parse_source(dataset: str, fmt_id: str, files: Sequence[SourceFile]) -> ParsedList:
    """Run the format's parser; any failure becomes a ParseError naming the files."""
    fmt = format_for(dataset, fmt_id)
    try:
        return fmt.parser()(files, dataset)
    except ParseError:
        raise
    except (ValueError, KeyError, IndexError, TypeError, UnicodeError) as exc:
        names = ", ".join(f.name for f in files)
        raise ParseError(f"{names}: cannot parse as {fmt.id}: {exc!r}") from None


def encode_entities(entities: Sequence[Entity]) -> list[bytes]:
    """Canonical JSON of each entity: what the store keeps and fingerprints."""
    return [canonical_json(entity_to_dict(e)).encode() for e in entities]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class Store:
    """Entry point to the database and the blob store."""

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.settings = settings
        self.engine = engine or create_db_engine(settings.database_url)
        self.blobs = BlobStore(settings.blob_dir)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)

    @classmethod
    def open(cls, settings: Settings | None = None) -> Store:
        settings = settings or Settings.from_env()
        settings.home.mkdir(parents=True, exist_ok=True)
        store = cls(settings)
        migrate(store.engine)
        return store

    def session(self) -> Session:
        return self._sessions()

    def close(self) -> None:
        self.engine.dispose()

    # -- ingest --------------------------------------------------------------------------

    def ingest(
        self,
        dataset: str,
        files: Sequence[SourceFile],
        *,
        format: str | None = None,
        published: dt.date | None = None,
        published_fallback: dt.date | None = None,
        force: bool = False,
        parsed: ParsedList | ParseError | None = None,
        encoded: Sequence[bytes] | None = None,
    ) -> UpdateResult:
        """Parse ``files`` as a new snapshot of ``dataset`` and activate it if it is newest.

        ``parsed`` passes in the outcome of :func:`parse_source` run elsewhere (e.g. in a
        worker process while the previous snapshot is being written), and ``encoded`` its
        entities' canonical JSON (:func:`encode_entities`), if that was done there too.

        The publication date is, in order: ``published``; the date the file states about
        itself; ``published_fallback`` (e.g. from a folder name); a date in a file name;
        today.

        Nothing is written unless the files parse, yield entities and pass the loss guard;
        the snapshot rows and the activation are one transaction.
        """
        if not DATASET_ID.match(dataset):
            return UpdateResult(dataset, "rejected", error=f"invalid dataset id {dataset!r}")
        if not files:
            return UpdateResult(dataset, "rejected", error="no input files")
        try:
            fmt = format_for(dataset, format)
        except KeyError as exc:
            return UpdateResult(dataset, "rejected", error=str(exc.args[0]))
        hashes = [hashlib.sha256(f.data).hexdigest() for f in files]
        snap_id = snapshot_id_for(dataset, fmt.id, hashes)
        known = self.known_snapshot(dataset, fmt.id, files, hashes)
        if known is not None:
            return known

        if parsed is None:
            try:
                parsed = parse_source(dataset, fmt.id, files)
            except ParseError as exc:
                parsed = exc
        if isinstance(parsed, ParseError):
            return UpdateResult(dataset, "rejected", error=str(parsed))
        if not parsed.entities:
            names = ", ".join(f.name for f in files)
            return UpdateResult(dataset, "rejected", error=f"{names}: no entities found")

        published = (
            published
            or parsed.published
            or published_fallback
            or published_from_names(f.name for f in files)
            or dt.date.today()
        )
        if encoded is None or len(encoded) != len(parsed.entities):
            encoded = encode_entities(parsed.entities)
        return self._write_snapshot(
            dataset, fmt.id, snap_id, files, hashes, parsed, encoded, published, force
        )

    def known_snapshot(
        self,
        dataset: str,
        fmt_id: str,
        files: Sequence[SourceFile],
        hashes: Sequence[str] | None = None,
    ) -> UpdateResult | None:
        """The ``unchanged`` result when exactly these bytes were loaded before, else None."""
        hashes = hashes or [hashlib.sha256(f.data).hexdigest() for f in files]
        snap_id = snapshot_id_for(dataset, fmt_id, hashes)
        with self.session() as s:
            existing = s.get(SnapshotRow, snap_id)
            if existing is None:
                return None
            return UpdateResult(
                dataset,
                "unchanged",
                snapshot=snap_id,
                published=existing.published,
                entities=existing.entity_count,
            )

    def _write_snapshot(
        self,
        dataset: str,
        fmt: str,
        snap_id: str,
        files: Sequence[SourceFile],
        hashes: list[str],
        parsed: ParsedList,
        encoded: Sequence[bytes],
        published: dt.date,
        force: bool,
    ) -> UpdateResult:
        warnings = list(parsed.warnings)
        entities: dict[str, Entity] = {}
        encoding: dict[str, bytes] = {}
        for entity, data in zip(parsed.entities, encoded, strict=True):
            if entity.id in entities:
                warnings.append(f"duplicate entity id {entity.id}: kept the first")
                continue
            entities[entity.id] = entity
            encoding[entity.id] = data

        versions: dict[str, tuple[Entity, bytes]] = {}
        members: list[dict] = []
        for entity in entities.values():
            data = encoding[entity.id]
            digest = hashlib.sha256(data).hexdigest()
            versions.setdefault(digest, (entity, data))
            members.append({"snapshot_id": snap_id, "entity_id": entity.id, "version_hash": digest})
        designation_count = sum(len(e.designations) for e in entities.values())

        for f in files:
            self.blobs.put(f.data)

        now = _now()
        with self.session() as s, s.begin():
            ds = s.get(DatasetRow, dataset, with_for_update=True)
            if ds is None:
                builtin = DATASETS.get(dataset)
                ds = DatasetRow(id=dataset, format=fmt, title=builtin.title if builtin else None)
                s.add(ds)
                s.flush()
            if s.get(SnapshotRow, snap_id) is not None:  # a concurrent update got here first
                return UpdateResult(
                    dataset,
                    "unchanged",
                    snapshot=snap_id,
                    published=published,
                    entities=len(entities),
                )
            active = s.get(SnapshotRow, ds.active_snapshot_id) if ds.active_snapshot_id else None
            activate = active is None or published >= active.published
            if activate and active is not None and not force:
                floor = active.entity_count * (1 - MAX_ENTITY_LOSS)
                if len(entities) < floor:
                    return UpdateResult(
                        dataset,
                        "rejected",
                        published=published,
                        entities=len(entities),
                        error=(
                            f"new snapshot has {len(entities)} entities, "
                            f"{active.entity_count - len(entities)} fewer than the active "
                            f"snapshot {active.id} ({active.entity_count}); more than "
                            f"{MAX_ENTITY_LOSS:.0%} lost looks like a truncated or wrong file "
                            "(use --force to accept it)"
                        ),
                    )

            dialect = s.get_bind().dialect.name
            self._insert_ignore(
                s,
                dialect,
                RawFileRow,
                [
                    {"sha256": h, "size": len(f.data), "first_name": f.name, "stored_at": now}
                    for h, f in {h: f for f, h in zip(files, hashes, strict=True)}.items()
                ],
            )
            s.add(
                SnapshotRow(
                    id=snap_id,
                    dataset=dataset,
                    format=fmt,
                    published=published,
                    created_at=now,
                    entity_count=len(entities),
                    designation_count=designation_count,
                    warnings="\n".join(warnings[:200]) or None,
                )
            )
            s.flush()
            file_names: dict[str, str] = {}
            for f, h in zip(files, hashes, strict=True):
                file_names.setdefault(h, f.name)
            s.add_all(
                SnapshotFileRow(snapshot_id=snap_id, sha256=h, name=name)
                for h, name in file_names.items()
            )
            new_hashes = self._missing_versions(s, list(versions))
            self._insert_ignore(
                s,
                dialect,
                EntityVersionRow,
                [
                    {
                        "hash": h,
                        "entity_id": versions[h][0].id,
                        "schema": versions[h][0].schema.value,
                        "caption": versions[h][0].caption[:1000],
                        "data": versions[h][1],
                    }
                    for h in new_hashes
                ],
            )
            self._insert_ignore(
                s,
                dialect,
                VersionDesignationRow,
                [
                    {
                        "version_hash": h,
                        "program": d.program[:100],
                        "authority": d.authority,
                        "listed_on": d.listed_on,
                    }
                    for h in new_hashes
                    for d in {d.program[:100]: d for d in versions[h][0].designations}.values()
                ],
            )
            self._insert_ignore(
                s,
                dialect,
                VersionRelationRow,
                [
                    {"version_hash": h, "target_id": r.target_id, "kind": r.kind.value}
                    for h in new_hashes
                    for r in versions[h][0].relations
                    if r.target_id
                ],
            )
            s.execute(SnapshotEntityRow.__table__.insert(), members)
            self._record_first_seen(s, dataset, entities.values(), published)
            if activate:
                previous = ds.active_snapshot_id
                ds.active_snapshot_id = snap_id
                ds.updated_at = now
                s.add(
                    ActivationRow(
                        dataset=dataset,
                        snapshot_id=snap_id,
                        previous_snapshot_id=previous,
                        activated_at=now,
                    )
                )
        return UpdateResult(
            dataset,
            "activated" if activate else "stored",
            snapshot=snap_id,
            published=published,
            entities=len(entities),
            previous=active.id if active else None,
            warnings=tuple(warnings),
        )

    @staticmethod
    def _insert_ignore(s: Session, dialect: str, model: type, rows: list[dict]) -> None:
        if not rows:
            return
        table = model.__table__  # type: ignore[attr-defined]
        if dialect == "postgresql":
            stmt = postgresql.insert(table).on_conflict_do_nothing()
        elif dialect == "sqlite":
            stmt = sqlite.insert(table).on_conflict_do_nothing()
        else:  # pragma: no cover - other databases are not supported
            raise StoreError(f"unsupported database dialect {dialect}")
        for start in range(0, len(rows), 5000):
            s.execute(stmt, rows[start : start + 5000])

    @staticmethod
    def _missing_versions(s: Session, hashes: list[str]) -> list[str]:
        present: set[str] = set()
        for start in range(0, len(hashes), 900):
            chunk = hashes[start : start + 900]
            present.update(
                s.scalars(select(EntityVersionRow.hash).where(EntityVersionRow.hash.in_(chunk)))
            )
        return [h for h in hashes if h not in present]

    @staticmethod
    def _record_first_seen(
        s: Session, dataset: str, entities: Iterable[Entity], published: dt.date
    ) -> None:
        known: dict[tuple[str, str], dt.date] = {
            (entity_id, program): first
            for entity_id, program, first in s.execute(
                select(
                    FirstSeenRow.entity_id, FirstSeenRow.program, FirstSeenRow.first_published
                ).where(FirstSeenRow.dataset == dataset)
            )
        }
        new_rows: list[dict] = []
        earlier: list[dict] = []  # an older file loaded after a newer one moves dates back
        for entity in entities:
            for program in {d.program[:100] for d in entity.designations}:
                first = known.get((entity.id, program))
                row = {"ds": dataset, "eid": entity.id, "prog": program, "day": published}
                if first is None:
                    new_rows.append(row)
                    known[(entity.id, program)] = published
                elif published < first:
                    earlier.append(row)
        table = FirstSeenRow.__table__
        if new_rows:
            s.execute(
                table.insert().values(
                    dataset=bindparam("ds"),
                    entity_id=bindparam("eid"),
                    program=bindparam("prog"),
                    first_published=bindparam("day"),
                ),
                new_rows,
            )
        if earlier:
            s.execute(
                table.update()
                .where(
                    table.c.dataset == bindparam("ds"),
                    table.c.entity_id == bindparam("eid"),
                    table.c.program == bindparam("prog"),
                )
                .values(first_published=bindparam("day")),
                earlier,
            )

    # -- snapshots ----------------------------------------------------------------------

    def _info(
        self, s: Session, row: SnapshotRow, active_ids: set[str] | None = None
    ) -> SnapshotInfo:
        files = tuple(
            s.scalars(
                select(SnapshotFileRow.name)
                .where(SnapshotFileRow.snapshot_id == row.id)
                .order_by(SnapshotFileRow.name)
            )
        )
        if active_ids is None:
            active_ids = set(self._active_ids(s).values())
        return SnapshotInfo(
            id=row.id,
            dataset=row.dataset,
            format=row.format,
            published=row.published,
            created_at=row.created_at,
            entity_count=row.entity_count,
            designation_count=row.designation_count,
            files=files,
            active=row.id in active_ids,
        )

    @staticmethod
    def _active_ids(s: Session) -> dict[str, str]:
        return {
            ds: snap
            for ds, snap in s.execute(select(DatasetRow.id, DatasetRow.active_snapshot_id))
            if snap
        }

    def dataset_ids(self) -> list[str]:
        with self.session() as s:
            return list(s.scalars(select(DatasetRow.id).order_by(DatasetRow.id)))

    def active_snapshots(self) -> dict[str, SnapshotInfo]:
        """Active snapshot of every dataset that has one, read in one consistent query."""
        with self.session() as s:
            active = self._active_ids(s)
            rows = s.scalars(select(SnapshotRow).where(SnapshotRow.id.in_(active.values())))
            ids = set(active.values())
            return {row.dataset: self._info(s, row, ids) for row in rows}

    def snapshots_as_of(self, when: dt.date) -> dict[str, SnapshotInfo]:
        """Per dataset, the latest snapshot published on or before ``when``."""
        out: dict[str, SnapshotInfo] = {}
        with self.session() as s:
            ids = set(self._active_ids(s).values())
            rows = s.scalars(
                select(SnapshotRow)
                .where(SnapshotRow.published <= when)
                .order_by(SnapshotRow.dataset, SnapshotRow.published, SnapshotRow.created_at)
            )
            for row in rows:
                out[row.dataset] = self._info(s, row, ids)
        return out

    def snapshots(self, dataset: str) -> list[SnapshotInfo]:
        with self.session() as s:
            ids = set(self._active_ids(s).values())
            rows = s.scalars(
                select(SnapshotRow)
                .where(SnapshotRow.dataset == dataset)
                .order_by(SnapshotRow.published, SnapshotRow.created_at)
            )
            return [self._info(s, row, ids) for row in rows]

    def resolve_snapshot(self, dataset: str, ref: str) -> SnapshotInfo:
        """A snapshot by id, unique id prefix (≥ 4 characters) or publication date."""
        with self.session() as s:
            if s.get(DatasetRow, dataset) is None:
                raise StoreError(f"unknown dataset {dataset!r}")
            query = select(SnapshotRow).where(SnapshotRow.dataset == dataset)
            try:
                day = dt.date.fromisoformat(ref)
            except ValueError:
                day = None
            if day is not None:
                rows = list(
                    s.scalars(
                        query.where(SnapshotRow.published == day).order_by(SnapshotRow.created_at)
                    )
                )
            elif len(ref) >= 4:
                rows = list(s.scalars(query.where(SnapshotRow.id.startswith(ref))))
            else:
                rows = []
            if not rows:
                known = ", ".join(
                    f"{r.id} ({r.published})"
                    for r in s.scalars(query.order_by(SnapshotRow.published))
                )
                raise StoreError(f"no snapshot {ref!r} of {dataset}; known: {known or 'none'}")
            if day is None and len(rows) > 1:
                raise StoreError(f"snapshot prefix {ref!r} is ambiguous in {dataset}")
            return self._info(s, rows[-1])

    # -- entities -----------------------------------------------------------------------

    def _first_seen(
        self, s: Session, dataset: str, entity_ids: Iterable[str] | None = None
    ) -> dict[tuple[str, str], str]:
        query = select(FirstSeenRow).where(FirstSeenRow.dataset == dataset)
        if entity_ids is not None:
            query = query.where(FirstSeenRow.entity_id.in_(list(entity_ids)))
        return {(r.entity_id, r.program): r.first_published.isoformat() for r in s.scalars(query)}

    @staticmethod
    def _with_first_seen(entity: Entity, first_seen: dict[tuple[str, str], str]) -> Entity:
        if not entity.designations:
            return entity
        designations = tuple(
            dataclasses.replace(d, first_seen=first_seen.get((entity.id, d.program[:100])))
            for d in entity.designations
        )
        return dataclasses.replace(entity, designations=designations)

    def iter_entities(self, snapshot_id: str) -> Iterator[Entity]:
        """Every entity of a snapshot, with first-seen dates filled in."""
        with self.session() as s:
            row = s.get(SnapshotRow, snapshot_id)
            if row is None:
                raise StoreError(f"unknown snapshot {snapshot_id!r}")
            first_seen = self._first_seen(s, row.dataset)
            result = s.execute(
                select(EntityVersionRow.data)
                .join(SnapshotEntityRow, SnapshotEntityRow.version_hash == EntityVersionRow.hash)
                .where(SnapshotEntityRow.snapshot_id == snapshot_id)
                .order_by(SnapshotEntityRow.entity_id)
                .execution_options(yield_per=2000)
            )
            for (data,) in result:
                yield self._with_first_seen(entity_from_dict(orjson.loads(data)), first_seen)

    def entity(self, entity_id: str, as_of: dt.date | None = None) -> EntityRecord:
        """An entity as listed in the active (or as-of) snapshot of its dataset.

        An entity that has left the list is returned from the last snapshot that had it,
        with ``listed=False``.
        """
        dataset = entity_id.split(":", 1)[0]
        with self.session() as s:
            active_ids = set(self._active_ids(s).values())
            history = list(
                s.execute(
                    select(SnapshotRow, SnapshotEntityRow.version_hash)
                    .join(SnapshotEntityRow, SnapshotEntityRow.snapshot_id == SnapshotRow.id)
                    .where(SnapshotEntityRow.entity_id == entity_id)
                    .order_by(SnapshotRow.published, SnapshotRow.created_at)
                )
            )
            if not history:
                raise StoreError(f"unknown entity {entity_id!r}")
            appears = tuple(self._info(s, row, active_ids) for row, _ in history)
            if as_of is None:
                current = next(
                    (sid for sid in active_ids if s.get(SnapshotRow, sid).dataset == dataset), None
                )
            else:
                current_row = s.scalars(
                    select(SnapshotRow)
                    .where(SnapshotRow.dataset == dataset, SnapshotRow.published <= as_of)
                    .order_by(SnapshotRow.published.desc(), SnapshotRow.created_at.desc())
                    .limit(1)
                ).first()
                current = current_row.id if current_row else None
            chosen = [(row, h) for row, h in history if row.id == current]
            listed = bool(chosen)
            if as_of is not None and not chosen:
                before = [(r, h) for r, h in history if r.published <= as_of]
                if not before:
                    raise StoreError(f"{entity_id} was not listed on or before {as_of}")
                chosen = before
            row, version = (chosen or history)[-1]
            data = s.scalar(select(EntityVersionRow.data).where(EntityVersionRow.hash == version))
            entity = self._with_first_seen(
                entity_from_dict(orjson.loads(data)), self._first_seen(s, dataset, [entity_id])
            )
            snapshot_ids = {current} if current else set()
            related = []
            if snapshot_ids:
                for src_id, caption, kind in s.execute(
                    select(
                        SnapshotEntityRow.entity_id,
                        EntityVersionRow.caption,
                        VersionRelationRow.kind,
                    )
                    .join(
                        VersionRelationRow,
                        VersionRelationRow.version_hash == SnapshotEntityRow.version_hash,
                    )
                    .join(EntityVersionRow, EntityVersionRow.hash == SnapshotEntityRow.version_hash)
                    .where(
                        VersionRelationRow.target_id == entity_id,
                        SnapshotEntityRow.snapshot_id.in_(snapshot_ids),
                    )
                ):
                    related.append((src_id, caption, kind))
            return EntityRecord(
                entity=entity,
                snapshot=self._info(s, row, active_ids),
                appears_in=appears,
                related_from=tuple(sorted(related)),
                listed=listed,
            )

    def designated_under(
        self, program: str, *, as_of: dt.date | None = None, dataset: str | None = None
    ) -> list[tuple[str, str, str]]:
        """(entity id, caption, dataset) of entities designated under ``program``."""
        snaps = self.snapshots_as_of(as_of) if as_of else self.active_snapshots()
        ids = [sn.id for ds, sn in snaps.items() if dataset is None or ds == dataset]
        with self.session() as s:
            rows = s.execute(
                select(SnapshotEntityRow.entity_id, EntityVersionRow.caption)
                .join(EntityVersionRow, EntityVersionRow.hash == SnapshotEntityRow.version_hash)
                .join(
                    VersionDesignationRow,
                    VersionDesignationRow.version_hash == SnapshotEntityRow.version_hash,
                )
                .where(
                    SnapshotEntityRow.snapshot_id.in_(ids),
                    func.upper(VersionDesignationRow.program) == program.upper(),
                )
                .order_by(SnapshotEntityRow.entity_id)
            )
            return [(eid, caption, eid.split(":", 1)[0]) for eid, caption in rows]

    # -- diffs --------------------------------------------------------------------------

    def diff(self, dataset: str, from_ref: str, to_ref: str) -> SnapshotDiff:
        old = self.resolve_snapshot(dataset, from_ref)
        new = self.resolve_snapshot(dataset, to_ref)
        with self.session() as s:

            def members(snapshot_id: str) -> dict[str, str]:
                rows = s.execute(
                    select(SnapshotEntityRow.entity_id, SnapshotEntityRow.version_hash).where(
                        SnapshotEntityRow.snapshot_id == snapshot_id
                    )
                )
                return {entity_id: version for entity_id, version in rows}

            before, after = members(old.id), members(new.id)
            changed_ids = sorted(i for i in before.keys() & after.keys() if before[i] != after[i])
            wanted = {before[i] for i in changed_ids} | {after[i] for i in changed_ids}
            data: dict[str, dict] = {}
            wanted_list = list(wanted)
            for start in range(0, len(wanted_list), 900):
                for h, blob in s.execute(
                    select(EntityVersionRow.hash, EntityVersionRow.data).where(
                        EntityVersionRow.hash.in_(wanted_list[start : start + 900])
                    )
                ):
                    data[h] = orjson.loads(blob)
        changed = []
        for entity_id in changed_ids:
            a, b = data[before[entity_id]], data[after[entity_id]]
            fields = tuple(sorted(k for k in a.keys() | b.keys() if a.get(k) != b.get(k)))
            changed.append((entity_id, fields))
        return SnapshotDiff(
            dataset=dataset,
            from_snapshot=old,
            to_snapshot=new,
            added=tuple(sorted(after.keys() - before.keys())),
            removed=tuple(sorted(before.keys() - after.keys())),
            changed=tuple(changed),
        )

    def activations(
        self, dataset: str | None = None, since: dt.datetime | None = None
    ) -> list[tuple[str, str, str | None, dt.datetime]]:
        """(dataset, snapshot, previous snapshot, when) for every activation, oldest first."""
        with self.session() as s:
            query = select(ActivationRow).order_by(ActivationRow.id)
            if dataset:
                query = query.where(ActivationRow.dataset == dataset)
            if since:
                query = query.where(ActivationRow.activated_at >= since)
            return [
                (r.dataset, r.snapshot_id, r.previous_snapshot_id, r.activated_at)
                for r in s.scalars(query)
            ]

    # -- fetch state (conditional GET validators) ---------------------------------------

    def fetch_state(self, url: str) -> FetchStateRow | None:
        with self.session() as s:
            return s.get(FetchStateRow, url)

    def save_fetch_state(
        self, url: str, etag: str | None, last_modified: str | None, sha256: str
    ) -> None:
        with self.session() as s, s.begin():
            row = s.get(FetchStateRow, url)
            if row is None:
                s.add(
                    FetchStateRow(
                        url=url,
                        etag=etag,
                        last_modified=last_modified,
                        sha256=sha256,
                        fetched_at=_now(),
                    )
                )
            else:
                row.etag, row.last_modified, row.sha256 = etag, last_modified, sha256
                row.fetched_at = _now()

    def raw_file(self, sha256: str) -> bytes:
        return self.blobs.get(sha256)

    def snapshot_file_hashes(self, snapshot_id: str) -> list[tuple[str, str]]:
        with self.session() as s:
            rows = s.execute(
                select(SnapshotFileRow.name, SnapshotFileRow.sha256).where(
                    SnapshotFileRow.snapshot_id == snapshot_id
                )
            )
            return [(name, digest) for name, digest in rows]

    def set_active(self, dataset: str, snapshot_id: str) -> None:
        """Re-activate an older snapshot (a deliberate roll-back)."""
        with self.session() as s, s.begin():
            ds = s.get(DatasetRow, dataset, with_for_update=True)
            snap = s.get(SnapshotRow, snapshot_id)
            if ds is None or snap is None or snap.dataset != dataset:
                raise StoreError(f"no snapshot {snapshot_id} in dataset {dataset}")
            previous = ds.active_snapshot_id
            s.execute(
                update(DatasetRow)
                .where(DatasetRow.id == dataset)
                .values(active_snapshot_id=snapshot_id, updated_at=_now())
            )
            s.add(
                ActivationRow(
                    dataset=dataset,
                    snapshot_id=snapshot_id,
                    previous_snapshot_id=previous,
                    activated_at=_now(),
                )
            )
