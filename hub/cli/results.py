"""`hub results ...`, `hub push`, `hub deadlines`, `hub calendar`: the results flow's command line."""

from __future__ import annotations

import time
from datetime import date
from typing import TYPE_CHECKING

import click

from hub.errors import Conflict, Forbidden, HubError, InvalidInput

if TYPE_CHECKING:
    from hub.auth.principal import Principal
    from hub.db import Database

ACTOR = "cli"
AS_HELP = "Act as this user, with their rights (default: the operator, who may do anything)."


def acting(db: Database, name: str | None) -> Principal | str:
    """The caller a command acts as: a user of the hub (``--as``), or the operator ("cli")."""
    from hub.auth.principal import Principal
    from hub.auth.services import get_user

    if name is None:
        return ACTOR
    with db.unit_of_work() as s:
        user = get_user(s, name)
        if not user.active:
            raise Forbidden(f"user {name} is deactivated", where="--as")
        return Principal(user.name, frozenset(user.roles), user.agency, user.inspector_id)


def register(cli: click.Group) -> None:
    from hub.cli.context import Context

    pass_ctx = click.make_pass_decorator(Context)

    @cli.group()
    def results() -> None:
        """Inspection results: import, approve."""

    @results.command("import")
    @click.argument("task_id")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @click.option("--as", "as_user", default=None, metavar="USER", help=AS_HELP)
    @pass_ctx
    def results_import(ctx: Context, task_id: str, file: str, as_user: str | None) -> None:
        """Import results from CSV (entity_id,agency,inspected_on,outcome_codes,inspectors,findings)."""
        from hub.results.services import import_csv

        report = import_csv(ctx.db, task_id, file, acting(ctx.db, as_user))
        for err in report.errors:
            click.echo(f"{file}: {err}", err=True)
        click.echo(f"{report.saved} result(s) saved, {len(report.errors)} row problem(s)")
        if report.only_conflicts:
            raise Conflict(
                f"{len(report.errors)} row(s) refused: approved or changed meanwhile (the good rows were saved)",
                where=file,
            )
        if report.errors:
            raise InvalidInput(f"{len(report.errors)} row(s) refused (the good rows were saved)", where=file)

    @results.command("approve")
    @click.argument("task_id")
    @click.option("--all", "approve_all", is_flag=True, help="Approve every entered result of the task.")
    @click.option("--id", "ids", multiple=True, help="A result id to approve (repeatable).")
    @click.option("--as", "as_user", default=None, metavar="USER", help=AS_HELP)
    @pass_ctx
    def results_approve(
        ctx: Context, task_id: str, approve_all: bool, ids: tuple[str, ...], as_user: str | None
    ) -> None:
        """Approve results for publication and delivery (queues them in the outbox)."""
        from hub.results.services import approve

        if not approve_all and not ids:
            raise InvalidInput("say which results: --all or --id RESULT_ID", where="hub results approve")
        done = approve(ctx.db, ctx.settings, task_id, acting(ctx.db, as_user), None if approve_all else list(ids))
        click.echo(f"{len(done)} result(s) approved and queued for delivery")

    @cli.command()
    @click.argument("name", required=False)
    @click.option("--timeout", default=300.0, show_default=True, help="Give up after this many seconds.")
    @pass_ctx
    def push(ctx: Context, name: str | None, timeout: float) -> None:
        """Deliver pending outbox messages now; non-zero exit if any remain undelivered."""
        from hub.outbox.delivery import drain, pending_count

        deadline = time.monotonic() + timeout
        report = drain(ctx.db, ctx.settings, name, respect_backoff=False, deadline=deadline)
        left = pending_count(ctx.db, name)
        click.echo(
            f"delivered {report.delivered}, rejected {report.rejected} (waiting for a person), "
            f"{left} still pending, in {report.batches} batch(es)"
        )
        if left or report.rejected:
            last = report.errors[-1] if report.errors else "see `hub export` / the outbox page"
            raise HubError(f"{left} message(s) undelivered, {report.rejected} rejected; last error: {last}")

    @cli.command()
    @click.option("--soon", default=3, show_default=True, help="Working days that count as due soon.")
    @pass_ctx
    def deadlines(ctx: Context, soon: int) -> None:
        """List overdue and due-soon results and penalty decisions (Chinese working days)."""
        from hub.results.deadlines import open_deadlines

        items = open_deadlines(ctx.db, date.today(), soon)
        for d in items:
            click.echo(f"{d['status']:9} {d['due_on']}  {d['kind']:8} {d['subject']}  {d.get('warning') or ''}")
        click.echo(
            f"{sum(1 for d in items if d['status'] == 'overdue')} overdue, "
            f"{sum(1 for d in items if d['status'] == 'due_soon')} due soon"
        )

    @cli.group("calendar")
    def calendar_group() -> None:
        """Working-day calendar overrides (holidays and make-up workdays the library lacks)."""

    @calendar_group.command("set")
    @click.argument("day")
    @click.argument("kind", type=click.Choice(["workday", "holiday"]))
    @click.option("--note", default="")
    @pass_ctx
    def calendar_set(ctx: Context, day: str, kind: str, note: str) -> None:
        """Mark DAY as a workday or a holiday (wins over the library)."""
        from hub.results.deadlines import set_override

        try:
            d = date.fromisoformat(day)
        except ValueError:
            raise InvalidInput(f"{day!r} is not a date (YYYY-MM-DD)", where="DAY") from None
        set_override(ctx.db, d, kind == "workday", note, ACTOR)
        click.echo(f"{d} is a {kind}")

    @calendar_group.command("load")
    @click.argument("file", type=click.Path(dir_okay=False))
    @click.option("--replace", is_flag=True, help="First remove every override of the notice's year.")
    @pass_ctx
    def calendar_load(ctx: Context, file: str, replace: bool) -> None:
        """Load a year's State Council holiday notice (days off and make-up workdays) from a TOML file."""
        from hub.calendar_notice import load_notice

        done = load_notice(ctx.db, file, ACTOR, replace)
        removed = f", {done.removed} earlier override(s) removed" if replace else ""
        click.echo(
            f"{done.year}: {done.holidays} days off and {done.workdays} make-up workday(s) loaded{removed}; "
            f"holidays known until {done.known_until}"
        )
