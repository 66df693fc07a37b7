"""Document numbers (文号): agency short name, kind word, year and serial, e.g. 济卫联查〔2026〕17号.

One serial series per agency and year, whatever the kind, so a number is unique per agency and
year; the kind word only tells a reader what the paper is. Pure: allocation is in ``allocation``.
"""

from __future__ import annotations

# The short names a Jinan bureau puts in front of its document numbers (机关代字).
SHORT_NAMES = {
    "HEALTH": "济卫",
    "SAMR": "济市监",
    "EDU": "济教",
    "CIVIL": "济民",
    "CULTURE": "济文旅",
    "SPORT": "济体",
    "FIRE": "济消",
}

KIND_WORDS = {
    "notice": "联查",
    "dispatch": "联查派",
    "record": "查记",
    "result": "查结",
    "transfer": "移",
}


def short_name(agency: str) -> str:
    """The agency's short name; the code itself when none is known."""
    return SHORT_NAMES.get(agency, agency)


def format_number(agency: str, kind: str, year: int, serial: int) -> str:
    """济卫联查〔2026〕17号: the 〔〕 brackets and 号 as the GB/T 9704 layout writes them."""
    return f"{short_name(agency)}{KIND_WORDS[kind]}〔{year}〕{serial}号"
