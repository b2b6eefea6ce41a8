"""Requests and retries booked to the stream that made them.

One ``HttpClient`` serves all of a source's streams at once, so its totals cannot say which
stream a request was for. The engine's worker (and the re-fetch drain) set the stream's counts in
a context variable before calling the client; asyncio copies the context into the tasks it
starts (the page fetched ahead, the ids fetched side by side), so every attempt the client counts
lands on the stream it was made for, retries included.
"""

from __future__ import annotations

from contextvars import ContextVar

from connectors.http import CallStats
from pipelines.sync.runs import RunCounts

CURRENT: ContextVar[RunCounts | None] = ContextVar("paysync_stream_counts", default=None)


class StreamCallStats(CallStats):
    """``CallStats`` that also adds each attempt and retry to the current stream's counts."""

    def count(self, outcome: str) -> None:
        super().count(outcome)
        counts = CURRENT.get()
        if counts is not None:
            counts.requests += 1

    @property  # type: ignore[override]
    def retries(self) -> int:
        return getattr(self, "_retries", 0)

    @retries.setter
    def retries(self, value: int) -> None:
        added = value - getattr(self, "_retries", 0)
        self._retries = value
        counts = CURRENT.get()
        if counts is not None and added > 0:
            counts.retries += added


def book_to(counts: RunCounts) -> None:
    """Requests made from here on in this task (and tasks it starts) count for ``counts``."""
    CURRENT.set(counts)
