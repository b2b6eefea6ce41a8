"""Run a measured process: wall seconds, its own peak RSS, and what it wrote.

Peak RSS is the kernel's accounting of that one process (through ``/usr/bin/time``), so neither
the bench process nor the emulators are counted. Rows written are the change in PostgreSQL's own
tuple counters over the stream tables, independent of what paysync reports about itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import psutil

from bench.env import secrets_env

BENCH = Path(__file__).resolve().parent
STREAM_SCHEMAS = ("smarterpay", "smart2pay")


@dataclass
class Measured:
    seconds: float
    peak_rss_mb: float
    stdout: str
    returncode: int
    extra: dict[str, Any] = field(default_factory=dict)
    stderr: str = ""


def measure(
    argv: list[str], env: dict[str, str] | None = None, ok: tuple[int, ...] = (0, 1)
) -> Measured:
    """Run ``argv`` to completion; its wall time and peak resident set.

    The peak comes from ``/usr/bin/time``: a child's ``ru_maxrss`` survives ``exec``, so a
    child forked straight from this (large) process would report our size, not its own."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, \
            tempfile.NamedTemporaryFile("r", suffix=".rss") as rss:  # fmt: skip
        started = time.perf_counter()
        proc = subprocess.run(
            ["/usr/bin/time", "-f", "%M %U %S", "-o", rss.name, *argv],
            stdout=out, stderr=err, env={**os.environ, **(env or {})},
        )  # fmt: skip
        seconds = time.perf_counter() - started
        out.seek(0)
        err.seek(0)
        stdout, stderr = out.read().decode(), err.read().decode()
        peak_kb, user, system = rss.read().split()[-3:]
    if proc.returncode not in ok:
        raise RuntimeError(f"{argv[1]} exited {proc.returncode}: {stderr[-2000:]}")
    measured = Measured(seconds, int(peak_kb) / 1024, stdout, proc.returncode, stderr=stderr)
    measured.extra["cpu_seconds"] = float(user) + float(system)
    return measured


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and of its children, live and reaped (PostgreSQL's backends)."""
    try:
        process = psutil.Process(pid)
        own = process.cpu_times()
        total = own.user + own.system + own.children_user + own.children_system
        for child in process.children(recursive=True):
            with contextlib.suppress(psutil.Error):
                times = child.cpu_times()
                total += times.user + times.system
        return total
    except psutil.Error:
        return 0.0


def run_sync(database_url: str, sources: list[dict[str, Any]], runs: list[dict[str, Any]],
             lag_seconds: float = 120, watch: dict[str, int] | None = None,
             ) -> tuple[Measured, dict[str, Any]]:  # fmt: skip
    """One sync process over ``runs``; returns its measurement and summed counts."""
    job = {"database_url": database_url, "sources": sources, "runs": runs,
           "lag_seconds": lag_seconds}  # fmt: skip
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(job, handle)
    before = asyncio.run(tuples_written(database_url))
    cpu_before = {name: cpu_seconds(pid) for name, pid in (watch or {}).items()}
    try:
        measured = measure([sys.executable, str(BENCH / "syncproc.py"), handle.name], secrets_env())
    finally:
        os.unlink(handle.name)
    for name, pid in (watch or {}).items():
        measured.extra[f"{name}_cpu_seconds"] = round(cpu_seconds(pid) - cpu_before[name], 2)
    if not measured.stdout.strip():
        tail = measured.stderr[-3000:]
        raise RuntimeError(f"the sync printed nothing (exit {measured.returncode}): {tail}")
    summary = json.loads(measured.stdout.strip().splitlines()[-1])
    reports = summary["reports"]
    measured.extra["sync_seconds"] = summary["seconds"]
    counts = _sum(reports)
    counts["tuples_written"] = asyncio.run(tuples_written(database_url)) - before
    counts["outcomes"] = sorted({r["outcome"] for r in reports})
    counts["per_stream"] = {
        f"{r['source']}/{n}": s for r in reports for n, s in r["streams"].items()
    }
    return measured, counts


def _sum(reports: list[dict[str, Any]]) -> dict[str, Any]:
    keys = ("pages", "requests", "retries", "records_read", "records_inserted",
            "records_changed", "records_deleted", "records_rejected", "windows")  # fmt: skip
    return {k: sum(r[k] for r in reports) for k in keys}


async def tuples_written(url: str) -> int:
    """Rows inserted, updated or deleted in the stream tables since the server started.

    A finished backend flushes its counters when it exits; waiting for the next flush of the
    others is what ``pg_stat_force_next_flush`` + a short pause are for."""
    conn = await asyncpg.connect(url)
    try:
        await asyncio.sleep(1.2)
        await conn.execute("SELECT pg_stat_clear_snapshot()")
        value = await conn.fetchval(
            """SELECT coalesce(sum(n_tup_ins + n_tup_upd + n_tup_del), 0)
               FROM pg_stat_user_tables WHERE schemaname = ANY($1::text[])""",
            list(STREAM_SCHEMAS),
        )
        return int(value)
    finally:
        await conn.close()
