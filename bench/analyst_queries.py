"""Scenario ``analyst_queries``: the README's analyst questions and point lookups, timed at two
history sizes (the second 10x the first) so "cost follows the question" is a measurement.

The history is synthesized in SQL from records synced from the emulators: each synced SmarterPay
payment is copied with a new id, spread backwards from the latest value day at a fixed number
per day (so 10x the history is 10x the days, as a merchant's years of Bacs history are), with one
stored status change each and a webhook-log message for every failure and return (plus one for
every fourth other payment); Smart2Pay payments likewise at a tenth of the rate, with refunds.
``raw`` of a synthesized row is a stub: no analyst view reads it.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg

from bench.dbt_check import dbt_parse
from bench.env import Postgres
from connectors.emulator_kit.testing import RunningEmulator

# scale -> (sizes, SmarterPay payments per value day; Smart2Pay gets a tenth): the smaller size
# spans 200 days, so a quarter is inside both histories
SIZES = {"full": ((200_000, 2_000_000), 1_000), "small": ((20_000, 200_000), 100)}
REPEATS = 15
TARGET_POINT_MS, TARGET_30D_MS, TARGET_GROWTH = 20.0, 200.0, 1.5

SYNTH_SQL = """
CREATE TEMP TABLE sp_base AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS rn, source, status, amount, mandate,
           payment_type, record_type
    FROM smarterpay.payments WHERE id NOT LIKE 'PSYN%';
CREATE TEMP TABLE s2p_base AS
    SELECT row_number() OVER (ORDER BY id) - 1 AS rn, source, status_id, status_info, amount,
           currency, method_id, captured_amount, customer_id
    FROM smart2pay.payments WHERE id !~ '^9';
INSERT INTO smarterpay.payments (source, id, created_at, status, amount, collection_date, mandate,
                                 payment_type, record_type, raw, _hash, _first_seen_at)
SELECT b.source, 'PSYN' || lpad(g::text, 9, '0'),
       ('{anchor}'::date - (g / {per_day}) - 5)::timestamp AT TIME ZONE 'UTC' + make_interval(secs => g % 86400),
       b.status, b.amount + g % 97, '{anchor}'::date - (g / {per_day}), b.mandate, b.payment_type,
       b.record_type, '{{}}'::jsonb, md5(g::text),
       ('{anchor}'::date - (g / {per_day}) - 4)::timestamp AT TIME ZONE 'UTC'
FROM generate_series({first}, {last}) g
JOIN sp_base b ON b.rn = g % (SELECT count(*) FROM sp_base);
INSERT INTO paysync.record_changes (source, stream, record_id, changed_at, change_kind,
                                    changed_fields, before, after)
SELECT source, 'payments', id, _first_seen_at + interval '3 days', 'update', '{{status}}',
       jsonb_build_object('status', 'submitted'), jsonb_build_object('status', status)
FROM smarterpay.payments
WHERE id >= 'PSYN' || lpad('{first}', 9, '0') AND id <= 'PSYN' || lpad('{last}', 9, '0')
  AND status <> 'submitted';
INSERT INTO smarterpay.outbound_messages (source, id, created_at, sent_at, status, record_type,
                                          webhook, raw, _hash)
SELECT p.source, 'OMSYN' || substr(p.id, 5), p._first_seen_at + interval '3 days',
       p._first_seen_at + interval '3 days', 'sent', 'webhook',
       jsonb_build_object('webhook_body', jsonb_build_object('events', jsonb_build_array(
           jsonb_build_object('event_type', 'payment.update', 'id', p.id, 'status', p.status,
                              'edited_at', p._first_seen_at + interval '3 days')
           || CASE p.status WHEN 'failed' THEN '{{"bacs_reason_code": "ARUDD0",
                                                "bacs_description": "refer to payer"}}'::jsonb
                            WHEN 'indemnity_claimed' THEN '{{"bacs_reason_code": "DDICA",
                                                "bacs_description": "indemnity claim"}}'::jsonb
                            ELSE '{{}}'::jsonb END))::text),
       '{{}}'::jsonb, md5(p.id)
