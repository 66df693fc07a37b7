"""The outbox listing: one state check (hub.outbox.queries) for the results page and the API."""

from __future__ import annotations

from hub.auth.services import create_token


def test_an_unknown_state_is_refused_alike_by_page_and_api(db, client, sign_in):  # type: ignore[no-untyped-def]
    sign_in("coord", "coordinator")
    page = client.get("/results/?state=lost")
    assert page.status_code == 400 and "pending, delivered, rejected" in page.get_data(as_text=True)
    with db.unit_of_work() as s:
        token = create_token(s, "coord")
    answer = client.get("/api/v1/outbox?state=lost", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 400
    assert answer.json["where"] == "state" and "pending, delivered, rejected" in answer.json["detail"]


def test_a_known_state_lists_through_the_api(db, client, sign_in):  # type: ignore[no-untyped-def]
    sign_in("coord", "coordinator")
    with db.unit_of_work() as s:
        token = create_token(s, "coord")
    answer = client.get("/api/v1/outbox?state=pending", headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200 and answer.json == []
