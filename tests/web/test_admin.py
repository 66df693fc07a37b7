"""Administration in the browser: users and roles, tokens, the calendar, sources and sinks — for
admins only, checked in the service (tested directly) and at the pages."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from hub.auth import admin as users
from hub.auth.principal import Principal
from hub.auth.services import hash_token
from hub.calendar_notice import load_notice_upload
from hub.errors import Conflict, Forbidden, InvalidInput
from hub.outbox.admin import requeue
from hub.outbox.models import OutboxMessage

from .scenario import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
ADMIN = Principal("root", frozenset({"admin"}))
COORDINATOR = Principal("coord", frozenset({"coordinator"}))
NEW_PASSWORD = "another-long-passphrase-9"


def test_only_an_admin_administers_users_in_the_service(db) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Forbidden):
        users.create_user(db, COORDINATOR, "x", ["inspector"])
    users.create_user(db, ADMIN, "x", ["inspector"], password=PASSWORD)
    for step in (
        lambda p: users.set_roles(db, p, "x", ["admin"], None, None),
        lambda p: users.reset_password(db, p, "x", NEW_PASSWORD),
        lambda p: users.disable_user(db, p, "x"),
        lambda p: users.issue_token(db, p, "x", 1),
        lambda p: users.revoke_token(db, p, 1),
    ):
        with pytest.raises(Forbidden):
            step(COORDINATOR)


def test_an_admin_cannot_lock_themself_out(db) -> None:  # type: ignore[no-untyped-def]
    users.create_user(db, ADMIN, "root", ["admin"], password=PASSWORD)
    with pytest.raises(Conflict):
        users.set_roles(db, ADMIN, "root", ["auditor"], None, None)
    with pytest.raises(Conflict):
        users.disable_user(db, ADMIN, "root")
    with pytest.raises(InvalidInput):
        users.set_roles(db, ADMIN, "root", ["admin", "liaison"], None, None)  # a liaison needs an agency


def test_admin_creates_a_liaison_and_changes_roles_in_the_browser(db, sign_in, post_form) -> None:  # type: ignore[no-untyped-def]
    client = sign_in("root", "admin")
    made = client.post(
        "/admin/users/new",
        data={"name": "li", "roles": ["liaison"], "agency": "SAMR", "password": PASSWORD, "csrf_token": _token(client)},
    )
    assert made.status_code == 302 and made.headers["Location"] == "/admin/users/li"
    page = client.get("/admin/users/li").get_data(as_text=True)
    assert "部门联络员" in page and "市市场监管局（SAMR）" in page
    assert "li" in client.get("/admin/users?role=liaison").get_data(as_text=True)
    post_form("/admin/users/li/roles", roles="reviewer", agency="", inspector_id="")
    assert "审核人" in client.get("/admin/users/li").get_data(as_text=True)
    refused = post_form("/admin/users/new", name="bad", roles="liaison", agency="", password=PASSWORD)
    assert refused.status_code == 400 and "未执行" in refused.get_data(as_text=True)


def test_a_token_is_shown_once_and_revoked_after_a_confirmation(db, sign_in, post_form) -> None:  # type: ignore[no-untyped-def]
    client = sign_in("root", "admin")
    users.create_user(db, ADMIN, "machine", ["auditor"])
    shown = post_form("/admin/users/machine/tokens", days="30")
    token = re.search(r'id="new-token" value="(hub_[^"]+)"', shown.get_data(as_text=True)).group(1)
    assert shown.headers["Cache-Control"] == "no-store"
    assert token not in client.get("/admin/users/machine").get_data(as_text=True)
    assert client.get("/api/v1/sync-runs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    from hub.auth.models import ApiToken

    with db.unit_of_work() as s:
        token_id = s.query(ApiToken).filter_by(token_hash=hash_token(token)).one().id
    post_form(f"/admin/tokens/{token_id}/revoke", user="machine")  # no confirmation: nothing happens
    assert client.get("/api/v1/sync-runs", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    post_form(f"/admin/tokens/{token_id}/revoke", user="machine", confirm="yes")
    assert client.get("/api/v1/sync-runs", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_disabling_needs_a_confirmation_and_ends_the_users_sessions(db, app, sign_in, post_form) -> None:  # type: ignore[no-untyped-def]
    other = app.test_client()
    users.create_user(db, ADMIN, "leaver", ["auditor"], password=PASSWORD)
    other.post("/login", data={"name": "leaver", "password": PASSWORD, "csrf_token": _token(other)})
    assert other.get("/quarantine").status_code == 200
    sign_in("root", "admin")
    post_form("/admin/users/leaver/disable")
    assert other.get("/quarantine").status_code == 200  # not confirmed
    post_form("/admin/users/leaver/disable", confirm="yes")
    assert other.get("/quarantine").status_code == 302  # signed out: to the sign-in page


def test_password_reset_in_the_browser(db, app, sign_in, post_form) -> None:  # type: ignore[no-untyped-def]
    users.create_user(db, ADMIN, "forgetful", ["auditor"], password=PASSWORD)
    sign_in("root", "admin")
    post_form("/admin/users/forgetful/password", password=NEW_PASSWORD, confirm_password=NEW_PASSWORD)
    fresh = app.test_client()
    ok = fresh.post("/login", data={"name": "forgetful", "password": NEW_PASSWORD, "csrf_token": _token(fresh)})
    assert ok.status_code == 302


def test_the_admin_pages_are_refused_to_other_roles(sign_in) -> None:  # type: ignore[no-untyped-def]
    client = sign_in("coord", "coordinator")
    for url in ("/admin/", "/admin/users", "/admin/users/new", "/admin/calendar", "/admin/sources", "/admin/sinks"):
        assert client.get(url).status_code == 403, url
    assert 'href="/admin/"' not in client.get("/").get_data(as_text=True)


def test_the_calendar_loads_the_same_notice_as_the_cli(db, sign_in) -> None:  # type: ignore[no-untyped-def]
    data = (ROOT / "examples" / "holidays-2026.toml").read_bytes()
    with pytest.raises(Forbidden):
        load_notice_upload(db, COORDINATOR, data, "h.toml", False)
    client = sign_in("root", "admin")
    response = client.post(
        "/admin/calendar?year=2026",
        data={"notice": (io.BytesIO(data), "holidays-2026.toml"), "csrf_token": _token(client)},
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    html = client.get("/admin/calendar?year=2026").get_data(as_text=True)
    assert "2026 年：已载入" in html
    # 2026-01-04 (a Sunday) is a make-up workday; 2026-02-16 (a Monday) is a day off
    assert re.search(r'<td class="workday note" title="[^"]*">4</td>', html)
    bad = client.post(
        "/admin/calendar",
        data={"notice": (io.BytesIO(b"year = 'x'"), "bad.toml"), "csrf_token": _token(client)},
        content_type="multipart/form-data",
    )
    assert "未执行" in client.get(bad.headers["Location"]).get_data(as_text=True)


def test_sync_now_is_for_admins_and_configured_sources(db, settings, sign_in, post_form) -> None:  # type: ignore[no-untyped-def]
    from hub.errors import NotFound
    from hub.rosters.admin import check_sync_request

    with pytest.raises(Forbidden):
        check_sync_request(settings, COORDINATOR, "samr")
    with pytest.raises(NotFound):
        check_sync_request(settings, ADMIN, "nosuch")
    client = sign_in("root", "admin")
    response = post_form("/admin/sources/nosuch/sync")
    assert response.status_code == 302  # refused on the page: no such source
    assert "没有名为" in client.get(response.headers["Location"]).get_data(as_text=True)


def test_rejected_messages_are_requeued_after_a_confirmation(db, sign_in, post_form) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for i in range(3):
            s.add(
                OutboxMessage(
                    sink="credit", kind="result", key=f"R-{i}", payload={}, state="rejected", reject_code="E1"
                )
            )
    with pytest.raises(Forbidden):
        requeue(db, Principal("a", frozenset({"auditor"})), "credit", None, True)
    with pytest.raises(InvalidInput):
        requeue(db, ADMIN, "credit", None, False)
    client = sign_in("root", "admin")
    assert "R-2" in client.get("/admin/sinks").get_data(as_text=True)
    with db.unit_of_work() as s:
        first = s.query(OutboxMessage).filter_by(key="R-0").one().id
    post_form("/admin/sinks/requeue", sink="credit", ids=str(first), confirm="yes")
    with db.unit_of_work() as s:
        assert {m.key: m.state for m in s.query(OutboxMessage)} == {
            "R-0": "pending",
            "R-1": "rejected",
            "R-2": "rejected",
        }


def _token(client) -> str:  # type: ignore[no-untyped-def]
    from .conftest import csrf_token

    return csrf_token(client)
