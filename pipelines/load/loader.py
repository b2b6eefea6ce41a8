"""Load a window (or a batch of records fetched by id) in one transaction.

COPY into a temporary staging table as pages arrive, merge, mark what vanished, record drift,
rejects and the window itself in ``paysync.sync_windows``, commit. A crash loses at most the
open transaction, which the next run repeats.

Where PostgreSQL's time goes per staged record (issue 15, ``bench/merge_profile.py``): the merge
(merge_sql), then the COPY into ``_stage`` (jsonb parsing), then ``trim_to_window``; the other
statements of a window are small. The transaction's ``work_mem`` keeps a window in memory.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from connectors.errors import ContractChangedError
from connectors.streams import StreamSpec
from pipelines.load.merge_sql import StreamSql, projection
from pipelines.load.records import Page, Reject, ShapeDrift

# fetched_at: when the page's request was sent (the version time of its records); writers
# that only know "now" (reconcile) leave the default.
# The merge's CTEs and sorts hold a window's records (raw included) at once: with the default
# 4MB a window of ~1,000 payments spilled to temporary files (~1.8MB written per merge). A window
# stays a few MB (window.WindowSizer splits dense ones), so 32MB keeps it in memory; the
# setting ends with the transaction.
WORK_MEM = "32MB"
STAGE = f"""SET LOCAL work_mem = '{WORK_MEM}';
CREATE TEMP TABLE IF NOT EXISTS _stage (seq integer, id text, raw jsonb,
    fetched_at timestamptz NOT NULL DEFAULT clock_timestamp()) ON COMMIT DROP;
TRUNCATE _stage"""
STAGE_COLUMNS = ["seq", "id", "raw", "fetched_at"]
# Event-time resolution (1 s) plus clock skew tolerated between provider and paysync.
FEED_MARGIN = timedelta(seconds=2)
# A record listed this far outside the window its filter asked for (requests reach an hour past
# the ends; zones disagree by 14 hours at most) was not filtered on its cursor at all: the
# provider ignores the date filter or applies it to another field (updated, not created). Such
# a record may be listed only in windows its cursor is not in, and trimmed from all of them
# (issue 14, a behaviour not named; INFERRED #150).
FILTER_MISS = timedelta(days=1)


@dataclass
class LoadResult:
    pages: int = 0
    records: int = 0
    inserted: int = 0
    changed: int = 0
    deleted: int = 0
    rejected: int = 0
    open_records: int = 0
    last_page_items: int = 0
    new_ids: list[str] = field(default_factory=list)
    changed_ids: list[str] = field(default_factory=list)
    skipped: bool = False  # another process holds this window
    slack: bool = False  # its filter reached an hour past both ends (window.ZONE_SLACK)


@dataclass(frozen=True)
class Target:
    source: str
    spec: StreamSpec
    sql: StreamSql
    run_id: int


async def use_zone(conn: asyncpg.Connection, zone: str) -> None:
    """Times without a zone in the records this transaction projects are read in ``zone``
    (the source's ``timezone``; ``paysync.to_ts``, migration 0011). Transaction-local: one
    pool serves sources in different zones."""
    await conn.execute("SELECT set_config('paysync.source_timezone', $1, true)", zone)


async def lock_window(
    conn: asyncpg.Connection, t: Target, start: datetime | None, end: datetime | None
) -> bool:
    """Transaction-scoped lock so two runs never load the same window at once."""
    return bool(
        await conn.fetchval(
            "SELECT pg_try_advisory_xact_lock(hashtext($1), hashtext($2))",
            f"{t.source}/{t.spec.name}",
            f"{start.isoformat() if start else '-'}/{end.isoformat() if end else '-'}",
        )
    )


async def stage_pages(
    conn: asyncpg.Connection,
    t: Target,
    pages: AsyncIterator[Page],
    result: LoadResult,
    window: tuple[datetime | None, datetime | None] = (None, None),
    append: bool = False,
) -> list[Reject]:
    """Stage the pages' records in ``_stage`` (``append``: after those staged already, which a
    record staged again supersedes) and save their rejects."""
    if append:
        seq = await conn.fetchval("SELECT coalesce(max(seq) + 1, 0) FROM _stage")
    else:
        await conn.execute(STAGE)
        seq = 0
    rejects: list[Reject] = []
    async for page in pages:
        rows, page_rejects, fetched_at = page.rows, page.rejects, page.fetched_at
        result.pages += 1
        if page.drift:
            await save_shape_drift(conn, t, page.drift)
        result.last_page_items = len(rows) + len(page_rejects)
        result.records += result.last_page_items
        if rows:
            await conn.copy_records_to_table(
                "_stage", columns=STAGE_COLUMNS,
                records=[(seq + i, rid, raw, fetched_at) for i, (rid, raw) in enumerate(rows)],
            )  # fmt: skip
            seq += len(rows)
        rejects.extend(page_rejects)
    await save_rejects(conn, t, rejects, window)
    result.rejected += len(rejects)
    return rejects


@dataclass(frozen=True)
class Census:
    """What a window's staged records span (cursors read as the merge reads them)."""

    first: Any  # earliest and latest cursor staged (None: none readable)
    last: Any
    inside: int  # staged records whose cursor lies in the window
    first_inside: Any
    last_inside: Any


