"""The public portal through its pages and twins: notices, search, enterprise history, feeds, yearly
downloads, deliveries, masking; and the crowd rules: cacheable, sessionless, read-only."""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from lxml import etree

from hub import create_app
from hub.items.services import import_items
from hub.portal.result_queries import search_results
from hub.portal.search import parse_search
from hub.results.models import Result
from hub.tasks import services as lifecycle

from .portal_factory import TASK_ID, add_published, expected, sql, uscc
from .scenario import (
    ACTOR,
    ENTITIES,
    LEGAL_REP,
    PHONE,
    add_rosters,
    approve_all,
    drawn_task,
    enter,
    frozen_task,
    task_spec,
)

INDIVIDUAL = next(e for e in ENTITIES if e[2] == "individual")


def _codes(client: Any, url: str) -> set[str]:
    answer = client.get(url)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return {r["uscc"] for r in answer.json["rows"]}


# ------------------------------------------------------------------ search


@pytest.mark.parametrize(
    ("args", "where"),
    [
        ("name=泉城大酒店", {"name": "泉城大酒店"}),
        ("name=酒店", {"name": "酒店"}),  # two characters: scanned, not indexed
        ("name=宾", {"name": "宾"}),
        ("code=913701", {}),
        (f"code={uscc(6)[:17]}", {"name": "宾馆6号店"}),
        ("district=370103", {"district": "370103"}),
        ("agency=SAMR", {"agency": "SAMR"}),
        ("year=2026", {"year": 2026}),
        ("outcome=5", {"outcome": "5"}),
        ("name=酒店&district=370102&year=2025", {"name": "酒店", "district": "370102", "year": 2025}),
        ("agency=HEALTH&outcome=1", {"agency": "HEALTH", "outcome": "1"}),
        ("name=不存在的名字", {"name": "不存在的名字"}),
    ],
)
@pytest.mark.parametrize("few", [2000, 3, 0])  # entities first (all, or some names), or the results walked newest first
def test_search_finds_exactly_the_matching_published_results(db, client, args, where, few, monkeypatch):  # type: ignore[no-untyped-def]
    from hub.portal import result_queries

    monkeypatch.setattr(result_queries, "FEW_ENTITIES", few)
    add_published(db)
    assert _codes(client, f"/public/results.json?{args}") == expected(**where)


def test_search_pages_by_keyset_without_gaps_or_repeats(db):  # type: ignore[no-untyped-def]
    add_published(db, n=40)
    seen: list[str] = []
    after = None
    while True:
        page = search_results(db, parse_search({"after": str(after)} if after else {}, limit=7))
        seen += [r["uscc"] for r in page.rows]
        assert len(page.rows) <= 7
        if page.after is None:
            break
        after = page.after
    assert len(seen) == len(set(seen)) and set(seen) == expected(n=40)


def test_the_search_page_links_its_next_page_and_its_twins(db, client):  # type: ignore[no-untyped-def]
    add_published(db, n=60)
    html = client.get("/public/results/?district=370102").get_data(as_text=True)
    link = re.search(r'id="next-page" href="([^"]+)"', html)
    assert link, "a full page links the next"
    second = client.get(link.group(1).replace("&amp;", "&")).get_data(as_text=True)
    first_rows = set(re.findall(r"<code>(91370\w+)</code>", html))
    second_rows = set(re.findall(r"<code>(91370\w+)</code>", second))
    assert first_rows and second_rows and not first_rows & second_rows
    assert first_rows | second_rows == expected(n=60, district="370102")
    assert 'href="/public/results.csv?district=370102"' in html


def test_bad_search_input_is_refused_naming_the_field(db, client):  # type: ignore[no-untyped-def]
    answer = client.get("/public/results/?year=20x6")
    assert answer.status_code == 400 and "year" in answer.get_data(as_text=True)
    assert client.get("/public/results.json?after=1%3B%20DROP").status_code == 400