FROM smarterpay.payments p
WHERE p.id >= 'PSYN' || lpad('{first}', 9, '0') AND p.id <= 'PSYN' || lpad('{last}', 9, '0')
  AND (p.status IN ('failed', 'indemnity_claimed') OR right(p.id, 9)::int % 4 = 0);
INSERT INTO smart2pay.payments (source, id, created, amount, currency, captured_amount, method_id,
                                status_id, status_info, customer_id, raw, _hash)
SELECT b.source, (900000000 + g)::text,
       ('{anchor}'::date - (g * 10 / {per_day}))::timestamp AT TIME ZONE 'UTC' + make_interval(secs => g % 86400),
       b.amount + g % 89, b.currency, b.captured_amount, b.method_id, b.status_id, b.status_info,
       b.customer_id, '{{}}'::jsonb, md5(g::text)
FROM generate_series(({first} + 9) / 10, {last} / 10) g
JOIN s2p_base b ON b.rn = g % (SELECT count(*) FROM s2p_base);
INSERT INTO smart2pay.refunds (source, id, created, payment_id, amount, currency, status_id, raw,
                               _hash)
SELECT source, 'R' || id, created + interval '2 days', id::bigint, amount / 2, currency, 2,
       '{{}}'::jsonb, md5(id)
FROM smart2pay.payments
WHERE id ~ '^9' AND id::bigint BETWEEN 900000000 + ({first} + 9) / 10 AND 900000000 + {last} / 10
  AND status_id IN (21, 22);
