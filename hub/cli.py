"""The `hub` command (product.md's contract): parse, call a service, print.

Every failure is one line on stderr and a non-zero exit code.
"""
from __future__ import annotations

import logging
import os
import sys
from functools import cached_property
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError

from hub.config import Settings, load_settings
from hub.errors import ConfigError, HubError, InvalidInput, Unavailable


def _first_line(exc: BaseException) -> str:
    """An exception's message on one line (drivers' messages run over several)."""
    return " ".join(str(exc).split())[:300]


class Context:
    """Settings, database and app, built on first use."""

    def __init__(self, config: str | None) -> None:
        self.config = config

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.config)

    @cached_property
    def db(self):  # type: ignore[no-untyped-def]
        from sqlalchemy import inspect

        from hub.db import init_db

        db = init_db(self.settings.database_url)
        try:
            has_schema = inspect(db.engine).has_table("alembic_version")
        except OperationalError as exc:
            raise Unavailable(f"the database cannot be reached: {_first_line(exc.orig or exc)}",
                              where=db.engine.url.render_as_string(hide_password=True)) from None
        if not has_schema:
            raise ConfigError("the database has no schema yet: run `hub db upgrade` first",
                              where=db.engine.url.render_as_string(hide_password=True))
        return db

    @cached_property
    def app(self):  # type: ignore[no-untyped-def]
        from hub import create_app

        self.db  # noqa: B018  (refuses a database without its schema, with the command to run)
        return create_app(self.settings)

    def enqueue(self, action: str, args: tuple) -> None:
        """Start a scheduled job through Celery (in-process when embedded)."""
        with self.app.app_context():
            if action == "sync":
                from hub.rosters.jobs import sync_source

                sync_source.delay(*args)
            elif action == "push":
                from hub.outbox.jobs import drain_outbox

                drain_outbox.delay(*args)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", type=click.Path(dir_okay=False), default=None,
              help="TOML configuration file (default: $HUB_CONFIG).")
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """The joint-inspection hub."""
    ctx.obj = Context(config)


# --- database -----------------------------------------------------------------------
@cli.group()
def db() -> None:
    """Create or migrate the database."""


@db.command("upgrade")
@pass_ctx
def db_upgrade(ctx: Context) -> None:
    """Create / migrate the database to the latest schema."""
    from hub.db import upgrade

    upgrade(ctx.settings.database_url)
    click.echo("database is at the latest schema")


# --- rosters ------------------------------------------------------------------------
@cli.command()
@click.argument("name")
@click.option("--full", is_flag=True, help="Ignore the stored bookmark and pull everything.")
@pass_ctx
def sync(ctx: Context, name: str, full: bool) -> None:
    """Pull one configured source now; prints counts; non-zero exit on failure."""
    from hub.rosters.sync import run_sync

    tty = sys.stderr.isatty()

    def progress(run: Any, counts: Any, label: str) -> None:
        line = (f"\r{name}: {counts.fetched} fetched, {counts.inserted} new, {counts.updated} updated, "
                f"{counts.quarantined} quarantined {label}")
        if tty:
            click.echo(line.ljust(100), err=True, nl=False)
        elif counts.fetched and counts.fetched % 10000 < 1000:
            click.echo(line.strip(), err=True)

    run = run_sync(ctx.db, ctx.settings, name, full=full, progress=progress)
    if tty:
        click.echo("", err=True)
    click.echo(f"{name}: ok — fetched {run.fetched}, inserted {run.inserted}, updated {run.updated}, "
               f"unchanged {run.unchanged}, quarantined {run.quarantined}, deactivated {run.deactivated}")


@cli.command()
@click.argument("kind")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@pass_ctx
def export(ctx: Context, kind: str, fmt: str, out: str | None) -> None:
    """Export entities|inspectors|quarantine|results as CSV or JSON."""
    from hub.rosters import export as exp

    _load_export_kinds()
    if kind not in exp.kinds():
        raise InvalidInput(f"{kind!r} is not one of {', '.join(exp.kinds())}", where="hub export")
    with ctx.db.unit_of_work() as s:
        cols, data = exp.columns_and_rows(s, kind)
        if out:
            tmp = Path(out).with_suffix(Path(out).suffix + ".part")
            with open(tmp, "w", encoding="utf-8", newline="") as fh:
                for chunk in exp.render(cols, data, fmt):
                    fh.write(chunk)
            tmp.replace(out)
        else:
            for chunk in exp.render(cols, data, fmt):
                sys.stdout.write(chunk)


