"""The `hub` command (product.md's contract): parse, call a service, print.

One module per command group; each has `register(cli)`, and `_COMMAND_GROUPS` below is the one
place that lists them. Every failure is one line on stderr and a non-zero exit code.
"""

from __future__ import annotations

import importlib
import logging
import os
import sys

import click

from hub.cli.context import Context, first_line
from hub.errors import HubError, Unavailable
from hub.version import VERSION

# Every command group, in one list (hub.cli.documents after hub.cli.draw: it adds to the `task` group).
_COMMAND_GROUPS = (
    "hub.cli.config",
    "hub.cli.db",
    "hub.cli.rosters",
    "hub.cli.users",
    "hub.cli.audit",
    "hub.cli.processes",
    "hub.cli.draw",
    "hub.cli.plans",
    "hub.cli.documents",
    "hub.cli.results",
    "hub.demo",  # the demo lives next to its own code
)
# Commands that need their own module only: the file-only draw and verifier start without the rest of the hub.
_QUICK = {"draw": ("hub.cli.draw",), "verify": ("hub.cli.draw",)}
_REGISTERED: list[str] = []


def _register(modules: tuple[str, ...]) -> None:
    for name in modules:
        if name not in _REGISTERED:
            _REGISTERED.append(name)
            importlib.import_module(name).register(cli)


class _Commands(click.Group):
    """The `hub` group: its command groups are registered when first needed (all of them, but for the
    commands in _QUICK), so that `hub draw offline` and `hub verify` do not import what they never use."""

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        _register(_QUICK.get(cmd_name, _COMMAND_GROUPS))
        return super().get_command(ctx, cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        _register(_COMMAND_GROUPS)
        return super().list_commands(ctx)


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(VERSION, "--version", prog_name="hub", message="%(prog)s %(version)s")
@click.option(
    "--config", type=click.Path(dir_okay=False), default=None, help="TOML configuration file (default: $HUB_CONFIG)."
)
@click.pass_context
def cli(ctx: click.Context, config: str | None) -> None:
    """The joint-inspection hub."""
    ctx.obj = Context(config)


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
    except Exception as exc:  # the contract: one line, non-zero
        if _database_gone(exc):  # the database went away mid-command
            click.echo(
                f"hub: the database cannot be reached: {first_line(getattr(exc, 'orig', None) or exc)}", err=True
            )
            return Unavailable.exit_code
        if os.environ.get("HUB_DEBUG"):
            raise
        click.echo(f"hub: internal error: {type(exc).__name__}: {first_line(exc)}", err=True)
        return 1
    return 0


def _database_gone(exc: Exception) -> bool:
    """An OperationalError of SQLAlchemy, looked up only if SQLAlchemy was loaded: `hub draw offline` and
    `hub verify` never import it."""
    errors = sys.modules.get("sqlalchemy.exc")
    return errors is not None and isinstance(exc, errors.OperationalError)
