"""Generated payment cores are kept for repeated requests: the same values, bounded memory."""

from __future__ import annotations

import random

from connectors.emulator_kit.lazy import Timeline
from connectors.smart2pay.emulator.payments import CORE_CACHE, PaymentHistory

END = 1_780_000_000


def _history() -> PaymentHistory:
    times = Timeline(4, "payments", END - 365 * 86400, END, 20_000)
    return PaymentHistory(4, times, Timeline(4, "preapprovals", END - 400 * 86400, END, 400))


def test_cached_cores_equal_fresh_ones_and_the_cache_stays_bounded() -> None:
    history, rng = _history(), random.Random(3)
    picks = [rng.randrange(20_000) for _ in range(3 * CORE_CACHE)]
    picks += picks[-50:] + list(range(100)) * 2  # repeats: served from the cache
    for i in picks:
        assert history.core(i) == _history().core(i), i  # a fresh history generates anew
        assert len(history._cores) <= CORE_CACHE
    assert len(history._cores) == CORE_CACHE
