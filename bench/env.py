"""The bench's world: one embedded PostgreSQL, emulators as subprocesses, fresh databases.

Everything is started here and stopped when the bench ends, so ``make bench`` needs nothing
running beforehand and leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import atexit
import itertools
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

from connectors.emulator_kit.testing import RunningEmulator, launch
from pipelines.store.db import start_embedded, with_database
from pipelines.store.migrate import migrate

SP_TOKEN = "bench-sp-token"
S2P_SITE, S2P_KEY = 30201, "bench-s2p-key"
_names = itertools.count()


async def admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


@dataclass
class Postgres:
    """The server, and a migrated template every scenario database is copied from."""

    server: str
    template: str = ""
    pid: int = 0  # the postmaster (embedded only): its backends' CPU time is measured

    @classmethod
    def start(cls) -> Postgres:
        url, pid = os.environ.get("BENCH_DATABASE_URL"), 0
        if not url:
            home = Path(tempfile.mkdtemp(prefix="paysync-bench-"))
            # gone when the bench ends (registered first: runs after the server's own stop);
            # a full bench leaves up to 4.5 GB of databases behind otherwise
            atexit.register(shutil.rmtree, home, True)
            # As root the server runs as another user (pipelines/store/db.py): the bench's
            # own scratch folder is the one folder it may open to it.
            home.chmod(0o755)
            data = home / "pgdata"
            url = start_embedded(data, keep_running=False)
            pid = int((data / "postmaster.pid").read_text().split()[0])
        pg = cls(url, pid=pid)
        pg.template = f"bench_template_{os.getpid()}"
        asyncio.run(admin(url, f"DROP DATABASE IF EXISTS {pg.template}"))
        asyncio.run(admin(url, f"CREATE DATABASE {pg.template}"))
        asyncio.run(_migrate(with_database(url, pg.template)))
        return pg

    def fresh(self, label: str) -> str:
        """A new migrated database (a copy of the template: milliseconds)."""
        name = f"bench_{label}_{os.getpid()}_{next(_names)}"
        asyncio.run(admin(self.server, f"CREATE DATABASE {name} TEMPLATE {self.template}"))
        return with_database(self.server, name)

    def empty(self, label: str) -> str:
        """A new database without paysync's schemas (for dlt)."""
        name = f"bench_{label}_{os.getpid()}_{next(_names)}"
        asyncio.run(admin(self.server, f"CREATE DATABASE {name}"))
        return with_database(self.server, name)


async def _migrate(url: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        await migrate(conn)
    finally:
        await conn.close()


def smarterpay(records: int, seed: int = 9, **options: Any) -> RunningEmulator:
    return launch("smarterpay", records=records, seed=seed, token=SP_TOKEN, **options)


def smart2pay(records: int, seed: int = 9, **options: Any) -> RunningEmulator:
    return launch(
        "smart2pay", records=records, seed=seed, site_id=S2P_SITE, api_key=S2P_KEY, **options
    )


def source_config(
    emu: RunningEmulator, provider: str, name: str, concurrency: int
) -> dict[str, Any]:
    """A source as ``bench/syncproc.py`` takes it (secrets travel in the environment)."""
    config: dict[str, Any] = {
        "name": name,
        "provider": provider,
        "base_url": emu.base_url,
        "ca_bundle": emu.ca_path,
        "start_date": "2018-01-01",
        "concurrency": concurrency,
    }
    if provider == "smarterpay":
        config["token_env"] = "BENCH_SP_TOKEN"
    else:
        config |= {"site_id": S2P_SITE, "api_key_env": "BENCH_S2P_KEY"}
    return config


def secrets_env() -> dict[str, str]:
    return {"BENCH_SP_TOKEN": SP_TOKEN, "BENCH_S2P_KEY": S2P_KEY}
