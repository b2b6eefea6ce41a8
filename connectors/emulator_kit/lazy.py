"""Deterministic lazy datasets: record i of a resource is a pure function of (seed, resource, i).

Nothing is materialised: a million-record history costs the same memory as a thousand.
Creation times are monotonic in i, so a time window maps to an index range by binary search.
Records created or changed through the API live in an `Overlay` (memory grows only with it).
"""

from __future__ import annotations

import bisect
import hashlib
import struct
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Any, TypeVar

from connectors.emulator_kit.lanes import lanes

T = TypeVar("T")
_MASK = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
B36 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
DIGITS = "0123456789"
# Two base-36 digits per table lookup: ids and tokens are most of a record's rendering cost.
# _LOW_FIRST[k] is k's two digits least significant first (as Stream.token emits them),
# B36_PAIRS[k] most significant first (as to_b36 writes numbers).
_LOW_FIRST = tuple(a + b for b in B36 for a in B36)
B36_PAIRS = tuple(a + b for a in B36 for b in B36)
_TRIPLES: tuple[str, ...] = ()  # three digits least significant first; built on first use


def base36_triples() -> tuple[str, ...]:
    """k < 46656 as three base-36 digits, least significant first (Stream.token's order)."""
    global _TRIPLES
    if not _TRIPLES:  # 46,656 short strings (~2.5 MB): only emulators that render ids pay it
        _TRIPLES = tuple(p + c for c in B36 for p in _LOW_FIRST)
    return _TRIPLES


@lru_cache(maxsize=1024)
def resource_key(seed: int, resource: str) -> int:
    """64-bit key for (seed, resource); blake2b because Python's hash() is salted per process."""
    digest = hashlib.blake2b(f"{seed}/{resource}".encode(), digest_size=8).digest()
    return struct.unpack("<Q", digest)[0]


def _mix(z: int) -> int:
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


class Stream:
    """splitmix64: tiny, fast in pure Python, and good enough for fake data."""

    __slots__ = ("_state",)

    def __init__(self, state: int) -> None:
        self._state = state & _MASK

    def next64(self) -> int:
        self._state = (self._state + _GOLDEN) & _MASK
        return _mix(self._state)

    def random(self) -> float:
        return (self.next64() >> 11) / 9007199254740992.0

    def randint(self, a: int, b: int) -> int:
        """Inclusive on both ends, like random.randint."""
        return a + self.next64() % (b - a + 1)

    def chance(self, p: float) -> bool:
        return self.random() < p

    def choice(self, seq: Sequence[T]) -> T:
        return seq[self.next64() % len(seq)]

    def token(self, n: int, alphabet: str = B36) -> str:
        if alphabet is B36:
            return _token36(self, n)
        if alphabet == DIGITS and n <= 12:  # one draw's decimal digits, least significant first
            return str(self.next64() % 10**n).zfill(n)[::-1]
        size = len(alphabet)
        value = self.next64()
        out = []
        for k in range(n):
            if k and k % 12 == 0:
                value = self.next64()
            out.append(alphabet[value % size])
            value //= size
        return "".join(out)

    def digits(self, n: int) -> str:
        return self.token(n, DIGITS)


