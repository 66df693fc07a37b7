"""The real app on a loopback port, driven by headless Chromium: sign in, read a draw record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.browser.conftest import SCREENSHOTS
from tests.web.scenario import PASSWORD, add_person, drawn_task

pytestmark = pytest.mark.browser


def test_sign_in_through_the_form_shows_the_overview(db, base_url, page):  # type: ignore[no-untyped-def]
    add_person(db, "coord", ["coordinator"])
    page.goto(f"{base_url}/login")
    page.fill("input[name=name]", "coord")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#total-entities")
    assert page.locator("h1").inner_text() == "概览"
    assert "coord（牵头协调人）" in page.locator("nav .who").inner_text()
    page.click("nav >> text=联合抽查任务")
    assert page.locator("h1").inner_text() == "联合抽查任务"


def test_public_task_page_offers_a_record_that_parses(db, settings, base_url, page):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    page.goto(f"{base_url}/public/tasks/{scenario.task_id}")
    assert page.locator("#task-state").inner_text() == "已抽取"
    assert page.locator("#selections tbody tr").count() == len(scenario.drawn_entities())
    page.screenshot(path=str(SCREENSHOTS / "hub-public-task.png"), full_page=True)
    with page.expect_download() as download:
        page.click("#record-link")
    record = json.loads(Path(download.value.path()).read_text("utf-8"))
    assert record["protocol"] == "JDP-2"
    assert [s["entity_id"] for s in record["selections"]] == scenario.drawn_entities()
    assert page.locator("#seed").inner_text() == record["seed"]


def test_coordinator_follows_the_task_to_its_assignments(db, settings, base_url, page):  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    add_person(db, "coord", ["coordinator"])
    page.goto(f"{base_url}/login?next=/tasks/{scenario.task_id}")
    page.fill("input[name=name]", "coord")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#assignments")
    assert page.locator("#assignments tr.assignment").count() == len(scenario.drawn_entities())
    page.screenshot(path=str(SCREENSHOTS / "hub-task-detail.png"), full_page=True)
