"""The hub as a party of its own draws: it draws its secret when the task is created, keeps it in a table
that only this module reads (no page, export, log or API answer shows it), commits to it at once, and
reveals it itself when the draw is requested, in the same transaction that fixes the entropy.

So no person ever holds the hub's secret, and nobody can compute the seed before the entropy is fixed.
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from hub.draw import jdp
from hub.tasks.models import HubSecret

HUB_PARTY = "hub"


def draw_secret(s: Session, task_id: str, hash_name: str, protocol: str) -> str:
    """A fresh 32-byte secret for the task, stored; returns its commitment (JDP §2)."""
    secret_hex = secrets.token_hex(32)
    s.add(HubSecret(task_id=task_id, secret_hex=secret_hex))
    return jdp.commitment(HUB_PARTY, secret_hex, hash_name, protocol)


def holds_secret(s: Session, task_id: str) -> bool:
    """True when the hub committed by itself for this task (every JDP-2 task)."""
    return s.get(HubSecret, task_id) is not None


def secret_to_reveal(s: Session, task_id: str) -> str:
    """The hub's secret, read only to reveal it at the draw request."""
    row = s.get(HubSecret, task_id)
    if row is None:
        raise LookupError(f"the hub holds no secret for task {task_id}")
    return row.secret_hex
