"""Server-rendered pages against a real database: who sees what, the public draw record, forms."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
from datetime import date, timedelta

from sqlalchemy import select

from hub.outbox.models import OutboxMessage
from hub.results.models import Result
from hub.rosters.models import Inspector
from hub.tasks import services as lifecycle
from hub.tasks.models import JointTask

from .scenario import (
    ACTOR,
    ENTITIES,
    LEGAL_REP,
    PHONE,
    add_rosters,
    approve_all,
    committed_task,
    drawn_task,
    enter,
    frozen_task,
    task_spec,
)
from .signin import sends_to_sign_in


def _task(db, task_id):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return s.get(JointTask, task_id)


# ------------------------------------------------------------------ access


def test_anonymous_is_sent_to_sign_in_from_tasks_and_results(client):  # type: ignore[no-untyped-def]
    for url in ("/tasks/", "/tasks/JT-2026-0100", "/results/"):
        assert sends_to_sign_in(client.get(url), url), url
    assert client.post("/tasks/JT-2026-0100/void").status_code in (400, 401)  # a form post is refused, not redirected


def test_inspector_is_forbidden_the_results_page(sign_in):  # type: ignore[no-untyped-def]
    client = sign_in("insp", "inspector", inspector_id="HEALTH-001")
    assert client.get("/results/").status_code == 403
    assert client.get("/tasks/").status_code == 200


def test_every_page_route_is_marked_public_or_by_role(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if rule.endpoint.split(".")[0] in ("public", "tasks", "results"):
            view = app.view_functions[rule.endpoint]
            assert getattr(view, "_hub_access", None), rule.rule


def test_post_without_csrf_token_is_refused(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = committed_task(db, settings)
    client = sign_in("coord", "coordinator")
    response = client.post(f"/tasks/{scenario.task_id}/void", data={"reason": "entered twice by mistake"})
    assert response.status_code == 400
    assert _task(db, scenario.task_id).state == "committing"


# ------------------------------------------------------------------ staff pages


def test_inspector_sees_only_own_assignment_rows(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    first = scenario.drawn_entities()[0]
    me = scenario.team_of(first)[0]
    mine = scenario.rows_of(me)
    others = set(scenario.drawn_entities()) - mine
    assert mine == {first} and others  # capacity 1: one row each
    html = sign_in("insp", "inspector", inspector_id=me).get(f"/tasks/{scenario.task_id}").get_data(as_text=True)
    assert first in html
    for entity_id in others:
        assert entity_id not in html


def test_inspector_without_a_team_sees_no_row(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    html = sign_in("idle", "inspector", inspector_id="NOBODY").get(f"/tasks/{scenario.task_id}").get_data(as_text=True)
    assert "本任务中没有您的检查安排" in html
    assert not any(e in html for e in scenario.drawn_entities())


def test_coordinator_sees_every_row_with_names(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    html = sign_in("coord", "coordinator").get(f"/tasks/{scenario.task_id}").get_data(as_text=True)
    assert html.count('class="assignment"') == len(ENTITIES)
    assert "济南市历下区实验小学" in html


def test_nobody_sees_assignments_before_the_draw(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    html = sign_in("coord", "coordinator").get(f"/tasks/{scenario.task_id}").get_data(as_text=True)
    assert "抽取之前没有检查安排" in html
    assert 'id="draw-form"' in html


def test_coordinator_freezes_through_the_form(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = committed_task(db, settings)
    client = sign_in("coord", "coordinator")
    response = post_form(f"/tasks/{scenario.task_id}/freeze", confirmed="yes")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert _task(db, scenario.task_id).state == "frozen"
    assert "名录中 4 个检查对象" in html and ">可行<" in html


def test_infeasible_freeze_is_shown_not_a_500(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = committed_task(db, settings)
    with db.unit_of_work() as s:
        for inspector in s.scalars(select(Inspector).where(Inspector.agency == "SAMR")):
            inspector.active = False
    client = sign_in("coord", "coordinator")
    response = post_form(f"/tasks/{scenario.task_id}/freeze", confirmed="yes")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "未执行" in html and "infeasible" in html and "SAMR" in html
    assert _task(db, scenario.task_id).state == "committing"


def test_coordinator_draws_through_the_form(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    client = sign_in("coord", "coordinator")
    response = post_form(f"/tasks/{scenario.task_id}/draw", entropy="福彩3D 2026-11-30: 517", confirmed="yes")
    assert response.status_code == 302
    task = _task(db, scenario.task_id)
    assert task.state == "drawn" and task.entropy == "福彩3D 2026-11-30: 517"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"种子 {task.seed}" in html
    assert html.count('class="assignment"') == len(ENTITIES)


def test_second_draw_is_refused_with_a_message(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    client = sign_in("coord", "coordinator")
    response = post_form(f"/tasks/{scenario.task_id}/draw", entropy="again", confirmed="yes")
    assert response.status_code == 302
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "one-time" in html
    assert _task(db, scenario.task_id).entropy == "2026-11-30 福彩3D 123"


def test_void_needs_a_written_reason(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = committed_task(db, settings)
    client = sign_in("coord", "coordinator")
    refused = post_form(f"/tasks/{scenario.task_id}/void", reason="no", confirmed="yes")
    assert "at least 10 characters" in client.get(refused.headers["Location"]).get_data(as_text=True)
    assert _task(db, scenario.task_id).state == "committing"
    post_form(f"/tasks/{scenario.task_id}/void", reason="the roster of EDU was incomplete", confirmed="yes")
    assert _task(db, scenario.task_id).state == "void"
    public = client.get(f"/public/tasks/{scenario.task_id}").get_data(as_text=True)
    assert "the roster of EDU was incomplete" in public


# ------------------------------------------------------------------ public pages


def test_draft_task_is_not_public(db, settings, client):  # type: ignore[no-untyped-def]
    add_rosters(db)
    lifecycle.create_task(db, settings, task_spec("JT-2026-0200"), ACTOR)
    for tail in ("", "/record.json", "/roster.tsv", "/pool.tsv", "/results", "/results.json"):
        assert client.get(f"/public/tasks/JT-2026-0200{tail}").status_code == 404, tail
    assert "JT-2026-0200" not in client.get("/public/").get_data(as_text=True)


def test_public_task_page_shows_digests_and_no_personal_data(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    task = _task(db, scenario.task_id)
    html = client.get(f"/public/tasks/{scenario.task_id}").get_data(as_text=True)
    for digest in (task.plan_digest, task.roster_digest, task.pool_digest, task.seed):
        assert digest and digest in html
    for secret in scenario.secrets.values():
        assert secret in html  # reveals are public after the freeze
    assert scenario.drawn_entities()[0] in html
    assert "python jdp.py verify record.json --roster roster.tsv --pool pool.tsv" in html
    for personal in (LEGAL_REP, PHONE, "0531-86001234", "李明"):
        assert personal not in html


def test_frozen_files_are_public_and_match_their_digests(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    task = _task(db, scenario.task_id)
    roster = client.get(f"/public/tasks/{scenario.task_id}/roster.tsv")
    pool = client.get(f"/public/tasks/{scenario.task_id}/pool.tsv")
    assert hashlib.sha256(roster.data).hexdigest() == task.roster_digest
    assert hashlib.sha256(pool.data).hexdigest() == task.pool_digest
    assert client.get(f"/public/tasks/{scenario.task_id}/record.json").status_code == 404  # not drawn yet
    html = client.get(f"/public/tasks/{scenario.task_id}").get_data(as_text=True)
    assert 'id="selections"' not in html and "record.json" not in html


def test_published_record_verifies_with_the_published_verifier(db, settings, client, tmp_path):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    base = f"/public/tasks/{scenario.task_id}"
    verifier = client.get("/public/verifier/jdp.py")
    assert verifier.mimetype == "text/x-python" and "attachment" in verifier.headers["Content-Disposition"]
    for name, url in (
        ("record.json", f"{base}/record.json"),
        ("roster.tsv", f"{base}/roster.tsv"),
        ("pool.tsv", f"{base}/pool.tsv"),
        ("jdp.py", "/public/verifier/jdp.py"),
    ):
        (tmp_path / name).write_bytes(client.get(url).data)
    assert json.loads((tmp_path / "record.json").read_text("utf-8"))["seed"] == _task(db, scenario.task_id).seed
    run = subprocess.run(
        [sys.executable, "jdp.py", "verify", "record.json", "--roster", "roster.tsv", "--pool", "pool.tsv"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 0, run.stderr


def test_a_public_draw_page_links_the_protocol_it_was_drawn_with(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    html = client.get(f"/public/tasks/{scenario.task_id}").get_data(as_text=True)
    assert 'id="protocol-link" href="/public/protocol"' in html
    page = client.get("/public/protocol")
    assert page.status_code == 200 and page.mimetype == "text/plain"
    text = page.get_data(as_text=True)
    assert "JDP-2" in text and "JDP-1" in text and "jdp.py" in text


def test_public_index_lists_items_and_frozen_tasks(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    html = client.get("/public/").get_data(as_text=True)
    assert scenario.task_id in html
    assert 'href="/public/items/"' in html and 'href="/public/feeds/SAMR.atom"' in html
    items = client.get("/public/items/SAMR").get_data(as_text=True)
    assert "SAMR-FOOD-01" in items and "《食品安全法》" in items


def test_public_results_are_approved_and_masked(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    individual = next(e for e in ENTITIES if e[2] == "individual")[0]
    school = next(e for e in scenario.drawn_entities() if e != individual)
    enter(scenario, individual, "HEALTH", f"未公示健康证明，联系电话{PHONE}", codes=("5",))
    approve_all(scenario)
    enter(scenario, school, "SAMR", "NOT-YET-APPROVED finding")
    html = client.get(f"/public/tasks/{scenario.task_id}/results").get_data(as_text=True)
    assert "发现问题经责令已改正" in html and "139****5678" in html
    assert "托管班" in html  # the individual's business name, its operator's name masked
    for hidden in (LEGAL_REP, PHONE, "NOT-YET-APPROVED"):
        assert hidden not in html
    rows = json.loads(client.get(f"/public/tasks/{scenario.task_id}/results.json").data)
    assert [r["entity_id"] for r in rows] == [individual]
    assert rows[0]["inspected_on"] == "2026-12-10" and "delivery" not in rows[0]
    assert LEGAL_REP not in json.dumps(rows, ensure_ascii=False)


# ------------------------------------------------------------------ results and outbox


def test_reviewer_approves_all_entered_results(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    for entity_id in scenario.drawn_entities()[:2]:
        enter(scenario, entity_id, "HEALTH", "")
    client = sign_in("rev", "reviewer")
    assert "的 2 条已录入结果" in client.get("/results/").get_data(as_text=True)
    response = post_form(f"/results/tasks/{scenario.task_id}/approve")
    assert "已审核" in client.get(response.headers["Location"]).get_data(as_text=True)
    with db.unit_of_work() as s:
        assert set(s.scalars(select(Result.state))) == {"approved"}


def test_results_page_flags_an_overdue_result(db, settings, sign_in):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    with db.unit_of_work() as s:  # inspected long ago and still not approved
        s.add(
            Result(
                result_id="r-old",
                task_id=scenario.task_id,
                entity_id=scenario.drawn_entities()[0],
                agency="HEALTH",
                inspected_on=date.today() - timedelta(days=90),
                outcome_codes=["1"],
                inspectors=[],
                entered_by=ACTOR,
            )
        )
    html = sign_in("aud", "auditor").get("/results/").get_data(as_text=True)
    assert "已逾期" in html
    assert "全部审核通过" not in html  # only a reviewer approves


def test_outbox_filters_by_state_and_requeues_rejected(db, settings, sign_in, post_form):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        s.add(OutboxMessage(sink="credit", kind="result", key="r-1", payload={}, state="delivered", attempts=1))
        s.add(
            OutboxMessage(
                sink="credit",
                kind="result",
                key="r-2",
                payload={},
                state="rejected",
                attempts=1,
                last_error="uscc fails its check digit",
                reject_code="E102",
            )
        )
    client = sign_in("coord", "coordinator")
    rejected = client.get("/results/?state=rejected").get_data(as_text=True)
    assert "r-2" in rejected and "E102" in rejected and "uscc fails its check digit" in rejected
    assert "<code>r-1</code>" not in rejected
    assert client.get("/results/?state=bogus").status_code == 400
    post_form("/results/outbox/requeue")
    with db.unit_of_work() as s:
        assert s.scalar(select(OutboxMessage.state).where(OutboxMessage.key == "r-2")) == "pending"
