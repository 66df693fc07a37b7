"""The publication generations (hub.db): every transaction that writes a table the public sees raises
the number of each kind it wrote (data, deliveries, audit) once, in that transaction; a write elsewhere,
a read or a rollback leaves them as they were. Reads of the outbox or the audit log are recorded while
``track_reads`` is on (what a cached page depends on besides the data)."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from hub.db import (
    AUDIT,
    DATA,
    DELIVERIES,
    Database,
    mark_public_write,
    public_kind,
    read_generation,
    read_generations,
    stop_tracking_reads,
    track_reads,
    writes_public_table,
)


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


def generations(db: Database) -> dict[str, int]:
    with db.engine.connect() as conn:
        return read_generations(conn)


@pytest.mark.parametrize(
    ("statement", "kind"),
    [
        ("INSERT INTO results (result_id) VALUES (1)", DATA),
        ("UPDATE calendar_overrides SET x = 1", DATA),
        ("UPDATE outbox SET state = 'delivered'", DELIVERIES),
        ("INSERT INTO audit_log (id) VALUES (1)", AUDIT),
        ("UPDATE users SET name = 1", None),
    ],
)
def test_the_kind_of_each_public_write(statement: str, kind: str | None) -> None:
    assert public_kind(statement) == kind


def test_each_kind_has_its_own_number(db: Database) -> None:
    start = generations(db)
    with db.unit_of_work() as s:
        s.execute(text("UPDATE outbox SET sink = sink WHERE 1 = 0"))
    assert generations(db) == start | {DELIVERIES: start[DELIVERIES] + 1}
    with db.unit_of_work() as s:
        s.execute(text("UPDATE audit_log SET actor = actor WHERE 1 = 0"))
    assert generations(db) == start | {DELIVERIES: start[DELIVERIES] + 1, AUDIT: start[AUDIT] + 1}
    with db.unit_of_work() as s:  # a transaction writing three kinds raises the three, once each
        s.execute(text("UPDATE results SET findings = findings WHERE 1 = 0"))
        s.execute(text("UPDATE outbox SET sink = sink WHERE 1 = 0"))
        s.execute(text("UPDATE audit_log SET actor = actor WHERE 1 = 0"))
        s.execute(text("UPDATE entities SET name = name WHERE 1 = 0"))
    assert generations(db) == {DATA: start[DATA] + 1, DELIVERIES: start[DELIVERIES] + 2, AUDIT: start[AUDIT] + 2}


def test_reads_of_the_outbox_and_the_audit_log_are_recorded_while_tracked(db: Database) -> None:
    seen = track_reads()
    try:
        with db.unit_of_work() as s:
            s.execute(text("SELECT count(*) FROM results JOIN entities ON entities.entity_id = results.entity_id"))
            assert seen == set()  # the data: every cached page depends on it anyway
            s.execute(text("SELECT count(*) FROM outbox WHERE state = 'delivered'"))
            assert seen == {DELIVERIES}
            s.execute(text("SELECT max(id) FROM audit_log"))
            assert seen == {DELIVERIES, AUDIT}
    finally:
        stop_tracking_reads()
    with db.unit_of_work() as s:
        s.execute(text("SELECT count(*) FROM outbox"))
    assert seen == {DELIVERIES, AUDIT} and track_reads() == set()
    stop_tracking_reads()
