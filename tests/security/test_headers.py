"""Security headers on every response, and session cookies marked Secure unless turned off."""

from __future__ import annotations

import pytest

from tests.security.conftest import PASSWORD


@pytest.mark.parametrize(
    "url", ["/", "/login", "/no-such-page", "/api/v1/openapi.json", "/api/v1/nothing", "/api/v1/sync-runs"]
)
def test_every_response_carries_the_security_headers(app, url):
    headers = app.test_client().get(url).headers
    csp = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "same-origin"
    assert headers["X-Frame-Options"] == "DENY"


def test_no_template_needs_inline_script_or_style():
    from pathlib import Path

    import hub

    for page in (Path(hub.__file__).parent / "web" / "templates").glob("*.html"):
        text = page.read_text(encoding="utf-8").lower()
        assert "<script>" not in text and "<style" not in text and " style=" not in text, page.name
        assert " onclick=" not in text and " onsubmit=" not in text, page.name


def _session_cookie(app, db) -> str:  # type: ignore[no-untyped-def]
    from hub.auth.services import add_user

    with db.unit_of_work() as s:
        add_user(s, "ana", ["auditor"], password=PASSWORD)
    app.config["WTF_CSRF_ENABLED"] = False
    resp = app.test_client().post("/login", data={"name": "ana", "password": PASSWORD})
    return next(v for v in resp.headers.getlist("Set-Cookie") if v.startswith("session="))


def test_the_session_cookie_is_secure_by_default(app, db):
    cookie = _session_cookie(app, db)
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_can_be_turned_off_for_plain_http(make_settings, db):
    from hub import create_app

    app = create_app(make_settings(env={"HUB_SECURE_COOKIES": "0"}))
    assert "Secure" not in _session_cookie(app, db)
    app = create_app(make_settings({"security": {"secure_cookies": False}}))
    assert app.config["SESSION_COOKIE_SECURE"] is False


def test_the_security_table_is_read_and_a_bad_key_is_named(tmp_path):
    from hub.config import load_settings
    from hub.errors import ConfigError

    path = tmp_path / "hub.toml"
    path.write_text(
        "[security]\nmax_upload_mb = 5\nverify_inline_kb = 16\ntoken_days = 30\n"
        'rate_limits = { verify = "3/15minute" }\n',
        encoding="utf-8",
    )
    sec = load_settings(path, environ={"HUB_SECRET_KEY": "k", "HUB_DATA_DIR": str(tmp_path)}).security
    assert (sec.max_upload_bytes, sec.verify_inline_bytes, sec.token_days) == (5 * 1024 * 1024, 16 * 1024, 30)
    assert (sec.rate_limits["verify"].count, sec.rate_limits["verify"].seconds) == (3, 900)
    assert sec.rate_limits["login_ip"].count == 30 and sec.secure_cookies is True
    for body, where in (
        ("max_upload_mb = -1", "[security] max_upload_mb"),
        ("cookie = 1", "[security] cookie"),
        ('rate_limits = { verify = "many" }', "[security] rate_limits.verify"),
        ('rate_limits = { everything = "1/second" }', "[security] rate_limits"),
    ):
        path.write_text(f"[security]\n{body}\n", encoding="utf-8")
        with pytest.raises(ConfigError) as err:
            load_settings(path, environ={"HUB_SECRET_KEY": "k", "HUB_DATA_DIR": str(tmp_path)})
        assert str(err.value).startswith(where + ":"), str(err.value)
