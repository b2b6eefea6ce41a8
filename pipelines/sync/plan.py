"""Which windows a run reads, per stream (docs/architecture.md): gaps in the ledger, the lookback, windows
still holding open records; a backfill reads only its range (its gaps, and open windows wholly
inside it); a full refresh reads everything."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta

import asyncpg

from connectors.streams import StreamSpec
from pipelines.sync.runs import done_windows
from pipelines.sync.window import Interval, WindowSizer, to_read

KINDS = ("incremental", "full-refresh", "backfill", "deep-rescan")


@dataclass(frozen=True)
class SyncRequest:
    kind: str = "incremental"
    streams: tuple[str, ...] | None = None  # None: every stream of the source
    range_from: datetime | None = None  # backfill / deep-rescan
    range_to: datetime | None = None
    flow_run_id: str | None = None
    as_of: datetime | None = None  # "now" for planning (tests follow the emulator's clock)


@dataclass
class StreamPlan:
    spec: StreamSpec
    intervals: list[Interval]  # gaps, cut into windows as the sizer decides
    whole: bool  # read the endpoint whole (no date filter)
    sizer: WindowSizer
    cursor: datetime | None
    reopen: list[Interval] = field(default_factory=list)  # done windows read again as they are

    def windows(self) -> Iterator[tuple[datetime, datetime] | None]:
        if self.whole:
            yield None
            return
        yield from self.reopen
        yield from self.sizer.cut(self.intervals)

    @property
    def span_seconds(self) -> float:
        return sum((e - s).total_seconds() for s, e in [*self.intervals, *self.reopen])


async def plan_stream(
    conn: asyncpg.Connection,
    source: str,
    spec: StreamSpec,
    request: SyncRequest,
    start_date: datetime,
    now: datetime,
    lag: timedelta,
    lookback: timedelta,
    initial_window: timedelta = timedelta(days=7),
    max_window: timedelta | None = None,
) -> StreamPlan | None:
    """The plan for one stream, or None when this kind of run has nothing to read there.
    ``max_window``: no window longer (``sync.max_window_days``)."""
    sizer = WindowSizer(initial_window)
    if max_window is not None:
        sizer = WindowSizer(min(initial_window, max_window), maximum=max_window)
    if spec.parent:
        return None  # read per parent, by the re-fetch queue
    if spec.window is None:
        whole = request.kind != "backfill"
        return StreamPlan(spec, [], whole, sizer, None) if whole else None
    end = now - lag
    span = (max(start_date, request.range_from or start_date), min(end, request.range_to or end))
    if span[0] >= span[1]:
        return StreamPlan(spec, [], False, sizer, None)
    reopen: list[Interval] = []
    if request.kind in ("full-refresh", "deep-rescan"):
        intervals = [span]
    else:
        done = await done_windows(conn, source, spec.name)
        reread = now - lookback if request.kind == "incremental" else None
        intervals, reopen = to_read(span, done, reread)
        if request.kind == "backfill":
            # A backfill (or one of its partitions) reads its range and nothing else: done
            # windows holding open records are re-read only when they lie wholly inside it, so
            # partitions never read the same window; the others are the incremental run's.
            reopen = [(s, e) for s, e in reopen if span[0] <= s and e <= span[1]]
    cursor = span[1] if request.kind != "deep-rescan" else None
    return StreamPlan(spec, intervals, False, sizer, cursor, reopen)


def day_start(day: object) -> datetime:
    """A date (or datetime) as an aware UTC datetime at its start."""
    if isinstance(day, datetime):
        return day if day.tzinfo else day.replace(tzinfo=UTC)
    return datetime.combine(day, time(), tzinfo=UTC)  # type: ignore[arg-type]
