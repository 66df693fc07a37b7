"""drop dead schema: processed_files (csv-drop keeps its processed files in the bookmark) and
source_state.etag (edu-xml keeps its ETag in the bookmark); nothing read or wrote either

Revision ID: 0002_drop_dead_schema
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002_drop_dead_schema"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_table("processed_files")
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.drop_column("etag")


def downgrade() -> None:
    with op.batch_alter_table("source_state", schema=None) as batch_op:
        batch_op.add_column(sa.Column("etag", sa.String(length=256), nullable=True))
    op.create_table(
        "processed_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=512), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("processed_at", sa.DateTime(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_processed_files")),
        sa.UniqueConstraint("source", "name", "digest", name=op.f("uq_processed_files_source")),
    )
