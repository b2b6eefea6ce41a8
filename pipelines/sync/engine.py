"""Drive one source's streams (docs/architecture.md): plan windows, page them with bounded concurrency,
load each window in one transaction (``reading.py``), then drain the re-fetch queue (change
feed, hydration, children). The engine knows streams only through their specs."""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from connectors.errors import ContractChangedError, ProviderError, ProviderRequestError
from connectors.http import HttpClient, RetryPolicy
from connectors.streams import Connector
from pipelines.errors import UnreachableError
from pipelines.load import loader
from pipelines.load.merge_sql import StreamSql, build
from pipelines.store.db import lost_database
from pipelines.store.settings import SourceBase, SyncSettings
from pipelines.sync import edges, logs, ranges
from pipelines.sync.ahead import Lanes
from pipelines.sync.counting import StreamCallStats, book_to
from pipelines.sync.page_sizes import PageSizes
from pipelines.sync.plan import StreamPlan, SyncRequest, day_start, plan_stream
from pipelines.sync.reading import WindowReader
from pipelines.sync.refetch import Fetcher, drain
from pipelines.sync.runs import (
    Progress,
    RunCounts,
    RunLease,
    RunReport,
    StreamReport,
    finish_run,
    stream_success,
)
from pipelines.sync.window import ZONE_SLACK


