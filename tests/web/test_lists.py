"""Lists at scale: keyset pages that reach every row, filters and search, counts, a tampered cursor,
and the entity page with its inspections across agencies."""

from __future__ import annotations

import re

import pytest

from hub.auth.principal import Principal
from hub.errors import Forbidden
from hub.outbox.models import OutboxMessage
from hub.paging import decode_cursor
from hub.rosters.models import Entity, QuarantineRecord
from hub.rosters.queries import EntityFilter, entity_list

from .scenario import ENTITIES, add_rosters, approve_all, drawn_task, enter

NEXT = re.compile(r'rel="next" href="([^"]+)"')
PREV = re.compile(r'rel="prev" href="([^"]+)"')


def _add_entities(db, n: int) -> list[str]:  # type: ignore[no-untyped-def]
    ids = [f"91370102MA{i:07d}X" for i in range(n)]
    with db.unit_of_work() as s:
        for i, entity_id in enumerate(ids):
            s.add(
                Entity(
                    entity_id=entity_id,
                    uscc=entity_id,
                    name=f"{'泉城' if i % 3 == 0 else '齐鲁'}酒店{i}号",
                    district="370102" if i % 2 == 0 else "370103",
                    categories=["hotel"] if i % 5 else ["hotel", "catering"],
                    sources=["samr"],
                    active=True,
                )
            )
    return ids


