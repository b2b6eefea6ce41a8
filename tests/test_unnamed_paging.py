"""Provider behaviours issue 14 did not name, round 2 (paging and date ranges): each test runs
the real ``paysync sync`` command against an emulator started with one such ``--quirks``
behaviour and shows that the database equals the emulator's truth, or that the command stops
naming the source, the stream, the window and what to do, with nothing committed lost; pure
tests against small in-process servers cover the exact page-count edges the emulator's data
cannot be made to hit on purpose. The expected side is the emulator's truth or the server's own
list of records, never paysync's output.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from connectors.emulator_kit.quirks import QuirkPlan, QuirkSpecError
from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS as SP_STREAMS
from pipelines.sync.page_sizes import PageSize
from tests.oracle.compare import record_id
from tests.test_pager import SPEC, Server, read
from tests.test_provider_ties import PAGED, assert_paged_equal_truth
from tests.test_unnamed_behaviours import (
    EMULATORS,
    S2P_START,
    SP_START,
    equals_truth,
    loud,
    paysync_sync,
    stops_keeping_what_was_committed,
)  # fmt: skip
from tests.truth import differences, resource_of


def only_paged(provider: str) -> list[str]:
    """SmarterPay's change feed names every record created and the sync fetches those by id,
    which would hide a record the paging lost: its tests read the other streams only."""
    return [f for name in PAGED for f in ("--stream", name)] if provider == "smarterpay" else []


def paged_equal_truth(db_url: str, emu: Any, provider: str) -> None:
    if provider == "smarterpay":
        asyncio.run(assert_paged_equal_truth(db_url, emu))
    else:
        equals_truth(db_url, emu, provider)


def synced_equal_truth(provider: str, emu: Any, db_url: str, tmp_path: Path) -> None:
    """A real ``paysync sync`` succeeds and the database equals the truth; a second run
    (lookback, open records) then changes and deletes nothing."""
    result = paysync_sync(tmp_path, emu, db_url, provider, *only_paged(provider))
    assert result.returncode == 0, result.stderr[-3000:]
    paged_equal_truth(db_url, emu, provider)
    again = paysync_sync(tmp_path, emu, db_url, provider, *only_paged(provider))
    assert again.returncode == 0, again.stderr[-3000:]
    [summary] = orjson.loads(again.stdout)
    assert (summary["records_deleted"], summary["records_changed"]) == (0, 0), summary
    paged_equal_truth(db_url, emu, provider)


class Clamping(Server):
    """A page number past the end is answered with the last page again (``past_end=last``)."""

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        self.requests.append(dict(params))
        size = min(int(params["limit"]), self.cap)
        pages = max(1, -(-len(self.records) // size))
        page = min(int(params["page_no"]), pages)
        items = self.records[(page - 1) * size : page * size]
        return {SPEC.envelope: items} if items else {}


@pytest.mark.parametrize("total", [1, 7, 499, 500, 501, 1000, 1234])
@pytest.mark.parametrize("cap", [500, 40])
async def test_server_clamping_the_page_number_is_read_whole(total: int, cap: int) -> None:
    server = Clamping(total, cap=cap)
    size = PageSize(500)
    assert await read(server, size) == [r["ID"] for r in server.records]
    # no page cap learned from a repeated last page (only the server's own, seen on full pages)
    assert size.ask == (min(cap, 500) if total > cap else 500)


class NewestFirstArriving(Clamping):
    """A newest-first list (clamping past the end) where a record is created after every
    ``every``-th request: it sorts first, so every page after it moves down by one."""

    def __init__(self, total: int, cap: int, every: int) -> None:
        super().__init__(total, cap=cap)
        self.every, self.arrived = every, 0

    async def get_json(self, path: str, params: Mapping[str, str]) -> dict[str, Any]:
        body = await super().get_json(path, params)
        if len(self.requests) % self.every == 0:
            self.arrived += 1
            self.records.insert(0, {"ID": f"NEW{self.arrived:05d}", "Account_Number": "1"})
        return body


@pytest.mark.parametrize("every", [2, 3, 7])
async def test_records_created_while_a_newest_first_list_is_paged_skip_none(every: int) -> None:
    server = NewestFirstArriving(1234, cap=40, every=every)
    held = [r["ID"] for r in server.records]
    ids = await read(server, PageSize(500))
    assert set(held) - set(ids) == set()  # a record held before is never skipped
    assert server.arrived > 3 and len(ids) > len(set(ids))  # pages really moved down


# past_end=last against the emulators ----------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "quirk"),
    [("smarterpay", "past_end=last"), ("smarterpay", "past_end=last,page_max=10"),
     ("smart2pay", "past_end=last,paging=legacy"), ("smart2pay", "past_end=last,page_max=10")],
)  # fmt: skip
def test_pages_past_the_end_answered_with_the_last_lose_nothing(
    provider: str, quirk: str, fresh_db_url: str, tmp_path: Path
) -> None:
    with start_emulator(provider, seed=71, quirks=quirk, **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        synced_equal_truth(provider, emu, fresh_db_url, tmp_path)
        # The census pages on until an empty page: it must end there too, finding no drift.
        check = paysync_sync(tmp_path, emu, fresh_db_url, provider, "--repair", command="reconcile")
        assert check.returncode == 0, (check.stdout[-3000:], check.stderr[-3000:])
        paged_equal_truth(fresh_db_url, emu, provider)


@pytest.mark.parametrize(
    ("spec", "message"),
    [("past_end=first", "last"), ("order=random", "asc or desc"),
     ("range_max_days=0", "1 or more"), ("range_over=404", "400"), ("overlap=2", "use 1")],
)  # fmt: skip
def test_bad_paging_quirk_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(QuirkSpecError, match=message):
        QuirkPlan.parse(spec)


def test_paging_quirks_parse_and_stay_off_by_default() -> None:
    assert not QuirkPlan.parse(None).more.active
    plan = QuirkPlan.parse("past_end=last,order=desc,range_max_days=7,overlap=1").more
    assert plan.past_end_last and plan.order == "desc" and plan.range_max_days == 7
    assert plan.overlap and not plan.range_refused


# order=desc (newest first) / order=asc ---------------------------------------------------------
@pytest.mark.parametrize(
    ("provider", "quirk"),
    [("smarterpay", "order=desc"), ("smarterpay", "order=desc,ties=7,page_max=40"),
     ("smart2pay", "order=asc"), ("smart2pay", "order=asc,paging=legacy,page_max=40")],
)  # fmt: skip
def test_lists_in_the_other_order_lose_nothing(
    provider: str, quirk: str, fresh_db_url: str, tmp_path: Path
) -> None:
    with start_emulator(provider, seed=72, quirks=quirk, **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        synced_equal_truth(provider, emu, fresh_db_url, tmp_path)


def truth_ids(emu: Any) -> dict[str, set[str]]:
    return {
        spec.name: {record_id(r) for r in emu.truth(resource_of(spec))}
        for spec in SP_STREAMS.values()
        if spec.name in PAGED
    }


def test_records_arriving_while_a_newest_first_list_is_paged_skip_nothing(
    fresh_db_url: str, tmp_path: Path
) -> None:
    """A record created (or back-dated) while a newest-first list is paged shifts every later
    page down by one: the record at each boundary comes twice, none is skipped."""
    faults = "insert_while_paging=0.1,late_arrivals=0.1,seed=5"
    options = dict(seed=73, quirks="order=desc,page_max=40", faults=faults)
    with start_emulator("smarterpay", **options, **EMULATORS["smarterpay"]) as emu:
        # the clock runs: records inserted "now" on a frozen clock would all share one second
        before = truth_ids(emu)
        result = paysync_sync(tmp_path, emu, fresh_db_url, "smarterpay", *only_paged("smarterpay"))
        assert result.returncode == 0, result.stderr[-3000:]
        after = truth_ids(emu)
        arrived = {name: after[name] - before[name] for name in after}
        assert sum(map(len, arrived.values())) > 5, arrived  # the faults really happened
        # Every record held before the run is loaded as the provider holds it (those that
        # arrived meanwhile may be loaded or not: the next run's lookback is theirs).
        asyncio.run(paged_equal_ignoring(fresh_db_url, emu, arrived))


async def paged_equal_ignoring(db_url: str, emu: Any, ignore: dict[str, set[str]]) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        for name in PAGED:
            truth = emu.truth(resource_of(SP_STREAMS[name]))
            diff = await differences(conn, "smarterpay", "bacs", SP_STREAMS[name], truth,
                                     ignore[name])  # fmt: skip
            assert diff["counts"] == [0, 0], (name, diff)
    finally:
        await conn.close()


# range_max_days=N: a long date range answered for its newest N days only (or refused) ----------
@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_date_ranges_cut_to_the_newest_days_stop_loudly_keeping_what_was_committed(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    source = "'bacs'" if provider == "smarterpay" else "'cards'"
    needles = (source, "stream ", "window ", "newest", "max_window_days")
    stops_keeping_what_was_committed(provider, "range_max_days=5", fresh_db_url, tmp_path, *needles)


@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_date_ranges_refused_with_400_stop_fast_saying_what_to_do(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    source = "'bacs'" if provider == "smarterpay" else "'cards'"
    needles = (source, "stream ", "window ", "HTTP 400", "max_window_days")
    took = stops_keeping_what_was_committed(
        provider, "range_max_days=5,range_over=400", fresh_db_url, tmp_path, *needles
    )
    assert took < 50, f"{took:.0f}s: a refused range was retried as a transient failure"


@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_windows_no_longer_than_max_window_days_read_a_capping_server_whole(
    provider: str, fresh_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the stop says to do works: windows of at most the provider's span lose nothing."""
    monkeypatch.setenv("PAYSYNC_SYNC__MAX_WINDOW_DAYS", "30")
    quirk = "range_max_days=30"
    with start_emulator(provider, seed=74, quirks=quirk, **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        synced_equal_truth(provider, emu, fresh_db_url, tmp_path)


# overlap=1: every page repeats the last record of the page before ----------------------------


@pytest.mark.parametrize(
    ("provider", "quirk"),
    [("smarterpay", "overlap=1,page_max=40"), ("smarterpay", "overlap=1,ties=7,page_max=40"),
     ("smart2pay", "overlap=1,page_max=40")],
)  # fmt: skip
def test_pages_repeating_the_last_record_before_them_load_each_record_once(
    provider: str, quirk: str, fresh_db_url: str, tmp_path: Path
) -> None:
    with start_emulator(provider, seed=75, quirks=quirk, **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        synced_equal_truth(provider, emu, fresh_db_url, tmp_path)
        # The census pages the same overlapping pages (its own size, kept after a short page)
        # and ends at the short page of records already read past the end: no drift (exit 0
        # without --repair; 1 would be drift, 3 a census stop).
        since = ("--from", str(SP_START if provider == "smarterpay" else S2P_START))
        streams = only_paged(provider)  # (the change feed was not synced)
        check = paysync_sync(
            tmp_path, emu, fresh_db_url, provider, *since, *streams, command="reconcile"
        )
        assert check.returncode == 0, (check.stdout[-3000:], check.stderr[-3000:])


@pytest.mark.parametrize("provider", ["smarterpay", "smart2pay"])
def test_date_ranges_cut_on_a_first_backfill_stop_loudly(
    provider: str, fresh_db_url: str, tmp_path: Path
) -> None:
    """Nothing stored yet: a long window whose listing starts days after its start reads its
    oldest day alone, and the records there stop the run (INFERRED #157 says what escapes)."""
    quirk = "range_max_days=5"
    with start_emulator(provider, seed=76, quirks=quirk, **EMULATORS[provider]) as emu:
        emu.clock_freeze(True)
        result = paysync_sync(tmp_path, emu, fresh_db_url, provider, *only_paged(provider))
        source = "'bacs'" if provider == "smarterpay" else "'cards'"
        loud(result, source, "stream ", "window ", "older than", "newest", "max_window_days")
