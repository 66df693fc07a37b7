"""entity_sources.entity_id indexed only where it differs from record_key (a partial index)

Most source records are keyed by the entity's own id, and those are found through the unique
(source, record_key) index; maintaining a full second index on entity_id cost every sync row.

Revision ID: 0007_sync_merge
Revises: 0006_jdp2
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_sync_merge"
down_revision = "0006_jdp2"
branch_labels = None
depends_on = None

OTHER = sa.text("entity_id <> record_key")


def upgrade() -> None:
    op.drop_index("ix_entity_sources_entity_id", table_name="entity_sources")
    op.create_index("ix_entity_sources_entity_id_other", "entity_sources", ["entity_id"],
                    sqlite_where=OTHER, postgresql_where=OTHER)


def downgrade() -> None:
    op.drop_index("ix_entity_sources_entity_id_other", table_name="entity_sources")
    op.create_index("ix_entity_sources_entity_id", "entity_sources", ["entity_id"])
