"""`hub task ...`, `hub items ...`, `hub draw offline`, `hub verify`: the draw's command line."""
from __future__ import annotations

import json
from pathlib import Path

import click

from hub.errors import HubError

ACTOR = "cli"


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
    @click.option("--secret-file", required=True, type=click.Path(dir_okay=False),
                  help="Holds PARTY's secret; created with a fresh secret when absent.")
    @pass_ctx
    def task_commit(ctx: Context, task_id: str, party: str, secret_file: str) -> None:
        """Record PARTY's commitment to the secret in the secret file."""
        from hub.tasks.services import commit_with_secret_file

        created = commit_with_secret_file(ctx.db, task_id, party, Path(secret_file), ACTOR)
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
        click.echo(f"{task_id} frozen: roster {t.roster_size} entities ({t.roster_digest}), "
                   f"pool {t.pool_size} inspectors ({t.pool_digest}), plan {t.plan_digest}")

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
    @pass_ctx
    def task_reveal(ctx: Context, task_id: str, party: str, secret_file: str) -> None:
        """Reveal PARTY's secret; refused when it does not match the commitment."""
        from hub.tasks.services import read_secret, reveal

        reveal(ctx.db, task_id, party, read_secret(Path(secret_file)), ACTOR)
        click.echo(f"{party} revealed for {task_id}")

    @task.command("draw")
    @click.argument("task_id")
    @click.option("--entropy", default="", help="Public entropy fixed in advance (e.g. a lottery result).")
    @pass_ctx
    def task_draw(ctx: Context, task_id: str, entropy: str) -> None:
        """Run the one-time draw (a Celery task); prints the seed."""
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
        """Write the JDP-1 record (and the frozen roster and pool files)."""
        from hub.draw.publication import drawn_files

        record, roster_bytes, pool_bytes = drawn_files(ctx.db, task_id)
        Path(out).write_text(json.dumps(record, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if roster:
            Path(roster).write_bytes(roster_bytes)
        if pool:
            Path(pool).write_bytes(pool_bytes)
        click.echo(f"wrote {out}" + (f", {roster}" if roster else "") + (f", {pool}" if pool else ""))

    @cli.group()
    def draw() -> None:
        """JDP-1 without the database."""

    @draw.command("offline")
    @click.option("--plan", required=True, type=click.Path(dir_okay=False))
    @click.option("--roster", required=True, type=click.Path(dir_okay=False))
    @click.option("--pool", required=True, type=click.Path(dir_okay=False))
    @click.option("--reveal", "reveals", multiple=True, required=True, help="PARTY=HEX (repeatable).")
    @click.option("--entropy", default=None)
    @click.option("--out", required=True, type=click.Path(dir_okay=False))
    def draw_offline(plan: str, roster: str, pool: str, reveals: tuple[str, ...], entropy: str | None,
                     out: str) -> None:
        """Compute a JDP-1 record from files alone."""
        from hub.draw.jdp import JDPError
        from hub.draw.offline import draw_offline as run

        try:
            record = run(plan, roster, pool, list(reveals), entropy, out)
        except JDPError as exc:
            raise HubError(str(exc)) from None
        click.echo(f"seed {record['seed']}: {len(record['selections'])} selections written to {out}")

    @cli.command()
    @click.argument("record", type=click.Path(dir_okay=False))
    @click.option("--roster", required=True, type=click.Path(dir_okay=False))
    @click.option("--pool", required=True, type=click.Path(dir_okay=False))
    def verify(record: str, roster: str, pool: str) -> None:
        """Exit 0 when RECORD recomputes exactly from the roster and pool files."""
        from hub.draw.jdp import JDPError
        from hub.draw.offline import verify_files

        try:
            problems = verify_files(record, roster, pool)
        except JDPError as exc:
            raise HubError(str(exc)) from None
        if problems:
            for p in problems[:20]:
                click.echo(p, err=True)
            raise HubError(f"the record does not verify: {len(problems)} difference(s)")
        click.echo("the record verifies: digests, reveals, seed and selections recompute exactly")

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
