"""Providers that behave a little differently from the documents (issue 14): each test runs a
real sync against an emulator started with one ``--quirks`` behaviour and shows that the
database equals the emulator's truth, or that the stream stops loudly with nothing committed
lost. The expected side is always the emulator's truth, never paysync's own output."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.quirks import QuirkPlan, QuirkSpecError
from connectors.emulator_kit.testing import start_emulator
from connectors.errors import ProviderTlsRequiredError
from connectors.smart2pay import STREAMS as S2P_STREAMS
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests import test_smart2pay_sync as s2p
from tests import test_sync_smarterpay as sp
from tests.truth import differences, resource_of


async def rows(db_url: str, sql: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetch(sql, *args)
    finally:
        await conn.close()


async def page_sizes(db_url: str, source: str) -> dict[str, tuple[int, int, str]]:
    found = await rows(
        db_url, "SELECT stream, ask, proven, generation FROM paysync.page_sizes WHERE source = $1",
        source,
    )  # fmt: skip
    return {r["stream"]: (r["ask"], r["proven"], r["generation"]) for r in found}


# 1. Fewer records per page than asked, differing by endpoint ---------------------------------
async def test_lower_page_maximum_per_endpoint_loads_everything(fresh_db_url: str) -> None:
    quirks = "page_max=200,page_max.payments=70,page_max.mandates=130"
    with start_emulator("smarterpay", records=700, seed=41, token=sp.TOKEN, quirks=quirks) as emu:
        settings = sp.make_settings(fresh_db_url, emu)
        report = await sp.sync(settings, emu)
        assert report.outcome == "succeeded", report
        await sp.assert_equals_truth(fresh_db_url, emu)
        learned = await page_sizes(fresh_db_url, "bacs")
        assert learned["payments"][:2] == (70, 70)  # the server's real size, remembered
        caps = {"payments": 70, "mandates": 130}
        for stream, (ask, proven, _) in learned.items():
            # never more than the server serves; the asked size drops only once it is proven
            assert proven <= min(ask, caps.get(stream, 200)), (stream, ask, proven)
            assert ask in (500, proven), (stream, ask, proven)
        # A later run asks the learned sizes from its first page on and still misses nothing.
        emu.clock_advance(3 * 86400)
        again = await sp.sync(settings, emu)
        assert again.outcome == "succeeded", again
        await sp.assert_equals_truth(fresh_db_url, emu)


# 2. A paging parameter the server does not know -----------------------------------------------
async def test_server_ignoring_new_paging_falls_back_to_limit_offset(fresh_db_url: str) -> None:
    with start_emulator(
        "smart2pay", records=900, seed=42, site_id=s2p.SITE_ID, api_key=s2p.API_KEY,
        quirks="paging=legacy",
    ) as emu:  # fmt: skip
        emu.clock_freeze(True)
        settings = s2p.make_settings(fresh_db_url, emu)
        await s2p.sync(settings, emu)
        await s2p.assert_equals_truth(fresh_db_url, emu)
        assert (await page_sizes(fresh_db_url, "cards"))["payments"][2] == "fallback"
        emu.reset_stats()
        await s2p.sync(settings, emu)  # remembered: no page is asked with pageSize any more
        await s2p.assert_equals_truth(fresh_db_url, emu)


# 3. Totals that disagree with the records received ------------------------------------------
async def test_totals_disagreeing_stop_the_stream_and_keep_what_was_committed(
    fresh_db_url: str,
) -> None:
    options = dict(records=400, seed=43, site_id=s2p.SITE_ID, api_key=s2p.API_KEY)
    with start_emulator("smart2pay", **options) as good:
        good.clock_freeze(True)
        at = good.clock_now()
        await s2p.sync(s2p.make_settings(fresh_db_url, good), good)
        await s2p.assert_equals_truth(fresh_db_url, good)
        before = await rows(fresh_db_url, "SELECT id, _list_hash FROM smart2pay.payments")
    with start_emulator("smart2pay", quirks="totals_off=1", **options) as bad:
        bad.clock_freeze(True)
        bad.clock_set(at)
        request = SyncRequest(kind="full-refresh", streams=("payments",), as_of=at)
        [report] = await service.sync(s2p.make_settings(fresh_db_url, bad), request)
        error = report.streams["payments"].error or ""
        assert report.outcome == "partial", report
        assert "stream payments" in error and "reported" in error and "re-reading" in error
        after = await rows(fresh_db_url, "SELECT id, _list_hash FROM smart2pay.payments")
        assert sorted(after) == sorted(before)  # nothing committed was lost or rewritten


# 4. 204 or an empty body for an empty list -----------------------------------------------------
@pytest.mark.parametrize("empty", ["204", "blank"])
async def test_empty_list_answers_are_empty_pages(fresh_db_url: str, empty: str) -> None:
    with start_emulator(
        "smarterpay", records=300, seed=44, token=sp.TOKEN, quirks=f"empty={empty}"
    ) as emu:
        report = await sp.sync(sp.make_settings(fresh_db_url, emu), emu)
        served = emu.stats()["by_status"]
        assert report.outcome == "succeeded", report
        await sp.assert_equals_truth(fresh_db_url, emu)
        if empty == "204":
            assert served["204"] > 0  # the quirk really answered empty lists with 204


# 7. A value of a shape we only inferred ---------------------------------------------------------
async def test_unreadable_optional_field_loads_null_kept_in_raw_and_reported(
    fresh_db_url: str,
) -> None:
    shaped = '{"Enrolled":"Y","Result":"authenticated"}'
    with start_emulator(
        "smart2pay", records=300, seed=45, site_id=s2p.SITE_ID, api_key=s2p.API_KEY,
        quirks=f"shape.3DSecure={shaped}",
    ) as emu:  # fmt: skip
        emu.clock_freeze(True)
        report = await s2p.sync(s2p.make_settings(fresh_db_url, emu), emu)
        assert report.counts.records_rejected == 0
        spec = S2P_STREAMS["payments"]
        rest = dataclasses.replace(
            spec, columns=tuple(c for c in spec.columns if c.name != "three_d_secure")
        )
        conn = await asyncpg.connect(fresh_db_url)
        try:
            truth = emu.truth(resource_of(spec))
            diff = await differences(conn, "smart2pay", "cards", rest, truth)
            assert diff["counts"] == [0, 0], diff
            loaded = await conn.fetchrow(
                """SELECT count(*) AS n, count(three_d_secure) AS typed,
                          count(*) FILTER (WHERE raw -> '3DSecure' = $1::jsonb) AS kept
                   FROM smart2pay.payments""",
                shaped,
            )
            drift = await conn.fetch(
                "SELECT field_path, example FROM paysync.schema_drift WHERE stream = 'payments'"
            )
        finally:
            await conn.close()
        carrying = sum("3DSecure" in record for record in truth)
        assert carrying > 0, "no record carries the field: the test would prove nothing"
        assert loaded["n"] == len(truth) and loaded["typed"] == 0 and loaded["kept"] == carrying
        assert [d["field_path"] for d in drift] == ["3DSecure"]  # reported once, with an example
        assert "authenticated" in drift[0]["example"]


# 8. TLS_Required is a configuration problem, not bad credentials -------------------------------
async def test_plain_http_base_url_says_use_https(fresh_db_url: str) -> None:
    with start_emulator("smarterpay", records=50, seed=46, token=sp.TOKEN) as emu:
        settings = sp.make_settings(fresh_db_url, emu)
        source = settings.sources[0]
        source.base_url = source.base_url.replace("https://", "http://")
        with pytest.raises(ProviderTlsRequiredError, match="https") as failure:
            await sp.sync(settings, emu)
        assert "credentials" not in str(failure.value) and sp.TOKEN not in str(failure.value)
        assert failure.value.exit_code == 2


# 6. Local time where the documents give no zone --------------------------------------------------
async def test_filters_written_in_the_source_timezone_load_everything(fresh_db_url: str) -> None:
    with start_emulator(
        "smarterpay", records=700, seed=47, token=sp.TOKEN, quirks="filter_tz=Europe/London"
    ) as emu:
        emu.clock_set(datetime(2026, 7, 15, 12, tzinfo=UTC))  # British Summer Time: UTC+1
        emu.clock_freeze(True)
        settings = sp.make_settings(fresh_db_url, emu, timezone="Europe/London")
        report = await sp.sync(settings, emu)
        assert report.outcome == "succeeded", report
        await sp.assert_equals_truth(fresh_db_url, emu)
        emu.clock_advance(86400)
        again = await sp.sync(settings, emu)
        assert again.counts.records_deleted == 0
        await sp.assert_equals_truth(fresh_db_url, emu)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("page_max=0", "1 or more"), ("paging=newest", "legacy"), ("empty=404", "204 or blank"),
        ("shape.x={nope", "not JSON"), ("filter_tz=Mars/Olympus", "unknown time zone"),
        ("teleport=1", "unknown quirk"), ("page_max", "name=value"),
    ],
)  # fmt: skip
def test_bad_quirk_specs_are_refused(spec: str, message: str) -> None:
    with pytest.raises(QuirkSpecError, match=message):
        QuirkPlan.parse(spec)


def test_default_emulator_has_no_quirks() -> None:
    plan = QuirkPlan.parse(None)
    assert not plan.active  # the documented behaviour unless a test asks otherwise
    shaped = QuirkPlan.parse('shape.metadata={"a":[1,2]},page_max.payments=5,empty=204')
    assert shaped.shapes == {"metadata": {"a": [1, 2]}} and shaped.page_limit("/x/payments") == 5
