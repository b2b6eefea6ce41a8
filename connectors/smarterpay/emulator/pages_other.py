"""Whole pages of credits, recurrence schedules, payment links, cards and file submissions
(see pages.py for why pages are rendered together).

Profiled (in process, 330,000-payment history, pages of 500): record by record these cost
22-50 µs each (a Stream object per field, a binary search of the bank or customer account
timeline per record, the lifecycle as a sorted event list) and a submission ~450 µs (its
totals sum the amounts of a day's payments one draw at a time). Here every draw of a page
comes from lanes.py at once, references walk a pointer along the referenced timeline, and
lifecycle states are read off the same draws the event lists are built from.

Each is exactly gen_dd.credit, gen_other.recurrence_schedule / payment_link / submission or
gen_accounts.card of the same index (tests/smarterpay_emulator compares them).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import Any

from connectors.emulator_kit.lanes import lanes
from connectors.emulator_kit.lazy import resource_key, token36_of
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_accounts import FIRST, LAST, SUNS
from connectors.smarterpay.emulator.gen_dd import END_STRIDE, end_residue, state_at
from connectors.smarterpay.emulator.gen_other import _next_collection, schedule_events
from connectors.smarterpay.emulator.page_parts import (
    Days,
    IdFormat,
    bounds_after,
    created_times,
    in_order,
)
from connectors.smarterpay.emulator.timefmt import DAY, add_banking_days, next_file_time

Record = dict[str, Any]
_UNIT = 9007199254740992.0  # Stream.random(): the top 53 bits of a draw over 2**53


def _keys(seed: int, resource: str, n: int, lane_n: int, mixed: int) -> list[list[int]]:
    """Draws 1..n of `Stream(resource_key(seed, resource) ^ index_mix(i))` for a page."""
    key = resource_key(seed, resource)
    return [lanes(lane_n).draws(key, mixed, k) for k in range(1, n + 1)]


@in_order
def credits(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    seed, days, lane = ds.seed, Days(), lanes(len(indices))
    created = created_times(ds, "credits", indices)
    mixed = lane.index_mix(indices)
    amounts, descriptions, references = _keys(seed, "credits", 3, len(indices), mixed)
    (lives,) = _keys(seed, "credits#life", 1, len(indices), mixed)
    hi = bounds_after(ds.timelines["bankaccounts"], created)
    (banks,) = _keys(seed, "credits#bank", 1, len(indices), mixed)
    accounts = [d % h for d, h in zip(banks, hi, strict=True)]
    account_ids = IdFormat(seed, "BA01", "bankaccounts").page(accounts, lane.index_mix(accounts))
    ids = IdFormat(seed, "CR01", "credits").page(indices, mixed)
    sun, sun_name = SUNS[0]
    out = []
    for n, (i, c) in enumerate(zip(indices, created, strict=True)):
        submitted = next_file_time(c)
        if t < submitted:
            status = "pending_submission"
        elif t < add_banking_days(submitted, 4) + 7 * 3600:
            status = "submitted"
        else:
            status = "failed" if (lives[n] >> 11) / _UNIT < 0.03 else "successful"
        out.append(
            {
                "ID": ids[n],
                "Sun_Name": sun_name,
                "Sun_Number": sun,
                "amount": str(100 + amounts[n] % 49901),
                "auddis": "",
                "bank_account": account_ids[n],
                "client_bank_account_id": "CBA-0000002",
                "created_at": days.iso_z(c),
                "credit_date": days.day(add_banking_days(submitted, 3)),
                "default_narrative": "PAYSYNC REFUND",
                "description": ("Refund", "Rent payout", "Overpayment refund")[descriptions[n] % 3],
                "metadata": "",
                "reference": f"CRREF{i:07d}",
                "rti": "",
                "status": status,
                "submission_reference": "CR" + token36_of(references[n], 6),
            }
        )
    return out


@in_order
def recurrence_schedules(
    ds: Dataset, indices: Sequence[int], t: float, detail: bool
) -> list[Record]:
    seed, days, lane = ds.seed, Days(), lanes(len(indices))
    created = created_times(ds, "recurrenceschedules", indices)
    mixed = lane.index_mix(indices)
    collection_days, amounts, same_month = _keys(seed, "recurrenceschedules", 3, lane.n, mixed)
    mandates = [2 * k for k in indices]  # ds.ref("mandates", 2k): generated schedules only
    mandate_mixed = lane.index_mix(mandates)
    mandate_ids = IdFormat(seed, "M01", "mandates").page(mandates, mandate_mixed)
    (refused,) = _keys(seed, "mandates#life", 1, lane.n, mandate_mixed)
    mandate_created = ds.timelines["mandates"].many(mandates)
    ids = IdFormat(seed, "RS01", "recurrenceschedules").page(indices, mixed)
    residue = end_residue(ds)
    next_dates: dict[tuple[str, int], str] = {}
    out = []
    for n, (k, c) in enumerate(zip(indices, created, strict=True)):
        if mandates[n] % END_STRIDE == residue:  # the mandate may end later: its events
            state = state_at(schedule_events(ds, k, c), t)
            active = state is None or state.status == "active"
        else:  # it ends only when refused, once processed (gen_dd.mandate_events)
            processed = next_file_time(mandate_created[n]) + 2 * DAY + 7 * 3600
            active = t < processed or (refused[n] >> 11) / _UNIT >= 0.03
        collection_day = 1 + collection_days[n] % 28
        amount = str((5 + amounts[n] % 196) * 100)
        start = days.day(c + 10 * DAY)
        next_date = ""
        if active:
            next_date = next_dates.get((start, collection_day), "")
            if not next_date:
                next_date = next_dates[(start, collection_day)] = _next_collection(
                    date.fromisoformat(start), collection_day, t
                )
        out.append(
            {
                "amount": amount,
                "auddis": f"MA{10100000 + mandates[n]}",
                "card_id": "",
                "collection_day": str(collection_day),
                "collection_period": "monthly",
                "collection_stretch": "1",
                "created_at": days.iso_z(c),
                "custom_reference": f"RS-{k:06d}",
                "description": "Monthly plan",
                "end_date": "",
                "firstCollectionInSameMonthAsNextCollection": (same_month[n] >> 11) / _UNIT < 0.3,
                "first_collection_amount": amount,
                "first_collection_date": start,
                "id": ids[n],
                "mandate": mandate_ids[n],
                "metadata": "",
                "next_collection_date": next_date,
                "payment_type": "directdebit",
                "start_date": start,
                "status": "active" if active else "inactive",
                "type": "DDOngoingPayment",
            }
        )
    return out


def _link_times(draws: list[int], created: int) -> tuple[int | None, int | None, int | None]:
    """gen_other.link_times from the life stream's first draws (how many it takes depends on
    the branches, as there)."""
    expiry = created + 1800 if (draws[0] >> 11) / _UNIT < 0.4 else None
    j, visited, completed = 1, None, None
    if (draws[j] >> 11) / _UNIT < 0.6:
        visited, j = created + 60 + draws[j + 1] % 1441, j + 2
    else:
        j += 1
    if visited and (draws[j] >> 11) / _UNIT < 0.6:
        completed = visited + 30 + draws[j + 1] % 221
    return expiry, visited, completed


_LINK_URL = "https://smarterpay-test-ecommerce.azurewebsites.net?setup="
_LINK_PAGE = "&page=455030324B4F354430473830584D50"


def _token40(draws: list[list[int]], n: int, first: int) -> str:
    """Stream.token(40): draws first..first+3, 12 + 12 + 12 + 4 characters."""
    return (
        token36_of(draws[first][n], 12)
        + token36_of(draws[first + 1][n], 12)
        + token36_of(draws[first + 2][n], 12)
        + token36_of(draws[first + 3][n], 4)
    )


@in_order
def payment_links(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    seed, days, lane = ds.seed, Days(), lanes(len(indices))
    created = created_times(ds, "paymentlinks", indices)
    mixed = lane.index_mix(indices)
    # with_bank (1), the url's two tokens (2-5, 6-9), amount (10), description (11)
    draws = _keys(seed, "paymentlinks", 11, lane.n, mixed)
    life = _keys(seed, "paymentlinks#life", 5, lane.n, mixed)
    (picks,) = _keys(seed, "paymentlinks#customer", 1, lane.n, mixed)
    hi = bounds_after(ds.timelines["customeraccounts"], created)
    customers = [d % h for d, h in zip(picks, hi, strict=True)]
    customer_mixed = lane.index_mix(customers)
    customer_ids = IdFormat(seed, "CA01", "customeraccounts").page(customers, customer_mixed)
    bank_ids = IdFormat(seed, "BA01", "bankaccounts").page(customers, customer_mixed)
    ids = IdFormat(seed, "PL01", "paymentlinks").page(indices, mixed)
    out = []
    for n, c in enumerate(created):
        expiry, visited, completed = _link_times([d[n] for d in life], c)
        if completed and completed <= t:
            status = "completed"
        elif not completed and expiry and expiry <= t:
            status = "expired"
        else:
            status = "active"
        with_bank = (draws[0][n] >> 11) / _UNIT < 0.3
        out.append(
            {
                "id": ids[n],
                "url": f"{_LINK_URL}{_token40(draws, n, 1)}&payment={_token40(draws, n, 5)}"
                + _LINK_PAGE,
                "amount": str((10 + draws[9][n] % 491) * 25),
                "description": ("Payment Plan", "Deposit", "Membership")[draws[10][n] % 3],
                "bank_account_custom_reference": None,
                "recurrence_schedule_custom_reference": None,
                "card_payment_custom_reference": None,
                "auddis": None,
                "customer_account": customer_ids[n],
                "bank_account": bank_ids[n] if with_bank else None,
                "mandate": None,
                "recurrence_schedule": None,
                "ecommerce_page": "EP02KO5D0G80XMPERW4V",
                "status": status,
                "expiry": days.spaced(expiry) if expiry else "never",
                "return_url": None,
                "visited_at": days.spaced(visited) if visited and visited <= t else None,
                "completed_at": days.spaced(completed) if completed and completed <= t else None,
                "created_at": days.spaced(c),
                "account_validation_callback": False,
                "start_date": None,
                "end_date": None,
                "first_collection_amount": None,
                "first_collection_date": None,
                "metadata": None,
                "metadata_account_validation": None,
                "metadata_bank_account": None,
                "metadata_card": None,
                "metadata_customer_account": None,
                "metadata_mandate": None,
                "metadata_recurrence_schedule": None,
            }
        )
    return out


_LAST_DAY = (28, 31, 0, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)  # [2] is leap-dependent


@in_order
def cards(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    seed, days, lane = ds.seed, Days(), lanes(len(indices))
    created = created_times(ds, "cards", indices)
    mixed = lane.index_mix(indices)
    lifetimes, endings, types, channels = _keys(seed, "cards", 4, lane.n, mixed)
    firsts, lasts = _keys(seed, "cards#person", 2, lane.n, mixed)
    high, low = _keys(seed, "cards#uuid", 2, lane.n, mixed)
    (picks,) = _keys(seed, "cards#customer", 1, lane.n, mixed)
    hi = bounds_after(ds.timelines["customeraccounts"], created)
    customers = [d % h for d, h in zip(picks, hi, strict=True)]
    customer_ids = IdFormat(seed, "CA01", "customeraccounts").page(
        customers, lane.index_mix(customers)
    )
    out = []
    for n, (i, c) in enumerate(zip(indices, created, strict=True)):
        expiry = days.day(c + (400 + lifetimes[n] % 1101) * DAY)
        year, month = int(expiry[:4]), int(expiry[5:7])
        last_day = _LAST_DAY[month] or (29 if year % 4 == 0 else 28)
        out.append(
            {
                "ID": str(uuid.UUID(int=(high[n] << 64) | low[n], version=4)),
                "card_number_ending": str(endings[n] % 10000).zfill(4)[::-1],
                "card_type": ("Visa", "MasterCard", "Amex", "Visa Debit")[types[n] % 4],
                "created_at": days.iso_z(c),
                "custom_referance": f"CARD-{i:06d}",  # sic: the provider misspells this key
                "customer_id": customer_ids[n],
                "expiry_date": f"{year:04d}-{month:02d}-{last_day:02d}",
                "gateway_payment_description": "Card payment",
                "internal_payment_description": f"Order {i}",
                "metadata": "",
                "name_on_card": f"{FIRST[firsts[n] % len(FIRST)][0]} {LAST[lasts[n] % len(LAST)]}".upper(),
                "payment_gateway": "OpayoPi",
                "status": "successful",
                "transaction_type": ("Ecommerce", "MOTO")[channels[n] % 2],
            }
        )
    return out


def _amount_sum(seed: int, resource: str, span: range, base: int, spread: int) -> int:
    """sum(base + first draw % spread) over a run of records (a day's payments or credits)."""
    if not span:
        return 0
    lane = lanes(len(span))
    draws = lane.draws(resource_key(seed, resource), lane.index_mix(span))
    return base * len(span) + sum(d % spread for d in draws)


def submissions(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    seed, days, timelines = ds.seed, Days(), ds.timelines
    ids = IdFormat(seed, "FS01", "submissions")
    lane = lanes(len(indices)) if indices else None
    mixed = lane.index_mix(indices) if lane else 0
    serials, errors = _keys(seed, "submissions", 2, len(indices), mixed) if lane else ([], [])
    id_list = ids.page(indices, mixed) if lane else []
    sun, sun_name = SUNS[0]
    out = []
    for n, created in enumerate(created_times(ds, "submissions", indices)):
        day = (created - DAY, created)
        payments = timelines["payments"].index_range(*day, inclusive_end=False)
        credits = timelines["credits"].index_range(*day, inclusive_end=False)
        mandates = timelines["mandates"].index_range(*day, inclusive_end=False)
        out.append(
            {
                "Id": id_list[n],
                "created_at": days.iso_z(created),
                "credit_total_count": str(len(credits)),
                "credit_total_value": str(_amount_sum(seed, "credits", credits, 100, 49901)),
                "mandate_cancellation_count": "0",
                "mandate_convert_count": "0",
                "mandate_new_instruction_count": str(len(mandates)),
                "payment_total_count": str(len(payments)),
                "payment_total_value": str(
                    _amount_sum(seed, "payments#amount", payments, 500, 24501)
                ),
                "serial_number": token36_of(serials[n], 6),
                "status": "Submitted With Errors"
                if (errors[n] >> 11) / _UNIT < 0.03
                else "Submitted",
                "sun_name": sun_name,
                "sun_number": sun,
            }
        )
    return out
