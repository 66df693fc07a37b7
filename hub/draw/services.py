"""Running a frozen task's draw with its protocol (JDP-2, or JDP-1 for older tasks) and storing what it
produced, once."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from sqlalchemy import insert, select, update

from hub.audit.log import record as audit
from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database, release_cache_after
from hub.draw import jdp
from hub.draw.models import Assignment, AssignmentInspector
from hub.draw.publication import frozen_file_pieces
from hub.errors import Conflict, DrawError, NotFound
from hub.memory import return_free_memory
from hub.outbox.services import enqueue
from hub.tasks.freeze import copy_to_file, file_bytes
from hub.tasks.models import JointTask, TaskParty
from hub.tasks.services import mark_draw_failed
from hub.tasks.states import DRAW_LIFECYCLE, DrawStatus, TaskState, draw_status_of

log = logging.getLogger(__name__)
PARALLEL_FROM = 200_000  # rosters this large split ticket computation across processes
INSERT_BATCH = 20_000  # drawn entities stored per statement
# SQLite's page cache while a draw is stored (the record, 500,000 assignments at 10,000,000 entities): the
# process holds the record meanwhile, so a quarter of the usual 256 MiB
STORE_CACHE_KIB = 65536


@contextmanager
def frozen_inputs(db: Database, task: JointTask) -> Iterator[tuple[Any, Any]]:
    """The task's frozen roster and pool as read-only bytes-like views of temporary files, rebuilt from the
    stored pieces; refused unless each still has the digest published at the freeze."""
    hash_name = (task.plan or {}).get("hash", "sha256")
    with ExitStack() as stack:
        views = []
        for what, published in (("roster", task.roster_digest), ("pool", task.pool_digest)):
            with db.unit_of_work() as s:
                release_cache_after(s)  # read once: not kept by the connection, nor by the workers forked next
                file, digest = copy_to_file(frozen_file_pieces(s, task.id, what), hash_name)
            stack.callback(file.close)
            if digest != published:
                raise DrawError(
                    f"the frozen {what} no longer matches its published digest; refusing to draw",
                    where=f"task {task.id}",
                )
            if what == "pool":  # small (one line per inspector), and parsed as bytes
                file.seek(0)
                views.append(file.read())
                continue
            view = file_bytes(file)  # the roster is mapped, never read whole into memory
            if hasattr(view, "close"):
                stack.callback(view.close)
            views.append(view)
        yield views[0], views[1]


def _inputs(db: Database, task_id: str) -> tuple[JointTask, dict, dict]:
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        if task is None:
            raise NotFound(f"no joint task {task_id!r}", where="task")
        if task.state != TaskState.FROZEN or not DRAW_LIFECYCLE.allows(
            draw_status_of(task.draw_status), DrawStatus.RUNNING
        ):
            raise Conflict(
                f"task {task_id} is {task.state}; only a frozen task with a requested draw can be drawn",
                where=f"task {task_id}",
            )
        parties = list(s.scalars(select(TaskParty).where(TaskParty.task_id == task_id)))
        commitments = {p.party: p.commitment for p in parties}
        reveals = {p.party: p.secret_hex for p in parties}
        task.draw_status = DrawStatus.RUNNING
        s.flush()
        s.expunge(task)
        return task, commitments, reveals


def run_draw(db: Database, settings: Settings, task_id: str, actor: str) -> dict[str, Any]:
    """Compute the draw from the frozen files (never from the live rosters) and store record, assignments,
    audit entry and outbox message together. A failed draw records nothing as drawn and voids the task."""
    task, commitments, reveals = _inputs(db, task_id)

    def progress(done: int, total: int) -> None:
        with db.unit_of_work() as s:
            s.execute(
                update(JointTask).where(JointTask.id == task_id).values(draw_progress=int(100 * done / max(total, 1)))
            )

    workers = min(2, os.cpu_count() or 1) if (task.roster_size or 0) >= PARALLEL_FROM else 1
    try:
        with frozen_inputs(db, task) as (roster, pool):
            record = jdp.draw(
                task.plan or {},
                roster,
                pool,
                commitments,
                reveals,
                task.entropy or "",
                workers=workers,
                progress=progress,
            )
            agencies = _agencies_of(pool)
        return_free_memory()  # the draw's intermediate columns, freed amid what it keeps (the record)
    except jdp.JDPError as exc:
        mark_draw_failed(db, task_id, str(exc), actor)
        raise DrawError(
            f"the draw failed and nothing was recorded; the task is void: {exc}", where=f"task {task_id}"
        ) from exc
    record["drawn_at"] = utcnow().replace(microsecond=0).isoformat() + "Z"
    with db.unit_of_work() as s:
        release_cache_after(s, STORE_CACHE_KIB)
        # The conditional update is the one-time guard: only one draw can move frozen -> drawn.
        res = s.execute(
            update(JointTask)
            .where(JointTask.id == task_id, JointTask.state == TaskState.FROZEN)
            .values(
                state=TaskState.DRAWN,
                seed=record["seed"],
                drawn_at=utcnow(),
                record=record,
                draw_status=DrawStatus.DONE,
                draw_progress=100,
                draw_error=None,
                updated_at=utcnow(),
            )
        )
        if res.rowcount != 1:  # type: ignore[attr-defined]  # an UPDATE gives a CursorResult, typed as Result
            raise Conflict(
                f"task {task_id} was drawn or voided meanwhile; this draw is discarded", where=f"task {task_id}"
            )
        del res  # its parameters hold the record's JSON text (60 MB at 10,000,000 entities)
        selections = record["selections"]
        for start in range(0, len(selections), INSERT_BATCH):  # in batches: a big draw's rows never all at once
            batch = list(enumerate(selections[start : start + INSERT_BATCH], start))
            s.execute(
                insert(Assignment),
                [
                    {
                        "task_id": task_id,
                        "position": i,
                        "entity_id": sel["entity_id"],
                        "stratum": sel["stratum"],
                        "key": sel["key"],
                        "team": sel["team"],
                    }
                    for i, sel in batch
                ],
            )
            links = [
                {
                    "task_id": task_id,
                    "entity_id": sel["entity_id"],
                    "inspector_id": iid,
                    "agency": agencies.get(iid, ""),
                }
                for _, sel in batch
                for iid in sel["team"]
            ]
            if links:
                s.execute(insert(AssignmentInspector), links)
        audit(
            s,
            actor,
            "task.draw",
            f"task:{task_id}",
            details={"seed": record["seed"], "selected": len(record["selections"]), "protocol": record["protocol"]},
            after={"seed": record["seed"], "selections": len(record["selections"])},
        )
        enqueue(s, settings, "draw", f"draw:{task_id}", {"task_id": task_id, "record": record}, task_id)
    return record


def _agencies_of(pool: bytes) -> dict[str, str]:
    """inspector_id -> agency, from the frozen pool file."""
    agencies = {}
    for line in pool.splitlines():
        inspector_id, agency = line.split(b"\t", 2)[:2]
        agencies[inspector_id.decode()] = agency.decode()
    return agencies
