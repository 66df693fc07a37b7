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

Revision ID: 0014_stats_summary
Revises: 0013_stats
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0014_stats_summary"
down_revision = "0013_stats"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
NO_DUE = "9999-12-31"  # a follow-up without a due date (never overdue): a key column cannot be NULL

RESULT_KEY = ("year", "agency", "district", "categories", "codes", "superseded", "first", "on_time")
FOLLOW_UP_KEY = ("year", "agency", "district", "categories", "kind", "closed", "due_on", "decided", "timely")


def _exprs(dialect: str, facts: str) -> tuple[str, ...]:
    """The key columns of ``facts`` as expressions over r (results), t (joint_tasks), e (entities), fu (follow_ups)."""
    pg = dialect == "postgresql"
    year = (
        "CAST(EXTRACT(YEAR FROM t.window_start) AS INTEGER)"
        if pg
        else "CAST(strftime('%Y', t.window_start) AS INTEGER)"
    )
    cats = "COALESCE(e.categories, '[]'::jsonb)" if pg else "COALESCE(e.categories, '[]')"
    cut = (year, "r.agency", "COALESCE(e.district, '')", cats)
    if facts == "result_facts":
        return (
            *cut,
            "r.outcome_codes",
            "r.superseded",
            "(r.amends IS NULL)",
            "(CASE WHEN r.published_on <= r.due_on THEN TRUE ELSE FALSE END)",
        )
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


def _contribution(dialect: str, facts: str, sign: int, where: str, entities: str = "entities") -> str:
    """Add ``sign`` times the counts of the rows selected by ``where`` to ``facts``. ``entities`` is the
    relation the entity's district and categories come from (a transition table, or one that never
    joins, for an entity not there)."""
    key = RESULT_KEY if facts == "result_facts" else FOLLOW_UP_KEY
    exprs = _exprs(dialect, facts)
    on = "FALSE" if entities == "none" else "e.entity_id = r.entity_id"
    source = "entities" if entities == "none" else entities
    follow = " JOIN follow_ups fu ON fu.result_id = r.id" if facts == "follow_up_facts" else ""
    return (
        f"INSERT INTO {facts} ({', '.join(key)}, n) "
        f"SELECT {', '.join(exprs)}, {sign} * count(*) "
        f"FROM results r JOIN joint_tasks t ON t.id = r.task_id{follow} LEFT JOIN {source} e ON {on} "
        f"WHERE r.state = 'approved' AND t.state = 'drawn' AND ({where}) "
        f"GROUP BY {', '.join(exprs)} "
        f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET n = {facts}.n + excluded.n"
    )


