"""`grant-reader`: analysts read analytics and stream tables, never paysync internals."""

from __future__ import annotations

import asyncpg
import pytest

from pipelines.store.migrate import migrate
from pipelines.store.roles import grant_reader, pii_columns


async def test_reader_reads_analytics_but_not_paysync(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        await conn.execute("CREATE OR REPLACE VIEW analytics.probe AS SELECT 1 AS one")
        await conn.execute("CREATE TABLE IF NOT EXISTS smarterpay.probe (id text)")
        await conn.execute("DROP ROLE IF EXISTS paysync_reader_probe")
        assert await grant_reader(conn, "paysync_reader_probe") is True
        assert await grant_reader(conn, "paysync_reader_probe") is False  # idempotent
        await conn.execute("SET ROLE paysync_reader_probe")
        assert await conn.fetchval("SELECT one FROM analytics.probe") == 1
        assert await conn.fetchval("SELECT count(*) FROM smarterpay.probe") == 0
        for table in ("paysync.sync_runs", "paysync.record_changes", "paysync.webhook_events"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch(f"SELECT * FROM {table}")
        await conn.execute("RESET ROLE")
    finally:
        await conn.execute("RESET ROLE")
        await conn.execute(
            "DROP OWNED BY paysync_reader_probe; DROP ROLE IF EXISTS paysync_reader_probe"
        )
        await conn.close()


async def test_strange_role_names_are_quoted_not_executed(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    name = 'r"; DROP SCHEMA paysync CASCADE; --'
    try:
        await grant_reader(conn, name)
        assert await conn.fetchval("SELECT to_regnamespace('paysync') IS NOT NULL")
    finally:
        quoted = await conn.fetchval("SELECT quote_ident($1)", name)
        await conn.execute(f"DROP OWNED BY {quoted}; DROP ROLE IF EXISTS {quoted}")
        await conn.close()


async def _as_role(conn: asyncpg.Connection, role: str, sql: str) -> list[asyncpg.Record]:
    await conn.execute(f"SET ROLE {role}")
    try:
        return await conn.fetch(sql)
    finally:
        await conn.execute("RESET ROLE")


async def _drop(conn: asyncpg.Connection, role: str) -> None:
    await conn.execute("RESET ROLE")
    await conn.execute(f"DROP OWNED BY {role}; DROP ROLE IF EXISTS {role}")
    await conn.execute("DELETE FROM paysync.reader_roles WHERE role = $1", role)


async def test_no_pii_reader_is_denied_pii_columns_and_reads_the_rest(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    role = "paysync_reader_nopii"
    try:
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
        await grant_reader(conn, role, no_pii=True)
        pii = await pii_columns(conn)
        named = {c for _, _, c in pii}
        assert {"raw", "account_number", "sort_code", "email", "customer_email", "first_name",
                "customer_social_security_number", "account_name", "details"} <= named  # fmt: skip
        for schema, table, column in pii:
            with pytest.raises(asyncpg.InsufficientPrivilegeError, match="permission denied"):
                await _as_role(conn, role, f'SELECT "{column}" FROM {schema}."{table}" LIMIT 1')
        relations = await conn.fetch(
            """SELECT n.nspname AS schema, c.relname AS rel,
                      string_agg(quote_ident(a.attname), ', ') FILTER (
                          WHERE a.attname NOT IN (SELECT column_name FROM analytics.pii_columns)
                      ) AS cols
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
               JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
               WHERE n.nspname IN ('smarterpay', 'smart2pay', 'analytics')
                 AND c.relkind IN ('r', 'v') GROUP BY 1, 2"""
        )
        assert len(relations) > 20
        for r in relations:  # every other column, of every table and view, reads
            await _as_role(
                conn, role, f'SELECT {r["cols"]} FROM {r["schema"]}."{r["rel"]}" LIMIT 1'
            )
        for table in ("paysync.sync_runs", "paysync.reader_roles"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await _as_role(conn, role, f"SELECT * FROM {table}")
    finally:
        await _drop(conn, role)
        await conn.close()


async def test_full_reader_turned_no_pii_loses_raw_and_new_columns_follow(db_url: str) -> None:
    conn = await asyncpg.connect(db_url)
    role = "paysync_reader_switch"
    try:
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
        await grant_reader(conn, role)
        assert await _as_role(conn, role, "SELECT raw FROM smarterpay.mandates LIMIT 1") == []
        await grant_reader(conn, role, no_pii=True)
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await _as_role(conn, role, "SELECT raw FROM smarterpay.mandates")
        # a stream table added later reaches the reader on the next migrate, without its PII
        await conn.execute("CREATE TABLE smart2pay.probe_new (source text, plan text, email text)")
        await migrate(conn)
        assert await _as_role(conn, role, "SELECT source, plan FROM smart2pay.probe_new") == []
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await _as_role(conn, role, "SELECT email FROM smart2pay.probe_new")
    finally:
        await _drop(conn, role)
        await conn.execute("DROP TABLE IF EXISTS smart2pay.probe_new")
        await conn.close()
