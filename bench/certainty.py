"""The cost of certainty (issue 14): requests a sync makes when short pages are confirmed
instead of trusted, on a backfill and on an idle incremental run once page sizes are learned.

``trusting`` is paging as before issue 14 (a short page is always the last: the pager is told
every page size is proven); ``verifying`` is the pager as it is. Both read the same emulator
history into fresh databases; the script prints JSON with the request counts.

    .venv/bin/python bench/certainty.py --records 20000
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import S2P_KEY, S2P_SITE, SP_TOKEN, Postgres, smart2pay, smarterpay
from pipelines.store.settings import (
    DatabaseSettings,
    Settings,
    Smart2PaySource,
    SmarterPaySource,
    SyncSettings,
)
from pipelines.sync import pager, service
from pipelines.sync.plan import SyncRequest


@contextlib.contextmanager
def trusting() -> Iterator[None]:
    original = pager.PageSizes.get

    def get(self: Any, spec: Any) -> pager.PageSize:
        return pager.PageSize(spec.page_size, proven=10**9, origin=1)

    pager.PageSizes.get = get  # type: ignore[method-assign]
    try:
        yield
    finally:
        pager.PageSizes.get = original  # type: ignore[method-assign]


def settings(db_url: str, emu: Any, provider: str) -> Settings:
    common = dict(base_url=emu.base_url, ca_bundle=Path(emu.ca_path), start_date=date(2018, 1, 1))
    src: Any
    if provider == "smarterpay":
        src = SmarterPaySource(name="s", provider=provider, token_env="X_TOKEN", **common)
        src.set_secret(SP_TOKEN)
    else:
        src = Smart2PaySource(
            name="s", provider=provider, site_id=S2P_SITE, api_key_env="X_KEY", **common
        )
        src.set_secret(S2P_KEY)
    return Settings(
        database=DatabaseSettings(url=db_url),
        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=120),
        sources=[src],
    )


async def requests_of(config: Settings, emu: Any, kind: str = "incremental") -> int:
    [report] = await service.sync(config, SyncRequest(kind=kind, as_of=emu.clock_now()))
    assert report.outcome == "succeeded", report
    return int(report.counts.requests)


def measure(pg: Postgres, provider: str, records: int, quirks: str | None) -> dict[str, Any]:
    launch = smarterpay if provider == "smarterpay" else smart2pay
    emu = launch(records, quirks=quirks) if quirks else launch(records)
    try:
        emu.clock_freeze(True)
        start = emu.clock_now()
        out: dict[str, Any] = {"provider": provider, "records": records, "quirks": quirks}
        for mode in ("trusting", "verifying"):
            emu.clock_set(start)  # both modes read the same history
            config = settings(pg.fresh(mode), emu, provider)
            guard = trusting() if mode == "trusting" else contextlib.nullcontext()
            with guard:
                out[f"{mode}_backfill"] = asyncio.run(requests_of(config, emu))
                emu.clock_advance(3600)  # an hour later, nothing new: an idle incremental run
                out[f"{mode}_idle"] = asyncio.run(requests_of(config, emu))
        out["backfill_overhead_pct"] = round(
            100 * (out["verifying_backfill"] / out["trusting_backfill"] - 1), 2
        )
        return out
    finally:
        emu.close()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    args = parser.parse_args()
    pg = Postgres.start()
    results = [
        measure(pg, "smarterpay", args.records, None),
        measure(pg, "smart2pay", args.records, None),
    ]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