async def unlisted_between(conn: asyncpg.Connection, t: Target, lo: datetime, hi: datetime) -> bool:
    """Whether a live stored record with its cursor in ``[lo, hi)`` is missing from the staged
    listing: one delete-marking would mark deleted (``pipelines/sync/edges.py``)."""
    cursor = t.spec.cursor_column
    found = await conn.fetchval(
        f"""SELECT EXISTS (SELECT 1 FROM {t.sql.table} r WHERE r.source = $1
               AND r._deleted_at IS NULL AND r.{cursor} >= $2 AND r.{cursor} < $3
               AND NOT EXISTS (SELECT 1 FROM _stage s WHERE s.id = r.id))""",
        t.source, lo, hi,
    )  # fmt: skip
    return bool(found)


async def census(conn: asyncpg.Connection, t: Target, start: datetime, end: datetime) -> Census:
    """One pass over ``_stage``: whether a window's listing reached its ends, and what reading
    past them cost (``pipelines/sync/edges.py``)."""
    column = next(c for c in t.spec.columns if c.name == t.spec.cursor_column)
    row = await conn.fetchrow(
        f"""SELECT min(at) AS first, max(at) AS last,
                   count(DISTINCT id) FILTER (WHERE at >= $1 AND at < $2) AS inside,
                   min(at) FILTER (WHERE at >= $1 AND at < $2) AS first_inside,
                   max(at) FILTER (WHERE at >= $1 AND at < $2) AS last_inside
            FROM (SELECT id, {projection(column)} AS at FROM _stage) s""",
        start, end,
    )  # fmt: skip
    assert row is not None
    return Census(row["first"], row["last"], row["inside"], row["first_inside"], row["last_inside"])


async def trim_to_window(
    conn: asyncpg.Connection, t: Target, start: datetime, end: datetime
) -> None:
    """Drop staged records whose cursor lies outside ``[start, end)``: the window's requests
    may reach past its ends (``window.ZONE_SLACK``, ``edges.bands``), but those records are their own window's to
    load, so two windows loading at once never both insert (and count) the same record."""
    column = next(c for c in t.spec.columns if c.name == t.spec.cursor_column)
    cursor = projection(column)
    # One projection per kept record (``a < $1 OR a >= $2`` projected it twice). A cursor that
    # cannot be read (NULL) stays: NOT (NULL <@ range) is NULL.
    far = await conn.fetchrow(
        f"""WITH gone AS (DELETE FROM _stage WHERE NOT ({cursor} <@ tstzrange($1, $2, '[)'))
                          RETURNING {cursor} AS at)
            SELECT count(*) AS n, min(at) AS first, max(at) AS last FROM gone
            WHERE at < $1 - $3::interval OR at >= $2 + $3::interval""",
        start, end, FILTER_MISS,
    )  # fmt: skip
    if far is not None and far["n"]:
        raise ContractChangedError(
            f"source {t.source!r}, stream {t.spec.name}, window {start}..{end}: the provider "
            f"listed {far['n']} records created far outside the window asked for (from "
            f"{far['first']} to {far['last']}), so its date filter is ignored or applies to "
            "another field, and records could be missed; the window is not committed. Check "
            f"the {t.spec.name} date filter parameters against the provider's documentation"
        )


async def save_shape_drift(conn: asyncpg.Connection, t: Target, drift: list[ShapeDrift]) -> None:
    """Fields of another shape in records that loaded anyway: reported once each, with an example."""
    await conn.executemany(
        """INSERT INTO paysync.schema_drift (source, stream, field_path, first_run_id, example)
           VALUES ($1, $2, $3, $4, jsonb_build_object('unreadable_value', $5::jsonb))
           ON CONFLICT DO NOTHING""",
        [(t.source, t.spec.name, d.field_path, t.run_id, d.example) for d in drift],
    )


