"""``paysync status [--check [--max-lag D]] [--json]``: how current each stream is, and for cron,
probes and CI a non-zero exit when it is not healthy (pipelines/sync/status.py says when).

Exit codes: 0 healthy; 1 a stream's last run failed (always) or, with ``--check``, any problem;
2 configuration or schema version. The table fits 80 columns (pipes, cron mail): ages instead of
timestamps, errors on their own lines below it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import orjson
import typer
from rich import box
from rich.console import Console
from rich.table import Table

from pipelines.cli._run import fail, run, settings
from pipelines.store import db
from pipelines.store.schema import require_current
from pipelines.sync.status import FAILED, problems, stream_status

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_duration(text: str) -> float:
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*", text)
    if not match:
        raise typer.BadParameter(f"{text!r} is not a duration like 900, 90s, 15m, 2h or 1d")
    return float(match.group(1)) * _UNITS[match.group(2) or "s"]


def status(
    check: bool = typer.Option(False, "--check", help="Exit 1 when any stream is unhealthy."),
    max_lag: str = typer.Option("1h", "--max-lag", help="With --check: the lag allowed."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON instead."),
) -> None:
    """Per source and stream: last run, lag behind now, rows, rejects, drift, reconciliation."""
    max_lag_s = parse_duration(max_lag)
    config = settings()
    if check and not config.sources:  # nothing to watch must not read as healthy
        raise fail(f"no [[sources]] configured in {config.where}; nothing to check", 2)

    async def main() -> list[dict[str, object]]:
        conn = await db.connect(db.database_url(config.database))
        try:
            await require_current(conn)
            return await stream_status(conn, config)
        finally:
            await conn.close()

    rows = run(main)
    found = {(r["source"], r["stream"]): problems(r, max_lag_s) for r in rows}
    if json_output:
        for r in rows:
            r["problems"] = found[(r["source"], r["stream"])]
        typer.echo(orjson.dumps(rows, option=orjson.OPT_INDENT_2).decode())
    else:
        console = Console(width=80)
        console.print(status_table(rows))
        for r in rows:  # rejected records still to load (not shown when there are none)
            if r["owed"]:
                console.print(
                    f"{r['source']}/{r['stream']}: {r['owed']} rejected records owed: re-read "
                    "every run until they load, or SELECT paysync.give_up_rejects(source, stream)"
                )
    # A stream that failed inside a partial run failed too (its error names it).
    failed = [r for r in rows if r["last_run"] in FAILED or r["last_error"]]
    bad = {k: v for k, v in found.items() if v} if check else {}
    for r in failed:
        if (r["source"], r["stream"]) not in bad:
            why = r["last_error"] or f"no error recorded (see run {r['last_run_id']}'s log)"
            bad[(r["source"], r["stream"])] = [f"last run failed: {why}"]
    if bad:
        for (source, stream), why in bad.items():
            typer.echo(f"paysync: {source}/{stream}: {'; '.join(why)}", err=True)
        raise fail(f"{len(bad)} of {len(rows)} streams unhealthy", 1)


def age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit}"
    return f"{int(seconds)}s"


def status_table(rows: list[dict[str, object]]) -> Table:
    now = datetime.now(UTC)
    table = Table(title="paysync status", box=box.SIMPLE_HEAD, pad_edge=False)
    for name, justify in (("source", "left"), ("stream", "left"), ("last run", "left"),
                          ("lag", "right"), ("rows", "right"), ("rej", "right"),
                          ("drift", "right"), ("recon", "left")):  # fmt: skip
        table.add_column(name, justify=justify, no_wrap=True, overflow="ellipsis")  # type: ignore[arg-type]
    for r in rows:
        at = r["last_run_at"]
        last = (
            f"{r['last_run']} {age((now - at).total_seconds())}"
            if isinstance(at, datetime)
            else "never"
        )
        lag = r["lag_s"]
        table.add_row(
            str(r["source"]), str(r["stream"]), last, age(lag if isinstance(lag, float) else None),
            str(r["rows"]), str(r["rejects"]), str(r["drift"]), str(r["reconciliation"] or "-"),
        )  # fmt: skip
    return table
