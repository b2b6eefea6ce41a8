"""What certainty costs once page sizes are learned (issue 14): one request per stream proves
the page size (a full page of the whole list), instead of a confirming request after every
short page of a window; a list of fewer records than any page size proven confirms its end on
every read (a server capping pages below 10 must not lose records: test_pager_review). Pure: small
in-process servers, no network or database; the expected side is the server's own records."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

from connectors.smarterpay import STREAMS
from pipelines.sync.ahead import Lanes
from pipelines.sync.page_sizes import PageSize
from pipelines.sync.pager import Pager

PAYMENTS = STREAMS["payments"]  # windowed, PageNumbers paging, no totals
WHOLE = STREAMS["client_bank_accounts"]  # whole list, no date filter


class Listing:
    """``total`` records; a request with a date filter sees the ``in_window`` first of them
    (what the filter values say does not matter here), one without sees them all. Serves at
    most ``cap`` a page."""

    def __init__(self, total: int, in_window: int, cap: int = 500, key: str = "id") -> None:
        self.records = [{key: f"P{i:06d}", "created_at": "2024-01-01T00:00:00Z"}
                        for i in range(total)]  # fmt: skip
        self.in_window, self.cap = in_window, cap
        self.requests: list[dict[str, str]] = []
        self.origin_probes = 0

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        if params["page_no"] == "0":  # the page-origin probe (test_unnamed_behaviours)
            self.origin_probes += 1
            return {}
        self.requests.append(dict(params))
        listed = self.records[: self.in_window] if "created_from" in params else self.records
        size = min(int(params["limit"]), self.cap)
        page = int(params["page_no"])
        items = listed[(page - 1) * size : page * size]
        return {"payments": items, "bank_accounts": items, "Client_Bank_Accounts": items}


WINDOW = {"created_from": "2024-01-01 00:00:00", "created_to": "2024-01-08 00:00:00"}


async def read(server: Listing, size: PageSize, spec: Any = PAYMENTS) -> list[str]:
    window = WINDOW if spec.window is not None else {}
    pager = Pager(server, "s", spec, size, window, "window")  # type: ignore[arg-type]
    ids: list[str] = []
    async for page in pager.pages():
        ids += [rid for rid, _ in page.rows]
    return ids


async def test_one_probe_proves_the_page_size_instead_of_a_confirmation_per_window() -> None:
    server = Listing(total=1200, in_window=30)
    size = PageSize(500)
    for _ in range(3):  # three windows of one run share the stream's PageSize
        assert await read(server, size) == [r["id"] for r in server.records[:30]]
    probes = [r for r in server.requests if "created_from" not in r]
    assert len(probes) == 1 and probes[0]["limit"] == "500"  # the whole list, a full page
    assert len(server.requests) == 3 + 1  # no confirming request at all
    assert size.proven == 500 and size.dirty  # kept in page_sizes: later runs probe no more
    server.requests.clear()
    await read(server, PageSize(size.ask, size.proven))  # the next run, as loaded
    assert len(server.requests) == 1


async def test_a_probe_short_of_the_page_asked_still_confirms_a_page_of_its_size() -> None:
    # The server caps pages at 40: the probe proves 40, so a first page of 40 may be the cap
    # itself: it is confirmed, and the window read on to its end.
    server = Listing(total=1200, in_window=95, cap=40)
    size = PageSize(500)
    assert await read(server, size) == [r["id"] for r in server.records[:95]]
    assert size.ask == 40  # learned from the confirmation that found more
    # A window of 30 under the same cap: the probe's 40 proves the short page is the end.
    server = Listing(total=1200, in_window=30, cap=40)
    size = PageSize(500)
    assert await read(server, size) == [r["id"] for r in server.records[:30]]
    assert size.proven == 40 and len(server.requests) == 2  # page + probe


async def test_a_list_of_a_few_records_confirms_its_end_on_every_read() -> None:
    server = Listing(total=3, in_window=3, key="ID")
    size = PageSize(500)
    assert await read(server, size, WHOLE) == ["P000000", "P000001", "P000002"]
    assert len(server.requests) == 2  # the page, and the confirmation of its end
    server.requests.clear()
    assert await read(server, PageSize(size.ask, size.proven), WHOLE) == [
        "P000000", "P000001", "P000002",
    ]  # fmt: skip
    assert len(server.requests) == 2  # three records prove no page size: confirmed again


class SlowListing(Listing):
    """As Listing, but every request takes a moment: windows page while the probe is out."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        await asyncio.sleep(0.02)
        return await super().get_json(path, params)


async def test_windows_paging_while_the_probe_is_out_wait_for_it_instead_of_confirming() -> None:
    # Sixteen windows of one stream at once (a backfill's sparse windows): the first short page
    # sends the probe; the others' short pages take its answer instead of each confirming.
    server = SlowListing(total=1200, in_window=30)
    size = PageSize(500)
    found = await asyncio.gather(*(read(server, size) for _ in range(16)))
    assert all(ids == [r["id"] for r in server.records[:30]] for ids in found)
    probes = [r for r in server.requests if "created_from" not in r]
    confirms = [r for r in server.requests if r.get("page_no") != "1"]
    assert len(probes) == 1 and confirms == []
    assert len(server.requests) == 16 + 1


