"""Follow-ups of a result — correction order (责令整改), case (立案处罚), transfer (线索移送) — and the
re-inspection that closes a correction; dated sensibly and added only by those who may enter the result.

Date rules (docs/security.md): a correction's due date falls between the inspection and a year after it;
a penalty decision and a re-inspection happened, so they fall between the inspection and today.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.audit.log import lock_chain
from hub.audit.log import record as audit
from hub.auth.principal import Principal
from hub.calendar import PENALTY_DEADLINE_DAYS, WorkingCalendar
from hub.db import Database
from hub.draw.models import AssignmentInspector
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.results.access import acting, entry_refusal
from hub.results.models import CalendarOverride, FollowUp, Result

FOLLOW_UP_KINDS = ("correction", "case", "transfer")
# A transfer is acknowledged by the receiving agency within 7 working days (the hub's rule, docs/results.md:
# the same clock as a penalty decision's publication; interfaces.md gives none of its own).
TRANSFER_DEADLINE_DAYS = 7
CORRECTION_HORIZON = timedelta(days=365)  # a correction order further out than a year is a typo


def calendar(s: Session) -> WorkingCalendar:
    """The working-day calendar with the database's overrides on top of the library."""
    return WorkingCalendar({o.day: o.workday for o in s.scalars(select(CalendarOverride))})


def team_agencies(s: Session, task_id: str, entity_id: str) -> dict[str, str]:
    """inspector id -> agency of one drawn entity's team."""
    return dict(
        s.execute(
            select(AssignmentInspector.inspector_id, AssignmentInspector.agency).where(
                AssignmentInspector.task_id == task_id, AssignmentInspector.entity_id == entity_id
            )
        ).all()
    )


def parse_day(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", where=where) from None


def _between(day: date | None, first: date, last: date, where: str, what: str) -> None:
    if day is None:
        return
    if day < first:
        raise InvalidInput(f"{day.isoformat()} is before the inspection on {first.isoformat()}", where=where)
    if day > last:
        raise InvalidInput(f"{day.isoformat()} is after {last.isoformat()}: {what}", where=where)


def new_follow_up(s: Session, result: Result, f: Mapping[str, Any], actor: str, today: date) -> FollowUp:
    """Add one follow-up to ``result`` in the caller's transaction (rights checked by the caller)."""
    kind = f.get("kind")
    if kind not in FOLLOW_UP_KINDS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(FOLLOW_UP_KINDS)}", where="follow_ups.kind")
    fu = FollowUp(result_id=result.id, kind=kind, content=str(f.get("content", "")))
    inspected = result.inspected_on
    if kind == "correction":
        fu.due_on = parse_day(f.get("due_on"), "follow_ups.due_on")
        if fu.due_on is None:
            raise InvalidInput("a correction order needs a due date", where="follow_ups.due_on")
        _between(
            fu.due_on,
            inspected,
            inspected + CORRECTION_HORIZON,
            "follow_ups.due_on",
            "a correction is due within a year of the inspection",
        )
    elif kind == "case":
        fu.penalty_no = f.get("penalty_no")
        fu.decided_on = parse_day(f.get("decided_on"), "follow_ups.decided_on")
        _between(fu.decided_on, inspected, today, "follow_ups.decided_on", "a decision cannot be dated ahead")
        if fu.decided_on:
            fu.penalty_due_on = calendar(s).add_working_days(fu.decided_on, PENALTY_DEADLINE_DAYS).due
    else:
        fu.to_agency = f.get("to_agency")
        if not fu.to_agency:
            raise InvalidInput("a transfer names the agency it goes to", where="follow_ups.to_agency")
        if fu.to_agency == result.agency:
            raise InvalidInput("a transfer goes to another agency", where="follow_ups.to_agency")
        fu.due_on = calendar(s).add_working_days(today, TRANSFER_DEADLINE_DAYS).due
    s.add(fu)
    s.flush()
    audit(s, actor, "result.follow_up", f"result:{result.result_id}", details=dict(f))
    return fu


def add_follow_up(
    db: Database, result_id: str, data: Mapping[str, Any], actor: Principal | str, today: date | None = None
) -> FollowUp:
    """Add a follow-up, or a re-inspection closing the open correction, to a result the caller may enter."""
    caller, today = acting(actor), today or date.today()
    with db.unit_of_work() as s:
        lock_chain(s)
        result = s.scalar(select(Result).where(Result.result_id == result_id))
        if result is None:
            raise NotFound(f"no result {result_id!r}", where="result")
        refusal = entry_refusal(caller, result.agency, team_agencies(s, result.task_id, result.entity_id))
        if refusal:
            raise Forbidden(refusal, where="result")
        if data.get("kind") not in CLOSINGS:
            return new_follow_up(s, result, data, caller.name, today)
        return _close(s, result, data, caller.name, today)


# How each kind of follow-up ends: 复查 closes a correction order, 处罚决定 a case, 接收 a transfer.
CLOSINGS = {"reinspection": "correction", "decision": "case", "received": "transfer"}


def _close(s: Session, result: Result, data: Mapping[str, Any], actor: str, today: date) -> FollowUp:
    closing = str(data["kind"])
    kind = CLOSINGS[closing]
    q = select(FollowUp).where(FollowUp.result_id == result.id, FollowUp.kind == kind, FollowUp.closed.is_(False))
    if data.get("follow_up_id") is not None:
        q = q.where(FollowUp.id == data["follow_up_id"])
    fu = s.scalars(q.order_by(FollowUp.id)).first()
    if fu is None:
        raise Conflict(f"a {closing} needs an open {kind} of this result", where="kind")
    if closing == "reinspection":
        day = parse_day(data.get("reinspected_on"), "reinspected_on")
        if day is None:
            raise InvalidInput("a re-inspection needs its date", where="reinspected_on")
        _between(day, result.inspected_on, today, "reinspected_on", "a re-inspection cannot be dated ahead")
        fu.reinspected_on, fu.reinspection_outcome = day, str(data.get("outcome", ""))
    elif closing == "decision":
        day = parse_day(data.get("decided_on"), "decided_on")
        decision = str(data.get("decision") or "").strip()
        if day is None or not decision:
            raise InvalidInput("a penalty decision needs its date and its content", where="decided_on")
        _between(day, result.inspected_on, today, "decided_on", "a decision cannot be dated ahead")
        fu.decided_on, fu.decision = day, decision
        fu.penalty_no = str(data.get("penalty_no") or fu.penalty_no or "") or None
        if not fu.penalty_no:
            raise InvalidInput("a penalty decision needs its number (处罚决定书文号)", where="penalty_no")
        fu.penalty_due_on = calendar(s).add_working_days(day, PENALTY_DEADLINE_DAYS).due
    else:
        day = parse_day(data.get("received_on"), "received_on") or today
        _between(day, fu.created_at.date(), today, "received_on", "an acknowledgment cannot be dated ahead")
    fu.closed, fu.closed_on, fu.closed_by = True, today, actor
    s.flush()
    audit(s, actor, f"result.{closing}", f"result:{result.result_id}", details={**dict(data), "follow_up": fu.id})
    return fu
