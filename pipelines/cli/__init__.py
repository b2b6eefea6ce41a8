"""The ``paysync`` command line (docs/operations.md). Exit codes: 0 ok, 1 drift/rejects, 2 usage or
configuration, 3 provider or database unreachable."""

from __future__ import annotations

import typer

from pipelines.cli import db, emulator, webhooks
from pipelines.cli.backfill import backfill
from pipelines.cli.check import check
from pipelines.cli.demo import demo
from pipelines.cli.reconcile import reconcile
from pipelines.cli.sources import sources
from pipelines.cli.status import status
from pipelines.cli.sync import sync

app = typer.Typer(
    help="Sync SmarterPay Cloud and Smart2Pay / GlobalPay into PostgreSQL, provably exact.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(emulator.app, name="emulator")
app.add_typer(webhooks.app, name="webhooks")
app.command()(sync)
app.command()(backfill)
app.command()(status)
app.command()(reconcile)
app.command()(demo)
app.command()(check)
app.command()(sources)
