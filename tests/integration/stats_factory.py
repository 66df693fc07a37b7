"""Generated data for the statistics: tasks in every state, drawn pairs, results in every state (with
amendments), follow-ups and outbox messages, inserted in bulk; the same rows kept as plain dicts, so a
test can compute every figure again on its own (tests/integration/test_stats.py) and the benchmark can
fill a database fast (benchmarks/bench_stats.py)."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from hub.db import Database
from hub.draw.models import Assignment
from hub.outbox.models import OutboxMessage
from hub.results.models import FollowUp, Result
from hub.rosters.models import Entity
from hub.tasks.models import JointTask

AGENCIES = ("HEALTH", "SAMR", "EDU")
DISTRICTS = ("370102", "370103", "370104")
CATEGORIES = ("hotel", "school", "eldercare")
CODE_SETS = (("1",), ("1",), ("2",), ("5",), ("5", "2"), ("8",), ("7",), ("9",), ("4", "3"), ("6",), ("11",))
SINKS = ("provincial", "credit")


@dataclass
class World:
    entities: list[dict[str, Any]] = field(default_factory=list)
    tasks: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)
    follow_ups: list[dict[str, Any]] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)


def generate(results: int = 400, seed: int = 7, tasks: int | None = None) -> World:
    """About ``results`` result rows over tasks of two years, every state and kind represented."""
    rng = random.Random(seed)
    w = World()
    n_entities = max(60, results // 2)
    for i in range(n_entities):
        w.entities.append(
            {
                "entity_id": f"E{i:07d}",
                "name": f"检查对象{i}",
                "entity_type": "enterprise",
                "district": rng.choice(DISTRICTS),
                "categories": rng.sample(CATEGORIES, rng.choice((1, 1, 2))),
                "status": "active",
                "active": rng.random() > 0.1,
                "sources": ["gen"],
            }
        )
    per_task = 40
    n_tasks = tasks or max(6, results // 60 + 3)  # about 68 results a task (2 agencies, 85% inspected)
    states = ["drawn"] * (n_tasks - 2) + ["void", "draft"]
    for t in range(n_tasks):
        year = 2025 + t % 2
        start = date(year, rng.randint(1, 11), 1)
        w.tasks.append(
            {
                "id": f"JT-{year}-{t:04d}",
                "title": f"任务{t}",
                "lead": "HEALTH",
                "agencies": rng.sample(AGENCIES, rng.choice((1, 2, 3))),
                "spec": {},
                "state": states[t],
                "window_start": start,
                "window_end": start + timedelta(days=30),
                "created_by": "gen",
            }
        )
    for task in w.tasks:
        if task["state"] == "draft":
            continue
        for pos, e in enumerate(rng.sample(w.entities, per_task)):
            w.assignments.append(
                {
                    "task_id": task["id"],
                    "position": pos,
                    "entity_id": e["entity_id"],
                    "stratum": e["district"],
                    "key": f"{pos:016x}",
                    "team": [],
                }
            )
    tasks_by_id = {t["id"]: t for t in w.tasks}
    pairs = [(a, ag) for a in w.assignments for ag in tasks_by_id[a["task_id"]]["agencies"]]
    rng.shuffle(pairs)
    next_id = 1
    for a, agency in pairs:
        if len(w.results) >= results:
            break
        if rng.random() < 0.15:
            continue  # not inspected yet
        task = tasks_by_id[a["task_id"]]
        state = rng.choice(("approved",) * 6 + ("entered", "returned", "draft"))
        row = _result(rng, next_id, a["task_id"], a["entity_id"], agency, task["window_start"], state, 1, None)
        next_id += 1
        w.results.append(row)
        if state == "approved" and rng.random() < 0.12:  # an amendment (更正), approved or under review
            amendment_state = rng.choice(("approved", "entered"))
            amendment = _result(
                rng, next_id, a["task_id"], a["entity_id"], agency, task["window_start"], amendment_state, 2, row
            )
            next_id += 1
            row["superseded"] = amendment_state == "approved"
            w.results.append(amendment)
    today = date(2026, 12, 3)
    for r in w.results:
        if "8" in r["outcome_codes"] or rng.random() < 0.1:
            w.follow_ups.append(_follow_up(rng, len(w.follow_ups) + 1, r, today))
        if r["state"] != "approved":
            continue
        for sink in SINKS:
            state = rng.choice(("delivered", "delivered", "delivered", "pending", "rejected"))
            delivered_at = r["approved_at"] + timedelta(seconds=rng.randint(1, 86400)) if state == "delivered" else None
            w.messages.append(
                {
                    "sink": sink,
                    "kind": "result",
                    "key": r["result_id"],
                    "task_id": r["task_id"],
                    "payload": {},
                    "state": state,
                    "delivered_at": delivered_at,
                    "created_at": r["approved_at"],  # written in the approval's transaction
                }
            )
    return w


def _result(
    rng: random.Random,
    n: int,
    task_id: str,
    entity_id: str,
    agency: str,
    start: date,
    state: str,
    revision: int,
    amended: dict[str, Any] | None,
) -> dict[str, Any]:
    inspected = start + timedelta(days=rng.randint(0, 30))
    approved = state == "approved"
    approved_at = datetime(inspected.year, inspected.month, inspected.day, 9) + timedelta(
        days=rng.randint(1, 40), seconds=rng.randint(0, 30000)
    )
    return {
        "id": n,
        "result_id": uuid.UUID(int=rng.getrandbits(128)).hex,
        "task_id": task_id,
        "entity_id": entity_id,
        "agency": agency,
        "inspected_on": inspected,
        "outcome_codes": list(rng.choice(CODE_SETS)),
        "inspectors": ["X-001", "X-002"],
        "items": ["ITEM-1"],
        "findings": "",
        "state": state,
        "entered_by": "gen",
        "version": 1,
        "revision": revision,
        "amends": amended["result_id"] if amended else None,
        "superseded": False,
        "approved_by": "reviewer" if approved else None,
        "approved_at": approved_at if approved else None,
        "published_on": approved_at.date() if approved else None,
        "due_on": inspected + timedelta(days=28) if approved else None,  # about 20 working days
    }


def _follow_up(rng: random.Random, n: int, r: dict[str, Any], today: date) -> dict[str, Any]:
    kind = rng.choice(("correction", "case", "transfer"))
    closed = rng.random() < 0.5
    due = today + timedelta(days=rng.randint(-60, 60))
    decided = r["inspected_on"] + timedelta(days=rng.randint(1, 30)) if kind == "case" and rng.random() < 0.7 else None
    penalty_due = decided + timedelta(days=9) if decided else None
    return {
        "id": n,
        "result_id": r["id"],
        "kind": kind,
        "due_on": due if kind != "case" else None,
        "penalty_no": f"罚{n}" if kind == "case" else None,
        "decided_on": decided,
        "penalty_due_on": penalty_due,
        "to_agency": "SAMR" if kind == "transfer" else None,
        "content": "",
        "closed": closed,
        "closed_on": (decided or r["inspected_on"]) + timedelta(days=rng.randint(0, 15)) if closed else None,
    }


def load(db: Database, w: World) -> None:
    """Insert the world in bulk (in chunks: a database takes only so many parameters at once)."""
    with db.unit_of_work() as s:
        for model, rows in (
            (Entity, w.entities),
            (JointTask, w.tasks),
            (Assignment, w.assignments),
            (Result, w.results),
            (FollowUp, w.follow_ups),
            (OutboxMessage, w.messages),
        ):
            for i in range(0, len(rows), 2000):
                s.execute(insert(model), rows[i : i + 2000])
