"""What a drawn task publishes: the record, the frozen files, the verifier script."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.db import Database
from hub.errors import Conflict, NotFound
from hub.tasks.freeze import frozen_pieces, has_pieces
from hub.tasks.models import JointTask, TaskParty
from hub.tasks.states import TaskState

VERIFIER_PATH = Path(__file__).with_name("jdp.py")
PROTOCOL_PATH = Path(__file__).with_name("protocol.md")  # docs/draw-protocol.md links here: one copy


def drawn_record(db: Database, task_id: str) -> dict[str, Any]:
    """The draw record of a drawn task."""
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None:
            raise NotFound(f"no joint task {task_id!r}", where="task")
        if task.record is None:
            raise Conflict(f"task {task_id} is {task.state}: it has no draw record", where=f"task {task_id}")
        return dict(task.record)


def frozen_file_pieces(s: Session, task_id: str, kind: str) -> Iterator[bytes]:
    """A frozen file (kind "roster" or "pool") piece by piece: stored pieces, or the one blob of a task
    frozen before the freeze was streamed."""
    if has_pieces(s, task_id):
        yield from frozen_pieces(s, task_id, kind)
        return
    column = JointTask.roster_file if kind == "roster" else JointTask.pool_file
    blob = s.scalar(select(column).where(JointTask.id == task_id))
    if blob:
        yield blob


def stream_frozen_file(db: Database, task_id: str, kind: str) -> Iterator[bytes]:
    """A frozen file, public from the freeze on (its digest is published then), for a download: NotFound at
    once when the task has none, then the pieces as they are read."""
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None or task.roster_digest is None:
            raise NotFound(f"task {task_id!r} has no frozen files", where="task")

    def pieces() -> Iterator[bytes]:
        with db.unit_of_work() as s:
            yield from frozen_file_pieces(s, task_id, kind)

    return pieces()


def frozen_files(db: Database, task_id: str) -> tuple[bytes, bytes]:
    """The roster and pool files whole (small tasks, tests); downloads use stream_frozen_file."""
    roster = b"".join(stream_frozen_file(db, task_id, "roster"))
    return roster, b"".join(stream_frozen_file(db, task_id, "pool"))


def public_summary(db: Database, task_id: str) -> dict[str, Any]:
    """Everything the public page shows: digests, commitments, reveals (after the freeze), record."""
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None or task.state == TaskState.DRAFT:
            raise NotFound(f"no public joint task {task_id!r}", where="task")
        parties = list(s.scalars(select(TaskParty).where(TaskParty.task_id == task_id).order_by(TaskParty.party)))
        return {
            "task_id": task.id,
            "title": task.title,
            "lead": task.lead,
            "agencies": task.agencies,
            "protocol": task.protocol,
            "entropy_source": (task.plan or {}).get("entropy_source") or task.spec.get("entropy_source"),
            "state": task.state,
            "window": [task.window_start.isoformat(), task.window_end.isoformat()],
            "plan_digest": task.plan_digest,
            "roster_digest": task.roster_digest,
            "pool_digest": task.pool_digest,
            "roster_size": task.roster_size,
            "pool_size": task.pool_size,
            "commitments": {p.party: p.commitment for p in parties if p.commitment},
            "reveals": {p.party: p.secret_hex for p in parties if p.secret_hex},
            "entropy": task.entropy,
            "seed": task.seed,
            "drawn_at": task.drawn_at.isoformat() + "Z" if task.drawn_at else None,
            "void_reason": task.void_reason,
            "record": task.record if task.state in (TaskState.DRAWN, TaskState.VOID) else None,
        }


def drawn_files(db: Database, task_id: str) -> tuple[dict[str, Any], bytes, bytes]:
    """(record, roster file, pool file) of a drawn task, whole (small tasks, tests)."""
    record = drawn_record(db, task_id)
    roster, pool = frozen_files(db, task_id)
    return record, roster, pool
