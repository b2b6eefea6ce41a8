"""``paysync demo``: until the sync engine lands, migrate the database and show what is there."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.table import Table

from pipelines import db as database
from pipelines.cli._run import run, settings
from pipelines.migrate import migrate


def demo() -> None:
    """Run the demo on this machine (embedded PostgreSQL unless DATABASE_URL is set)."""
    config = settings()

    async def main() -> None:
        url = database.database_url(config.database)
        conn = await database.connect(url)
        try:
            result = await migrate(conn)
            rows = await conn.fetch(
                """SELECT table_schema, table_name FROM information_schema.tables
                   WHERE table_schema IN ('paysync', 'smarterpay', 'smart2pay', 'analytics')
                   ORDER BY 1, 2"""
            )
        finally:
            await conn.close()
        table = Table(title=f"paysync database, version {result.current_version:04d}")
        table.add_column("schema")
        table.add_column("table")
        for row in rows:
            table.add_row(row["table_schema"], row["table_name"])
        Console().print(table)
        typer.echo(f"connect with: psql '{database.redact(url)}'")

    run(main)
