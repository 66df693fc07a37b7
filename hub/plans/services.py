"""Changing annual plans: drafting entries, approval, filing upward through the outbox, and starting a
joint task from an entry. Who may do what is checked here, so the web, the API and the CLI obey alike."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.audit.log import record as audit
from hub.auth.principal import Principal
from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.items.models import Item
from hub.outbox.services import enqueue
from hub.plans.entries import (
    EntrySpec,
    check_agency,
    check_title,
    check_year,
    parse_entry,
    plan_message,
    task_spec_from_entry,
)
from hub.plans.models import AnnualPlan, PlanEntry
from hub.plans.states import MAY, PLAN_LIFECYCLE, PlanAction, PlanState
from hub.results.access import acting
from hub.tasks.models import JointTask
from hub.tasks.services import create_task

ACTION_NAMES = {
    PlanAction.EDIT: "编制计划",
    PlanAction.APPROVE: "审批计划",
    PlanAction.RETURN: "退回计划",
    PlanAction.FILE: "报送计划",
    PlanAction.TASK: "按计划新建任务",
}


def check_may(caller: Principal, action: PlanAction, lead: str) -> None:
    """Forbidden unless ``caller`` holds a role for ``action`` and, when bound to an agency, it is the
    plan's lead: a coordinator of one agency drafts only that agency's plan."""
    roles = MAY[action]
    if not caller.has(*roles):
        raise Forbidden(f"{caller.name} 无权{ACTION_NAMES[action]}：需要角色 {'、'.join(roles)}", where="plan")
    if caller.agency and "admin" not in caller.roles and caller.agency != lead:
        raise Forbidden(
            f"{caller.name} 属于 {caller.agency}，不能{ACTION_NAMES[action]}（{lead} 的年度计划）", where="plan"
        )


def plan_id_for(lead: str, year: int) -> str:
    return f"AP-{year}-{lead}"


def _plan(s: Session, plan_id: str, *, for_update: bool = False) -> AnnualPlan:
    q = select(AnnualPlan).where(AnnualPlan.id == plan_id)
    if for_update and s.get_bind().dialect.name == "postgresql":
        q = q.with_for_update()
    plan = s.scalar(q)
    if plan is None:
        raise NotFound(f"没有年度计划 {plan_id!r}", where="plan")
    return plan


def _entry(s: Session, entry_id: str) -> PlanEntry:
    entry = s.get(PlanEntry, entry_id)
    if entry is None:
        raise NotFound(f"没有计划条目 {entry_id!r}", where="entry")
    return entry


def entry_spec(row: PlanEntry, lead: str) -> EntrySpec:
    """A stored entry read back into its checked value."""
    return parse_entry(
        {
            "title": row.title,
            "agencies": row.agencies,
            "items": row.items,
            "population": row.population,
            "ratio": row.ratio,
            "months": row.months,
        },
        lead,
        f"条目 {row.id}",
    )


def _check_items(s: Session, entry: EntrySpec, where: str) -> None:
    """Every item comes from its agency's published item list (一单): no inspection outside it."""
    codes = [c for _, c in entry.item_codes()]
    known = {c: a for c, a in s.execute(select(Item.code, Item.agency).where(Item.code.in_(codes)))}
    for agency, code in entry.item_codes():
        if code not in known:
            raise InvalidInput(f"事项 {code} 不在任何部门的抽查事项清单中", where=f"{where}: items.{agency}")
        if known[code] != agency:
            raise InvalidInput(f"事项 {code} 属于 {known[code]}，不属于 {agency}", where=f"{where}: items.{agency}")


def _editable(s: Session, plan_id: str, caller: Principal) -> AnnualPlan:
    plan = _plan(s, plan_id, for_update=True)
    check_may(caller, PlanAction.EDIT, plan.lead)
    if plan.state != PlanState.DRAFT:
        raise Conflict(f"计划 {plan_id} 已{_state_word(plan.state)}，先撤回修订（revise）再修改", where="plan")
    return plan


def _state_word(state: str) -> str:
    return {"draft": "为草稿", "approved": "审批", "filed": "报送"}.get(state, state)


def _touch(plan: AnnualPlan, caller: Principal) -> None:
    plan.edited_by, plan.updated_at = caller.name, utcnow()


