"""Outgoing webhooks: every outbound message whose time the clock passes is POSTed (v2 body)
to the configured URL through the kit's sender (retries, seeded duplicates)."""

from __future__ import annotations

import asyncio
import contextlib

from aiohttp import web

from connectors.emulator_kit.webhooks import DeliveryPolicy, WebhookSender
from connectors.smarterpay.emulator.outbound import render
from connectors.smarterpay.emulator.state import Emulator

MAX_BATCH = 10000  # per tick; a huge clock jump is delivered over several ticks


def attach_webhooks(app: web.Application, emu: Emulator, url: str) -> None:
    policy = DeliveryPolicy(duplicate_rate=0.02, seed=emu.ds.seed)
    sender = WebhookSender(emu.clock, policy, ssl_context=False)
    emu.core.listeners.append(lambda what: sender.wake())
    state = {"since": emu.clock.timestamp()}

    async def pump() -> None:
        while True:
            await asyncio.sleep(0.2)
            now = emu.clock.timestamp()
            sent = 0
            for msg in emu.outbound.stream(state["since"], now + 1, now):
                if sent >= MAX_BATCH:
                    break
                body = render(emu.ds, msg)["webhook"]["webhook_body"].encode()
                sender.enqueue(msg.id, url, body, {"Content-Type": "application/json"})
                state["since"] = msg.ts
                sent += 1
            if sent < MAX_BATCH:
                state["since"] = now + 1

    async def on_startup(app: web.Application) -> None:
        await sender.start()
        app["sp_webhook_pump"] = asyncio.get_running_loop().create_task(pump())

    async def on_cleanup(app: web.Application) -> None:
        app["sp_webhook_pump"].cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await app["sp_webhook_pump"]
        await sender.close()

    app.on_startup.append(on_startup)
    app.on_cleanup.append(on_cleanup)
    app["sp_webhooks"] = sender
