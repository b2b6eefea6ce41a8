"""Whether a long window's listing covered its oldest part (a behaviour issue 14 did not name:
providers that cap a report's date range).

A server may answer a date range longer than it likes with only its newest part, silently. A
window whose oldest records were cut off that way commits without them and delete-marks every
record stored there: the run succeeds (measured: a full refresh behind ``--quirks
range_max_days=5`` marked 132 of 700 payments deleted, exit 0). The window's own listing cannot
tell (an empty stretch looks the same), so a window longer than a day reads one day of it
alone, one page (a range that short is served whole by any server capping ranges to a day or
more, INFERRED #157), and stops, named, with what to set (``sync.max_window_days``), when that
day lists records the window's listing lacks and the window listed again lacks them too (a
record created back-dated while the window was read is in the second listing). Which day:

- the day from the earliest stored record the listing lacks, where it is older than anything
  listed: delete-marking would mark it, so this is sound wherever records are stored (every
  re-read: lookback, open records, full refresh): a cut range is found before it deletes;
- else the window's oldest day, where the listing holds records but none in that day and no
  committed window covered that day yet (a re-read relies on the stored records: the idle run
  re-reads many long windows for their open records, and checking each cost 16 requests on 28
  in ``tests/test_sync_smarterpay.py``). On a first backfill this finds a cut only where
  records lie in that day, and not where the listing is empty (the newest days of the range
  held nothing): a stretch cut off that way loads short, unseen. INFERRED #157.

What it costs: nothing for windows of a day or less, or no longer than ``sync.max_window_days``
(the operator stated the provider's limit); two queries for the rest; one request where a day
must be read, which a listing reaching into its oldest day, or a window no longer than a
stretch the provider was seen to serve whole in this run (``PageSize.served_span``), spares.
Measured (emulators, 1,500 records each, documented behaviour, list and detail requests of a
first sync / the idle run after it): SmarterPay 582 / 28 against 532 / 28 without the check,
Smart2Pay 3,209 / 11 against 3,206 / 11.
"""

from __future__ import annotations

from contextlib import aclosing
from datetime import datetime, timedelta
from typing import Any, Protocol

import asyncpg

from connectors.errors import ContractChangedError
from connectors.streams import StreamSpec
from pipelines.load import loader
from pipelines.load.records import Page
from pipelines.sync.page_sizes import PageSize
from pipelines.sync.window import ZONE_SLACK

DAY = timedelta(days=1)
# A window's requests reach this much further than the window (the slack and the widening of
# both ends, with room to spare): a provider limiting ranges counts it.
REACH = 2 * (ZONE_SLACK + timedelta(minutes=1))


def longest_window(max_days: int) -> timedelta:
    """The longest window whose requests span at most ``max_days`` (``sync.max_window_days``)."""
    return max(timedelta(days=max_days) - REACH, timedelta(hours=1))


class Reader(Protocol):
    def pages(
        self, spec: StreamSpec, start: datetime | None, end: datetime | None,
        slack: bool = False, label: str | None = None,
    ) -> Any: ...  # fmt: skip


def needs_check(
    spec: StreamSpec, start: datetime, end: datetime, first: datetime | None, size: PageSize
) -> bool:
    """Whether the oldest day of ``[start, end)`` must be read alone (``first``: the earliest
    record the listing held, None when it held none or the stream has no cursor column). An
    empty listing is not checked: most long windows are empty stretches of a backfill, and
    checking each cost 353 requests on 532 (measured, SmarterPay emulator, 1,500 records)."""
    if first is None:
        return False
    if first < start + DAY:
        size.served_span = max(size.served_span, end - first)  # the provider served all that
        return False
    return end - start + REACH > size.served_span


