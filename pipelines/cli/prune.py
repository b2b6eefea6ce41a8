"""``paysync db prune``: keep paysync's bookkeeping bounded (retention by age).

Deletes ``record_changes``, ``webhook_events``, ``rejects``, finished ``sync_runs`` and
reconciliation runs older than their retention, in batches; never a stream table's row, the
window ledger, or (by default) a status change (see ``pipelines.sync.prune``). Run it daily
from cron or a Prefect schedule, as the schema owner or the read/write role.
"""

from __future__ import annotations

from datetime import UTC, datetime

import typer

from pipelines.cli._run import fail, run, settings
from pipelines.errors import ConfigError
from pipelines.store import db
from pipelines.sync.prune import Retention
from pipelines.sync.prune import prune as prune_tables

DEFAULTS = Retention()


def prune(
    changes_days: int = typer.Option(DEFAULTS.changes_days, help="Keep record_changes this long."),
    webhook_days: int = typer.Option(DEFAULTS.webhook_days, help="Keep webhook_events (min 8)."),
    rejects_days: int = typer.Option(DEFAULTS.rejects_days, help="Keep rejects this long."),
    runs_days: int = typer.Option(
        DEFAULTS.runs_days, help="Keep finished sync and reconciliation runs this long."
    ),
    status_changes: bool = typer.Option(
        True, "--keep-status-changes/--prune-status-changes",
        help="Keep the record_changes rows of status transitions (the status history).",
    ),
    dry_run: bool = typer.Option(False, "--dry-run", help="Count what would go; delete nothing."),
) -> None:  # fmt: skip
    """Delete paysync's own records older than their retention (days); stream tables stay."""
    config = settings()
    retention = Retention(changes_days, webhook_days, rejects_days, runs_days, status_changes)
    try:
        retention.check()  # before connecting: a bad option needs no database
    except ConfigError as exc:
        raise fail(str(exc), exc.exit_code) from None

    async def main() -> dict[str, int]:
        conn = await db.connect(db.database_url(config.database))
        try:
            return await prune_tables(conn, config, retention, datetime.now(UTC), dry_run)
        finally:
            await conn.close()

    found = run(main)
    verb = "would delete" if dry_run else "deleted"
    typer.echo(f"{verb}: " + ", ".join(f"{table} {n}" for table, n in found.items()))
