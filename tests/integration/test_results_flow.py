"""Results: CSV import keeps good rows and names bad ones, approval queues outbox messages in the
same transaction, follow-ups and working-day deadlines."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from hub.cli import main
from hub.errors import InvalidInput
from hub.outbox.models import OutboxMessage
from hub.results.deadlines import open_deadlines, set_override
from hub.results.models import FollowUp, Result
from hub.results.services import add_follow_up, approve, enter_result, import_csv
from tests.web import scenario as sc

SINKS = {
    "sinks": {
        "provincial": {"kind": "provincial-rest", "url": "http://127.0.0.1:9", "app_id": "a", "app_secret_env": "S"},
        "credit": {
            "kind": "credit-xml",
            "url": "http://127.0.0.1:9",
            "app_id": "a",
            "app_secret_env": "S",
            "sender": "370100-HEALTH",
        },
    }
}


@pytest.fixture
def drawn(make_settings, db):  # type: ignore[no-untyped-def]
    settings = make_settings(SINKS, env={"S": "secret"})
    return sc.drawn_task(db, settings, "JT-2026-0900")


def _csv(tmp_path, rows: list[str], encoding: str = "utf-8"):  # type: ignore[no-untyped-def]
    path = tmp_path / "results.csv"
    path.write_bytes(
        ("entity_id,agency,inspected_on,outcome_codes,inspectors,findings\n" + "\n".join(rows) + "\n").encode(encoding)
    )
    return path


def test_csv_import_keeps_good_rows_and_names_bad_ones(drawn, tmp_path):
    e1, e2, e3 = drawn.drawn_entities()[:3]
    t1, t2 = drawn.team_of(e1), drawn.team_of(e2)
    rows = [
        f"{e1},HEALTH,2026-12-10,1,{';'.join(t1)},未发现问题",
        f"{e2},SAMR,2026-12-11,5;2,{';'.join(t2)},责令整改后已改正",
        f"{e3},HEALTH,2026-11-01,1,{';'.join(drawn.team_of(e3))},",  # outside the window
        f"{e1},SAMR,2026-12-10,1;5,{';'.join(t1)},",  # 1 must stand alone
        f"EDU:9999999999,HEALTH,2026-12-10,1,{';'.join(t1)},",  # not drawn
        f"{e2},HEALTH,2026-12-10,1,{next(i for i in ('SAMR-001', 'SAMR-002') if i not in t2)},",  # not on team
    ]
    report = import_csv(drawn.db, drawn.task_id, _csv(tmp_path, rows, "gb18030"), "t", today=date(2026, 12, 20))
    assert report.saved == 2
    assert [(e.line, e.field) for e in report.errors] == [
        (4, "inspected_on"),
        (5, "outcome_codes"),
        (6, "entity_id"),
        (7, "inspectors"),
    ]
    with drawn.db.unit_of_work() as s:
        saved = {(r.entity_id, r.agency, tuple(r.outcome_codes)) for r in s.scalars(select(Result))}
    assert saved == {(e1, "HEALTH", ("1",)), (e2, "SAMR", ("5", "2"))}


def test_results_import_command_exits_non_zero_naming_the_line(drawn, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUB_DATABASE_URL", drawn.settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(drawn.settings.data_dir))
    e1 = drawn.drawn_entities()[0]
    path = _csv(tmp_path, [f"{e1},HEALTH,2026-12-10,99,{';'.join(drawn.team_of(e1))},"])
    assert main(["results", "import", drawn.task_id, str(path)]) != 0
    err = capsys.readouterr().err
    assert "line 2" in err and "99" in err


def test_approval_queues_messages_for_each_sink_in_the_same_transaction(drawn):
    ids = [sc.enter(drawn, e, "HEALTH", "未发现问题") for e in drawn.drawn_entities()]
    with drawn.db.unit_of_work() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.kind == "result")) == 0
    approved = approve(drawn.db, drawn.settings, drawn.task_id, "reviewer", today=date(2026, 12, 21))
    assert sorted(approved) == sorted(ids)
    with drawn.db.unit_of_work() as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "result")))
        results = {r.result_id: r for r in s.scalars(select(Result))}
    # every entity of the scenario is an EDU:... id without a credit code: provincial only
    assert sorted(r.key for r in rows) == sorted(ids) and {r.sink for r in rows} == {"provincial"}
    assert all(r.state == "approved" and r.due_on for r in results.values())
    payload = rows[0].payload
    assert payload["outcomes"] == [{"code": "1", "text": "未发现问题"}]
    assert payload["authority"] == "济南市卫生健康委员会"


def test_code_8_needs_a_follow_up_before_approval(drawn):
    e1 = drawn.drawn_entities()[0]
    with pytest.raises(InvalidInput, match="follow-up"):
        enter_result(
            drawn.db,
            drawn.task_id,
            {
                "entity_id": e1,
                "agency": "HEALTH",
                "inspected_on": "2026-12-10",
                "outcome_codes": ["8"],
                "inspectors": drawn.team_of(e1),
            },
            "t",
            today=date(2026, 12, 20),
        )
    r = enter_result(
        drawn.db,
        drawn.task_id,
        {
            "entity_id": e1,
            "agency": "HEALTH",
            "inspected_on": "2026-12-10",
            "outcome_codes": ["8"],
            "inspectors": drawn.team_of(e1),
            "findings": "消毒记录缺失",
            "follow_ups": [{"kind": "case", "penalty_no": "济卫罚〔2026〕12号", "decided_on": "2026-12-30"}],
        },
        "t",
        today=date(2026, 12, 31),
    )  # a penalty decision is not dated after today
    with drawn.db.unit_of_work() as s:
        fu = s.scalar(select(FollowUp).where(FollowUp.result_id == r.id))
    # 7 working days after Wed 2026-12-30: New Year's Day 2027-01-01 is beyond the library's calendar
    # in 2026 data, so count weekends only: Dec 31, Jan 1, 4, 5, 6, 7, 8
    assert fu.penalty_due_on == date(2027, 1, 8)


def test_a_substitute_inspector_needs_a_reason(drawn):
    e1 = drawn.drawn_entities()[0]
    team = drawn.team_of(e1)
    # an officer of the result's own agency whom the draw left off every team (a substitute must be one)
    used = {i for e in drawn.drawn_entities() for i in drawn.team_of(e)}
    stranger = next(f"HEALTH-{n:03d}" for n in range(1, 6) if f"HEALTH-{n:03d}" not in used)
    body = {
        "entity_id": e1,
        "agency": "HEALTH",
        "inspected_on": "2026-12-10",
        "outcome_codes": ["1"],
        "inspectors": [*team[:1], stranger],
    }
    with pytest.raises(InvalidInput, match="not on the team"):
        enter_result(drawn.db, drawn.task_id, body, "t", today=date(2026, 12, 20))
    r = enter_result(
        drawn.db,
        drawn.task_id,
        {**body, "substitution_reason": "原检查人员回避，经批准替换"},
        "t",
        today=date(2026, 12, 20),
    )
    assert r.substitution_reason


def test_a_correction_is_closed_by_its_reinspection(drawn):
    e1 = drawn.drawn_entities()[0]
    r = enter_result(
        drawn.db,
        drawn.task_id,
        {
            "entity_id": e1,
            "agency": "SAMR",
            "inspected_on": "2026-12-10",
            "outcome_codes": ["8"],
            "inspectors": drawn.team_of(e1),
            "follow_ups": [{"kind": "correction", "due_on": "2026-12-24", "content": "限期整改"}],
        },
        "t",
        today=date(2026, 12, 20),
    )
    add_follow_up(
        drawn.db,
        r.result_id,
        {"kind": "reinspection", "reinspected_on": "2026-12-24", "outcome": "5"},
        "t",
        today=date(2026, 12, 28),
    )
    with drawn.db.unit_of_work() as s:
        fu = s.scalar(select(FollowUp).where(FollowUp.result_id == r.id))
    assert fu.closed and fu.reinspected_on == date(2026, 12, 24)


def test_deadlines_count_working_days_and_flag_overdue(drawn):
    e1, _e2 = drawn.drawn_entities()[:2]
    sc.enter(drawn, e1, "HEALTH", "")
    items = open_deadlines(drawn.db, date(2027, 3, 1))
    assert items[0]["status"] == "overdue" and e1 in items[0]["subject"]
    # inspected Thu 2026-12-10: the 20th working day after is 2027-01-07 counting weekends only,
    # with a warning, since the library does not know 2027's holidays yet
    assert items[0]["due_on"] == "2027-01-07" and "2027" in (items[0]["warning"] or "")
    set_override(drawn.db, date(2027, 1, 1), False, "元旦", "t")  # an override moves it a day
    items = open_deadlines(drawn.db, date(2026, 12, 20))
    assert items[0]["due_on"] == "2027-01-08" and items[0]["status"] == "ok"
