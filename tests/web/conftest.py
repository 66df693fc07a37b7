"""Web-page fixtures: a test client, signing in through the real (CSRF-protected) form."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from .scenario import PASSWORD, add_person

TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(client: FlaskClient) -> str:
    """A CSRF token of the client's current session, as a form on a page carries it."""
    html = client.get("/login").get_data(as_text=True)
    match = TOKEN.search(html)
    assert match, "the sign-in form carries no CSRF token"
    return match.group(1)


@pytest.fixture
def client(app) -> FlaskClient:  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture
def sign_in(db, client: FlaskClient) -> Callable[..., FlaskClient]:  # type: ignore[no-untyped-def]
    """Create a user with ``roles`` and sign in through the login form."""

    def sign_in(name: str, *roles: str, agency: str | None = None, inspector_id: str | None = None) -> FlaskClient:
        add_person(db, name, list(roles), agency=agency, inspector_id=inspector_id)
        response = client.post("/login", data={"name": name, "password": PASSWORD, "csrf_token": csrf_token(client)})
        assert response.status_code == 302, response.get_data(as_text=True)
        return client

    return sign_in


@pytest.fixture
def post_form(client: FlaskClient) -> Callable[..., object]:
    """POST a form the way the page does: with the session's CSRF token."""

    def post(url: str, **fields: str):  # type: ignore[no-untyped-def]
        return client.post(url, data={**fields, "csrf_token": csrf_token(client)})

    return post
