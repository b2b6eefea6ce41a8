"""Issue 15: what a window's load costs PostgreSQL, proven by what it does, never by timings.

The merge probes the stored table once per staged record even when the table has no statistics
yet (a fresh database's first backfill), the staging transaction keeps its sorts and CTEs in
memory, and trimming a window to its bounds still keeps exactly the records inside it. Expected
values are written out by hand here, never computed by the code under test.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from connectors.smarterpay import STREAMS as SP
from pipelines.load import loader
from pipelines.load.merge_sql import build
from pipelines.sync.runs import start_run

SOURCE = "bacs"
SPEC = SP["payments"]


def _payment(n: int, created_at: Any = "2025-01-02T03:04:05Z", status: str = "paid") -> str:
    record = {"id": f"PAY-{n:06d}", "created_at": created_at, "status": status,
              "amount": str(100 + n), "mandate": f"MD-{n % 97}"}  # fmt: skip
    if created_at is None:
        del record["created_at"]
    return orjson.dumps(record).decode()


async def _stage(conn: asyncpg.Connection, rows: list[tuple[str, str]]) -> None:
    await conn.execute(loader.STAGE)
    await conn.copy_records_to_table(
        "_stage", columns=loader.STAGE_COLUMNS[:3],
        records=[(seq, rid, raw) for seq, (rid, raw) in enumerate(rows)],
    )  # fmt: skip


def _table_scans(plan: dict[str, Any], table: str) -> list[dict[str, Any]]:
    """Every scan node of ``table`` in an EXPLAIN (FORMAT JSON) plan."""
    found = []
    if plan.get("Relation Name") == table and plan["Node Type"] != "ModifyTable":
        found.append(plan)
    for child in plan.get("Plans", []):
        found += _table_scans(child, table)
    return found


async def test_merge_reads_only_the_staged_ids_of_a_table_without_statistics(
    fresh_db_url: str,
) -> None:
    """A fresh table has no statistics: ``source = $1`` looked like 0.5% of it, and the merge
    hash-joined every stored record of the source, once per window (quadratic in a backfill)."""
    stored, new, changed = 4000, 20, 20
    sql = build("smarterpay", SPEC)
    conn = await asyncpg.connect(fresh_db_url)
    try:
        # No autovacuum may analyze the table behind the test's back.
        await conn.execute("ALTER TABLE smarterpay.payments SET (autovacuum_enabled = false)")
        run_id = await start_run(conn, "incremental", SOURCE, [SPEC.name])
        target = loader.Target(SOURCE, SPEC, sql, run_id)
        async with conn.transaction():
            await _stage(conn, [(f"PAY-{n:06d}", _payment(n)) for n in range(stored)])
            result = loader.LoadResult()
            await loader.merge_stage(conn, target, result)
        assert result.inserted == stored
        assert await conn.fetchval(
            "SELECT count(*) FROM pg_stats WHERE schemaname = 'smarterpay' AND tablename = 'payments'"
        ) == 0, "the table has statistics: the test would prove nothing"  # fmt: skip
        staged = [(f"PAY-{n:06d}", _payment(n, status="failed")) for n in range(changed)]
        staged += [(f"PAY-{n:06d}", _payment(n)) for n in range(stored, stored + new)]
        tr = conn.transaction()
        await tr.start()
        try:
            await _stage(conn, staged)
            [plan] = orjson.loads(await conn.fetchval(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + sql.merge, SOURCE, SPEC.name, run_id
            ))  # fmt: skip
            written = await conn.fetchval(
                "SELECT count(*) FROM smarterpay.payments WHERE status = 'failed' OR id >= $1",
                f"PAY-{stored:06d}",
            )
        finally:
            await tr.rollback()
    finally:
        await conn.close()
    assert written == changed + new  # the merge really ran, and wrote what it should
    scans = _table_scans(plan["Plan"], "payments")
    assert scans, "the plan never reads the stored table"
    read = [
        (s["Node Type"], s.get("Index Name"), s["Actual Rows"] * s["Actual Loops"]) for s in scans
    ]
    # One probe per staged record finds at most that record: never the 4,000 stored ones.
    assert all(rows <= len(staged) for *_, rows in read), read


async def test_trim_keeps_exactly_the_records_inside_the_window(fresh_db_url: str) -> None:
    start = datetime(2025, 5, 31, 23, 0, tzinfo=UTC)
    end = datetime(2025, 6, 1, 0, 0, tzinfo=UTC)
    cases = {
        1: "2025-05-31T22:59:59Z",  # before the window
        2: "2025-05-31T23:00:00Z",  # its first instant: in
        3: "2025-05-31T23:30:00+00:00",  # in
        4: "2025-05-31T23:59:59.999999Z",  # its last microsecond: in
        5: "2025-06-01T00:00:00Z",  # its end: the next window's
        6: "2025-06-01T00:30:00",  # no zone: London summer time, 23:30 UTC: in
        7: "2025-06-01T01:30:00",  # no zone: 00:30 UTC: out
        8: None,  # no time at all: kept (never silently dropped)
        9: "not a time",  # unreadable: kept
    }
    conn = await asyncpg.connect(fresh_db_url)
    try:
        async with conn.transaction():
            await loader.use_zone(conn, "Europe/London")
            await _stage(conn, [(f"PAY-{n:06d}", _payment(n, at)) for n, at in cases.items()])
            target = loader.Target(SOURCE, SPEC, build("smarterpay", SPEC), 1)
            await loader.trim_to_window(conn, target, start, end)
            kept = {r["id"] for r in await conn.fetch("SELECT id FROM _stage")}
    finally:
        await conn.close()
    assert kept == {f"PAY-{n:06d}" for n in (2, 3, 4, 6, 8, 9)}


async def test_the_staging_transaction_keeps_its_work_in_memory(fresh_db_url: str) -> None:
    conn = await asyncpg.connect(fresh_db_url)
    try:
        default = await conn.fetchval("SHOW work_mem")
        async with conn.transaction():
            await _stage(conn, [("PAY-000001", _payment(1))])
            assert await conn.fetchval("SHOW work_mem") == loader.WORK_MEM
        assert await conn.fetchval("SHOW work_mem") == default  # only for that transaction
        assert default != loader.WORK_MEM, "the server's default already: the test proves nothing"
    finally:
        await conn.close()


async def test_hydrate_summaries_read_only_the_staged_ids(fresh_db_url: str) -> None:
    """The same guard in the statement that picks which list summaries to hydrate."""
    from connectors.smart2pay import STREAMS as S2P

    spec, stored = S2P["payments"], 4000
    assert spec.hydrate
    conn = await asyncpg.connect(fresh_db_url)
    try:
        await conn.execute("ALTER TABLE smart2pay.payments SET (autovacuum_enabled = false)")
        await conn.execute(
            """INSERT INTO smart2pay.payments (source, id, raw, _hash)
               SELECT 'cards', 'T' || lpad(g::text, 6, '0'), '{}', 'h'
               FROM generate_series(0, $1 - 1) g""",
            stored,
        )
        staged = [
            (f"T{n:06d}", orjson.dumps({"ID": f"T{n:06d}"}).decode()) for n in range(3980, 4020)
        ]
        async with conn.transaction():
            await _stage(conn, staged)
            [plan] = orjson.loads(await conn.fetchval(
                "EXPLAIN (ANALYZE, FORMAT JSON) " + build("smart2pay", spec).changed_summaries,
                "cards",
            ))  # fmt: skip
    finally:
        await conn.close()
    assert plan["Plan"]["Actual Rows"] == len(staged)  # 20 stored without a summary, 20 new
    read = [(s["Node Type"], s.get("Index Name"), s["Actual Rows"] * s["Actual Loops"])
            for s in _table_scans(plan["Plan"], "payments")]  # fmt: skip
    assert read and all(rows <= len(staged) for *_, rows in read), read
