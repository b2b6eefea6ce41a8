"""SmarterPay account validations (issue 14): no list is documented, so each is fetched by the
id a mandate names in ``account_validation_id``. A real sync against the emulator (which gives
one mandate in four a validation) loads them equal to its truth."""

from __future__ import annotations

from datetime import date

import asyncpg

from connectors.emulator_kit.testing import start_emulator
from connectors.smarterpay import STREAMS
from pipelines.reconcile.runner import reconcile
from tests import test_sync_smarterpay as sp
from tests.truth import differences

SPEC = STREAMS["account_validations"]


async def compare(db_url: str, emu) -> dict:
    conn = await asyncpg.connect(db_url)
    try:
        return await differences(conn, "smarterpay", "bacs", SPEC, emu.truth("accountvalidation"))
    finally:
        await conn.close()


async def test_validations_named_by_mandates_load_equal_to_truth(fresh_db_url: str) -> None:
    with start_emulator("smarterpay", records=400, seed=53, token=sp.TOKEN) as emu:
        emu.clock_freeze(True)
        named = {m["account_validation_id"] for m in emu.truth("mandates")} - {""}
        assert len(named) > 10  # the emulator's mandates name validations
        settings = sp.make_settings(fresh_db_url, emu)
        report = await sp.sync(settings, emu)
        assert report.outcome == "succeeded", report
        assert (await compare(fresh_db_url, emu))["counts"] == [0, 0]
        conn = await asyncpg.connect(fresh_db_url)
        try:
            loaded = await conn.fetch(
                "SELECT id, mandate_id, successful_validation FROM smarterpay.account_validations"
            )
        finally:
            await conn.close()
        assert {r["id"] for r in loaded} == named  # every one named, nothing else
        assert all(r["successful_validation"] is True for r in loaded)  # "True" read as a bool
        # Later, mandates change status and new ones arrive: only validations named for the
        # first time are fetched (a mandate's status says nothing of its validation).
        emu.clock_advance(20 * 86400)
        changed = set(emu.mutate("mandates", 40))  # cancelled by payer, each with a webhook log
        by_id = {m["id"]: m for m in emu.truth("mandates")}
        assert any(by_id[m]["account_validation_id"] in named for m in changed)
        emu.reset_stats()
        again = await sp.sync(settings, emu)
        assert again.outcome == "succeeded", again
        assert again.counts.records_changed >= len(changed)  # the mandates did change
        newly = {m["account_validation_id"] for m in emu.truth("mandates")} - {""} - named
        fetched = emu.stats()["by_endpoint"].get("GET accountvalidation/{id}", {})
        assert sum(fetched.values()) == len(newly), (fetched, len(newly))
        assert (await compare(fresh_db_url, emu))["counts"] == [0, 0]


async def test_reconcile_reads_validations_by_the_ids_mandates_name(fresh_db_url: str) -> None:
    with start_emulator("smarterpay", records=300, seed=54, token=sp.TOKEN) as emu:
        emu.clock_freeze(True)
        settings = sp.make_settings(fresh_db_url, emu)
        await sp.sync(settings, emu)
        conn = await asyncpg.connect(fresh_db_url)
        try:
            gone = await conn.fetchval(
                "DELETE FROM smarterpay.account_validations WHERE id IN "
                "(SELECT id FROM smarterpay.account_validations ORDER BY id LIMIT 3) RETURNING id"
            )
        finally:
            await conn.close()
        assert gone is not None
        report = await reconcile(
            settings, range_from=date(2018, 1, 1), as_of=emu.clock_now(),
            streams=("mandates", "account_validations"),
        )  # fmt: skip
        [result] = [s for s in report.streams if s.stream == "account_validations"]
        assert (result.missing, result.extra, result.differing) == (3, 0, 0), result
