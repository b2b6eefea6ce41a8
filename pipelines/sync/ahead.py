"""Pages requested ahead of the one being staged, so a source's request slots stay busy.

Measured with ``bench/timeline.py`` (1 s per request). One page ahead per window kept one
request on the wire per open window; a depth that grew with the pages read (a slow start) made
each window's first pages serial; either way slots idled whenever fewer windows than slots were
paging, and while a window merged. Now each open window says how many pages it still *wants*
(``Ahead.want``) and the source's slots are dealt among the open windows by those wants
(``Lanes.share``: one for each window's next page, the rest to the oldest windows first,
never more than a window wants), so slots a window cannot use go to the others. A window whose
want drops, or that closes to merge, hands its slots back at once (``Lanes.rebalance`` tops up
the others). The client's semaphore still bounds what is on the wire.

How many pages a window wants: the pager's estimate when it has one (``pages_left``: a list
sorted by creation time tells how much of the window the pages read so far covered, so the rest
at the same density), else the pages it has read (the old slow start: one- and two-page windows
never speculate, so an idle incremental run, which re-reads many of those, costs no more
requests than before).

Pages ahead of the next known one are a guess (the paginator's next page after a full page,
bounded by a page total the latest body names, as Smart2Pay's ``TotalPages``); when a page
comes back short, or the paging goes elsewhere, the guesses are cancelled unread.
"""

from __future__ import annotations

import asyncio
import contextvars
import math
from collections import deque
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from connectors.http import HttpClient
from connectors.streams import Paginator

# Passed as the item count of a page not yet seen: "assume it was full" for every paginator.
_FULL = 1 << 30

Params = dict[str, str]


class Lanes:
    """One source's request slots shared by its open windows."""

    def __init__(self, concurrency: int) -> None:
        self.concurrency = max(1, concurrency)
        self.windows: list[Ahead] = []  # open, in the order they opened

    @property
    def open(self) -> int:
        return len(self.windows)

    def share(self, window: Ahead) -> int:
        """The slots ``window`` may fill: one for each open window's next page, the rest to the
        oldest windows first, as many as each wants. Oldest first, not evenly: windows sharing
        evenly finish together and then all merge with nothing on the wire (bench/timeline.py,
        the real-API scenario); one after another, each merge overlaps the others' requests."""
        free = self.concurrency - len(self.windows)
        for w in self.windows:
            extra = max(0, min(w.want - 1, free))
            if w is window:
                return 1 + extra
            free -= extra
        return 1

    def rebalance(self, leaving: Ahead | None = None) -> None:
        """A window wants less or closed: the others may take up the slots it gave back."""
        for window in self.windows:
            if window is not leaving:
                window.top_up()


class Ahead:
    """The requests ahead of one window's paging loop, oldest first."""

    def __init__(self, http: HttpClient, path: str, paginator: Paginator, lanes: Lanes) -> None:
        self.http, self.path, self.paginator, self.lanes = http, path, paginator, lanes
        # (params, when the request was made, the response): the time is the version time of
        # the page's records, taken before the request may be sent (never later than it).
        self.queue: deque[tuple[Params, datetime, asyncio.Future[dict[str, Any]]]] = deque()
        self.requested_at = datetime.now(UTC)  # of the page ``get`` returned last
        self.read = 0
        self.want = 1  # pages this window would have in flight if the slots were free
        self.last: dict[str, Any] = {}  # the latest page's body: a total it names bounds guesses
        self.closed = False
        # Another window's task may top this one up (Lanes.rebalance): its requests still run
        # in this window's context, so they are booked to this window's stream (counting.py).
        self.context = contextvars.copy_context()
        lanes.windows.append(self)

    def prefetch(self, params: Params | None, left: int | None = None) -> None:
        """``params``: the next page for certain (None: the window has no more pages);
        ``left``: the pages estimated still to come, that one included (None: not known)."""
        wanted = self.want
        if params is None:
            self._drop()
            self.want = 0
        else:
            if self.queue and self.queue[0][0] != params:
                self._drop()  # the paging went elsewhere than guessed
            if not self.queue:
                self._request(params)
            self.want = max(1, left if left is not None else self.read)
            self.top_up()
        if self.want < wanted:
            self.lanes.rebalance(self)

    def top_up(self) -> None:
        """Guess further pages while this window's share has room."""
        if self.closed or not self.queue:
            return  # nothing known to guess from: the paging loop asks for the next page
        depth = min(self.want, self.lanes.share(self))
        last = self.queue[-1][0]
        while len(self.queue) < depth:
            guess = self.paginator.next(last, _FULL, self.last)
            if guess is None:
                break
            self._request(guess)
            last = guess

    async def get(self, params: Params) -> dict[str, Any]:
        self.read += 1
        if self.queue and self.queue[0][0] == params:
            _, self.requested_at, pending = self.queue.popleft()
            # This page was one of those wanted: until the pager says what is left, a top-up
            # (another window's rebalance) must not guess one past the estimate (make bench:
            # most of a backfill's pages dropped unread were guessed in that gap).
            self.want = max(0, self.want - 1)
            self.last = await pending
        else:
            self._drop()
            self.requested_at = datetime.now(UTC)
            self.last = await self.http.get_json(self.path, wire(params))
        return self.last

    def cancel(self) -> None:
        """The window is done (or failed): drop what is ahead and give the slots back."""
        self._drop()
        if not self.closed:
            self.closed = True
            self.lanes.windows.remove(self)
            self.lanes.rebalance()

    def _request(self, params: Params) -> None:
        request = self.http.get_json(self.path, wire(params))
        pending = asyncio.get_running_loop().create_task(request, context=self.context)
        self.queue.append((params, datetime.now(UTC), pending))

    def _drop(self) -> None:
        while self.queue:
            _, _, pending = self.queue.popleft()
            pending.cancel()
            if pending.done() and not pending.cancelled():
                pending.exception()  # retrieved: no "never retrieved" warning


def pages_left(
    span: tuple[datetime, datetime] | None, reached: datetime | None, received: int, page: int
) -> int | None:
    """Pages still to come in a window listed in creation order: the records received so far
    covered ``span``'s start up to ``reached`` (the last one's creation second), so the rest of
    the span at the same density. None when that cannot be told (no span, no time, no page)."""
    if span is None or reached is None or page <= 0 or received <= 0:
        return None
    start, end = span
    covered = (reached - start).total_seconds()
    if covered <= 0 or reached > end:
        return None  # not in creation order, or outside the window: no estimate
    rest = (end - reached).total_seconds()
    return math.ceil(received * rest / covered / page)


def expected_left(read: int, expect: float) -> int:
    """Pages to ask ahead in a window of a list in no creation order, which its records cannot
    tell: ``expect`` is the pages it should hold at the stream's density, ``read`` the pages
    read. Never deeper than the slow start (the pages read): one window's density may be far
    from the stream's. Past the expected end, the slow start begins again from there: going
    on as deep as the pages read was most of the rest dropped unread (make bench, submission
    lines: guesses past the expected end were 127 requests a backfill, then 34, now 6)."""
    if read < expect:
        return max(1, min(read, math.ceil(expect - read)))
    return max(1, math.floor(read - expect))


def wire(params: Mapping[str, str]) -> dict[str, str]:
    """The params as sent: the pager's own markers (``_confirm``) stay local."""
    return {k: v for k, v in params.items() if not k.startswith("_")}
