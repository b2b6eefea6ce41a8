"""Who may do what: read-only analysts (``grant_reader``: the views and stream tables, nothing in
``paysync``) and the writer role every command but ``db migrate`` runs as (``grant_writer``: DML
on paysync's tables, no DDL; README "Two roles").

The grants themselves are SQL (``paysync.apply_reader_grants`` in ``sql/views/900_reader_grants.sql``)
and every migrate re-applies them to the roles recorded in ``paysync.reader_roles``, so tables,
columns and views added later reach existing readers. With ``no_pii`` the role reads every
stream-table column except those named in ``analytics.pii_columns`` (and never ``raw``).
"""

from __future__ import annotations

import asyncpg

from pipelines.errors import ConfigError, MigrationError

READABLE_SCHEMAS = ("analytics", "smarterpay", "smart2pay")


async def grant_reader(conn: asyncpg.Connection, role: str, no_pii: bool = False) -> bool:
    """Grant ``role`` read access; creates it (NOLOGIN) when missing. True when it was created."""
    await _checked(conn, role, "paysync.reader_roles", "read-only access")
    async with conn.transaction():
        created = await _ensure_role(conn, role)
        await conn.execute("SELECT paysync.apply_reader_grants($1, $2, true)", role, no_pii)
        await conn.execute(
            """INSERT INTO paysync.reader_roles (role, no_pii) VALUES ($1, $2)
               ON CONFLICT (role) DO UPDATE SET no_pii = excluded.no_pii, granted_at = now()""",
            role,
            no_pii,
        )
    return created


async def grant_writer(conn: asyncpg.Connection, role: str) -> bool:
    """Give ``role`` DML on paysync's tables (recorded, so every migrate extends it to new tables);
    creates it (NOLOGIN) when missing. True when it was created."""
    await _checked(conn, role, "paysync.writer_roles", "a writer's limited rights")
    async with conn.transaction():
        created = await _ensure_role(conn, role)
        await conn.execute("SELECT paysync.apply_writer_grants($1)", role)
        await conn.execute(
            """INSERT INTO paysync.writer_roles (role) VALUES ($1)
               ON CONFLICT (role) DO UPDATE SET granted_at = now()""",
            role,
        )
    return created


async def _checked(conn: asyncpg.Connection, role: str, registry: str, what: str) -> None:
    """The checks both grants make: a valid name, a migrated database, not an all-powerful role."""
    _check_name(role)
    if not await conn.fetchval("SELECT to_regclass($1) IS NOT NULL", registry):
        raise MigrationError(
            "the database is not migrated to this paysync's version; run `paysync db migrate`"
        )
    await _refuse_powerful(conn, role, what)


async def _ensure_role(conn: asyncpg.Connection, role: str) -> bool:
    """Create ``role`` (NOLOGIN) when missing; True when it was created."""
    if await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role):
        return False
    quoted = await conn.fetchval("SELECT quote_ident($1)", role)
    await conn.execute(f"CREATE ROLE {quoted} NOLOGIN")
    return True


def _check_name(role: str) -> None:
    if not role or len(role) > 63:
        raise ConfigError("ROLE must be a PostgreSQL role name of 1 to 63 characters")


async def _refuse_powerful(conn: asyncpg.Connection, role: str, what: str) -> None:
    """A superuser or the schema's owner can do everything whatever we grant: granting it
    "read-only" would claim a restriction that does not exist."""
    found = await conn.fetchrow(
        """SELECT r.rolsuper,
                  r.oid = (SELECT nspowner FROM pg_namespace WHERE nspname = 'paysync') AS owner
           FROM pg_roles r WHERE r.rolname = $1""",
        role,
    )
    if found is not None and (found["rolsuper"] or found["owner"]):
        kind = "a superuser" if found["rolsuper"] else "the owner of paysync's schema"
        raise ConfigError(
            f"{role} is {kind}: {what} cannot restrict it; create a separate role "
            "(paysync creates it when missing) and grant to that"
        )


async def pii_columns(conn: asyncpg.Connection) -> list[tuple[str, str, str]]:
    """(schema, relation, column) of every stream-schema column a --no-pii reader cannot read."""
    rows = await conn.fetch(
        """SELECT n.nspname, c.relname, a.attname
           FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
           JOIN pg_namespace n ON n.oid = c.relnamespace
           WHERE n.nspname IN ('smarterpay', 'smart2pay') AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
             AND a.attnum > 0 AND NOT a.attisdropped
             AND a.attname IN (SELECT column_name FROM analytics.pii_columns)
           ORDER BY 1, 2, a.attnum"""
    )
    return [(r[0], r[1], r[2]) for r in rows]
