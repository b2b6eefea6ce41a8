"""What the receiver measures in its own process for ``GET /metrics``: calls answered per
source and status, and how long answering took (a histogram), next to the database figures
(``pipelines.sync.metrics``), which are read at most every ``CACHE_S`` seconds so that a
frequent scrape does not count the stream tables each time."""

from __future__ import annotations

import bisect
import time
from collections import Counter
from dataclasses import dataclass, field

import asyncpg

from pipelines.store.settings import Settings
from pipelines.sync.metrics import Metric, collect, render

# Seconds; a provider wants its answer within 30 s (Smart2Pay), so the top buckets matter.
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
CACHE_S = 15.0


@dataclass
class Observed:
    calls: Counter[tuple[str, str]] = field(default_factory=Counter)  # (source, status)
    buckets: dict[str, list[int]] = field(default_factory=dict)  # source -> cumulative later
    sums: dict[str, float] = field(default_factory=dict)
    _cached: tuple[float, list[Metric]] | None = None

    def record(self, source: str, status: int, seconds: float) -> None:
        self.calls[(source, str(status))] += 1
        counts = self.buckets.setdefault(source, [0] * (len(BUCKETS) + 1))
        counts[bisect.bisect_left(BUCKETS, seconds)] += 1
        self.sums[source] = self.sums.get(source, 0.0) + seconds

    def metrics(self) -> list[Metric]:
        calls = Metric("paysync_webhook_requests_total", "counter",
                       "Webhook calls answered by this receiver process, by HTTP status")  # fmt: skip
        for (source, status), n in sorted(self.calls.items()):
            calls.add(n, source=source, status=status)
        latency = Metric("paysync_webhook_latency_seconds", "histogram",
                         "Time from a webhook call's headers to its answer (after the commit)")  # fmt: skip
        for source, counts in sorted(self.buckets.items()):
            running = 0
            for bound, n in zip((*BUCKETS, float("inf")), counts, strict=True):
                running += n
                le = "+Inf" if bound == float("inf") else repr(bound)
                latency.add(running, source=source, le=le,
                            __name__="paysync_webhook_latency_seconds_bucket")  # fmt: skip
            latency.add(self.sums[source], source=source,
                        __name__="paysync_webhook_latency_seconds_sum")  # fmt: skip
            latency.add(running, source=source, __name__="paysync_webhook_latency_seconds_count")
        return [calls, latency]

    async def exposition(self, pool: asyncpg.Pool, settings: Settings) -> str:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > CACHE_S:
            async with pool.acquire() as conn:
                self._cached = (now, await collect(conn, settings))
        return render([*self._cached[1], *self.metrics()])
