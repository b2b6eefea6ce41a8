"""Apply ``sql/migrations/NNNN_name.sql`` once each, then re-create the ``sql/views/*.sql`` that
changed. Only ``paysync db migrate`` calls this; every other command checks the version
(``pipelines.store.schema``) and runs as a role without DDL rights.

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


def _sql_dir() -> Path:
    """``pipelines/sql`` in an installed wheel (setup.py copies it there), else the checkout's
    ``sql/`` (a source checkout or an editable install)."""
    packaged = Path(__file__).resolve().parents[1] / "sql"
    return packaged if packaged.is_dir() else Path(__file__).resolve().parents[2] / "sql"


SQL_DIR = _sql_dir()
# Any fixed 64-bit key; it only has to differ from the engine's window locks (which use two keys).
MIGRATION_LOCK_KEY = 0x70617973796E63  # "paysync"
# How long a view re-creation may wait for an analyst's lock before migrate gives up.
VIEW_LOCK_TIMEOUT = "5s"
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
    views: int  # view files re-run (only those that changed, or all after a migration)


def load_migrations(directory: Path = SQL_DIR / "migrations") -> list[Migration]:
    paths = sorted(directory.glob("*.sql"))
    if not paths:
        # A package built without its SQL must never look like an empty, migrated database.
        raise MigrationError(
            f"no migration files in {directory}: this paysync installation is incomplete; "
            "reinstall it from a wheel built from the repository (`pip wheel .`)"
        )
    migrations = []
    for path in paths:
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
        views = await _recreate_views(conn, sql_dir / "views", migrated=bool(done))
        await _reapply_grants(conn)
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


# Grants follow new tables and columns even when no view file changed (a table added by hand,
# a column by a migration); both functions grant only what is missing.
REAPPLY_GRANTS = {
    "paysync.apply_reader_grants(text,boolean,boolean)": """
        SELECT paysync.apply_reader_grants(rr.role, rr.no_pii, false)
        FROM paysync.reader_roles rr JOIN pg_roles pr ON pr.rolname = rr.role ORDER BY rr.role""",
    "paysync.apply_writer_grants(text)": """
        SELECT paysync.apply_writer_grants(wr.role)
        FROM paysync.writer_roles wr JOIN pg_roles pr ON pr.rolname = wr.role ORDER BY wr.role""",
}


async def _reapply_grants(conn: asyncpg.Connection) -> None:
    for function, sql in REAPPLY_GRANTS.items():
        if await conn.fetchval("SELECT to_regprocedure($1) IS NOT NULL", function):
            await conn.execute(sql)


async def _recreate_views(conn: asyncpg.Connection, directory: Path, migrated: bool) -> int:
    """Run the view files that changed since the last migrate (all of them after a migration,
    which may have dropped or altered what they select from), under ``lock_timeout``: a view
    DDL waiting on an analyst's open transaction would queue every later query behind it."""
    files = sorted(directory.glob("*.sql")) if directory.is_dir() else []
    tracked = await conn.fetchval("SELECT to_regclass('paysync.view_files') IS NOT NULL")
    known = {}
    if tracked:
        known = dict(await conn.fetch("SELECT name, checksum FROM paysync.view_files"))
    sums = {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in files}
    due = [p for p in files if migrated or not tracked or known.get(p.name) != sums[p.name]]
    path = None
    try:
        async with conn.transaction():
            await conn.execute(f"SET LOCAL lock_timeout = '{VIEW_LOCK_TIMEOUT}'")
            for path in due:
                await conn.execute(path.read_text())
                if tracked:
                    await conn.execute(
                        """INSERT INTO paysync.view_files (name, checksum) VALUES ($1, $2)
                           ON CONFLICT (name) DO UPDATE
                           SET checksum = excluded.checksum, applied_at = now()""",
                        path.name,
                        sums[path.name],
                    )
    except asyncpg.LockNotAvailableError:
        name = path.name if path else "views"
        raise MigrationError(
            f"re-creating views waited more than {VIEW_LOCK_TIMEOUT} for a lock in {name} (an open "
            "transaction reads the view); no view was changed; run `paysync db migrate` again "
            "when long-running analyst sessions have ended"
        ) from None
    except asyncpg.PostgresError as exc:
        name = path.name if path else "views"
        raise MigrationError(
            f"re-creating views failed in {name} ({type(exc).__name__}: {exc}); "
            "no view was changed; fix the file and run `paysync db migrate`"
        ) from None
    return len(due)
