"""Validation of canonical roster records against schemas/*.schema.json plus rules JSON Schema
cannot say (GB 32100 check digit, real dates). Pure: plain dicts in, reasons out.

A reason always starts with the field it is about, so the quarantine says what to fix.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import fastjsonschema

from hub.rosters.uscc import uscc_problem

SCHEMA_DIR = Path(__file__).resolve().parents[2] / "schemas"


class RecordInvalid(ValueError):
    """A record failed validation; ``field`` names where, ``str()`` says why."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


@cache
def _validator(name: str) -> Callable[[Any], Any]:
    schema = json.loads((SCHEMA_DIR / name).read_text(encoding="utf-8"))
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


def validate_entity(fields: Mapping[str, Any]) -> str:
    """Check one entity record; return its entity_id (uscc, else SCHEME:ID) or raise RecordInvalid."""
    _schema_check("entity-record.schema.json", fields)
    uscc = fields.get("uscc")
    if uscc:
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
