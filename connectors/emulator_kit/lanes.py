"""splitmix64 over a whole page at once: many 64-bit values packed into one Python int.

A generated record's fields are draws of splitmix64 streams (lazy.py), ~0.7 µs each in pure
Python on the shared machine, and a page renderer makes a dozen per record: most of what
serving a page cost. Here the values of a page sit in one big int, one value every 128 bits
(a product of two 64-bit numbers fits in a lane without touching the next), and each step of
the mix (xor, shift, multiply, mask) is one big-int operation over every lane — C loops inside
CPython instead of a bytecode round trip per value. Packing and unpacking go through
`array`/`memoryview`, so a page of 500 values costs tens of µs instead of hundreds.

The results are exactly those of lazy.py's scalar functions (tests/smarterpay_emulator compares
them); nothing here is random of its own.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Sequence
from functools import lru_cache

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
_C1, _C2 = 0xBF58476D1CE4E5B9, 0x94D049BB133111EB
_LANE_BYTES = 16  # 128 bits a lane: a 64 x 64-bit product never reaches the next lane
_ORDER = sys.byteorder  # array("Q") is native-endian


class Lanes:
    """Packing for `n` values (one page); every method takes and returns packed ints unless
    it says otherwise. Build once per page size (`lanes(n)` caches them)."""

    __slots__ = ("golden", "mask", "n", "ones")

    def __init__(self, n: int) -> None:
        self.n = n
        self.ones = int.from_bytes((b"\x01" + bytes(_LANE_BYTES - 1)) * n, "little")
        self.mask = self.ones * MASK  # the low 64 bits of every lane
        self.golden = self.ones * GOLDEN

    def pack(self, values: Sequence[int]) -> int:
        """Values in [0, 2**64), in order."""
        if len(values) != self.n:
            raise ValueError(f"{len(values)} values for {self.n} lanes")
        spread = array("Q", bytes(_LANE_BYTES * self.n))
        spread[::2] = array("Q", values)
        return int.from_bytes(spread.tobytes(), _ORDER)

    def unpack(self, packed: int) -> list[int]:
        raw = memoryview(packed.to_bytes(_LANE_BYTES * self.n, _ORDER)).cast("Q")
        return raw[::2].tolist()

    def mix(self, z: int) -> int:
        """lazy._mix of every lane."""
        m = self.mask
        z = ((z ^ ((z >> 30) & m)) * _C1) & m
        z = ((z ^ ((z >> 27) & m)) * _C2) & m
        return z ^ ((z >> 31) & m)

    def index_mix(self, indices: Sequence[int]) -> int:
        """lazy.index_mix(i) of every index, packed (kept packed: several draws start there)."""
        return self.mix(self.pack([(i * GOLDEN) & MASK for i in indices]))

    def draws(self, key: int, mixed: int, nth: int = 1) -> list[int]:
        """The nth 64-bit draw of `Stream(key ^ index_mix(i))` for every lane of `mixed` (a
        packed index_mix): `nth=1` is lazy.draw_at(key, index_mix(i))."""
        start = (mixed ^ (self.ones * key)) + self.golden * nth
        return self.unpack(self.mix(start & self.mask))

    def keyed_mix(self, key: int, values: Sequence[int]) -> list[int]:
        """lazy._mix(key ^ v) for every v (a timeline's jitter: v = i * GOLDEN mod 2**64)."""
        return self.unpack(self.mix(self.pack(values) ^ (self.ones * key)))


@lru_cache(maxsize=16)
def lanes(n: int) -> Lanes:
    """Lanes for n values; page sizes repeat, so the constants are built once per size."""
    return Lanes(n)
