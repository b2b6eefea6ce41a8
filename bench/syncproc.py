"""The sync process the bench measures: ``python bench/syncproc.py JOB.json``.

It is ``paysync sync`` minus the CLI: the same ``pipelines.service.sync`` call, but each source
can have its own stream selection and the run kind can be ``deep-rescan`` (no CLI flag), and
``as_of`` follows the emulators' frozen clock. Prints one JSON summary on stdout.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson

from pipelines.store.settings import DatabaseSettings, Settings, SyncSettings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest


def build_settings(job: dict[str, Any]) -> Settings:
    settings = Settings(
        database=DatabaseSettings(url=job["database_url"]),
        sync=SyncSettings(lag_seconds=job.get("lag_seconds", 120)),
        sources=job["sources"],
    )
    for source in settings.sources:
        source.set_secret(os.environ.get(source.secret_env))
    return settings


def _when(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


async def main(job: dict[str, Any]) -> dict[str, Any]:
    settings = build_settings(job)
    calls = []
    for run in job["runs"]:
        request = SyncRequest(
            kind=run.get("kind", "incremental"),
            range_from=_when(run.get("range_from")),
            range_to=_when(run.get("range_to")),
            as_of=_when(run.get("as_of")),
        )
        calls.append(service.sync(settings, request, run["source"], run.get("streams")))
    started = time.perf_counter()
    reports = [r for batch in await asyncio.gather(*calls) for r in batch]
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "reports": [
            {
                "source": r.source,
                "outcome": r.outcome,
                "error": r.error,
                **vars(r.counts),
                "streams": {n: vars(s.counts) for n, s in r.streams.items()},
            }
            for r in reports
        ],
    }


if __name__ == "__main__":
    summary = asyncio.run(main(orjson.loads(Path(sys.argv[1]).read_bytes())))
    sys.stdout.write(orjson.dumps(summary).decode() + "\n")