def test_an_individual_business_is_not_found_by_its_operators_name(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    enter(scenario, INDIVIDUAL[0], "HEALTH", f"负责人{LEGAL_REP}未到场，电话{PHONE}", codes=("5",))
    approve_all(scenario)
    assert client.get(f"/public/results.json?name={LEGAL_REP}").json["rows"] == []
    assert client.get(f"/public/results.json?name={LEGAL_REP[:2]}").json["rows"] == []
    rows = client.get("/public/results.json?name=托管班").json["rows"]
    assert [r["entity_name"] for r in rows] == ["王**托管班"]
    assert LEGAL_REP not in json.dumps(rows, ensure_ascii=False) and PHONE not in json.dumps(rows)


# ------------------------------------------------------------------ an enterprise's history


def test_an_enterprise_page_shows_every_published_result_about_it(db, client):  # type: ignore[no-untyped-def]
    add_published(db)
    code = uscc(0)
    with db.unit_of_work() as s:  # a second, later result about the same entity; and one not yet approved
        first = s.query(Result).filter(Result.entity_id == code).one()
        for n, state in ((1, "approved"), (2, "entered")):
            s.add(
                Result(
                    result_id=f"EXTRA-{n}",
                    task_id=TASK_ID,
                    entity_id=code,
                    agency=f"EDU{n}",
                    inspected_on=first.inspected_on,
                    outcome_codes=["1"],
                    inspectors=[],
                    items=[],
                    findings="",
                    state=state,
                    entered_by="t",
                    approved_at=first.approved_at,
                    published_on=first.published_on,
                )
            )
    html = client.get(f"/public/entities/{code}").get_data(as_text=True)
    assert 'id="entity-name">济南泉城大酒店0号店<' in html
    rows = client.get(f"/public/entities/{code}.json").json["rows"]
    assert [r["result_id"] for r in rows] == ["EXTRA-1", f"{TASK_ID}-R0000"]
    assert "赵0明" not in html and "13912345678" not in html and "赵** " not in html
    assert "139****5678" in html


def test_an_entity_without_a_published_result_has_no_page(db, client):  # type: ignore[no-untyped-def]
    add_published(db)
    assert client.get(f"/public/entities/{uscc(4)}").status_code == 404  # its only result is not approved
    assert client.get("/public/entities/91370102MA0000000X").status_code == 404


# ------------------------------------------------------------------ the notices


def test_an_item_notice_shows_every_published_column_with_its_twins(db, client):  # type: ignore[no-untyped-def]
    import_items(
        db,
        [
            {
                "agency": "HEALTH",
                "code": "HEALTH-HOTEL-01",
                "name": "住宿场所卫生检查",
                "legal_basis": "《公共场所卫生管理条例》",
                "subject": "住宿场所",
                "method": "现场检查",
                "sub_items": "卫生许可；从业人员健康",
                "ratio": "不低于5%",
                "frequency": "每年1次",
                "inspector_requirements": "持执法证2人以上",
                "notes": "与SAMR联合",
            }
        ],
        ACTOR,
    )
    html = client.get("/public/items/HEALTH").get_data(as_text=True)
    for shown in (
        "住宿场所卫生检查",
        "《公共场所卫生管理条例》",
        "不低于5%",
        "每年1次",
        "持执法证2人以上",
        "卫生许可；从业人员健康",
    ):
        assert shown in html
    row = client.get("/public/items/HEALTH.json").json["rows"][0]
    assert row["ratio"] == "不低于5%" and row["frequency"] == "每年1次" and row["authority"] == "济南市卫生健康委员会"
    table = client.get("/public/items/HEALTH.csv").get_data(as_text=True).lstrip("\ufeff")
    assert next(csv.DictReader(io.StringIO(table)))["frequency"] == "每年1次"
    assert client.get("/public/items/NOBODY").status_code == 404


def test_a_task_notice_before_the_draw_shows_the_task_and_the_commitments(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = frozen_task(db, settings)
    html = client.get(f"/public/tasks/{scenario.task_id}").get_data(as_text=True)
    for shown in ("学校卫生监督检查", "学校食堂食品安全检查", "2026年12月1日至2026年12月31日", 'id="quotas"', "已冻结"):
        assert shown in html, shown
    notice = client.get(f"/public/tasks/{scenario.task_id}.json").json["notice"]
    assert notice["items"] == {"HEALTH": ["HEALTH-SCH-01"], "SAMR": ["SAMR-FOOD-01"]}
    assert notice["quotas"] and set(notice["commitments"]) >= {"HEALTH", "SAMR"}
    assert notice["window"] == ["2026-12-01", "2026-12-31"] and "record" not in notice
    listed = client.get("/public/tasks.json").json["rows"]
    assert [t["task_id"] for t in listed] == [scenario.task_id]


def test_a_draft_task_has_no_notice_anywhere(db, settings, client):  # type: ignore[no-untyped-def]
    add_rosters(db)
    lifecycle.create_task(db, settings, task_spec("JT-2026-0201"), ACTOR)
    assert client.get("/public/tasks/JT-2026-0201.json").status_code == 404
    for url in ("/public/tasks/", "/public/tasks.json", "/public/tasks.csv", "/public/feeds/HEALTH.atom"):
        assert "JT-2026-0201" not in client.get(url).get_data(as_text=True), url


def test_a_result_notice_shows_outcomes_in_words_and_only_approved_results(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    school = next(e for e in scenario.drawn_entities() if e != INDIVIDUAL[0])
    enter(scenario, school, "HEALTH", "饮用水消毒记录不全", codes=("2", "5"))
    approve_all(scenario)
    enter(scenario, school, "SAMR", "NOT-YET-APPROVED")
    html = client.get(f"/public/tasks/{scenario.task_id}/results").get_data(as_text=True)
    assert "未按规定公示应当公示的信息（2）" in html and "发现问题经责令已改正（5）" in html
    assert "2026-12-21" in html  # the publication date
    assert "NOT-YET-APPROVED" not in html
    table = client.get(f"/public/tasks/{scenario.task_id}/results.csv").get_data(as_text=True).lstrip("\ufeff")
    rows = list(csv.DictReader(io.StringIO(table)))
    assert [(r["entity_id"], r["outcome_codes"], r["published_on"]) for r in rows] == [(school, "2;5", "2026-12-21")]


# ------------------------------------------------------------------ feeds and open data


def test_an_agencys_feed_lists_its_notices_and_each_link_opens(db, settings, client):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    enter(scenario, scenario.drawn_entities()[0], "HEALTH", "", codes=("1",))
    approve_all(scenario)
    answer = client.get("/public/feeds/HEALTH.atom")
    assert answer.mimetype == "application/atom+xml"
    root = etree.fromstring(answer.data)
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert titles[0] == f"抽查结果公告：{task_spec('x')['title']}"
    assert f"抽查任务公告：{task_spec('x')['title']}" in titles and "抽查事项清单更新：济南市卫生健康委员会" in titles
    for link in root.iterfind("a:entry/a:link", ns):
        assert client.get(link.get("href").replace("http://localhost", "")).status_code == 200
    samr = etree.fromstring(client.get("/public/feeds/SAMR.atom").data)
    assert not any("抽查结果公告" in (e.findtext("a:title", namespaces=ns) or "") for e in samr.findall("a:entry", ns))


def test_a_years_download_streams_every_published_result_of_that_year(db, client):  # type: ignore[no-untyped-def]
    add_published(db, n=30)
    answer = client.get("/public/data/results-2025.csv")
    assert answer.is_streamed and "attachment" in answer.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True).lstrip("\ufeff"))))
    assert {r["uscc"] for r in rows} == expected(n=30, year=2025)
    assert all("赵" not in r["findings"] or "**" in r["findings"] for r in rows)
    lines = client.get("/public/data/results-2026.jsonl").get_data(as_text=True).splitlines()
    assert {json.loads(line)["uscc"] for line in lines} == expected(n=30, year=2026)
    assert client.get("/public/data/results-2019.csv").status_code == 404
    assert client.get("/public/data/results-2026.xlsx").status_code == 404


