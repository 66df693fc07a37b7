"""Roles: every route is marked, anonymous callers reach only public ones, wrong roles get 403."""

from __future__ import annotations

import re

import pytest

from hub.auth.models import ROLES
from hub.auth.services import add_user, check_password, create_token


def _routes(app):  # type: ignore[no-untyped-def]
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            url = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", "X", rule.rule)
            yield rule, view, method, url


def _token(db, name, roles, agency=None):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        add_user(s, name, roles, agency)
    with db.unit_of_work() as s:
        return create_token(s, name)


def test_every_route_declares_who_may_call_it(app):
    unmarked = [rule.rule for rule, view, _, _ in _routes(app) if not getattr(view, "_hub_access", None)]
    assert unmarked == []


def test_anonymous_requests_reach_only_public_routes(app, db):
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    checked = 0
    for _rule, view, method, url in _routes(app):
        if view._hub_access == ("public",):
            continue
        resp = client.open(url, method=method, json={} if method != "GET" else None)
        if method == "GET" and not url.startswith("/api/"):  # a person is sent to sign in, then back
            assert resp.status_code == 302, (method, url, resp.status_code)
            assert resp.headers["Location"].startswith("/login?next="), (url, resp.headers["Location"])
        else:
            assert resp.status_code == 401, (method, url, resp.status_code)
        checked += 1
    assert checked > 25


def test_api_routes_refuse_callers_without_the_role(app, db):
    client = app.test_client()
    tokens = {
        role: _token(db, f"u-{role}", [role], "HEALTH" if role == "liaison" else None)
        for role in ROLES
        if role != "admin"
    }
    refused = 0
    for rule, view, method, url in _routes(app):
        roles = view._hub_access
        if not rule.rule.startswith("/api/") or roles in (("public",), ("signed-in",)):
            continue
        outsiders = [r for r in tokens if r not in roles]
        for role in outsiders:
            resp = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {tokens[role]}"})
            assert resp.status_code == 403, (role, method, url, resp.status_code)
            assert resp.is_json and resp.json["status"] == 403
            refused += 1
    assert refused > 50


def test_a_revoked_or_unknown_token_is_refused(app, db):
    client = app.test_client()
    resp = client.get("/api/v1/entities", headers={"Authorization": "Bearer hub_not-a-token"})
    assert resp.status_code == 401
    good = _token(db, "coord", ["coordinator"])
    assert client.get("/api/v1/entities", headers={"Authorization": f"Bearer {good}"}).status_code == 200


def test_web_login_sets_a_session_and_checks_the_password(app, db):
    with db.unit_of_work() as s:
        add_user(s, "ana", ["auditor"], password="correct horse battery")
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    assert client.get("/quarantine").headers["Location"] == "/login?next=/quarantine"
    bad = client.post("/login", data={"name": "ana", "password": "wrong password!"})
    assert bad.status_code == 401
    ok = client.post("/login", data={"name": "ana", "password": "correct horse battery"})
    assert ok.status_code == 302
    assert client.get("/quarantine").status_code == 200


def test_login_form_needs_its_csrf_token(app, db):
    with db.unit_of_work() as s:
        add_user(s, "bo", ["auditor"], password="correct horse battery")
    resp = app.test_client().post("/login", data={"name": "bo", "password": "correct horse battery"})
    assert resp.status_code == 400


def test_passwords_are_stored_hashed(db):
    with db.unit_of_work() as s:
        u = add_user(s, "cy", ["reviewer"], password="s3cret-password")
        assert "s3cret-password" not in (u.password_hash or "")
        assert u.password_hash.startswith("$argon2")
    with db.unit_of_work() as s:
        assert check_password(s, "cy", "s3cret-password") is not None
        assert check_password(s, "cy", "other-password") is None


@pytest.mark.parametrize(
    "roles, agency, message",
    [
        (["chief"], None, "not one of"),
        (["liaison"], None, "agency"),
    ],
)
def test_user_add_refuses_bad_roles(db, roles, agency, message):
    from hub.errors import InvalidInput

    with pytest.raises(InvalidInput, match=message), db.unit_of_work() as s:
        add_user(s, "dd", roles, agency)


def test_openapi_document_lists_every_api_route(app):
    doc = app.test_client().get("/api/v1/openapi.json").json
    api_rules = {
        re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", r.rule)
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/")
    }
    assert set(doc["paths"]) == api_rules
    assert doc["paths"]["/api/v1/tasks/{task_id}/draw"]["post"]["x-roles"] == ["coordinator"]
