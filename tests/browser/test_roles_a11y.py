"""Each role sees only its part (navigation and direct URLs), and the main staff pages pass axe-core
(no serious or critical violation). axe comes from the axe-playwright-python package (bundled
axe.min.js): nothing is fetched at test time."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from tests.web.scenario import PASSWORD, add_person, approve_all, drawn_task, enter

pytestmark = pytest.mark.browser

PEOPLE = {  # name: (roles, agency, inspector_id)
    "coord": (["coordinator"], None, None),
    "liaison": (["liaison"], "HEALTH", None),
    "inspector": (["inspector"], None, "HEALTH-001"),
    "reviewer": (["reviewer"], None, None),
    "auditor": (["auditor"], None, None),
    "root": (["admin"], None, None),
}
STAFF_NAV = {
    "/",
    "/plans/",
    "/tasks/",
    "/results/",
    "/results/entry/",
    "/review/follow-ups",
    "/stats/",
    "/entities/",
    "/quarantine",
    "/outbox/",
    "/public/",
}
NAV = {  # what each role's navigation offers
    "coord": STAFF_NAV,
    "liaison": STAFF_NAV,
    "inspector": {"/", "/tasks/", "/results/entry/", "/review/follow-ups", "/public/"},
    "reviewer": {
        "/",
        "/plans/",
        "/tasks/",
        "/results/",
        "/review/",
        "/review/follow-ups",
        "/stats/",
        "/entities/",
        "/outbox/",
        "/public/",
    },
    "auditor": {
        "/",
        "/plans/",
        "/tasks/",
        "/results/",
        "/review/follow-ups",
        "/stats/",
        "/entities/",
        "/quarantine",
        "/outbox/",
        "/public/",
    },
    "root": {
        "/",
        "/plans/",
        "/tasks/",
        "/results/",
        "/results/entry/",
        "/review/",
        "/review/follow-ups",
        "/stats/",
        "/entities/",
        "/quarantine",
        "/outbox/",
        "/admin/",
        "/public/",
    },
}
STAFF_PAGES = ("/tasks/", "/results/", "/entities/", "/quarantine", "/outbox/", "/admin/", "/admin/users")


def _sign_in(tab, url: str, name: str) -> None:  # type: ignore[no-untyped-def]
    tab.context.clear_cookies()
    tab.goto(f"{url}/login")
    tab.fill("input[name=name]", name)
    tab.fill("input[name=password]", PASSWORD)
    tab.click("main button[type=submit]")
    tab.wait_for_selector("h1")


def _nav(tab) -> set[str]:  # type: ignore[no-untyped-def]
    hrefs = tab.eval_on_selector_all("header nav a[href]", "els => els.map(e => e.getAttribute('href'))")
    return {h for h in hrefs if "lang=" not in h and h != "/account/password"}


def test_each_role_sees_only_its_part(db, settings, base_url, page) -> None:  # type: ignore[no-untyped-def]
    drawn_task(db, settings)
    for name, (roles, agency, inspector_id) in PEOPLE.items():
        add_person(db, name, roles, agency=agency, inspector_id=inspector_id)
    for name in PEOPLE:
        _sign_in(page, base_url, name)
        assert _nav(page) == NAV[name], name
        for url in STAFF_PAGES:
            response = page.goto(f"{base_url}{url}")
            allowed = url in NAV[name] or (url.startswith("/admin/") and "/admin/" in NAV[name])
            assert response.status == (200 if allowed else 403), (name, url, response.status)
    page.context.clear_cookies()
    for url in STAFF_PAGES:  # signed out: the sign-in form, and back afterwards
        page.goto(f"{base_url}{url}")
        assert urlsplit(page.url).path == "/login", url


def _serious(tab) -> list[str]:  # type: ignore[no-untyped-def]
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(tab)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"]
        if v.get("impact") in ("serious", "critical")
    ]


def test_main_pages_have_no_serious_accessibility_violation(db, settings, base_url, page) -> None:  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    entity_id = scenario.drawn_entities()[0]
    enter(scenario, entity_id, "HEALTH", "教室采光不足", codes=("5",))
    approve_all(scenario)
    add_person(db, "root", ["admin"])
    pages = [
        "/login",
        "/public/",
        f"/public/tasks/{scenario.task_id}",
    ]
    found: dict[str, list[str]] = {}
    for url in pages:
        page.goto(f"{base_url}{url}")
        found[url] = _serious(page)
    _sign_in(page, base_url, "root")
    for url in (
        "/",
        "/tasks/",
        f"/tasks/{scenario.task_id}",
        f"/tasks/{scenario.task_id}/documents",
        "/results/",
        "/entities/",
        f"/entities/{entity_id}",
        "/quarantine",
        "/outbox/",
        "/admin/",
        "/admin/users",
        "/admin/users/root",
        "/admin/users/new",
        "/admin/calendar?year=2026",
        "/admin/sources",
        "/admin/sinks",
        "/?lang=en",
    ):
        page.goto(f"{base_url}{url}")
        found[url] = _serious(page)
    assert {url: v for url, v in found.items() if v} == {}


def test_the_accessibility_check_finds_a_real_violation(page) -> None:  # type: ignore[no-untyped-def]
    """The check above can fail: a form field without a label is a critical violation."""
    page.set_content(
        '<html lang="zh-CN"><head><title>t</title></head><body><main><input name="x"></main></body></html>'
    )
    assert any(v.startswith("label ") for v in _serious(page))
