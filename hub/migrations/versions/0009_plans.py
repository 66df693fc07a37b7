"""Annual plans (年度抽查计划) and their entries; a task names the entry it was started from

Revision ID: 0009_plans
Revises: 0007_sync_merge
"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

revision = "0009_plans"
down_revision = "0007_sync_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "annual_plans",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("lead", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("edited_by", sa.String(length=64), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("approved_by", sa.String(length=64), nullable=True),
        sa.Column("approved_at", sa.DateTime(), nullable=True),
        sa.Column("filed_by", sa.String(length=64), nullable=True),
        sa.Column("filed_at", sa.DateTime(), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_annual_plans")),
        sa.UniqueConstraint("lead", "year", name=op.f("uq_annual_plans_lead")),
    )
    op.create_index(op.f("ix_annual_plans_state"), "annual_plans", ["state"])
    op.create_table(
        "plan_entries",
        sa.Column("id", sa.String(length=80), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("agencies", JSON, nullable=False),
        sa.Column("items", JSON, nullable=False),
        sa.Column("population", JSON, nullable=False),
        sa.Column("ratio", sa.String(length=16), nullable=False),
        sa.Column("months", JSON, nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["annual_plans.id"], name=op.f("fk_plan_entries_plan_id_annual_plans")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_plan_entries")),
    )
    op.create_index(op.f("ix_plan_entries_plan_id"), "plan_entries", ["plan_id"])
    with op.batch_alter_table("joint_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("plan_entry_id", sa.String(length=80), nullable=True))
        batch_op.create_index(batch_op.f("ix_joint_tasks_plan_entry_id"), ["plan_entry_id"])


def downgrade() -> None:
    with op.batch_alter_table("joint_tasks", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_joint_tasks_plan_entry_id"))
        batch_op.drop_column("plan_entry_id")
    op.drop_index(op.f("ix_plan_entries_plan_id"), table_name="plan_entries")
    op.drop_table("plan_entries")
    op.drop_index(op.f("ix_annual_plans_state"), table_name="annual_plans")
    op.drop_table("annual_plans")
