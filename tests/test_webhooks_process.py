"""The webhook receiver as its own process: killed mid-request, and under a 2,000-call burst."""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

import aiohttp
import orjson
import pytest

from connectors.emulator_kit.testing import start_emulator
from tests.receiver_process import ReceiverProcess
from tests.test_webhooks import (
    API_KEY,
    S2P_AUTH,
    SITE_ID,
    basic,
    card,
    fetchval,
    free_port,
    s2p_call,
    s2p_differences,
    until,
)

PROC = "cards-proc"  # a source of its own in the module's database


@pytest.fixture(scope="module")
def process_setup(tmp_path_factory: pytest.TempPathFactory, db_url: str):
    port = free_port()
    url = f"http://127.0.0.1:{port}/webhooks/smart2pay/{PROC}"
    with start_emulator(
        "smart2pay", records=200, seed=4, site_id=SITE_ID, api_key=API_KEY, webhook_url=url
    ) as emu:
        emu.clock_freeze(True)
        config = tmp_path_factory.mktemp("receiver") / "paysync.toml"
        config.write_text(
            f'[database]\nurl = "{db_url}"\n\n[[sources]]\nname = "{PROC}"\n'
            f'provider = "smart2pay"\nbase_url = "{emu.base_url}"\nsite_id = {SITE_ID}\n'
            f'api_key_env = "S2P_KEY"\nca_bundle = "{emu.ca_path}"\n'
        )
        process = ReceiverProcess(config, port)
        try:
            yield emu, db_url, process
        finally:
            process.stop()


async def test_killed_mid_request_loses_nothing(process_setup: Any) -> None:
    emu, db_url, process = process_setup
    process.start()
    await process.ready()
    ids = [str((await s2p_call(emu, "POST", "/v1/payments", card(f"k{i}", True)))["Payment"]["ID"])
           for i in range(10)]  # fmt: skip
    # A call whose body is half sent when the process dies.
    _reader, writer = await asyncio.open_connection("127.0.0.1", process.port)
    writer.write(
        f"POST /webhooks/smart2pay/{PROC} HTTP/1.1\r\nHost: x\r\n".encode()
        + b"Content-Type: application/json\r\n"
        + f"Authorization: {basic(SITE_ID, API_KEY)}\r\nContent-Length: 400\r\n\r\n".encode()
        + b'{"Payment": {"ID": '
    )
    await writer.drain()
    process.kill()
    writer.close()
    ids += [str((await s2p_call(emu, "POST", "/v1/payments", card(f"d{i}", False)))["Payment"]["ID"])
            for i in range(10)]  # fmt: skip
    for pid in ids[10:15]:  # notified while the receiver is down
        await s2p_call(emu, "POST", f"/v1/payments/{pid}/capture")
    process.start()
    await process.ready()
    await asyncio.to_thread(emu.clock_advance, 61)  # the emulator's first retry is due

    async def all_there() -> bool:
        diff = await s2p_differences(db_url, emu, PROC, set(ids))
        return diff["counts"] == [0, 0]

    await until(all_there, 60, "every notification to be applied after the restart")
    notified = await fetchval(
        db_url,
        """SELECT array_agg(DISTINCT r) FROM paysync.webhook_events, unnest(record_ids) r
           WHERE source = $1""",
        PROC,
    )
    diff = await s2p_differences(db_url, emu, PROC, set(notified))
    assert diff["counts"] == [0, 0], diff  # also generated payments notified by the advance
    assert (
        await fetchval(db_url, "SELECT count(*) FROM paysync.rejects WHERE source = $1", PROC) == 0
    )


async def test_load_burst_no_loss(process_setup: Any) -> None:
    emu, db_url, process = process_setup
    if process.proc is None or process.proc.poll() is not None:
        process.start()
    await process.ready()
    template = (await asyncio.to_thread(emu.truth, "payments"))[0]
    total, parallel = 2000, 32
    bodies = []
    for i in range(total):
        record = copy.deepcopy(template)
        record["ID"] = 800_000_000 + i
        record["MerchantTransactionID"] = f"load{i}"
        bodies.append(orjson.dumps({"Payment": record}))
    latencies: list[float] = []
    statuses: list[int] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    url = f"{process.url}/webhooks/smart2pay/{PROC}"

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            started = time.perf_counter()
            async with session.post(url, data=body, headers=S2P_AUTH) as resp:
                await resp.read()
                statuses.append(resp.status)
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    connector = aiohttp.TCPConnector(limit=parallel)
    async with aiohttp.ClientSession(connector=connector) as session:
        await asyncio.gather(*(worker(session) for _ in range(parallel)))
    elapsed = time.perf_counter() - started
    latencies.sort()
    p99 = latencies[int(len(latencies) * 0.99) - 1]
    print(f"\nwebhook load: {total} notifications in {elapsed:.2f} s = {total / elapsed:.0f}/s, "
          f"p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, p99 {p99 * 1000:.1f} ms "
          f"(concurrency {parallel})")  # fmt: skip
    assert statuses.count(204) == total
    applied = await fetchval(
        db_url, """SELECT count(*) FROM paysync.webhook_events
                   WHERE source = $1 AND outcome = 'applied' AND idempotency_key LIKE 'Payment:8000%'""",
        PROC,
    )  # fmt: skip
    assert applied == total
    rows = await fetchval(
        db_url,
        "SELECT count(*) FROM smart2pay.payments WHERE source = $1 AND id::bigint >= 800000000",
        PROC,
    )
    assert rows == total
