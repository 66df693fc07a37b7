"""Approved results' outbox messages, inserted straight through ``enqueue``, and sink settings
pointed at the sink sandboxes — for the outbox delivery tests and the push benchmark."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.config import Settings
from hub.db import Database
from hub.outbox.services import enqueue
from hub.results.models import Result
from hub.results.services import result_message
from hub.rosters.models import Entity
from hub.tasks.models import JointTask
from vocabulary.uscc import check_char

APP_ID = "hub-370100"
SECRET = "push-test-secret"
SECRET_ENV = "HUB_PUSH_SECRET"
TASK_ID = "JT-2026-0042"
SENDER = "370100-HEALTH"
# Outcome sets a real approval lets through (code 1 alone; 8 with a follow-up, stored elsewhere).
OUTCOME_SETS = (("1",), ("5",), ("2", "5"), ("8",), ("4",), ("7",))


@dataclass(frozen=True)
class SeededResult:
    result_id: str
    entity_id: str
    uscc: str | None


def uscc(n: int) -> str:
    """A valid unified social credit code: Jinan Lixia (370102), org code MA + 7 digits."""
    first17 = f"91370102MA{n:07d}"
    return first17 + check_char(first17)


def sink_config(sandboxes: Mapping[str, Any], *, timeout: float = 5.0, attempts: int = 2) -> dict[str, Any]:
    """The ``[sinks]`` tables of a config file: both sinks, secret named by environment variable."""
    common = {"app_id": APP_ID, "app_secret_env": SECRET_ENV, "timeout": timeout, "attempts": attempts}
    return {
        "sinks": {
            "provincial": {"kind": "provincial-rest", "url": sandboxes["provincial"].url, **common},
            "credit": {"kind": "credit-xml", "url": sandboxes["credit"].url, "sender": SENDER, **common},
        }
    }


def sink_settings(make_settings: Any, sandboxes: Mapping[str, Any], **kw: Any) -> Settings:
    """Settings (from the conftest ``make_settings`` fixture) with both sinks configured."""
    broker_url = kw.pop("broker_url", None)
    return make_settings(sink_config(sandboxes, **kw), env={SECRET_ENV: SECRET}, broker_url=broker_url)


def ensure_task(db: Database, task_id: str = TASK_ID) -> None:
    with db.unit_of_work() as s:
        if s.get(JointTask, task_id) is None:
            s.add(
                JointTask(
                    id=task_id,
                    title="2026年住宿场所卫生联合抽查",
                    lead="HEALTH",
                    agencies=["HEALTH", "SAMR"],
                    spec={},
                    state="drawn",
                    window_start=date(2026, 11, 2),
                    window_end=date(2026, 11, 30),
                    created_by="factory",
                )
            )


def approved_result(i: int, *, without_uscc_every: int = 10, task_id: str = TASK_ID) -> tuple[Entity, Result]:
    """Result number ``i`` and its entity (not added to any session); every ``without_uscc_every``-th
    entity is a school known only by its EDU id (no uscc, so provincial only)."""
    code = uscc(i) if without_uscc_every and i % without_uscc_every != 0 else None
    entity = Entity(
        entity_id=code or f"EDU:3701020{i:07d}",
        uscc=code,
        name=f"济南市历下区某某酒店{i}" if code else f"济南市历下区第{i}小学",
    )
    result = Result(
        result_id=f"{task_id}-R{i:07d}",
        task_id=task_id,
        entity_id=entity.entity_id,
        agency="HEALTH",
        inspected_on=date(2026, 11, 20),
        outcome_codes=list(OUTCOME_SETS[i % len(OUTCOME_SETS)]),
        inspectors=["H-0001", "S-0002"],
        items=["HEALTH-HOTEL-01"],
        findings="" if i % len(OUTCOME_SETS) == 0 else "消毒记录不全",
    )
    return entity, result


def insert_approved_results(
    db: Database, settings: Settings, n: int, *, start: int = 0, without_uscc_every: int = 10, task_id: str = TASK_ID
) -> list[SeededResult]:
    """Results ``start`` .. ``start + n - 1``: their entities, and their messages queued through
    ``enqueue`` for every sink that takes them, as approval does."""
    ensure_task(db, task_id)
    seeded: list[SeededResult] = []
    # no autoflush: every key is new, so enqueue's look-up need not see this session's rows,
    # and one flush at the end is ten times quicker than one per result.
    with db.unit_of_work() as s, s.no_autoflush:
        for i in range(start, start + n):
            entity, result = approved_result(i, without_uscc_every=without_uscc_every, task_id=task_id)
            s.add(entity)
            enqueue(s, settings, "result", result.result_id, result_message(result, entity), task_id)
            seeded.append(SeededResult(result.result_id, entity.entity_id, entity.uscc))
    return seeded


def expected_by_sink(seeded: list[SeededResult]) -> dict[str, set[str]]:
    """Which result ids each sink must end up holding: provincial all, credit those with a uscc."""
    return {"provincial": {r.result_id for r in seeded}, "credit": {r.result_id for r in seeded if r.uscc}}