# ------------------------------------------------------------------ deliveries


@pytest.fixture
def delivering(make_settings) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    from connectors.sandboxes.sinks import start_sinks
    from tests.integration.outbox_factory import APP_ID, SECRET, sink_settings

    servers = start_sinks(APP_ID, SECRET)
    yield sink_settings(make_settings, servers)
    for server in servers.values():
        server.stop()


def test_notices_show_when_the_provincial_platform_took_them(delivering):  # type: ignore[no-untyped-def]
    from hub.db import init_db
    from hub.outbox.delivery import drain

    settings = delivering
    db = init_db(settings.database_url)
    app = create_app(settings)
    scenario = drawn_task(db, settings)
    enter(scenario, scenario.drawn_entities()[0], "HEALTH", "", codes=("1",))
    approve_all(scenario)
    drain(db, settings, respect_backoff=False)
    client = app.test_client()
    task_page = client.get(f"/public/tasks/{scenario.task_id}").get_data(as_text=True)
    assert re.search(r"任务已于 <time[^>]*>\d{4}-\d\d-\d\d \d\d:\d\d</time> 报送省联合监管平台", task_page)
    assert re.search(r"抽取记录已于 <time[^>]*>[^<]+</time> 报送省联合监管平台", task_page)
    results_page = client.get(f"/public/tasks/{scenario.task_id}/results").get_data(as_text=True)
    assert "报送省联合监管平台" in results_page
    assert "国家企业信用信息公示系统" not in results_page  # a school without a credit code goes to the province only


