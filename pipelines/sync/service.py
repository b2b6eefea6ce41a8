"""Entry points shared by the CLI and the Prefect flows: run syncs for configured sources."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import asyncpg

from connectors.http import HttpClient, RetryPolicy
from connectors.registry import connector
from pipelines.errors import ConfigError
from pipelines.store import db
from pipelines.store.schema import require_current
from pipelines.store.settings import Settings, SourceBase
from pipelines.sync.engine import SourceSync
from pipelines.sync.plan import StreamPlan, SyncRequest, day_start, plan_stream
from pipelines.sync.runs import Progress, RunReport


def select_sources(settings: Settings, name: str | None) -> list[SourceBase]:
    if name is not None:
        return [settings.source(name)]
    if not settings.sources:
        raise ConfigError(f"no [[sources]] configured in {settings.where}; add one (see README)")
    return list(settings.sources)


def check_streams(source: SourceBase, streams: Sequence[str] | None) -> tuple[str, ...] | None:
    if not streams:
        return None
    known = connector(source.provider).streams
    unknown = [s for s in streams if s not in known]
    if unknown:
        raise ConfigError(
            f"unknown stream {', '.join(unknown)} for source {source.name!r} "
            f"({source.provider}); known: {', '.join(known)}"
        )
    return tuple(streams)


async def open_pool(settings: Settings, size: int) -> asyncpg.Pool:
    """A pool on a database at this paysync's schema version; never migrates (the role running
    syncs may not change the schema: `paysync db migrate` does, as the owner)."""
    url = db.database_url(settings.database)
    conn = await db.connect(url)
    try:
        await require_current(conn)
    finally:
        await conn.close()
    return await db.create_pool(url, size)


async def sync(
    settings: Settings,
    request: SyncRequest,
    source: str | None = None,
    streams: Sequence[str] | None = None,
    progress: Progress | None = None,
) -> list[RunReport]:
    """Sync the chosen sources concurrently; each source is one run."""
    sources = select_sources(settings, source)
    plans = [(s, check_streams(s, streams)) for s in sources]
    for s, _ in plans:
        s.require_secret()
    # two windows a worker (one merging while the next pages: engine._worker), + each lease
    size = sum(2 * s.concurrency for s in sources) + 2 + len(sources)
    pool = await open_pool(settings, size)
    try:
        runs = [
            SourceSync(pool, s, connector(s.provider), settings.sync,
                       replace(request, streams=names), progress).run()
            for s, names in plans
        ]  # fmt: skip
        return list(await asyncio.gather(*runs))
    finally:
        await pool.close()


async def plan(
    settings: Settings,
    request: SyncRequest,
    source: str | None = None,
    streams: Sequence[str] | None = None,
) -> list[tuple[str, StreamPlan]]:
    """What ``sync`` would read, per (source, stream), from the ledger alone: no provider call,
    nothing written (``paysync sync --plan``). The same planning the engine does; window sizes
    adapt while a run reads, so intervals are listed, not their windows."""
    now = request.as_of or datetime.now(UTC)
    url = db.database_url(settings.database)
    conn = await db.connect(url)
    try:
        await require_current(conn)
        found = []
        for s in select_sources(settings, source):
            names = check_streams(s, streams) or tuple(connector(s.provider).streams)
            for name in names:
                spec = connector(s.provider).streams[name]
                stream_plan = await plan_stream(
                    conn, s.name, spec, request, day_start(s.start_date), now,
                    timedelta(seconds=settings.sync.lag_seconds),
                    timedelta(days=s.lookback_days),
                )  # fmt: skip
                if stream_plan is not None:
                    found.append((s.name, stream_plan))
        return found
    finally:
        await conn.close()


async def probe(settings: Settings, source: SourceBase, budget_s: float = 10.0) -> int:
    """One GET of the source's first windowed stream (its last hour) with the configured
    credentials: the number of records answered; a ProviderError says what is wrong
    (``paysync check``). Nothing is written."""
    conn = connector(source.provider)
    spec = next(s for s in conn.streams.values() if s.window is not None and not s.parent)
    params = {**spec.extra_params, **spec.paginator.first(spec.page_size)}
    assert spec.window is not None
    end = datetime.now(UTC)
    params[spec.window.start_param] = spec.window.format(end - timedelta(hours=1))
    params[spec.window.end_param] = spec.window.format(end)
    client = HttpClient(
        source.name, source.base_url, conn.auth_headers(source), ca_bundle=source.ca_bundle,
        policy=RetryPolicy(budget_s=min(budget_s, settings.sync.retry_budget_seconds)),
        secret_setting=f"the token in ${source.secret_env}",
    )  # fmt: skip
    async with client:
        body = await client.get_json(spec.path, params)
    items = body.get(spec.envelope)
    return len(items) if isinstance(items, list) else 0
