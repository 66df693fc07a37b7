"""Indexes for the paged lists: entities by district and by category, names searched by part
(trigram, PostgreSQL with pg_trgm), outbox by state or sink newest first, quarantine by source.

Every list reads a page in its key order from an index and counts with a cap (hub/keyset.py);
these indexes serve the filters the pages offer (docs/web.md, docs/performance.md).

Revision ID: 0012_ui
Revises: 0011_portal
"""
from alembic import op

revision = "0012_ui"
down_revision = "0011_portal"
branch_labels = None
depends_on = None

INDEXES = (
    ("ix_entities_district_entity_id", "entities", ["district", "entity_id"]),
    ("ix_outbox_state_id", "outbox", ["state", "id"]),
    ("ix_outbox_sink_state_id", "outbox", ["sink", "state", "id"]),
    ("ix_quarantine_source_id", "quarantine", ["source", "id"]),
    ("ix_quarantine_record_key", "quarantine", ["record_key"]),
)


def upgrade() -> None:
    for name, table, columns in INDEXES:
        op.create_index(name, table, columns)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE INDEX ix_entities_categories ON entities USING gin (categories jsonb_path_ops)")
        op.execute("CREATE INDEX ix_entities_sources ON entities USING gin (sources jsonb_path_ops)")
        # A name searched by a part of it: a trigram index when the extension can be had (it ships
        # with PostgreSQL's contrib; creating it needs a privileged role). Without it the search
        # still works, by scanning (docs/performance.md).
        op.execute(
            """
            DO $$
            BEGIN
                CREATE EXTENSION IF NOT EXISTS pg_trgm;
            EXCEPTION WHEN insufficient_privilege OR undefined_file THEN
                RAISE NOTICE 'pg_trgm not available: entity names are searched without an index';
            END $$;
            """
        )
        op.execute(
            """
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                    CREATE INDEX ix_entities_name_trgm ON entities USING gin (name gin_trgm_ops);
                END IF;
            END $$;
            """
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_entities_name_trgm")
        op.execute("DROP INDEX IF EXISTS ix_entities_sources")
        op.execute("DROP INDEX IF EXISTS ix_entities_categories")
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
