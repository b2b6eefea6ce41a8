"""Analysts at scale (issue 16): the views' cost follows the question, and the row counts
sync_health reads stay exact whatever writes the stream tables.

Cost is measured as rows the plan reads (EXPLAIN ANALYZE: rows every scan returned plus the
rows its filter threw away, times its loops) on a history synthesized in SQL, so the tests do
not depend on the machine's load. Counts are checked against count(*) of the tables.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest
import yaml
from typer.testing import CliRunner

from pipelines.cli import app
from pipelines.cli.dbt import build_sources, freshness, read_catalog
from pipelines.store.settings import Settings, SyncSettings

SP_DAYS, SP_PER_DAY = 400, 50  # 20,000 payments at each provider
ANCHOR = "2026-06-30"

HISTORY_SQL = f"""
INSERT INTO smarterpay.payments (source, id, created_at, status, amount, collection_date, mandate,
                                 raw, _hash, _first_seen_at)
SELECT 'bacs', 'P' || lpad(g::text, 8, '0'), '{ANCHOR}'::date - g / {SP_PER_DAY} - 5,
       (ARRAY['successful', 'successful', 'failed', 'indemnity_claimed', 'submitted'])[g % 5 + 1],
       1000 + g % 97, '{ANCHOR}'::date - g / {SP_PER_DAY}, 'M' || (g % 300), '{{}}', md5(g::text),
       '{ANCHOR}'::date - g / {SP_PER_DAY} - 4
FROM generate_series(0, {SP_DAYS * SP_PER_DAY - 1}) g;
INSERT INTO paysync.record_changes (source, stream, record_id, changed_at, change_kind,
                                    changed_fields, before, after)
SELECT source, 'payments', id, _first_seen_at + interval '3 days', 'update', '{{status}}',
       '{{"status": "submitted"}}', jsonb_build_object('status', status)
FROM smarterpay.payments WHERE status <> 'submitted';
INSERT INTO smarterpay.outbound_messages (source, id, created_at, sent_at, webhook, raw, _hash)
SELECT source, 'OM' || id, _first_seen_at + interval '3 days', _first_seen_at + interval '3 days',
       jsonb_build_object('webhook_body', jsonb_build_object('events', jsonb_build_array(
           jsonb_build_object('event_type', 'payment.update', 'id', id, 'status', status,
                              'bacs_reason_code', CASE status WHEN 'failed' THEN 'ARUDD0'
                                                              ELSE 'DDICA' END)))::text),
       '{{}}', md5(id)
FROM smarterpay.payments WHERE status IN ('failed', 'indemnity_claimed');
INSERT INTO smart2pay.payments (source, id, created, amount, currency, status_id, raw, _hash)
SELECT 'cards', (1000000 + g)::text, '{ANCHOR}'::date - g / {SP_PER_DAY}, 500 + g % 89, 'EUR',
       (ARRAY[2, 4, 22, 2])[g % 4 + 1], '{{}}', md5(g::text)
FROM generate_series(0, {SP_DAYS * SP_PER_DAY - 1}) g;
INSERT INTO smart2pay.refunds (source, id, created, payment_id, amount, status_id, raw, _hash)
SELECT source, 'R' || id, created, id::bigint, amount / 2, 2, '{{}}', md5(id)
FROM smart2pay.payments WHERE status_id = 22;
ANALYZE;
"""


async def _connect(url: str) -> asyncpg.Connection:
    return await asyncpg.connect(url)


@pytest.fixture(scope="module")
async def history(db_url: str) -> str:
    conn = await _connect(db_url)
    try:
        await conn.execute(HISTORY_SQL)
    finally:
        await conn.close()
    return db_url


def rows_read(plan: dict[str, Any]) -> dict[str, float]:
    """Rows each relation's scans produced or filtered away, over all loops."""
    found: dict[str, float] = {}
    loops = plan.get("Actual Loops", 1)
    if "Relation Name" in plan:
        read = plan.get("Actual Rows", 0) + plan.get("Rows Removed by Filter", 0)
        read += plan.get("Rows Removed by Index Recheck", 0)
        key = f"{plan['Schema']}.{plan['Relation Name']}"  # Schema: EXPLAIN VERBOSE only
        found[key] = found.get(key, 0) + read * loops
    for child in plan.get("Plans", []):
        for key, value in rows_read(child).items():
            found[key] = found.get(key, 0) + value
    return found


async def read_by(url: str, sql: str) -> dict[str, float]:
    conn = await _connect(url)
    try:
        text = await conn.fetchval(f"EXPLAIN (ANALYZE, VERBOSE, FORMAT JSON) {sql}")
    finally:
        await conn.close()
    return rows_read(orjson.loads(text)[0]["Plan"])


