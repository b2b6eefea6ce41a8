"""The sync engine against the SmarterPay emulator and a real PostgreSQL (issue: sync engine).

Every assertion is a comparison with what the provider holds (the emulator's truth)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.store.settings import DatabaseSettings, Settings, SmarterPaySource, SyncSettings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from pipelines.sync.window import merge
from tests.truth import differences, resource_of

TOKEN = "sp-test-token-0042"


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=1500, seed=11, token=TOKEN) as emu:
        yield emu


def make_settings(db_url: str, emu, **source) -> Settings:
    src = SmarterPaySource(
        name="bacs", provider="smarterpay", base_url=emu.base_url, token_env="SP_TOKEN",
        ca_bundle=Path(emu.ca_path), start_date=date(2018, 1, 1), **source,
    )  # fmt: skip
    src.set_secret(TOKEN)
    return Settings(
        database=DatabaseSettings(url=db_url),
        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=60),
        sources=[src],
    )


async def sync(settings: Settings, emu, **request):
    as_of = emu.clock_now()
    [report] = await service.sync(settings, SyncRequest(as_of=as_of, **request))
    return report


async def assert_equals_truth(db_url: str, emu, ignore: dict[str, set[str]] | None = None) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for spec in STREAMS.values():
            truth = emu.truth(resource_of(spec))
            diff = await differences(
                conn, "smarterpay", "bacs", spec, truth, (ignore or {}).get(spec.name, ())
            )
            assert diff["counts"] == [0, 0], (spec.name, diff)
            assert truth, f"{spec.name}: the emulator holds nothing, the comparison proves nothing"
    finally:
        await conn.close()


async def xmins(db_url: str) -> dict[tuple[str, str], str]:
    conn = await asyncpg.connect(db_url)
    try:
        found = {}
        for spec in STREAMS.values():
            for row in await conn.fetch(f"SELECT id, xmin::text AS x FROM smarterpay.{spec.name}"):
                found[(spec.name, row["id"])] = row["x"]
        return found
    finally:
        await conn.close()


async def windows(db_url: str, where: str, *args) -> set[tuple]:
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            f"SELECT stream, window_start, window_end FROM paysync.sync_windows WHERE {where}",
            *args,
        )
        return {tuple(r) for r in rows}
    finally:
        await conn.close()


async def scalar(db_url: str, sql: str, *args):
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetchval(sql, *args)
    finally:
        await conn.close()


async def test_full_sync_equals_truth(db_url: str, emulator) -> None:
    report = await sync(make_settings(db_url, emulator), emulator)
    assert report.outcome == "succeeded", report
    assert report.counts.records_inserted > 3000
    await assert_equals_truth(db_url, emulator)


async def test_second_run_reads_only_lookback_and_writes_nothing(db_url: str, emulator) -> None:
    before = await xmins(db_url)
    changes = await scalar(db_url, "SELECT count(*) FROM paysync.record_changes")
    open_before = await windows(db_url, "open_records > 0")
    emulator.reset_stats()
    report = await sync(make_settings(db_url, emulator), emulator)
    stats = emulator.stats()
    assert report.counts.records_inserted == report.counts.records_changed == 0
    assert await xmins(db_url) == before  # not one row rewritten (nor locked for update)
    assert await scalar(db_url, "SELECT count(*) FROM paysync.record_changes") == changes
    detail_gets = sum(sum(v.values()) for k, v in stats["by_endpoint"].items() if "{id}" in k)
    assert detail_gets == 0
    # list pages only: windows in the lookback, windows holding open records, and the
    # endpoints without a date filter; every settled window outside the lookback is skipped
    assert stats["total"] == report.counts.requests == report.counts.pages
    lookback = (
        emulator.clock_now() - timedelta(days=7, minutes=5),
        datetime.max.replace(tzinfo=UTC),
    )
    for stream, start, end in await windows(db_url, "run_id = $1", report.run_id):
        allowed = merge([lookback, *((s, e) for name, s, e in open_before if name == stream)])
        assert any(s <= start and end <= e for s, e in allowed), (stream, start, end)


async def test_status_changes_are_picked_up_with_one_change_row_each(db_url: str, emulator) -> None:
    before = await xmins(db_url)
    changes_before = await scalar(db_url, "SELECT count(*) FROM paysync.record_changes")
    emulator.clock_advance(timedelta(days=20).total_seconds())
    report = await sync(make_settings(db_url, emulator), emulator)
    await assert_equals_truth(db_url, emulator)
    after = await xmins(db_url)
    rewritten = {key for key, x in before.items() if after.get(key) != x}
    new_changes = (
        await scalar(db_url, "SELECT count(*) FROM paysync.record_changes") - changes_before
    )
    assert report.counts.records_changed > 0
    assert new_changes == len(rewritten) == report.counts.records_changed
    duplicates = await scalar(
        db_url,
        """SELECT count(*) FROM (SELECT record_id FROM paysync.record_changes WHERE run_id = $1
           GROUP BY stream, record_id HAVING count(*) > 1) d""",
        report.run_id,
    )
    assert duplicates == 0
    statuses = await scalar(
        db_url,
        "SELECT count(*) FROM paysync.record_changes WHERE run_id = $1 AND 'status' = ANY(changed_fields)",
        report.run_id,
    )
    assert statuses > 0  # payments moved on: submitted -> successful / failed ...


async def test_old_record_changed_is_found_through_the_change_feed(db_url: str, emulator) -> None:
    """A record far outside the lookback changes: only the outbound-message feed can tell."""
    conn = await asyncpg.connect(db_url)
    try:
        horizon = emulator.clock_now() - timedelta(days=60)
        old = await conn.fetchval(
            "SELECT count(*) FROM smarterpay.payments WHERE created_at < $1", horizon
        )
    finally:
        await conn.close()
    assert old > 0
    changed = emulator.mutate("payments", 5)
    emulator.clock_advance(60)
    emulator.reset_stats()
    report = await sync(make_settings(db_url, emulator), emulator)
    await assert_equals_truth(db_url, emulator)
    refetched = emulator.stats()["by_endpoint"].get("GET payment/{id}", {})
    assert 1 <= sum(refetched.values()) <= len(changed)  # by id, only what the feed named
    logged = await scalar(
        db_url,
        "SELECT count(DISTINCT record_id) FROM paysync.record_changes WHERE run_id = $1 AND record_id = ANY($2::text[])",
        report.run_id, changed,
    )  # fmt: skip
    assert logged >= 1


async def test_record_gone_from_a_fully_reread_window_is_marked_deleted(
    db_url: str, emulator
) -> None:
    await sync(make_settings(db_url, emulator), emulator)
    conn = await asyncpg.connect(db_url)
    try:
        created = await conn.fetchval(
            "SELECT min(created_at) FROM smarterpay.payments WHERE source = 'bacs'"
        )
        await conn.execute(
            """INSERT INTO smarterpay.payments (source, id, created_at, raw, _hash)
               VALUES ('bacs', 'P01GHOST', $1, '{"id": "P01GHOST"}', 'x')""",
            created,
        )
        report = await sync(
            make_settings(db_url, emulator), emulator, kind="full-refresh", streams=("payments",)
        )
        gone = await conn.fetchval(
            "SELECT _deleted_at FROM smarterpay.payments WHERE id = 'P01GHOST'"
        )
        logged = await conn.fetchval(
            "SELECT change_kind FROM paysync.record_changes WHERE record_id = 'P01GHOST' AND run_id = $1",
            report.run_id,
        )
        marked = await conn.fetchval(
            "SELECT count(*) FROM smarterpay.payments WHERE _deleted_at IS NOT NULL"
        )
    finally:
        await conn.close()
    assert gone is not None and logged == "delete"
    assert marked == 1  # nothing else was marked
    assert report.counts.records_deleted == 1
