"""Issue 15's "Done when", walked in Chromium with no CLI step: the coordinator creates a plan, a
reviewer approves it, the coordinator creates a task from its entry (an SM3 task: the page's own SM3
makes the commitments), each liaison commits and reveals in the browser with the secret file it kept,
the coordinator freezes and draws through the confirm pages and sees the progress, then prints the
notices."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub.tasks.queries import task_parties
from tests.web.scenario import AGENCIES, PASSWORD, add_person, add_rosters

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.browser
ENTROPY_SOURCE = "福彩3D 2026-11-30 开奖号码"


def signed_in(browser, base_url: str, name: str):  # type: ignore[no-untyped-def]
    """A fresh browser session (its own cookies) signed in as ``name`` through the form."""
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"{base_url}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.js_errors = errors  # type: ignore[attr-defined]  # checked at the end of the walk
    return page


def test_the_procedure_in_the_browser(db, settings, base_url, browser, tmp_path: Path):  # type: ignore[no-untyped-def]
    add_rosters(db)
    add_person(db, "coord", ["coordinator"], agency="HEALTH")
    add_person(db, "deputy", ["reviewer"], agency="HEALTH")
    for agency in AGENCIES:
        add_person(db, f"liaison-{agency}", ["liaison"], agency=agency)

    # --- the coordinator drafts the annual plan with one entry -------------------------------
    coord = signed_in(browser, base_url, "coord")
    coord.goto(f"{base_url}/plans/")
    coord.select_option("#plan-create-form select[name=lead]", "HEALTH")
    coord.fill("#plan-create-form input[name=year]", "2026")
    coord.fill("#plan-create-form input[name=title]", "2026年度卫生健康联合抽查计划")
    coord.click("#plan-create-form button[type=submit]")
    coord.wait_for_selector("#entry-form")
    coord.fill("#entry-form input[name=title]", "学校卫生与食品安全联合抽查")
    coord.check("#entry-form input[name=agencies][value=SAMR]")
    coord.check("#entry-form input[name=items][value='HEALTH:HEALTH-SCH-01']")
    coord.check("#entry-form input[name=items][value='SAMR:SAMR-FOOD-01']")
    coord.fill("#entry-form input[name=categories]", "school")
    coord.fill("#entry-form input[name=ratio]", "0.5")
    coord.check("#entry-form input[name=months][value='12']")
    coord.click("#entry-form button[type=submit]")
    coord.wait_for_selector("tr.plan-entry")
    assert coord.locator("#plan-state").inner_text() == "草稿"

    # --- the deputy head approves it ------------------------------------------------------------
    deputy = signed_in(browser, base_url, "deputy")
    deputy.goto(f"{base_url}/plans/AP-2026-HEALTH")
    deputy.click("#approve-form button")
    deputy.wait_for_selector("#plan-state")
    assert deputy.locator("#plan-state").inner_text() == "已批准"

    # --- a task from the entry, through the form: live count, preview, save --------------------
    coord.goto(f"{base_url}/plans/AP-2026-HEALTH")
    coord.click("a.new-task")
    coord.wait_for_selector("#task-form")
    assert coord.input_value("input[name=window_start]") == "2026-12-01"
    expect(coord.locator("#population-count")).to_contain_text("4 家")  # (no page-side eval: the CSP forbids it)
    coord.fill("input[name=entropy_source]", ENTROPY_SOURCE)
    coord.select_option("select[name=hash]", "sm3")
    coord.fill("input[name=team-1-expertise]", "school")
    coord.click("#preview-button")
    coord.wait_for_selector("#preview")
    assert coord.locator("#preview-roster").inner_text() == "4"
    assert "可行" in coord.locator("#preview-feasibility").inner_text()
    coord.click("#save-button")
    coord.wait_for_selector("#task-state")
    task_url = coord.url
    task_id = task_url.rstrip("/").rsplit("/", 1)[-1]
    assert coord.locator("#task-state").inner_text() == "草稿"
    assert coord.locator("#task-steps tr[data-who=HEALTH][data-action=commit]").count() == 1

    # --- each liaison commits: the secret is made here, kept as a file; only the commitment is sent
    secret_files: dict[str, Path] = {}
    liaisons = {agency: signed_in(browser, base_url, f"liaison-{agency}") for agency in AGENCIES}
    for agency, page in liaisons.items():
        page.goto(task_url)
        form = f"#commit-form-{agency}"
        assert page.locator(f"{form} button[type=submit]").is_disabled()
        page.click(f"{form} .make-secret")
        page.wait_for_selector(f"{form} .secret-download:not([hidden])")
        with page.expect_download() as download:
            page.click(f"{form} .secret-download")
        secret_files[agency] = tmp_path / f"{agency}.secret"
        download.value.save_as(secret_files[agency])
        page.click(f"{form} button[type=submit]")
        page.wait_for_selector(".flash")
    held = {p.party: p for p in task_parties(db, task_id)}
    for agency in AGENCIES:
        assert held[agency].commitment and not held[agency].secret_hex  # the hub holds no secret before the reveal

    # --- the coordinator freezes through the confirm page ---------------------------------------
    coord.goto(task_url)
    coord.click("#freeze-form button")
    coord.wait_for_selector("#confirm-form")
    coord.click("#confirm-button")
    coord.wait_for_selector("#task-state")
    assert coord.locator("#task-state").inner_text() == "已冻结"

    # --- each liaison reveals with its file, checked in the browser first ----------------------
    for agency, page in liaisons.items():
        page.goto(task_url)
        form = f"#reveal-form-{agency}"
        other = AGENCIES[1 - AGENCIES.index(agency)]
        page.set_input_files(f"{form} input[type=file]", str(secret_files[other]))
        expect(page.locator(f"{form} .party-status")).to_contain_text("不符")
        assert page.locator(f"{form} button[type=submit]").is_disabled()
        page.set_input_files(f"{form} input[type=file]", str(secret_files[agency]))
        expect(page.locator(f"{form} .party-status")).to_contain_text("相符")
        page.click(f"{form} button[type=submit]")
        page.wait_for_selector(".flash")
        assert "已揭示" in page.locator(".flash").inner_text()

    # --- the draw, confirmed with the entropy, its progress shown -------------------------------
    coord.goto(task_url)
    coord.click("#draw-form button")
    coord.wait_for_selector("#confirm-form")
    coord.fill("#confirm-form input[name=entropy]", "517")
    coord.click("#confirm-button")
    coord.wait_for_selector("#assignments")
    assert coord.locator("#task-state").inner_text() == "已抽取"
    assert coord.locator("#draw-progress").get_attribute("value") == "100"
    assert coord.locator("#draw-progress-text").inner_text() == "100%"
    assert coord.locator("#assignments tr.assignment").count() >= 2
    coord.screenshot(path=str(SCREENSHOTS / "hub-workspace-drawn.png"), full_page=True)

    # --- the notices print -----------------------------------------------------------------------
    href = coord.locator("#documents-links a", has_text="检查通知书").get_attribute("href")
    pdf = coord.request.get(f"{base_url}{href}")
    assert pdf.ok and pdf.headers["content-type"].startswith("application/pdf")
    assert pdf.body()[:5] == b"%PDF-"

    for page in (coord, deputy, *liaisons.values()):
        assert page.js_errors == []  # type: ignore[attr-defined]
