"""Compare a stream table with the provider's truth, record for record.

The truth records are projected through the loader's own column conversions, so every typed
column of every record is compared (both directions, with EXCEPT), plus the id sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import asyncpg
import orjson

from connectors.streams import StreamSpec
from pipelines.load.merge_sql import projection


async def differences(
    conn: asyncpg.Connection, schema: str, source: str, spec: StreamSpec,
    truth: Iterable[dict[str, Any]], ignore_ids: Iterable[str] = (),
) -> dict[str, list[Any]]:  # fmt: skip
    """Rows only in the database, rows only in the truth (empty lists: equal)."""
    records = [{"id": str(spec.record_id(r)), "raw": r} for r in truth]
    cols = ", ".join(c.name for c in spec.columns)
    projected = ", ".join(f"{projection(c, 't.raw')} AS {c.name}" for c in spec.columns)
    truth_sql = f"""SELECT t.id, {projected}
        FROM jsonb_to_recordset($1::jsonb) AS t(id text, raw jsonb)
        WHERE t.id <> ALL($3::text[])"""
    db_sql = f"""SELECT id, {cols} FROM {schema}.{spec.name}
        WHERE source = $2 AND _deleted_at IS NULL AND id <> ALL($3::text[])"""
    payload = orjson.dumps(records).decode()
    ignore = list(ignore_ids)
    # `id <> ALL(array with a NULL)` is never true: such a list would compare nothing at all.
    if any(not isinstance(i, str) for i in ignore):
        raise ValueError(f"ignore_ids must be record ids (text), got {ignore[:5]!r}")
    only_db = await conn.fetch(f"({db_sql}) EXCEPT ({truth_sql})", payload, source, ignore)
    only_truth = await conn.fetch(f"({truth_sql}) EXCEPT ({db_sql})", payload, source, ignore)
    return {"only_db": [dict(r) for r in only_db][:5], "only_truth": [dict(r) for r in only_truth][:5],
            "counts": [len(only_db), len(only_truth)]}  # fmt: skip


def resource_of(spec: StreamSpec) -> str:
    """The emulator's resource name for a stream: its list path's last segment."""
    return spec.path.rsplit("/", 1)[-1]
