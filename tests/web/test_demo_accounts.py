"""The demo's people: inspectors linked to drawn officers see their assignment; tasks in several states."""

from __future__ import annotations

from datetime import date

from hub.demo import liaison_of as demo_liaison
from hub.demo import link_inspectors, more_tasks
from hub.tasks.models import JointTask

from .scenario import add_person, drawn_task


def test_each_linked_inspector_sees_an_assignment(db, settings, sign_in) -> None:  # type: ignore[no-untyped-def]
    scenario = drawn_task(db, settings)
    linked = link_inspectors(db, scenario.task_id)
    assert set(linked) == {"inspector", "inspector-HEALTH", "inspector-SAMR"}
    for name, officer in linked.items():
        assert scenario.rows_of(officer)
        html = sign_in(name + "-web", "inspector", inspector_id=officer).get(f"/tasks/{scenario.task_id}")
        assert 'class="assignment"' in html.get_data(as_text=True), name


def test_the_demo_leaves_tasks_in_several_states(db, settings) -> None:  # type: ignore[no-untyped-def]
    drawn_task(db, settings)
    for agency in ("HEALTH", "SAMR"):  # the demo's liaisons, by the demo's names
        add_person(db, demo_liaison(agency), ["liaison"], agency=agency)
    made = more_tasks(db, settings, date(2026, 12, 3))
    with db.unit_of_work() as s:
        states = {state: s.get(JointTask, task_id).state for state, task_id in made.items()}
    assert states == {"committing": "committing", "frozen": "frozen", "void": "void"}
