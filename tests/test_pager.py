"""The pager's rules against small in-process servers (pure: no network, no database), for
behaviours the emulators do not offer: a server ignoring the page size, one ignoring the page
number, an empty-page confirmation. The expected side is the server's own list of records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest

from connectors.errors import ContractChangedError
from connectors.smart2pay import STREAMS as S2P_STREAMS
from connectors.smarterpay import STREAMS
from pipelines.sync.page_sizes import PageSize
from pipelines.sync.pager import Pager

SPEC = STREAMS["client_bank_accounts"]  # whole list, PageNumbers paging


class Server:
    """A SmarterPay-like list of ``total`` records with a configurable misbehaviour."""

    def __init__(self, total: int, cap: int = 500, default: int | None = None,
                 ignore_page_no: bool = False) -> None:  # fmt: skip
        self.records = [{"ID": f"CBA{i:05d}", "Account_Number": "12345678"} for i in range(total)]
        self.cap, self.default, self.ignore_page_no = cap, default, ignore_page_no
        self.requests: list[dict[str, str]] = []

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        self.requests.append(dict(params))
        size = self.default or min(int(params["limit"]), self.cap)
        page = 1 if self.ignore_page_no else int(params["page_no"])
        items = self.records[(page - 1) * size : page * size]
        return {SPEC.envelope: items} if items else {}  # an empty page as an empty body


async def read(server: Server, size: PageSize) -> list[str]:
    pager = Pager(server, "s", SPEC, size, {}, "whole list")  # type: ignore[arg-type]
    ids: list[str] = []
    async for page in pager.pages():
        assert not page.rejects
        ids += [rid for rid, _ in page.rows]
    return ids


@pytest.mark.parametrize("total", [0, 1, 39, 40, 41, 333, 1000])
async def test_server_ignoring_the_page_size_loses_nothing(total: int) -> None:
    server = Server(total, default=40)  # serves its default page whatever limit says
    size = PageSize(500)
    assert await read(server, size) == [r["ID"] for r in server.records]
    if total > 40:
        assert size.ask == 40 and size.dirty  # learned, for the next run


async def test_learned_size_makes_later_reads_free_of_confirmations() -> None:
    server = Server(95, cap=40)
    size = PageSize(500)
    await read(server, size)
    first = len(server.requests)  # 40 + 40 + 15: one confirming request found more
    server.requests.clear()
    assert await read(server, size) == [r["ID"] for r in server.records]
    assert len(server.requests) == 3 < first + 1  # 40 + 40 + 15, nothing confirmed
    assert all(r["limit"] == "40" for r in server.requests)


async def test_short_page_under_the_proven_size_is_the_end() -> None:
    server = Server(12)
    assert await read(server, PageSize(500, proven=100, origin=1)) == [
        r["ID"] for r in server.records
    ]
    assert len(server.requests) == 1


async def test_server_ignoring_the_page_number_stops_loudly() -> None:
    server = Server(1200, ignore_page_no=True)
    with pytest.raises(ContractChangedError, match="ignores the paging parameters"):
        await read(server, PageSize(500))


class Arriving(Server):
    """A record arrives (sorting first) right after the first page was served: the window grew
    while it was paged, as late or back-dated records do."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        body = await super().get_json(path, params)
        if len(self.requests) == 1:
            self.records.insert(0, {"ID": "CBA-LATE", "Account_Number": "12345678"})
        return body


@pytest.mark.parametrize("total", [1, 2, 7])
async def test_a_record_arriving_while_paging_is_not_a_page_cap(total: int) -> None:
    server = Arriving(total)
    size = PageSize(500)
    ids = await read(server, size)
    assert set(ids) == {r["ID"] for r in server.records}  # the late one too, nothing lost
    assert size.ask == 500  # a short first page plus an arrival taught no cap of `total`


class Tied(Server):
    """Payments created 60 in one second, served 40 a page in an order that changes with every
    request, as a provider sorting only by the second may: here each page starts with the same
    record, so the head of page 2 is the head of page 1 (a CI run met this by chance)."""

    def __init__(self) -> None:
        super().__init__(0)
        self.records = [
            {"id": f"PAY{i:02d}", "created_at": "2025-03-01T10:00:00"} for i in range(60)
        ]

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        self.requests.append(dict(params))
        size, page = min(int(params["limit"]), 40), int(params["page_no"])
        start = (page - 1) * size
        order = self.records[1 : start + 1] + self.records[:1] + self.records[start + 1 :]
        items = order[start : start + size]
        return {"payments": items} if items else {}


async def test_a_tie_bringing_back_a_page_head_is_named_a_tie_not_broken_paging() -> None:
    server = Tied()
    size, window = PageSize(40, proven=40, origin=1), {"created_from": "2025-03-01"}
    pager = Pager(
        server, "s", STREAMS["payments"], size, window, "window 2025-03",  # type: ignore[arg-type]
        narrow=lambda second: {"created_from": second.isoformat()},
    )  # fmt: skip
    with pytest.raises(ContractChangedError, match="more records were created in the second"):
        async for _ in pager.pages():
            pass
    assert [r["page_no"] for r in server.requests] == ["1", "2", "1", "2"]  # window, its second


class OverlappingTotals:
    """Smart2Pay-like ``pageSize``/``pageIndex`` with totals, each page after the first starting
    with the last record of the page before (an inclusive cursor), and ``TotalPages`` counted
    as if pages did not overlap: 159 records of 40 a page need a 5th page, the body says 4."""

    def __init__(self, total: int = 159, size: int = 40) -> None:
        self.records = [{"ID": 2400000 + i, "Created": "20250301100000"} for i in range(total)]
        self.size, self.requests = size, 0

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        self.requests += 1
        page = int(params["pageIndex"])
        start = (page - 1) * (self.size - 1)
        total = len(self.records)
        return {
            "Payments": self.records[start : start + self.size], "PageIndex": page,
            "PageSize": self.size, "TotalCount": total, "TotalPages": -(-total // self.size),
        }  # fmt: skip


async def test_overlapping_pages_past_the_total_pages_are_read() -> None:
    server = OverlappingTotals()
    spec = S2P_STREAMS["payments"]
    size = PageSize(40, proven=40, origin=1)
    pager = Pager(server, "s", spec, size, {}, "whole list")  # type: ignore[arg-type]
    ids = {rid async for page in pager.pages() for rid, _ in page.rows}
    assert ids == {str(r["ID"]) for r in server.records}
    assert server.requests == 5  # the 5th page, past TotalPages, and no re-read
