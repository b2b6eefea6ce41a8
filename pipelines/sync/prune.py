"""Retention for paysync's own bookkeeping (``paysync db prune``): ``record_changes``,
``webhook_events``, ``rejects``, ``sync_runs`` and reconciliation runs older than the retention
are deleted, in batches (short transactions, no long lock on a busy table).

Never touched: the stream tables (every record ever loaded stays, deleted ones marked), the
window ledger and stream state (what is loaded), and, unless asked, the ``record_changes`` rows
that changed a stream's status column: they are the status history analysts query
(``analytics.payment_status_history``), one small row per transition. A sync run is kept while
anything still refers to it (a window, a stream's last run, drift first seen, kept changes or
rejects), and the latest reconciliation of every source is kept (``status`` and ``metrics``
report it).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import asyncpg

from connectors.registry import connector
from pipelines.errors import ConfigError
from pipelines.store.settings import Settings

BATCH = 10_000
# Smart2Pay resends an unanswered notification for 7 days; an event must outlive its resends
# so that a late repeat is still recognised as one (INFERRED margin: one day).
MIN_WEBHOOK_DAYS = 8


@dataclass(frozen=True)
class Retention:
    """Days to keep each kind of row (from ``paysync db prune`` options)."""

    changes_days: int = 400
    webhook_days: int = 30
    rejects_days: int = 90
    runs_days: int = 90
    keep_status_changes: bool = True

    def check(self) -> None:
        if self.webhook_days < MIN_WEBHOOK_DAYS:
            raise ConfigError(
                f"db prune: --webhook-days {self.webhook_days} is below {MIN_WEBHOOK_DAYS}: "
                "providers resend webhooks for 7 days, and a resend of a forgotten event "
                "would be applied again; use at least 8"
            )
        for name in ("changes_days", "rejects_days", "runs_days"):
            if getattr(self, name) < 1:
                raise ConfigError(f"db prune: --{name.replace('_', '-')} must be at least 1")


def status_fields(settings: Settings) -> list[tuple[str, str]]:
    """(stream, status column) for every stream of the configured providers that has one."""
    seen: set[tuple[str, str]] = set()
    for source in settings.sources:
        for spec in connector(source.provider).streams.values():
            if spec.status_column:
                seen.add((spec.name, spec.status_column))
    return sorted(seen)


def statements(retention: Retention, status: list[tuple[str, str]]) -> dict[str, str]:
    """Per table the DELETE of one batch; $1 is the cutoff time. Order matters: runs last."""
    keep_status = ""
    if retention.keep_status_changes and status:
        pairs = ", ".join(f"('{s}', '{c}')" for s, c in status)  # from stream specs, not input
        keep_status = f"""AND NOT EXISTS (SELECT 1 FROM (VALUES {pairs}) AS k(stream, field)
              WHERE k.stream = c.stream AND k.field = ANY(c.changed_fields))"""
    return {
        "record_changes": f"""DELETE FROM paysync.record_changes WHERE change_id IN (
            SELECT change_id FROM paysync.record_changes c WHERE c.changed_at < $1 {keep_status}
            LIMIT {BATCH})""",
        "webhook_events": f"""DELETE FROM paysync.webhook_events WHERE event_id IN (
            SELECT event_id FROM paysync.webhook_events WHERE received_at < $1 LIMIT {BATCH})""",
        "rejects": f"""DELETE FROM paysync.rejects WHERE reject_id IN (
            SELECT reject_id FROM paysync.rejects WHERE received_at < $1 LIMIT {BATCH})""",
        "reconciliation_runs": f"""DELETE FROM paysync.reconciliation_runs WHERE recon_id IN (
            SELECT recon_id FROM paysync.reconciliation_runs r WHERE r.started_at < $1
              AND r.finished_at IS NOT NULL
              AND EXISTS (SELECT 1 FROM paysync.reconciliation_runs n
                          WHERE n.recon_id > r.recon_id AND n.finished_at IS NOT NULL
                            AND n.sources @> r.sources)
            LIMIT {BATCH})""",
        "sync_runs": f"""DELETE FROM paysync.sync_runs WHERE run_id IN (
            SELECT run_id FROM paysync.sync_runs r WHERE r.started_at < $1
              AND r.finished_at IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM paysync.sync_windows w WHERE w.run_id = r.run_id)
              AND NOT EXISTS (SELECT 1 FROM paysync.stream_state s WHERE s.last_run_id = r.run_id)
              AND NOT EXISTS (SELECT 1 FROM paysync.schema_drift d WHERE d.first_run_id = r.run_id)
              AND NOT EXISTS (SELECT 1 FROM paysync.record_changes c WHERE c.run_id = r.run_id)
              AND NOT EXISTS (SELECT 1 FROM paysync.rejects j WHERE j.run_id = r.run_id)
            LIMIT {BATCH})""",
    }


def cutoffs(retention: Retention, now: datetime) -> dict[str, datetime]:
    return {
        "record_changes": now - timedelta(days=retention.changes_days),
        "webhook_events": now - timedelta(days=retention.webhook_days),
        "rejects": now - timedelta(days=retention.rejects_days),
        "reconciliation_runs": now - timedelta(days=retention.runs_days),
        "sync_runs": now - timedelta(days=retention.runs_days),
    }


async def prune(
    conn: asyncpg.Connection, settings: Settings, retention: Retention, now: datetime,
    dry_run: bool = False,
) -> dict[str, int]:  # fmt: skip
    """Rows deleted per table (with ``dry_run``: rows that would be, nothing deleted)."""
    retention.check()
    found: dict[str, int] = {}
    limits = cutoffs(retention, now)
    for table, sql in statements(retention, status_fields(settings)).items():
        found[table] = 0
        if dry_run:
            # the same selection, counted (sync_runs: before the changes it waits on are gone)
            counted = sql.replace(f"LIMIT {BATCH}", "").replace(
                f"DELETE FROM paysync.{table} WHERE", f"SELECT count(*) FROM paysync.{table} WHERE"
            )
            found[table] = int(await conn.fetchval(counted, limits[table]))
            continue
        while True:
            async with conn.transaction():
                status = await conn.execute(sql, limits[table])
            deleted = int(status.split()[-1])
            found[table] += deleted
            if deleted < BATCH:
                break
    return found
