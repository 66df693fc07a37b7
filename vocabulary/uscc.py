"""The unified social credit code (统一社会信用代码) and its GB 32100-2015 check digit (pure)."""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, Z, S, V
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {c: i for i, c in enumerate(ALPHABET)}
_ALLOWED = frozenset(ALPHABET)


# per position, each character's value times the position's weight (one lookup per character)
_WEIGHTED = tuple({c: v * w for c, v in _VALUE.items()} for w in WEIGHTS)


def check_char(first17: str) -> str:
    """The 18th character for the first 17 (which must use the code's alphabet)."""
    total = sum(map(dict.__getitem__, _WEIGHTED, first17[:17]))
    return ALPHABET[(31 - total % 31) % 31]


def uscc_problem(code: str) -> str | None:
    """None when ``code`` is a valid USCC, else why not (for a quarantine reason)."""
    if not isinstance(code, str) or len(code) != 18:
        return "must be 18 characters"
    if not _ALLOWED.issuperset(code):
        bad = next(c for c in code if c not in _VALUE)
        return f"character {bad!r} is not allowed"
    if not code[2:8].isdigit():
        return "characters 3-8 must be the 6-digit division code"
    expected = check_char(code[:17])
    if code[17] != expected:
        return f"check digit is {code[17]!r}, expected {expected!r}"
    return None


def is_valid_uscc(code: str) -> bool:
    return uscc_problem(code) is None
