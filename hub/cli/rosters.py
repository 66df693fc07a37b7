"""`hub sync`, `hub export`: the rosters' command line."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

from hub.cli.context import Context, pass_ctx
from hub.errors import InvalidInput


@click.command()
@click.argument("name")
@click.option("--full", is_flag=True, help="Ignore the stored bookmark and pull everything.")
@pass_ctx
def sync(ctx: Context, name: str, full: bool) -> None:
    """Pull one configured source now; prints counts; non-zero exit on failure."""
    from hub.rosters.sync import run_sync

    tty = sys.stderr.isatty()

    def progress(run: Any, counts: Any, label: str) -> None:
        line = (
            f"\r{name}: {counts.fetched} fetched, {counts.inserted} new, {counts.updated} updated, "
            f"{counts.quarantined} quarantined {label}"
        )
        if tty:
            click.echo(line.ljust(100), err=True, nl=False)
        elif counts.fetched and counts.fetched % 10000 < 1000:
            click.echo(line.strip(), err=True)

    run = run_sync(ctx.db, ctx.settings, name, full=full, progress=progress)
    if tty:
        click.echo("", err=True)
    click.echo(
        f"{name}: ok — fetched {run.fetched}, inserted {run.inserted}, updated {run.updated}, "
        f"unchanged {run.unchanged}, quarantined {run.quarantined}, deactivated {run.deactivated}"
    )


@click.command()
@click.argument("kind")
@click.option("--format", "fmt", type=click.Choice(["csv", "json"]), default="csv")
@click.option("--out", type=click.Path(dir_okay=False), default=None, help="File (default: stdout).")
@pass_ctx
def export(ctx: Context, kind: str, fmt: str, out: str | None) -> None:
    """Export entities|inspectors|quarantine|results as CSV or JSON."""
    from hub.rosters import export as exp
    from hub.rosters.queries import export_chunks

    _load_export_kinds()
    if kind not in exp.kinds():
        raise InvalidInput(f"{kind!r} is not one of {', '.join(exp.kinds())}", where="hub export")
    chunks = export_chunks(ctx.db, kind, fmt)
    if out:
        tmp = Path(out).with_suffix(Path(out).suffix + ".part")
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            for chunk in chunks:
                fh.write(chunk)
        tmp.replace(out)
    else:
        for chunk in chunks:
            sys.stdout.write(chunk)


def _load_export_kinds() -> None:
    """Flows that add export kinds register them on import."""
    import hub.items.services
    import hub.results.export  # noqa: F401


def register(cli: click.Group) -> None:
    cli.add_command(sync)
    cli.add_command(export)
