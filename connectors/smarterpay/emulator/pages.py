"""Whole pages of records rendered together, for list requests: payments and submission lines
here, mandates and accounts in pages_accounts.py.

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

from collections.abc import Sequence
from typing import Any

from connectors.emulator_kit.lanes import GOLDEN, MASK, lanes
from connectors.emulator_kit.lazy import Stream, draw_at, index_mix, resource_key
from connectors.smarterpay.emulator import pages_accounts, pages_other
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_dd import CLAIM_STRIDE
from connectors.smarterpay.emulator.page_parts import (
    Days,
    IdFormat,
    PageRenderer,
    bounds_after,
    created_times,
)
from connectors.smarterpay.emulator.timefmt import DAY, next_file_time

Record = dict[str, Any]


def payments(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    """gen_dd.payment for each generated index, in the order given."""
    order = sorted(set(indices))
    created = created_times(ds, "payments", order)
    bounds = bounds_after(ds.timelines["mandates"], created, -4 * DAY)
    seed, days, lane = ds.seed, Days(), lanes(len(order))
    pay_id, mandate_id = IdFormat(seed, "P01", "payments"), IdFormat(seed, "M01", "mandates")
    k_life = resource_key(seed, "payments#life")
    claims = resource_key(seed, "claims") % CLAIM_STRIDE
    mixed = lane.index_mix(order)
    amounts = lane.draws(resource_key(seed, "payments#amount"), mixed)
    types = lane.draws(resource_key(seed, "payments#type"), mixed)
    lives = lane.draws(k_life, mixed)
    ids = pay_id.page(order, mixed)
    picks = lane.draws(resource_key(seed, "payments#mandate"), mixed)
    mandates = [d % hi for d, hi in zip(picks, bounds, strict=True)]
    mandate_ids = mandate_id.page(mandates, lane.index_mix(mandates))
    by_index: dict[int, Record] = {}
    for n, (i, c, m) in enumerate(zip(order, created, mandates, strict=True)):
        submitted, collection, outcome = days.payment_dates(c)
        if t < outcome:
            status, claimed = "pending_submission" if t < submitted else "submitted", False
        else:
            status, claimed = _payment_outcome(k_life, lives[n], i, outcome, t, claims)
        by_index[i] = {
            "amount": str(500 + amounts[n] % 24501),
            "auddis": f"MA{10100000 + m}",
            "collection_date": days.day(collection),
            "created_at": days.iso_z(c),
            "custom_reference": f"INV-{i:07d}",
            "default_narrative": "PAYSYNC LTD",
            "description": "Monthly subscription",
            "id": ids[n],
            "mandate": mandate_ids[n],
            "metadata": "",
            "paying_bank_reference": f"DDIC{i:08d}" if claimed else "",
            "payment_type": "first collection"
            if (types[n] >> 11) / 9007199254740992.0 < 0.15
            else "ongoing collection",
            "record_type": "direct_debit",
            "related_payment": " ",  # sic: a single space when there is none
            "status": status,
            "users_reference": "",
        }
    if len(order) == len(indices):
        return [by_index[i] for i in indices]
    return [dict(by_index[i]) for i in indices]  # a repeated index gets its own copy


def _payment_outcome(
    k_life: int, first: int, i: int, outcome: int, t: float, claims: int
) -> tuple[str, bool]:
    """(status, claimed) at t >= outcome: state_at(payment_events(...), t) without building the
    events, drawing from the record's life stream exactly as payment_events does (`first`: its
    first draw, made with the page's; the stream goes on from there only for the rare claims)."""
    if (first >> 11) / 9007199254740992.0 < 0.04:
        return "failed", False
    if i % CLAIM_STRIDE == claims:
        life = Stream(((k_life ^ index_mix(i)) + GOLDEN) & MASK)  # the state after `first`
        if life.random() < 0.6:
            at = outcome + life.randint(30, 395) * DAY + life.randint(0, DAY - 1)
            if at <= t:
                return "indemnity_claimed", True
    return "successful", False


def submission_lines(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    """gen_other.submission_line for each generated index (all below the payment count)."""
    if not indices:
        return []
    seed, days, lane = ds.seed, Days(), lanes(len(indices))
    file_id = IdFormat(seed, "FS01", "submissions")
    files: dict[int, str] = {}  # a page's lines come from one or two daily files
    first_file = ds.timelines["submissions"][0]
    mixed = lane.index_mix(indices)
    line_ids = IdFormat(seed, "FL01", "submissionlines").page(indices, mixed)
    pay_ids = IdFormat(seed, "P01", "payments").page(indices, mixed)
    amounts = lane.draws(resource_key(seed, "payments#amount"), mixed)
    types = lane.draws(resource_key(seed, "payments#type"), mixed)
    out = []
    for n, paid in enumerate(created_times(ds, "payments", indices)):
        created = next_file_time(paid)  # = lines[i] (dataset.py)
        _, collection, _ = days.payment_dates(paid)
        k = (created - first_file) // DAY
        submission = files.get(k)
        if submission is None:
            submission = files[k] = file_id(k, draw_at(file_id.key, index_mix(k)))
        out.append(
            {
                "Id": line_ids[n],
                "amount": str(500 + amounts[n] % 24501),
                "collection_date": days.iso_z(collection),  # the samples carry a datetime
                "record_id": pay_ids[n],
                "status": "Successful",
                "submission_id": submission,
                "transaction_code": "01" if (types[n] >> 11) / 9007199254740992.0 < 0.15 else "17",
                "type": "payment",
            }
        )
    return out


RENDERERS: dict[str, PageRenderer] = {
    "payments": payments,
    "submissionlines": submission_lines,
    "mandates": pages_accounts.mandates,
    "bankaccounts": pages_accounts.bank_accounts,
    "customeraccounts": pages_accounts.customer_accounts,
    "credits": pages_other.credits,
    "recurrenceschedules": pages_other.recurrence_schedules,
    "paymentlinks": pages_other.payment_links,
    "cards": pages_other.cards,
    "submissions": pages_other.submissions,
}
