"""``paysync demo``: the whole product on this machine, offline, in a minute or two."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

import typer
from rich.console import Console
from rich.table import Table

from pipelines.cli import demo_steps as steps
from pipelines.cli._run import run, settings
from pipelines.cli.progress import SyncProgress
from pipelines.cli.sync import summary_table
from pipelines.reconcile.runner import ReconcileReport, reconcile
from pipelines.store import db
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest

QUERIES = {
    "Payments by provider and status (analytics.payments)": """
        SELECT provider, status, currency, count(*) AS payments, sum(amount_major) AS amount
        FROM analytics.payments GROUP BY 1, 2, 3 ORDER BY 1, 4 DESC LIMIT 12""",
    "Collections per month, GBP (analytics.daily_collections)": """
        SELECT to_char(date_trunc('month', day), 'YYYY-MM') AS month, provider,
               sum(collected_count) AS collected, round(sum(collected_amount) / 100.0, 2) AS amount,
               sum(failed_count) AS failed, sum(net_major) AS net
        FROM analytics.daily_collections WHERE currency = 'GBP'
        GROUP BY 1, 2 ORDER BY 1 DESC, 2 LIMIT 6""",
    "Why payments fail (analytics.failed_payments)": """
        SELECT provider, kind, reason_code, reason_meaning, count(*) AS payments
        FROM analytics.failed_payments GROUP BY 1, 2, 3, 4 ORDER BY 5 DESC LIMIT 6""",
    "Latest status transitions (analytics.payment_status_history)": """
        SELECT provider, payment_id, from_provider_status, to_provider_status, to_status
        FROM analytics.payment_status_history WHERE change_kind = 'update'
        ORDER BY changed_at DESC, payment_id LIMIT 5""",
}


def demo(
    records: int = typer.Option(8000, min=100, max=1_000_000, help="Payments per provider."),
) -> None:
    """Run the demo: emulators, a full sync, a provider-side change, an incremental sync."""
    config = settings()
    console = Console(stderr=False)
    console.rule("[b]paysync demo")
    console.print(f"starting both provider emulators with {records:,} payments each …")
    with steps.emulators(records) as (bacs, cards):
        url = run(lambda: steps.fresh_demo_database(config))
        demo_config = steps.demo_settings(url, bacs, cards)
        console.print(f"database: {db.redact(url)}\n")

        console.rule("1. full sync of all history")
        reports = _sync(demo_config, steps.as_of(bacs))
        console.print(summary_table(reports))

        console.rule("2. the providers move on: 3 days pass, 20 records change")
        bacs.mutate("payments", 10)
        cards.mutate("payments", 10)
        for emulator in (bacs, cards):
            emulator.clock_advance(timedelta(days=3).total_seconds())
        reports = _sync(demo_config, steps.as_of(bacs))
        console.print(summary_table(reports))

        console.rule("3. reconciliation: provider versus database, last 30 days")
        recon = run(partial(reconcile, demo_config, as_of=steps.as_of(bacs)))
        console.print(_recon_table(recon))
        console.print(f"outcome: [b]{recon.outcome}[/b]")

        console.rule("4. what an analyst sees")
        for title, sql in QUERIES.items():
            console.print(_result(title, run(partial(steps.query, url, sql))))
    console.rule("connect")
    console.print(
        f"psql '{db.redact(url)}'   (the embedded server keeps running; `paysync db stop` ends it)"
    )


def _sync(config, as_of):  # type: ignore[no-untyped-def]
    started = time.monotonic()
    with SyncProgress() as progress:
        reports = run(lambda: service.sync(config, SyncRequest(as_of=as_of), progress=progress))
    records = sum(r.counts.records_read for r in reports)
    Console().print(f"{records:,} records in {time.monotonic() - started:.1f}s")
    return reports


def _recon_table(report: ReconcileReport) -> Table:
    table = Table(title="reconciliation")
    for name in ("source", "stream", "provider", "database", "missing", "extra", "differing"):
        table.add_column(name)
    for r in report.streams:
        table.add_row(
            r.source,
            r.stream,
            *map(str, (r.provider_records, r.db_records, r.missing, r.extra, r.differing)),
        )
    return table


def _result(title: str, rows: list) -> Table:  # type: ignore[type-arg]
    table = Table(title=title)
    if not rows:
        table.add_column("(no rows)")
        return table
    for key in rows[0].keys():
        table.add_column(key)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row.values()))
    return table
