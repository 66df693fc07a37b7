"""Published results for the portal's tests: many entities with credit codes in two districts, results of
two agencies over two years, stored as approval leaves them (approved, with a publication date)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

from sqlalchemy import event

from hub.db import Database
from hub.results.models import Result
from hub.rosters.models import Entity
from hub.tasks.models import JointTask
from vocabulary.uscc import check_char

TASK_ID = "JT-2025-0900"
NAMES = ("泉城大酒店", "趵突泉宾馆", "大明湖快捷酒店", "千佛山养老院", "黑虎泉茶社")


def uscc(n: int) -> str:
    first17 = f"91370{102 + n % 2}MA{n:07d}"
    return first17 + check_char(first17)


def add_published(db: Database, n: int = 20) -> list[Entity]:
    """``n`` entities (their names from NAMES, numbered), one approved result each; entity i is in district
    370102 (even i) or 370103, inspected by HEALTH (i % 3 != 0) or SAMR in 2025 (i < n // 2) or 2026, with
    outcome 5 when i % 4 == 0, else 1; every fifth result is still only entered."""
    entities = []
    with db.unit_of_work() as s:
        s.add(
            JointTask(
                id=TASK_ID,
                title="2025年住宿和养老机构联合抽查",
                lead="HEALTH",
                agencies=["HEALTH", "SAMR"],
                spec={},
                state="drawn",
                window_start=date(2025, 11, 1),
                window_end=date(2026, 3, 31),
                created_by="factory",
            )
        )
        s.flush()
        for i in range(n):
            code = uscc(i)
            e = Entity(
                entity_id=code,
                uscc=code,
                name=f"济南{NAMES[i % len(NAMES)]}{i}号店",
                entity_type="enterprise",
                district="370102" if i % 2 == 0 else "370103",
                legal_rep=f"赵{i}明",
                categories=["hotel"],
                sources=["samr"],
            )
            s.add(e)
            s.flush()  # the entity before its result, as in the hub (its approval indexes the entity's name)
            entities.append(e)
            year = 2025 if i < n // 2 else 2026
            approved = i % 5 != 4
            s.add(
                Result(
                    result_id=f"{TASK_ID}-R{i:04d}",
                    task_id=TASK_ID,
                    entity_id=code,
                    agency="HEALTH" if i % 3 else "SAMR",
                    inspected_on=date(year, 12, 1),
                    outcome_codes=["5"] if i % 4 == 0 else ["1"],
                    inspectors=[],
                    items=[],
                    findings=f"负责人赵{i}明，电话13912345678" if i % 4 == 0 else "",
                    state="approved" if approved else "entered",
                    entered_by="factory",
                    approved_by="factory" if approved else None,
                    approved_at=datetime(year, 12, 5, 2, 0) if approved else None,
                    published_on=date(year, 12, 5) if approved else None,
                )
            )
    return entities


def expected(n: int = 20, **where: object) -> set[str]:
    """Credit codes of the approved results add_published made that match ``where``."""
    out = set()
    for i in range(n):
        facts = {
            "district": "370102" if i % 2 == 0 else "370103",
            "agency": "HEALTH" if i % 3 else "SAMR",
            "year": 2025 if i < n // 2 else 2026,
            "outcome": "5" if i % 4 == 0 else "1",
            "name": f"济南{NAMES[i % len(NAMES)]}{i}号店",
        }
        if i % 5 == 4:
            continue
        if all((k == "name" and str(v) in facts["name"]) or facts.get(k) == v for k, v in where.items()):
            out.add(uscc(i))
    return out


@contextmanager
def sql(app: Any) -> Iterator[list[str]]:
    """The SQL statements ``app`` sends to its database inside the block."""
    statements: list[str] = []
    engine = app.extensions["hub_db"].engine

    def remember(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", remember)
