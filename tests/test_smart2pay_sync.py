"""The sync engine with the Smart2Pay connector, against its emulator and a real PostgreSQL.

Every assertion is a comparison with what the provider holds (the emulator's truth). The
emulator's clock is frozen so that only ``clock_advance`` moves the provider on.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smart2pay import STREAMS, auth_headers
from connectors.streams import StreamSpec
from pipelines.store.settings import DatabaseSettings, Settings, Smart2PaySource, SyncSettings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests.truth import differences, resource_of

SITE_ID, API_KEY = 30201, "s2p-test-key/0042+"
RECORDS, SEED = 3000, 5
DETAIL_ENDPOINTS = ("GET payment", "GET preapproval", "GET payout", "GET payment refunds")


@pytest.fixture(scope="module")
def emulator():
    with start_emulator(
        "smart2pay", records=RECORDS, seed=SEED, site_id=SITE_ID, api_key=API_KEY
    ) as emu:
        emu.clock_freeze(True)
        yield emu


def make_settings(db_url: str, emu: Any, name: str = "cards") -> Settings:
    src = Smart2PaySource(
        name=name, provider="smart2pay", base_url=emu.base_url, site_id=SITE_ID,
        api_key_env="S2P_KEY", ca_bundle=Path(emu.ca_path), start_date=date(2020, 1, 1),
    )  # fmt: skip
    src.set_secret(API_KEY)
    return Settings(
        database=DatabaseSettings(url=db_url),
        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=60),
        sources=[src],
    )


async def sync(settings: Settings, emu: Any, kind: str = "incremental") -> Any:
    [report] = await service.sync(settings, SyncRequest(kind=kind, as_of=emu.clock_now()))
    assert report.outcome == "succeeded", report
    return report


def comparable(spec: StreamSpec) -> StreamSpec:
    """Refund lists leave Customer and BillingAddress null (limited details), and a refund's
    detail needs its payment's id in the path, which a detail_path cannot name: those columns
    are compared on no side. Everything else is compared as is."""
    if spec.name != "refunds":
        return spec
    kept = tuple(c for c in spec.columns if c.path[0] not in ("Customer", "BillingAddress"))
    return dataclasses.replace(spec, columns=kept)


async def assert_equals_truth(
    db_url: str, emu: Any, source: str = "cards", ignore: dict[str, set[str]] | None = None
) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for spec in STREAMS.values():
            truth = emu.truth(resource_of(spec))
            assert truth, f"{spec.name}: the emulator holds nothing, the comparison proves nothing"
            skip = (ignore or {}).get(spec.name, set())
            diff = await differences(conn, "smart2pay", source, comparable(spec), truth, skip)
            assert diff["counts"] == [0, 0], (spec.name, diff)
    finally:
        await conn.close()


async def fetch(db_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def scalar(db_url: str, sql: str, *args: Any) -> Any:
    return (await fetch(db_url, sql, *args))[0][0]


async def xmins(db_url: str) -> dict[tuple[str, str], str]:
    found = {}
    for spec in STREAMS.values():
        sql = f"SELECT id, xmin::text AS x FROM smart2pay.{spec.name} WHERE source = 'cards'"
        for row in await fetch(db_url, sql):
            found[(spec.name, row["id"])] = row["x"]
    return found


def detail_gets(stats: dict[str, Any]) -> int:
    return sum(sum(stats["by_endpoint"].get(e, {}).values()) for e in DETAIL_ENDPOINTS)


async def test_full_sync_equals_truth(db_url: str, emulator: Any) -> None:
    report = await sync(make_settings(db_url, emulator), emulator)
    assert report.counts.records_inserted > RECORDS
    assert report.counts.records_rejected == 0
    await assert_equals_truth(db_url, emulator)
    # the detail fields list items leave null came from the hydration
    filled = await scalar(
        db_url, "SELECT count(*) FROM smart2pay.payments WHERE customer_email IS NOT NULL"
    )
    assert filled == RECORDS
    articles = await scalar(db_url, "SELECT count(*) FROM smart2pay.payment_articles")
    assert articles > 0


async def test_second_run_writes_nothing_and_fetches_no_detail(db_url: str, emulator) -> None:
    before = await xmins(db_url)
    changes = await scalar(db_url, "SELECT count(*) FROM paysync.record_changes")
    in_flight = await scalar(
        db_url,
        "SELECT count(DISTINCT payment_id) FROM smart2pay.refunds WHERE status_id IN (1, 7, 8, 18)",
    )
    emulator.reset_stats()
    report = await sync(make_settings(db_url, emulator), emulator)
    stats = emulator.stats()
    assert report.counts.records_inserted == report.counts.records_changed == 0
    assert await xmins(db_url) == before  # not one row rewritten (nor locked for update)
    assert await scalar(db_url, "SELECT count(*) FROM paysync.record_changes") == changes
    # no detail fetch; refunds only of the payments whose refunds are still in flight
    refund_reads = sum(stats["by_endpoint"].get("GET payment refunds", {}).values())
    assert refund_reads == in_flight
    assert detail_gets(stats) == in_flight, stats["by_endpoint"]
    assert stats["total"] == report.counts.requests == report.counts.pages + in_flight


async def test_status_changes_give_one_change_row_each(db_url: str, emulator) -> None:
    before = await xmins(db_url)
    changes_before = await scalar(db_url, "SELECT count(*) FROM paysync.record_changes")
    emulator.clock_advance(timedelta(days=20).total_seconds())
    report = await sync(make_settings(db_url, emulator), emulator)
    unread = await _unread_refunds(db_url, emulator, report.run_id)
    await assert_equals_truth(db_url, emulator, ignore={"refunds": unread})
    after = await xmins(db_url)
    rewritten = {key for key, x in before.items() if after.get(key) != x}
    new_changes = (
        await scalar(db_url, "SELECT count(*) FROM paysync.record_changes") - changes_before
    )
    assert report.counts.records_changed > 0
    assert new_changes == len(rewritten) == report.counts.records_changed
    duplicates = await scalar(
        db_url,
        """SELECT count(*) FROM (SELECT 1 FROM paysync.record_changes WHERE run_id = $1
           GROUP BY stream, record_id HAVING count(*) > 1) d""",
        report.run_id,
    )
    assert duplicates == 0
    moved = await scalar(
        db_url,
        """SELECT count(*) FROM paysync.record_changes WHERE run_id = $1 AND stream = 'payments'
           AND 'status_id' = ANY(changed_fields)""",
        report.run_id,
    )
    assert moved > 0  # payments moved on: Authorized -> Captured, Success -> Refunded ...


async def _unread_refunds(db_url: str, emu: Any, run_id: int) -> set[str]:
    """Refunds of payments this run did not re-read (their list summary did not change): the
    engine reads refunds only for a new or changed payment, so a refund that appears or
    settles without moving its payment is seen by the deep re-scan, not by an incremental run."""
    changed = {
        r["record_id"]
        for r in await fetch(
            db_url,
            "SELECT record_id FROM paysync.record_changes WHERE run_id = $1 AND stream = 'payments'",
            run_id,
        )
    }
    stored = await fetch(db_url, "SELECT id, payment_id FROM smart2pay.refunds")
    unread = {r["id"] for r in stored if str(r["payment_id"]) not in changed}
    truth = emu.truth("refunds")
    skipped = unread | {str(r["ID"]) for r in truth if str(r["InitialPaymentID"]) not in changed}
    assert len(skipped) < len(truth), "no refund re-read: the comparison would prove nothing"
    return skipped


async def test_refund_on_an_unchanged_payment_is_found_by_the_deep_rescan(
    db_url: str, emulator
) -> None:
    """No list names a new refund while its payment is unchanged (Smart2Pay has no refund
    list); refund notifications tell at once, and the deep re-scan re-reads every payment's
    refunds."""
    old = emulator.clock_now() - timedelta(days=60)
    rows = await fetch(
        db_url,
        """SELECT p.id, p.amount FROM smart2pay.payments p WHERE p.source = 'cards'
           AND p.status_id IN (2, 11) AND p.created < $1
           AND NOT EXISTS (SELECT 1 FROM smart2pay.refunds r WHERE r.payment_id::text = p.id)
           ORDER BY p.id LIMIT 1""",
        old,
    )
    payment_id, amount = rows[0]["id"], rows[0]["amount"]
    source = make_settings(db_url, emulator).sources[0]
    status, _, body = emulator.request(
        "POST", f"/v1/payments/{payment_id}/refunds",
        {"Refund": {"Amount": max(1, amount // 2), "Description": "test"}}, auth_headers(source),
    )  # fmt: skip
    assert status == 201, body
    await sync(make_settings(db_url, emulator), emulator, kind="deep-rescan")
    found = await scalar(
        db_url, "SELECT count(*) FROM smart2pay.refunds WHERE payment_id = $1", int(payment_id)
    )
    assert found == 1


async def test_string_amounts_load_the_same_integers(db_url: str, emulator) -> None:
    with start_emulator(
        "smart2pay", records=RECORDS, seed=SEED, site_id=SITE_ID, api_key=API_KEY,
        string_amounts=True,
    ) as strings:  # fmt: skip
        strings.clock_freeze(True)
        await sync(make_settings(db_url, strings, "strings"), strings)
        await assert_equals_truth(db_url, strings, "strings")
        assert isinstance(strings.truth("payments")[0]["Amount"], str)
    differing = await scalar(
        db_url,
        """SELECT count(*) FROM smart2pay.payments s JOIN smart2pay.payments i USING (id)
           WHERE s.source = 'strings' AND i.source = 'cards'
             AND (s.amount IS DISTINCT FROM i.amount OR s.raw ->> 'Amount' <> s.amount::text
                  OR jsonb_typeof(s.raw -> 'Amount') <> 'string')""",
    )
    assert differing == 0
    same = await scalar(db_url, "SELECT count(*) FROM smart2pay.payments WHERE source = 'strings'")
    assert same == RECORDS
