"""Reading the facts a freeze needs from the entity master, the inspector roster and past results."""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.results.models import Result
from hub.rosters.models import Entity, Inspector
from hub.tasks.plan import EntityFacts, InspectorFacts
from hub.tasks.spec import TaskSpec


def last_inspections(s: Session, agencies: tuple[str, ...]) -> dict[str, date]:
    """The latest inspection date per entity by any of ``agencies``."""
    rows = s.execute(select(Result.entity_id, func.max(Result.inspected_on))
                     .where(Result.agency.in_(agencies)).group_by(Result.entity_id))
    return {eid: d for eid, d in rows}


def last_pairings(s: Session) -> dict[str, set[str]]:
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


def entity_facts(s: Session, spec: TaskSpec) -> Iterator[EntityFacts]:
    """Active entities of the population's districts; plan.eligible applies the rest."""
    seen = last_inspections(s, spec.agencies) if spec.population.exclude_inspected_within_days else {}
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


PAGE = 5000  # rows a freeze reads per query


def _in_byte_order(s: Session, column: Any) -> Any:
    """`column` compared and sorted as raw bytes (JDP §1), whatever the database's collation."""
    return column.collate("C") if s.get_bind().dialect.name == "postgresql" else column


def entity_pages(s: Session, spec: TaskSpec, page: int | None = None) -> Iterator[list[EntityFacts]]:
    """The population's candidate entities (as entity_facts), page by page in entity_id byte order: keyset
    paging, each page one short index scan, so a freeze never holds the entity master whole."""
    seen = last_inspections(s, spec.agencies) if spec.population.exclude_inspected_within_days else {}
    key = _in_byte_order(s, Entity.entity_id)
    wanted, last = set(spec.population.categories), None
    while True:
        q = select(Entity.entity_id, Entity.district, Entity.categories, Entity.entity_type, Entity.status,
                   Entity.active, Entity.abnormal_list, Entity.serious_violation, Entity.credit_class
                   ).where(Entity.active).order_by(key).limit(page or PAGE)
        if spec.population.districts:
            q = q.where(Entity.district.in_(spec.population.districts))
        if last is not None:
            q = q.where(key > last)
        rows = s.execute(q).all()
        if not rows:
            return
        last = rows[-1].entity_id
        yield [EntityFacts(entity_id=row.entity_id, district=row.district, categories=tuple(row.categories or ()),
                           entity_type=row.entity_type, status=row.status, active=row.active,
                           abnormal_list=bool(row.abnormal_list), serious_violation=bool(row.serious_violation),
                           credit_class=row.credit_class, last_inspected_on=seen.get(row.entity_id))
               for row in rows if not wanted.isdisjoint(row.categories or ())]


def inspector_pages(s: Session, spec: TaskSpec, page: int | None = None) -> Iterator[list[InspectorFacts]]:
    """The task's agencies' inspectors (as inspector_facts), page by page in inspector_id byte order."""
    paired = last_pairings(s) if spec.recusal.avoid_last_pairing else {}
    key = _in_byte_order(s, Inspector.inspector_id)
    last = None
    while True:
        q = select(Inspector.inspector_id, Inspector.agency, Inspector.expertise, Inspector.home_districts,
                   Inspector.capacity, Inspector.active, Inspector.cert_valid_until, Inspector.conflicts
                   ).where(Inspector.agency.in_(spec.agencies)).order_by(key).limit(page or PAGE)
        if last is not None:
            q = q.where(key > last)
        inspectors = s.execute(q).all()  # plain rows: nothing stays in the session
        if not inspectors:
            return
        last = inspectors[-1].inspector_id
        yield [_inspector(i, paired) for i in inspectors]


def _inspector(i: Any, paired: dict[str, set[str]]) -> InspectorFacts:
    return InspectorFacts(inspector_id=i.inspector_id, agency=i.agency, expertise=tuple(i.expertise or ()),
                          home_districts=tuple(i.home_districts or ()), capacity=i.capacity,
                          active=i.active, cert_valid_until=i.cert_valid_until,
                          conflicts=tuple(i.conflicts or ()),
                          last_paired=tuple(sorted(paired.get(i.inspector_id, ()))))


def inspector_facts(s: Session, spec: TaskSpec) -> list[InspectorFacts]:
    paired = last_pairings(s) if spec.recusal.avoid_last_pairing else {}
    return [InspectorFacts(inspector_id=i.inspector_id, agency=i.agency, expertise=tuple(i.expertise or ()),
                           home_districts=tuple(i.home_districts or ()), capacity=i.capacity,
                           active=i.active, cert_valid_until=i.cert_valid_until,
                           conflicts=tuple(i.conflicts or ()),
                           last_paired=tuple(sorted(paired.get(i.inspector_id, ()))))
            for i in s.scalars(select(Inspector).where(Inspector.agency.in_(spec.agencies)))]
