"""Page renderers (pages.py) against the record-by-record generator, on a 1M-record history.

The served-bytes digests cover a small history at a few instants; here pages are sampled across
a large one (indices past 1,296 and 36^3 exercise the id digits, claims need the rare stride),
at instants before, during and long after each payment's lifecycle, in both orders.
"""

from __future__ import annotations

import hashlib
import random
import struct

import pytest

from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.faults import FaultPlan
from connectors.emulator_kit.lazy import B36, record_rng, resource_key
from connectors.smarterpay.emulator import pages
from connectors.smarterpay.emulator.ids import make_id
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
    starts = [0, 1_290, 36**3 - 250, count - 500] + [rng.randrange(count - 500) for _ in range(4)]
    starts = [min(s, count - 500) for s in starts]  # cards: fewer than 36**3 records
    residue = resource_key(emu.ds.seed, "claims") % pages.CLAIM_STRIDE
    claims = list(range(residue, count, 64 * 997))  # payments that may be claimed
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
    assert compared > 30_000


def test_claimed_and_failed_payments_are_among_those_compared(emu: Emulator) -> None:
    """The sample must reach the rare states, or the equality above proves little."""
    t = START.timestamp() + 900 * DAY
    residue = resource_key(emu.ds.seed, "claims") % pages.CLAIM_STRIDE
    indices = list(range(residue, 64 * 500, 64)) + list(range(5_000, 5_500))
    statuses = {r["status"] for r in pages.payments(emu.ds, indices, t, False)}
    assert {"indemnity_claimed", "failed", "successful"} <= statuses


# --- ids and digits against the generator's original definition, written out here ------------
_M, _G = (1 << 64) - 1, 0x9E3779B97F4A7C15


def _ref_mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


def _ref_token(seed: int, resource: str, i: int, n: int, alphabet: str) -> str:
    """record_rng(seed, resource, i).token(n, alphabet) as first written: splitmix64, one
    character per divmod, a fresh draw every 12 characters."""
    digest = hashlib.blake2b(f"{seed}/{resource}".encode(), digest_size=8).digest()
    state = struct.unpack("<Q", digest)[0] ^ _ref_mix((i * _G) & _M)
    out, value = [], 0
    for k in range(n):
        if k % 12 == 0:
            state = (state + _G) & _M
            value = _ref_mix(state)
        out.append(alphabet[value % len(alphabet)])
        value //= len(alphabet)
    return "".join(out)


def _ref_id(seed: int, prefix: str, resource: str, i: int) -> str:
    digits, n = [], i
    for _ in range(7):
        n, r = divmod(n, 36)
        digits.append(B36[r])
    return prefix + "".join(reversed(digits)) + _ref_token(seed, resource + "#id", i, 9, B36)


def test_ids_and_digits_equal_their_first_definition() -> None:
    rng = random.Random(8)
    indices = [0, 1, 35, 36, 1_295, 1_296, 46_655, 46_656, 36**5 - 1, 36**5, 36**7 - 1]
    indices += [rng.randrange(36**7) for _ in range(3_000)]
    for seed in (1, 11):
        for i in indices:
            assert make_id(seed, "P01", "payments", i) == _ref_id(seed, "P01", "payments", i)
            assert make_id(seed, "M01", "mandates", i) == _ref_id(seed, "M01", "mandates", i)
            stream = record_rng(seed, "bankaccounts", i)
            assert stream.digits(8) == _ref_token(seed, "bankaccounts", i, 8, "0123456789")
            assert record_rng(seed, "x", i).token(40) == _ref_token(seed, "x", i, 40, B36)