# (table, the rows depending on one of its rows given as ROW (OLD or NEW), the summaries it feeds,
#  the columns whose change matters (None: any), a WHEN condition for an update)
TRIGGERS = (
    ("results", "r.id = {row}.id", ("result_facts", "follow_up_facts")),
    ("follow_ups", "fu.id = {row}.id", ("follow_up_facts",)),
    ("joint_tasks", "r.task_id = {row}.id", ("result_facts", "follow_up_facts")),
    ("entities", "r.entity_id = {row}.entity_id", ("result_facts", "follow_up_facts")),
)
WATCHED = {  # the columns of a table the summaries read (an update of any other column changes nothing)
    "results": (
        "state",
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
    "joint_tasks": ("state", "window_start"),
    "entities": ("district", "categories"),
}


def _changed(dialect: str, table: str) -> str:
    op_ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
    return " OR ".join(f"OLD.{c} {op_} NEW.{c}" for c in WATCHED[table])


def _approved(table: str, row: str) -> str:
    """Only an approved result counts: a draft's or an entered result's writes need no query at all."""
    return f"{row}.state = 'approved'" if table == "results" else "TRUE"


def _sqlite_triggers() -> list[str]:
    out = []
    for table, where, summaries in TRIGGERS:
        for event in ("INSERT", "UPDATE", "DELETE"):
            if table == "joint_tasks" and event != "UPDATE":
                continue  # a task has no approved results before it is drawn, and keeps them (a foreign key)
            for timing, sign in (("BEFORE", -1), ("AFTER", 1)):
                row = "OLD" if (event == "DELETE" or (event == "UPDATE" and timing == "BEFORE")) else "NEW"
                if table != "entities" and (event, timing) in (("INSERT", "BEFORE"), ("DELETE", "AFTER")):
                    continue  # nothing depends on a row not (or no longer) there; results may on an entity
                if event == "UPDATE":
                    cond = f"WHEN {_approved(table, row)} AND ({_changed('sqlite', table)}) "
                elif table == "entities":
                    cond = f"WHEN EXISTS (SELECT 1 FROM results WHERE entity_id = {row}.entity_id) "
                else:
                    cond = f"WHEN {_approved(table, row)} "
                body = "; ".join(_contribution("sqlite", s, sign, where.format(row=row)) for s in summaries)
                name = f"tr_facts_{table}_{timing.lower()}_{event.lower()}"
                out.append(f"CREATE TRIGGER {name} {timing} {event} ON {table} FOR EACH ROW {cond}BEGIN {body}; END")
    return out


def _pg_triggers() -> list[str]:
    out = []
    for table, where, summaries in TRIGGERS:
        for timing, sign, row in (("BEFORE", -1, "OLD"), ("AFTER", 1, "NEW")):
            # row-level: an update of a watched column; a result's or a follow-up's delete (before) or insert
            # (after); an entity's insert or delete is a statement-level trigger below
            events = ["UPDATE OF " + ", ".join(WATCHED[table])]
            if table in ("results", "follow_ups"):
                events.append("DELETE" if timing == "BEFORE" else "INSERT")
            fn = f"facts_{table}_{timing.lower()}"
            stmts = " ".join(f"{_contribution('postgresql', s, sign, where.format(row=row))};" for s in summaries)
            ret = "IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; RETURN NEW;" if timing == "BEFORE" else "RETURN NULL;"
            out.append(
                f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"IF {_approved(table, row)} THEN {stmts} END IF; {ret} END $$"
            )
            when = f" WHEN ({_changed('postgresql', table)})" if table in ("joint_tasks", "entities") else ""
            out.append(
                f"CREATE TRIGGER tr_{fn} {timing} {' OR '.join(events)} ON {table} FOR EACH ROW{when} "
                f"EXECUTE FUNCTION {fn}()"
            )
    # entities inserted or deleted: once per statement, with the rows as a transition table
    for event, rows in (("INSERT", "new_rows"), ("DELETE", "old_rows")):
        where = f"r.entity_id IN (SELECT entity_id FROM {rows})"
        # inserted: their results were counted with no entity, now with it; deleted: the other way round
        before, after = ("none", "entities") if event == "INSERT" else (rows, "none")
        stmts = [
            _contribution("postgresql", s, sign, where, source)
            for s in ("result_facts", "follow_up_facts")
            for sign, source in ((-1, before), (1, after))
        ]
        fn = f"facts_entities_{event.lower()}"
        out.append(
            f"CREATE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN {'; '.join(stmts)}; "
            "RETURN NULL; END $$"
        )
        transition = "NEW TABLE AS new_rows" if event == "INSERT" else "OLD TABLE AS old_rows"
        out.append(
            f"CREATE TRIGGER tr_{fn} AFTER {event} ON entities REFERENCING {transition} "
            f"FOR EACH STATEMENT EXECUTE FUNCTION {fn}()"
        )
    return out


def _trigger_names(dialect: str) -> list[tuple[str, str]]:
    """(trigger, table) of every trigger ``upgrade`` creates."""
    import re

    made = _pg_triggers() if dialect == "postgresql" else _sqlite_triggers()
    return [
        (m.group(1), m.group(2))
        for sql in made
        if (m := re.match(r"CREATE TRIGGER (\w+) .*? ON (\w+) ", sql)) is not None
    ]


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
        sa.UniqueConstraint(*RESULT_KEY, name="uq_result_facts_key"),
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
        sa.UniqueConstraint(*FOLLOW_UP_KEY, name="uq_follow_up_facts_key"),
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    _tables()
    for facts in ("result_facts", "follow_up_facts"):  # the back-fill: every counted row, once
        op.execute(_contribution(dialect, facts, 1, "TRUE"))
    for sql in _pg_triggers() if dialect == "postgresql" else _sqlite_triggers():
        op.execute(sql)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name, table in _trigger_names(dialect):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (f" ON {table}" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        for table, _where, _summaries in TRIGGERS:
            for timing in ("before", "after"):
                op.execute(f"DROP FUNCTION IF EXISTS facts_{table}_{timing}()")
        for event in ("insert", "delete"):
            op.execute(f"DROP FUNCTION IF EXISTS facts_entities_{event}()")
    op.drop_table("follow_up_facts")
    op.drop_table("result_facts")
