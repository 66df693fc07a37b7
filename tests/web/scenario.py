"""A joint task built through the real services, stopped at the lifecycle step a test needs.

Four schools in two districts (one run by an individual, whose operator's name and phone
must never reach a public page), five certified inspectors per agency with capacity 1, so
that every inspector is on at most one team.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select

from hub.auth.models import User
from hub.auth.services import add_user
from hub.config import Settings
from hub.db import Database
from hub.draw import jdp
from hub.draw.models import Assignment, AssignmentInspector
from hub.draw.services import run_draw
from hub.items.services import import_items
from hub.results.history import RESULTS_HISTORY
from hub.results.services import approve, enter_result
from hub.rosters.models import Entity, Inspector
from hub.tasks import services as lifecycle

ACTOR = "scenario"
AGENCIES = ("HEALTH", "SAMR")
LEGAL_REP = "王建国"
PHONE = "13912345678"
ENTITIES = (  # entity_id, name, type, district, legal_rep, phone
    ("EDU:3701020001", "济南市历下区实验小学", "school", "370102", "李明", "0531-86001234"),
    ("EDU:3701020002", "王建国托管班", "individual", "370102", LEGAL_REP, PHONE),
    ("EDU:3701030001", "济南市市中区育英中学", "school", "370103", "赵华", "0531-86005678"),
    ("EDU:3701030002", "济南市市中区阳光幼儿园", "school", "370103", "孙丽", "0531-86009012"),
)
PASSWORD = "correct-horse-battery"


@dataclass
class Scenario:
    db: Database
    settings: Settings
    task_id: str
    secrets: dict[str, str] = field(default_factory=dict)

    def team_of(self, entity_id: str) -> list[str]:
        with self.db.unit_of_work() as s:
            return list(
                s.scalar(
                    select(Assignment.team).where(Assignment.task_id == self.task_id, Assignment.entity_id == entity_id)
                )
                or []
            )

    def rows_of(self, inspector_id: str) -> set[str]:
        """Entity ids whose team holds ``inspector_id``."""
        with self.db.unit_of_work() as s:
            return set(
                s.scalars(
                    select(AssignmentInspector.entity_id).where(
                        AssignmentInspector.task_id == self.task_id, AssignmentInspector.inspector_id == inspector_id
                    )
                )
            )

    def drawn_entities(self) -> list[str]:
        with self.db.unit_of_work() as s:
            return list(
                s.scalars(
                    select(Assignment.entity_id).where(Assignment.task_id == self.task_id).order_by(Assignment.position)
                )
            )


def task_spec(task_id: str) -> dict[str, Any]:
    return {
        "id": task_id,
        "title": "2026年学校卫生与食品安全联合抽查",
        "lead": "HEALTH",
        "agencies": list(AGENCIES),
        "window": ["2026-12-01", "2026-12-31"],
        "population": {"categories": ["school"], "districts": ["370102", "370103"]},
        "strata": {"by": ["district", "category"], "ratio": 1},
        "weights": {"abnormal_list": 3},
        "team": [
            {"agency": "HEALTH", "size": 1, "items": ["HEALTH-SCH-01"], "expertise": ["school"]},
            {"agency": "SAMR", "size": 1, "items": ["SAMR-FOOD-01"]},
        ],
        "recusal": {"avoid_home_district": True, "avoid_last_pairing": True},
        "entropy_source": "福彩3D 2026-11-30 开奖号码",
    }


def add_rosters(db: Database) -> None:
    """Entities, inspectors and item lists, as a sync and an item import would leave them."""
    import_items(
        db,
        [
            {
                "agency": "HEALTH",
                "code": "HEALTH-SCH-01",
                "name": "学校卫生监督检查",
                "legal_basis": "《学校卫生工作条例》",
                "subject": "学校",
                "content": "教学环境、饮用水卫生",
                "method": "现场检查",
            },
            {
                "agency": "SAMR",
                "code": "SAMR-FOOD-01",
                "name": "学校食堂食品安全检查",
                "legal_basis": "《食品安全法》",
                "subject": "学校食堂",
                "content": "食品经营许可、从业人员健康证明",
                "method": "现场检查",
            },
        ],
        ACTOR,
    )
    with db.unit_of_work() as s:
        for entity_id, name, entity_type, district, rep, phone in ENTITIES:
            s.add(
                Entity(
                    entity_id=entity_id,
                    name=name,
                    entity_type=entity_type,
                    district=district,
                    legal_rep=rep,
                    phone=phone,
                    address=f"{district} 经十路{len(name)}号",
                    categories=["school"],
                    status="active",
                    active=True,
                    sources=["edu"],
                )
            )
        for agency in AGENCIES:
            for n in range(1, 6):
                s.add(
                    Inspector(
                        inspector_id=f"{agency}-{n:03d}",
                        name=f"{agency[0]}检查员{n}",
                        agency=agency,
                        cert_no=f"C{agency}{n}",
                        cert_valid_until=date(2030, 12, 31),
                        expertise=["school"],
                        home_districts=["370105"],
                        capacity=1,
                        active=True,
                    )
                )


def liaison_of(agency: str) -> str:
    """The user who commits and reveals for ``agency`` in the scenario (each party acts only as itself)."""
    return f"scenario-{agency}"


def committed_task(db: Database, settings: Settings, task_id: str = "JT-2026-0100") -> Scenario:
    """A task every party has committed to (state: committing): the hub by itself, each agency through its
    own liaison."""
    add_rosters(db)
    with db.unit_of_work() as s:
        for agency in AGENCIES:
            if s.scalar(select(User).where(User.name == liaison_of(agency))) is None:
                add_user(s, liaison_of(agency), ["liaison"], agency=agency)
    lifecycle.create_task(db, settings, task_spec(task_id), ACTOR)
    scenario = Scenario(db, settings, task_id)
    for party in AGENCIES:
        secret = lifecycle.new_secret()
        scenario.secrets[party] = secret
        lifecycle.commit(db, task_id, party, jdp.commitment(party, secret, "sha256"), liaison_of(party))
    return scenario


def frozen_task(db: Database, settings: Settings, task_id: str = "JT-2026-0100") -> Scenario:
    """Frozen, every agency's secret revealed (the hub reveals its own at the draw), ready for its draw."""
    scenario = committed_task(db, settings, task_id)
    lifecycle.freeze(db, settings, task_id, ACTOR, history=RESULTS_HISTORY)
    for party, secret in scenario.secrets.items():
        lifecycle.reveal(db, task_id, party, secret, liaison_of(party))
    return scenario


