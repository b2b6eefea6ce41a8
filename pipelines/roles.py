"""Read-only access for analysts (DESIGN §4): the views and stream tables, nothing in ``paysync``."""

from __future__ import annotations

import asyncpg

from pipelines.errors import ConfigError

READABLE_SCHEMAS = ("analytics", "smarterpay", "smart2pay")


async def grant_reader(conn: asyncpg.Connection, role: str) -> bool:
    """Grant ``role`` read access; creates it (NOLOGIN) when missing. True when it was created."""
    if not role or len(role) > 63:
        raise ConfigError("ROLE must be a PostgreSQL role name of 1 to 63 characters")
    quoted = await conn.fetchval("SELECT quote_ident($1)", role)
    async with conn.transaction():
        created = not await conn.fetchval("SELECT 1 FROM pg_roles WHERE rolname = $1", role)
        if created:
            await conn.execute(f"CREATE ROLE {quoted} NOLOGIN")
        for schema in READABLE_SCHEMAS:
            await conn.execute(f"GRANT USAGE ON SCHEMA {schema} TO {quoted}")
            await conn.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {quoted}")
            await conn.execute(
                f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {quoted}"
            )
        await conn.execute(f"REVOKE ALL ON SCHEMA paysync FROM {quoted}")
        await conn.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA paysync FROM {quoted}")
    return bool(created)
