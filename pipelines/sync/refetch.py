"""Drain ``paysync.refetch_queue``: fetch each queued record by id (or a parent's children),
merge it, and dequeue it, in one transaction per batch (docs/architecture.md, mutable records).

A record whose fetched version is rejected stays queued, marked with the run that tried it and
why: this run moves on, the next run tries again, and ``paysync status`` shows it as owed
(``paysync.give_up_rejects`` stops owing it)."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import asyncpg

from connectors.errors import ProviderRequestError
from connectors.http import HttpClient
from connectors.streams import Connector, StreamSpec
from pipelines.load import loader
from pipelines.load.merge_sql import StreamSql
from pipelines.load.records import Page, Reject, split_page
from pipelines.sync.counting import book_to
from pipelines.sync.runs import RunReport, StreamReport

BATCH = 200


@dataclass(frozen=True)
class Fetcher:
    """What draining one source's queue needs: the engine and the webhook receiver build one."""

    pool: asyncpg.Pool
    source: str
    connector: Connector
    sql: dict[str, StreamSql]
    http: HttpClient
    timezone: str = "UTC"  # the source's: times without a zone in its records mean this zone


async def drain(sync: Fetcher, report: RunReport) -> None:
    async with sync.pool.acquire() as conn:
        for spec in sync.connector.streams.values():
            target = loader.Target(sync.source, spec, sync.sql[spec.name], report.run_id)
            await loader.drop_satisfied(conn, target)
            await loader.requeue_open_children(conn, target)
    while True:
        async with sync.pool.acquire() as conn, conn.transaction():
            rows = await conn.fetch(
                """SELECT stream, record_id FROM paysync.refetch_queue WHERE source = $1
                   AND tried_run_id IS DISTINCT FROM $3
                   ORDER BY queued_at, stream, record_id LIMIT $2 FOR UPDATE SKIP LOCKED""",
                sync.source, BATCH, report.run_id,
            )  # fmt: skip
            if not rows:
                return
            await loader.use_zone(conn, sync.timezone)
            groups: dict[str, list[str]] = defaultdict(list)
            for row in rows:
                groups[row["stream"]].append(row["record_id"])
            for stream, ids in groups.items():
                found = sync.connector.streams.get(stream)
                failed = await _refetch(sync, conn, found, ids, report) if found else {}
                await conn.execute(
                    "DELETE FROM paysync.refetch_queue WHERE source = $1 AND stream = $2 AND record_id = ANY($3::text[])",
                    sync.source, stream, [i for i in ids if i not in failed],
                )  # fmt: skip
                await conn.execute(
                    """UPDATE paysync.refetch_queue SET tried_run_id = $3, last_error = u.error
                       FROM unnest($4::text[], $5::text[]) AS u(id, error)
                       WHERE source = $1 AND stream = $2 AND record_id = u.id""",
                    sync.source, stream, report.run_id, list(failed), list(failed.values()),
                )  # fmt: skip


async def _refetch(
    sync: Fetcher, conn: asyncpg.Connection, spec: StreamSpec, ids: list[str], report: RunReport
) -> dict[str, str]:
    """Fetch and merge; the ids whose fetched records were rejected, with the first error."""
    # booked to the stream re-fetched (hydration, feed, children), not the one that queued it
    stream = report.streams.setdefault(spec.name, StreamReport(spec.name))
    book_to(stream.counts)
    requested_at = datetime.now(UTC)
    fetched = await asyncio.gather(*(fetch_by_id(sync.http, spec, record_id) for record_id in ids))
    rows: list[tuple[str, str]] = []
    rejects: list[Reject] = []
    failed: dict[str, str] = {}
    for record_id, batch in zip(ids, fetched, strict=True):
        good, bad, _ = split_page(spec, batch)  # per queued id: a reject keeps its entry queued
        rows.extend(good)
        rejects.extend(bad)
        if bad:
            failed[record_id] = bad[0].error
    target = loader.Target(sync.source, spec, sync.sql[spec.name], report.run_id)
    result = loader.LoadResult()

    async def one_page() -> AsyncIterator[Page]:
        yield Page(rows, rejects, requested_at)

    await loader.stage_pages(conn, target, one_page(), result)
    await loader.merge_stage(conn, target, result)
    for child in sync.connector.streams.values():
        if child.parent == spec.name:
            await loader.enqueue_children(conn, target, child, result.new_ids + result.changed_ids)
    for counts in (stream.counts, report.counts):
        counts.records_read += result.records
        counts.records_inserted += result.inserted
        counts.records_changed += result.changed
        counts.records_rejected += result.rejected
    return failed


async def fetch_by_id(http: HttpClient, spec: StreamSpec, record_id: str) -> list[Any]:
    """The record (or a parent's children) as the provider holds it now; [] when gone."""
    path = spec.child_path if spec.parent else spec.detail_path
    if path is None:
        return []  # no detail endpoint: the next full read of its window picks it up
    try:
        body = await http.get_json(path.format(id=record_id))
    except ProviderRequestError as exc:
        if exc.status == 404:
            return []
        raise
    key = spec.envelope if spec.parent else (spec.detail_envelope or spec.envelope)
    found = body.get(key)
    items = found if isinstance(found, list) else [found] if isinstance(found, dict) else []
    if spec.parent and spec.child_parent_column and not spec.parent_ref:
        column = next(c for c in spec.columns if c.name == spec.child_parent_column)
        for item in items:
            if isinstance(item, dict):
                item.setdefault(column.path[0], record_id)  # the API omits the parent's id
    return items
