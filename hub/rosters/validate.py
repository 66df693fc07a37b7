"""Validation of canonical roster records against connectors/schemas/*.schema.json plus rules JSON Schema
cannot say (GB 32100 check digit, real dates). Pure: plain dicts in, reasons out.

A reason always starts with the field it is about, so the quarantine says what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from itertools import chain, repeat
from typing import Any, NamedTuple

import fastjsonschema

from connectors.schemas import schema_path
from vocabulary.uscc import check_char, uscc_problem


class RecordInvalid(ValueError):
    """A record failed validation; ``field`` names where, ``str()`` says why."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@cache
def _validator(name: str) -> Callable[[Any], Any]:
    schema = json.loads(schema_path(name).read_text(encoding="utf-8"))
    return fastjsonschema.compile(schema)


def _schema_check(schema_file: str, fields: Mapping[str, Any]) -> None:
    try:
        _validator(schema_file)(dict(fields))
    except fastjsonschema.JsonSchemaValueException as exc:
        field = (exc.name or "data").removeprefix("data").lstrip(".") or "record"
        if exc.rule == "required":
            missing = [k for k in (exc.rule_definition or []) if k not in fields]
            field = missing[0] if missing else field
            raise RecordInvalid(field, "is required") from None
        message = exc.message.removeprefix(exc.name or "").strip()
        value = exc.value if not isinstance(exc.value, (dict, list)) else None
        shown = f" (got {value!r})" if value is not None else ""
        raise RecordInvalid(field, f"{message}{shown}") from None


def _check_date(field: str, value: str | None) -> None:
    if value:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise RecordInvalid(field, f"{value!r} is not a real date") from None


_USCC = re.compile(r"[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}")
_DISTRICT = re.compile(r"[1-8][0-9]{5}")
_INDUSTRY = re.compile(r"[A-T][0-9]{0,4}")
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_ENTITY_TYPES = frozenset({"enterprise", "individual", "coop", "institution", "social_org", "school", None})
_STATUSES = frozenset({"active", "suspended", "revoked", "deregistered", "inactive"})
_CLASSES = frozenset({"A", "B", "C", "D", None})


_NONE = type(None)


def _types(values: list[Any]) -> set[type]:
    return set(map(type, values))


def _all_match(lines: re.Pattern[str], values: list[str]) -> bool:
    """Every value matches whole: one pass of ``lines`` (a line pattern repeated) over them all, joined as
    lines; a value holding a LF of its own fails (one LF more than there are values)."""
    if not values:
        return True
    text = "\n".join(values) + "\n"
    return text.count("\n") == len(values) and lines.fullmatch(text) is not None


class _Rule(NamedTuple):
    """One field's part of the quick check, in two forms that must agree (a test holds them to it):
    ``one`` for a value, ``column`` for a whole page's values at once, in C."""

    field: str
    one: Callable[[Any], bool]
    column: Callable[[list[Any]], bool]
    default: Any = None  # the value of a missing field


def _matching(field: str, pattern: re.Pattern[str], optional: bool) -> _Rule:
    lines = re.compile(f"(?:{pattern.pattern}\n)*")

    def column(values: list[Any]) -> bool:
        texts = [v for v in values if v is not None] if optional else values
        return _types(texts) <= {str} and _all_match(lines, texts)

    return _Rule(
        field, lambda v: (optional and v is None) or (type(v) is str and pattern.fullmatch(v) is not None), column
    )


def _one_of(field: str, allowed: frozenset) -> _Rule:
    return _Rule(
        field,
        lambda v: (v is None or type(v) is str) and v in allowed,
        lambda values: _types(values) <= {str, _NONE} and allowed.issuperset(values),
    )


def _text(field: str, low: int, high: int, optional: bool = True) -> _Rule:
    def column(values: list[Any]) -> bool:
        texts = [v for v in values if v is not None] if optional else values
        return (
            _types(texts) <= {str}
            and low <= min(map(len, texts), default=low)
            and max(map(len, texts), default=high) <= high
        )

    return _Rule(field, lambda v: (optional and v is None) or (type(v) is str and low <= len(v) <= high), column)


