"""JDP-2: a task's protocol, witness accounts, the hub's own secrets, frozen files in pieces

Revision ID: 0006_jdp2
Revises: 0005_documents
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_jdp2"
down_revision = "0005_documents"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Tasks created before keep JDP-1 to the end: the server default marks them; new tasks write JDP-2.
    with op.batch_alter_table("joint_tasks", schema=None) as batch_op:
        batch_op.add_column(sa.Column("protocol", sa.String(length=8), server_default="JDP-1", nullable=False))
    with op.batch_alter_table("task_parties", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account", sa.String(length=64), nullable=True))
    op.create_table(
        "hub_secrets",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("secret_hex", sa.String(length=256), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["joint_tasks.id"], name=op.f("fk_hub_secrets_task_id_joint_tasks")),
        sa.PrimaryKeyConstraint("task_id", name=op.f("pk_hub_secrets")),
    )
    op.create_table(
        "frozen_chunks",
        sa.Column("task_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(["task_id"], ["joint_tasks.id"],
                                name=op.f("fk_frozen_chunks_task_id_joint_tasks")),
        sa.PrimaryKeyConstraint("task_id", "kind", "seq", name=op.f("pk_frozen_chunks")),
    )
    if op.get_bind().dialect.name == "postgresql":
        # The freeze pages through entities and inspectors in byte order (JDP §1 sorts lines by raw bytes),
        # whatever the database's collation: these indexes let each page be a short index scan.
        op.create_index("ix_entities_entity_id_bytes", "entities", [sa.text('entity_id COLLATE "C"')])
        op.create_index("ix_inspectors_inspector_id_bytes", "inspectors", [sa.text('inspector_id COLLATE "C"')])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_inspectors_inspector_id_bytes", table_name="inspectors")
        op.drop_index("ix_entities_entity_id_bytes", table_name="entities")
    op.drop_table("frozen_chunks")
    op.drop_table("hub_secrets")
    with op.batch_alter_table("task_parties", schema=None) as batch_op:
        batch_op.drop_column("account")
    with op.batch_alter_table("joint_tasks", schema=None) as batch_op:
        batch_op.drop_column("protocol")
