"""Issue 18, monitoring: ``paysync metrics`` (textfile collector) and the receiver's
``GET /metrics``. The output is read back with prometheus_client's own parser (an independent
reader of the format) and compared with the emulator's truth and the runs that were made."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import pytest
from aiohttp import web
from prometheus_client.parser import text_string_to_metric_families

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from pipelines.webhooks.app import Fetchers, close_hooks, make_app, make_runner, open_hooks
from tests.test_sync_smarterpay import TOKEN, make_settings
from tests.test_webhooks import free_port
from tests.truth import resource_of

PAYSYNC = str(Path(sys.executable).parent / "paysync")


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, frozenset(labels.items()))]


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=300, seed=19, token=TOKEN) as emu:
        emu.clock_freeze(True)
        yield emu


def cli_metrics(tmp_path: Path, db_url: str, emu: Any) -> str:
    config = tmp_path / "paysync.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[[sources]]\nname = "bacs"\nprovider = "smarterpay"\n'
        f'base_url = "{emu.base_url}"\ntoken_env = "SP_TOKEN"\nca_bundle = "{emu.ca_path}"\n'
        'start_date = "2018-01-01"\n'
    )
    out = tmp_path / "textfile" / "paysync.prom"
    out.parent.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYSYNC_")}
    env |= {"PAYSYNC_CONFIG": str(config), "SP_TOKEN": TOKEN}
    done = subprocess.run([PAYSYNC, "metrics", "--textfile", str(out)], env=env,
                          capture_output=True, text=True, timeout=180)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no temp left
    return out.read_text()


async def test_textfile_has_rows_outcomes_and_lag_per_stream(
    db_url: str, emulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = make_settings(db_url, emulator)
    [ok] = await service.sync(settings, SyncRequest(as_of=emulator.clock_now()))
    assert ok.outcome == "succeeded"
    found = samples(cli_metrics(tmp_path, db_url, emulator))
    for spec in STREAMS.values():
        truth = len(emulator.truth(resource_of(spec)))
        assert value(found, "paysync_stream_rows", source="bacs", stream=spec.name) == truth
        assert value(found, "paysync_stream_rejects", source="bacs", stream=spec.name) == 0
        last = dict(source="bacs", stream=spec.name)
        assert value(found, "paysync_stream_last_run_outcome", **last, outcome="succeeded") == 1
        assert value(found, "paysync_stream_last_run_outcome", **last, outcome="failed") == 0
        assert value(found, "paysync_stream_last_run_duration_seconds", **last) > 0
        assert value(found, "paysync_stream_lag_seconds", **last) >= 0

    # the provider answers 404 for the mandates list (its path points nowhere): that stream
    # fails, the run is partial, and the figures say so
    monkeypatch.setitem(STREAMS, "mandates", replace(STREAMS["mandates"], path="service.svc/nope"))
    [partial] = await service.sync(settings, SyncRequest(as_of=emulator.clock_now()))
    assert partial.outcome == "partial" and partial.streams["mandates"].error
    again = tmp_path / "again"
    again.mkdir()
    found = samples(cli_metrics(again, db_url, emulator))
    bad = dict(source="bacs", stream="mandates")
    assert value(found, "paysync_stream_last_run_outcome", **bad, outcome="succeeded") == 0
    assert value(found, "paysync_stream_last_run_outcome", **bad, outcome="failed") == 1
    fine = dict(source="bacs", stream="payments", outcome="succeeded")
    assert value(found, "paysync_stream_last_run_outcome", **fine) == 1


async def test_receiver_metrics_count_calls_and_latency(db_url: str, emulator) -> None:
    settings = make_settings(db_url, emulator)
    pool = await service.open_pool(settings, 4)
    hooks = await open_hooks(settings, pool)  # bacs has no webhook secret: calls are 401
    fetchers = Fetchers(pool, settings)
    runner = make_runner(make_app(pool, hooks, fetchers, settings=settings))
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            for _ in range(3):
                async with session.post(f"{base}/webhooks/smarterpay/bacs", data=orjson.dumps({}),
                                        headers={"Content-Type": "application/json"}) as r:  # fmt: skip
                    assert r.status == 401
            async with session.post(f"{base}/webhooks/smarterpay/nope", data=b"{}") as r:
                assert r.status == 404
            async with session.get(f"{base}/metrics") as r:
                assert r.status == 200 and r.content_type == "text/plain"
                text = await r.text()
    finally:
        await runner.cleanup()
        await fetchers.close()
        await close_hooks(pool, hooks)
        await pool.close()
    found = samples(text)
    assert value(found, "paysync_webhook_requests_total", source="bacs", status="401") == 3
    assert value(found, "paysync_webhook_requests_total", source="(unknown)", status="404") == 1
    assert value(found, "paysync_webhook_latency_seconds_count", source="bacs") == 3
    assert value(found, "paysync_webhook_latency_seconds_bucket", source="bacs", le="+Inf") == 3
    rows = value(found, "paysync_stream_rows", source="bacs", stream="payments")
    assert rows == len(emulator.truth(resource_of(STREAMS["payments"])))
