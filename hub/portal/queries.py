"""The portal's notices (公示) as the public reads them: item lists, task notices, the feeds' entries.

Reads only (a public page never writes); what a draft task holds is not public. Each published
notice carries the dates the outbox delivered it to the provincial platform or the credit system.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.agencies import authority_name
from hub.config import Settings
from hub.db import Database
from hub.draw.publication import public_summary
from hub.items.models import Item
from hub.items.services import FIELDS as ITEM_FIELDS
from hub.portal.result_queries import delivery_dates
from hub.results.models import Result
from hub.results.states import ResultState
from hub.tasks.models import JointTask
from hub.tasks.queries import PUBLIC_STATES

#: How the public knows each kind of sink (interfaces.md, "Sinks").
SINK_LABELS = {"provincial-rest": "省联合监管平台", "credit-xml": "国家企业信用信息公示系统"}
FEED_SIZE = 30


def public_sinks(settings: Settings) -> dict[str, str]:
    """Configured sink name -> the name the public knows it by."""
    return {name: SINK_LABELS.get(cfg.kind, cfg.kind) for name, cfg in settings.sinks.items()}


def item_agencies(db: Database) -> list[str]:
    """Agencies with a published item list, by code."""
    with db.unit_of_work() as s:
        return list(s.scalars(select(Item.agency).where(Item.published).group_by(Item.agency).order_by(Item.agency)))


def item_notice(db: Database, agency: str) -> tuple[list[dict[str, Any]], datetime | None]:
    """An agency's published item list (一单) with every published column, and when it last changed."""
    with db.unit_of_work() as s:
        items = list(s.scalars(select(Item).where(Item.published, Item.agency == agency).order_by(Item.code)))
    rows = [{f: getattr(i, f) for f in ITEM_FIELDS} | {"authority": authority_name(i.agency)} for i in items]
    return rows, max((i.updated_at for i in items), default=None)


def task_notices(
    db: Database, sinks: Mapping[str, str], *, after: str | None = None, limit: int = 50
) -> tuple[list[dict[str, Any]], str | None]:
    """Public tasks (抽查任务公告), by id descending, a page at a time; (rows, cursor of the next page)."""
    q = select(JointTask).where(JointTask.state.in_(PUBLIC_STATES)).order_by(JointTask.id.desc())
    if after:
        q = q.where(JointTask.id < after)
    with db.unit_of_work() as s:
        tasks = list(s.scalars(q.limit(limit + 1)))
        more = len(tasks) > limit
        tasks = tasks[:limit]
        rows = [_task_row(t) for t in tasks]
        _add_deliveries(s, rows, sinks)
    return rows, (tasks[-1].id if more and tasks else None)


def task_notice(db: Database, task_id: str, sinks: Mapping[str, str]) -> dict[str, Any]:
    """A task notice: agencies, items, population, strata and quotas, window, the draw's commitments
    and, once drawn, its record; NotFound for a task the public cannot see."""
    summary = public_summary(db, task_id)
    with db.unit_of_work() as s:
        task = s.get(JointTask, task_id)
        assert task is not None  # public_summary found it
        row = _task_row(task)
        codes = sorted({c for codes in row["items"].values() for c in codes})
        names = {c: n for c, n in s.execute(select(Item.code, Item.name).where(Item.code.in_(codes)))} if codes else {}
        row["item_names"] = names
        # whether any result is published (a count would read every result of a big task on each view)
        first = select(Result.id).where(Result.task_id == task_id, Result.state == ResultState.APPROVED).limit(1)
        row["has_results"] = s.scalar(first) is not None
        _add_deliveries(s, [row], sinks)
    return summary | row


def feed_entries(db: Database, agency: str, *, limit: int = FEED_SIZE) -> list[dict[str, Any]]:
    """An agency's newest notices, newest first: its item list, the tasks it takes part in, and its
    result notices (one entry per task and publication day)."""
    entries: list[dict[str, Any]] = []
    with db.unit_of_work() as s:
        changed = s.scalar(select(func.max(Item.updated_at)).where(Item.published, Item.agency == agency))
        if changed is not None:
            entries.append({"kind": "items", "id": f"items:{agency}", "updated": changed, "agency": agency})
        tasks = s.scalars(
            select(JointTask).where(JointTask.state.in_(PUBLIC_STATES)).order_by(JointTask.id.desc()).limit(200)
        )
        for t in tasks:
            if agency in (t.agencies or []):
                stamp = t.voided_at or t.drawn_at or t.frozen_at or t.updated_at
                entries.append(
                    {
                        "kind": "task",
                        "id": f"task:{t.id}",
                        "updated": stamp,
                        "task_id": t.id,
                        "title": t.title,
                        "state": t.state,
                    }
                )
        recent = s.execute(
            select(Result.task_id, Result.published_on, Result.approved_at, JointTask.title)
            .join(JointTask, JointTask.id == Result.task_id)
            .where(Result.agency == agency, Result.state == ResultState.APPROVED)
            .order_by(Result.agency, Result.approved_at.desc())
            .limit(limit * 20)
        )
        days: dict[tuple[str, Any], dict[str, Any]] = {}
        for task_id, published_on, approved_at, title in recent:
            entry = days.setdefault(
                (task_id, published_on),
                {
                    "kind": "results",
                    "id": f"results:{task_id}:{agency}:{published_on}",
                    "updated": approved_at,
                    "task_id": task_id,
                    "title": title,
                    "published_on": published_on,
                    "count": 0,
                },
            )
            entry["count"] += 1
        entries.extend(days.values())
    entries.sort(key=lambda e: e["updated"] or datetime.min, reverse=True)
    return entries[:limit]


def _task_row(t: JointTask) -> dict[str, Any]:
    spec = t.spec or {}
    plan = t.plan or {}
    items: dict[str, list[str]] = {a: [] for a in t.agencies}
    for entry in spec.get("team", []):
        for code in entry.get("items", []):
            if code not in items.setdefault(entry["agency"], []):
                items[entry["agency"]].append(code)
    return {
        "task_id": t.id,
        "title": t.title,
        "lead": t.lead,
        "agencies": list(t.agencies),
        "state": t.state,
        "window": [t.window_start, t.window_end],
        "items": items,
        "population": spec.get("population", {}),
        "strata_by": spec.get("strata", {}).get("by", []),
        "ratio": spec.get("strata", {}).get("ratio"),
        "quotas": plan.get("quotas", {}),
        "frozen_at": t.frozen_at,
        "drawn_at_time": t.drawn_at,
        "voided_at": t.voided_at,
    }


def _add_deliveries(s: Session, rows: list[dict[str, Any]], sinks: Mapping[str, str]) -> None:
    """Each row's task and draw messages as delivered: row["delivered"] = {"task": [...], "draw": [...]}."""
    ids = [r["task_id"] for r in rows]
    tasks = delivery_dates(s, "task", [f"task:{i}" for i in ids], sinks)
    draws = delivery_dates(s, "draw", [f"draw:{i}" for i in ids], sinks)
    for r in rows:
        r["delivered"] = {"task": tasks.get(f"task:{r['task_id']}", []), "draw": draws.get(f"draw:{r['task_id']}", [])}
