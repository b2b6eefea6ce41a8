"""Pages requested ahead of the one being staged, so a source's request slots stay busy.

Measured with ``bench/timeline.py`` (1 s per request): one page ahead per window meant one
request on the wire per open window, so a source with concurrency 8 and four windows to read
kept four requests in flight and the other four slots idle. Here a window keeps its share of
the source's slots busy: ``ceil(concurrency / windows open)`` pages ahead, never more than it
has already read (a slow start: one- and two-page windows never speculate — an idle incremental
run re-reads many of those, and must cost no more requests than before — a three-page window
wastes at most one request, and no window reads more than its share past its real end).
The client's semaphore still bounds what is on the wire.

Pages ahead of the next known one are a guess (the paginator's next page after a full page,
bounded by a page total the latest body names, as Smart2Pay's ``TotalPages``); when a page
comes back short, or the paging goes elsewhere, the guesses are cancelled unread.
"""

from __future__ import annotations

import asyncio
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
        self.open = 0

    def share(self) -> int:
        return math.ceil(self.concurrency / max(1, self.open))


class Ahead:
    """The requests ahead of one window's paging loop, oldest first."""

    def __init__(self, http: HttpClient, path: str, paginator: Paginator, lanes: Lanes) -> None:
        self.http, self.path, self.paginator, self.lanes = http, path, paginator, lanes
        # (params, when the request was made, the response): the time is the version time of
        # the page's records, taken before the request may be sent (never later than it).
        self.queue: deque[tuple[Params, datetime, asyncio.Future[dict[str, Any]]]] = deque()
        self.requested_at = datetime.now(UTC)  # of the page ``get`` returned last
        self.read = 0
        self.last: dict[str, Any] = {}  # the latest page's body: a total it names bounds guesses
        self.closed = False
        lanes.open += 1

    def prefetch(self, params: Params | None) -> None:
        """``params``: the next page for certain (None: the window has no more pages)."""
        if params is None:
            self._drop()
            return
        if self.queue and self.queue[0][0] != params:
            self._drop()  # the paging went elsewhere than guessed
        if not self.queue:
            self._request(params)
        depth = max(1, min(self.lanes.share(), self.read))
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
            self.lanes.open -= 1

    def _request(self, params: Params) -> None:
        request = self.http.get_json(self.path, wire(params))
        self.queue.append((params, datetime.now(UTC), asyncio.ensure_future(request)))

    def _drop(self) -> None:
        while self.queue:
            _, _, pending = self.queue.popleft()
            pending.cancel()
            if pending.done() and not pending.cancelled():
                pending.exception()  # retrieved: no "never retrieved" warning


def wire(params: Mapping[str, str]) -> dict[str, str]:
    """The params as sent: the pager's own markers (``_confirm``) stay local."""
    return {k: v for k, v in params.items() if not k.startswith("_")}
