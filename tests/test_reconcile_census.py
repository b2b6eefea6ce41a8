"""Reconciliation counts the provider by a path independent of the sync's paging (issue 14):
a sync that trusted short pages from a server with a lower page maximum missed records and
reported success; reconciliation, run with the very same broken paging in place, reports
those records as missing, and ``--repair`` brings them in (database == emulator truth)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from pipelines.reconcile import runner as recon
from pipelines.sync import page_sizes
from pipelines.sync.page_sizes import PageSize
from tests import test_sync_smarterpay as sp


def trust_every_short_page(monkeypatch: pytest.MonkeyPatch) -> None:
    """Paging as it was before issue 14: a short page is always the last one."""

    def get(self: Any, spec: Any) -> PageSize:
        return PageSize(spec.page_size, proven=10**9, origin=1)

    monkeypatch.setattr(page_sizes.PageSizes, "get", get)


async def test_census_finds_what_a_short_page_sync_missed_and_repair_loads_it(
    fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with start_emulator(
        "smarterpay", records=600, seed=51, token=sp.TOKEN, quirks="page_max=7"
    ) as emu:
        emu.clock_freeze(True)
        settings = sp.make_settings(fresh_db_url, emu)
        trust_every_short_page(monkeypatch)
        report = await sp.sync(settings, emu)
        assert report.outcome == "succeeded"  # the silent loss the issue describes
        truth = {str(r["id"]) for r in emu.truth("payments")}
        loaded = {
            r["id"] for r in await sp_rows(fresh_db_url, "SELECT id FROM smarterpay.payments")
        }
        lost = truth - loaded
        assert lost, "the planted paging defect lost nothing: the test would prove nothing"

        start = (emu.clock_now() - timedelta(days=4000)).date()
        found = await recon.reconcile(
            settings, range_from=start, as_of=emu.clock_now(), streams=["payments"]
        )
        missing = {d.record_id for d in found.diffs if d.kind == "missing"}
        assert missing == lost, (len(missing), len(lost))
        assert found.outcome == "drift"

        # Every stream lost records to the same defect: repair them all, then nothing differs.
        fixed = await recon.reconcile(
            settings, range_from=start, as_of=emu.clock_now(), repair=True
        )
        assert fixed.outcome == "repaired", recon.report_markdown(fixed)
        await sp.assert_equals_truth(fresh_db_url, emu)


async def sp_rows(db_url: str, sql: str) -> list[Any]:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()
