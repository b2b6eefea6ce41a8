"""The built wheel is a working paysync (issue 18 item 5): installed into a fresh venv, away from
the checkout, it migrates an empty database to the newest migration and syncs an emulator; an
installation without its SQL fails loudly instead of reporting version 0000.

The fresh venv sees the test venv's dependencies through a ``.pth`` line (not its paysync: the
editable install's finder is only activated by its own ``.pth``), so only paysync is installed.
"""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator

REPO = Path(__file__).resolve().parents[1]
TOKEN = "sp-wheel-token-0042"
NEWEST = max(int(p.name[:4]) for p in (REPO / "sql" / "migrations").glob("[0-9]*.sql"))


def sh(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 300):
    return subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bin/ of a fresh venv holding only the wheel built from this checkout."""
    tmp = tmp_path_factory.mktemp("wheel")
    # Built from a copy of the checkout's files: an in-tree build reuses a stale build/ folder,
    # which may hold SQL copied by an earlier build and hide a wheel that ships none.
    listed = sh(["git", "ls-files", "--cached", "--others", "--exclude-standard"], REPO).stdout
    for name in listed.split():
        if (REPO / name).is_file():
            (tmp / "src" / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, tmp / "src" / name)
    built = sh([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp / "dist"), str(tmp / "src")], tmp)  # fmt: skip
    assert built.returncode == 0, built.stderr[-3000:]
    [wheel] = (tmp / "dist").glob("paysync-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "pipelines/sql/migrations/0001_foundation.sql" in names, names[:20]
    venv = tmp / "venv"
    made = sh([sys.executable, "-m", "venv", "--without-pip", str(venv)], tmp)
    assert made.returncode == 0, made.stderr
    site = Path(sh([str(venv / "bin" / "python"), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).stdout.strip())  # fmt: skip
    (site / "test-venv-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = sh([sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install", "--no-deps", "-q", str(wheel)], tmp)  # fmt: skip
    assert pip.returncode == 0, pip.stderr[-3000:]
    where = sh([str(venv / "bin" / "python"), "-c", "import pipelines; print(pipelines.__file__)"], tmp)  # fmt: skip
    assert where.stdout.startswith(str(site)), (where.stdout, where.stderr)  # not the checkout's
    yield venv / "bin"


@pytest.fixture(scope="module")
def emulator():
    with start_emulator("smarterpay", records=60, seed=29, token=TOKEN) as emu:
        emu.clock_freeze()
        yield emu


def test_the_installed_wheel_migrates_and_syncs(
    installed: Path, empty_db_url: str, emulator, tmp_path: Path
) -> None:
    config = tmp_path / "paysync.toml"
    config.write_text(f"""[sync]\nlag_seconds = 0\n
[[sources]]
name = "bacs"
provider = "smarterpay"
base_url = "{emulator.base_url}"
token_env = "WHEEL_SP_TOKEN"
ca_bundle = "{emulator.ca_path}"
start_date = "{date.today() - timedelta(days=400)}"
""")
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": empty_db_url,
           "PAYSYNC_CONFIG": str(config), "WHEEL_SP_TOKEN": TOKEN}  # fmt: skip
    migrated = sh([str(installed / "paysync"), "db", "migrate"], tmp_path, env)
    assert migrated.returncode == 0, migrated.stderr
    assert f"database at version {NEWEST:04d}" in migrated.stdout, migrated.stdout
    synced = sh([str(installed / "paysync"), "sync", "--json"], tmp_path, env)
    assert synced.returncode == 0, (synced.stdout[-2000:], synced.stderr[-2000:])
    assert "Traceback" not in synced.stderr

    async def count() -> int:
        conn = await asyncpg.connect(empty_db_url)
        try:
            return int(await conn.fetchval("SELECT count(*) FROM smarterpay.payments"))
        finally:
            await conn.close()

    assert asyncio.run(count()) > 0


def test_an_installation_without_its_sql_fails_loudly(installed: Path, empty_db_url: str, tmp_path: Path) -> None:  # fmt: skip
    site_sql = Path(sh([str(installed / "python"), "-c", "import pipelines, pathlib; print(pathlib.Path(pipelines.__file__).parent / 'sql')"], tmp_path).stdout.strip())  # fmt: skip
    shutil.rmtree(site_sql)  # what a wheel without package data installs
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "DATABASE_URL": empty_db_url}
    result = sh([str(installed / "paysync"), "db", "migrate"], tmp_path, env)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "no migration files" in result.stderr and "0000" not in result.stdout
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
