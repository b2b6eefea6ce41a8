"""Pages requested ahead: a window keeps its share of the source's slots busy, hands pages back
in order, and wastes at most its share past its real end.

A unit test of the scheduling alone: ``Pages`` answers ``get_json`` like a provider with a
fixed delay, counting what is on the wire at once. The end-to-end path (real HTTPS, real
PostgreSQL) is covered by the sync tests; ``bench/timeline.py`` shows the effect at 1 s a page.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.smart2pay.streams import PageIndex
from connectors.smarterpay.streams import PageNumbers
from pipelines.sync.ahead import Ahead, Lanes, expected_left, pages_left
from pipelines.sync.counting import CURRENT, book_to
from pipelines.sync.runs import RunCounts

LIMIT = 10


class Pages:
    """``total`` records served ``LIMIT`` a page by ``page_no`` after ``delay`` seconds."""

    def __init__(self, total: int, delay: float = 0.01) -> None:
        self.total, self.delay = total, delay
        self.on_wire = self.peak = 0
        self.asked: list[int] = []

    async def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        page = int(params["page_no"])
        self.asked.append(page)
        self.on_wire += 1
        self.peak = max(self.peak, self.on_wire)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.on_wire -= 1
        first = (page - 1) * LIMIT
        return {"items": list(range(first, min(self.total, first + LIMIT)))}


async def read_window(server: Pages, lanes: Lanes) -> list[int]:
    """The engine's paging loop in miniature: get, compute the next page, prefetch, use."""
    ahead = Ahead(server, "items", PageNumbers(), lanes)  # type: ignore[arg-type]
    params: dict[str, str] | None = PageNumbers().first(LIMIT)
    got: list[int] = []
    try:
        while params is not None:
            items = (await ahead.get(params))["items"]
            params = PageNumbers().next(params, len(items), {})
            ahead.prefetch(params)
            got += items
            await asyncio.sleep(0)  # staging the page
    finally:
        ahead.cancel()
    return got


def test_one_window_fills_the_slots_and_keeps_order() -> None:
    server, lanes = Pages(total=20 * LIMIT + 3), Lanes(8)
    got = asyncio.run(read_window(server, lanes))
    assert got == list(range(20 * LIMIT + 3))  # every record once, in order
    assert server.peak == 8  # the window alone holds all eight slots
    # 21 pages exist; the guesses past the short page 21 are at most the share minus one.
    assert 21 <= len(server.asked) <= 21 + 7
    assert sorted(set(server.asked))[:21] == list(range(1, 22))
    assert lanes.open == 0


def test_windows_share_the_slots() -> None:
    server, lanes = Pages(total=12 * LIMIT), Lanes(8)

    async def two() -> list[list[int]]:
        return list(await asyncio.gather(read_window(server, lanes), read_window(server, lanes)))

    first, second = asyncio.run(two())
    assert first == second == list(range(12 * LIMIT))
    assert server.peak <= 8  # two windows, four ahead each


def test_one_page_window_never_guesses() -> None:
    server = Pages(total=LIMIT - 1)
    assert asyncio.run(read_window(server, Lanes(16))) == list(range(LIMIT - 1))
    assert server.asked == [1]


def test_two_page_window_never_guesses() -> None:
    # a list re-read every run (no date filter) is often two pages: no request wasted
    server = Pages(total=LIMIT + 1)
    asyncio.run(read_window(server, Lanes(16)))
    assert server.asked == [1, 2]


def test_three_page_window_wastes_at_most_one_request() -> None:
    server = Pages(total=2 * LIMIT + 1)
    asyncio.run(read_window(server, Lanes(16)))
    assert server.asked[:3] == [1, 2, 3] and len(server.asked) <= 4


