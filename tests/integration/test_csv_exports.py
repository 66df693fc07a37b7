"""CSV exports neutralise formulas (issue 13, low findings): a cell a spreadsheet would run as a formula
gets a leading ', in every kind; JSON exports keep the value as it is."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import pytest
from sqlalchemy import update

from hub.cli import main
from hub.items.models import Item
from hub.results.models import Result
from hub.rosters.export import neutralise_formula
from hub.rosters.models import Entity, Inspector, QuarantineRecord
from tests.web import scenario as sc

EVIL = "=cmd|' /C calc'!A0"


@pytest.mark.parametrize("cell", [EVIL, "+1+1", "-2+3", "@SUM(A1)", "\tTAB", "\r=1"])
def test_a_formula_gets_a_leading_quote(cell):
    assert neutralise_formula(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["", "济南市历下区实验小学", "1;5", "2026-12-10", "a=b", "'=already"])
def test_other_cells_are_left_alone(cell):
    assert neutralise_formula(cell) == cell


@pytest.fixture
def poisoned(make_settings, db):  # type: ignore[no-untyped-def]
    """Every export kind holding a formula in one of its text columns."""
    scenario = sc.drawn_task(db, make_settings(), "JT-2026-0995")
    e1 = scenario.drawn_entities()[0]
    sc.enter(scenario, e1, "HEALTH", EVIL)
    sc.approve_all(scenario)
    with db.unit_of_work() as s:
        s.execute(update(Entity).where(Entity.entity_id == e1).values(name=EVIL))
        s.execute(update(Inspector).where(Inspector.inspector_id == "HEALTH-001").values(name=EVIL))
        s.execute(update(Item).where(Item.code == "HEALTH-SCH-01").values(name=EVIL))
        s.add(QuarantineRecord(source="samr", record_key="k1", reason=EVIL, raw="{}"))
        assert s.query(Result).count() == 1
    return scenario


@pytest.mark.parametrize(
    "kind, column",
    [
        ("entities", "name"),
        ("inspectors", "name"),
        ("quarantine", "reason"),
        ("items", "name"),
        ("results", "findings"),
    ],
)
def test_every_csv_export_neutralises_formulas(poisoned, kind, column, tmp_path, monkeypatch):
    monkeypatch.setenv("HUB_DATABASE_URL", poisoned.settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(poisoned.settings.data_dir))
    out = tmp_path / f"{kind}.csv"
    assert main(["export", kind, "--format", "csv", "--out", str(out)]) == 0
    cells = [row[column] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8")))]
    assert "'" + EVIL in cells and EVIL not in cells
    as_json = tmp_path / f"{kind}.json"
    assert main(["export", kind, "--format", "json", "--out", str(as_json)]) == 0
    assert EVIL in [r[column] for r in json.loads(as_json.read_text(encoding="utf-8"))]


def test_dates_stay_plain(poisoned):
    assert neutralise_formula(date(2026, 12, 10).isoformat()) == "2026-12-10"
