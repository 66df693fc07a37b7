"""The migrations build exactly the schema the models describe; dead tables and columns are gone."""

from __future__ import annotations

import uuid

import pytest
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


def _approve(db, entity_id: str, n: int, state: str = "approved", revision: int = 1) -> None:  # type: ignore[no-untyped-def]
    """A result about ``entity_id`` (in a task of its own), inserted in ``state``."""
    from datetime import date

    from hub.results.models import Result
    from hub.tasks.models import JointTask

    with db.unit_of_work() as s:
        if s.get(JointTask, "JT-NAMES") is None:
            s.add(
                JointTask(
                    id="JT-NAMES",
                    title="t",
                    lead="HEALTH",
                    agencies=["HEALTH"],
                    spec={},
                    state="drawn",
                    window_start=date(2026, 1, 1),
                    window_end=date(2026, 3, 1),
                    created_by="test",
                )
            )
            s.flush()
        s.add(
            Result(
                result_id=f"R{n}",
                task_id="JT-NAMES",
                entity_id=entity_id,
                agency="HEALTH",
                inspected_on=date(2026, 2, 1),
                outcome_codes=["1"],
                inspectors=[],
                state=state,
                entered_by="test",
                revision=revision,
            )
        )


def test_the_name_index_holds_the_entities_the_public_can_meet(db_url):  # type: ignore[no-untyped-def]
    """0015_public_names: a name is searchable once a result about its entity is approved (inserted
    approved, or updated to approved), not before; found by its new name once renamed; gone once the
    entity is deleted (SQLite: the FTS5 table; PostgreSQL: the pg_trgm index, used by LIKE)."""
    from sqlalchemy import update

    from hub.db import Database
    from hub.portal.result_queries import entity_ids_named
    from hub.results.models import Result
    from hub.rosters.models import Entity

    db = Database(db_url)
    try:
        with db.unit_of_work() as s:
            s.add(Entity(entity_id="E1", name="济南市历下区实验小学", categories=[], sources=[]))
            s.add(Entity(entity_id="E2", name="济南市市中区育英中学", categories=[], sources=[]))
            s.add(Entity(entity_id="E3", name="济南市天桥区某宾馆", categories=[], sources=[]))
        assert entity_ids_named(db, "济南市") == []  # entities a sync brought: nothing to index
        _approve(db, "E1", 1)
        _approve(db, "E2", 2, state="entered")
        _approve(db, "E3", 3, state="entered")
        assert entity_ids_named(db, "历下区实验") == ["E1"]
        assert entity_ids_named(db, "济南市") == ["E1"]
        with db.unit_of_work() as s:
            s.execute(update(Result).where(Result.result_id == "R2").values(state="approved"))
            s.execute(update(Result).where(Result.result_id == "R3").values(state="returned"))
        assert entity_ids_named(db, "济南市") == ["E1", "E2"]
        assert entity_ids_named(db, "中") == ["E2"]  # under three characters: a scan of the public names
        _approve(db, "E1", 4, revision=2)  # an approved amendment about E1: still one name
        with db.unit_of_work() as s:
            s.query(Entity).filter(Entity.entity_id == "E1").update({"name": "济南市历城区某幼儿园"})
            s.query(Entity).filter(Entity.entity_id == "E3").update({"name": "济南市历城区另一宾馆"})
            s.query(Result).filter(Result.entity_id == "E2").delete()
            s.query(Entity).filter(Entity.entity_id == "E2").delete()
        assert entity_ids_named(db, "历下区实验") == []
        assert entity_ids_named(db, "历城区") == ["E1"]  # E3's rename did not make it public
        assert entity_ids_named(db, "济南市") == ["E1"]
    finally:
        db.dispose()


