"""Schemathesis over /api/v1/openapi.json with every role's token (and none): no 5xx, and no status
the document does not list. Bounded: a few examples per operation and role."""

from __future__ import annotations

import inspect
import re

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    status_code_conformance,
)

from hub.auth.models import ROLES
from tests.security.conftest import bearer, make_user

EXAMPLES = 5  # per operation; each example is sent as every role and anonymously
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance]


@pytest.fixture
def api_app(app, db):  # type: ignore[no-untyped-def]
    """The app with a user of every role; rate limits high enough that the fuzzing never meets them."""
    from dataclasses import replace

    from hub.config import RateLimit

    settings_ = app.extensions["hub_settings"]
    high = {name: RateLimit(1_000_000, 60) for name in settings_.security.rate_limits}
    app.extensions["hub_settings"] = replace(settings_, security=replace(settings_.security, rate_limits=high))
    app.extensions["hub_tokens"] = {
        role: make_user(db, f"fuzz-{role}", [role], "HEALTH" if role == "liaison" else None) for role in ROLES
    }
    return app


@pytest.mark.slow
def test_no_role_gets_a_server_error_or_an_undocumented_status(api_app):  # type: ignore[no-untyped-def]
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", api_app)
    every_caller = [{}, *(bearer(t) for t in api_app.extensions["hub_tokens"].values())]
    failures: list[str] = []
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        def fuzz(case):  # type: ignore[no-untyped-def]
            for headers in every_caller:
                case.call_and_validate(headers=headers, checks=CHECKS)

        try:
            fuzz()
        except Exception as exc:
            failures.append(f"{operation.method.upper()} {operation.path}: {exc}"[:2000])
    assert operations > 35
    assert not failures, "\n\n".join(failures)


def test_the_documented_success_statuses_match_the_views():
    """Every ``), 20x`` a view returns is in meta.SUCCESS (a new one must be documented)."""
    from hub import create_app  # noqa: F401  (registers the routes' modules)
    from hub.api import meta, results, rosters, tasks

    for module in (results, rosters, tasks):
        for name, view in inspect.getmembers(module, inspect.isfunction):
            codes = set(re.findall(r"\), (20\d)\b", inspect.getsource(view)))
            codes |= {c for pair in re.findall(r"(20\d) if .* else (20\d)", inspect.getsource(view)) for c in pair}
            if not codes or (name.startswith("_") and name != "_inline_or_offloaded"):
                continue
            endpoint = f"api.{name}"
            if name == "_inline_or_offloaded":
                for ep in ("api.verify_record", "api.draw_offline"):
                    assert codes <= set(meta.SUCCESS[ep]), (ep, codes)
                continue
            assert codes <= set(meta.SUCCESS.get(endpoint, ("200",))), (endpoint, codes)
