"""What a liaison sees on the results page: their agency's results and messages only (issue 13, low)."""

from __future__ import annotations

import pytest

from .scenario import approve_all, drawn_task, enter

SINKS = {
    "sinks": {
        "provincial": {"kind": "provincial-rest", "url": "http://127.0.0.1:9", "app_id": "a", "app_secret_env": "S"}
    }
}


@pytest.fixture
def settings(make_settings):  # type: ignore[no-untyped-def]
    return make_settings(SINKS, env={"S": "secret"})


def test_a_liaison_sees_only_their_agencys_results_and_messages(db, settings, sign_in):
    drawn = drawn_task(db, settings, "JT-2026-0951")
    e1, e2 = drawn.drawn_entities()[:2]
    health, samr = enter(drawn, e1, "HEALTH", ""), enter(drawn, e2, "SAMR", "")
    approve_all(drawn)
    html = sign_in("hl", "liaison", agency="HEALTH").get("/results/").get_data(as_text=True)
    assert health in html and e1 in html
    assert samr not in html and e2 not in html
