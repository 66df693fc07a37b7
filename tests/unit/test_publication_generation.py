"""The publication generation (hub.db): every transaction that writes a table the public sees raises it
once, in that transaction; a write elsewhere, a read or a rollback leaves it as it was."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hub.db import Database, mark_public_write, read_generation, writes_public_table


def generation(db: Database) -> int:
    with db.engine.connect() as conn:
        return read_generation(conn)


@pytest.mark.parametrize(
    ("statement", "public"),
    [
        ("INSERT INTO results (result_id) VALUES (1)", True),
        ('UPDATE "entities" SET name = 1', True),
        ("  delete from outbox where id = 1", True),
        ("INSERT OR REPLACE INTO items (code) VALUES (1)", True),
        ("INSERT INTO scheduler_leases (name) VALUES (1)", False),
        ("UPDATE users SET last_login = 1", False),
        ("SELECT * FROM results", False),
        ("INSERT INTO results_archive (x) VALUES (1)", False),
    ],
)
def test_which_statements_write_public_data(statement: str, public: bool) -> None:
    assert writes_public_table(statement) is public


def test_a_public_write_raises_the_generation_once_per_transaction(db: Database) -> None:
    start = generation(db)
    with db.unit_of_work() as s:
        s.execute(text("UPDATE entities SET name = name WHERE 1 = 0"))
        s.execute(text("UPDATE results SET findings = findings WHERE 1 = 0"))
        assert generation(db) == start  # another connection: not before the commit
    assert generation(db) == start + 1
    with db.unit_of_work() as s:
        s.execute(text("UPDATE items SET name = name WHERE 1 = 0"))
    assert generation(db) == start + 2


def test_reads_other_tables_and_rollbacks_leave_it(db: Database) -> None:
    start = generation(db)
    with db.unit_of_work() as s:
        s.execute(text("SELECT count(*) FROM results")).scalar()
        s.execute(text("UPDATE users SET name = name WHERE 1 = 0"))
    with pytest.raises(RuntimeError), db.unit_of_work() as s:
        s.execute(text("UPDATE results SET findings = findings WHERE 1 = 0"))
        raise RuntimeError("rolled back")
    with db.unit_of_work() as s:  # the rolled-back write is forgotten: this transaction writes nothing public
        s.execute(text("SELECT 1"))
    assert generation(db) == start


def test_a_write_around_sqlalchemy_is_marked_by_hand(db: Database) -> None:
    start = generation(db)
    with db.unit_of_work() as s:
        mark_public_write(s)
    assert generation(db) == start + 1


def test_a_missing_row_is_recreated(db: Database) -> None:
    with db.unit_of_work() as s:
        s.execute(text("DELETE FROM publication_generation"))
    assert generation(db) == 0
    with db.unit_of_work() as s:
        s.execute(text("UPDATE results SET findings = findings WHERE 1 = 0"))
    assert generation(db) == 1
