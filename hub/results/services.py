"""Results of a drawn task: entry (API or CSV), follow-ups, approval, and the outbox messages
approval causes, written in the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hub.agencies import authority_name
from hub.audit.log import lock_chain
from hub.audit.log import record as audit
from hub.auth.principal import Principal
from hub.calendar import RESULTS_DEADLINE_DAYS
from hub.clock import utcnow
from hub.config import Settings
from hub.db import Database
from hub.draw.models import Assignment, AssignmentInspector
from hub.errors import Conflict, Forbidden, InvalidInput, NotFound
from hub.outbox.services import enqueue
from hub.results.access import acting, entry_refusal, review_refusal
from hub.results.csv_import import ResultRow, RowError, check_against_task, read_results_csv
from hub.results.follow_ups import FOLLOW_UP_KINDS, add_follow_up, calendar, new_follow_up
from hub.results.models import FollowUp, Result
from hub.results.states import EDITABLE, RESULT_LIFECYCLE, ResultState
from hub.results.substitution import Officer, Visit, all_substitute_problems
from hub.rosters.models import Entity, Inspector
from hub.tasks.models import JointTask
from vocabulary.outcomes import check_outcomes, text

__all__ = [
    "FOLLOW_UP_KINDS",
    "ImportReport",
    "add_follow_up",
    "approve",
    "calendar",
    "enter_result",
    "import_csv",
    "result_message",
    "return_result",
]


@dataclass
class ImportReport:
    saved: int = 0
    errors: list[RowError] = field(default_factory=list)
    conflicts: int = 0  # rows refused because their result was approved or changed meanwhile

    @property
    def only_conflicts(self) -> bool:
        return bool(self.errors) and self.conflicts == len(self.errors)


def _drawn_task(s: Session, task_id: str) -> tuple[JointTask, dict[str, list[str]]]:
    task = s.get(JointTask, task_id)
    if task is None:
        raise NotFound(f"no joint task {task_id!r}", where="task")
    if task.state != "drawn":
        raise Conflict(f"task {task_id} is {task.state}: results come after the draw", where=f"task {task_id}")
    teams = {a.entity_id: list(a.team) for a in s.scalars(select(Assignment).where(Assignment.task_id == task_id))}
    return task, teams


def _teams_by_agency(s: Session, task_id: str) -> dict[str, dict[str, str]]:
    """entity_id -> {inspector id -> agency} of every drawn team of the task."""
    out: dict[str, dict[str, str]] = {}
    for eid, iid, agency in s.execute(
        select(AssignmentInspector.entity_id, AssignmentInspector.inspector_id, AssignmentInspector.agency).where(
            AssignmentInspector.task_id == task_id
        )
    ):
        out.setdefault(eid, {})[iid] = agency
    return out


def _substitute_problems(s: Session, task: JointTask, row: ResultRow, substitutes: Sequence[str]) -> list[str]:
    """What keeps each officer off the drawn team from standing in (hub.results.substitution)."""
    pool_avoid: dict[str, set[str]] = {}
    wanted = {i.encode() for i in substitutes}
    for line in (task.pool_file or b"").splitlines():  # the frozen pool's avoid list, as the draw used it
        fields = line.split(b"\t")
        if fields[0] in wanted and len(fields) == 6 and fields[5] != b"-":
            pool_avoid[fields[0].decode()] = set(fields[5].decode().split(","))
    recusal = task.spec.get("recusal", {})
    last_pairing: set[str] = set()
    if recusal.get("avoid_last_pairing", True):
        last = s.execute(
            select(Result.inspectors)
            .where(Result.entity_id == row.entity_id, Result.task_id != task.id)
            .order_by(Result.inspected_on.desc())
            .limit(1)
        ).first()
        last_pairing = set(last[0] or []) if last else set()
    officers = {
        i.inspector_id: Officer(
            i.inspector_id,
            i.agency,
            bool(i.active),
            i.cert_valid_until,
            tuple(i.home_districts or ()),
            frozenset(
                set(i.conflicts or ())
                | pool_avoid.get(i.inspector_id, set())
                | ({row.entity_id} if i.inspector_id in last_pairing else set())
            ),
        )
        for i in s.scalars(select(Inspector).where(Inspector.inspector_id.in_(list(substitutes))))
    }
    avoid_home = (task.plan or {}).get("avoid_home_district", recusal.get("avoid_home_district", True))
    visit = Visit(
        row.agency,
        row.entity_id,
        s.scalar(select(Entity.district).where(Entity.entity_id == row.entity_id)),
        row.inspected_on,
        bool(avoid_home),
    )
    return all_substitute_problems(substitutes, officers, visit)


def _latest(s: Session, task_id: str, entity_id: str, agency: str) -> Result | None:
    """The newest revision of one (task, entity, agency) result, locked for the change that follows."""
    return s.scalar(
        select(Result)
        .where(Result.task_id == task_id, Result.entity_id == entity_id, Result.agency == agency)
        .order_by(Result.revision.desc())
        .limit(1)
        .with_for_update(key_share=True)
    )


def _store(
    s: Session,
    task: JointTask,
    row: ResultRow,
    actor: str,
    team: Sequence[str],
    substitution_reason: str | None = None,
    items: Sequence[str] = (),
    replaced: Sequence[str] = (),
    state: ResultState = ResultState.ENTERED,
    amends: str | None = None,
) -> Result:
    """Insert or overwrite one result that is not approved (draft, entered or returned); an approved one
    is never edited: a change to it is an amendment (``amends`` = its result_id), a new revision."""
    where = f"line {row.line}" if row.line else "result"
    existing = _latest(s, task.id, row.entity_id, row.agency)
    revision = 1
    if existing is not None and existing.state == ResultState.APPROVED:
        if amends is None:
            raise Conflict(
                f"the {row.agency} result for {row.entity_id} is approved already; "
                f"a change to it is an amendment (更正) of {existing.result_id}",
                where=where,
            )
        if amends != existing.result_id:
            raise Conflict(f"an amendment amends the published result {existing.result_id}, not {amends}", where=where)
        revision, existing = existing.revision + 1, None
    elif amends is not None and (existing is None or existing.amends != amends):
        raise Conflict(f"{amends} is not the published result of {row.entity_id} ({row.agency})", where=where)
    elif existing is not None:
        revision = existing.revision
    values = {
        "inspected_on": row.inspected_on,
        "outcome_codes": list(row.outcome_codes),
        "inspectors": list(row.inspectors),
        "findings": row.findings,
        "items": list(items) or _items_of(task, row.agency),
        "substitution_reason": substitution_reason,
        "entered_by": actor,
        "entered_at": utcnow(),
        "state": state,
    }
    if existing is None:
        result = Result(
            result_id=uuid.uuid4().hex,  # an amendment gets its own: the sinks' idempotency key
            task_id=task.id,
            entity_id=row.entity_id,
            agency=row.agency,
            version=1,
            revision=revision,
            amends=amends,
            **values,
        )
        s.add(result)
        try:
            with s.begin_nested():
                s.flush()
        except IntegrityError:
            raise Conflict(
                f"the {row.agency} result for {row.entity_id} was entered meanwhile; reload and try again", where=where
            ) from None
        overwrote = None
    else:
        # The guard of "approve exactly once": the edit applies only to the version read, and only
        # while it is not approved; an approval (or another edit) in between makes it lose.
        done = s.execute(
            update(Result)
            .where(Result.id == existing.id, Result.state.in_(list(EDITABLE)), Result.version == existing.version)
            .values(version=existing.version + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(
                f"the {row.agency} result for {row.entity_id} was approved or changed meanwhile; reload and try again",
                where=where,
            )
        overwrote = existing.entered_by if existing.entered_by != actor else None
        s.refresh(existing)
        result = existing
    details: dict[str, Any] = {
        "task": task.id,
        "entity": row.entity_id,
        "agency": row.agency,
        "codes": list(row.outcome_codes),
        "substitution_reason": substitution_reason,
        "state": str(state),
    }
    if amends:
        details["amends"] = amends
    if overwrote:
        details["overwrote"] = overwrote
    audit(s, actor, "result.enter", f"result:{result.result_id}", details=details)
    substitutes = [i for i in row.inspectors if i not in team]
    if substitutes:
        audit(
            s,
            actor,
            "result.substitution",
            f"result:{result.result_id}",
            details={"substitutes": substitutes, "replaced": list(replaced), "reason": substitution_reason},
        )
    return result


def _items_of(task: JointTask, agency: str) -> list[str]:
    return [c for t in task.spec.get("team", []) if t.get("agency") == agency for c in t.get("items", [])]


def import_csv(
    db: Database, task_id: str, path: Path | str, actor: Principal | str, today: date | None = None
) -> ImportReport:
    """Import a results CSV: bad rows are refused with line and reason, good rows all saved together;
    a row the caller may not enter refuses the whole file (nothing saved)."""
    caller = acting(actor)
    parsed = read_results_csv(path)
    report = ImportReport(errors=list(parsed.errors))
    with db.unit_of_work() as s:
        lock_chain(s)
        task, teams = _drawn_task(s, task_id)
        sides = _teams_by_agency(s, task_id)
        for row in parsed.rows:
            refusal = entry_refusal(caller, row.agency, sides.get(row.entity_id, {}))
            if refusal:
                raise Forbidden(f"line {row.line}: {refusal}; nothing was saved", where=str(path))
        good = []
        for row in parsed.rows:
            problems = check_against_task(
                row, teams, (task.window_start, task.window_end), task.agencies, today=today or date.today()
            )
            if problems:
                report.errors.extend(problems)
            else:
                good.append(row)
        for row in good:
            try:
                with s.begin_nested():
                    _store(s, task, row, caller.name, teams[row.entity_id])
                report.saved += 1
            except Conflict as exc:
                report.errors.append(RowError(row.line, "result", exc.message))
                report.conflicts += 1
    report.errors.sort(key=lambda e: e.line)
    return report


def enter_result(
    db: Database, task_id: str, data: Mapping[str, Any], actor: Principal | str, today: date | None = None
) -> Result:
    """Enter one result (API, web form): inspectors off the drawn team need a substitution reason and
    must be eligible substitutes; the caller must be allowed to enter this agency's result for this entity.

    ``draft: true`` saves without submitting it for review; ``amends: <result_id>`` enters an amendment
    (更正) of that published result; ``follow_ups`` (when given) replace the ones of this unapproved entry.
    """
    caller, today = acting(actor), today or date.today()

    def need(key: str) -> Any:
        if data.get(key) in (None, "", []):
            raise InvalidInput("is required", where=key)
        return data[key]

    try:
        inspected_on = date.fromisoformat(str(need("inspected_on")))
    except ValueError:
        raise InvalidInput(f"{data['inspected_on']!r} is not a date (YYYY-MM-DD)", where="inspected_on") from None
    codes = [str(c) for c in need("outcome_codes")]
    given = data.get("follow_ups")
    if given is not None and not isinstance(given, list):
        raise InvalidInput("must be a list of follow-ups", where="follow_ups")
    problems = check_outcomes(codes, require_follow_up=False)
    if problems:
        raise InvalidInput("; ".join(problems), where="outcome_codes")
    row = ResultRow(
        line=0,
        entity_id=str(need("entity_id")),
        agency=str(need("agency")),
        inspected_on=inspected_on,
        outcome_codes=tuple(codes),
        inspectors=tuple(str(i) for i in need("inspectors")),
        findings=str(data.get("findings", "")),
    )
    reason = (data.get("substitution_reason") or "").strip() or None
    amends = str(data["amends"]) if data.get("amends") else None
    state = ResultState.DRAFT if data.get("draft") else ResultState.ENTERED
    with db.unit_of_work() as s:
        lock_chain(s)
        task, teams = _drawn_task(s, task_id)
        sides = _teams_by_agency(s, task_id).get(row.entity_id, {})
        refusal = entry_refusal(caller, row.agency, sides)
        if refusal:
            raise Forbidden(refusal, where="agency")
        for p in check_against_task(row, teams, (task.window_start, task.window_end), task.agencies, today=today):
            if p.field == "inspectors" and reason:
                continue  # a substitution, with its reason, is checked below and audited
            raise InvalidInput(p.message, where=p.field)
        team = teams.get(row.entity_id, [])
        substitutes = [i for i in row.inspectors if i not in team]
        if substitutes:
            refused = _substitute_problems(s, task, row, substitutes)
            if refused:
                raise InvalidInput("; ".join(refused), where="inspectors")
        replaced = [i for i in team if i not in row.inspectors and sides.get(i) == row.agency]
        result = _store(s, task, row, caller.name, team, reason, data.get("items") or (), replaced, state, amends)
        if given is not None:
            for old in s.scalars(select(FollowUp).where(FollowUp.result_id == result.id)):
                s.delete(old)  # not approved yet: nothing of it has left the hub
            s.flush()
            for f in given:
                if not isinstance(f, Mapping):
                    raise InvalidInput("each follow-up must be an object", where="follow_ups")
                new_follow_up(s, result, f, caller.name, today)
        kinds = follow_up_kinds(s, result)
        problems = check_outcomes(codes, kinds)
        if problems:
            raise InvalidInput("; ".join(problems), where="outcome_codes")
        return result


def follow_up_kinds(s: Session, result: Result) -> set[str]:
    """The kinds of follow-up of a result and of the revisions it amends (an amendment keeps them)."""
    return set(
        s.scalars(
            select(FollowUp.kind)
            .join(Result, Result.id == FollowUp.result_id)
            .where(
                Result.task_id == result.task_id,
                Result.entity_id == result.entity_id,
                Result.agency == result.agency,
                Result.revision <= result.revision,
            )
        )
    )


def result_message(result: Result, entity: Entity | None) -> dict[str, Any]:
    """The outbox payload of one approved result (sinks turn it into their wire format)."""
    return {
        "result_id": result.result_id,
        "task_id": result.task_id,
        "entity_id": result.entity_id,
        "uscc": entity.uscc if entity else None,
        "entity_name": entity.name if entity else result.entity_id,
        "agency": result.agency,
        "authority": authority_name(result.agency),
        "items": list(result.items),
        "inspected_on": result.inspected_on.isoformat(),
        "outcomes": [{"code": c, "text": text(c)} for c in result.outcome_codes],
        "inspectors": list(result.inspectors),
        "findings": result.findings,
        **({"amends": result.amends} if result.amends else {}),
    }


def approve(
    db: Database,
    settings: Settings,
    task_id: str | None,
    actor: Principal | str,
    result_ids: Sequence[str] | None = None,
    today: date | None = None,
) -> list[str]:
    """Approve entered results of a task (all the caller may review when ``result_ids`` is None), or
    the given results of any task (``task_id`` None); queue them for every sink in the same
    transaction; return the approved result ids.

    Each result is approved exactly once, and what is queued is exactly what is approved: the
    approval applies only to the version of the row it read (a conditional update), so a parallel
    approval or edit of the same result cannot slip in between. An approved amendment supersedes
    the result it amends and goes to the sinks under its own id, naming the one it amends."""
    caller, today = acting(actor), today or date.today()
    refusal = review_refusal(caller, None)
    if refusal:
        raise Forbidden(refusal, where="approve")
    if task_id is None and result_ids is None:
        raise InvalidInput("give the results to approve", where="result_ids")
    with db.unit_of_work() as s:
        lock_chain(s)
        q = (
            select(Result)
            .where(Result.state == ResultState.ENTERED)
            .order_by(Result.id)
            .with_for_update(key_share=True)
        )
        if task_id is not None:
            _drawn_task(s, task_id)
            q = q.where(Result.task_id == task_id)
        if result_ids is not None:
            q = q.where(Result.result_id.in_(result_ids))
        elif caller.agency and "admin" not in caller.roles:
            q = q.where(Result.agency == caller.agency)  # "approve all": what this reviewer may review
        results = list(s.scalars(q))
        if result_ids is not None and len(results) != len(set(result_ids)):
            found = {r.result_id for r in results}
            missing = [r for r in result_ids if r not in found]
            raise NotFound(
                f"no entered result {missing[0]!r}" + (f" in {task_id}" if task_id else ""), where="result_ids"
            )
        for r in results:
            refusal = review_refusal(caller, r.agency)
            if refusal:
                raise Forbidden(refusal, where="result_ids")
            if task_id is None:
                _drawn_task(s, r.task_id)
        cal = calendar(s)
        entities = {
            e.entity_id: e
            for e in s.scalars(select(Entity).where(Entity.entity_id.in_([r.entity_id for r in results])))
        }
        approved = []
        for r in results:
            problems = check_outcomes(r.outcome_codes, follow_up_kinds(s, r))
            if problems:
                raise InvalidInput(
                    f"result {r.result_id} ({r.entity_id}, {r.agency}): {'; '.join(problems)}", where="approve"
                )
            deadline = cal.add_working_days(r.inspected_on, RESULTS_DEADLINE_DAYS)
            message = result_message(r, entities.get(r.entity_id))  # the content of the version read
            done = s.execute(
                update(Result)
                .where(Result.id == r.id, Result.state == ResultState.ENTERED, Result.version == r.version)
                .values(
                    state=ResultState.APPROVED,
                    approved_by=caller.name,
                    approved_at=utcnow(),
                    due_on=deadline.due,
                    published_on=today,
                    version=r.version + 1,
                )
                .execution_options(synchronize_session=False)
            )
            if done.rowcount != 1:  # type: ignore[attr-defined]
                if result_ids is not None:
                    raise Conflict(
                        f"result {r.result_id} was approved or changed meanwhile; approve again", where="result_ids"
                    )
                continue  # approved by a parallel approval: not this one's to queue
            if r.amends:
                s.execute(
                    update(Result)
                    .where(Result.result_id == r.amends)
                    .values(superseded=True)
                    .execution_options(synchronize_session=False)
                )
            enqueue(s, settings, "result", r.result_id, message, r.task_id)
            audit(
                s,
                caller.name,
                "result.approve",
                f"result:{r.result_id}",
                details={
                    "task": r.task_id,
                    "due_on": deadline.due.isoformat(),
                    "warning": deadline.warning,
                    **({"amends": r.amends} if r.amends else {}),
                },
            )
            approved.append(r.result_id)
        return approved


def return_result(db: Database, result_id: str, reason: str, actor: Principal | str) -> Result:
    """Send an entered result back to its enterer with a reason (audited); it is edited and submitted again."""
    caller = acting(actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("a return needs its reason", where="reason")
    if len(reason) > 1000:
        raise InvalidInput("at most 1000 characters", where="reason")
    with db.unit_of_work() as s:
        lock_chain(s)
        r = s.scalar(select(Result).where(Result.result_id == result_id).with_for_update(key_share=True))
        if r is None:
            raise NotFound(f"no result {result_id!r}", where="result")
        refusal = review_refusal(caller, r.agency)
        if refusal:
            raise Forbidden(refusal, where="result")
        RESULT_LIFECYCLE.require(r.state, ResultState.RETURNED, doing="return it", where=f"result {result_id}")
        done = s.execute(
            update(Result)
            .where(Result.id == r.id, Result.state == ResultState.ENTERED, Result.version == r.version)
            .values(
                state=ResultState.RETURNED,
                returned_reason=reason,
                returned_by=caller.name,
                returned_at=utcnow(),
                version=r.version + 1,
            )
            .execution_options(synchronize_session=False)
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise Conflict(f"result {result_id} was approved or changed meanwhile; reload", where="result")
        audit(s, caller.name, "result.return", f"result:{result_id}", details={"reason": reason, "to": r.entered_by})
        s.refresh(r)
        return r
