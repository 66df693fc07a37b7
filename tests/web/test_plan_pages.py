"""Annual plans in the browser: the same rules as the service (who drafts, approves, files), refusals
shown in Chinese on the page, and a task started from an entry through the task form."""

from __future__ import annotations

from hub.auth.principal import Principal
from hub.plans.queries import plan_view
from tests.plans.factory import add_items

from .scenario import add_rosters

AUDITOR = Principal("a", frozenset({"auditor"}))


def _entry_fields(**over):  # type: ignore[no-untyped-def]
    fields = {
        "title": "学校卫生与食品安全联合抽查",
        "agencies": ["HEALTH", "SAMR"],
        "items": ["HEALTH:HEALTH-SCH-01", "SAMR:SAMR-FOOD-01"],
        "categories": "school",
        "districts": "370102, 370103",
        "ratio": "1",
        "months": ["12"],
    }
    fields.update(over)
    return fields


def test_coordinator_drafts_reviewer_approves_and_the_task_form_starts_from_the_entry(
    db, settings, client, sign_in, post_form
):  # type: ignore[no-untyped-def]
    add_rosters(db)
    sign_in("coord", "coordinator", agency="HEALTH")
    created = post_form("/plans/", lead="HEALTH", year="2026", title="2026年度卫生健康联合抽查计划")
    assert created.headers["Location"].endswith("/plans/AP-2026-HEALTH")
    bad = post_form("/plans/AP-2026-HEALTH/entries", **_entry_fields(ratio="1.5"))
    page = client.get(bad.headers["Location"]).get_data(as_text=True)
    assert "未执行" in page and "ratio" in page and "不超过 1" in page
    post_form("/plans/AP-2026-HEALTH/entries", **_entry_fields())
    refused = post_form("/plans/AP-2026-HEALTH/approve")
    assert refused.status_code == 403  # a coordinator holds no reviewer role
    post_form("/logout")
    sign_in("deputy", "reviewer", agency="HEALTH")
    post_form("/plans/AP-2026-HEALTH/approve")
    assert plan_view(db, AUDITOR, "AP-2026-HEALTH").plan.state == "approved"
    post_form("/logout")
    client.post("/login", data={"name": "coord", "password": "correct-horse-battery", "csrf_token": _token(client)})
    detail = client.get("/plans/AP-2026-HEALTH").get_data(as_text=True)
    assert "按此条目新建任务" in detail
    form = client.get("/tasks/new?entry=AP-2026-HEALTH-01").get_data(as_text=True)
    assert "AP-2026-HEALTH-01" in form and 'value="2026-12-01"' in form and 'value="2026-12-31"' in form
    saved = post_form(
        "/tasks/new",
        entry="AP-2026-HEALTH-01",
        action="save",
        title="学校卫生与食品安全联合抽查",
        lead="HEALTH",
        agencies=["HEALTH", "SAMR"],
        window_start="2026-12-01",
        window_end="2026-12-31",
        categories="school",
        districts="370102, 370103",
        ratio="1",
        **{"team-1-agency": "HEALTH", "team-1-size": "1", "team-1-items": "HEALTH-SCH-01"},
        **{"team-2-agency": "SAMR", "team-2-size": "1", "team-2-items": "SAMR-FOOD-01"},
        avoid_home_district="1",
    )
    assert saved.status_code == 302, saved.get_data(as_text=True)
    task_id = saved.headers["Location"].rsplit("/", 1)[-1]
    [entry] = plan_view(db, AUDITOR, "AP-2026-HEALTH").entries
    assert [t.task_id for t in entry.tasks] == [task_id]


def test_a_task_form_from_an_entry_cannot_lower_its_ratio(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    from hub.plans import services

    add_rosters(db)
    services.create_plan(
        db,
        "op",
        "HEALTH",
        2026,
        "计划",
        [
            {
                "title": "t",
                "agencies": ["HEALTH", "SAMR"],
                "items": {"HEALTH": ["HEALTH-SCH-01"], "SAMR": ["SAMR-FOOD-01"]},
                "population": {"categories": ["school"]},
                "ratio": "0.5",
                "months": [12],
            }
        ],
    )
    services.approve(db, Principal("deputy", frozenset({"reviewer"})), "AP-2026-HEALTH")
    sign_in("coord", "coordinator")
    refused = post_form(
        "/tasks/new",
        entry="AP-2026-HEALTH-01",
        action="save",
        title="t",
        lead="HEALTH",
        agencies=["HEALTH", "SAMR"],
        window_start="2026-12-01",
        window_end="2026-12-31",
        categories="school",
        ratio="0.2",
        **{
            "team-1-agency": "HEALTH",
            "team-1-items": "HEALTH-SCH-01",
            "team-2-agency": "SAMR",
            "team-2-items": "SAMR-FOOD-01",
        },
    )
    assert refused.status_code == 400
    assert "不得低于计划条目的抽查比例 0.5" in refused.get_data(as_text=True)


def test_a_liaison_reads_a_plan_but_cannot_draft_one(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    add_items(db)
    client = sign_in("liaison", "liaison", agency="HEALTH")
    assert client.get("/plans/").status_code == 200
    assert "新建年度计划" not in client.get("/plans/").get_data(as_text=True)
    assert post_form("/plans/", lead="HEALTH", year="2026", title="x").status_code == 403


def _token(client):  # type: ignore[no-untyped-def]
    from .conftest import csrf_token

    return csrf_token(client)
