"""Crashes in the middle of real work (issue 17): the sync SIGKILLed while windows holding
records are paged and committed, PostgreSQL stopped under a running sync, runs that died.

Each ends with the database equal to the provider's truth and no duplicate change rows. The
kill points are chosen by progress (data windows committed), never by wall time, and each test
asserts that the crash really landed after data was committed and before the run ended.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Any

import asyncpg

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.store.db import lost_database, start_embedded, stop_embedded
from pipelines.sync.runs import start_run
from tests.conftest import traversable
from tests.test_sync_smarterpay import TOKEN, assert_equals_truth
from tests.truth import resource_of

PAYSYNC = str(Path(sys.executable).parent / "paysync")


def data_start(emu: Any) -> date:
    """The day the emulator's first record was created: windows from there hold records."""
    first = min(
        datetime.fromisoformat(r["created_at"][:10]).date()
        for spec in STREAMS.values()
        for r in emu.truth(resource_of(spec))
        if isinstance(r.get("created_at"), str)
    )
    return first


def environment(tmp_path: Path, emu: Any, db_url: str, start: date) -> dict[str, str]:
    config = tmp_path / "paysync.toml"
    config.write_text(
        f'[[sources]]\nname = "bacs"\nprovider = "smarterpay"\nbase_url = "{emu.base_url}"\n'
        f'token_env = "SP_TOKEN"\nca_bundle = "{emu.ca_path}"\nstart_date = "{start}"\n'
    )
    return {**os.environ, "PAYSYNC_CONFIG": str(config), "DATABASE_URL": db_url,
            "SP_TOKEN": TOKEN, "PAYSYNC_SYNC__LAG_SECONDS": "0"}  # fmt: skip


