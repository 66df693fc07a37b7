"""`hub audit verify`: the hash-chained audit log."""

from __future__ import annotations

import click

from hub.cli.context import Context, pass_ctx
from hub.errors import HubError


@click.group("audit")
def audit_group() -> None:
    """The hash-chained audit log."""


@audit_group.command("verify")
@pass_ctx
def audit_verify(ctx: Context) -> None:
    """Check the audit hash chain and that results and tasks match it; non-zero exit on any problem."""
    from hub.audit.chain import verify_chain

    n, problems = verify_chain(ctx.db)
    if problems:
        for p in problems:  # one line per problem
            click.echo(p, err=True)
        raise HubError(f"audit chain broken: {len(problems)} problem(s) in {n} entries")
    click.echo(f"audit chain intact: {n} entries")


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
