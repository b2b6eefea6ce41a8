"""The exact bytes a SmarterPay emulator serves over a fixed history, as sha256 digests.

Walks every list path (all pages at limit 500, plus odd page sizes, descending order, a
window and a filter on payments), details of a sample of ids, at three clock instants, then
again after records were changed and spawned through the emulator's own hooks (so a stale
cached page would show). In-process aiohttp server on loopback: the same app, middleware and
handlers the HTTPS subprocess serves.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
from aiohttp.test_utils import TestClient, TestServer

from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.faults import FaultPlan
from connectors.smarterpay.emulator.app import build_app
from connectors.smarterpay.emulator.resources import LIST_PATHS, RESOURCES
from connectors.smarterpay.emulator.state import Emulator, Options

TOKEN = "digest-token"
START = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)
DAY = 86400
ADVANCES = (0, 200 * DAY, 600 * DAY)  # statuses move on: settled, claimed, mandates ended


def new_emulator(records: int, seed: int) -> Emulator:
    clock = EmulatorClock(START, frozen=True)
    return Emulator(Options(records=records, seed=seed, token=TOKEN), FaultPlan(), clock)


async def _get(client: TestClient, path: str, **params: Any) -> bytes:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    query = {k: str(v) for k, v in params.items()}
    async with client.get(f"/service.svc/{path}", params=query, headers=headers) as resp:
        body = await resp.read()
        assert resp.status == 200, (path, params, body[:200])
        return body


async def _all_pages(client: TestClient, name: str, limit: int, **params: Any) -> list[bytes]:
    key = LIST_PATHS[name].list_key
    pages, page_no = [], 1
    while True:
        body = await _get(client, name, limit=limit, page_no=page_no, **params)
        pages.append(body)
        if len(_items(body, key)) < limit:
            return pages
        page_no += 1


def _items(body: bytes, key: str) -> list[Any]:
    return list(orjson.loads(body)[key])


async def _walk(client: TestClient) -> dict[str, str]:
    """name -> digest of every body served for it at the emulator's current clock."""
    out: dict[str, str] = {}
    for name, res in LIST_PATHS.items():
        h = hashlib.sha256()
        for body in await _all_pages(client, name, 500):
            h.update(body)
        if res.detail and name in RESOURCES:
            first = await _get(client, name, limit=500)
            ids = [r[res.item_id_key] for r in _items(first, res.list_key)]
            for rid in ids[::7]:
                h.update(await _get(client, f"{res.detail}/{rid}"))
        out[name] = h.hexdigest()
    h = hashlib.sha256()
    for body in await _all_pages(client, "payments", 37, sort_order="desc"):
        h.update(body)
    h.update(await _get(client, "payments", limit=13, page_no=4))
    h.update(await _get(client, "payments", limit=500, status="successful,failed"))
    window = {"created_from": "2025-06-01 00:00:00", "created_to": "2025-06-20 12:00:00"}
    for body in await _all_pages(client, "payments", 50, **window):
        h.update(body)
    out["payments/variants"] = h.hexdigest()
    return out


async def served_digests(records: int = 600, seed: int = 3) -> dict[str, str]:
    """`{at}/{name}` -> sha256 of the bodies served, for each clock instant in ADVANCES and
    after mutations and spawns (`changed/...`)."""
    emu = new_emulator(records, seed)
    out: dict[str, str] = {}
    async with TestClient(TestServer(build_app(emu))) as client:
        done = 0
        for advance in ADVANCES:
            emu.clock.advance(advance - done)
            done = advance
            for name, digest in (await _walk(client)).items():
                out[f"+{advance // DAY}d/{name}"] = digest
        for resource in ("payments", "mandates", "credits", "bankaccounts"):
            emu.mutate(resource, 5)
        for k in range(3):
            emu.spawn(RESOURCES["payments"], emu.ds.start + (k + 1) * 97 * DAY)
        for name, digest in (await _walk(client)).items():
            out[f"changed/{name}"] = digest
    return out


if __name__ == "__main__":  # print the digests (to record a reference from a known version)
    import asyncio
    import json

    print(json.dumps(asyncio.run(served_digests()), indent=1, sort_keys=True))
