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
    """Check the audit hash chain; non-zero exit when any entry was edited, removed or reordered."""
    from hub.audit.chain import verify_chain

    n, problems = verify_chain(ctx.db)
    if problems:
        for p in problems[:20]:
            click.echo(p, err=True)
        raise HubError(f"audit chain broken: {len(problems)} problem(s) in {n} entries")
    click.echo(f"audit chain intact: {n} entries")


def register(cli: click.Group) -> None:
    cli.add_command(audit_group)
