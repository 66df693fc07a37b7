"""A joint task file (product.md, "Joint task file") read into frozen values and back (pure).

Every mistake raises ``InvalidInput`` naming the file and the key path, e.g.
``task.toml: [[team]][1].agency``; list and [[team]] positions count from 1, as a
person reading the file counts them.
"""

from __future__ import annotations

import math
import re
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any, NoReturn

from hub.errors import InvalidInput

STRATUM_KEYS = ("district", "category", "entity_type")
CREDIT_CLASSES = ("A", "B", "C", "D")
MIN_TEAM = 2  # product.md capability 3: at least two certified officers per team
MAX_WEIGHT = 100  # JDP-1 §1: a roster weight is 1-100
TASK_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
AGENCY = re.compile(r"[A-Za-z0-9_-]{1,32}")  # agency codes become JDP-1 party ids and pool fields
DISTRICT = re.compile(r"[0-9]{6}")
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Window:
    start: date
    end: date


@dataclass(frozen=True)
class Population:
    categories: tuple[str, ...]
    districts: tuple[str, ...] | None = None  # None: every district
    statuses: tuple[str, ...] = ("active",)
    exclude_inspected_within_days: int = 0  # 0: no exclusion


@dataclass(frozen=True)
class Strata:
    ratio: Decimal  # exact decimal as written; quotas turn it into a Fraction
    by: tuple[str, ...] = ("district", "category")
    ratios: tuple[tuple[str, Decimal], ...] = ()  # (stratum label, ratio), sorted by label
    counts: tuple[tuple[str, int], ...] = ()  # (stratum label, count), sorted by label


@dataclass(frozen=True)
class Weights:
    abnormal_list: int | None = None
    serious_violation: int | None = None
    credit_class: tuple[tuple[str, int], ...] = ()  # (class, tickets), sorted by class


@dataclass(frozen=True)
class TeamEntry:
    agency: str
    size: int
    items: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()


@dataclass(frozen=True)
class Recusal:
    avoid_home_district: bool = True
    avoid_last_pairing: bool = True


@dataclass(frozen=True)
class TaskSpec:
    title: str
    lead: str
    agencies: tuple[str, ...]
    window: Window
    population: Population
    strata: Strata
    team: tuple[TeamEntry, ...]
    weights: Weights = Weights()
    recusal: Recusal = Recusal()
    id: str | None = None  # generated when the task is created without one
    # Where the draw's public entropy will come from (e.g. "上证指数 2026-12-10 收盘"), declared with the task so
    # it is in the plan, and under plan_digest, before the freeze; None: the draw takes no entropy.
    entropy_source: str | None = None
    # JDP's H: "sha256" (the default) or "sm3" (GB/T 32905), for commitments, digests and the draw.
    hash: str = "sha256"


HASHES = ("sha256", "sm3")


def load_task_file(path: str | Path) -> TaskSpec:
    """Read and check a TOML task file; errors name the file and the key."""
    source = str(path)
    try:
        with open(path, "rb") as fh:
            data = tomllib.load(fh)
    except OSError as exc:
        raise InvalidInput(f"cannot read the task file: {exc.strerror}", where=source) from exc
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not valid TOML: {exc}", where=source) from exc
    return parse_task_spec(data, source)


def parse_task_spec(data: dict[str, Any], source: str = "task file") -> TaskSpec:
    """Check a task as read from TOML (or as ``spec_to_dict`` wrote it) and freeze it."""
    r = _Reader(source)
    top = r.table(data, "", _keys(TaskSpec))
    agencies = r.strings(r.required(top, "", "agencies"), "agencies", r.agency)
    lead = r.agency(r.required(top, "", "lead"), "lead")
    if lead not in agencies:
        r.fail("lead", f"{lead!r} is not one of the task's agencies")
    task_id = top.get("id")
    population = _population(r, r.required(top, "", "population"))
    return TaskSpec(
        id=None if task_id is None else r.text(task_id, "id", pattern=TASK_ID),
        title=r.text(r.required(top, "", "title"), "title", forbidden=""),
        lead=lead,
        agencies=agencies,
        window=_window(r, r.required(top, "", "window")),
        population=population,
        strata=_strata(r, r.required(top, "", "strata"), population),
        weights=_weights(r, top.get("weights", {})),
        team=_team(r, r.required(top, "", "team"), agencies),
        recusal=_recusal(r, top.get("recusal", {})),
        entropy_source=_entropy_source(r, top.get("entropy_source")),
        hash=r.choice(HASHES)(top.get("hash", "sha256"), "hash"),
    )


