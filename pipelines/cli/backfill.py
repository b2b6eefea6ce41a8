"""``paysync backfill``: load a date range, cut into partitions (each one a run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from functools import partial

import typer

from pipelines.cli._run import fail, run, settings
from pipelines.cli.progress import SyncProgress
from pipelines.cli.sync import finish
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest, day_start
from pipelines.sync.runs import RunReport
from pipelines.sync.window import split_range


def parse_day(value: str, option: str) -> datetime:
    try:
        return day_start(datetime.strptime(value, "%Y-%m-%d").date())
    except ValueError:
        raise fail(f"{option} {value!r} is not a date (YYYY-MM-DD)", 2) from None


def check_range(start: datetime, end: datetime, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    if start >= end:
        raise fail("--from must be before --to (the range is [from, to), to excluded)", 2)
    if start > now:
        raise fail(
            f"--from {start:%Y-%m-%d} is in the future: the providers hold nothing there yet", 2
        )


def backfill(
    from_: str = typer.Option(..., "--from", help="First day to load (YYYY-MM-DD, UTC)."),
    to: str = typer.Option(..., "--to", help="Day after the last one (YYYY-MM-DD, excluded)."),
    source: str | None = typer.Option(None, help="Only this source (default: all)."),
    stream: list[str] = typer.Option([], help="Only these streams (repeatable)."),
    partitions: int = typer.Option(1, min=1, max=1000, help="Cut the range into N runs."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON summary instead."),
) -> None:
    """Load [from, to) for windowed streams; windows already done are skipped, so a partition
    can be re-run alone. The incremental cursor never moves backwards."""
    start, end = parse_day(from_, "--from"), parse_day(to, "--to")
    check_range(start, end)
    end = min(end, datetime.now(UTC) + timedelta(days=1))
    config = settings()
    reports: list[RunReport] = []
    with SyncProgress(enabled=not json_output) as progress:
        parts = split_range(start, end, partitions)
        for index, (part_start, part_end) in enumerate(parts):
            progress.partition(index, len(parts))  # the overall ETA spans the partitions
            request = SyncRequest(kind="backfill", range_from=part_start, range_to=part_end)
            reports += run(partial(service.sync, config, request, source, stream or None, progress))
    finish(reports, json_output)
