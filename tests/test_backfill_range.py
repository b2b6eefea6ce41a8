"""Issue 18, item 4: a backfill (partition) reads only its range.

Before: each partition re-read every done window still holding open records, wherever it lay,
so a backfill of an empty range read thousands of records and partitions read the same windows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest, day_start, plan_stream
from pipelines.sync.window import split_range
from tests.test_sync_smarterpay import TOKEN, make_settings


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=800, seed=23, token=TOKEN) as emu:
        yield emu


async def open_windows(db_url: str) -> list[tuple[str, datetime, datetime]]:
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            """SELECT stream, window_start, window_end FROM paysync.sync_windows
               WHERE source = 'bacs' AND open_records > 0 ORDER BY 2"""
        )
        return [tuple(r) for r in rows]  # type: ignore[misc]
    finally:
        await conn.close()


async def test_backfill_of_a_settled_range_reads_nothing(db_url: str, emulator) -> None:
    settings = make_settings(db_url, emulator)
    now = emulator.clock_now()
    [first] = await service.sync(settings, SyncRequest(as_of=now))
    assert first.outcome == "succeeded", first
    opened = await open_windows(db_url)
    # the range: one day of 2018, long settled; windows holding open records lie elsewhere
    start = datetime(2018, 3, 1, tzinfo=UTC)
    end = start + timedelta(days=1)
    assert opened, "no window holds open records: the test would prove nothing"
    assert all(s >= end or e <= start for _, s, e in opened), opened
    emulator.reset_stats()
    [report] = await service.sync(
        settings, SyncRequest(kind="backfill", range_from=start, range_to=end, as_of=now)
    )
    assert report.outcome == "succeeded", report
    assert emulator.stats()["total"] == 0, emulator.stats()
    assert report.counts.records_read == 0


async def test_partitions_plan_disjoint_windows_inside_their_range(db_url: str, emulator) -> None:
    """Planned against the ledger the full sync above left (with its open windows)."""
    settings = make_settings(db_url, emulator)
    source = settings.sources[0]
    now = emulator.clock_now()
    opened = await open_windows(db_url)
    assert opened
    lo = min(s for _, s, _ in opened) - timedelta(days=30)
    parts = split_range(lo, now, 3)
    conn = await asyncpg.connect(db_url)
    try:
        seen: dict[tuple[str, datetime, datetime], int] = {}
        for i, (p_from, p_to) in enumerate(parts):
            request = SyncRequest(kind="backfill", range_from=p_from, range_to=p_to, as_of=now)
            for spec in STREAMS.values():
                plan = await plan_stream(
                    conn, "bacs", spec, request, day_start(source.start_date), now,
                    timedelta(0), timedelta(days=source.lookback_days),
                )  # fmt: skip
                if plan is None:
                    continue
                for window in plan.windows():
                    assert window is not None, spec.name
                    assert p_from <= window[0] and window[1] <= p_to, (spec.name, window, i)
                    key = (spec.name, *window)
                    assert key not in seen, f"{key} read by partitions {seen[key]} and {i}"
                    seen[key] = i
    finally:
        await conn.close()
    # the open windows inside a partition are still re-read by it (not dropped altogether)
    inside = [w for w in opened if any(p[0] <= w[1] and w[2] <= p[1] for p in parts)]
    assert inside and all(w in seen for w in inside), (inside, sorted(seen))
