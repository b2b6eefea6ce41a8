"""``paysync reconcile``: provider versus database over a horizon; ``--repair`` fixes drift.

Exit codes: 0 clean, or every difference found was repaired by ``--repair``; 1 drift left
(or a stream's provider contract changed); 2 usage, configuration or credentials; 3 provider
or database unreachable. A provider error on one stream is reported and the others still run.
"""

from __future__ import annotations

from datetime import date

import orjson
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from pipelines.cli._run import fail, run, settings
from pipelines.reconcile import runner as recon
from pipelines.reconcile.report import redacted


def reconcile(
    range_from: str | None = typer.Option(
        None, "--from", metavar="YYYY-MM-DD", help="First day (UTC; default: 30 days ago)."
    ),
    range_to: str | None = typer.Option(
        None, "--to", metavar="YYYY-MM-DD", help="Last day, included (UTC; default: now)."
    ),
    source: str | None = typer.Option(None, help="Only this source (default: all)."),
    stream: list[str] = typer.Option([], help="Only these streams (repeatable)."),
    repair: bool = typer.Option(
        False, "--repair", help="Load the provider's version of each difference."
    ),
    detail_sample: int = typer.Option(
        recon.DETAIL_SAMPLE, min=0,
        help="Hydrated streams: records whose detail is fetched and compared in full.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print a JSON summary instead."),
) -> None:  # fmt: skip
    """Compare provider and database per stream and day; report (and repair) drift."""
    start, end = _date("--from", range_from), _date("--to", range_to)
    config = settings()
    report = run(
        lambda: recon.reconcile(
            config, source, start, end, repair, streams=stream or None,
            detail_sample=detail_sample,
        )
    )  # fmt: skip
    if json_output:
        typer.echo(orjson.dumps(report.as_dict(), default=str, option=orjson.OPT_INDENT_2).decode())
    else:
        _print(report)
    if report.error:
        typer.echo(f"paysync: reconcile: {report.error}", err=True)
    raise typer.Exit(report.exit_code)


def _date(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(f"{option} {value!r} is not a date; use YYYY-MM-DD", 2) from None


def _print(report: recon.ReconcileReport) -> None:
    # 80 columns (pipes, cron mail): one table per source, short headers, notes below.
    console = Console(width=80)
    for source in dict.fromkeys(s.source for s in report.streams):
        table = Table(
            title=f"paysync reconcile {source} {report.range_from:%Y-%m-%d %H:%M} .. "
            f"{report.range_to:%Y-%m-%d %H:%M} UTC",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        streams = [s for s in report.streams if s.source == source]
        table.add_column("stream", no_wrap=True, min_width=max(len(s.stream) for s in streams))
        for name in ("provider", "db", "miss", "extra", "diff", "aggr", "rep"):
            table.add_column(name, justify="right", no_wrap=True)
        for s in streams:
            counts = (s.provider_records, s.db_records, s.missing, s.extra, s.differing,
                      s.aggregate, s.repaired)  # fmt: skip
            table.add_row(s.stream, *map(str, counts))
        console.print(table)
        for s in streams:
            if s.note:
                console.print(f"note {s.source}/{s.stream}: {s.note}", markup=False)
    for c in report.checks:
        console.print(f"check {c.source}/{c.name}: {c.inconsistent} inconsistent")
    for d in report.diffs[:20]:
        console.print(
            f"{d.kind} {d.source}/{d.stream} {d.record_id or d.day} {redacted(d.detail)}",
            markup=False,
        )
    if report.found > 20:
        console.print(
            f"… {report.found - 20} more in paysync.reconciliation_diffs "
            f"(recon_id {report.recon_id})"
        )
    console.print(f"outcome: [b]{report.outcome}[/b] (recon_id {report.recon_id})")
