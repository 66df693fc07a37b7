"""The joint-task lifecycle: draft → committing → frozen → drawn (or void).

Every step checks the state it starts from, writes an audit entry, and commits as
one unit of work; refused attempts that matter (a second draw, a wrong reveal)
are audited too.
"""
from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update

from hub.audit.log import record as audit
from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database
from hub.draw import jdp
from hub.draw.feasibility import check as feasibility_check
from hub.errors import Conflict, DrawError, InvalidInput, NotFound
from hub.items.models import Item
from hub.outbox.services import enqueue
from hub.tasks.gather import InspectionHistory, entity_facts, inspector_facts
from hub.tasks.models import JointTask, TaskParty
from hub.tasks.plan import build_plan, build_pool, build_roster, strata_sizes
from hub.tasks.spec import TaskSpec, parse_task_spec, spec_to_dict
from hub.tasks.states import DRAW_LIFECYCLE, IN_FLIGHT, TASK_LIFECYCLE, DrawStatus, TaskState, draw_status_of

HUB_PARTY = "hub"
LOST_DRAW = timedelta(minutes=10)
SECRET_HEX = re.compile(r"[0-9a-f]{32,256}")


def _get(s: Any, task_id: str, *, for_update: bool = False) -> JointTask:
    q = select(JointTask).where(JointTask.id == task_id)
    if for_update and s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    task = s.scalar(q)
    if task is None:
        raise NotFound(f"no joint task {task_id!r}", where="task")
    return task


def _expect(task: JointTask, *states: str, doing: str) -> None:
    if task.state not in states:
        raise Conflict(f"cannot {doing}: task {task.id} is {task.state}, not {' or '.join(states)}",
                       where=f"task {task.id}")


def _require_all_parties(s: Any, task_id: str, attribute: str, message: str) -> None:
    """Every party of the task must have ``attribute`` (a commitment, a revealed secret)."""
    missing = sorted(p.party for p in s.scalars(select(TaskParty).where(TaskParty.task_id == task_id))
                     if not getattr(p, attribute))
    if missing:
        raise Conflict(f"{message} {', '.join(missing)}", where=f"task {task_id}")


def _next_task_id(s: Any, year: int) -> str:
    prefix = f"JT-{year}-"
    n = s.scalar(select(func.count()).select_from(JointTask).where(JointTask.id.like(prefix + "%"))) or 0
    while True:
        n += 1
        candidate = f"{prefix}{n:04d}"
        if s.get(JointTask, candidate) is None:
            return candidate


def create_task(db: Database, settings: Settings, spec: TaskSpec | dict, actor: str) -> JointTask:
    """Record a joint task from its spec; its id is never reused, even after a void."""
    if isinstance(spec, dict):
        spec = parse_task_spec(spec, "task")
    with db.unit_of_work() as s:
        task_id = spec.id or _next_task_id(s, spec.window.start.year)
        if s.get(JointTask, task_id) is not None:
            raise Conflict(f"task id {task_id!r} exists already; a task id is never reused",
                           where="id")
        codes = [c for t in spec.team for c in t.items]
        known = {c: a for c, a in s.execute(select(Item.code, Item.agency).where(Item.code.in_(codes)))}
        for t in spec.team:
            for code in t.items:
                if code not in known:
                    raise InvalidInput(f"item {code!r} is not in any agency's item list", where="team.items")
                if known[code] != t.agency:
                    raise InvalidInput(f"item {code!r} belongs to {known[code]}, not {t.agency}",
                                       where="team.items")
        body = spec_to_dict(spec)
        body["id"] = task_id
        task = JointTask(id=task_id, title=spec.title, lead=spec.lead, agencies=list(spec.agencies),
                         spec=body, state=TaskState.DRAFT, window_start=spec.window.start,
                         window_end=spec.window.end, created_by=actor)
        s.add(task)
        for party in [HUB_PARTY, *spec.agencies]:
            s.add(TaskParty(task_id=task_id, party=party))
        s.flush()
        audit(s, actor, "task.create", f"task:{task_id}", after=body)
        # The provincial platform hears of the task at the freeze, when strata and quotas are known.
    return task


