"""A schedule that fires by itself: a real Prefect server with its scheduler ON, the repository's
``prefect.yaml`` deployed as the README says (from a shell without ``PAYSYNC_CONFIG``) with the
incremental-sync interval shortened, one worker whose own environment names the config and
which connects as the DML-only writer role (README "Two roles").

Nothing here triggers a run: the test passes only if the server's scheduler creates a flow run
and the worker completes it with the worker's config (issue 18, items 1 and 2). With SQLAlchemy
2.1 the scheduler fails every cycle and no run appears; with ``PAYSYNC_CONFIG: "{{
$PAYSYNC_CONFIG }}"`` in the job variables the run fails on an empty config path.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from datetime import date, timedelta

import asyncpg
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import DeploymentFilter, DeploymentFilterName
from prefect.settings import PREFECT_API_URL, temporary_settings

from connectors.emulator_kit.testing import start_emulator
from tests.prefect_stack import BASE_ENV, PREFECT, REPO, Processes, free_port, serve_and_deploy
from tests.test_cli_db import paysync
from tests.test_deploy_roles import as_user

TOKEN = "sp-schedule-token-0042"
WRITER = f"paysync_sched_writer_t{os.getpid()}"
INTERVAL_SECONDS = 10


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=20, seed=61, token=TOKEN) as emu:
        emu.clock_freeze()
        yield emu


def short_interval_prefect_yaml(target) -> None:
    """The repository's prefect.yaml, only incremental-sync kept, its interval shortened."""
    spec = yaml.safe_load((REPO / "prefect.yaml").read_text())
    spec["deployments"] = [d for d in spec["deployments"] if d["name"] == "incremental-sync"]
    assert spec["deployments"], "prefect.yaml lost its incremental-sync deployment"
    spec["deployments"][0]["schedules"] = [{"interval": INTERVAL_SECONDS, "timezone": "UTC"}]
    target.write_text(yaml.safe_dump(spec, sort_keys=False))


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory, db_url: str, emulator) -> Iterator[dict]:
    tmp = tmp_path_factory.mktemp("prefect-schedule")
    config = tmp / "paysync.toml"
    config.write_text(f"""[sync]\nlag_seconds = 0\n
[[sources]]
name = "bacs"
provider = "smarterpay"
base_url = "{emulator.base_url}"
token_env = "SCHED_SP_TOKEN"
ca_bundle = "{emulator.ca_path}"
start_date = "{date.today() - timedelta(days=60)}"
""")
    deploy_file = tmp / "prefect.yaml"
    short_interval_prefect_yaml(deploy_file)
    api = f"http://127.0.0.1:{free_port()}/api"
    base = {k: v for k, v in os.environ.items() if k != "PAYSYNC_CONFIG"}
    deployer = {
        **base, **BASE_ENV, "PREFECT_HOME": str(tmp / "home"), "PREFECT_API_URL": api,
        "PREFECT_API_SERVICES_SCHEDULER_ENABLED": "true",
        "PREFECT_API_SERVICES_SCHEDULER_LOOP_SECONDS": "2",
    }  # fmt: skip
    # Only the worker knows the config, the database and the secret, as on a real machine; it
    # connects as the writer role (DML only), as README "Two roles" deploys it.
    asyncio.run(_admin(db_url, f"DROP ROLE IF EXISTS {WRITER}", f"CREATE ROLE {WRITER} LOGIN"))
    granted = paysync("db", "grant-writer", WRITER, env={"DATABASE_URL": db_url})
    assert granted.returncode == 0, granted.stderr
    worker = {**deployer, "PAYSYNC_CONFIG": str(config), "SCHED_SP_TOKEN": TOKEN,
              "PAYSYNC_DATABASE_URL": as_user(db_url, WRITER)}  # fmt: skip
    procs = Processes(tmp)
    try:
        serve_and_deploy(procs, api, deployer, deploy_file)
        procs.start("worker", [PREFECT, "worker", "start", "--pool", "paysync", "--name", "w1"], worker)  # fmt: skip
        yield {"api": api, "procs": procs}
    finally:
        procs.stop()
        asyncio.run(_admin(db_url, f"DROP OWNED BY {WRITER}", f"DROP ROLE IF EXISTS {WRITER}"))


async def _admin(url: str, *statements: str) -> None:
    conn = await asyncpg.connect(url)
    try:
        for sql in statements:
            await conn.execute(sql)
    finally:
        await conn.close()


async def test_a_short_interval_schedule_fires_and_completes_with_the_workers_config(
    stack, db_url: str
) -> None:
    api, procs = stack["api"], stack["procs"]
    with temporary_settings({PREFECT_API_URL: api}):
        async with get_client() as client:
            deployment = await client.read_deployment_by_name("incremental-sync/incremental-sync")
            env = (deployment.job_variables or {}).get("env", {})
            assert "PAYSYNC_CONFIG" not in env, env  # a stored value would override the worker's
            assert deployment.schedules and deployment.schedules[0].active
            deadline, completed = time.monotonic() + 240, None
            while completed is None:
                runs = await client.read_flow_runs(
                    deployment_filter=DeploymentFilter(name=DeploymentFilterName(any_=["incremental-sync"]))
                )  # fmt: skip
                failed = [r for r in runs if r.state and r.state.is_failed()]
                assert not failed, (failed[0].state, procs.tail("worker"))
                done = [r for r in runs if r.state and r.state.is_completed()]
                completed = done[0] if done else None
                assert time.monotonic() < deadline, (
                    f"no scheduled run completed; runs: {[(r.name, r.state_name) for r in runs]}",
                    procs.tail("server"), procs.tail("worker"),
                )  # fmt: skip
                await asyncio.sleep(1)
    assert completed.auto_scheduled, completed  # created by the scheduler, not by anyone here
    conn = await asyncpg.connect(db_url)
    try:
        rows = await conn.fetch(
            "SELECT source, outcome, records_read FROM paysync.sync_runs WHERE flow_run_id = $1",
            str(completed.id),
        )
    finally:
        await conn.close()
    assert rows and all(r["outcome"] == "succeeded" for r in rows), rows
    assert sum(r["records_read"] for r in rows) > 0, rows
