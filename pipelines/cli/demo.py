"""``paysync demo``: the whole product on this machine, offline, in a minute or two."""

from __future__ import annotations

import time
from datetime import timedelta
from functools import partial

import typer
from rich.console import Console
from rich.table import Table

from pipelines import db, service
from pipelines import demo as steps
from pipelines.cli._run import run, settings
from pipelines.cli.progress import SyncProgress
from pipelines.cli.sync import _table
from pipelines.plan import SyncRequest

QUERIES = {
    "Rows per table": """
        SELECT table_schema || '.' || table_name AS "table",
               (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I',
                      table_schema, table_name), false, true, '')))[1]::text::bigint AS "rows"
        FROM information_schema.tables
        WHERE table_schema IN ('smarterpay', 'smart2pay') AND table_type = 'BASE TABLE'
        ORDER BY 1""",
    "Direct Debit payments by status": """
        SELECT status, count(*) AS payments, round(sum(amount) / 100.0, 2) AS "amount GBP"
        FROM smarterpay.payments GROUP BY status ORDER BY payments DESC""",
    "Card payments by month (last 6)": """
        SELECT to_char(date_trunc('month', created), 'YYYY-MM') AS month, currency,
               count(*) AS payments, round(sum(amount) / 100.0, 2) AS amount
        FROM smart2pay.payments GROUP BY 1, 2 ORDER BY 1 DESC, 3 DESC LIMIT 6""",
    "Latest status changes": """
        SELECT changed_at::timestamp(0) AS at, stream, record_id, after->>'status' AS status_now,
               before->>'status' AS status_before
        FROM paysync.record_changes WHERE 'status' = ANY(changed_fields)
        ORDER BY change_id DESC LIMIT 5""",
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
        console.print(_table(reports))

        console.rule("2. the providers move on: 3 days pass, 20 records change")
        bacs.mutate("payments", 10)
        cards.mutate("payments", 10)
        for emulator in (bacs, cards):
            emulator.clock_advance(timedelta(days=3).total_seconds())
        reports = _sync(demo_config, steps.as_of(bacs))
        console.print(_table(reports))

        console.rule("3. what an analyst sees")
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
