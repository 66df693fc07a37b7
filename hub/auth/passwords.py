"""The password policy (pure): long enough, not a common password, not the user's own name.

The common-password list ships with the package (``common-passwords.txt.gz``: the 19,640 entries
of the list Django uses, BSD-licensed), compared without regard to case.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

MIN_LENGTH = 12
MAX_LENGTH = 256  # argon2 takes any length; a bound keeps a hash request cheap


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    path = Path(__file__).with_name("common-passwords.txt.gz")
    with gzip.open(path, "rt", encoding="utf-8") as fh:
        return frozenset(line.strip().lower() for line in fh if line.strip())


def password_problems(password: str, user_name: str = "") -> list[str]:
    """What is wrong with ``password`` for ``user_name`` (empty when it is acceptable)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"a password needs at least {MIN_LENGTH} characters (got {len(password)})")
    if len(password) > MAX_LENGTH:
        problems.append(f"a password has at most {MAX_LENGTH} characters")
    lowered = password.strip().lower()
    if lowered in common_passwords():
        problems.append("this password is on the list of common passwords")
    name = user_name.strip().lower()
    if name and (lowered == name or (len(name) >= 4 and name in lowered and len(lowered) - len(name) < 6)):
        problems.append("a password must not be (or be made from) the user's name")
    return problems
