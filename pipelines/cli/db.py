"""``paysync db …``: migrate, url, grant-reader, grant-writer, prune, stop."""

from __future__ import annotations

import typer

from pipelines.cli._run import fail, run, settings
from pipelines.cli.prune import prune
from pipelines.store import db as database
from pipelines.store.migrate import migrate as apply_migrations
from pipelines.store.roles import grant_reader as grant
from pipelines.store.roles import grant_writer as grant_dml

app = typer.Typer(
    help="Database: migrations, connection URL, analyst access.", no_args_is_help=True
)
app.command()(prune)


@app.command()
def migrate() -> None:
    """Apply pending migrations and re-create the analyst views."""
    config = settings()

    async def main() -> None:
        conn = await database.connect(database.database_url(config.database))
        try:
            result = await apply_migrations(conn)
        finally:
            await conn.close()
        applied = ", ".join(result.applied) or "none pending"
        typer.echo(
            f"database at version {result.current_version:04d}; applied: {applied}; "
            f"views re-created: {result.views}"
        )

    run(main)


@app.command()
def url() -> None:
    """Print the database URL (without its password)."""
    config = settings()
    shown = database.redact(database.database_url(config.database))
    if shown == database.UNPARSEABLE:
        raise fail("malformed database URL; fix DATABASE_URL or [database] url", 2)
    typer.echo(shown)


@app.command("grant-reader")
def grant_reader(
    role: str = typer.Argument(..., help="PostgreSQL role to grant read access"),
    no_pii: bool = typer.Option(
        False,
        "--no-pii",
        help="No personal data: no raw JSON, bank account numbers, e-mails, names, addresses "
        "(the columns listed in analytics.pii_columns)",
    ),
) -> None:
    """Give ROLE read-only access to the analytics views and stream tables, none to paysync.*."""
    config = settings()

    async def main() -> None:
        conn = await database.connect(database.database_url(config.database))
        try:
            created = await grant(conn, role, no_pii=no_pii)
        finally:
            await conn.close()
        if created:
            typer.echo(
                f"created role {role} (NOLOGIN); give it a login with ALTER ROLE … LOGIN PASSWORD …"
            )
        scope = "without the columns in analytics.pii_columns" if no_pii else "every column"
        typer.echo(
            f"{role} can read schemas analytics, smarterpay, smart2pay ({scope}); nothing in paysync"
        )

    run(main)


@app.command("grant-writer")
def grant_writer(
    role: str = typer.Argument(..., help="PostgreSQL role that runs sync, reconcile, status"),
) -> None:
    """Give ROLE DML on paysync's tables and no DDL: the role every command but `db migrate`
    runs as. Run as the schema owner; every later migrate extends it to new tables."""
    config = settings()

    async def main() -> None:
        conn = await database.connect(database.database_url(config.database))
        try:
            created = await grant_dml(conn, role)
        finally:
            await conn.close()
        if created:
            typer.echo(
                f"created role {role} (NOLOGIN); give it a login with ALTER ROLE … LOGIN PASSWORD …"
            )
        typer.echo(f"{role} can read and write paysync's tables; it cannot change the schema")

    run(main)


@app.command()
def stop() -> None:
    """Stop the embedded PostgreSQL server (no effect when DATABASE_URL is used)."""
    config = settings()
    if config.database.url:
        typer.echo("an external database is configured; nothing to stop")
        return
    stopped = database.stop_embedded(config.database.data_dir)
    typer.echo("embedded PostgreSQL stopped" if stopped else "embedded PostgreSQL was not running")