def test_a_name_search_of_three_characters_uses_the_index(db_url):  # type: ignore[no-untyped-def]
    """The plan of the portal's name condition names the 0015_public_names index on both databases."""
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
                assert "public_name_index" in plan and "VIRTUAL TABLE INDEX" in plan, plan
            else:
                conn.execute(text("SET enable_seqscan = off"))  # an empty table: ask whether the index can serve
                plan = " ".join(str(r) for r in conn.execute(text(f"EXPLAIN {compiled}")))
                assert "ix_public_names_name_trgm" in plan, plan
    finally:
        db.dispose()


@pytest.fixture
def scratch_url(tmp_path):  # type: ignore[no-untyped-def]
    """An empty database of the suite's kind that this test alone uses (it migrates down and up)."""
    from tests.conftest import PG_SERVER, TEST_DB, _pg_admin

    if TEST_DB == "sqlite":
        yield f"sqlite:///{tmp_path}/scratch.db"
        return
    name = f"hub_scratch_{uuid.uuid4().hex[:10]}"
    with _pg_admin() as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_SERVER.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with _pg_admin() as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_the_public_names_migrate_down_and_up_again(scratch_url):  # type: ignore[no-untyped-def]
    """0015_public_names downgrades (0011_portal's index of every name comes back on SQLite) and upgrades
    again, filling public_names from the approved results already stored."""
    from sqlalchemy import text

    from hub.db import Database, downgrade, upgrade
    from hub.portal.result_queries import entity_ids_named
    from hub.rosters.models import Entity

    upgrade(scratch_url)
    db = Database(scratch_url)
    try:
        with db.unit_of_work() as s:
            s.add(Entity(entity_id="E1", name="济南市历下区实验小学", categories=[], sources=[]))
            s.add(Entity(entity_id="E2", name="济南市市中区育英中学", categories=[], sources=[]))
        _approve(db, "E1", 1)
        db.engine.dispose()
        downgrade(scratch_url, "0014_portal_search")
        with db.engine.connect() as conn:
            tables = set(inspect(conn).get_table_names())
            assert "public_names" not in tables
            if conn.dialect.name == "sqlite":
                found = conn.execute(text("SELECT rowid FROM entity_names WHERE entity_names MATCH '\"济南市\"'"))
                assert len(list(found)) == 2
        db.engine.dispose()
        upgrade(scratch_url)
        assert entity_ids_named(db, "济南市") == ["E1"]
    finally:
        db.dispose()


def test_the_sync_pages_migrate_down_and_up_again(scratch_url):  # type: ignore[no-untyped-def]
    """0017_sync_pages downgrades (the table, the column and the triggers go; a record can change freely)
    and upgrades again (the triggers keep a registration exact)."""
    from sqlalchemy import text

    from hub.db import Database, downgrade, upgrade

    link = (
        "INSERT INTO entity_sources (source, record_key, entity_id, raw, digest, active, seen_at) "
        "VALUES ('samr', 'K1', 'K1', '{}', 'd1', TRUE, '2026-12-01 00:00:00')"
    )
    upgrade(scratch_url)
    db = Database(scratch_url)
    try:
        db.engine.dispose()
        downgrade(scratch_url, "0016_stats_summary")
        with db.engine.begin() as conn:
            assert "sync_pages" not in set(inspect(conn).get_table_names())
            assert "page" not in {c["name"] for c in inspect(conn).get_columns("entity_sources")}
            conn.execute(text(link))
            conn.execute(text("UPDATE entity_sources SET digest = 'd2'"))
        db.engine.dispose()
        upgrade(scratch_url)
        with db.engine.begin() as conn:
            conn.execute(text("UPDATE entity_sources SET page = :fp"), {"fp": b"p" * 16})
            conn.execute(
                text("INSERT INTO sync_pages (source, fp, records) VALUES ('samr', :fp, 1)"), {"fp": b"p" * 16}
            )
            conn.execute(text("UPDATE entity_sources SET digest = 'd3'"))
            assert conn.execute(text("SELECT count(*) FROM sync_pages")).scalar() == 0
    finally:
        db.dispose()
