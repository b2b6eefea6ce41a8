"""``paysync.sync_runs``, ``stream_state`` and the window ledger: what ran and what is done.

A live run holds an advisory lock keyed by its run id on a connection of its own
(``RunLease``). A killed process loses its connection and so the lock: the next run (or
``paysync status``) marks every 'running' run without a holder 'abandoned'
(``paysync.mark_abandoned()``, sql/migrations/0008).
"""

from __future__ import annotations

import os
import socket
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime
from typing import Any

import asyncpg

from pipelines.store.db import lost_database
from pipelines.sync.window import DoneWindow


@dataclass
class RunCounts:
    windows: int = 0
    pages: int = 0
    requests: int = 0
    retries: int = 0
    records_read: int = 0
    records_inserted: int = 0
    records_changed: int = 0
    records_deleted: int = 0
    records_rejected: int = 0

    def add(self, other: RunCounts) -> None:
        for f in fields(self):
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class StreamReport:
    name: str
    counts: RunCounts = field(default_factory=RunCounts)
    seconds_total: float = 0.0
    seconds_done: float = 0.0
    error: str | None = None


@dataclass
class RunReport:
    source: str
    run_id: int
    outcome: str = "running"
    streams: dict[str, StreamReport] = field(default_factory=dict)
    counts: RunCounts = field(default_factory=RunCounts)
    error: str | None = None


Progress = Callable[[RunReport, StreamReport], None]
RUN_LOCK_CLASS = 17017  # first key of a run's advisory lock (the second is its run id)


async def mark_abandoned(conn: asyncpg.Connection) -> int:
    """Runs left 'running' by a process that died: marked 'abandoned'; how many."""
    return int(await conn.fetchval("SELECT paysync.mark_abandoned()"))


class RunLease:
    """Starts runs and holds their locks on one pooled connection kept for their lifetime
    (returned to the pool, a connection is reset and its advisory locks released)."""

    def __init__(self, pool: asyncpg.Pool) -> None:
        self.pool = pool
        self.conn: asyncpg.Connection | None = None
        self.runs: list[int] = []

    async def start(self, kind: str, source: str, streams: list[str], **kw: Any) -> int:
        if self.conn is None:
            self.conn = await self.pool.acquire()
        run_id = await start_run(self.conn, kind, source, streams, lease=True, **kw)
        self.runs.append(run_id)
        return run_id

    async def release(self) -> None:
        """Best effort: a lost connection has released the locks already."""
        conn, self.conn = self.conn, None
        runs, self.runs = self.runs, []
        if conn is None:
            return
        try:
            for run_id in runs:
                await conn.execute("SELECT pg_advisory_unlock($1, $2)", RUN_LOCK_CLASS, run_id)
        except Exception as exc:
            if lost_database(exc) is None:
                raise
        try:
            await self.pool.release(conn, timeout=5)
        except Exception as exc:  # the pool discards a broken connection
            if lost_database(exc) is None:
                raise


async def start_run(
    conn: asyncpg.Connection,
    kind: str,
    source: str,
    streams: list[str],
    range_from: datetime | None = None,
    range_to: datetime | None = None,
    flow_run_id: str | None = None,
    lease: bool = False,
) -> int:
    """A new 'running' run. ``lease``: its lock is taken on ``conn`` in the same transaction
    as the row, so nobody sees it running without a holder; keep ``conn`` until it ends."""
    async with conn.transaction():
        await mark_abandoned(conn)  # earlier runs whose process died
        run_id = int(
            await conn.fetchval(
                """INSERT INTO paysync.sync_runs
                   (kind, source, streams, range_from, range_to, host, pid, flow_run_id, leased)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING run_id""",
                kind, source, streams, range_from, range_to, socket.gethostname(), os.getpid(),
                flow_run_id, lease,
            )
        )  # fmt: skip
        if lease:
            await conn.execute("SELECT pg_advisory_lock($1, $2)", RUN_LOCK_CLASS, run_id)
    return run_id


async def finish_run(
    conn: asyncpg.Connection,
    run_id: int,
    outcome: str,
    counts: RunCounts,
    error: str | None = None,
    details: dict[str, object] | None = None,
) -> None:
    values = asdict(counts)
    assignments = ", ".join(f"{name} = ${i + 5}" for i, name in enumerate(values))
    await conn.execute(
        f"""UPDATE paysync.sync_runs SET finished_at = now(), outcome = $2, error = $3,
            details = $4::jsonb, {assignments} WHERE run_id = $1""",
        run_id, outcome, error, _json(details or {}), *values.values(),
    )  # fmt: skip
    # The stream tables' triggers append one count row per writing statement; fold them.
    await conn.execute("SELECT paysync.compact_row_counts()")


async def done_windows(conn: asyncpg.Connection, source: str, stream: str) -> list[DoneWindow]:
    rows = await conn.fetch(
        """SELECT window_start, window_end, open_records, rejected FROM paysync.sync_windows
           WHERE source = $1 AND stream = $2 ORDER BY window_start""",
        source, stream,
    )  # fmt: skip
    return [
        DoneWindow(r["window_start"], r["window_end"], r["open_records"], r["rejected"])
        for r in rows
    ]


async def stream_success(
    conn: asyncpg.Connection, source: str, stream: str, run_id: int, cursor: datetime | None
) -> None:
    """Mark a stream synced; the cursor only ever moves forward (a backfill cannot rewind it)."""
    await conn.execute(
        """INSERT INTO paysync.stream_state (source, stream, cursor, last_run_id, last_success_at)
           VALUES ($1, $2, $3, $4, now())
           ON CONFLICT (source, stream) DO UPDATE SET
               cursor = GREATEST(paysync.stream_state.cursor, excluded.cursor),
               last_run_id = excluded.last_run_id, last_success_at = now()""",
        source, stream, cursor, run_id,
    )  # fmt: skip


def _json(value: dict[str, object]) -> str:
    import orjson

    return orjson.dumps(value, default=str).decode()
