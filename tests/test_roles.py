"""`grant-reader`: analysts read analytics and stream tables, never paysync internals."""

from __future__ import annotations

import asyncpg
import pytest

from pipelines.roles import grant_reader


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