def spec_to_dict(spec: TaskSpec) -> dict[str, Any]:
    """The task as JSON-able data shaped like the task file; ``parse_task_spec`` reads it back."""
    out: dict[str, Any] = {} if spec.id is None else {"id": spec.id}
    population: dict[str, Any] = {"categories": list(spec.population.categories)}
    if spec.population.districts is not None:
        population["districts"] = list(spec.population.districts)
    population["statuses"] = list(spec.population.statuses)
    population["exclude_inspected_within_days"] = spec.population.exclude_inspected_within_days
    weights: dict[str, Any] = {}
    if spec.weights.abnormal_list is not None:
        weights["abnormal_list"] = spec.weights.abnormal_list
    if spec.weights.serious_violation is not None:
        weights["serious_violation"] = spec.weights.serious_violation
    weights["credit_class"] = dict(spec.weights.credit_class)
    out.update(
        title=spec.title,
        lead=spec.lead,
        agencies=list(spec.agencies),
        window=[spec.window.start.isoformat(), spec.window.end.isoformat()],
        population=population,
        strata={
            "by": list(spec.strata.by),
            "ratio": _number(spec.strata.ratio),
            "ratios": {label: _number(ratio) for label, ratio in spec.strata.ratios},
            "counts": dict(spec.strata.counts),
        },
        weights=weights,
        team=[
            {
                "agency": t.agency,
                "size": t.size,
                "items": list(t.items),
                "expertise": list(t.expertise),
            }
            for t in spec.team
        ],
        recusal={
            "avoid_home_district": spec.recusal.avoid_home_district,
            "avoid_last_pairing": spec.recusal.avoid_last_pairing,
        },
    )
    if spec.entropy_source is not None:
        out["entropy_source"] = spec.entropy_source
    if spec.hash != "sha256":  # written only when not the default: earlier tasks' specs stay as they were
        out["hash"] = spec.hash
    return out


MAX_ENTROPY_SOURCE = 200


def _entropy_source(r: _Reader, value: Any) -> str | None:
    if value is None:
        return None
    text = r.text(value, "entropy_source", forbidden="\n\r")
    if len(text) > MAX_ENTROPY_SOURCE:
        r.fail("entropy_source", f"at most {MAX_ENTROPY_SOURCE} characters")
    return text


def _number(value: Decimal) -> int | float:
    # A float's repr is its shortest decimal, so Decimal(repr(f)) -> float -> Decimal is exact.
    return int(value) if value == value.to_integral_value() else float(value)


def _keys(cls: type) -> tuple[str, ...]:
    """The keys a table may hold: the fields of the dataclass it becomes."""
    return tuple(f.name for f in fields(cls))


def _window(r: _Reader, value: Any) -> Window:
    if not isinstance(value, list) or len(value) != 2:
        r.fail("window", "must be two dates: [first day, last day]")
    start, end = r.day(value[0], "window[1]"), r.day(value[1], "window[2]")
    if start > end:
        r.fail("window", f"starts on {start} after it ends on {end}")
    return Window(start, end)


def _population(r: _Reader, value: Any) -> Population:
    t = r.table(value, "population", _keys(Population))
    category = r.forbidding("|\t\n")  # a category is part of a stratum label, joined by "|"
    districts = t.get("districts")
    return Population(
        categories=r.strings(r.required(t, "population", "categories"), "population.categories", category),
        districts=None if districts is None else r.strings(districts, "population.districts", r.district),
        statuses=r.strings(t.get("statuses", ["active"]), "population.statuses", r.forbidding("")),
        exclude_inspected_within_days=r.integer(
            t.get("exclude_inspected_within_days", 0), "population.exclude_inspected_within_days", 0
        ),
    )


