"""Where PostgreSQL's time goes in one window's merge: a cumulative profile of the merge's parts.

python bench/merge_profile.py [--records 20000] [--repeat 3]

Stages SmarterPay payments (rendered by the emulator's generator in this process, validated by
``split_page`` as the sync does) into ``_stage``, then times, per 1,000 records, growing prefixes
of the merge: latest version per id, + typed projection, + hash, then the whole merge into an
empty table (inserts, indexes, raw stored), the same merge again (nothing changed: the
anti-join alone) and other ids into the full, never analyzed table. Each step runs inside a
transaction rolled back afterwards, best of --repeat; the figure is the server backend's CPU
time (``SET work_mem`` as the loader's transaction does).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from pathlib import Path

import asyncpg
import orjson
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import env  # noqa: E402
from connectors.emulator_kit.faults import FaultPlan  # noqa: E402
from connectors.registry import connector  # noqa: E402
from connectors.smarterpay.emulator.listing import page_items, parse_query  # noqa: E402
from connectors.smarterpay.emulator.resources import LIST_PATHS  # noqa: E402
from connectors.smarterpay.emulator.state import Emulator, Options  # noqa: E402
from pipelines.load.loader import STAGE, STAGE_COLUMNS, WORK_MEM  # noqa: E402
from pipelines.load.merge_sql import _hash, _latest_projected, build  # noqa: E402
from pipelines.load.records import split_page  # noqa: E402


def staged_rows(records: int) -> list[tuple[int, str, str]]:
    emu = Emulator(Options(records=records * 2, seed=3, token="x"), FaultPlan())
    res, t = LIST_PATHS["payments"], emu.clock.timestamp()
    spec = connector("smarterpay").streams["payments"]
    rows: list[tuple[int, str, str]] = []
    page = 1
    while len(rows) < records:
        q = parse_query(res, {"limit": "500", "page_no": str(page)})
        items = [emu.store.render_item(res, i, t, False) for i in page_items(emu.store, res, q, t)]
        if not items:
            break
        good = split_page(spec, orjson.loads(orjson.dumps(items))).rows
        rows += [(len(rows) + k, rid, raw) for k, (rid, raw) in enumerate(good)]
        page += 1
    return rows[:records]


async def timed(conn: asyncpg.Connection, sql: str, *args: object, repeat: int) -> float:
    """Best of ``repeat``: CPU-seconds the server's backend spent on the statement (the machine
    is shared, so wall time says more about the neighbours than about the statement)."""
    try:
        backend = psutil.Process(await conn.fetchval("SELECT pg_backend_pid()"))
        clock = lambda: sum(backend.cpu_times()[:2])  # noqa: E731
    except psutil.Error:  # a server on another host (BENCH_DATABASE_URL): wall time it is
        clock = time.perf_counter
    best = float("inf")
    for _ in range(repeat):
        tr = conn.transaction()
        await tr.start()
        try:
            before = clock()
            await conn.execute(sql, *args) if not args else await conn.fetch(sql, *args)
            best = min(best, clock() - before)
        finally:
            await tr.rollback()
    return best


async def profile(
    url: str, rows: list[tuple[int, str, str]], repeat: int
) -> list[tuple[str, float]]:
    spec = connector("smarterpay").streams["payments"]
    sql = build("smarterpay", spec)
    cols = spec.columns
    conn = await asyncpg.connect(url)
    try:
        # A session-lived stage (the sync's drops on commit) so every step reads the same rows.
        await conn.execute(STAGE.replace(" ON COMMIT DROP", ""))
        await conn.execute(f"SET work_mem = '{WORK_MEM}'")  # what the loader's transaction sets
        await conn.copy_records_to_table("_stage", columns=STAGE_COLUMNS[:3], records=rows)
        await conn.execute("ANALYZE _stage")
        latest = "SELECT DISTINCT ON (id) id, raw FROM _stage ORDER BY id, seq DESC"
        steps = [
            ("latest version per id", f"SELECT count(*) FROM ({latest}) x"),
            # count(x), not count(*): the planner drops subquery columns nothing reads.
            ("+ typed projection", f"SELECT count(x) FROM ({_latest_projected(cols)}) x"),
            ("+ hash", f"SELECT count(h) FROM (SELECT typed.*, {_hash(cols)} AS h "
                       f"FROM ({_latest_projected(cols)}) typed) x"),
        ]  # fmt: skip
        out = [(name, await timed(conn, q, repeat=repeat)) for name, q in steps]
        args = ("bench", "payments", 1)
        out.append(("whole merge, empty table", await timed(conn, sql.merge, *args, repeat=repeat)))
        await conn.fetch(sql.merge, *args)  # now every record is there, unchanged
        out.append(
            ("whole merge, nothing changed", await timed(conn, sql.merge, *args, repeat=repeat))
        )
        # Other ids into the now full table, never analyzed (a backfill's later windows): the
        # merge reads only the staged ids, so this costs what the empty table did.
        await conn.execute("UPDATE _stage SET id = id || '-2'")
        out.append((f"whole merge, {len(rows):,} stored", await timed(conn, sql.merge, *args,
                                                                      repeat=repeat)))  # fmt: skip
        return out
    finally:
        await conn.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = staged_rows(args.records)
    pg = env.Postgres.start()
    found = asyncio.run(profile(pg.fresh("mergeprofile"), rows, args.repeat))
    print(f"{len(rows):,} payments staged; CPU ms per 1,000 records (best of {args.repeat}):")
    for name, seconds in found:
        print(f"  {name:<32} {seconds / len(rows) * 1e6:8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
