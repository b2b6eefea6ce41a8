"""The census (reconciliation's independent count, issue 14) against ties at page boundaries
and a provider whose date filters mean another zone than the source's ``timezone``.

Each test syncs a correct copy first and shows reconciliation finds no drift on it (the census
neither skips a tied record nor misses the horizon's last hour), then deletes records behind
paysync's back (an incomplete copy) and shows reconciliation names exactly those as
``missing`` and ``--repair`` brings the database back to the emulator's truth."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest

from connectors.emulator_kit.testing import RunningEmulator, start_emulator
from connectors.smarterpay import STREAMS
from pipelines.reconcile import runner as recon
from pipelines.store.settings import Settings
from tests import test_sync_smarterpay as sp
from tests.test_provider_ties import PAGED, paged_sync
from tests.truth import differences, resource_of

SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)  # London is UTC+1
CHECKED = ("payments", "mandates", "customer_accounts", "bank_accounts")


async def execute(db_url: str, sql: str, *args: object) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(sql, *args)
    finally:
        await conn.close()


async def assert_streams_equal_truth(
    db_url: str, emu: RunningEmulator, names: Sequence[str]
) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for name in names:
            truth = emu.truth(resource_of(STREAMS[name]))
            diff = await differences(conn, "smarterpay", "bacs", STREAMS[name], truth)
            assert diff["counts"] == [0, 0], (name, diff)
            assert truth, name
    finally:
        await conn.close()


async def drift(settings: Settings, emu: RunningEmulator, repair: bool = False) -> dict:
    report = await recon.reconcile(
        settings, range_from=date(2018, 1, 1), as_of=emu.clock_now(), streams=list(CHECKED),
        repair=repair,
    )  # fmt: skip
    found: dict[str, set[str]] = {"missing": set(), "extra": set(), "differs": set()}
    for d in report.diffs:
        if d.kind in found and d.record_id is not None:
            found[d.kind].add(f"{d.stream}/{d.record_id}")
    return {"outcome": report.outcome, **found, "errors": [s.error for s in report.streams
                                                           if s.error]}  # fmt: skip


async def delete_payments(db_url: str, ids: list[str]) -> set[str]:
    await execute(db_url, "DELETE FROM smarterpay.payments WHERE id = ANY($1::text[])", ids)
    return {f"payments/{i}" for i in ids}


async def test_census_neither_skips_nor_invents_records_at_tied_page_boundaries(
    fresh_db_url: str,
) -> None:
    with start_emulator(
        "smarterpay", records=600, seed=48, token=sp.TOKEN, quirks="ties=7,page_max=40"
    ) as emu:
        emu.clock_freeze(True)
        settings = sp.make_settings(fresh_db_url, emu)
        report = await paged_sync(settings, emu)
        assert report.outcome == "succeeded", report
        await assert_streams_equal_truth(fresh_db_url, emu, PAGED)

        clean = await drift(settings, emu)
        assert clean == {"outcome": "clean", "missing": set(), "extra": set(), "differs": set(),
                         "errors": []}, clean  # fmt: skip

        # Every record shares its second with six others: any of them may sit at a boundary.
        ordered = sorted(emu.truth("payments"), key=lambda r: (r["created_at"], r["id"]))
        lost = await delete_payments(fresh_db_url, [str(r["id"]) for r in ordered[3::37]])
        assert len(lost) >= 10
        found = await drift(settings, emu)
        assert found["outcome"] == "drift" and found["missing"] == lost, found
        assert found["extra"] == found["differs"] == set(), found

        fixed = await drift(settings, emu, repair=True)
        assert fixed["outcome"] == "repaired" and fixed["missing"] == lost, fixed
        await assert_streams_equal_truth(fresh_db_url, emu, PAGED)


@pytest.mark.parametrize("timezone", ["UTC", "Europe/London"])
async def test_census_covers_the_horizon_edges_in_the_providers_local_time(
    fresh_db_url: str, timezone: str
) -> None:
    """``UTC``: the setting is one hour off the provider's zone; ``Europe/London``: right."""
    with start_emulator(
        "smarterpay", records=700, seed=52, token=sp.TOKEN, quirks="filter_tz=Europe/London"
    ) as emu:
        emu.clock_set(SUMMER)
        emu.clock_freeze(True)
        # "now" half an hour after the latest payment: the horizon's last hour holds records,
        # which filters read an hour early would never list.
        payments = sorted(emu.truth("payments"), key=lambda r: r["created_at"])
        latest = datetime.fromisoformat(payments[-1]["created_at"])
        emu.clock_set(latest + timedelta(minutes=30))
        last_hour = [
            str(r["id"]) for r in payments
            if datetime.fromisoformat(r["created_at"]) > latest - timedelta(minutes=30)
        ]  # fmt: skip
        settings = sp.make_settings(fresh_db_url, emu, timezone=timezone)
        report = await sp.sync(settings, emu)
        assert report.outcome == "succeeded", report
        await assert_streams_equal_truth(fresh_db_url, emu, CHECKED)

        clean = await drift(settings, emu)
        assert clean == {"outcome": "clean", "missing": set(), "extra": set(), "differs": set(),
                         "errors": []}, clean  # fmt: skip

        # Lost: the records of the horizon's last half hour, and a few from the middle.
        lost = await delete_payments(
            fresh_db_url, last_hour + [str(r["id"]) for r in payments[100:400:60]]
        )
        found = await drift(settings, emu)
        assert found["outcome"] == "drift" and found["missing"] == lost, found
        assert found["extra"] == found["differs"] == set(), found

        fixed = await drift(settings, emu, repair=True)
        assert fixed["outcome"] == "repaired" and fixed["missing"] == lost, fixed
        await assert_streams_equal_truth(fresh_db_url, emu, CHECKED)