def create_plan(
    db: Database, who: Principal | str, lead: str, year: Any, title: str, entries: Sequence[dict[str, Any]] = ()
) -> str:
    """A new draft plan for ``lead`` and ``year`` (one per agency and year), with ``entries`` if given, in
    one transaction (a bad entry saves nothing); returns its id."""
    caller = acting(who)
    lead, year = check_agency(lead, "lead"), check_year(year)
    title = check_title(title, "title")
    check_may(caller, PlanAction.EDIT, lead)
    plan_id = plan_id_for(lead, year)
    with db.unit_of_work() as s:
        if s.get(AnnualPlan, plan_id) is not None:
            raise Conflict(f"{lead} 的 {year} 年度计划已存在（{plan_id}）；每个牵头部门每年一份计划", where="year")
        plan = AnnualPlan(
            id=plan_id,
            year=year,
            lead=lead,
            title=title,
            state=PlanState.DRAFT,
            version=1,
            created_by=caller.name,
            edited_by=caller.name,
        )
        s.add(plan)
        s.flush()
        audit(s, caller.name, "plan.create", f"plan:{plan_id}", details={"lead": lead, "year": year, "title": title})
        for data in entries:
            _add_entry(s, plan, data, caller)
    return plan_id


def add_entry(db: Database, who: Principal | str, plan_id: str, data: dict[str, Any]) -> str:
    """Add an entry to a draft plan; returns the entry id (never reused, even after a removal)."""
    caller = acting(who)
    with db.unit_of_work() as s:
        plan = _editable(s, plan_id, caller)
        return _add_entry(s, plan, data, caller)


def _add_entry(s: Session, plan: AnnualPlan, data: dict[str, Any], caller: Principal) -> str:
    count = s.scalar(select(func.count()).select_from(PlanEntry).where(PlanEntry.plan_id == plan.id)) or 0
    where = f"条目 {count + 1}"
    entry = parse_entry(data, plan.lead, where)
    _check_items(s, entry, where)
    n = count + 1
    while s.get(PlanEntry, f"{plan.id}-{n:02d}") is not None:
        n += 1
    entry_id = f"{plan.id}-{n:02d}"
    position = (s.scalar(select(func.max(PlanEntry.position)).where(PlanEntry.plan_id == plan.id)) or 0) + 1
    s.add(PlanEntry(id=entry_id, plan_id=plan.id, position=position, **_columns(entry)))
    _touch(plan, caller)
    s.flush()
    audit(s, caller.name, "plan.entry_add", f"plan:{plan.id}", after={"entry_id": entry_id, **entry.to_dict()})
    return entry_id


def _columns(entry: EntrySpec) -> dict[str, Any]:
    body = entry.to_dict()
    return {k: body[k] for k in ("title", "agencies", "items", "population", "ratio", "months")}


def update_entry(db: Database, who: Principal | str, entry_id: str, data: dict[str, Any]) -> None:
    """Change an entry of a draft plan (the whole entry, as sent)."""
    caller = acting(who)
    with db.unit_of_work() as s:
        row = _entry(s, entry_id)
        plan = _editable(s, row.plan_id, caller)
        entry = parse_entry(data, plan.lead, f"条目 {entry_id}")
        _check_items(s, entry, f"条目 {entry_id}")
        before = entry_spec(row, plan.lead).to_dict()
        for key, value in _columns(entry).items():
            setattr(row, key, value)
        _touch(plan, caller)
        audit(s, caller.name, "plan.entry_update", f"plan:{plan.id}", before=before, after=entry.to_dict())


def remove_entry(db: Database, who: Principal | str, entry_id: str) -> None:
    """Remove an entry of a draft plan; refused once a task was started from it."""
    caller = acting(who)
    with db.unit_of_work() as s:
        row = _entry(s, entry_id)
        plan = _editable(s, row.plan_id, caller)
        if s.scalar(select(JointTask.id).where(JointTask.plan_entry_id == entry_id).limit(1)):
            raise Conflict(f"条目 {entry_id} 已有联合抽查任务，不能删除", where="entry")
        s.delete(row)
        _touch(plan, caller)
        audit(s, caller.name, "plan.entry_remove", f"plan:{plan.id}", details={"entry_id": entry_id})


def _entries(s: Session, plan: AnnualPlan) -> list[tuple[str, EntrySpec]]:
    rows = s.scalars(select(PlanEntry).where(PlanEntry.plan_id == plan.id).order_by(PlanEntry.position))
    return [(row.id, entry_spec(row, plan.lead)) for row in rows]


