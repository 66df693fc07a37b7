"""Reading the facts a freeze needs from the entity master, the inspector roster and past results.

Past results belong to a higher package (results): the caller passes them in as an
``InspectionHistory`` (hub.results.history.RESULTS_HISTORY), so tasks never imports results.
"""
from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.rosters.models import Entity, Inspector
from hub.tasks.plan import EntityFacts, InspectorFacts
from hub.tasks.spec import TaskSpec


class InspectionHistory(Protocol):
    """What a freeze reads of past results (recency exclusion, last-pairing recusal)."""

    def last_inspections(self, s: Session, agencies: tuple[str, ...]) -> dict[str, date]:
        """The latest inspection date per entity by any of ``agencies``."""

    def last_pairings(self, s: Session) -> dict[str, set[str]]:
        """inspector_id -> entities whose latest inspection that inspector took part in."""


def entity_facts(s: Session, spec: TaskSpec, history: InspectionHistory) -> Iterator[EntityFacts]:
    """Active entities of the population's districts; plan.eligible applies the rest."""
    seen = history.last_inspections(s, spec.agencies) if spec.population.exclude_inspected_within_days else {}
    q = select(Entity.entity_id, Entity.district, Entity.categories, Entity.entity_type, Entity.status,
               Entity.active, Entity.abnormal_list, Entity.serious_violation, Entity.credit_class
               ).where(Entity.active)
    if spec.population.districts:
        q = q.where(Entity.district.in_(spec.population.districts))
    wanted = set(spec.population.categories)
    for row in s.execute(q.execution_options(yield_per=5000)):
        cats = tuple(row.categories or ())
        if wanted.isdisjoint(cats):
            continue
        yield EntityFacts(entity_id=row.entity_id, district=row.district, categories=cats,
                          entity_type=row.entity_type, status=row.status, active=row.active,
                          abnormal_list=bool(row.abnormal_list), serious_violation=bool(row.serious_violation),
                          credit_class=row.credit_class, last_inspected_on=seen.get(row.entity_id))


def inspector_facts(s: Session, spec: TaskSpec, history: InspectionHistory) -> list[InspectorFacts]:
    paired = history.last_pairings(s) if spec.recusal.avoid_last_pairing else {}
    return [InspectorFacts(inspector_id=i.inspector_id, agency=i.agency, expertise=tuple(i.expertise or ()),
                           home_districts=tuple(i.home_districts or ()), capacity=i.capacity,
                           active=i.active, cert_valid_until=i.cert_valid_until,
                           conflicts=tuple(i.conflicts or ()),
                           last_paired=tuple(sorted(paired.get(i.inspector_id, ()))))
            for i in s.scalars(select(Inspector).where(Inspector.agency.in_(spec.agencies)))]
