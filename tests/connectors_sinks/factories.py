"""Small factories for the sink tests: settings, messages, credit codes."""

from __future__ import annotations

import itertools
from typing import Any

from connectors.base import ConnectorSettings, OutgoingMessage
from vocabulary.uscc import check_char

APP_ID = "hub-test"
SECRET = "s3cret-for-tests"
_serial = itertools.count(10_000)


def settings_for(
    server: Any, kind: str, secret: str = SECRET, timeout: float = 5.0, **options: Any
) -> ConnectorSettings:
    options.setdefault("attempts", 1)
    if kind == "credit-xml":
        options.setdefault("sender", "370100-HEALTH")
    return ConnectorSettings(
        name=kind.split("-")[0],
        kind=kind,
        url=server.url,
        app_id=APP_ID,
        app_secret=secret,
        timeout=timeout,
        options=options,
    )


def uscc(n: int, valid: bool = True) -> str:
    """A unified social credit code; with ``valid=False`` its check digit is wrong."""
    first17 = f"91370102MA{n:07d}"
    check = check_char(first17)
    if not valid:
        check = "1" if check != "1" else "2"
    return first17 + check


def task_message(task_id: str = "JT-2026-0007", **overrides: Any) -> OutgoingMessage:
    payload = {
        "task_id": task_id,
        "title": "2026年学校卫生与食品安全联合抽查",
        "lead": "HEALTH",
        "agencies": ["HEALTH", "SAMR"],
        "items": {"HEALTH": ["HEALTH-SCH-01"], "SAMR": ["SAMR-01"]},
        "strata": {"370102|school": 12},
        "quotas": {"370102|school": 3},
        "window": ["2026-12-01", "2026-12-31"],
        **overrides,
    }
    return OutgoingMessage(key=f"task:{task_id}", kind="task", payload=payload)


def draw_message(task_id: str = "JT-2026-0007", seed: str = "ab" * 32) -> OutgoingMessage:
    record = {
        "protocol": "JDP-1",
        "plan_digest": "00" * 32,
        "seed": seed,
        "selections": [
            {"entity_id": "E1", "stratum": "370102|school", "key": "0123456789abcdef", "team": ["H1", "S1"]}
        ],
    }
    return OutgoingMessage(key=f"draw:{task_id}", kind="draw", payload={"task_id": task_id, "record": record})


def result_message(
    task_id: str = "JT-2026-0007", *, n: int | None = None, with_uscc: bool = True, **overrides: Any
) -> OutgoingMessage:
    n = next(_serial) if n is None else n
    payload = {
        "result_id": f"R-{task_id}-{n:05d}",
        "task_id": task_id,
        "entity_id": f"ENT-{n}",
        "uscc": uscc(n) if with_uscc else None,
        "entity_name": f"济南市某某酒店{n}",
        "agency": "HEALTH",
        "authority": "济南市卫生健康委员会",
        "items": ["HEALTH-SCH-01"],
        "inspected_on": "2026-12-03",
        "outcomes": [{"code": "5", "text": "发现问题经责令已改正"}],
        "inspectors": ["H1", "S1"],
        "findings": "消毒记录不全，已当场改正",
    }
    payload.update(overrides)
    return OutgoingMessage(key=payload["result_id"], kind="result", payload=payload)


def by_key(report: Any) -> dict[str, Any]:
    return {o.key: o for o in report.receipts}


#: every hub code mapped onto a province's letters and numbers (1-12 and A-G style)
LETTER_CODES = {str(i): c for i, c in zip(range(1, 14), "ABCDEFGHJKLMN")}
