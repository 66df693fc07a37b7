"""What the public may ask the portal's search (pure): one checked query, or an error naming the field.

The search runs over published results and the entities they are about: by name (a Chinese
substring), credit code (a prefix), district, agency, year and outcome, newest first, a page at a
time (the cursor is the last row's id: keyset paging, never OFFSET).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from hub.errors import InvalidInput
from vocabulary.outcomes import TEXTS

NAME_MAX = 64
PAGE_SIZE = 20
#: A name of fewer characters is not matched by the trigram index: on PostgreSQL by the index of its
#: characters and character pairs (0014_portal_search), on SQLite by scanning (docs/portal.md).
INDEXED_NAME_MIN = 3

_CODE = re.compile(r"[0-9A-Z]{1,18}")
_DISTRICT = re.compile(r"\d{6}")
_AGENCY = re.compile(r"[A-Z][A-Z0-9_]{0,31}")
_CURSOR = re.compile(r"[1-9]\d{0,17}")
FIELDS = ("name", "code", "district", "agency", "year", "outcome")


@dataclass(frozen=True)
class ResultSearch:
    """A checked portal search; empty fields do not filter."""

    name: str = ""
    code: str = ""
    district: str = ""
    agency: str = ""
    year: int | None = None
    outcome: str = ""
    after: int | None = None  # the id of the last row on the previous page
    limit: int = PAGE_SIZE

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f) for f in FIELDS)

    def as_args(self) -> dict[str, str]:
        """The query's non-empty fields as URL parameters (for the next page's link)."""
        return {f: str(getattr(self, f)) for f in FIELDS if getattr(self, f)}


def parse_search(args: Mapping[str, str], *, limit: int = PAGE_SIZE) -> ResultSearch:
    """A ResultSearch from URL parameters; InvalidInput names the parameter that is wrong."""
    name = " ".join((args.get("name") or "").split())
    if len(name) > NAME_MAX:
        raise InvalidInput(f"名称最多 {NAME_MAX} 个字 (at most {NAME_MAX} characters)", where="name")
    code = (args.get("code") or "").strip().upper()
    if code and not _CODE.fullmatch(code):
        raise InvalidInput(
            "统一社会信用代码只含数字和大写字母，最多 18 位 (digits and capitals, up to 18)", where="code"
        )
    district = (args.get("district") or "").strip()
    if district and not _DISTRICT.fullmatch(district):
        raise InvalidInput("区划代码是 6 位数字 (six digits, e.g. 370102)", where="district")
    agency = (args.get("agency") or "").strip().upper()
    if agency and not _AGENCY.fullmatch(agency):
        raise InvalidInput("部门代码不正确 (an agency code such as HEALTH)", where="agency")
    year_text = (args.get("year") or "").strip()
    year = None
    if year_text:
        if not year_text.isdigit() or not 2000 <= int(year_text) <= 2100:
            raise InvalidInput("年份应为 2000–2100 之间的四位数 (a year such as 2026)", where="year")
        year = int(year_text)
    outcome = (args.get("outcome") or "").strip()
    if outcome and outcome not in TEXTS:
        raise InvalidInput(f"检查结果代码应为 1–{len(TEXTS)} (an outcome code)", where="outcome")
    cursor = (args.get("after") or "").strip()
    if cursor and not _CURSOR.fullmatch(cursor):
        raise InvalidInput("翻页参数不正确 (a page cursor from a link on this site)", where="after")
    return ResultSearch(name, code, district, agency, year, outcome, int(cursor) if cursor else None, limit)


def like_pattern(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally (escape character \\)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def fts_phrase(text: str) -> str:
    """An FTS5 phrase matching ``text`` as typed (double quotes doubled inside the phrase)."""
    return '"' + text.replace('"', '""') + '"'


def code_range(prefix: str) -> tuple[str, str]:
    """Bounds [low, high) of the credit codes starting with ``prefix`` (codes are ASCII digits and capitals)."""
    return prefix, prefix + "\x7f"


def visible_match(query: str, public_name: str, name: str) -> bool:
    """Whether a name search may show this row: a masked name must match as published, so that a
    search cannot find an individual business by the operator's name its public name hides."""
    return not query or (query in public_name if public_name != name else query in name)
