"""The dashboard's summary tables, kept exact by the database itself: ``result_facts`` (approved results
of drawn tasks counted by year, agency, the entity's district and categories, codes and flags) and
``follow_up_facts`` (their follow-ups counted by the same cut, kind, state and due date).

Every write that changes a counted figure changes these counts in the same transaction, through
triggers: a result approved, superseded, returned or edited; a follow-up added or closed; a task drawn
or voided; an entity whose district or categories a roster sync changes (issue 16: the figures count
each entity under its *current* district and categories, docs/results.md). Triggers, not service code,
because those writes sit in several layers (roster syncs and task voids lie below the results) and some
are bulk SQL (a sync's merge); a trigger sees every one of them.

One contribution query per summary, ``_contribution``, run with a sign: minus before a row changes (the
tables still hold its old values), plus after (they hold the new ones), each restricted to the rows that
depend on the changed one (a result, a follow-up, a task's results, an entity's results). On PostgreSQL
the inserts and deletes of entities use statement-level triggers with transition tables (a sync inserting
a million entities joins them once with the results, instead of calling a function per row).

Revision ID: 0016_stats_summary
Revises: 0015_public_names
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0016_stats_summary"
down_revision = "0015_public_names"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NO_DUE = "9999-12-31"  # a follow-up without a due date (never overdue): a key column cannot be NULL

KEYS = {
    "result_facts": ("year", "agency", "district", "categories", "codes", "superseded", "first", "on_time"),
    "follow_up_facts": ("year", "agency", "district", "categories", "kind", "closed", "due_on", "decided", "timely"),
    "delivery_facts": ("year", "agency", "district", "categories", "sink", "state", "timed", "wait"),
    # current results per entity (plan coverage counts distinct entities: no sum over other keys would do)
    "coverage_facts": ("year", "agency", "district", "categories", "entity_id"),
}


def _exprs(dialect: str, facts: str) -> tuple[str, ...]:
    """The key columns of ``facts`` as expressions over r (results), t (joint_tasks), e (entities), fu
    (follow_ups), m (outbox)."""
    pg = dialect == "postgresql"
    year = (
        "CAST(EXTRACT(YEAR FROM t.window_start) AS INTEGER)"
        if pg
        else "CAST(strftime('%Y', t.window_start) AS INTEGER)"
    )
    cats = "COALESCE(e.categories, '[]'::jsonb)" if pg else "COALESCE(e.categories, '[]')"
    # a message whose result is not (an approved one) has no agency, district or category: no cut finds it
    cut = (year, "COALESCE(r.agency, '')", "COALESCE(e.district, '')", cats)
    if facts == "coverage_facts":
        return (*cut, "r.entity_id")
    if facts == "result_facts":
        return (
            *cut,
            "r.outcome_codes",
            "r.superseded",
            "(r.amends IS NULL)",
            "(CASE WHEN r.published_on <= r.due_on THEN TRUE ELSE FALSE END)",
        )
    if facts == "follow_up_facts":
        due = "CASE WHEN fu.kind = 'case' THEN fu.penalty_due_on ELSE fu.due_on END"
        no_due = f"DATE '{NO_DUE}'" if pg else f"'{NO_DUE}'"
        return (
            *cut,
            "fu.kind",
            "fu.closed",
            # a closed follow-up is never overdue: its due date does not matter (and its rows fold together)
            f"(CASE WHEN fu.closed OR ({due}) IS NULL THEN {no_due} ELSE {due} END)",
            "(fu.decided_on IS NOT NULL)",
            "(CASE WHEN fu.closed AND fu.closed_on <= fu.penalty_due_on THEN TRUE ELSE FALSE END)",
        )
    timed = "m.state = 'delivered' AND m.delivered_at IS NOT NULL"
    # the wait from approval (the message is written in the approval's transaction) to acceptance, in
    # seconds, as the statistics read it before this summary: PostgreSQL's epoch, SQLite's to the millisecond
    wait = (
        "CAST(EXTRACT(EPOCH FROM m.delivered_at - m.created_at) AS DOUBLE PRECISION)"
        if pg
        else "round((julianday(m.delivered_at) - julianday(m.created_at)) * 86400.0, 3)"
    )
    return (*cut, "m.sink", "m.state", f"({timed})", f"(CASE WHEN {timed} THEN {wait} ELSE 0 END)")


def _from(facts: str, entities: str) -> str:
    """The rows ``facts`` counts; ``entities`` is the relation the entity's district and categories come from
    (``entities``, a transition table, or ``none``: an entity not there)."""
    if entities == "none":
        e = "LEFT JOIN entities e ON FALSE"
    elif entities == "old_row":  # (SQLite, in an entity's AFTER UPDATE trigger) the row as it was
        e = (
            "LEFT JOIN (SELECT OLD.entity_id AS entity_id, OLD.district AS district, OLD.categories AS categories) e "
            "ON e.entity_id = r.entity_id"
        )
    else:
        e = f"LEFT JOIN {entities} e ON e.entity_id = r.entity_id"
    if facts == "coverage_facts":  # current results only: not superseded
        return (
            f"FROM results r JOIN joint_tasks t ON t.id = r.task_id {e} "
            "WHERE r.state = 'approved' AND r.superseded = FALSE AND t.state = 'drawn'"
        )
    if facts == "delivery_facts":
        return (
            "FROM outbox m JOIN joint_tasks t ON t.id = m.task_id "
            f"LEFT JOIN results r ON r.result_id = m.key AND r.state = 'approved' {e} "
            "WHERE m.kind = 'result' AND t.state = 'drawn'"
        )
    follow = " JOIN follow_ups fu ON fu.result_id = r.id" if facts == "follow_up_facts" else ""
    return f"FROM results r JOIN joint_tasks t ON t.id = r.task_id{follow} {e} WHERE r.state = 'approved' AND t.state = 'drawn'"


def _contribution(dialect: str, facts: str, sign: int, where: str, entities: str = "entities") -> str:
    """Add ``sign`` times the counts of the rows selected by ``where`` to ``facts``."""
    key, exprs = KEYS[facts], _exprs(dialect, facts)
    return (
        f"INSERT INTO {facts} ({', '.join(key)}, n) "
        f"SELECT {', '.join(exprs)}, {sign} * count(*) {_from(facts, entities)} AND ({where}) "
        f"GROUP BY {', '.join(exprs)} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {facts}.n + excluded.n"
    )


# table -> summary -> the counted rows depending on one of the table's rows (given as ROW: OLD or NEW)
DEPENDS = {
    "results": {
        "result_facts": "r.id = {row}.id",
        "follow_up_facts": "r.id = {row}.id",
        "delivery_facts": "m.kind = 'result' AND m.key = {row}.result_id",
        "coverage_facts": "r.id = {row}.id",
    },
    "follow_ups": {"follow_up_facts": "fu.id = {row}.id"},
    "outbox": {"delivery_facts": "m.id = {row}.id"},
    "joint_tasks": {
        "result_facts": "r.task_id = {row}.id",
        "follow_up_facts": "r.task_id = {row}.id",
        "delivery_facts": "m.task_id = {row}.id",
        "coverage_facts": "r.task_id = {row}.id",
    },
    "entities": {s: "r.entity_id = {row}.entity_id" for s in KEYS},
}
WATCHED = {  # the columns of a table the summaries read (an update of any other column changes nothing)
    "results": (
        "state",
        "result_id",
        "task_id",
        "entity_id",
        "agency",
        "outcome_codes",
        "superseded",
        "amends",
        "published_on",
        "due_on",
    ),
    "follow_ups": ("result_id", "kind", "due_on", "penalty_due_on", "closed", "closed_on", "decided_on"),
    "outbox": ("sink", "kind", "key", "task_id", "state", "created_at", "delivered_at"),
    "joint_tasks": ("state", "window_start"),
    "entities": ("district", "categories"),  # (an entity_id never changes)
}


def _guard(table: str, facts: str, row: str) -> str:
    """Only an approved result is counted in results' and follow-ups' summaries: a draft's or an entered
    result's writes need no query there (a message's summary reads a result whatever its state)."""
    return f"{row}.state = 'approved'" if table == "results" and facts != "delivery_facts" else "TRUE"


def _changed(dialect: str, table: str) -> str:
    op_ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {op_} NEW.{c}" for c in WATCHED[table])


def _sqlite_triggers() -> list[str]:
    """One trigger per table, event and timing, its statements one per summary. An entity's insert or delete is
    one trigger, only when results name the entity (a sync inserting a million entities probes the results once
    per entity): its results counted with no entity, then with it (or the other way round)."""
    out = []
    for table, summaries in DEPENDS.items():
        for event in ("INSERT", "UPDATE", "DELETE"):
            if table == "joint_tasks" and event != "UPDATE":
                continue  # nothing is counted before a task is drawn, and its rows keep it (foreign keys)
            for timing, sign in (("BEFORE", -1), ("AFTER", 1)):
                row = "OLD" if (event == "DELETE" or (event == "UPDATE" and timing == "BEFORE")) else "NEW"
                if (event, timing) in (("INSERT", "BEFORE"), ("DELETE", "AFTER")):
                    continue  # nothing depends on a row not (or no longer) there; an entity's: below
                if table == "entities" and (event, timing) == ("UPDATE", "BEFORE"):
                    continue  # one AFTER trigger moves the counts from the old row to the new (a BEFORE trigger
                    # makes SQLite's UPDATE ... FROM of a sync dearer per row as the table grows)
                named = f"EXISTS (SELECT 1 FROM results WHERE entity_id = {row}.entity_id)"
                if event == "UPDATE":
                    cond = f"WHEN ({_changed('sqlite', table)})" + (f" AND {named} " if table == "entities" else " ")
                elif table == "entities":
                    cond = f"WHEN {named} "
                else:
                    cond = ""
                if table == "entities" and event == "UPDATE":
                    where = summaries[next(iter(summaries))].format(row=row)
                    stmts = [
                        _contribution("sqlite", facts, moved, where, source)
                        for facts in summaries
                        for moved, source in ((-1, "old_row"), (1, "entities"))
                    ]
                elif table == "entities":
                    # inserted: counted with no entity, now with it; deleted (before): with it, then with none
                    first, then = ("none", "entities") if event == "INSERT" else ("entities", "none")
                    where = summaries[next(iter(summaries))].format(row=row)
                    stmts = [
                        _contribution("sqlite", facts, moved, where, source)
                        for facts in summaries
                        for moved, source in ((-1, first), (1, then))
                    ]
                else:
                    stmts = [
                        _contribution("sqlite", facts, sign, f"{where.format(row=row)} AND {_guard(table, facts, row)}")
                        for facts, where in summaries.items()
                    ]
                name = f"tr_facts_{table}_{timing.lower()}_{event.lower()}"
                out.append(f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW {cond}BEGIN {'; '.join(stmts)}; END")
    return out


def _pg_triggers() -> list[str]:
    out = []
    for table, summaries in DEPENDS.items():
        for timing, sign, row in (("BEFORE", -1, "OLD"), ("AFTER", 1, "NEW")):
            # row-level: an update that changed a watched column (a delivery attempt that sets a message's state
            # to what it was runs nothing); a delete (before) or an insert (after), but an entity's insert or
            # delete is a statement-level trigger below
            fn = f"facts_{table}_{timing.lower()}"
            stmts = " ".join(
                f"IF {_guard(table, facts, row)} THEN {_contribution('postgresql', facts, sign, where.format(row=row))}; END IF;"
                for facts, where in summaries.items()
            )
            ret = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;" if timing == "BEFORE" else "RETURN NULL;"
            out.append(f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {stmts} {ret} END $$")
            out.append(
                f"CREATE TRIGGER tr_{fn} {timing} UPDATE OF {', '.join(WATCHED[table])} ON {table} FOR EACH ROW "
                f"WHEN ({_changed('postgresql', table)}) EXECUTE FUNCTION {fn}()"
            )
            if table not in ("joint_tasks", "entities"):
                event = "DELETE" if timing == "BEFORE" else "INSERT"
                out.append(
                    f"CREATE TRIGGER tr_{fn}_{event.lower()} {timing} {event} ON {table} FOR EACH ROW "
                    f"EXECUTE FUNCTION {fn}()"
                )
    # entities inserted or deleted: once per statement, with the rows as a transition table (a sync inserting a
    # million entities joins them with the results once instead of calling a function per row)
    for event, rows in (("INSERT", "new_rows"), ("DELETE", "old_rows")):
        where = f"r.entity_id IN (SELECT entity_id FROM {rows})"
        # inserted: their results were counted with no entity, now with it; deleted: the other way round
        before, after = ("none", "entities") if event == "INSERT" else (rows, "none")
        moves = [
            _contribution("postgresql", facts, sign, where, source)
            for facts in DEPENDS["entities"]
            for sign, source in ((-1, before), (1, after))
        ]
        fn = f"facts_entities_{event.lower()}"
        out.append(
            f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            f"IF EXISTS (SELECT 1 FROM results r WHERE {where}) THEN {'; '.join(moves)}; END IF; "
            "RETURN NULL; END $$"
        )
        transition = "NEW TABLE AS new_rows" if event == "INSERT" else "OLD TABLE AS old_rows"
        out.append(
            f"CREATE TRIGGER tr_{fn} AFTER {event} ON entities REFERENCING {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"
        )
    return out


def _functions() -> list[str]:
    """The PostgreSQL trigger functions ``upgrade`` creates."""
    return [f"facts_{t}_{timing}" for t in DEPENDS for timing in ("before", "after")] + [
        "facts_entities_insert",
        "facts_entities_delete",
    ]


def _trigger_names(dialect: str) -> list[tuple[str, str]]:
    """(trigger, table) of every trigger ``upgrade`` creates."""
    made = _pg_triggers() if dialect == "postgresql" else _sqlite_triggers()
    return [(m.group(1), m.group(2)) for sql in made if (m := re.match(r"CREATE TRIGGER (\w+) .*? ON (\w+) ", sql))]


def _cut() -> list[sa.Column]:
    return [
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("agency", sa.String(32), nullable=False),
        sa.Column("district", sa.String(6), nullable=False),
        sa.Column("categories", JSON, nullable=False),
    ]


def _tables() -> None:
    op.create_table(
        "result_facts",
        *_cut(),
        sa.Column("codes", JSON, nullable=False),
        sa.Column("superseded", sa.Boolean, nullable=False),
        sa.Column("first", sa.Boolean, nullable=False),
        sa.Column("on_time", sa.Boolean, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.UniqueConstraint(*KEYS["result_facts"], name="uq_result_facts_key"),
    )
    op.create_table(
        "follow_up_facts",
        *_cut(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("closed", sa.Boolean, nullable=False),
        sa.Column("due_on", sa.Date, nullable=False),
        sa.Column("decided", sa.Boolean, nullable=False),
        sa.Column("timely", sa.Boolean, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.UniqueConstraint(*KEYS["follow_up_facts"], name="uq_follow_up_facts_key"),
    )
    op.create_table(
        "delivery_facts",
        *_cut(),
        sa.Column("sink", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("timed", sa.Boolean, nullable=False),
        sa.Column("wait", sa.Float, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.UniqueConstraint(*KEYS["delivery_facts"], name="uq_delivery_facts_key"),
    )
    op.create_table(
        "coverage_facts",
        *_cut(),
        sa.Column("entity_id", sa.String(64), nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.UniqueConstraint(*KEYS["coverage_facts"], name="uq_coverage_facts_key"),
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _tables()
    for facts in KEYS:  # the back-fill: every counted row, once
        op.execute(_contribution(dialect, facts, 1, "TRUE"))
    for sql in _pg_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table in _trigger_names(dialect):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        for fn in _functions():
            op.execute(f"DROP FUNCTION IF EXISTS {fn}()")
    op.drop_table("coverage_facts")
    op.drop_table("delivery_facts")
    op.drop_table("follow_up_facts")
    op.drop_table("result_facts")
