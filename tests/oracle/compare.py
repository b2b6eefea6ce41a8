"""Compare a stream table with the provider's truth through the oracle (no code under test).

Typed columns and their types come from the database catalog, expected values from
``mapping.expected_row``; rows are compared in Python, every typed column, both directions.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg
import orjson

from tests.oracle.mapping import expected_row

ID_KEYS = ("id", "ID", "Id", "SUN")  # service user numbers are keyed by their SUN

# Columns paysync does not read although the documents name them. smart2pay.md, section 4:
# `GET /v1/payments/{id}/refunds` returns "refunds of a payment (limited details)"; the refund
# detail (`/v1/payments/{pid}/refunds/{id}`) is not fetched, so a refund's customer and
# addresses stay NULL. Compared as NULL: reading them one day makes the comparison say so.
UNREAD: dict[tuple[str, str], tuple[str, ...]] = {
    ("smart2pay", "refunds"): ("customer_", "billing_", "bank_"),
}


def record_id(record: dict[str, Any]) -> str:
    for key in ID_KEYS:
        if key in record:
            return str(record[key])
    raise AssertionError(f"no documented id key in {sorted(record)[:10]}")


async def typed_columns(conn: asyncpg.Connection, schema: str, table: str) -> dict[str, str]:
    rows = await conn.fetch(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_schema = $1 AND table_name = $2 AND column_name NOT IN ('source', 'id', 'raw')
             AND column_name NOT LIKE '\\_%' ORDER BY ordinal_position""",
        schema, table,
    )  # fmt: skip
    return {r["column_name"]: r["data_type"] for r in rows}


def expected(
    provider: str, table: str, columns: dict[str, str], record: dict[str, Any]
) -> dict[str, Any]:
    want = expected_row(provider, table, columns, record)
    unread = UNREAD.get((provider, table), ())
    for name in want:
        if unread and name.startswith(unread):
            want[name] = None
    return want


async def stored_rows(
    conn: asyncpg.Connection, provider: str, table: str, source: str, columns: dict[str, str]
) -> dict[str, dict[str, Any]]:
    rows = await conn.fetch(
        f"SELECT id, {', '.join(columns)} FROM {provider}.{table} "
        "WHERE source = $1 AND _deleted_at IS NULL",
        source,
    )
    return {
        r["id"]: {
            n: orjson.loads(r[n]) if k == "jsonb" and r[n] is not None else r[n]
            for n, k in columns.items()
        }
        for r in rows
    }


async def compare(
    conn: asyncpg.Connection, provider: str, table: str, source: str,
    truth: Iterable[dict[str, Any]], ignore_ids: Iterable[str] = (),
    skip_columns: Iterable[str] = (),
) -> dict[str, list[Any]]:  # fmt: skip
    """Rows only in the database and rows only in the truth (a differing record is in both).
    ``skip_columns``: typed columns a test deliberately leaves out (each must exist)."""
    ignore = set(ignore_ids)
    if any(not isinstance(i, str) for i in ignore):
        raise ValueError(
            f"ignore_ids must be record ids (text), got {sorted(map(str, ignore))[:5]}"
        )
    columns = await typed_columns(conn, provider, table)
    assert columns, f"{provider}.{table} has no typed columns: is the table name right?"
    skipped = set(skip_columns)
    assert skipped <= set(columns), f"no such columns to skip: {sorted(skipped - set(columns))}"
    columns = {k: v for k, v in columns.items() if k not in skipped}
    want = {record_id(r): expected(provider, table, columns, r) for r in truth}
    want = {k: v for k, v in want.items() if k not in ignore}
    have = {k: v for k, v in (await stored_rows(conn, provider, table, source, columns)).items()
            if k not in ignore}  # fmt: skip
    only_db = [{"id": k, **v} for k, v in have.items() if want.get(k) != v]
    only_truth = [{"id": k, **v} for k, v in want.items() if have.get(k) != v]
    return {"only_db": only_db[:5], "only_truth": only_truth[:5],
            "counts": [len(only_db), len(only_truth)]}  # fmt: skip