def approve(db: Database, who: Principal | str, plan_id: str) -> None:
    """A reviewer approves a draft with at least one entry; never the person who last changed it."""
    caller = acting(who)
    with db.unit_of_work() as s:
        plan = _plan(s, plan_id, for_update=True)
        check_may(caller, PlanAction.APPROVE, plan.lead)
        PLAN_LIFECYCLE.require(plan.state, PlanState.APPROVED, doing="approve", where=f"plan {plan_id}")
        if caller.name in (plan.edited_by,):
            raise Forbidden(f"{caller.name} 最后修改了计划 {plan_id}，不能自己审批（须由另一人审批）", where="plan")
        if not _entries(s, plan):
            raise InvalidInput(f"计划 {plan_id} 没有条目，不能审批", where="plan")
        plan.state, plan.approved_by, plan.approved_at = PlanState.APPROVED, caller.name, utcnow()
        plan.return_reason, plan.updated_at = None, utcnow()
        audit(s, caller.name, "plan.approve", f"plan:{plan_id}", details={"version": plan.version})


def return_plan(db: Database, who: Principal | str, plan_id: str, reason: str) -> None:
    """A reviewer returns a draft or an approved (not yet filed) plan, with a written reason."""
    caller = acting(who)
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise InvalidInput("退回须写明理由（至少 4 个字）", where="reason")
    with db.unit_of_work() as s:
        plan = _plan(s, plan_id, for_update=True)
        check_may(caller, PlanAction.RETURN, plan.lead)
        if plan.state not in (PlanState.DRAFT, PlanState.APPROVED):
            raise Conflict(f"计划 {plan_id} 已报送；修订请由协调人发起", where="plan")
        plan.state, plan.return_reason, plan.updated_at = PlanState.DRAFT, reason, utcnow()
        plan.approved_by = plan.approved_at = None
        audit(s, caller.name, "plan.return", f"plan:{plan_id}", details={"reason": reason})


def revise(db: Database, who: Principal | str, plan_id: str) -> None:
    """Take an approved or filed plan back to draft to change it; it is approved and filed again, whole."""
    caller = acting(who)
    with db.unit_of_work() as s:
        plan = _plan(s, plan_id, for_update=True)
        check_may(caller, PlanAction.EDIT, plan.lead)
        if plan.state == PlanState.DRAFT:
            raise Conflict(f"计划 {plan_id} 已是草稿", where="plan")
        if plan.state == PlanState.FILED:
            plan.version += 1
        plan.state, plan.approved_by, plan.approved_at = PlanState.DRAFT, None, None
        _touch(plan, caller)
        audit(s, caller.name, "plan.revise", f"plan:{plan_id}", details={"version": plan.version})


def file_plan(db: Database, settings: Settings, who: Principal | str, plan_id: str) -> int:
    """File an approved plan upward: the `plan` message goes into the outbox in the same transaction
    (interfaces.md, PUT /joint-plans/{plan_id}); the same plan again changes nothing, a changed one is
    sent again whole. Returns how many sinks take it."""
    caller = acting(who)
    with db.unit_of_work() as s:
        plan = _plan(s, plan_id, for_update=True)
        check_may(caller, PlanAction.FILE, plan.lead)
        PLAN_LIFECYCLE.require(plan.state, PlanState.FILED, doing="file", where=f"plan {plan_id}")
        message = plan_message(plan.id, plan.year, plan.lead, plan.title, _entries(s, plan))
        queued = enqueue(s, settings, "plan", f"plan:{plan_id}", message)
        plan.state, plan.filed_by, plan.filed_at, plan.updated_at = PlanState.FILED, caller.name, utcnow(), utcnow()
        audit(s, caller.name, "plan.file", f"plan:{plan_id}", details={"version": plan.version, "sinks": queued})
    return queued


def task_from_entry(
    db: Database, settings: Settings, who: Principal | str, entry_id: str, given: dict[str, Any] | None = None
) -> JointTask:
    """Start a joint task from an approved (or filed) plan's entry: agencies, items, population and ratio
    come from the entry (hub.plans.entries.task_spec_from_entry); ``given`` sets the rest."""
    caller = acting(who)
    with db.unit_of_work() as s:
        row = _entry(s, entry_id)
        plan = _plan(s, row.plan_id)
        check_may(caller, PlanAction.TASK, plan.lead)
        if plan.state == PlanState.DRAFT:
            raise Conflict(f"计划 {plan.id} 尚未审批：按计划新建任务须在审批之后", where="plan")
        spec = task_spec_from_entry(plan.year, plan.lead, entry_spec(row, plan.lead), given)
    return create_task(db, settings, spec, caller.name, plan_entry_id=entry_id)
