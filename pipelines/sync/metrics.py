"""Monitoring figures per source and stream, read from the ledger tables, in the Prometheus text
exposition format (version 0.0.4): what ``paysync metrics`` writes for node_exporter's textfile
collector and the webhook receiver serves on ``GET /metrics``.

The format is a few lines of text, so it is written here rather than through prometheus_client
(which would add a registry and process-global state for a handful of gauges). Every figure is
read from PostgreSQL at collection time, so any process (cron, the receiver) reports the same.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from connectors.registry import connector
from pipelines.store.settings import Settings

OUTCOMES = ("succeeded", "partial", "failed", "aborted", "running")


@dataclass
class Metric:
    name: str
    kind: str  # gauge | counter | histogram
    help: str
    samples: list[tuple[dict[str, str], float]] = field(default_factory=list)

    def add(self, value: float, **labels: str) -> None:
        self.samples.append((labels, float(value)))


def render(metrics: Iterable[Metric]) -> str:
    lines: list[str] = []
    for m in metrics:
        lines += [f"# HELP {m.name} {_escape(m.help, quote=False)}", f"# TYPE {m.name} {m.kind}"]
        for given, value in m.samples:
            labels = dict(given)
            name = labels.pop("__name__", m.name)
            inner = ",".join(f'{k}="{_escape(v)}"' for k, v in sorted(labels.items()))
            lines.append(
                f"{name}{{{inner}}} {_number(value)}" if inner else f"{name} {_number(value)}"
            )
    return "\n".join(lines) + "\n"


def _escape(text: str, quote: bool = True) -> str:
    text = text.replace("\\", "\\\\").replace("\n", "\\n")
    return text.replace('"', '\\"') if quote else text


def _number(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(int(value)) if value == int(value) and abs(value) < 1e15 else repr(value)


STATE_SQL = """SELECT st.source, st.stream, st.cursor, st.last_success_at
FROM paysync.stream_state st WHERE st.source = ANY($1::text[])"""
REJECTS_SQL = """SELECT source, stream, count(*) AS n FROM paysync.rejects
WHERE source = ANY($1::text[]) GROUP BY 1, 2"""
# The last finished run that covered each stream, and the stream's own outcome in it: a
# partial run failed some streams (details.stream_errors) and completed the others.
LAST_RUN_SQL = """SELECT DISTINCT ON (r.source, s.stream) r.source, s.stream,
       CASE WHEN r.details->'stream_errors' ? s.stream THEN 'failed'
            WHEN r.outcome = 'partial' THEN 'succeeded' ELSE r.outcome END AS outcome,
       extract(epoch FROM r.finished_at - r.started_at) AS seconds,
       extract(epoch FROM r.finished_at) AS finished
FROM paysync.sync_runs r CROSS JOIN LATERAL unnest(r.streams) AS s(stream)
WHERE r.source = ANY($1::text[]) AND r.finished_at IS NOT NULL AND r.kind <> 'webhook'
ORDER BY r.source, s.stream, r.run_id DESC"""
WEBHOOKS_SQL = """SELECT source, outcome, sum(deliveries) AS n FROM paysync.webhook_events
WHERE source = ANY($1::text[]) GROUP BY 1, 2"""
RECON_SQL = """SELECT DISTINCT ON (src) src AS source, outcome,
       missing + extra + differing + inconsistent AS found, extract(epoch FROM finished_at) AS at
FROM paysync.reconciliation_runs CROSS JOIN LATERAL unnest(sources) AS u(src)
WHERE src = ANY($1::text[]) AND finished_at IS NOT NULL ORDER BY src, recon_id DESC"""


async def collect(conn: asyncpg.Connection, settings: Settings) -> list[Metric]:
    """Per source and stream: lag, rows, rejects, last run outcome and duration; per source:
    webhook deliveries by outcome and the last reconciliation."""
    now = datetime.now(UTC)
    sources = [s.name for s in settings.sources]
    lag = Metric("paysync_stream_lag_seconds", "gauge",
                 "Seconds between now and the stream's cursor (or its last success when it has none)")  # fmt: skip
    success = Metric("paysync_stream_last_success_timestamp_seconds", "gauge",
                     "When the stream last synced successfully (Unix time)")  # fmt: skip
    rows = Metric("paysync_stream_rows", "gauge", "Live (not deleted) records in the stream table")
    rejects = Metric("paysync_stream_rejects", "gauge", "Records kept in paysync.rejects")
    outcome = Metric("paysync_stream_last_run_outcome", "gauge",
                     "1 for the outcome of the last finished run that covered the stream")  # fmt: skip
    duration = Metric("paysync_stream_last_run_duration_seconds", "gauge",
                      "Duration of the last finished run that covered the stream")  # fmt: skip
    finished = Metric("paysync_stream_last_run_timestamp_seconds", "gauge",
                      "When the last run that covered the stream finished (Unix time)")  # fmt: skip
    hooks = Metric("paysync_webhook_deliveries_total", "counter",
                   "Webhook deliveries stored, by outcome (repeats of a key included)")  # fmt: skip
    recon = Metric("paysync_reconciliation_found", "gauge",
                   "Differences the last reconciliation found (labelled with its outcome)")  # fmt: skip
    rejected = {(r["source"], r["stream"]): r["n"] for r in await conn.fetch(REJECTS_SQL, sources)}
    for s in settings.sources:
        provider = connector(s.provider)
        for spec in provider.streams.values():
            rejects.add(rejected.get((s.name, spec.name), 0), source=s.name, stream=spec.name)
            n = await conn.fetchval(
                f"SELECT count(*) FROM {provider.provider}.{spec.name} "
                "WHERE source = $1 AND _deleted_at IS NULL",
                s.name,
            )
            rows.add(n, source=s.name, stream=spec.name)
    for r in await conn.fetch(STATE_SQL, sources):
        since = r["cursor"] or r["last_success_at"]
        if since is not None:
            lag.add((now - since).total_seconds(), source=r["source"], stream=r["stream"])
        if r["last_success_at"] is not None:
            success.add(r["last_success_at"].timestamp(), source=r["source"], stream=r["stream"])
    for r in await conn.fetch(LAST_RUN_SQL, sources):
        for name in OUTCOMES:
            outcome.add(r["outcome"] == name, source=r["source"], stream=r["stream"], outcome=name)
        duration.add(float(r["seconds"]), source=r["source"], stream=r["stream"])
        finished.add(float(r["finished"]), source=r["source"], stream=r["stream"])
    for r in await conn.fetch(WEBHOOKS_SQL, sources):
        hooks.add(r["n"], source=r["source"], outcome=r["outcome"])
    for r in await conn.fetch(RECON_SQL, sources):
        recon.add(r["found"], source=r["source"], outcome=r["outcome"])
    return [lag, success, rows, rejects, outcome, duration, finished, hooks, recon]
