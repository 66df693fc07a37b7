"""The audit log: append-only, hash-chained; `verify` finds edited, removed and reordered entries."""
from __future__ import annotations

from sqlalchemy import delete, text, update

from hub.audit.log import record, verify
from hub.audit.models import AuditEntry


def _three(db):  # type: ignore[no-untyped-def]
    with db.unit_of_work() as s:
        for i in range(3):
            record(s, "alice", "task.commit", f"task:T-{i}", details={"party": "HEALTH", "n": i})


def test_an_intact_chain_verifies(db):
    _three(db)
    with db.unit_of_work() as s:
        assert verify(s) == (3, [])


def test_an_edited_entry_is_found(db):
    _three(db)
    with db.unit_of_work() as s:
        s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(actor="mallory"))
    with db.unit_of_work() as s:
        _n, problems = verify(s)
    assert any("entry 2" in p and "edited" in p for p in problems)


def test_a_removed_entry_is_found(db):
    _three(db)
    with db.unit_of_work() as s:
        s.execute(delete(AuditEntry).where(AuditEntry.id == 2))
    with db.unit_of_work() as s:
        n, problems = verify(s)
    assert n == 2 and any("entry 3" in p for p in problems)


def test_reordered_entries_are_found(db):
    _three(db)
    with db.unit_of_work() as s:
        # swap the content of entries 1 and 2, keeping each row's own hash
        rows = {e.id: (e.subject, e.details) for e in s.query(AuditEntry)}
        s.execute(update(AuditEntry).where(AuditEntry.id == 1).values(subject=rows[2][0], details=rows[2][1]))
        s.execute(update(AuditEntry).where(AuditEntry.id == 2).values(subject=rows[1][0], details=rows[1][1]))
    with db.unit_of_work() as s:
        _, problems = verify(s)
    assert len(problems) >= 2


def test_audit_verify_command_exits_non_zero_on_a_broken_chain(db, settings, monkeypatch, capsys):
    from hub.cli import main

    _three(db)
    monkeypatch.setenv("HUB_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("HUB_DATA_DIR", str(settings.data_dir))
    assert main(["audit", "verify"]) == 0
    with db.unit_of_work() as s:
        s.execute(text("UPDATE audit_log SET action = 'task.nothing' WHERE id = 3"))
    assert main(["audit", "verify"]) != 0
    err = capsys.readouterr().err
    assert "entry 3" in err
