"""Request signing of interfaces.md against a real sandbox over loopback."""

from __future__ import annotations

import time

import pytest
import requests

from connectors.base import FatalError
from connectors.sandboxes.samr import SamrSandbox
from connectors.signing import sign_headers

PATH = "/api/v1/entities"


def _get(server: SamrSandbox, headers: dict[str, str], query: str = "limit=5") -> requests.Response:
    return requests.get(f"{server.url}{PATH}?{query}", headers=headers, timeout=5)


def _signed(app_id: str, secret: str, query: str = "limit=5", **kw: object) -> dict[str, str]:
    return sign_headers(app_id, secret, "GET", PATH, query, b"", **kw)  # type: ignore[arg-type]


def test_signed_request_is_answered(samr: SamrSandbox, credentials: tuple[str, str]) -> None:
    resp = _get(samr, _signed(*credentials))
    assert resp.status_code == 200
    assert len(resp.json()["items"]) == 5


def test_sm3_signed_request_is_answered(samr: SamrSandbox, credentials: tuple[str, str]) -> None:
    headers = _signed(*credentials, sign_method="HMAC-SM3")
    assert headers["X-Sign-Method"] == "HMAC-SM3"
    assert _get(samr, headers).status_code == 200


@pytest.mark.parametrize("offset", [-301, 301])
def test_clock_skew_over_300_seconds_is_refused(samr: SamrSandbox, credentials: tuple[str, str], offset: int) -> None:
    resp = _get(samr, _signed(*credentials, now=time.time() + offset))
    assert resp.status_code == 401
    assert "skew" in resp.json()["error"]


def test_replayed_nonce_is_refused(samr: SamrSandbox, credentials: tuple[str, str]) -> None:
    headers = _signed(*credentials)
    assert _get(samr, headers).status_code == 200
    again = _get(samr, headers)
    assert again.status_code == 401
    assert "nonce" in again.json()["error"]


def test_wrong_secret_is_refused(samr: SamrSandbox, credentials: tuple[str, str]) -> None:
    resp = _get(samr, _signed(credentials[0], "not-the-secret"))
    assert resp.status_code == 401
    assert "wrong signature" in resp.json()["error"]


def test_unknown_app_is_refused(samr: SamrSandbox, credentials: tuple[str, str]) -> None:
    resp = _get(samr, _signed("someone-else", credentials[1]))
    assert resp.status_code == 401
    assert "unknown app id" in resp.json()["error"]


def test_query_changed_after_signing_is_refused(samr: SamrSandbox, credentials: tuple[str, str]) -> None:
    resp = _get(samr, _signed(*credentials, query="limit=5"), query="limit=500")
    assert resp.status_code == 401


def test_connector_with_wrong_secret_fails_at_once(samr: SamrSandbox, source_for) -> None:
    source = source_for("samr-rest", samr, secret="not-the-secret")
    with pytest.raises(FatalError, match="401"):
        list(source.batches({}))
    assert samr.stats["unauthorized"] == 1  # a 401 is not retried
