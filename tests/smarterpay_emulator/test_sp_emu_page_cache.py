"""Cached list bodies (reads.py, emulator_kit/bodycache.py): a page read again is served from
the cache, and never once the data it shows has changed (a mutation, a spawn, the clock)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp.test_utils import TestClient, TestServer

from connectors.emulator_kit.bodycache import BodyCache
from connectors.smarterpay.emulator.app import build_app
from connectors.smarterpay.emulator.resources import RESOURCES
from tests.smarterpay_emulator.served import DAY, TOKEN, new_emulator

PAGE = {"limit": "50", "page_no": "2"}


async def _page(client: TestClient, **params: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    async with client.get("/service.svc/payments", params=params, headers=headers) as resp:
        assert resp.status == 200
        return orjson.loads(await resp.read())["payments"]


def _status(records: list[dict[str, Any]], record_id: str) -> str:
    return next(r["status"] for r in records if r["id"] == record_id)


async def test_a_page_read_twice_is_served_from_the_cache() -> None:
    emu = new_emulator(2_000, seed=4)
    async with TestClient(TestServer(build_app(emu))) as client:
        first = await _page(client, **PAGE)
        hits = emu.pages.hits
        assert await _page(client, **PAGE) == first
        assert emu.pages.hits == hits + 1


async def test_a_cached_page_shows_a_mutation_made_after_it_was_cached() -> None:
    emu = new_emulator(2_000, seed=4)
    async with TestClient(TestServer(build_app(emu))) as client:
        before = await _page(client, **PAGE)
        target = before[7]["id"]
        assert _status(before, target) != "cancelled"
        item = emu.store.find(RESOURCES["payments"], target, emu.clock.timestamp())
        assert item is not None
        emu.change(RESOURCES["payments"], item, "status", "cancelled", "payment.update")
        after = await _page(client, **PAGE)
        assert _status(after, target) == "cancelled"
        assert [r["id"] for r in after] == [r["id"] for r in before]


async def test_admin_mutate_and_a_spawned_record_reach_a_cached_page() -> None:
    emu = new_emulator(300, seed=4)
    everything = {"limit": "500", "page_no": "1"}
    async with TestClient(TestServer(build_app(emu))) as client:
        before = await _page(client, **everything)
        changed = emu.mutate("payments", 3)
        spawned = emu.spawn(RESOURCES["payments"], emu.clock.timestamp() - DAY)
        after = await _page(client, **everything)
    assert len(after) == len(before) + 1
    assert spawned in {r["id"] for r in after}
    assert {r["id"]: r["status"] for r in after if r["id"] in changed} == dict.fromkeys(
        changed, "cancelled"
    )


async def test_a_cached_page_follows_the_clock() -> None:
    """Payments created a day ago are submitted, not settled; 30 days on they are settled.
    The body served after the clock moved equals one rendered by an emulator without cache."""
    emu = new_emulator(2_000, seed=4)
    fresh = new_emulator(2_000, seed=4)
    fresh.pages = BodyCache(0)  # caches nothing: every body rendered
    recent = {"limit": "500", "page_no": "1", "sort_order": "desc"}
    async with TestClient(TestServer(build_app(emu))) as client:
        before = await _page(client, **recent)
        emu.clock.advance(30 * DAY)
        after = await _page(client, **recent)
    assert {r["status"] for r in before} & {"pending_submission", "submitted"}
    assert not {r["status"] for r in after} & {"pending_submission", "submitted"}
    fresh.clock.advance(30 * DAY)
    async with TestClient(TestServer(build_app(fresh))) as client:
        assert await _page(client, **recent) == after


async def test_nothing_is_cached_while_the_clock_runs() -> None:
    """Every request sees another instant then: caching would only fill memory."""
    emu = new_emulator(100, seed=4)
    emu.clock.unfreeze()
    async with TestClient(TestServer(build_app(emu))) as client:
        await _page(client, limit="5")
        await _page(client, limit="5")
    assert emu.pages.info() == {"pages": 0, "bytes": 0, "hits": 0, "misses": 0}


def test_the_cache_holds_at_most_its_bytes() -> None:
    cache = BodyCache(max_bytes=1000)
    for k in range(50):
        cache.put(k, b"x" * 100)
    assert cache.size <= 1000
    assert cache.get(49) == b"x" * 100
    assert cache.get(0) is None  # the oldest went first
