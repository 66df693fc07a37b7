"""public names: the portal's name search indexes only the entities the public can meet

The portal finds an entity by name only through a published (approved) result about it
(hub/portal/result_queries.py). On SQLite 0011_portal indexed every entity's name for it, so every
entity a sync inserted or renamed paid for an FTS5 row (a 200,000-entity first sync took 54.8 s with
it, 20.1 s without; issue 14) although the public can meet only those with a published result. That
index goes. (PostgreSQL keeps 0011_portal's ``ix_entities_name_trgm``: the staff's entity list
searches every name with it.)

Now the names of those entities alone are kept in ``public_names`` (entity pk, name), indexed by
trigrams: an FTS5 table over it on SQLite, a pg_trgm GIN index on PostgreSQL (and one over its
characters and pairs, ``hub_name_grams`` of 0014_portal_search, for names of 1–2 characters).
Triggers keep it: a result that is approved (inserted or updated to ``approved``) adds its entity's
name; renaming such an entity renames it; deleting the entity deletes it (the foreign key cascades).
A sync inserting entities writes nothing here.

Revision ID: 0015_public_names
Revises: 0014_portal_search
"""

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic import op

revision = "0015_public_names"
down_revision = "0014_portal_search"
branch_labels = None
depends_on = None

_ADD_APPROVED = (  # SQLite: a trigger body adding the entity of the result ``new``
    "INSERT OR IGNORE INTO public_names (entity_pk, name) SELECT id, name FROM entities "
    "WHERE entity_id = new.entity_id AND new.state = 'approved'; "
)
SQLITE = (
    "CREATE VIRTUAL TABLE public_name_index USING fts5(name, content='public_names', content_rowid='entity_pk', "
    "tokenize='trigram')",
    "CREATE TRIGGER public_names_ai AFTER INSERT ON public_names BEGIN "
    "INSERT INTO public_name_index(rowid, name) VALUES (new.entity_pk, new.name); END",
    "CREATE TRIGGER public_names_ad AFTER DELETE ON public_names BEGIN "
    "INSERT INTO public_name_index(public_name_index, rowid, name) VALUES ('delete', old.entity_pk, old.name); END",
    "CREATE TRIGGER public_names_au AFTER UPDATE OF name ON public_names BEGIN "
    "INSERT INTO public_name_index(public_name_index, rowid, name) VALUES ('delete', old.entity_pk, old.name); "
    "INSERT INTO public_name_index(rowid, name) VALUES (new.entity_pk, new.name); END",
    f"CREATE TRIGGER results_public_name_ai AFTER INSERT ON results WHEN new.state = 'approved' BEGIN {_ADD_APPROVED}END",
    "CREATE TRIGGER results_public_name_au AFTER UPDATE OF state ON results WHEN new.state = 'approved' "
    f"BEGIN {_ADD_APPROVED}END",
    "CREATE TRIGGER entities_public_name_au AFTER UPDATE OF name ON entities WHEN new.name IS NOT old.name "
    "BEGIN UPDATE public_names SET name = new.name WHERE entity_pk = new.id; END",
)
POSTGRESQL = (
    """
    CREATE FUNCTION public_names_from_result() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.state = 'approved' THEN
            INSERT INTO public_names (entity_pk, name) SELECT id, name FROM entities
            WHERE entity_id = NEW.entity_id ON CONFLICT (entity_pk) DO NOTHING;
        END IF;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER results_public_name AFTER INSERT OR UPDATE OF state ON results "
    "FOR EACH ROW EXECUTE FUNCTION public_names_from_result()",
    """
    CREATE FUNCTION public_names_follow_entity() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE public_names SET name = NEW.name WHERE entity_pk = NEW.id;
        RETURN NULL;
    END $$
    """,
    "CREATE TRIGGER entities_public_name AFTER UPDATE OF name ON entities FOR EACH ROW "
    "WHEN (NEW.name IS DISTINCT FROM OLD.name) EXECUTE FUNCTION public_names_follow_entity()",
)
FILL = (
    "INSERT INTO public_names (entity_pk, name) SELECT e.id, e.name FROM entities e WHERE EXISTS "
    "(SELECT 1 FROM results r WHERE r.entity_id = e.entity_id AND r.state = 'approved')"
)
OLD_SQLITE = (  # 0011_portal's index of every entity's name
    "DROP TRIGGER IF EXISTS entity_names_ai",
    "DROP TRIGGER IF EXISTS entity_names_ad",
    "DROP TRIGGER IF EXISTS entity_names_au",
    "DROP TABLE IF EXISTS entity_names",
)


def upgrade() -> None:
    op.create_table(
        "public_names",
        sa.Column("entity_pk", sa.Integer(), sa.ForeignKey("entities.id", ondelete="CASCADE"), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.PrimaryKeyConstraint("entity_pk", name=op.f("pk_public_names")),
    )
    if op.get_bind().dialect.name == "postgresql":
        for statement in POSTGRESQL:
            op.execute(statement)
        op.execute(FILL)
        op.execute(
            """
            DO $$
            BEGIN
                IF EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
                    CREATE INDEX ix_public_names_name_trgm ON public_names USING gin (name gin_trgm_ops);
                END IF;
            END $$;
            """
        )
        op.execute("CREATE INDEX ix_public_names_name_grams ON public_names USING gin (hub_name_grams(name))")
    else:
        for statement in OLD_SQLITE + SQLITE:
            op.execute(statement)
        op.execute(FILL)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS entities_public_name ON entities")
        op.execute("DROP TRIGGER IF EXISTS results_public_name ON results")
        op.execute("DROP FUNCTION IF EXISTS public_names_follow_entity()")
        op.execute("DROP FUNCTION IF EXISTS public_names_from_result()")
        op.drop_table("public_names")
    else:
        for trigger in (
            "entities_public_name_au",
            "results_public_name_au",
            "results_public_name_ai",
            "public_names_au",
            "public_names_ad",
            "public_names_ai",
        ):
            op.execute(f"DROP TRIGGER {trigger}")
        op.execute("DROP TABLE public_name_index")
        op.drop_table("public_names")
        for statement in _portal_revision().SQLITE_SEARCH:
            op.execute(statement)


def _portal_revision():
    """0011_portal's module (a revision file is not importable by name): its index of every name."""
    spec = importlib.util.spec_from_file_location("rev_0011_portal", Path(__file__).with_name("0011_portal.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module
