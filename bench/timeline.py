"""Where a latency-bound sync waits: a timeline of requests in flight and connections held.

python bench/timeline.py --concurrency 8 [--latency-ms 1000] [--days 28] [--every 0.25] [--requests]
    [--records 417000 --seed 5]   (--days 0: an incremental over the whole history)

One payments backfill, in this process, against an emulator with a fixed latency per request.
Every ``--every`` seconds it samples: requests on the wire (inside the client's semaphore),
requests waiting for a slot, database connections held from the pool, windows open. It prints
the samples and a summary (mean in flight ÷ concurrency is the efficiency the wait allows).
A diagnostic, not a scenario: the tool wraps the engine's methods to count, so nothing in
paysync carries instrumentation for it.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import env  # noqa: E402
from bench.syncproc import build_settings  # noqa: E402
from connectors.http import HttpClient  # noqa: E402
from pipelines.store import db  # noqa: E402
from pipelines.sync import engine, service  # noqa: E402
from pipelines.sync.plan import SyncRequest  # noqa: E402


class Probe:
    """Counters the wrapped methods keep up to date, sampled by a timer task."""

    def __init__(self) -> None:
        self.wanted = 0  # get_json calls started and not finished (waiting or on the wire)
        self.windows = 0
        self.pools: list[Any] = []
        self.clients: list[HttpClient] = []
        self.started = time.perf_counter()
        # (asked at, answered at, params, outcome) of every get_json: ``--requests`` prints it
        self.log: list[tuple[float, float, dict[str, str], str]] = []

    def install(self) -> None:
        probe = self
        original_get, original_window = HttpClient.get_json, engine.SourceSync.load_window
        original_pool = db.create_pool

        async def get_json(self: HttpClient, *args: Any, **kwargs: Any) -> Any:
            if self not in probe.clients:
                probe.clients.append(self)
            probe.wanted += 1
            asked, outcome = time.perf_counter() - probe.started, "ok"
            try:
                return await original_get(self, *args, **kwargs)
            except BaseException as exc:
                outcome = type(exc).__name__
                raise
            finally:
                probe.wanted -= 1
                params = dict(args[1] if len(args) > 1 else kwargs.get("params") or {})
                probe.log.append((asked, time.perf_counter() - probe.started, params, outcome))

        async def load_window(self: Any, *args: Any, **kwargs: Any) -> Any:
            probe.windows += 1
            try:
                return await original_window(self, *args, **kwargs)
            finally:
                probe.windows -= 1

        async def create_pool(*args: Any, **kwargs: Any) -> Any:
            pool = await original_pool(*args, **kwargs)
            probe.pools.append(pool)
            return pool

        HttpClient.get_json = get_json  # type: ignore[method-assign]
        engine.SourceSync.load_window = load_window  # type: ignore[method-assign]
        service.db.create_pool = create_pool  # type: ignore[attr-defined]

    def sample(self) -> tuple[int, int, int, int]:
        # The semaphore's free slots: what is on the wire = bound - free.
        on_wire = sum(c._semaphore._bound - c._semaphore._value for c in self.clients)  # type: ignore[attr-defined]
        held = sum(p.get_size() - p.get_idle_size() for p in self.pools)
        return on_wire, self.wanted - on_wire, held, self.windows


async def run(
    args: argparse.Namespace, emu: Any, url: str
) -> tuple[list[tuple[float, ...]], Probe]:
    probe = Probe()
    probe.install()
    # The semaphore's bound is not kept by asyncio: remember it on creation.
    original_init = HttpClient.__init__

    def init(self: HttpClient, *a: Any, **kw: Any) -> None:
        original_init(self, *a, **kw)
        self._semaphore._bound = kw.get("concurrency", 4)  # type: ignore[attr-defined]

    HttpClient.__init__ = init  # type: ignore[method-assign]
    now = emu.clock_now()
    end = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo) - timedelta(days=30)
    job = {
        "database_url": url,
        "sources": [env.source_config(emu, "smarterpay", "bacs", args.concurrency)],
    }
    import os

    os.environ.update(env.secrets_env())
    settings = build_settings(job)
    request = (
        SyncRequest(kind="backfill", range_from=end - timedelta(days=args.days), range_to=end,
                    as_of=now)
        if args.days
        else SyncRequest(kind="incremental", as_of=now)  # the whole history, as realapi reads it
    )  # fmt: skip
    samples: list[tuple[float, ...]] = []
    started = probe.started = time.perf_counter()
    task = asyncio.ensure_future(service.sync(settings, request, "bacs", ["payments"]))
    while not task.done():
        samples.append((time.perf_counter() - started, *probe.sample()))
        await asyncio.wait([task], timeout=args.every)
    report = task.result()[0]
    seconds = time.perf_counter() - started
    print(f"records {report.counts.records_read}, requests {report.counts.requests}, "
          f"{seconds:.1f} s, {report.counts.records_read / seconds:,.0f} rec/s")  # fmt: skip
    return samples, probe


def print_requests(probe: Probe) -> None:
    """One line a request: when asked and answered, the window and page it read."""
    print(f"{'asked_s':>8} {'done_s':>7} {'outcome':>16}  params")
    for asked, done, params, outcome in sorted(probe.log, key=lambda r: r[0]):
        shown = {k: v for k, v in params.items() if k not in ("sort",)}
        print(f"{asked:8.2f} {done:7.2f} {outcome:>16}  {shown}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--latency-ms", type=int, default=1000)
    parser.add_argument("--days", type=int, default=28)
    parser.add_argument("--every", type=float, default=0.25)
    parser.add_argument("--records", type=int, default=417_000, help="payments in the history")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--requests", action="store_true", help="print every request as well")
    args = parser.parse_args()
    pg = env.Postgres.start()
    emu = env.smarterpay(args.records, seed=args.seed, latency_ms=args.latency_ms)
    try:
        emu.clock_freeze(True)
        samples, probe = asyncio.run(run(args, emu, pg.fresh("timeline")))
    finally:
        emu.close()
    if args.requests:
        print_requests(probe)
    print(f"{'t_s':>7} {'on_wire':>8} {'waiting':>8} {'db_held':>8} {'windows':>8}")
    for t, wire, waiting, held, windows in samples:
        print(f"{t:7.2f} {wire:8d} {waiting:8d} {held:8d} {windows:8d}  " + "#" * int(wire))
    busy = [s[1] for s in samples]
    print(f"mean on the wire {statistics.fmean(busy):.2f} of {args.concurrency} "
          f"({statistics.fmean(busy) / args.concurrency:.2f}); "
          f"mean db connections held {statistics.fmean(s[3] for s in samples):.2f}")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
