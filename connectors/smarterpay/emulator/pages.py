"""Whole pages of payments and submission lines rendered together, for list requests.

Profiled (cProfile, 1M-record history, pages of 500): rendering a payment record by record cost
~24 µs, most of it Python call overhead around tiny pure functions — a Stream object per field,
a binary search of the mandate timeline per payment, the banking-day arithmetic twice, the
id helpers. A page is a run of consecutive records, so here those are computed once per page:
creation times in one loop, the mandate bound by a pointer walking forward with the payments
(creation times never decrease), collection dates and ISO day prefixes once per day, the first
random draw of each field without building a Stream.

The records are exactly those of `gen_dd.payment` and `gen_other.submission_line` (the
straightforward generator, still used for details, truth and writes): same fields, values and
key order — `tests/smarterpay_emulator` compares the two and pins the bytes served.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any

from connectors.emulator_kit.lazy import (
    B36_PAIRS,
    Stream,
    Timeline,
    draw_at,
    index_mix,
    resource_key,
    to_b36,
    token36_of,
)
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_dd import CLAIM_STRIDE, payment_dates
from connectors.smarterpay.emulator.ids import INDEX_WIDTH
from connectors.smarterpay.emulator.timefmt import DAY

Record = dict[str, Any]
PageRenderer = Callable[[Dataset, Sequence[int], float, bool], list[Record]]


class _Days:
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
        m, sec = divmod(rest, 60)
        return f"{prefix}{h:02d}:{m:02d}:{sec:02d}Z"

    def day(self, ts: int) -> str:
        return self.iso_z(ts)[:10]

    def payment_dates(self, created: int) -> tuple[int, int, int]:
        # payment_dates depends on the day and on whether the 18:00 file run has passed
        key = (created // DAY, created % DAY < 18 * 3600)
        dates = self._dates.get(key)
        if dates is None:
            dates = self._dates[key] = payment_dates(created)
        return dates


def _ids(seed: int, prefix: str, resource: str) -> Callable[[int, int], str]:
    """ids.make_id(seed, prefix, resource, i) for many i: 7 index digits and a 9-character
    tail from the record's first draw, with the key looked up once."""
    key = resource_key(seed, resource + "#id")
    tail = 16 - INDEX_WIDTH
    heads: dict[int, str] = {}  # prefix + the index's high 5 digits, shared by 1,296 records

    def one(i: int, mixed: int) -> str:
        """`mixed`: index_mix(i)."""
        high, low = divmod(i, 1296)
        head = heads.get(high)
        if head is None:
            head = heads[high] = prefix + to_b36(high, INDEX_WIDTH - 2)
        return f"{head}{B36_PAIRS[low]}{token36_of(draw_at(key, mixed), tail)}"

    return one


def _created(ds: Dataset, resource: str, indices: Sequence[int]) -> list[int]:
    timeline = ds.timelines[resource]
    return [timeline[i] for i in indices]


def _mandate_bounds(ds: Dataset, created: Sequence[int]) -> list[int]:
    """max(1, mandates created at or before c - 4 days) for non-decreasing c: a walking pointer
    instead of a binary search per payment."""
    mandates: Timeline = ds.timelines["mandates"]
    size, out = len(mandates), []
    hi = -1
    for c in created:
        ts = c - 4 * DAY
        if hi < 0:
            hi = mandates.first_after(ts)
        while hi < size and mandates[hi] <= ts:
            hi += 1
        out.append(max(1, hi))
    return out


def payments(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    """gen_dd.payment for each generated index, in the order given."""
    order = sorted(set(indices))
    created = _created(ds, "payments", order)
    bounds = _mandate_bounds(ds, created)
    seed, days = ds.seed, _Days()
    pay_id, mandate_id = _ids(seed, "P01", "payments"), _ids(seed, "M01", "mandates")
    k_mandate = resource_key(seed, "payments#mandate")
    k_amount = resource_key(seed, "payments#amount")
    k_type = resource_key(seed, "payments#type")
    k_life = resource_key(seed, "payments#life")
    claims = resource_key(seed, "claims") % CLAIM_STRIDE
    by_index: dict[int, Record] = {}
    for i, c, hi in zip(order, created, bounds, strict=True):
        mixed = index_mix(i)
        m = draw_at(k_mandate, mixed) % hi
        submitted, collection, outcome = days.payment_dates(c)
        if t < outcome:
            status, claimed = "pending_submission" if t < submitted else "submitted", False
        else:
            status, claimed = _payment_outcome(Stream(k_life ^ mixed), i, outcome, t, claims)
        u_type = (draw_at(k_type, mixed) >> 11) / 9007199254740992.0
        by_index[i] = {
            "amount": str(500 + draw_at(k_amount, mixed) % 24501),
            "auddis": f"MA{10100000 + m}",
            "collection_date": days.day(collection),
            "created_at": days.iso_z(c),
            "custom_reference": f"INV-{i:07d}",
            "default_narrative": "PAYSYNC LTD",
            "description": "Monthly subscription",
            "id": pay_id(i, mixed),
            "mandate": mandate_id(m, index_mix(m)),
            "metadata": "",
            "paying_bank_reference": f"DDIC{i:08d}" if claimed else "",
            "payment_type": "first collection" if u_type < 0.15 else "ongoing collection",
            "record_type": "direct_debit",
            "related_payment": " ",  # sic: a single space when there is none
            "status": status,
            "users_reference": "",
        }
    if len(order) == len(indices):
        return [by_index[i] for i in indices]
    return [dict(by_index[i]) for i in indices]  # a repeated index gets its own copy


def _payment_outcome(life: Stream, i: int, outcome: int, t: float, claims: int) -> tuple[str, bool]:
    """(status, claimed) at t >= outcome: state_at(payment_events(...), t) without building the
    events, drawing from the record's life stream exactly as payment_events does."""
    if life.random() < 0.04:
        return "failed", False
    if i % CLAIM_STRIDE == claims and life.random() < 0.6:
        at = outcome + life.randint(30, 395) * DAY + life.randint(0, DAY - 1)
        if at <= t:
            return "indemnity_claimed", True
    return "successful", False


def submission_lines(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    """gen_other.submission_line for each generated index (all below the payment count)."""
    seed, days = ds.seed, _Days()
    line_id, pay_id = _ids(seed, "FL01", "submissionlines"), _ids(seed, "P01", "payments")
    file_id = _ids(seed, "FS01", "submissions")
    k_amount = resource_key(seed, "payments#amount")
    k_type = resource_key(seed, "payments#type")
    first_file = ds.timelines["submissions"][0]
    lines = ds.timelines["submissionlines"]
    out = []
    for i, paid in zip(indices, _created(ds, "payments", indices), strict=True):
        mixed, created = index_mix(i), lines[i]
        _, collection, _ = days.payment_dates(paid)
        u_type = (draw_at(k_type, mixed) >> 11) / 9007199254740992.0
        k = (created - first_file) // DAY
        out.append(
            {
                "Id": line_id(i, mixed),
                "amount": str(500 + draw_at(k_amount, mixed) % 24501),
                "collection_date": days.iso_z(collection),  # the samples carry a datetime
                "record_id": pay_id(i, mixed),
                "status": "Successful",
                "submission_id": file_id(k, index_mix(k)),
                "transaction_code": "01" if u_type < 0.15 else "17",
                "type": "payment",
            }
        )
    return out


RENDERERS: dict[str, PageRenderer] = {
    "payments": payments,
    "submissionlines": submission_lines,
}
