"""Progress of a sync: a live table on a terminal, one plain line per window otherwise, and the
overall share done with an ETA (across a backfill's partitions, which run one after another)."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import timedelta

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from pipelines.sync.runs import RunReport, StreamReport


class SyncProgress:
    """Callable handed to the engine; use as a context manager around the run."""

    def __init__(self, enabled: bool = True, clock: Callable[[], float] = time.monotonic) -> None:
        self.enabled = enabled
        self.live = enabled and sys.stderr.isatty()
        self.clock = clock
        self.started = clock()
        self.part, self.parts = 0, 1
        # (run, source, stream) -> (seconds of history to read, seconds read) in this partition
        self._spans: dict[tuple[int, str, str], tuple[float, float]] = {}
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._overall: TaskID | None = None
        self._bar = Progress(
            TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.fields[info]}"),
            TimeRemainingColumn(), transient=False, disable=not self.live,
        )  # fmt: skip

    def __enter__(self) -> SyncProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def partition(self, index: int, count: int) -> None:
        """Partition ``index`` (from 0) of ``count`` starts: earlier ones count as done."""
        self.part, self.parts = index, max(count, 1)
        self._spans.clear()

    def overall(self) -> tuple[float, timedelta | None]:
        """Share of the whole job done, and the time left at the rate so far (None: unknown).
        Each stream counts by the share of its history read, the partitions equally."""
        total = sum(t for t, _ in self._spans.values())
        current = sum(d for _, d in self._spans.values()) / total if total else 0.0
        done = (self.part + min(current, 1.0)) / self.parts
        elapsed = self.clock() - self.started
        if done <= 0:
            return 0.0, None
        return done, timedelta(seconds=round(elapsed * (1 - done) / done))

    def __call__(self, report: RunReport, stream: StreamReport) -> None:
        if stream.seconds_total:
            span = (report.run_id, report.source, stream.name)
            self._spans[span] = (stream.seconds_total, stream.seconds_done)
        if not self.enabled:
            return
        c = stream.counts
        rate = c.records_read / max(self.clock() - self.started, 1e-6)
        info = (
            f"windows {c.windows}  pages {c.pages}  records {c.records_read}  "
            f"new {c.records_inserted}  changed {c.records_changed}  {rate:,.0f}/s"
        )
        if not self.live:
            share = (
                f"{stream.seconds_done / stream.seconds_total:.0%}" if stream.seconds_total else "-"
            )
            done, eta = self.overall()
            overall = f"  overall {done:.0%}" + (f" eta {eta}" if eta is not None else "")
            print(f"{report.source}/{stream.name}: {share} {info}{overall}", file=sys.stderr,
                  flush=True)  # fmt: skip
            return
        if self._overall is None:
            self._overall = self._bar.add_task("overall", total=1000, info="")
        self._bar.update(self._overall, completed=round(self.overall()[0] * 1000))
        key = (report.source, stream.name)
        if key not in self._tasks:
            self._tasks[key] = self._bar.add_task(
                f"{report.source}/{stream.name}", total=stream.seconds_total or 1, info=""
            )
        done = stream.seconds_done if stream.seconds_total else 1
        self._bar.update(self._tasks[key], completed=done, info=info)
