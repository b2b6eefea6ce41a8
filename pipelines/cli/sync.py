"""``paysync sync``: incremental (or full-refresh) sync of the configured sources."""

from __future__ import annotations

import orjson
import typer
from rich import box
from rich.console import Console, Group
from rich.table import Table

from pipelines.cli._run import run, settings
from pipelines.cli.progress import SyncProgress
from pipelines.sync import service
from pipelines.sync.plan import StreamPlan, SyncRequest
from pipelines.sync.runs import RunCounts, RunReport


def sync(
    source: str | None = typer.Option(None, help="Only this source (default: all)."),
    stream: list[str] = typer.Option([], help="Only these streams (repeatable)."),
    full_refresh: bool = typer.Option(False, "--full-refresh", help="Re-read all history."),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON summary instead."),
    plan_only: bool = typer.Option(
        False, "--plan", help="Show what a run would read (from the ledger), read nothing."
    ),
) -> None:
    """Incremental sync: new windows, the lookback, open records, the change feed."""
    config = settings()
    request = SyncRequest(kind="full-refresh" if full_refresh else "incremental")
    if plan_only:
        found = run(lambda: service.plan(config, request, source, stream or None))
        show_plan(found, json_output)
        return
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
        Console(width=80).print(summary_table(reports))
    trouble = any(r.outcome != "succeeded" or r.counts.records_rejected for r in reports)
    for r in reports:
        for s in r.streams.values():
            if s.error:
                typer.echo(f"paysync: {s.error}", err=True)
    raise typer.Exit(1 if trouble else 0)


def show_plan(found: list[tuple[str, StreamPlan]], json_output: bool) -> None:
    rows = []
    for source, p in found:
        spans = [*p.reopen, *p.intervals]
        rows.append({
            "source": source, "stream": p.spec.name, "whole": p.whole,
            "intervals": [[a.isoformat(), b.isoformat()] for a, b in p.intervals],
            "reopened": [[a.isoformat(), b.isoformat()] for a, b in p.reopen],
            "days": round(p.span_seconds / 86400, 2),
            "from": min(a for a, _ in spans).isoformat() if spans else None,
            "to": max(b for _, b in spans).isoformat() if spans else None,
        })  # fmt: skip
    if json_output:
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
        return
    table = Table(title="paysync sync --plan (nothing read)", box=box.SIMPLE_HEAD, pad_edge=False)
    for name in ("source", "stream", "reads", "from", "to", "reopen"):
        table.add_column(name, no_wrap=True, overflow="ellipsis")
    for r in rows:
        reads = "whole endpoint" if r["whole"] else f"{r['days']} days" if r["from"] else "nothing"
        table.add_row(
            str(r["source"]), str(r["stream"]), reads, str(r["from"] or "-")[:10],
            str(r["to"] or "-")[:10], str(len(r["reopened"])),  # type: ignore[arg-type]
        )  # fmt: skip
    Console(width=80).print(table)


def _summary(report: RunReport) -> dict[str, object]:
    return {
        "source": report.source, "run_id": report.run_id, "outcome": report.outcome,
        **vars(report.counts),
        "streams": {n: {**vars(s.counts), "error": s.error} for n, s in report.streams.items()},
    }  # fmt: skip


def summary_table(reports: list[RunReport]) -> Group:
    """One table per source that fits 80 columns (pipes, cron mail): short headers, the
    outcome in the title, errors on stderr below it."""
    return Group(*(_source_table(r) for r in reports))


def _source_table(r: RunReport) -> Table:
    title = f"paysync sync {r.source}: {r.outcome}"
    table = Table(title=title, box=box.SIMPLE_HEAD, pad_edge=False)
    width = max([len(n) for n in r.streams] + [len("stream")])
    table.add_column("stream", no_wrap=True, min_width=width)
    for name in ("win", "pages", "read", "new", "chg", "del", "rej"):
        table.add_column(name, justify="right", no_wrap=True)

    def figures(c: RunCounts) -> list[str]:
        return [str(v) for v in (c.windows, c.pages, c.records_read, c.records_inserted,
                                 c.records_changed, c.records_deleted, c.records_rejected)]  # fmt: skip

    for s in r.streams.values():
        table.add_row(s.name, *figures(s.counts))
    # The run's totals include re-fetches (hydration, change feed, children).
    table.add_row("[b]all[/b]", *figures(r.counts))
    return table
