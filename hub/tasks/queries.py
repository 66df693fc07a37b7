"""Reading joint tasks for pages and the API (the services own the queries; views only render)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hub.db import Database
from hub.errors import InvalidInput, NotFound
from hub.keyset import read_page
from hub.paging import Cursor, Page
from hub.tasks.models import JointTask, TaskParty
from hub.tasks.states import TaskState
from hub.tasks.todo import PartyState, Step, next_steps

#: From the freeze on, a task's digests are public.
PUBLIC_STATES = ("frozen", "drawn", "void")


def require_task(s: Session, task_id: str) -> JointTask:
    """The task, or NotFound naming it."""
    task = s.get(JointTask, task_id)
    if task is None:
        raise NotFound(f"no joint task {task_id!r}", where="task")
    return task


def get_task(db: Database, task_id: str) -> JointTask:
    with db.unit_of_work() as s:
        return require_task(s, task_id)


def list_tasks(db: Database) -> list[JointTask]:
    """Every joint task, newest first."""
    with db.unit_of_work() as s:
        return list(s.scalars(select(JointTask).order_by(JointTask.created_at.desc())))


def public_tasks(db: Database) -> list[JointTask]:
    """Tasks the public may see, newest first."""
    with db.unit_of_work() as s:
        return list(
            s.scalars(select(JointTask).where(JointTask.state.in_(PUBLIC_STATES)).order_by(JointTask.created_at.desc()))
        )


def task_parties(db: Database, task_id: str) -> list[TaskParty]:
    """The task's parties with their commitments and reveals, by name."""
    with db.unit_of_work() as s:
        return list(s.scalars(select(TaskParty).where(TaskParty.task_id == task_id).order_by(TaskParty.party)))


def task_titles(db: Database) -> dict[str, str]:
    with db.unit_of_work() as s:
        return {task_id: title for task_id, title in s.execute(select(JointTask.id, JointTask.title))}


def parties_of(task: JointTask, parties: list[TaskParty], principal: Any) -> list[str]:
    """The parties this person may commit and reveal for: their agency's (as its liaison), or the witness
    party bound to their own account (the services check the same rule)."""
    return [
        p.party
        for p in parties
        if p.account == principal.name
        or (p.party in task.agencies and p.party == principal.agency and "liaison" in principal.roles)
    ]


def task_steps(db: Database, task_id: str) -> list[Step]:
    """What each party still has to do (hub.tasks.todo), read in one unit of work."""
    with db.unit_of_work() as s:
        task = require_task(s, task_id)
        parties = [
            PartyState(p.party, bool(p.commitment), bool(p.secret_hex))
            for p in s.scalars(select(TaskParty).where(TaskParty.task_id == task_id).order_by(TaskParty.party))
        ]
        source = (task.plan or {}).get("entropy_source") or task.spec.get("entropy_source")
        return next_steps(task.state, task.draw_status, parties, source, task.entropy is not None)


def population_count(db: Database, categories: list[str], districts: list[str] | None) -> dict[str, Any]:
    """Active entities of any of ``categories`` (in ``districts``, when given), by district: the task
    form's live count, before strata, weights and exclusions (the preview applies those). Counted in
    SQL: an entity with two of the categories counts once."""
    from sqlalchemy import bindparam, text

    if not categories:
        return {"count": 0, "by_district": {}}
    with db.unit_of_work() as s:
        if s.get_bind().dialect.name == "postgresql":
            match = "jsonb_exists_any(e.categories, CAST(:cats AS text[]))"
        else:
            match = "EXISTS (SELECT 1 FROM json_each(e.categories) AS j WHERE j.value IN :cats)"
        where = f"e.active AND {match}" + (" AND e.district IN :districts" if districts else "")
        sql = text(f"SELECT coalesce(e.district, '-'), count(*) FROM entities e WHERE {where} GROUP BY 1 ORDER BY 1")
        params: dict[str, Any] = {"cats": list(categories)}
        if s.get_bind().dialect.name != "postgresql":
            sql = sql.bindparams(bindparam("cats", expanding=True))
        if districts:
            sql = sql.bindparams(bindparam("districts", expanding=True))
            params["districts"] = list(districts)
        by_district = {d: int(n) for d, n in s.execute(sql, params)}
    return {"count": sum(by_district.values()), "by_district": by_district}


def task_page(db: Database, state: str, search: str, cursor: Cursor | None, limit: int) -> Page[JointTask]:
    """Tasks by id, newest ids first; ``state`` filters, ``search`` matches an id prefix or a title part."""
    if state and state not in tuple(TaskState):
        raise InvalidInput(f"{state!r} is not one of {', '.join(TaskState)}", where="state")
    search = search.strip()
    if len(search) > 100:
        raise InvalidInput("搜索内容最多 100 个字 (search: at most 100 characters)", where="q")
    with db.unit_of_work() as s:
        q = select(JointTask)
        if state:
            q = q.where(JointTask.state == state)
        if search:
            escaped = search.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            q = q.where(
                or_(JointTask.id.like(f"{escaped}%", escape="\\"), JointTask.title.like(f"%{escaped}%", escape="\\"))
            )
        return read_page(s, q, [JointTask.id], cursor, limit, descending=True, row_key=lambda t: (t.id,))
