"""The migrations build exactly the schema the models describe; dead tables and columns are gone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import hub.models  # noqa: F401  (registers every table)
from hub.db import Base, described_by_models


def test_migrated_schema_matches_the_models(db_url):  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"include_name": described_by_models})
            diff = compare_metadata(context, Base.metadata)
            tables = set(inspect(conn).get_table_names())
            state_columns = {c["name"] for c in inspect(conn).get_columns("source_state")}
    finally:
        engine.dispose()
    assert [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")] == []
    assert "processed_files" not in tables
    assert "etag" not in state_columns


def test_entity_name_search_index_follows_the_entities(db_url):  # type: ignore[no-untyped-def]
    """0011_portal: a name found by substring once inserted, found by its new name once renamed, gone once deleted
    (SQLite: the FTS5 table kept by triggers; PostgreSQL: the pg_trgm index, used by LIKE)."""
    from hub.db import Database
    from hub.portal.result_queries import entity_ids_named
    from hub.rosters.models import Entity

    db = Database(db_url)
    try:
        with db.unit_of_work() as s:
            s.add(Entity(entity_id="E1", name="济南市历下区实验小学", categories=[], sources=[]))
            s.add(Entity(entity_id="E2", name="济南市市中区育英中学", categories=[], sources=[]))
        assert entity_ids_named(db, "历下区实验") == ["E1"]
        assert entity_ids_named(db, "济南市") == ["E1", "E2"]
        with db.unit_of_work() as s:
            s.query(Entity).filter(Entity.entity_id == "E1").update({"name": "济南市历城区某幼儿园"})
            s.query(Entity).filter(Entity.entity_id == "E2").delete()
        assert entity_ids_named(db, "历下区实验") == []
        assert entity_ids_named(db, "历城区某") == ["E1"]
        assert entity_ids_named(db, "济南市") == ["E1"]
    finally:
        db.dispose()


def test_a_name_search_of_three_characters_uses_the_index(db_url):  # type: ignore[no-untyped-def]
    """The plan of the portal's name condition names the 0011_portal index on both databases."""
    from sqlalchemy import select, text

    from hub.db import Database
    from hub.portal.result_queries import _name_contains
    from hub.rosters.models import Entity

    db = Database(db_url)
    try:
        with db.engine.connect() as conn:
            sqlite = conn.dialect.name == "sqlite"
            query = select(Entity.entity_id).where(_name_contains("历下区", sqlite))
            compiled = query.compile(conn, compile_kwargs={"literal_binds": True})
            if sqlite:
                plan = " ".join(str(r) for r in conn.execute(text(f"EXPLAIN QUERY PLAN {compiled}")))
                assert "entity_names" in plan and "VIRTUAL TABLE INDEX" in plan, plan
            else:
                conn.execute(text("SET enable_seqscan = off"))  # an empty table: ask whether the index can serve
                plan = " ".join(str(r) for r in conn.execute(text(f"EXPLAIN {compiled}")))
                assert "ix_entities_name_trgm" in plan, plan
    finally:
        db.dispose()
