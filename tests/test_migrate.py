"""The migration runner against a real PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import asyncpg
import pytest

from pipelines.errors import MigrationError
from pipelines.store.migrate import SQL_DIR, load_migrations, migrate


async def _versions(url: str) -> list[int]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT version FROM paysync.schema_migrations ORDER BY 1")
        return [r["version"] for r in rows]
    finally:
        await conn.close()


async def _migrate(url: str, sql_dir: Path = SQL_DIR):
    conn = await asyncpg.connect(url)
    try:
        return await migrate(conn, sql_dir)
    finally:
        await conn.close()


async def test_migrate_twice_is_a_no_op(empty_db_url: str) -> None:
    first = await _migrate(empty_db_url)
    second = await _migrate(empty_db_url)
    assert first.applied == [m.name for m in load_migrations()]
    assert second.applied == []
    assert await _versions(empty_db_url) == [m.version for m in load_migrations()]


def test_two_processes_migrating_at_once_apply_each_file_once(empty_db_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": empty_db_url, "PAYSYNC_CONFIG": ""}
    command = [sys.executable, "-m", "pipelines", "db", "migrate"]
    procs = [
        subprocess.Popen(
            command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    applied = [out for out, _ in outputs if "applied: 0001" in out]
    assert len(applied) == 1, outputs  # exactly one process applied the files
    assert asyncio.run(_versions(empty_db_url)) == [m.version for m in load_migrations()]


def _write(directory: Path, name: str, sql: str) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_text(sql)


async def test_failing_migration_keeps_the_previous_version(
    empty_db_url: str, tmp_path: Path
) -> None:
    _write(
        tmp_path / "migrations",
        "0001_ok.sql",
        "CREATE SCHEMA IF NOT EXISTS paysync; CREATE TABLE paysync.ok (x int);",
    )
    _write(
        tmp_path / "migrations", "0002_broken.sql", "CREATE TABLE paysync.half (x int); SELECT 1/0;"
    )
    with pytest.raises(MigrationError, match=r"0002_broken.sql failed and was rolled back"):
        await _migrate(empty_db_url, tmp_path)
    assert await _versions(empty_db_url) == [1]
    conn = await asyncpg.connect(empty_db_url)
    try:
        assert await conn.fetchval("SELECT to_regclass('paysync.ok') IS NOT NULL")
        assert await conn.fetchval("SELECT to_regclass('paysync.half') IS NULL")
    finally:
        await conn.close()


async def test_edited_migration_is_refused(empty_db_url: str, tmp_path: Path) -> None:
    _write(tmp_path / "migrations", "0001_ok.sql", "CREATE TABLE paysync.ok (x int);")
    await _migrate(empty_db_url, tmp_path)
    _write(tmp_path / "migrations", "0001_ok.sql", "CREATE TABLE paysync.ok (x bigint);")
    with pytest.raises(MigrationError, match="changed after it was applied"):
        await _migrate(empty_db_url, tmp_path)


async def test_views_are_recreated_on_every_migrate(empty_db_url: str, tmp_path: Path) -> None:
    _write(tmp_path / "migrations", "0001_ok.sql", "CREATE SCHEMA analytics;")
    _write(
        tmp_path / "views",
        "010_answer.sql",
        "CREATE OR REPLACE VIEW analytics.answer AS SELECT 41 AS n;",
    )
    await _migrate(empty_db_url, tmp_path)
    _write(
        tmp_path / "views",
        "010_answer.sql",
        "CREATE OR REPLACE VIEW analytics.answer AS SELECT 42 AS n;",
    )
    result = await _migrate(empty_db_url, tmp_path)
    assert result.views == 1
    conn = await asyncpg.connect(empty_db_url)
    try:
        assert await conn.fetchval("SELECT n FROM analytics.answer") == 42
    finally:
        await conn.close()


def test_badly_named_migration_is_refused(tmp_path: Path) -> None:
    _write(tmp_path, "1_bad.sql", "SELECT 1;")
    with pytest.raises(MigrationError, match="NNNN_lowercase_name.sql"):
        load_migrations(tmp_path)
