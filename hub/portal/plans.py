"""Annual plans (抽查计划公告) as the public reads them: the approved or filed plans (a plan being revised
is a draft again, and shows again once approved), each entry as the provincial platform receives it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from hub.db import Database
from hub.plans.models import AnnualPlan, PlanEntry
from hub.plans.states import PlanState
from hub.portal.result_queries import delivery_dates

PUBLIC_PLAN_STATES = (PlanState.APPROVED, PlanState.FILED)


def published_plans(db: Database, sinks: Mapping[str, str] | None = None, limit: int = 100) -> list[dict[str, Any]]:
    """The published plans, newest year first, with their entries and when each reached a sink."""
    with db.unit_of_work() as s:
        plans = list(
            s.scalars(
                select(AnnualPlan)
                .where(AnnualPlan.state.in_(PUBLIC_PLAN_STATES))
                .order_by(AnnualPlan.year.desc(), AnnualPlan.lead)
                .limit(limit)
            )
        )
        entries: dict[str, list[PlanEntry]] = {}
        if plans:
            q = select(PlanEntry).where(PlanEntry.plan_id.in_([p.id for p in plans])).order_by(PlanEntry.position)
            for e in s.scalars(q):
                entries.setdefault(e.plan_id, []).append(e)
        delivered = delivery_dates(s, "plan", [f"plan:{p.id}" for p in plans], sinks or {})
    return [
        {
            "plan_id": p.id,
            "year": p.year,
            "lead": p.lead,
            "title": p.title,
            "published_on": p.approved_at.date() if p.approved_at else None,
            "delivered": delivered.get(f"plan:{p.id}", []),
            "entries": [
                {
                    "entry_id": e.id,
                    "title": e.title,
                    "agencies": list(e.agencies),
                    "items": dict(e.items),
                    "population": dict(e.population),
                    "ratio": e.ratio,
                    "months": list(e.months),
                }
                for e in entries.get(p.id, [])
            ],
        }
        for p in plans
    ]
