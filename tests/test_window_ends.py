"""Dense windows prove their ends from their own listing instead of reading an hour past them
(pipelines/sync/edges.py, INFERRED #135), and read an end again where the listing does not
prove it. The emulator holds 400,000 payments over two years (about 23 an hour: dense enough
that the hour of slack costs more than proving); the sync reads the last twenty days, one
window at a time (the first one reads the slack, its density decides the others'). With the
filter zone an hour off (the provider means London in summer, ``timezone`` says UTC) every
window's listing stops an hour early, so its end is read again: the database still equals the
truth, and a second run changes nothing."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.store.settings import (
    DatabaseSettings,
    Settings,
    Smart2PaySource,
    SmarterPaySource,
    SyncSettings,
)
from pipelines.sync import edges, engine, reading, service
from pipelines.sync.plan import SyncRequest
from tests import test_sync_smarterpay as sp
from tests.truth import differences

SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)
DAYS = 20


def settings(db_url: str, emu: Any, start: date, **source: Any) -> Settings:
    src = SmarterPaySource(
        name="bacs", provider="smarterpay", base_url=emu.base_url, token_env="SP_TOKEN",
        ca_bundle=Path(emu.ca_path), start_date=start, lookback_days=1, concurrency=1, **source,
    )  # fmt: skip
    src.set_secret(sp.TOKEN)
    return Settings(
        database=DatabaseSettings(url=db_url),
        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=60),
        sources=[src],
    )


@contextmanager
def dense_summer(quirks: str | None = None, **options: Any) -> Iterator[tuple[Any, date]]:
    """The 400,000-payment emulator, its clock frozen in summer, and the sync's start date
    (``DAYS`` back); ``quirks``/``options`` as ``start_emulator`` takes them."""
    with start_emulator(
        "smarterpay", records=400_000, seed=61, token=sp.TOKEN, quirks=quirks, **options
    ) as emu:
        emu.clock_set(SUMMER)
        emu.clock_freeze(True)
        yield emu, (emu.clock_now() - timedelta(days=DAYS)).date()


async def changes(db_url: str, kind: str | None = None) -> int:
    """Rows in ``paysync.record_changes`` (of one ``change_kind`` when given)."""
    conn = await asyncpg.connect(db_url)
    try:
        return int(await conn.fetchval(
            "SELECT count(*) FROM paysync.record_changes WHERE $1::text IS NULL OR change_kind = $1",
            kind,
        ))  # fmt: skip
    finally:
        await conn.close()


@pytest.fixture
def read_again(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, ...]]:
    """The ends each window read again (a spy on the decision, not a change of it)."""
    seen: list[tuple[Any, ...]] = []
    decide = edges.bands

    def spy(*args: Any) -> list[Any]:
        found = decide(*args)
        seen.extend(found)
        return found

    monkeypatch.setattr(edges, "bands", spy)
    return seen


async def run(config: Settings, emu: Any) -> Any:
    [report] = await service.sync(config, SyncRequest(as_of=emu.clock_now()), None, ["payments"])
    return report


def recent_truth(emu: Any, start: date) -> list[dict[str, Any]]:
    """The emulator's payments created since ``start`` (the clock is frozen: read once). The
    emulator filters (400,000 records take 10 s to read) and the test again, not trusting it."""
    since = datetime(start.year, start.month, start.day, tzinfo=UTC)
    return [
        r for r in emu.truth("payments", since)
        if datetime.fromisoformat(r["created_at"].replace("Z", "+00:00")) >= since
    ]  # fmt: skip


async def assert_payments_equal(db_url: str, truth: list[dict[str, Any]]) -> None:
    conn = await asyncpg.connect(db_url)
    try:
        diff = await differences(conn, "smarterpay", "bacs", STREAMS["payments"], truth)
        deleted = await conn.fetchval(
            "SELECT count(*) FROM smarterpay.payments WHERE _deleted_at IS NOT NULL"
        )
    finally:
        await conn.close()
    assert diff["counts"] == [0, 0], diff
    assert deleted == 0
    assert len(truth) > 500


def zone_hints(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "seem to mean a zone" in r.getMessage()]


async def test_filter_zone_an_hour_off_reads_each_unproven_end_again(
    fresh_db_url: str, read_again: list[tuple[Any, ...]], caplog: pytest.LogCaptureFixture
) -> None:
    with dense_summer("filter_tz=Europe/London") as (emu, start):
        config = settings(fresh_db_url, emu, start)  # timezone UTC: one hour off
        report = await run(config, emu)
        assert report.outcome == "succeeded", report
        truth = recent_truth(emu, start)
        await assert_payments_equal(fresh_db_url, truth)
        # the window after the first knew the density and proved its ends: with the filter an
        # hour early, its end was read again (after that a band costs more than the slack saves,
        # and the stream may read the slack again: edges.Costs)
        assert len(read_again) >= 1, read_again
        # the operator is told once what to set: London is an hour ahead of UTC in summer
        [hint] = zone_hints(caplog)
        assert "near its end" in hint and "zone ahead of timezone=UTC" in hint, hint
        again = await run(config, emu)
        assert again.outcome == "succeeded", again
        await assert_payments_equal(fresh_db_url, truth)
        assert await changes(fresh_db_url) == 0  # no false delete, no undelete, no churn


async def test_filter_zone_right_proves_dense_ends_without_reading_them_again(
    fresh_db_url: str, read_again: list[tuple[Any, ...]], caplog: pytest.LogCaptureFixture
) -> None:
    with dense_summer("filter_tz=Europe/London") as (emu, start):
        config = settings(fresh_db_url, emu, start, timezone="Europe/London")
        report = await run(config, emu)
        assert report.outcome == "succeeded", report
        await assert_payments_equal(fresh_db_url, recent_truth(emu, start))
        assert zone_hints(caplog) == []
        conn = await asyncpg.connect(fresh_db_url)
        try:
            windows = await conn.fetch(
                "SELECT window_start, window_end FROM paysync.sync_windows WHERE stream = 'payments'"
            )
            times = [
                r["created_at"]
                for r in await conn.fetch("SELECT created_at FROM smarterpay.payments")
            ]
        finally:
            await conn.close()
        # Where the stored records (an independent count: the database, not the listing) lie
        # within a quarter hour of both ends, no end may have been read again.
        quarter = timedelta(minutes=15)
        provable = {
            (w["window_start"], w["window_end"]) for w in windows
            if any(w["window_start"] <= t < w["window_start"] + quarter for t in times)
            and any(w["window_end"] - quarter <= t < w["window_end"] for t in times)
        }  # fmt: skip
        assert len(provable) >= 3
        for lo, hi in read_again:
            assert not any(
                lo <= s - timedelta(hours=1) and e + timedelta(hours=1) <= hi
                for s, e in provable
                if hi - lo > timedelta(hours=2)
            ), (lo, hi)
            assert not any(
                abs((lo + timedelta(hours=1)) - edge) < timedelta(seconds=1)
                for s, e in provable
                for edge in (s, e)
            ), (lo, hi)


def _at(record: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(record["created_at"].replace("Z", "+00:00"))


async def test_an_end_a_quarter_hour_short_is_not_taken_as_proven(fresh_db_url: str) -> None:
    """Zones a quarter hour apart (``timezone`` Asia/Kolkata, +5:30, against a provider that
    means Asia/Kathmandu, +5:45) end every window's filter 15 minutes early, its widened end
    (``created_to`` = end + 1 s) included. With the clock (the last window's end) 15 minutes
    after a payment, the listing's last record is that payment, exactly a quarter hour before
    the end: it proves nothing, since a filter ending 15 minutes early lists it too. The
    payments after it, up to the end, must still be loaded."""
    with dense_summer("filter_tz=Asia/Kathmandu") as (emu, _):
        times = sorted(_at(r) for r in emu.truth("payments", SUMMER - timedelta(days=3)))
        quarter, second = timedelta(minutes=15), timedelta(seconds=1)
        # a payment with others in the quarter hour after it (what a false proof would lose)
        # and none at the quarter hour itself (the end: not the window's)
        anchor = next(
            t for t in reversed(times)
            if t < SUMMER - timedelta(days=1)
            and sum(t + second < u < t + quarter for u in times) >= 2
            and t + quarter not in times
        )  # fmt: skip
        emu.clock_set(anchor + quarter)
        start = (emu.clock_now() - timedelta(days=DAYS)).date()
        config = settings(fresh_db_url, emu, start, timezone="Asia/Kolkata")
        report = await run(config, emu)
        assert report.outcome == "succeeded", report
        truth = [r for r in recent_truth(emu, start) if _at(r) < anchor + quarter]
        lost = [r["id"] for r in truth if anchor + second < _at(r)]
        assert len(lost) >= 2  # the test reaches what it means to
        await assert_payments_equal(fresh_db_url, truth)


async def test_a_record_rejected_where_the_band_overlaps_the_listing_is_rejected_once(
    fresh_db_url: str, read_again: list[tuple[Any, ...]]
) -> None:
    """An end read again an hour either side lists its last hour a second time (the listing
    an hour early holds ``[end - 2 h, end - 1 h)``, the band all of ``[end - 2 h, end)``).
    A malformed record there is one reject of the window, not two: else the run counts it
    twice and the window owes it twice, so giving it up (``paysync.give_up_rejects``) leaves
    the window owed and read again every run."""
    with dense_summer("filter_tz=Europe/London", faults="malformed=0.05,seed=6") as (emu, start):
        config = settings(fresh_db_url, emu, start)
        config.sync.max_reject_rate = 0.5
        report = await run(config, emu)
        assert report.outcome == "succeeded", report
        conn = await asyncpg.connect(fresh_db_url)
        try:
            rows = await conn.fetch(
                """SELECT record_id, window_start, window_end, count(*) AS n FROM paysync.rejects
                   WHERE record_id IS NOT NULL GROUP BY 1, 2, 3"""
            )
            with_id = await conn.fetchval(
                "SELECT count(*) FROM paysync.rejects WHERE record_id IS NOT NULL"
            )
        finally:
            await conn.close()
        assert len(rows) > 20  # rejects with an id were read at all
        assert [dict(r) for r in rows if r["n"] > 1] == []
        assert with_id == len(rows)


async def test_filter_zone_an_hour_off_the_other_way_reads_each_unproven_start_again(
    fresh_db_url: str, read_again: list[tuple[Any, ...]], caplog: pytest.LogCaptureFixture
) -> None:
    """The reverse disagreement: ``timezone`` says Europe/London while the provider means UTC
    (the emulator's own reading without ``filter_tz``). In summer each filter then begins and
    ends an hour late: the start is what its listing does not prove."""
    with dense_summer() as (emu, start):
        config = settings(fresh_db_url, emu, start, timezone="Europe/London")
        report = await run(config, emu)
        assert report.outcome == "succeeded", report
        truth = recent_truth(emu, start)
        await assert_payments_equal(fresh_db_url, truth)
        hour = timedelta(hours=1)
        starts = {lo + hour for lo, _ in read_again}
        # the windows begin at midnight (the end, the clock, carries a fraction of a second)
        assert len(starts) >= 1 and all(s.time() == time(0) for s in starts), read_again
        [hint] = zone_hints(caplog)
        assert "near its start" in hint and "zone behind timezone=Europe/London" in hint, hint
        again = await run(config, emu)
        assert again.outcome == "succeeded", again
        await assert_payments_equal(fresh_db_url, truth)
        assert await changes(fresh_db_url) == 0


async def test_a_done_window_read_again_settles_its_ends_by_what_it_stored(
    fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A done window read again for its open records (outside the lookback) needs no second
    read of an end where no stored record near it is missing from the listing. With the filter
    an hour early, stored payments in the window's last hour are missing from its listing:
    that end must still be read again, or they would be marked deleted."""
    reopened: list[Any] = []
    load = engine.SourceSync.load_window

    async def spy(self: Any, spec: Any, window: Any, run_id: int, paged: Any = None,
                  reopen: bool = False, frontier: bool = False) -> Any:  # fmt: skip
        if reopen:
            reopened.append(window)
        return await load(self, spec, window, run_id, paged, reopen, frontier)

    monkeypatch.setattr(engine.SourceSync, "load_window", spy)
    with dense_summer("filter_tz=Europe/London") as (emu, start):
        config = settings(fresh_db_url, emu, start)  # timezone UTC: one hour off
        assert (await run(config, emu)).outcome == "succeeded"
        emu.clock_advance(2 * 86400)  # the last windows leave the one-day lookback, still open
        again = await run(config, emu)
        assert again.outcome == "succeeded", again
        assert reopened, "no done window was read again: the test proves nothing"
        await assert_payments_equal(fresh_db_url, recent_truth(emu, start))
        assert await changes(fresh_db_url, "delete") == 0


async def test_the_window_at_the_present_reads_an_hour_past_its_end_not_a_band(
    fresh_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A sparse stream's newest record is often more than a quarter hour old (here: the
    present is 40 minutes after the emulator's last payment, about 5 payments an hour), so the
    window at the present cannot prove its end from its listing. The newest done window, still
    holding open payments, is read again whole and covers the lookback (``window.to_read``):
    it used to read that end again, a band request every idle run. Its filter reaches an hour
    past the present instead, where nothing lies yet: with the filter zone an hour off (the
    provider means UTC+1, ``timezone`` says UTC) the payments of the last hour, which a filter
    ending at the present misses, are still there after the run, and no end is read again
    around the present."""
    read: list[tuple[Any, Any]] = []  # the ends actually read again (requests, not decisions)
    pages = reading.WindowReader.pages

    def spy(self: Any, spec: Any, start: Any, end: Any, *args: Any, **kwargs: Any) -> Any:
        label = args[1] if len(args) > 1 else kwargs.get("label")
        if label and "read again" in label:
            read.append((start, end))
        return pages(self, spec, start, end, *args, **kwargs)

    monkeypatch.setattr(reading.WindowReader, "pages", spy)
    with start_emulator(
        "smarterpay", records=80_000, seed=61, token=sp.TOKEN, quirks="filter_tz=Africa/Lagos"
    ) as emu:
        emu.clock_freeze(True)
        emu.clock_set(datetime.now(UTC) + timedelta(days=1))  # past the history's end
        last = max(_at(r) for r in emu.truth("payments", datetime.now(UTC) - timedelta(days=9)))
        emu.clock_set(last + timedelta(minutes=40))
        start = (last - timedelta(days=DAYS)).date()
        config = settings(fresh_db_url, emu, start)
        assert (await run(config, emu)).outcome == "succeeded"
        truth = recent_truth(emu, start)
        assert sum(_at(r) > last - timedelta(hours=1) for r in truth) >= 3  # what it could miss
        await assert_payments_equal(fresh_db_url, truth)
        read.clear()
        again = await run(config, emu)  # an idle run: the newest window is read again
        assert again.outcome == "succeeded", again
        await assert_payments_equal(fresh_db_url, truth)
        present = emu.clock_now()
        assert not [(lo, hi) for lo, hi in read if hi > present - timedelta(hours=1)], read


S2P_SITE, S2P_KEY = 30201, "s2p-test-key/0042+"


async def test_records_created_while_the_present_window_is_paged_do_not_fail_it(
    fresh_db_url: str,
) -> None:
    """A dense stream's window at the present ends in the past (docs/architecture.md): records
    created while it is paged stay out of it. Read past its end, a busy Smart2Pay account's
    arrivals shifted its pages and made its totals disagree, and the stream stopped every run
    (review of the window at the present reading past its end)."""
    with start_emulator(
        "smart2pay",
        records=400_000,
        seed=5,
        site_id=S2P_SITE,
        api_key=S2P_KEY,
        quirks="page_max=40",
    ) as emu:  # fmt: skip  (the clock runs, as a real provider's)
        src = Smart2PaySource(
            name="cards", provider="smart2pay", base_url=emu.base_url, site_id=S2P_SITE,
            api_key_env="S2P_KEY", ca_bundle=Path(emu.ca_path),
            start_date=(emu.clock_now() - timedelta(days=1)).date(),
        )  # fmt: skip
        src.set_secret(S2P_KEY)
        settings = Settings(
            database=DatabaseSettings(url=fresh_db_url),
            sync=SyncSettings(lag_seconds=120, retry_budget_seconds=60),  # the default lag
            sources=[src],
        )
        request = SyncRequest(streams=("payments",), as_of=emu.clock_now())
        [first] = await service.sync(settings, request)
        assert first.outcome == "succeeded"  # the density is known now: ends are proven
        # a busy account: a payment is created with every list request from now on
        emu.set_faults("insert_while_paging=1,seed=3")
        request = SyncRequest(streams=("payments",), as_of=emu.clock_now())
        [report] = await service.sync(settings, request)
        errors = {s.name: s.error for s in report.streams.values() if s.error}
        assert report.outcome == "succeeded", errors
