"""What a draw produced: the selected entities in draw order, and who inspects each."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base, JSONType


class Assignment(Base):
    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("task_id", "entity_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("joint_tasks.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    entity_id: Mapped[str] = mapped_column(String(64), index=True)
    stratum: Mapped[str] = mapped_column(String(256))
    key: Mapped[str] = mapped_column(String(16))
    team: Mapped[list] = mapped_column(JSONType)


class AssignmentInspector(Base):
    """One inspector on one drawn entity's team: lets an inspector see only their own."""

    __tablename__ = "assignment_inspectors"
    __table_args__ = (UniqueConstraint("task_id", "entity_id", "inspector_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("joint_tasks.id"), index=True)
    entity_id: Mapped[str] = mapped_column(String(64))
    inspector_id: Mapped[str] = mapped_column(String(64), index=True)
    agency: Mapped[str] = mapped_column(String(32))