async def guard(
    reader: Reader, conn: asyncpg.Connection, t: loader.Target, window: tuple[datetime, datetime],
    listed: loader.Census | None, size: PageSize, max_days: int | None,
) -> None:  # fmt: skip
    """The check for one window whose pages are staged (a window a day long or less costs
    nothing, not even the query for its earliest record); ``listed``: what the staged
    listing spans (None: the stream has no cursor column)."""
    start, end = window
    span = end - start
    if t.spec.window is None or span <= DAY:
        return
    if max_days is not None and span <= longest_window(max_days):
        return  # the operator stated the provider's limit
    first, day = None, None
    if t.spec.cursor_column and listed is not None:
        first = listed.first
        stored = await _oldest_unlisted(conn, t, start, end)
        if stored is not None and (first is None or stored < first):
            day = stored  # a stored record older than anything listed: deleted, or cut off?
    if day is None and needs_check(t.spec, start, end, first, size):
        if not await _read_before(conn, t, start):
            day = start
    if day is not None:
        await check_day(reader, conn, t.source, t.spec, (start, end), first, day)


async def _read_before(conn: asyncpg.Connection, t: loader.Target, start: datetime) -> bool:
    """Whether a committed window already covered the oldest day of a window starting at
    ``start``: a re-read (lookback, open records) relies on the stored records instead."""
    found = await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM paysync.sync_windows WHERE source = $1 AND stream = $2
               AND window_start < $4 AND window_end > $3)""",
        t.source, t.spec.name, start, start + DAY,
    )  # fmt: skip
    return bool(found)


async def _oldest_unlisted(
    conn: asyncpg.Connection, t: loader.Target, start: datetime, end: datetime
) -> datetime | None:
    """The earliest live stored record of the window the listing lacks (delete-marking would
    mark it deleted)."""
    cursor = t.spec.cursor_column
    found: datetime | None = await conn.fetchval(
        f"""SELECT min(r.{cursor}) FROM {t.sql.table} r WHERE r.source = $1
               AND r._deleted_at IS NULL AND r.{cursor} >= $2 AND r.{cursor} < $3
               AND NOT EXISTS (SELECT 1 FROM _stage s WHERE s.id = r.id)""",
        t.source, start, end,
    )  # fmt: skip
    return found


async def check_day(
    reader: Reader, conn: asyncpg.Connection, source: str, spec: StreamSpec,
    window: tuple[datetime, datetime], first: datetime | None, day: datetime,
) -> None:  # fmt: skip
    """Read the day from ``day`` alone (within the window); stop when it lists records the
    window's listing (staged in ``_stage``) lacks."""
    start, end = window
    label = f"window {start}..{end}, the day from {day} read alone"
    ids: list[str] = []
    pages = reader.pages(spec, day, min(end, day + DAY), False, label)
    async with aclosing(pages):
        page: Page
        async for page in pages:
            ids = [str(rid) for rid, _ in page.rows]
            break  # one page tells
    if not ids:
        return
    missing = await conn.fetch(
        "SELECT u.id FROM unnest($1::text[]) AS u(id)"
        " WHERE NOT EXISTS (SELECT 1 FROM _stage s WHERE s.id = u.id)",
        ids,
    )
    if not missing or await _arrived(reader, spec, window, {str(r["id"]) for r in missing}):
        return
    listed = f"nothing older than {first}" if first is not None else "nothing"
    raise ContractChangedError(
        f"source {source!r}, stream {spec.name}, window {start}..{end}: the provider listed "
        f"{listed} for this window, but the day from {day} read alone lists {len(missing)} "
        f"record(s) that listing lacks (e.g. {missing[0]['id']}): the provider seems to answer "
        "only the newest part of a long date range, so records would be missed and marked "
        "deleted; the window is not committed. Set sync.max_window_days (environment "
        "PAYSYNC_SYNC__MAX_WINDOW_DAYS) to a span the provider serves whole and run again"
    )


async def _arrived(
    reader: Reader, spec: StreamSpec, window: tuple[datetime, datetime], wanted: set[str]
) -> bool:
    """Whether the records the day listed and the window's listing lacked are in the window's
    listing now: created (back-dated) after it was read, not cut off (a cut range cuts them
    again). Read only where the day found such records, so rarely but for a cut range."""
    start, end = window
    pages = reader.pages(spec, start, end, False, f"window {start}..{end} listed again")
    async with aclosing(pages):
        page: Page
        async for page in pages:
            wanted -= {str(rid) for rid, _ in page.rows}
            if not wanted:
                return True
    return False
