"""Issue 17: the three ways the database silently stayed wrong, and reported counts.

Each test fails on the code before issue 17 (see the report of that issue for what was
planted): a webhook dropped because a change-feed entry waited for the same record, an older
read replacing a newer stored version, rejected records never loaded once the provider served
them correctly, and ``records_inserted`` counting a record that two windows loaded at once.
Expected values come from the emulator's truth or from the test's own records, never from the
code under test.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import orjson

from connectors.emulator_kit.testing import start_emulator
from connectors.registry import connector
from connectors.smart2pay import STREAMS as S2P
from connectors.smarterpay import STREAMS as SP
from pipelines.load import loader
from pipelines.load.merge_sql import build
from pipelines.load.records import Page, split_page
from pipelines.sync.engine import SourceSync
from pipelines.sync.plan import SyncRequest
from pipelines.sync.refetch import Fetcher, drain
from pipelines.sync.runs import RunReport, start_run
from pipelines.sync.status import stream_status
from pipelines.webhooks.receiver import make_hook, parse, store_and_apply
from tests.test_sync_smarterpay import TOKEN, make_settings, sync
from tests.test_webhooks import s2p_source, settings_for
from tests.truth import differences, resource_of

# --- loss 1: a webhook arriving while a change-feed entry waits -------------------------------


async def test_webhook_while_a_feed_entry_waits_is_fetched(fresh_db_url: str) -> None:
    with start_emulator("smarterpay", records=300, seed=31, token=TOKEN) as emu:
        emu.clock_freeze(True)
        settings = make_settings(fresh_db_url, emu)
        await sync(settings, emu)
        [pid] = emu.mutate("payments", 1)  # the provider changes a payment after our read
        truth = {str(r["id"]): r for r in emu.truth("payments")}[pid]
        source, conn_ = settings.sources[0], connector("smarterpay")
        conn = await asyncpg.connect(fresh_db_url)
        try:
            stored = await conn.fetchval("SELECT raw FROM smarterpay.payments WHERE id = $1", pid)
            assert orjson.loads(stored) != truth, "mutate changed nothing: the test proves nothing"
            # A change-feed entry for the record, for an event before our stored read: the
            # drain may drop it as already satisfied...
            await loader.enqueue(
                conn, "bacs", "payments", [pid], "feed", [datetime.now(UTC) - timedelta(hours=1)]
            )
            # ...and then the provider's webhook names the same record.
            run_id = await start_run(conn, "webhook", "bacs", ["payments"])
            hook = make_hook(source, conn_, run_id)
            raw = orjson.dumps(
                {"idempotency_key": "k-31", "events": [{"id": pid, "event_type": "payment.update"}]}
            )
            async with conn.transaction():
                assert await store_and_apply(conn, [(hook, parse(hook, raw), raw)]) == ["fetched"]
        finally:
            await conn.close()
        await _drain(settings, fresh_db_url, run_id)
        conn = await asyncpg.connect(fresh_db_url)
        try:  # the webhook's change was fetched (the feed message mutate wrote is not read)
            diff = await differences(
                conn, "smarterpay", "bacs", SP["payments"], emu.truth("payments")
            )
        finally:
            await conn.close()
        assert diff["counts"] == [0, 0], diff


async def _drain(settings: Any, db_url: str, run_id: int) -> None:
    from pipelines.sync import service

    pool = await service.open_pool(settings, 4)
    try:
        source = settings.sources[0]
        engine = SourceSync(pool, source, connector(source.provider), settings.sync, SyncRequest())
        async with engine.client() as http:
            fetcher = Fetcher(pool, source.name, engine.connector, engine.sql, http)
            await drain(fetcher, RunReport(source.name, run_id))
    finally:
        await pool.close()


# --- loss 2: an older read never replaces a newer stored version ------------------------------


async def _load(
    conn: asyncpg.Connection, source: str, spec: Any, run_id: int, records: list[Any],
    fetched_at: datetime,
) -> loader.LoadResult:  # fmt: skip
    target = loader.Target(source, spec, build(_schema(spec), spec), run_id)
    result = loader.LoadResult()

    async def pages() -> AsyncIterator[Page]:
        yield Page.of(split_page(spec, records), fetched_at)

    await loader.stage_pages(conn, target, pages(), result)
    await loader.merge_stage(conn, target, result)
    return result


def _schema(spec: Any) -> str:
    return "smart2pay" if spec is S2P.get(spec.name) else "smarterpay"


async def test_older_read_committed_later_keeps_the_newer_version(fresh_db_url: str) -> None:
    """SmarterPay has no change time: versions are ordered by when the read was requested."""
    spec = SP["payments"]
    old = {"id": "PAY-1", "created_at": "2025-01-02T03:04:05Z", "status": "pending", "amount": 100}
    new = {**old, "status": "paid"}
    later, earlier = datetime.now(UTC), datetime.now(UTC) - timedelta(minutes=5)
    conn = await asyncpg.connect(fresh_db_url)
    try:
        run_id = await start_run(conn, "incremental", "bacs", ["payments"])
        async with conn.transaction():
            await _load(conn, "bacs", spec, run_id, [new], later)  # fetched by id, later
        async with conn.transaction():  # a window read requested earlier commits after it
            result = await _load(conn, "bacs", spec, run_id, [old], earlier)
        status = await conn.fetchval("SELECT status FROM smarterpay.payments WHERE id = 'PAY-1'")
        changes = await conn.fetchval("SELECT count(*) FROM paysync.record_changes")
        async with conn.transaction():  # a read requested after both wins
            await _load(conn, "bacs", spec, run_id, [old], later + timedelta(seconds=1))
        final = await conn.fetchval("SELECT status FROM smarterpay.payments WHERE id = 'PAY-1'")
    finally:
        await conn.close()
    assert (status, changes, result.changed) == ("paid", 0, 0)
    assert final == "pending"  # the ordering is by read time, not "a status only moves on"


async def test_provider_change_time_orders_versions(fresh_db_url: str) -> None:
    """Smart2Pay payments: NotificationDateTime first, whatever the read times."""
    spec = S2P["payments"]
    base = {"ID": 77, "Created": "20250102030405", "Status": {"ID": 9, "Info": "Authorized"},
            "NotificationDateTime": "20250102040000", "Amount": 2000, "Currency": "EUR"}  # fmt: skip
    newer = {**base, "Status": {"ID": 11, "Info": "Captured"},
             "NotificationDateTime": "20250102050000"}  # fmt: skip
    conn = await asyncpg.connect(fresh_db_url)
    try:
        run_id = await start_run(conn, "webhook", "cards", ["payments"])
        now = datetime.now(UTC)
        async with conn.transaction():  # the notification, received first
            await _load(conn, "cards", spec, run_id, [newer], now - timedelta(minutes=1))
        async with conn.transaction():  # a list/detail read made later but older at the provider
            await _load(conn, "cards", spec, run_id, [base], now)
        status = await conn.fetchval("SELECT status_id FROM smart2pay.payments WHERE id = '77'")
        reversals = await conn.fetchval(
            "SELECT count(*) FROM paysync.record_changes WHERE record_id = '77'"
        )
    finally:
        await conn.close()
    assert (status, reversals) == (11, 0)


class _NotifyDuringRead:
    """The drain's HTTP client, real, with one notification delivered (and committed) between
    its read of a payment and the merge of that read: the overlap of the adversarial run."""

    def __init__(self, http: Any, deliver: Any) -> None:
        self.http, self.deliver, self.done = http, deliver, False

    async def get_json(self, path: str, params: Any = None) -> Any:
        body = await self.http.get_json(path, params)
        if not self.done:
            self.done = True
            await self.deliver(body)
        return body


async def test_sync_does_not_overwrite_a_newer_webhook(fresh_db_url: str) -> None:
    from pipelines.sync import service

    with start_emulator("smart2pay", records=150, seed=32, site_id=30201,
                        api_key="s2p-test-key/0042+") as emu:  # fmt: skip
        emu.clock_freeze(True)
        settings = settings_for(fresh_db_url, s2p_source(emu))
        await service.sync(settings, SyncRequest(as_of=emu.clock_now()))
        pid = str(emu.truth("payments")[0]["ID"])
        source, conn_ = settings.sources[0], connector("smart2pay")
        pool = await service.open_pool(settings, 6)
        try:
            async with pool.acquire() as conn:
                run_id = await start_run(conn, "webhook", source.name, ["payments"])
                await loader.enqueue(conn, source.name, "payments", [pid], "hydrate")
            hook = make_hook(source, conn_, run_id)

            async def deliver(body: Any) -> None:
                newer = copy.deepcopy(body["Payment"])
                newer["Status"] = {"ID": 2, "Info": "Success", "Reasons": None}
                at = datetime.now(UTC) + timedelta(days=400)  # after anything the emulator said
                newer["NotificationDateTime"] = at.strftime("%Y%m%d%H%M%S")
                raw = orjson.dumps({"Payment": newer})
                async with pool.acquire() as conn, conn.transaction():
                    assert await store_and_apply(conn, [(hook, parse(hook, raw), raw)]) == [
                        "applied"
                    ]

            engine = SourceSync(pool, source, conn_, settings.sync, SyncRequest())
            async with engine.client() as http:
                racing = _NotifyDuringRead(http, deliver)
                fetcher = Fetcher(pool, source.name, conn_, engine.sql, racing)  # type: ignore[arg-type]
                async with pool.acquire() as conn:
                    sync_run = await start_run(conn, "incremental", source.name, ["payments"])
                await drain(fetcher, RunReport(source.name, sync_run))
            assert racing.done, "the drain fetched nothing: the test proves nothing"
            async with pool.acquire() as conn:
                status = await conn.fetchval(
                    "SELECT status_id FROM smart2pay.payments WHERE id = $1", pid
                )
                kinds = await conn.fetch(
                    """SELECT after->>'status_id' AS s FROM paysync.record_changes
                       WHERE record_id = $1 ORDER BY change_id""",
                    pid,
                )
        finally:
            await pool.close()
    assert status == 2
    assert [r["s"] for r in kinds] == ["2"]  # the webhook's transition, no fake reversal


# --- loss 3: a window with rejects stays owed until they load -------------------------------


async def test_rejected_records_load_when_served_correctly(fresh_db_url: str) -> None:
    faults = "malformed=0.004,seed=3"
    with start_emulator("smarterpay", records=600, seed=33, token=TOKEN, faults=faults) as emu:
        emu.clock_freeze(True)
        # No lookback: only what the ledger owes is read again.
        settings = make_settings(fresh_db_url, emu, lookback_days=0)
        first = await sync(settings, emu)
        assert first.counts.records_rejected > 0, "nothing rejected: the test proves nothing"
        owed = await _owed(fresh_db_url, settings)
        assert sum(owed.values()) > 0, owed
        emu.set_faults(None)  # the provider now serves those records correctly
        second = await sync(settings, emu)
        assert second.outcome == "succeeded" and second.counts.records_rejected == 0
        await _rejected_now_loaded(fresh_db_url, emu, first.run_id)
        assert sum((await _owed(fresh_db_url, settings)).values()) == 0


async def _rejected_now_loaded(db_url: str, emu: Any, run_id: int) -> None:
    """Every record is held (rejects without an id included) and every rejected record
    equals the provider's. (A malformed value the model accepts, such as a mandate's
    ``sort_code`` typed as free text, is loaded and not owed: outside this test.)"""
    conn = await asyncpg.connect(db_url)
    try:
        for spec in SP.values():
            truth = emu.truth(resource_of(spec))
            ids = {str(spec.record_id(r)) for r in truth}
            held = {r["id"] for r in await conn.fetch(
                f"SELECT id FROM smarterpay.{spec.name} WHERE _deleted_at IS NULL")}  # fmt: skip
            assert held == ids, (spec.name, sorted(ids - held)[:5], sorted(held - ids)[:5])
            rejected = {r["record_id"] for r in await conn.fetch(
                """SELECT record_id FROM paysync.rejects WHERE run_id = $1 AND stream = $2
                   AND record_id IS NOT NULL""", run_id, spec.name)}  # fmt: skip
            diff = await differences(conn, "smarterpay", "bacs", spec, truth, ids - rejected)
            assert diff["counts"] == [0, 0], (spec.name, diff)
    finally:
        await conn.close()


async def _owed(db_url: str, settings: Any) -> dict[str, int]:
    conn = await asyncpg.connect(db_url)
    try:
        return {r["stream"]: int(r["owed"]) for r in await stream_status(conn, settings)}
    finally:
        await conn.close()


async def test_given_up_rejects_are_no_longer_owed(fresh_db_url: str) -> None:
    spec = SP["payments"]
    bad = {"id": "PAY-9", "created_at": "2025-01-02T03:04:05Z", "amount": "not a number"}
    conn = await asyncpg.connect(fresh_db_url)
    try:
        run_id = await start_run(conn, "incremental", "bacs", ["payments"])
        target = loader.Target("bacs", spec, build("smarterpay", spec), run_id)
        rows, rejects, _ = split_page(spec, [bad])
        assert rejects and not rows
        start, end = datetime(2025, 1, 1, tzinfo=UTC), datetime(2025, 1, 8, tzinfo=UTC)
        await loader.save_rejects(conn, target, rejects, (start, end))
        await loader.record_window(
            conn,
            target,
            start,
            end,
            loader.LoadResult(),
            await loader.owed_rejects(conn, target, rejects),
        )
        owed_before = await conn.fetchval("SELECT sum(rejected) FROM paysync.sync_windows")
        assert await conn.fetchval("SELECT paysync.give_up_rejects('bacs', 'payments')") == 1
        again = await loader.owed_rejects(conn, target, rejects)  # the next read rejects it again
    finally:
        await conn.close()
    assert (owed_before, again) == (1, 0)


# --- reported counts are the database's own --------------------------------------------------


async def test_a_record_two_windows_load_at_once_is_counted_once(fresh_db_url: str) -> None:
    spec = SP["payments"]
    record = {"id": "PAY-B", "created_at": "2025-01-08T00:00:00Z", "status": "paid", "amount": 5}
    at = datetime.now(UTC)
    one, two = await asyncpg.connect(fresh_db_url), await asyncpg.connect(fresh_db_url)
    try:
        run_id = await start_run(one, "incremental", "bacs", ["payments"])
        t1, t2 = one.transaction(), two.transaction()
        await t1.start()
        await t2.start()
        first = await _load(one, "bacs", spec, run_id, [record], at)
        # The second window blocks on the first's uncommitted row, then sees it committed.
        second_task = asyncio.create_task(_load(two, "bacs", spec, run_id, [record], at))
        await asyncio.sleep(0.5)
        await t1.commit()
        second = await second_task
        await t2.commit()
        rows = await one.fetchval("SELECT count(*) FROM smarterpay.payments")
    finally:
        await one.close()
        await two.close()
    assert rows == 1
    assert first.inserted + second.inserted == rows  # 2 before issue 17
    assert first.changed + second.changed == 0


async def test_reported_counts_equal_the_database(fresh_db_url: str) -> None:
    with start_emulator("smarterpay", records=400, seed=34, token=TOKEN) as emu:
        emu.clock_freeze(True)
        settings = make_settings(fresh_db_url, emu, lookback_days=5000)
        first = await sync(settings, emu)
        rows = await _live_rows(fresh_db_url)
        assert first.counts.records_inserted == rows > 0
        emu.mutate("payments", 12)
        emu.mutate("mandates", 5)
        second = await sync(settings, emu)
        conn = await asyncpg.connect(fresh_db_url)
        try:
            kinds = dict(
                await conn.fetch(
                    """SELECT change_kind, count(*) FROM paysync.record_changes
                       WHERE run_id = $1 GROUP BY 1""",
                    second.run_id,
                )
            )
            stored = await conn.fetchrow(
                "SELECT records_inserted, records_changed, records_deleted FROM paysync.sync_runs WHERE run_id = $1",
                second.run_id,
            )
        finally:
            await conn.close()
        assert (
            second.counts.records_changed == kinds.get("update", 0) + kinds.get("undelete", 0) > 0
        )
        assert second.counts.records_deleted == kinds.get("delete", 0)
        assert second.counts.records_inserted == await _live_rows(fresh_db_url) - rows
        assert tuple(stored) == (
            second.counts.records_inserted, second.counts.records_changed,
            second.counts.records_deleted,
        )  # fmt: skip


async def _live_rows(db_url: str) -> int:
    conn = await asyncpg.connect(db_url)
    try:
        total = 0
        for spec in SP.values():
            total += await conn.fetchval(f"SELECT count(*) FROM smarterpay.{spec.name}")
        return total
    finally:
        await conn.close()
