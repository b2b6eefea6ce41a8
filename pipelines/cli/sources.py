"""``paysync sources [--json]``: the configured sources, their streams, how each is read and its
cursor (compare ``dlt pipeline … info``). The database is optional here: unreachable or behind,
the configuration is still listed and the reason is one line on stderr."""

from __future__ import annotations

import asyncio
from typing import Any

import orjson
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from connectors.errors import ProviderError
from connectors.registry import connector
from pipelines.cli._run import settings
from pipelines.errors import PaysyncError
from pipelines.store import db
from pipelines.store.schema import require_current

CURSORS = "SELECT stream, cursor, last_success_at FROM paysync.stream_state WHERE source = $1"


def how(spec: Any) -> str:
    if spec.parent:
        return f"per {spec.parent}"
    if spec.window is None:
        return "whole"
    return f"by {spec.cursor_column}" + (" +detail" if spec.hydrate else "")


async def _cursors(config: Any) -> dict[tuple[str, str], Any]:
    conn = await db.connect(db.database_url(config.database))
    try:
        await require_current(conn)
        found = {}
        for source in config.sources:
            for row in await conn.fetch(CURSORS, source.name):
                found[(source.name, row["stream"])] = row["cursor"] or row["last_success_at"]
        return found
    finally:
        await conn.close()


def sources(json_output: bool = typer.Option(False, "--json", help="Print JSON instead.")) -> None:
    """Sources, their streams, how each is read, and where its cursor stands."""
    config = settings()
    try:
        cursors = asyncio.run(_cursors(config))
    except (PaysyncError, ProviderError) as exc:
        typer.echo(f"paysync: cursors not shown: {exc}", err=True)
        cursors = {}
    rows = []
    for source in config.sources:
        for spec in connector(source.provider).streams.values():
            at = cursors.get((source.name, spec.name))
            rows.append({
                "source": source.name, "provider": source.provider, "base_url": source.base_url,
                "start_date": str(source.start_date), "stream": spec.name, "read": how(spec),
                "cursor": at.isoformat() if at else None,
            })  # fmt: skip
    if json_output:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    for source in config.sources:
        table = Table(
            title=f"{source.name}: {source.provider} at {source.base_url}, from {source.start_date}",
            box=box.SIMPLE_HEAD, pad_edge=False,
        )  # fmt: skip
        table.add_column("stream", no_wrap=True)
        table.add_column("read", no_wrap=True, overflow="ellipsis")
        table.add_column("cursor (or last success)", no_wrap=True)
        for r in rows:
            if r["source"] == source.name:
                cursor = str(r["cursor"] or "-")[:16].replace("T", " ")
                table.add_row(str(r["stream"]), str(r["read"]), cursor)
        Console(width=80).print(table)
