"""The markdown a flow publishes as its Prefect artifact: streams, records, changes, rejects and
drift of the runs it made, read back from the ledger tables so the figures are the database's."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from pipelines.store import db
from pipelines.store.settings import Settings

STREAM_COLUMNS = (
    ("source", "source"), ("stream", "stream"), ("outcome", "outcome"),
    ("windows", "windows"), ("pages", "pages"), ("records_read", "read"),
    ("records_inserted", "new"), ("records_changed", "changed"),
    ("records_deleted", "deleted"), ("records_rejected", "rejected"), ("requests", "requests"),
)  # fmt: skip
COUNTS = tuple(key for key, _ in STREAM_COLUMNS[3:])

CHANGES_SQL = """SELECT source, stream, change_kind, count(*) AS n FROM paysync.record_changes
    WHERE run_id = ANY($1::bigint[]) GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"""
REJECTS_SQL = """SELECT source, stream, count(*) AS n, min(left(error, 120)) AS example
    FROM paysync.rejects WHERE run_id = ANY($1::bigint[]) GROUP BY 1, 2 ORDER BY 1, 2"""
DRIFT_SQL = """SELECT source, stream, field_path FROM paysync.schema_drift
    WHERE first_run_id = ANY($1::bigint[]) ORDER BY 1, 2, 3 LIMIT 50"""
RUNS_SQL = """SELECT flow_run_id, source, min(range_from) AS range_from,
        max(range_to) AS range_to, count(*) AS runs,
        string_agg(DISTINCT outcome, ', ') AS outcome, string_agg(DISTINCT host, ', ') AS host,
        sum(windows) AS windows, sum(records_read) AS records_read,
        sum(records_inserted) AS records_inserted, array_agg(run_id) AS run_ids
    FROM paysync.sync_runs WHERE flow_run_id = ANY($1::text[])
    GROUP BY 1, 2 ORDER BY 3, 2"""


def table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def totals(rows: Iterable[dict[str, Any]]) -> dict[str, int]:
    found = {key: 0 for key in COUNTS}
    for row in rows:
        for key in COUNTS:
            found[key] += int(row.get(key) or 0)
    return found


async def ledger(settings: Settings, run_ids: list[int]) -> dict[str, list[Any]]:
    """Changes, rejects and drift the given runs wrote."""
    conn = await db.connect(db.database_url(settings.database))
    try:
        return {
            "changes": [tuple(r) for r in await conn.fetch(CHANGES_SQL, run_ids)],
            "rejects": [tuple(r) for r in await conn.fetch(REJECTS_SQL, run_ids)],
            "drift": [tuple(r) for r in await conn.fetch(DRIFT_SQL, run_ids)],
        }
    finally:
        await conn.close()


async def partition_runs(settings: Settings, flow_run_ids: list[str]) -> list[dict[str, Any]]:
    """Per partition flow run and source: what its engine runs did (host shows the machine)."""
    conn = await db.connect(db.database_url(settings.database))
    try:
        return [dict(r) for r in await conn.fetch(RUNS_SQL, flow_run_ids)]
    finally:
        await conn.close()


OUTCOME_RANK = {"failed": 3, "aborted": 2, "partial": 1, "succeeded": 0}


def by_stream(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per (source, stream): a stream written by several engine runs of one flow (a
    child filled by its parent's run, a record re-fetched by whichever run drained the queue)
    shows its sum, the worst outcome and the first error."""
    merged: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        key = (row["source"], row["stream"])
        if key not in merged:
            merged[key] = dict(row)
            continue
        into = merged[key]
        for count in (*COUNTS, "retries"):
            into[count] = int(into.get(count) or 0) + int(row.get(count) or 0)
        worse = OUTCOME_RANK.get(row.get("outcome") or "", 0)
        if worse > OUTCOME_RANK.get(into.get("outcome") or "", 0):
            into["outcome"] = row["outcome"]
        into["error"] = into.get("error") or row.get("error")
    return list(merged.values())


def runs_markdown(title: str, facts: dict[str, Any], rows: list[dict[str, Any]],
                  found: dict[str, list[Any]]) -> str:  # fmt: skip
    """Markdown for a flow that ran syncs: one table per concern."""
    rows = by_stream(rows)
    parts = [f"# {title}", table(("", ""), facts.items()), "## Streams"]
    parts.append(
        table([h for _, h in STREAM_COLUMNS], ([r.get(k) for k, _ in STREAM_COLUMNS] for r in rows))
    )
    total = totals(rows)
    parts.append(table(["total", *(h for _, h in STREAM_COLUMNS[3:])], [["", *total.values()]]))
    failed = [r for r in rows if r.get("error")]
    if failed:
        parts += ["## Errors", table(("source", "stream", "error"), ((r["source"], r["stream"], r["error"]) for r in failed))]  # fmt: skip
    parts += ["## Changes", table(("source", "stream", "kind", "records"), found["changes"]) if found["changes"] else "none"]  # fmt: skip
    parts += ["## Rejects", table(("source", "stream", "records", "example error"), found["rejects"]) if found["rejects"] else "none"]  # fmt: skip
    parts += ["## Schema drift (new fields)", table(("source", "stream", "field"), found["drift"]) if found["drift"] else "none"]  # fmt: skip
    return "\n\n".join(parts) + "\n"


def partitions_markdown(facts: dict[str, Any], parts: list[dict[str, Any]]) -> str:
    header = ("from", "to", "flow run", "state", "worker", "windows", "read", "new")
    rows = [
        (p["range_from"], p["range_to"], p.get("flow_run_id"), p.get("state"), p.get("worker"),
         p.get("windows"), p.get("records_read"), p.get("records_inserted"))
        for p in parts
    ]  # fmt: skip
    return "\n\n".join(["# paysync backfill", table(("", ""), facts.items()), "## Partitions", table(header, rows)]) + "\n"  # fmt: skip