async def save_rejects(
    conn: asyncpg.Connection,
    t: Target,
    rejects: Iterable[Reject],
    window: tuple[datetime | None, datetime | None] = (None, None),
) -> None:
    rows = [
        (t.source, t.spec.name, r.record_id, t.run_id, window[0], window[1], r.raw, r.error)
        for r in rejects
    ]
    if rows:
        await conn.copy_records_to_table(
            "rejects", schema_name="paysync", records=rows,
            columns=["source", "stream", "record_id", "run_id", "window_start", "window_end", "raw", "error"],
        )  # fmt: skip


async def merge_stage(conn: asyncpg.Connection, t: Target, result: LoadResult) -> None:
    row = await conn.fetchrow(t.sql.merge, t.source, t.spec.name, t.run_id)
    assert row is not None
    result.inserted += row["inserted"]
    result.changed += row["changed"]
    result.new_ids.extend(row["new_ids"])
    result.changed_ids.extend(row["changed_ids"])
    await conn.execute(t.sql.drift, t.source, t.spec.name, t.run_id, sorted(t.spec.known_keys))


async def changed_summaries(conn: asyncpg.Connection, t: Target) -> list[str]:
    return [r["id"] for r in await conn.fetch(t.sql.changed_summaries, t.source)]


async def mark_deleted(
    conn: asyncpg.Connection,
    t: Target,
    rejects: list[Reject],
    start: datetime | None,
    end: datetime | None,
) -> int:
    """Records of a fully re-read window that the provider no longer lists."""
    if any(r.record_id is None for r in rejects):
        return 0  # an unidentifiable reject could be any of them: mark nothing
    keep = [r.record_id for r in rejects if r.record_id]
    if t.spec.window is None:
        status = await conn.execute(t.sql.mark_deleted_all, t.source, t.spec.name, t.run_id, keep)
    elif t.spec.cursor_column and start and end:
        status = await conn.execute(
            t.sql.mark_deleted, t.source, t.spec.name, t.run_id, start, end, keep
        )
    else:
        return 0
    return int(status.split()[-1])


async def count_stored(conn: asyncpg.Connection, t: Target) -> int:
    """The source's records of the stream the table holds (not marked deleted)."""
    query = f"SELECT count(*) FROM {t.sql.table} WHERE source = $1 AND _deleted_at IS NULL"
    return int(await conn.fetchval(query, t.source))


async def count_open(conn: asyncpg.Connection, spec: StreamSpec) -> int:
    """Staged records in a non-final status: their window must be read again later."""
    if not spec.status_column or not spec.open_statuses:
        return 0
    column = next(c for c in spec.columns if c.name == spec.status_column)
    return int(
        await conn.fetchval(
            f"SELECT count(*) FROM _stage WHERE ({projection(column)})::text = ANY($1::text[])",
            sorted(spec.open_statuses),
        )
    )


async def owed_rejects(conn: asyncpg.Connection, t: Target, rejects: list[Reject]) -> int:
    """Rejects the window still owes: all but records an operator gave up on."""
    ids = [r.record_id for r in rejects if r.record_id is not None]
    given_up = await conn.fetchval(
        """SELECT count(DISTINCT record_id) FROM paysync.rejects WHERE source = $1
           AND stream = $2 AND record_id = ANY($3::text[]) AND given_up_at IS NOT NULL""",
        t.source, t.spec.name, ids,
    ) if ids else 0  # fmt: skip
    return len(rejects) - int(given_up)


async def record_window(
    conn: asyncpg.Connection, t: Target, start: datetime, end: datetime, result: LoadResult,
    owed: int = 0,
) -> None:  # fmt: skip
    """The window is read; older ledger entries it covers are folded into it. ``owed``
    rejected records keep it owed: every run reads it again until they load."""
    await conn.execute(
        """DELETE FROM paysync.sync_windows WHERE source = $1 AND stream = $2
           AND window_start >= $3 AND window_end <= $4""",
        t.source, t.spec.name, start, end,
    )  # fmt: skip
    await conn.execute(
        """INSERT INTO paysync.sync_windows
           (source, stream, window_start, window_end, run_id, pages, records, open_records,
            rejected)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)""",
        t.source, t.spec.name, start, end, t.run_id, result.pages, result.records,
        result.open_records, owed,
    )  # fmt: skip