async def test_a_probe_that_proves_nothing_still_leaves_each_window_its_confirmation() -> None:
    # The whole list is as short as the windows' pages: the probe cannot prove them the end,
    # so every waiting window confirms (and finds nothing more).
    server = SlowListing(total=30, in_window=30)
    size = PageSize(500)
    found = await asyncio.gather(*(read(server, size) for _ in range(4)))
    assert all(ids == [r["id"] for r in server.records] for ids in found)
    confirms = [r for r in server.requests if r.get("page_no") == "2"]
    assert len(confirms) == 4


class ZeroBasedListing(Listing):
    """As Listing, but ``page_no`` counts from 0 (the client's page n is its page n + 1), and
    every request takes a moment, so windows page together."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        await asyncio.sleep(0.02)
        self.requests.append(dict(params))
        listed = self.records[: self.in_window] if "created_from" in params else self.records
        size = min(int(params["limit"]), self.cap)
        page = int(params["page_no"]) + 1
        return {"payments": listed[(page - 1) * size : page * size]}


async def test_empty_windows_ask_the_whole_list_where_pages_count_from_once() -> None:
    # A backfill's oldest windows are empty, and an empty window cannot tell where pages count
    # from (a server counting from 0 shows a small window empty at 1 too): each used to probe
    # its own window (16 requests, and the origin stayed unknown). The whole list answers once.
    server = ZeroBasedListing(total=1200, in_window=0)
    size = PageSize(500)
    found = await asyncio.gather(*(read(server, size) for _ in range(16)))
    assert found == [[]] * 16
    assert size.origin == 0
    whole = [r for r in server.requests if "created_from" not in r]
    assert [r["page_no"] for r in whole] == ["1", "0"]  # its first page, then page 0
    # each window: its page 1, then (once the origin is known) its real first page, 0
    assert len(server.requests) == 16 * 2 + 2
    # A window holding records is then read from 0, whole.
    later = ZeroBasedListing(total=1200, in_window=30)
    assert await read(later, size) == [r["id"] for r in later.records[:30]]


async def test_the_whole_lists_first_page_asked_for_its_origin_proves_the_page_size_too() -> None:
    # A backfill's oldest window is empty: the whole list's first page is asked to tell where
    # pages count from. That is the page the page-size probe asks: a later window's short page
    # takes its answer, and the whole list's first page is asked once, not twice.
    server = Listing(total=1200, in_window=0)
    size = PageSize(500)
    assert await read(server, size) == []
    assert size.origin == 1 and size.proven == 500
    server.in_window = 30  # a later window of the same run holds a few records
    assert await read(server, size) == [r["id"] for r in server.records[:30]]
    whole = [r for r in server.requests if "created_from" not in r]
    assert [r["page_no"] for r in whole] == ["1"]
    assert [r["page_no"] for r in server.requests if "created_from" in r] == ["1", "1"]


async def test_a_whole_list_asks_ahead_as_many_pages_as_it_held_last_time() -> None:
    # Payment links (no date filter) are read whole every run. With eight slots and no
    # estimate the slow start guesses past the end (pages 2, 3-4, 5-8, ...); told what the
    # table holds (``reading.pages``, ``stored``), it asks for the pages there are and no more.
    async def read_whole(expect: float | None) -> tuple[list[str], list[dict[str, str]]]:
        server = SlowListing(total=10 * 500 + 120, in_window=0, key="ID")
        size = PageSize(500, proven=500, origin=1)
        pager = Pager(
            server, "s", WHOLE, size, {}, "whole list", Lanes(8), expect=expect,  # type: ignore[arg-type]
        )  # fmt: skip
        return [rid async for page in pager.pages() for rid, _ in page.rows], server.requests

    found, asked = await read_whole(expect=(10 * 500 + 100) / 500)  # what the table held
    assert len(found) == 10 * 500 + 120
    assert sorted(int(r["page_no"]) for r in asked) == list(range(1, 12))
    found, asked = await read_whole(expect=None)
    assert len(found) == 10 * 500 + 120 and len(asked) > 11  # the slow start's guesses


async def test_a_short_whole_list_answer_taken_as_the_probe_releases_later_windows() -> None:
    # (review: without probe_done set, the later window waited for a probe never sent)
    server = Listing(total=30, in_window=0, cap=40)  # the whole list is one short page
    size = PageSize(500)
    assert await read(server, size) == []
    assert size.origin == 1 and size.proven == 30
    server.in_window = 30  # a later window's short page is as long as that answer
    got = await asyncio.wait_for(read(server, size), timeout=10)
    assert got == [r["id"] for r in server.records[:30]]
