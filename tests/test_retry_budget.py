"""The retry budget is the limit (issue 18, adversarial run): a provider answering 503 is
retried until ``budget_s`` is spent, not given up after a fixed 8 attempts (a run gave up at
21 s of a 60 s budget). A real aiohttp server on loopback; no mocks."""

from __future__ import annotations

import time

import pytest
from aiohttp import web

from connectors.errors import ProviderUnavailableError
from connectors.http import HttpClient, RetryPolicy


async def test_retries_until_the_budget_not_a_fixed_attempt_count() -> None:
    hits = []

    async def unavailable(request: web.Request) -> web.Response:
        hits.append(time.monotonic())
        return web.Response(status=503, headers={"Retry-After": "0.05"})

    app = web.Application()
    app.router.add_get("/down", unavailable)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    policy = RetryPolicy(base_s=0.01, cap_s=0.05, budget_s=2.0)
    started = time.monotonic()
    try:
        async with HttpClient(
            "probe", f"http://127.0.0.1:{port}", {}, policy=policy, seed=1
        ) as client:
            with pytest.raises(ProviderUnavailableError, match="still failing after"):
                await client.get_json("down")
    finally:
        await runner.cleanup()
    spent = time.monotonic() - started
    assert len(hits) > 8, len(hits)  # more than the old silent cap
    assert 1.5 <= spent <= 6, spent  # the budget, not a tenth of it
