"""Each category's planned ratio for the plan-coverage figure, from the annual plans (年度抽查计划).

The plans (issue 15, migration 0009_plans) are not in this tree yet: until they are, no category has a
planned ratio and the figure shows coverage alone. Wiring them is this one function.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from hub.results.figures import StatsFilter
from hub.results.stats import PlanRatios


def _plan_ratios(s: Session, f: StatsFilter) -> dict[str, float]:
    return {}


PLAN_RATIOS: PlanRatios = _plan_ratios
