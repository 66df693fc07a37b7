"""Roster figures for the overview page and the API: counts by category and district."""

from __future__ import annotations

from sqlalchemy import case, func, select, text
from sqlalchemy.orm import Session

from hub.rosters.models import Entity, Inspector, QuarantineRecord


def entity_counts(session: Session) -> list[tuple[str, str, int]]:
    """(category, district, active entities), one row per pair."""
    if session.get_bind().dialect.name == "postgresql":
        sql = text(
            "SELECT c.value AS category, coalesce(e.district, '-') AS district, count(*) "
            "FROM entities e, jsonb_array_elements_text(e.categories) AS c(value) "
            "WHERE e.active GROUP BY 1, 2 ORDER BY 1, 2"
        )
    else:
        sql = text(
            "SELECT j.value AS category, coalesce(e.district, '-') AS district, count(*) "
            "FROM entities e, json_each(e.categories) AS j "
            "WHERE e.active GROUP BY 1, 2 ORDER BY 1, 2"
        )
    return [(c, d, n) for c, d, n in session.execute(sql)]


def inspector_counts(session: Session) -> list[tuple[str, int, int]]:
    """(agency, active inspectors, all inspectors)."""
    rows = session.execute(
        select(Inspector.agency, func.sum(case((Inspector.active, 1), else_=0)), func.count())
        .group_by(Inspector.agency)
        .order_by(Inspector.agency)
    )
    return [(a, int(act or 0), int(n)) for a, act, n in rows]


def totals(session: Session) -> dict[str, int]:
    return {
        "entities": session.scalar(select(func.count()).select_from(Entity)) or 0,
        "active_entities": session.scalar(select(func.count()).select_from(Entity).where(Entity.active)) or 0,
        "inspectors": session.scalar(select(func.count()).select_from(Inspector)) or 0,
        "quarantined": session.scalar(select(func.count()).select_from(QuarantineRecord)) or 0,
    }
