"""Pages requested ahead: a window keeps its share of the source's slots busy, hands pages back
in order, and wastes at most its share past its real end.

A unit test of the scheduling alone: ``Pages`` answers ``get_json`` like a provider with a
fixed delay, counting what is on the wire at once. The end-to-end path (real HTTPS, real
PostgreSQL) is covered by the sync tests; ``bench/timeline.py`` shows the effect at 1 s a page.
"""

from __future__ import annotations

import asyncio
from typing import Any

from connectors.smart2pay.streams import PageIndex
from connectors.smarterpay.streams import PageNumbers
from pipelines.sync.ahead import Ahead, Lanes

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
