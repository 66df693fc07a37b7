"""Issued document numbers, and the per-agency, per-year counter they are taken from."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base


class DocumentCounter(Base):
    """The last serial issued by an agency in a year; raised by one atomic UPDATE per number."""

    __tablename__ = "document_counters"
    agency: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class DocumentNumber(Base):
    """The number a document was given the first time it was printed; kept for every re-print."""

    __tablename__ = "document_numbers"
    __table_args__ = (UniqueConstraint("agency", "year", "serial"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(512), unique=True)  # DocumentRef.key
    kind: Mapped[str] = mapped_column(String(16))
    task_id: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(32))
    year: Mapped[int] = mapped_column(Integer)
    serial: Mapped[int] = mapped_column(Integer)
    number: Mapped[str] = mapped_column(String(64))
    issued_by: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