async def enqueue(
    conn: asyncpg.Connection,
    source: str,
    stream: str,
    ids: Iterable[str],
    reason: str,
    event_at: Iterable[datetime | None] | None = None,
) -> None:
    """Queue records to fetch by id. Only a 'feed' entry may be dropped unfetched (when the
    record was read after its event); any other reason must fetch, so it wins a conflict and
    clears the event time (a webhook for a record whose feed entry waits is applied)."""
    ids = list(ids)
    times = list(event_at) if event_at is not None else [None] * len(ids)
    if ids:
        # ORDER BY: rows are locked in one order, so concurrent windows naming the same
        # records cannot deadlock.
        await conn.execute(
            """INSERT INTO paysync.refetch_queue AS q (source, stream, record_id, reason, event_at)
               SELECT $1, $2, i, $4, e FROM unnest($3::text[], $5::timestamptz[]) AS u(i, e) ORDER BY i
               ON CONFLICT (source, stream, record_id) DO UPDATE
               SET reason = CASE WHEN q.reason = 'feed' THEN excluded.reason ELSE q.reason END,
                   event_at = CASE WHEN q.reason = 'feed' AND excluded.reason = 'feed'
                                   THEN GREATEST(q.event_at, excluded.event_at) END,
                   tried_run_id = NULL""",
            source, stream, ids, reason, times,
        )  # fmt: skip


async def enqueue_children(
    conn: asyncpg.Connection, t: Target, child: StreamSpec, parent_ids: list[str],
    stored_too: bool = False,
) -> None:  # fmt: skip
    """Queue ``child`` records of these (merged) parents: per parent id, or, for a child the
    parent names by its own id (``parent_ref``), the ids the parents name that are not stored
    yet (a parent's status change says nothing of the record it names; ``stored_too``: a full
    re-read, which reads them all)."""
    ids = parent_ids
    if child.parent_ref and parent_ids:
        child_table = f"{t.sql.table.split('.')[0]}.{child.name}"
        rows = await conn.fetch(
            f"""SELECT DISTINCT p.{child.parent_ref} AS ref FROM {t.sql.table} p
                WHERE p.source = $1 AND p.id = ANY($2::text[]) AND p.{child.parent_ref} IS NOT NULL
                  AND ($3 OR NOT EXISTS (SELECT 1 FROM {child_table} c
                                         WHERE c.source = p.source AND c.id = p.{child.parent_ref}))""",
            t.source, parent_ids, stored_too,
        )  # fmt: skip
        ids = [r["ref"] for r in rows]
    await enqueue(conn, t.source, child.name, ids, "children")


async def drop_satisfied(conn: asyncpg.Connection, t: Target) -> None:
    """Feed entries whose stored version was read (requested) after the event: nothing new to
    fetch. A version of unknown read time (NULL) is fetched again. The provider's event times
    have one-second resolution (an event at 12:00:00.9 reads 12:00:00) and come from another
    clock, so a read counts as after the event only ``FEED_MARGIN`` later: a read in the same
    second as the event was seen dropping the change."""
    await conn.execute(
        f"""DELETE FROM paysync.refetch_queue q USING {t.sql.table} r
            WHERE q.source = $1 AND q.stream = $2 AND q.reason = 'feed'
              AND r.source = q.source AND r.id = q.record_id
              AND r._fetched_at >= q.event_at + $3::interval""",
        t.source, t.spec.name, FEED_MARGIN,
    )  # fmt: skip


async def requeue_open_children(conn: asyncpg.Connection, t: Target) -> None:
    """Parents with a child still in flight: read their children again (a refund can settle
    while its payment does not change)."""
    spec = t.spec
    if not (spec.parent and spec.child_parent_column and spec.status_column and spec.open_statuses):
        return
    await conn.execute(
        f"""INSERT INTO paysync.refetch_queue (source, stream, record_id, reason)
            SELECT DISTINCT $1, $2, {spec.child_parent_column}, 'children' FROM {t.sql.table}
            WHERE source = $1 AND _deleted_at IS NULL AND {spec.child_parent_column} IS NOT NULL
              AND {spec.status_column}::text = ANY($3::text[])
            ON CONFLICT DO NOTHING""",
        t.source, spec.name, sorted(spec.open_statuses),
    )  # fmt: skip