class SourceSync(WindowReader):
    def __init__(
        self, pool: asyncpg.Pool, source: SourceBase, connector: Connector,
        settings: SyncSettings, request: SyncRequest, progress: Progress | None = None,
        now: datetime | None = None,
    ) -> None:  # fmt: skip
        self.pool, self.source, self.connector = pool, source, connector
        self.settings, self.request = settings, request
        self.progress = progress or (lambda run, stream: None)
        self.now = now or request.as_of or datetime.now(UTC)
        self.page_sizes = PageSizes(source.name, {})  # what run() loads from paysync.page_sizes
        self.density = edges.Density()  # records an hour by stream: slack or proven ends
        self.costs = edges.Costs()  # what each of the two cost this run's windows, by stream
        self.zone_hinted = False  # the run warned that the filters seem to mean another zone
        names = request.streams or tuple(connector.streams)
        self.specs = [connector.streams[n] for n in names]
        self.sql: dict[str, StreamSql] = {
            s.name: build(connector.provider, s) for s in connector.streams.values()
        }
        self.lanes = Lanes(source.concurrency)  # request slots shared by the open windows
        self.succeeded: set[str] = set()  # streams whose windows all loaded this run

    def client(self) -> HttpClient:
        client = HttpClient(
            self.source.name, self.source.base_url, self.connector.auth_headers(self.source),
            concurrency=self.source.concurrency,
            requests_per_second=self.source.requests_per_second,
            ca_bundle=self.source.ca_bundle,
            policy=RetryPolicy(budget_s=self.settings.retry_budget_seconds),
            secret_setting=f"the token in ${self.source.secret_env}",
        )  # fmt: skip
        client.stats = StreamCallStats()  # requests booked per stream as well
        return client

    async def run(self) -> RunReport:
        self.started = time.monotonic()
        lease = RunLease(self.pool)  # the run's lock: if this process dies, it is abandoned
        try:
            run_id = await lease.start(
                self.request.kind, self.source.name, [s.name for s in self.specs],
                range_from=self.request.range_from, range_to=self.request.range_to,
                flow_run_id=self.request.flow_run_id,
            )  # fmt: skip
            report = RunReport(self.source.name, run_id)
            async with self.pool.acquire() as conn:
                self.page_sizes = await PageSizes.load(conn, self.source.name)
                self.density = await edges.Density.load(conn, self.source.name)
            await self._run(report)
        except Exception as exc:
            lost = lost_database(exc)
            if lost is None:
                raise
            # One line, exit 3 (README): committed windows are kept, the run row is marked
            # abandoned by the next run since its lock went with the connection.
            raise UnreachableError(
                f"source {self.source.name!r}: lost the database during the sync "
                f"({type(lost).__name__}: {str(lost).splitlines()[0] if str(lost) else ''}); "
                "windows committed before are kept: rerun the sync once PostgreSQL is back"
            ) from None
        finally:
            await lease.release()
        return report

    async def _run(self, report: RunReport) -> None:
        try:
            async with self.client() as client:
                self.http = client
                await self._windows(report)
                fetcher = Fetcher(
                    self.pool,
                    self.source.name,
                    self.connector,
                    self.sql,
                    client,
                    self.source.timezone,
                )
                await drain(fetcher, report)
                await self._children_success(report)
            report.outcome = (
                "partial" if any(s.error for s in report.streams.values()) else "succeeded"
            )
        except ProviderError as exc:
            report.outcome, report.error = "failed", str(exc)
            raise
        finally:
            report.counts.requests = self.http.stats.requests if hasattr(self, "http") else 0
            report.counts.retries = self.http.stats.retries if hasattr(self, "http") else 0
            errors = {s.name: s.error for s in report.streams.values() if s.error}
            streams = {s.name: asdict(s.counts) for s in report.streams.values()}
            try:
                async with self.pool.acquire() as conn:
                    await self.page_sizes.save(conn)  # what the pages taught, for the next run
                    await finish_run(
                        conn, report.run_id, _final(report.outcome), report.counts,
                        report.error, {"stream_errors": errors, "streams": streams},
                    )  # fmt: skip
            except Exception as exc:
                if lost_database(exc) is None:
                    raise
                # The database is gone: the run stays 'running' until marked abandoned.
            report.outcome = _final(report.outcome)  # 'aborted' when it ended early
            logs.stream_lines(report, self.request.kind, time.monotonic() - self.started)

    async def _windows(self, report: RunReport) -> None:
        plans = await self._plans()
        for plan in plans:
            report.streams[plan.spec.name] = StreamReport(
                plan.spec.name, seconds_total=plan.span_seconds
            )
        queue = _RoundRobin({p.spec.name: p.windows() for p in plans})
        by_name = {p.spec.name: p for p in plans}
        try:
            async with asyncio.TaskGroup() as group:
                for _ in range(self.source.concurrency):
                    group.create_task(self._worker(queue, by_name, report))
        except* ProviderError as failures:
            # One worker hit an error that ends the run; the others were cancelled and their
            # open windows rolled back. Report the first cause as itself.
            raise failures.exceptions[0] from None
        async with self.pool.acquire() as conn:
            for plan in plans:
                if not report.streams[plan.spec.name].error:
                    await stream_success(
                        conn, self.source.name, plan.spec.name, report.run_id, plan.cursor
                    )
        self.succeeded = {p.spec.name for p in plans if not report.streams[p.spec.name].error}

    async def _children_success(self, report: RunReport) -> None:
        """Streams filled only through the re-fetch queue (children read by their parent's
        ids) are as fresh as their parent once the queue is drained: record it, so status,
        metrics and sync_health do not call them never synced."""
        async with self.pool.acquire() as conn:
            for spec in self.specs:
                own = report.streams.get(spec.name)
                if (spec.parent in self.succeeded and spec.name not in
                        self.succeeded and not (own and own.error)):  # fmt: skip
                    await stream_success(conn, self.source.name, spec.name, report.run_id, None)

    async def _plans(self) -> list[StreamPlan]:
        start = day_start(self.source.start_date)
        lag = timedelta(seconds=self.settings.lag_seconds)
        lookback = timedelta(days=self.source.lookback_days)
        days = self.settings.max_window_days
        longest = ranges.longest_window(days) if days is not None else None
        async with self.pool.acquire() as conn:
            plans = [
                await plan_stream(
                    conn,
                    self.source.name,
                    spec,
                    self.request,
                    start,
                    self.now,
                    lag,
                    lookback,
                    max_window=longest,
                )
                for spec in self.specs
            ]
        return [p for p in plans if p is not None]

    async def _worker(
        self, queue: _RoundRobin, plans: dict[str, StreamPlan], report: RunReport
    ) -> None:
        """Windows one after another; the next one starts as soon as the current one's pages
        are all read, so its merge (PostgreSQL's work, no requests) overlaps the next window's
        requests. Measured with bench/timeline.py: windows opened together finish paging
        together, and while all of them merged the source had nothing on the wire. At most one
        window merging and one paging per worker (the pool has 2 connections a worker)."""
        merging: asyncio.Task[None] | None = None
        current: asyncio.Task[None] | None = None
        try:
            while (job := queue.next()) is not None:
                paged = asyncio.Event()
                current = asyncio.create_task(self._window(queue, job, plans, report, paged))
                waiter = asyncio.create_task(paged.wait())
                try:
                    await asyncio.wait({current, waiter}, return_when=asyncio.FIRST_COMPLETED)
                finally:
                    waiter.cancel()
                if merging is not None:
                    await merging  # one merge behind at most; raises what it raised
                merging, current = current, None
                if merging.done():
                    await merging
            if merging is not None:
                await merging
        finally:
            # this worker failed or was cancelled: its windows roll back before it ends, and a
            # window that failed too has its error retrieved (else asyncio prints a traceback)
            left = [t for t in (merging, current) if t is not None]
            for task in left:
                if not task.done():
                    task.cancel()
            await asyncio.gather(*left, return_exceptions=True)

    async def _window(
        self, queue: _RoundRobin, job: tuple[str, Any], plans: dict[str, StreamPlan],
        report: RunReport, paged: asyncio.Event,
    ) -> None:  # fmt: skip
        name, window = job
        stream = report.streams[name]
        book_to(stream.counts)
        plan = plans[name]

        def read(result: loader.LoadResult) -> None:
            # The pages are all read: size the next windows by this one before the worker
            # cuts its next window (the merge still to come does not change what was read).
            if window is not None:
                plan.sizer.feedback(
                    result.pages,
                    result.last_page_items,
                    plan.spec.page_size,
                    window[1] - window[0],
                    # how far past its ends the next may be read: the zone slack, unless
                    # this one's listing already held it
                    timedelta(0) if result.slack or not plan.spec.cursor_column else 2 * ZONE_SLACK,
                )
            paged.set()

        try:
            reopened = window is not None and window in plan.reopen
            # the window at the present (not a backfill's range end, nor a deep re-scan's)
            present = self.now - timedelta(seconds=self.settings.lag_seconds)
            frontier = window is not None and window[1] == present and plan.cursor is not None
            result = await self.load_window(
                plan.spec, window, report.run_id, read, reopened, frontier
            )
        except (ContractChangedError, ProviderRequestError) as exc:
            stream.error = str(exc)
            queue.drop(name)
            return
        if window is not None:
            stream.seconds_done += (window[1] - window[0]).total_seconds()
        _count(stream.counts, result)
        _count(report.counts, result)
        logs.window_line(report, name, window, result)
        self.progress(report, stream)


class _RoundRobin:
    """Hands out the next window of each stream in turn, lazily (the sizer adapts meanwhile)."""

    def __init__(self, streams: dict[str, Any]) -> None:
        self._streams = dict(streams)
        self._order = list(streams)

    def next(self) -> tuple[str, Any] | None:
        while self._order:
            name = self._order.pop(0)
            try:
                window = next(self._streams[name])
            except StopIteration:
                continue
            self._order.append(name)
            return name, window
        return None

    def drop(self, name: str) -> None:
        if name in self._order:
            self._order.remove(name)


def _count(counts: RunCounts, result: loader.LoadResult) -> None:
    counts.windows += 0 if result.skipped else 1
    counts.pages += result.pages
    counts.records_read += result.records
    counts.records_inserted += result.inserted
    counts.records_changed += result.changed
    counts.records_deleted += result.deleted
    counts.records_rejected += result.rejected


def _final(outcome: str) -> str:
    return outcome if outcome != "running" else "aborted"
