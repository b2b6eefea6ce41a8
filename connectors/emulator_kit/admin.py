"""Admin routes under /_emulator/ (never on provider paths): health, clock, faults, mutate,
stats, truth. The provider plugs in through the small `AdminProvider` protocol."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import orjson
from aiohttp import web

from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.faults import FaultController, FaultPlan, FaultSpecError
from connectors.emulator_kit.stats import RequestStats

_CHUNK = 256 * 1024


class AdminProvider(Protocol):
    name: str

    def resources(self) -> Sequence[str]:
        """Resource names accepted by `truth` and `mutate` (e.g. "payments")."""
        ...

    def truth(self, resource: str, since: float | None = None) -> Iterable[Any]:
        """Records as the provider holds them now, each exactly as its detail GET returns it
        (a dict, or already-serialised JSON bytes), without injected faults; ``since``: only
        those created then or later (ValueError where the resource cannot say)."""
        ...

    def mutate(self, resource: str, count: int) -> list[str]:
        """Change `count` records now (status moves etc.); return their ids."""
        ...

    def health_info(self) -> dict[str, Any]:
        """Extra fields for GET /_emulator/health (record counts, seed...)."""
        ...


@dataclass
class EmulatorCore:
    """The shared mutable state of one running emulator."""

    clock: EmulatorClock
    faults: FaultController
    stats: RequestStats
    provider: AdminProvider
    listeners: list[Callable[[str], None]] = field(default_factory=list)

    def notify(self, what: str) -> None:
        """Tell listeners (e.g. the webhook scheduler) that the clock/faults/data changed."""
        for listener in self.listeners:
            listener(what)


def _json(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def _error(message: str, status: int = 400) -> web.Response:
    return _json({"error": message}, status)


async def _body(request: web.Request) -> dict[str, Any]:
    raw = await request.read()
    if not raw.strip():
        return {}
    data = orjson.loads(raw)
    if not isinstance(data, dict):
        raise ValueError("body must be a JSON object")
    return data


def _parse_time(text: str) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def add_admin_routes(app: web.Application, core: EmulatorCore) -> None:
    async def health(request: web.Request) -> web.Response:
        info = {"status": "ok", "provider": core.provider.name, "now": core.clock.now()}
        return _json({**info, **core.provider.health_info()})

    async def clock(request: web.Request) -> web.Response:
        if request.method == "POST":
            try:
                body = await _body(request)
                if "set" in body:
                    core.clock.set(_parse_time(body["set"]))
                if "advance_seconds" in body:
                    core.clock.advance(float(body["advance_seconds"]))
                if "freeze" in body:
                    core.clock.freeze() if body["freeze"] else core.clock.unfreeze()
            except (ValueError, TypeError) as exc:
                return _error(f"bad clock request: {exc}")
            core.notify("clock")
        return _json({"now": core.clock.now(), "frozen": core.clock.frozen})

    async def faults(request: web.Request) -> web.Response:
        if request.method == "POST":
            try:
                body = await _body(request)
                spec = body.get("spec")
                plan = FaultPlan.parse(spec) if isinstance(spec, str) else FaultPlan.from_dict(body)
            except (FaultSpecError, ValueError) as exc:
                return _error(str(exc))
            core.faults.set(plan)
            core.notify("faults")
        return _json({**core.faults.plan.to_dict(), "spec": core.faults.plan.to_spec()})

    async def mutate(request: web.Request) -> web.Response:
        try:
            body = await _body(request)
            resource, count = str(body["resource"]), int(body.get("count", 1))
        except (ValueError, TypeError, KeyError) as exc:
            return _error(f"bad mutate request: {exc!r}; expected {{resource, count}}")
        if resource not in core.provider.resources():
            return _error(
                f"unknown resource {resource!r}; one of {list(core.provider.resources())}"
            )
        ids = core.provider.mutate(resource, max(0, count))
        core.notify("mutate")
        return _json({"resource": resource, "ids": ids, "now": core.clock.now()})

    async def stats(request: web.Request) -> web.Response:
        return _json(core.stats.snapshot())

    async def stats_reset(request: web.Request) -> web.Response:
        core.stats.reset()
        return _json(core.stats.snapshot())

    async def truth(request: web.Request) -> web.StreamResponse:
        resource = request.query.get("resource", "")
        if resource not in core.provider.resources():
            return _error(
                f"unknown resource {resource!r}; one of {list(core.provider.resources())}"
            )
        try:
            since = float(request.query["since"]) if "since" in request.query else None
            records = iter(core.provider.truth(resource, since))
        except ValueError as exc:
            return _error(f"since: {exc}")
        response = web.StreamResponse(headers={"Content-Type": "application/x-ndjson"})
        await response.prepare(request)
        buffer = bytearray()
        for record in records:
            buffer += record if isinstance(record, bytes) else orjson.dumps(record)
            buffer += b"\n"
            if len(buffer) >= _CHUNK:
                await response.write(bytes(buffer))
                buffer.clear()
        await response.write(bytes(buffer))
        await response.write_eof()
        return response

    app.router.add_get("/_emulator/health", health)
    app.router.add_route("*", "/_emulator/clock", clock)
    app.router.add_route("*", "/_emulator/faults", faults)
    app.router.add_post("/_emulator/mutate", mutate)
    app.router.add_get("/_emulator/stats", stats)
    app.router.add_post("/_emulator/stats/reset", stats_reset)
    app.router.add_get("/_emulator/truth", truth)
