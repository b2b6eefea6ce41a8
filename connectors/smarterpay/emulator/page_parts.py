"""Pieces shared by the page renderers (pages.py, pages_accounts.py): values computed once per
page or per day instead of once per record, all equal to what the record-by-record generator
computes (gen_dd, gen_accounts, gen_other, ids)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from connectors.emulator_kit.lanes import lanes
from connectors.emulator_kit.lazy import B36_PAIRS, base36_triples, resource_key, to_b36
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_dd import payment_dates
from connectors.smarterpay.emulator.ids import INDEX_WIDTH
from connectors.smarterpay.emulator.timefmt import DAY


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
        """The ids of a page's records (`mixed`: their packed index_mix)."""
        draws = lanes(len(indices)).draws(self.key, mixed)
        return [self(i, v) for i, v in zip(indices, draws, strict=True)]


def created_times(ds: Dataset, resource: str, indices: Sequence[int]) -> list[int]:
    return ds.timelines[resource].many(indices)
