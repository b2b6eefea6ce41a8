"""The demo on a fresh machine: both emulators with a seeded history, a full sync, a change at
the provider picked up by an incremental sync, then what an analyst sees."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import asyncpg

from connectors.emulator_kit.testing import RunningEmulator, launch
from pipelines.store import db
from pipelines.store.migrate import migrate
from pipelines.store.settings import DatabaseSettings, Settings, Smart2PaySource, SmarterPaySource

DEMO_DATABASE = "paysync_demo"


@contextlib.contextmanager
def emulators(records: int, seed: int = 7) -> Iterator[tuple[RunningEmulator, RunningEmulator]]:
    bacs = launch("smarterpay", records=records, seed=seed)
    try:
        cards = launch("smart2pay", records=records, seed=seed)
        try:
            yield bacs, cards
        finally:
            cards.close()
    finally:
        bacs.close()


def demo_settings(url: str, bacs: RunningEmulator, cards: RunningEmulator) -> Settings:
    start = date(2015, 1, 1)
    sp = SmarterPaySource(
        name="demo-bacs", provider="smarterpay", base_url=bacs.base_url,
        token_env="PAYSYNC_DEMO_TOKEN", ca_bundle=Path(bacs.ca_path) if bacs.ca_path else None, start_date=start,
    )  # fmt: skip
    sp.set_secret(bacs.credentials["token"])
    s2p = Smart2PaySource(
        name="demo-cards", provider="smart2pay", base_url=cards.base_url,
        site_id=int(cards.credentials["site_id"]), api_key_env="PAYSYNC_DEMO_API_KEY",
        ca_bundle=Path(cards.ca_path) if cards.ca_path else None, start_date=start,
    )  # fmt: skip
    s2p.set_secret(cards.credentials["api_key"])
    return Settings(database=DatabaseSettings(url=url), sources=[sp, s2p])


async def fresh_demo_database(settings: Settings) -> str:
    """A clean database for the demo on the configured server; its URL."""
    server = db.database_url(settings.database)
    conn = await db.connect(server)
    try:
        await conn.execute(f"DROP DATABASE IF EXISTS {DEMO_DATABASE} WITH (FORCE)")
        await conn.execute(f"CREATE DATABASE {DEMO_DATABASE}")
    finally:
        await conn.close()
    url = db.with_database(server, DEMO_DATABASE)
    conn = await db.connect(url)
    try:
        await migrate(conn)  # the demo is its own owner; sync itself never migrates
    finally:
        await conn.close()
    return url


def as_of(emulator: RunningEmulator) -> datetime:
    return emulator.clock_now().astimezone(UTC)


async def query(url: str, sql: str) -> list[asyncpg.Record]:
    conn = await db.connect(url)
    try:
        return list(await conn.fetch(sql))
    finally:
        await conn.close()
