"""An annual plan built through the real services: item lists, people of each role, a plan body."""

from __future__ import annotations

from typing import Any

from hub.auth.services import add_user, create_token
from hub.db import Database
from hub.items.services import import_items

PASSWORD = "correct-horse-battery"
YEAR = 2026
PEOPLE = {  # name -> (roles, agency)
    "coord-health": (["coordinator"], "HEALTH"),
    "coord-samr": (["coordinator"], "SAMR"),
    "coord-city": (["coordinator"], None),
    "deputy-health": (["reviewer"], "HEALTH"),
    "liaison-samr": (["liaison"], "SAMR"),
    "liaison-edu": (["liaison"], "EDU"),
    "auditor": (["auditor"], None),
    "inspector": (["inspector"], "HEALTH"),
}
ITEMS = (
    ("HEALTH", "HEALTH-SCH-01", "学校卫生监督检查"),
    ("HEALTH", "HEALTH-HOT-01", "住宿场所卫生检查"),
    ("SAMR", "SAMR-FOOD-01", "学校食堂食品安全检查"),
)


def add_items(db: Database) -> None:
    import_items(
        db,
        [
            {"agency": a, "code": c, "name": n, "legal_basis": "《条例》", "subject": "", "content": "", "method": ""}
            for a, c, n in ITEMS
        ],
        "factory",
    )


def add_people(db: Database) -> dict[str, str]:
    """Every person of PEOPLE, with a bearer token each; returns name -> token."""
    tokens = {}
    with db.unit_of_work() as s:
        for name, (roles, agency) in PEOPLE.items():
            add_user(s, name, roles, agency=agency, password=PASSWORD)
        s.flush()
        for name in PEOPLE:
            tokens[name] = create_token(s, name)
    return tokens


def entry(**over: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "学校卫生与食品安全联合抽查",
        "agencies": ["HEALTH", "SAMR"],
        "items": {"HEALTH": ["HEALTH-SCH-01"], "SAMR": ["SAMR-FOOD-01"]},
        "population": {"categories": ["school"], "districts": ["370102", "370103"]},
        "ratio": "0.05",
        "months": [11, 12],
    }
    body.update(over)
    return body
