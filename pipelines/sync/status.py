"""Per source and stream: cursor, last run and its error, lag, rows, rejects, owed records,
drift, last reconciliation; and ``problems``: what makes ``paysync status --check`` exit
non-zero (a failed or abandoned last run, lag over the threshold, rejects or schema drift new
in the last run, drift found by the last reconciliation), so cron, probes and CI need no SQL
of their own. Runs whose process died are marked abandoned first."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg

from connectors.registry import connector
from pipelines.store.settings import Settings
from pipelines.sync.runs import mark_abandoned

STREAM_STATUS = """
SELECT st.cursor, st.last_success_at,
       -- the trigger-kept counters (migration 0012), not a count of a table of millions
       (SELECT coalesce(sum(live_rows), 0) FROM paysync.stream_row_counts
        WHERE provider = '{schema}' AND stream = $2 AND source = $1)::bigint AS rows,
       (SELECT count(*) FROM paysync.rejects WHERE source = $1 AND stream = $2) AS rejects,
       (SELECT count(*) FROM paysync.schema_drift WHERE source = $1 AND stream = $2) AS drift,
       (SELECT count(*) FROM paysync.refetch_queue WHERE source = $1 AND stream = $2) AS queued,
       (SELECT coalesce(sum(rejected), 0) FROM paysync.sync_windows
        WHERE source = $1 AND stream = $2)
       + (SELECT count(*) FROM paysync.refetch_queue
          WHERE source = $1 AND stream = $2 AND last_error IS NOT NULL) AS owed,
       (SELECT count(*) FROM paysync.rejects
        WHERE source = $1 AND stream = $2 AND run_id = r.run_id) AS new_rejects,
       (SELECT count(*) FROM paysync.schema_drift
        WHERE source = $1 AND stream = $2 AND first_run_id = r.run_id) AS new_drift,
       r.run_id AS last_run_id, r.started_at AS last_run_at, r.outcome AS last_run_outcome,
       coalesce(r.details -> 'stream_errors' ->> $2, r.error) AS last_error
FROM (SELECT 1) one
LEFT JOIN paysync.stream_state st ON st.source = $1 AND st.stream = $2
LEFT JOIN LATERAL (
    SELECT run_id, started_at, outcome, error, details FROM paysync.sync_runs
    WHERE source = $1 AND ($2 = ANY(streams) OR streams = '{{}}') ORDER BY run_id DESC LIMIT 1
) r ON true"""

LAST_RECONCILIATION = """
SELECT outcome, finished_at, missing + extra + differing + inconsistent AS differences, error
FROM paysync.reconciliation_runs WHERE $1 = ANY(sources) ORDER BY recon_id DESC LIMIT 1"""

FAILED = ("failed", "aborted", "abandoned")


async def stream_status(conn: asyncpg.Connection, settings: Settings) -> list[dict[str, Any]]:
    now = datetime.now(UTC)
    await mark_abandoned(conn)
    rows = []
    for source in settings.sources:
        provider = connector(source.provider)
        recon = await conn.fetchrow(LAST_RECONCILIATION, source.name)
        for spec in provider.streams.values():
            found = await conn.fetchrow(
                STREAM_STATUS.format(schema=provider.provider), source.name, spec.name
            )
            assert found is not None
            # Streams read whole (no time window) have no cursor: their lag is the last success.
            cursor = found["cursor"] or found["last_success_at"]
            rows.append({
                "source": source.name, "stream": spec.name,
                "last_run_at": found["last_run_at"], "last_run": found["last_run_outcome"],
                "last_run_id": found["last_run_id"], "last_error": found["last_error"],
                "last_success_at": found["last_success_at"], "cursor": found["cursor"],
                "lag_s": (now - cursor).total_seconds() if cursor else None,
                "rows": found["rows"], "rejects": found["rejects"], "drift": found["drift"],
                "new_rejects": found["new_rejects"], "new_drift": found["new_drift"],
                "queued": found["queued"], "owed": found["owed"],
                "reconciliation": recon["outcome"] if recon else None,
                "reconciliation_error": recon["error"] if recon else None,
            })  # fmt: skip
    return rows


def problems(row: dict[str, Any], max_lag_s: float) -> list[str]:
    """Why this stream is unhealthy, empty when it is fine (``status --check``)."""
    found = []
    if row["last_run"] in FAILED or row["last_error"]:
        why = row["last_error"] or f"no error recorded (see run {row['last_run_id']}'s log)"
        found.append(f"last run {row['last_run'] or 'failed'}: {why}")
    if row["lag_s"] is None:
        found.append("never synced successfully")
    elif row["lag_s"] > max_lag_s:
        found.append(f"lag {int(row['lag_s'])} s exceeds {int(max_lag_s)} s")
    if row["new_rejects"]:
        found.append(f"{row['new_rejects']} records rejected by the last run")
    if row["new_drift"]:
        found.append(f"{row['new_drift']} unknown fields first seen in the last run")
    if row["reconciliation"] in ("drift", "failed"):
        found.append(f"last reconciliation: {row['reconciliation']}")
    return found
