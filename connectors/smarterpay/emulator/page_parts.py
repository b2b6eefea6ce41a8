"""Pieces shared by the page renderers (pages.py, pages_accounts.py): values computed once per
page or per day instead of once per record, all equal to what the record-by-record generator
computes (gen_dd, gen_accounts, gen_other, ids)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from connectors.emulator_kit.lanes import lanes
from connectors.emulator_kit.lazy import B36_PAIRS, Timeline, base36_triples, resource_key, to_b36
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_dd import payment_dates
from connectors.smarterpay.emulator.ids import INDEX_WIDTH
from connectors.smarterpay.emulator.timefmt import DAY

Record = dict[str, Any]
PageRenderer = Callable[[Dataset, Sequence[int], float, bool], list[Record]]


_HOURS = tuple(f"{h:02d}:" for h in range(24))
_MINUTES_SECONDS = tuple(f"{m:02d}:{s:02d}" for m in range(60) for s in range(60))


class Days:
    """Per-day values shared by the records of a page: ISO prefixes and payment dates."""

    def __init__(self) -> None:
        self._prefix: dict[int, str] = {}
        self._dates: dict[tuple[int, bool], tuple[int, int, int]] = {}

    def iso_z(self, ts: int) -> str:
        d, s = divmod(ts, DAY)
        prefix = self._prefix.get(d)
        if prefix is None:
            prefix = self._prefix[d] = time.strftime("%Y-%m-%dT", time.gmtime(d * DAY))
        h, rest = divmod(s, 3600)
        return f"{prefix}{_HOURS[h]}{_MINUTES_SECONDS[rest]}Z"

    def day(self, ts: int) -> str:
        return self.iso_z(ts)[:10]

    def spaced(self, ts: int) -> str:
        """timefmt.spaced: `2023-07-13 11:12:45`."""
        text = self.iso_z(ts)
        return f"{text[:10]} {text[11:19]}"

    def payment_dates(self, created: int) -> tuple[int, int, int]:
        # payment_dates depends on the day and on whether the 18:00 file run has passed
        key = (created // DAY, created % DAY < 18 * 3600)
        dates = self._dates.get(key)
        if dates is None:
            dates = self._dates[key] = payment_dates(created)
        return dates


class IdFormat:
    """ids.make_id(seed, prefix, resource, i) for many i: 7 index digits and a 9-character
    tail (token36_of the record's first draw of `key`, written out: several ids per record).
    The draw comes from the caller, who makes a whole page's at once (lanes.py)."""

    def __init__(self, seed: int, prefix: str, resource: str) -> None:
        assert 16 - INDEX_WIDTH == 9, "ids carry 9 random characters"
        self.key = resource_key(seed, resource + "#id")
        self._prefix = prefix
        self._heads: dict[int, str] = {}  # prefix + the index's high 5 digits (1,296 records)
        self._triples = base36_triples()

    def __call__(self, i: int, value: int) -> str:
        """The id of record i whose first draw of `key` is `value`."""
        high, low = divmod(i, 1296)
        head = self._heads.get(high)
        if head is None:
            head = self._heads[high] = self._prefix + to_b36(high, INDEX_WIDTH - 2)
        triples, rest = self._triples, value // 46656
        return (
            f"{head}{B36_PAIRS[low]}{triples[value % 46656]}"
            f"{triples[rest % 46656]}{triples[rest // 46656 % 46656]}"
        )

    def page(self, indices: Sequence[int], mixed: int) -> list[str]:
        """The ids of a page's records (`mixed`: their packed index_mix); __call__ written out
        in one comprehension (a call per id was a third of the cost)."""
        draws = lanes(len(indices)).draws(self.key, mixed)
        heads, t = self._heads, self._triples
        for high in {i // 1296 for i in indices} - heads.keys():
            heads[high] = self._prefix + to_b36(high, INDEX_WIDTH - 2)
        return [
            f"{heads[i // 1296]}{B36_PAIRS[i % 1296]}{t[v % 46656]}"
            f"{t[v // 46656 % 46656]}{t[v // 2176782336 % 46656]}"  # 2176782336 = 46656**2
            for i, v in zip(indices, draws, strict=True)
        ]


def created_times(ds: Dataset, resource: str, indices: Sequence[int]) -> list[int]:
    return ds.timelines[resource].many(indices)


def bounds_after(timeline: Timeline, created: Sequence[int], offset: int = 0) -> list[int]:
    """max(1, timeline.first_after(c + offset)) for each c of a non-decreasing sequence: a
    pointer walking the creation times the page can reach (computed together) instead of a
    binary search per record."""
    if not created:
        return []
    lo = timeline.first_after(created[0] + offset)
    times = timeline.many(range(lo, timeline.first_after(created[-1] + offset)))
    out, hi = [], 0
    for c in created:
        ts = c + offset
        while hi < len(times) and times[hi] <= ts:
            hi += 1
        out.append(max(1, lo + hi))
    return out


def in_order(render: PageRenderer) -> PageRenderer:
    """A renderer of sorted, distinct indices (so creation times never decrease) serving any
    order: records rendered once each, repeats copied."""

    def page(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
        order = sorted(set(indices))
        if order == list(indices):
            return render(ds, order, t, detail)
        by_index = dict(zip(order, render(ds, order, t, detail), strict=True))
        if len(order) == len(indices):
            return [by_index[i] for i in indices]
        return [dict(by_index[i]) for i in indices]  # a repeated index gets its own copy

    return page
