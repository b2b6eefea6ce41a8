"""Temporary measurement (not committed): list requests of a documented backfill and of the
incremental run after it, with the range guard and without it."""

from typing import Any

import pytest

from connectors.emulator_kit.testing import start_emulator
from pipelines.sync import ranges
from tests import test_smart2pay_sync as s2p
from tests import test_sync_smarterpay as sp


def total(stats: dict[str, Any]) -> int:
    return int(sum(int(v) for v in stats["by_status"].values()))


@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
@pytest.mark.parametrize("guard", [True, False])
async def test_measure(provider: str, guard: bool, fresh_db_url: str, monkeypatch: Any) -> None:
    if not guard:

        async def off(*args: Any, **kwargs: Any) -> None:
            return None

        monkeypatch.setattr(ranges, "guard", off)
    mod = sp if provider == "smarterpay" else s2p
    opts = (
        dict(token=sp.TOKEN)
        if provider == "smarterpay"
        else dict(site_id=s2p.SITE_ID, api_key=s2p.API_KEY)
    )
    with start_emulator(provider, records=1500, seed=11, **opts) as emu:
        emu.clock_freeze(True)
        settings = mod.make_settings(fresh_db_url, emu)
        emu.reset_stats()
        await mod.sync(settings, emu)
        backfill = total(emu.stats())
        emu.reset_stats()
        await mod.sync(settings, emu)
        idle = total(emu.stats())
        print(f"MEASURE {provider} guard={guard} backfill={backfill} idle={idle}")
