"""Approve exactly once (issue 13, finding 4), on SQLite and on PostgreSQL: editors re-entering results
while a reviewer approves never change what was approved, and parallel approve-alls approve and queue
each result once. What the outbox carries must be exactly the stored, approved findings."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import date

import pytest
from sqlalchemy import select

from hub.audit.models import AuditEntry
from hub.errors import Conflict
from hub.outbox.models import OutboxMessage
from hub.results.models import Result
from hub.results.services import approve, enter_result, result_message
from hub.rosters.models import Entity
from tests.web import scenario as sc

SINKS = {
    "sinks": {
        "provincial": {"kind": "provincial-rest", "url": "http://127.0.0.1:9", "app_id": "a", "app_secret_env": "S"}
    }
}
TODAY = date(2026, 12, 20)
ROUNDS = 4
EDITORS = 3


@pytest.fixture
def make_task(make_settings, db, monkeypatch):  # type: ignore[no-untyped-def]
    """Drawn tasks over one set of rosters; each round gets its own task and its eight results."""
    settings = make_settings(SINKS, env={"S": "secret"})
    sc.add_rosters(db)
    monkeypatch.setattr(sc, "add_rosters", lambda _db: None)
    spec = sc.task_spec

    def no_last_pairing(task_id: str):  # type: ignore[no-untyped-def]
        return {**spec(task_id), "recusal": {"avoid_home_district": True, "avoid_last_pairing": False}}

    monkeypatch.setattr(sc, "task_spec", no_last_pairing)
    return lambda task_id: sc.drawn_task(db, settings, task_id)


def _enter(task: sc.Scenario, entity_id: str, agency: str, findings: str) -> None:
    enter_result(
        task.db,
        task.task_id,
        {
            "entity_id": entity_id,
            "agency": agency,
            "inspected_on": "2026-12-10",
            "outcome_codes": ["1"],
            "inspectors": task.team_of(entity_id),
            "findings": findings,
        },
        "editor",
        today=TODAY,
    )


def _slots(task: sc.Scenario) -> list[tuple[str, str]]:
    return [(e, a) for e in task.drawn_entities() for a in sc.AGENCIES]


def _check_approved_exactly_once(task: sc.Scenario) -> None:
    """Every result approved once, queued once, with exactly its stored content; no edit after approval."""
    with task.db.unit_of_work() as s:
        results = {r.result_id: r for r in s.scalars(select(Result).where(Result.task_id == task.task_id))}
        entities = {e.entity_id: e for e in s.scalars(select(Entity))}
        messages = {
            m.key: m.payload
            for m in s.scalars(
                select(OutboxMessage).where(OutboxMessage.kind == "result", OutboxMessage.task_id == task.task_id)
            )
        }
        entries = list(
            s.scalars(
                select(AuditEntry)
                .where(AuditEntry.subject.in_([f"result:{rid}" for rid in results]))
                .order_by(AuditEntry.id)
            )
        )
    assert {r.state for r in results.values()} == {"approved"}
    approvals = Counter(e.subject for e in entries if e.action == "result.approve")
    assert set(approvals.values()) == {1} and len(approvals) == len(results)
    for rid, r in results.items():
        assert messages[rid] == result_message(r, entities.get(r.entity_id)), f"{rid}: sent differs from stored"
        approved_at = next(e.id for e in entries if e.subject == f"result:{rid}" and e.action == "result.approve")
        late = [
            e.id for e in entries if e.subject == f"result:{rid}" and e.action == "result.enter" and e.id > approved_at
        ]
        assert late == [], f"{rid}: edited after its approval (entries {late})"


def _edit(
    k: int,
    task: sc.Scenario,
    slots: list[tuple[str, str]],
    stop: threading.Event,
    edits: Counter[int],
    lost: Counter[int],
    errors: list[BaseException],
) -> None:
    """Editor ``k``: re-enter the task's results one after the other until told to stop."""
    i = k
    while not stop.is_set():
        e, a = slots[i % len(slots)]
        try:
            _enter(task, e, a, f"editor {k} edit {edits[k]}")
            edits[k] += 1
        except Conflict:
            lost[k] += 1
        except BaseException as exc:  # reported by the test
            errors.append(exc)
            return
        i += 1


def test_edits_racing_an_approval_never_change_what_was_approved(make_task):
    conflicts = 0
    for n in range(ROUNDS):
        task = make_task(f"JT-2026-09{70 + n}")
        slots = _slots(task)
        for e, a in slots:
            _enter(task, e, a, "初次录入")
        stop, edits, lost = threading.Event(), Counter[int](), Counter[int]()
        errors: list[BaseException] = []
        threads = [
            threading.Thread(target=_edit, args=(k, task, slots, stop, edits, lost, errors)) for k in range(EDITORS)
        ]
        for t in threads:
            t.start()
        while sum(edits.values()) < 2 * len(slots) and not errors:
            threading.Event().wait(0.005)
        while True:  # a reviewer approves until nothing is left entered
            if not approve(task.db, task.settings, task.task_id, "reviewer", today=TODAY):
                with task.db.unit_of_work() as s:
                    if (
                        s.scalar(
                            select(Result.id).where(Result.task_id == task.task_id, Result.state == "entered").limit(1)
                        )
                        is None
                    ):
                        break
        deadline = sum(lost.values()) + EDITORS * 3
        while sum(lost.values()) < deadline and not errors:  # editors keep trying after the approval
            threading.Event().wait(0.005)
        stop.set()
        for t in threads:
            t.join()
        assert errors == []
        _check_approved_exactly_once(task)
        conflicts += sum(lost.values())
    assert conflicts >= ROUNDS * EDITORS  # edits after the approval lost with a conflict


def test_parallel_approve_alls_approve_and_queue_each_result_once(make_task):
    task = make_task("JT-2026-0980")
    for e, a in _slots(task):
        _enter(task, e, a, "待审核")
    barrier = threading.Barrier(10)
    approved: list[list[str]] = []
    errors: list[BaseException] = []

    def approve_all() -> None:
        try:
            barrier.wait()
            approved.append(approve(task.db, task.settings, task.task_id, "reviewer", today=TODAY))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve_all) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    every = [rid for ids in approved for rid in ids]
    assert len(every) == len(set(every)) == len(_slots(task))
    _check_approved_exactly_once(task)
