"""Provider behaviours issue 14 did not name: each test starts an emulator with one such
``--quirks`` behaviour, runs the real ``paysync sync`` command against it and shows that the
database equals the emulator's truth, or that the command exits non-zero naming the source,
the stream and what to do, with nothing already committed lost. The expected side is always
the emulator's truth (or what an earlier, documented run committed), never paysync's output.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from collections.abc import Mapping
from contextvars import ContextVar
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from connectors.emulator_kit.quirks import QuirkPlan, QuirkSpecError
from connectors.emulator_kit.testing import start_emulator
from connectors.errors import ProviderRequestError
from connectors.http import _retry_after
from pipelines.sync import pager as pager_module
from pipelines.sync.page_sizes import PageSize
from tests import test_smart2pay_sync as s2p
from tests import test_sync_smarterpay as sp
from tests.test_pager import Server, read

PAYSYNC = str(Path(sys.executable).parent / "paysync")
# A little before the emulators' history (SmarterPay: 760 days, Smart2Pay: 395 days before
# now): years of empty windows ahead of it tested nothing and took most of each sync's time.
SP_START = date.today() - timedelta(days=800)
S2P_START = date.today() - timedelta(days=430)


def paysync_sync(
    tmp_path: Path, emu: Any, db_url: str, provider: str, *flags: str, command: str = "sync",
    budget: int = 60,
) -> subprocess.CompletedProcess[str]:  # fmt: skip
    """``paysync sync --json`` (or ``command``) as a user runs it: a TOML config and the
    secret in the environment; a retry budget of ``budget`` seconds a call."""
    config = tmp_path / f"{provider}.toml"
    if provider == "smarterpay":
        source = f'name = "bacs"\ntoken_env = "SP_TOKEN"\nstart_date = "{SP_START}"\n'
    else:
        source = (
            f'name = "cards"\nsite_id = {s2p.SITE_ID}\napi_key_env = "S2P_KEY"\n'
            f'start_date = "{S2P_START}"\n'
        )
    config.write_text(
        f'[[sources]]\nprovider = "{provider}"\nbase_url = "{emu.base_url}"\n'
        f'ca_bundle = "{emu.ca_path}"\n{source}'
    )
    env = {
        **os.environ, "PAYSYNC_CONFIG": str(config), "DATABASE_URL": db_url,
        "SP_TOKEN": sp.TOKEN, "S2P_KEY": s2p.API_KEY, "PAYSYNC_SYNC__LAG_SECONDS": "0",
        "PAYSYNC_SYNC__RETRY_BUDGET_SECONDS": str(budget),
    }  # fmt: skip
    argv = [PAYSYNC, command, "--json", *flags]
    return subprocess.run(argv, env=env, capture_output=True, text=True, timeout=600)


def equals_truth(db_url: str, emu: Any, provider: str) -> None:
    check = sp.assert_equals_truth if provider == "smarterpay" else s2p.assert_equals_truth
    asyncio.run(check(db_url, emu))


async def _snapshot(db_url: str, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every record's id and deletion mark, by table (what "nothing committed lost" means; raw
    bodies differ between two emulator processes where they carry times relative to start)."""
    conn = await asyncpg.connect(db_url)
    try:
        tables = await conn.fetch(
            """SELECT table_name FROM information_schema.columns
               WHERE table_schema = $1 AND column_name IN ('id', '_deleted_at')
               GROUP BY table_name HAVING count(*) = 2""",
            schema,
        )
        found = {}
        for t in tables:
            rows = await conn.fetch(f'SELECT id, _deleted_at FROM {schema}."{t[0]}" ORDER BY id')
            found[t[0]] = [tuple(r) for r in rows]
        assert found, f"no {schema} tables: the comparison proves nothing"
        return found
    finally:
        await conn.close()


def snapshot(db_url: str, schema: str) -> dict[str, list[tuple[Any, ...]]]:
    return asyncio.run(_snapshot(db_url, schema))


