"""Past results as the freeze reads them: the latest inspection per entity and who took part.

Handed to hub.tasks (``freeze(..., history=RESULTS_HISTORY)``) by the entry points, so the
lower tasks package reads results without importing them.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.results.models import Result


class ResultsHistory:
    """hub.tasks.gather.InspectionHistory over the results table."""

    def last_inspections(self, s: Session, agencies: tuple[str, ...]) -> dict[str, date]:
        """The latest inspection date per entity by any of ``agencies``."""
        rows = s.execute(
            select(Result.entity_id, func.max(Result.inspected_on))
            .where(Result.agency.in_(agencies))
            .group_by(Result.entity_id)
        )
        return {eid: d for eid, d in rows}

    def last_pairings(self, s: Session) -> dict[str, set[str]]:
        """inspector_id -> entities whose latest inspection that inspector took part in."""
        latest: dict[str, tuple[date, list[str]]] = {}
        for eid, day, inspectors in s.execute(select(Result.entity_id, Result.inspected_on, Result.inspectors)):
            if eid not in latest or day > latest[eid][0]:
                latest[eid] = (day, list(inspectors or []))
        paired: dict[str, set[str]] = defaultdict(set)
        for eid, (_, inspectors) in latest.items():
            for i in inspectors:
                paired[i].add(eid)
        return paired


RESULTS_HISTORY = ResultsHistory()
