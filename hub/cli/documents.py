"""`hub task documents`: a task's documents (notices, dispatch sheets, record and result sheets,
transfer letters) as one PDF, with the same rule of who may print what as the web pages."""

from __future__ import annotations

from pathlib import Path

import click

from hub.documents.refs import KINDS
from hub.errors import InvalidInput, NotFound

OPERATOR = "cli"


def register(cli: click.Group) -> None:
    from hub.cli.context import Context

    pass_ctx = click.make_pass_decorator(Context)
    task = cli.commands.get("task")
    if not isinstance(task, click.Group):
        raise RuntimeError("register hub.cli.draw (the `task` group) before hub.cli.documents")

    @task.command("documents")
    @click.argument("task_id")
    @click.option("--kind", type=click.Choice(KINDS), default=None, help="Only documents of this kind.")
    @click.option("--agency", default=None, help="Only the documents of this agency.")
    @click.option("--inspector", default=None, help="Only the documents of this inspector's assignments.")
    @click.option("--out", required=True, type=click.Path(dir_okay=False), help="The PDF file to write.")
    @click.option(
        "--as",
        "as_user",
        default=None,
        help="Print with this user's rights (default: the operator, who may print everything).",
    )
    @click.option(
        "--base-url",
        default=None,
        help="Where the hub is published, for the QR code (default: public_url, else http://WEB_HOST:WEB_PORT).",
    )
    @pass_ctx
    def task_documents(
        ctx: Context,
        task_id: str,
        kind: str | None,
        agency: str | None,
        inspector: str | None,
        out: str,
        as_user: str | None,
        base_url: str | None,
    ) -> None:
        """Print TASK's documents as one PDF (A4, numbered, with a QR code to the public task page)."""
        from hub.documents.services import print_documents

        principal = _principal(ctx, as_user)
        base = base_url or ctx.settings.public_base()
        printed = print_documents(
            ctx.db, task_id, principal, base_url=base, kind=kind, agency=agency, inspector=inspector
        )
        try:
            Path(out).write_bytes(printed.pdf)
        except OSError as exc:
            raise InvalidInput(f"cannot write the PDF: {exc.strerror}", where=out) from exc
        for ref, number in printed.documents:
            click.echo(f"{number}\t{ref.title}\t{ref.subject}")
        click.echo(f"{len(printed.documents)} document(s) written to {out}")


def _principal(ctx, as_user: str | None):
    """The named user's rights, or the operator's (the one running the hub on its own database)."""
    from hub.auth.models import User
    from hub.auth.principal import Principal

    if as_user is None:
        return Principal(OPERATOR, frozenset({"admin"}))
    from sqlalchemy import select

    with ctx.db.unit_of_work() as s:
        user = s.scalar(select(User).where(User.name == as_user))
        if user is None or not user.active:
            raise NotFound(f"no active user {as_user!r}", where="--as")
        return Principal(user.name, frozenset(user.roles), user.agency, user.inspector_id)
