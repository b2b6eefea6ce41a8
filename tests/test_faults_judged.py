"""The faulted run judged by itself (issue 17), not after a repairing second run.

Under HTTP errors, Retry-After, truncated bodies, connection resets and malformed records, the
windows the run recorded as done (and owing nothing) must hold exactly the provider's records
of their range, every typed column as the oracle derives it; the windows it did not finish
(or that owe rejects) are read by the next ordinary incremental run with no lookback, after
which the whole database equals the truth. Paging-time mutations (late arrivals, inserts and
changes while paging) are left out here: they change the truth after a window was read.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import orjson

from connectors.emulator_kit.testing import start_emulator
from tests.oracle.compare import record_id, typed_columns
from tests.oracle.mapping import CONVERT, expected_row
from tests.test_oracle import TABLES
from tests.test_sync_smarterpay import TOKEN, assert_equals_truth, make_settings, sync

FAULTS = (
    "429=0.05,500=0.04,502=0.02,503=0.03,504=0.02,retry_after=0,truncate=0.04,reset=0.03,"
    "malformed=0.003,seed=9"
)


async def test_windows_the_faulted_run_finished_hold_exactly_the_truth(fresh_db_url: str) -> None:
    with start_emulator("smarterpay", records=600, seed=61, token=TOKEN, faults=FAULTS) as emu:
        emu.clock_freeze(True)
        settings = make_settings(fresh_db_url, emu, lookback_days=0)
        faulted = await sync(settings, emu)
        assert faulted.counts.retries > 0, "no fault hit the run: the test proves nothing"
        conn = await asyncpg.connect(fresh_db_url)
        try:
            judged = 0
            for table, resource in TABLES["smarterpay"].items():
                windows = await conn.fetch(
                    """SELECT window_start, window_end FROM paysync.sync_windows
                       WHERE source = 'bacs' AND stream = $1 AND run_id = $2 AND rejected = 0""",
                    table, faulted.run_id,
                )  # fmt: skip
                if windows:
                    judged += await _judge(conn, table, resource, emu, windows)
        finally:
            await conn.close()
        assert judged > 100, f"only {judged} records in finished windows: the test proves little"
        emu.set_faults(None)
        await sync(settings, emu)  # ordinary incremental, no lookback: reads only what is owed
        await assert_equals_truth(fresh_db_url, emu)


async def _judge(
    conn: asyncpg.Connection, table: str, resource: str, emu: Any, windows: list[Any]
) -> int:
    """Records of ``table`` created inside the finished windows: DB equals the oracle."""
    columns = await typed_columns(conn, "smarterpay", table)
    if "created_at" not in columns:
        return 0  # windowed on another documented field: judged by the final comparison only
    created = CONVERT["timestamp with time zone"]

    def inside(record: dict[str, Any]) -> bool:
        at = created(record.get("created_at"))
        return at is not None and any(w["window_start"] <= at < w["window_end"] for w in windows)

    truth = [r for r in emu.truth(resource) if inside(r)]
    expected = {record_id(r): expected_row("smarterpay", table, columns, r) for r in truth}
    rows = await conn.fetch(
        f"""SELECT id, {", ".join(columns)} FROM smarterpay.{table} t
            WHERE source = 'bacs' AND _deleted_at IS NULL AND EXISTS (
                SELECT 1 FROM unnest($1::timestamptz[], $2::timestamptz[]) w(s, e)
                WHERE t.created_at >= w.s AND t.created_at < w.e)""",
        [w["window_start"] for w in windows], [w["window_end"] for w in windows],
    )  # fmt: skip
    stored = {
        r["id"]: {
            n: orjson.loads(r[n]) if k == "jsonb" and r[n] is not None else r[n]
            for n, k in columns.items()
        }
        for r in rows
    }
    assert set(stored) == set(expected), (table, sorted(set(expected) - set(stored))[:5])
    wrong = [rid for rid, want in expected.items() if stored[rid] != want]
    assert not wrong, (table, wrong[:5])
    return len(expected)
