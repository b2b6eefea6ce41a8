"""Transport-level faults: connection resets and truncated bodies."""

from __future__ import annotations

import contextlib
import socket
import struct

from aiohttp import web

from connectors.emulator_kit.stats import OUTCOME_KEY


def reset_connection(request: web.Request) -> web.Response:
    """Abort with RST (SO_LINGER 0) so the client sees a reset, not a clean close."""
    request[OUTCOME_KEY] = "reset"
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    return web.Response(status=500)


async def send_truncated(request: web.Request, response: web.Response) -> web.StreamResponse:
    """Announce the full Content-Length, send half the body, then drop the connection."""
    request[OUTCOME_KEY] = "truncated"
    raw = response.body or b""
    if not isinstance(raw, (bytes, bytearray)):  # a streaming Payload has no bytes to halve
        raise TypeError(f"cannot truncate a {type(raw).__name__} body")
    body = bytes(raw)
    stream = web.StreamResponse(status=response.status, headers=response.headers)
    stream.content_length = len(body)
    with contextlib.suppress(ConnectionError, RuntimeError):
        await stream.prepare(request)
        await stream.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.abort()
    return stream
