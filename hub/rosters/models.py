"""Entity master, per-source records, inspector roster, quarantine and sync runs."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Index, Integer, LargeBinary, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, JSONType


class Entity(Base):
    """One inspectable entity, merged across sources by ``entity_id`` (uscc or SCHEME:ID)."""

    __tablename__ = "entities"
    # the list pages' district filter in entity_id order (migration 0012_ui; on PostgreSQL also GIN
    # indexes on categories and sources, and a trigram index on name where pg_trgm can be had)
    __table_args__ = (Index("ix_entities_district_entity_id", "district", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(64), unique=True)
    uscc: Mapped[str | None] = mapped_column(String(18))  # equals entity_id when present: no index of its own
    name: Mapped[str] = mapped_column(String(256))
    entity_type: Mapped[str | None] = mapped_column(String(32))
    legal_rep: Mapped[str | None] = mapped_column(String(128))
    phone: Mapped[str | None] = mapped_column(String(64))
    address: Mapped[str | None] = mapped_column(String(512))
    district: Mapped[str | None] = mapped_column(String(6))  # (found by ix_entities_district_entity_id)
    industry: Mapped[str | None] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="active")
    established: Mapped[date | None] = mapped_column(Date)
    categories: Mapped[list] = mapped_column(JSONType, default=list)
    credit_class: Mapped[str | None] = mapped_column(String(1))
    abnormal_list: Mapped[bool] = mapped_column(Boolean, default=False)
    serious_violation: Mapped[bool] = mapped_column(Boolean, default=False)
    complaints: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    sources: Mapped[list] = mapped_column(JSONType, default=list)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class EntitySource(Base):
    """What one source said about one entity, kept as it came (after validation).

    Most records are keyed by the entity's own id (a registry's credit code: ``record_key`` =
    ``entity_id``), and those are found by (source, record_key); only the others are indexed by
    ``entity_id`` (a partial index: a million-entity sync maintains no second index for nothing)."""

    __tablename__ = "entity_sources"
    __table_args__ = (
        UniqueConstraint("source", "record_key"),
        Index(
            "ix_entity_sources_entity_id_other",
            "entity_id",
            sqlite_where=text("entity_id <> record_key"),
            postgresql_where=text("entity_id <> record_key"),
        ),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(128))
    entity_id: Mapped[str] = mapped_column(String(64))
    raw: Mapped[str] = mapped_column(Text)  # the record as the source sent it
    digest: Mapped[str] = mapped_column(String(64))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    seen_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(Integer)
    # the fingerprint of the page this version was stored from, when that page is registered as a whole
    # (SyncPage); triggers of 0017_sync_pages drop the page when this record changes, moves or goes away
    page: Mapped[bytes | None] = mapped_column(LargeBinary)


class SyncPage(Base):
    """A page of a paged source whose every record is stored as that page says (``EntitySource.page``
    names it): a run that fetches a page with this fingerprint again counts its records unchanged without
    reading them. Kept exact by triggers (0017_sync_pages): any change to one of its records removes it."""

    __tablename__ = "sync_pages"
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    fp: Mapped[bytes] = mapped_column(LargeBinary, primary_key=True)
    records: Mapped[int] = mapped_column(Integer)
    run_id: Mapped[int | None] = mapped_column(Integer)


class Inspector(Base):
    """A certified enforcement officer who may be drawn into a team."""

    __tablename__ = "inspectors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    inspector_id: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    agency: Mapped[str] = mapped_column(String(32), index=True)
    cert_no: Mapped[str | None] = mapped_column(String(64))
    cert_valid_until: Mapped[date | None] = mapped_column(Date)
    expertise: Mapped[list] = mapped_column(JSONType, default=list)
    home_districts: Mapped[list] = mapped_column(JSONType, default=list)
    capacity: Mapped[int] = mapped_column(Integer, default=30)
    conflicts: Mapped[list] = mapped_column(JSONType, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str | None] = mapped_column(String(64))
    digest: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)


class QuarantineRecord(Base):
    """A record that failed validation, kept with its reason until a corrected one arrives."""

    __tablename__ = "quarantine"
    __table_args__ = (
        UniqueConstraint("source", "record_key"),
        Index("ix_quarantine_source_id", "source", "id"),
        Index("ix_quarantine_record_key", "record_key"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    record_key: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    run_id: Mapped[int | None] = mapped_column(Integer)


class SyncRun(Base):
    __tablename__ = "sync_runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64), index=True)
    kind: Mapped[str] = mapped_column(String(32))
    full: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
    outcome: Mapped[str] = mapped_column(String(16), default="running")
    fetched: Mapped[int] = mapped_column(Integer, default=0)
    inserted: Mapped[int] = mapped_column(Integer, default=0)
    updated: Mapped[int] = mapped_column(Integer, default=0)
    unchanged: Mapped[int] = mapped_column(Integer, default=0)
    quarantined: Mapped[int] = mapped_column(Integer, default=0)
    deactivated: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SourceState(Base):
    """Where the next run of a source resumes: its bookmark (high-water mark, ETag, files seen)."""

    __tablename__ = "source_state"
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    bookmark: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
