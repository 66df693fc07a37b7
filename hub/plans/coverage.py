"""The planned ratio of each category for the statistics' plan-coverage figure (hub.results.stats).

A category's ratio in a year is the highest ratio of the approved or filed plans' entries of that year
whose population names it (and, under an agency or district cut, whose agencies or districts include
it): the plan's floor for that category. Without a year in the cut, no plan applies.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.plans.models import AnnualPlan, PlanEntry
from hub.plans.states import PlanState
from hub.results.figures import StatsFilter
from hub.results.stats import PlanRatios


def category_ratios(s: Session, f: StatsFilter) -> dict[str, float]:
    if f.year is None:
        return {}
    out: dict[str, float] = {}
    q = (
        select(PlanEntry.agencies, PlanEntry.population, PlanEntry.ratio)
        .join(AnnualPlan, AnnualPlan.id == PlanEntry.plan_id)
        .where(AnnualPlan.year == f.year, AnnualPlan.state.in_([PlanState.APPROVED, PlanState.FILED]))
    )
    for agencies, population, ratio in s.execute(q):
        if f.agency is not None and f.agency not in (agencies or []):
            continue
        districts = (population or {}).get("districts") or []
        if f.district is not None and districts and f.district not in districts:
            continue
        try:
            value = float(Decimal(str(ratio)))
        except (InvalidOperation, ValueError):
            continue  # the plans service checks ratios on entry; an odd stored one is not a floor
        for category in (population or {}).get("categories") or []:
            out[category] = max(out.get(category, 0.0), value)
    return out


PLAN_RATIOS: PlanRatios = category_ratios
