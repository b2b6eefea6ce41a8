"""Smart2Pay direct-card payments live on another host with another SiteID (README, "a second
source"): two smart2pay sources in one configuration sync side by side, each equal to its own
provider's truth, with page sizes learned per source."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import asyncpg

from connectors.emulator_kit.testing import start_emulator
from pipelines.store.settings import DatabaseSettings, Settings, Smart2PaySource, SyncSettings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests import test_smart2pay_sync as s2p

DIRECT_SITE, DIRECT_KEY = 30202, "s2p-direct-key-0043"


def source(name: str, emu: Any, site_id: int, key_env: str, key: str) -> Smart2PaySource:
    src = Smart2PaySource(
        name=name, provider="smart2pay", base_url=emu.base_url, site_id=site_id,
        api_key_env=key_env, ca_bundle=Path(emu.ca_path), start_date=date(2020, 1, 1),
    )  # fmt: skip
    src.set_secret(key)
    return src


async def test_two_smart2pay_sources_each_equal_their_truth(fresh_db_url: str) -> None:
    with (
        start_emulator(
            "smart2pay", records=300, seed=71, site_id=s2p.SITE_ID, api_key=s2p.API_KEY
        ) as rest,
        start_emulator(
            "smart2pay", records=200, seed=72, site_id=DIRECT_SITE, api_key=DIRECT_KEY,
            quirks="page_max=40",
        ) as direct,
    ):  # fmt: skip
        for emu in (rest, direct):
            emu.clock_freeze(True)
        settings = Settings(
            database=DatabaseSettings(url=fresh_db_url),
            sync=SyncSettings(lag_seconds=0, retry_budget_seconds=60),
            sources=[
                source("cards", rest, s2p.SITE_ID, "S2P_KEY", s2p.API_KEY),
                source("cards-direct", direct, DIRECT_SITE, "S2P_DIRECT_KEY", DIRECT_KEY),
            ],
        )
        as_of = max(rest.clock_now(), direct.clock_now())
        reports = await service.sync(settings, SyncRequest(as_of=as_of))
        assert sorted(r.source for r in reports) == ["cards", "cards-direct"]
        assert all(r.outcome == "succeeded" for r in reports), reports
        await s2p.assert_equals_truth(fresh_db_url, rest, source="cards")
        await s2p.assert_equals_truth(fresh_db_url, direct, source="cards-direct")
        conn = await asyncpg.connect(fresh_db_url)
        try:
            asks = dict(
                await conn.fetch(
                    "SELECT source, ask FROM paysync.page_sizes WHERE stream = 'payments'"
                )
            )
        finally:
            await conn.close()
        assert asks.get("cards-direct") == 40 and asks.get("cards", 500) == 500
