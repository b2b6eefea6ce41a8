"""Part of ``analyst_queries``: ``dbt parse`` on a project whose sources are what
``paysync dbt sources`` writes, so "a dbt project can build on paysync at once" is checked by
dbt itself. dbt lives in its own virtual environment under ``bench/.work`` (git-ignored), never
in paysync's dependencies.

dbt-core is pinned below 1.11: the newer releases fetch a parser binary from GitHub at install
time, which an offline package mirror cannot serve.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import asyncpg
import orjson

from pipelines.cli.dbt import build_sources, freshness, read_catalog, render
from pipelines.store.settings import Settings

WORK = Path(__file__).resolve().parent / ".work"
VENV = WORK / "dbt-venv"
REQUIREMENTS = ("dbt-core>=1.8,<1.11", "dbt-postgres>=1.8,<1.11")
MODEL = """-- A model built on paysync's sources: parse resolves every source() it names.
select p.provider, p.id, p.amount, h.to_status
from {{ source('analytics', 'payments') }} p
join {{ source('analytics', 'payment_status_history') }} h
  on h.provider = p.provider and h.source = p.source and h.payment_id = p.id
join {{ source('smarterpay', 'payments') }} s on s.source = p.source and s.id = p.id
"""


def ensure_venv() -> Path:
    dbt = VENV / "bin" / "dbt"
    if not dbt.exists():
        print(f"bench: installing dbt into {VENV} (once)", file=sys.stderr)
        base = getattr(sys, "_base_executable", sys.executable)
        subprocess.run([base, "-m", "venv", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "python"), "-m", "pip", "install", "--quiet",
             "--disable-pip-version-check", *REQUIREMENTS],
            check=True,
        )  # fmt: skip
    return dbt


def _profile(url: str) -> str:
    parts = urlsplit(url)
    host = parse_qs(parts.query).get("host", [parts.hostname or "localhost"])[0]
    return (
        "paysync_check:\n  target: bench\n  outputs:\n    bench:\n      type: postgres\n"
        f"      host: '{host}'\n      port: {parts.port or 5432}\n"
        f"      user: '{parts.username or 'postgres'}'\n      password: ''\n"
        f"      dbname: '{parts.path.lstrip('/')}'\n      schema: dbt_paysync\n      threads: 1\n"
    )


async def _sources(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        catalog = await read_catalog(conn)
    finally:
        await conn.close()
    return render(build_sources(catalog, freshness(Settings(), None, None)))


def dbt_parse(url: str) -> dict[str, Any]:
    """Install dbt (once), write a project with the generated sources, run ``dbt parse``."""
    started = time.perf_counter()
    dbt = ensure_venv()
    installed = time.perf_counter() - started
    project = WORK / "dbt-project"
    (project / "models").mkdir(parents=True, exist_ok=True)
    (project / "dbt_project.yml").write_text(
        "name: paysync_check\nversion: '1.0'\nconfig-version: 2\nprofile: paysync_check\n"
        "model-paths: ['models']\n"
    )
    (project / "profiles.yml").write_text(_profile(url))
    (project / "models" / "paysync_sources.yml").write_text(asyncio.run(_sources(url)))
    (project / "models" / "payment_statuses.sql").write_text(MODEL)
    started = time.perf_counter()
    done = subprocess.run(
        [str(dbt), "parse", "--project-dir", str(project), "--profiles-dir", str(project)],
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    result: dict[str, Any] = {
        "ok": done.returncode == 0,
        "install_seconds": round(installed, 1),
        "parse_seconds": round(time.perf_counter() - started, 1),
    }
    manifest = project / "target" / "manifest.json"
    if done.returncode == 0 and manifest.is_file():
        data = orjson.loads(manifest.read_bytes())
        result["sources"] = len(data["sources"])
        result["tests"] = sum(1 for n in data["nodes"].values() if n["resource_type"] == "test")
    else:
        result["output"] = (done.stdout + done.stderr)[-2000:]
    return result
