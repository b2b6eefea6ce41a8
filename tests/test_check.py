"""``paysync check`` (issue 18: the CLI an operator expects): one table, a remedy per failure,
exit 0 only when configuration, secrets, database and every source are ready."""

from __future__ import annotations

from pathlib import Path

import pytest

from connectors.emulator_kit.testing import start_emulator
from tests.test_cli_db import paysync

TOKEN = "sp-check-token-0042"
SITE_ID, API_KEY = 30207, "s2p-check-key-0042"


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=30, seed=41, token=TOKEN) as emu:
        yield emu


@pytest.fixture(scope="module")
def cards():
    with start_emulator("smart2pay", records=100, seed=43, site_id=SITE_ID, api_key=API_KEY) as emu:
        yield emu


@pytest.fixture
def config(tmp_path: Path, emulator, cards) -> Path:
    path = tmp_path / "paysync.toml"
    path.write_text(f"""[[sources]]
name = "bacs"
provider = "smarterpay"
base_url = "{emulator.base_url}"
token_env = "CHECK_SP_TOKEN"
ca_bundle = "{emulator.ca_path}"

[[sources]]
name = "cards"
provider = "smart2pay"
base_url = "{cards.base_url}"
site_id = {SITE_ID}
api_key_env = "CHECK_S2P_KEY"
ca_bundle = "{cards.ca_path}"
""")
    return path


def check(config: Path, db_url: str, **env: str):
    env = {"PAYSYNC_CONFIG": str(config), "DATABASE_URL": db_url, "CHECK_S2P_KEY": API_KEY, **env}
    return paysync("check", env=env)


def test_a_ready_deployment_passes_every_line(config: Path, db_url: str) -> None:
    result = check(config, db_url, CHECK_SP_TOKEN=TOKEN)
    assert result.returncode == 0, (result.stdout, result.stderr)
    for line in ("database reachable", "database migrated", "database writable",
                 "bacs: secret", "bacs: provider", "cards: secret", "cards: provider"):  # fmt: skip
        assert line in result.stdout, result.stdout
    assert "FAIL" not in result.stdout and max(map(len, result.stdout.splitlines())) <= 80


def test_each_broken_part_is_named_with_its_remedy(config: Path, db_url, empty_db_url) -> None:
    refused = check(config, db_url, CHECK_SP_TOKEN="not-the-token")
    assert refused.returncode == 2 and "bacs: provider" in refused.stderr, refused.stderr
    cards_refused = check(config, db_url, CHECK_SP_TOKEN=TOKEN, CHECK_S2P_KEY="wrong")
    assert cards_refused.returncode == 2 and "cards: provider" in cards_refused.stderr
    assert "CHECK_SP_TOKEN" in refused.stdout and "not-the-token" not in refused.stdout
    unset = check(config, db_url)
    assert unset.returncode == 2 and "CHECK_SP_TOKEN" in unset.stdout, unset.stdout
    behind = check(config, empty_db_url, CHECK_SP_TOKEN=TOKEN)
    words = " ".join(behind.stdout.split())  # the 80-column table wraps the remedy
    assert behind.returncode == 2 and "paysync db migrate" in words, behind.stdout
    for result in (refused, unset, behind):
        assert "Traceback" not in result.stderr + result.stdout
        assert len(result.stderr.strip().splitlines()) == 1, result.stderr
