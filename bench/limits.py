"""The limits of this machine, measured in the same run as the syncs they bound.

(a) fetch-only: page every window of every stream as the engine would (same windows, same
    concurrency, same client) and discard the records;
(b) load-only: COPY + merge rows already in memory into an empty database;
(c) parse+validate only: page bodies already in memory through orjson and the models.
(b) and (c) use a sample of the pages (a) fetched (every k-th page), so the mix of streams is
the backfill's.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson

from connectors.http import HttpClient
from connectors.registry import connector
from connectors.streams import StreamSpec
from pipelines.load import loader
from pipelines.load.merge_sql import build
from pipelines.load.records import Page, split_page
from pipelines.store import db
from pipelines.store.settings import SourceBase
from pipelines.sync.plan import day_start
from pipelines.sync.runs import start_run
from pipelines.sync.window import WindowSizer

Sampled = tuple[str, StreamSpec, bytes]  # provider, stream, page body


@dataclass
class Fetched:
    records: int = 0
    pages: int = 0
    requests: int = 0
    seconds: float = 0.0
    sample: list[Sampled] = field(default_factory=list)


async def fetch_only(
    sources: list[tuple[SourceBase, tuple[str, ...] | None]],
    as_of: datetime,
    keep_every: int,
    lag: timedelta = timedelta(seconds=120),
) -> Fetched:
    """(a): every source at once, as one sync run would read them."""
    out = Fetched()
    started = time.perf_counter()
    await asyncio.gather(*(_fetch_source(s, names, as_of - lag, keep_every, out)
                           for s, names in sources))  # fmt: skip
    out.seconds = time.perf_counter() - started
    return out


async def _fetch_source(
    source: SourceBase, names: tuple[str, ...] | None, end: datetime, keep: int, out: Fetched
) -> None:
    conn = connector(source.provider)
    specs = [conn.streams[n] for n in names or conn.streams]
    jobs = _Jobs(specs, day_start(source.start_date), end)
    client = HttpClient(
        source.name, source.base_url, conn.auth_headers(source),
        concurrency=source.concurrency, ca_bundle=source.ca_bundle,
    )  # fmt: skip
    async with client:
        await asyncio.gather(*(_fetch_worker(client, jobs, keep, out, source.provider)
                               for _ in range(source.concurrency)))  # fmt: skip


class _Jobs:
    """Windows handed out round robin, cut by each stream's own sizer (as the engine does)."""

    def __init__(self, specs: list[StreamSpec], start: datetime, end: datetime) -> None:
        self.sizers = {s.name: WindowSizer(timedelta(days=7)) for s in specs}
        self.iters = {
            s.name: iter([None]) if s.window is None else self.sizers[s.name].cut([(start, end)])
            for s in specs
            if not s.parent
        }
        self.specs = {s.name: s for s in specs if not s.parent}
        self.children = [s for s in specs if s.parent]
        self.order = list(self.specs)

    def next(self) -> tuple[StreamSpec, Any] | None:
        while self.order:
            name = self.order.pop(0)
            window = next(self.iters[name], StopIteration)
            if window is StopIteration:
                continue
            self.order.append(name)
            return self.specs[name], window
        return None


async def _fetch_worker(
    client: HttpClient, jobs: _Jobs, keep: int, out: Fetched, provider: str
) -> None:
    while (job := jobs.next()) is not None:
        spec, window = job
        first = {**spec.extra_params, **spec.paginator.first(spec.page_size)}
        if window is not None and spec.window is not None:
            first[spec.window.start_param] = spec.window.format(window[0])
            first[spec.window.end_param] = spec.window.format(window[1])
        params: dict[str, str] | None = first
        pages = items_seen = 0
        while params is not None:
            body = await client.get_json(spec.path, params)
            items = body.get(spec.envelope) or []
            pages, items_seen = pages + 1, len(items)
            out.pages += 1
            out.requests += 1
            out.records += len(items)
            if items and out.pages % keep == 0:
                out.sample.append((provider, spec, orjson.dumps(body)))
            params = spec.paginator.next(params, len(items), body)
            await _hydrate(client, jobs, spec, items, out)
        jobs.sizers[spec.name].feedback(pages, items_seen, spec.page_size)


