"""``paysync sync``: incremental (or full-refresh) sync of the configured sources."""

from __future__ import annotations

import orjson
import typer
from rich.console import Console
from rich.table import Table

from pipelines.cli._run import run, settings
from pipelines.cli.progress import SyncProgress
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from pipelines.sync.runs import RunReport


def sync(
    source: str | None = typer.Option(None, help="Only this source (default: all)."),
    stream: list[str] = typer.Option([], help="Only these streams (repeatable)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Re-read all history."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON summary instead."),
) -> None:
    """Incremental sync: new windows, the lookback, open records, the change feed."""
    config = settings()
    request = SyncRequest(kind="full-refresh" if full_refresh else "incremental")
    with SyncProgress(enabled=not json_output) as progress:
        reports = run(lambda: service.sync(config, request, source, stream or None, progress))
    finish(reports, json_output)


def finish(reports: list[RunReport], json_output: bool) -> None:
    """Print the summary and exit 1 when anything was rejected or a stream failed."""
    if json_output:
        typer.echo(
            orjson.dumps([_summary(r) for r in reports], option=orjson.OPT_INDENT_2).decode()
        )
    else:
        Console().print(summary_table(reports))
    trouble = any(r.outcome != "succeeded" or r.counts.records_rejected for r in reports)
    for r in reports:
        for s in r.streams.values():
            if s.error:
                typer.echo(f"paysync: {s.error}", err=True)
    raise typer.Exit(1 if trouble else 0)


def _summary(report: RunReport) -> dict[str, object]:
    return {
        "source": report.source, "run_id": report.run_id, "outcome": report.outcome,
        **vars(report.counts),
        "streams": {n: {**vars(s.counts), "error": s.error} for n, s in report.streams.items()},
    }  # fmt: skip


def summary_table(reports: list[RunReport]) -> Table:
    table = Table(title="paysync sync")
    for name in (
        "source",
        "stream",
        "windows",
        "pages",
        "read",
        "new",
        "changed",
        "deleted",
        "rejected",
        "error",
    ):
        table.add_column(name)
    for r in reports:
        for s in r.streams.values():
            c = s.counts
            table.add_row(
                r.source,
                s.name,
                *map(
                    str,
                    (
                        c.windows,
                        c.pages,
                        c.records_read,
                        c.records_inserted,
                        c.records_changed,
                        c.records_deleted,
                        c.records_rejected,
                    ),
                ),
                s.error or "",
            )
        table.add_row(
            r.source,
            "[b]all[/b] (incl. re-fetches)",
            str(r.counts.windows),
            str(r.counts.pages),
            str(r.counts.records_read),
            str(r.counts.records_inserted),
            str(r.counts.records_changed),
            str(r.counts.records_deleted),
            str(r.counts.records_rejected),
            r.outcome,
        )
    return table
