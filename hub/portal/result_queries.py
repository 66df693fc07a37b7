"""Published results as the public reads them: the search, an enterprise's history, a year's download.

Only approved results are public; every name and finding passes through hub.disclosure (the one
masking rule). Lists go a page at a time by result id (keyset), newest first, and a year's
download is streamed from a server-side cursor, never loaded whole.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, select, text
from sqlalchemy.orm import Session

from hub.db import Database
from hub.disclosure import mask_findings, public_entity_name, public_inspector_name
from hub.errors import NotFound
from hub.outbox.models import OutboxMessage
from hub.outbox.states import MessageState
from hub.portal.models import PublicName
from hub.portal.search import (
    INDEXED_NAME_MIN,
    ResultSearch,
    code_range,
    fts_phrase,
    like_pattern,
    visible_match,
)
from hub.results.models import Result
from hub.results.states import ResultState
from hub.rosters.models import Entity, Inspector
from hub.tasks.models import JointTask
from vocabulary.outcomes import text as outcome_text

_COLUMNS = (
    Result.id,
    Result.result_id,
    Result.task_id,
    Result.entity_id,
    Result.agency,
    Result.inspected_on,
    Result.outcome_codes,
    Result.inspectors,
    Result.findings,
    Result.published_on,
    Result.approved_at,
    Result.amends,
    Result.superseded,
    Entity.uscc,
    Entity.name,
    Entity.entity_type,
    Entity.legal_rep,
    Entity.district,
    JointTask.title,
)


#: A search whose name or code matches at most this many entities looks up their results by entity.
FEW_ENTITIES = 2000


@dataclass(frozen=True)
class ResultPage:
    """One page of published results; ``after`` is the cursor of the next page (None on the last)."""

    rows: list[dict[str, Any]]
    after: int | None
    last_modified: datetime | None


def search_results(
    db: Database, query: ResultSearch, *, sinks: Mapping[str, str] | None = None, inspectors: str = "masked"
) -> ResultPage:
    """Published results matching ``query``, newest first, a page at a time."""
    with db.unit_of_work() as s:
        return _page(s, _filtered(s, query), query.limit, query.name, sinks, inspectors)


def task_results(
    db: Database,
    task_id: str,
    query: ResultSearch,
    *,
    sinks: Mapping[str, str] | None = None,
    inspectors: str = "masked",
) -> ResultPage:
    """A task's published results (its result notice), newest first, a page at a time."""
    with db.unit_of_work() as s:
        q = _filtered(s, query).where(Result.task_id == task_id)
        return _page(s, q, query.limit, query.name, sinks, inspectors)


def enterprise_history(
    db: Database,
    entity_id: str,
    *,
    after: int | None = None,
    limit: int = 50,
    sinks: Mapping[str, str] | None = None,
    inspectors: str = "masked",
) -> tuple[dict[str, Any], ResultPage]:
    """An entity as published, and every published result about it (a page at a time).

    The public meets an entity only through a published result: one without any is not found."""
    with db.unit_of_work() as s:
        e = s.scalar(select(Entity).where(Entity.entity_id == entity_id))
        q = _published().where(Result.entity_id == entity_id)
        if e is None or s.scalar(q.with_only_columns(Result.id).limit(1)) is None:
            raise NotFound(f"没有关于 {entity_id!r} 的已公示检查结果 (no published result about it)", where="entity")
        entity = {
            "entity_id": e.entity_id,
            "uscc": e.uscc,
            "name": public_entity_name(e.name, e.entity_type, e.legal_rep),
            "entity_type": e.entity_type,
            "district": e.district,
            "categories": list(e.categories or []),
        }
        if after is not None:
            q = q.where(Result.id < after)
        return entity, _page(s, q, limit, "", sinks, inspectors)


def year_results(db: Database, year: int, *, inspectors: str = "masked") -> Iterator[dict[str, Any]]:
    """Every result published about inspections in ``year``, oldest first, as the rows are read."""
    q = _published().where(Result.inspected_on >= date(year, 1, 1), Result.inspected_on < date(year + 1, 1, 1))
    q = q.order_by(Result.id)
    with db.unit_of_work() as s:
        names = _inspector_names(s, inspectors)
        for row in s.execute(q.execution_options(yield_per=2000)):
            yield _public_row(row, names, inspectors)


def _published() -> Select[Any]:
    return (
        select(*_COLUMNS)
        .join(Entity, Entity.entity_id == Result.entity_id)
        .join(JointTask, JointTask.id == Result.task_id)
        .where(Result.state == ResultState.APPROVED)
    )


def _filtered(s: Session, query: ResultSearch) -> Select[Any]:
    q = _published()
    sqlite = s.get_bind().dialect.name == "sqlite"
    named: list[ColumnElement[bool]] = []
    if query.name:
        named.append(_name_contains(query.name, sqlite))
    if query.code:
        low, high = code_range(query.code)  # entity_id equals the credit code where there is one
        named.append(and_(Entity.entity_id >= low, Entity.entity_id < high))
    if named:
        # Entities first, through their own index (trigrams, grams, the credit code): when few match, their
        # results are found by ix_results_entity_id; otherwise the planner would walk the results newest
        # first, probing each one's entity, which takes long when the name or code is rare.
        few = list(s.scalars(select(Entity.entity_id).where(*named).limit(FEW_ENTITIES + 1)))
        if len(few) > FEW_ENTITIES:
            q = q.where(*named)
        else:
            # ordered by an expression, so that the planner cannot walk the primary key newest first (which it
            # would, expecting a match soon, and read every result when those entities have none): their few
            # results are read through ix_results_entity_id and sorted
            q = q.where(Result.entity_id.in_(few)).order_by((Result.id + 0).desc())
    if query.district:
        q = q.where(Entity.district == query.district)
    if query.agency:
        q = q.where(Result.agency == query.agency)
    if query.year:
        q = q.where(Result.inspected_on >= date(query.year, 1, 1), Result.inspected_on < date(query.year + 1, 1, 1))
    if query.outcome:
        if sqlite:
            has = text("EXISTS (SELECT 1 FROM json_each(results.outcome_codes) WHERE json_each.value = :outcome)")
        else:
            has = text("results.outcome_codes @> jsonb_build_array(CAST(:outcome AS text))")
        q = q.where(has.bindparams(outcome=query.outcome))
    if query.after is not None:
        q = q.where(Result.id < query.after)
    return q


