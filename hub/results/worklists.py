"""What each person works through (reads): an inspector's or liaison's assignments to enter, the
entry form's facts, a reviewer's queue across tasks, and the follow-ups still open; keyset-paged,
each showing only what hub.results.access lets the caller see."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, case, select
from sqlalchemy.orm import Session

from hub.auth.principal import Principal
from hub.db import Database
from hub.draw.models import Assignment, AssignmentInspector
from hub.errors import Forbidden, InvalidInput, NotFound
from hub.items.models import Item
from hub.keyset import read_page
from hub.paging import Cursor, Page, decode_cursor
from hub.results.access import acting, entry_refusal, review_refusal
from hub.results.follow_ups import calendar, team_agencies
from hub.results.models import FollowUp, Result
from hub.results.states import ResultState
from hub.results.visibility import result_filter
from hub.rosters.models import Entity, Inspector
from hub.tasks.models import JointTask

PAGE_SIZE = 50


Rows = Page[Any]


def _cursor(value: str | None) -> Cursor | None:
    return decode_cursor(value, (int,))


@dataclass(frozen=True)
class Assigned:
    """One (task, entity, agency) the caller enters, with the state of its newest result."""

    id: int  # the assignment's id: the list's order and cursor
    task_id: str
    task_title: str
    entity_id: str
    entity_name: str
    agency: str
    result_id: str | None
    state: str | None
    returned_reason: str | None


def my_assignments(db: Database, who: Principal, cursor: str | None = None, limit: int = PAGE_SIZE) -> Rows:
    """An inspector's own drawn assignments (their agency's side); a liaison's agency's; a coordinator's
    all (one row per agency of the task). Paged by drawn entity: a page holds ``limit`` of them."""
    caller, at = acting(who), _cursor(cursor)
    q = select(Assignment.id, Assignment.task_id, Assignment.entity_id, JointTask.agencies).join(
        JointTask, and_(JointTask.id == Assignment.task_id, JointTask.state == "drawn")
    )
    side: str | None = None
    if caller.has("coordinator"):
        pass
    elif "inspector" in caller.roles and caller.inspector_id:
        q = q.add_columns(AssignmentInspector.agency).join(
            AssignmentInspector,
            and_(
                AssignmentInspector.task_id == Assignment.task_id,
                AssignmentInspector.entity_id == Assignment.entity_id,
                AssignmentInspector.inspector_id == caller.inspector_id,
            ),
        )
    elif "liaison" in caller.roles and caller.agency:
        side = caller.agency
    else:
        return Page([], total=0)
    with db.unit_of_work() as s:
        found = read_page(s, q, [Assignment.__table__.c.id], at, limit, row_key=lambda r: (r[0],), scalars=False)
        page: list[tuple[int, str, str, str]] = []
        for row in found.rows:
            aid, task_id, entity_id, agencies = row[:4]
            if len(row) == 5:  # an inspector: their own side of the team
                page.append((aid, task_id, entity_id, row[4]))
            else:
                page += [(aid, task_id, entity_id, a) for a in agencies if side is None or a == side]
        titles = dict(
            s.execute(select(JointTask.id, JointTask.title).where(JointTask.id.in_({p[1] for p in page}))).all()
        )
        names = _names(s, {p[2] for p in page})
        latest = _latest_results(s, [(p[1], p[2], p[3]) for p in page])
        rows = []
        for aid, task_id, entity_id, agency in page:
            r = latest.get((task_id, entity_id, agency))
            rows.append(
                Assigned(
                    aid,
                    task_id,
                    titles.get(task_id, task_id),
                    entity_id,
                    names.get(entity_id, entity_id),
                    agency,
                    r.result_id if r else None,
                    r.state if r else None,
                    r.returned_reason if r and r.state == ResultState.RETURNED else None,
                )
            )
        return replace(found, rows=rows)


def _names(s: Session, entity_ids: set[str]) -> dict[str, str]:
    return {e: n for e, n in s.execute(select(Entity.entity_id, Entity.name).where(Entity.entity_id.in_(entity_ids)))}


def _latest_results(s: Session, keys: list[tuple[str, str, str]]) -> dict[tuple[str, str, str], Result]:
    if not keys:
        return {}
    out: dict[tuple[str, str, str], Result] = {}
    wanted = set(keys)
    q = (
        select(Result)
        .where(Result.task_id.in_({k[0] for k in keys}), Result.entity_id.in_({k[1] for k in keys}))
        .order_by(Result.revision)
    )
    for r in s.scalars(q):
        key = (r.task_id, r.entity_id, r.agency)
        if key in wanted:
            out[key] = r  # the newest revision wins
    return out


@dataclass
class EntryForm:
    """What the entry form of one (task, entity, agency) shows and offers."""

    task_id: str
    task_title: str
    window: tuple[date, date]
    entity_id: str
    entity_name: str
    entity_address: str
    agency: str
    items: list[tuple[str, str, str]]  # code, name, content
    team: list[tuple[str, str]]  # inspector id, name (this agency's side of the drawn team)
    substitutes: list[tuple[str, str]]  # eligible-looking officers of the agency (the service checks each)
    result: Result | None
    follow_ups: list[FollowUp] = field(default_factory=list)
    published: Result | None = None  # the approved result an entry now amends

    @property
    def frozen(self) -> bool:
        return self.result is not None and self.result.state == ResultState.APPROVED


def entry_form(db: Database, who: Principal, task_id: str, entity_id: str, agency: str) -> EntryForm:
    """The facts of the entry form; Forbidden unless the caller may enter this result (hub.results.access)."""
    caller = acting(who)
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None or task.state != "drawn" or agency not in (task.agencies or []):
            raise NotFound(f"no drawn task {task_id!r} with agency {agency!r}", where="task")
        if (
            s.scalar(select(Assignment.id).where(Assignment.task_id == task_id, Assignment.entity_id == entity_id))
            is None
        ):
            raise NotFound(f"{entity_id} was not drawn in {task_id}", where="entity")
        sides = team_agencies(s, task_id, entity_id)
        refusal = entry_refusal(caller, agency, sides)
        if refusal:
            raise Forbidden(refusal, where="agency")
        entity = s.scalar(select(Entity).where(Entity.entity_id == entity_id))
        codes = [c for t in task.spec.get("team", []) if t.get("agency") == agency for c in t.get("items", [])]
        items = {i.code: i for i in s.scalars(select(Item).where(Item.code.in_(codes)))}
        team_ids = [i for i, a in sides.items() if a == agency]
        officers = {
            i.inspector_id: i
            for i in s.scalars(select(Inspector).where(Inspector.agency == agency).order_by(Inspector.inspector_id))
        }
        latest = _latest_results(s, [(task_id, entity_id, agency)]).get((task_id, entity_id, agency))
        follow_ups = []
        published = None
        if latest is not None:
            follow_ups = list(s.scalars(select(FollowUp).where(FollowUp.result_id == latest.id).order_by(FollowUp.id)))
            if latest.amends:
                published = s.scalar(select(Result).where(Result.result_id == latest.amends))
        return EntryForm(
            task.id,
            task.title,
            (task.window_start, task.window_end),
            entity_id,
            entity.name if entity else entity_id,
            (entity.address or "") if entity else "",
            agency,
            [(c, items[c].name if c in items else c, items[c].content if c in items else "") for c in codes],
            [(i, officers[i].name if i in officers else i) for i in team_ids],
            [
                (i, o.name)
                for i, o in officers.items()
                if i not in team_ids
                and o.active
                and (o.cert_valid_until is None or o.cert_valid_until >= task.window_start)
            ],
            latest,
            follow_ups,
            published,
        )


@dataclass(frozen=True)
class QueueFilter:
    task: str | None = None
    agency: str | None = None
    state: str = ResultState.ENTERED


def review_queue(
    db: Database, who: Principal, f: QueueFilter, cursor: str | None = None, limit: int = PAGE_SIZE
) -> Rows:
    """Results waiting for review (or returned), across tasks, oldest first: what the caller may review."""
    caller, at = acting(who), _cursor(cursor)
    refusal = review_refusal(caller, None)
    if refusal:
        raise Forbidden(refusal, where="review")
    if f.state not in (ResultState.ENTERED, ResultState.RETURNED):
        raise InvalidInput(f"{f.state!r} is not entered or returned", where="state")
    where = [Result.state == f.state]
    if f.task:
        where.append(Result.task_id == f.task)
    agency = f.agency
    if caller.agency and "admin" not in caller.roles:
        if agency not in (None, caller.agency):
            raise Forbidden(f"a reviewer of {caller.agency} reviews only {caller.agency}'s results", where="agency")
        agency = caller.agency
    if agency:
        where.append(Result.agency == agency)
    with db.unit_of_work() as s:
        page = read_page(s, select(Result).where(*where), [Result.__table__.c.id], at, limit, row_key=lambda r: (r.id,))
        found = list(page.rows)
        names = _names(s, {r.entity_id for r in found})
        kinds: dict[int, list[str]] = {}
        for rid, kind in s.execute(
            select(FollowUp.result_id, FollowUp.kind).where(FollowUp.result_id.in_([r.id for r in found]))
        ):
            kinds.setdefault(rid, []).append(kind)
        rows = [
            {"r": r, "entity_name": names.get(r.entity_id, r.entity_id), "follow_ups": kinds.get(r.id, [])}
            for r in found
        ]
        return replace(page, rows=rows)


def open_follow_ups(
    db: Database,
    who: Principal,
    today: date,
    overdue_only: bool = False,
    cursor: str | None = None,
    limit: int = PAGE_SIZE,
) -> Rows:
    """Open follow-ups of submitted results the caller may see, each with its due date and status
    (overdue: the due date has passed; a case's clock is its decision's publication, 7 working days)."""
    caller, at = acting(who), _cursor(cursor)
    due = case((FollowUp.kind == "case", FollowUp.penalty_due_on), else_=FollowUp.due_on)
    where = [FollowUp.closed.is_(False), Result.state != ResultState.DRAFT]
    seen = result_filter(caller)
    if seen is not None:
        where.append(seen)
    if overdue_only:
        where.append(due < today)
    with db.unit_of_work() as s:
        joined = select(FollowUp, Result).join(Result, Result.id == FollowUp.result_id).where(*where)
        base: Select[Any] = joined  # type: ignore[assignment]  # two entities, read as rows
        page = read_page(s, base, [FollowUp.__table__.c.id], at, limit, row_key=lambda r: (r[0].id,), scalars=False)
        found = list(page.rows)
        cal = calendar(s)
        names = _names(s, {r.entity_id for _, r in found})
        rows = []
        for fu, r in found:
            deadline = fu.penalty_due_on if fu.kind == "case" else fu.due_on
            rows.append(
                {
                    "f": fu,
                    "r": r,
                    "entity_name": names.get(r.entity_id, r.entity_id),
                    "due_on": deadline,
                    "status": cal.due_status(deadline, today) if deadline else None,
                }
            )
        return replace(page, rows=rows)


__all__ = ["EntryForm", "QueueFilter", "Rows", "entry_form", "my_assignments", "open_follow_ups", "review_queue"]
