"""`hub task ...`, `hub items ...`, `hub draw offline`, `hub verify`: the draw's command line."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click

from hub.errors import HubError, InvalidInput, Unauthorized

ACTOR = "cli"  # the operator at the command line: a coordinator, who may not act for any party
BIG_ROSTER = 8 << 20  # a roster file this large (~180,000 lines) computes §3 in two processes


def acting_user(ctx: Any, user: str | None, password_env: str) -> str:
    """Who commits or reveals: `--as USER` after that user's password (from the variable `password_env`,
    or asked on a terminal); without --as, the operator (ACTOR), whom the service lets act for no party."""
    if not user:
        return ACTOR
    password = os.environ.get(password_env)
    if password is None:
        if not sys.stdin.isatty():
            raise InvalidInput(f"give {user}'s password in ${password_env} (or run on a terminal)", where="--as")
        password = click.prompt(f"password of {user}", hide_input=True, err=True)
    from hub.auth.services import check_password

    with ctx.db.unit_of_work() as s:
        if check_password(s, user, password) is None:
            raise Unauthorized(f"wrong password for {user!r}, or no such active user", where="--as")
    return user


def _as_options(command: Any) -> Any:
    command = click.option(
        "--password-env",
        default="HUB_PASSWORD",
        show_default=True,
        help="Environment variable holding the --as user's password.",
    )(command)
    return click.option(
        "--as",
        "as_user",
        envvar="HUB_USER",
        default=None,
        metavar="USER",
        help="Act as this user: a liaison of the agency PARTY, or the witness's own account ($HUB_USER).",
    )(command)


def register(cli: click.Group) -> None:
    from hub.cli.context import Context

    pass_ctx = click.make_pass_decorator(Context)

    @cli.group()
    def task() -> None:
        """Joint tasks: create, commit, freeze, reveal, draw, record."""

    @task.command("create")
    @click.argument("file", type=click.Path(dir_okay=False))
    @pass_ctx
    def task_create(ctx: Context, file: str) -> None:
        """Create a joint task from a TOML task file; prints its id."""
        from hub.tasks.services import create_task
        from hub.tasks.spec import load_task_file

        t = create_task(ctx.db, ctx.settings, load_task_file(file), ACTOR)
        click.echo(t.id)

    @task.command("commit")
    @click.argument("task_id")
    @click.argument("party")
    @click.option(
        "--secret-file",
        required=True,
        type=click.Path(dir_okay=False),
        help="Holds PARTY's secret; created with a fresh secret when absent.",
    )
    @_as_options
    @pass_ctx
    def task_commit(
        ctx: Context, task_id: str, party: str, secret_file: str, as_user: str | None, password_env: str
    ) -> None:
        """Record PARTY's commitment to the secret in the secret file (as PARTY itself: --as USER).
        The hub commits by itself when the task is created."""
        from hub.tasks.services import commit_with_secret_file

        actor = acting_user(ctx, as_user, password_env)
        created = commit_with_secret_file(ctx.db, task_id, party, Path(secret_file), actor)
        if created:
            click.echo(f"created {secret_file} with a fresh secret: keep it safe until the reveal", err=True)
        click.echo(f"{party} committed to {task_id}")

    @task.command("freeze")
    @click.argument("task_id")
    @pass_ctx
    def task_freeze(ctx: Context, task_id: str) -> None:
        """Snapshot roster and pool; publish their digests."""
        from hub.results.history import RESULTS_HISTORY
        from hub.tasks.services import freeze

        with ctx.app.app_context():
            t = freeze(ctx.db, ctx.settings, task_id, ACTOR, history=RESULTS_HISTORY)
        click.echo(
            f"{task_id} frozen: roster {t.roster_size} entities ({t.roster_digest}), "
            f"pool {t.pool_size} inspectors ({t.pool_digest}), plan {t.plan_digest}"
        )

    @task.command("feasibility")
    @click.argument("task_id")
    @pass_ctx
    def task_feasibility(ctx: Context, task_id: str) -> None:
        """Pre-check capacity against demand before the freeze (JSON report)."""
        from hub.results.history import RESULTS_HISTORY
        from hub.tasks.services import feasibility

        report = feasibility(ctx.db, task_id, history=RESULTS_HISTORY)
        click.echo(json.dumps(report, ensure_ascii=False, indent=1))
        if not report.get("ok"):
            raise HubError(f"task {task_id} is infeasible: see the report")

    @task.command("reveal")
    @click.argument("task_id")
    @click.argument("party")
    @click.option("--secret-file", required=True, type=click.Path(exists=True, dir_okay=False))
    @_as_options
    @pass_ctx
    def task_reveal(
        ctx: Context, task_id: str, party: str, secret_file: str, as_user: str | None, password_env: str
    ) -> None:
        """Reveal PARTY's secret (as PARTY itself: --as USER); refused when it does not match the commitment."""
        from hub.tasks.services import read_secret, reveal

        actor = acting_user(ctx, as_user, password_env)
        reveal(ctx.db, task_id, party, read_secret(Path(secret_file)), actor)
        click.echo(f"{party} revealed for {task_id}")

    @task.command("draw")
    @click.argument("task_id")
    @click.option(
        "--entropy",
        default="",
        help="The value the task's declared entropy source published (entered once; none when no source was declared).",
    )
    @pass_ctx
    def task_draw(ctx: Context, task_id: str, entropy: str) -> None:
        """Fix the entropy, have the hub reveal its secret, run the one-time draw (a Celery task); prints the seed.
        A failed draw voids the task."""
        from hub.draw.jobs import draw_task
        from hub.tasks.queries import get_task
        from hub.tasks.services import request_draw

        request_draw(ctx.db, task_id, entropy, ACTOR)
        with ctx.app.app_context():
            draw_task.delay(task_id, ACTOR)
        t = get_task(ctx.db, task_id)
        state, seed, status, error = t.state, t.seed, t.draw_status, t.draw_error
        if state == "drawn":
            click.echo(f"{task_id} drawn: seed {seed}")
        elif status == "failed":
            raise HubError(f"draw failed: {error}")
        else:
            click.echo(f"{task_id}: draw queued on the workers ({status})")

    @task.command("void")
    @click.argument("task_id")
    @click.option("--reason", required=True, help="Why the task (and its draw) is void.")
    @pass_ctx
    def task_void(ctx: Context, task_id: str, reason: str) -> None:
        """Void a task with a written reason; its id is never used again."""
        from hub.tasks.services import void

        void(ctx.db, task_id, reason, ACTOR)
        click.echo(f"{task_id} is void")

    @task.command("record")
    @click.argument("task_id")
    @click.option("--out", required=True, type=click.Path(dir_okay=False))
    @click.option("--roster", type=click.Path(dir_okay=False), default=None)
    @click.option("--pool", type=click.Path(dir_okay=False), default=None)
    @pass_ctx
    def task_record(ctx: Context, task_id: str, out: str, roster: str | None, pool: str | None) -> None:
        """Write the draw record (its protocol: JDP-2, or JDP-1 for older tasks) and the frozen files."""
        from hub.draw.jdp import record_text
        from hub.draw.publication import drawn_record, stream_frozen_file

        record = drawn_record(ctx.db, task_id)
        Path(out).write_text(record_text(record), encoding="utf-8")
        for kind, path in (("roster", roster), ("pool", pool)):
            if path:
                with open(path, "wb") as file:
                    for piece in stream_frozen_file(ctx.db, task_id, kind):
                        file.write(piece)
        click.echo(
            f"wrote {out} ({record['protocol']})" + (f", {roster}" if roster else "") + (f", {pool}" if pool else "")
        )

    @cli.group()
    def draw() -> None:
        """JDP-2 and JDP-1 without the database."""

    @draw.command("offline")
    @click.option("--plan", required=True, type=click.Path(dir_okay=False))
    @click.option("--roster", required=True, type=click.Path(dir_okay=False))
    @click.option("--pool", required=True, type=click.Path(dir_okay=False))
    @click.option("--reveal", "reveals", multiple=True, required=True, help="PARTY=HEX (repeatable).")
    @click.option("--entropy", default=None)
    @click.option("--out", required=True, type=click.Path(dir_okay=False))
    @click.option("--plain", is_flag=True, help="Compute §3 and §4 with jdp.py's plain reading only (slow).")
    def draw_offline(
        plan: str, roster: str, pool: str, reveals: tuple[str, ...], entropy: str | None, out: str, plain: bool
    ) -> None:
        """Compute a record from files alone, with the plan's protocol (JDP-2 or JDP-1)."""
        from hub.draw.offline import draw_offline as run

        with _jdp_errors():
            record = run(plan, roster, pool, list(reveals), entropy, out, workers=_workers(roster), plain=plain)
        click.echo(f"seed {record['seed']}: {len(record['selections'])} selections written to {out}")

    @cli.command()
    @click.argument("record", type=click.Path(dir_okay=False))
    @click.option("--roster", required=True, type=click.Path(dir_okay=False))
    @click.option("--pool", required=True, type=click.Path(dir_okay=False))
    @click.option("--plain", is_flag=True, help="Recompute with jdp.py's plain reading only (slow).")
    def verify(record: str, roster: str, pool: str, plain: bool) -> None:
        """Exit 0 when RECORD (JDP-2 or JDP-1) recomputes exactly from the roster and pool files."""
        from hub.draw.jdp import entropy_line, read_json
        from hub.draw.offline import verify_files

        with _jdp_errors():
            problems = verify_files(record, roster, pool, workers=_workers(roster), plain=plain)
            if problems:
                more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
                raise HubError(f"the record does not verify: {problems[0]}{more}")
            published = read_json(record, "record")
        click.echo(
            f"the record verifies ({published['protocol']}): digests, reveals, seed and selections "
            f"recompute exactly; {entropy_line(published)}"
        )

    @cli.group()
    def items() -> None:
        """Item lists (抽查事项清单)."""

    @items.command("import")
    @click.argument("file", type=click.Path(exists=True, dir_okay=False))
    @pass_ctx
    def items_import(ctx: Context, file: str) -> None:
        """Import items from CSV (agency,code,name,legal_basis,subject,content,method) or JSON."""
        from hub.items.services import import_items, read_items_file

        n = import_items(ctx.db, read_items_file(Path(file)), ACTOR)
        click.echo(f"{n} items imported")


@contextmanager
def _jdp_errors() -> Iterator[None]:
    """JDP's refusals as the CLI's: an unknown protocol is bad input (65), any other refusal exit 1."""
    from hub.draw.jdp import JDPError, UnknownProtocol

    try:
        yield
    except UnknownProtocol as exc:
        raise InvalidInput(str(exc)) from None
    except JDPError as exc:
        raise HubError(str(exc)) from None


def _workers(roster: str) -> int:
    """Two processes for §3 on a big roster (the draw is the same with any number)."""
    try:
        big = Path(roster).stat().st_size >= BIG_ROSTER
    except OSError:
        return 1
    return min(2, os.cpu_count() or 1) if big else 1
