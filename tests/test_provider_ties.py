"""Ties at page boundaries (issue 14, item 5): SmarterPay orders lists by a one-second
``created_at`` and nothing promises the order among records sharing a second is the same on
every request. Each test runs a real sync against an emulator started with ``--quirks ties=N``
(records created N to a second, tie order varying per request) and a low page maximum (many
boundaries), and compares the database with the emulator's truth."""

from __future__ import annotations

import json

import asyncpg
import pytest

from connectors.emulator_kit.quirks import QuirkPlan, QuirkSpecError
from connectors.emulator_kit.testing import RunningEmulator, start_emulator
from connectors.smarterpay import STREAMS
from pipelines.store.settings import Settings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from pipelines.sync.runs import RunReport
from tests import test_sync_smarterpay as sp
from tests.truth import differences, resource_of

# The change feed (outbound messages) names every record created, and the engine fetches those
# by id: it would hide a record the paging lost. Left out, only the paging can load records.
PAGED = tuple(name for name in STREAMS if name != "outbound_messages")


async def paged_sync(settings: Settings, emu: RunningEmulator) -> RunReport:
    [report] = await service.sync(settings, SyncRequest(as_of=emu.clock_now()), streams=PAGED)
    return report


async def assert_paged_equal_truth(db_url: str, emu: RunningEmulator) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for name in PAGED:
            truth = emu.truth(resource_of(STREAMS[name]))
            diff = await differences(conn, "smarterpay", "bacs", STREAMS[name], truth)
            assert diff["counts"] == [0, 0], (name, diff)
            assert truth, f"{name}: the emulator holds nothing, the comparison proves nothing"
    finally:
        await conn.close()


def naive_ids(emu: RunningEmulator, path: str, envelope: str, limit: int) -> list[str]:
    """Every id a client trusting ``page_no`` paging would read (no date window)."""
    ids: list[str] = []
    for page_no in range(1, 1000):
        status, _, body = emu.request(
            "GET", f"/service.svc/{path}?limit={limit}&page_no={page_no}",
            headers={"Authorization": f"Bearer {sp.TOKEN}"},
        )  # fmt: skip
        assert status == 200
        items = json.loads(body)[envelope]
        ids += [item["id"] for item in items]
        if len(items) < limit:
            return ids
    raise AssertionError("no short page")


async def test_ties_straddling_page_boundaries_load_every_record_once(fresh_db_url: str) -> None:
    with start_emulator(
        "smarterpay", records=600, seed=48, token=sp.TOKEN, quirks="ties=7,page_max=40"
    ) as emu:
        emu.clock_freeze(True)
        truth = {r["id"] for r in emu.truth("payments")}
        naive = naive_ids(emu, "payments", "payments", 40)
        # The quirk bites: plain paging repeats some records and never serves others.
        assert len(naive) == len(truth) and set(naive) != truth
        settings = sp.make_settings(fresh_db_url, emu)
        report = await paged_sync(settings, emu)
        assert report.outcome == "succeeded", report
        await assert_paged_equal_truth(fresh_db_url, emu)
        # A second run over the same data neither finds nor deletes anything.
        again = await paged_sync(settings, emu)
        assert again.outcome == "succeeded", again
        assert again.counts.records_deleted == again.counts.records_inserted == 0
        await assert_paged_equal_truth(fresh_db_url, emu)


async def test_a_tie_larger_than_a_page_stops_the_stream_loudly(fresh_db_url: str) -> None:
    with start_emulator(
        "smarterpay", records=600, seed=49, token=sp.TOKEN, quirks="ties=60,page_max=40"
    ) as emu:
        emu.clock_freeze(True)
        report = await sp.sync(sp.make_settings(fresh_db_url, emu), emu)
        error = report.streams["payments"].error or ""
        assert report.outcome == "partial", report
        assert "source 'bacs', stream payments, window" in error, error
        assert "more records were created in the second" in error and "not committed" in error


def test_ties_quirk_needs_two_or_more_records_a_second() -> None:
    assert QuirkPlan.parse("ties=3").ties == 3 and QuirkPlan.parse("ties=3").active
    with pytest.raises(QuirkSpecError, match="2 or more"):
        QuirkPlan.parse("ties=1")
