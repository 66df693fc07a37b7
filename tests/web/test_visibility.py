"""Who sees which drawn rows: one rule (hub.draw.queries), held once through the task page AND the API."""

from __future__ import annotations

import pytest

from hub.auth.principal import Principal
from hub.auth.services import create_token
from hub.draw.queries import visible_assignments

from .scenario import drawn_task

# (name, roles, agency, inspector: "member" = on the first drawn team, or None) -> what they see
PEOPLE = {
    "coordinator": (("coordinator",), None, None, "all"),
    "auditor": (("auditor",), None, None, "all"),
    "admin": (("admin",), None, None, "all"),
    "health-liaison": (("liaison",), "HEALTH", None, "all"),  # every team holds a HEALTH officer
    "edu-liaison": (("liaison",), "EDU", None, "none"),  # no EDU officer drawn
    "member": (("inspector",), "HEALTH", "member", "own"),
    "idle-inspector": (("inspector",), "HEALTH", "NOBODY", "none"),
    "reviewer": (("reviewer",), None, None, "none"),  # the API used to show a reviewer every row
}


@pytest.mark.parametrize("who", sorted(PEOPLE))
def test_page_and_api_show_the_same_rows_by_one_rule(db, settings, client, sign_in, who):  # type: ignore[no-untyped-def]
    roles, agency, inspector, expected = PEOPLE[who]
    scenario = drawn_task(db, settings)
    drawn = scenario.drawn_entities()
    first = drawn[0]
    inspector_id = scenario.team_of(first)[0] if inspector == "member" else inspector
    want = {"all": set(drawn), "none": set(), "own": scenario.rows_of(inspector_id or "")}[expected]
    assert expected != "own" or want == {first}

    html = (
        sign_in(who, *roles, agency=agency, inspector_id=inspector_id)
        .get(f"/tasks/{scenario.task_id}")
        .get_data(as_text=True)
    )
    on_page = {e for e in drawn if e in html}
    with db.unit_of_work() as s:
        token = create_token(s, who)
    answer = client.get(f"/api/v1/tasks/{scenario.task_id}/assignments", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200
    through_api = {row["entity_id"] for row in answer.json}

    assert on_page == want
    assert through_api == want
    if expected == "all":
        assert [row["entity_id"] for row in answer.json] == drawn  # in draw order


def test_the_rule_itself_needs_no_web(db, settings):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    with db.unit_of_work() as s:
        everyone = visible_assignments(s, scenario.task_id, Principal("c", frozenset({"coordinator"})))
        nobody = visible_assignments(s, scenario.task_id, Principal("r", frozenset({"reviewer"})))
    assert [a.entity_id for a in everyone] == scenario.drawn_entities()
    assert nobody == []


def test_unknown_task_is_404_on_page_and_api(db, client, sign_in):  # type: ignore[no-untyped-def]
    sign_in("coord", "coordinator")
    assert client.get("/tasks/JT-2099-0001").status_code == 404
    with db.unit_of_work() as s:
        token = create_token(s, "coord")
    answer = client.get("/api/v1/tasks/JT-2099-0001/assignments", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 404 and answer.json["where"] == "task"
