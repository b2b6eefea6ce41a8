"""The aiohttp app: case-insensitive routing under /service.svc/, then in order: latency,
resets, maintenance (503), injected errors, Bearer auth (498), Content-Type, idempotency,
the handler, truncation. Any unexpected exception becomes a 500 in the provider's error
shape (never a traceback on the wire)."""

from __future__ import annotations

import asyncio
import sys
import traceback

from aiohttp import web

from connectors.emulator_kit.admin import add_admin_routes
from connectors.emulator_kit.stats import ADMIN_PREFIX, ENDPOINT_KEY, stats_middleware
from connectors.smarterpay.emulator import reads, validations, writes
from connectors.smarterpay.emulator.errors import ApiError, error_response
from connectors.smarterpay.emulator.resources import DETAIL_PATHS, LIST_PATHS
from connectors.smarterpay.emulator.state import Emulator
from connectors.smarterpay.emulator.transport import reset_connection, send_truncated

BASE = "service.svc"
JSON_TYPES = ("application/json", "application/vnd.api+json")


def route(method: str, segments: list[str]) -> str:
    """The endpoint label for stats and idempotency scope, e.g. `GET payment/{id}`."""
    shape = [
        segments[0].lower(),
        *("{id}" if k == 1 else s.lower() for k, s in enumerate(segments[1:], 1)),
    ]
    return f"{method} {'/'.join(shape)}"


def _segments(request: web.Request) -> list[str]:
    parts = [p for p in request.path.split("/") if p]
    if not parts or parts[0].lower() != BASE:
        raise ApiError(404, "unknown path; the API lives under /service.svc/")
    if len(parts) == 1:
        raise ApiError(404, "no resource given")
    return parts[1:]


async def dispatch(emu: Emulator, request: web.Request, segs: list[str]) -> web.StreamResponse:
    head, method = segs[0].lower(), request.method
    if method == "GET":
        if len(segs) == 1 and head in LIST_PATHS:
            return reads.list_records(emu, request, head)
        if len(segs) == 2 and head in DETAIL_PATHS:
            return reads.detail(emu, request, head, segs[1])
        if len(segs) == 2 and head == validations.NAME:
            return reads.validation(emu, segs[1])
        if len(segs) == 1 and head in DETAIL_PATHS:
            raise ApiError(405, f"GET needs an id: {head}/{{ID}}")
    elif method in ("POST", "PUT", "DELETE"):
        return await writes.handle(emu, request, method, [head, *segs[1:]])
    if head in LIST_PATHS or head in DETAIL_PATHS or head in writes.WRITE_ONLY:
        raise ApiError(405, f"{method} is not supported on {head}")
    raise ApiError(404, f"unknown resource {segs[0]!r}")


def _authorised(emu: Emulator, request: web.Request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and token.strip() == emu.options.token


def provider_middleware(emu: Emulator):
    @web.middleware
    async def middleware(request: web.Request, handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        faults = emu.core.faults.decider.next_request()
        request[reads.FAULTS_KEY] = faults
        try:
            segs = _segments(request)
            request[ENDPOINT_KEY] = route(request.method, segs)
            if faults.latency_s > 0:
                await asyncio.sleep(faults.latency_s)
            if faults.reset:
                return reset_connection(request)
            plan = emu.core.faults.plan
            retry = {
                "Retry-After": str(
                    int(plan.retry_after) if plan.retry_after.is_integer() else plan.retry_after
                )
            }
            if plan.in_maintenance(emu.clock.now()):
                raise ApiError(503, "The API is in maintenance mode; try again later.", retry)
            if faults.status:
                headers = retry if faults.status in (429, 503) else {}
                raise ApiError(faults.status, "injected fault", headers)
            if not _authorised(emu, request) or faults.token_expired:
                raise ApiError(498, "The bearer token is missing, invalid or expired.")
            response = await dispatch(emu, request, segs)
        except ApiError as exc:
            response = error_response(exc.status, exc.description, exc.headers)
        except (asyncio.CancelledError, web.HTTPException):
            raise
        except Exception:
            traceback.print_exc(file=sys.stderr)
            response = error_response(500, "An unexpected condition was encountered.")
        if faults.truncate and isinstance(response, web.Response):
            return await send_truncated(request, response)
        return response

    return middleware


async def _not_reached(request: web.Request) -> web.StreamResponse:
    return error_response(404, "unknown path")  # only unknown /_emulator/ paths get here


def build_app(emu: Emulator) -> web.Application:
    app = web.Application(
        middlewares=[stats_middleware(emu.core.stats), provider_middleware(emu)],
        client_max_size=4 * 1024 * 1024,
    )
    add_admin_routes(app, emu.core)
    app.router.add_route("*", "/{tail:.*}", _not_reached)
    return app


__all__ = ["JSON_TYPES", "build_app"]