# ------------------------------------------------------------------ built for a crowd

PAGES = (
    "/public/",
    "/public/items/",
    "/public/items/HEALTH",
    "/public/items/HEALTH.json",
    "/public/tasks/",
    "/public/tasks.csv",
    "/public/tasks/{task}",
    "/public/tasks/{task}.json",
    "/public/tasks/{task}/results",
    "/public/results/?name=实验小学",
    "/public/results.json?agency=HEALTH",
    "/public/entities/{entity}",
    "/public/feeds/HEALTH.atom",
    "/public/data/",
    "/public/data/results-2026.csv",
    "/public/masking",
    "/public/verify",
    "/public/plans/",
)


def _published_scenario(db: Any, settings: Any) -> dict[str, str]:
    scenario = drawn_task(db, settings)
    school = next(e for e in scenario.drawn_entities() if e != INDIVIDUAL[0])
    enter(scenario, school, "HEALTH", "", codes=("1",))
    approve_all(scenario)
    return {"task": scenario.task_id, "entity": school}


def test_public_pages_are_cacheable_and_never_set_a_cookie(db, settings, client, sign_in):  # type: ignore[no-untyped-def]
    ids = _published_scenario(db, settings)
    anonymous = {url: client.get(url.format(**ids)) for url in PAGES}
    sign_in("coord", "coordinator")  # the client now sends a session cookie
    for url in PAGES:
        answer = client.get(url.format(**ids))
        streamed = answer.is_streamed  # a yearly download: no ETag (read before the body is)
        assert answer.status_code == 200, url
        assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", ""), url
        assert answer.headers["Cache-Control"].startswith("public, max-age="), url
        assert answer.get_data() == anonymous[url].get_data(), f"{url} differs for a signed-in reader"
        if streamed:
            continue
        etag = answer.headers["ETag"]
        again = client.get(url.format(**ids), headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.get_data() == b"", url
    page = client.get(f"/public/tasks/{ids['task']}")
    since = client.get(f"/public/tasks/{ids['task']}", headers={"If-Modified-Since": page.headers["Last-Modified"]})
    assert since.status_code == 304


def test_public_pages_never_write_to_the_database(db, settings, app, client):  # type: ignore[no-untyped-def]
    ids = _published_scenario(db, settings)
    with sql(app) as statements:
        for url in PAGES:
            assert client.get(url.format(**ids)).status_code == 200, url
    assert statements, "the pages read the database"
    writes = [s for s in statements if not re.match(r"\s*(SELECT|WITH)\b", s, re.IGNORECASE)]
    assert writes == []


def test_the_masking_rule_is_published_with_the_inspector_policy(make_settings, db):  # type: ignore[no-untyped-def]
    app = create_app(make_settings({"portal": {"inspector_names": "hidden"}}))
    html = app.test_client().get("/public/masking").get_data(as_text=True)
    assert "王**托管班" in html and "139****5678" in html and "370102********1234" in html
    assert 'id="inspector-policy">本平台对检查人员姓名的设置：<b>不显示</b>' in html


def test_annual_plans_are_published_once_approved(db, client):  # type: ignore[no-untyped-def]
    from datetime import datetime

    from hub.plans.models import AnnualPlan, PlanEntry

    with db.unit_of_work() as s:
        for plan_id, lead, state in (("AP-2026-HEALTH", "HEALTH", "approved"), ("AP-2026-SAMR", "SAMR", "draft")):
            s.add(
                AnnualPlan(
                    id=plan_id,
                    year=2026,
                    lead=lead,
                    title=f"2026年度{lead}随机抽查计划",
                    state=state,
                    created_by="t",
                    edited_by="t",
                    approved_at=datetime(2026, 1, 20, 2, 0),
                )
            )
            s.flush()
            s.add(
                PlanEntry(
                    id=f"{plan_id}-01",
                    plan_id=plan_id,
                    position=1,
                    title="住宿场所卫生",
                    agencies=["HEALTH", "SAMR"],
                    items={"HEALTH": ["HEALTH-HOTEL-01"]},
                    population={"categories": ["hotel"]},
                    ratio="0.05",
                    months=[3, 4],
                )
            )
    html = client.get("/public/plans/").get_data(as_text=True)
    assert "2026年度HEALTH随机抽查计划" in html and "住宿场所卫生" in html and "3、4 月" in html
    assert "SAMR随机抽查计划" not in html  # a draft is not public
    assert [r["plan_id"] for r in client.get("/public/plans.json").json["rows"]] == ["AP-2026-HEALTH"]
    table = client.get("/public/plans.csv").get_data(as_text=True).lstrip("\ufeff")
    row = next(csv.DictReader(io.StringIO(table)))
    assert (row["plan_id"], row["entry_id"], row["months"], row["ratio"]) == (
        "AP-2026-HEALTH",
        "AP-2026-HEALTH-01",
        "3;4",
        "0.05",
    )


def test_a_correction_is_shown_as_such_beside_the_result_it_replaces(db, client):  # type: ignore[no-untyped-def]
    add_published(db)
    code = uscc(0)
    with db.unit_of_work() as s:
        old = s.query(Result).filter(Result.entity_id == code).one()
        old.superseded = True
        s.add(
            Result(
                result_id=f"{old.result_id}-v2",
                task_id=TASK_ID,
                entity_id=code,
                agency=old.agency,
                inspected_on=old.inspected_on,
                outcome_codes=["1"],
                inspectors=[],
                items=[],
                findings="复查合格",
                state="approved",
                entered_by="t",
                approved_at=old.approved_at,
                published_on=old.published_on,
                revision=2,
                amends=old.result_id,
            )
        )
    html = client.get(f"/public/entities/{code}").get_data(as_text=True)
    assert f"更正：替代 <code>{TASK_ID}-R0000</code>" in html and "已被更正" in html
    rows = client.get(f"/public/entities/{code}.json").json["rows"]
    assert [(r["result_id"], r["amends"], r["superseded"]) for r in rows] == [
        (f"{TASK_ID}-R0000-v2", f"{TASK_ID}-R0000", False),
        (f"{TASK_ID}-R0000", None, True),
    ]


def test_a_tasks_results_json_is_read_a_chunk_at_a_time_and_says_the_same(db, client, monkeypatch):  # type: ignore[no-untyped-def]
    from hub.results import export
    from hub.results.queries import published_results_of
    from hub.web.public import _iso

    add_published(db, n=30)
    whole = [{k: v for k, v in r.items() if k != "delivery"} for r in published_results_of(db, TASK_ID)]
    expected_body = json.dumps(whole, ensure_ascii=False, indent=1, default=_iso)
    chunks: list[int] = []
    real = export._published_rows

    def counted(s, results):  # type: ignore[no-untyped-def]
        chunks.append(len(results))
        return real(s, results)

    monkeypatch.setattr(export, "CHUNK", 7)
    monkeypatch.setattr(export, "_published_rows", counted)
    answer = client.get(f"/public/tasks/{TASK_ID}/results.json")
    assert answer.status_code == 200 and answer.get_data(as_text=True) == expected_body
    assert len(whole) == 24 and chunks == [7, 7, 7, 3]
    assert client.get("/public/tasks/JT-NOPE-1/results.json").status_code == 404


def test_row_links_are_what_url_for_builds(app) -> None:  # type: ignore[no-untyped-def]
    """link_for (hub.web.filters): one url_for per table, then the rule's converter per row: the same URLs."""
    from flask import url_for

    from hub.web.filters import link_for

    values = ["913701020000007919", "JT-2026-0001", "中文 名称", "a b/c?d#e%f&g=h", "+;@!$'()*,:=", "ü"]
    for script_root in ("", "/hub"):
        with app.test_request_context("/public/results/?name=x", base_url=f"http://localhost{script_root}"):
            for endpoint, name in (("portal.entity", "entity_id"), ("public.task", "task_id")):
                link = link_for(endpoint, name)
                for value in values:
                    assert link(value) == url_for(endpoint, **{name: value}), (script_root, endpoint, value)
            assert link_for("portal.entity", "entity_id")("X").startswith(f"{script_root}/public/entities/")
