"""The audit log: append-only, hash-chained; `verify` finds edited, removed and reordered entries, and
results and tasks whose stored state no longer matches what the chain vouches for (issue 13, finding 11)."""

from __future__ import annotations

import pytest
from sqlalchemy import delete, select, text, update

from hub.audit.log import record, verify
from hub.audit.models import AuditEntry


def _three(db):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for i in range(3):
            record(s, "alice", "task.commit", f"task:T-{i}", details={"party": "HEALTH", "n": i})


def test_an_intact_chain_verifies(db):
    _three(db)
    with db.unit_of_work() as s:
        assert verify(s) == (3, [])


def test_an_edited_entry_is_found(db):
    _three(db)
    with db.unit_of_work() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="mallory"))
    with db.unit_of_work() as s:
        _n, problems = verify(s)
    assert any("entry 2" in p and "edited" in p for p in problems)


def test_a_removed_entry_is_found(db):
    _three(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    with db.unit_of_work() as s:
        n, problems = verify(s)
    assert n == 2 and any("entry 3" in p for p in problems)


def test_reordered_entries_are_found(db):
    _three(db)
    with db.unit_of_work() as s:
        # swap the content of entries 1 and 2, keeping each row's own hash
        rows = {e.id: (e.subject, e.details) for e in s.query(AuditEntry)}
        s.execute(update(AuditEntry).where(AuditEntry.id == 1).values(subject=rows[2][0], details=rows[2][1]))
        s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(subject=rows[1][0], details=rows[1][1]))
    with db.unit_of_work() as s:
        _, problems = verify(s)
    assert len(problems) >= 2


def test_audit_verify_command_exits_non_zero_on_a_broken_chain(db, settings, monkeypatch, capsys):
    from hub.cli import main

    _three(db)
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    assert main(["audit", "verify"]) == 0
    with db.unit_of_work() as s:
        s.execute(text("UPDATE audit_log SET action = 'task.nothing' WHERE id = 3"))
    assert main(["audit", "verify"]) != 0
    err = capsys.readouterr().err
    assert "entry 3" in err


# ------------------------------------------------------------------ the chain against the stored state

SINKS = {
    "sinks": {
        "provincial": {"kind": "provincial-rest", "url": "http://127.0.0.1:9", "app_id": "a", "app_secret_env": "S"}
    }
}


@pytest.fixture
def cycle(make_settings, db):  # type: ignore[no-untyped-def]
    """A drawn task with results entered, overwritten, substituted, followed up and approved."""
    from datetime import date

    from hub.results.services import add_follow_up, enter_result
    from tests.web import scenario as sc

    scenario = sc.drawn_task(db, make_settings(SINKS, env={"S": "secret"}), "JT-2026-0990")
    e1, e2, e3 = scenario.drawn_entities()[:3]
    sc.enter(scenario, e1, "HEALTH", "初次录入")
    sc.enter(scenario, e1, "HEALTH", "改为：未发现问题")
    sc.enter(scenario, e2, "SAMR", "")
    used = {i for e in scenario.drawn_entities() for i in scenario.team_of(e)}
    spare = next(f"HEALTH-{n:03d}" for n in range(1, 6) if f"HEALTH-{n:03d}" not in used)
    enter_result(
        db,
        scenario.task_id,
        {
            "entity_id": e3,
            "agency": "HEALTH",
            "inspected_on": "2026-12-10",
            "outcome_codes": ["8"],
            "inspectors": [spare],
            "substitution_reason": "原检查人员回避，经批准替换",
            "follow_ups": [{"kind": "correction", "due_on": "2026-12-24"}],
        },
        "liaison",
        today=date(2026, 12, 20),
    )
    sc.approve_all(scenario)
    rid = _result_id(db, e3, "HEALTH")
    add_follow_up(
        db,
        rid,
        {"kind": "reinspection", "reinspected_on": "2026-12-24", "outcome": "5"},
        "liaison",
        today=date(2026, 12, 28),
    )
    return scenario


def _result_id(db, entity_id: str, agency: str) -> str:  # type: ignore[no-untyped-def]
    from hub.results.models import Result

    with db.unit_of_work() as s:
        return s.scalar(select(Result.result_id).where(Result.entity_id == entity_id, Result.agency == agency))


