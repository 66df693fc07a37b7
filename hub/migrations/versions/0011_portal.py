"""portal: the item list's published columns (一单), and the indexes public search needs

- items: sub-items, ratio, frequency, inspector requirements and notes (documents.md, "The item
  list (一单), as published").
- entity names searchable by Chinese substring: on PostgreSQL a pg_trgm GIN index (the extension
  is trusted, so the database owner may create it); on SQLite an FTS5 table with the trigram
  tokenizer over entities.name, kept by triggers (external content: no second copy of the names).
- results by agency and approval (the feeds), and by inspection date (years, bulk downloads).

Revision ID: 0011_portal
Revises: 0010_review
"""
import sqlalchemy as sa
from alembic import op

revision = "0011_portal"
down_revision = "0010_review"
branch_labels = None
depends_on = None

ITEM_COLUMNS = (
    ("sub_items", sa.Text()),
    ("ratio", sa.String(length=64)),
    ("frequency", sa.String(length=128)),
    ("inspector_requirements", sa.Text()),
    ("notes", sa.Text()),
)

SQLITE_SEARCH = (
    "CREATE VIRTUAL TABLE entity_names USING fts5(name, content='entities', content_rowid='id', tokenize='trigram')",
    "INSERT INTO entity_names(rowid, name) SELECT id, name FROM entities",
    "CREATE TRIGGER entity_names_ai AFTER INSERT ON entities BEGIN "
    "INSERT INTO entity_names(rowid, name) VALUES (new.id, new.name); END",
    "CREATE TRIGGER entity_names_ad AFTER DELETE ON entities BEGIN "
    "INSERT INTO entity_names(entity_names, rowid, name) VALUES ('delete', old.id, old.name); END",
    "CREATE TRIGGER entity_names_au AFTER UPDATE OF name ON entities BEGIN "
    "INSERT INTO entity_names(entity_names, rowid, name) VALUES ('delete', old.id, old.name); "
    "INSERT INTO entity_names(rowid, name) VALUES (new.id, new.name); END",
)


def upgrade() -> None:
    with op.batch_alter_table("items") as batch:
        for name, type_ in ITEM_COLUMNS:
            batch.add_column(sa.Column(name, type_, nullable=False, server_default=""))
    op.create_index("ix_results_agency_approved_at", "results", ["agency", "approved_at"])
    op.create_index("ix_results_inspected_on", "results", ["inspected_on"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_entities_name_trgm ON entities USING gin (name gin_trgm_ops)")
    else:
        for statement in SQLITE_SEARCH:
            op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_entities_name_trgm")
    else:
        for trigger in ("entity_names_ai", "entity_names_ad", "entity_names_au"):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE entity_names")
    op.drop_index("ix_results_inspected_on", table_name="results")
    op.drop_index("ix_results_agency_approved_at", table_name="results")
    with op.batch_alter_table("items") as batch:
        for name, _type in reversed(ITEM_COLUMNS):
            batch.drop_column(name)
