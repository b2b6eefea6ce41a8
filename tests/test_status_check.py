"""``paysync status`` for operators and cron (issue 18 item 7, "monitoring without glue"): exit 1
after a failed run with its error shown, ``--check`` red on lag / rejects / failures, ``--json``
carrying the last error, and a table that fits 80 columns when piped."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import date
from pathlib import Path

import asyncpg
import orjson
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.store.settings import DatabaseSettings, Settings, SmarterPaySource, SyncSettings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests.test_cli_db import paysync

TOKEN = "sp-status-token-0042"


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=80, seed=23, token=TOKEN) as emu:
        emu.clock_freeze()
        yield emu


@pytest.fixture(scope="module")
def config(tmp_path_factory: pytest.TempPathFactory, emulator) -> Path:
    path = tmp_path_factory.mktemp("status") / "paysync.toml"
    path.write_text(f"""[[sources]]
name = "bacs"
provider = "smarterpay"
base_url = "{emulator.base_url}"
token_env = "STATUS_SP_TOKEN"
ca_bundle = "{emulator.ca_path}"
start_date = "2018-01-01"
""")
    return path


async def sync_with(db_url: str, emu, token: str) -> None:
    src = SmarterPaySource(
        name="bacs", provider="smarterpay", base_url=emu.base_url, token_env="STATUS_SP_TOKEN",
        ca_bundle=Path(emu.ca_path), start_date=date(2018, 1, 1),
    )  # fmt: skip
    src.set_secret(token)
    settings = Settings(database=DatabaseSettings(url=db_url), sources=[src],
                        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=10))  # fmt: skip
    with contextlib.suppress(Exception):  # a refused token ends the run; status must say so
        await service.sync(settings, SyncRequest(as_of=emu.clock_now()))


def status(db_url: str, config: Path, *args: str):
    return paysync("status", *args, env={"DATABASE_URL": db_url, "PAYSYNC_CONFIG": str(config)})


async def test_healthy_after_a_sync_and_the_table_fits_80_columns(db_url, emulator, config) -> None:
    await sync_with(db_url, emulator, TOKEN)
    plain = status(db_url, config)
    assert plain.returncode == 0, plain.stderr
    lines = plain.stdout.splitlines()
    assert max(len(line) for line in lines) <= 80, plain.stdout
    for name in STREAMS:  # every stream on its own line, its name whole
        assert any(f" {name} " in f" {line} " for line in lines), (name, plain.stdout)
    checked = status(db_url, config, "--check", "--max-lag", "30d")
    assert checked.returncode == 0, checked.stderr
    await asyncio.sleep(2)
    lagging = status(db_url, config, "--check", "--max-lag", "1s")
    assert lagging.returncode == 1 and "exceeds 1 s" in lagging.stderr, lagging.stderr
    assert "Traceback" not in lagging.stderr


async def test_drift_found_by_reconciliation_or_new_rejects_turn_check_red(
    db_url, emulator, config
) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute(
            """INSERT INTO paysync.reconciliation_runs (range_from, range_to, sources, outcome,
                   finished_at, differing) VALUES (now() - interval '30 days', now(), '{bacs}',
                   'drift', now(), 3)"""
        )
        drift = status(db_url, config, "--check", "--max-lag", "30d")
        assert drift.returncode == 1 and "last reconciliation: drift" in drift.stderr, drift.stderr
        assert status(db_url, config).returncode == 0  # without --check: only failed runs count
        await conn.execute("DELETE FROM paysync.reconciliation_runs")
        run_id = await conn.fetchval("SELECT max(run_id) FROM paysync.sync_runs")
        await conn.execute(
            """INSERT INTO paysync.rejects (source, stream, run_id, raw, error)
               VALUES ('bacs', 'payments', $1, '{}', 'planted')""",
            run_id,
        )
        rejected = status(db_url, config, "--check", "--max-lag", "30d")
        assert rejected.returncode == 1, rejected.stderr
        assert "bacs/payments: 1 records rejected by the last run" in rejected.stderr
        await conn.execute("DELETE FROM paysync.rejects")
        assert status(db_url, config, "--check", "--max-lag", "30d").returncode == 0
        partial = await conn.fetchval(
            """INSERT INTO paysync.sync_runs (kind, source, outcome, details, finished_at)
               VALUES ('incremental', 'bacs', 'partial',
                       '{"stream_errors": {"mandates": "provider contract changed?"}}', now())
               RETURNING run_id"""
        )
        one_failed = status(db_url, config)
        assert one_failed.returncode == 1, one_failed.stderr
        assert "bacs/mandates: last run failed: provider contract changed?" in one_failed.stderr
        assert "bacs/payments" not in one_failed.stderr
        await conn.execute("DELETE FROM paysync.sync_runs WHERE run_id = $1", partial)
    finally:
        await conn.close()


async def test_a_failed_run_turns_status_red_and_json_carries_the_error(
    db_url, emulator, config
) -> None:
    await sync_with(db_url, emulator, "a-revoked-token")
    plain = status(db_url, config)
    assert plain.returncode == 1, (plain.stdout, plain.stderr)
    assert "last run failed" in plain.stderr and "STATUS_SP_TOKEN" in plain.stderr, plain.stderr
    assert "a-revoked-token" not in plain.stdout + plain.stderr
    as_json = status(db_url, config, "--json")
    assert as_json.returncode == 1
    rows = orjson.loads(as_json.stdout)
    assert all(r["last_run"] == "failed" and "STATUS_SP_TOKEN" in r["last_error"] for r in rows)
    assert all(r["problems"] for r in rows)
    checked = status(db_url, config, "--check", "--max-lag", "30d")
    assert checked.returncode == 1 and "Traceback" not in checked.stderr


def test_sources_lists_streams_and_cursors_even_without_the_database(db_url, config) -> None:
    listed = paysync(
        "sources", "--json", env={"DATABASE_URL": db_url, "PAYSYNC_CONFIG": str(config)}
    )
    assert listed.returncode == 0, listed.stderr
    rows = {r["stream"]: r for r in orjson.loads(listed.stdout)}
    assert set(rows) == set(STREAMS)
    windowed = [n for n, s in STREAMS.items() if s.window is not None and not s.parent]
    assert windowed and all(rows[n]["cursor"] for n in windowed), rows  # synced above
    offline = paysync("sources", env={"DATABASE_URL": "postgresql://x@127.0.0.1:1/none",
                                      "PAYSYNC_CONFIG": str(config)})  # fmt: skip
    assert offline.returncode == 0, offline.stderr
    assert all(name in offline.stdout for name in STREAMS)
    assert len(offline.stderr.strip().splitlines()) == 1 and "cursors not shown" in offline.stderr
    assert max(map(len, offline.stdout.splitlines())) <= 80