def _strata(r: _Reader, value: Any, population: Population) -> Strata:
    t = r.table(value, "strata", _keys(Strata))
    by = r.strings(t.get("by", list(Strata.by)), "strata.by", r.choice(STRATUM_KEYS))
    ratios = {
        label: r.ratio(v, path) for label, v, path in _labelled(r, t.get("ratios", {}), "strata.ratios", by, population)
    }
    counts = {
        label: r.integer(v, path, 0)
        for label, v, path in _labelled(r, t.get("counts", {}), "strata.counts", by, population)
    }
    for label in counts.keys() & ratios.keys():
        r.fail(
            f'strata.counts."{label}"',
            "this stratum also has a ratio in strata.ratios; give one or the other",
        )
    return Strata(
        ratio=r.ratio(r.required(t, "strata", "ratio"), "strata.ratio"),
        by=by,
        ratios=tuple(sorted(ratios.items())),
        counts=tuple(sorted(counts.items())),
    )


def _labelled(
    r: _Reader, value: Any, path: str, by: tuple[str, ...], population: Population
) -> list[tuple[str, Any, str]]:
    """(label, value, key path) for a table keyed by stratum label; a label that can never match is refused."""
    if not isinstance(value, dict):
        r.fail(path, "must be a table of stratum label = value")
    out = []
    for label, v in value.items():
        where = f'{path}."{label}"'
        parts = label.split("|")
        if len(parts) != len(by):
            r.fail(where, f"a stratum label here has {len(by)} part(s) joined by '|': {' | '.join(by)}")
        for key, part in zip(by, parts):
            if key == "category" and part not in population.categories:
                r.fail(where, f"category {part!r} is not in population.categories")
            if key != "district":
                continue
            if part != "-" and not DISTRICT.fullmatch(part):
                r.fail(where, f"district {part!r} is not a 6-digit division code or '-'")
            if population.districts is not None and part not in population.districts:
                r.fail(where, f"district {part!r} is not in population.districts")
        out.append((label, v, where))
    return out


def _weights(r: _Reader, value: Any) -> Weights:
    t = r.table(value, "weights", _keys(Weights))
    credit = t.get("credit_class", {})
    if not isinstance(credit, dict):
        r.fail("weights.credit_class", "must be a table of class = tickets, e.g. { C = 2, D = 4 }")
    for cls in credit:
        if cls not in CREDIT_CLASSES:
            r.fail(
                f"weights.credit_class.{cls}",
                f"{cls!r} is not a credit class ({', '.join(CREDIT_CLASSES)})",
            )

    def tickets(key: str) -> int | None:
        return None if t.get(key) is None else r.integer(t[key], f"weights.{key}", 1, MAX_WEIGHT)

    return Weights(
        abnormal_list=tickets("abnormal_list"),
        serious_violation=tickets("serious_violation"),
        credit_class=tuple(
            sorted((cls, r.integer(n, f"weights.credit_class.{cls}", 1, MAX_WEIGHT)) for cls, n in credit.items())
        ),
    )


def _team(r: _Reader, value: Any, agencies: tuple[str, ...]) -> tuple[TeamEntry, ...]:
    if not isinstance(value, list):
        r.fail("[[team]]", "must be an array of tables ([[team]])")
    entries = []
    for i, item in enumerate(value, 1):
        path = f"[[team]][{i}]"
        t = r.table(item, path, _keys(TeamEntry))
        agency = r.agency(r.required(t, path, "agency"), f"{path}.agency")
        if agency not in agencies:
            r.fail(f"{path}.agency", f"{agency!r} is not one of the task's agencies")
        entries.append(
            TeamEntry(
                agency=agency,
                size=r.integer(r.required(t, path, "size"), f"{path}.size", 1),
                items=r.strings(t.get("items", []), f"{path}.items", r.forbidding(" \t\n"), allow_empty=True),
                # expertise tags are written comma-separated in the pool file, "-" meaning none
                expertise=r.strings(t.get("expertise", []), f"{path}.expertise", r.tag, allow_empty=True),
            )
        )
    if sum(e.size for e in entries) < MIN_TEAM:
        r.fail("[[team]]", "the law requires at least two inspectors per team")
    return tuple(entries)


