"""Smart2Pay's ``YYYYMMDDHHMMSS`` times carry no zone (issue 14, item 6). With the emulator's
``filter_tz=Europe/London`` quirk the provider means London wall-clock time, in its filters and
in the records' times; the source's ``timezone`` says so. In British Summer Time (UTC+1) a real
sync must store every record time at the instant the emulator's truth (UTC) names, and a second
run must find nothing changed or deleted. Expected values are computed here with zoneinfo."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg

from connectors.emulator_kit.testing import start_emulator
from pipelines.store.settings import Settings
from tests import test_smart2pay_sync as s2p

SUMMER = datetime(2026, 7, 15, 12, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")
COMPACT = "%Y%m%d%H%M%S"
TIMED = {"payments": "payments", "payouts": "payouts", "preapprovals": "preapprovals"}


def london_settings(db_url: str, emu: object) -> Settings:
    settings = s2p.make_settings(db_url, emu)
    return settings.model_copy(
        update={"sources": [settings.sources[0].model_copy(update={"timezone": "Europe/London"})]}
    )


async def fetch(db_url: str, sql: str) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetch(sql)
    finally:
        await conn.close()


async def test_compact_local_times_are_stored_at_the_truths_instant(fresh_db_url: str) -> None:
    with start_emulator(
        "smart2pay", records=300, seed=21, site_id=s2p.SITE_ID, api_key=s2p.API_KEY,
        quirks="filter_tz=Europe/London",
    ) as emu:  # fmt: skip
        emu.clock_set(SUMMER)
        emu.clock_freeze(True)
        settings = london_settings(fresh_db_url, emu)
        assert settings.sources[0].timezone == "Europe/London"
        await s2p.sync(settings, emu)

        summer_records = 0
        for table, resource in TIMED.items():
            truth = {str(r["ID"]): r["Created"] for r in emu.truth(resource)}
            stored = await fetch(fresh_db_url, f"SELECT id, created, raw FROM smart2pay.{table}")
            assert len(stored) == len(truth) > 0, table
            for row in stored:
                instant = datetime.strptime(truth[row["id"]], COMPACT).replace(tzinfo=UTC)
                sent = json.loads(row["raw"])["Created"]
                # the provider sent London wall-clock time (computed here with zoneinfo) ...
                assert sent == instant.astimezone(LONDON).strftime(COMPACT), (table, row["id"])
                # ... and paysync stored the instant the truth names
                assert row["created"] == instant, (table, row["id"], sent)
                summer_records += instant.astimezone(LONDON).utcoffset() != instant.utcoffset()
        assert summer_records > 0  # some records are in BST: the test can see an hour's error
        await s2p.assert_equals_truth(fresh_db_url, emu)

        again = await s2p.sync(settings, emu)
        assert again.counts.records_changed == again.counts.records_deleted == 0, again.counts
        changes = await fetch(
            fresh_db_url,
            "SELECT change_kind, count(*) AS n FROM paysync.record_changes "
            "WHERE change_kind <> 'insert' GROUP BY 1",
        )
        assert changes == [], changes  # no false delete, no undelete, no churn
        for table in TIMED:
            deleted = await fetch(
                fresh_db_url, f"SELECT id FROM smart2pay.{table} WHERE _deleted_at IS NOT NULL"
            )
            assert deleted == [], (table, deleted[:3])
        await s2p.assert_equals_truth(fresh_db_url, emu)
