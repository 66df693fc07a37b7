"""Agency codes and the authority names the credit system shows for them."""

from __future__ import annotations

AUTHORITY_NAMES = {
    "HEALTH": "济南市卫生健康委员会",
    "SAMR": "济南市市场监督管理局",
    "EDU": "济南市教育局",
    "CIVIL": "济南市民政局",
    "CULTURE": "济南市文化和旅游局",
    "SPORT": "济南市体育局",
    "FIRE": "济南市消防救援支队",
}


def authority_name(agency: str) -> str:
    """The authority's Chinese name; the code itself when none is known."""
    return AUTHORITY_NAMES.get(agency, agency)
