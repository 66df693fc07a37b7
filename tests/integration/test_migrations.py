"""The migrations build exactly the schema the models describe; dead tables and columns are gone."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import create_engine, inspect

import hub.models  # noqa: F401  (registers every table)
from hub.db import Base


def test_migrated_schema_matches_the_models(db_url):  # type: ignore[no-untyped-def]
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            tables = set(inspect(conn).get_table_names())
            state_columns = {c["name"] for c in inspect(conn).get_columns("source_state")}
    finally:
        engine.dispose()
    assert [d for d in diff if d[0] in ("add_table", "remove_table", "add_column", "remove_column")] == []
    assert "processed_files" not in tables
    assert "etag" not in state_columns
