"""What the portal keeps of its own: the names of the entities the public can meet."""

from __future__ import annotations

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from hub.db import Base


class PublicName(Base):
    """The name of an entity with at least one published (approved) result, indexed by trigrams for the
    portal's name search (migration 0015_public_names: an FTS5 table on SQLite, a pg_trgm GIN index on
    PostgreSQL). Kept by database triggers, never by the code: a result approved adds its entity, a
    renamed entity is renamed here, a deleted one goes. A sync's new entities cost nothing here."""

    __tablename__ = "public_names"
    entity_pk: Mapped[int] = mapped_column(Integer, ForeignKey("entities.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str] = mapped_column(String(256))