def _task_message(task: JointTask, spec: TaskSpec, strata: dict | None = None,
                  quotas: dict | None = None) -> dict[str, Any]:
    items: dict[str, list[str]] = {a: [] for a in spec.agencies}
    for t in spec.team:
        items[t.agency].extend(c for c in t.items if c not in items[t.agency])
    return {"task_id": task.id, "title": task.title, "lead": task.lead, "agencies": list(task.agencies),
            "items": items, "strata": strata or {}, "quotas": quotas or {},
            "window": [task.window_start.isoformat(), task.window_end.isoformat()]}


def add_party(db: Database, task_id: str, party: str, actor: str) -> None:
    """Add a witnessing party (e.g. the legal-affairs office) before the freeze."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", party):
        raise InvalidInput(f"{party!r} is not a party id (letters, digits, - and _)", where="party")
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        _expect(task, TaskState.DRAFT, TaskState.COMMITTING, doing="add a party")
        if s.get(TaskParty, (task_id, party)) is not None:
            raise Conflict(f"{party} is already a party of {task_id}", where="party")
        s.add(TaskParty(task_id=task_id, party=party))
        audit(s, actor, "task.add_party", f"task:{task_id}", details={"party": party})


def new_secret() -> str:
    """A fresh party secret: 32 random bytes as lower-case hex (JDP-1 asks for at least 16)."""
    return secrets.token_hex(32)


def commit(db: Database, task_id: str, party: str, commitment: str, actor: str) -> None:
    """Record ``party``'s commitment H("JDP-1 commit" LF party "=" secret_hex); once per party."""
    if not re.fullmatch(r"[0-9a-f]{64}", commitment or ""):
        raise InvalidInput("a commitment is 64 lower-case hex digits", where="commitment")
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        TASK_LIFECYCLE.require(task.state, TaskState.COMMITTING, doing="commit", where=f"task {task.id}")
        row = s.get(TaskParty, (task_id, party))
        if row is None:
            parties = ", ".join(p for (p,) in s.execute(select(TaskParty.party).where(TaskParty.task_id == task_id)))
            raise InvalidInput(f"{party!r} is not a party of {task_id} (parties: {parties})", where="party")
        if row.commitment:
            raise Conflict(f"{party} has committed already; a commitment cannot be replaced", where="party")
        row.commitment, row.committed_at, row.committed_by = commitment, utcnow(), actor
        task.state, task.updated_at = TaskState.COMMITTING, utcnow()
        audit(s, actor, "task.commit", f"task:{task_id}", details={"party": party, "commitment": commitment})


def commit_with_secret_file(db: Database, task_id: str, party: str, path: Path, actor: str) -> bool:
    """Commit from a secret file, creating it (mode 600) with a fresh secret when absent.
    Returns True when the file was created."""
    created = False
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_secret() + "\n")
        path.chmod(0o600)
        created = True
    secret_hex = read_secret(path)
    with db.unit_of_work() as s:
        hash_name = _get(s, task_id).spec.get("hash", "sha256")
    commit(db, task_id, party, jdp.commitment(party, secret_hex, hash_name), actor)
    return created


