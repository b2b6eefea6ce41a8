"""The provider's compact `YYYYMMDDHHMMSS` timestamps (UTC: the zone is not documented)."""

from __future__ import annotations

import time
from calendar import timegm


def fmt(ts: float | None) -> str | None:
    if ts is None:
        return None
    return time.strftime("%Y%m%d%H%M%S", time.gmtime(int(ts)))


def parse(text: str) -> int:
    """Epoch seconds for `YYYYMMDDHHMMSS`; ValueError for anything else."""
    if len(text) != 14 or not text.isdigit():
        raise ValueError(f"{text!r} is not YYYYMMDDHHMMSS")
    parsed = time.strptime(text, "%Y%m%d%H%M%S")
    return timegm(parsed)
