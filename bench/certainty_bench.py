"""``make bench``'s cost of certainty (issue 14): the list requests the full backfill and the
idle incremental made, against paging that trusts every short page over the same windows; and
the backfill once the source's page sizes are learned (the issue's measure: "once a source's
page sizes are learned, an idle incremental run makes no more requests than today, and a 1M
backfill under 2% more"), run again into a fresh database holding only ``paysync.page_sizes``.

Both sides are counted by the emulators (``/_emulator/stats``), not by paysync. The verifying
side is the bench's own backfill and idle run (``scenarios.backfill_rows``), stats reset before
each. The trusting side is a fetch-only loop written here, independent of the pager: after the
idle run, before anything changes, it pages every window the sync's ledger
(``paysync.sync_windows``) says each run read, plus each whole list once a run, with the
documented page size and filters exactly the window (widened only as the spec says, UTC as
the bench's sources), and stops at the first page the paginator calls the last; pages are
requested ahead as the sync does (``ahead.Ahead`` as deep as ``ahead.pages_left`` estimates:
scheduling, not verification), so guesses dropped unread cost both sides alike. Only the list
endpoints it used are compared, so fetches by id (hydration, children) count on neither side.

Requests include pages the sync requested ahead and dropped unread (``ahead.Ahead``): their
number depends on how many windows are open while others merge, which the fetch-only loop
(no database) does not reproduce. The pages read through to the end are compared as well
(``pages_*``: the ledger's ``pages`` against the loop's), which counts every confirming, tie
and re-read page but no page dropped, nor the one probe per stream (at most one a stream and
source, ever: ``pipelines/sync/pager.py``). ``bench/certainty.py`` breaks the difference down.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from bench.env import secrets_env, source_config
from bench.procs import run_sync
from bench.scenarios import SP_STREAMS, World, row
from connectors.emulator_kit.testing import RunningEmulator
from connectors.fields import second_of
from connectors.http import HttpClient
from connectors.registry import connector
from connectors.streams import StreamSpec
from pipelines.store.settings import Smart2PaySource, SmarterPaySource, SourceBase
from pipelines.sync.ahead import Ahead, Lanes, pages_left

Window = tuple[datetime, datetime] | None  # None: the whole list
Job = tuple[str, Window, int]  # stream, window, pages the sync consumed for it (0: whole list)
# backfill: the first of a new source, what it learns of the servers included; learned: the
# same backfill into a fresh database holding only what the first learned (paysync.page_sizes:
# page sizes, paging generation, where pages count from), as a second source of the same
# merchant, a rebuilt database or a full backfill after a range change reads; idle: the
# incremental run after the first backfill, nothing new
PHASES = ("backfill", "learned", "idle")


@dataclass
class Certainty:
    """Called by ``scenarios.backfill_rows`` after its backfill and after its idle run."""

    world: World
    # phase -> source -> endpoint -> requests the emulator saw from the sync
    synced: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    windows: dict[str, dict[str, list[Job]]] = field(default_factory=dict)
    # source -> endpoints of lists that never filled a page (their page size cannot be learned:
    # each run pays a confirming request for them, the README says why)
    unlearned: dict[str, set[str]] = field(default_factory=dict)
    result: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._emulators()  # the limit scenarios ran first: count the backfill alone

    def _emulators(self) -> dict[str, dict[str, int]]:
        seen = {}
        for name, emu in (("bacs", self.world.sp), ("cards", self.world.s2p)):
            seen[name] = {ep: sum(by.values()) for ep, by in emu.stats()["by_endpoint"].items()}
            emu.reset_stats()
        return seen

    def __call__(self, phase: str, url: str) -> None:
        self.synced[phase] = self._emulators()
        self.windows[phase] = asyncio.run(_read_windows(url, phase))
        self.unlearned = asyncio.run(_unlearned(url))
        if phase == "idle":  # the emulators still hold what both runs read: page it trusting
            self._learned_backfill(url)
            self.result = [self._compare(p) for p in PHASES]

    def _learned_backfill(self, url: str) -> None:
        """The backfill again, into a fresh database given only the first one's page sizes."""
        fresh = self.world.pg.fresh("learned")
        asyncio.run(_copy_page_sizes(url, fresh))
        run_sync(fresh, self.world.sources(), self.world.runs(), watch=self.world.watch())
        self.synced["learned"] = self._emulators()
        self.windows["learned"] = asyncio.run(_read_windows(fresh, "learned"))

    def _compare(self, phase: str) -> dict[str, Any]:
        started = time.perf_counter()
        listed, pages = asyncio.run(_trusting(self.world, self.windows[phase]))
        seconds = time.perf_counter() - started
        consumed = sum(j[2] for jobs in self.windows[phase].values() for j in jobs)
        trusting = self._emulators()
        per_stream, total, synced, learned, learned_synced = {}, 0, 0, 0, 0
        for source, endpoints in trusting.items():
            for endpoint, n in sorted(endpoints.items()):
                made = self.synced[phase][source].get(endpoint, 0)
                per_stream[f"{source} {endpoint}"] = {"trusting": n, "verifying": made}
                total, synced = total + n, synced + made
                if endpoint.split()[-1].lower() not in self.unlearned.get(source, set()):
                    learned, learned_synced = learned + n, learned_synced + made
        return row(
            f"certainty_{phase}", listed, seconds, requests=total, verifying_requests=synced,
            extra_pct=round(100 * (synced / total - 1), 2) if total else None,
            learned_requests=learned, learned_verifying_requests=learned_synced,
            unlearned={k: sorted(v) for k, v in self.unlearned.items()},
            # pages read through to the end, dated windows only (the sync's ledger against the
            # trusting loop): neither side counts pages requested ahead and dropped unread
            pages_trusting=pages, pages_verifying=consumed, per_endpoint=per_stream,
        )  # fmt: skip