def _problems(db) -> list[str]:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return verify(s)[1]


def test_a_whole_cycle_verifies_intact(cycle):
    assert _problems(cycle.db) == []


def test_a_drawn_tasks_digests_are_streamed_to_the_same_hex(cycle, monkeypatch):
    """The task snapshot hashes the draw record and the assignments a few items at a time (a 10,000,000-entity
    draw is never laid out whole); the digests are those of the whole canonical text, to the byte."""
    from hub.audit import state
    from hub.draw.models import Assignment
    from hub.tasks.models import JointTask

    with cycle.db.unit_of_work() as s:
        record = s.scalar(select(JointTask.record).where(JointTask.id == cycle.task_id))
        rows = s.execute(
            select(Assignment.position, Assignment.entity_id, Assignment.team)
            .where(Assignment.task_id == cycle.task_id)
            .order_by(Assignment.position)
        ).all()
        assert len(rows) > 3 and len(record["selections"]) > 3
        whole_record, whole_teams = state.digest(record), state.digest([[p, e, list(t or [])] for p, e, t in rows])
        for batch in (1, 2, 3, len(rows) - 1, len(rows)):
            monkeypatch.setattr(state, "_BATCH", batch)
            assert state.streamed_digest(record) == whole_record
            assert state._teams_digest(s, state._table(s, "assignments"), cycle.task_id) == whole_teams
        monkeypatch.setattr(state, "_BATCH", 2)
        ((_, snap),) = state.task_snapshots(s, [cycle.task_id])
    assert snap["record"] == whole_record and snap["assignments"] == whole_teams


def test_an_entry_carries_the_digest_of_the_row_it_left(cycle):
    from hub.audit.state import digest, result_snapshots

    rid = _result_id(cycle.db, cycle.drawn_entities()[0], "HEALTH")
    with cycle.db.unit_of_work() as s:
        last = s.scalar(
            select(AuditEntry).where(AuditEntry.subject == f"result:{rid}").order_by(AuditEntry.id.desc()).limit(1)
        )
        [(_, snap)] = list(result_snapshots(s, [rid]))
    assert last.action == "result.approve" and last.state_digest == digest(snap)
    assert snap["state"] == "approved" and snap["findings"] == "改为：未发现问题"


def test_a_directly_edited_outcome_code_is_reported(cycle):
    rid = _result_id(cycle.db, cycle.drawn_entities()[0], "HEALTH")
    with cycle.db.unit_of_work() as s:
        s.execute(text("UPDATE results SET outcome_codes = '[\"2\"]' WHERE result_id = :r"), {"r": rid})
    problems = _problems(cycle.db)
    assert len(problems) == 1 and rid in problems[0] and "differs" in problems[0]


def test_a_changed_seed_is_reported(cycle):
    with cycle.db.unit_of_work() as s:
        s.execute(text("UPDATE joint_tasks SET seed = :seed WHERE id = :t"), {"seed": "0" * 64, "t": cycle.task_id})
    problems = _problems(cycle.db)
    assert len(problems) == 1 and f"task {cycle.task_id}" in problems[0]


def test_a_changed_team_is_reported(cycle):
    e4 = cycle.drawn_entities()[3]
    with cycle.db.unit_of_work() as s:
        s.execute(text("UPDATE assignments SET team = '[\"HEALTH-005\"]' WHERE entity_id = :e"), {"e": e4})
    assert any(cycle.task_id in p for p in _problems(cycle.db))


def test_deleting_the_newest_entries_is_reported(cycle):
    with cycle.db.unit_of_work() as s:
        newest = s.scalar(select(AuditEntry.id).order_by(AuditEntry.id.desc()).limit(1))
        s.execute(delete(AuditEntry).where(AuditEntry.id > newest - 4))  # the re-inspection and 3 approvals
    problems = _problems(cycle.db)
    assert len(problems) == 3 and all("differs" in p for p in problems)