def _typed(field: str, *kinds: type) -> _Rule:
    return _Rule(field, lambda v: type(v) in kinds, lambda values: _types(values) <= set(kinds))


def _names_column(values: list[Any]) -> bool:
    if _types(values) != {list}:
        return False
    flat = list(chain.from_iterable(values))
    return _types(flat) <= {str} and "" not in flat


_RULES = (
    _matching("uscc", _USCC, optional=False),
    _typed("scheme_id", _NONE),
    _text("name", 2, 256, optional=False),
    _matching("district", _DISTRICT, optional=False),
    _one_of("entity_type", _ENTITY_TYPES),
    _one_of("status", _STATUSES),
    _one_of("credit_class", _CLASSES),
    _matching("industry", _INDUSTRY, optional=True),
    _matching("established", _DAY, optional=True),
    _text("legal_rep", 0, 128),
    _text("phone", 0, 64),
    _text("address", 0, 512),
    _typed("updated_at", str, _NONE),
    _typed("abnormal_list", bool, _NONE),
    _typed("serious_violation", bool, _NONE),
    _typed("attributes", dict, _NONE),
    _Rule("categories", lambda v: type(v) is list and all(type(c) is str and c for c in v), _names_column, default=[]),
)

_KNOWN_FIELDS = frozenset(rule.field for rule in _RULES)  # a record with any other field is not plain


def plainly_valid_each(records: list[Mapping[str, Any]]) -> list[bool]:
    """The quick check of the common case, per record, that never accepts what entity-record.schema.json
    refuses (a test holds it to that); a record it is unsure of goes to the full schema check.

    A sync checks a page of a thousand records at once, field by field over the whole column in C; only
    a field that fails on the page is looked at value by value, to find the records it fails."""
    rows = [r if type(r) is dict else dict(r) for r in records]
    ok = list(map(_KNOWN_FIELDS.issuperset, rows))
    for rule in _RULES:
        values = list(map(dict.get, rows, repeat(rule.field), repeat(rule.default)))
        if not rule.column(values):
            for i in [i for i, v in enumerate(values) if not rule.one(v)]:
                ok[i] = False
    return ok


def _plainly_valid(f: Mapping[str, Any]) -> bool:
    """The quick check of one record, value by value (``plainly_valid_each`` for a page)."""
    return _KNOWN_FIELDS.issuperset(f) and all(rule.one(f.get(rule.field, rule.default)) for rule in _RULES)


def validate_entity(fields: Mapping[str, Any], plain: bool | None = None) -> str:
    """Check one entity record; return its entity_id (uscc, else SCHEME:ID) or raise RecordInvalid.
    ``plain``: the quick check's answer for it, when already known (``plainly_valid_each``)."""
    if plain is None:
        plain = _plainly_valid(fields)
    if not plain:
        _schema_check("entity-record.schema.json", fields)
    uscc = fields.get("uscc")
    # A plainly valid record's code has the right alphabet and division digits: only its check digit is left.
    if uscc and not (plain and uscc[17] == check_char(uscc)):
        problem = uscc_problem(uscc)
        if problem:
            raise RecordInvalid("uscc", f"{problem} (got {uscc!r})")
    _check_date("established", fields.get("established"))
    entity_id = uscc or fields.get("scheme_id")
    if not entity_id:
        raise RecordInvalid("uscc", "is required when the record has no other identifier")
    return entity_id


def validate_inspector(fields: Mapping[str, Any]) -> str:
    """Check one inspector record; return its inspector_id or raise RecordInvalid."""
    _schema_check("inspector-record.schema.json", fields)
    _check_date("cert_valid_until", fields.get("cert_valid_until"))
    return fields["inspector_id"]
