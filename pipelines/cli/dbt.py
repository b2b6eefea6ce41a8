"""``paysync dbt sources``: a dbt ``sources.yml`` for the schemas paysync writes.

Everything in the file comes from the database the settings point at, so it matches what is
there: each table, view and column of ``smarterpay``, ``smart2pay`` and ``analytics`` with its
description from the catalog comments (the same text ``\\d+`` shows), ``not_null`` tests on key
columns and a ``unique`` test on each key (primary keys; the analytics views' documented
grain). Freshness is checked on ``_synced_at`` (``synced_at`` in ``analytics.payments``) with
thresholds derived from the sync settings, overridable here.
"""

from __future__ import annotations

import copy
import math
import sys
from pathlib import Path
from typing import Any

import asyncpg
import typer
import yaml

from pipelines.cli._run import run, settings
from pipelines.store import db
from pipelines.store.migrate import migrate
from pipelines.store.settings import Settings

app = typer.Typer(help="Use paysync from dbt.", no_args_is_help=True)

SCHEMAS = ("smarterpay", "smart2pay", "analytics")
# The grain of each analytics view (one row per ...), as README "For analysts" documents it.
# Views without one (mandate_funnel groups by nullable reasons) get no unique test.
VIEW_KEYS: dict[str, tuple[str, ...]] = {
    "payments": ("provider", "source", "id"),
    "payment_status_history": ("provider", "source", "payment_id", "seq"),
    "daily_collections": ("day", "provider", "source", "currency"),
    "failed_payments": ("provider", "source", "payment_id"),
    "smarterpay_events": ("source", "message_id", "event_no"),
    "sync_health": ("source", "stream"),
}
LOADED_AT = ("_synced_at", "synced_at")

CATALOG_SQL = """
SELECT n.nspname AS schema, c.relname AS name, c.relkind AS kind,
       obj_description(c.oid, 'pg_class') AS description,
       coalesce(obj_description(n.oid, 'pg_namespace'), '') AS schema_description,
       array_agg(a.attname::text ORDER BY a.attnum) AS columns,
       array_agg(coalesce(col_description(c.oid, a.attnum), '') ORDER BY a.attnum) AS docs,
       (SELECT array_agg(k.attname::text ORDER BY array_position(i.indkey::int2[], k.attnum))
        FROM pg_index i JOIN pg_attribute k ON k.attrelid = c.oid AND k.attnum = ANY(i.indkey)
        WHERE i.indrelid = c.oid AND i.indisprimary) AS primary_key
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
GROUP BY n.oid, n.nspname, c.oid, c.relname, c.relkind
ORDER BY n.nspname, c.relname
"""


def freshness(config: Settings, warn_minutes: int | None, error_minutes: int | None) -> dict:
    """Thresholds: a sync is expected at least hourly (INFERRED: the shipped schedules run
    incrementals more often) and reads up to ``sync.lag_seconds`` behind now, so data older
    than an hour plus the lag is late; four times that is an error."""
    warn = warn_minutes or 60 + math.ceil(config.sync.lag_seconds / 60)
    error = error_minutes or 4 * warn
    return {
        "warn_after": {"count": warn, "period": "minute"},
        "error_after": {"count": max(error, warn), "period": "minute"},
    }


def _unique(columns: tuple[str, ...] | list[str]) -> dict[str, Any]:
    if len(columns) == 1:
        return {"unique": {"column_name": columns[0]}}
    # dbt's built-in unique test takes an expression: no package (dbt_utils) needed.
    joined = " || '|' || ".join(f"coalesce({c}::text, '')" for c in columns)
    return {"unique": {"column_name": f"({joined})"}}


def _table(row: asyncpg.Record, thresholds: dict) -> dict[str, Any]:
    view_keys = VIEW_KEYS.get(row["name"], ()) if row["schema"] == "analytics" else ()
    keys = list(row["primary_key"] or view_keys)
    columns = []
    for name, doc in zip(row["columns"], row["docs"], strict=True):
        column: dict[str, Any] = {"name": name, "description": doc}
        if name in keys:
            column["data_tests"] = ["not_null"]
        columns.append(column)
    table: dict[str, Any] = {"name": row["name"], "description": row["description"] or ""}
    loaded_at = next((c for c in LOADED_AT if c in row["columns"]), None)
    if loaded_at:
        table["loaded_at_field"] = loaded_at
        table["freshness"] = copy.deepcopy(thresholds)  # a copy: no YAML anchors
    else:
        table["freshness"] = None  # nothing says when a row was written: not checked
    if keys:
        table["data_tests"] = [_unique(keys)]
    table["columns"] = columns
    return table


def build_sources(rows: list[asyncpg.Record], thresholds: dict) -> dict[str, Any]:
    """The sources.yml document for catalog rows of CATALOG_SQL (one source per schema)."""
    sources: dict[str, dict[str, Any]] = {}
    for row in rows:
        source = sources.setdefault(row["schema"], {
            "name": row["schema"], "schema": row["schema"],
            "description": row["schema_description"], "tables": [],
        })  # fmt: skip
        source["tables"].append(_table(row, thresholds))
    return {"version": 2, "sources": [sources[s] for s in SCHEMAS if s in sources]}


async def read_catalog(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return list(await conn.fetch(CATALOG_SQL, list(SCHEMAS)))


def render(document: dict[str, Any]) -> str:
    header = "# Written by `paysync dbt sources` from the database catalog; re-run after migrate.\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


@app.command()
def sources(
    out: Path = typer.Option(
        Path("models/paysync_sources.yml"),
        "--out",
        "-o",
        help="File to write ('-': standard output).",
    ),
    warn_after_minutes: int | None = typer.Option(None, min=1, help="Freshness warning."),
    error_after_minutes: int | None = typer.Option(None, min=1, help="Freshness error."),
) -> None:
    """Write a dbt sources.yml: every table, view and column with its description and key tests."""
    config = settings()

    async def main() -> list[asyncpg.Record]:
        conn = await db.connect(db.database_url(config.database))
        try:
            await migrate(conn)
            return await read_catalog(conn)
        finally:
            await conn.close()

    thresholds = freshness(config, warn_after_minutes, error_after_minutes)
    text = render(build_sources(run(main), thresholds))
    if str(out) == "-":
        sys.stdout.write(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    typer.echo(f"wrote {out}")