def _token36(stream: Stream, n: int) -> str:
    """Stream.token(n) over B36, two digits per lookup; the same characters in the same order
    (12 digits per 64-bit draw, least significant first)."""
    out = []
    while n > 0:
        value, take = stream.next64(), min(n, 12)
        n -= take
        for _ in range(take // 2):
            value, pair = divmod(value, 1296)
            out.append(_LOW_FIRST[pair])
        if take % 2:
            out.append(B36[value % 36])
    return "".join(out)


def record_rng(seed: int, resource: str, i: int) -> Stream:
    """The random stream of record i of a resource."""
    return Stream(resource_key(seed, resource) ^ _mix((i * _GOLDEN) & _MASK))


def index_mix(i: int) -> int:
    """The part of record i's random streams shared by every resource: `record_rng(seed, r, i)`
    starts at `resource_key(seed, r) ^ index_mix(i)`. Computed once per record, it halves the
    cost of drawing a field from several resources' streams."""
    z = (i * _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def draw_at(key: int, mixed: int) -> int:
    """The first 64-bit draw of `record_rng` for the resource whose `resource_key` is `key`, of
    the record whose `index_mix` is `mixed` (`_mix` written out: several per generated record)."""
    z = ((key ^ mixed) + _GOLDEN) & _MASK
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
    return z ^ (z >> 31)


def first_draw(key: int, i: int) -> int:
    """`Stream(key ^ mix(i)).next64()` without the object: the first 64-bit draw of record i of
    the resource whose `resource_key` is `key` (most fields use only that one draw)."""
    return draw_at(key, index_mix(i))


def token36_of(value: int, n: int) -> str:
    """The first min(n, 12) characters Stream.token(n) makes of one 64-bit draw `value`."""
    if n in (6, 9, 12):  # references and id tails: two to four three-digit lookups
        t = _TRIPLES or base36_triples()
        if n == 6:
            return t[value % 46656] + t[value // 46656 % 46656]
        high = value // 46656
        if n == 9:
            return t[value % 46656] + t[high % 46656] + t[high // 46656 % 46656]
        return (
            t[value % 46656] + t[high % 46656] + t[high // 46656 % 46656]
            + t[high // 2176782336 % 46656]
        )  # fmt: skip
    out = []
    for _ in range(n // 2):
        value, pair = divmod(value, 1296)
        out.append(_LOW_FIRST[pair])
    if n % 2:
        out.append(B36[value % 36])
    return "".join(out)


def to_b36(n: int, width: int) -> str:
    out = []
    for _ in range(width // 2):
        n, pair = divmod(n, 1296)
        out.append(B36_PAIRS[pair])
    if width % 2:
        n, r = divmod(n, 36)
        out.append(B36[r])
    if n:
        raise ValueError("number too large for width")
    return "".join(reversed(out))


def from_b36(text: str) -> int:
    return int(text, 36)


class Timeline(Sequence[int]):
    """Creation time (integer epoch seconds) of record i, non-decreasing in i.

    Record i falls in slot i of `count` equal slots between start and end, at a random point
    inside its slot, so times look irregular yet stay sorted. `len(timeline)` (`size`) is the
    number of records; `count` is not an attribute, it stays `Sequence.count(value)`.
    """

    def __init__(self, seed: int, resource: str, start: float, end: float, count: int) -> None:
        self.size = max(0, count)
        self.start = float(start)
        self.step = (float(end) - self.start) / max(1, self.size)
        self._key = resource_key(seed, resource + "#time")

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, i: int) -> int:  # type: ignore[override]
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError(i)
        jitter = (_mix(self._key ^ ((i * _GOLDEN) & _MASK)) >> 11) / 9007199254740992.0
        return int(self.start + (i + 0.999 * jitter) * self.step)

    def at(self, i: int) -> int:
        return self[i]

    def many(self, indices: Sequence[int]) -> list[int]:
        """[self[i] for i in indices], the jitter of the whole page mixed at once (lanes.py)."""
        size, start, step, key = self.size, self.start, self.step, self._key
        if indices and not (0 <= min(indices) and max(indices) < size):
            raise IndexError(indices)
        if not indices:
            return []
        jitters = lanes(len(indices)).keyed_mix(key, [(i * _GOLDEN) & _MASK for i in indices])
        return [
            int(start + (i + 0.999 * ((z >> 11) / 9007199254740992.0)) * step)
            for i, z in zip(indices, jitters, strict=True)
        ]

    def first_at_or_after(self, ts: float) -> int:
        return self._search(ts, bisect.bisect_left)

    def first_after(self, ts: float) -> int:
        return self._search(ts, bisect.bisect_right)

    def _search(self, ts: float, side: Callable[..., int]) -> int:
        # record i lies in slot i, so the answer is within a couple of slots of the estimate
        if self.step <= 0:
            return side(self, ts)
        k = int((ts - self.start) / self.step)
        lo = min(max(0, k - 2), self.size)
        hi = min(self.size, max(lo, k + 3))
        if (lo > 0 and self[lo - 1] >= ts) or (hi < self.size and self[hi] <= ts):
            return side(self, ts)  # ties across slots: fall back to a full binary search
        return side(self, ts, lo, hi)

    def index_range(
        self, start: float | None, end: float | None, *, inclusive_end: bool = True
    ) -> range:
        """Indices with start <= time (and time <= end, or < end when not inclusive)."""
        lo = 0 if start is None else self.first_at_or_after(start)
        if end is None:
            hi = self.size
        else:
            hi = self.first_after(end) if inclusive_end else self.first_at_or_after(end)
        return range(lo, max(lo, hi))

    def __iter__(self) -> Iterator[int]:
        return (self[i] for i in range(self.size))


class MappedTimeline(Timeline):
    """A timeline computed by a monotonic function of i (e.g. derived from another timeline:
    a bank account created 2 minutes before its mandate)."""

    def __init__(
        self,
        count: int,
        fn: Callable[[int], int],
        many: Callable[[Sequence[int]], list[int]] | None = None,
    ) -> None:
        self.size = max(0, count)
        self._fn = fn
        self._many = many  # the same values for a page at once (e.g. via the base's .many)

    def __getitem__(self, i: int) -> int:  # type: ignore[override]
        if i < 0:
            i += self.size
        if not 0 <= i < self.size:
            raise IndexError(i)
        return self._fn(i)

    def many(self, indices: Sequence[int]) -> list[int]:
        if self._many is None or not indices:
            return [self[i] for i in indices]
        if not (0 <= min(indices) and max(indices) < self.size):
            raise IndexError(indices)
        return self._many(indices)

    def _search(self, ts: float, side: Callable[..., int]) -> int:
        return side(self, ts)


class Overlay:
    """Records created or changed through the API or admin, keyed by id.

    `created` keeps (created_ts, id) sorted so window queries merge them with the lazy ones.
    Values are whatever the provider stores (a dict, a state object).
    """

    def __init__(self) -> None:
        self._items: dict[str, Any] = {}
        self._created: list[tuple[float, str]] = []

    def put_created(self, record_id: str, created_ts: float, value: Any) -> None:
        if record_id not in self._items:
            bisect.insort(self._created, (created_ts, record_id))
        self._items[record_id] = value

    def put(self, record_id: str, value: Any) -> None:
        """Store a changed version of an existing (lazy or created) record."""
        self._items[record_id] = value

    def get(self, record_id: str, default: Any = None) -> Any:
        return self._items.get(record_id, default)

    def __contains__(self, record_id: object) -> bool:
        return record_id in self._items

    def __len__(self) -> int:
        return len(self._items)

    def created_between(self, start: float | None, end: float | None) -> list[str]:
        """Ids of created records with start <= created_ts <= end, in creation order."""
        lo = 0 if start is None else bisect.bisect_left(self._created, (start, ""))
        hi = (
            len(self._created)
            if end is None
            else bisect.bisect_right(self._created, (end, "\uffff"))
        )
        return [rid for _, rid in self._created[lo:hi]]

    def created_ids(self) -> list[str]:
        return [rid for _, rid in self._created]
