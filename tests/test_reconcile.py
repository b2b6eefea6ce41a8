"""Reconciliation against both emulators and a real PostgreSQL (issue 6: reconciliation).

Drift is injected directly in the database (a deleted row, an altered amount, an extra row,
...); the reconciliation must report exactly those, ``repair`` must fix them through the
loader, and the next run must be clean. The emulators' clocks are frozen so that the provider
does not move between sync and reconciliation.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import orjson
import pytest

from connectors.emulator_kit.testing import start_emulator
from connectors.smart2pay import STREAMS as S2P_STREAMS
from connectors.smarterpay import STREAMS as SP_STREAMS
from pipelines.errors import ConfigError
from pipelines.reconcile import runner as recon
from pipelines.sync import service
from pipelines.sync.plan import SyncRequest
from tests import test_smart2pay_sync as s2p
from tests.test_sync_smarterpay import TOKEN, make_settings
from tests.truth import differences, resource_of

PAYSYNC = str(Path(sys.executable).parent / "paysync")


@pytest.fixture(scope="module")
def bacs_emu():
    with start_emulator("smarterpay", records=600, seed=11, token=TOKEN) as emu:
        emu.clock_freeze(True)
        yield emu


@pytest.fixture(scope="module")
def cards_emu():
    with start_emulator(
        "smart2pay", records=1000, seed=5, site_id=s2p.SITE_ID, api_key=s2p.API_KEY
    ) as emu:
        emu.clock_freeze(True)
        yield emu


async def _sync(settings: Any, emu: Any) -> None:
    [report] = await service.sync(settings, SyncRequest(as_of=emu.clock_now()))
    assert report.outcome == "succeeded", report


@pytest.fixture(scope="module")
async def bacs(db_url: str, bacs_emu: Any) -> Any:
    settings = make_settings(db_url, bacs_emu)
    await _sync(settings, bacs_emu)
    return settings


@pytest.fixture(scope="module")
async def cards(db_url: str, cards_emu: Any) -> Any:
    settings = s2p.make_settings(db_url, cards_emu)
    await _sync(settings, cards_emu)
    return settings


async def run(settings: Any, emu: Any, **options: Any) -> recon.ReconcileReport:
    return await recon.reconcile(settings, as_of=emu.clock_now(), **options)


async def sql(db_url: str, query: str, *args: Any) -> list[asyncpg.Record]:
    conn = await asyncpg.connect(db_url)
    try:
        return await conn.fetch(query, *args)
    finally:
        await conn.close()


def record_diffs(report: recon.ReconcileReport) -> set[tuple[str, str, str | None]]:
    return {(d.stream, d.kind, d.record_id) for d in report.diffs if d.kind != "aggregate"}


# --- SmarterPay ----------------------------------------------------------------------------
async def test_after_a_sync_everything_is_clean(bacs: Any, bacs_emu: Any, db_url: str) -> None:
    start = bacs_emu.clock_now() - timedelta(days=200)
    report = await run(bacs, bacs_emu, range_from=start.date())
    assert report.outcome == "clean" and report.found == 0, recon.report_markdown(report)
    by_stream = {s.stream: s for s in report.streams}
    assert set(by_stream) == set(SP_STREAMS)
    payments = by_stream["payments"]
    assert payments.provider_records == payments.db_records > 100
    assert payments.provider_amount == payments.db_amount > 0
    # the emulator's submissions are consistent by construction: the checks ran and passed
    assert {c.name: c.inconsistent for c in report.checks} == {
        "payment-mandate-exists": 0, "submission-totals-equal-lines": 0,
    }  # fmt: skip
    [row] = await sql(
        db_url, "SELECT * FROM paysync.reconciliation_runs WHERE recon_id = $1", report.recon_id
    )
    assert (row["outcome"], row["missing"], row["extra"], row["differing"]) == ("clean", 0, 0, 0)
    assert orjson.loads(row["summary"])["streams"][0]["stream"] == "bank_accounts"


async def _three_payments(db_url: str, emu: Any) -> list[asyncpg.Record]:
    return await sql(
        db_url,
        """SELECT id, amount, status, (created_at AT TIME ZONE 'UTC')::date AS day
           FROM smarterpay.payments WHERE source = 'bacs' AND created_at > $1
           ORDER BY created_at DESC OFFSET 5 LIMIT 3""",
        emu.clock_now() - timedelta(days=20),
    )


async def test_injected_drift_is_reported_exactly_then_repaired(
    bacs: Any, bacs_emu: Any, db_url: str
) -> None:
    gone, altered, template = await _three_payments(db_url, bacs_emu)
    await sql(
        db_url, "DELETE FROM smarterpay.payments WHERE source = 'bacs' AND id = $1", gone["id"]
    )
    await sql(
        db_url,
        "UPDATE smarterpay.payments SET amount = amount + 7 WHERE source = 'bacs' AND id = $1",
        altered["id"],
    )
    await sql(db_url, """INSERT INTO smarterpay.payments
        SELECT (jsonb_populate_record(p, jsonb_build_object('id', 'PA-NOT-AT-PROVIDER'))).*
        FROM smarterpay.payments p WHERE source = 'bacs' AND id = $1""", template["id"])  # fmt: skip

    found = await run(bacs, bacs_emu)
    assert found.outcome == "drift" and found.exit_code == 1
    assert record_diffs(found) == {
        ("payments", "missing", gone["id"]), ("payments", "differs", altered["id"]),
        ("payments", "extra", "PA-NOT-AT-PROVIDER"),
    }  # fmt: skip
    [differs] = [d for d in found.diffs if d.kind == "differs"]
    amount = altered["amount"]
    assert differs.detail == {
        "columns": ["amount"],
        "db": {"amount": amount + 7},
        "provider": {"amount": amount},
    }
    expected: dict[tuple[date, str], list[int]] = {}
    for row, count, amount in (
        (gone, 1, gone["amount"]),
        (altered, 0, -7),
        (template, -1, -template["amount"]),
    ):
        delta = expected.setdefault((row["day"], row["status"]), [0, 0])
        delta[0], delta[1] = delta[0] + count, delta[1] + amount
    aggregates = {
        (d.day, d.detail["status"]): [
            d.detail["provider"]["count"] - d.detail["db"]["count"],
            d.detail["provider"]["amount"] - d.detail["db"]["amount"],
        ]
        for d in found.diffs if d.kind == "aggregate"
    }  # fmt: skip
    assert aggregates == {k: v for k, v in expected.items() if v != [0, 0]}
    stored = await sql(
        db_url,
        "SELECT kind, record_id, repaired FROM paysync.reconciliation_diffs WHERE recon_id = $1 AND kind <> 'aggregate'",
        found.recon_id,
    )
    assert {(r["kind"], r["record_id"], r["repaired"]) for r in stored} == {
        ("missing", gone["id"], False), ("differs", altered["id"], False), ("extra", "PA-NOT-AT-PROVIDER", False),
    }  # fmt: skip

    repaired = await run(bacs, bacs_emu, repair=True)
    assert repaired.outcome == "repaired", recon.report_markdown(repaired)
    assert repaired.repaired == repaired.found == found.found
    assert record_diffs(repaired) == record_diffs(found)
    changes = await sql(db_url, """SELECT record_id, change_kind, changed_fields FROM paysync.record_changes
        WHERE stream = 'payments' AND run_id = (SELECT max(run_id) FROM paysync.sync_runs WHERE kind = 'repair')""")  # fmt: skip
    assert {(r["record_id"], r["change_kind"], tuple(r["changed_fields"])) for r in changes} == {
        (altered["id"], "update", ("amount",)), ("PA-NOT-AT-PROVIDER", "delete", ()),
    }  # fmt: skip
    conn = await asyncpg.connect(db_url)
    try:
        spec = SP_STREAMS["payments"]
        diff = await differences(
            conn, "smarterpay", "bacs", spec, bacs_emu.truth(resource_of(spec))
        )
        assert diff["counts"] == [0, 0], diff
    finally:
        await conn.close()

    again = await run(bacs, bacs_emu)
    assert again.outcome == "clean" and again.found == 0, recon.report_markdown(again)


async def test_consistency_submission_totals_and_missing_line(
    bacs: Any, bacs_emu: Any, db_url: str
) -> None:
    [line] = await sql(db_url, """SELECT l.id, l.submission_id, l.amount FROM smarterpay.submission_lines l
        JOIN smarterpay.submissions s ON s.source = l.source AND s.id = l.submission_id
        WHERE l.source = 'bacs' AND s.created_at > $1 ORDER BY l.id LIMIT 1""",
        bacs_emu.clock_now() - timedelta(days=10))  # fmt: skip
    [sub] = await sql(
        db_url,
        "SELECT payment_total_count, payment_total_value FROM smarterpay.submissions WHERE id = $1",
        line["submission_id"],
    )
    await sql(
        db_url,
        "DELETE FROM smarterpay.submission_lines WHERE source = 'bacs' AND id = $1",
        line["id"],
    )

    found = await run(bacs, bacs_emu, streams=["submissions", "submission_lines"])
    assert [s.stream for s in found.streams] == ["submissions", "submission_lines"]
    assert record_diffs(found) == {
        ("submission_lines", "missing", line["id"]),
        ("submissions", "consistency", line["submission_id"]),
    }
    [check] = [d for d in found.diffs if d.kind == "consistency"]
    assert check.detail == {
        "check": "submission-totals-equal-lines",
        "payment_total_count": sub["payment_total_count"], "payment_total_value": sub["payment_total_value"],
        "lines_count": sub["payment_total_count"] - 1, "lines_value": sub["payment_total_value"] - line["amount"],
    }  # fmt: skip
    # the checks run after the repair, on the repaired data
    repaired = await run(bacs, bacs_emu, streams=["submissions", "submission_lines"], repair=True)
    assert repaired.outcome == "repaired" and repaired.inconsistent == 0
    assert record_diffs(repaired) == {("submission_lines", "missing", line["id"])}
    assert (await run(bacs, bacs_emu)).outcome == "clean"


async def test_consistency_payment_without_mandate_outside_the_horizon(
    bacs: Any, bacs_emu: Any, db_url: str
) -> None:
    now = bacs_emu.clock_now()
    [row] = await sql(db_url, """SELECT p.id, p.mandate, m.created_at FROM smarterpay.payments p
        JOIN smarterpay.mandates m ON m.source = p.source AND m.id = p.mandate
        WHERE p.source = 'bacs' AND p.created_at > $1 AND m.created_at < $2
        ORDER BY p.id LIMIT 1""", now - timedelta(days=20), now - timedelta(days=60))  # fmt: skip
    orphans = await sql(db_url, """SELECT id FROM smarterpay.payments WHERE source = 'bacs'
        AND mandate = $1 AND created_at >= $2""", row["mandate"], now - timedelta(days=30))  # fmt: skip
    await sql(
        db_url, "UPDATE smarterpay.mandates SET _deleted_at = now() WHERE id = $1", row["mandate"]
    )

    # The mandate is older than the horizon: the check sees the orphans, a repair cannot.
    report = await run(bacs, bacs_emu, repair=True, range_from=(now - timedelta(days=29)).date())
    assert report.outcome == "drift" and report.exit_code == 1
    assert record_diffs(report) == {("payments", "consistency", o["id"]) for o in orphans}
    assert all(d.detail["mandate"] == row["mandate"] and not d.repaired for d in report.diffs)

    wider = await run(bacs, bacs_emu, repair=True, range_from=row["created_at"].date())
    assert wider.outcome == "repaired", recon.report_markdown(wider)
    assert record_diffs(wider) == {("mandates", "missing", row["mandate"])}
    [change] = await sql(
        db_url,
        "SELECT change_kind FROM paysync.record_changes WHERE record_id = $1 ORDER BY change_id DESC LIMIT 1",
        row["mandate"],
    )
    assert change["change_kind"] == "undelete"


# --- Smart2Pay: hydrated payments, refunds per payment, a consistency rule ------------------
async def test_smart2pay_drift_in_hydrated_and_child_streams(
    cards: Any, cards_emu: Any, db_url: str
) -> None:
    clean = await run(cards, cards_emu, detail_sample=0)
    assert clean.outcome == "clean", recon.report_markdown(clean)
    scopes = {s.stream: s.scope for s in clean.streams}
    assert scopes == {"payments": "window", "refunds": "children", "preapprovals": "whole",
                      "payouts": "window", "methods": "whole"}  # fmt: skip
    assert {s.stream: s.provider_records > 0 for s in clean.streams}["refunds"]
    since = cards_emu.clock_now() - timedelta(days=25)
    [refund] = await sql(db_url, """SELECT r.id, r.payment_id FROM smart2pay.refunds r
        JOIN smart2pay.payments p ON p.source = r.source AND p.id = r.payment_id::text
        WHERE r.source = 'cards' AND p.created > $1 ORDER BY r.id LIMIT 1""", since)  # fmt: skip
    status, captured, detail_only = await sql(db_url, """SELECT id, amount FROM smart2pay.payments
        WHERE source = 'cards' AND created > $1 AND id <> $2 ORDER BY id LIMIT 3""",
        since, str(refund["payment_id"]))  # fmt: skip
    await sql(
        db_url, "DELETE FROM smart2pay.refunds WHERE source = 'cards' AND id = $1", refund["id"]
    )
    await sql(
        db_url, "UPDATE smart2pay.payments SET status_info = 'Tampered' WHERE id = $1", status["id"]
    )
    await sql(
        db_url,
        "UPDATE smart2pay.payments SET captured_amount = amount + 1 WHERE id = $1",
        captured["id"],
    )
    # Not a list column: only the detail sample can see it (off here; see the next test).
    await sql(
        db_url,
        "UPDATE smart2pay.payments SET customer_email = 'x@example.org' WHERE id = $1",
        detail_only["id"],
    )

    found = await run(cards, cards_emu, detail_sample=0)
    assert record_diffs(found) == {
        ("refunds", "missing", refund["id"]), ("payments", "differs", status["id"]),
        ("payments", "differs", captured["id"]), ("payments", "consistency", captured["id"]),
    }  # fmt: skip
    [check] = [d for d in found.diffs if d.kind == "consistency"]
    assert check.detail["captured_amount"] == check.detail["amount"] + 1 == captured["amount"] + 1

    repaired = await run(cards, cards_emu, repair=True, detail_sample=0)
    assert repaired.outcome == "repaired", recon.report_markdown(repaired)
    assert repaired.inconsistent == 0  # checked after the repair
    again = await run(cards, cards_emu, detail_sample=0)
    assert again.outcome == "clean", recon.report_markdown(again)
    conn = await asyncpg.connect(db_url)
    try:
        for spec in (S2P_STREAMS["payments"], S2P_STREAMS["refunds"]):
            truth = cards_emu.truth(resource_of(spec))
            diff = await differences(
                conn, "smart2pay", "cards", s2p.comparable(spec), truth, {detail_only["id"]}
            )
            assert diff["counts"] == [0, 0], (spec.name, diff)
    finally:
        await conn.close()


async def test_hydrated_detail_fields_are_compared_for_a_sample(
    cards: Any, cards_emu: Any, db_url: str
) -> None:
    """Issue 18: a hydrated stream's list carries a summary only; a sample of details is
    fetched and compared column by column (the whole horizon when the sample is that large)."""
    since = cards_emu.clock_now() - timedelta(days=25)
    [victim] = await sql(db_url, """SELECT id FROM smart2pay.payments WHERE source = 'cards'
        AND created > $1 ORDER BY id DESC LIMIT 1""", since)  # fmt: skip
    await sql(db_url, "UPDATE smart2pay.payments SET customer_email = 'drift@example.org' "
              "WHERE source = 'cards' AND id = $1", victim["id"])  # fmt: skip
    cards_emu.reset_stats()
    everything = await run(cards, cards_emu, streams=["payments"], detail_sample=100_000)
    [payments] = everything.streams
    gets = cards_emu.stats()["by_endpoint"]["GET payment"]
    assert payments.detail_checked == payments.provider_records == sum(gets.values()) > 0
    differs = {d.record_id: d for d in everything.diffs if d.kind == "differs"}
    assert differs[victim["id"]].detail["columns"] == ["customer_email"]
    assert differs[victim["id"]].detail["provider"]["customer_email"] != "drift@example.org"
    assert everything.outcome == "drift" and everything.exit_code == 1

    cards_emu.reset_stats()
    sample = await run(cards, cards_emu, streams=["payments"], detail_sample=3)
    assert sum(cards_emu.stats()["by_endpoint"]["GET payment"].values()) == 3
    assert sample.streams[0].detail_checked == 3

    repaired = await run(cards, cards_emu, streams=["payments"], detail_sample=100_000, repair=True)
    assert repaired.outcome == "repaired" and repaired.exit_code == 0, recon.report_markdown(
        repaired
    )
    again = await run(cards, cards_emu, streams=["payments"], detail_sample=100_000)
    assert again.outcome == "clean", recon.report_markdown(again)


async def test_a_provider_error_on_one_stream_does_not_end_the_others(
    cards: Any, cards_emu: Any, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The provider answers 404 for one stream's list (its path points nowhere); the other
    streams are still compared, and the run is 'failed' with that stream named."""
    broken = dataclasses.replace(S2P_STREAMS["preapprovals"], path="v1/no-such-list")
    monkeypatch.setitem(S2P_STREAMS, "preapprovals", broken)
    report = await run(cards, cards_emu, detail_sample=0)
    by_stream = {s.stream: s for s in report.streams}
    assert set(by_stream) == set(S2P_STREAMS)
    assert by_stream["preapprovals"].error and "preapprovals" in (report.error or "")
    for name in ("payments", "refunds", "payouts", "methods"):
        assert by_stream[name].error is None and by_stream[name].provider_records > 0, name
    assert report.outcome == "failed" and report.exit_code == 3
    [row] = await sql(db_url, "SELECT outcome, error FROM paysync.reconciliation_runs "
                      "WHERE recon_id = $1", report.recon_id)  # fmt: skip
    assert row["outcome"] == "failed" and "preapprovals" in row["error"]


