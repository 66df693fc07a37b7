"""result integrity: a version on each result (edits and approval serialise on it) and the state
digest an audit entry carries of the row it changed

Revision ID: 0003_result_integrity
Revises: 0002_drop_dead_schema
"""
import sqlalchemy as sa
from alembic import op

revision = "0003_result_integrity"
down_revision = "0002_drop_dead_schema"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("state_digest", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("state_digest")
    with op.batch_alter_table("results") as batch:
        batch.drop_column("version")
