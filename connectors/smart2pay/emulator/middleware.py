"""Provider-path middleware: Basic auth, injected faults, and no traceback ever reaching a client.

The fault plan and decider come from the kit; applying them to an aiohttp request (latency,
maintenance, error statuses with Retry-After, connection resets, truncated bodies) lives here
because the kit has no middleware for it yet.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hmac
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from connectors.emulator_kit.admin import EmulatorCore
from connectors.emulator_kit.faults import RequestFaults
from connectors.emulator_kit.stats import ADMIN_PREFIX, OUTCOME_KEY
from connectors.smart2pay.emulator.errors import json_response, unauthorized

log = logging.getLogger("smart2pay.emulator")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
FAULTS_KEY = "s2p_faults"


def credentials_ok(header: str | None, site_id: int, api_key: str) -> bool:
    if not header or not header.lower().startswith("basic "):
        return False
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(decoded.encode(), f"{site_id}:{api_key}".encode())


def provider_middleware(core: EmulatorCore, site_id: int, api_key: str) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX):
            return await handler(request)
        faults = core.faults.decider.next_request()
        request[FAULTS_KEY] = faults
        if faults.latency_s:
            await asyncio.sleep(faults.latency_s)
        if core.faults.plan.in_maintenance(core.clock.now()):
            return _failure(503, faults, "Service unavailable - maintenance")
        if not credentials_ok(request.headers.get("Authorization"), site_id, api_key):
            return unauthorized()
        if faults.status is not None:
            return _failure(faults.status, faults, "Injected error")
        if faults.reset:
            request[OUTCOME_KEY] = "reset"
            if request.transport is not None:
                request.transport.abort()
            raise asyncio.CancelledError
        response = await _safe(handler, request)
        if faults.truncate and isinstance(response, web.Response) and response.body:
            request[OUTCOME_KEY] = "truncated"
            return await _truncated(request, response)
        return response

    return middleware


async def _safe(handler: Handler, request: web.Request) -> web.StreamResponse:
    try:
        return await handler(request)
    except web.HTTPException:
        raise
    except Exception:
        # Clients get the provider's generic 500; the traceback stays in our own log.
        log.exception("unhandled error on %s %s", request.method, request.path)
        return json_response({"Message": "An error has occurred."}, 500)


def _failure(status: int, faults: RequestFaults, message: str) -> web.Response:
    response = json_response({"Message": message}, status)
    if status in (429, 503):
        response.headers["Retry-After"] = str(int(faults.retry_after) or 1)
    return response


async def _truncated(request: web.Request, full: web.Response) -> web.StreamResponse:
    body = bytes(full.body)  # type: ignore[arg-type]
    stream = web.StreamResponse(status=full.status, headers=full.headers)
    stream.content_length = len(body)
    await stream.prepare(request)
    await stream.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return stream
