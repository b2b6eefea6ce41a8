"""lanes.py (a page's splitmix64 draws at once) gives exactly the scalar streams of lazy.py."""

from __future__ import annotations

import random

import pytest

from connectors.emulator_kit.lanes import lanes
from connectors.emulator_kit.lazy import (
    Stream,
    Timeline,
    draw_at,
    index_mix,
    record_rng,
    resource_key,
)

_M, _G = (1 << 64) - 1, 0x9E3779B97F4A7C15


def _ref_mix(z: int) -> int:  # splitmix64's finaliser, written out here as the reference
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _M
    return z ^ (z >> 31)


@pytest.mark.parametrize("n", [1, 7, 500])
def test_draws_equal_the_scalar_streams(n: int) -> None:
    rng = random.Random(n)
    indices = [rng.randrange(0, 10**7) for _ in range(n - 1)] + [(1 << 64) // _G]
    key = rng.getrandbits(64)
    lane = lanes(n)
    mixed = lane.index_mix(indices)
    assert lane.unpack(mixed) == [index_mix(i) for i in indices]
    assert lane.unpack(mixed) == [_ref_mix((i * _G) & _M) for i in indices]
    assert lane.draws(key, mixed) == [draw_at(key, index_mix(i)) for i in indices]
    for nth in (1, 2, 5):
        expected = []
        for i in indices:
            stream = Stream(key ^ index_mix(i))
            for _ in range(nth - 1):
                stream.next64()
            expected.append(stream.next64())
        assert lane.draws(key, mixed, nth) == expected
    values = [rng.getrandbits(64) for _ in range(n)]
    assert lane.keyed_mix(key, values) == [_ref_mix(key ^ v) for v in values]


def test_extreme_values_stay_in_their_lane() -> None:
    lane = lanes(3)
    values = [_M, 0, _M]
    assert lane.unpack(lane.pack(values)) == values
    assert lane.unpack(lane.mix(lane.pack(values))) == [_ref_mix(v) for v in values]


def test_timeline_many_equals_one_by_one() -> None:
    timeline = Timeline(3, "payments", 1.6e9, 1.7e9, 1_000_000)
    picks = sorted(random.Random(1).sample(range(1_000_000), 500))
    assert timeline.many(picks) == [timeline[i] for i in picks]
    assert record_rng(3, "x", 5).next64() == draw_at(resource_key(3, "x"), index_mix(5))
