"""Annual plans and their entries; a task started from an entry names it (joint_tasks.plan_entry_id)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, JSONType


class AnnualPlan(Base):
    """One plan per lead agency and year (年度抽查计划)."""

    __tablename__ = "annual_plans"
    __table_args__ = (UniqueConstraint("lead", "year"),)
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # AP-2026-HEALTH
    year: Mapped[int] = mapped_column(Integer)
    lead: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(256))
    state: Mapped[str] = mapped_column(String(16), default="draft", index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)  # +1 each time a filed plan is revised
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    edited_by: Mapped[str] = mapped_column(String(64))  # the last to change it: never its approver
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    filed_by: Mapped[str | None] = mapped_column(String(64))
    filed_at: Mapped[datetime | None] = mapped_column(DateTime)
    return_reason: Mapped[str | None] = mapped_column(Text)


class PlanEntry(Base):
    """A planned joint task: agencies, items per agency, population, ratio (a string, exact), months."""

    __tablename__ = "plan_entries"
    id: Mapped[str] = mapped_column(String(80), primary_key=True)  # AP-2026-HEALTH-01, never reused
    plan_id: Mapped[str] = mapped_column(ForeignKey("annual_plans.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(256))
    agencies: Mapped[list] = mapped_column(JSONType)
    items: Mapped[dict] = mapped_column(JSONType)
    population: Mapped[dict] = mapped_column(JSONType)
    ratio: Mapped[str] = mapped_column(String(16))
    months: Mapped[list] = mapped_column(JSONType)
