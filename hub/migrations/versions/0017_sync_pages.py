"""sync pages: a page of a source that the hub holds unchanged is recognised whole, not record by record

A full re-sync of an unchanged roster fetched and parsed every page, then looked up and compared every
record (issue 14: 3.6 x the bare fetch at a million records). A paged source now gives each page a
fingerprint (a digest of its items' text as sent, and of the connector options that map them). When
every record of a page was stored from that page, the hub registers the page in ``sync_pages``, and
each of those records names it (``entity_sources.page``). A later run that fetches a page with a
registered fingerprint has nothing to do for it: it counts its records unchanged.

A registration must never outlive what it says, so the database keeps it exact: a trigger removes the
page when one of its records changes, moves to another page, goes inactive or is deleted, and when a
record of it enters the quarantine (a later, invalid version arrived: the page must be read again when
the good version comes back, so that it leaves the quarantine).

Also dropped: ``ix_entities_district``, which ``ix_entities_district_entity_id`` (0012_ui) begins with, so
every lookup by district has an index still; keeping both cost every entity a sync inserts about 6 µs on
SQLite (a 200,000-entity merge: 21 µs a row with it, 15 without).

Revision ID: 0017_sync_pages
Revises: 0016_stats_summary
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_sync_pages"
down_revision = "0016_stats_summary"
branch_labels = None
depends_on = None

# a record's page is gone when the record changes, moves, goes inactive or is deleted
_CHANGED = (
    "OLD.page IS NOT NULL AND (NEW.page IS DISTINCT FROM OLD.page OR NEW.digest IS DISTINCT FROM OLD.digest "
    "OR NEW.active IS DISTINCT FROM OLD.active)"
)
SQLITE = (
    "CREATE TRIGGER entity_sources_page_au AFTER UPDATE OF page, digest, active ON entity_sources "
    f"WHEN {_CHANGED.replace('IS DISTINCT FROM', 'IS NOT')} "
    "BEGIN DELETE FROM sync_pages WHERE source = OLD.source AND fp = OLD.page; END",
    "CREATE TRIGGER entity_sources_page_ad AFTER DELETE ON entity_sources WHEN OLD.page IS NOT NULL "
    "BEGIN DELETE FROM sync_pages WHERE source = OLD.source AND fp = OLD.page; END",
    "CREATE TRIGGER quarantine_page_ai AFTER INSERT ON quarantine BEGIN DELETE FROM sync_pages "
    "WHERE source = NEW.source AND fp = (SELECT page FROM entity_sources WHERE source = NEW.source "
    "AND record_key = NEW.record_key); END",
    "CREATE TRIGGER quarantine_page_au AFTER UPDATE ON quarantine BEGIN DELETE FROM sync_pages "
    "WHERE source = NEW.source AND fp = (SELECT page FROM entity_sources WHERE source = NEW.source "
    "AND record_key = NEW.record_key); END",
)
SQLITE_DROP = ("entity_sources_page_au", "entity_sources_page_ad", "quarantine_page_ai", "quarantine_page_au")
POSTGRESQL = (
    """
    CREATE FUNCTION sync_page_gone() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM sync_pages WHERE source = OLD.source AND fp = OLD.page;
        RETURN NULL;
    END $$
    """,
    """
    CREATE FUNCTION sync_page_quarantined() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM sync_pages WHERE source = NEW.source AND fp = (SELECT page FROM entity_sources
            WHERE source = NEW.source AND record_key = NEW.record_key);
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER entity_sources_page_au AFTER UPDATE OF page, digest, active ON entity_sources FOR EACH ROW "
    f"WHEN ({_CHANGED}) EXECUTE FUNCTION sync_page_gone()",
    "CREATE TRIGGER entity_sources_page_ad AFTER DELETE ON entity_sources FOR EACH ROW "
    "WHEN (OLD.page IS NOT NULL) EXECUTE FUNCTION sync_page_gone()",
    "CREATE TRIGGER quarantine_page AFTER INSERT OR UPDATE ON quarantine FOR EACH ROW "
    "EXECUTE FUNCTION sync_page_quarantined()",
)


def upgrade() -> None:
    op.create_table(
        "sync_pages",
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("fp", sa.LargeBinary(), nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("source", "fp", name=op.f("pk_sync_pages")),
    )
    with op.batch_alter_table("entity_sources") as batch:
        batch.add_column(sa.Column("page", sa.LargeBinary(), nullable=True))
    op.drop_index("ix_entities_district", table_name="entities")
    for statement in POSTGRESQL if op.get_bind().dialect.name == "postgresql" else SQLITE:
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS quarantine_page ON quarantine")
        op.execute("DROP TRIGGER IF EXISTS entity_sources_page_ad ON entity_sources")
        op.execute("DROP TRIGGER IF EXISTS entity_sources_page_au ON entity_sources")
        op.execute("DROP FUNCTION IF EXISTS sync_page_quarantined()")
        op.execute("DROP FUNCTION IF EXISTS sync_page_gone()")
    else:
        for trigger in SQLITE_DROP:
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
    op.create_index("ix_entities_district", "entities", ["district"])
    with op.batch_alter_table("entity_sources") as batch:
        batch.drop_column("page")
    op.drop_table("sync_pages")
