"""``paysync metrics``: the monitoring figures in the Prometheus text format, for
node_exporter's textfile collector (``--textfile``) or any scraper that runs a command.

Per source and stream: lag, rows, rejects, last run outcome, duration and time; per source:
webhook deliveries by outcome and the last reconciliation. The receiver serves the same figures
(and its own call latency) on ``GET /metrics``.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import typer

from pipelines.cli._run import fail, run, settings
from pipelines.store import db
from pipelines.sync.metrics import collect, render


def metrics(
    textfile: Path | None = typer.Option(
        None, "--textfile", help="Write here (atomically, e.g. …/textfile/paysync.prom) "
        "instead of printing.",
    ),
) -> None:  # fmt: skip
    """Print (or write) per-stream lag, rows, rejects, last run and webhook figures."""
    config = settings()

    async def main() -> str:
        conn = await db.connect(db.database_url(config.database))
        try:
            return render(await collect(conn, config))
        finally:
            await conn.close()

    text = run(main)
    if textfile is None:
        typer.echo(text, nl=False)
        return
    try:
        # node_exporter may read at any moment: write beside the target, then rename over it
        with tempfile.NamedTemporaryFile(
            "w", dir=textfile.parent, prefix=".paysync-", suffix=".tmp", delete=False
        ) as out:
            out.write(text)
        os.chmod(out.name, 0o644)
        os.replace(out.name, textfile)
    except OSError as exc:
        raise fail(f"metrics: cannot write {textfile}: {exc.strerror or exc}", 2) from None
