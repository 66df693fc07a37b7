"""The public portal in headless Chromium at phone width: search by name and by credit-code prefix, open
an enterprise's history, no serious accessibility violation (axe-core), a 360 px screenshot."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.browser.conftest import SCREENSHOTS, new_page
from tests.web.portal_factory import add_published, expected, uscc
from tests.web.scenario import approve_all, drawn_task, enter

pytestmark = pytest.mark.browser
PHONE = {"width": 360, "height": 740}


@pytest.fixture
def portal_url(base_url: str) -> str:
    return base_url


def _phone(javascript: bool) -> Iterator[Any]:
    with new_page(viewport=PHONE, java_script_enabled=javascript, locale="zh-CN") as tab:
        tab.context.set_default_timeout(30_000)
        yield tab


@pytest.fixture
def phone() -> Iterator[Any]:
    """A page 360 px wide, with JavaScript off: the portal must work without it."""
    yield from _phone(javascript=False)


@pytest.fixture
def checked_phone() -> Iterator[Any]:
    """A page 360 px wide where axe-core (itself JavaScript) can run."""
    yield from _phone(javascript=True)


def _serious(page: Any) -> list[str]:
    """axe-core's serious and critical violations on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [
        f"{v['id']}: {v['help']} ({len(v['nodes'])})"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_search_by_name_and_code_then_open_a_history(db, settings, portal_url, phone):  # type: ignore[no-untyped-def]
    add_published(db, n=20)
    scenario = drawn_task(db, settings)
    enter(scenario, scenario.drawn_entities()[0], "HEALTH", "", codes=("1",))
    approve_all(scenario)

    phone.goto(f"{portal_url}/public/")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    phone.fill("#q-name", "泉城大酒店")
    phone.click("form.search button[type=submit]")
    phone.wait_for_selector("#found")
    names = phone.locator("#found tbody td:first-child a").all_inner_texts()
    assert names and all("泉城大酒店" in n for n in names)
    assert len(names) == len(expected(name="泉城大酒店"))
    phone.screenshot(path=str(SCREENSHOTS / "portal-360.png"), full_page=True)

    phone.goto(f"{portal_url}/public/results/")
    phone.fill("#q-code", uscc(6)[:17].lower())
    phone.click("form.search button[type=submit]")
    codes = phone.locator("#found tbody code").all_inner_texts()
    assert codes == [uscc(6)]
    phone.click("#found tbody td:first-child a")
    phone.wait_for_selector("#history")
    assert "宾馆6号店" in phone.locator("#entity-name").inner_text()
    assert phone.locator("#history tbody tr").count() == 1


def test_the_portal_has_no_serious_accessibility_violation(db, settings, portal_url, checked_phone):  # type: ignore[no-untyped-def]
    add_published(db, n=20)
    scenario = drawn_task(db, settings)
    enter(scenario, scenario.drawn_entities()[0], "HEALTH", "", codes=("5",))
    approve_all(scenario)
    pages = [
        "/public/",
        "/public/items/",
        "/public/items/HEALTH",
        "/public/tasks/",
        f"/public/tasks/{scenario.task_id}",
        f"/public/tasks/{scenario.task_id}/results",
        "/public/results/?name=酒店",
        f"/public/entities/{uscc(0)}",
        "/public/data/",
        "/public/masking",
        "/public/verify",
    ]
    found = {}
    for path in pages:
        checked_phone.goto(portal_url + path)
        width = checked_phone.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"], f"{path} is {width} px wide at 360 px: wide tables must scroll inside"
        problems = _serious(checked_phone)
        if problems:
            found[path] = problems
    assert found == {}
