"""``paysync sync --plan`` shows what a run would read without reading or writing anything, and
the sync and reconcile tables fit 80 columns when piped (issue 18: the CLI an operator expects,
item 7)."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from pathlib import Path

import asyncpg
import orjson
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from tests.test_cli_db import paysync

TOKEN = "sp-plan-token-0042"
START = date.today() - timedelta(days=400)
WINDOWED = {n for n, s in STREAMS.items() if s.window is not None and not s.parent}


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=60, seed=31, token=TOKEN) as emu:
        yield emu


def write_config(path: Path, base_url: str, ca: str) -> Path:
    path.write_text(f"""[sync]\nlag_seconds = 0\n
[[sources]]
name = "bacs"
provider = "smarterpay"
base_url = "{base_url}"
token_env = "PLAN_SP_TOKEN"
ca_bundle = "{ca}"
start_date = "{START}"
""")
    return path


async def runs(db_url: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM paysync.sync_runs"))
    finally:
        await conn.close()


def test_plan_reads_nothing_then_shrinks_to_the_lookback(db_url: str, emulator, tmp_path) -> None:
    # A provider that cannot be reached: --plan must not need it.
    offline = write_config(tmp_path / "offline.toml", "https://127.0.0.1:1", emulator.ca_path)
    env = {"DATABASE_URL": db_url, "PLAN_SP_TOKEN": TOKEN}
    first = paysync("sync", "--plan", "--json", env={**env, "PAYSYNC_CONFIG": str(offline)})
    assert first.returncode == 0, first.stderr
    planned = {r["stream"]: r for r in orjson.loads(first.stdout)}
    assert WINDOWED <= set(planned)
    for name in WINDOWED:
        assert planned[name]["from"].startswith(str(START)), planned[name]
        assert planned[name]["days"] >= 399, planned[name]
    assert asyncio.run(runs(db_url)) == 0  # nothing written
    table = paysync("sync", "--plan", env={**env, "PAYSYNC_CONFIG": str(offline)})
    assert table.returncode == 0 and max(map(len, table.stdout.splitlines())) <= 80, table.stdout

    online = write_config(tmp_path / "online.toml", emulator.base_url, emulator.ca_path)
    synced = paysync("sync", env={**env, "PAYSYNC_CONFIG": str(online)})
    assert synced.returncode == 0, (synced.stdout, synced.stderr)
    lines = synced.stdout.splitlines()
    assert max(map(len, lines)) <= 80, synced.stdout
    for name in STREAMS:  # each stream's row readable, its name whole
        assert any(f" {name} " in f" {line} " for line in lines), (name, synced.stdout)
    again = paysync("sync", "--plan", "--json", env={**env, "PAYSYNC_CONFIG": str(online)})
    after = {r["stream"]: r for r in orjson.loads(again.stdout)}
    for name in WINDOWED:  # gaps are gone: besides windows still holding open records (listed
        # as reopened), only the 7-day lookback is planned again
        gaps = sum((datetime.fromisoformat(b) - datetime.fromisoformat(a)).days + 1
                   for a, b in after[name]["intervals"])  # fmt: skip
        assert gaps <= 8, (name, after[name]["intervals"])

    reconciled = paysync("reconcile", env={**env, "PAYSYNC_CONFIG": str(online)})
    assert reconciled.returncode in (0, 1), reconciled.stderr  # clean or drift: both tabulated
    lines = reconciled.stdout.splitlines()
    assert max(map(len, lines)) <= 80, reconciled.stdout
    assert any(" payments " in f" {line} " for line in lines), reconciled.stdout
