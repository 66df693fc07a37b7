"""The joint-task lifecycle: draft → committing → frozen → drawn (or void; a failed draw voids its task).

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
from hub.auth.models import User
from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database, release_cache_after
from hub.draw import jdp
from hub.draw.feasibility import PoolTally
from hub.errors import Conflict, DrawError, Forbidden, InvalidInput, NotFound
from hub.items.models import Item
from hub.outbox.services import enqueue
from hub.tasks import hub_party
from hub.tasks.freeze import FrozenFileWriter, RosterTally, chunk_store, discard, write_pool, write_roster
from hub.tasks.gather import InspectionHistory
from hub.tasks.models import JointTask, TaskParty
from hub.tasks.plan import build_plan
from hub.tasks.spec import TaskSpec, parse_task_spec, spec_to_dict
from hub.tasks.states import DRAW_LIFECYCLE, IN_FLIGHT, TASK_LIFECYCLE, DrawStatus, TaskState, draw_status_of

HUB_PARTY = hub_party.HUB_PARTY
NEW_PROTOCOL = jdp.PROTOCOL  # new tasks draw with JDP-2; a task keeps the protocol it was created with
LOST_DRAW = timedelta(minutes=10)
PARTY_ROLE = "liaison"  # an agency commits and reveals through a user of that agency with this role
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
        raise Conflict(
            f"cannot {doing}: task {task.id} is {task.state}, not {' or '.join(states)}", where=f"task {task.id}"
        )


def _require_all_parties(s: Any, task_id: str, attribute: str, message: str) -> None:
    """Every party of the task must have ``attribute`` (a commitment, a revealed secret)."""
    missing = sorted(
        p.party for p in s.scalars(select(TaskParty).where(TaskParty.task_id == task_id)) if not getattr(p, attribute)
    )
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


def create_task(
    db: Database, settings: Settings, spec: TaskSpec | dict, actor: str, *, plan_entry_id: str | None = None
) -> JointTask:
    """Record a joint task from its spec; its id is never reused, even after a void. ``plan_entry_id``:
    the annual plan entry it was started from (hub.plans checks that it inherits the entry)."""
    if isinstance(spec, dict):
        spec = parse_task_spec(spec, "task")
    with db.unit_of_work() as s:
        task_id = spec.id or _next_task_id(s, spec.window.start.year)
        if s.get(JointTask, task_id) is not None:
            raise Conflict(f"task id {task_id!r} exists already; a task id is never reused", where="id")
        _check_deliverable(s, spec)
        body = spec_to_dict(spec)
        body["id"] = task_id
        task = JointTask(
            id=task_id,
            title=spec.title,
            lead=spec.lead,
            agencies=list(spec.agencies),
            spec=body,
            state=TaskState.DRAFT,
            window_start=spec.window.start,
            window_end=spec.window.end,
            created_by=actor,
            protocol=NEW_PROTOCOL,
            plan_entry_id=plan_entry_id,
        )
        s.add(task)
        s.flush()
        # The hub commits by itself, now: its secret never leaves hub.tasks.hub_party until the draw.
        hub_commitment = hub_party.draw_secret(s, task_id, body.get("hash", "sha256"), NEW_PROTOCOL)
        s.add(
            TaskParty(
                task_id=task_id,
                party=HUB_PARTY,
                commitment=hub_commitment,
                committed_at=utcnow(),
                committed_by=HUB_PARTY,
            )
        )
        for party in spec.agencies:
            s.add(TaskParty(task_id=task_id, party=party))
        s.flush()
        audit(
            s,
            actor,
            "task.create",
            f"task:{task_id}",
            after=body,
            details={"plan_entry": plan_entry_id} if plan_entry_id else None,
        )
        audit(
            s, HUB_PARTY, "task.commit", f"task:{task_id}", details={"party": HUB_PARTY, "commitment": hub_commitment}
        )
        # The provincial platform hears of the task at the freeze, when strata and quotas are known.
    return task


def _check_deliverable(s: Any, spec: TaskSpec) -> None:
    """Refuse now what a sink would refuse later: the provincial platform takes no result without items
    (every agency needs its items here, from its own item list) and no result without inspectors (every
    agency needs a team entry)."""
    codes = [c for t in spec.team for c in t.items]
    known = {c: a for c, a in s.execute(select(Item.code, Item.agency).where(Item.code.in_(codes)))}
    for t in spec.team:
        for code in t.items:
            if code not in known:
                raise InvalidInput(f"item {code!r} is not in any agency's item list", where="team.items")
            if known[code] != t.agency:
                raise InvalidInput(f"item {code!r} belongs to {known[code]}, not {t.agency}", where="team.items")
    for agency in spec.agencies:
        entries = [t for t in spec.team if t.agency == agency]
        if not entries:
            raise InvalidInput(
                f"agency {agency} has no [[team]] entry: its results would name no inspector, "
                "which the provincial platform refuses",
                where=f"agency {agency}",
            )
        if not any(t.items for t in entries):
            listed = s.scalar(select(func.count()).select_from(Item).where(Item.agency == agency)) or 0
            why = "its item list is empty" if not listed else "the task names none of its items"
            raise InvalidInput(
                f"agency {agency} lists no inspection items for this task ({why}): the "
                "provincial platform refuses results without items",
                where=f"agency {agency}",
            )


def _task_message(
    task: JointTask, spec: TaskSpec, strata: dict | None = None, quotas: dict | None = None
) -> dict[str, Any]:
    items: dict[str, list[str]] = {a: [] for a in spec.agencies}
    for t in spec.team:
        items[t.agency].extend(c for c in t.items if c not in items[t.agency])
    return {
        "task_id": task.id,
        "title": task.title,
        "lead": task.lead,
        "agencies": list(task.agencies),
        "items": items,
        "strata": strata or {},
        "quotas": quotas or {},
        "window": [task.window_start.isoformat(), task.window_end.isoformat()],
    }


def add_party(db: Database, task_id: str, party: str, actor: str, account: str | None = None) -> None:
    """Add a witnessing party (e.g. the legal-affairs office) before the freeze, bound to the one user
    account that alone may commit and reveal for it."""
    if not re.fullmatch(r"[A-Za-z0-9_-]{1,64}", party):
        raise InvalidInput(f"{party!r} is not a party id (letters, digits, - and _)", where="party")
    if not account:
        raise InvalidInput(f"a witness party acts through its own account: name the user for {party}", where="account")
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        _expect(task, TaskState.DRAFT, TaskState.COMMITTING, doing="add a party")
        if party == HUB_PARTY or party in task.agencies:
            raise InvalidInput(f"{party} is a party of {task_id} already, as the hub or an agency", where="party")
        if s.get(TaskParty, (task_id, party)) is not None:
            raise Conflict(f"{party} is already a party of {task_id}", where="party")
        user = s.scalar(select(User).where(User.name == account))
        if user is None or not user.active:
            raise InvalidInput(f"no active user {account!r} to act for {party}", where="account")
        s.add(TaskParty(task_id=task_id, party=party, account=account))
        audit(s, actor, "task.add_party", f"task:{task_id}", details={"party": party, "account": account})


def new_secret() -> str:
    """A fresh party secret: 32 random bytes as lower-case hex (JDP asks for at least 16)."""
    return secrets.token_hex(32)


def _party_row(s: Any, task: JointTask, party: str, doing: str) -> TaskParty:
    row = s.get(TaskParty, (task.id, party))
    if row is None:
        names = ", ".join(p for (p,) in s.execute(select(TaskParty.party).where(TaskParty.task_id == task.id)))
        raise InvalidInput(f"{party!r} is not a party of {task.id} (parties: {names})", where="party")
    if party == HUB_PARTY and hub_party.holds_secret(s, task.id):
        what = (
            "has committed already (at the task's creation)"
            if doing == "commit"
            else "reveals its own secret when the draw is requested"
        )
        raise Conflict(f"the hub is a party of its own: it {what}; nobody acts for it", where="party")
    return row


def _check_acts_as_itself(s: Any, task: JointTask, row: TaskParty, actor: str) -> None:
    """Each party commits and reveals only as itself: an agency through a user of that agency with the
    liaison role, a witness through its own account. Checked here, so every way in (CLI, API, web) obeys."""
    user = s.scalar(select(User).where(User.name == actor))
    party = row.party
    if party == HUB_PARTY:  # a JDP-1 task created before the hub held its own secret: as it was then
        return
    if user is None or not user.active:
        raise Forbidden(
            f"{actor!r} is not an active user, and only {_who_acts_for(row)} acts for {party} "
            "(on the command line: --as USER)",
            where="party",
        )
    if row.account is not None:
        allowed = user.name == row.account
    else:
        allowed = party in task.agencies and user.agency == party and PARTY_ROLE in (user.roles or [])
    if not allowed:
        raise Forbidden(f"{user.name} cannot act for {party}: only {_who_acts_for(row)} does", where="party")


def _who_acts_for(row: TaskParty) -> str:
    return f"its own account {row.account!r}" if row.account else f"a {PARTY_ROLE} of {row.party}"


def commit(db: Database, task_id: str, party: str, commitment: str, actor: str) -> None:
    """Record ``party``'s commitment H("JDP-2 commit" LF party "=" secret_hex) (the task's protocol); once
    per party, and only by the party itself."""
    if not re.fullmatch(r"[0-9a-f]{64}", commitment or ""):
        raise InvalidInput("a commitment is 64 lower-case hex digits", where="commitment")
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        row = _party_row(s, task, party, "commit")
        TASK_LIFECYCLE.require(task.state, TaskState.COMMITTING, doing="commit", where=f"task {task.id}")
        _check_acts_as_itself(s, task, row, actor)
        if row.commitment:
            raise Conflict(f"{party} has committed already; a commitment cannot be replaced", where="party")
        row.commitment, row.committed_at, row.committed_by = commitment, utcnow(), actor
        task.state, task.updated_at = TaskState.COMMITTING, utcnow()
        audit(s, actor, "task.commit", f"task:{task_id}", details={"party": party, "commitment": commitment})


def commit_with_secret_file(db: Database, task_id: str, party: str, path: Path, actor: str) -> bool:
    """Commit from a secret file, creating it (mode 600) with a fresh secret when absent.
    Returns True when the file was created."""
    with db.unit_of_work() as s:
        task = _get(s, task_id)
        hash_name, protocol = task.spec.get("hash", "sha256"), task.protocol
        row = _party_row(s, task, party, "commit")  # refuse before a secret file is made for nothing
        _check_acts_as_itself(s, task, row, actor)
    created = False
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(new_secret() + "\n")
        path.chmod(0o600)
        created = True
    secret_hex = read_secret(path)
    commit(db, task_id, party, jdp.commitment(party, secret_hex, hash_name, protocol), actor)
    return created


def read_secret(path: Path) -> str:
    try:
        text = path.read_text().strip()
    except OSError as exc:
        raise InvalidInput(f"cannot read the secret file: {exc.strerror}", where=str(path)) from None
    if not SECRET_HEX.fullmatch(text):
        raise InvalidInput("a secret file holds 32 or more lower-case hex digits (16+ bytes)", where=str(path))
    return text


class _Refused(Exception):
    """A freeze refused after its files were partly written: the unit of work rolls them back."""

    def __init__(self, problem: str, feasibility: dict | None) -> None:
        super().__init__(problem)
        self.problem, self.feasibility = problem, feasibility


def _write_frozen_files(
    s: Any, task: JointTask, today: date, store: bool, history: InspectionHistory
) -> tuple[dict, RosterTally, str, int, dict]:
    """Stream the roster, then the pool, out of the database into the task's frozen files (or only count
    them when `store` is False); returns plan, roster tally, pool digest and size, feasibility report."""
    spec = parse_task_spec(task.spec, f"task {task.id}")
    hash_name = task.spec.get("hash", "sha256")
    roster_out = FrozenFileWriter(hash_name, chunk_store(s, task.id, "roster") if store else discard)
    roster = write_roster(s, spec, today, roster_out, history)
    plan = build_plan(spec, task.id, roster.strata, hash_name, task.protocol, spec.entropy_source)
    if not roster.size:
        raise _Refused("no entity of the task's population is eligible", None)
    if not sum(plan["quotas"].values()):
        raise _Refused(
            "the quotas select no entity, and the provincial platform refuses a draw record without selections", None
        )
    try:
        tally = PoolTally(plan, roster.districts)
    except jdp.JDPError as exc:
        raise _Refused(str(exc), None) from None
    pool_out = FrozenFileWriter(hash_name, chunk_store(s, task.id, "pool") if store else discard)
    pool_digest, pool_size = write_pool(s, spec, pool_out, tally, history)
    return plan, roster, pool_digest, pool_size, tally.report().to_dict()


def freeze(
    db: Database, settings: Settings, task_id: str, actor: str, today: date | None = None, *, history: InspectionHistory
) -> JointTask:
    """Snapshot roster and pool as JDP files, streamed out of the database and hashed as written, and
    publish their digests; every party must have committed, and the pre-check must find the task feasible.
    ``history``: past results (hub.results.history.RESULTS_HISTORY)."""
    today = today or date.today()
    try:
        with db.unit_of_work() as s:
            release_cache_after(s)  # the pages of every entity read and of the files written
            task = _get(s, task_id, for_update=True)
            TASK_LIFECYCLE.require(task.state, TaskState.FROZEN, doing="freeze", where=f"task {task.id}")
            _require_all_parties(s, task_id, "commitment", "cannot freeze: no commitment yet from")
            plan, roster, pool_digest, pool_size, report = _write_frozen_files(s, task, today, True, history)
            if not report["ok"]:
                raise _Refused(
                    "the task is infeasible — " + "; ".join(sf["message"] for sf in report["shortfalls"]), report
                )
            hash_name = plan["hash"]
            task.feasibility = report
            task.plan = plan
            task.plan_digest = jdp.hexdigest(jdp.canonical_plan(plan), hash_name)
            task.roster_digest, task.pool_digest = roster.digest, pool_digest
            task.roster_size, task.pool_size = roster.size, pool_size
            task.state, task.frozen_at, task.updated_at = TaskState.FROZEN, utcnow(), utcnow()
            audit(
                s,
                actor,
                "task.freeze",
                f"task:{task_id}",
                details={
                    "plan_digest": task.plan_digest,
                    "roster_digest": task.roster_digest,
                    "pool_digest": task.pool_digest,
                    "roster_size": roster.size,
                    "pool_size": pool_size,
                    "protocol": task.protocol,
                    "entropy_source": plan.get("entropy_source"),
                },
            )
            spec = parse_task_spec(task.spec, f"task {task_id}")
            enqueue(
                s,
                settings,
                "task",
                f"task:{task_id}",
                _task_message(task, spec, roster.strata, plan["quotas"]),
                task_id,
            )
    except _Refused as refused:  # nothing of the files stays; the report stays on the task for its page
        with db.unit_of_work() as s:
            if refused.feasibility is not None:
                s.execute(update(JointTask).where(JointTask.id == task_id).values(feasibility=refused.feasibility))
            audit(s, actor, "task.freeze_refused", f"task:{task_id}", details={"problem": refused.problem})
        raise DrawError(f"cannot freeze: {refused.problem}", where=f"task {task_id}") from None
    return task


def feasibility(db: Database, task_id: str, today: date | None = None, *, history: InspectionHistory) -> dict:
    """The pre-check report for a task not yet frozen (what would fall short, and by how much)."""
    with db.unit_of_work() as s:
        release_cache_after(s)
        try:
            plan, roster, _, pool_size, report = _write_frozen_files(
                s, _get(s, task_id), today or date.today(), False, history
            )
        except _Refused as refused:
            return {"ok": False, "shortfalls": [], "problem": refused.problem}
        report.update(roster_size=roster.size, pool_size=pool_size, quotas=plan["quotas"])
        return report


PREVIEW_ID = "JT-PREVIEW"


def preview(db: Database, spec: TaskSpec | dict, today: date | None = None, *, history: InspectionHistory) -> dict:
    """What a freeze of this spec would find today, before the task is saved (the task form shows it): the
    eligible entities per stratum, the quotas, the pool, and the feasibility report. Nothing is stored."""
    if isinstance(spec, dict):
        spec = parse_task_spec(spec, "task")
    with db.unit_of_work() as s:
        _check_deliverable(s, spec)
        roster = write_roster(s, spec, today or date.today(), FrozenFileWriter(spec.hash, discard), history)
        plan = build_plan(spec, spec.id or PREVIEW_ID, roster.strata, spec.hash, NEW_PROTOCOL, spec.entropy_source)
        out: dict[str, Any] = {"roster_size": roster.size, "strata": roster.strata, "quotas": plan["quotas"]}
        if not roster.size:
            return {**out, "ok": False, "shortfalls": [], "problem": "no entity of the task's population is eligible"}
        try:
            tally = PoolTally(plan, roster.districts)
        except jdp.JDPError as exc:
            return {**out, "ok": False, "shortfalls": [], "problem": str(exc)}
        _, pool_size = write_pool(s, spec, FrozenFileWriter(spec.hash, discard), tally, history)
        return {**out, "pool_size": pool_size, **tally.report().to_dict()}


def reveal(db: Database, task_id: str, party: str, secret_hex: str, actor: str) -> None:
    """Check ``party``'s secret against its commitment and store it; a mismatch is refused and audited.
    Only the party itself reveals; the hub reveals its own at the draw request."""
    secret_hex = (secret_hex or "").strip()
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        row = _party_row(s, task, party, "reveal")
        _expect(task, TaskState.FROZEN, doing="reveal")
        _check_acts_as_itself(s, task, row, actor)
        if not row.commitment:
            raise InvalidInput(f"{party!r} has no commitment in {task_id}", where="party")
        if row.secret_hex:
            if row.secret_hex == secret_hex:
                return
            raise Conflict(f"{party} has revealed already", where="party")
        ok = (
            bool(SECRET_HEX.fullmatch(secret_hex))
            and jdp.commitment(party, secret_hex, task.spec.get("hash", "sha256"), task.protocol) == row.commitment
        )
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


def _check_entropy(task: JointTask, entropy: str) -> None:
    """The entropy comes from the source the plan declared before the freeze, and is entered once."""
    if "\n" in entropy:
        raise InvalidInput("entropy must not contain a line feed (JDP §2)", where="entropy")
    source = (task.plan or {}).get("entropy_source")
    if task.entropy is not None and task.entropy != entropy:
        raise Conflict(
            f"the entropy was entered once ({task.entropy!r}) and cannot change; a failed or lost "
            "draw is voided, not drawn again with other entropy",
            where="entropy",
        )
    if source and not entropy:
        raise InvalidInput(f"enter the value published by the declared entropy source ({source})", where="entropy")
    if not source and entropy:
        raise InvalidInput(
            "this task declared no entropy source before its freeze, so its draw takes no "
            "entropy: nobody may pick one now",
            where="entropy",
        )


def request_draw(db: Database, task_id: str, entropy: str, actor: str) -> None:
    """Fix the entropy (once) and have the hub reveal its own secret, in one transaction, then mark the draw
    queued; every other party must have revealed. A second draw is refused and audited."""
    entropy = entropy or ""
    with db.unit_of_work() as s:
        task = _get(s, task_id, for_update=True)
        # A request whose job was lost (no worker took it within LOST_DRAW) may be made again, with the same
        # entropy; the conditional frozen -> drawn update keeps the draw itself one-time.
        pending = draw_status_of(task.draw_status) in IN_FLIGHT and task.updated_at > utcnow() - LOST_DRAW
        refused = task.state == TaskState.DRAWN or pending
        if not refused:
            TASK_LIFECYCLE.require(task.state, TaskState.DRAWN, doing="draw", where=f"task {task.id}")
            DRAW_LIFECYCLE.require(
                draw_status_of(task.draw_status), DrawStatus.QUEUED, doing="request the draw", where=f"task {task.id}"
            )
            hub_reveals = hub_party.holds_secret(s, task_id)
            missing = sorted(
                p.party
                for p in s.scalars(select(TaskParty).where(TaskParty.task_id == task_id))
                if not p.secret_hex and not (hub_reveals and p.party == HUB_PARTY)
            )
            if missing:
                raise Conflict(f"cannot draw: no reveal yet from {', '.join(missing)}", where=f"task {task_id}")
            _check_entropy(task, entropy)
            first = task.entropy is None
            task.entropy = entropy
            if hub_reveals:
                row = s.get(TaskParty, (task_id, HUB_PARTY))
                if row is not None and not row.secret_hex:
                    row.secret_hex, row.revealed_at = hub_party.secret_to_reveal(s, task_id), utcnow()
                    audit(s, HUB_PARTY, "task.reveal", f"task:{task_id}", details={"party": HUB_PARTY})
            task.draw_status, task.draw_progress, task.draw_error = DrawStatus.QUEUED, 0, None
            task.updated_at = utcnow()
            audit(
                s,
                actor,
                "task.draw_requested",
                f"task:{task_id}",
                details={
                    "entropy": entropy,
                    "entropy_source": (task.plan or {}).get("entropy_source"),
                    "again": not first,
                },
            )
            return
    with db.unit_of_work() as s:
        audit(
            s,
            actor,
            "task.draw_refused",
            f"task:{task_id}",
            details={"reason": "a draw is one-time", "state": task.state},
        )
    raise Conflict(
        f"task {task_id} has been drawn already (or its draw is under way); a draw is "
        "one-time: to start over, void it with a reason and create a new task",
        where=f"task {task_id}",
    )


def parties(db: Database, task_id: str) -> list[dict[str, Any]]:
    with db.unit_of_work() as s:
        _get(s, task_id)
        return [
            {
                "party": p.party,
                "commitment": p.commitment,
                "committed_at": p.committed_at.isoformat() + "Z" if p.committed_at else None,
                "committed_by": p.committed_by,
                "account": p.account,
                "revealed": bool(p.secret_hex),
                "secret_hex": p.secret_hex,
            }
            for p in s.scalars(select(TaskParty).where(TaskParty.task_id == task_id).order_by(TaskParty.party))
        ]


def mark_draw_failed(db: Database, task_id: str, error: str, actor: str) -> None:
    """A draw that failed voids its task: its seed was fixed, so another try could only differ by a choice
    someone makes. Start over with a new task and new commitments."""
    reason = f"the draw failed: {error}; a failed draw voids the task (create a new task, new commitments)"
    with db.unit_of_work() as s:
        s.execute(
            update(JointTask)
            .where(JointTask.id == task_id, JointTask.state == TaskState.FROZEN)
            .values(
                draw_status=DrawStatus.FAILED,
                draw_error=error,
                state=TaskState.VOID,
                voided_at=utcnow(),
                voided_by=actor,
                void_reason=reason,
            )
        )
        audit(s, actor, "task.draw_failed", f"task:{task_id}", details={"error": error, "voided": True})


def mark_draw_unqueued(db: Database, task_id: str, error: str, actor: str) -> None:
    """The draw job could not be handed to a worker: nothing was computed, so the task stays frozen and the
    draw may be requested again (with the same entropy, fixed already)."""
    with db.unit_of_work() as s:
        s.execute(
            update(JointTask)
            .where(JointTask.id == task_id, JointTask.state == TaskState.FROZEN)
            .values(draw_status=DrawStatus.FAILED, draw_error=error)
        )
        audit(s, actor, "task.draw_unqueued", f"task:{task_id}", details={"error": error})
