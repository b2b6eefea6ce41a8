"""Issue 18, item 6: the per-stream counts of a run equal what the run did to the tables.

The expected side is read from PostgreSQL (row deltas, ``record_changes`` rows of the run) and
from the emulator's request log, never from the engine's own counters. Before: hydrated streams
showed ``new 0``, refunds had no row, feed re-fetches were booked to nobody (the flows booked
them to ``outbound_messages``) and per-stream requests were always 0.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smart2pay import STREAMS as S2P_STREAMS
from connectors.smarterpay import STREAMS as SP_STREAMS
from pipelines.flows.report import by_stream
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from pipelines.sync.runs import RunReport
from tests import test_smart2pay_sync as s2p
from tests import test_sync_smarterpay as sp

# Smart2Pay emulator endpoint labels per stream (the list, the detail, the children)
S2P_ENDPOINTS = {
    "payments": ("GET payments", "GET payment"),
    "refunds": ("GET payment refunds",),
    "preapprovals": ("GET preapprovals", "GET preapproval"),
    "payouts": ("GET payouts", "GET payout"),
    "methods": ("GET methods", "GET method"),
}


def sp_endpoints(name: str) -> tuple[str, ...]:
    """SmarterPay labels are the path below service.svc/, the id as ``{id}``."""
    spec = SP_STREAMS[name]
    paths = [p for p in (spec.path, spec.detail_path) if p]
    return tuple("GET " + p.removeprefix("service.svc/").lower() for p in paths)


async def table_rows(conn: asyncpg.Connection, schema: str, names: Any, source: str) -> dict:
    return {
        n: await conn.fetchval(f"SELECT count(*) FROM {schema}.{n} WHERE source = $1", source)
        for n in names
    }


async def run_and_compare(
    db_url: str, emu: Any, settings: Any, schema: str, streams: Any, endpoints: Any
) -> RunReport:
    conn = await asyncpg.connect(db_url)
    try:
        source = settings.sources[0].name
        before = await table_rows(conn, schema, streams, source)
        emu.reset_stats()
        [report] = await service.sync(settings, SyncRequest(as_of=emu.clock_now()))
        assert report.outcome == "succeeded", report
        after = await table_rows(conn, schema, streams, source)
        changes = {
            (r["stream"], r["change_kind"]): r["n"]
            for r in await conn.fetch(
                """SELECT stream, change_kind, count(*) AS n FROM paysync.record_changes
                   WHERE run_id = $1 GROUP BY 1, 2""",
                report.run_id,
            )
        }
    finally:
        await conn.close()
    by_endpoint = emu.stats()["by_endpoint"]
    for name in streams:
        counts = report.streams[name].counts if name in report.streams else None
        new = after[name] - before[name]
        changed = changes.get((name, "update"), 0) + changes.get((name, "undelete"), 0)
        requests = sum(sum(by_endpoint.get(e, {}).values()) for e in endpoints(name))
        if new or changed or requests:
            assert counts is not None, f"{name}: no row for a stream the run wrote or read"
        if counts is None:
            continue
        assert counts.records_inserted == new, (name, counts, new)
        assert counts.records_changed == changed, (name, counts, changed)
        assert counts.records_deleted == changes.get((name, "delete"), 0), (name, counts)
        assert counts.requests == requests, (name, counts.requests, requests)
    assert sum(s.counts.requests for s in report.streams.values()) == report.counts.requests
    assert report.counts.requests == emu.stats()["total"]
    return report


@pytest.fixture(scope="module")
def smart2pay():
    with start_emulator(
        "smart2pay", records=1200, seed=7, site_id=s2p.SITE_ID, api_key=s2p.API_KEY
    ) as emu:
        emu.clock_freeze(True)
        yield emu


async def test_smart2pay_hydrated_and_child_streams_count_their_rows(
    fresh_db_url: str, smart2pay
) -> None:
    settings = s2p.make_settings(fresh_db_url, smart2pay)
    first = await run_and_compare(
        fresh_db_url, smart2pay, settings, "smart2pay", S2P_STREAMS, S2P_ENDPOINTS.__getitem__
    )
    # the hydrated streams and the children are exactly what was wrong before
    assert first.streams["payments"].counts.records_inserted > 100
    assert first.streams["refunds"].counts.records_inserted > 0
    smart2pay.clock_advance(timedelta(days=20).total_seconds())
    second = await run_and_compare(
        fresh_db_url, smart2pay, settings, "smart2pay", S2P_STREAMS, S2P_ENDPOINTS.__getitem__
    )
    assert second.streams["payments"].counts.records_changed > 0


@pytest.fixture(scope="module")
def smarterpay():
    with start_emulator("smarterpay", records=600, seed=31, token=sp.TOKEN) as emu:
        yield emu


async def test_smarterpay_feed_refetches_count_for_the_stream_refetched(
    fresh_db_url: str, smarterpay
) -> None:
    settings = sp.make_settings(fresh_db_url, smarterpay)
    await run_and_compare(
        fresh_db_url, smarterpay, settings, "smarterpay", SP_STREAMS, sp_endpoints
    )
    # old mandates change; only the change feed (outbound messages) tells which
    changed = smarterpay.mutate("mandates", 5)
    assert changed
    report = await run_and_compare(
        fresh_db_url, smarterpay, settings, "smarterpay", SP_STREAMS, sp_endpoints
    )
    assert report.streams["mandates"].counts.records_changed >= 1


def test_artifact_rows_merge_one_stream_written_by_several_runs() -> None:
    rows = [
        {"source": "a", "stream": "refunds", "outcome": "succeeded", "records_inserted": 3,
         "requests": 2, "error": None},
        {"source": "a", "stream": "payments", "outcome": "succeeded", "records_inserted": 5},
        {"source": "a", "stream": "refunds", "outcome": "failed", "records_inserted": 4,
         "requests": 1, "error": "boom"},
    ]  # fmt: skip
    merged = {r["stream"]: r for r in by_stream(rows)}
    assert merged["refunds"]["records_inserted"] == 7 and merged["refunds"]["requests"] == 3
    assert merged["refunds"]["outcome"] == "failed" and merged["refunds"]["error"] == "boom"
    assert merged["payments"]["records_inserted"] == 5
