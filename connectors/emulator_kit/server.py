"""Run an emulator's aiohttp app: HTTPS from a throwaway `trustme` CA, plain-HTTP detection on
the TLS port, the startup banner the test helpers parse, graceful stop on SIGINT/SIGTERM.

Banner (flushed, one per line): `base_url: <url>`, credential lines (`token: ...`),
`ca: <path or ->`, `ready`.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import ssl
import sys
import tempfile
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TextIO

import trustme
from aiohttp import web

PlainHttpHandler = Callable[[web.BaseRequest], Awaitable[web.StreamResponse]]
_TLS_HANDSHAKE = 0x16
_PEEK_TIMEOUT = 30.0


async def _default_plain_http(request: web.BaseRequest) -> web.StreamResponse:
    return web.Response(status=400, text="TLS required\n")


def make_tls(host: str) -> tuple[ssl.SSLContext, str]:
    """A fresh CA and a server certificate for host/localhost; returns (context, CA PEM path)."""
    ca = trustme.CA()
    names = sorted({host, "127.0.0.1", "localhost", "::1"} - {"0.0.0.0", ""})
    cert = ca.issue_cert(*names)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    fd, path = tempfile.mkstemp(prefix="paysync-emulator-ca-", suffix=".pem")
    os.close(fd)
    ca.cert_pem.write_to_path(path)
    return ctx, path


@dataclass
class RunningServer:
    base_url: str
    host: str
    port: int
    ca_path: str | None
    _runner: web.AppRunner
    _closers: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def close(self) -> None:
        for closer in self._closers:
            with contextlib.suppress(Exception):
                await closer()
        await self._runner.cleanup()
        if self.ca_path:
            with contextlib.suppress(OSError):
                os.unlink(self.ca_path)


async def _wait_readable(loop: asyncio.AbstractEventLoop, conn: socket.socket) -> None:
    fut: asyncio.Future[None] = loop.create_future()

    def readable() -> None:
        if not fut.done():
            fut.set_result(None)

    loop.add_reader(conn.fileno(), readable)
    try:
        await asyncio.wait_for(fut, _PEEK_TIMEOUT)
    finally:
        loop.remove_reader(conn.fileno())


async def _dispatch(conn: socket.socket, ctx: ssl.SSLContext, tls_factory, plain_factory) -> None:
    """Peek the first byte: a TLS handshake goes to the app, anything else to the plain handler."""
    loop = asyncio.get_running_loop()
    try:
        await _wait_readable(loop, conn)
        first = conn.recv(1, socket.MSG_PEEK)
        if not first:
            conn.close()
            return
        if first[0] == _TLS_HANDSHAKE:
            await loop.connect_accepted_socket(tls_factory, conn, ssl=ctx)
        else:
            await loop.connect_accepted_socket(plain_factory, conn)
    except (OSError, TimeoutError, ssl.SSLError):
        conn.close()


async def _accept_loop(lsock: socket.socket, ctx, tls_factory, plain_factory) -> None:
    loop = asyncio.get_running_loop()
    tasks: set[asyncio.Task[None]] = set()
    while True:
        conn, _ = await loop.sock_accept(lsock)
        conn.setblocking(False)
        task = loop.create_task(_dispatch(conn, ctx, tls_factory, plain_factory))
        tasks.add(task)
        task.add_done_callback(tasks.discard)


async def start_server(
    app: web.Application,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = True,
    plain_http_handler: PlainHttpHandler | None = None,
) -> RunningServer:
    """Start serving in the running loop; port 0 picks a free port (see `.port`)."""
    runner = web.AppRunner(app, handle_signals=False, access_log=None)
    await runner.setup()
    if not tls:
        site = web.TCPSite(runner, host, port)
        await site.start()
        real_port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return RunningServer(f"http://{_url_host(host)}:{real_port}", host, real_port, None, runner)
    ctx, ca_path = make_tls(host)
    plain_server = web.Server(plain_http_handler or _default_plain_http, access_log=None)
    lsock = socket.create_server((host, port), backlog=512, reuse_port=False)
    lsock.setblocking(False)
    real_port = lsock.getsockname()[1]
    accept = asyncio.get_running_loop().create_task(
        _accept_loop(lsock, ctx, runner.server, plain_server)
    )

    async def stop_accepting() -> None:
        accept.cancel()
        lsock.close()
        await plain_server.shutdown(1.0)

    running = RunningServer(
        f"https://{_url_host(host)}:{real_port}", host, real_port, ca_path, runner
    )
    running._closers.append(stop_accepting)
    return running


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", ""):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def serve_forever(
    app: web.Application,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    tls: bool = True,
    credentials: Sequence[tuple[str, str]] = (),
    plain_http_handler: PlainHttpHandler | None = None,
    out: TextIO | None = None,
) -> None:
    """Start, print the banner, serve until SIGINT/SIGTERM, then shut down cleanly."""
    asyncio.run(_serve(app, host, port, tls, credentials, plain_http_handler, out or sys.stdout))


async def _serve(app, host, port, tls, credentials, plain_http_handler, out: TextIO) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    running = await start_server(
        app, host=host, port=port, tls=tls, plain_http_handler=plain_http_handler
    )
    try:
        lines = [f"base_url: {running.base_url}"]
        lines += [f"{key}: {value}" for key, value in credentials]
        lines += [f"ca: {running.ca_path or '-'}", "ready"]
        print("\n".join(lines), file=out, flush=True)
        await stop.wait()
    finally:
        await running.close()