def _load_export_kinds() -> None:
    """Flows that add export kinds register them on import."""
    import hub.items.services
    import hub.results.export  # noqa: F401


# --- people -------------------------------------------------------------------------
@cli.group()
def user() -> None:
    """People and their roles."""


@user.command("add")
@click.argument("name")
@click.option("--role", "roles", multiple=True, required=True,
              help="admin, coordinator, liaison, inspector, reviewer or auditor (repeatable).")
@click.option("--agency", default=None, help="The agency of a liaison or inspector.")
@click.option("--inspector-id", default=None, help="Link an inspector account to the roster.")
@click.option("--password-env", default=None, help="Environment variable holding the password.")
@pass_ctx
def user_add(ctx: Context, name: str, roles: tuple[str, ...], agency: str | None,
             inspector_id: str | None, password_env: str | None) -> None:
    """Add a user with one or more roles."""
    from hub.audit.log import record
    from hub.auth.services import add_user

    password = None
    if password_env:
        password = os.environ.get(password_env)
        if not password:
            raise InvalidInput(f"environment variable {password_env} is empty", where="--password-env")
    with ctx.db.unit_of_work() as s:
        u = add_user(s, name, list(roles), agency, password, inspector_id)
        record(s, "cli", "user.add", f"user:{name}", details={"roles": u.roles, "agency": agency})
    click.echo(f"user {name} added with roles {', '.join(sorted(roles))}")


@user.command("deactivate")
@click.argument("name")
@pass_ctx
def user_deactivate(ctx: Context, name: str) -> None:
    """NAME can no longer sign in; their sessions end and their tokens are revoked."""
    from hub.audit.log import record
    from hub.auth.services import deactivate_user

    with ctx.db.unit_of_work() as s:
        revoked = deactivate_user(s, name)
        record(s, "cli", "user.deactivate", f"user:{name}", details={"tokens_revoked": revoked})
    click.echo(f"user {name} deactivated; {revoked} token(s) revoked")


@user.command("password")
@click.argument("name")
@click.option("--password-env", default=None,
              help="Environment variable holding the new password (else it is asked for twice).")
@pass_ctx
def user_password(ctx: Context, name: str, password_env: str | None) -> None:
    """Set NAME's password (at least 12 characters, not a common one, not the name); their sessions end."""
    from hub.audit.log import record
    from hub.auth.services import set_password

    if password_env:
        password = os.environ.get(password_env) or ""
        if not password:
            raise InvalidInput(f"environment variable {password_env} is empty", where="--password-env")
    else:
        password = click.prompt("new password", hide_input=True, confirmation_prompt=True, err=True)
    with ctx.db.unit_of_work() as s:
        set_password(s, name, password)
        record(s, "cli", "user.password", f"user:{name}")
    click.echo(f"password of {name} changed; their sessions have ended")


@cli.group()
def token() -> None:
    """Bearer tokens for machines."""


@token.command("create")
@click.argument("name")
@click.option("--days", type=click.IntRange(0, 3650), default=None,
              help="Days until the token expires (0: never; default: [security] token_days, 90).")
@pass_ctx
def token_create(ctx: Context, name: str, days: int | None) -> None:
    """Issue a bearer token for NAME; it is printed once and stored only as a hash."""
    from hub.audit.log import record
    from hub.auth.services import create_token, token_id

    days = ctx.settings.security.token_days if days is None else days
    with ctx.db.unit_of_work() as s:
        tok = create_token(s, name, days)
        record(s, "cli", "token.create", f"user:{name}", details={"token_id": token_id(s, tok), "days": days})
    click.echo(tok)


@token.command("list")
@click.argument("name")
@pass_ctx
def token_list(ctx: Context, name: str) -> None:
    """NAME's tokens: id, created, expires, last used, revoked (the tokens themselves are not kept)."""
    from hub.auth.services import list_tokens

    def when(value: Any) -> str:
        return value.isoformat(timespec="minutes") + "Z" if value else "-"

    with ctx.db.unit_of_work() as s:
        click.echo("id\tcreated\texpires\tlast_used\trevoked")
        for t in list_tokens(s, name):
            click.echo(f"{t.id}\t{when(t.created_at)}\t{when(t.expires_at)}\t{when(t.last_used_at)}\t"
                       f"{when(t.revoked_at)}")


