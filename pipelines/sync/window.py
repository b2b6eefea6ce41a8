"""Half-open UTC windows ``[start, end)`` and the arithmetic of what to read.

A stream's history is the interval ``[start_date, now - lag)``. What a run reads is that
interval minus the windows the ledger says are done, plus what must be re-read anyway: the
lookback, done windows that still held records in a non-final status, and done windows whose
read rejected records (owed until the records load or are given up).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from connectors.streams import Window

Interval = tuple[datetime, datetime]


# Window requests reach this far past both ends (issue 14, item 6): a provider whose filter
# times mean another zone than the source's ``timezone`` (Europe/London against UTC: one hour)
# still lists every record of the window, so nothing is missed and delete-marking, which only
# looks inside the window, never marks a record the provider still holds. The records beyond
# the ends are left out of the window's load (``loader.trim_to_window``): their own window
# loads them. Only for streams with a cursor column, which tells them apart. INFERRED #127.
ZONE_SLACK = timedelta(hours=1)


def filter_params(
    window: Window, zone: str, start: datetime, end: datetime | None,
    slack: timedelta = timedelta(0), past_end: timedelta = timedelta(0),
) -> dict[str, str]:  # fmt: skip
    """The provider's filter params for ``[start, end)`` (``end`` None: the one second at
    ``start``), widened as the spec says (plus ``slack``, and ``past_end`` at the end) and
    written in ``zone``, the zone the provider means (the source's ``timezone``, default UTC)."""
    widen = timedelta(seconds=window.widen_s) + slack
    stop = end if end is not None else start + timedelta(seconds=1)
    return {
        window.start_param: window.format((start - widen).astimezone(ZoneInfo(zone))),
        window.end_param: window.format((stop + widen + past_end).astimezone(ZoneInfo(zone))),
    }


@dataclass(frozen=True)
class DoneWindow:
    start: datetime
    end: datetime
    open_records: int
    rejected: int = 0  # records its last read rejected: the window is owed until they load


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping union of the intervals (touching ones joined)."""
    result: list[Interval] = []
    for start, end in sorted(i for i in intervals if i[0] < i[1]):
        if result and start <= result[-1][1]:
            result[-1] = (result[-1][0], max(result[-1][1], end))
        else:
            result.append((start, end))
    return result


def subtract(interval: Interval, holes: Iterable[Interval]) -> list[Interval]:
    """The parts of ``interval`` not covered by ``holes``."""
    start, end = interval
    gaps = []
    for hole_start, hole_end in merge(holes):
        if hole_end <= start or hole_start >= end:
            continue
        if hole_start > start:
            gaps.append((start, hole_start))
        start = max(start, hole_end)
    if start < end:
        gaps.append((start, end))
    return gaps


def to_read(
    span: Interval,
    done: Iterable[DoneWindow],
    reread_from: datetime | None,
) -> tuple[list[Interval], list[Interval]]:
    """What a run must read in ``span``: (gaps to cut into new windows, done windows to re-read
    with their exact bounds, so their ledger rows are replaced rather than shadowed).

    ``reread_from``: everything from there on is read again (the lookback), ``None`` for none.
    Done windows still holding open records, or owing rejected records, are read again whole;
    a gap such a window covers whole is read with it, not twice (make bench: an idle run at
    the same time as the last one read the newest week of recurrence schedules twice, as the
    lookback and in the done window around it). Such a window ends at the present, so it reads
    past its end as a new window there would (``load_window``, ``frontier``).
    """
    done = list(done)
    covered = [(w.start, w.end) for w in done]
    if reread_from is not None:
        covered = [(s, min(e, reread_from)) for s, e in covered]
    gaps = subtract(span, covered)
    in_gaps = merge(gaps)
    reopen = [
        (w.start, w.end)
        for w in done
        if (w.open_records > 0 or w.rejected > 0)
        and not any(s <= w.start and w.end <= e for s, e in in_gaps)  # the lookback has it
    ]
    # (ending exactly where the span does: a window ending later is not at the present and
    # would settle its ends by what it stored; review)
    gaps = [(s, e) for s, e in gaps if not any(a <= s and e == b == span[1] for a, b in reopen)]
    return gaps, sorted(reopen)


SLIVER = 50  # a last page holding at most 1/50 of a page is a sliver (WindowSizer.feedback)


@dataclass
class WindowSizer:
    """Cuts intervals into windows whose size follows the data: a window that needed many
    pages halves the next ones, a near-empty one doubles them (dense split, sparse merge)."""

    size: timedelta
    minimum: timedelta = timedelta(minutes=1)
    maximum: timedelta = timedelta(days=92)
    dense_pages: int = 8
    slivers: int = 0  # windows running whose last page held a sliver
    full: int = 0  # windows running whose last page had no room for the records past the ends

    def feedback(
        self, pages: int, last_page_items: int, page_size: int, length: timedelta | None = None,
        reach: timedelta = timedelta(0),
    ) -> None:  # fmt: skip
        """What a window of ``length`` (default: the current size) needed. A dense one halves
        that window's length, not the current size: windows read at once all report on the
        same size, and eight dense ones must not halve it eight times (measured with
        bench/timeline.py: 7-day windows fell to 40 minutes, a request each for ~60 records).
        Near-empty ones keep doubling the current size: each costs a request, so the sizer
        should leave an empty stretch of history quickly. Two windows running whose last page
        held a sliver (a request for a few records) mean a steady density the windows overshoot
        a whole number of pages by a little: the next ones are cut that much shorter.
        ``reach``: how far past its ends a window may yet be read (the zone slack, read where
        the listing did not prove an end: ``edges.py``). Two windows running whose last page
        had no room for the records that far past mean windows just under a whole number of
        pages, where reading past the ends costs a page, or proving them a band request an end
        they miss (make bench, recurrence schedules: 16 requests a backfill): the next ones
        are cut short enough to leave that room."""
        read = length if length is not None else self.size
        sliver = pages >= 2 and 0 < last_page_items <= page_size // SLIVER
        self.slivers = self.slivers + 1 if sliver else 0
        listed = (pages - 1) * page_size + last_page_items
        past = listed * (reach / read) if read > timedelta(0) else 0.0  # at this one's density
        room = page_size - last_page_items  # on the last page
        cut = past + page_size // SLIVER - room  # records to leave out of the next windows
        # only where a last page can hold that room, and the cut stays within it (review:
        # two hours of a dense stream fill a page; cutting for it shrank windows to a minute)
        full = past > 0 and 0 < cut < last_page_items and past + page_size // SLIVER < page_size
        self.full = self.full + 1 if full else 0
        if pages > self.dense_pages:
            self.size = max(self.minimum, min(self.size, read / 2))
        elif pages <= 1 and last_page_items < page_size // 4:
            self.size = min(self.maximum, self.size * 2)
        elif self.slivers >= 2:
            self._shorten(read, 1 - (last_page_items + page_size // SLIVER) / listed)
            self.slivers = 0
        elif self.full >= 2:
            self._shorten(read, 1 - cut / listed)
            self.full = 0

    def _shorten(self, read: timedelta, fill: float) -> None:
        """The next windows ``fill`` of one ``read`` long (to the minute: legible)."""
        shorter = timedelta(minutes=int(read * fill / timedelta(minutes=1)))
        self.size = max(self.minimum, min(self.size, shorter))

    def cut(self, intervals: Iterable[Interval]) -> Iterator[Interval]:
        for start, end in intervals:
            while start < end:
                stop = min(end, start + self.size)
                yield start, stop
                start = stop


def split_range(start: datetime, end: datetime, parts: int) -> list[Interval]:
    """``[start, end)`` cut into ``parts`` equal half-open partitions (a backfill's fan-out)."""
    if parts < 1 or start >= end:
        raise ValueError("need at least one partition of a non-empty range")
    step = (end - start) / parts
    bounds = [start + step * i for i in range(parts)] + [end]
    return [(bounds[i], bounds[i + 1]) for i in range(parts) if bounds[i] < bounds[i + 1]]
