"""The dashboard's summaries (result_facts, follow_up_facts, delivery_facts, coverage_facts; migration
0016_stats_summary) stay equal to the figures counted afresh from the rows, through every write that changes
a counted figure: results entered, returned, approved and amended, follow-ups added and closed, messages
delivered or rejected, tasks voided, entities whose district or categories change, rows inserted and deleted.
On SQLite and PostgreSQL (HUB_TEST_DB=postgresql)."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy import inspect as sa_inspect

from connectors.sandboxes.sinks import start_sinks
from hub.auth.principal import Principal
from hub.db import Database
from hub.outbox.delivery import drain
from hub.outbox.models import OutboxMessage
from hub.results import stats as st
from hub.results.figures import StatsFilter
from hub.results.models import FollowUp, Result
from hub.results.services import add_follow_up, approve, enter_result, return_result
from hub.rosters.models import Entity
from hub.tasks.models import JointTask
from hub.tasks.services import void
from tests.integration.outbox_factory import SECRET, sink_settings
from tests.integration.stats_factory import CATEGORIES, CODE_SETS, DISTRICTS, generate, load
from tests.web import scenario as sc

TODAY = date(2026, 12, 3)


def cuts(extra_years: tuple[int, ...] = ()) -> list[StatsFilter]:
    out = [StatsFilter(), StatsFilter(year=2025), StatsFilter(year=2026, agency="SAMR")]
    out += [StatsFilter(year=y, agency="HEALTH") for y in extra_years]
    out += [StatsFilter(district=d) for d in DISTRICTS]
    out += [StatsFilter(category=c) for c in CATEGORIES]
    out += [StatsFilter(agency="HEALTH", category="hotel", district="370102")]
    return out


def assert_exact(db: Database, today: date = TODAY, extra_years: tuple[int, ...] = ()) -> None:
    """Every summary-read figure equals the same figure counted from the rows, for every cut."""
    with db.unit_of_work() as s:
        for f in cuts(extra_years):
            groups = Counter(
                {(g.categories, g.codes, g.superseded, g.first, g.on_time): g.n for g in st.result_groups(s, f)}
            )
            fresh = Counter()
            for g in st.result_groups_direct(s, f):
                fresh[(g.categories, g.codes, g.superseded, g.first, g.on_time)] += g.n
            assert +groups == +fresh, f
            rows, fresh_rows = Counter(), Counter()
            for *k, n in st._follow_up_rows(s, f, today):
                rows[tuple(k)] += n
            for *k, n in st.follow_up_rows_direct(s, f, today):
                fresh_rows[tuple(k)] += n
            assert +rows == +fresh_rows, f
            assert st.deliveries(s, f).rows == st.deliveries_direct(s, f).rows, f
            assert st.plan_coverage(s, f).rows == st.plan_coverage(s, f, direct=True).rows, f


# --- every write, as SQL (what a trigger sees whoever writes it), in a random order -----------------------


def _approve(s: Any, rng: random.Random) -> None:
    r = s.scalars(select(Result).where(Result.state == "entered").limit(20)).all()
    if r:
        pick = rng.choice(r)
        day = pick.inspected_on + timedelta(days=rng.randint(1, 40))
        s.execute(
            update(Result)
            .where(Result.id == pick.id)
            .values(
                state="approved",
                approved_at=datetime(day.year, day.month, day.day, 9),
                published_on=day,
                due_on=pick.inspected_on + timedelta(days=28),
            )
        )
        if pick.amends:
            s.execute(update(Result).where(Result.result_id == pick.amends).values(superseded=True))


def _return(s: Any, rng: random.Random) -> None:
    r = s.scalars(select(Result.id).where(Result.state == "entered").limit(20)).all()
    if r:
        s.execute(update(Result).where(Result.id == rng.choice(r)).values(state="returned", returned_reason="不全"))


def _amend(s: Any, rng: random.Random) -> None:
    amended = select(Result.amends).where(Result.amends.is_not(None))
    r = s.scalars(
        select(Result).where(Result.state == "approved", Result.superseded.is_(False), ~Result.result_id.in_(amended))
    ).all()
    r = [
        x
        for x in r
        if not s.scalar(
            select(Result.id).where(
                Result.task_id == x.task_id,
                Result.entity_id == x.entity_id,
                Result.agency == x.agency,
                Result.revision == x.revision + 1,
            )
        )
    ]
    if r:
        old = rng.choice(r[:30])
        row = {c: getattr(old, c) for c in ("task_id", "entity_id", "agency", "inspected_on", "inspectors", "items")}
        s.execute(
            insert(Result).values(
                **row,
                result_id=f"A{rng.getrandbits(64):x}",
                outcome_codes=list(rng.choice(CODE_SETS)),
                state="entered",
                entered_by="t",
                revision=old.revision + 1,
                amends=old.result_id,
                findings="",
            )
        )


def _follow_up(s: Any, rng: random.Random) -> None:
    r = s.scalars(select(Result.id).where(Result.state.in_(("approved", "entered"))).limit(40)).all()
    if r:
        kind = rng.choice(("correction", "case", "transfer"))
        s.execute(
            insert(FollowUp).values(
                result_id=rng.choice(r),
                kind=kind,
                content="",
                due_on=None if kind == "case" else TODAY + timedelta(days=rng.randint(-20, 20)),
                decided_on=TODAY - timedelta(days=5) if kind == "case" else None,
                penalty_due_on=TODAY + timedelta(days=rng.randint(-10, 10)) if kind == "case" else None,
            )
        )


def _close_follow_up(s: Any, rng: random.Random) -> None:
    ids = s.scalars(select(FollowUp.id).where(FollowUp.closed.is_(False)).limit(40)).all()
    if ids:
        s.execute(
            update(FollowUp)
            .where(FollowUp.id == rng.choice(ids))
            .values(closed=True, closed_on=TODAY - timedelta(days=rng.randint(0, 20)))
        )


def _deliver(s: Any, rng: random.Random) -> None:
    ids = s.scalars(select(OutboxMessage).where(OutboxMessage.state == "pending").limit(30)).all()
    if ids:
        m = rng.choice(ids)
        state = rng.choice(("delivered", "rejected"))
        at = m.created_at + timedelta(seconds=rng.randint(1, 5000)) if state == "delivered" else None
        s.execute(update(OutboxMessage).where(OutboxMessage.id == m.id).values(state=state, delivered_at=at))


def _message(s: Any, rng: random.Random) -> None:
    r = s.scalars(select(Result).where(Result.state == "approved").limit(50)).all()
    if r:
        pick = rng.choice(r)
        s.execute(
            insert(OutboxMessage).values(
                sink=f"sink-{rng.randint(1, 3)}",
                kind="result",
                key=pick.result_id,
                task_id=pick.task_id,
                payload={},
                state="delivered",
                created_at=datetime(2026, 1, 1, 9),
                delivered_at=datetime(2026, 1, 1, 9) + timedelta(seconds=rng.randint(1, 9000)),
            )
        )


def _void(s: Any, rng: random.Random) -> None:
    ids = s.scalars(select(JointTask.id).where(JointTask.state == "drawn").limit(30)).all()
    if ids:
        s.execute(update(JointTask).where(JointTask.id == rng.choice(ids)).values(state="void"))


def _move_entity(s: Any, rng: random.Random) -> None:
    ids = s.scalars(select(Result.entity_id).where(Result.state == "approved").limit(60)).all()
    if ids:
        values: dict[str, Any] = rng.choice(
            (
                {"district": rng.choice(DISTRICTS)},
                {"categories": rng.sample(CATEGORIES, rng.choice((1, 2)))},
                {"district": None, "categories": []},
            )
        )
        s.execute(update(Entity).where(Entity.entity_id == rng.choice(ids)).values(**values))


def _entity_out_and_back(s: Any, rng: random.Random) -> None:
    """An entity deleted (its results then count with no district or category), then inserted again."""
    ids = s.scalars(select(Result.entity_id).where(Result.state == "approved").limit(60)).all()
    if ids:
        e = s.scalars(select(Entity).where(Entity.entity_id == rng.choice(ids))).one()
        row = {
            c: getattr(e, c)
            for c in ("entity_id", "name", "entity_type", "district", "categories", "status", "active", "sources")
        }
        s.execute(delete(Entity).where(Entity.id == e.id))
        s.flush()
        assert_exact_in(s)
        s.execute(insert(Entity).values(**{**row, "district": rng.choice(DISTRICTS)}))


def _delete_result(s: Any, rng: random.Random) -> None:
    r = s.scalars(
        select(Result.id).where(~Result.id.in_(select(FollowUp.result_id))).where(Result.amends.is_(None)).limit(30)
    ).all()
    if r:
        s.execute(delete(Result).where(Result.id == rng.choice(r)))


def _delete_follow_up(s: Any, rng: random.Random) -> None:
    ids = s.scalars(select(FollowUp.id).limit(30)).all()
    if ids:
        s.execute(delete(FollowUp).where(FollowUp.id == rng.choice(ids)))


def assert_exact_in(s: Any) -> None:
    """Inside a transaction: the summaries already hold what the transaction wrote (the same transaction)."""
    f = StatsFilter()
    facts = Counter({(g.categories, g.codes, g.superseded, g.first, g.on_time): g.n for g in st.result_groups(s, f)})
    fresh = Counter(
        {(g.categories, g.codes, g.superseded, g.first, g.on_time): g.n for g in st.result_groups_direct(s, f)}
    )
    assert +facts == +fresh


def _load(db: Database, results: int, seed: int) -> None:
    """The generated rows (their ids given: on PostgreSQL the id sequences are moved past them)."""
    load(db, generate(results=results, seed=seed))
    with db.unit_of_work() as s:
        if s.get_bind().dialect.name == "postgresql":
            for table in ("results", "follow_ups"):
                s.execute(
                    text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
                )


WRITES = (
    _approve,
    _return,
    _amend,
    _follow_up,
    _close_follow_up,
    _deliver,
    _message,
    _void,
    _move_entity,
    _entity_out_and_back,
    _delete_result,
    _delete_follow_up,
)


def test_the_summaries_hold_the_fresh_counts_through_every_write_in_random_order(db):  # type: ignore[no-untyped-def]
    _load(db, 300, 5)
    assert_exact(db)
    rng = random.Random(16)
    for step in range(60):
        write = WRITES[step % len(WRITES)] if step < len(WRITES) else rng.choice(WRITES)
        with db.unit_of_work() as s:
            write(s, rng)
        assert_exact(db)


def test_a_rolled_back_write_leaves_the_summaries_as_they_were(db):  # type: ignore[no-untyped-def]
    _load(db, 120, 9)
    with db.unit_of_work() as s:
        before = s.execute(text("SELECT sum(n) FROM result_facts")).scalar_one()
    with pytest.raises(RuntimeError), db.unit_of_work() as s:
        s.execute(update(JointTask).where(JointTask.state == "drawn").values(state="void"))
        assert s.execute(text("SELECT sum(n) FROM result_facts")).scalar_one() == 0  # the same transaction
        raise RuntimeError("rolled back")
    with db.unit_of_work() as s:
        assert s.execute(text("SELECT sum(n) FROM result_facts")).scalar_one() == before
    assert_exact(db)


def test_a_roster_sync_moving_entities_moves_their_counts(db):  # type: ignore[no-untyped-def]
    """A sync merges in bulk SQL (hub.rosters.stage): an UPDATE ... FROM over many entities in one statement."""
    _load(db, 200, 3)
    with db.unit_of_work() as s:
        s.execute(
            text("UPDATE entities SET district = '370104', categories = '[\"school\"]' WHERE entity_id < 'E0000040'")
        )
    assert_exact(db)


# --- the same through the services, as the pages and the API write -------------------------------------


@pytest.fixture
def sandboxes() -> Iterator[dict[str, Any]]:
    servers = start_sinks("hub-370100", SECRET)
    yield servers
    for server in servers.values():
        server.stop()


def test_the_summaries_follow_entry_review_follow_ups_delivery_amendment_and_void(make_settings, db, sandboxes):  # type: ignore[no-untyped-def]
    settings = sink_settings(make_settings, sandboxes)
    drawn = sc.drawn_task(db, settings, "JT-2026-0160")
    today = date(2026, 12, 20)
    coordinator = Principal("coord", frozenset({"coordinator"}))
    reviewer = Principal("shenhe", frozenset({"reviewer"}))
    e1, e2, e3 = drawn.drawn_entities()[:3]

    def entry(e: str, codes: list[str], **extra: Any) -> dict[str, Any]:
        return {
            "entity_id": e,
            "agency": "HEALTH",
            "inspected_on": "2026-12-10",
            "outcome_codes": codes,
            "inspectors": drawn.team_of(e),
            "findings": "",
            **extra,
        }

    def check() -> None:
        assert_exact(db, today, extra_years=(2026,))

    r1 = enter_result(
        db,
        drawn.task_id,
        entry(e1, ["8"], follow_ups=[{"kind": "correction", "due_on": "2026-12-15"}]),
        coordinator,
        today,
    )
    r2 = enter_result(
        db,
        drawn.task_id,
        entry(e2, ["8"], follow_ups=[{"kind": "case", "penalty_no": "济卫立〔2026〕3号"}]),
        coordinator,
        today,
    )
    r3 = enter_result(db, drawn.task_id, entry(e3, ["1"]), coordinator, today)
    check()
    return_result(db, r3.result_id, "检查日期有误", reviewer)
    check()
    approve(db, settings, None, reviewer, [r1.result_id, r2.result_id], today)
    with db.unit_of_work() as s:
        assert s.execute(text("SELECT sum(n) FROM result_facts")).scalar_one() == 2
        assert s.execute(text("SELECT sum(n) FROM follow_up_facts")).scalar_one() == 2
    check()
    add_follow_up(
        db, r2.result_id, {"kind": "decision", "decided_on": "2026-12-18", "decision": "警告"}, coordinator, today
    )
    add_follow_up(
        db, r1.result_id, {"kind": "reinspection", "reinspected_on": "2026-12-18", "outcome": "5"}, coordinator, today
    )
    add_follow_up(db, r1.result_id, {"kind": "transfer", "to_agency": "SAMR"}, coordinator, today)
    check()
    drain(db, settings, respect_backoff=False)
    with db.unit_of_work() as s:
        assert s.execute(text("SELECT sum(n) FROM delivery_facts WHERE timed")).scalar_one() >= 2
    check()
    amendment = enter_result(db, drawn.task_id, entry(e1, ["5"], amends=r1.result_id), coordinator, today)
    approve(db, settings, drawn.task_id, reviewer, [amendment.result_id], today)
    check()
    drain(db, settings, respect_backoff=False)
    check()
    void(db, drawn.task_id, "抽查任务重复，经协调会议决定作废", "coord")
    with db.unit_of_work() as s:
        assert s.execute(text("SELECT coalesce(sum(n), 0) FROM result_facts")).scalar_one() == 0
    check()


def test_the_migration_back_fills_and_downgrades(db):  # type: ignore[no-untyped-def]
    """Down to 0015_public_names (no summaries, no triggers: writes go on), a write, and up again: the back-fill
    counts what is there, equal to the fresh counts."""
    from pathlib import Path

    from alembic import command
    from alembic.config import Config

    import hub.db

    _load(db, 150, 21)
    here = Path(hub.db.__file__).parent / "migrations"
    cfg = Config(str(here / "alembic.ini"))
    cfg.set_main_option("script_location", str(here))
    cfg.set_main_option("sqlalchemy.url", db.url.replace("%", "%%"))
    cfg.attributes["configure_logger"] = False
    db.engine.dispose()
    command.downgrade(cfg, "0015_public_names")
    with db.unit_of_work() as s:
        tables = set(sa_inspect(s.get_bind()).get_table_names())
        assert not tables & {"result_facts", "follow_up_facts", "delivery_facts", "coverage_facts"}
        _void(s, random.Random(1))  # no trigger left to fire
        _move_entity(s, random.Random(2))
    db.engine.dispose()
    command.upgrade(cfg, "head")
    assert_exact(db)
