"""Settings: precedence, secrets from named environment variables, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.errors import ConfigError
from pipelines.store.settings import load_settings

SECRET = "tok-very-secret-123"

TOML = """
[database]
url = "postgresql://file-user@db.example/paysync"

[sync]
lag_seconds = 30

[[sources]]
name = "acme-bacs"
provider = "smarterpay"
base_url = "https://api.smarterpaycloud.com/"
token_env = "ACME_BACS_TOKEN"
concurrency = 6

[[sources]]
name = "acme-cards"
provider = "smart2pay"
base_url = "https://paytest.smart2pay.com"
site_id = 30201
api_key_env = "ACME_CARDS_API_KEY"
"""


@pytest.fixture
def config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in ("DATABASE_URL", "PAYSYNC_DATABASE_URL", "ACME_BACS_TOKEN", "ACME_CARDS_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    path = tmp_path / "paysync.toml"
    path.write_text(TOML)
    monkeypatch.setenv("PAYSYNC_CONFIG", str(path))
    return path


def test_file_values_are_read(config: Path) -> None:
    settings = load_settings()
    assert settings.database.url == "postgresql://file-user@db.example/paysync"
    assert settings.sync.lag_seconds == 30
    bacs, cards = settings.sources
    assert (bacs.provider, bacs.base_url, bacs.concurrency) == (
        "smarterpay",
        "https://api.smarterpaycloud.com",
        6,
    )
    assert (cards.provider, cards.site_id) == ("smart2pay", 30201)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "postgresql://file-user@db.example/paysync"),
        ({"DATABASE_URL": "postgresql://generic/x"}, "postgresql://generic/x"),
        (
            {
                "PAYSYNC_DATABASE_URL": "postgresql://ours/x",
                "DATABASE_URL": "postgresql://generic/x",
            },
            "postgresql://ours/x",
        ),
    ],
    ids=["file", "DATABASE_URL-beats-file", "PAYSYNC_DATABASE_URL-beats-DATABASE_URL"],
)
def test_database_url_precedence(
    config: Path, monkeypatch: pytest.MonkeyPatch, env: dict[str, str], expected: str
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert load_settings().database.url == expected


def test_environment_beats_file_and_flags_beat_environment(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAYSYNC_SYNC__LAG_SECONDS", "5")
    assert load_settings().sync.lag_seconds == 5
    assert load_settings({"sync": {"lag_seconds": 1}}).sync.lag_seconds == 1


def test_secret_comes_from_the_named_variable(
    config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ACME_BACS_TOKEN", SECRET)
    settings = load_settings()
    source = settings.source("acme-bacs")
    assert source.require_secret().get_secret_value() == SECRET
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())


def test_missing_secret_names_the_variable(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"ACME_CARDS_API_KEY is not set .*api_key_env"):
        load_settings().source("acme-cards").require_secret()


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (lambda t: t.replace("[sync]", "[sync]\nlag_secs = 1"), r"sync\.lag_secs: unknown setting"),
        (
            lambda t: t.replace('token_env = "ACME_BACS_TOKEN"', 'token = "abc"'),
            r"sources\[0\]\.token: unknown setting",
        ),
        (lambda t: t.replace("site_id = 30201", "site_id = -1"), r"sources\[1\]\.site_id"),
        (
            lambda t: t.replace('"https://paytest.smart2pay.com"', '"ftp://x"'),
            r"sources\[1\]\.base_url: .*https://",
        ),
        (lambda t: t.replace("[sync]", "[sync"), r"cannot read .*paysync.toml"),
        (lambda t: t.replace('provider = "smart2pay"', 'provider = "paypal"'), r"sources\[1\]"),
    ],
    ids=[
        "unknown-key",
        "secret-in-file",
        "bad-site-id",
        "bad-url",
        "malformed-toml",
        "unknown-provider",
    ],
)
def test_bad_settings_name_the_setting_and_file(config: Path, edit, message: str) -> None:
    config.write_text(edit(TOML))
    with pytest.raises(ConfigError, match=message) as info:
        load_settings()
    assert str(config) in str(info.value)


def test_missing_config_file_named_by_variable(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PAYSYNC_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="PAYSYNC_CONFIG names .*nope.toml, which does not exist"):
        load_settings()


def test_unknown_source_lists_the_known_ones(config: Path) -> None:
    with pytest.raises(ConfigError, match="unknown source 'x' .*acme-bacs, acme-cards"):
        load_settings().source("x")
