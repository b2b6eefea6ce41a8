"""Local time where the documents give no zone (issue 14, item 6). The emulator's
``filter_tz=Europe/London`` quirk reads date filters as London wall-clock time and writes the
zone-less times inside records (payment links) in London time; its admin truth stays in UTC.
Each test runs a real sync in British Summer Time (London = UTC+1) and compares with truth."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import asyncpg

from connectors.emulator_kit.testing import RunningEmulator, start_emulator
from connectors.smarterpay import STREAMS
from pipelines.reconcile.runner import reconcile
from tests import test_sync_smarterpay as sp
from tests.truth import differences, resource_of

SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)
ZONELESS_LINK_TIMES = ("created_at", "expiry", "visited_at", "completed_at")


async def fetch(db_url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


def utc(text: str | None) -> datetime | None:
    """The emulator's truth spells zone-less times in UTC (computed here, not by paysync)."""
    if text in (None, "", "never"):
        return None
    return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)


async def test_zoneless_record_times_are_read_in_the_source_timezone(fresh_db_url: str) -> None:
    with start_emulator(
        "smarterpay", records=400, seed=51, token=sp.TOKEN, quirks="filter_tz=Europe/London"
    ) as emu:
        emu.clock_set(SUMMER)
        emu.clock_freeze(True)
        settings = sp.make_settings(fresh_db_url, emu, timezone="Europe/London")
        report = await sp.sync(settings, emu)
        assert report.outcome == "succeeded", report
        truth = {r["id"]: r for r in emu.truth("paymentlinks")}
        stored = await fetch(
            fresh_db_url,
            "SELECT id, raw, created_at, expiry, visited_at, completed_at FROM smarterpay.payment_links",
        )
        assert len(stored) == len(truth) > 0
        shifted = 0
        for row in stored:
            raw = json.loads(row["raw"])
            for name in ZONELESS_LINK_TIMES:
                assert row[name] == utc(truth[row["id"]][name]), (row["id"], name)
                shifted += raw[name] not in (None, "never") and raw[name] != truth[row["id"]][name]
        assert shifted > 0  # the provider really sent London wall-clock times
        await sp.assert_equals_truth(fresh_db_url, emu)
        # Reconciliation projects the provider's records in the same zone: no drift.
        recon = await reconcile(settings, range_from=date(2018, 1, 1), as_of=emu.clock_now())
        drift = [s for s in recon.streams if s.missing or s.extra or s.differing]
        assert drift == [], drift


async def test_to_ts_reads_zoneless_values_in_the_transaction_zone(db_url: str) -> None:
    values = [
        "2026-07-15 12:00:00",
        "20260715120000",
        "2026-07-15T12:00:00Z",
        "2026-01-15 12:00:00",
    ]
    conn = await asyncpg.connect(db_url)
    try:
        async with conn.transaction():
            utc_read = await conn.fetch(
                "SELECT paysync.to_ts(v) AS t FROM unnest($1::text[]) v", values
            )
            await conn.execute(
                "SELECT set_config('paysync.source_timezone', 'Europe/London', true)"
            )
            london = await conn.fetch(
                "SELECT paysync.to_ts(v) AS t FROM unnest($1::text[]) v", values
            )
        after = await conn.fetchval("SELECT paysync.to_ts('2026-07-15 12:00:00')")
    finally:
        await conn.close()
    noon = datetime(2026, 7, 15, 12, tzinfo=UTC)
    assert [r["t"] for r in utc_read] == [noon, noon, noon, datetime(2026, 1, 15, 12, tzinfo=UTC)]
    # BST is UTC+1; in January London is on UTC; a value with Z is never re-read
    assert [r["t"] for r in london] == [
        noon - timedelta(hours=1),
        noon - timedelta(hours=1),
        noon,
        datetime(2026, 1, 15, 12, tzinfo=UTC),
    ]
    assert after == noon  # transaction-local: the next transaction reads UTC again


async def test_timezone_setting_wrong_by_one_hour_loses_and_deletes_nothing(
    fresh_db_url: str,
) -> None:
    with start_emulator(
        "smarterpay", records=700, seed=52, token=sp.TOKEN, quirks="filter_tz=Europe/London"
    ) as emu:
        emu.clock_set(SUMMER)
        emu.clock_freeze(True)
        # "now" half an hour after the latest payment: the last window's final hour holds a
        # record, which a window read an hour early would never see.
        latest = max(r["created_at"] for r in emu.truth("payments"))
        emu.clock_set(datetime.fromisoformat(latest) + timedelta(minutes=30))
        settings = sp.make_settings(fresh_db_url, emu)  # timezone left at UTC: one hour off
        report = await sp.sync(settings, emu)
        assert report.outcome == "succeeded", report
        await assert_equal_but_link_times(fresh_db_url, emu)
        again = await sp.sync(settings, emu)
        assert again.outcome == "succeeded", again
        await assert_equal_but_link_times(fresh_db_url, emu)
        changes = await fetch(
            fresh_db_url, "SELECT change_kind, count(*) AS n FROM paysync.record_changes GROUP BY 1"
        )
        assert changes == [], changes  # no false delete, no undelete, no churn on either run
        for spec in STREAMS.values():
            deleted = await fetch(
                fresh_db_url,
                f"SELECT id FROM smarterpay.{spec.name} WHERE _deleted_at IS NOT NULL",
            )
            assert deleted == [], (spec.name, deleted[:3])


async def assert_equal_but_link_times(db_url: str, emu: RunningEmulator) -> None:
    """Database == truth. With the setting wrong, the payment links' zone-less times are read
    an hour off, as the setting says; windows must not be, so every other column is compared."""
    conn = await asyncpg.connect(db_url)
    try:
        for spec in STREAMS.values():
            skip = ZONELESS_LINK_TIMES if spec.name == "payment_links" else ()
            truth = emu.truth(resource_of(spec))
            diff = await differences(conn, "smarterpay", "bacs", spec, truth, skip_columns=skip)
            assert diff["counts"] == [0, 0], (spec.name, diff)
            assert truth, spec.name
    finally:
        await conn.close()


async def test_a_file_run_in_the_last_hour_loads_its_lines_with_the_filter_an_hour_early(
    fresh_db_url: str,
) -> None:
    """Submission lines carry no time of their own, so nothing proves a window's ends: with
    "now" half an hour after the latest file run and the filter an hour early, the newest
    window's last hour holds that run's lines (lost, with the run succeeding, before)."""
    with start_emulator(
        "smarterpay", records=700, seed=52, token=sp.TOKEN, quirks="filter_tz=Europe/London"
    ) as emu:
        emu.clock_set(SUMMER)
        emu.clock_freeze(True)
        spec = STREAMS["submission_lines"]
        with_lines = {r["submission_id"] for r in emu.truth(resource_of(spec))}
        run, at = max(
            (r["created_at"], r["Id"]) for r in emu.truth("submissions") if r["Id"] in with_lines
        )[::-1]
        emu.clock_set(datetime.fromisoformat(at) + timedelta(minutes=30))
        report = await sp.sync(sp.make_settings(fresh_db_url, emu), emu)  # timezone UTC
        assert report.outcome == "succeeded", report
        truth = emu.truth(resource_of(spec))
        assert any(r["submission_id"] == run for r in truth)  # the run's lines exist by now
        conn = await asyncpg.connect(fresh_db_url)
        try:
            diff = await differences(conn, "smarterpay", "bacs", spec, truth)
        finally:
            await conn.close()
        assert diff["counts"] == [0, 0], diff
