"""Apply ``sql/migrations/NNNN_name.sql`` once each, then re-create ``sql/views/*.sql``.

Every migration runs in its own transaction and is recorded in ``paysync.schema_migrations`` in
that same transaction, all under one advisory lock, so two processes starting at once are safe
and a failing file leaves the database at the previous version.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

import asyncpg

from pipelines.errors import MigrationError

SQL_DIR = Path(__file__).resolve().parents[2] / "sql"
# Any fixed 64-bit key; it only has to differ from the engine's window locks (which use two keys).
MIGRATION_LOCK_KEY = 0x70617973796E63  # "paysync"
_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

BOOTSTRAP = """
CREATE SCHEMA IF NOT EXISTS paysync;
CREATE TABLE IF NOT EXISTS paysync.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    checksum   text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


@dataclass(frozen=True)
class MigrateResult:
    applied: list[str]
    current_version: int
    views: int


def load_migrations(directory: Path = SQL_DIR / "migrations") -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path} is not named NNNN_lowercase_name.sql; rename it")
        migrations.append(Migration(int(match.group(1)), path.name, path.read_text()))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two files in {directory} share a version number; renumber one")
    return migrations


async def migrate(conn: asyncpg.Connection, sql_dir: Path = SQL_DIR) -> MigrateResult:
    migrations = load_migrations(sql_dir / "migrations")
    await conn.execute("SELECT pg_advisory_lock($1)", MIGRATION_LOCK_KEY)
    try:
        await conn.execute(BOOTSTRAP)
        applied = await _applied(conn)
        _check_history(migrations, applied)
        done = [await _apply(conn, m) for m in migrations if m.version not in applied]
        views = await _recreate_views(conn, sql_dir / "views")
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", MIGRATION_LOCK_KEY)
    version = max([m.version for m in migrations], default=0)
    return MigrateResult(applied=done, current_version=version, views=views)


async def _applied(conn: asyncpg.Connection) -> dict[int, str]:
    rows = await conn.fetch("SELECT version, checksum FROM paysync.schema_migrations")
    return {row["version"]: row["checksum"] for row in rows}


def _check_history(migrations: list[Migration], applied: dict[int, str]) -> None:
    by_version = {m.version: m for m in migrations}
    for version, checksum in sorted(applied.items()):
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"the database has migration {version:04d}, which this paysync does not know; "
                "upgrade paysync before running it against this database"
            )
        if migration.checksum != checksum:
            raise MigrationError(
                f"{migration.name} was changed after it was applied; restore it and put the "
                "change in a new numbered migration"
            )


async def _apply(conn: asyncpg.Connection, migration: Migration) -> str:
    try:
        async with conn.transaction():
            await conn.execute(migration.sql)
            await conn.execute(
                "INSERT INTO paysync.schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                migration.version,
                migration.name,
                migration.checksum,
            )
    except asyncpg.PostgresError as exc:
        raise MigrationError(
            f"{migration.name} failed and was rolled back ({type(exc).__name__}: {exc}); "
            "the database stays at the previous version; fix the file and run `paysync db migrate`"
        ) from None
    return migration.name


async def _recreate_views(conn: asyncpg.Connection, directory: Path) -> int:
    files = sorted(directory.glob("*.sql")) if directory.is_dir() else []
    try:
        async with conn.transaction():
            for path in files:
                await conn.execute(path.read_text())
    except asyncpg.PostgresError as exc:
        raise MigrationError(
            f"re-creating views failed in {path.name} ({type(exc).__name__}: {exc}); "
            "no view was changed; fix the file and run `paysync db migrate`"
        ) from None
    return len(files)