BIG = ("smarterpay.payments", "smart2pay.payments", "paysync.record_changes",
       "smarterpay.outbound_messages", "smart2pay.refunds")  # fmt: skip


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM analytics.payments WHERE id = 'P00012345'",
        "SELECT * FROM analytics.payments WHERE id = '1001234'",
        "SELECT * FROM analytics.payment_status_history"
        " WHERE payment_id IN ('P00012345', 'P00012346', '1001234')",
        "SELECT * FROM analytics.failed_payments WHERE payment_id = 'P00012347'",
        "SELECT * FROM analytics.failed_payments WHERE payment_id = '1001233'",
    ],
)
async def test_a_point_lookup_reads_only_its_rows(history: str, sql: str) -> None:
    read = await read_by(history, sql)
    assert {rel: n for rel, n in read.items() if rel in BIG and n > 10} == {}, read


async def test_the_last_30_days_read_only_those_days(history: str) -> None:
    since = f"'{ANCHOR}'::date - 30"
    for sql, budget in (
        (f"SELECT * FROM analytics.daily_collections WHERE day > {since}", 30 * SP_PER_DAY),
        (f"SELECT * FROM analytics.failed_payments WHERE value_date > {since}", 30 * SP_PER_DAY),
    ):
        read = await read_by(history, sql)
        # 30 days hold 30 * 50 payments at each provider (failed ones are read twice: the
        # Smart2Pay reason by key), a fraction of the 20,000 each
        assert read.get("smarterpay.payments", 0) <= budget, (sql, read)
        assert read.get("smart2pay.payments", 0) <= 2 * budget, (sql, read)
        assert read.get("smarterpay.outbound_messages", 0) <= budget, (sql, read)
        assert read.get("smart2pay.refunds", 0) <= budget, (sql, read)
    conn = await _connect(history)
    try:
        days = await conn.fetch(
            f"SELECT day, provider, payments, failed_count, refunded_amount "
            f"FROM analytics.daily_collections WHERE day > {since} ORDER BY day, provider"
        )
    finally:
        await conn.close()
    # the selective plan still gives the right answer: 50 SmarterPay payments a day, 1 in 5 failed
    sp = [d for d in days if d["provider"] == "smarterpay"]
    assert len(sp) == 30 and all(d["payments"] == 50 and d["failed_count"] == 10 for d in sp)


async def test_sync_health_reads_bookkeeping_not_stream_tables(history: str) -> None:
    # The transaction's own scan counters: they see inside functions (analytics.stream_rows),
    # which EXPLAIN does not.
    conn = await _connect(history)
    try:
        async with conn.transaction():
            assert len(await conn.fetch("SELECT * FROM analytics.sync_health")) >= 4
            scanned = await conn.fetch(
                "SELECT c.oid::regclass::text AS rel, pg_stat_get_xact_numscans(c.oid) AS scans "
                "FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname IN ('smarterpay', 'smart2pay') AND c.relkind = 'r' "
                "AND pg_stat_get_xact_numscans(c.oid) > 0"
            )
    finally:
        await conn.close()
    assert [dict(r) for r in scanned] == []


COUNTS_SQL = """
SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname IN ('smarterpay', 'smart2pay') AND c.relkind = 'r'
  AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = '_deleted_at')
"""


async def assert_counts_exact(conn: asyncpg.Connection) -> None:
    """analytics.stream_rows() (what sync_health shows) against count(*) of every table."""
    expected = {}
    for schema, table in await conn.fetch(COUNTS_SQL):
        for r in await conn.fetch(
            f"SELECT source, count(*) FILTER (WHERE _deleted_at IS NULL) AS live, "
            f"count(*) FILTER (WHERE _deleted_at IS NOT NULL) AS gone "
            f"FROM {schema}.{table} GROUP BY source"
        ):
            expected[(schema, r["source"], table)] = (r["live"], r["gone"])
    sql = "SELECT * FROM analytics.stream_rows()"
    found = {
        (r["provider"], r["source"], r["stream"]): (r["live_rows"], r["deleted_rows"])
        for r in await conn.fetch(sql)
    }
    assert found == expected
    # folding the appended rows (as every sync run's end does) changes no sum
    await conn.execute("SELECT paysync.compact_row_counts()")
    assert {
        (r["provider"], r["source"], r["stream"]): (r["live_rows"], r["deleted_rows"])
        for r in await conn.fetch(sql)
    } == expected
    assert await conn.fetchval(
        "SELECT count(*) = count(DISTINCT (provider, source, stream)) FROM paysync.stream_row_counts"
    )


