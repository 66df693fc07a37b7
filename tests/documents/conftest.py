"""A drawn task (tests/web/scenario.py) and ways to read what a PDF says."""

from __future__ import annotations

import io
from datetime import date

import pytest

from hub.auth.principal import Principal
from hub.results.services import enter_result
from tests.web import scenario as sc
from tests.web.conftest import client, post_form, sign_in  # noqa: F401  (the web fixtures, reused)

ADMIN = Principal("boss", frozenset({"admin"}))
BASE = "http://hub.example.test"
TODAY = date(2026, 12, 3)


def pages_text(pdf: bytes) -> list[str]:
    """The text of each page, as a reader (or a screen reader) extracts it."""
    from pypdf import PdfReader

    assert pdf.startswith(b"%PDF-")
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def text_of(pdf: bytes) -> str:
    """All the text, without the line breaks and spaces that table cells and justified lines add."""
    return "".join("".join(pages_text(pdf)).split())


@pytest.fixture
def drawn(db, settings):  # type: ignore[no-untyped-def]
    return sc.drawn_task(db, settings)


def enter_transfer(scenario: sc.Scenario, entity_id: str) -> None:
    """A SAMR result with outcome 8 and a transfer of the lead to HEALTH."""
    enter_result(
        scenario.db,
        scenario.task_id,
        {
            "entity_id": entity_id,
            "agency": "SAMR",
            "inspected_on": "2026-12-10",
            "outcome_codes": ["8"],
            "inspectors": scenario.team_of(entity_id),
            "findings": "食堂两名从业人员无健康证明。",
            "follow_ups": [{"kind": "transfer", "to_agency": "HEALTH", "content": "涉嫌违反《食品安全法》第四十五条"}],
        },
        sc.ACTOR,
        today=date(2026, 12, 20),
    )
