"""Outcome codes of an inspection result (interfaces.md, "Outcome codes") and their rules.

Pure and hub-free, so the hub, the sandboxes and the tests share one table; errors are
ValueError subclasses (the hub's callers turn them into its own errors where a person sees them).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum


class UnknownOutcomeCode(ValueError):
    """A code that is not in the hub's table."""


class UnmappedOutcomeCode(ValueError):
    """A hub code that a sink's non-empty mapping does not cover."""


class Outcome(StrEnum):
    """The hub's own codes; the Chinese text in ``TEXTS`` is the stable key."""

    NO_PROBLEM = "1"
    INFO_NOT_PUBLISHED = "2"
    FALSE_PUBLICATION = "3"
    UNREACHABLE_AT_ADDRESS = "4"
    CORRECTED_ON_ORDER = "5"
    OBSTRUCTED = "6"
    NO_ACTIVITY = "7"
    HANDLING_PENDING = "8"
    CLOSED = "9"
    MOVED_OUT = "10"
    DEREGISTERED = "11"
    LICENCE_REVOKED = "12"
    REGISTRATION_CANCELLED = "13"


TEXTS: dict[str, str] = {
    "1": "未发现问题",
    "2": "未按规定公示应当公示的信息",
    "3": "公示信息隐瞒真实情况弄虚作假",
    "4": "通过登记的住所（经营场所）无法联系",
    "5": "发现问题经责令已改正",
    "6": "不配合检查情节严重",
    "7": "未发现开展本次抽查涉及的经营活动",
    "8": "发现问题待后续处理",
    "9": "已关闭停业或正在组织清算",
    "10": "迁出",
    "11": "注销",
    "12": "被吊销",
    "13": "被撤销",
}

# Follow-up kinds (FollowUp.kind) that satisfy code 8: 责令整改, 立案, 线索移送.
PENDING_FOLLOW_UP_KINDS = frozenset({"correction", "case", "transfer"})
# Codes 3 and 4 put the entity forward for the abnormal-operation list (经营异常名录).
ABNORMAL_LIST_CODES = frozenset({Outcome.FALSE_PUBLICATION.value, Outcome.UNREACHABLE_AT_ADDRESS.value})


def _code(code: str | Outcome) -> str:
    return code.value if isinstance(code, Outcome) else code


def is_known(code: str | Outcome) -> bool:
    return _code(code) in TEXTS


def text(code: str | Outcome) -> str:
    """The Chinese text of a hub code; UnknownOutcomeCode for an unknown code."""
    try:
        return TEXTS[_code(code)]
    except KeyError:
        raise UnknownOutcomeCode(f"outcome_codes: unknown outcome code {code!r}") from None


def check_outcomes(
    codes: Iterable[str | Outcome],
    follow_up_kinds: Iterable[str] = (),
    *,
    require_follow_up: bool = True,
) -> list[str]:
    """The problems with one result's codes; empty when they are fine.

    ``require_follow_up=False`` skips "8 needs a follow-up" for callers (the CSV parser)
    that cannot know the follow-ups yet.
    """
    values = [_code(c) for c in codes]
    if not values:
        return ["at least one outcome code is required"]
    problems = [f"unknown outcome code {c!r}" for c in values if c not in TEXTS]
    seen: set[str] = set()
    for c in values:
        if c in seen:
            problems.append(f"outcome code {c} given twice")
        seen.add(c)
    if Outcome.NO_PROBLEM.value in seen and len(seen) > 1:
        problems.append(f"outcome code 1 ({TEXTS['1']}) must stand alone")
    if (
        require_follow_up
        and Outcome.HANDLING_PENDING.value in seen
        and not PENDING_FOLLOW_UP_KINDS & set(follow_up_kinds)
    ):
        problems.append(f"outcome code 8 ({TEXTS['8']}) needs a follow-up: correction, case or transfer")
    return problems


def puts_on_abnormal_list(codes: Iterable[str | Outcome]) -> bool:
    """True when the result puts the entity forward for the abnormal-operation list."""
    return any(_code(c) in ABNORMAL_LIST_CODES for c in codes)


def check_mapping(mapping: Mapping[str, str]) -> list[str]:
    """Problems with a sink's code mapping (config ``codes = {...}``); empty means usable.

    A mapping must be empty (identity) or cover every hub code, one sink code each.
    """
    if not mapping:
        return []
    problems = [f"unknown hub outcome code {k!r}" for k in mapping if k not in TEXTS]
    missing = [c for c in TEXTS if c not in mapping]
    if missing:
        problems.append(f"no sink code for hub outcome code{'s' if len(missing) > 1 else ''} {', '.join(missing)}")
    by_value: dict[str, list[str]] = {}
    for hub_code, sink_code in mapping.items():
        by_value.setdefault(str(sink_code), []).append(hub_code)
    problems += [
        f"hub outcome codes {', '.join(hubs)} all map to sink code {value!r}"
        for value, hubs in by_value.items()
        if len(hubs) > 1
    ]
    return problems


def map_codes(codes: Iterable[str | Outcome], mapping: Mapping[str, str] | None) -> list[str]:
    """The hub's codes in a sink's numbering; identity when the mapping is empty or absent.

    A code missing from a non-empty mapping is refused (UnmappedOutcomeCode), not passed through:
    sending the hub's number to a system that numbers differently would be a silent guess.
    """
    values = [_code(c) for c in codes]
    unknown = [c for c in values if c not in TEXTS]
    if unknown:
        raise UnknownOutcomeCode(f"outcome_codes: unknown outcome code(s) {', '.join(unknown)}")
    if not mapping:
        return values
    missing = [c for c in values if c not in mapping]
    if missing:
        raise UnmappedOutcomeCode(f"codes: no sink code for hub outcome code(s) {', '.join(missing)}")
    return [str(mapping[c]) for c in values]
