"""The real app on a loopback port, driven by headless Chromium: sign in, read a draw record."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tests.web.scenario import PASSWORD, add_person, drawn_task

pytestmark = pytest.mark.browser
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path("/tmp")


@pytest.fixture
def base_url(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture
def page():  # type: ignore[no-untyped-def]
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
        try:
            yield context.new_page()
        finally:
            context.close()
            browser.close()


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
