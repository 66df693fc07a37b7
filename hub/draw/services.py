"""Running a frozen task's draw with JDP-1 and storing what it produced, once."""
from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy import insert, select, update

from hub.audit.log import record as audit
from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database
from hub.draw import jdp
from hub.draw.models import Assignment, AssignmentInspector
from hub.errors import Conflict, DrawError, NotFound
from hub.outbox.services import enqueue
from hub.tasks.models import JointTask, TaskParty
from hub.tasks.services import mark_draw_failed
from hub.tasks.states import DRAW_LIFECYCLE, DrawStatus, TaskState, draw_status_of

log = logging.getLogger(__name__)
PARALLEL_FROM = 200_000  # rosters this large split ticket computation across processes


def _inputs(db: Database, task_id: str) -> tuple[JointTask, bytes, bytes, dict, dict]:
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None:
            raise NotFound(f"no joint task {task_id!r}", where="task")
        if task.state != TaskState.FROZEN or not DRAW_LIFECYCLE.allows(draw_status_of(task.draw_status),
                                                                        DrawStatus.RUNNING):
            raise Conflict(f"task {task_id} is {task.state}; only a frozen task with a requested draw "
                           "can be drawn", where=f"task {task_id}")
        roster, pool = task.roster_file or b"", task.pool_file or b""
        hash_name = (task.plan or {}).get("hash", "sha256")
        # The files drawn from must be the ones whose digests were published at the freeze.
        for what, data, published in (("roster", roster, task.roster_digest), ("pool", pool, task.pool_digest)):
            if jdp.hexdigest(data, hash_name) != published:
                raise DrawError(f"the frozen {what} no longer matches its published digest; refusing to draw",
                                where=f"task {task_id}")
        parties = list(s.scalars(select(TaskParty).where(TaskParty.task_id == task_id)))
        commitments = {p.party: p.commitment for p in parties}
        reveals = {p.party: p.secret_hex for p in parties}
        task.draw_status = DrawStatus.RUNNING
        return task, roster, pool, commitments, reveals


def run_draw(db: Database, settings: Settings, task_id: str, actor: str) -> dict[str, Any]:
    """Compute the draw and store record, assignments, audit entry and outbox message together.
    On any failure nothing is recorded as drawn and the task stays frozen."""
    task, roster, pool, commitments, reveals = _inputs(db, task_id)

    def progress(done: int, total: int) -> None:
        with db.unit_of_work() as s:
            s.execute(update(JointTask).where(JointTask.id == task_id)
                      .values(draw_progress=int(100 * done / max(total, 1))))

    workers = min(2, os.cpu_count() or 1) if (task.roster_size or 0) >= PARALLEL_FROM else 1
    try:
        record = jdp.draw(task.plan or {}, roster, pool, commitments, reveals, task.entropy or "",
                          workers=workers, progress=progress)
    except jdp.InfeasibleDraw as exc:
        mark_draw_failed(db, task_id, str(exc), actor)
        raise DrawError(f"the draw failed and nothing was recorded: {exc}", where=f"task {task_id}") from exc
    except jdp.JDPError as exc:
        mark_draw_failed(db, task_id, str(exc), actor)
        raise DrawError(f"the draw failed and nothing was recorded: {exc}", where=f"task {task_id}") from exc
    record["drawn_at"] = utcnow().replace(microsecond=0).isoformat() + "Z"
    with db.unit_of_work() as s:
        # The conditional update is the one-time guard: only one draw can move frozen -> drawn.
        res = s.execute(update(JointTask).where(JointTask.id == task_id, JointTask.state == TaskState.FROZEN)
                        .values(state=TaskState.DRAWN, seed=record["seed"], drawn_at=utcnow(), record=record,
                                draw_status=DrawStatus.DONE, draw_progress=100, draw_error=None, updated_at=utcnow()))
        if res.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
            raise Conflict(f"task {task_id} was drawn or voided meanwhile; this draw is discarded",
                           where=f"task {task_id}")
        agencies = _agencies_of(task)
        s.execute(insert(Assignment), [
            {"task_id": task_id, "position": i, "entity_id": sel["entity_id"], "stratum": sel["stratum"],
             "key": sel["key"], "team": sel["team"]} for i, sel in enumerate(record["selections"])])
        links = [{"task_id": task_id, "entity_id": sel["entity_id"], "inspector_id": iid,
                  "agency": agencies.get(iid, "")}
                 for sel in record["selections"] for iid in sel["team"]]
        if links:
            s.execute(insert(AssignmentInspector), links)
        audit(s, actor, "task.draw", f"task:{task_id}",
              details={"seed": record["seed"], "selected": len(record["selections"])},
              after={"seed": record["seed"], "selections": len(record["selections"])})
        enqueue(s, settings, "draw", f"draw:{task_id}", {"task_id": task_id, "record": record}, task_id)
    return record


def _agencies_of(task: JointTask) -> dict[str, str]:
    return {line.split(b"\t")[0].decode(): line.split(b"\t")[1].decode()
            for line in (task.pool_file or b"").splitlines() if line}
