"""Reading the facts a freeze needs from the entity master, the inspector roster and past results.

Past results belong to a higher package (results): the caller passes them in as an
``InspectionHistory`` (hub.results.history.RESULTS_HISTORY), so tasks never imports results.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from typing import Any, Protocol

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
    q = select(
        Entity.entity_id,
        Entity.district,
        Entity.categories,
        Entity.entity_type,
        Entity.status,
        Entity.active,
        Entity.abnormal_list,
        Entity.serious_violation,
        Entity.credit_class,
    ).where(Entity.active)
    if spec.population.districts:
        q = q.where(Entity.district.in_(spec.population.districts))
    wanted = set(spec.population.categories)
    for row in s.execute(q.execution_options(yield_per=5000)):
        cats = tuple(row.categories or ())
        if wanted.isdisjoint(cats):
            continue
        yield EntityFacts(
            entity_id=row.entity_id,
            district=row.district,
            categories=cats,
            entity_type=row.entity_type,
            status=row.status,
            active=row.active,
            abnormal_list=bool(row.abnormal_list),
            serious_violation=bool(row.serious_violation),
            credit_class=row.credit_class,
            last_inspected_on=seen.get(row.entity_id),
        )


def _inspector_facts(i: Any, paired: dict[str, Any]) -> InspectorFacts:
    """One inspector (a model object or a plain row with the same names) as the feasibility check sees it."""
    return InspectorFacts(
        inspector_id=i.inspector_id,
        agency=i.agency,
        expertise=tuple(i.expertise or ()),
        home_districts=tuple(i.home_districts or ()),
        capacity=i.capacity,
        active=i.active,
        cert_valid_until=i.cert_valid_until,
        conflicts=tuple(i.conflicts or ()),
        last_paired=tuple(sorted(paired.get(i.inspector_id, ()))),
    )


def inspector_facts(s: Session, spec: TaskSpec, history: InspectionHistory) -> list[InspectorFacts]:
    paired = history.last_pairings(s) if spec.recusal.avoid_last_pairing else {}
    return [
        _inspector_facts(i, paired) for i in s.scalars(select(Inspector).where(Inspector.agency.in_(spec.agencies)))
    ]


PAGE = 5000  # rows a freeze reads per query


def _in_byte_order(s: Session, column: Any) -> Any:
    """`column` compared and sorted as raw bytes (JDP §1), whatever the database's collation."""
    return column.collate("C") if s.get_bind().dialect.name == "postgresql" else column


def entity_pages(
    s: Session, spec: TaskSpec, history: InspectionHistory | None, page: int | None = None
) -> Iterator[list[EntityFacts]]:
    """The population's candidate entities (as entity_facts), page by page in entity_id byte order: keyset
    paging, each page one short index scan, so a freeze never holds the entity master whole."""
    seen = (
        history.last_inspections(s, spec.agencies)
        if history is not None and spec.population.exclude_inspected_within_days
        else {}
    )
    key = _in_byte_order(s, Entity.entity_id)
    wanted, last = set(spec.population.categories), None
    while True:
        q = (
            select(
                Entity.entity_id,
                Entity.district,
                Entity.categories,
                Entity.entity_type,
                Entity.status,
                Entity.active,
                Entity.abnormal_list,
                Entity.serious_violation,
                Entity.credit_class,
            )
            .where(Entity.active)
            .order_by(key)
            .limit(page or PAGE)
        )
        if spec.population.districts:
            q = q.where(Entity.district.in_(spec.population.districts))
        if last is not None:
            q = q.where(key > last)
        rows = s.execute(q).all()
        if not rows:
            return
        last = rows[-1].entity_id
        yield [
            EntityFacts(
                entity_id=row.entity_id,
                district=row.district,
                categories=tuple(row.categories or ()),
                entity_type=row.entity_type,
                status=row.status,
                active=row.active,
                abnormal_list=bool(row.abnormal_list),
                serious_violation=bool(row.serious_violation),
                credit_class=row.credit_class,
                last_inspected_on=seen.get(row.entity_id),
            )
            for row in rows
            if not wanted.isdisjoint(row.categories or ())
        ]


def inspector_pages(
    s: Session, spec: TaskSpec, history: InspectionHistory | None, page: int | None = None
) -> Iterator[list[InspectorFacts]]:
    """The task's agencies' inspectors (as inspector_facts), page by page in inspector_id byte order."""
    paired = history.last_pairings(s) if history is not None and spec.recusal.avoid_last_pairing else {}
    key = _in_byte_order(s, Inspector.inspector_id)
    last = None
    while True:
        q = (
            select(
                Inspector.inspector_id,
                Inspector.agency,
                Inspector.expertise,
                Inspector.home_districts,
                Inspector.capacity,
                Inspector.active,
                Inspector.cert_valid_until,
                Inspector.conflicts,
            )
            .where(Inspector.agency.in_(spec.agencies))
            .order_by(key)
            .limit(page or PAGE)
        )
        if last is not None:
            q = q.where(key > last)
        inspectors = s.execute(q).all()  # plain rows: nothing stays in the session
        if not inspectors:
            return
        last = inspectors[-1].inspector_id
        yield [_inspector_facts(i, paired) for i in inspectors]