def drawn_task(db: Database, settings: Settings, task_id: str = "JT-2026-0100") -> Scenario:
    scenario = frozen_task(db, settings, task_id)
    lifecycle.request_draw(db, task_id, "2026-11-30 福彩3D 123", ACTOR)
    run_draw(db, settings, task_id, ACTOR)
    return scenario


def enter(scenario: Scenario, entity_id: str, agency: str, findings: str, codes: tuple[str, ...] = ("1",)) -> str:
    """Enter one result by the drawn team; returns its result_id."""
    result = enter_result(
        scenario.db,
        scenario.task_id,
        {
            "entity_id": entity_id,
            "agency": agency,
            "inspected_on": "2026-12-10",
            "outcome_codes": list(codes),
            "inspectors": scenario.team_of(entity_id),
            "findings": findings,
        },
        ACTOR,
        today=date(2026, 12, 20),
    )
    return result.result_id


def approve_all(scenario: Scenario) -> list[str]:
    return approve(scenario.db, scenario.settings, scenario.task_id, ACTOR, today=date(2026, 12, 21))


def add_person(
    db: Database, name: str, roles: list[str], agency: str | None = None, inspector_id: str | None = None
) -> None:
    with db.unit_of_work() as s:
        add_user(s, name, roles, agency=agency, password=PASSWORD, inspector_id=inspector_id)
