"""Two roles (issue 18 item 3): the owner migrates; sync, status and the rest run as a role with
DML only, never change the schema, and refuse with one line when the database is behind."""

from __future__ import annotations

import asyncio
import os
import shutil
import time
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.errors import ConfigError, MigrationError
from pipelines.store.migrate import SQL_DIR, migrate
from pipelines.store.roles import grant_writer
from pipelines.store.settings import DatabaseSettings, Settings, SmarterPaySource, SyncSettings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests.test_cli_db import assert_clean_failure, paysync
from tests.truth import differences, resource_of

TOKEN = "sp-roles-token-0042"
WRITER = f"paysync_writer_t{os.getpid()}"


def as_user(url: str, user: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.rsplit("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=150, seed=17, token=TOKEN) as emu:
        emu.clock_freeze()
        yield emu


async def _run(url: str, *statements: str):
    conn = await asyncpg.connect(url)
    try:
        result = None
        for sql in statements:
            result = await conn.fetch(sql)
        return result
    finally:
        await conn.close()


@pytest.fixture(scope="module")
def writer_url(db_url: str) -> str:
    """A LOGIN role given DML by `paysync db grant-writer` (as the owner would, once)."""
    asyncio.run(_run(db_url, f"DROP ROLE IF EXISTS {WRITER}", f"CREATE ROLE {WRITER} LOGIN"))
    done = paysync("db", "grant-writer", WRITER, env={"DATABASE_URL": db_url})
    assert done.returncode == 0, done.stderr
    assert "cannot change the schema" in done.stdout
    yield as_user(db_url, WRITER)
    asyncio.run(_run(db_url, f"DROP OWNED BY {WRITER}", f"DROP ROLE IF EXISTS {WRITER}"))


def settings_for(url: str, emu) -> Settings:
    src = SmarterPaySource(
        name="bacs", provider="smarterpay", base_url=emu.base_url, token_env="SP_TOKEN",
        ca_bundle=Path(emu.ca_path), start_date=date(2018, 1, 1),
    )  # fmt: skip
    src.set_secret(TOKEN)
    return Settings(database=DatabaseSettings(url=url), sources=[src],
                    sync=SyncSettings(lag_seconds=0, retry_budget_seconds=30))  # fmt: skip


async def test_the_writer_role_syncs_everything_but_cannot_change_the_schema(
    writer_url: str, db_url: str, emulator, tmp_path: Path
) -> None:
    [report] = await service.sync(
        settings_for(writer_url, emulator), SyncRequest(as_of=emulator.clock_now())
    )
    assert report.outcome == "succeeded", {n: s.error for n, s in report.streams.items()}
    conn = await asyncpg.connect(db_url)
    try:
        for spec in STREAMS.values():
            truth = emulator.truth(resource_of(spec))
            diff = await differences(conn, "smarterpay", "bacs", spec, truth)
            assert diff["counts"] == [0, 0], (spec.name, diff)
    finally:
        await conn.close()
    config = tmp_path / "paysync.toml"
    config.write_text(f'[[sources]]\nname = "bacs"\nprovider = "smarterpay"\n'
                      f'base_url = "{emulator.base_url}"\ntoken_env = "SP_TOKEN"\n'
                      f'ca_bundle = "{emulator.ca_path}"\nstart_date = "2018-01-01"\n')  # fmt: skip
    env = {"DATABASE_URL": writer_url, "PAYSYNC_CONFIG": str(config), "SP_TOKEN": TOKEN}
    for command in (
        ["reconcile", "--repair"],
        ["backfill", "--from", "2024-01-01", "--to", "2024-03-01"],
    ):
        result = await asyncio.to_thread(paysync, *command, env=env)
        assert result.returncode in (0, 1), (command, result.stderr)  # ran to the end as writer
        assert "permission denied" not in result.stderr and "Traceback" not in result.stderr
    writer = await asyncpg.connect(writer_url)
    try:
        for ddl in ("CREATE TABLE paysync.intruder (x int)",
                    "CREATE OR REPLACE VIEW analytics.payments AS SELECT 1 AS x",
                    "DELETE FROM paysync.schema_migrations"):  # fmt: skip
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await writer.execute(ddl)
    finally:
        await writer.close()


def test_commands_refuse_a_database_behind_with_one_line_and_change_nothing(
    empty_db_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "paysync.toml"
    config.write_text('[[sources]]\nname = "bacs"\nprovider = "smarterpay"\n'
                      'base_url = "https://127.0.0.1:1"\ntoken_env = "SP_TOKEN"\n')  # fmt: skip
    env = {"DATABASE_URL": empty_db_url, "PAYSYNC_CONFIG": str(config), "SP_TOKEN": "x"}
    commands = [["sync"], ["status"], ["reconcile"], ["sync", "--plan"], ["webhooks", "serve", "--port", "0"],
                ["backfill", "--from", "2024-01-01", "--to", "2024-02-01"]]  # fmt: skip
    for command in commands:
        result = paysync(*command, env=env)
        assert_clean_failure(result, 2)
        assert "run `paysync db migrate`" in result.stderr, (command, result.stderr)
    # nothing was created: no command but `db migrate` touches the schema
    assert asyncio.run(_run(empty_db_url, "SELECT to_regnamespace('paysync')"))[0][0] is None
    asyncio.run(_run(empty_db_url, "CREATE SCHEMA paysync",
                     "CREATE TABLE paysync.schema_migrations (version int, name text, checksum text)",
                     "INSERT INTO paysync.schema_migrations VALUES (1, '0001_foundation.sql', '')"))  # fmt: skip
    result = paysync("status", env=env)
    assert_clean_failure(result, 2)
    assert "the database is version 0001" in result.stderr, result.stderr


def test_a_missing_privilege_is_one_line_with_exit_2(
    writer_url: str, db_url: str, tmp_path, emulator
) -> None:
    config = tmp_path / "paysync.toml"
    config.write_text('[[sources]]\nname = "bacs"\nprovider = "smarterpay"\n'
                      'base_url = "https://127.0.0.1:1"\ntoken_env = "SP_TOKEN"\n')  # fmt: skip
    asyncio.run(_run(db_url, f"REVOKE SELECT ON paysync.stream_state FROM {WRITER}"))
    try:
        result = paysync("status", env={"DATABASE_URL": writer_url, "PAYSYNC_CONFIG": str(config)})
        assert_clean_failure(result, 2)
        assert "permission denied" in result.stderr and "grant-writer" in result.stderr
    finally:
        asyncio.run(_run(db_url, f"SELECT paysync.apply_writer_grants('{WRITER}')"))
    # Inside the sync engine's worker tasks too (an ExceptionGroup, once a traceback).
    online = tmp_path / "online.toml"
    online.write_text(f'[[sources]]\nname = "bacs"\nprovider = "smarterpay"\n'
                      f'base_url = "{emulator.base_url}"\ntoken_env = "SP_TOKEN"\n'
                      f'ca_bundle = "{emulator.ca_path}"\nstart_date = "2018-01-01"\n')  # fmt: skip
    asyncio.run(_run(db_url, f"REVOKE INSERT, UPDATE ON smarterpay.payments FROM {WRITER}"))
    try:
        result = paysync("sync", "--full-refresh", "--stream", "payments",
                         env={"DATABASE_URL": writer_url, "PAYSYNC_CONFIG": str(online), "SP_TOKEN": TOKEN})  # fmt: skip
        assert_clean_failure(result, 2)
        assert "permission denied for table payments" in result.stderr, result.stderr
    finally:
        asyncio.run(_run(db_url, f"SELECT paysync.apply_writer_grants('{WRITER}')"))
    migrate_as_writer = paysync("db", "migrate", env={"DATABASE_URL": writer_url})
    assert_clean_failure(migrate_as_writer, 2)


def test_grant_to_a_superuser_is_refused(db_url: str) -> None:
    for command in ("grant-reader", "grant-writer"):
        result = paysync("db", command, "postgres", env={"DATABASE_URL": db_url})
        assert_clean_failure(result, 2)
        assert "postgres is a superuser" in result.stderr


async def test_grant_to_the_schema_owner_is_refused(fresh_db_url: str) -> None:
    conn = await asyncpg.connect(fresh_db_url)
    owner = f"paysync_owner_t{os.getpid()}"
    try:
        await conn.execute(f"DROP ROLE IF EXISTS {owner}; CREATE ROLE {owner}")
        await conn.execute(f"ALTER SCHEMA paysync OWNER TO {owner}")
        with pytest.raises(ConfigError, match="owner of paysync's schema"):
            await grant_writer(conn, owner)
    finally:
        await conn.execute(
            f"ALTER SCHEMA paysync OWNER TO CURRENT_USER; DROP ROLE IF EXISTS {owner}"
        )
        await conn.close()


async def test_views_are_recreated_only_when_changed_and_never_wait_long(
    fresh_db_url: str, tmp_path: Path
) -> None:
    sql = tmp_path / "sql"
    shutil.copytree(SQL_DIR, sql)
    conn = await asyncpg.connect(fresh_db_url)
    analyst = await asyncpg.connect(fresh_db_url)
    try:
        assert (await migrate(conn, sql)).views == 0  # the template already ran every file
        view = sql / "views" / "010_payments.sql"
        view.write_text(view.read_text() + "\n-- changed\n")
        assert (await migrate(conn, sql)).views == 1
        view.write_text(view.read_text() + "\n-- changed again\n")
        tx = analyst.transaction()
        await tx.start()
        await analyst.fetch("SELECT * FROM analytics.payments LIMIT 1")  # holds a lock on it
        started = time.monotonic()
        with pytest.raises(MigrationError, match="waited more than"):
            await migrate(conn, sql)
        assert time.monotonic() - started < 30
        await tx.rollback()
        assert (await migrate(conn, sql)).views == 1
    finally:
        await analyst.close()
        await conn.close()


async def test_status_is_not_blocked_by_an_analysts_open_transaction(
    writer_url: str, db_url: str, tmp_path: Path
) -> None:
    """The filed case: status used to re-create views and queued behind an analyst for 23 s."""
    config = tmp_path / "paysync.toml"
    config.write_text('[[sources]]\nname = "quiet"\nprovider = "smarterpay"\n'
                      'base_url = "https://127.0.0.1:1"\ntoken_env = "SP_TOKEN"\n')  # fmt: skip
    analyst = await asyncpg.connect(db_url)
    try:
        tx = analyst.transaction()
        await tx.start()
        await analyst.fetch("SELECT * FROM analytics.payments LIMIT 1")
        started = time.monotonic()
        result = await asyncio.to_thread(
            paysync, "status", env={"DATABASE_URL": writer_url, "PAYSYNC_CONFIG": str(config)}
        )
        assert result.returncode == 0, result.stderr
        assert time.monotonic() - started < 20  # no lock wait (the old status waited for ever)
        await tx.rollback()
    finally:
        await analyst.close()


async def test_a_table_added_later_reaches_the_writer_on_the_next_migrate(
    fresh_db_url: str,
) -> None:
    role = f"paysync_writer_later_t{os.getpid()}"
    conn = await asyncpg.connect(fresh_db_url)
    try:
        await conn.execute(f"DROP ROLE IF EXISTS {role}")
        assert await grant_writer(conn, role) is True  # created NOLOGIN
        await conn.execute("CREATE TABLE smarterpay.probe_later (id text)")
        can = "SELECT has_table_privilege($1, 'smarterpay.probe_later', 'INSERT')"
        assert await conn.fetchval(can, role) is False
        await migrate(conn)
        assert await conn.fetchval(can, role) is True
        may_write_history = "SELECT has_table_privilege($1, 'paysync.schema_migrations', 'INSERT')"
        assert await conn.fetchval(may_write_history, role) is False
    finally:
        await conn.execute(f"DROP OWNED BY {role}; DROP ROLE IF EXISTS {role}")
        await conn.close()
