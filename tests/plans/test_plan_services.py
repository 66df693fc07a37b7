"""Annual plans through every way in (service, API, CLI): who may draft, approve, file and start a task;
filing reaches the provincial sandbox over loopback exactly as interfaces.md describes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from connectors.sandboxes.sinks import start_sinks
from hub.audit.models import AuditEntry
from hub.auth.principal import Principal
from hub.errors import Conflict, Forbidden, InvalidInput
from hub.outbox.delivery import drain
from hub.outbox.models import OutboxMessage
from hub.plans import services
from hub.plans.queries import list_plans, plan_view
from hub.tasks.queries import get_task
from tests.integration.outbox_factory import APP_ID, SECRET, sink_settings

from .factory import PEOPLE, YEAR, add_items, add_people, entry

pytestmark = pytest.mark.db


def who(name: str) -> Principal:
    roles, agency = PEOPLE[name]
    return Principal(name, frozenset(roles), agency)


@pytest.fixture
def sandboxes() -> Iterator[dict[str, Any]]:
    servers = start_sinks(APP_ID, SECRET)
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def sinks(make_settings, sandboxes):  # type: ignore[no-untyped-def]
    return sink_settings(make_settings, sandboxes)


@pytest.fixture
def tokens(db) -> dict[str, str]:  # type: ignore[no-untyped-def]
    add_items(db)
    return add_people(db)


def draft(db, name: str = "coord-health") -> str:  # type: ignore[no-untyped-def]
    return services.create_plan(db, who(name), "HEALTH", YEAR, "2026年度卫生健康联合抽查计划", [entry()])


def test_the_whole_plan_lifecycle_reaches_the_provincial_platform_once(db, sinks, sandboxes, tokens):
    plan_id = draft(db)
    services.approve(db, who("deputy-health"), plan_id)
    assert services.file_plan(db, sinks, who("coord-health"), plan_id) == 1  # provincial only, not credit
    drain(db, sinks, respect_backoff=False)
    provincial = sandboxes["provincial"]
    stored = provincial.plans[plan_id]
    assert stored["entries"][0]["entry_id"] == f"{plan_id}-01"
    assert stored["entries"][0]["ratio"] == "0.05"
    assert stored["entries"][0]["items"] == {"HEALTH": ["HEALTH-SCH-01"], "SAMR": ["SAMR-FOOD-01"]}
    assert provincial.plan_puts[plan_id] == 1
    assert plan_view(db, who("auditor"), plan_id).plan.state == "filed"


def test_filing_the_same_plan_again_sends_nothing_and_a_changed_plan_is_sent_whole(db, sinks, sandboxes, tokens):
    plan_id = draft(db)
    services.approve(db, who("deputy-health"), plan_id)
    services.file_plan(db, sinks, who("coord-health"), plan_id)
    drain(db, sinks, respect_backoff=False)
    services.revise(db, who("coord-health"), plan_id)
    services.approve(db, who("deputy-health"), plan_id)
    assert services.file_plan(db, sinks, who("coord-health"), plan_id) == 0  # unchanged: nothing to send
    services.revise(db, who("coord-health"), plan_id)
    services.add_entry(
        db,
        who("coord-health"),
        plan_id,
        entry(
            title="住宿场所卫生抽查",
            items={"HEALTH": ["HEALTH-HOT-01"], "SAMR": ["SAMR-FOOD-01"]},
            population={"categories": ["hotel"]},
        ),
    )
    services.approve(db, who("deputy-health"), plan_id)
    assert services.file_plan(db, sinks, who("coord-health"), plan_id) == 1
    drain(db, sinks, respect_backoff=False)
    provincial = sandboxes["provincial"]
    assert [e["entry_id"] for e in provincial.plans[plan_id]["entries"]] == [f"{plan_id}-01", f"{plan_id}-02"]
    assert provincial.plan_puts[plan_id] == 2
    with db.unit_of_work() as s:
        assert s.scalar(select(OutboxMessage.state).where(OutboxMessage.key == f"plan:{plan_id}")) == "delivered"


@pytest.mark.parametrize(
    ("name", "message"),
    [("coord-samr", "属于 SAMR"), ("deputy-health", "需要角色"), ("liaison-samr", "需要角色"), ("auditor", "需要角色")],
)
def test_only_the_lead_agencys_coordinator_drafts(db, tokens, name, message):
    with pytest.raises(Forbidden, match=message):
        draft(db, name)


def test_a_city_level_coordinator_drafts_for_any_agency(db, tokens):
    assert draft(db, "coord-city") == "AP-2026-HEALTH"


def test_approval_needs_a_reviewer_who_did_not_write_the_plan(db, tokens):
    plan_id = draft(db)
    for name in ("coord-health", "liaison-samr", "auditor"):
        with pytest.raises(Forbidden):
            services.approve(db, who(name), plan_id)
    admin = Principal("coord-health", frozenset({"admin"}))  # an admin holds every role, but wrote the plan
    with pytest.raises(Forbidden, match="不能自己审批"):
        services.approve(db, admin, plan_id)
    services.approve(db, who("deputy-health"), plan_id)


def test_filing_needs_an_approval_and_a_coordinator(db, sinks, tokens):
    plan_id = draft(db)
    with pytest.raises(Conflict):
        services.file_plan(db, sinks, who("coord-health"), plan_id)
    services.approve(db, who("deputy-health"), plan_id)
    with pytest.raises(Forbidden):
        services.file_plan(db, sinks, who("deputy-health"), plan_id)
    with pytest.raises(Conflict):  # approved: a change first takes it back to draft
        services.add_entry(db, who("coord-health"), plan_id, entry())


def test_an_item_outside_the_agencys_item_list_is_refused_and_nothing_is_saved(db, tokens):
    with pytest.raises(InvalidInput, match="SAMR-FOOD-01 属于 SAMR") as err:
        services.create_plan(
            db,
            who("coord-health"),
            "HEALTH",
            YEAR,
            "计划",
            [entry(items={"HEALTH": ["SAMR-FOOD-01"], "SAMR": ["SAMR-FOOD-01"]})],
        )
    assert "items.HEALTH" in err.value.where
    assert list_plans(db, who("auditor")) == []


def test_a_task_from_an_entry_inherits_it_and_the_plan_shows_its_progress(db, settings, tokens):
    plan_id = draft(db)
    entry_id = f"{plan_id}-01"
    with pytest.raises(Conflict, match="尚未审批"):
        services.task_from_entry(db, settings, who("coord-health"), entry_id)
    services.approve(db, who("deputy-health"), plan_id)
    with pytest.raises(Forbidden):
        services.task_from_entry(db, settings, who("liaison-samr"), entry_id)
    task = services.task_from_entry(
        db, settings, who("coord-health"), entry_id, {"window": ["2026-12-01", "2026-12-20"]}
    )
    stored = get_task(db, task.id)
    assert stored.plan_entry_id == entry_id
    assert stored.spec["strata"]["ratio"] == 0.05
    assert stored.spec["population"]["categories"] == ["school"]
    view = plan_view(db, who("coord-health"), plan_id)
    [e] = view.entries
    assert [(t.task_id, t.state, t.drawn) for t in e.tasks] == [(task.id, "draft", 0)]
    with pytest.raises(Conflict, match="已有联合抽查任务"):
        services.revise(db, who("coord-health"), plan_id)
        services.remove_entry(db, who("coord-health"), entry_id)


def test_a_liaison_reads_only_the_plans_their_agency_takes_part_in(db, tokens):
    plan_id = draft(db)
    assert [p.id for p, _ in list_plans(db, who("liaison-samr"))] == [plan_id]
    assert list_plans(db, who("liaison-edu")) == []
    with pytest.raises(Forbidden):
        list_plans(db, who("inspector"))


def test_every_step_is_audited(db, sinks, tokens):
    plan_id = draft(db)
    services.return_plan(db, who("deputy-health"), plan_id, "比例偏低，请调整")
    services.approve(db, who("deputy-health"), plan_id)
    services.file_plan(db, sinks, who("coord-health"), plan_id)
    with db.unit_of_work() as s:
        actions = list(s.scalars(select(AuditEntry.action).where(AuditEntry.subject == f"plan:{plan_id}")))
    assert actions == ["plan.create", "plan.entry_add", "plan.return", "plan.approve", "plan.file"]


# --- the API ----------------------------------------------------------------------------


def api(client, token: str, method: str, url: str, body: Any = None):  # type: ignore[no-untyped-def]
    return client.open(url, method=method, json=body, headers={"Authorization": f"Bearer {token}"})


def test_the_api_walks_the_plan_and_refuses_what_the_service_refuses(app, db, tokens):
    client = app.test_client()
    body = {"lead": "HEALTH", "year": YEAR, "title": "2026年度计划", "entries": [entry()]}
    assert api(client, tokens["coord-samr"], "POST", "/api/v1/plans", body).status_code == 403
    assert api(client, tokens["deputy-health"], "POST", "/api/v1/plans", body).status_code == 403
    created = api(client, tokens["coord-health"], "POST", "/api/v1/plans", body)
    assert created.status_code == 201, created.get_json()
    plan_id = created.get_json()["plan_id"]
    bad = api(client, tokens["coord-health"], "POST", f"/api/v1/plans/{plan_id}/entries", entry(ratio="2"))
    assert bad.status_code == 400 and "ratio" in bad.get_json()["where"]
    assert api(client, tokens["coord-health"], "POST", f"/api/v1/plans/{plan_id}/approve").status_code == 403
    assert api(client, tokens["deputy-health"], "POST", f"/api/v1/plans/{plan_id}/approve").status_code == 200
    task = api(client, tokens["coord-health"], "POST", f"/api/v1/plan-entries/{plan_id}-01/tasks", {})
    assert task.status_code == 201, task.get_json()
    shown = api(client, tokens["liaison-samr"], "GET", f"/api/v1/plans/{plan_id}").get_json()
    assert shown["entries"][0]["tasks"][0]["task_id"] == task.get_json()["task_id"]
    assert api(client, tokens["liaison-edu"], "GET", f"/api/v1/plans/{plan_id}").status_code == 404
    assert api(client, tokens["inspector"], "GET", "/api/v1/plans").status_code == 403


# --- the command line -------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.delenv("HUB_BROKER_URL", raising=False)


def test_the_command_line_obeys_the_same_rules(db, tokens, cli_env, tmp_path, capsys):
    from hub.cli import main

    plan_file = tmp_path / "plan.toml"
    plan_file.write_text(
        'lead = "HEALTH"\nyear = 2026\ntitle = "2026年度计划"\n[[entries]]\ntitle = "学校联合抽查"\n'
        'agencies = ["HEALTH", "SAMR"]\nratio = "0.05"\nmonths = [11, 12]\n'
        'items = { HEALTH = ["HEALTH-SCH-01"], SAMR = ["SAMR-FOOD-01"] }\n'
        'population = { categories = ["school"] }\n',
        encoding="utf-8",
    )
    assert main(["plan", "create", str(plan_file), "--as", "coord-samr"]) != 0
    assert "属于 SAMR" in capsys.readouterr().err
    assert main(["plan", "create", str(plan_file), "--as", "coord-health"]) == 0
    plan_id = capsys.readouterr().out.strip()
    assert plan_id == "AP-2026-HEALTH"
    assert main(["plan", "approve", plan_id, "--as", "coord-health"]) != 0
    assert main(["plan", "approve", plan_id, "--as", "deputy-health"]) == 0
    assert main(["plan", "task", f"{plan_id}-01", "--as", "liaison-samr"]) != 0
    assert main(["plan", "task", f"{plan_id}-01", "--as", "coord-health"]) == 0
    capsys.readouterr()
    assert main(["plan", "show", plan_id]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["state"] == "approved" and len(shown["entries"][0]["tasks"]) == 1
