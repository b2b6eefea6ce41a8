"""Assemble the aiohttp application: provider routes, kit admin routes, middleware."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from connectors.emulator_kit.admin import EmulatorCore, add_admin_routes
from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.faults import FaultController, FaultPlan
from connectors.emulator_kit.stats import RequestStats, stats_middleware
from connectors.smart2pay.emulator import routes_other, routes_payments
from connectors.smart2pay.emulator.errors import json_response, payment_error, reason
from connectors.smart2pay.emulator.keys import CORE_KEY, DATA_KEY, NOTIFY_KEY
from connectors.smart2pay.emulator.middleware import provider_middleware
from connectors.smart2pay.emulator.notify import Notifier
from connectors.smart2pay.emulator.provider import Settings, Smart2PayData
from connectors.smart2pay.emulator.state import PaymentNow


def build_app(
    settings: Settings, plan: FaultPlan, clock: EmulatorClock | None = None
) -> web.Application:
    clock = clock or EmulatorClock()
    data = Smart2PayData(settings, clock)
    core = EmulatorCore(clock, FaultController(plan), RequestStats(), data)
    app = web.Application(
        middlewares=[
            stats_middleware(core.stats),
            provider_middleware(core, settings.site_id, settings.api_key),
        ]
    )
    app[DATA_KEY], app[CORE_KEY] = data, core
    add_admin_routes(app, core)
    routes_payments.add_routes(app)
    routes_other.add_routes(app)
    app.router.add_route("*", "/{tail:.*}", _unknown)
    if settings.webhook_url:
        notifier = Notifier(data, settings.webhook_url)
        core.listeners.append(notifier.wake)
        app[NOTIFY_KEY] = notifier.send
        app.cleanup_ctx.append(_run(notifier))
    else:
        app[NOTIFY_KEY] = _no_notification
    return app


def _no_notification(now: PaymentNow) -> None:
    return None


def _run(notifier: Notifier):  # type: ignore[no-untyped-def]
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        await notifier.start()
        yield
        await notifier.close()

    return ctx


async def _unknown(request: web.Request) -> web.Response:
    # aiohttp would answer 405 for a known path with another method: keep one 404 shape.
    return payment_error(
        None, [reason(0, f"Undefined - no route {request.method} {request.path}")], status=404
    )


async def plain_http(request: web.BaseRequest) -> web.StreamResponse:
    """Plain HTTP on the TLS port: the provider requires HTTPS.

    See docs/providers/smart2pay.md, "Environments and transport".
    """
    return json_response({"Message": "TLS_Required: HTTPS is required"}, 403)