class IndexedPages(Pages):
    """Smart2Pay's shape: ``pageIndex`` + ``TotalPages`` in every body."""

    async def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
        body = await super().get_json(path, {"page_no": params["pageIndex"]})
        return {**body, "TotalPages": -(-self.total // LIMIT)}


def test_a_named_page_total_bounds_the_guesses() -> None:
    server = IndexedPages(total=6 * LIMIT)  # six full pages: only the total says it ends

    async def read() -> list[int]:
        ahead = Ahead(server, "items", PageIndex(), Lanes(16))  # type: ignore[arg-type]
        params: dict[str, str] | None = PageIndex().first(LIMIT)
        got: list[int] = []
        while params is not None:
            body = await ahead.get(params)
            params = PageIndex().next(params, len(body["items"]), body)
            ahead.prefetch(params)
            got += body["items"]
        ahead.cancel()
        return got

    assert asyncio.run(read()) == list(range(6 * LIMIT))
    assert sorted(server.asked) == [1, 2, 3, 4, 5, 6]  # nothing past the named total


class Window:
    """A stand-in for an open window in ``Lanes``: only its want and top-ups matter."""

    def __init__(self, lanes: Lanes, want: int) -> None:
        self.want, self.topped = want, 0
        lanes.windows.append(self)  # type: ignore[arg-type]

    def top_up(self) -> None:
        self.topped += 1


def test_slots_go_where_they_are_wanted() -> None:
    lanes = Lanes(8)
    small, big = Window(lanes, 2), Window(lanes, 10)
    # an equal split (4 and 4) would leave two of the small window's slots idle
    assert [lanes.share(small), lanes.share(big)] == [2, 6]  # type: ignore[arg-type]
    a, b = Window(lanes, 10), Window(lanes, 10)
    # eight slots, four windows: a next page each, the other four to the oldest first (the
    # small one takes the one more it wants): windows finish one after another
    shares = [lanes.share(w) for w in (small, big, a, b)]  # type: ignore[arg-type]
    assert shares == [2, 4, 1, 1] and sum(shares) == 8


def test_every_window_may_ask_its_next_page() -> None:
    lanes = Lanes(2)
    windows = [Window(lanes, 5) for _ in range(3)]
    assert [lanes.share(w) for w in windows] == [1, 1, 1]  # type: ignore[arg-type]


def test_a_closing_window_hands_its_slots_to_the_others_at_once() -> None:
    # Window A (3 pages, exact estimates) and window B (20 pages) share 8 slots; when A ends,
    # B's requests ahead grow to 8 before B reads another page.
    server, lanes = Pages(total=20 * LIMIT, delay=0.05), Lanes(8)

    async def run() -> tuple[int, int]:
        a = Ahead(server, "items", PageNumbers(), lanes)  # type: ignore[arg-type]
        a.want = 3  # as its estimate would say
        b = Ahead(server, "items", PageNumbers(), lanes)  # type: ignore[arg-type]
        first = PageNumbers().first(LIMIT)
        await b.get(first)
        b.prefetch(PageNumbers().next(first, LIMIT, {}), left=19)
        during = len(b.queue)
        a.cancel()
        after = len(b.queue)
        b.cancel()
        return during, after

    during, after = asyncio.run(run())
    assert during == 5  # A keeps the three it wants, B takes the rest
    assert after == 8  # A is gone: B's share is every slot, asked for at once


async def read_with_estimate(
    server: Pages, lanes: Lanes, meanwhile: Callable[[], Awaitable[None]] | None = None
) -> list[int]:
    """The engine's loop with a perfect estimate of the pages left; ``meanwhile`` runs
    between taking a page and saying what is left."""
    ahead = Ahead(server, "items", PageNumbers(), lanes)  # type: ignore[arg-type]
    params: dict[str, str] | None = PageNumbers().first(LIMIT)
    got: list[int] = []
    while params is not None:
        items = (await ahead.get(params))["items"]
        if meanwhile is not None:
            await meanwhile()
        got += items
        params = PageNumbers().next(params, len(items), {})
        ahead.prefetch(params, -(-(server.total - len(got)) // LIMIT))
    ahead.cancel()
    return got


def test_an_estimate_starts_a_window_at_its_full_share() -> None:
    # The engine's loop with a perfect estimate of the pages left: the second page onwards go
    # out together, where the slow start sends 1, then 2, then 3 ...
    server, lanes = Pages(total=9 * LIMIT - 3, delay=0.05), Lanes(8)
    assert asyncio.run(read_with_estimate(server, lanes)) == list(range(9 * LIMIT - 3))
    assert server.peak == 8  # pages 2 to 9 at once
    assert sorted(server.asked) == list(range(1, 10))  # nothing past the end


def test_pages_left_follows_the_density_of_what_was_read() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    span = (start, start + timedelta(hours=10))
    # 500 records covered the first hour: nine hours to go at 500 an hour, 500 a page
    assert pages_left(span, start + timedelta(hours=1), 500, 500) == 9
    assert pages_left(span, start + timedelta(hours=9), 900, 500) == 1  # 100 more: one page
    assert pages_left(span, span[1], 1000, 500) == 0
    # no order to go by: no estimate (the slow start decides)
    assert pages_left(span, start - timedelta(hours=1), 500, 500) is None
    assert pages_left(span, start + timedelta(hours=11), 500, 500) is None
    assert pages_left(None, start, 500, 500) is None
    assert pages_left(span, None, 500, 500) is None


def test_requests_topped_up_by_another_window_are_booked_to_their_own_stream() -> None:
    # B's guesses are sent from A's task when A closes; they must count for B's stream.
    booked: list[str] = []

    class Booking(Pages):
        async def get_json(self, path: str, params: dict[str, str]) -> dict[str, Any]:
            counts = CURRENT.get()
            booked.append("b" if counts is b_counts else "a" if counts is a_counts else "?")
            return await super().get_json(path, params)

    server, lanes = Booking(total=20 * LIMIT, delay=0.05), Lanes(8)
    a_counts, b_counts = RunCounts(), RunCounts()
    opened = asyncio.Event()

    async def window_a() -> None:
        book_to(a_counts)
        a = Ahead(server, "items", PageNumbers(), lanes)  # type: ignore[arg-type]
        a.want = 3
        opened.set()
        await asyncio.sleep(0.1)  # B reads its first page meanwhile, then asks 5 ahead
        a.cancel()  # B takes up the 3 freed slots, sent from this task

    async def window_b() -> int:
        book_to(b_counts)
        await opened.wait()
        b = Ahead(server, "items", PageNumbers(), lanes)  # type: ignore[arg-type]
        first = PageNumbers().first(LIMIT)
        await b.get(first)
        b.prefetch(PageNumbers().next(first, LIMIT, {}), left=19)
        await asyncio.sleep(0.2)
        queued = len(b.queue)
        b.cancel()
        return queued

    async def both() -> int:
        return (await asyncio.gather(window_a(), window_b()))[1]

    assert asyncio.run(both()) == 8
    assert booked == ["b"] * len(booked) and len(booked) == 9  # page 1, then 5 + 3 ahead


def test_another_windows_rebalance_between_a_page_and_its_estimate_guesses_nothing_more() -> None:
    # The engine's loop with a perfect estimate; between taking a page and saying what is left,
    # another window closes (``Lanes.rebalance`` tops this one up). The page just taken was one
    # of those wanted: nothing past the real end may be asked (make bench: most pages dropped
    # unread in a backfill were guessed in that gap).
    total = 5 * LIMIT - 3
    server, lanes = Pages(total=total), Lanes(8)

    async def another_window_closes() -> None:
        lanes.rebalance()
        await asyncio.sleep(0)  # staging the page: what is asked goes on the wire

    assert asyncio.run(read_with_estimate(server, lanes, another_window_closes)) == list(
        range(total)
    )
    assert sorted(server.asked) == [1, 2, 3, 4, 5]


def test_a_window_in_no_creation_order_guesses_to_its_expected_end_then_starts_slow_again() -> None:
    # expected 6 pages: as deep as the slow start until the expected end is near ...
    assert [expected_left(read, 6.0) for read in range(1, 6)] == [1, 2, 3, 2, 1]
    # ... and past it one page at a time, growing again only as the window keeps going
    assert [expected_left(read, 6.0) for read in range(6, 11)] == [1, 1, 2, 3, 4]