async def test_row_counts_follow_every_kind_of_write(fresh_db_url: str) -> None:
    conn = await _connect(fresh_db_url)
    ins = "INSERT INTO smarterpay.payments (source, id, status, raw, _hash) VALUES "
    try:
        await conn.execute(ins + "('a', 'P1', 'submitted', '{}', 'h'), ('a', 'P2', 's', '{}', 'h'),"
                           " ('b', 'P1', 'submitted', '{}', 'h')")  # fmt: skip
        await assert_counts_exact(conn)
        # the merge's form: insert new, update existing (no change of deleted state)
        await conn.execute(
            ins + "('a', 'P2', 'successful', '{}', 'h2'), ('a', 'P3', 's', '{}', 'h') "
            "ON CONFLICT (source, id) DO UPDATE SET status = excluded.status"
        )
        await assert_counts_exact(conn)
        # delete-marking (a window re-read without the record), then undelete
        await conn.execute("UPDATE smarterpay.payments SET _deleted_at = now() WHERE id = 'P1'")
        await assert_counts_exact(conn)
        await conn.execute(
            "UPDATE smarterpay.payments SET _deleted_at = NULL WHERE source = 'a' AND id = 'P1'"
        )
        await assert_counts_exact(conn)
        # a record moved between sources (a repair), MERGE, hard delete, rolled-back write
        await conn.execute("UPDATE smarterpay.payments SET source = 'c' WHERE id = 'P3'")
        await conn.execute(
            "MERGE INTO smarterpay.payments t USING (VALUES ('b', 'P9')) v(s, i) "
            "ON t.source = v.s AND t.id = v.i WHEN NOT MATCHED THEN "
            "INSERT (source, id, raw, _hash, _deleted_at) VALUES (v.s, v.i, '{}', 'h', now())"
        )
        await conn.execute("DELETE FROM smarterpay.payments WHERE source = 'a' AND id = 'P2'")
        await assert_counts_exact(conn)
        tx = conn.transaction()
        await tx.start()
        await conn.execute(ins + "('a', 'P7', 's', '{}', 'h')")
        await tx.rollback()
        await assert_counts_exact(conn)
        await conn.execute("TRUNCATE smarterpay.payments")
        await assert_counts_exact(conn)
        await conn.execute(
            "INSERT INTO smart2pay.refunds (source, id, raw, _hash) VALUES ('cards', '1', '{}', 'h')"
        )
        await assert_counts_exact(conn)
    finally:
        await conn.close()


async def test_dbt_sources_describe_every_relation_and_key(history: str) -> None:
    conn = await _connect(history)
    try:
        catalog = await read_catalog(conn)
        relations = {
            (r["nspname"], r["relname"]): {a["attname"] for a in await conn.fetch(
                "SELECT attname FROM pg_attribute WHERE attrelid = $1 AND attnum > 0 "
                "AND NOT attisdropped", r["oid"])}
            for r in await conn.fetch(
                "SELECT c.oid, n.nspname, c.relname FROM pg_class c JOIN pg_namespace n "
                "ON n.oid = c.relnamespace WHERE n.nspname IN ('smarterpay', 'smart2pay', "
                "'analytics') AND c.relkind IN ('r', 'v', 'm', 'p', 'f')")
        }  # fmt: skip
    finally:
        await conn.close()
    settings = Settings(sync=SyncSettings(lag_seconds=300))
    doc = build_sources(catalog, freshness(settings, None, None))
    assert doc["version"] == 2
    assert [s["name"] for s in doc["sources"]] == ["smarterpay", "smart2pay", "analytics"]
    seen = {
        (s["schema"], t["name"]): {c["name"] for c in t["columns"]}
        for s in doc["sources"]
        for t in s["tables"]
    }
    assert seen == relations
    tables = {(s["schema"], t["name"]): t for s in doc["sources"] for t in s["tables"]}
    payments = tables[("smarterpay", "payments")]
    assert payments["loaded_at_field"] == "_synced_at"
    assert payments["freshness"]["warn_after"] == {"count": 65, "period": "minute"}
    tested = {c["name"] for c in payments["columns"] if c.get("data_tests") == ["not_null"]}
    assert tested == {"source", "id"}
    assert "source" in payments["data_tests"][0]["unique"]["column_name"]
    history_view = tables[("analytics", "payment_status_history")]
    assert {c["name"] for c in history_view["columns"] if c.get("data_tests")} == {
        "provider", "source", "payment_id", "seq"}  # fmt: skip
    assert tables[("analytics", "daily_collections")]["freshness"] is None
    assert all(t["description"] and all(c["description"] for c in t["columns"])
               for t in tables.values())  # fmt: skip


def test_paysync_dbt_sources_writes_yaml_dbt_reads(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYSYNC_DATABASE_URL", db_url)
    monkeypatch.delenv("PAYSYNC_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # no paysync.toml here
    out = tmp_path / "models" / "paysync_sources.yml"
    result = CliRunner().invoke(
        app, ["dbt", "sources", "-o", str(out), "--warn-after-minutes", "30"]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    assert "&id" not in text and "*id" not in text  # no YAML anchors: plain for readers
    doc = yaml.safe_load(text)
    assert doc["version"] == 2
    [analytics] = [s for s in doc["sources"] if s["name"] == "analytics"]
    payments = next(t for t in analytics["tables"] if t["name"] == "payments")
    assert payments["loaded_at_field"] == "synced_at"
    assert payments["freshness"] == {
        "warn_after": {"count": 30, "period": "minute"},
        "error_after": {"count": 120, "period": "minute"},
    }
    # every test is one dbt knows without packages
    for source in doc["sources"]:
        for table in source["tables"]:
            for test in table.get("data_tests", []):
                assert set(test) == {"unique"}, (source["name"], table["name"], test)
            for column in table["columns"]:
                assert column.get("data_tests", ["not_null"]) == ["not_null"], column
