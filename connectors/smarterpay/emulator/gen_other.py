"""Generated recurrence schedules, payment links, file submissions and submission lines."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from connectors.emulator_kit.lazy import first_draw, record_rng, resource_key
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_accounts import SUNS, bank_account_id, customer_id
from connectors.smarterpay.emulator.gen_dd import (
    Event,
    auddis,
    mandate_events,
    mandate_id,
    payment_amount,
    payment_dates,
    payment_id,
    payment_type,
    state_at,
)
from connectors.smarterpay.emulator.ids import make_id
from connectors.smarterpay.emulator.timefmt import DAY, iso_z, spaced

Record = dict[str, Any]
_ENDED = ("cancelled by payer", "cancelled by originator", "expired", "cancelled")


def schedule_events(ds: Dataset, k: int, created: int) -> list[Event]:
    m = ds.ref("mandates", 2 * k)
    events = [Event(created, "recurrence_schedule.create", "active")]
    for event in mandate_events(ds, m, ds.created("mandates", m)):
        if event.status in _ENDED and event.ts >= created:
            events.append(Event(event.ts, "recurrence_schedule.update", "inactive"))
            break
    return events


def _next_collection(start: date, collection_day: int, t: float) -> str:
    today = datetime.fromtimestamp(t, UTC).date()
    d = max(start, today + timedelta(days=1))
    candidate = d.replace(day=collection_day)
    if candidate < d:
        month = d.month % 12 + 1
        candidate = candidate.replace(year=d.year + (d.month == 12), month=month)
    return candidate.isoformat()


def recurrence_schedule(ds: Dataset, k: int, created: int, t: float, detail: bool) -> Record:
    rng = record_rng(ds.seed, "recurrenceschedules", k)
    state = state_at(schedule_events(ds, k, created), t)
    status = state.status if state else "active"
    collection_day = rng.randint(1, 28)
    amount = rng.randint(5, 200) * 100
    start = datetime.fromtimestamp(created + 10 * DAY, UTC).date()
    return {
        "amount": str(amount),
        "auddis": auddis(ds.ref("mandates", 2 * k)),
        "card_id": "",
        "collection_day": str(collection_day),
        "collection_period": "monthly",
        "collection_stretch": "1",
        "created_at": iso_z(created),
        "custom_reference": f"RS-{k:06d}",
        "description": "Monthly plan",
        "end_date": "",
        "firstCollectionInSameMonthAsNextCollection": rng.random() < 0.3,
        "first_collection_amount": str(amount),
        "first_collection_date": start.isoformat(),
        "id": make_id(ds.seed, "RS01", "recurrenceschedules", k),
        "mandate": mandate_id(ds, ds.ref("mandates", 2 * k)),
        "metadata": "",
        "next_collection_date": _next_collection(start, collection_day, t)
        if status == "active"
        else "",
        "payment_type": "directdebit",
        "start_date": start.isoformat(),
        "status": status,
        "type": "DDOngoingPayment",
    }


def link_times(ds: Dataset, i: int, created: int) -> tuple[int | None, int | None, int | None]:
    """(expiry, visited, completed) times; None when it never happens."""
    rng = record_rng(ds.seed, "paymentlinks#life", i)
    expiry = created + 1800 if rng.random() < 0.4 else None
    visited = created + rng.randint(60, 1500) if rng.random() < 0.6 else None
    completed = visited + rng.randint(30, 250) if visited and rng.random() < 0.6 else None
    return expiry, visited, completed


def link_events(ds: Dataset, i: int, created: int) -> list[Event]:
    expiry, visited, completed = link_times(ds, i, created)
    events = [Event(created, "payment_link.create", "active")]
    if visited:
        events.append(Event(visited, "payment_link.update", "active"))
    if completed:
        events.append(Event(completed, "payment_link.update", "completed"))
    elif expiry:
        events.append(Event(expiry, "payment_link.update", "expired"))
    return sorted(events)


def payment_link(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    rng = record_rng(ds.seed, "paymentlinks", i)
    expiry, visited, completed = link_times(ds, i, created)
    state = state_at(link_events(ds, i, created), t)
    customer = ds.customer_of("paymentlinks", i, created)
    with_bank = rng.random() < 0.3
    return {
        "id": make_id(ds.seed, "PL01", "paymentlinks", i),
        "url": "https://smarterpay-test-ecommerce.azurewebsites.net?setup="
        + rng.token(40)
        + "&payment="
        + rng.token(40)
        + "&page=455030324B4F354430473830584D50",
        "amount": str(rng.randint(10, 500) * 25),
        "description": rng.choice(("Payment Plan", "Deposit", "Membership")),
        "bank_account_custom_reference": None,
        "recurrence_schedule_custom_reference": None,
        "card_payment_custom_reference": None,
        "auddis": None,
        "customer_account": customer_id(ds, customer),
        "bank_account": bank_account_id(ds, customer) if with_bank else None,
        "mandate": None,
        "recurrence_schedule": None,
        "ecommerce_page": "EP02KO5D0G80XMPERW4V",
        "status": state.status if state else "active",
        "expiry": spaced(expiry) if expiry else "never",
        "return_url": None,
        "visited_at": spaced(visited) if visited and visited <= t else None,
        "completed_at": spaced(completed) if completed and completed <= t else None,
        "created_at": spaced(created),
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


def submission_id(ds: Dataset, k: int) -> str:
    return make_id(ds.seed, "FS01", "submissions", k)


def submission(ds: Dataset, k: int, created: int, t: float, detail: bool) -> Record:
    """File k holds what was created in the 24 h before it ran."""
    rng = record_rng(ds.seed, "submissions", k)
    tl = ds.timelines
    payments = tl["payments"].index_range(created - DAY, created, inclusive_end=False)
    credits = tl["credits"].index_range(created - DAY, created, inclusive_end=False)
    mandates = tl["mandates"].index_range(created - DAY, created, inclusive_end=False)
    credit_key = resource_key(ds.seed, "credits")  # record_rng(...).randint(100, 50000) of each
    credit_value = sum(100 + first_draw(credit_key, j) % 49901 for j in credits)
    sun, sun_name = SUNS[0]
    return {
        "Id": submission_id(ds, k),
        "created_at": iso_z(created),
        "credit_total_count": str(len(credits)),
        "credit_total_value": str(credit_value),
        "mandate_cancellation_count": "0",
        "mandate_convert_count": "0",
        "mandate_new_instruction_count": str(len(mandates)),
        "payment_total_count": str(len(payments)),
        "payment_total_value": str(sum(payment_amount(ds, j) for j in payments)),
        "serial_number": rng.token(6),
        "status": "Submitted With Errors" if rng.random() < 0.03 else "Submitted",
        "sun_name": sun_name,
        "sun_number": sun,
    }


def submission_line(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    """Line i is payment i's entry in the file that submitted it."""
    paid_created = ds.created("payments", i) if i < ds.count("payments") else created - DAY
    _, collection, _ = payment_dates(paid_created)
    k = (created - ds.timelines["submissions"][0]) // DAY
    return {
        "Id": make_id(ds.seed, "FL01", "submissionlines", i),
        "amount": str(payment_amount(ds, i)),
        "collection_date": iso_z(collection),  # the samples carry a datetime here
        "record_id": payment_id(ds, i),
        "status": "Successful",
        "submission_id": submission_id(ds, k),
        "transaction_code": "01" if payment_type(ds, i) == "first collection" else "17",
        "type": "payment",
    }
