"""Issue 18, adversarial findings on the webhook receiver, run as its own process (as deployed):
read timeouts, no secret in the log, deep bodies kept as rejects, notifications that are not
the record never stored as one, a busy port as one line."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import time
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest

from connectors.emulator_kit.testing import start_emulator
from tests.receiver_process import ReceiverProcess
from tests.test_webhooks import API_KEY, ROOT, S2P_AUTH, SITE_ID, basic, fetchval, free_port, until

SOURCE = "cards-hard"


@pytest.fixture(scope="module")
def receiver(tmp_path_factory: pytest.TempPathFactory, db_url: str):
    with start_emulator("smart2pay", records=50, seed=9, site_id=SITE_ID, api_key=API_KEY) as emu:
        where = tmp_path_factory.mktemp("hardening")
        config = where / "paysync.toml"
        config.write_text(
            f'[database]\nurl = "{db_url}"\n\n[[sources]]\nname = "{SOURCE}"\n'
            f'provider = "smart2pay"\nbase_url = "{emu.base_url}"\nsite_id = {SITE_ID}\n'
            f'api_key_env = "S2P_KEY"\nca_bundle = "{emu.ca_path}"\n'
        )
        process = ReceiverProcess(
            config, free_port(), where / "receiver.log", log_level="INFO",
            options=("--header-timeout", "2", "--body-timeout", "2"),
        )  # fmt: skip
        process.start()
        asyncio.run(process.ready())
        try:
            yield process, db_url
        finally:
            process.stop()


async def raw_exchange(port: int, data: bytes, wait_s: float = 10) -> tuple[bytes, float]:
    """Send bytes as they are; what came back and after how long the server closed."""
    started = time.monotonic()
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(data)
    await writer.drain()
    try:
        answer = await asyncio.wait_for(reader.read(), wait_s)
    finally:
        writer.close()
    return answer, time.monotonic() - started


async def test_oversized_authorization_header_is_never_logged(receiver: Any) -> None:
    process, _ = receiver
    secret = basic(SITE_ID, API_KEY)  # what a sender puts in the header
    head = (
        f"POST /webhooks/smart2pay/{SOURCE} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {secret}{'A' * 9000}\r\nContent-Length: 2\r\n\r\n{{}}"
    )
    answer, _ = await raw_exchange(process.port, head.encode())
    assert answer.startswith(b"HTTP/1.") and b" 400 " in answer.split(b"\r\n")[0]
    await asyncio.sleep(0.5)
    log = process.log.read_text()
    assert "unparseable request" in log  # the line was written, without its content
    assert secret.split()[1][:12] not in log
    assert "Traceback" not in log


async def test_headers_not_sent_in_time_close_the_connection(receiver: Any) -> None:
    process, _ = receiver
    partial = f"POST /webhooks/smart2pay/{SOURCE} HTTP/1.1\r\nHost: x\r\n".encode()
    answer, took = await raw_exchange(process.port, partial, wait_s=30)
    assert answer == b"" and took < 8, (answer, took)  # closed after ~2 s, not held


async def test_body_not_sent_in_time_is_408(receiver: Any) -> None:
    process, _ = receiver
    head = (
        f"POST /webhooks/smart2pay/{SOURCE} HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: {basic(SITE_ID, API_KEY)}\r\nContent-Type: application/json\r\n"
        'Content-Length: 500\r\n\r\n{"Payment": '
    )
    answer, took = await raw_exchange(process.port, head.encode(), wait_s=30)
    assert b" 408 " in answer.split(b"\r\n")[0] and took < 8, (answer[:80], took)


async def post(url: str, body: bytes) -> int:
    async with aiohttp.ClientSession() as s, s.post(url, data=body, headers=S2P_AUTH) as r:
        return r.status


async def test_deeply_nested_body_is_400_and_kept_as_reject(receiver: Any) -> None:
    process, db_url = receiver
    url = f"{process.url}/webhooks/smart2pay/{SOURCE}"
    count = "SELECT count(*) FROM paysync.rejects WHERE source = $1 AND stream = 'webhook'"
    before = await fetchval(db_url, count, SOURCE)
    for depth in (200, 1000, 5000):  # 1000: under the JSON parser's own limit (1024)
        body = b'{"Payment": {"ID": 5, "Details": ' + b"[" * depth + b"]" * depth + b"}}"
        assert await post(url, body) == 400
    assert await fetchval(db_url, count, SOURCE) == before + 3


async def test_notifications_without_the_record_never_land_as_payments(receiver: Any) -> None:
    process, db_url = receiver
    url = f"{process.url}/webhooks/smart2pay/{SOURCE}"
    bodies = [
        {"Payment": {"ID": 777000001}},
        # a refund's fields under the payment envelope: no amount of a payment in it
        {"Payment": {"ID": 777000002, "InitialPaymentID": 12, "Status": {"ID": 2}}},
    ]
    for body in bodies:
        assert await post(url, orjson.dumps(body)) == 204
    ids = ["777000001", "777000002"]
    queued = "SELECT count(*) FROM paysync.refetch_queue WHERE source = $1"

    async def drained() -> bool:
        return await fetchval(db_url, queued, SOURCE) == 0

    await until(drained, 60, "the receiver to fetch the named payments")
    stored = await fetchval(
        db_url, "SELECT count(*) FROM smart2pay.payments WHERE id = ANY($1::text[])", ids
    )
    assert stored == 0  # the provider has no such payment: nothing is stored
    events = await fetchval(
        db_url, "SELECT array_agg(outcome) FROM paysync.webhook_events WHERE source = $1", SOURCE
    )
    assert sorted(events) == ["fetched", "fetched"]


async def test_busy_port_is_one_line(receiver: Any, tmp_path: Path) -> None:
    process, _ = receiver
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        busy = ReceiverProcess(process.config, holder.getsockname()[1], log_level="INFO")
        done = await asyncio.to_thread(
            subprocess.run, busy.command(), cwd=ROOT, env=busy.env(), capture_output=True,
            timeout=120,
        )  # fmt: skip
    err = done.stderr.decode()
    assert done.returncode == 2, err
    assert "Traceback" not in err and "--port" in err
    assert [line for line in err.splitlines() if line.startswith("paysync:")], err
