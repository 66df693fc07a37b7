"""A verification (or offline draw) handed to a worker: its inputs, state and answer."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base, JSONType


class VerificationJob(Base):
    __tablename__ = "verification_jobs"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)  # random: the status URL is its only key
    kind: Mapped[str] = mapped_column(String(16))  # verify | draw
    state: Mapped[str] = mapped_column(String(16), default="queued")  # queued | done | failed
    request: Mapped[dict | None] = mapped_column(JSONType)  # cleared once answered
    answer: Mapped[dict | None] = mapped_column(JSONType)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime)
