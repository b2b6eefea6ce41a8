"""What a run writes to the log, and how: one line per stream per run with its figures (INFO),
one line per window loaded (DEBUG), as text or as JSON objects (``--log-format json``) that carry
``source``, ``stream``, ``window_start``/``window_end`` and ``run_id`` as fields, for Loki,
CloudWatch or journald to index. No line carries a secret: only names, ids, times and counts.
"""

from __future__ import annotations

import logging
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import orjson

from pipelines.sync.runs import RunReport

log = logging.getLogger("paysync.sync")
FIELDS = "paysync"  # the LogRecord attribute holding a line's structured fields
FORMATS = ("text", "json")


def stream_lines(report: RunReport, kind: str, seconds: float) -> None:
    """One INFO line per stream of a finished run (re-fetched streams included)."""
    for stream in report.streams.values():
        figures = asdict(stream.counts)
        outcome = "failed" if stream.error else report.outcome
        fields: dict[str, Any] = {
            "event": "stream_done", "source": report.source, "stream": stream.name,
            "run_id": report.run_id, "kind": kind, "outcome": outcome,
            "seconds": round(seconds, 3), **figures,
        }  # fmt: skip
        if stream.error:
            fields["error"] = stream.error
        text = " ".join(f"{k}={v}" for k, v in fields.items() if k not in ("event", "error"))
        log.log(logging.WARNING if stream.error else logging.INFO, "%s%s", text,
                f" error={stream.error!r}" if stream.error else "", extra={FIELDS: fields})  # fmt: skip


def window_line(
    report: RunReport, stream: str, window: tuple[datetime, datetime] | None, result: Any
) -> None:
    """One DEBUG line per window loaded."""
    if not log.isEnabledFor(logging.DEBUG):
        return
    start, end = window or (None, None)
    fields = {
        "event": "window_done", "source": report.source, "stream": stream,
        "run_id": report.run_id, "window_start": start.isoformat() if start else None,
        "window_end": end.isoformat() if end else None, "pages": result.pages,
        "read": result.records, "new": result.inserted, "changed": result.changed,
        "rejected": result.rejected, "skipped": result.skipped,
    }  # fmt: skip
    log.debug("%s", " ".join(f"{k}={v}" for k, v in fields.items() if k != "event"),
              extra={FIELDS: fields})  # fmt: skip


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, and the line's fields."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(), "logger": record.name,
            "message": record.getMessage(),
        }  # fmt: skip
        line.update(getattr(record, FIELDS, None) or {})
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info).splitlines()[-1]
        return orjson.dumps(line, default=str).decode()


def configure(fmt: str = "text", level: str = "INFO") -> None:
    """paysync's loggers to stderr, as text or JSON lines (the CLI's ``--log-format``)."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("paysync")
    root.handlers = [handler]
    root.setLevel(level.upper())
    root.propagate = False
