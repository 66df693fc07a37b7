"""Findings 8, 9, 10, 12: safe redirects after sign-in, sessions and tokens that can end, deactivation,
password changes under a policy, and a lock after repeated failed sign-ins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from hub.auth.models import ApiToken, User
from hub.auth.services import add_user, create_token
from hub.cli import main
from hub.clock import utcnow
from hub.errors import InvalidInput
from tests.security.conftest import PASSWORD, bearer, make_user


@pytest.fixture
def web(app):  # type: ignore[no-untyped-def]
    app.config["WTF_CSRF_ENABLED"] = False
    return app.test_client()


def _person(db, name: str = "ana", roles: tuple[str, ...] = ("auditor",)) -> None:  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        add_user(s, name, list(roles), password=PASSWORD)


def _login(client, name: str = "ana", password: str = PASSWORD, next_: str | None = None):  # type: ignore[no-untyped-def]
    url = f"/login?next={next_}" if next_ is not None else "/login"
    return client.post(url, data={"name": name, "password": password})


# --- finding 8: open redirect ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "/%09/evil.example",
        "//evil.example",
        "/\\evil.example",
        "/%5Cevil.example",
        "https://evil.example/",
        "/%0d%0a/evil.example",
        "%2F%2Fevil.example",
        "javascript:alert(1)",
        " //evil.example",
        "/\t/evil.example",
    ],
)
def test_sign_in_never_redirects_to_another_site(db, web, target):
    _person(db)
    resp = _login(web, next_=target)
    assert resp.status_code == 302
    location = resp.headers["Location"]
    assert location == "/", location


def test_sign_in_goes_on_to_a_path_of_this_site(db, web):
    _person(db)
    assert _login(web, next_="/quarantine?x=1").headers["Location"] == "/quarantine?x=1"


# --- finding 9: sessions and tokens end -----------------------------------------------------------


def test_a_session_cookie_stops_working_after_sign_out(db, app, web):
    _person(db)
    _login(web)
    cookie = web.get_cookie("session").value
    assert web.get("/quarantine").status_code == 200
    assert web.post("/logout").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", cookie)
    assert replay.get("/quarantine").status_code == 302


def test_a_session_ends_after_the_configured_hours(db, app, web, monkeypatch):
    import time

    _person(db)
    _login(web)
    assert web.get("/quarantine").status_code == 200
    later = time.time() + 13 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    assert web.get("/quarantine").status_code == 302


def test_a_token_expires(db, app):
    with db.unit_of_work() as s:
        add_user(s, "bot", ["auditor"])
        token = create_token(s, "bot", days=30)
    client = app.test_client()
    assert client.get("/api/v1/sync-runs", headers=bearer(token)).status_code == 200
    with db.unit_of_work() as s:
        s.scalar(select(ApiToken)).expires_at = utcnow() - timedelta(seconds=1)
    assert client.get("/api/v1/sync-runs", headers=bearer(token)).status_code == 401


def test_new_tokens_expire_after_the_default_days_unless_told(db, app, tokens):
    client = app.test_client()
    made = client.post("/api/v1/users/u-auditor/tokens", headers=bearer(tokens["admin"]))
    assert made.status_code == 201 and made.json["days"] == 90
    forever = client.post("/api/v1/users/u-auditor/tokens", json={"days": 0}, headers=bearer(tokens["admin"]))
    with db.unit_of_work() as s:
        rows = {t.id: t for t in s.scalars(select(ApiToken))}
    assert timedelta(days=89) < rows[made.json["token_id"]].expires_at - utcnow() <= timedelta(days=90)
    assert rows[forever.json["token_id"]].expires_at is None


def test_a_token_revoked_through_the_api_stops_working(db, app, tokens):
    client = app.test_client()
    made = client.post("/api/v1/users/u-auditor/tokens", headers=bearer(tokens["admin"])).json
    assert client.get("/api/v1/sync-runs", headers=bearer(made["token"])).status_code == 200
    listed = client.get("/api/v1/users/u-auditor/tokens", headers=bearer(tokens["admin"])).json
    assert made["token_id"] in [t["token_id"] for t in listed] and "token" not in listed[0]
    resp = client.post(f"/api/v1/tokens/{made['token_id']}:revoke", headers=bearer(tokens["admin"]))
    assert resp.status_code == 200
    assert client.get("/api/v1/sync-runs", headers=bearer(made["token"])).status_code == 401


@pytest.fixture
def cli_env(monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("HUB_SECRET_KEY", "test")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    monkeypatch.delenv("HUB_BROKER_URL", raising=False)


def test_hub_token_revoke_ends_a_token(db, app, cli_env, capsys):
    token = make_user(db, "bot", ["auditor"])
    assert main(["token", "list", "bot"]) == 0
    token_id = capsys.readouterr().out.splitlines()[1].split("\t")[0]
    assert main(["token", "revoke", token_id]) == 0
    assert app.test_client().get("/api/v1/sync-runs", headers=bearer(token)).status_code == 401
    assert main(["token", "revoke", "999"]) == 66


def test_hub_user_deactivate_ends_sessions_and_tokens(db, app, web, cli_env):
    _person(db)
    token = make_user(db, "bot", ["auditor"])
    _login(web)
    assert main(["user", "deactivate", "ana"]) == 0
    assert main(["user", "deactivate", "bot"]) == 0
    assert web.get("/quarantine").status_code == 302
    assert _login(web).status_code == 401
    assert app.test_client().get("/api/v1/sync-runs", headers=bearer(token)).status_code == 401


def test_hub_user_password_changes_it_under_the_policy(db, web, cli_env, monkeypatch, capsys):
    _person(db)
    _login(web)
    monkeypatch.setenv("NEW_PW", "short")
    assert main(["user", "password", "ana", "--password-env", "NEW_PW"]) == 65
    assert "at least 12" in capsys.readouterr().err
    monkeypatch.setenv("NEW_PW", "a-much-longer-phrase-now")
    assert main(["user", "password", "ana", "--password-env", "NEW_PW"]) == 0
    assert web.get("/quarantine").status_code == 302  # the old session ended
    assert _login(web).status_code == 401
    assert _login(web, password="a-much-longer-phrase-now").status_code == 302


def test_a_user_changes_their_own_password_on_the_web(db, app, web):
    _person(db)
    _login(web)
    other = app.test_client()
    _login(other)
    form = {
        "current_password": "wrong-password-here",
        "new_password": "bright-river-stone-42",
        "confirm_password": "bright-river-stone-42",
    }
    assert web.post("/account/password", data=form).status_code == 400
    form["current_password"] = PASSWORD
    page = web.post(
        "/account/password", data={**form, "new_password": "password1234", "confirm_password": "password1234"}
    )
    assert page.status_code == 400 and "common" in page.get_data(as_text=True)
    assert web.post("/account/password", data=form).status_code == 302
    assert web.get("/quarantine").status_code == 200  # this session goes on
    assert other.get("/quarantine").status_code == 302  # the others end
    assert _login(app.test_client(), password="bright-river-stone-42").status_code == 302


# --- finding 12: the password policy ---------------------------------------------------------------


@pytest.mark.parametrize(
    "password, reason",
    [
        ("a", "at least 12"),
        ("elevenchars", "at least 12"),
        ("password1234", "common"),
        ("1QAZ2wsx3edc", "common"),
        ("ana-ana-ana-ana", None),
        ("margaretsmith", "name"),
    ],
)
def test_the_password_policy(password, reason):
    from hub.auth.passwords import password_problems

    problems = " ".join(password_problems(password, "margaretsmith"))
    assert (reason in problems) if reason else not problems


def test_add_user_refuses_a_weak_password(db):
    with pytest.raises(InvalidInput, match="at least 12"), db.unit_of_work() as s:
        add_user(s, "weak", ["auditor"], password="a")


def test_the_common_password_list_ships_with_thousands_of_entries():
    from hub.auth.passwords import common_passwords

    assert len(common_passwords()) > 10_000 and "123456" in common_passwords()


# --- finding 10: brute force ---------------------------------------------------------------------


def test_an_account_is_locked_after_five_failures_even_for_the_right_password(db, web):
    _person(db)
    for _ in range(4):
        assert _login(web, password="wrong password!").status_code == 401
    locked = _login(web, password="wrong password!")
    assert locked.status_code == 429 and "锁定" in locked.get_data(as_text=True)
    assert int(locked.headers["Retry-After"]) >= 15 * 60 - 1
    assert _login(web).status_code == 429
    with db.unit_of_work() as s:
        s.scalar(select(User).where(User.name == "ana")).locked_until = utcnow() - timedelta(seconds=1)
    assert _login(web).status_code == 302


def test_one_address_is_slowed_after_many_failures_across_accounts(db, web):
    for n in range(30):
        assert _login(web, name=f"nobody{n}", password="wrong password!").status_code == 401
    resp = _login(web, name="nobody-else", password="wrong password!")
    assert resp.status_code == 429 and resp.headers["Retry-After"]


def test_a_token_read_writes_its_last_use_at_most_every_ten_minutes(db, app):
    from hub.auth.services import LAST_USED_EVERY

    token = make_user(db, "bot", ["auditor"])
    client = app.test_client()
    client.get("/api/v1/sync-runs", headers=bearer(token))
    with db.unit_of_work() as s:
        first = s.scalar(select(ApiToken)).last_used_at
    assert first is not None
    client.get("/api/v1/sync-runs", headers=bearer(token))
    with db.unit_of_work() as s:
        row = s.scalar(select(ApiToken))
        assert row.last_used_at == first
        row.last_used_at = first - LAST_USED_EVERY
    client.get("/api/v1/sync-runs", headers=bearer(token))
    with db.unit_of_work() as s:
        assert s.scalar(select(ApiToken)).last_used_at > first
