"""The webhook receiver process (``paysync webhooks serve``): an aiohttp app, Prefect-free.

Routes: ``POST /webhooks/smarterpay/{source}``, ``POST /webhooks/smart2pay/{source}``,
``GET /healthz``. Checks in order, each answering with an empty body: unknown source or
provider 404, bad credentials 401, body over 1 MiB 413, a body that is not a notification 400
(kept in ``paysync.rejects``). The Content-Type is not checked: providers post notifications
with another or none (issue 14), so a body is judged by whether it parses. 204 is sent only after the commit.
Records a body only names are fetched by a per-source worker draining the re-fetch queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

import asyncpg
from aiohttp import web

from connectors.errors import ProviderError
from connectors.http import HttpClient, RetryPolicy
from connectors.registry import connector
from pipelines.store.settings import Settings
from pipelines.sync.refetch import Fetcher, drain
from pipelines.sync.runs import RunReport, finish_run, start_run
from pipelines.sync.service import open_pool
from pipelines.webhooks.receiver import Batcher, Hook, RejectedBody, make_hook, parse, store_reject

log = logging.getLogger("paysync.webhooks")
MAX_BODY = 1024 * 1024
HOOKS = web.AppKey("hooks", dict[tuple[str, str], Hook])
POOL = web.AppKey("pool", asyncpg.Pool)
FETCHERS: web.AppKey[Fetchers] = web.AppKey("fetchers")
BATCHER = web.AppKey("batcher", Batcher)
IDLE_POLL_S = 30.0  # the worker also looks at the queue this often without a wake-up


async def receive(request: web.Request) -> web.Response:
    key = (request.match_info["provider"], request.match_info["source"])
    hook = request.app[HOOKS].get(key)
    if hook is None:
        return web.Response(status=404)
    if not hook.parser.verify(hook.source, request.headers):
        log.warning("webhook refused: bad credentials source=%s", hook.source.name)
        return web.Response(status=401)
    if (request.content_length or 0) > MAX_BODY:
        return web.Response(status=413)
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        return web.Response(status=413)
    pool = request.app[POOL]
    try:
        note = parse(hook, raw)
        outcome = await request.app[BATCHER].submit(hook, note, raw)
    except (RejectedBody, asyncpg.DataError) as exc:
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
    pool: asyncpg.Pool, hooks: dict[tuple[str, str], Hook], fetchers: Fetchers
) -> web.Application:
    """Call inside the running loop: it starts the batch writers (stopped on cleanup)."""
    app = web.Application(client_max_size=MAX_BODY)
    app[POOL], app[HOOKS], app[FETCHERS] = pool, hooks, fetchers
    app[BATCHER] = Batcher(pool, writers=max(1, pool.get_max_size() // 2))

    async def stop_writers(app: web.Application) -> None:
        await app[BATCHER].close()

    app.on_cleanup.append(stop_writers)
    app.router.add_post("/webhooks/{provider:smarterpay|smart2pay}/{source}", receive)
    app.router.add_get("/healthz", healthz)
    return app


async def open_hooks(settings: Settings, pool: asyncpg.Pool) -> dict[tuple[str, str], Hook]:
    """One hook (and one ``sync_runs`` row of kind 'webhook') per source that takes webhooks."""
    hooks: dict[tuple[str, str], Hook] = {}
    for source in settings.sources:
        conn_ = connector(source.provider)
        if conn_.webhook is None:
            continue
        source.require_secret()  # Basic auth (Smart2Pay) and fetch by id need it
        async with pool.acquire() as conn:
            run_id = await start_run(conn, "webhook", source.name, list(conn_.streams))
        hooks[(source.provider, source.name)] = make_hook(source, conn_, run_id)
        if source.provider == "smarterpay" and source.webhook_secret is None:
            log.warning(
                "source %s: no webhook secret (set webhook_secret_env and export it); "
                "its webhooks are refused with 401", source.name,
            )  # fmt: skip
    return hooks


async def close_hooks(pool: asyncpg.Pool, hooks: dict[tuple[str, str], Hook]) -> None:
    async with pool.acquire() as conn:
        for hook in hooks.values():
            await finish_run(conn, hook.run_id, "succeeded", hook.counts)


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


async def serve(settings: Settings, host: str, port: int) -> None:
    """Run until SIGTERM/SIGINT (or cancellation); in-flight calls finish first."""
    pool = await open_pool(settings, settings.database.pool_size)
    hooks = await open_hooks(settings, pool)
    fetchers = Fetchers(pool, settings)
    await fetchers.resume(hooks)
    runner = web.AppRunner(make_app(pool, hooks, fetchers), access_log=None, shutdown_timeout=30)
    await runner.setup()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    try:
        await web.TCPSite(runner, host, port).start()
        log.info("webhook receiver listening on http://%s:%s (%d sources)", host, port, len(hooks))
        await stop.wait()
    finally:
        await runner.cleanup()
        await fetchers.close()
        await close_hooks(pool, hooks)
        await pool.close()
