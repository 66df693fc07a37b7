"""Joint tasks and the parties that commit to and reveal their draw secrets."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, deferred, mapped_column

from hub.clock import utcnow
from hub.db import Base, JSONType

STATES = ("draft", "committing", "frozen", "drawn", "void")


class JointTask(Base):
    __tablename__ = "joint_tasks"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    title: Mapped[str] = mapped_column(String(256))
    lead: Mapped[str] = mapped_column(String(32))
    agencies: Mapped[list] = mapped_column(JSONType)
    spec: Mapped[dict] = mapped_column(JSONType)
    # The JDP version the task was created under and keeps to the end (its commitments were made under it).
    protocol: Mapped[str] = mapped_column(String(8), default="JDP-2", server_default="JDP-1")
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    window_start: Mapped[date] = mapped_column(Date)
    window_end: Mapped[date] = mapped_column(Date)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    feasibility: Mapped[dict | None] = mapped_column(JSONType)
    plan: Mapped[dict | None] = mapped_column(JSONType)
    plan_digest: Mapped[str | None] = mapped_column(String(64))
    roster_digest: Mapped[str | None] = mapped_column(String(64))
    pool_digest: Mapped[str | None] = mapped_column(String(64))
    roster_size: Mapped[int | None] = mapped_column(Integer)
    pool_size: Mapped[int | None] = mapped_column(Integer)
    roster_file: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    pool_file: Mapped[bytes | None] = deferred(mapped_column(LargeBinary))
    frozen_at: Mapped[datetime | None] = mapped_column(DateTime)
    entropy: Mapped[str | None] = mapped_column(Text)
    seed: Mapped[str | None] = mapped_column(String(64))
    record: Mapped[dict | None] = deferred(mapped_column(JSONType))
    drawn_at: Mapped[datetime | None] = mapped_column(DateTime)
    draw_status: Mapped[str | None] = mapped_column(String(16))  # queued|running|failed|done
    draw_progress: Mapped[int] = mapped_column(Integer, default=0)
    draw_error: Mapped[str | None] = mapped_column(Text)
    voided_at: Mapped[datetime | None] = mapped_column(DateTime)
    voided_by: Mapped[str | None] = mapped_column(String(64))
    void_reason: Mapped[str | None] = mapped_column(Text)
    # The annual plan entry the task was started from (hub/plans), if any: the task inherited it.
    plan_entry_id: Mapped[str | None] = mapped_column(String(80), index=True)


class TaskParty(Base):
    """A party's commitment, and after the freeze its revealed secret."""

    __tablename__ = "task_parties"
    task_id: Mapped[str] = mapped_column(ForeignKey("joint_tasks.id"), primary_key=True)
    party: Mapped[str] = mapped_column(String(64), primary_key=True)
    commitment: Mapped[str | None] = mapped_column(String(64))
    committed_at: Mapped[datetime | None] = mapped_column(DateTime)
    committed_by: Mapped[str | None] = mapped_column(String(64))
    account: Mapped[str | None] = mapped_column(String(64))  # a witness's own user account; it alone acts for it
    secret_hex: Mapped[str | None] = mapped_column(String(256))
    revealed_at: Mapped[datetime | None] = mapped_column(DateTime)


class FrozenChunk(Base):
    """A piece of a frozen roster or pool file, in order: the file is written and read piece by piece,
    never whole, and its digest is the one published at the freeze."""

    __tablename__ = "frozen_chunks"
    task_id: Mapped[str] = mapped_column(ForeignKey("joint_tasks.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)  # "roster" | "pool"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class HubSecret(Base):
    """The hub's own draw secret for a task, drawn at task creation and read only by hub.tasks.hub_party:
    no page, export, log or API answer shows it; the draw request reveals it (its commitment is public)."""

    __tablename__ = "hub_secrets"
    task_id: Mapped[str] = mapped_column(ForeignKey("joint_tasks.id"), primary_key=True)
    secret_hex: Mapped[str] = mapped_column(String(256))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