def read_secret(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise InvalidInput(f"cannot read the secret file: {exc.strerror}", where=str(path)) from None
    if not SECRET_HEX.fullmatch(text):
        raise InvalidInput("a secret file holds 32 or more lower-case hex digits (16+ bytes)", where=str(path))
    return text


def _prepare(s: Any, task: JointTask, today: date,
             history: InspectionHistory) -> tuple[TaskSpec, list, list, dict, Any]:
    """The JDP-1 inputs the task would freeze today, and the feasibility pre-check of them."""
    spec = parse_task_spec(task.spec, f"task {task.id}")
    roster = build_roster(spec, entity_facts(s, spec, history), today)
    pool = build_pool(spec, inspector_facts(s, spec, history), spec.window.start)
    plan = build_plan(spec, task.id, roster, task.spec.get("hash", "sha256"))
    return spec, roster, pool, plan, feasibility_check(plan, roster, pool)


def freeze(db: Database, settings: Settings, task_id: str, actor: str,
           today: date | None = None, *, history: InspectionHistory) -> JointTask:
    """Snapshot roster and pool as JDP-1 files and publish their digests; every party must have
    committed, and the pre-check must find the task feasible. ``history``: past results
    (hub.results.history.RESULTS_HISTORY)."""
    today = today or date.today()
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        TASK_LIFECYCLE.require(task.state, TaskState.FROZEN, doing="freeze", where=f"task {task.id}")
        _require_all_parties(s, task_id, "commitment", "cannot freeze: no commitment yet from")
        spec, roster, pool, plan, report = _prepare(s, task, today, history)
        hash_name = plan["hash"]
        task.feasibility = report.to_dict()
        problem = None
        if not roster:
            problem = "no entity of the task's population is eligible"
        elif not report.ok:
            problem = "the task is infeasible — " + "; ".join(sf.message for sf in report.shortfalls)
        if problem is None:
            roster_bytes, pool_bytes = jdp.format_roster(roster), jdp.format_pool(pool)
            task.plan = plan
            task.plan_digest = jdp.hexdigest(jdp.canonical_plan(plan), hash_name)
            task.roster_file, task.pool_file = roster_bytes, pool_bytes
            task.roster_digest = jdp.hexdigest(roster_bytes, hash_name)
            task.pool_digest = jdp.hexdigest(pool_bytes, hash_name)
            task.roster_size, task.pool_size = len(roster), len(pool)
            task.state, task.frozen_at, task.updated_at = TaskState.FROZEN, utcnow(), utcnow()
            audit(s, actor, "task.freeze", f"task:{task_id}",
                  details={"plan_digest": task.plan_digest, "roster_digest": task.roster_digest,
                           "pool_digest": task.pool_digest, "roster_size": len(roster), "pool_size": len(pool)})
            enqueue(s, settings, "task", f"task:{task_id}",
                    _task_message(task, spec, strata_sizes(roster), plan["quotas"]), task_id)
    if problem is not None:  # the report stays on the task, so the page can show it
        with db.unit_of_work() as s:
            s.execute(update(JointTask).where(JointTask.id == task_id).values(feasibility=task.feasibility))
            audit(s, actor, "task.freeze_refused", f"task:{task_id}", details={"problem": problem})
        raise DrawError(f"cannot freeze: {problem}", where=f"task {task_id}")
    return task


def feasibility(db: Database, task_id: str, today: date | None = None, *,
                history: InspectionHistory) -> dict:
    """The pre-check report for a task not yet frozen (what would fall short, and by how much)."""
    with db.unit_of_work() as s:
        _, roster, pool, plan, checked = _prepare(s, _get(s, task_id), today or date.today(), history)
        report = checked.to_dict()
        report.update(roster_size=len(roster), pool_size=len(pool), quotas=plan["quotas"])
        return report


def reveal(db: Database, task_id: str, party: str, secret_hex: str, actor: str) -> None:
    """Check ``party``'s secret against its commitment and store it; a mismatch is refused and audited."""
    secret_hex = (secret_hex or "").strip()
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        _expect(task, TaskState.FROZEN, doing="reveal")
        row = s.get(TaskParty, (task_id, party))
        if row is None or not row.commitment:
            raise InvalidInput(f"{party!r} has no commitment in {task_id}", where="party")
        if row.secret_hex:
            if row.secret_hex == secret_hex:
                return
            raise Conflict(f"{party} has revealed already", where="party")
        ok = bool(SECRET_HEX.fullmatch(secret_hex)) and \
            jdp.commitment(party, secret_hex, task.spec.get("hash", "sha256")) == row.commitment
        if ok:
            row.secret_hex, row.revealed_at = secret_hex, utcnow()
            audit(s, actor, "task.reveal", f"task:{task_id}", details={"party": party})
            return
    with db.unit_of_work() as s:
        audit(s, actor, "task.reveal_refused", f"task:{task_id}", details={"party": party})
    raise InvalidInput(f"the secret does not match {party}'s commitment; reveal refused", where="secret")


def void(db: Database, task_id: str, reason: str, actor: str) -> None:
    """Void a task (and its draw, if any) with a written reason; the id is never used again."""
    if not reason or len(reason.strip()) < 10:
        raise InvalidInput("voiding needs a written reason of at least 10 characters", where="reason")
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        if not TASK_LIFECYCLE.allows(task.state, TaskState.VOID):
            raise Conflict(f"task {task_id} is void already", where="task")
        before = task.state
        task.state, task.voided_at, task.voided_by, task.void_reason = TaskState.VOID, utcnow(), actor, reason.strip()
        audit(s, actor, "task.void", f"task:{task_id}", details={"reason": reason.strip(), "was": before})


def request_draw(db: Database, task_id: str, entropy: str, actor: str) -> None:
    """Check the draw may run and mark it queued; a second draw is refused and audited."""
    if "\n" in (entropy or ""):
        raise InvalidInput("entropy must not contain a line feed (JDP-1 §2)", where="entropy")
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        # A request whose job was lost (no worker took it within LOST_DRAW) may be made again;
        # the conditional frozen -> drawn update keeps the draw itself one-time.
        pending = draw_status_of(task.draw_status) in IN_FLIGHT and task.updated_at > utcnow() - LOST_DRAW
        refused = task.state == TaskState.DRAWN or pending
        if not refused:
            TASK_LIFECYCLE.require(task.state, TaskState.DRAWN, doing="draw", where=f"task {task.id}")
            DRAW_LIFECYCLE.require(draw_status_of(task.draw_status), DrawStatus.QUEUED, doing="request the draw",
                                   where=f"task {task.id}")
            _require_all_parties(s, task_id, "secret_hex", "cannot draw: no reveal yet from")
            task.draw_status, task.draw_progress, task.draw_error = DrawStatus.QUEUED, 0, None
            task.updated_at = utcnow()
            task.entropy = entropy or ""
            audit(s, actor, "task.draw_requested", f"task:{task_id}", details={"entropy": entropy or ""})
            return
    with db.unit_of_work() as s:
        audit(s, actor, "task.draw_refused", f"task:{task_id}",
              details={"reason": "a draw is one-time", "state": task.state})
    raise Conflict(f"task {task_id} has been drawn already (or its draw is under way); a draw is "
                   "one-time: to start over, void it with a reason and create a new task",
                   where=f"task {task_id}")


def parties(db: Database, task_id: str) -> list[dict[str, Any]]:
    with db.unit_of_work() as s:
        _get(s, task_id)
        return [{"party": p.party, "commitment": p.commitment,
                 "committed_at": p.committed_at.isoformat() + "Z" if p.committed_at else None,
                 "revealed": bool(p.secret_hex),
                 "secret_hex": p.secret_hex}
                for p in s.scalars(select(TaskParty).where(TaskParty.task_id == task_id)
                                   .order_by(TaskParty.party))]


def mark_draw_failed(db: Database, task_id: str, error: str, actor: str) -> None:
    with db.unit_of_work() as s:
        s.execute(update(JointTask).where(JointTask.id == task_id, JointTask.state == TaskState.FROZEN)
                  .values(draw_status=DrawStatus.FAILED, draw_error=error))
        audit(s, actor, "task.draw_failed", f"task:{task_id}", details={"error": error})
