"""Results of a drawn task: entry (API or CSV), follow-ups, approval, and the outbox messages
approval causes, written in the same transaction."""
from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hub.agencies import authority_name
from hub.audit.log import record as audit
from hub.calendar import PENALTY_DEADLINE_DAYS, RESULTS_DEADLINE_DAYS, WorkingCalendar
from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database
from hub.draw.models import Assignment
from hub.errors import Conflict, InvalidInput, NotFound
from hub.outbox.services import enqueue
from hub.results.csv_import import ResultRow, RowError, check_against_task, read_results_csv
from hub.results.models import CalendarOverride, FollowUp, Result
from hub.rosters.models import Entity
from hub.tasks.models import JointTask
from vocabulary.outcomes import check_outcomes, text

FOLLOW_UP_KINDS = ("correction", "case", "transfer")


@dataclass
class ImportReport:
    saved: int = 0
    errors: list[RowError] = field(default_factory=list)


def calendar(s: Session) -> WorkingCalendar:
    """The working-day calendar with the database's overrides on top of the library."""
    return WorkingCalendar({o.day: o.workday for o in s.scalars(select(CalendarOverride))})


def _drawn_task(s: Session, task_id: str) -> tuple[JointTask, dict[str, list[str]]]:
    task = s.get(JointTask, task_id)
    if task is None:
        raise NotFound(f"no joint task {task_id!r}", where="task")
    if task.state != "drawn":
        raise Conflict(f"task {task_id} is {task.state}: results come after the draw", where=f"task {task_id}")
    teams = {a.entity_id: list(a.team) for a in s.scalars(select(Assignment).where(Assignment.task_id == task_id))}
    return task, teams


def _store(s: Session, task: JointTask, row: ResultRow, actor: str, substitution_reason: str | None,
           items: Sequence[str] = ()) -> Result:
    existing = s.scalar(select(Result).where(Result.task_id == task.id, Result.entity_id == row.entity_id,
                                             Result.agency == row.agency))
    if existing is not None and existing.state != "entered":
        raise Conflict(f"the {row.agency} result for {row.entity_id} is approved already", where=f"line {row.line}")
    result = existing or Result(result_id=uuid.uuid4().hex, task_id=task.id, entity_id=row.entity_id,
                                agency=row.agency, entered_by=actor)
    result.inspected_on, result.outcome_codes = row.inspected_on, list(row.outcome_codes)
    result.inspectors, result.findings = list(row.inspectors), row.findings
    result.items = list(items) or _items_of(task, row.agency)
    result.substitution_reason = substitution_reason
    result.entered_at = utcnow()
    s.add(result)
    s.flush()
    audit(s, actor, "result.enter", f"result:{result.result_id}",
          details={"task": task.id, "entity": row.entity_id, "agency": row.agency,
                   "codes": list(row.outcome_codes), "substitution_reason": substitution_reason})
    return result


def _items_of(task: JointTask, agency: str) -> list[str]:
    return [c for t in task.spec.get("team", []) if t.get("agency") == agency for c in t.get("items", [])]


def import_csv(db: Database, task_id: str, path: Path | str, actor: str, today: date | None = None) -> ImportReport:
    """Import a results CSV: bad rows are refused with line and reason, good rows all saved together."""
    parsed = read_results_csv(path)
    report = ImportReport(errors=list(parsed.errors))
    with db.unit_of_work() as s:
        task, teams = _drawn_task(s, task_id)
        good = []
        for row in parsed.rows:
            problems = check_against_task(row, teams, (task.window_start, task.window_end), task.agencies,
                                          today=today or date.today())
            if problems:
                report.errors.extend(problems)
            else:
                good.append(row)
        for row in good:
            try:
                with s.begin_nested():
                    _store(s, task, row, actor, None)
                report.saved += 1
            except Conflict as exc:
                report.errors.append(RowError(row.line, "result", exc.message))
    report.errors.sort(key=lambda e: e.line)
    return report


def enter_result(db: Database, task_id: str, data: Mapping[str, Any], actor: str,
                 today: date | None = None) -> Result:
    """Enter one result (API): inspectors off the drawn team need a substitution reason."""
    def need(key: str) -> Any:
        if data.get(key) in (None, "", []):
            raise InvalidInput("is required", where=key)
        return data[key]

    try:
        inspected_on = date.fromisoformat(str(need("inspected_on")))
    except ValueError:
        raise InvalidInput(f"{data['inspected_on']!r} is not a date (YYYY-MM-DD)", where="inspected_on") from None
    codes = [str(c) for c in need("outcome_codes")]
    problems = check_outcomes(codes, [f.get("kind") for f in data.get("follow_ups") or []])
    if problems:
        raise InvalidInput("; ".join(problems), where="outcome_codes")
    row = ResultRow(line=0, entity_id=str(need("entity_id")), agency=str(need("agency")),
                    inspected_on=inspected_on, outcome_codes=tuple(codes),
                    inspectors=tuple(str(i) for i in need("inspectors")), findings=str(data.get("findings", "")))
    reason = (data.get("substitution_reason") or "").strip() or None
    with db.unit_of_work() as s:
        task, teams = _drawn_task(s, task_id)
        problems_rows = check_against_task(row, teams, (task.window_start, task.window_end), task.agencies,
                                           today=today or date.today())
        for p in problems_rows:
            if p.field == "inspectors" and reason:
                continue  # a substitution, with its reason, is allowed and audited
            raise InvalidInput(p.message, where=p.field)
        result = _store(s, task, row, actor, reason, data.get("items") or ())
        for f in data.get("follow_ups") or []:
            _add_follow_up(s, result, f, actor)
        return result


