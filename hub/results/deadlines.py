"""Deadlines in Chinese working days: results published within 20, penalties within 7."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from hub.audit.log import record as audit
from hub.auth.principal import Principal
from hub.calendar import RESULTS_DEADLINE_DAYS
from hub.db import Database
from hub.outbox.models import OutboxMessage
from hub.outbox.states import MessageState
from hub.results.follow_ups import calendar
from hub.results.models import CalendarOverride, FollowUp, Result
from hub.results.states import ResultState
from hub.results.visibility import result_filter


def open_deadlines(
    db: Database, today: date, soon_days: int = 3, caller: Principal | str | None = None
) -> list[dict[str, Any]]:
    """Results not yet delivered everywhere and penalty decisions not yet closed, with their status;
    only those ``caller`` may see (hub.results.access) when given."""
    out: list[dict[str, Any]] = []
    visible = result_filter(caller) if caller is not None else None
    with db.unit_of_work() as s:
        cal = calendar(s)
        undelivered = {
            k
            for (k,) in s.execute(
                select(OutboxMessage.key).where(
                    OutboxMessage.kind == "result", OutboxMessage.state != MessageState.DELIVERED
                )
            )
        }
        results = select(Result) if visible is None else select(Result).where(visible)
        for r in s.scalars(results):
            if r.state == ResultState.APPROVED and r.result_id not in undelivered:
                continue
            deadline = cal.add_working_days(r.inspected_on, RESULTS_DEADLINE_DAYS)
            out.append(
                {
                    "kind": "result",
                    "subject": f"{r.task_id} {r.entity_id} {r.agency} ({r.state})",
                    "due_on": deadline.due.isoformat(),
                    "warning": deadline.warning,
                    "status": cal.due_status(deadline.due, today, soon_days),
                }
            )
        cases = select(FollowUp).where(
            FollowUp.kind == "case", FollowUp.closed.is_(False), FollowUp.penalty_due_on.is_not(None)
        )
        if visible is not None:
            cases = cases.join(Result, Result.id == FollowUp.result_id).where(visible)
        for f in s.scalars(cases):
            due = f.penalty_due_on
            assert due is not None
            out.append(
                {
                    "kind": "penalty",
                    "subject": f"case {f.penalty_no or f.id}",
                    "due_on": due.isoformat(),
                    "warning": None,
                    "status": cal.due_status(due, today, soon_days),
                }
            )
    order = {"overdue": 0, "due_soon": 1, "ok": 2}
    return sorted(out, key=lambda d: (order[d["status"]], d["due_on"]))


def set_override(db: Database, day: date, workday: bool, note: str, actor: str) -> None:
    with db.unit_of_work() as s:
        row = s.get(CalendarOverride, day) or CalendarOverride(day=day)
        row.workday, row.note = workday, note
        s.add(row)
        audit(s, actor, "calendar.override", f"day:{day.isoformat()}", details={"workday": workday, "note": note})
