"""The webhook receiver process (``paysync webhooks serve``): an aiohttp app, Prefect-free.

Routes: ``POST /webhooks/smarterpay/{source}``, ``POST /webhooks/smart2pay/{source}``,
``GET /healthz``, ``GET /metrics`` (Prometheus text format). Checks in order, each answering
with an empty body: unknown source or provider 404, bad credentials 401, body over 1 MiB 413,
a body that is not a notification 400 (kept in ``paysync.rejects``). The Content-Type is not
checked: providers post notifications with another or none, so a body is judged by whether it
parses. 204 is sent only after the commit.
Records a body only names are fetched by a per-source worker draining the re-fetch queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time

import asyncpg
from aiohttp import web

from connectors.errors import ProviderError
from connectors.http import HttpClient, RetryPolicy
from connectors.registry import connector
from pipelines.errors import ConfigError
from pipelines.store.settings import Settings
from pipelines.sync.refetch import Fetcher, drain
from pipelines.sync.runs import RunLease, RunReport, finish_run
from pipelines.sync.service import open_pool
from pipelines.webhooks.limits import LIMITS, Limits, install_redaction
from pipelines.webhooks.observe import Observed
from pipelines.webhooks.receiver import Batcher, Hook, RejectedBody, make_hook, parse, store_reject

log = logging.getLogger("paysync.webhooks")
MAX_BODY = 1024 * 1024
HOOKS = web.AppKey("hooks", dict[tuple[str, str], Hook])
POOL = web.AppKey("pool", asyncpg.Pool)
FETCHERS: web.AppKey[Fetchers] = web.AppKey("fetchers")
BATCHER = web.AppKey("batcher", Batcher)
SETTINGS = web.AppKey("settings", Settings)
OBSERVED = web.AppKey("observed", Observed)
IDLE_POLL_S = 30.0  # the worker also looks at the queue this often without a wake-up


async def receive(request: web.Request) -> web.Response:
    """Answer one call and measure it (``GET /metrics``)."""
    started = time.monotonic()
    key = (request.match_info["provider"], request.match_info["source"])
    hook = request.app[HOOKS].get(key)
    response = await _receive(request, hook) if hook is not None else web.Response(status=404)
    source = hook.source.name if hook is not None else "(unknown)"  # paths are not labels
    request.app[OBSERVED].record(source, response.status, time.monotonic() - started)
    return response


async def metrics(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS]
    try:
        text = await request.app[OBSERVED].exposition(request.app[POOL], settings)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        log.warning("metrics: database unreachable: %s", type(exc).__name__)
        return web.Response(status=503, text="database unreachable\n")
    return web.Response(text=text, content_type="text/plain", charset="utf-8",
                        headers={"X-Exposition-Format": "0.0.4"})  # fmt: skip


async def _receive(request: web.Request, hook: Hook) -> web.Response:
    if not hook.parser.verify(hook.source, request.headers):
        log.warning("webhook refused: bad credentials source=%s", hook.source.name)
        return web.Response(status=401)
    if (request.content_length or 0) > MAX_BODY:
        return web.Response(status=413)
    try:
        async with asyncio.timeout(request.app[LIMITS].body_s):
            raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413)
    except TimeoutError:
        log.warning("webhook refused: body not received within %ss source=%s",
                    request.app[LIMITS].body_s, hook.source.name)  # fmt: skip
        timeout = web.Response(status=408)
        timeout.force_close()  # the rest of the body is not waited for
        return timeout
    pool = request.app[POOL]
    try:
        note = parse(hook, raw)
        outcome = await request.app[BATCHER].submit(hook, note, raw)
    except (RejectedBody, asyncpg.DataError, asyncpg.ProgramLimitExceededError) as exc:
        await store_reject(pool, hook, raw, str(exc))
        log.warning("webhook rejected source=%s error=%s", hook.source.name, exc)
        return web.Response(status=400)
    if outcome == "fetched":
        request.app[FETCHERS].ensure(hook)
    log.info("webhook source=%s key=%s outcome=%s", hook.source.name, note.key, outcome)
    return web.Response(status=204)


async def healthz(request: web.Request) -> web.Response:
    try:
        async with request.app[POOL].acquire(timeout=5) as conn:
            await conn.fetchval("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError):
        return web.json_response({"status": "database unreachable"}, status=503)
    return web.json_response({"status": "ok", "sources": len(request.app[HOOKS])})


def make_app(
    pool: asyncpg.Pool, hooks: dict[tuple[str, str], Hook], fetchers: Fetchers,
    limits: Limits | None = None, settings: Settings | None = None,
) -> web.Application:  # fmt: skip
    """Call inside the running loop: it starts the batch writers (stopped on cleanup).
    ``settings``: the sources ``GET /metrics`` reports on (none: only this process's calls)."""
    app = web.Application(client_max_size=MAX_BODY)
    app[POOL], app[HOOKS], app[FETCHERS] = pool, hooks, fetchers
    app[LIMITS] = limits or Limits()
    app[SETTINGS] = settings or Settings.model_construct(sources=[])
    app[OBSERVED] = Observed()
    app[BATCHER] = Batcher(pool, writers=max(1, pool.get_max_size() // 2))

    async def stop_writers(app: web.Application) -> None:
        await app[BATCHER].close()

    app.on_cleanup.append(stop_writers)
    app.router.add_post("/webhooks/{provider:smarterpay|smart2pay}/{source}", receive)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


def make_runner(app: web.Application) -> web.AppRunner:
    """The runner with the limits a public endpoint needs: a connection that has not sent its
    request headers within ``header_s`` is closed (aiohttp's keep-alive timer runs from the
    connection's start), and parse errors are logged without the request's content."""
    install_redaction()
    limits = app[LIMITS]
    return web.AppRunner(
        app, access_log=None, shutdown_timeout=30, keepalive_timeout=limits.header_s,
        lingering_time=min(2.0, limits.body_s),  # unread body after a refusal: not 10 s more
    )  # fmt: skip


async def open_hooks(settings: Settings, pool: asyncpg.Pool) -> dict[tuple[str, str], Hook]:
    """One hook (and one ``sync_runs`` row of kind 'webhook') per source that takes webhooks."""
    hooks: dict[tuple[str, str], Hook] = {}
    lease = RunLease(pool)  # the runs' locks: a killed receiver's runs become 'abandoned'
    for source in settings.sources:
        conn_ = connector(source.provider)
        if conn_.webhook is None:
            continue
        source.require_secret()  # Basic auth (Smart2Pay) and fetch by id need it
        run_id = await lease.start("webhook", source.name, list(conn_.streams))
        hooks[(source.provider, source.name)] = make_hook(source, conn_, run_id)
        hooks[(source.provider, source.name)].lease = lease
        if source.provider == "smarterpay" and source.webhook_secret is None:
            log.warning(
                "source %s: no webhook secret (set webhook_secret_env and export it); "
                "its webhooks are refused with 401", source.name,
            )  # fmt: skip
    return hooks


async def close_hooks(
    pool: asyncpg.Pool, hooks: dict[tuple[str, str], Hook], outcome: str = "succeeded"
) -> None:
    async with pool.acquire() as conn:
        for hook in hooks.values():
            await finish_run(conn, hook.run_id, outcome, hook.counts)
    for lease in {id(h.lease): h.lease for h in hooks.values() if h.lease}.values():
        await lease.release()


async def refetch_worker(pool: asyncpg.Pool, hook: Hook, settings: Settings) -> None:
    """Fetch by id what webhooks queued (and whatever else waits for this source), forever."""
    source = hook.source
    client = HttpClient(
        source.name, source.base_url, hook.connector.auth_headers(source),
        concurrency=source.concurrency, requests_per_second=source.requests_per_second,
        ca_bundle=source.ca_bundle,
        policy=RetryPolicy(budget_s=settings.sync.retry_budget_seconds),
        secret_setting=f"the token in ${source.secret_env}",
    )  # fmt: skip
    report = RunReport(source.name, hook.run_id, counts=hook.counts)
    async with client as http:
        fetcher = Fetcher(pool, source.name, hook.connector, hook.sql, http, source.timezone)
        while True:
            hook.wake.clear()
            try:
                await drain(fetcher, report)
            except (ProviderError, OSError, asyncpg.PostgresError) as exc:
                log.error("source %s: fetching webhook records failed, retrying: %s",
                          source.name, exc)  # fmt: skip
                await asyncio.sleep(5)
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(hook.wake.wait(), IDLE_POLL_S)


class Fetchers:
    """A refetch worker per source, started when its webhooks first queue records by id (or at
    startup, when a previous process left some queued)."""

    def __init__(self, pool: asyncpg.Pool, settings: Settings) -> None:
        self.pool, self.settings = pool, settings
        self.tasks: dict[str, asyncio.Task[None]] = {}

    def ensure(self, hook: Hook) -> None:
        if hook.source.name not in self.tasks:
            task = asyncio.create_task(refetch_worker(self.pool, hook, self.settings))
            self.tasks[hook.source.name] = task

    async def resume(self, hooks: dict[tuple[str, str], Hook]) -> None:
        async with self.pool.acquire() as conn:
            for hook in hooks.values():
                if await conn.fetchval(
                    """SELECT EXISTS (SELECT 1 FROM paysync.refetch_queue
                       WHERE source = $1 AND reason = 'webhook')""",
                    hook.source.name,
                ):
                    self.ensure(hook)

    async def close(self) -> None:
        for task in self.tasks.values():
            task.cancel()
        await asyncio.gather(*self.tasks.values(), return_exceptions=True)


async def serve(settings: Settings, host: str, port: int, limits: Limits | None = None) -> None:
    """Run until SIGTERM/SIGINT (or cancellation); in-flight calls finish first."""
    pool = await open_pool(settings, settings.database.pool_size)
    hooks = await open_hooks(settings, pool)
    fetchers = Fetchers(pool, settings)
    await fetchers.resume(hooks)
    runner = make_runner(make_app(pool, hooks, fetchers, limits, settings))
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    outcome = "failed"  # a receiver that could not bind (or crashed) did not succeed
    try:
        try:
            await web.TCPSite(runner, host, port).start()
        except OSError as exc:
            raise ConfigError(
                f"webhook receiver: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                "is another process using the port? choose another with --port"
            ) from None
        log.info("webhook receiver listening on http://%s:%s (%d sources)", host, port, len(hooks))
        await stop.wait()
        outcome = "succeeded"
    finally:
        await runner.cleanup()
        await fetchers.close()
        await close_hooks(pool, hooks, outcome)
        await pool.close()