def _recusal(r: _Reader, value: Any) -> Recusal:
    t = r.table(value, "recusal", _keys(Recusal))
    return Recusal(
        avoid_home_district=r.flag(t.get("avoid_home_district", True), "recusal.avoid_home_district"),
        avoid_last_pairing=r.flag(t.get("avoid_last_pairing", True), "recusal.avoid_last_pairing"),
    )


_Item = Callable[[Any, str], str]  # reads one list element at a key path
_CHAR_NAMES = {"\t": "a TAB", "\n": "a line feed", " ": "a space", ",": "a comma", "|": "'|'"}


class _Reader:
    """Reads values of one task, raising InvalidInput at the first mistake with its key path."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, path: str, message: str) -> NoReturn:
        raise InvalidInput(message, where=f"{self.source}: {path}" if path else self.source)

    def table(self, value: Any, path: str, known: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(path, "must be a table")
        for key in value:
            if key not in known:
                self.fail(_join(path, key), f"unknown key (expected one of: {', '.join(known)})")
        return value

    def required(self, table: dict[str, Any], path: str, key: str) -> Any:
        if table.get(key) is None:
            self.fail(_join(path, key), "is required")
        return table[key]

    def text(
        self,
        value: Any,
        path: str,
        *,
        pattern: re.Pattern[str] | None = None,
        forbidden: str = "\t\n",
    ) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(path, "must be a non-empty string")
        if pattern is not None and not pattern.fullmatch(value):
            self.fail(path, f"{value!r} is not allowed here (expected {pattern.pattern})")
        bad = next((c for c in value if c in forbidden), None)
        if bad is not None:
            self.fail(path, f"{value!r} must not contain {_CHAR_NAMES.get(bad, repr(bad))}")
        return value

    def forbidding(self, chars: str) -> _Item:
        return lambda value, path: self.text(value, path, forbidden="\t\n" + chars)

    def agency(self, value: Any, path: str) -> str:
        return self.text(value, path, pattern=AGENCY)

    def district(self, value: Any, path: str) -> str:
        return self.text(value, path, pattern=DISTRICT)

    def tag(self, value: Any, path: str) -> str:
        tag = self.text(value, path, forbidden=",\t\n")
        if tag == "-":
            self.fail(path, "'-' means 'none' in the pool file and cannot be a tag")
        return tag

    def choice(self, allowed: tuple[str, ...]) -> _Item:
        def read(value: Any, path: str) -> str:
            if value not in allowed:
                self.fail(path, f"{value!r} is not one of: {', '.join(allowed)}")
            return str(value)

        return read

    def strings(self, value: Any, path: str, item: _Item, *, allow_empty: bool = False) -> tuple[str, ...]:
        if not isinstance(value, list):
            self.fail(path, "must be a list of strings")
        if not value and not allow_empty:
            self.fail(path, "must not be empty")
        out: list[str] = []
        for i, v in enumerate(value, 1):
            s = item(v, f"{path}[{i}]")
            if s in out:
                self.fail(f"{path}[{i}]", f"{s!r} is listed twice")
            out.append(s)
        return tuple(out)

    def integer(self, value: Any, path: str, low: int, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            self.fail(path, "must be a whole number")
        if value < low or (high is not None and value > high):
            self.fail(
                path,
                f"{value} must be at least {low}" + ("" if high is None else f" and at most {high}"),
            )
        return value

    def ratio(self, value: Any, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            self.fail(path, "must be a number")
        ratio = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
        if not 0 < ratio <= 1:
            self.fail(path, f"{value} must be greater than 0 and at most 1")
        return ratio

    def flag(self, value: Any, path: str) -> bool:
        if not isinstance(value, bool):
            self.fail(path, "must be true or false")
        return value

    def day(self, value: Any, path: str) -> date:
        if type(value) is date:  # a TOML local date; a date-time is refused
            return value
        if isinstance(value, str) and ISO_DATE.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.fail(path, f"{value!r} is not a date (YYYY-MM-DD)")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key
