"""Issue 18, growth over months: ``paysync db prune`` bounds paysync's bookkeeping and never
touches the stream tables, the window ledger or the status history analysts query."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests.test_sync_smarterpay import TOKEN, make_settings

PAYSYNC = str(Path(sys.executable).parent / "paysync")
OLD = "now() - interval '500 days'"


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=300, seed=29, token=TOKEN) as emu:
        yield emu


def cli(tmp_path: Path, db_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp_path / "paysync.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[[sources]]\nname = "bacs"\nprovider = "smarterpay"\n'
        'base_url = "https://127.0.0.1:9"\ntoken_env = "SP_TOKEN"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYSYNC_")}
    env |= {"PAYSYNC_CONFIG": str(config), "SP_TOKEN": TOKEN}
    return subprocess.run([PAYSYNC, "db", "prune", *args], env=env, capture_output=True,
                          text=True, timeout=180)  # fmt: skip


async def snapshot(conn: asyncpg.Connection) -> dict[str, Any]:
    """Everything prune must leave alone, as digests."""
    found = {}
    for spec in STREAMS.values():
        found[spec.name] = await conn.fetchval(
            f"SELECT md5(string_agg(t::text, '|' ORDER BY id)) FROM smarterpay.{spec.name} t"
        )
    for table, key in (("sync_windows", "source, stream, window_start"),
                       ("stream_state", "source, stream")):  # fmt: skip
        found[table] = await conn.fetchval(
            f"SELECT md5(string_agg(t::text, '|' ORDER BY {key})) FROM paysync.{table} t"
        )
    found["history"] = await conn.fetchval(
        """SELECT md5(string_agg(h::text, '|' ORDER BY provider, source, payment_id, seq))
           FROM analytics.payment_status_history h"""
    )
    return found


STATUS_CHANGE = " OR ".join(
    f"(stream = '{s.name}' AND '{s.status_column}' = ANY(changed_fields))"
    for s in STREAMS.values()
    if s.status_column
)


async def test_prune_deletes_old_bookkeeping_only(db_url: str, emulator, tmp_path: Path) -> None:
    settings = make_settings(db_url, emulator)
    await service.sync(settings, SyncRequest(as_of=emulator.clock_now()))
    emulator.mutate("payments", 20)
    emulator.mutate("mandates", 20)
    await service.sync(settings, SyncRequest(as_of=emulator.clock_now()))
    conn = await asyncpg.connect(db_url)
    try:
        # changes of other fields than the status (the emulator's mutations move statuses)
        await conn.execute(
            """INSERT INTO paysync.record_changes
               (source, stream, record_id, run_id, change_kind, changed_fields, before, after)
               SELECT source, 'payments', id, NULL, 'update', '{amount}', '{"amount": 1}',
                      jsonb_build_object('amount', amount)
               FROM smarterpay.payments ORDER BY id LIMIT 10"""
        )
        # everything paysync wrote is made old; one fresh row of each kind must stay
        await conn.execute(f"UPDATE paysync.record_changes SET changed_at = {OLD}")
        await conn.execute(f"UPDATE paysync.sync_runs SET started_at = {OLD}")
        lonely = await conn.fetchval(
            f"""INSERT INTO paysync.sync_runs (kind, source, started_at, finished_at, outcome)
                VALUES ('incremental', 'bacs', {OLD}, {OLD}, 'succeeded') RETURNING run_id"""
        )
        running = await conn.fetchval(
            f"""INSERT INTO paysync.sync_runs (kind, source, started_at)
                VALUES ('incremental', 'bacs', {OLD}) RETURNING run_id"""
        )
        for age in (OLD, "now()"):
            await conn.execute(
                f"""INSERT INTO paysync.webhook_events
                    (source, provider, idempotency_key, body, outcome, received_at)
                    VALUES ('bacs', 'smarterpay', 'k' || ({age})::text, '{{}}', 'applied', {age})"""
            )
            await conn.execute(
                f"""INSERT INTO paysync.rejects (source, stream, raw, error, received_at)
                    VALUES ('bacs', 'payments', 'x', 'bad', {age})"""
            )
        changes = await conn.fetchval("SELECT count(*) FROM paysync.record_changes")
        status_changes = await conn.fetchval(
            f"SELECT count(*) FROM paysync.record_changes WHERE {STATUS_CHANGE}"
        )
        assert 0 < status_changes < changes, (status_changes, changes)
        before = await snapshot(conn)

        dry = cli(tmp_path, db_url, "--dry-run")
        assert dry.returncode == 0, dry.stderr
        assert f"record_changes {changes - status_changes}," in dry.stdout, dry.stdout
        assert await conn.fetchval("SELECT count(*) FROM paysync.record_changes") == changes

        done = cli(tmp_path, db_url)
        assert done.returncode == 0, done.stderr
        assert await snapshot(conn) == before  # stream tables, ledger, status history
        assert await conn.fetchval("SELECT count(*) FROM paysync.record_changes") == status_changes
        for table in ("webhook_events", "rejects"):
            assert await conn.fetchval(f"SELECT count(*) FROM paysync.{table}") == 1, table
        runs = {r["run_id"] for r in await conn.fetch("SELECT run_id FROM paysync.sync_runs")}
        assert lonely not in runs and running in runs
        referenced = await conn.fetch(
            """SELECT run_id FROM paysync.sync_windows UNION SELECT last_run_id FROM
               paysync.stream_state UNION SELECT run_id FROM paysync.record_changes"""
        )
        assert {r["run_id"] for r in referenced} - {None} <= runs

        everything = cli(tmp_path, db_url, "--prune-status-changes")
        assert everything.returncode == 0, everything.stderr
        assert await conn.fetchval("SELECT count(*) FROM paysync.record_changes") == 0
    finally:
        await conn.close()


def test_webhook_retention_below_the_resend_period_is_refused(tmp_path: Path) -> None:
    done = cli(tmp_path, "postgresql://nobody@127.0.0.1:9/none", "--webhook-days", "3")
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
    assert "--webhook-days 3" in done.stderr
