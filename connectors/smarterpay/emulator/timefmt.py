"""The provider's several time formats, and the UK banking-day rule for collection dates."""

from __future__ import annotations

import re
import time
from datetime import UTC, date, datetime, timedelta

DAY = 86400
FILE_HOUR = 18  # INFERRED: the daily Bacs file is built at 18:00 UTC


def iso_z(ts: float) -> str:
    """`2022-05-12T11:19:49Z` (most resources)."""
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(ts))


def iso_ms(ts: float) -> str:
    """`2018-08-23T12:43:17.000Z` (bank account detail)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(ts))


def spaced(ts: float) -> str:
    """`2023-07-13 11:12:45` (payment links)."""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(ts))


def day(ts: float) -> str:
    return time.strftime("%Y-%m-%d", time.gmtime(ts))


_FILTER_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})")


def parse_filter_time(text: str) -> float:
    """`YYYY-MM-DD HH:MM:SS` (documented list filter format), taken as UTC (INFERRED).

    The exact form is read without strptime (two per windowed list request, ~40 µs each on
    the shared machine); anything else goes through strptime, which decides what it accepts."""
    text = text.strip()
    exact = _FILTER_TIME.fullmatch(text)
    if exact is not None:
        y, mo, d, h, mi, sec = (int(part) for part in exact.groups())
        return datetime(y, mo, d, h, mi, sec, tzinfo=UTC).timestamp()
    dt = datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    return dt.replace(tzinfo=UTC).timestamp()


def parse_day(text: str) -> date:
    return datetime.strptime(text, "%Y-%m-%d").date()


def next_file_time(ts: float) -> int:
    """The first daily file run (18:00 UTC) strictly after ts."""
    midnight = int(ts // DAY) * DAY
    run = midnight + FILE_HOUR * 3600
    return run if run > ts else run + DAY


def add_banking_days(ts: float, days: int) -> int:
    """Midnight UTC of the date `days` banking days (Mon-Fri; holidays ignored) after ts."""
    d = int(ts // DAY)  # days since 1970-01-01, a Thursday (weekday 3)
    while days > 0:
        d += 1
        if (d + 3) % 7 < 5:
            days -= 1
    return d * DAY


def next_banking_day(d: date) -> date:
    while d.weekday() >= 5:
        d += timedelta(days=1)
    return d


def day_ts(d: date) -> int:
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())
