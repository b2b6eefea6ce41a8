"""A change-feed event in the same second as the stored read is still fetched.

SmarterPay's event times have one-second resolution: a record read at 12:00:00.5 and changed
at 12:00:00.9 gives an event stamped 12:00:00, earlier than the read. Taking that entry as
satisfied lost the change (seen as a flaky per-stream count test after issues 17 and 18)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

from connectors.smarterpay import STREAMS as SP
from pipelines.load import loader
from pipelines.load.merge_sql import build

EVENT = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("read_after_event", "refetched"),
    [(timedelta(milliseconds=500), True), (timedelta(seconds=1), True),
     (timedelta(seconds=5), False), (-timedelta(seconds=30), True)],
    ids=["same-second", "next-second", "well-after", "before"],
)  # fmt: skip
async def test_feed_entry_kept_unless_read_well_after_the_event(
    fresh_db_url: str, read_after_event: timedelta, refetched: bool
) -> None:
    spec = SP["mandates"]
    conn = await asyncpg.connect(fresh_db_url)
    try:
        await conn.execute(
            """INSERT INTO smarterpay.mandates (source, id, raw, _hash, _fetched_at)
               VALUES ('bacs', 'M1', '{}', 'h', $1)""",
            EVENT + read_after_event,
        )
        await loader.enqueue(conn, "bacs", "mandates", ["M1"], "feed", [EVENT])
        await loader.drop_satisfied(conn, loader.Target("bacs", spec, build("smarterpay", spec), 0))
        queued = await conn.fetchval("SELECT count(*) FROM paysync.refetch_queue")
    finally:
        await conn.close()
    assert queued == (1 if refetched else 0)
