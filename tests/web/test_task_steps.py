"""The task page's steps: confirm pages for freeze, draw and void (no JavaScript needed), the draw's
status as JSON, what each party still has to do, and the reveal by the secret file."""

from __future__ import annotations

import io

from hub.results.history import RESULTS_HISTORY
from hub.tasks import services as lifecycle
from hub.tasks.queries import get_task

from .scenario import AGENCIES, committed_task, frozen_task, liaison_of


def test_freeze_draw_and_void_without_confirmation_open_the_confirm_page_and_change_nothing(
    db, settings, sign_in, post_form
):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    client = sign_in("coord", "coordinator")
    for action, fields in (("draw", {"entropy": "517"}), ("void", {"reason": "the roster was incomplete"})):
        response = post_form(f"/tasks/{scenario.task_id}/{action}", **fields)
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"/tasks/{scenario.task_id}/confirm/{action}")
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert 'name="confirmed" value="yes"' in page and "确认" in page
    task = get_task(db, scenario.task_id)
    assert task.state == "frozen" and task.entropy is None


def test_the_void_confirm_page_asks_for_the_reason_and_the_draw_page_for_the_entropy(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    client = sign_in("coord", "coordinator")
    void = client.get(f"/tasks/{scenario.task_id}/confirm/void").get_data(as_text=True)
    assert '<textarea name="reason"' in void and "作废理由" in void
    draw = client.get(f"/tasks/{scenario.task_id}/confirm/draw").get_data(as_text=True)
    assert 'name="entropy"' in draw and "福彩3D 2026-11-30 开奖号码" in draw
    assert client.get(f"/tasks/{scenario.task_id}/confirm/delete").status_code == 404


def test_only_a_coordinator_opens_a_confirm_page(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    client = sign_in("someone", "liaison", agency="HEALTH")
    assert client.get(f"/tasks/{scenario.task_id}/confirm/draw").status_code == 403


def test_status_json_reports_the_draw_and_each_partys_next_step(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    client = sign_in("coord", "coordinator")
    before = client.get(f"/tasks/{scenario.task_id}/status.json").get_json()
    assert before["state"] == "frozen" and before["draw_status"] == "not_requested"
    assert {(s["who"], s["action"], s["done"]) for s in before["steps"]} >= {
        ("HEALTH", "reveal", True),
        ("SAMR", "reveal", True),
        ("coordinator", "entropy", False),
        ("coordinator", "draw", False),
    }
    post_form(f"/tasks/{scenario.task_id}/draw", entropy="福彩3D 2026-11-30: 517", confirmed="yes")
    after = client.get(f"/tasks/{scenario.task_id}/status.json").get_json()
    assert after["state"] == "drawn" and after["draw_status"] == "done" and after["draw_progress"] == 100
    assert [s["action"] for s in after["steps"]] == ["print"]


def test_the_task_page_lists_what_is_still_to_do(db, settings, sign_in):  # type: ignore[no-untyped-def]
    add = committed_task(db, settings, "JT-2026-0300")
    lifecycle.create_task(db, settings, {**_spec_of(add), "id": "JT-2026-0301"}, "t")
    html = sign_in("coord", "coordinator").get("/tasks/JT-2026-0301").get_data(as_text=True)
    assert 'data-who="HEALTH" data-action="commit"' in html and "待办" in html


def _spec_of(scenario):  # type: ignore[no-untyped-def]
    from .scenario import task_spec

    spec = task_spec(scenario.task_id)
    spec.pop("id")
    return spec


def test_a_liaison_reveals_by_uploading_the_secret_file_and_a_wrong_file_is_refused(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = committed_task(db, settings)
    lifecycle.freeze(db, settings, scenario.task_id, "t", history=RESULTS_HISTORY)
    client = sign_in(liaison_of("HEALTH") + "-web", "liaison", agency="HEALTH")
    page = client.get(f"/tasks/{scenario.task_id}").get_data(as_text=True)
    assert 'id="reveal-form-HEALTH"' in page and 'enctype="multipart/form-data"' in page
    assert 'id="reveal-form-SAMR"' not in page  # another agency's party is not theirs

    def upload(content: bytes):  # type: ignore[no-untyped-def]
        from .conftest import csrf_token

        return client.post(
            f"/tasks/{scenario.task_id}/reveal",
            data={
                "party": "HEALTH",
                "csrf_token": csrf_token(client),
                "secret_file": (io.BytesIO(content), "x.secret"),
            },
            content_type="multipart/form-data",
        )

    wrong = upload(("ab" * 32).encode() + b"\n")
    assert "does not match" in client.get(wrong.headers["Location"]).get_data(as_text=True)
    assert not _revealed(db, scenario.task_id, "HEALTH")
    upload(scenario.secrets["HEALTH"].encode() + b"\n")
    assert _revealed(db, scenario.task_id, "HEALTH")
    assert not _revealed(db, scenario.task_id, "SAMR") and set(AGENCIES) == {"HEALTH", "SAMR"}


def _revealed(db, task_id: str, party: str) -> bool:  # type: ignore[no-untyped-def]
    return any(p["revealed"] for p in lifecycle.parties(db, task_id) if p["party"] == party)


def test_each_role_sees_only_its_part_of_the_task_page(db, settings, client, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = committed_task(db, settings, "JT-2026-0310")
    lifecycle.create_task(db, settings, {**_spec_of(scenario), "id": "JT-2026-0311"}, "t")
    url = "/tasks/JT-2026-0311"
    pages = {}
    for name, roles, agency in (
        ("coord", ("coordinator",), None),
        ("liaison-samr", ("liaison",), "SAMR"),
        ("insp", ("inspector",), "HEALTH"),
        ("rev", ("reviewer",), None),
    ):
        sign_in(name, *roles, agency=agency)
        pages[name] = client.get(url).get_data(as_text=True)
        post_form("/logout")
    assert 'id="commit-form-SAMR"' in pages["liaison-samr"] and 'id="commit-form-HEALTH"' not in pages["liaison-samr"]
    for name in ("coord", "insp", "rev"):
        assert "commit-form-" not in pages[name], name  # only a party itself commits
    assert 'id="void-form"' in pages["coord"]
    for name in ("liaison-samr", "insp", "rev"):
        assert 'id="void-form"' not in pages[name] and "confirm/" not in pages[name], name
