"""The ``paysync`` command line (docs/operations.md). Exit codes: 0 ok, 1 drift/rejects, 2 usage or
configuration, 3 provider or database unreachable."""

from __future__ import annotations

import typer

from pipelines.cli import db, dbt, emulator, webhooks
from pipelines.cli.backfill import backfill
from pipelines.cli.check import check
from pipelines.cli.demo import demo
from pipelines.cli.metrics import metrics
from pipelines.cli.reconcile import reconcile
from pipelines.cli.sources import sources
from pipelines.cli.status import status
from pipelines.cli.sync import sync
from pipelines.sync import logs

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
app = typer.Typer(
    help="Sync SmarterPay Cloud and Smart2Pay / GlobalPay into PostgreSQL, provably exact.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main(
    log_format: str = typer.Option(
        "text", "--log-format", help="Log lines on stderr as text or json (one object a line)."
    ),
    log_level: str = typer.Option(
        "WARNING",
        "--log-level",
        help="WARNING (default): problems only; INFO: a line per stream per run with its "
        "figures; DEBUG: a line per window too.",
    ),
) -> None:
    """Sync SmarterPay Cloud and Smart2Pay / GlobalPay into PostgreSQL, provably exact."""
    if log_format not in logs.FORMATS or log_level.upper() not in LEVELS:
        raise typer.BadParameter(
            f"--log-format is one of {', '.join(logs.FORMATS)}; "
            f"--log-level one of {', '.join(LEVELS)}"
        )
    logs.configure(log_format, log_level)


app.add_typer(db.app, name="db")
app.add_typer(dbt.app, name="dbt")
app.add_typer(emulator.app, name="emulator")
app.add_typer(webhooks.app, name="webhooks")
app.command()(sync)
app.command()(backfill)
app.command()(status)
app.command()(reconcile)
app.command()(demo)
app.command()(metrics)
app.command()(check)
app.command()(sources)
