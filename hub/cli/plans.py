"""`hub plan ...`: annual plans (年度抽查计划) from the command line, through hub.plans.services."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any

import click

from hub.cli.results import AS_HELP, acting
from hub.errors import InvalidInput


def _read_toml(path: str) -> dict[str, Any]:
    try:
        return tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise InvalidInput(f"cannot read the file: {exc.strerror}", where=path) from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput(f"not valid TOML: {exc}", where=path) from None


def register(cli: click.Group) -> None:
    from hub.cli.context import Context

    pass_ctx = click.make_pass_decorator(Context)
    as_option = click.option("--as", "as_user", default=None, metavar="USER", help=AS_HELP)

    @cli.group()
    def plan() -> None:
        """Annual plans: create, approve, file upward, start tasks from entries."""

    @plan.command("create")
    @click.argument("file", type=click.Path(dir_okay=False))
    @as_option
    @pass_ctx
    def plan_create(ctx: Context, file: str, as_user: str | None) -> None:
        """A draft plan from a TOML file: lead, year, title and [[entries]] (docs/plans.md); prints its id."""
        from hub.plans.services import create_plan

        data = _read_toml(file)
        entries = data.get("entries", [])
        if not isinstance(entries, list):
            raise InvalidInput("entries must be an array of tables ([[entries]])", where=f"{file}: entries")
        unknown = sorted(set(data) - {"lead", "year", "title", "entries"})
        if unknown:
            raise InvalidInput("unknown key (expected lead, year, title, [[entries]])", where=f"{file}: {unknown[0]}")
        click.echo(
            create_plan(
                ctx.db, acting(ctx.db, as_user), data.get("lead", ""), data.get("year"), data.get("title", ""), entries
            )
        )

    @plan.command("list")
    @click.option("--year", type=int, default=None)
    @as_option
    @pass_ctx
    def plan_list(ctx: Context, year: int | None, as_user: str | None) -> None:
        """Plans, one a line: id, state, entries, title."""
        from hub.plans.queries import list_plans

        for p, entries in list_plans(ctx.db, _reader(ctx, as_user), year):
            click.echo(f"{p.id}\t{p.state}\t{entries}\t{p.title}")

    @plan.command("show")
    @click.argument("plan_id")
    @as_option
    @pass_ctx
    def plan_show(ctx: Context, plan_id: str, as_user: str | None) -> None:
        """The plan as JSON, each entry with its tasks and progress."""
        from hub.plans.queries import plan_view

        view = plan_view(ctx.db, _reader(ctx, as_user), plan_id)
        click.echo(json.dumps(view.as_json(), ensure_ascii=False, indent=1))

    @plan.command("add-entry")
    @click.argument("plan_id")
    @click.argument("file", type=click.Path(dir_okay=False))
    @as_option
    @pass_ctx
    def plan_add_entry(ctx: Context, plan_id: str, file: str, as_user: str | None) -> None:
        """Add an entry (a TOML file: title, agencies, items, population, ratio, months); prints its id."""
        from hub.plans.services import add_entry

        click.echo(add_entry(ctx.db, acting(ctx.db, as_user), plan_id, _read_toml(file)))

    @plan.command("approve")
    @click.argument("plan_id")
    @as_option
    @pass_ctx
    def plan_approve(ctx: Context, plan_id: str, as_user: str | None) -> None:
        """Approve a draft plan (a reviewer, not the person who last changed it)."""
        from hub.plans.services import approve

        approve(ctx.db, acting(ctx.db, as_user), plan_id)
        click.echo(f"{plan_id} approved")

    @plan.command("return")
    @click.argument("plan_id")
    @click.option("--reason", required=True)
    @as_option
    @pass_ctx
    def plan_return(ctx: Context, plan_id: str, reason: str, as_user: str | None) -> None:
        """Return a plan to its drafter, with the reason."""
        from hub.plans.services import return_plan

        return_plan(ctx.db, acting(ctx.db, as_user), plan_id, reason)
        click.echo(f"{plan_id} returned")

    @plan.command("revise")
    @click.argument("plan_id")
    @as_option
    @pass_ctx
    def plan_revise(ctx: Context, plan_id: str, as_user: str | None) -> None:
        """Take an approved or filed plan back to draft, to change it."""
        from hub.plans.services import revise

        revise(ctx.db, acting(ctx.db, as_user), plan_id)
        click.echo(f"{plan_id} is a draft again")

    @plan.command("file")
    @click.argument("plan_id")
    @as_option
    @pass_ctx
    def plan_file(ctx: Context, plan_id: str, as_user: str | None) -> None:
        """File an approved plan upward (a `plan` message in the outbox; `hub push` delivers it)."""
        from hub.plans.services import file_plan

        queued = file_plan(ctx.db, ctx.settings, acting(ctx.db, as_user), plan_id)
        click.echo(f"{plan_id} filed; {queued} message(s) queued")

    @plan.command("task")
    @click.argument("entry_id")
    @click.argument("file", required=False, type=click.Path(dir_okay=False))
    @as_option
    @pass_ctx
    def plan_task(ctx: Context, entry_id: str, file: str | None, as_user: str | None) -> None:
        """Create a joint task from a plan entry; FILE (TOML, the task file's keys) sets what the entry
        leaves open (window, team, weights, recusal...). Prints the task id."""
        from hub.plans.services import task_from_entry

        given = _read_toml(file) if file else {}
        click.echo(task_from_entry(ctx.db, ctx.settings, acting(ctx.db, as_user), entry_id, given).id)

    def _reader(ctx: Context, as_user: str | None):
        from hub.auth.principal import Principal

        who = acting(ctx.db, as_user)
        return Principal(who, frozenset({"admin"})) if isinstance(who, str) else who
