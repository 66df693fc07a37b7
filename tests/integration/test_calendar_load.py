"""`hub calendar load FILE`: a whole notice in one step, stored, audited, replaceable."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from hub.audit.models import AuditEntry
from hub.cli import main
from hub.results.models import CalendarOverride
from hub.results.services import calendar
from tests.unit.test_calendar_notice import EXAMPLE, NOTICE_2027


def _env(monkeypatch, settings):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))


def test_calendar_load_stores_every_day_of_the_notice(db, settings, monkeypatch, capsys):
    _env(monkeypatch, settings)
    assert main(["calendar", "load", str(EXAMPLE)]) == 0
    assert "2026: 33 days off and 6 make-up workday(s) loaded" in capsys.readouterr().out
    with db.unit_of_work() as s:
        rows = {o.day: o.workday for o in s.scalars(select(CalendarOverride))}
        actions = [a.action for a in s.scalars(select(AuditEntry))]
    assert len(rows) == 39 and rows[date(2026, 2, 14)] is True and rows[date(2026, 10, 7)] is False
    assert actions == ["calendar.load"]


def test_next_years_notice_extends_the_known_calendar(db, settings, monkeypatch, capsys, tmp_path):
    _env(monkeypatch, settings)
    path = tmp_path / "2027.toml"
    path.write_text(NOTICE_2027, encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 0
    assert "holidays known until 2027-12-31" in capsys.readouterr().out
    with db.unit_of_work() as s:
        due = calendar(s).add_working_days(date(2027, 2, 4), 1)
    assert due.due == date(2027, 2, 14) and not due.beyond_known_calendar


def test_replace_removes_the_years_earlier_overrides(db, settings, monkeypatch, capsys, tmp_path):
    _env(monkeypatch, settings)
    assert main(["calendar", "set", "2027-03-01", "holiday", "--note", "mistake"]) == 0
    path = tmp_path / "2027.toml"
    path.write_text(NOTICE_2027, encoding="utf-8")
    assert main(["calendar", "load", str(path), "--replace"]) == 0
    assert "1 earlier override(s) removed" in capsys.readouterr().out
    with db.unit_of_work() as s:
        days = {o.day for o in s.scalars(select(CalendarOverride))}
    assert date(2027, 3, 1) not in days and len(days) == 9


def test_a_bad_notice_exits_65_naming_the_key_and_stores_nothing(db, settings, monkeypatch, capsys, tmp_path):
    _env(monkeypatch, settings)
    path = tmp_path / "bad.toml"
    path.write_text(NOTICE_2027.replace('"2027-02-14"', '"2027-02-06"'), encoding="utf-8")
    assert main(["calendar", "load", str(path)]) == 65
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "festival[1].workdays" in err and "listed twice" in err
    with db.unit_of_work() as s:
        assert list(s.scalars(select(CalendarOverride))) == []
