"""Indexes for the paged lists: entities by district and by category (names searched by part use
0011_portal's trigram index), outbox by state or sink newest first, quarantine by source.

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
        # (the trigram index on entity names is 0011_portal's)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_entities_sources")
        op.execute("DROP INDEX IF EXISTS ix_entities_categories")
    for name, table, _columns in reversed(INDEXES):
        op.drop_index(name, table_name=table)
