"""What the Prefect flows share: the partition split, one task per (source, stream) sync, and
the runner that drives a source's streams one after another.

Settings are loaded inside the task, in the worker's process, so secrets stay in the worker's
environment and never become Prefect parameters; parameters are names, dates and numbers.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise
from typing import Any

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from connectors.errors import ProviderUnavailableError
from connectors.registry import connector
from pipelines.errors import ConfigError, UnreachableError
from pipelines.store.settings import Settings, load_settings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest, day_start
from pipelines.sync.window import Interval, split_range

# Only errors a later attempt can cure are retried; auth, config and contract errors are not.
TRANSIENT = (ProviderUnavailableError, UnreachableError, ConnectionError, TimeoutError)


def utc(value: datetime | date | str) -> datetime:
    """A parameter as an aware UTC datetime (a bare date is its midnight)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError:
            raise ConfigError(f"{value!r} is not a date (YYYY-MM-DD) or ISO datetime") from None
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    return day_start(value)


def partitions(
    range_from: datetime | date | str, range_to: datetime | date | str, n: int
) -> list[Interval]:
    """``[from, to)`` cut into ``n`` half-open partitions with whole-second bounds, so a
    partition's bounds can be typed back in by hand to re-run it alone."""
    start, end = utc(range_from), utc(range_to)
    if start >= end:
        raise ConfigError(f"backfill range {start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M} is "
                          "empty: 'from' must be before 'to' (to is excluded)")  # fmt: skip
    if n < 1:
        raise ConfigError(f"partitions must be at least 1 (got {n})")
    n = min(n, max(1, int((end - start).total_seconds())))
    cut = [s.replace(microsecond=0) for s, _ in split_range(start, end, n)[1:]]
    bounds = sorted({start, *(c for c in cut if start < c < end), end})
    return list(pairwise(bounds))


def stream_names(
    settings: Settings, source: str, streams: Sequence[str] | None, kind: str
) -> list[str]:
    """The streams a run of ``kind`` has something to read in, in the connector's order.

    Child streams are filled by their parent's run (re-fetch queue), and a backfill only reads
    windowed streams; a task for those would be an empty run, so none is made. Streams named
    explicitly are kept as asked (the engine validates them)."""
    if streams:
        return list(dict.fromkeys(streams))
    specs = connector(settings.source(source).provider).streams.values()
    return [
        s.name for s in specs if not s.parent and (kind != "backfill" or s.window is not None)
    ]  # fmt: skip


def transient(task: Any, task_run: Any, state: Any) -> bool:
    """``retry_condition_fn``: retry only when the failure can pass by itself."""
    error = state.data if isinstance(getattr(state, "data", None), BaseException) else None
    return isinstance(error, TRANSIENT)


def current_flow_run_id() -> str | None:
    run_id = flow_run.get_id()
    return str(run_id) if run_id else None


@task(
    name="sync-stream",
    task_run_name="{source}/{stream}",
    retries=2,
    retry_delay_seconds=[30, 120],
    retry_condition_fn=transient,
    cache_policy=NO_CACHE,
)
async def sync_stream(
    source: str,
    stream: str,
    kind: str,
    range_from: datetime | None = None,
    range_to: datetime | None = None,
    as_of: datetime | None = None,
) -> list[dict[str, Any]]:
    """One engine run for one (source, stream); returns its counts, one row per stream it
    wrote (a parent's run also hydrates it and fills its children from the re-fetch queue)."""
    settings = load_settings()
    request = SyncRequest(
        kind=kind, range_from=range_from, range_to=range_to, as_of=as_of,
        flow_run_id=current_flow_run_id(),
    )  # fmt: skip
    [report] = await service.sync(settings, request, source=source, streams=[stream])
    return [
        {"source": source, "stream": s.name, "run_id": report.run_id,
         "outcome": "failed" if s.error else report.outcome, **vars(s.counts), "error": s.error}
        for s in report.streams.values()
    ] or [{"source": source, "stream": stream, "run_id": report.run_id,
           "outcome": report.outcome, **vars(report.counts), "error": report.error}]  # fmt: skip


async def run_source(
    source: str, streams: list[str], kind: str, span: tuple[datetime | None, datetime | None],
    as_of: datetime | None,
) -> tuple[list[dict[str, Any]], BaseException | None]:  # fmt: skip
    """A source's streams one after another: each run bounds its own requests by the source's
    concurrency, so running them side by side would multiply the load on the provider."""
    rows: list[dict[str, Any]] = []
    for name in streams:
        try:
            rows += await sync_stream(source, name, kind, span[0], span[1], as_of)
        except Exception as exc:  # later streams of this source would hit the same wall
            get_run_logger().error("source %r, stream %s: %s", source, name, exc)
            rows.append({"source": source, "stream": name, "outcome": "failed", "error": str(exc)})
            return rows, exc
    return rows, None


async def run_sources(
    kind: str, source: str | None, streams: Sequence[str] | None,
    span: tuple[datetime | None, datetime | None] = (None, None), as_of: datetime | None = None,
) -> tuple[Settings, list[dict[str, Any]], list[BaseException]]:  # fmt: skip
    """Every selected source side by side, each one's streams in turn."""
    settings = load_settings()  # fail fast on a bad file or source name, before any task
    sources = [s.name for s in service.select_sources(settings, source)]
    plans = [(name, stream_names(settings, name, streams, kind)) for name in sources]
    results = await asyncio.gather(*(run_source(n, s, kind, span, as_of) for n, s in plans))
    rows = [row for found, _ in results for row in found]
    return settings, rows, [error for _, error in results if error is not None]


def horizon(days: float, as_of: datetime | None) -> tuple[datetime, datetime]:
    if days <= 0:
        raise ConfigError(f"horizon_days must be positive (got {days})")
    now = as_of or datetime.now(UTC)
    return now - timedelta(days=days), now


def partition_run_name() -> str:
    """``backfill-partition`` runs are named by their range, so a failed one is easy to find."""
    params = flow_run.get_parameters()
    try:
        return f"backfill {utc(params['range_from']):%Y-%m-%d %H:%M:%S} .. {utc(params['range_to']):%Y-%m-%d %H:%M:%S}"
    except (KeyError, ConfigError):
        return "backfill partition"