@token.command("revoke")
@click.argument("token_id", type=int)
@pass_ctx
def token_revoke(ctx: Context, token_id: int) -> None:
    """Revoke the token with TOKEN_ID (from `hub token list`); it stops working at once."""
    from hub.audit.log import record
    from hub.auth.services import revoke_token

    with ctx.db.unit_of_work() as s:
        revoke_token(s, token_id)
        record(s, "cli", "token.revoke", f"token:{token_id}")
    click.echo(f"token {token_id} revoked")


# --- audit --------------------------------------------------------------------------
@cli.group()
def audit() -> None:
    """The hash-chained audit log."""


@audit.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check the audit hash chain; non-zero exit when any entry was edited, removed or reordered."""
    from hub.audit.log import verify

    with ctx.db.unit_of_work() as s:
        n, problems = verify(s)
    if problems:
        for p in problems[:20]:
            click.echo(p, err=True)
        raise HubError(f"audit chain broken: {len(problems)} problem(s) in {n} entries")
    click.echo(f"audit chain intact: {n} entries")


# --- processes ----------------------------------------------------------------------
@cli.command()
@click.option("--host", default="127.0.0.1")
@click.option("--port", default=5000, type=int)
@click.option("--workers", default=2, type=int)
@pass_ctx
def serve(ctx: Context, host: str, port: int, workers: int) -> None:
    """Serve the web UI and API (gunicorn)."""
    from gunicorn.app.base import BaseApplication

    from hub.db import forget_inherited_connections

    app = ctx.app

    class _Server(BaseApplication):
        def load_config(self) -> None:
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            # each worker opens its own database connections, never the master's
            self.cfg.set("post_fork", lambda server, worker: forget_inherited_connections())

        def load(self):  # type: ignore[no-untyped-def]
            return app

    _Server().run()


@cli.command()
@click.option("--concurrency", default=2, type=int)
@pass_ctx
def worker(ctx: Context, concurrency: int) -> None:
    """Run a Celery worker (needs HUB_BROKER_URL)."""
    if ctx.settings.embedded:
        raise HubError("hub worker needs a broker: set HUB_BROKER_URL (e.g. redis://127.0.0.1:6379/0)")
    celery = ctx.app.extensions["celery"]
    celery.worker_main(["worker", "--loglevel=INFO", f"--concurrency={concurrency}",
                        "--without-gossip", "--without-mingle"])


@cli.command()
@pass_ctx
def scheduler(ctx: Context) -> None:
    """Run the scheduler; several may run, one is active (database lease)."""
    from hub.scheduler import HubScheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    sched = HubScheduler(ctx.db, ctx.settings, ctx.enqueue, blocking=True)
    click.echo(f"scheduler {sched.holder}: {len(sched.jobs)} job(s): {', '.join(sorted(sched.jobs))}",
               err=True)
    try:
        sched.start()
    except (KeyboardInterrupt, SystemExit):
        sched.shutdown()


def _register_more() -> None:
    """The draw's and the results' command groups, and the demo, live next to their code."""
    from hub import cli_draw, cli_results, demo

    for module in (cli_draw, cli_results, demo):
        module.register(cli)


_register_more()


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the command; turn HubError into one line and an exit code."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        cli.main(args=argv, prog_name="hub", standalone_mode=False)
    except HubError as exc:
        click.echo(f"hub: {exc}", err=True)
        return exc.exit_code
    except click.exceptions.Abort:
        click.echo("hub: aborted", err=True)
        return 130
    except click.ClickException as exc:
        click.echo(f"hub: {exc.format_message()}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("hub: interrupted", err=True)
        return 130
    except OperationalError as exc:  # the database went away mid-command
        click.echo(f"hub: the database cannot be reached: {_first_line(exc.orig or exc)}", err=True)
        return Unavailable.exit_code
    except Exception as exc:  # the contract: one line, non-zero
        if os.environ.get("HUB_DEBUG"):
            raise
        click.echo(f"hub: internal error: {type(exc).__name__}: {_first_line(exc)}", err=True)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
