"""A cold review's findings on verified paging (issue 14), each once a silent loss:
- a server capping pages below ``MIN_BELIEVED_CAP``: a short page of the re-read, or of a later
  run after a tiny list, was believed to be the last and the sync succeeded with records
  missing;
- a page size proven under the documented paging generation ended the fallback's pages early;
- the page-origin probe asked one record, which a server counting from 0 may refuse for its
  size: the refusal read as "counts from 1" and every window lost its first page.
Expected sides are the servers' own records and the emulator's truth."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from connectors.emulator_kit.testing import start_emulator
from connectors.errors import ProviderRequestError
from connectors.smarterpay import STREAMS
from pipelines.sync import service
from pipelines.sync.page_sizes import PageSize
from pipelines.sync.plan import SyncRequest
from tests import test_smart2pay_sync as s2p
from tests import test_sync_smarterpay as sp
from tests.test_pager import read as read_from_zero
from tests.test_pager_probe import Listing, read
from tests.test_unnamed_behaviours import FromZeroServer
from tests.truth import differences, resource_of


async def _whole_or_loud(server: Listing, size: PageSize) -> None:
    try:
        ids = await read(server, size)
    except Exception as exc:  # a loud stop keeps the promise too
        assert "arrived" in str(exc) or "paging" in str(exc), exc
        return
    assert ids == [r["id"] for r in server.records[: len(ids)]]
    assert len(ids) == 12, f"got {len(ids)} of 12"


async def test_a_cap_below_ten_is_never_taken_for_the_end_of_a_window() -> None:
    await _whole_or_loud(Listing(total=12, in_window=12, cap=5), PageSize(500))


async def test_a_tiny_list_read_once_does_not_make_later_short_pages_the_end() -> None:
    size = PageSize(500)
    assert len(await read(Listing(total=3, in_window=3, cap=5), size)) == 3
    await _whole_or_loud(Listing(total=12, in_window=12, cap=5), PageSize(size.ask, size.proven))


class FromZeroWithMinimumLimit(FromZeroServer):
    """Counts pages from 0 and refuses a page size below 10 (HTTP 400), as some APIs do."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        if int(params["limit"]) < 10:
            self.requests.append(dict(params))
            raise ProviderRequestError("source 's': GET x answered HTTP 400: limit", 400)
        return await super().get_json(path, params)


async def test_the_origin_probe_asks_a_real_page_size() -> None:
    server = FromZeroWithMinimumLimit(1234)
    size = PageSize(500)
    ids = await read_from_zero(server, size)
    assert ids == [r["ID"] for r in server.records]
    assert size.origin == 0


async def test_a_sync_behind_a_page_cap_of_five_never_succeeds_with_records_missing(
    fresh_db_url: str,
) -> None:
    quirks = "page_max=5"
    with start_emulator("smarterpay", records=300, seed=41, token=sp.TOKEN, quirks=quirks) as emu:
        report = await sp.sync(sp.make_settings(fresh_db_url, emu), emu)
        conn = await asyncpg.connect(fresh_db_url)
        try:
            missing = {}
            for spec in STREAMS.values():
                truth = emu.truth(resource_of(spec))
                diff = await differences(conn, "smarterpay", "bacs", spec, truth)
                if diff["counts"] != [0, 0]:
                    missing[spec.name] = diff["counts"]
        finally:
            await conn.close()
    assert report.outcome != "succeeded" or not missing, missing


async def test_a_fallback_generation_learns_its_own_page_size(fresh_db_url: str) -> None:
    options = dict(records=2000, seed=42, site_id=s2p.SITE_ID, api_key=s2p.API_KEY)
    with start_emulator("smart2pay", **options) as good:
        good.clock_freeze(True)
        at = good.clock_now()
        await s2p.sync(s2p.make_settings(fresh_db_url, good), good)
    # the provider now serves only the older paging, at most 100 a page
    with start_emulator("smart2pay", quirks="paging=legacy,page_max=100", **options) as bad:
        bad.clock_freeze(True)
        bad.clock_set(at)
        request = SyncRequest(kind="full-refresh", streams=("payments",), as_of=at)
        [report] = await service.sync(s2p.make_settings(fresh_db_url, bad), request)
        assert report.outcome == "succeeded", report
        await s2p.assert_equals_truth(fresh_db_url, bad)
