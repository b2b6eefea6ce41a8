"""Progress of a sync: a live table on a terminal, one plain line per window otherwise."""

from __future__ import annotations

import sys
import time

from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeRemainingColumn

from pipelines.sync.runs import RunReport, StreamReport


class SyncProgress:
    """Callable handed to the engine; use as a context manager around the run."""

    def __init__(self, enabled: bool = True) -> None:
        self.enabled = enabled
        self.live = enabled and sys.stderr.isatty()
        self.started = time.monotonic()
        self._tasks: dict[tuple[str, str], TaskID] = {}
        self._bar = Progress(
            TextColumn("{task.description:<40}"), BarColumn(), TextColumn("{task.fields[info]}"),
            TimeRemainingColumn(), transient=False, disable=not self.live,
        )  # fmt: skip

    def __enter__(self) -> SyncProgress:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def __call__(self, report: RunReport, stream: StreamReport) -> None:
        if not self.enabled:
            return
        c = stream.counts
        rate = c.records_read / max(time.monotonic() - self.started, 1e-6)
        info = (
            f"windows {c.windows}  pages {c.pages}  records {c.records_read}  "
            f"new {c.records_inserted}  changed {c.records_changed}  {rate:,.0f}/s"
        )
        if not self.live:
            share = (
                f"{stream.seconds_done / stream.seconds_total:.0%}" if stream.seconds_total else "-"
            )
            print(f"{report.source}/{stream.name}: {share} {info}", file=sys.stderr, flush=True)
            return
        key = (report.source, stream.name)
        if key not in self._tasks:
            self._tasks[key] = self._bar.add_task(
                f"{report.source}/{stream.name}", total=stream.seconds_total or 1, info=""
            )
        done = stream.seconds_done if stream.seconds_total else 1
        self._bar.update(self._tasks[key], completed=done, info=info)
