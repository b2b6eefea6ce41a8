"""dlt side by side: the same emulator, the same PostgreSQL server, the same payments.

dlt lives in its own virtual environment (``bench/.dlt-venv``, git-ignored), created here on
first use, so paysync's environment never depends on it.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import limits
from bench.env import Postgres, secrets_env, source_config
from bench.procs import measure, run_sync
from bench.scenarios import row, sync_row
from connectors.emulator_kit.testing import RunningEmulator
from pipelines.store.settings import SmarterPaySource

BENCH = Path(__file__).resolve().parent
VENV = BENCH / ".dlt-venv"
DLT_REQUIREMENT = "dlt[postgres]"


def ensure_venv() -> Path:
    python = VENV / "bin" / "python"
    if not python.exists():
        print(f"bench: installing {DLT_REQUIREMENT} into {VENV} (once)", file=sys.stderr)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import dlt, psycopg2"], capture_output=True)
    if probe.returncode != 0:
        subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
             DLT_REQUIREMENT],
            check=True,
        )  # fmt: skip
    return python


def dlt_rows(pg: Postgres, emu: RunningEmulator) -> list[dict[str, Any]]:
    """dlt, then paysync, on the emulator's payments (the whole list, merge on id)."""
    python = ensure_venv()
    url = pg.empty("dlt")
    env = {
        **secrets_env(),
        "REQUESTS_CA_BUNDLE": emu.ca_path or "",
        "SSL_CERT_FILE": emu.ca_path or "",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
        "RUNTIME__LOG_LEVEL": "WARNING",
    }
    with tempfile.TemporaryDirectory(prefix="bench-dlt-") as work:
        m = measure(
            [str(python), str(BENCH / "dlt_payments.py"), emu.base_url, url, work], env, (0,)
        )
    out = json.loads(m.stdout.strip().splitlines()[-1])
    ceiling = _fetch_payments(emu)
    dlt = row("dlt_payments", out["records"], out["seconds"], wall_seconds=round(m.seconds, 3),
              peak_rss_mb=round(m.peak_rss_mb, 1), rows_written=out["records"])  # fmt: skip
    run = {"source": "bacs", "kind": "incremental", "streams": ["payments"],
           "as_of": emu.clock_now().isoformat()}  # fmt: skip
    pm, c = run_sync(pg.fresh("dltside"), [source_config(emu, "smarterpay", "bacs", 4)], [run])
    paysync = sync_row("paysync_payments", pm, c)
    return [ceiling, dlt, paysync]


def _fetch_payments(emu: RunningEmulator) -> dict[str, Any]:
    """What the emulator can serve of these payments at all (the fetch-only limit for them)."""
    source = SmarterPaySource.model_validate(source_config(emu, "smarterpay", "bacs", 4))
    source.set_secret(secrets_env()[source.secret_env])
    got = asyncio.run(limits.fetch_only([(source, ("payments",))], emu.clock_now(), 10**9))
    return row("limit_fetch_payments", got.records, got.seconds, requests=got.requests)
