"""Requests kept in flight (issue 15), end to end: the engine against the SmarterPay emulator
answering 400 ms a request over real HTTPS, loading into a real PostgreSQL.

The client's semaphore is swapped for one that counts the requests inside it (on the wire)
and the latencies waited in a row: they show whether the engine fills the source's slots.
That the count never passes the bound is the semaphore's own doing; what these tests add is
that the engine reaches it, with guesses and overlapping windows, and still loads exactly the
emulator's truth for the range (filtered here, by creation time).
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.http import HttpClient
from pipelines.load import loader
from pipelines.store.settings import DatabaseSettings, Settings, SmarterPaySource, SyncSettings
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest

TOKEN = "sp-test-token-0042"
PAGE = 50  # the page size the source is known to serve: ~10 pages a week of this history


class CountingSemaphore(asyncio.Semaphore):
    """The client's bound, counting what holds it (requests on the wire) and numbering each
    request's round: one more than the latest round among the requests that had come back
    before it was sent (the first page is round 1; a page asked after it came back, round 2).
    Pages sent together share a round, so the rounds count the latencies waited in a row."""

    def __init__(self, value: int) -> None:
        super().__init__(value)
        self.bound, self.held, self.peak = value, 0, 0
        self.done_round = 0  # the latest round among the requests that came back
        self.rounds: list[int] = []  # a stack per holder: asyncio runs one task at a time
        self.by_task: dict[int, list[int]] = {}

    async def acquire(self) -> bool:
        await super().acquire()
        self.held += 1
        self.peak = max(self.peak, self.held)
        task = id(asyncio.current_task())
        self.by_task.setdefault(task, []).append(self.done_round + 1)
        self.rounds.append(self.done_round + 1)
        return True

    def release(self) -> None:
        self.held -= 1
        mine = self.by_task[id(asyncio.current_task())].pop()
        self.done_round = max(self.done_round, mine)
        super().release()


@pytest.fixture(scope="module")
def emulator():
    with start_emulator(
        "smarterpay", records=50_000, seed=11, token=TOKEN, latency_ms=400
    ) as emu:  # fmt: skip
        emu.clock_freeze(True)
        yield emu


@pytest.fixture
def wire(monkeypatch: pytest.MonkeyPatch) -> list[CountingSemaphore]:
    made: list[CountingSemaphore] = []
    original = HttpClient.__init__

    def init(self: HttpClient, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self._semaphore = CountingSemaphore(kwargs.get("concurrency", 4))
        made.append(self._semaphore)

    monkeypatch.setattr(HttpClient, "__init__", init)
    return made


async def backfill(db_url: str, emu: Any, concurrency: int, days: int) -> tuple[Any, set[str]]:
    """Backfill ``days`` of payments ending 30 days before the emulator's now; the report and
    the ids loaded."""
    conn = await asyncpg.connect(db_url)
    try:  # a page size learned by an earlier run: short pages are ends, no confirming request
        await conn.execute(
            "INSERT INTO paysync.page_sizes (source, stream, ask, proven) "
            "VALUES ('bacs', 'payments', $1, $1)", PAGE,
        )  # fmt: skip
    finally:
        await conn.close()
    source = SmarterPaySource(
        name="bacs", provider="smarterpay", base_url=emu.base_url, token_env="SP_TOKEN",
        ca_bundle=Path(emu.ca_path), start_date=date(2018, 1, 1), concurrency=concurrency,
    )  # fmt: skip
    source.set_secret(TOKEN)
    settings = Settings(
        database=DatabaseSettings(url=db_url),
        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=60),
        sources=[source],
    )
    start, end = window(emu, days)
    request = SyncRequest(
        kind="backfill", range_from=start, range_to=end, as_of=emu.clock_now()
    )  # fmt: skip
    [report] = await service.sync(settings, request, "bacs", ["payments"])
    conn = await asyncpg.connect(db_url)
    try:
        ids = {r["id"] for r in await conn.fetch("SELECT id FROM smarterpay.payments")}
    finally:
        await conn.close()
    return report, ids


def window(emu: Any, days: int) -> tuple[datetime, datetime]:
    now = emu.clock_now()
    end = datetime(now.year, now.month, now.day, tzinfo=UTC) - timedelta(days=30)
    return end - timedelta(days=days), end


def truth_ids(emu: Any, days: int) -> set[str]:
    start, end = window(emu, days)
    return {
        r["id"]
        for r in emu.truth("payments")
        if start <= datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")) < end
    }


def test_one_window_fills_every_slot_from_its_second_page(
    fresh_db_url: str, emulator: Any, wire: list[CountingSemaphore]
) -> None:
    # One 7-day window of ~10 pages and 8 slots: its first page covers a tenth of its span,
    # so the next eight are asked at once and the last with the first of those to come back:
    # three latencies in a row. A depth growing with the pages read (1, 1, 2, 3, ...) waits
    # five (pages 1 | 2 | 3-4 | 5-8 | 9-10).
    report, ids = asyncio.run(backfill(fresh_db_url, emulator, concurrency=8, days=7))
    expected = truth_ids(emulator, 7)
    assert ids == expected and len(expected) > 8 * PAGE  # exact, and worth 8 slots
    [semaphore] = wire
    assert semaphore.peak == semaphore.bound == 8
    # the page-origin probe (once per stream and source) goes out with the pages ahead
    assert max(semaphore.rounds) <= 3, semaphore.rounds
    # what the window did not need: guesses past its end, at most a share's worth (+ the probe)
    assert report.counts.requests <= -(-len(expected) // PAGE) + 1 + 8 + 1


def test_windows_share_the_bound_and_load_exactly(
    fresh_db_url: str, emulator: Any, wire: list[CountingSemaphore]
) -> None:
    # Three weeks at 4 slots: windows open at once share the slots, never more on the wire.
    report, ids = asyncio.run(backfill(fresh_db_url, emulator, concurrency=4, days=21))
    assert ids == truth_ids(emulator, 21)
    [semaphore] = wire
    assert semaphore.peak == semaphore.bound == 4
    assert report.outcome == "succeeded"


def test_the_next_window_is_read_while_the_last_one_merges(
    fresh_db_url: str, emulator: Any, wire: list[CountingSemaphore],
    monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    # One slot, two windows (7 days, then 3): the merge is made slow on purpose (the real
    # merge, after a pause), and the second window's requests must go out meanwhile. One
    # window after another would leave the slot idle for every merge.
    merging = 0
    during: list[int] = []
    original = loader.merge_stage

    async def slow_merge(*args: Any, **kwargs: Any) -> Any:
        nonlocal merging
        merging += 1
        try:
            await asyncio.sleep(1.5)
            return await original(*args, **kwargs)
        finally:
            merging -= 1

    monkeypatch.setattr(loader, "merge_stage", slow_merge)
    acquire = CountingSemaphore.acquire

    async def noting(self: CountingSemaphore) -> bool:
        taken = await acquire(self)
        during.append(merging)
        return taken

    monkeypatch.setattr(CountingSemaphore, "acquire", noting)
    report, ids = asyncio.run(backfill(fresh_db_url, emulator, concurrency=1, days=10))
    assert ids == truth_ids(emulator, 10)
    assert report.counts.windows == 2
    [semaphore] = wire
    assert semaphore.peak == 1  # the bound holds while the two windows overlap
    assert any(during), "no request was sent while a window merged"
