"""Page renderers (pages.py) against the record-by-record generator, on a 1M-record history.

The served-bytes digests cover a small history at a few instants; here pages are sampled across
a large one (indices past 1,296 and 36^3 exercise the id digits, claims need the rare stride),
at instants before, during and long after each payment's lifecycle, in both orders.
"""

from __future__ import annotations

import random

import pytest

from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.faults import FaultPlan
from connectors.emulator_kit.lazy import resource_key
from connectors.smarterpay.emulator import pages
from connectors.smarterpay.emulator.resources import RESOURCES
from connectors.smarterpay.emulator.state import Emulator, Options
from tests.smarterpay_emulator.served import START

DAY = 86400


@pytest.fixture(scope="module")
def emu() -> Emulator:
    clock = EmulatorClock(START, frozen=True)
    return Emulator(Options(records=1_000_000, seed=11), FaultPlan(), clock)


def _one_by_one(emu: Emulator, name: str, indices: list[int], t: float) -> list[dict]:
    res = RESOURCES[name]
    return [res.render(emu.ds, i, emu.ds.created(name, i), t, False) for i in indices]


@pytest.mark.parametrize("name", sorted(pages.RENDERERS))
def test_pages_equal_records_one_by_one(emu: Emulator, name: str) -> None:
    rng = random.Random(5)
    count = emu.ds.count(name)
    starts = [0, 1_290, 36**3 - 250, count - 500] + [rng.randrange(count - 500) for _ in range(8)]
    residue = resource_key(emu.ds.seed, "claims") % pages.CLAIM_STRIDE
    claims = list(range(residue, 400_000, 64 * 997))  # payments that may be claimed
    compared = 0
    for start in starts:
        span = list(range(start, start + 500))
        created = emu.ds.created(name if name != "submissionlines" else "payments", start)
        for t in (
            created + 3600,
            created + 3 * DAY,
            created + 9 * DAY,
            START.timestamp() + 900 * DAY,
        ):
            for indices in (span, span[::-1], claims + span[:7] + claims[:1]):
                assert pages.RENDERERS[name](emu.ds, indices, t, False) == _one_by_one(
                    emu, name, indices, t
                ), (name, start, t)
                compared += len(indices)
    assert compared > 45_000


def test_claimed_and_failed_payments_are_among_those_compared(emu: Emulator) -> None:
    """The sample must reach the rare states, or the equality above proves little."""
    t = START.timestamp() + 900 * DAY
    residue = resource_key(emu.ds.seed, "claims") % pages.CLAIM_STRIDE
    indices = list(range(residue, 64 * 500, 64)) + list(range(5_000, 5_500))
    statuses = {r["status"] for r in pages.payments(emu.ds, indices, t, False)}
    assert {"indemnity_claimed", "failed", "successful"} <= statuses
