"""Clean failures: malformed input is a 400 problem, an outage a 503, pages speak Chinese, and the
command line says one line with its sysexits code."""

from __future__ import annotations

import pytest

from hub.cli import main
from hub.rosters.models import SyncRun
from tests.security.conftest import bearer


@pytest.mark.parametrize(
    "method, url, body, where",
    [
        ("GET", "/api/v1/outbox?limit=abc", None, "limit"),
        ("GET", "/api/v1/outbox?limit=0", None, "limit"),
        ("GET", "/api/v1/outbox?state=lost", None, "state"),
        ("GET", "/api/v1/deadlines?soon=abc", None, "soon"),
        ("GET", "/api/v1/entities?limit=1e9", None, "limit"),
        ("POST", "/api/v1/tasks/T/results:approve", {"result_ids": "abc"}, "result_ids"),
        ("POST", "/api/v1/tasks/T/results:approve", {"all": "yes"}, "all"),
        ("POST", "/api/v1/outbox:requeue", {"ids": "all"}, "ids"),
        ("POST", "/api/v1/outbox:push", {"sink": ["x"]}, "sink"),
        ("POST", "/api/v1/users/u-admin/tokens", {"days": "ninety"}, "days"),
        ("POST", "/api/v1/users", {"name": "zz", "roles": "admin"}, "roles"),
    ],
)
def test_malformed_parameters_are_a_400_problem_naming_them(app, tokens, method, url, body, where):
    resp = app.test_client().open(url, method=method, json=body, headers=bearer(tokens["admin"]))
    assert resp.status_code == 400, resp.get_data(as_text=True)
    assert resp.content_type == "application/problem+json"
    assert resp.json["where"] == where


def test_deeply_nested_json_is_a_400_problem(app, tokens):
    deep = "[" * 100_000 + "]" * 100_000
    for body in (deep, '{"a":' + "[" * 70 + "]" * 70 + "}"):
        resp = app.test_client().post(
            "/api/v1/tasks", data=body, content_type="application/json", headers=bearer(tokens["coordinator"])
        )
        assert resp.status_code == 400
        assert resp.json["where"] == "body" and "JSON" in resp.json["detail"]


def test_a_nul_character_in_the_address_is_a_400_problem(app, tokens):
    resp = app.test_client().get("/api/v1/entities/a%00b", headers=bearer(tokens["auditor"]))
    assert resp.status_code == 400 and resp.json["where"] == "url"


@pytest.mark.parametrize("value", ["no", "false", 0, 1, None])
def test_a_sync_starts_full_only_for_a_json_true(app, tokens, make_settings, value):
    from hub import create_app

    app = create_app(make_settings({"sources": {"samr": {"kind": "samr-rest", "url": "http://127.0.0.1:9"}}}))
    resp = app.test_client().post(
        "/api/v1/sources/samr/sync", json={"full": value}, headers=bearer(tokens["coordinator"])
    )
    assert resp.status_code == 400
    assert resp.json["where"] == "full"


def test_unknown_api_routes_and_methods_are_json_problems(app):
    client = app.test_client()
    assert client.get("/api/v1/nothing").json["status"] == 404
    resp = client.delete("/api/v1/openapi.json")
    assert resp.status_code == 405 and resp.content_type == "application/problem+json"


def test_web_errors_are_pages_in_chinese(app):
    resp = app.test_client().get("/no-such-page")
    assert resp.status_code == 404 and resp.content_type.startswith("text/html")
    assert "未找到" in resp.get_data(as_text=True)
    assert "表单缺少安全令牌" in app.test_client().post("/logout").get_data(as_text=True)
    signed_out = app.test_client().get("/quarantine")  # a page: sign in first, then come back
    assert signed_out.status_code == 302 and signed_out.headers["Location"] == "/login?next=/quarantine"


def test_a_database_outage_is_a_503_problem_and_a_503_page(make_settings, tmp_path):
    from hub import create_app

    settings = make_settings()
    down = type(settings)(
        **{**settings.__dict__, "database_url": "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2"}
    )
    client = create_app(down).test_client()
    resp = client.get("/api/v1/entities", headers=bearer("hub_x"))
    assert resp.status_code == 503
    assert resp.content_type == "application/problem+json" and resp.headers["Retry-After"]
    page = client.get("/")
    assert page.status_code == 503 and "服务暂不可用" in page.get_data(as_text=True)


def test_a_broker_outage_is_a_503_problem(make_settings, tokens):
    from hub import create_app

    app = create_app(
        make_settings(
            {"sources": {"samr": {"kind": "samr-rest", "url": "http://127.0.0.1:9"}}},
            broker_url="redis://127.0.0.1:1/0",
        )
    )
    app.extensions["celery"].conf.broker_transport_options = {"max_retries": 0}
    app.extensions["celery"].conf.broker_connection_timeout = 1
    resp = app.test_client().post("/api/v1/sources/samr/sync", json={}, headers=bearer(tokens["coordinator"]))
    assert resp.status_code == 503, resp.get_data(as_text=True)
    assert resp.content_type == "application/problem+json"


def test_a_database_down_at_start_up_is_one_line_and_exit_69(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("HUB_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:1/none?connect_timeout=2")
    monkeypatch.setenv("HUB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("HUB_SECRET_KEY", "k")
    monkeypatch.delenv("HUB_CONFIG", raising=False)
    assert main(["serve", "--port", "1"]) == 69
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("hub: ") and "cannot be reached" in err
    assert "internal error" not in err


def test_sync_error_text_is_shown_to_staff_only(app, db):
    with db.unit_of_work() as s:
        s.add(
            SyncRun(
                source="samr",
                kind="samr-rest",
                full=False,
                outcome="failed",
                error="connection refused by 10.0.0.7:8443 (secret-host)",
            )
        )
    from hub.auth.services import add_user

    with db.unit_of_work() as s:
        add_user(s, "ana", ["auditor"], password="correct-horse-battery")
    client = app.test_client()
    assert "secret-host" not in client.get("/").get_data(as_text=True)
    app.config["WTF_CSRF_ENABLED"] = False
    client.post("/login", data={"name": "ana", "password": "correct-horse-battery"})
    assert "secret-host" in client.get("/").get_data(as_text=True)
