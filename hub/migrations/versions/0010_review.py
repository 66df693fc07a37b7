"""results review: draft / returned states with the reason, revisions and amendments (更正), the end
of a follow-up (decision, closed on, by whom)

A published result is never edited: its amendment is a new row, revision + 1, naming the result it
amends; so the unique key of a result gains the revision.

Revision ID: 0010_review
Revises: 0009_plans
"""
import sqlalchemy as sa
from alembic import op

revision = "0010_review"
down_revision = "0009_plans"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("results") as batch:
        batch.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="1"))
        batch.add_column(sa.Column("amends", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("superseded", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch.add_column(sa.Column("returned_reason", sa.Text(), nullable=True))
        batch.add_column(sa.Column("returned_by", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("returned_at", sa.DateTime(), nullable=True))
        batch.drop_constraint("uq_results_task_id", type_="unique")
        batch.create_unique_constraint("uq_results_task_id", ["task_id", "entity_id", "agency", "revision"])
        # the statistics read results by agency and inspection date
        batch.create_index("ix_results_agency_inspected_on", ["agency", "inspected_on"])
    with op.batch_alter_table("follow_ups") as batch:
        batch.add_column(sa.Column("decision", sa.Text(), nullable=True))
        batch.add_column(sa.Column("closed_on", sa.Date(), nullable=True))
        batch.add_column(sa.Column("closed_by", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_ups") as batch:
        batch.drop_column("closed_by")
        batch.drop_column("closed_on")
        batch.drop_column("decision")
    op.execute("DELETE FROM results WHERE revision > 1")
    with op.batch_alter_table("results") as batch:
        batch.drop_index("ix_results_agency_inspected_on")
        batch.drop_constraint("uq_results_task_id", type_="unique")
        batch.create_unique_constraint("uq_results_task_id", ["task_id", "entity_id", "agency"])
        for name in ("returned_at", "returned_by", "returned_reason", "superseded", "amends", "revision"):
            batch.drop_column(name)
