"""Plan entries (计划条目) read and checked, the provincial `plan` message, and the task an entry
starts (pure: plain data in, plain data out).

Every mistake raises ``InvalidInput`` in Chinese naming the entry's field, e.g. ``条目 2: ratio``.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.errors import InvalidInput

AGENCY = re.compile(r"[A-Za-z0-9_-]{1,32}")  # as hub.tasks.spec.AGENCY: agency codes are party ids
DISTRICT = re.compile(r"[0-9]{6}")
ENTRY_KEYS = ("title", "agencies", "items", "population", "ratio", "months")
POPULATION_KEYS = ("categories", "districts")
YEARS = (2000, 2100)


@dataclass(frozen=True)
class EntrySpec:
    """One planned joint task: who inspects what, of which population, at what ratio, in which months."""

    title: str
    agencies: tuple[str, ...]
    items: tuple[tuple[str, tuple[str, ...]], ...]  # (agency, item codes) in the order of ``agencies``
    categories: tuple[str, ...]
    districts: tuple[str, ...] | None
    ratio: Decimal
    months: tuple[int, ...]  # sorted, 1-12

    def to_dict(self) -> dict[str, Any]:
        """As stored and as the API shows it (ratio as a string: the wire keeps it exact)."""
        population: dict[str, Any] = {"categories": list(self.categories)}
        if self.districts is not None:
            population["districts"] = list(self.districts)
        return {
            "title": self.title,
            "agencies": list(self.agencies),
            "items": {a: list(codes) for a, codes in self.items},
            "population": population,
            "ratio": ratio_text(self.ratio),
            "months": list(self.months),
        }

    def item_codes(self) -> list[tuple[str, str]]:
        """(agency, code) for every item of the entry."""
        return [(a, c) for a, codes in self.items for c in codes]


def _fail(where: str, message: str) -> Any:
    raise InvalidInput(message, where=where)


def ratio_text(ratio: Decimal) -> str:
    """A ratio as the wire writes it: "0.05", never "5E-2"."""
    text = format(ratio.normalize(), "f")
    return text


def check_year(year: Any, where: str = "year") -> int:
    if isinstance(year, str) and year.strip().isdigit():
        year = int(year.strip())
    if isinstance(year, bool) or not isinstance(year, int) or not YEARS[0] <= year <= YEARS[1]:
        _fail(where, f"年度须为 {YEARS[0]}–{YEARS[1]} 之间的整数，收到 {year!r}")
    return int(year)


def check_agency(value: Any, where: str) -> str:
    if not isinstance(value, str) or not AGENCY.fullmatch(value):
        _fail(where, f"{value!r} 不是部门代码（字母、数字、-、_，至多 32 个字符）")
    return str(value)


def check_title(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        _fail(where, "不能为空")
    text = str(value).strip()
    if len(text) > 256 or any(c in text for c in "\t\r\n"):
        _fail(where, "至多 256 个字符，不含换行或制表符")
    return text


def _strings(value: Any, where: str, *, empty: bool = False, pattern: re.Pattern[str] | None = None) -> list[str]:
    if isinstance(value, str):  # a form field: comma- or space-separated
        value = [v for v in re.split(r"[\s,，、]+", value) if v]
    if not isinstance(value, list):
        _fail(where, "须为字符串列表")
    if not value and not empty:
        _fail(where, "不能为空")
    out: list[str] = []
    for i, v in enumerate(value, 1):
        if not isinstance(v, str) or not v.strip() or any(c in v for c in "\t\n|"):
            _fail(f"{where}[{i}]", f"{v!r} 不是有效的值")
        if pattern is not None and not pattern.fullmatch(v):
            _fail(f"{where}[{i}]", f"{v!r} 格式不对")
        if v in out:
            _fail(f"{where}[{i}]", f"{v!r} 重复")
        out.append(v)
    return out


def parse_ratio(value: Any, where: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        _fail(where, "抽查比例须为数字，如 0.05")
    try:
        ratio = Decimal(repr(value)) if isinstance(value, float) else Decimal(str(value).strip())
    except InvalidOperation:
        ratio = Decimal("NaN")
    if not ratio.is_finite() or not 0 < ratio <= 1:
        _fail(where, f"抽查比例须大于 0 且不超过 1，收到 {value!r}")
    return ratio


def parse_months(value: Any, where: str) -> tuple[int, ...]:
    if isinstance(value, str):
        value = [v for v in re.split(r"[\s,，、]+", value) if v]
    if not isinstance(value, list) or not value:
        _fail(where, "须列出 1–12 中的至少一个月份")
    months: set[int] = set()
    for v in value:
        try:
            m = int(v) if not isinstance(v, bool) else 0
        except (TypeError, ValueError):
            m = 0
        if not 1 <= m <= 12 or (isinstance(v, float) and v != m):
            _fail(where, f"{v!r} 不是 1–12 的月份")
        months.add(m)
    return tuple(sorted(months))


def parse_entry(data: Any, lead: str, where: str = "条目") -> EntrySpec:
    """Check one entry as sent by a form, the API or the command line."""
    if not isinstance(data, dict):
        _fail(where, "须为对象")
    unknown = sorted(set(data) - set(ENTRY_KEYS) - {"entry_id"})
    if unknown:
        _fail(f"{where}: {unknown[0]}", f"未知字段（可用：{', '.join(ENTRY_KEYS)}）")

    def need(key: str) -> Any:
        if data.get(key) in (None, "", [], {}):
            _fail(f"{where}: {key}", "必填")
        return data[key]

    agencies = [check_agency(a, f"{where}: agencies[{i}]") for i, a in enumerate(_strings(need("agencies"), ""), 1)]
    if lead not in agencies:
        _fail(f"{where}: agencies", f"牵头部门 {lead} 须在参与部门之中")
    raw_items = need("items")
    if not isinstance(raw_items, dict):
        _fail(f"{where}: items", "须为 {部门: [事项编码]}")
    for agency in raw_items:
        if agency not in agencies:
            _fail(f"{where}: items.{agency}", f"{agency} 不是本条目的参与部门")
    items = []
    for agency in agencies:
        codes = _strings(raw_items.get(agency, []), f"{where}: items.{agency}", empty=True)
        if not codes:
            _fail(f"{where}: items.{agency}", f"{agency} 未选择抽查事项：每个部门须从其事项清单中选择至少一项")
        items.append((agency, tuple(codes)))
    population = need("population")
    if not isinstance(population, dict):
        _fail(f"{where}: population", "须为 {categories: [...], districts: [...]}")
    extra = sorted(set(population) - set(POPULATION_KEYS))
    if extra:
        _fail(f"{where}: population.{extra[0]}", f"未知字段（可用：{', '.join(POPULATION_KEYS)}）")
    categories = _strings(population.get("categories"), f"{where}: population.categories")
    districts = population.get("districts")
    return EntrySpec(
        title=check_title(need("title"), f"{where}: title"),
        agencies=tuple(agencies),
        items=tuple(items),
        categories=tuple(categories),
        districts=None
        if districts in (None, "", [])
        else tuple(_strings(districts, f"{where}: population.districts", pattern=DISTRICT)),
        ratio=parse_ratio(need("ratio"), f"{where}: ratio"),
        months=parse_months(need("months"), f"{where}: months"),
    )


def plan_message(plan_id: str, year: int, lead: str, title: str, entries: list[tuple[str, EntrySpec]]) -> dict:
    """The body of `PUT /api/v1/joint-plans/{plan_id}` (interfaces.md): the whole plan, every entry."""
    return {
        "plan_id": plan_id,
        "year": year,
        "lead": lead,
        "title": title,
        "entries": [{"entry_id": entry_id, **entry.to_dict()} for entry_id, entry in entries],
    }


def entry_window(year: int, entry: EntrySpec) -> tuple[date, date]:
    """The inspection window an entry's months give: the first day of its first month to the last day
    of its last."""
    first, last = entry.months[0], entry.months[-1]
    return date(year, first, 1), date(year, last, calendar.monthrange(year, last)[1])


#: What a task created from an entry takes from it; the rest (window, team sizes, weights, strata
#: cut, recusal) the coordinator may set, as long as the window stays in the plan year.
INHERITED = ("lead", "agencies", "population.categories", "items", "ratio")


def task_spec_from_entry(year: int, lead: str, entry: EntrySpec, given: dict[str, Any] | None = None) -> dict:
    """The task spec (hub/tasks/spec.py's dict shape) an entry starts: its agencies, items, population
    and ratio inherited, the rest from ``given`` or defaulted (a window over the entry's months, one
    inspector per agency, at least two in all). Raises InvalidInput when ``given`` departs from what
    is inherited: a task of the plan inspects what the plan says."""
    given = dict(given or {})
    start, end = entry_window(year, entry)
    items = dict(entry.items)
    spec: dict[str, Any] = {
        "title": given.get("title") or entry.title,
        "lead": lead,
        "agencies": list(entry.agencies),
        "window": given.get("window") or [start.isoformat(), end.isoformat()],
        "population": {"categories": list(entry.categories)},
        "strata": {"by": ["district", "category"], "ratio": float(entry.ratio)},
        "team": [
            {"agency": a, "size": 1 if len(entry.agencies) > 1 else 2, "items": list(items[a]), "expertise": []}
            for a in entry.agencies
        ],
    }
    if entry.districts is not None:
        spec["population"]["districts"] = list(entry.districts)
    for key in ("weights", "recusal", "entropy_source", "id", "hash"):
        if given.get(key) not in (None, "", {}):
            spec[key] = given[key]
    if "population" in given:
        pop = dict(given["population"] or {})
        if pop.get("categories") not in (None, list(entry.categories)):
            _fail("population.categories", f"计划条目规定检查对象类别为 {'、'.join(entry.categories)}，不可更改")
        districts = pop.get("districts")
        if districts and entry.districts is not None and not set(districts) <= set(entry.districts):
            _fail("population.districts", f"须在计划条目的区县之内：{'、'.join(entry.districts)}")
        for key in ("districts", "statuses", "exclude_inspected_within_days"):
            if pop.get(key) not in (None, []):
                spec["population"][key] = pop[key]
    if "strata" in given:
        strata = dict(given["strata"] or {})
        ratio = strata.get("ratio", float(entry.ratio))
        if parse_ratio(ratio, "strata.ratio") < entry.ratio:
            _fail("strata.ratio", f"不得低于计划条目的抽查比例 {ratio_text(entry.ratio)}")
        spec["strata"] = {**spec["strata"], **strata, "ratio": ratio}
    if "agencies" in given and list(given["agencies"]) != list(entry.agencies):
        _fail("agencies", f"计划条目规定参与部门为 {'、'.join(entry.agencies)}，不可更改")
    if "lead" in given and given["lead"] != lead:
        _fail("lead", f"牵头部门为 {lead}，不可更改")
    if given.get("team"):
        for i, t in enumerate(given["team"], 1):
            agency = str(t.get("agency")) if isinstance(t, dict) else ""
            if agency not in items:
                _fail(f"[[team]][{i}].agency", f"{agency!r} 不是计划条目的参与部门")
            extra = [c for c in t.get("items", []) if c not in items[agency]]
            if extra:
                _fail(f"[[team]][{i}].items", f"{extra[0]} 不在计划条目为 {agency} 列出的事项之中")
        named = {t["agency"] for t in given["team"]}
        for agency in items:
            if agency not in named:
                _fail("[[team]]", f"{agency} 须有检查组条目")
        covered: dict[str, set[str]] = {a: set() for a in items}
        for t in given["team"]:
            covered[t["agency"]] |= set(t.get("items", []))
        for agency, codes in items.items():
            missing = [c for c in codes if c not in covered[agency]]
            if missing:
                _fail("[[team]]", f"计划条目的事项 {missing[0]}（{agency}）须由检查组承担")
        spec["team"] = given["team"]
    window = spec["window"]
    if not (isinstance(window, list) and len(window) == 2 and str(window[0])[:4] == str(year)):
        _fail("window", f"检查期间须在计划年度 {year} 内开始")
    return spec
