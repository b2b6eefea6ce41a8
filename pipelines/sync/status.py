"""Per source and stream: cursor, last run, lag, rows, rejects, owed records, drift, last
reconciliation. Runs whose process died are marked abandoned first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from connectors.registry import connector
from pipelines.store.settings import Settings
from pipelines.sync.runs import mark_abandoned

STREAM_STATUS = """
SELECT st.cursor, st.last_success_at,
       (SELECT count(*) FROM {table} WHERE source = $1 AND _deleted_at IS NULL) AS rows,
       (SELECT count(*) FROM paysync.rejects WHERE source = $1 AND stream = $2) AS rejects,
       (SELECT count(*) FROM paysync.schema_drift WHERE source = $1 AND stream = $2) AS drift,
       (SELECT count(*) FROM paysync.refetch_queue WHERE source = $1 AND stream = $2) AS queued,
       (SELECT coalesce(sum(rejected), 0) FROM paysync.sync_windows
        WHERE source = $1 AND stream = $2)
       + (SELECT count(*) FROM paysync.refetch_queue
          WHERE source = $1 AND stream = $2 AND last_error IS NOT NULL) AS owed,
       r.started_at AS last_run_at, r.outcome AS last_run_outcome
FROM (SELECT 1) one
LEFT JOIN paysync.stream_state st ON st.source = $1 AND st.stream = $2
LEFT JOIN LATERAL (
    SELECT started_at, outcome FROM paysync.sync_runs
    WHERE source = $1 AND ($2 = ANY(streams) OR streams = '{{}}') ORDER BY run_id DESC LIMIT 1
) r ON true"""

LAST_RECONCILIATION = """
SELECT outcome, finished_at, missing + extra + differing + inconsistent AS differences
FROM paysync.reconciliation_runs WHERE $1 = ANY(sources) ORDER BY recon_id DESC LIMIT 1"""


async def stream_status(conn: asyncpg.Connection, settings: Settings) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    await mark_abandoned(conn)
    rows = []
    for source in settings.sources:
        provider = connector(source.provider)
        recon = await conn.fetchrow(LAST_RECONCILIATION, source.name)
        for spec in provider.streams.values():
            table = f"{provider.provider}.{spec.name}"
            found = await conn.fetchrow(STREAM_STATUS.format(table=table), source.name, spec.name)
            assert found is not None
            cursor = found["cursor"]
            rows.append({
                "source": source.name, "stream": spec.name,
                "last_run_at": found["last_run_at"], "last_run": found["last_run_outcome"],
                "last_success_at": found["last_success_at"], "cursor": cursor,
                "lag_s": (now - cursor).total_seconds() if cursor else None,
                "rows": found["rows"], "rejects": found["rejects"], "drift": found["drift"],
                "queued": found["queued"], "owed": found["owed"],
                "reconciliation": recon["outcome"] if recon else None,
            })  # fmt: skip
    return rows