def _walk(client, url: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Every entity id listed, following the "next" links from ``url``."""
    seen: list[str] = []
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r'<a href="/entities/([^"]+)"><code>', html)
        match = NEXT.search(html)
        url = match.group(1).replace("&amp;", "&") if match else ""
    return seen


def test_paging_reaches_every_entity_once(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    ids = _add_entities(db, 23)
    client = sign_in("coord", "coordinator")
    assert _walk(client, "/entities/?limit=5") == sorted(ids)
    first = client.get("/entities/?limit=5").get_data(as_text=True)
    assert "共 23 条" in first and 'rel="prev"' not in first


def test_the_previous_page_is_the_page_before(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    ids = sorted(_add_entities(db, 12))
    client = sign_in("coord", "coordinator")
    second = client.get(
        NEXT.search(client.get("/entities/?limit=5").get_data(as_text=True)).group(1).replace("&amp;", "&")
    )
    back = PREV.search(second.get_data(as_text=True)).group(1).replace("&amp;", "&")
    html = client.get(back).get_data(as_text=True)
    assert re.findall(r'<a href="/entities/([^"]+)"><code>', html) == ids[:5]


def test_entities_are_found_by_name_code_prefix_district_and_category(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    ids = _add_entities(db, 20)
    client = sign_in("coord", "coordinator")
    assert _walk(client, "/entities/?name=泉城") == [ids[i] for i in range(0, 20, 3)]
    assert _walk(client, "/entities/?uscc=91370102ma000001") == [ids[i] for i in range(10, 20)]
    assert _walk(client, "/entities/?district=370103") == [ids[i] for i in range(1, 20, 2)]
    assert _walk(client, "/entities/?category=catering") == [ids[i] for i in range(0, 20, 5)]
    assert _walk(client, "/entities/?name=%25") == []  # a wildcard is searched as itself
    assert "历下区" in client.get("/entities/").get_data(as_text=True)


def test_the_same_filter_through_the_query(db) -> None:  # type: ignore[no-untyped-def]
    ids = _add_entities(db, 10)
    page = entity_list(db, Principal("c", frozenset({"coordinator"})), EntityFilter(district="370102"), None, 3)
    assert [e.entity_id for e in page.rows] == [ids[0], ids[2], ids[4]] and page.total == 5
    assert decode_cursor(page.next_cursor, (str,)).key == (ids[4],)  # type: ignore[union-attr]


def test_a_bad_filter_or_cursor_is_a_clear_400(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    _add_entities(db, 8)
    client = sign_in("coord", "coordinator")
    link = NEXT.search(client.get("/entities/?limit=3").get_data(as_text=True)).group(1).replace("&amp;", "&")
    tampered = client.get(link[:-3] + ("aaa" if not link.endswith("aaa") else "bbb"))
    assert tampered.status_code == 400 and "翻页参数" in tampered.get_data(as_text=True)
    assert client.get("/entities/?uscc=9137-01").status_code == 400
    assert client.get("/entities/?limit=100000").status_code == 400


def test_only_the_roster_readers_list_entities(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    _add_entities(db, 2)
    with pytest.raises(Forbidden):
        entity_list(db, Principal("i", frozenset({"inspector"}), inspector_id="X"), EntityFilter(), None, 10)
    client = sign_in("insp", "inspector", inspector_id="HEALTH-001")
    assert client.get("/entities/").status_code == 403


def test_the_entity_page_shows_inspections_across_agencies(db, settings, sign_in) -> None:  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    entity_id = scenario.drawn_entities()[0]
    enter(scenario, entity_id, "HEALTH", "教室采光不足", codes=("5",))
    enter(scenario, entity_id, "SAMR", "")
    approve_all(scenario)
    html = sign_in("coord", "coordinator").get(f"/entities/{entity_id}").get_data(as_text=True)
    assert "市卫生健康委" in html and "市市场监管局" in html
    assert "5 发现问题经责令已改正" in html and "1 未发现问题" in html
    assert scenario.task_id in html
    # a liaison sees the inspections of their own agency only
    liaison = sign_in("samr", "liaison", agency="SAMR").get(f"/entities/{entity_id}").get_data(as_text=True)
    assert "市市场监管局" in liaison and "5 发现问题经责令已改正" not in liaison
    name = dict((e[0], e[1]) for e in ENTITIES)[entity_id]
    assert name in html


def test_the_quarantine_pages_through_every_record(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for i in range(7):
            s.add(QuarantineRecord(source="samr", record_key=f"K{i:03d}", reason="bad uscc", raw="{}"))
    client = sign_in("coord", "coordinator")
    seen, url = [], "/quarantine?limit=3"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r"<code>(K\d+)</code>", html)
        match = NEXT.search(html)
        url = match.group(1).replace("&amp;", "&") if match else ""
    assert seen == [f"K{i:03d}" for i in reversed(range(7))]
    assert "共 7 条" in client.get("/quarantine?limit=3").get_data(as_text=True)
    assert re.findall(r"<code>(K\d+)</code>", client.get("/quarantine?q=K00").get_data(as_text=True)) == [
        f"K{i:03d}" for i in reversed(range(7))
    ]


def test_tasks_are_listed_by_state_and_search(db, settings, sign_in) -> None:  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    client = sign_in("coord", "coordinator")
    assert scenario.task_id in client.get("/tasks/?state=drawn").get_data(as_text=True)
    assert scenario.task_id not in client.get("/tasks/?state=draft").get_data(as_text=True)
    assert scenario.task_id in client.get("/tasks/?q=JT-2026").get_data(as_text=True)
    assert client.get("/tasks/?state=bogus").status_code == 400


def test_the_outbox_pages_through_every_message(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for i in range(9):
            s.add(OutboxMessage(sink="provincial", kind="task", key=f"T-{i}", payload={}, state="pending"))
    client = sign_in("coord", "coordinator")
    seen, url = [], "/outbox/?limit=4"
    while url:
        html = client.get(url).get_data(as_text=True)
        seen += re.findall(r"<code>(T-\d+)</code>", html)
        match = NEXT.search(html)
        url = match.group(1).replace("&amp;", "&") if match else ""
    assert seen == [f"T-{i}" for i in reversed(range(9))]
    assert "T-1" not in client.get("/outbox/?state=rejected").get_data(as_text=True)


def test_rosters_helper_is_used(db) -> None:  # type: ignore[no-untyped-def]
    add_rosters(db)
    page = entity_list(db, Principal("a", frozenset({"auditor"})), EntityFilter(category="school"), None, 50)
    assert len(page.rows) == len(ENTITIES)


def test_a_count_stops_at_its_cap_and_says_so(db, app) -> None:  # type: ignore[no-untyped-def]
    from flask import render_template_string
    from sqlalchemy import select

    from hub.keyset import capped_count, read_page

    _add_entities(db, 7)
    with db.unit_of_work() as s:
        assert capped_count(s, select(Entity.id), cap=5) == (5, True)
        assert capped_count(s, select(Entity.id), cap=7) == (7, False)
        page = read_page(s, select(Entity), [Entity.entity_id], None, 3, row_key=lambda e: (e.entity_id,), cap=5)
    with app.test_request_context("/entities/?name=x"):
        html = render_template_string('{% from "_macros.html" import pager %}{{ pager(page) }}', page=page)
    assert "超过 5 条" in html and "cursor=" in html and "name=x" in html
