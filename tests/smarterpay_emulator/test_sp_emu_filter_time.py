"""List filter times read without strptime must read (and refuse) exactly what strptime does."""

from __future__ import annotations

import random
from datetime import UTC, datetime

from connectors.smarterpay.emulator.timefmt import parse_filter_time


def _strptime(text: str) -> float | None:
    try:
        return datetime.strptime(text.strip(), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None


def _ours(text: str) -> float | None:
    try:
        return parse_filter_time(text)
    except ValueError:
        return None


def test_filter_times_read_as_strptime_reads_them() -> None:
    rng = random.Random(3)
    cases = [
        "2025-06-01 00:00:00", " 2024-02-29 23:59:59 ", "2023-02-29 10:00:00",
        "2025-13-01 00:00:00", "2025-1-1 0:0:0", "2025-06-01T00:00:00", "2025-06-01 24:00:00",
        "2025-06-01 00:00:61", "2025-06-01 00:00:00x", "", "yesterday",
    ]  # fmt: skip
    cases += [
        f"{rng.randint(1970, 2100):04d}-{rng.randint(0, 13):02d}-{rng.randint(0, 32):02d} "
        f"{rng.randint(0, 24):02d}:{rng.randint(0, 60):02d}:{rng.randint(0, 61):02d}"
        for _ in range(3000)
    ]
    assert [_ours(c) for c in cases] == [_strptime(c) for c in cases]
    assert _ours("2025-06-01 00:00:00") == 1748736000.0
