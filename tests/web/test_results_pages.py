"""The results pages through the real app: an inspector's entry form (own assignments only, the rules
of the outcome codes, draft and submit), the reviewer's queue with return and approve, the follow-ups
list, and the statistics page whose CSV and Excel files carry the API's figures."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from hub.auth.services import create_token
from hub.results.models import FollowUp, Result
from tests.web import scenario as sc

from .conftest import csrf_token


@pytest.fixture
def drawn(db, settings):  # type: ignore[no-untyped-def]
    return sc.drawn_task(db, settings, "JT-2026-0170")


def _health_member(drawn: sc.Scenario, entity_id: str) -> str:
    return next(i for i in drawn.team_of(entity_id) if i.startswith("HEALTH"))


def _form(drawn: sc.Scenario, entity_id: str, codes: list[str], **extra: str) -> dict[str, object]:
    return {
        "entity_id": entity_id,
        "agency": "HEALTH",
        "inspected_on": "2026-12-01",
        "outcome_codes": codes,
        "inspectors": drawn.team_of(entity_id),
        "items": ["HEALTH-SCH-01"],
        "findings": "饮用水消毒记录不全",
        "action": "submit",
        **extra,
    }


def _post(client, url: str, data: dict[str, object]):  # type: ignore[no-untyped-def]
    return client.post(url, data={**data, "csrf_token": csrf_token(client)})


def _result(db, entity_id: str) -> Result | None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        return s.scalar(select(Result).where(Result.entity_id == entity_id, Result.agency == "HEALTH"))


def test_inspector_enters_their_own_result_and_code_8_asks_for_a_follow_up(drawn, sign_in, db):
    e = drawn.drawn_entities()[0]
    member = _health_member(drawn, e)
    client = sign_in("insp", "inspector", agency="HEALTH", inspector_id=member)
    listing = client.get("/results/entry/").get_data(as_text=True)
    assert e in listing and "未录入" in listing
    url = f"/results/entry/{drawn.task_id}/{e}/HEALTH"
    page = client.get(url).get_data(as_text=True)
    assert "学校卫生监督检查" in page and "发现问题待后续处理" in page  # the items and the outcomes by name

    refused = _post(client, url, _form(drawn, e, ["8"]))
    assert refused.status_code == 200 and "needs a follow-up" in refused.get_data(as_text=True)
    assert _result(db, e) is None
    lonely = _post(client, url, _form(drawn, e, ["1", "5"]))
    assert "must stand alone" in lonely.get_data(as_text=True) and _result(db, e) is None

    _post(
        client, url, _form(drawn, e, ["8"], action="draft", follow_up_kind="correction", follow_up_due_on="2026-12-31")
    )
    saved = _result(db, e)
    assert saved is not None and saved.state == "draft" and saved.items == ["HEALTH-SCH-01"]
    _post(client, url, _form(drawn, e, ["8"], follow_up_kind="correction", follow_up_due_on="2026-12-31"))
    saved = _result(db, e)
    assert saved is not None and saved.state == "entered"


def test_an_inspector_cannot_open_or_post_another_teams_form(drawn, sign_in, db):
    e1 = drawn.drawn_entities()[0]
    others = [e for e in drawn.drawn_entities() if _health_member(drawn, e) != _health_member(drawn, e1)]
    client = sign_in("insp", "inspector", agency="HEALTH", inspector_id=_health_member(drawn, e1))
    url = f"/results/entry/{drawn.task_id}/{others[0]}/HEALTH"
    assert client.get(url).status_code == 403
    assert _post(client, url, _form(drawn, others[0], ["1"])).status_code == 403
    assert _result(db, others[0]) is None


def test_reviewer_returns_with_a_reason_then_approves_the_correction(drawn, sign_in, client, db):
    e = drawn.drawn_entities()[0]
    rid = sc.enter(drawn, e, "HEALTH", "初次录入")
    sign_in("shenhe", "reviewer")
    queue = client.get("/review/").get_data(as_text=True)
    assert rid in queue and "初次录入" in queue
    confirm = client.get(f"/review/{rid}/return")
    assert confirm.status_code == 200 and "退回原因" in confirm.get_data(as_text=True)
    empty = _post(client, f"/review/{rid}/return", {"reason": " "})
    assert "reason" in empty.get_data(as_text=True) and _result(db, e).state == "entered"
    _post(client, f"/review/{rid}/return", {"reason": "检查发现不具体"})
    assert _result(db, e).state == "returned"
    assert rid not in client.get("/review/").get_data(as_text=True)
    assert "检查发现不具体" in client.get("/review/?state=returned").get_data(as_text=True)

    sc.enter(drawn, e, "HEALTH", "饮用水消毒记录缺失三天")
    _post(client, "/review/approve", {"result_ids": [rid]})
    approved = _result(db, e)
    assert approved is not None and approved.state == "approved" and approved.approved_by == "shenhe"


def test_a_liaison_may_not_review(drawn, sign_in, client):
    sign_in("lia", "liaison", agency="HEALTH")
    assert client.get("/review/").status_code == 403


def test_follow_ups_page_lists_overdue_and_closes_a_correction(drawn, sign_in, client, db):
    e = drawn.drawn_entities()[0]
    sign_in("coord", "coordinator")
    _post(
        client,
        f"/results/entry/{drawn.task_id}/{e}/HEALTH",
        _form(drawn, e, ["8"], follow_up_kind="correction", follow_up_due_on="2026-12-02"),
    )
    rid = _result(db, e).result_id
    page = client.get("/review/follow-ups?overdue=1").get_data(as_text=True)
    assert "责令整改" in page and "已逾期" in page
    _post(
        client,
        f"/review/follow-ups/{rid}/close",
        {"kind": "reinspection", "reinspected_on": "2026-12-02", "outcome": "5"},
    )
    assert "没有未办结的后续处理" in client.get("/review/follow-ups").get_data(as_text=True)


def test_dashboard_renders_svg_charts_and_its_files_equal_the_api(drawn, sign_in, client, db, app):
    for e in drawn.drawn_entities()[:2]:
        sc.enter(drawn, e, "HEALTH", "", codes=("5",))
    sc.approve_all(drawn)
    sign_in("coord", "coordinator")
    page = client.get("/stats/?year=2026").get_data(as_text=True)
    assert page.count("<svg") == 8 and "完成率" in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing from another host
    with db.unit_of_work() as s:
        token = create_token(s, "coord")
    api = client.get("/api/v1/stats?year=2026", headers={"Authorization": f"Bearer {token}"}).get_json()
    for name, figure in api["figures"].items():
        body = client.get(f"/stats/{name}.csv?year=2026").get_data().decode("utf-8-sig")
        rows = list(csv.reader(io.StringIO(body)))
        assert rows[0] == figure["headers"], name
        assert rows[1:] == [["" if v is None else str(v) for v in row] for row in figure["rows"]], name
        book = load_workbook(io.BytesIO(client.get(f"/stats/{name}.xlsx?year=2026").get_data()))
        sheet = list(book.active.iter_rows(values_only=True))
        assert [list(r) for r in sheet[1 : 1 + len(figure["rows"])]] == figure["rows"], name
    completion = api["figures"]["completion"]["rows"][0]
    assert completion[1] == 2 and completion[0] == len(drawn.drawn_entities()) * 2


def test_a_liaison_sees_only_their_agencys_figures_and_an_inspector_none(drawn, sign_in, client, db):
    sc.add_person(db, "lia", ["liaison"], agency="SAMR")
    sc.add_person(db, "insp", ["inspector"], agency="HEALTH", inspector_id="HEALTH-001")
    with db.unit_of_work() as s:
        lia, insp = create_token(s, "lia"), create_token(s, "insp")
    own = client.get("/api/v1/stats", headers={"Authorization": f"Bearer {lia}"}).get_json()
    assert own["filters"]["agency"] == "SAMR"
    other = client.get("/api/v1/stats?agency=HEALTH", headers={"Authorization": f"Bearer {lia}"})
    assert other.status_code == 403
    assert client.get("/api/v1/stats", headers={"Authorization": f"Bearer {insp}"}).status_code == 403
    bad = client.get("/api/v1/stats?year=20x6", headers={"Authorization": f"Bearer {lia}"})
    assert bad.status_code == 400 and "year" in bad.get_json()["detail"]


def test_liaison_csv_upload_reports_each_refused_line(drawn, sign_in, client, db):
    e1, e2 = drawn.drawn_entities()[:2]
    sign_in("lia", "liaison", agency="HEALTH")
    body = (
        "entity_id,agency,inspected_on,outcome_codes,inspectors,findings\n"
        f"{e1},HEALTH,2026-12-01,1,{';'.join(drawn.team_of(e1))},\n"
        f"{e2},HEALTH,2026-12-01,1;5,{';'.join(drawn.team_of(e2))},\n"
    ).encode()
    resp = client.post(
        f"/results/entry/{drawn.task_id}/import",
        data={"csrf_token": csrf_token(client), "file": (io.BytesIO(body), "r.csv")},
        content_type="multipart/form-data",
    )
    page = resp.get_data(as_text=True)
    assert "已保存 1 行" in page and "<td>3</td>" in page and "outcome_codes" in page
    assert date(2026, 12, 1) == _result(db, e1).inspected_on


def test_the_api_queues_returns_and_approves_with_the_same_rules(drawn, client, db):
    e = drawn.drawn_entities()[0]
    health, samr = sc.enter(drawn, e, "HEALTH", ""), sc.enter(drawn, e, "SAMR", "")
    sc.add_person(db, "rev-health", ["reviewer"], agency="HEALTH")
    sc.add_person(db, "rev", ["reviewer"])
    with db.unit_of_work() as s:
        mine, anyone = create_token(s, "rev-health"), create_token(s, "rev")
    h_mine, h_any = {"Authorization": f"Bearer {mine}"}, {"Authorization": f"Bearer {anyone}"}
    queue = client.get("/api/v1/review/queue", headers=h_mine).get_json()
    assert [r["result_id"] for r in queue["results"]] == [health] and queue["total"] == 1
    refused = client.post(f"/api/v1/results/{samr}:return", json={"reason": "请核实"}, headers=h_mine)
    assert refused.status_code == 403
    assert client.post(f"/api/v1/results/{samr}:return", json={}, headers=h_any).status_code == 400
    back = client.post(f"/api/v1/results/{samr}:return", json={"reason": "请核实"}, headers=h_any).get_json()
    assert back["state"] == "returned" and back["reason"] == "请核实"
    assert client.post("/api/v1/results:approve", json={"result_ids": [samr]}, headers=h_any).status_code == 404
    done = client.post("/api/v1/results:approve", json={"result_ids": [health]}, headers=h_mine).get_json()
    assert done == {"approved": [health]}


def test_a_new_follow_up_is_added_beside_the_kept_ones(drawn, sign_in, db):
    e = drawn.drawn_entities()[0]
    client = sign_in("coord", "coordinator")
    url = f"/results/entry/{drawn.task_id}/{e}/HEALTH"
    _post(client, url, _form(drawn, e, ["8"], follow_up_kind="correction", follow_up_due_on="2026-12-31"))
    _post(
        client, url, _form(drawn, e, ["8"], follow_up_keep="1", follow_up_kind="transfer", follow_up_to_agency="SAMR")
    )
    with db.unit_of_work() as s:
        kinds = sorted(f.kind for f in s.scalars(select(FollowUp)))
    assert kinds == ["correction", "transfer"]
    _post(client, url, _form(drawn, e, ["5"]))  # neither kept nor added: the unapproved entry's follow-ups go
    with db.unit_of_work() as s:
        assert list(s.scalars(select(FollowUp))) == []
