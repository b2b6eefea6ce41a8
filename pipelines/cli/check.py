"""``paysync check``: is this deployment ready? Configuration, secrets present, database reachable,
migrated and writable by this role, each source answering with its credentials: one table with a
remedy per failed line (compare ``meltano config … test``). Exit 0 all ok, else the exit code of
the first failure (2 configuration, 3 unreachable)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from rich import box
from rich.console import Console
from rich.table import Table

from connectors.errors import ProviderError
from pipelines.cli._run import PRIVILEGE_EXIT, fail, privilege_message
from pipelines.errors import PaysyncError
from pipelines.store import db
from pipelines.store.schema import require_current
from pipelines.store.settings import Settings, load_settings
from pipelines.sync import service

# Tables a sync writes; a role missing INSERT on one fails mid-run, so check says it first.
WRITTEN = ("paysync.sync_runs", "paysync.sync_windows", "paysync.stream_state", "paysync.rejects")

Row = tuple[str, bool, str, int]  # what, ok, detail or remedy, exit code when not ok


async def _step(what: str, action: Callable[[], Awaitable[str]]) -> Row:
    try:
        return (what, True, await action(), 0)
    except (PaysyncError, ProviderError) as exc:
        return (what, False, str(exc), exc.exit_code)
    except asyncpg.InsufficientPrivilegeError as exc:
        return (what, False, privilege_message(exc), PRIVILEGE_EXIT)


async def _database(settings: Settings) -> list[Row]:
    holder: dict[str, Any] = {}

    async def reach() -> str:
        url = db.database_url(settings.database)
        holder["conn"] = await db.connect(url)
        return db.redact(url)

    rows = [await _step("database reachable", reach)]
    conn = holder.get("conn")
    if conn is None:
        return rows
    try:

        async def migrated() -> str:
            return f"schema version {await require_current(conn):04d}"

        async def writable() -> str:
            user = await conn.fetchval("SELECT current_user")
            missing = [t for t in WRITTEN if not await conn.fetchval(
                "SELECT has_table_privilege(current_user, $1, 'INSERT')", t)]  # fmt: skip
            if missing:
                raise PaysyncError(
                    f"role {user} cannot write {', '.join(missing)}; the schema owner runs "
                    f"`paysync db grant-writer {user}`"
                )
            return f"role {user} can write paysync's tables"

        rows.append(await _step("database migrated", migrated))
        if rows[-1][1]:
            rows.append(await _step("database writable", writable))
    finally:
        await conn.close()
    return rows


async def _sources(settings: Settings) -> list[Row]:
    rows: list[Row] = []
    for source in settings.sources:

        async def secret(source: Any = source) -> str:
            source.require_secret()
            return f"${source.secret_env} is set"

        async def answers(source: Any = source) -> str:
            found = await service.probe(settings, source)
            return f"{source.base_url} answered ({found} records in the last hour)"

        rows.append(await _step(f"{source.name}: secret", secret))
        if rows[-1][1]:
            rows.append(await _step(f"{source.name}: provider", answers))
    return rows


def check() -> None:
    """Configuration, secrets, database (reachable, migrated, writable), each source answering."""
    try:
        settings = load_settings()
    except PaysyncError as exc:
        raise fail(f"configuration: {exc}", exc.exit_code) from None
    where = str(settings.config_path or "defaults and environment (no paysync.toml)")
    rows: list[Row] = [("configuration", True, where, 0)]
    if not settings.sources:
        rows.append(("sources", False, f"no [[sources]] in {settings.where}; add one", 2))

    async def main() -> list[Row]:
        return [*await _database(settings), *await _sources(settings)]

    rows += asyncio.run(main())
    table = Table(title="paysync check", box=box.SIMPLE_HEAD, pad_edge=False)
    table.add_column("check", no_wrap=True)
    table.add_column("", no_wrap=True)
    table.add_column("detail / remedy", overflow="fold")
    for what, ok, detail, _ in rows:
        table.add_row(what, "ok" if ok else "FAIL", detail)
    Console(width=80).print(table)
    failed = [r for r in rows if not r[1]]
    if failed:
        raise fail(
            f"{len(failed)} check(s) failed: {', '.join(r[0] for r in failed)}", failed[0][3]
        )