def test_results_added_or_removed_behind_the_hubs_back_are_reported(cycle):
    e4 = cycle.drawn_entities()[3]
    gone = _result_id(cycle.db, cycle.drawn_entities()[1], "SAMR")
    with cycle.db.unit_of_work() as s:
        s.execute(
            text(
                "INSERT INTO results (result_id, task_id, entity_id, agency, inspected_on, outcome_codes, "
                "inspectors, items, findings, state, entered_by, entered_at, version) VALUES "
                "('forged', :t, :e, 'SAMR', '2026-12-10', '[\"1\"]', '[]', '[]', '', 'approved', 'x', "
                "'2026-12-20 00:00:00', 1)"
            ),
            {"t": cycle.task_id, "e": e4},
        )
        s.execute(text("DELETE FROM results WHERE result_id = :r"), {"r": gone})
    problems = _problems(cycle.db)
    assert any("forged" in p and "no audit entry" in p for p in problems)
    assert any(gone in p and "gone" in p for p in problems)


def test_audit_verify_command_prints_one_line_per_problem(cycle, monkeypatch, capsys):
    from hub.cli import main

    monkeypatch.setenv("HUB_DATABASE_URL", cycle.settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(cycle.settings.data_dir))
    with cycle.db.unit_of_work() as s:
        s.execute(text("UPDATE results SET findings = 'x'"))
        s.execute(text("UPDATE joint_tasks SET seed = :seed"), {"seed": "1" * 64})
    assert main(["audit", "verify"]) != 0
    lines = capsys.readouterr().err.strip().splitlines()
    assert len([ln for ln in lines if "differs" in ln]) == 4  # three results and the task
    assert "4 problem(s)" in lines[-1]


def test_the_public_page_publishes_the_chain_head(cycle, make_settings):
    from hub import create_app
    from hub.audit.log import head

    with cycle.db.unit_of_work() as s:
        top = head(s)
    assert top is not None
    html = create_app(cycle.settings).test_client().get("/public/").get_data(as_text=True)
    assert top["hash"] in html and str(top["entries"]) in html


def test_the_api_reports_state_problems_and_the_head(cycle):
    from hub import create_app
    from hub.auth.services import add_user, create_token

    with cycle.db.unit_of_work() as s:
        add_user(s, "aud", ["auditor"])
    with cycle.db.unit_of_work() as s:
        token = create_token(s, "aud")
    with cycle.db.unit_of_work() as s:
        s.execute(text("UPDATE joint_tasks SET seed = :seed"), {"seed": "2" * 64})
    body = (
        create_app(cycle.settings)
        .test_client()
        .get("/api/v1/audit/verify", headers={"Authorization": f"Bearer {token}"})
        .json
    )
    assert body["intact"] is False and any(cycle.task_id in p for p in body["problems"])
    assert body["head"]["entries"] == body["entries"]


def test_tasks_at_every_step_verify_intact(make_settings, db):
    """No false alarm: a frozen and revealed task, then voided by its failed draw."""
    from hub.tasks import services as lifecycle
    from hub.tasks.queries import require_task
    from tests.web import scenario as sc

    sc.frozen_task(db, make_settings(), "JT-2026-0991")
    with db.unit_of_work() as s:
        assert verify(s)[1] == []
    lifecycle.mark_draw_failed(db, "JT-2026-0991", "a test failure", sc.ACTOR)
    with db.unit_of_work() as s:
        assert require_task(s, "JT-2026-0991").state == "void"  # a failed draw voids the task (issue 13)
        assert verify(s)[1] == []


def test_the_check_reads_the_same_state_when_the_models_are_not_loaded(cycle, monkeypatch):
    """hub.audit reads the domains' tables by name; reflected from the database they give the same digests."""
    from sqlalchemy import MetaData, Table

    from hub.audit import state

    def reflected(s, name):  # type: ignore[no-untyped-def]
        return Table(name, MetaData(), autoload_with=s.connection())

    monkeypatch.setattr(state, "_table", reflected)
    assert _problems(cycle.db) == []
    with cycle.db.unit_of_work() as s:
        s.execute(text("UPDATE joint_tasks SET seed = :seed"), {"seed": "3" * 64})
    assert len(_problems(cycle.db)) == 1
