"""Who may enter results and follow-ups, and who sees them: the same rule through the JSON API, the CSV
API, the command line and the web (issue 13, findings 2, 3 and 5, and the liaison's view)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, update

from hub.audit.models import AuditEntry
from hub.auth.services import add_user, create_token
from hub.cli import main
from hub.errors import Forbidden, InvalidInput
from hub.results.models import FollowUp, Result
from hub.results.services import add_follow_up, enter_result, import_csv
from hub.rosters.models import Inspector
from tests.web import scenario as sc

SINKS = {
    "sinks": {
        "provincial": {"kind": "provincial-rest", "url": "http://127.0.0.1:9", "app_id": "a", "app_secret_env": "S"}
    }
}
HEADER = "entity_id,agency,inspected_on,outcome_codes,inspectors,findings\n"
# The API checks dates against the real today; the scenario's window is December 2026.
TODAY = min(date.today(), date(2026, 12, 31))
DAY = TODAY.isoformat()


@pytest.fixture
def drawn(make_settings, db):  # type: ignore[no-untyped-def]
    return sc.drawn_task(db, make_settings(SINKS, env={"S": "secret"}), "JT-2026-0950")


@pytest.fixture
def api(app, drawn):  # type: ignore[no-untyped-def]
    """A test client and a way to call the API as a new user with given roles."""
    client = app.test_client()

    def call(
        method: str,
        url: str,
        user: str,
        roles: list[str],
        agency: str | None = None,
        inspector_id: str | None = None,
        **kw,
    ):  # type: ignore[no-untyped-def]
        with drawn.db.unit_of_work() as s:
            from hub.auth.models import User

            if s.scalar(select(User).where(User.name == user)) is None:
                add_user(s, user, roles, agency, None, inspector_id)
        with drawn.db.unit_of_work() as s:
            token = create_token(s, user)
        return client.open(f"/api/v1{url}", method=method, headers={"Authorization": f"Bearer {token}"}, **kw)

    return call


def _team(drawn, entity_id: str, agency: str) -> str:  # type: ignore[no-untyped-def]
    return next(i for i in drawn.team_of(entity_id) if i.startswith(agency))


def _spare(drawn, agency: str) -> str:  # type: ignore[no-untyped-def]
    """The one officer of ``agency`` the draw left off every team."""
    used = {i for e in drawn.drawn_entities() for i in drawn.team_of(e)}
    return next(f"{agency}-{n:03d}" for n in range(1, 6) if f"{agency}-{n:03d}" not in used)


def _body(drawn, entity_id: str, agency: str, **extra):  # type: ignore[no-untyped-def]
    return {
        "entity_id": entity_id,
        "agency": agency,
        "inspected_on": DAY,
        "outcome_codes": ["1"],
        "inspectors": drawn.team_of(entity_id),
        "findings": "未发现问题",
        **extra,
    }


def _results(drawn) -> list[Result]:  # type: ignore[no-untyped-def]
    with drawn.db.unit_of_work() as s:
        return list(s.scalars(select(Result)))


# ------------------------------------------------------------------ finding 2: the CSV import


def test_a_liaison_cannot_import_another_agencys_result_through_the_csv_api(drawn, api):
    e1 = drawn.drawn_entities()[0]
    csv = HEADER + f"{e1},SAMR,{DAY},1,{';'.join(drawn.team_of(e1))},\n"
    resp = api(
        "POST", f"/tasks/{drawn.task_id}/results:import", "health-liaison", ["liaison"], "HEALTH", data=csv.encode()
    )
    assert resp.status_code == 403, resp.get_data(as_text=True)
    assert "SAMR" in resp.json["detail"] and "line 2" in resp.json["detail"]
    assert _results(drawn) == []


def test_a_liaison_imports_their_own_agencys_rows(drawn, api):
    e1 = drawn.drawn_entities()[0]
    csv = HEADER + f"{e1},HEALTH,{DAY},1,{';'.join(drawn.team_of(e1))},\n"
    resp = api(
        "POST", f"/tasks/{drawn.task_id}/results:import", "health-liaison", ["liaison"], "HEALTH", data=csv.encode()
    )
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert [(r.agency, r.entered_by) for r in _results(drawn)] == [("HEALTH", "health-liaison")]


def test_the_import_command_run_as_a_liaison_refuses_another_agency(drawn, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("HUB_DATABASE_URL", drawn.settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(drawn.settings.data_dir))
    sc.add_person(drawn.db, "health-liaison", ["liaison"], agency="HEALTH")
    e1 = drawn.drawn_entities()[0]
    path = tmp_path / "r.csv"
    path.write_text(HEADER + f"{e1},SAMR,2026-12-10,1,{';'.join(drawn.team_of(e1))},\n", encoding="utf-8")
    assert main(["results", "import", "--as", "health-liaison", drawn.task_id, str(path)]) == 77
    assert "SAMR" in capsys.readouterr().err
    assert _results(drawn) == []


def test_the_service_applies_the_rule_whatever_calls_it(drawn, tmp_path):
    from hub.auth.principal import Principal

    e1 = drawn.drawn_entities()[0]
    path = tmp_path / "r.csv"
    path.write_text(HEADER + f"{e1},SAMR,2026-12-10,1,{';'.join(drawn.team_of(e1))},\n", encoding="utf-8")
    liaison = Principal("hl", frozenset({"liaison"}), "HEALTH")
    with pytest.raises(Forbidden, match="SAMR"):
        import_csv(drawn.db, drawn.task_id, path, liaison, today=date(2026, 12, 20))
    with pytest.raises(Forbidden, match="SAMR"):
        enter_result(
            drawn.db,
            drawn.task_id,
            {**_body(drawn, e1, "SAMR"), "inspected_on": "2026-12-10"},
            liaison,
            today=date(2026, 12, 20),
        )


# ------------------------------------------------------------------ finding 3: inspectors and substitutes


def test_an_inspector_enters_only_their_own_assignments(drawn, api):
    e1, e2 = drawn.drawn_entities()[:2]
    me = _team(drawn, e1, "HEALTH")
    enter = f"/tasks/{drawn.task_id}/results"
    assert api("POST", enter, "insp", ["inspector"], "HEALTH", me, json=_body(drawn, e2, "HEALTH")).status_code == 403
    assert api("POST", enter, "insp", ["inspector"], "HEALTH", me, json=_body(drawn, e1, "SAMR")).status_code == 403
    ok = api("POST", enter, "insp", ["inspector"], "HEALTH", me, json=_body(drawn, e1, "HEALTH"))
    assert ok.status_code == 201, ok.get_data(as_text=True)
    assert [(r.entity_id, r.agency, r.entered_by) for r in _results(drawn)] == [(e1, "HEALTH", "insp")]


def test_an_inspector_imports_only_their_own_assignments(drawn, api):
    e1, e2 = drawn.drawn_entities()[:2]
    me = _team(drawn, e1, "HEALTH")
    csv = (
        HEADER
        + f"{e1},HEALTH,{DAY},1,{';'.join(drawn.team_of(e1))},\n"
        + f"{e2},HEALTH,{DAY},1,{';'.join(drawn.team_of(e2))},\n"
    )
    resp = api("POST", f"/tasks/{drawn.task_id}/results:import", "insp", ["inspector"], "HEALTH", me, data=csv.encode())
    assert resp.status_code == 403 and "line 3" in resp.json["detail"]
    assert _results(drawn) == []


def test_an_overwrite_names_who_entered_it_last_and_is_audited(drawn, api):
    e1 = drawn.drawn_entities()[0]
    enter = f"/tasks/{drawn.task_id}/results"
    assert api("POST", enter, "hl", ["liaison"], "HEALTH", json=_body(drawn, e1, "HEALTH")).status_code == 201
    me = _team(drawn, e1, "HEALTH")
    resp = api(
        "POST",
        enter,
        "insp",
        ["inspector"],
        "HEALTH",
        me,
        json=_body(drawn, e1, "HEALTH", findings="消毒记录缺失", outcome_codes=["5"]),
    )
    assert resp.status_code == 201, resp.get_data(as_text=True)
    [r] = _results(drawn)
    assert r.entered_by == "insp" and r.findings == "消毒记录缺失"
    with drawn.db.unit_of_work() as s:
        last = s.scalar(
            select(AuditEntry)
            .where(AuditEntry.subject == f"result:{r.result_id}")
            .order_by(AuditEntry.id.desc())
            .limit(1)
        )
    assert last.actor == "insp" and last.details["overwrote"] == "hl"


def test_a_made_up_substitute_is_refused(drawn, api):
    e1 = drawn.drawn_entities()[0]
    body = _body(
        drawn,
        e1,
        "HEALTH",
        inspectors=[_team(drawn, e1, "HEALTH"), "NOBODY-1"],
        substitution_reason="原检查人员回避，经批准替换",
    )
    resp = api("POST", f"/tasks/{drawn.task_id}/results", "hl", ["liaison"], "HEALTH", json=body)
    assert resp.status_code == 400 and "NOBODY-1" in resp.json["detail"]
    assert "roster" in resp.json["detail"]


@pytest.mark.parametrize(
    "change, message",
    [
        ({"active": False}, "not active"),
        ({"cert_valid_until": date(2026, 12, 1)}, "certificate"),
        ({"agency": "SAMR"}, "SAMR"),
        ({"conflicts": "ENTITY"}, "recusal"),
        ({"home_districts": "DISTRICT"}, "home district"),
    ],
)
def test_a_substitute_must_be_an_eligible_officer_of_the_agency(drawn, change, message):
    e1 = drawn.drawn_entities()[0]
    spare = _spare(drawn, "HEALTH")
    district = next(d for eid, _n, _t, d, _r, _p in sc.ENTITIES if eid == e1)
    values = {k: ([e1] if v == "ENTITY" else [district] if v == "DISTRICT" else v) for k, v in change.items()}
    with drawn.db.unit_of_work() as s:
        s.execute(update(Inspector).where(Inspector.inspector_id == spare).values(**values))
    body = {
        **_body(drawn, e1, "HEALTH"),
        "inspected_on": "2026-12-10",
        "inspectors": [spare],
        "substitution_reason": "原检查人员回避，经批准替换",
    }
    with pytest.raises(InvalidInput, match=message):
        enter_result(drawn.db, drawn.task_id, body, "coordinator", today=date(2026, 12, 20))
    assert _results(drawn) == []


def test_a_valid_substitute_is_accepted_and_the_substitution_audited(drawn, api):
    e1 = drawn.drawn_entities()[0]
    spare, replaced = _spare(drawn, "HEALTH"), _team(drawn, e1, "HEALTH")
    body = _body(
        drawn,
        e1,
        "HEALTH",
        inspectors=[spare, _team(drawn, e1, "SAMR")],
        substitution_reason="原检查人员回避，经批准替换",
    )
    resp = api("POST", f"/tasks/{drawn.task_id}/results", "hl", ["liaison"], "HEALTH", json=body)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    with drawn.db.unit_of_work() as s:
        entry = s.scalar(select(AuditEntry).where(AuditEntry.action == "result.substitution"))
    assert entry.actor == "hl"
    assert entry.details["substitutes"] == [spare] and entry.details["replaced"] == [replaced]
    assert entry.details["reason"] == "原检查人员回避，经批准替换"


# ------------------------------------------------------------------ finding 5: follow-ups


def test_follow_ups_are_refused_on_another_agencys_or_assignments_result(drawn, api):
    e1, e2 = drawn.drawn_entities()[:2]
    rid = sc.enter(drawn, e1, "SAMR", "")
    url = f"/results/{rid}/follow-ups"
    fu = {"kind": "transfer", "to_agency": "HEALTH", "content": "线索移送"}
    assert api("POST", url, "hl", ["liaison"], "HEALTH", json=fu).status_code == 403
    stranger = _team(drawn, e2, "SAMR")
    assert api("POST", url, "insp", ["inspector"], "SAMR", stranger, json=fu).status_code == 403
    resp = api("POST", url, "sl", ["liaison"], "SAMR", json=fu)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    with drawn.db.unit_of_work() as s:
        assert [f.kind for f in s.scalars(select(FollowUp))] == ["transfer"]


@pytest.mark.parametrize(
    "follow_up, where",
    [
        ({"kind": "correction", "due_on": "2026-12-01"}, "due_on"),  # before the inspection
        ({"kind": "correction", "due_on": "2028-01-01"}, "due_on"),  # more than a year on
        ({"kind": "case", "penalty_no": "P1", "decided_on": "2026-12-25"}, "decided_on"),  # after today
        ({"kind": "case", "penalty_no": "P1", "decided_on": "2026-11-30"}, "decided_on"),  # before it
    ],
)
def test_follow_up_dates_are_checked(drawn, follow_up, where):
    e1 = drawn.drawn_entities()[0]
    rid = sc.enter(drawn, e1, "HEALTH", "")  # inspected 2026-12-10
    with pytest.raises(InvalidInput) as exc:
        add_follow_up(drawn.db, rid, follow_up, "coordinator", today=date(2026, 12, 20))
    assert where in str(exc.value)


def test_a_reinspection_is_not_dated_before_the_inspection_or_in_the_future(drawn):
    e1 = drawn.drawn_entities()[0]
    r = enter_result(
        drawn.db,
        drawn.task_id,
        {
            **_body(drawn, e1, "SAMR"),
            "inspected_on": "2026-12-10",
            "outcome_codes": ["8"],
            "follow_ups": [{"kind": "correction", "due_on": "2026-12-24"}],
        },
        "c",
        today=date(2026, 12, 20),
    )
    for day in ("2026-12-09", "2026-12-21"):
        with pytest.raises(InvalidInput, match="reinspected_on"):
            add_follow_up(
                drawn.db,
                r.result_id,
                {"kind": "reinspection", "reinspected_on": day, "outcome": "5"},
                "c",
                today=date(2026, 12, 20),
            )
    add_follow_up(
        drawn.db,
        r.result_id,
        {"kind": "reinspection", "reinspected_on": "2026-12-18", "outcome": "5"},
        "c",
        today=date(2026, 12, 20),
    )


# ------------------------------------------------------------------ what a liaison sees


def test_the_deadlines_a_liaison_reads_are_their_agencys(drawn, api):
    e1, e2 = drawn.drawn_entities()[:2]
    sc.enter(drawn, e1, "HEALTH", "")
    sc.enter(drawn, e2, "SAMR", "")
    resp = api("GET", "/deadlines", "hl", ["liaison"], "HEALTH")
    subjects = [d["subject"] for d in resp.json if d["kind"] == "result"]
    assert len(subjects) == 1 and "HEALTH" in subjects[0]


def test_a_result_of_an_approved_entity_cannot_be_entered_again(drawn, api, tmp_path, monkeypatch, capsys):
    e1 = drawn.drawn_entities()[0]
    sc.enter(drawn, e1, "HEALTH", "")
    sc.approve_all(drawn)
    resp = api("POST", f"/tasks/{drawn.task_id}/results", "hl", ["liaison"], "HEALTH", json=_body(drawn, e1, "HEALTH"))
    assert resp.status_code == 409
    monkeypatch.setenv("HUB_DATABASE_URL", drawn.settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(drawn.settings.data_dir))
    path = tmp_path / "r.csv"
    path.write_text(HEADER + f"{e1},HEALTH,{DAY},1,{';'.join(drawn.team_of(e1))},\n", encoding="utf-8")
    assert main(["results", "import", drawn.task_id, str(path)]) == 75
    assert "approved" in capsys.readouterr().err
