"""The task form: the same spec as the TOML file, errors in Chinese naming the field, the live count,
the preview (strata, quotas, feasibility) before saving, and TOML import and export."""

from __future__ import annotations

import io
import tomllib

from hub.rosters.models import Entity
from hub.tasks.queries import get_task

from .scenario import add_rosters, task_spec

FIELDS = {
    "title": "2026年学校卫生与食品安全联合抽查",
    "lead": "HEALTH",
    "agencies": ["HEALTH", "SAMR"],
    "window_start": "2026-12-01",
    "window_end": "2026-12-31",
    "categories": "school",
    "districts": "370102, 370103",
    "ratio": "0.5",
    "strata_by": ["district", "category"],
    "team-1-agency": "HEALTH",
    "team-1-size": "1",
    "team-1-items": "HEALTH-SCH-01",
    "team-1-expertise": "school",
    "team-2-agency": "SAMR",
    "team-2-size": "1",
    "team-2-items": "SAMR-FOOD-01",
    "avoid_home_district": "1",
}


def test_preview_shows_strata_quotas_and_feasibility_and_saves_nothing(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    add_rosters(db)
    sign_in("coord", "coordinator")
    page = post_form("/tasks/new", action="preview", **FIELDS).get_data(as_text=True)
    assert 'id="preview-roster">4<' in page
    assert "<td>370102|school</td><td>2</td><td>1</td>" in page
    assert "可行" in page
    from hub.tasks.queries import list_tasks

    assert list_tasks(db) == []


def test_save_builds_the_same_spec_as_the_task_file(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    add_rosters(db)
    sign_in("coord", "coordinator")
    saved = post_form("/tasks/new", action="save", id="JT-2026-0500", **FIELDS)
    assert saved.status_code == 302
    spec = get_task(db, "JT-2026-0500").spec
    expected = task_spec("JT-2026-0500")
    assert spec["team"] == [
        {"agency": "HEALTH", "size": 1, "items": ["HEALTH-SCH-01"], "expertise": ["school"]},
        {"agency": "SAMR", "size": 1, "items": ["SAMR-FOOD-01"], "expertise": []},
    ]
    assert spec["population"]["categories"] == expected["population"]["categories"]
    assert spec["recusal"] == {"avoid_home_district": True, "avoid_last_pairing": False}


def test_errors_are_in_chinese_and_name_the_field(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    add_rosters(db)
    sign_in("coord", "coordinator")
    for change, words in (
        ({"ratio": "abc"}, "抽查比例（strata.ratio）：须为数字"),
        ({"ratio": "2"}, "抽查比例（strata.ratio）：2 须大于 0 且不超过 1"),
        ({"window_start": "2026-13-01"}, "检查期间（window[1]）"),
        ({"team-2-agency": ""}, "SAMR"),
        ({"team-1-size": "x"}, "检查组第 1 行：人数"),
    ):
        answer = post_form("/tasks/new", action="save", **{**FIELDS, **change})
        assert answer.status_code == 400, change
        assert words in answer.get_data(as_text=True), (change, answer.get_data(as_text=True)[-3000:])


def test_the_live_count_counts_the_population(db, settings, sign_in):  # type: ignore[no-untyped-def]
    add_rosters(db)
    client = sign_in("coord", "coordinator")
    assert client.get("/tasks/new/count?categories=school&districts=370102").get_json() == {
        "count": 2,
        "by_district": {"370102": 2},
    }
    assert client.get("/tasks/new/count?categories=hotel").get_json()["count"] == 0
    with db.unit_of_work() as s:
        s.add(
            Entity(
                entity_id="EDU:3701020099",
                name="两类",
                entity_type="school",
                district="370102",
                categories=["school", "hotel"],
                status="active",
                active=True,
                sources=["edu"],
            )
        )
        s.add(
            Entity(
                entity_id="EDU:3701020098",
                name="停业",
                entity_type="school",
                district="370102",
                categories=["school"],
                status="revoked",
                active=False,
                sources=["edu"],
            )
        )
    both = client.get("/tasks/new/count?categories=school,hotel&districts=370102").get_json()
    assert both == {"count": 3, "by_district": {"370102": 3}}  # the two-category entity once, the inactive not


def test_toml_export_and_import_round_trip(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    add_rosters(db)
    client = sign_in("coord", "coordinator")
    exported = post_form("/tasks/new", action="export", **FIELDS)
    assert exported.mimetype == "application/toml"
    data = tomllib.loads(exported.get_data(as_text=True))
    assert data["strata"]["ratio"] == 0.5 and data["team"][0]["items"] == ["HEALTH-SCH-01"]
    from .conftest import csrf_token

    imported = client.post(
        "/tasks/new/import",
        data={"csrf_token": csrf_token(client), "task_file": (io.BytesIO(exported.get_data()), "t.toml")},
        content_type="multipart/form-data",
    ).get_data(as_text=True)
    assert 'value="2026年学校卫生与食品安全联合抽查"' in imported and 'value="0.5"' in imported
    broken = client.post(
        "/tasks/new/import",
        data={"csrf_token": csrf_token(client), "task_file": (io.BytesIO(b"title = "), "bad.toml")},
        content_type="multipart/form-data",
    )
    assert broken.status_code == 400 and "不是有效的 TOML" in broken.get_data(as_text=True)


def test_only_a_coordinator_opens_the_form(db, settings, sign_in):  # type: ignore[no-untyped-def]
    client = sign_in("liaison", "liaison", agency="HEALTH")
    assert client.get("/tasks/new").status_code == 403
    assert client.get("/tasks/new/count?categories=school").status_code == 403
