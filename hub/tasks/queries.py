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
