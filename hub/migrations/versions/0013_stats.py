"""outbox messages found by (kind, key): the statistics' delivery figure and the results' visibility join
an approved result to its messages by the result's id (outbox.key); the unique (sink, kind, key) index
leads with the sink and cannot serve that join.

Revision ID: 0013_stats
Revises: 0012_ui
"""
from alembic import op

revision = "0013_stats"
down_revision = "0012_ui"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_outbox_kind_key", "outbox", ["kind", "key"])


def downgrade() -> None:
    op.drop_index("ix_outbox_kind_key", table_name="outbox")
