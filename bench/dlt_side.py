"""dlt side by side: the same emulator, the same PostgreSQL server, the same payments.

dlt lives in its own virtual environment (``bench/.dlt-venv``, git-ignored), created here on
first use, so paysync's environment never depends on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import asyncpg

from bench import limits
from bench.env import Postgres, admin, secrets_env, source_config
from bench.procs import cpu_seconds, measure, run_sync
from bench.scenarios import row, sync_row
from connectors.emulator_kit.testing import RunningEmulator
from pipelines.store.settings import SmarterPaySource

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".dlt-venv"
DLT_VERSION = "1.31.0"  # pinned: the figures compare paysync against this version
DLT_REQUIREMENT = f"dlt[postgres]=={DLT_VERSION}"


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"bench: installing {DLT_REQUIREMENT} into {VENV} (once)", file=sys.stderr)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    check = f"import dlt, psycopg2; assert dlt.__version__ == {DLT_VERSION!r}, dlt.__version__"
    probe = subprocess.run([str(python), "-c", check], capture_output=True)
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             DLT_REQUIREMENT],
            check=True,
        )  # fmt: skip
    return python


# dlt's performance guide (dlthub.com/docs/reference/performance): parallel normalize workers
# (one per core), rotated intermediate files so normalize and load run in parallel, bigger
# write buffers. rest_api pages one resource in order, so the extract stays serial whatever
# the setting; ``parallelized=True`` is set on the source in dlt_payments.py as the guide says.
DLT_SPEED = {
    "NORMALIZE__WORKERS": "2",
    "DATA_WRITER__FILE_MAX_ITEMS": "50000",
    "DATA_WRITER__BUFFER_MAX_ITEMS": "50000",
    "LOAD__WORKERS": "4",
}


def dlt_rows(
    pg: Postgres, emu: RunningEmulator, suffix: str = "", tuned: int | None = None,
    ceiling: bool = True,
) -> list[dict[str, Any]]:  # fmt: skip
    """dlt, then paysync (concurrency 4, and ``tuned`` when given), on the emulator's payments
    (the whole list, merge on id). CPU per 1,000 records counts the loading process (imports
    included, for both) plus PostgreSQL."""
    python = ensure_venv()
    url = pg.empty("dlt")
    env = {
        **secrets_env(),
        **DLT_SPEED,
        "REQUESTS_CA_BUNDLE": emu.ca_path or "",
        "SSL_CERT_FILE": emu.ca_path or "",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "RUNTIME__LOG_LEVEL": "WARNING",
    }
    pg_before = cpu_seconds(pg.pid)
    with tempfile.TemporaryDirectory(prefix="bench-dlt-") as work:
        m = measure(
            [str(python), str(BENCH / "dlt_payments.py"), emu.base_url, url, work], env, (0,)
        )
    pg_cpu = cpu_seconds(pg.pid) - pg_before
    after = settle(pg, url)
    out = json.loads(m.stdout.strip().splitlines()[-1])
    dlt = row(f"dlt_payments{suffix}", out["records"], out["seconds"],
              wall_seconds=round(m.seconds, 3), peak_rss_mb=round(m.peak_rss_mb, 1),
              rows_written=out["records"], sync_cpu_seconds=round(m.extra["cpu_seconds"], 2),
              postgres_cpu_seconds=round(pg_cpu + after, 2),
              postgres_settle_cpu_seconds=round(after, 2), dlt_version=DLT_VERSION)  # fmt: skip
    rows = [_fetch_payments(emu)] if ceiling else []
    rows.append(_per_1000(dlt))
    run = {"source": "bacs", "kind": "incremental", "streams": ["payments"],
           "as_of": emu.clock_now().isoformat()}  # fmt: skip
    for concurrency in (4, tuned) if tuned else (4,):
        name = f"paysync_payments{suffix}" + (f"_c{concurrency}" if concurrency != 4 else "")
        url = pg.fresh("dltside")
        pm, c = run_sync(
            url, [source_config(emu, "smarterpay", "bacs", concurrency)], [run],
            watch={"postgres": pg.pid},
        )  # fmt: skip
        after = settle(pg, url)
        pm.extra["postgres_cpu_seconds"] = round(pm.extra["postgres_cpu_seconds"] + after, 2)
        result = sync_row(name, pm, c, concurrency=concurrency)
        rows.append(_per_1000({**result, "postgres_settle_cpu_seconds": round(after, 2)}))
    return rows


def settle(pg: Postgres, url: str) -> float:
    """PostgreSQL's CPU-seconds for the background work a load leaves behind, done now and
    counted to that load: autovacuum of the freshly written tables (else it lands in whatever
    runs next on the server: dlt's vacuum and analyze were counted to paysync) and the
    checkpoint writing out their pages. Both tools pay it alike."""
    before = cpu_seconds(pg.pid)
    asyncio.run(admin(url, "VACUUM (ANALYZE)"))
    with contextlib.suppress(asyncpg.InsufficientPrivilegeError):  # a server not our own
        asyncio.run(admin(url, "CHECKPOINT"))
    return cpu_seconds(pg.pid) - before


def _per_1000(result: dict[str, Any]) -> dict[str, Any]:
    cpu = result["sync_cpu_seconds"] + result["postgres_cpu_seconds"]
    result["cpu_per_1000_records"] = round(cpu / max(1, result["records"]) * 1000, 4)
    return result


def _fetch_payments(emu: RunningEmulator) -> dict[str, Any]:
    """What the emulator can serve of these payments at all (the fetch-only limit for them)."""
    source = SmarterPaySource.model_validate(source_config(emu, "smarterpay", "bacs", 4))
    source.set_secret(secrets_env()[source.secret_env])
    got = asyncio.run(limits.fetch_only([(source, ("payments",))], emu.clock_now(), 10**9))
    return row("limit_fetch_payments", got.records, got.seconds, requests=got.requests)