async def aquery(db_url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


def query(db_url: str, sql: str, *args: Any) -> Any:
    return asyncio.run(aquery(db_url, sql, *args))


def data_windows(db_url: str) -> int:
    try:
        return int(query(db_url, "SELECT count(*) FROM paysync.sync_windows WHERE records > 0"))
    except (asyncpg.UndefinedTableError, OSError):
        return 0  # not migrated yet


def wait_for(process: subprocess.Popen[bytes], db_url: str, windows: int) -> None:
    """Until ``windows`` data windows are committed; the run must still be going."""
    deadline = time.monotonic() + 180
    while data_windows(db_url) < windows:
        assert process.poll() is None, "the run ended before the crash point: it proves nothing"
        assert time.monotonic() < deadline, "no progress"
        time.sleep(0.05)
    assert process.poll() is None, "the run ended before the crash point: it proves nothing"


DUPLICATE_CHANGES = """SELECT count(*) FROM (SELECT 1 FROM paysync.record_changes
    GROUP BY source, stream, record_id, change_kind, before, after HAVING count(*) > 1) d"""


def assert_no_duplicate_changes(db_url: str) -> None:
    duplicates = query(
        db_url,
        """SELECT count(*) FROM (SELECT 1 FROM paysync.record_changes
           GROUP BY source, stream, record_id, change_kind, before, after HAVING count(*) > 1) d""",
    )
    assert duplicates == 0


def test_sigkill_while_data_windows_commit(fresh_db_url: str, tmp_path: Path) -> None:
    with start_emulator(
        "smarterpay", records=1500, seed=41, token=TOKEN, faults="latency=8"
    ) as emu:
        emu.clock_freeze(True)
        env = environment(tmp_path, emu, fresh_db_url, data_start(emu))
        command = [PAYSYNC, "sync", "--json"]
        killed = []
        for point in (2, 8, 16):  # data windows committed in all when the kill lands
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            wait_for(process, fresh_db_url, point)
            process.send_signal(signal.SIGKILL)
            process.wait()
            killed.append(query(fresh_db_url, "SELECT max(run_id) FROM paysync.sync_runs"))
            # analytics.sync_health shows the dead run at once, before anything marks it.
            shown = query(
                fresh_db_url,
                """SELECT array_agg(DISTINCT last_run_outcome) FROM analytics.sync_health
                   WHERE source = 'bacs' AND last_run_id = $1""",
                killed[-1],
            )
            assert shown == ["abandoned"], shown
        final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
        assert final.returncode == 0, final.stderr
        asyncio.run(assert_equals_truth(fresh_db_url, emu))
        assert_no_duplicate_changes(fresh_db_url)
        outcomes = query(
            fresh_db_url,
            "SELECT array_agg(outcome ORDER BY run_id) FROM paysync.sync_runs WHERE run_id = ANY($1)",
            killed,
        )
        assert outcomes == ["abandoned"] * len(killed)  # the dead runs do not stay 'running'


def restart(data_dir: Path) -> str:
    """Start the stopped server again, from a new process (the library caches a server per
    process and would not start it a second time)."""
    code = "import sys; from pathlib import Path; from pipelines.store.db import start_embedded; "
    code += "print(start_embedded(Path(sys.argv[1]), keep_running=True))"
    done = subprocess.run(
        [sys.executable, "-c", code, str(data_dir)], capture_output=True, text=True, timeout=120,
        cwd=Path(__file__).resolve().parents[1],
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_postgres_stopped_mid_sync_is_exit_3_in_one_line(tmp_path: Path) -> None:
    data_dir = traversable(tmp_path) / "pg"  # as root, paysync refuses a 0700 parent
    url = start_embedded(data_dir, keep_running=True)
    try:
        with start_emulator(
            "smarterpay", records=1500, seed=42, token=TOKEN, faults="latency=8"
        ) as emu:
            emu.clock_freeze(True)
            env = environment(tmp_path, emu, url, data_start(emu))
            migrated = subprocess.run([PAYSYNC, "db", "migrate"], env=env, capture_output=True,
                                      text=True, timeout=120)  # fmt: skip
            assert migrated.returncode == 0, migrated.stderr  # only migrate changes the schema
            command = [PAYSYNC, "sync", "--json"]
            process = subprocess.Popen(
                command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
            )
            wait_for(process, url, 4)
            stop_embedded(data_dir)  # the server goes away under the running sync
            _, stderr = process.communicate(timeout=180)
            # the per-stream INFO log lines are the run's figures, not its error report
            lines = [line for line in stderr.splitlines()
                     if line.strip() and " INFO paysync." not in line]  # fmt: skip
            assert process.returncode == 3, stderr[-2000:]
            assert len(lines) == 1 and lines[0].startswith("paysync: "), stderr[-2000:]
            assert "database" in lines[0] and "rerun" in lines[0]
            url = restart(data_dir)  # back again
            lost = query(url, "SELECT max(run_id) FROM paysync.sync_runs")
            final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
            assert final.returncode == 0, final.stderr
            asyncio.run(assert_equals_truth(url, emu))
            assert_no_duplicate_changes(url)
            assert (
                query(url, "SELECT outcome FROM paysync.sync_runs WHERE run_id = $1", lost)
                == "abandoned"
            )
    finally:
        stop_embedded(data_dir)


async def test_only_runs_whose_holder_is_gone_are_abandoned(fresh_db_url: str) -> None:
    alive, dying, watcher = [await asyncpg.connect(fresh_db_url) for _ in range(3)]
    try:
        live = await start_run(alive, "incremental", "a", [], lease=True)
        dead = await start_run(dying, "incremental", "b", [], lease=True)
        unleased = await start_run(watcher, "repair", "c", [])
        dying.terminate()  # as a SIGKILLed process: the connection goes, the lock with it
        await asyncio.sleep(0.5)
        assert await watcher.fetchval("SELECT paysync.mark_abandoned()") == 1
        rows = dict(await watcher.fetch("SELECT run_id, outcome FROM paysync.sync_runs"))
    finally:
        await alive.close()
        await watcher.close()
    assert rows == {live: "running", dead: "abandoned", unleased: "running"}


async def test_receiver_sigkilled_in_a_burst_keeps_every_acknowledged_call(
    fresh_db_url: str, tmp_path: Path
) -> None:
    import copy

    import aiohttp
    import orjson

    from tests.receiver_process import ReceiverProcess
    from tests.test_webhooks import API_KEY, S2P_AUTH, SITE_ID, free_port

    port = free_port()
    with start_emulator("smart2pay", records=50, seed=43, site_id=SITE_ID, api_key=API_KEY) as emu:
        config = tmp_path / "paysync.toml"
        config.write_text(
            f'[database]\nurl = "{fresh_db_url}"\n\n[[sources]]\nname = "burst"\n'
            f'provider = "smart2pay"\nbase_url = "{emu.base_url}"\nsite_id = {SITE_ID}\n'
            f'api_key_env = "S2P_KEY"\nca_bundle = "{emu.ca_path}"\n'
        )
        receiver = ReceiverProcess(config, port)
        receiver.start()
        try:
            await receiver.ready()
            template = emu.truth("payments")[0]
            queue: asyncio.Queue[bytes] = asyncio.Queue()
            for i in range(1500):
                record = copy.deepcopy(template)
                record["ID"], record["MerchantTransactionID"] = 900_000_000 + i, f"burst{i}"
                queue.put_nowait(orjson.dumps({"Payment": record}))
            acknowledged: list[int] = []
            enough = asyncio.Event()
            url = f"{receiver.url}/webhooks/smart2pay/burst"

            async def worker(session: aiohttp.ClientSession) -> None:
                while not queue.empty():
                    body = queue.get_nowait()
                    try:
                        async with session.post(url, data=body, headers=S2P_AUTH) as resp:
                            await resp.read()
                            if resp.status == 204:
                                acknowledged.append(orjson.loads(body)["Payment"]["ID"])
                                if len(acknowledged) >= 200:
                                    enough.set()
                    except aiohttp.ClientError:
                        continue  # not acknowledged: the provider would send it again

            async def killer() -> None:
                await enough.wait()
                receiver.kill()  # SIGKILL in the middle of the burst

            async with aiohttp.ClientSession() as session:
                await asyncio.gather(killer(), *(worker(session) for _ in range(16)))
            assert 200 <= len(acknowledged) < 1500, "the kill did not land mid-burst"
            conn = await asyncpg.connect(fresh_db_url)
            try:
                held = await conn.fetchval(
                    """SELECT count(*) FROM smart2pay.payments
                       WHERE source = 'burst' AND id::bigint = ANY($1::bigint[])""",
                    acknowledged,
                )
                dead = await conn.fetchval(
                    "SELECT max(run_id) FROM paysync.sync_runs WHERE kind = 'webhook'"
                )
            finally:
                await conn.close()
            assert held == len(acknowledged)  # every 2xx was committed before it was sent
            receiver.start()  # the next receiver marks the dead one abandoned
            await receiver.ready()
            outcome = await aquery(
                fresh_db_url, "SELECT outcome FROM paysync.sync_runs WHERE run_id = $1", dead
            )
            assert outcome == "abandoned"
            assert await aquery(fresh_db_url, DUPLICATE_CHANGES) == 0
        finally:
            receiver.stop()


async def test_receiver_that_cannot_bind_records_failed(fresh_db_url: str) -> None:
    import socket

    import pytest

    from pipelines.errors import ConfigError
    from pipelines.store.settings import DatabaseSettings, Settings, Smart2PaySource
    from pipelines.webhooks.app import serve

    source = Smart2PaySource(
        name="unbound", provider="smart2pay", base_url="https://127.0.0.1:9/", site_id=1,
        api_key_env="S2P_KEY",
    )  # fmt: skip
    source.set_secret("k")
    settings = Settings(database=DatabaseSettings(url=fresh_db_url), sources=[source])
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(ConfigError, match="cannot listen"):  # one line, exit 2
            await serve(settings, "127.0.0.1", taken.getsockname()[1])
    outcome = await aquery(
        fresh_db_url, "SELECT outcome FROM paysync.sync_runs WHERE source = 'unbound'"
    )
    assert outcome == "failed"  # was 'succeeded' before issue 17


def test_a_connection_left_mid_operation_counts_as_the_database_lost() -> None:
    """What the pool raises resetting a connection the server dropped mid-query (CI met it
    in the test above as a traceback), in a task group and behind a context, is found."""
    reset = asyncpg.InternalClientError(
        "cannot switch to state 15; another operation is in progress"
    )
    try:
        try:
            raise reset
        except asyncpg.InternalClientError:
            raise RuntimeError("window failed") from None  # the context stays: the reset
    except RuntimeError as window:
        group = ExceptionGroup("sync", [ValueError("other"), window])
    assert lost_database(group) is reset
    assert lost_database(ExceptionGroup("sync", [ValueError("not the database")])) is None
