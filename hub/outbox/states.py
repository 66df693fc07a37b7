"""An outbox message's lifecycle as one table (pure)."""

from __future__ import annotations

from enum import StrEnum

from hub.lifecycle import Lifecycle


class MessageState(StrEnum):
    PENDING = "pending"
    DELIVERED = "delivered"
    REJECTED = "rejected"


MESSAGE_LIFECYCLE = Lifecycle(
    "outbox message",
    MessageState,
    {
        # a changed payload (a corrected result) makes any message pending again, under the same key
        MessageState.PENDING: {MessageState.PENDING, MessageState.DELIVERED, MessageState.REJECTED},
        MessageState.DELIVERED: {MessageState.PENDING},
        MessageState.REJECTED: {MessageState.PENDING},  # requeued after a person corrected it
    },
)
