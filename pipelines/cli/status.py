"""``paysync status``: how current each stream is."""

from __future__ import annotations

from datetime import timedelta

import orjson
import typer
from rich.console import Console
from rich.table import Table

from pipelines.cli._run import run, settings
from pipelines.store import db
from pipelines.store.schema import require_current
from pipelines.sync.status import stream_status


def status(json_output: bool = typer.Option(False, "--json", help="Print JSON instead.")) -> None:
    """Per source and stream: last run, cursor, lag behind now, rows, rejects, drift."""
    config = settings()

    async def main() -> list[dict[str, object]]:
        conn = await db.connect(db.database_url(config.database))
        try:
            await require_current(conn)
            return await stream_status(conn, config)
        finally:
            await conn.close()

    rows = run(main)
    if json_output:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title="paysync status")
    for name in (
        "source",
        "stream",
        "last run",
        "cursor",
        "lag",
        "rows",
        "rejects",
        "drift",
        "reconciliation",
    ):
        table.add_column(name)
    for r in rows:
        lag = r["lag_s"]
        table.add_row(
            str(r["source"]), str(r["stream"]),
            f"{r['last_run_at']:%Y-%m-%d %H:%M} {r['last_run']}" if r["last_run_at"] else "never",
            f"{r['cursor']:%Y-%m-%d %H:%M}" if r["cursor"] else "-",
            str(timedelta(seconds=int(lag))) if isinstance(lag, float) else "-",
            str(r["rows"]), str(r["rejects"]), str(r["drift"]), str(r["reconciliation"] or "-"),
        )  # fmt: skip
    Console().print(table)
