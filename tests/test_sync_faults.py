"""Every fault the SmarterPay emulator injects ends in the same place: the database equals the
provider's truth (sync engine issue: faults and crashes)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.errors import ProviderAuthError
from tests.test_sync_smarterpay import TOKEN, assert_equals_truth, make_settings, sync

FAULTS = (
    "latency=2,429=0.04,500=0.03,502=0.02,503=0.02,504=0.02,retry_after=0,truncate=0.02,"
    "reset=0.02,insert_while_paging=0.05,change_while_paging=0.05,late_arrivals=0.03,"
    "malformed=0.003,seed=7"
)


async def test_fault_plan_ends_equal_to_truth(db_url: str) -> None:
    with start_emulator("smarterpay", records=600, seed=21, token=TOKEN, faults=FAULTS) as emu:
        # A lookback covering all history: late arrivals land inside it wherever they fall.
        settings = make_settings(db_url, emu, lookback_days=5000)
        faulted = await sync(settings, emu)
        served = emu.stats()["by_status"]
        assert {"429", "500", "503"} <= set(served), served  # the faults really happened
        assert faulted.counts.retries > 0 and faulted.outcome == "succeeded", {
            s.name: s.error for s in faulted.streams.values() if s.error
        }
        conn = await asyncpg.connect(db_url)
        try:
            rejects = await conn.fetchval(
                "SELECT count(*) FROM paysync.rejects WHERE run_id = $1", faulted.run_id
            )
        finally:
            await conn.close()
        assert rejects == faulted.counts.records_rejected > 0  # malformed records kept, not lost
        emu.set_faults(None)
        await sync(settings, emu)  # picks up what arrived while the first run paged
        await assert_equals_truth(db_url, emu)


async def test_expired_token_stops_the_run_and_keeps_finished_windows(fresh_db_url: str) -> None:
    with start_emulator(
        "smarterpay", records=300, seed=22, token=TOKEN, faults="token_expiry_after=40"
    ) as emu:
        settings = make_settings(fresh_db_url, emu)
        with pytest.raises(ProviderAuthError, match=r"HTTP 498.*SP_TOKEN") as failure:
            await sync(settings, emu)
        assert TOKEN not in str(failure.value)
        conn = await asyncpg.connect(fresh_db_url)
        try:
            run = await conn.fetchrow(
                "SELECT outcome, windows FROM paysync.sync_runs ORDER BY run_id DESC LIMIT 1"
            )
            kept = await conn.fetchval("SELECT count(*) FROM paysync.sync_windows")
        finally:
            await conn.close()
        assert run["outcome"] == "failed" and kept > 0


def test_sigkill_at_random_points_loses_and_repeats_nothing(
    fresh_db_url: str, tmp_path: Path
) -> None:
    with start_emulator(
        "smarterpay", records=1500, seed=23, token=TOKEN, faults="latency=8"
    ) as emu:
        config = tmp_path / "paysync.toml"
        config.write_text(
            f'[[sources]]\nname = "bacs"\nprovider = "smarterpay"\nbase_url = "{emu.base_url}"\n'
            f'token_env = "SP_TOKEN"\nca_bundle = "{emu.ca_path}"\nstart_date = "{date(2018, 1, 1)}"\n'
        )
        env = {**os.environ, "PAYSYNC_CONFIG": str(config), "DATABASE_URL": fresh_db_url,
               "SP_TOKEN": TOKEN, "PAYSYNC_SYNC__LAG_SECONDS": "0"}  # fmt: skip
        command = [str(Path(sys.executable).parent / "paysync"), "sync", "--json"]
        rng = random.Random(5)
        for _ in range(6):
            # Kill after a random amount of progress (windows committed), not of wall time:
            # the point stays random and meaningful however loaded the machine is.
            target = asyncio_run(_ledger_size(fresh_db_url)) + rng.randint(1, 25)
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
            )
            deadline = time.monotonic() + 120
            while process.poll() is None and time.monotonic() < deadline:
                if asyncio_run(_ledger_size(fresh_db_url)) >= target:
                    break
                time.sleep(0.05)
            process.send_signal(signal.SIGKILL)
            process.wait()
        done_by_killed_runs = asyncio_run(_settled_old_windows(fresh_db_url, emu))
        assert done_by_killed_runs, "no window finished before the kills: the test proves nothing"
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=300)
        assert final.returncode == 0, final.stderr
        asyncio_run(assert_equals_truth(fresh_db_url, emu))
        # Settled windows outside the lookback, finished by killed runs, were not read again:
        # a re-read would have replaced their ledger row (and its run_id).
        missing = done_by_killed_runs - asyncio_run(_settled_old_windows(fresh_db_url, emu))
        assert not missing, sorted(missing)[:5]


async def _ledger_size(db_url: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM paysync.sync_windows"))
    finally:
        await conn.close()


async def _settled_old_windows(db_url: str, emu) -> set[tuple]:
    from datetime import timedelta

    horizon = emu.clock_now() - timedelta(days=8)
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            """SELECT stream, window_start, window_end, run_id FROM paysync.sync_windows
               WHERE open_records = 0 AND window_end < $1""",
            horizon,
        )
        return {tuple(r) for r in rows}
    finally:
        await conn.close()


def asyncio_run(coro):
    import asyncio

    return asyncio.run(coro)


async def test_contract_change_stops_only_that_stream_and_keeps_the_rejects(
    fresh_db_url: str,
) -> None:
    with start_emulator(
        "smarterpay", records=200, seed=24, token=TOKEN, faults="malformed=0.3,seed=2"
    ) as emu:
        report = await sync(make_settings(fresh_db_url, emu), emu)
    failed = {name: s.error for name, s in report.streams.items() if s.error}
    assert report.outcome == "partial" and failed
    assert all("provider contract changed?" in e for e in failed.values())
    assert any(not s.error and s.counts.records_inserted for s in report.streams.values())
    conn = await asyncpg.connect(fresh_db_url)
    try:
        kept = await conn.fetchval(
            "SELECT count(*) FROM paysync.rejects WHERE run_id = $1", report.run_id
        )
        outcome = await conn.fetchval(
            "SELECT outcome FROM paysync.sync_runs WHERE run_id = $1", report.run_id
        )
    finally:
        await conn.close()
    assert kept > 0 and outcome == "partial"


async def test_maintenance_beyond_the_retry_budget_gives_up_cleanly(fresh_db_url: str) -> None:
    from connectors.errors import ProviderUnavailableError

    with start_emulator(
        "smarterpay", records=50, seed=25, token=TOKEN, faults="maintenance=1,retry_after=0"
    ) as emu:
        settings = make_settings(fresh_db_url, emu)
        settings.sync.retry_budget_seconds = 2
        with pytest.raises(ProviderUnavailableError, match="HTTP 503.*rerun later"):
            await sync(settings, emu)
        emu.set_faults(None)  # maintenance over: the next run completes
        report = await sync(settings, emu)
        assert report.outcome == "succeeded"
        await assert_equals_truth(fresh_db_url, emu)
