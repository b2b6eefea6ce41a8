"""End to end under a real Prefect server: deploy ``prefect.yaml``, start two process workers,
run a partitioned backfill, and check both workers took partitions and the database equals
the emulator's truth. Every wait is bounded; every process started here is stopped here."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import time
from collections.abc import Iterator
from datetime import date, timedelta
from uuid import UUID

import asyncpg
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId
from prefect.settings import PREFECT_API_URL, temporary_settings

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from tests.prefect_stack import BASE_ENV, PREFECT, REPO, Processes, free_port, serve_and_deploy
from tests.truth import differences, resource_of

TOKEN = "sp-e2e-token-0042"
WINDOWED = [s for s in STREAMS.values() if s.window is not None and not s.parent]
START = date.today() - timedelta(days=1100)
END = date.today() + timedelta(days=2)


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=120, seed=53, token=TOKEN) as emu:
        emu.clock_freeze()
        yield emu


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, db_url: str, emulator) -> Iterator[dict]:
    """A Prefect server, the pool, the deployments and two workers, all local."""
    tmp = tmp_path_factory.mktemp("prefect-e2e")
    config = tmp / "paysync.toml"
    config.write_text(f"""[sync]\nlag_seconds = 0\n
[[sources]]
name = "bacs"
provider = "smarterpay"
base_url = "{emulator.base_url}"
token_env = "E2E_SP_TOKEN"
ca_bundle = "{emulator.ca_path}"
start_date = "{START}"
""")
    api = f"http://127.0.0.1:{free_port()}/api"
    env = {
        **os.environ, **BASE_ENV, "PREFECT_HOME": str(tmp / "home"), "PREFECT_API_URL": api,
        "PREFECT_API_SERVICES_SCHEDULER_ENABLED": "false",  # no 15-minute run in the middle
        "PAYSYNC_CONFIG": str(config), "PAYSYNC_DATABASE_URL": db_url, "E2E_SP_TOKEN": TOKEN,
    }  # fmt: skip
    procs = Processes(tmp)
    try:
        serve_and_deploy(procs, api, env)
        for name in ("worker-a", "worker-b"):
            procs.start(name, [PREFECT, "worker", "start", "--pool", "paysync", "--name", name, "--limit", "2"], env)  # fmt: skip
        yield {"api": api, "env": env, "procs": procs}
    finally:
        procs.stop()


def cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([PREFECT, *args], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)  # fmt: skip


async def read_run(api: str, run_id: UUID):
    with temporary_settings({PREFECT_API_URL: api}):
        async with get_client() as client:
            return await client.read_flow_run(run_id)


async def children(api: str, parent: UUID) -> list:
    """The partition runs the backfill submitted (``run_deployment`` links them to it)."""
    with temporary_settings({PREFECT_API_URL: api}):
        async with get_client() as client:
            return await client.read_flow_runs(
                flow_run_filter=FlowRunFilter(
                    parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent])
                )
            )


async def test_deploy_two_workers_share_a_partitioned_backfill(stack, db_url, emulator) -> None:
    api, env, procs = stack["api"], stack["env"], stack["procs"]
    listed = cli(["deployment", "ls"], env)
    for name in ("incremental-sync", "reconcile", "deep-rescan", "backfill", "backfill-partition"):
        assert name in listed.stdout, listed.stdout
    params = [f"range_from={START}", f"range_to={END}", "partitions=4"]
    run = cli(["deployment", "run", "backfill/backfill", *(a for p in params for a in ("--param", p))], env)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    parent_id = UUID(re.search(r"UUID: ([0-9a-f-]{36})", run.stdout).group(1))
    deadline = time.monotonic() + 150
    while True:
        parent = await read_run(api, parent_id)
        if parent.state and parent.state.is_final():
            break
        assert time.monotonic() < deadline, (parent.state, procs.tail("worker-a"), procs.tail("worker-b"))  # fmt: skip
        await asyncio.sleep(1)
    assert parent.state.is_completed(), (parent.state, procs.tail("worker-a"), procs.tail("worker-b"))  # fmt: skip
    parts = await children(api, parent_id)
    assert len(parts) == 4 and all(p.state.is_completed() for p in parts), parts
    workers = {p.labels.get("prefect.worker.name") for p in parts}
    assert workers == {"worker-a", "worker-b"}, workers  # both workers took partitions
    conn = await asyncpg.connect(db_url)
    try:
        recorded = await conn.fetch("SELECT DISTINCT flow_run_id FROM paysync.sync_runs")
        assert {r["flow_run_id"] for r in recorded} == {str(p.id) for p in parts}
        for spec in WINDOWED:
            truth = emulator.truth(resource_of(spec))
            diff = await differences(conn, "smarterpay", "bacs", spec, truth)
            assert diff["counts"] == [0, 0], (spec.name, diff)
            assert truth, spec.name
    finally:
        await conn.close()
