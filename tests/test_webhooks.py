"""The webhook receiver (issue 7) with the emulators sending to it over loopback.

Every end-to-end assertion is a comparison with what the provider holds (the emulator's truth).
The in-process receiver is the real aiohttp app; the crash and load tests run it as its own
process (``python -m pipelines.cli.webhooks serve``), as systemd or a container would.
"""

from __future__ import annotations

import asyncio
import base64
import copy
import socket
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest
from aiohttp import web

from connectors.emulator_kit.testing import start_emulator
from connectors.smart2pay import STREAMS as S2P_STREAMS
from connectors.smart2pay.notifications import is_stale
from connectors.smarterpay import STREAMS as SP_STREAMS
from pipelines.store.settings import (
    DatabaseSettings,
    Settings,
    Smart2PaySource,
    SmarterPaySource,
    SyncSettings,
)
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from pipelines.webhooks.app import Fetchers, close_hooks, make_app, open_hooks
from tests.truth import differences

SITE_ID, API_KEY = 30201, "s2p-test-key/0042+"
TOKEN, HOOK_SECRET = "sp-test-token-0042", "sp-hook-secret-77"
ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def basic(user: object, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


S2P_AUTH = {"Authorization": basic(SITE_ID, API_KEY), "Content-Type": "application/json"}


def s2p_source(emu: Any, name: str = "cards") -> Smart2PaySource:
    src = Smart2PaySource(
        name=name, provider="smart2pay", base_url=emu.base_url, site_id=SITE_ID,
        api_key_env="S2P_KEY", ca_bundle=Path(emu.ca_path), start_date=date(2020, 1, 1),
    )  # fmt: skip
    src.set_secret(API_KEY)
    return src


def sp_source(emu: Any) -> SmarterPaySource:
    src = SmarterPaySource(
        name="bacs", provider="smarterpay", base_url=emu.base_url, token_env="SP_TOKEN",
        ca_bundle=Path(emu.ca_path), start_date=date(2018, 1, 1), webhook_secret_env="SP_HOOK",
    )  # fmt: skip
    src.set_secret(TOKEN)
    src.set_webhook_secret(HOOK_SECRET)
    return src


def settings_for(db_url: str, *sources: Any) -> Settings:
    return Settings(
        database=DatabaseSettings(url=db_url, pool_size=8),
        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=60),
        sources=list(sources),
    )