async def _unlearned(url: str) -> dict[str, set[str]]:
    """The list endpoints whose page size the sync could not learn (never served a full page)."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch("SELECT source, stream FROM paysync.page_sizes WHERE proven < ask")
    finally:
        await conn.close()
    providers = {"bacs": "smarterpay", "cards": "smart2pay"}
    out: dict[str, set[str]] = {}
    for r in rows:
        spec = connector(providers[r["source"]]).streams[r["stream"]]
        out.setdefault(r["source"], set()).add(spec.path.rsplit("/", 1)[-1].lower())
    return out


async def _copy_page_sizes(source_url: str, target_url: str) -> None:
    source, target = await asyncpg.connect(source_url), await asyncpg.connect(target_url)
    try:
        rows = await source.fetch(
            "SELECT source, stream, ask, proven, generation, origin FROM paysync.page_sizes"
        )
        await target.copy_records_to_table(
            "page_sizes", schema_name="paysync", records=[tuple(r) for r in rows],
            columns=["source", "stream", "ask", "proven", "generation", "origin"],
        )  # fmt: skip
    finally:
        await source.close()
        await target.close()


async def _read_windows(url: str, phase: str) -> dict[str, list[Job]]:
    """The windows the phase's run read, by source (its ledger rows) and the whole lists."""
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """SELECT w.source, w.stream, w.window_start, w.window_end, w.pages
               FROM paysync.sync_windows w
               WHERE $1 <> 'idle' OR w.run_id = (
                   SELECT max(run_id) FROM paysync.sync_runs r WHERE r.source = w.source)
               ORDER BY 1, 2, 3""",
            phase,
        )  # fmt: skip
    finally:
        await conn.close()
    out: dict[str, list[Job]] = {}
    for r in rows:
        window = (r["window_start"], r["window_end"])
        out.setdefault(r["source"], []).append((r["stream"], window, r["pages"]))
    for source, provider, names in (
        ("bacs", "smarterpay", SP_STREAMS),
        ("cards", "smart2pay", None),
    ):
        specs = connector(provider).streams
        whole = [n for n in names or specs if specs[n].window is None and not specs[n].parent]
        out.setdefault(source, []).extend((n, None, 0) for n in whole)
    return out


