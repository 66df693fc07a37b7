"""The public results export (`hub export results`): approved results, personal data masked."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.disclosure import mask_findings, public_entity_name
from hub.outbox.models import OutboxMessage
from hub.results.models import Result
from hub.results.states import ResultState
from hub.rosters.export import EXTRA_KINDS
from hub.rosters.models import Entity
from vocabulary.outcomes import text

COLUMNS = [
    "result_id",
    "task_id",
    "entity_id",
    "uscc",
    "entity_name",
    "agency",
    "inspected_on",
    "outcome_codes",
    "outcome_texts",
    "inspectors",
    "findings",
    "approved_at",
    "due_on",
    "delivery",
    "amends",  # an amendment (更正): the result_id it replaces
    "superseded",  # replaced by an approved amendment (the export keeps both; public pages show the latest)
]


def published_results(s: Session, task_id: str | None = None, current_only: bool = False) -> Iterator[dict[str, Any]]:
    """Approved results (with ``current_only``, those no approved amendment replaced), masked."""
    q = (
        select(Result)
        .where(Result.state == ResultState.APPROVED)
        .order_by(Result.task_id, Result.entity_id, Result.agency, Result.revision)
    )
    if current_only:
        q = q.where(Result.superseded.is_(False))
    if task_id:
        q = q.where(Result.task_id == task_id)
    # a chunk at a time (a big task holds tens of thousands): its entities and deliveries looked up per chunk
    for results in s.scalars(q.execution_options(yield_per=CHUNK)).partitions():
        yield from _published_rows(s, results)


#: results read, and their entities and deliveries looked up, at a time
CHUNK = 1000


def _published_rows(s: Session, results: Sequence[Result]) -> Iterator[dict[str, Any]]:
    entities = {
        e.entity_id: e for e in s.scalars(select(Entity).where(Entity.entity_id.in_({r.entity_id for r in results})))
    }
    delivery: dict[str, list[str]] = {}
    for key, sink, state in s.execute(
        select(OutboxMessage.key, OutboxMessage.sink, OutboxMessage.state).where(
            OutboxMessage.kind == "result", OutboxMessage.key.in_([r.result_id for r in results])
        )
    ):
        delivery.setdefault(key, []).append(f"{sink}:{state}")
    for r in results:
        e = entities.get(r.entity_id)
        yield {
            "result_id": r.result_id,
            "task_id": r.task_id,
            "entity_id": r.entity_id,
            "uscc": e.uscc if e else None,
            "entity_name": public_entity_name(e.name, e.entity_type, e.legal_rep) if e else r.entity_id,
            "agency": r.agency,
            "inspected_on": r.inspected_on,
            "outcome_codes": list(r.outcome_codes),
            "outcome_texts": [text(c) for c in r.outcome_codes],
            "inspectors": list(r.inspectors),
            "findings": mask_findings(r.findings, (e.legal_rep,) if e else ()),
            "approved_at": r.approved_at,
            "due_on": r.due_on,
            "delivery": sorted(delivery.get(r.result_id, [])),
            "amends": r.amends,
            "superseded": bool(r.superseded),
        }


EXTRA_KINDS["results"] = (COLUMNS, published_results)
