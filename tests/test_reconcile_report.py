"""The reconciliation report, pure: the horizon a range means, refused ranges, and the
markdown artifact with bank and card numbers masked (pipelines/reconcile/report.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from pipelines.errors import ConfigError
from pipelines.reconcile import runner as recon

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("range_from", "range_to", "expected"),
    [
        (None, None, (datetime(2026, 2, 8, tzinfo=UTC), NOW - timedelta(minutes=2))),
        (date(2026, 3, 1), date(2026, 3, 2), (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 3, 3, tzinfo=UTC))),
        (date(2026, 3, 1), date(2026, 3, 10), (datetime(2026, 3, 1, tzinfo=UTC), NOW - timedelta(minutes=2))),
        (None, date(2026, 3, 1), (datetime(2026, 1, 31, tzinfo=UTC), datetime(2026, 3, 2, tzinfo=UTC))),
        (NOW - timedelta(days=1), NOW, (NOW - timedelta(days=1), NOW - timedelta(minutes=2))),
    ],
    ids=["default-30-days", "two-days", "to-today-capped-by-lag", "only-to", "datetimes"],
)  # fmt: skip
def test_horizon(range_from: Any, range_to: Any, expected: tuple[datetime, datetime]) -> None:
    assert recon.horizon(range_from, range_to, NOW, 120) == expected


@pytest.mark.parametrize(
    ("range_from", "range_to", "message"),
    [
        (date(2026, 3, 5), date(2026, 3, 1), "is after --to"),
        (date(2026, 3, 11), None, "--from 2026-03-11 is in the future"),
        (None, date(2027, 1, 1), "--to 2027-01-01 is in the future"),
    ],
    ids=["from-after-to", "future-from", "future-to"],
)
def test_horizon_rejects(range_from: Any, range_to: Any, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        recon.horizon(range_from, range_to, NOW, 120)


def test_report_markdown_tables_and_masked_numbers() -> None:
    report = recon.ReconcileReport(7, NOW - timedelta(days=1), NOW, ["bacs"], repair=False)
    report.streams.append(recon.StreamResult("bacs", "mandates", "window", 5, 5, differing=1))
    detail = {"columns": ["account_number"], "db": {"account_number": "12345678"},
              "provider": {"account_number": "87654321"}}  # fmt: skip
    report.add([recon.Diff("bacs", "mandates", "differs", "M1", NOW.date(), detail, False)])
    report.outcome = report.final_outcome()
    text = recon.report_markdown(report)
    assert "# Reconciliation 7: **drift**" in text
    assert "| bacs | mandates | window | 5 | 5 | 0 | 0 | 1 | 0 | 0 |  |" in text
    assert "| bacs | mandates | differs | M1 |" in text
    assert "12345678" not in text and "87654321" not in text and "***" in text