# --- the command line, through the real entry point -----------------------------------------
def cli(config: Path, db_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {
        k: v for k, v in os.environ.items() if not k.startswith("PAYSYNC_") and k != "DATABASE_URL"
    }
    env = {**base, "PAYSYNC_CONFIG": str(config), "DATABASE_URL": db_url, "SP_TOKEN": TOKEN,
           "PAYSYNC_SYNC__LAG_SECONDS": "0", **env}  # fmt: skip
    return subprocess.run(
        [PAYSYNC, "reconcile", *args], env=env, capture_output=True, text=True, timeout=180
    )


def write_config(tmp_path: Path, base_url: str, ca_path: str) -> Path:
    config = tmp_path / "paysync.toml"
    config.write_text(
        f'[[sources]]\nname = "bacs"\nprovider = "smarterpay"\nbase_url = "{base_url}"\n'
        f'token_env = "SP_TOKEN"\nca_bundle = "{ca_path}"\nstart_date = "2018-01-01"\n'
    )
    return config


def as_json(result: subprocess.CompletedProcess[str], code: int) -> dict[str, Any]:
    assert result.returncode == code, (result.stdout[-2000:], result.stderr)
    assert "Traceback" not in result.stderr
    return orjson.loads(result.stdout)  # type: ignore[no-any-return]


async def test_cli_exit_codes_and_json(
    bacs: Any, bacs_emu: Any, db_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, bacs_emu.base_url, bacs_emu.ca_path)
    clean = as_json(cli(config, db_url, "--json"), 0)
    assert clean["outcome"] == "clean" and clean["found"] == 0
    assert {s["stream"] for s in clean["streams"]} == set(SP_STREAMS)
    [victim] = await sql(db_url, """SELECT id, amount FROM smarterpay.payments WHERE source = 'bacs'
        ORDER BY created_at DESC OFFSET 3 LIMIT 1""")  # fmt: skip
    await sql(db_url, "UPDATE smarterpay.payments SET amount = 1 WHERE id = $1", victim["id"])

    drift = as_json(cli(config, db_url, "--json", "--stream", "payments"), 1)
    assert drift["outcome"] == "drift" and drift["differing"] == 1
    [differs] = [d for d in drift["diffs"] if d["kind"] == "differs"]
    assert (differs["record_id"], differs["detail"]["provider"]) == (
        victim["id"],
        {"amount": victim["amount"]},
    )
    table = cli(config, db_url, "--repair")  # the human summary; all found was repaired: 0
    assert table.returncode == 0 and "outcome: repaired" in table.stdout, table.stderr
    assert (await run(bacs, bacs_emu)).outcome == "clean"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--from", "2024-13-01"], "--from '2024-13-01' is not a date"),
        (
            ["--from", "2024-03-05", "--to", "2024-03-01"],
            "--from 2024-03-05 is after --to 2024-03-01",
        ),
        (["--to", "2999-01-01"], "--to 2999-01-01 is in the future"),
        (["--source", "nope", "--stream", "payments"], "unknown source 'nope'"),
    ],
    ids=["bad-date", "from-after-to", "future", "unknown-source"],
)
def test_cli_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    config = write_config(tmp_path, "https://127.0.0.1:9", "/nonexistent.pem")
    result = cli(config, "postgresql://nobody@127.0.0.1:9/none", *args)
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().splitlines() == [f"paysync: {result.stderr.strip()[9:]}"]
    assert message in result.stderr


async def test_unknown_stream_is_a_config_error(bacs: Any, bacs_emu: Any) -> None:
    with pytest.raises(ConfigError, match="unknown stream refundz for source.s. bacs; known: "):
        await run(bacs, bacs_emu, streams=["payments", "refundz"])


async def test_cli_unreachable_provider_exits_3(
    bacs: Any, bacs_emu: Any, db_url: str, tmp_path: Path
) -> None:
    config = write_config(tmp_path, "https://127.0.0.1:9", bacs_emu.ca_path)
    result = cli(config, db_url, "--json", PAYSYNC_SYNC__RETRY_BUDGET_SECONDS="1")
    assert result.returncode == 3, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1
    [run_row] = await sql(
        db_url,
        "SELECT outcome, error FROM paysync.reconciliation_runs ORDER BY recon_id DESC LIMIT 1",
    )
    assert run_row["outcome"] == "failed" and "bacs" in run_row["error"]