def _source(world: World, name: str) -> SourceBase:
    emu: RunningEmulator = world.sp if name == "bacs" else world.s2p
    provider = "smarterpay" if name == "bacs" else "smart2pay"
    model = SmarterPaySource if name == "bacs" else Smart2PaySource
    source: SourceBase = model.model_validate(source_config(emu, provider, name, world.concurrency))
    source.set_secret(secrets_env()[source.secret_env])
    return source


async def _trusting(world: World, windows: dict[str, list[Job]]) -> tuple[int, int]:
    """(records listed, pages read through in dated windows)"""
    counts = await asyncio.gather(
        *(_trusting_source(_source(world, name), jobs) for name, jobs in windows.items())
    )
    return sum(c[0] for c in counts), sum(c[1] for c in counts)


async def _trusting_source(source: SourceBase, jobs: list[Job]) -> tuple[int, int]:
    specs = connector(source.provider).streams
    client = HttpClient(
        source.name, source.base_url, connector(source.provider).auth_headers(source),
        concurrency=source.concurrency, ca_bundle=source.ca_bundle,
    )  # fmt: skip
    # handed out as the engine does: one window of each stream in turn, oldest first (how
    # many windows are open at once decides how far pages are requested ahead)
    by_stream: dict[str, list[Job]] = {}
    for job in jobs:
        by_stream.setdefault(job[0], []).append(job)
    turns = itertools.zip_longest(*by_stream.values())
    queue = [job for turn in turns for job in turn if job is not None][::-1]
    lanes = Lanes(source.concurrency)
    listed = pages = 0

    async def worker() -> None:
        nonlocal listed, pages
        while queue:
            name, window, _ = queue.pop()
            found, read = await _page_trusting(client, lanes, specs[name], window)
            listed, pages = listed + found, pages + (read if window is not None else 0)

    async with client:
        await asyncio.gather(*(worker() for _ in range(source.concurrency)))
    return listed, pages


def _created(spec: StreamSpec, item: Any) -> datetime | None:
    """The creation second of a listed item, as the pager reads it (``Pager._second``)."""
    column = next((c for c in spec.columns if c.name == spec.cursor_column), None)
    if column is None or not isinstance(item, dict):
        return None
    return second_of(item.get(column.path[0]))


async def _page_trusting(
    client: HttpClient, lanes: Lanes, spec: StreamSpec, window: Window
) -> tuple[int, int]:
    """Page one window as before issue 14: a short page (or the last by totals) ends it.
    Pages are requested ahead as the sync requests them (``Ahead``, not the pager), so pages
    guessed ahead and dropped count on both sides alike."""
    params: dict[str, str] | None = {**spec.extra_params, **spec.paginator.first(spec.page_size)}
    span = None
    if window is not None and spec.window is not None:
        widen = timedelta(seconds=spec.window.widen_s)
        start, end = (w.astimezone(UTC) for w in window)
        span = (start - widen, end + widen)
        params = {
            **(params or {}),
            spec.window.start_param: spec.window.format(start - widen),
            spec.window.end_param: spec.window.format(end + widen),
        }
    listed = pages = 0
    ahead = Ahead(client, spec.path, spec.paginator, lanes)  # the sync's request scheduling
    try:
        while params is not None:
            body = await ahead.get(params)
            items = body.get(spec.envelope) or []
            listed, pages = listed + len(items), pages + 1
            params = spec.paginator.next(params, len(items), body)
            # as deep as the sync asks (its estimate of the pages left: scheduling, not proof)
            tail = _created(spec, items[-1]) if items and span and spec.cursor_order else None
            ahead.prefetch(params, pages_left(span, tail, listed, spec.page_size))
    finally:
        ahead.cancel()
    return listed, pages
