"""Is the database at this paysync's schema version? Every command but ``paysync db migrate``
asks before it starts and refuses with one line when not: they run as a role that may not change
the schema (README "Two roles"), and silently migrating from a sync blocked analysts (issue 18).
"""

from __future__ import annotations

import asyncpg

from pipelines.errors import MigrationError
from pipelines.store.migrate import load_migrations

MIGRATE = "run `paysync db migrate` (as the schema owner) first"


async def require_current(conn: asyncpg.Connection) -> int:
    """The database's schema version; MigrationError when it is behind or ahead of the files."""
    expected = {m.version for m in load_migrations()}
    applied: set[int] = set()
    if await conn.fetchval("SELECT to_regclass('paysync.schema_migrations') IS NOT NULL"):
        try:
            rows = await conn.fetch("SELECT version FROM paysync.schema_migrations")
        except asyncpg.InsufficientPrivilegeError:
            raise MigrationError(
                "this role cannot read paysync.schema_migrations; the schema owner grants it "
                "with `paysync db grant-writer ROLE`"
            ) from None
        applied = {r["version"] for r in rows}
    unknown = applied - expected
    if unknown:
        raise MigrationError(
            f"the database has migration {max(unknown):04d}, which this paysync does not know; "
            "upgrade paysync before running it against this database"
        )
    missing = expected - applied
    if missing:
        at = f"version {max(applied):04d}" if applied else "not migrated"
        raise MigrationError(
            f"the database is {at}, this paysync needs {max(expected):04d} "
            f"({len(missing)} missing, from {min(missing):04d}); {MIGRATE}"
        )
    return max(expected)