async def _hydrate(
    client: HttpClient, jobs: _Jobs, spec: StreamSpec, items: list[Any], out: Fetched
) -> None:
    """The requests a first load makes per listed record: its detail (hydrated streams) and its
    children (refunds per payment), so the limit fetches what the sync must fetch."""
    ids = [spec.record_id(item) for item in items]
    details = [spec.detail_path] if spec.hydrate and spec.detail_path else []
    children = [c for c in jobs.children if c.parent == spec.name and c.child_path]
    calls = [client.get_json(path.format(id=i)) for path in details for i in ids]
    out.requests += len(calls)
    await asyncio.gather(*calls)
    for child in children:
        bodies = await asyncio.gather(*(client.get_json(str(child.child_path).format(id=i))
                                        for i in ids))  # fmt: skip
        out.requests += len(bodies)
        out.records += sum(len(b.get(child.envelope) or []) for b in bodies)


def parse_validate(sample: list[Sampled]) -> tuple[int, float]:
    """(c): records through orjson + the page model + COPY rows; (records, seconds)."""
    records = 0
    started = time.perf_counter()
    for _, spec, body in sample:
        rows, rejects, _ = split_page(spec, orjson.loads(body)[spec.envelope])
        records += len(rows) + len(rejects)
    return records, time.perf_counter() - started


async def load_only(
    url: str, sample: list[Sampled], source: str, workers: int = 4,
    pages_per_window: int = 8,
) -> tuple[int, float]:  # fmt: skip
    """(b): pre-built rows COPY+merged, one transaction per window of pages, ``workers`` at once
    (the engine's shape); (records, seconds)."""
    batches: dict[str, list[list[list[tuple[str, str]]]]] = {}
    specs: dict[str, tuple[StreamSpec, str]] = {}
    for provider, spec, body in sample:
        rows = split_page(spec, orjson.loads(body)[spec.envelope]).rows
        specs[spec.name + provider] = (spec, provider)
        windows = batches.setdefault(spec.name + provider, [[]])
        if len(windows[-1]) >= pages_per_window:
            windows.append([])
        windows[-1].append(_unique(spec.name + provider, rows))
    queue = [(k, w) for k, ws in batches.items() for w in ws]
    sql = {k: (spec, build(provider, spec)) for k, (spec, provider) in specs.items()}
    records = sum(len(p) for _, w in queue for p in w)
    pool = await db.create_pool(url, workers + 1)
    try:
        async with pool.acquire() as conn:
            run_id = await start_run(conn, "backfill", source, sorted(batches))
        started = time.perf_counter()
        await asyncio.gather(
            *(_load_worker(pool, queue, sql, source, run_id) for _ in range(workers))
        )
        return records, time.perf_counter() - started
    finally:
        await pool.close()


_seen: set[tuple[str, str]] = set()


def _unique(stream: str, rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Sampled pages never overlap, but stay safe: a repeated id would be an update."""
    fresh = [r for r in rows if (stream, r[0]) not in _seen]
    _seen.update((stream, r[0]) for r in fresh)
    return fresh


async def _load_worker(
    pool: Any, queue: list[Any], sql: dict[str, Any], source: str, run_id: int
) -> None:
    while queue:
        key, pages = queue.pop()
        spec, stream_sql = sql[key]
        target = loader.Target(source, spec, stream_sql, run_id)

        async def stream(pages: list[Any] = pages) -> Any:
            for rows in pages:
                yield Page(rows, [], datetime.now(UTC))

        result = loader.LoadResult()
        async with pool.acquire() as conn, conn.transaction():
            await loader.stage_pages(conn, target, stream(), result)
            await loader.merge_stage(conn, target, result)
