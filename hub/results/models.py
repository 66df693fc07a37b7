"""Inspection results, their follow-ups, and the working-day calendar overrides."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, DateTime, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, JSONType


class Result(Base):
    __tablename__ = "results"
    # One row per revision: an amendment (更正) of a published result is a new row, revision + 1.
    __table_args__ = (
        UniqueConstraint("task_id", "entity_id", "agency", "revision"),
        Index("ix_results_agency_inspected_on", "agency", "inspected_on"),
        Index("ix_results_agency_approved_at", "agency", "approved_at"),  # the portal's feeds (0011_portal)
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[str] = mapped_column(String(64), unique=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("joint_tasks.id"), index=True)
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(32))
    inspected_on: Mapped[date] = mapped_column(Date, index=True)  # years on the portal
    outcome_codes: Mapped[list] = mapped_column(JSONType)
    inspectors: Mapped[list] = mapped_column(JSONType)
    items: Mapped[list] = mapped_column(JSONType, default=list)
    findings: Mapped[str] = mapped_column(Text, default="")
    substitution_reason: Mapped[str | None] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), default="entered", index=True)  # hub.results.states
    entered_by: Mapped[str] = mapped_column(String(64))
    entered_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(64))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime)
    due_on: Mapped[date | None] = mapped_column(Date)
    published_on: Mapped[date | None] = mapped_column(Date)
    # Every change bumps it; an edit or an approval applies only to the version it read.
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    amends: Mapped[str | None] = mapped_column(String(64))  # result_id of the published result it replaces
    superseded: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")  # an amendment was approved
    returned_reason: Mapped[str | None] = mapped_column(Text)
    returned_by: Mapped[str | None] = mapped_column(String(64))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime)


class FollowUp(Base):
    """责令整改 → 复查, 立案 → 处罚决定, 线索移送."""

    __tablename__ = "follow_ups"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    result_id: Mapped[int] = mapped_column(ForeignKey("results.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # correction|case|transfer
    due_on: Mapped[date | None] = mapped_column(Date)
    reinspected_on: Mapped[date | None] = mapped_column(Date)
    reinspection_outcome: Mapped[str | None] = mapped_column(String(8))
    penalty_no: Mapped[str | None] = mapped_column(String(64))
    decided_on: Mapped[date | None] = mapped_column(Date)
    penalty_due_on: Mapped[date | None] = mapped_column(Date)
    content: Mapped[str] = mapped_column(Text, default="")
    to_agency: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[str | None] = mapped_column(Text)  # a case's penalty decision (处罚决定)
    closed_on: Mapped[date | None] = mapped_column(Date)
    closed_by: Mapped[str | None] = mapped_column(String(64))


class CalendarOverride(Base):
    """A day the library gets wrong or does not know: a holiday or a make-up workday."""

    __tablename__ = "calendar_overrides"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    workday: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str] = mapped_column(String(128), default="")


class _FactCut:
    """The cut every summary counts by (its key's first columns): the year of the task, the agency, and the
    entity's district and categories as it has them now; ``n`` on each summary is how many share the key."""

    id: Mapped[int] = mapped_column(Integer, primary_key=True, sort_order=-1)
    year: Mapped[int] = mapped_column(Integer, sort_order=-1)
    agency: Mapped[str] = mapped_column(String(32), sort_order=-1)
    district: Mapped[str] = mapped_column(String(6), sort_order=-1)  # '' for an entity without one (or none at all)
    categories: Mapped[list] = mapped_column(JSONType, sort_order=-1)


class ResultFact(_FactCut, Base):
    """How many approved results of drawn tasks share a year (the task's), agency, entity district and categories
    (as the entity has them now), codes and flags: the dashboard's counts, kept exact by database triggers in
    the transaction of every write that changes one (migration 0016_stats_summary; docs/results.md)."""

    __tablename__ = "result_facts"
    __table_args__ = (
        UniqueConstraint(
            "year",
            "agency",
            "district",
            "categories",
            "codes",
            "superseded",
            "first",
            "on_time",
            name="uq_result_facts_key",
        ),
    )
    codes: Mapped[list] = mapped_column(JSONType)
    superseded: Mapped[bool] = mapped_column(Boolean)
    first: Mapped[bool] = mapped_column(Boolean)  # not an amendment
    on_time: Mapped[bool] = mapped_column(Boolean)  # published within its 20 working days
    n: Mapped[int] = mapped_column(Integer)  # may be 0 once its results moved on: read sums, not rows


class FollowUpFact(_FactCut, Base):
    """How many follow-ups of approved results of drawn tasks share the cut of ``ResultFact``, a kind, a state
    and a due date (kept as ``ResultFact`` is; overdue is read against the day asked)."""

    __tablename__ = "follow_up_facts"
    __table_args__ = (
        UniqueConstraint(
            "year",
            "agency",
            "district",
            "categories",
            "kind",
            "closed",
            "due_on",
            "decided",
            "timely",
            name="uq_follow_up_facts_key",
        ),
    )
    kind: Mapped[str] = mapped_column(String(16))
    closed: Mapped[bool] = mapped_column(Boolean)
    due_on: Mapped[date] = mapped_column(Date)  # a case's penalty deadline; 9999-12-31 when closed or none
    decided: Mapped[bool] = mapped_column(Boolean)  # a case with its decision
    timely: Mapped[bool] = mapped_column(Boolean)  # a case closed within 7 working days of its decision
    n: Mapped[int] = mapped_column(Integer)


class DeliveryFact(_FactCut, Base):
    """How many result messages to drawn tasks' sinks share a year, the agency, district and categories of their
    approved result ('' and [] without one), a sink, a state and a wait (approval to acceptance, in seconds,
    for a delivered message: ``timed``); kept as ``ResultFact`` is. The waits are kept exactly, so the
    median and the 95th percentile read from here are those of the messages themselves."""

    __tablename__ = "delivery_facts"
    __table_args__ = (
        UniqueConstraint(
            "year", "agency", "district", "categories", "sink", "state", "timed", "wait", name="uq_delivery_facts_key"
        ),
    )
    sink: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16))
    timed: Mapped[bool] = mapped_column(Boolean)
    wait: Mapped[float] = mapped_column(Float)  # 0 when not timed
    n: Mapped[int] = mapped_column(Integer)


class CoverageFact(_FactCut, Base):
    """How many current results (approved, not superseded) of drawn tasks an entity has per year and agency,
    with the entity's district and categories as it has them now: plan coverage counts the distinct entities
    with one. Kept as ``ResultFact`` is."""

    __tablename__ = "coverage_facts"
    __table_args__ = (
        UniqueConstraint("year", "agency", "district", "categories", "entity_id", name="uq_coverage_facts_key"),
    )
    entity_id: Mapped[str] = mapped_column(String(64))
    n: Mapped[int] = mapped_column(Integer)
