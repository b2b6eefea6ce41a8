"""Reading one window into PostgreSQL (docs/architecture.md): its pages, proven complete by the
pager, its ends (read past with the slack, proven, or read again: ``edges.py``), staged, trimmed
to the window, merged, delete-marked and recorded in the ledger, all in one transaction.
``SourceSync`` (``engine.py``) schedules windows; this is what it does with each one."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from datetime import datetime, timedelta
from functools import partial
from typing import Any

import asyncpg

from connectors.errors import ContractChangedError
from connectors.http import HttpClient
from connectors.streams import Connector, StreamSpec
from pipelines.load import loader
from pipelines.load.merge_sql import StreamSql, projection
from pipelines.load.records import Page, Reject
from pipelines.store.settings import SourceBase, SyncSettings
from pipelines.sync import edges, ranges
from pipelines.sync.ahead import Lanes
from pipelines.sync.page_sizes import PageSizes
from pipelines.sync.pager import Pager
from pipelines.sync.plan import SyncRequest
from pipelines.sync.window import ZONE_SLACK, filter_params

MIN_REJECTS_TO_STOP = 3
log = logging.getLogger("paysync.sync")


class WindowReader:
    """What a source's sync does with one window (mixed into ``engine.SourceSync``)."""

    pool: asyncpg.Pool
    source: SourceBase
    connector: Connector
    settings: SyncSettings
    request: SyncRequest
    sql: dict[str, StreamSql]
    page_sizes: PageSizes
    density: edges.Density
    costs: edges.Costs
    lanes: Lanes
    http: HttpClient
    zone_hinted: bool

    async def load_window(
        self, spec: StreamSpec, window: tuple[datetime, datetime] | None, run_id: int,
        paged: Callable[[loader.LoadResult], None] | None = None, reopened: bool = False,
        frontier: bool = False,
    ) -> loader.LoadResult:  # fmt: skip
        """One window in one transaction; ``paged`` is called once its pages are all read and
        staged, before the merge. ``reopened``: a done window read again for its open records.
        ``frontier``: the window ends where the run's reading ends (the present, less the lag):
        a sparse stream's reaches an hour past that end (``past_end``), where nothing but the
        lag's records lies yet, so its end is covered whatever zone the provider means, for
        nothing where its last page has room; proving that end cost a band request on every
        run of a stream whose newest record is more than a quarter hour old (make bench, idle
        run). A dense stream's proves it from its listing, as any window's end."""
        start, end = window or (None, None)
        target = loader.Target(self.source.name, spec, self.sql[spec.name], run_id)
        result = loader.LoadResult()
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                if not await loader.lock_window(conn, target, start, end):
                    result.skipped = True
                    return result
                await loader.use_zone(conn, self.source.timezone)
                slack = result.slack = not reopened and self._slack(spec, start, end)
                # A dense stream proves that end from its listing, its filter ending in the
                # past (records created while it is paged stay out of it: docs/architecture.md);
                # a sparse one, whose newest record is often more than a quarter hour old,
                # reads past it (review: past the end on a busy Smart2Pay stream, arrivals
                # made its totals disagree and the stream stopped every run)
                past_end = (
                    frontier and not slack and bool(spec.cursor_column)
                    and edges.ends_often_unproven(self.density.per_hour(spec.name))
                )  # fmt: skip
                # a whole list holds about what it held last time: that many pages are asked
                # ahead, not a guess past its end (make bench: payment links, 3 a run)
                stored = await loader.count_stored(conn, target) if window is None else None
                pages = self.pages(spec, start, end, slack, stored=stored, past_end=past_end)
                rejects = await loader.stage_pages(conn, target, pages, result, (start, end))
                if paged is not None:
                    paged(result)  # the sizer and the worker: an end read again is a request or two
                if start is not None and end is not None and spec.window is not None:
                    listed = _listed(spec, start, end, slack).total_seconds()
                    self.density.observe(spec.name, result.records, listed)
                seen = None  # what the listing spans: one pass over the stage for both uses
                if start is not None and end is not None and spec.cursor_column:
                    seen = await loader.census(conn, target, start, end)
                if start is not None and end is not None:  # a date range cut short?
                    size, longest = self.page_sizes.get(spec), self.settings.max_window_days
                    await ranges.guard(self, conn, target, (start, end), seen, size, longest)
                if start is not None and end is not None and seen is not None:
                    rejects += await self._ends(
                        conn, target, start, end, seen, slack, result, rejects, reopened,
                        frontier, past_end,
                    )  # fmt: skip
                    await loader.trim_to_window(conn, target, start, end)
                self._check_rejects(spec, result, rejects, start, end)
                await self._merge_window(conn, target, result, rejects, start, end)
        except _TooManyRejects as stop:
            async with self.pool.acquire() as conn:
                await loader.save_rejects(conn, target, stop.rejects, (start, end))
            raise ContractChangedError(stop.message) from None
        return result

    async def _merge_window(
        self, conn: asyncpg.Connection, t: loader.Target, result: loader.LoadResult,
        rejects: list[Reject], start: datetime | None, end: datetime | None,
    ) -> None:  # fmt: skip
        if t.spec.hydrate:
            await loader.enqueue(
                conn, t.source, t.spec.name, await loader.changed_summaries(conn, t), "hydrate"
            )
        else:
            await loader.merge_stage(conn, t, result)
            for child in self.connector.streams.values():  # a new or changed parent's children
                if child.parent == t.spec.name:
                    ids = result.new_ids + result.changed_ids
                    await loader.enqueue_children(conn, t, child, ids)
        if self.request.kind in ("full-refresh", "deep-rescan"):
            await self._enqueue_all_children(conn, t)
        if t.spec.name == self.connector.feed_stream and result.new_ids:
            await self._enqueue_feed(conn, result.new_ids)
        result.deleted = await loader.mark_deleted(conn, t, rejects, start, end)
        result.open_records = await loader.count_open(conn, t.spec)
        if start is not None and end is not None:
            owed = await loader.owed_rejects(conn, t, rejects)
            await loader.record_window(conn, t, start, end, result, owed)

    async def _enqueue_all_children(self, conn: asyncpg.Connection, t: loader.Target) -> None:
        """A full re-read also re-reads children, which change without their parent."""
        ids = [r["id"] for r in await conn.fetch("SELECT DISTINCT id FROM _stage")]
        for child in self.connector.streams.values():
            if child.parent == t.spec.name:
                await loader.enqueue_children(conn, t, child, ids, stored_too=True)

    async def _enqueue_feed(self, conn: asyncpg.Connection, new_ids: list[str]) -> None:
        assert self.connector.feed_events is not None
        import orjson

        spec = self.connector.streams[self.connector.feed_stream or ""]
        cursor = next(c for c in spec.columns if c.name == spec.cursor_column)
        by_stream: dict[str, dict[str, datetime]] = {}
        rows = await conn.fetch(
            f"SELECT raw::text AS raw, {projection(cursor)} AS at FROM _stage WHERE id = ANY($1::text[])",
            new_ids,
        )
        for row in rows:
            for event in self.connector.feed_events(orjson.loads(row["raw"])):
                if event.stream in self.connector.streams and event.stream != spec.name:
                    seen = by_stream.setdefault(event.stream, {})
                    seen[event.record_id] = max(row["at"], seen.get(event.record_id, row["at"]))
        for stream, events in sorted(by_stream.items()):  # one lock order for every window
            await loader.enqueue(conn, self.source.name, stream, events, "feed", events.values())

    def _slack(self, spec: StreamSpec, start: datetime | None, end: datetime | None) -> bool:
        """Read the hour past both ends up front (else prove the ends: edges.py). A list whose
        records carry no time (submission lines) always does: nothing could prove its ends, and
        a filter an hour off would leave the newest window's last hour unread while the run
        succeeds. Its records beyond the ends load as any others (it marks no deletions)."""
        if spec.window is None or start is None or end is None:
            return False
        if not spec.cursor_column:
            return True
        ask = self.page_sizes.get(spec).ask
        return self.costs.slack(spec.name, self.density.per_hour(spec.name), ask)

    async def _ends(
        self, conn: asyncpg.Connection, t: loader.Target, start: datetime, end: datetime,
        seen: loader.Census, slack: bool, result: loader.LoadResult, listed: list[Reject],
        reopened: bool = False, frontier: bool = False, past_end: bool = False,
    ) -> list[Reject]:  # fmt: skip
        """The window's ends: read past with the slack, else proven by its listing or read
        again (in the window's transaction) where it does not prove them. A record the
        listing rejected that a band lists again is not a second reject (``listed``): the
        window would owe it twice, and giving it up would leave one owed."""
        assert t.spec.window is not None
        name, widen = t.spec.name, timedelta(seconds=t.spec.window.widen_s)
        reach = (ZONE_SLACK if slack else timedelta(0)) + widen
        ask = self.page_sizes.get(t.spec).ask
        if slack:  # what it cost, and what proving the ends would have
            own = edges.pages_for(seen.inside, ask)  # the pages its own records fill
            proof = edges.bands(start, end, seen.first_inside, seen.last_inside, own, widen)
            self.costs.add(name, edges.slack_pages(result.records, seen.inside, ask), len(proof))
            return []
        # A done window read again (its open records, not the lookback) settled its ends when
        # it was read: an end needs no second read when no stored record within an hour of it
        # is missing from the listing (none could be marked deleted falsely), as records
        # created since, dated that far back, are read by no incremental run anywhere (#135).
        # So it never reads the slack (``load_window``): an idle run's proof costs nothing.
        # Not at the present, where the lookback's records may be new: read past (``past_end``)
        # or proven by the listing, as a new window's end there.
        settled = (False, past_end)
        if reopened:
            stored_end = not frontier and not await loader.unlisted_between(
                conn, t, max(start, end - ZONE_SLACK), end
            )
            settled = (
                not await loader.unlisted_between(conn, t, start, min(end, start + ZONE_SLACK)),
                past_end or stored_end,
            )
        rejects: list[Reject] = []
        pages, records = result.pages, result.records  # the listing's, before any band
        rejected = {r.record_id for r in listed if r.record_id is not None}
        for lo, hi in edges.bands(start, end, seen.first, seen.last, result.pages, reach, settled):
            label = f"window {start}..{end}, its end {lo}..{hi} read again"
            band = _new_rejects(self.pages(t.spec, lo, hi, False, label), rejected)
            rejects += await loader.stage_pages(conn, t, band, result, (start, end), append=True)
        if result.pages > pages and not self.zone_hinted:
            await self._zone_hint(conn, t, start, end, seen)
        if reopened:  # its ends settle by what it stored: no measure of the others' costs
            return rejects
        per_hour = self.density.per_hour(name) or 0.0
        would = round(per_hour * 2 * ZONE_SLACK.total_seconds() / edges.HOUR)  # records past
        self.costs.add(
            name, edges.slack_pages(records + would, records, ask), result.pages - pages,
        )  # fmt: skip
        return rejects

    async def _zone_hint(
        self, conn: asyncpg.Connection, t: loader.Target, start: datetime, end: datetime,
        listed: loader.Census,
    ) -> None:  # fmt: skip
        """Once a run: an end read again found records of the window its listing had left
        out, so the provider's filters mean another zone than ``timezone`` (INFERRED #135).
        Nothing is lost (they are loaded), but every dense window pays a request for it."""
        now = await loader.census(conn, t, start, end)
        if now.inside <= listed.inside or self.zone_hinted:  # (another window, meanwhile)
            return
        self.zone_hinted = True
        early = listed.last_inside is None or (
            now.last_inside is not None and now.last_inside > listed.last_inside
        )  # the end was missing: the filter ran early, the provider's zone is ahead of ours
        log.warning(
            "source %r, stream %s, window %s..%s: its listing left out %d records near its %s "
            "that reading that end again found: the provider's date filters seem to mean a "
            "zone %s timezone=%s. Nothing is lost (each window's ends are read again, a "
            "request or two each); set the source's timezone to the provider's zone "
            "(docs/operations.md)",
            self.source.name, t.spec.name, start, end, now.inside - listed.inside,
            "end" if early else "start", "ahead of" if early else "behind", self.source.timezone,
        )  # fmt: skip

    async def pages(
        self, spec: StreamSpec, start: datetime | None, end: datetime | None,
        slack: bool = False, label: str | None = None, stored: int | None = None,
        past_end: bool = False,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """The window's pages, proven complete by the pager (pipelines/sync/pager.py);
        ``slack``: the filter reaches an hour past both ends (``window.ZONE_SLACK``);
        ``past_end``: past its end only; ``stored``: the records of a whole list the table
        holds (how many pages to expect)."""
        window: dict[str, str] = {}
        narrow = None
        span = None
        expect = None
        if spec.window is not None and start is not None and end is not None:
            zone = self.source.timezone
            reach = ZONE_SLACK if slack else timedelta(0)
            beyond = ZONE_SLACK if past_end else timedelta(0)  # (not in span: the lag's only)
            window = filter_params(spec.window, zone, start, end, reach, beyond)
            widen = timedelta(seconds=spec.window.widen_s) + reach
            span = (start - widen, end + widen)  # what the filter lists: pages left (ahead.py)
            per_hour = self.density.per_hour(spec.name)
            if per_hour is not None:
                hours = _listed(spec, start, end, slack).total_seconds() / edges.HOUR
                expect = per_hour * hours / self.page_sizes.get(spec).ask
            if spec.cursor_column and spec.cursor_order:
                # one second's records, read alone when they straddled a page boundary (ties)
                narrow = partial(filter_params, spec.window, zone, end=None)
        if spec.window is None and stored:
            expect = stored / self.page_sizes.get(spec).ask
        if label is None:
            label = f"window {start}..{end}" if start is not None else "whole list"
        pager = Pager(
            self.http, self.source.name, spec, self.page_sizes.get(spec), window, label,
            self.lanes, narrow, span=span, expect=expect,
        )  # fmt: skip
        async for page in pager.pages():
            yield page

    def _check_rejects(
        self,
        spec: StreamSpec,
        result: loader.LoadResult,
        rejects: list[Reject],
        start: Any,
        end: Any,
    ) -> None:
        limit = self.settings.max_reject_rate * max(result.records, 1)
        if len(rejects) > limit and len(rejects) >= MIN_REJECTS_TO_STOP:
            raise _TooManyRejects(
                rejects,
                f"source {self.source.name!r}, stream {spec.name}, window {start}..{end}: "
                f"{len(rejects)} of {result.records} records failed validation (more than "
                f"{self.settings.max_reject_rate:.0%}); provider contract changed? see paysync.rejects",
            )


async def _new_rejects(pages: AsyncIterator[Page], seen: set[str]) -> AsyncIterator[Page]:
    """The pages without the rejects of records already rejected (``seen``, which grows).
    A reject without an id cannot be told from another: it is kept."""
    async for page in pages:
        fresh = [r for r in page.rejects if r.record_id is None or r.record_id not in seen]
        seen.update(r.record_id for r in fresh if r.record_id is not None)
        yield page._replace(rejects=fresh)


class _TooManyRejects(Exception):
    def __init__(self, rejects: list[Reject], message: str) -> None:
        super().__init__(message)
        self.rejects, self.message = rejects, message


def _listed(spec: StreamSpec, start: datetime, end: datetime, slack: bool) -> timedelta:
    """The stretch of time a window's filter lists: the window, widened, and the slack."""
    assert spec.window is not None
    reach = timedelta(seconds=spec.window.widen_s) + (ZONE_SLACK if slack else timedelta(0))
    return end - start + 2 * reach
