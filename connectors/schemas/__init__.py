"""The JSON Schema and XSD files of the messages the hub exchanges, shipped inside the package.

One copy, found the same way from a checkout and from an installed wheel.
"""

from __future__ import annotations

from pathlib import Path

SCHEMA_DIR = Path(__file__).resolve().parent


def schema_path(name: str) -> Path:
    """The file ``name`` (e.g. ``"edu-school.xsd"``); FileNotFoundError names it when absent."""
    path = SCHEMA_DIR / name
    if not path.is_file():
        raise FileNotFoundError(f"no schema {name!r} in {SCHEMA_DIR}")
    return path
