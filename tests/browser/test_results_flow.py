"""Issue 16 in Chromium: an inspector enters a result with a follow-up, a reviewer returns it, the
inspector corrects it, the reviewer approves it; it is published and delivered to the sandboxes; a
correction after delivery reaches the provincial sandbox as an amendment, not a duplicate. And the
dashboard renders its charts with no request to any host but the hub."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import pytest
from sqlalchemy import select, update

from connectors.sandboxes.sinks import start_sinks
from hub import create_app
from hub.outbox.delivery import drain
from hub.results.models import Result
from hub.rosters.models import Entity
from tests.integration.outbox_factory import SECRET, sink_settings, uscc
from tests.web.scenario import PASSWORD, add_person, drawn_task

from .conftest import SCREENSHOTS, new_page, serving

pytestmark = pytest.mark.browser


@pytest.fixture
def sandboxes() -> Iterator[dict[str, Any]]:
    servers = start_sinks("hub-370100", SECRET)
    yield servers
    for server in servers.values():
        server.stop()


@pytest.fixture
def hub_with_sinks(make_settings, sandboxes):  # type: ignore[no-untyped-def]
    settings = sink_settings(make_settings, sandboxes)
    with serving(create_app(settings)) as url:
        yield settings, url


@pytest.fixture
def browser_page() -> Iterator[Any]:
    with new_page(accept_downloads=True, viewport={"width": 1280, "height": 1000}) as tab:
        yield tab


def _sign_in(page, base: str, name: str) -> None:  # type: ignore[no-untyped-def]
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("input[name=name]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def test_enter_return_correct_approve_deliver_then_amend(db, hub_with_sinks, sandboxes, browser_page):  # type: ignore[no-untyped-def]
    settings, base = hub_with_sinks
    scenario = drawn_task(db, settings, "JT-2026-0180")
    entity = scenario.drawn_entities()[0]
    with db.unit_of_work() as s:
        s.execute(update(Entity).where(Entity.entity_id == entity).values(uscc=uscc(7)))
    member = next(i for i in scenario.team_of(entity) if i.startswith("HEALTH"))
    add_person(db, "insp", ["inspector"], agency="HEALTH", inspector_id=member)
    add_person(db, "shenhe", ["reviewer"])
    page = browser_page
    form_url = f"{base}/results/entry/{scenario.task_id}/{entity}/HEALTH"

    # the inspector enters 8 with a correction order, on one form
    _sign_in(page, base, "insp")
    page.goto(f"{base}/results/entry/")
    page.click(f"tr[data-entity='{entity}'] a.enter-link")
    page.check("input[name=outcome_codes][value='8']")
    page.fill("input[name=inspected_on]", "2026-12-01")
    page.fill("textarea[name=findings]", "教室照度不足")
    page.select_option("select[name=follow_up_kind]", "correction")
    page.fill("input[name=follow_up_due_on]", "2026-12-31")
    page.click("#submit-result")
    assert page.locator("#result-state").inner_text() == "已录入"

    # the reviewer returns it with a reason (a confirm page, no JavaScript needed)
    _sign_in(page, base, "shenhe")
    page.goto(f"{base}/review/")
    page.click("a.return-link")
    page.fill("textarea[name=reason]", "请写明照度实测值")
    page.click("#confirm-return")
    assert "没有待审核的结果" in page.locator("#queue").inner_text()

    # the inspector sees the reason, corrects and submits again
    _sign_in(page, base, "insp")
    page.goto(f"{base}/results/entry/")
    assert "请写明照度实测值" in page.locator(f"tr[data-entity='{entity}'] .returned-reason").inner_text()
    page.goto(form_url)
    assert "请写明照度实测值" in page.locator("#returned-reason").inner_text()
    page.fill("textarea[name=findings]", "教室照度实测 180 lx，低于 300 lx")
    page.click("#submit-result")

    # the reviewer approves the selection: published, and delivered to both sandboxes
    _sign_in(page, base, "shenhe")
    page.goto(f"{base}/review/")
    page.check("input[name=result_ids]")
    page.click("#approve-selected")
    with db.unit_of_work() as s:
        first = s.scalars(select(Result).where(Result.entity_id == entity, Result.agency == "HEALTH")).one()
    assert first.state == "approved" and "180 lx" in first.findings
    drain(db, settings, respect_backoff=False)
    assert sandboxes["provincial"].accepted_counts == {first.result_id: 1}
    assert sandboxes["credit"].accepted_counts == {first.result_id: 1}

    # after delivery the re-inspection found it corrected: an amendment (更正), 8 → 5
    _sign_in(page, base, "insp")
    page.goto(form_url)
    assert "更正" in page.locator(".notice").inner_text()
    page.uncheck("input[name=outcome_codes][value='8']")
    page.check("input[name=outcome_codes][value='5']")
    page.click("#submit-result")
    _sign_in(page, base, "shenhe")
    page.goto(f"{base}/review/")
    assert "更正" in page.locator("#queue").inner_text()
    page.check("input[name=result_ids]")
    page.click("#approve-selected")
    drain(db, settings, respect_backoff=False)

    with db.unit_of_work() as s:
        amendment = s.scalars(select(Result).where(Result.amends == first.result_id)).one()
    provincial = sandboxes["provincial"]
    assert provincial.amendments == {amendment.result_id: first.result_id}
    assert provincial.accepted_counts == {first.result_id: 1, amendment.result_id: 1}
    assert provincial.duplicate_counts == {}
    assert [o["code"] for o in provincial.results[amendment.result_id]["outcomes"]] == ["5"]
    assert sandboxes["credit"].amendments == {amendment.result_id: first.result_id}


def test_dashboard_renders_offline_and_its_csv_equals_the_api(db, hub_with_sinks, browser_page):  # type: ignore[no-untyped-def]
    from hub.auth.services import create_token
    from tests.web.scenario import approve_all, enter

    settings, base_url = hub_with_sinks
    scenario = drawn_task(db, settings, "JT-2026-0181")
    for n, e in enumerate(scenario.drawn_entities()):
        enter(scenario, e, "HEALTH", "", codes=(("5",), ("1",), ("7",), ("2", "5"))[n % 4])
    approve_all(scenario)
    drain(db, settings, respect_backoff=False)
    add_person(db, "coord", ["coordinator"])
    page = browser_page
    hosts: set[str] = set()
    page.on("request", lambda req: hosts.add(urlparse(req.url).netloc))
    _sign_in(page, base_url, "coord")
    page.goto(f"{base_url}/stats/?year=2026")
    assert page.locator("svg.chart").count() == 8
    page.screenshot(path=str(SCREENSHOTS / "dashboard.png"), full_page=True)
    assert hosts == {urlparse(base_url).netloc}, hosts  # no network but the hub

    with page.expect_download() as download:
        page.click("#figure-outcomes a.csv-link")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    with db.unit_of_work() as s:
        token = create_token(s, "coord")
    api = page.request.get(f"{base_url}/api/v1/stats?year=2026", headers={"Authorization": f"Bearer {token}"}).json()
    figure = api["figures"]["outcomes"]
    assert rows[0] == figure["headers"]
    assert rows[1:] == [["" if v is None else str(v) for v in row] for row in figure["rows"]]
    assert sum(int(r[2]) for r in rows[1:]) >= len(scenario.drawn_entities())
