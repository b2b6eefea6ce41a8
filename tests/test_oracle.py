"""Full sync equals truth, judged by the independent oracle (tests/oracle): every typed column
of every stream table of both providers, value for value, plus the id sets.

The expected rows come from the emulators' truth through the documents' field names and value
formats, never through the stream specs or the SQL conversions: a misspelt key, a wrong type
or a dropped column in a stream spec leaves a column NULL or different, and this test fails.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from connectors.emulator_kit.testing import start_emulator
from pipelines.store.settings import (
    DatabaseSettings,
    Settings,
    Smart2PaySource,
    SmarterPaySource,
    SyncSettings,
)
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests.oracle.compare import compare, expected, record_id, typed_columns

TOKEN, SITE_ID, API_KEY = "sp-oracle-token", 30201, "s2p-oracle-key"

# Table -> the emulator's resource name (its admin truth route), and the documented id key.
TABLES = {
    "smarterpay": {
        "bank_accounts": "bankaccounts", "customer_accounts": "customeraccounts",
        "mandates": "mandates", "payments": "payments", "credits": "credits",
        "recurrence_schedules": "recurrenceschedules", "payment_links": "paymentlinks",
        "submissions": "submissions", "submission_lines": "submissionlines", "cards": "cards",
        "client_bank_accounts": "clientbankaccount",
        "service_user_numbers": "serviceusernumber", "outbound_messages": "outboundmessages",
    },
    "smart2pay": {
        "payments": "payments", "refunds": "refunds", "preapprovals": "preapprovals",
        "payouts": "payouts", "methods": "methods",
    },
}  # fmt: skip


@pytest.fixture(scope="module")
def synced(db_url: str) -> Any:
    with (
        start_emulator("smarterpay", records=300, seed=51, token=TOKEN) as sp,
        start_emulator("smart2pay", records=200, seed=52, site_id=SITE_ID, api_key=API_KEY) as s2p,
    ):
        sp.clock_freeze(True)
        s2p.clock_freeze(True)
        bacs = SmarterPaySource(
            name="bacs", provider="smarterpay", base_url=sp.base_url, token_env="SP_TOKEN",
            ca_bundle=Path(sp.ca_path), start_date=date(2018, 1, 1),
        )  # fmt: skip
        bacs.set_secret(TOKEN)
        cards = Smart2PaySource(
            name="cards", provider="smart2pay", base_url=s2p.base_url, site_id=SITE_ID,
            api_key_env="S2P_KEY", ca_bundle=Path(s2p.ca_path), start_date=date(2018, 1, 1),
        )  # fmt: skip
        cards.set_secret(API_KEY)
        for source, emu in ((bacs, sp), (cards, s2p)):
            settings = Settings(
                database=DatabaseSettings(url=db_url),
                sync=SyncSettings(lag_seconds=0, retry_budget_seconds=60),
                sources=[source],
            )
            import asyncio

            [report] = asyncio.run(service.sync(settings, SyncRequest(as_of=emu.clock_now())))
            assert report.outcome == "succeeded", report
        yield {"smarterpay": ("bacs", sp), "smart2pay": ("cards", s2p)}


@pytest.mark.parametrize(
    ("provider", "table"), [(p, t) for p, tables in TABLES.items() for t in tables]
)
async def test_every_typed_column_equals_the_oracle(
    db_url: str, synced: Any, provider: str, table: str
) -> None:
    source, emu = synced[provider]
    truth = emu.truth(TABLES[provider][table])
    assert truth, f"{provider}.{table}: the emulator holds nothing; the test proves nothing"
    conn = await asyncpg.connect(db_url)
    try:
        columns = await typed_columns(conn, provider, table)
        diff = await compare(conn, provider, table, source, truth)
        held = {r["id"] for r in await conn.fetch(
            f"SELECT id FROM {provider}.{table} WHERE source = $1 AND _deleted_at IS NULL", source
        )}  # fmt: skip
    finally:
        await conn.close()
    assert held == {record_id(t) for t in truth}
    assert diff["counts"] == [0, 0], diff
    # The comparison proves something only for columns the truth fills somewhere.
    rows_expected = [expected(provider, table, columns, t) for t in truth]
    filled = [n for n in columns if any(e[n] is not None for e in rows_expected)]
    assert filled, f"{provider}.{table}: the truth fills no typed column"
