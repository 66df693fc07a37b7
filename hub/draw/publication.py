"""What a drawn task publishes: the record, the frozen files, the verifier script."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import select

from hub.db import Database
from hub.errors import Conflict, NotFound
from hub.tasks.models import JointTask, TaskParty
from hub.tasks.states import TaskState

VERIFIER_PATH = Path(__file__).with_name("jdp.py")


def drawn_files(db: Database, task_id: str) -> tuple[dict[str, Any], bytes, bytes]:
    """(record, roster file, pool file) of a drawn task."""
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None:
            raise NotFound(f"no joint task {task_id!r}", where="task")
        if task.record is None:
            raise Conflict(f"task {task_id} is {task.state}: it has no draw record", where=f"task {task_id}")
        return dict(task.record), task.roster_file or b"", task.pool_file or b""


def frozen_files(db: Database, task_id: str) -> tuple[bytes, bytes]:
    """The roster and pool files, public from the freeze on (their digests are published then)."""
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None or task.roster_file is None:
            raise NotFound(f"task {task_id!r} has no frozen files", where="task")
        return task.roster_file, task.pool_file or b""


def public_summary(db: Database, task_id: str) -> dict[str, Any]:
    """Everything the public page shows: digests, commitments, reveals (after the freeze), record."""
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None or task.state == TaskState.DRAFT:
            raise NotFound(f"no public joint task {task_id!r}", where="task")
        parties = list(s.scalars(select(TaskParty).where(TaskParty.task_id == task_id).order_by(TaskParty.party)))
        return {
            "task_id": task.id, "title": task.title, "lead": task.lead, "agencies": task.agencies,
            "state": task.state, "window": [task.window_start.isoformat(), task.window_end.isoformat()],
            "plan_digest": task.plan_digest, "roster_digest": task.roster_digest,
            "pool_digest": task.pool_digest, "roster_size": task.roster_size, "pool_size": task.pool_size,
            "commitments": {p.party: p.commitment for p in parties if p.commitment},
            "reveals": {p.party: p.secret_hex for p in parties if p.secret_hex},
            "entropy": task.entropy, "seed": task.seed,
            "drawn_at": task.drawn_at.isoformat() + "Z" if task.drawn_at else None,
            "void_reason": task.void_reason,
            "record": task.record if task.state in (TaskState.DRAWN, TaskState.VOID) else None,
        }
