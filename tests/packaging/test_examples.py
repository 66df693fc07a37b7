"""The samples in examples/ are accepted as they stand by the commands their comments name."""

from __future__ import annotations

from sqlalchemy import select

from hub.cli import main
from hub.tasks.models import JointTask
from tests.packaging.support import ROOT

EXAMPLES = ROOT / "examples"


def test_the_sample_task_file_creates_a_task(db, settings, monkeypatch, capsys):
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    assert main(["items", "import", str(EXAMPLES / "items.csv")]) == 0
    assert main(["task", "create", str(EXAMPLES / "joint-task.toml")]) == 0
    task_id = capsys.readouterr().out.strip().splitlines()[-1]
    with db.unit_of_work() as s:
        task = s.scalar(select(JointTask).where(JointTask.id == task_id))
        assert task is not None and task.state == "draft"
        assert task.agencies == ["HEALTH", "SAMR"] and task.spec["strata"]["ratios"] == {"370102|school": 0.1}


def test_the_sample_task_file_needs_its_items_first(db, settings, monkeypatch, capsys):
    """As its comment says: without the item list the task is refused, naming the key."""
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    assert main(["task", "create", str(EXAMPLES / "joint-task.toml")]) == 65
    assert "team.items" in capsys.readouterr().err


def test_the_sample_annual_plan_creates_a_plan_with_its_entries(db, settings, monkeypatch, capsys):
    from hub.plans.models import PlanEntry

    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    assert main(["items", "import", str(EXAMPLES / "items.csv")]) == 0
    assert main(["plan", "create", str(EXAMPLES / "annual-plan.toml")]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "AP-2026-HEALTH"
    with db.unit_of_work() as s:
        entries = list(s.scalars(select(PlanEntry).order_by(PlanEntry.position)))
        assert [(e.id, e.ratio, e.months) for e in entries] == [
            ("AP-2026-HEALTH-01", "0.05", [11, 12]),
            ("AP-2026-HEALTH-02", "0.1", [6]),
        ]