"""


async def synthesize(url: str, anchor: date, first: int, last: int, per_day: int) -> None:
    """Add synthesized payments number ``first``..``last`` (see the module docstring)."""
    sql = SYNTH_SQL.format(per_day=per_day, anchor=anchor.isoformat(), first=first, last=last)
    conn = await asyncpg.connect(url)
    try:
        await conn.execute("SET synchronous_commit = off")
        await conn.execute(sql)
        await conn.execute("DROP TABLE sp_base; DROP TABLE s2p_base")
        for table in ("smarterpay.payments", "smart2pay.payments", "smart2pay.refunds",
                      "paysync.record_changes", "smarterpay.outbound_messages"):  # fmt: skip
            await conn.execute(f"VACUUM ANALYZE {table}")
    finally:
        await conn.close()


def queries(anchor: date, ids: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """name -> (kind, SQL): kind point (target 20 ms), last_30_days (200 ms) or readme."""
    since = (anchor - timedelta(days=30)).isoformat()
    quarter = (anchor - timedelta(days=90)).isoformat()
    three = ", ".join(f"'{i}'" for i in ids["history"])
    return {
        "payment_by_id_smarterpay": (
            "point", f"SELECT * FROM analytics.payments WHERE id = '{ids['sp']}'"),
        "payment_by_id_smart2pay": (
            "point", f"SELECT * FROM analytics.payments WHERE id = '{ids['s2p']}'"),
        "status_history_3_payments": (
            "point",
            f"SELECT * FROM analytics.payment_status_history WHERE payment_id IN ({three})"),
        "failure_reason_of_payment": (
            "point", f"SELECT * FROM analytics.failed_payments WHERE payment_id = '{ids['failed']}'"),
        "daily_collections_30_days": (
            "last_30_days", f"SELECT * FROM analytics.daily_collections WHERE day > '{since}'"),
        "failed_payments_30_days": (
            "last_30_days", f"SELECT * FROM analytics.failed_payments WHERE value_date > '{since}'"),
        "sync_health": ("last_30_days", "SELECT * FROM analytics.sync_health"),
        "readme_payments_by_status_30_days": (
            "readme",
            "SELECT provider, status, count(*) AS payments, sum(amount_major) AS amount "
            f"FROM analytics.payments WHERE currency = 'GBP' AND value_date > '{since}' "
            "GROUP BY provider, status ORDER BY provider, status"),
        "readme_collections_per_month_quarter": (
            "readme",
            "SELECT date_trunc('month', day)::date AS month, provider, currency, "
            "sum(collected_count) AS collected, round(sum(collected_amount) / 100.0, 2), "
            "sum(failed_count), round(sum(refunded_amount) / 100.0, 2), sum(net_major) "
            f"FROM analytics.daily_collections WHERE currency = 'GBP' AND day > '{quarter}' "
            "GROUP BY 1, 2, 3 ORDER BY 1, 2, 3"),
        "readme_why_payments_fail_30_days": (
            "readme",
            "SELECT provider, kind, reason_code, reason_meaning, count(*), sum(amount_major) "
            f"FROM analytics.failed_payments WHERE currency = 'GBP' AND value_date > '{since}' "
            "GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3"),
        "readme_mandate_funnel_quarter": (
            "readme",
            "SELECT created_month, status, provider_status, reason_code, mandates, activated, "
            "avg_days_to_active FROM analytics.mandate_funnel WHERE provider = 'smarterpay' "
            f"AND created_month > '{quarter}'::date - 31 ORDER BY 1, 2, 3"),
        "readme_is_the_data_fresh": (
            "readme",
            "SELECT source, stream, rows, rejects, last_run_outcome, lag, "
            "last_reconciliation_outcome FROM analytics.sync_health "
            "WHERE stream IN ('payments', 'mandates', 'refunds', 'outbound_messages') "
            "ORDER BY source, stream"),
    }  # fmt: skip


async def time_queries(url: str, named: dict[str, tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """Median and best of REPEATS warm runs of each query (one untimed run first), and the
    buffers its plan touched: on a loaded machine the time is noisy, the buffers are not."""
    # No statement cache: every run is planned, as a BI tool's new SQL text is.
    conn = await asyncpg.connect(url, statement_cache_size=0)
    out: dict[str, dict[str, Any]] = {}
    try:
        for name, (kind, sql) in named.items():
            rows = await conn.fetch(sql)
            took = []
            for _ in range(REPEATS):
                started = time.perf_counter()
                await conn.fetch(sql)
                took.append((time.perf_counter() - started) * 1000)
            plan = json.loads(await conn.fetchval(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}"))
            top = plan[0]["Plan"]
            out[name] = {"kind": kind, "rows": len(rows),
                         "median_ms": round(statistics.median(took), 2),
                         "best_ms": round(min(took), 2),
                         "buffers": top["Shared Hit Blocks"] + top["Shared Read Blocks"]}  # fmt: skip
    finally:
        await conn.close()
    return out


async def _facts(url: str) -> tuple[date, str, list[str]]:
    conn = await asyncpg.connect(url)
    try:
        anchor = await conn.fetchval(
            "SELECT max(collection_date) FROM smarterpay.payments WHERE collection_date <= "
            "(SELECT max(created_at)::date + 30 FROM smarterpay.payments)"
        )
        failed = await conn.fetchval(
            "SELECT id FROM smarterpay.payments WHERE status = 'failed' AND id LIKE 'PSYN%' "
            "ORDER BY id LIMIT 1 OFFSET 5"
        )
        history = [
            r[0]
            for r in await conn.fetch(
                "SELECT record_id FROM paysync.record_changes WHERE stream = 'payments' "
                "ORDER BY change_id LIMIT 3"
            )
        ]
    finally:
        await conn.close()
    return anchor, failed, history


def _sync_base(url: str, sp: RunningEmulator, s2p: RunningEmulator) -> None:
    from bench.env import S2P_KEY, S2P_SITE, SP_TOKEN
    from pipelines.store.settings import (
        DatabaseSettings,
        Settings,
        Smart2PaySource,
        SmarterPaySource,
        SyncSettings,
    )
    from pipelines.sync import service
    from pipelines.sync.plan import SyncRequest

    start = date(2018, 1, 1)
    a = SmarterPaySource(name="bacs", provider="smarterpay", base_url=sp.base_url,
                         ca_bundle=Path(sp.ca_path), token_env="BENCH_SP_TOKEN", start_date=start)  # fmt: skip
    b = Smart2PaySource(name="cards", provider="smart2pay", base_url=s2p.base_url,
                        ca_bundle=Path(s2p.ca_path), site_id=S2P_SITE,
                        api_key_env="BENCH_S2P_KEY", start_date=start)  # fmt: skip
    a.set_secret(SP_TOKEN)
    b.set_secret(S2P_KEY)
    settings = Settings(database=DatabaseSettings(url=url), sources=[a, b],
                        sync=SyncSettings(lag_seconds=0))  # fmt: skip
    for name, emu in (("bacs", sp), ("cards", s2p)):
        request = SyncRequest(kind="incremental", as_of=emu.clock_now())
        for report in asyncio.run(service.sync(settings, request, source=name)):
            if report.outcome != "succeeded":
                raise RuntimeError(f"analyst_queries: base sync of {name} ended {report.outcome}")


def run(pg: Postgres, scale: str, sp: RunningEmulator, s2p: RunningEmulator) -> dict[str, Any]:
    """Sync the emulators once, grow the history to each size, time every query at each."""
    (small, large), per_day = SIZES.get(scale, SIZES["small"])
    url = pg.fresh("analyst")
    _sync_base(url, sp, s2p)
    anchor, failed, history = asyncio.run(_facts(url))
    result: dict[str, Any] = {"per_day": per_day, "sizes": {}}
    done = 0
    for size in (small, large):
        started = time.perf_counter()
        asyncio.run(synthesize(url, anchor, done + 1, size, per_day))
        done = size
        if failed is None:  # the first size made the synthesized failures
            anchor, failed, history = asyncio.run(_facts(url))
        ids = {"sp": f"PSYN{size // 2:09d}", "s2p": str(900_000_000 + small // 20),
               "failed": failed, "history": history}  # fmt: skip
        counts = asyncio.run(_counts(url))
        timed = asyncio.run(time_queries(url, queries(anchor, ids)))
        result["sizes"][str(size)] = {"synthesize_seconds": round(time.perf_counter() - started, 1),
                                      **counts, "queries": timed}  # fmt: skip
    result["dbt_parse"] = dbt_parse(url)
    result["targets"] = _targets(result["sizes"][str(small)]["queries"],
                                 result["sizes"][str(large)]["queries"])  # fmt: skip
    return result


async def _counts(url: str) -> dict[str, int]:
    conn = await asyncpg.connect(url)
    try:
        return {
            "smarterpay_payments": await conn.fetchval("SELECT count(*) FROM smarterpay.payments"),
            "smart2pay_payments": await conn.fetchval("SELECT count(*) FROM smart2pay.payments"),
            "record_changes": await conn.fetchval("SELECT count(*) FROM paysync.record_changes"),
            "outbound_messages": await conn.fetchval(
                "SELECT count(*) FROM smarterpay.outbound_messages"
            ),
        }
    finally:
        await conn.close()


def _targets(small: dict[str, Any], large: dict[str, Any]) -> list[dict[str, Any]]:
    """Limits on the median at the larger size; growth at 10x the history on the best run (the
    least disturbed by the machine's other load) and, noise-free, on buffers touched."""
    out = []
    for name, at_large in large.items():
        limit = {"point": TARGET_POINT_MS, "last_30_days": TARGET_30D_MS}.get(at_large["kind"])
        growth = at_large["best_ms"] / max(small[name]["best_ms"], 0.01)
        buffers = at_large["buffers"] / max(small[name]["buffers"], 1)
        out.append({"query": name, "median_ms": at_large["median_ms"], "limit_ms": limit,
                    "growth_at_10x": round(growth, 2), "buffers_growth_at_10x": round(buffers, 2),
                    "met": (limit is None or at_large["median_ms"] <= limit)
                    and growth <= TARGET_GROWTH})  # fmt: skip
    return out


def record(path: Path, result: dict[str, Any]) -> None:
    """Put the scenario's figures under the key ``analyst_queries`` of results.json."""
    document = json.loads(path.read_text()) if path.is_file() else {}
    document["analyst_queries"] = result
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")


def summary(result: dict[str, Any]) -> str:
    sizes = list(result["sizes"])
    lines = [f"analyst_queries (median ms at {' and '.join(sizes)} SmarterPay payments)"]
    for t in result["targets"]:
        figures = "  ".join(
            f"{result['sizes'][s]['queries'][t['query']]['median_ms']:>9.2f}" for s in sizes
        )
        limit = f"<= {t['limit_ms']:.0f} ms, " if t["limit_ms"] else ""
        lines.append(f"  [{'met' if t['met'] else 'MISSED'}] {t['query']:<38}{figures}"
                     f"  ({limit}best x{t['growth_at_10x']}, "
                     f"buffers x{t['buffers_growth_at_10x']} at 10x)")  # fmt: skip
    return "\n".join(lines)