def _name_contains(name: str, sqlite: bool) -> ColumnElement[bool]:
    """Entities with a published result whose name holds ``name``, through the names the portal keeps
    (``public_names``, migration 0015_public_names): the trigram index from three characters; below that
    the grams index on PostgreSQL, a scan of those names alone on SQLite."""
    if sqlite and len(name) >= INDEXED_NAME_MIN:
        match = text("entities.id IN (SELECT rowid FROM public_name_index WHERE public_name_index MATCH :phrase)")
        return match.bindparams(phrase=fts_phrase(name))  # type: ignore[return-value]  # a boolean SQL fragment
    named: ColumnElement[bool] = PublicName.name.like(like_pattern(name), escape="\\")
    if not sqlite and len(name) < INDEXED_NAME_MIN:
        # PostgreSQL: the pg_trgm GIN index answers LIKE from 3 characters; 1 or 2 characters are one of the
        # name's grams (a GIN index over hub_name_grams(public_names.name), 0014/0015), exactly
        grams = text("hub_name_grams(public_names.name) @> ARRAY[CAST(:gram AS text)]").bindparams(gram=name)
        named = and_(grams, named)
    return Entity.id.in_(select(PublicName.entity_pk).where(named))


def entity_ids_named(db: Database, name: str, limit: int = 100) -> list[str]:
    """Ids of the entities the public can meet whose name holds ``name`` (for tests and checks)."""
    with db.unit_of_work() as s:
        sqlite = s.get_bind().dialect.name == "sqlite"
        q = select(Entity.entity_id).where(_name_contains(name, sqlite)).order_by(Entity.entity_id).limit(limit)
        return list(s.scalars(q))


def _page(
    s: Session, q: Select[Any], limit: int, name_query: str, sinks: Mapping[str, str] | None, policy: str
) -> ResultPage:
    if not q._order_by_clauses:  # newest first, unless _filtered chose how (the same order)
        q = q.order_by(Result.id.desc())
    rows = list(s.execute(q.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    names = _inspector_names(s, policy, [i for r in rows for i in r.inspectors or []])
    shown = [_public_row(r, names, policy) for r in rows]
    shown = [p for p, r in zip(shown, rows, strict=True) if visible_match(name_query, p["entity_name"], r.name)]
    delivered = delivery_dates(s, "result", [p["result_id"] for p in shown], sinks or {})
    for p in shown:
        p["delivered"] = delivered.get(p["result_id"], [])
    stamps = [r.approved_at for r in rows if r.approved_at is not None]
    return ResultPage(shown, rows[-1].id if more else None, max(stamps) if stamps else None)


def _inspector_names(s: Session, policy: str, ids: Sequence[str] | None = None) -> dict[str, str]:
    if policy == "hidden":
        return {}
    q = select(Inspector.inspector_id, Inspector.name)
    if ids is not None:
        if not ids:
            return {}
        q = q.where(Inspector.inspector_id.in_(set(ids)))
    return {i: public_inspector_name(n, policy) for i, n in s.execute(q)}


def _public_row(r: Any, inspector_names: Mapping[str, str], policy: str) -> dict[str, Any]:
    codes = [str(c) for c in r.outcome_codes or []]
    return {
        "result_id": r.result_id,
        "task_id": r.task_id,
        "task_title": r.title,
        "entity_id": r.entity_id,
        "uscc": r.uscc,
        "entity_name": public_entity_name(r.name, r.entity_type, r.legal_rep),
        "district": r.district,
        "agency": r.agency,
        "inspected_on": r.inspected_on,
        "outcome_codes": codes,
        "outcome_texts": [outcome_text(c) for c in codes],
        "inspectors": [] if policy == "hidden" else [inspector_names.get(i, i) for i in r.inspectors or []],
        "findings": mask_findings(r.findings, (r.legal_rep,)),
        "published_on": r.published_on,
        # an amendment (更正) is a new result naming the one it replaces; the replaced one stays, marked
        "amends": r.amends,
        "superseded": bool(r.superseded),
    }


def delivery_dates(
    s: Session, kind: str, keys: Sequence[str], sinks: Mapping[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """When each message (by idempotency key) reached each sink: [{"sink": label, "at": datetime}].

    ``sinks`` names each configured sink for the public (e.g. 省联合监管平台); a sink not named is left out."""
    if not keys or not sinks:
        return {}
    out: dict[str, list[dict[str, Any]]] = {}
    q = select(OutboxMessage.key, OutboxMessage.sink, OutboxMessage.delivered_at).where(
        OutboxMessage.kind == kind,
        OutboxMessage.key.in_(list(keys)),
        OutboxMessage.state == MessageState.DELIVERED,
        OutboxMessage.sink.in_(list(sinks)),
    )
    for key, sink, at in s.execute(q.order_by(OutboxMessage.sink)):
        out.setdefault(key, []).append({"sink": sinks[sink], "at": at})
    return out