@asynccontextmanager
async def receiver(settings: Settings, port: int) -> AsyncIterator[str]:
    """The receiver app in this process (no signal handlers), on loopback."""
    pool = await service.open_pool(settings, settings.database.pool_size)
    hooks = await open_hooks(settings, pool)
    fetchers = Fetchers(pool, settings)
    await fetchers.resume(hooks)
    runner = web.AppRunner(make_app(pool, hooks, fetchers), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await fetchers.close()
        await close_hooks(pool, hooks)
        await pool.close()


async def until(check: Callable[[], Any], limit_s: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + limit_s
    while True:
        if await check():
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.2)


async def fetchval(db_url: str, sql: str, *args: Any) -> Any:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def post(url: str, body: bytes, headers: dict[str, str]) -> int:
    async with (
        aiohttp.ClientSession() as session,
        session.post(url, data=body, headers=headers) as resp,
    ):
        await resp.read()
        return resp.status


async def stable_count(db_url: str, source: str, quiet_s: float = 2.0) -> int:
    """Events stored for a source once no new delivery has arrived for ``quiet_s``."""
    sql = "SELECT coalesce(sum(deliveries), 0) FROM paysync.webhook_events WHERE source = $1"
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet_s:
        now = await fetchval(db_url, sql, source)
        if now != last:
            last, since = now, time.monotonic()
        await asyncio.sleep(0.2)
    return int(last)


def card(mtid: str, capture: bool) -> dict[str, Any]:
    return {"Payment": {
        "MerchantTransactionID": mtid, "Amount": 2000, "Currency": "EUR", "Capture": capture,
        "Card": {"HolderName": "Jo Doe", "Number": "4111111111111111",
                 "ExpirationMonth": "02", "ExpirationYear": "2030"},
    }}  # fmt: skip


async def s2p_call(emu: Any, method: str, path: str, body: Any = None) -> dict[str, Any]:
    headers = {"Authorization": basic(SITE_ID, API_KEY)}
    status, _, raw = await asyncio.to_thread(emu.request, method, path, body, headers)
    assert status in (200, 201), (status, raw[:300])
    return orjson.loads(raw)  # type: ignore[no-any-return]


async def s2p_differences(db_url: str, emu: Any, source: str, ids: set[str] | None = None) -> Any:
    spec = S2P_STREAMS["payments"]
    truth = await asyncio.to_thread(emu.truth, "payments")
    if ids is not None:
        truth = [t for t in truth if str(t["ID"]) in ids]
    conn = await asyncpg.connect(db_url)
    try:
        return await differences(conn, "smart2pay", source, spec, truth)
    finally:
        await conn.close()


# --- the ordering rule, table-driven ---------------------------------------------------------


def pay(status: int, at: str | None) -> dict[str, Any]:
    return {"Status": {"ID": status}, "NotificationDateTime": at}


@pytest.mark.parametrize(
    ("incoming", "stored", "stale"),
    [
        (pay(2, "20240101000001"), pay(4, "20240101000000"), False),
        (pay(4, "20240101000000"), pay(2, "20240101000001"), True),
        (pay(9, "20240101000000"), pay(11, "20240101000005"), True),
        (pay(11, "20240101000005"), pay(9, "20240101000000"), False),
        (pay(4, "20240101000000"), pay(2, "20240101000000"), True),
        (pay(2, "20240101000000"), pay(4, "20240101000000"), False),
        (pay(1, None), pay(2, None), True),
        (pay(2, None), pay(1, None), False),
        (pay(19, "20240102000000"), pay(2, "20240101000000"), False),
    ],
    ids=[
        "success-later",
        "failed-older",
        "authorized-older",
        "captured-later",
        "success-wins-tie",
        "success-over-failed-tie",
        "final-kept",
        "open-to-final",
        "dispute-after-success",
    ],
)
def test_ordering_rule(incoming: dict[str, Any], stored: dict[str, Any], stale: bool) -> None:
    assert is_stale(incoming, stored) is stale


# --- Smart2Pay, in process -------------------------------------------------------------------

S2P_PORT = free_port()


@pytest.fixture(scope="module")
def s2p_emu():
    url = f"http://127.0.0.1:{S2P_PORT}/webhooks/smart2pay/cards"
    with start_emulator(
        "smart2pay", records=300, seed=9, site_id=SITE_ID, api_key=API_KEY, webhook_url=url
    ) as emu:
        emu.clock_freeze(True)
        yield emu


async def test_smart2pay_notifications_applied(db_url: str, s2p_emu: Any) -> None:
    settings = settings_for(db_url, s2p_source(s2p_emu), s2p_source(s2p_emu, "cards2"))
    [report] = await service.sync(settings, SyncRequest(as_of=s2p_emu.clock_now()), source="cards")
    assert report.outcome == "succeeded"
    async with receiver(settings, S2P_PORT) as base:
        created = [await s2p_call(s2p_emu, "POST", "/v1/payments", card(f"wh{i}", i < 2))
                   for i in range(6)]  # fmt: skip
        ids = [str(c["Payment"]["ID"]) for c in created]
        for pid in ids[2:5]:
            await s2p_call(s2p_emu, "POST", f"/v1/payments/{pid}/capture")
        await s2p_call(s2p_emu, "POST", f"/v1/payments/{ids[5]}/cancel")
        delivered = await stable_count(db_url, "cards")
        assert delivered >= 10  # 6 creates + 3 captures + 1 cancel (+ seeded duplicates)
        diff = await s2p_differences(db_url, s2p_emu, "cards")
        assert diff["counts"] == [0, 0], diff
        changes = await fetchval(
            db_url,
            """SELECT count(*) FROM paysync.record_changes c JOIN paysync.sync_runs r
               USING (run_id) WHERE r.kind = 'webhook' AND c.record_id = ANY($1::text[])
               AND 'status_id' = ANY(c.changed_fields)""",
            ids[2:],
        )
        assert changes == 4  # each capture and the cancel: one transition each
        await _duplicate_counts_once(db_url, base)
        await _stale_not_applied(db_url, base, ids[2])


async def _duplicate_counts_once(db_url: str, base: str) -> None:
    body = await fetchval(
        db_url, "SELECT body::text FROM paysync.webhook_events WHERE source = 'cards' LIMIT 1"
    )
    before = await fetchval(db_url, "SELECT count(*) FROM paysync.record_changes")
    url = f"{base}/webhooks/smart2pay/cards"
    assert await post(url, body.encode(), S2P_AUTH) == 204
    assert await post(url, body.encode(), S2P_AUTH) == 204
    assert await fetchval(db_url, "SELECT count(*) FROM paysync.record_changes") == before
    assert (
        await fetchval(
            db_url,
            "SELECT max(deliveries) FROM paysync.webhook_events WHERE body = $1::jsonb",
            body,
        )
        >= 3
    )


async def _stale_not_applied(db_url: str, base: str, pid: str) -> None:
    raw = await fetchval(
        db_url, "SELECT raw::text FROM smart2pay.payments WHERE source = 'cards' AND id = $1", pid
    )
    older = orjson.loads(raw)
    assert older["Status"]["ID"] == 11
    older["Status"] = {"ID": 9, "Info": "Authorized", "Reasons": None}
    if older.get("NotificationDateTime"):
        at = datetime.strptime(older["NotificationDateTime"], "%Y%m%d%H%M%S")
        older["NotificationDateTime"] = (at - timedelta(seconds=1)).strftime("%Y%m%d%H%M%S")
    url = f"{base}/webhooks/smart2pay/cards"
    assert await post(url, orjson.dumps({"Payment": older}), S2P_AUTH) == 204
    outcome = await fetchval(
        db_url, "SELECT outcome FROM paysync.webhook_events ORDER BY event_id DESC LIMIT 1"
    )
    assert outcome == "ignored"
    status = await fetchval(
        db_url, "SELECT status_id FROM smart2pay.payments WHERE source = 'cards' AND id = $1", pid
    )
    assert status == 11


async def test_smart2pay_refund_and_payout(db_url: str, s2p_emu: Any) -> None:
    settings = settings_for(db_url, s2p_source(s2p_emu), s2p_source(s2p_emu, "cards2"))
    refund = (await asyncio.to_thread(s2p_emu.truth, "refunds"))[0]
    payout = (await asyncio.to_thread(s2p_emu.truth, "payouts"))[0]
    async with receiver(settings, S2P_PORT) as base:
        url = f"{base}/webhooks/smart2pay/cards2"
        for kind, record in (("Refund", refund), ("Payout", payout)):
            opened = copy.deepcopy(record)
            opened["Status"] = {"ID": 1, "Info": "Open", "Reasons": None}
            done = copy.deepcopy(record)
            done["Status"] = {"ID": 2, "Info": "Success", "Reasons": None}
            for version in (opened, done, opened):  # the late Open must not win
                assert await post(url, orjson.dumps({kind: version}), S2P_AUTH) == 204
    for stream, record in (("refunds", refund), ("payouts", payout)):
        rid = str(record["ID"])
        status = await fetchval(
            db_url, f"SELECT status_id FROM smart2pay.{stream} WHERE source = 'cards2' AND id = $1",
            rid,
        )  # fmt: skip
        assert status == 2, stream
        changes = await fetchval(
            db_url, """SELECT count(*) FROM paysync.record_changes
                       WHERE source = 'cards2' AND stream = $1 AND record_id = $2""",
            stream, rid,
        )  # fmt: skip
        assert changes == 1, stream
    if refund.get("InitialPaymentID"):
        payment = await fetchval(
            db_url, "SELECT payment_id FROM smart2pay.refunds WHERE source = 'cards2' AND id = $1",
            str(refund["ID"]),
        )  # fmt: skip
        assert payment == int(refund["InitialPaymentID"])


async def test_refusals_write_nothing(db_url: str, s2p_emu: Any) -> None:
    settings = settings_for(db_url, s2p_source(s2p_emu), sp_source(s2p_emu))
    counts = "SELECT (SELECT count(*) FROM paysync.webhook_events) * 1000 + (SELECT count(*) FROM paysync.rejects)"
    body = orjson.dumps({"Payment": {"ID": 123, "Status": {"ID": 2}}})
    async with receiver(settings, S2P_PORT) as base:
        before = await fetchval(db_url, counts)
        wrong = {**S2P_AUTH, "Authorization": basic(SITE_ID, "wrong")}
        assert await post(f"{base}/webhooks/smart2pay/cards", body, wrong) == 401
        no_auth = {"Content-Type": "application/json"}
        assert await post(f"{base}/webhooks/smart2pay/cards", body, no_auth) == 401
        assert await post(f"{base}/webhooks/smarterpay/bacs", b"{}", no_auth) == 401
        bearer = {"Authorization": "Bearer nope", "Content-Type": "application/json"}
        assert await post(f"{base}/webhooks/smarterpay/bacs", b"{}", bearer) == 401
        assert await post(f"{base}/webhooks/smart2pay/nope", body, S2P_AUTH) == 404
        assert await post(f"{base}/webhooks/smarterpay/cards", body, S2P_AUTH) == 404
        big = b'{"Payment": {"ID": 1, "Description": "' + b"x" * (1024 * 1024) + b'"}}'
        assert await post(f"{base}/webhooks/smart2pay/cards", big, S2P_AUTH) == 413
        assert await fetchval(db_url, counts) == before  # nothing written
        assert await post(f"{base}/webhooks/smart2pay/cards", b'{"Payment": ', S2P_AUTH) == 400
        assert await post(f"{base}/webhooks/smart2pay/cards", b'{"Nope": 1}', S2P_AUTH) == 400
        nul = b'{"Payment": {"ID": 5, "Description": "\\u0000"}}'  # JSON, but not jsonb
        assert await post(f"{base}/webhooks/smart2pay/cards", nul, S2P_AUTH) == 400
        async with aiohttp.ClientSession() as session, session.get(f"{base}/healthz") as resp:
            assert resp.status == 200
    raw = await fetchval(
        db_url,
        "SELECT raw FROM paysync.rejects WHERE stream = 'webhook' ORDER BY reject_id LIMIT 1",
    )
    assert raw == '{"Payment": '
    assert await fetchval(db_url, counts) == before + 3


# --- SmarterPay: v2 batches, fetched by id ----------------------------------------------------

SP_PORT = free_port()


async def test_smarterpay_webhooks_fetch_and_merge(fresh_db_url: str) -> None:
    # The endpoint's credentials ride in the URL, as SmarterPay's per-endpoint Basic auth.
    url = f"http://hook:{HOOK_SECRET}@127.0.0.1:{SP_PORT}/webhooks/smarterpay/bacs"
    with start_emulator("smarterpay", records=600, seed=11, token=TOKEN, webhook_url=url) as emu:
        emu.clock_freeze(True)
        settings = settings_for(fresh_db_url, sp_source(emu))
        [report] = await service.sync(settings, SyncRequest(as_of=emu.clock_now()))
        assert report.outcome == "succeeded"
        async with receiver(settings, SP_PORT) as base:
            await asyncio.to_thread(emu.clock_advance, 45 * 86400)
            await stable_count(fresh_db_url, "bacs", quiet_s=3)
            await until(
                lambda: _queue_empty(fresh_db_url), 60, "the webhook re-fetch queue to drain"
            )
            events = await fetchval(
                fresh_db_url,
                "SELECT count(*) FROM paysync.webhook_events WHERE outcome = 'fetched'",
            )
            assert events > 10, "the clock advance produced no webhooks; the test proves nothing"
            conn = await asyncpg.connect(fresh_db_url)
            try:
                for name in ("payments", "mandates", "credits"):
                    truth = await asyncio.to_thread(emu.truth, SP_STREAMS[name].path.split("/")[-1])
                    diff = await differences(conn, "smarterpay", "bacs", SP_STREAMS[name], truth)
                    assert diff["counts"] == [0, 0], (name, diff)
                body = await conn.fetchval("SELECT body::text FROM paysync.webhook_events LIMIT 1")
                changes = await conn.fetchval("SELECT count(*) FROM paysync.record_changes")
            finally:
                await conn.close()
            assert changes > 0
            headers = {"Authorization": f"Bearer {HOOK_SECRET}", "Content-Type": "application/json"}
            assert await post(f"{base}/webhooks/smarterpay/bacs", body.encode(), headers) == 204
            assert await _queue_empty(fresh_db_url)  # a duplicate queues nothing
            assert (
                await fetchval(fresh_db_url, "SELECT count(*) FROM paysync.record_changes")
                == changes
            )


async def _queue_empty(db_url: str) -> bool:
    return not await fetchval(
        db_url, "SELECT count(*) FROM paysync.refetch_queue WHERE reason = 'webhook'"
    )


# --- a receiver process: killed mid-request, restarted; then a load burst --------------------