def loud(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    """The command failed with a message naming the source and ``needles``; no traceback."""
    assert result.returncode != 0, result.stdout[-2000:]
    errors = [line for line in result.stderr.splitlines() if line.startswith("paysync: ")]
    assert errors, result.stderr[-2000:]
    assert "Traceback" not in result.stderr, result.stderr[-3000:]
    text = "\n".join(errors)
    for needle in needles:
        assert needle in text, (needle, text)
    return text


EMULATORS = {
    "smarterpay": dict(records=700, token=sp.TOKEN),
    "smart2pay": dict(records=700, site_id=s2p.SITE_ID, api_key=s2p.API_KEY),
}


# Page numbers and offsets counted from 0 -------------------------------------------------------
@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_pages_counted_from_zero_lose_nothing(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    with start_emulator(provider, seed=61, quirks="origin=0", **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        result = paysync_sync(tmp_path, emu, fresh_db_url, provider)
        assert result.returncode == 0, result.stderr[-3000:]
        equals_truth(fresh_db_url, emu, provider)
        # The independent check must not be fooled either: a census missing the first page
        # would call those records "extra", and --repair would mark them deleted.
        check = paysync_sync(tmp_path, emu, fresh_db_url, provider, "--repair", command="reconcile")
        assert check.returncode == 0, (check.stdout[-3000:], check.stderr[-3000:])
        equals_truth(fresh_db_url, emu, provider)


# A list answered as a bare array, or under another key; date filters not understood ---------
def stops_keeping_what_was_committed(
    provider: str, quirk: str, db_url: str, tmp_path: Path, *needles: str
) -> float:
    """A documented emulator's data committed first; then the same data behind ``quirk``: the
    command fails naming ``needles`` and the committed rows stay as they were. Its seconds."""
    schema = "smarterpay" if provider == "smarterpay" else "smart2pay"
    options = dict(seed=62, **EMULATORS[provider])
    with start_emulator(provider, **options) as good:
        good.clock_freeze(True)
        at = good.clock_now()
        assert paysync_sync(tmp_path, good, db_url, provider).returncode == 0
        before = snapshot(db_url, schema)
    with start_emulator(provider, quirks=quirk, **options) as bad:
        bad.clock_freeze(True)
        bad.clock_set(at)
        started = time.monotonic()
        result = paysync_sync(tmp_path, bad, db_url, provider, "--full-refresh")
        took = time.monotonic() - started
        loud(result, *needles)
        assert snapshot(db_url, schema) == before  # nothing committed lost
    return took


@pytest.mark.parametrize("shape", ["bare", "data"])
def test_list_in_another_wrapping_stops_fast_and_keeps_what_was_committed(
    shape: str, fresh_db_url: str, tmp_path: Path
) -> None:
    needles = ("'bacs'", "stream ", "changed")
    took = stops_keeping_what_was_committed(
        "smarterpay", f"body={shape}", fresh_db_url, tmp_path, *needles
    )
    assert took < 50, f"{took:.0f}s: a contract change was retried as a transient failure"


@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_date_filter_ignored_stops_and_keeps_what_was_committed(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    source = "'bacs'" if provider == "smarterpay" else "'cards'"
    needles = (source, "stream ", "far outside the window", "date filter")
    stops_keeping_what_was_committed(provider, "filter=ignored", fresh_db_url, tmp_path, *needles)


@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_exclusive_date_filter_bounds_lose_nothing(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    quirk = "filter_bounds=exclusive"
    with start_emulator(provider, seed=63, quirks=quirk, **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        result = paysync_sync(tmp_path, emu, fresh_db_url, provider)
        assert result.returncode == 0, result.stderr[-3000:]
        equals_truth(fresh_db_url, emu, provider)
        # An incremental run after it (lookback, open records) deletes and changes nothing.
        # (The clock stays: the command plans by the wall clock, not the emulator's.)
        again = paysync_sync(tmp_path, emu, fresh_db_url, provider)
        assert again.returncode == 0, again.stderr[-3000:]
        [summary] = orjson.loads(again.stdout)
        assert (summary["records_deleted"], summary["records_changed"]) == (0, 0), summary
        equals_truth(fresh_db_url, emu, provider)


# Bodies with another Content-Type, gzip, numbers sent as strings ------------------------------
@pytest.mark.parametrize(
    ("provider", "quirk"),
    [
        ("smarterpay", "content_type=text/plain"),
        ("smart2pay", "content_type=application/octet-stream,gzip=1"),
        ("smarterpay", "content_type=application/json; charset=ISO-8859-1,gzip=1"),
        ("smarterpay", "strings=amount"),
        ("smart2pay", "strings=Amount,strings=ID"),
    ],
)  # fmt: skip
def test_bodies_sent_another_way_lose_nothing(
    provider: str, quirk: str, fresh_db_url: str, tmp_path: Path
) -> None:
    with start_emulator(provider, seed=64, quirks=quirk, **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        result = paysync_sync(tmp_path, emu, fresh_db_url, provider)
        assert result.returncode == 0, result.stderr[-3000:]
        equals_truth(fresh_db_url, emu, provider)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("origin=1", "use 0"), ("body=xml", "bare or data"), ("filter=utc", "ignored"),
     ("content_type= ", "media type"), ("gzip=yes", "use 1")],
)  # fmt: skip
def test_bad_unnamed_quirk_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(QuirkSpecError, match=message):
        QuirkPlan.parse(spec)


def test_unnamed_quirks_parse_and_stay_off_by_default() -> None:
    assert not QuirkPlan.parse(None).more.active
    plan = QuirkPlan.parse("origin=0,strings=amount,strings=ID,body=bare").more
    assert plan.origin == 0 and plan.strings == {"amount", "ID"} and plan.body == "bare"


# The origin probe against small in-process servers (pure), for what the emulator cannot show:
PROBING: ContextVar[bool] = ContextVar("probing", default=False)


@pytest.fixture(autouse=True)
def _marked_probes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The origin probe's requests are marked, so a server can count them (they ask a real
    page size, like any other page)."""
    real = pager_module.counts_from_zero

    async def marked(*args: Any) -> bool | None:
        token = PROBING.set(True)
        try:
            return await real(*args)
        finally:
            PROBING.reset(token)

    monkeypatch.setattr(pager_module, "counts_from_zero", marked)


class FromZeroServer(Server):
    """A server counting ``page_no`` from 0: the client's page_no n is its page n + 1."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        marked = {"_probe": "1"} if PROBING.get() else {}
        shifted = {**params, **marked, "page_no": str(int(params["page_no"]) + 1)}
        return await super().get_json(path, shifted)


def probes(server: FromZeroServer) -> int:
    """Origin probes the server saw (since its requests were last cleared)."""
    return sum("_probe" in r for r in server.requests)


class RefusingZeroServer(Server):
    """A server counting from 1, as documented, that answers page_no=0 with HTTP 400."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        if params.get("page_no") == "0":
            self.requests.append(dict(params))
            raise ProviderRequestError("source 's': GET x answered HTTP 400: page_no", 400)
        return await super().get_json(path, params)


@pytest.mark.parametrize("total", [1, 7, 499, 500, 501, 1234])
async def test_server_counting_pages_from_zero_is_read_whole(total: int) -> None:
    server = FromZeroServer(total)
    size = PageSize(500)
    assert await read(server, size) == [r["ID"] for r in server.records]
    assert size.origin == 0 and size.dirty  # remembered for the next run
    assert probes(server) == 1
    server.requests.clear()
    assert await read(server, size) == [r["ID"] for r in server.records]
    assert probes(server) == 0  # settled: no probe any more


@pytest.mark.parametrize("server_class", [Server, RefusingZeroServer])
async def test_documented_origin_is_settled_once_and_costs_nothing_after(
    server_class: type[Server],
) -> None:
    server = server_class(1234)
    size = PageSize(500)
    assert await read(server, size) == [r["ID"] for r in server.records]
    assert size.origin == 1
    server.requests.clear()
    await read(server, size)
    assert [r["page_no"] for r in server.requests] == ["1", "2", "3"]


async def test_empty_window_leaves_the_origin_unsettled() -> None:
    size = PageSize(500)
    assert await read(FromZeroServer(0), size) == []
    assert size.origin is None  # empty both ways: nothing missed, nothing learned


class SlowFirstPage(FromZeroServer):
    """Its first answer comes late: another window settles the origin meanwhile."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        if not self.requests:
            await asyncio.sleep(0.2)
        return await super().get_json(path, params)


async def test_window_asked_before_another_settled_the_origin_is_read_again() -> None:
    size = PageSize(500)  # one stream's, shared by its windows as in a run
    fast, slow = FromZeroServer(1234), SlowFirstPage(7)
    found = await asyncio.gather(read(fast, size), read(slow, size))
    assert found == [[r["ID"] for r in s.records] for s in (fast, slow)]
    assert probes(slow) == 0  # it did not probe: the other window had settled it


@pytest.mark.parametrize(
    ("value", "seconds"),
    [("Mon, 30 Nov 2026 12:01:30 GMT", 90.0), ("30", 30.0), ("Mon, 30 Nov 2026 11:00:00 GMT", 0.0),
     ("soon", None)],
)  # fmt: skip
def test_retry_after_as_an_http_date_is_honoured(value: str, seconds: float | None) -> None:
    now = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    assert _retry_after({"Retry-After": value}, now) == seconds
