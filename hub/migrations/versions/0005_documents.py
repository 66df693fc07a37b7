"""documents: issued document numbers (文号) and their per-agency, per-year counters

Revision ID: 0005_documents
Revises: 0004_accounts
"""
import sqlalchemy as sa
from alembic import op

revision = "0005_documents"
down_revision = "0004_accounts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_counters",
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("agency", "year", name=op.f("pk_document_counters")),
    )
    op.create_table(
        "document_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("agency", sa.String(length=32), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("serial", sa.Integer(), nullable=False),
        sa.Column("number", sa.String(length=64), nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_document_numbers")),
        sa.UniqueConstraint("key", name=op.f("uq_document_numbers_key")),
        sa.UniqueConstraint("agency", "year", "serial", name=op.f("uq_document_numbers_agency")),
    )
    op.create_index(op.f("ix_document_numbers_task_id"), "document_numbers", ["task_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_document_numbers_task_id"), table_name="document_numbers")
    op.drop_table("document_numbers")
    op.drop_table("document_counters")
