"""Issue 18, logs: ``paysync --log-format json`` writes one JSON object a line on stderr: one line
per stream per run whose figures equal the run's own summary (``--json`` on stdout), and with
``--log-level DEBUG`` one line per window carrying source, stream, window and run id."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

from connectors.emulator_kit.testing import start_emulator
from tests.test_sync_smarterpay import TOKEN

PAYSYNC = str(Path(sys.executable).parent / "paysync")
FIGURES = ("windows", "pages", "requests", "records_read", "records_inserted",
           "records_changed", "records_deleted", "records_rejected")  # fmt: skip


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=200, seed=37, token=TOKEN) as emu:
        yield emu


def test_json_log_lines_per_stream_and_window(db_url: str, emulator, tmp_path: Path) -> None:
    config = tmp_path / "paysync.toml"
    config.write_text(
        f'[database]\nurl = "{db_url}"\n\n[sync]\nlag_seconds = 0\n\n[[sources]]\nname = "bacs"\n'
        f'provider = "smarterpay"\nbase_url = "{emulator.base_url}"\ntoken_env = "SP_TOKEN"\n'
        f'ca_bundle = "{emulator.ca_path}"\nstart_date = "2018-01-01"\n'
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAYSYNC_")}
    env |= {"PAYSYNC_CONFIG": str(config), "SP_TOKEN": TOKEN}
    done = subprocess.run(
        [PAYSYNC, "--log-format", "json", "--log-level", "DEBUG", "sync", "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    [summary] = orjson.loads(done.stdout)
    lines = [orjson.loads(line) for line in done.stderr.splitlines()]  # every line is JSON
    ours = [x for x in lines if x.get("logger") == "paysync.sync"]
    streams = [x for x in ours if x.get("event") == "stream_done"]
    assert sorted(x["stream"] for x in streams) == sorted(summary["streams"])  # one each
    for line in streams:
        expected = summary["streams"][line["stream"]]
        assert {k: line[k] for k in FIGURES} == {k: expected[k] for k in FIGURES}, line
        assert line["source"] == "bacs" and line["run_id"] == summary["run_id"]
        assert line["outcome"] == "succeeded" and line["level"] == "info"
    windows = [x for x in ours if x.get("event") == "window_done"]
    assert windows and all(
        x["source"] == "bacs" and x["run_id"] == summary["run_id"] and x["stream"] for x in windows
    )
    dated = [x for x in windows if x["window_start"]]
    assert dated and all(x["window_start"] < x["window_end"] for x in dated)
    for name, counts in summary["streams"].items():  # a window line for every window counted
        assert (
            sum(1 for x in windows if x["stream"] == name and not x["skipped"]) == counts["windows"]
        ), name
    assert TOKEN not in done.stderr
