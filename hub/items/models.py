"""Item lists (抽查事项清单): what each agency may inspect, and on what legal basis."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from hub.clock import utcnow
from hub.db import Base


class Item(Base):
    __tablename__ = "items"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    agency: Mapped[str] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(256))
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    subject: Mapped[str] = mapped_column(String(256), default="")
    content: Mapped[str] = mapped_column(Text, default="")
    method: Mapped[str] = mapped_column(String(256), default="")
    # The rest of the columns peers publish (documents.md, "The item list (一单), as published").
    sub_items: Mapped[str] = mapped_column(Text, default="", server_default="")
    ratio: Mapped[str] = mapped_column(String(64), default="", server_default="")
    frequency: Mapped[str] = mapped_column(String(128), default="", server_default="")
    inspector_requirements: Mapped[str] = mapped_column(Text, default="", server_default="")
    notes: Mapped[str] = mapped_column(Text, default="", server_default="")
    published: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime, default=utcnow)
