"""What every sink shares: its options read once (``attempts``, ``codes``) and its answers put in order.

The hub checks ``codes`` against its outcome table when it builds the sink at start-up; here a
sink only needs the mapping's shape and to refuse a code the mapping does not cover.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.base import ConnectorSettings, OptionError, OutgoingMessage, Receipt, number_option
from connectors.http import RetryPolicy, SignedSession

#: Code of a message refused by the sink itself, before sending.
LOCAL_REJECT = "SCHEMA"
DEFAULT_ATTEMPTS = 3  # the sink's own quick retries; the outbox does the long backoff


def sink_session(settings: ConnectorSettings) -> SignedSession:
    """A SignedSession with the sink's few quick retries (option ``attempts``)."""
    attempts = number_option(settings, "attempts", DEFAULT_ATTEMPTS, int, 1)
    return SignedSession(settings, RetryPolicy(attempts=attempts, base_delay=0.2, max_delay=2.0, max_retry_after=10.0))


def code_mapping(settings: ConnectorSettings) -> dict[str, str]:
    """Option ``codes`` (hub code -> sink code) as a plain table; empty means the hub's own codes."""
    codes = settings.options.get("codes") or {}
    if not isinstance(codes, Mapping):
        raise OptionError(settings.name, "codes", "must be a table of hub code = sink code")
    return {str(k): str(v) for k, v in codes.items()}


def mapped_outcomes(outcomes: Any, codes: Mapping[str, str]) -> list[dict[str, str]]:
    """The result's outcomes with each code in the sink's numbering; ValueError when unusable.

    A code missing from a non-empty mapping is refused, not passed through: sending the hub's
    number to a system that numbers differently would be a silent guess.
    """
    if not isinstance(outcomes, list) or not outcomes:
        raise ValueError("outcomes must be a non-empty list")
    if not all(isinstance(o, Mapping) and "code" in o and "text" in o for o in outcomes):
        raise ValueError("each outcome needs a code and a text")
    hub_codes = [str(o["code"]) for o in outcomes]
    if codes:
        missing = [c for c in hub_codes if c not in codes]
        if missing:
            raise ValueError(f"codes: no sink code for hub outcome code(s) {', '.join(missing)}")
        hub_codes = [codes[c] for c in hub_codes]
    return [{"code": c, "text": str(o["text"])} for c, o in zip(hub_codes, outcomes)]


def in_order(receipts: list[Receipt], messages: list[OutgoingMessage]) -> list[Receipt]:
    """Receipts in the order of the messages they answer."""
    rank = {m.key: i for i, m in reversed(list(enumerate(messages)))}
    return sorted(receipts, key=lambda o: rank.get(o.key, len(rank)))
