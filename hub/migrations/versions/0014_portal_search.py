"""The portal's response cache and short name searches.

- ``publication_generation``: one row whose number every transaction writing public data raises as
  its last statement (hub.db.PUBLIC_TABLES); the portal's cached answers are keyed by it, so they are
  never stale (docs/portal.md, "Caching").
- PostgreSQL: ``hub_name_grams(name)``, the characters and character pairs of a name, so that a name
  search of 1 or 2 characters is answered from an index (pg_trgm needs 3); the GIN index over it is on
  the public names (0015_public_names), not on every entity a sync brings. SQLite keeps scanning for
  those (its embedded sizes are small).

Revision ID: 0014_portal_search
Revises: 0013_stats
"""

import sqlalchemy as sa
from alembic import op

revision = "0014_portal_search"
down_revision = "0013_stats"
branch_labels = None
depends_on = None

# Every character and every pair of neighbouring characters of a name (no spaces), as an array: the
# index a name search of 1-2 characters uses (`hub_name_grams(name) @> ARRAY[q]`, then the LIKE).
GRAMS_FUNCTION = """
CREATE FUNCTION hub_name_grams(name text) RETURNS text[]
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
  SELECT COALESCE(array_agg(DISTINCT g), '{}')
  FROM (SELECT substr(name, i, 1) AS g FROM generate_series(1, char_length(name)) i
        UNION ALL
        SELECT substr(name, i, 2) FROM generate_series(1, char_length(name) - 1) i) grams
$$
"""


def upgrade() -> None:
    table = op.create_table(
        "publication_generation",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(table, [{"id": 1, "generation": 1}])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(GRAMS_FUNCTION)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS hub_name_grams(text)")
    op.drop_table("publication_generation")