def _parse_day(value: Any, where: str) -> date | None:
    if value in (None, ""):
        return None
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise InvalidInput(f"{value!r} is not a date (YYYY-MM-DD)", where=where) from None


def _add_follow_up(s: Session, result: Result, f: Mapping[str, Any], actor: str) -> FollowUp:
    kind = f.get("kind")
    if kind not in FOLLOW_UP_KINDS:
        raise InvalidInput(f"{kind!r} is not one of {', '.join(FOLLOW_UP_KINDS)}", where="follow_ups.kind")
    fu = FollowUp(result_id=result.id, kind=kind, content=str(f.get("content", "")))
    if kind == "correction":
        fu.due_on = _parse_day(f.get("due_on"), "follow_ups.due_on")
        if fu.due_on is None:
            raise InvalidInput("a correction order needs a due date", where="follow_ups.due_on")
    elif kind == "case":
        fu.penalty_no = f.get("penalty_no")
        fu.decided_on = _parse_day(f.get("decided_on"), "follow_ups.decided_on")
        if fu.decided_on:
            fu.penalty_due_on = calendar(s).add_working_days(fu.decided_on, PENALTY_DEADLINE_DAYS).due
    else:
        fu.to_agency = f.get("to_agency")
        if not fu.to_agency:
            raise InvalidInput("a transfer names the agency it goes to", where="follow_ups.to_agency")
    s.add(fu)
    s.flush()
    audit(s, actor, "result.follow_up", f"result:{result.result_id}", details=dict(f))
    return fu


def add_follow_up(db: Database, result_id: str, data: Mapping[str, Any], actor: str) -> FollowUp:
    with db.unit_of_work() as s:
        result = s.scalar(select(Result).where(Result.result_id == result_id))
        if result is None:
            raise NotFound(f"no result {result_id!r}", where="result")
        if data.get("kind") == "reinspection":
            fu = s.scalar(select(FollowUp).where(FollowUp.result_id == result.id, FollowUp.kind == "correction",
                                                 FollowUp.closed.is_(False)))
            if fu is None:
                raise Conflict("a re-inspection needs an open correction order", where="kind")
            fu.reinspected_on = _parse_day(data.get("reinspected_on"), "reinspected_on")
            fu.reinspection_outcome = str(data.get("outcome", ""))
            fu.closed = True
            audit(s, actor, "result.reinspection", f"result:{result_id}", details=dict(data))
            return fu
        return _add_follow_up(s, result, data, actor)


def result_message(result: Result, entity: Entity | None) -> dict[str, Any]:
    """The outbox payload of one approved result (sinks turn it into their wire format)."""
    return {"result_id": result.result_id, "task_id": result.task_id, "entity_id": result.entity_id,
            "uscc": entity.uscc if entity else None, "entity_name": entity.name if entity else result.entity_id,
            "agency": result.agency, "authority": authority_name(result.agency), "items": list(result.items),
            "inspected_on": result.inspected_on.isoformat(),
            "outcomes": [{"code": c, "text": text(c)} for c in result.outcome_codes],
            "inspectors": list(result.inspectors), "findings": result.findings}


def approve(db: Database, settings: Settings, task_id: str, actor: str,
            result_ids: Sequence[str] | None = None, today: date | None = None) -> list[str]:
    """Approve entered results (all when ``result_ids`` is None); queue them for every sink in
    the same transaction; return the approved result ids."""
    today = today or date.today()
    with db.unit_of_work() as s:
        _drawn_task(s, task_id)
        q = select(Result).where(Result.task_id == task_id, Result.state == "entered")
        if result_ids is not None:
            q = q.where(Result.result_id.in_(result_ids))
        results = list(s.scalars(q))
        if result_ids is not None and len(results) != len(set(result_ids)):
            found = {r.result_id for r in results}
            missing = [r for r in result_ids if r not in found]
            raise NotFound(f"no entered result {missing[0]!r} in {task_id}", where="result_ids")
        cal = calendar(s)
        entities = {e.entity_id: e for e in s.scalars(select(Entity).where(
            Entity.entity_id.in_([r.entity_id for r in results])))}
        approved = []
        for r in results:
            kinds = {f.kind for f in s.scalars(select(FollowUp).where(FollowUp.result_id == r.id))}
            problems = check_outcomes(r.outcome_codes, kinds)
            if problems:
                raise InvalidInput(f"result {r.result_id} ({r.entity_id}, {r.agency}): {'; '.join(problems)}",
                                   where="approve")
            deadline = cal.add_working_days(r.inspected_on, RESULTS_DEADLINE_DAYS)
            r.state, r.approved_by, r.approved_at = "approved", actor, utcnow()
            r.due_on, r.published_on = deadline.due, today
            enqueue(s, settings, "result", r.result_id, result_message(r, entities.get(r.entity_id)), task_id)
            audit(s, actor, "result.approve", f"result:{r.result_id}",
                  details={"task": task_id, "due_on": deadline.due.isoformat(), "warning": deadline.warning})
            approved.append(r.result_id)
        return approved
