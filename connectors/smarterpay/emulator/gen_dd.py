"""Generated mandates, payments, credits and recurrence schedules, with their Bacs lifecycles.

Each record's events (time, event type, status, Bacs code, description) are fixed at
creation from its random stream; its state at clock t is the last event at or before t.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from connectors.emulator_kit.lazy import first_draw, record_rng, resource_key
from connectors.smarterpay.emulator import validations
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_accounts import (
    SUNS,
    bank_account_id,
    bank_details,
    customer_id,
)
from connectors.smarterpay.emulator.ids import make_id
from connectors.smarterpay.emulator.timefmt import (
    DAY,
    add_banking_days,
    day,
    iso_z,
    next_file_time,
)

Record = dict[str, Any]
# Events long after creation happen only to every n-th record, so a time-window query over
# outbound messages scans a sparse subsequence instead of a year of history.
CLAIM_STRIDE = 64  # payments that can get an indemnity claim
END_STRIDE = 8  # mandates that can be cancelled by the payer or expire


def end_residue(ds: Dataset) -> int:
    """Even, so schedule k (mandate 2k) can be scanned with stride END_STRIDE // 2."""
    return 2 * (resource_key(ds.seed, "mandate-ends") % (END_STRIDE // 2))


class Event(NamedTuple):
    ts: int
    type: str  # e.g. "payment.update"
    status: str
    bacs_code: str = ""
    bacs_description: str = ""


def state_at(events: list[Event], t: float) -> Event | None:
    last = None
    for event in events:
        if event.ts > t:
            break
        last = event
    return last


def mandate_id(ds: Dataset, i: int) -> str:
    return make_id(ds.seed, "M01", "mandates", i)


def auddis(i: int) -> str:
    return f"MA{10100000 + i}"


def mandate_events(ds: Dataset, i: int, created: int) -> list[Event]:
    rng = record_rng(ds.seed, "mandates#life", i)
    events = [Event(created, "mandate.create", "new instruction")]
    processed = next_file_time(created) + 2 * DAY + 7 * 3600
    if rng.random() < 0.03:
        events.append(
            Event(
                processed,
                "mandate.update",
                "cancelled by originator",
                "AUDDIS5",
                "no account (or wrong account type)",
            )
        )
        return events
    events.append(Event(processed, "mandate.update", "first collection"))
    events.append(Event(processed + 33 * DAY, "mandate.update", "ongoing collection"))
    u = rng.random() if i % END_STRIDE == end_residue(ds) else 1.0
    if u < 0.75:
        at = created + rng.randint(40, 600) * DAY + rng.randint(0, DAY - 1)
        events.append(
            Event(
                at,
                "mandate.update",
                "cancelled by payer",
                "ADDACS1",
                "instruction cancelled by payer",
            )
        )
    elif u < 0.95:
        events.append(
            Event(
                created + 400 * DAY,
                "mandate.update",
                "expired",
                "ADDACS",
                "no collection for 13 months",
            )
        )
    return sorted(events)


def mandate(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    rng = record_rng(ds.seed, "mandates", i)
    name, number, sort_code, bank = bank_details(ds, ds.ref("bankaccounts", i))
    state = state_at(mandate_events(ds, i, created), t) or Event(created, "", "new instruction")
    sun, sun_name = SUNS[0]
    # spawned mandates (index past the history) were not set up through account validation
    validated = i < ds.count("mandates") and validations.has_validation(ds, i)
    return {
        "I_am_the_only_account_holder": "true" if rng.random() < 0.8 else "false",
        "Sun_Name": sun_name,
        "Sun_Number": sun,
        "account_name": name,
        "account_number": number,
        "account_validation_id": validations.validation_id(ds, i) if validated else "",
        "account_validation_url": validations.validation_url(ds, i) if validated else "",
        "auddis": auddis(i),
        "bacs_code": state.bacs_code,
        "bacs_description": state.bacs_description,
        "bank_name": bank,
        "client_bank_account_id": "CBA-0000001",
        "created_at": iso_z(created),
        "customer_account": customer_id(ds, ds.ref("customeraccounts", i)),
        "customer_bank_account": bank_account_id(ds, ds.ref("bankaccounts", i)),
        "dd_status": state.status,
        "id": mandate_id(ds, i),
        "metadata": "",
        "originator_account_number": "*****101",
        "originator_sort_code": "****56",
        "sort_code": sort_code,
    }


def payment_amount(ds: Dataset, i: int) -> int:
    """record_rng(seed, "payments#amount", i).randint(500, 25000), from the first draw directly:
    each day's file submission sums the amounts of that day's payments."""
    return 500 + first_draw(resource_key(ds.seed, "payments#amount"), i) % 24501


def can_be_claimed(ds: Dataset, i: int) -> bool:
    return i % CLAIM_STRIDE == resource_key(ds.seed, "claims") % CLAIM_STRIDE


def payment_dates(created: int) -> tuple[int, int, int]:
    """(submitted, collection day midnight, outcome report time)."""
    submitted = next_file_time(created)
    collection = add_banking_days(submitted, 3)
    return submitted, collection, add_banking_days(collection, 2) + 7 * 3600


def payment_events(ds: Dataset, i: int, created: int) -> list[Event]:
    rng = record_rng(ds.seed, "payments#life", i)
    submitted, _, outcome = payment_dates(created)
    events = [
        Event(created, "payment.create", "pending_submission"),
        Event(submitted, "payment.update", "submitted"),
    ]
    if rng.random() < 0.04:
        events.append(Event(outcome, "payment.update", "failed", "ARUDD0", "refer to payer"))
        return events
    events.append(Event(outcome, "payment.update", "successful"))
    if can_be_claimed(ds, i) and rng.random() < 0.6:
        at = outcome + rng.randint(30, 395) * DAY + rng.randint(0, DAY - 1)
        events.append(Event(at, "payment.update", "indemnity_claimed", "DDICA", "indemnity claim"))
    return events


def payment_id(ds: Dataset, i: int) -> str:
    return make_id(ds.seed, "P01", "payments", i)


def payment_type(ds: Dataset, i: int) -> str:
    u = record_rng(ds.seed, "payments#type", i).random()
    return "first collection" if u < 0.15 else "ongoing collection"


def payment(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    m = ds.mandate_of_payment(i, created)
    state = state_at(payment_events(ds, i, created), t)
    claimed = state is not None and state.status == "indemnity_claimed"
    return {
        "amount": str(payment_amount(ds, i)),
        "auddis": auddis(m),
        "collection_date": day(payment_dates(created)[1]),
        "created_at": iso_z(created),
        "custom_reference": f"INV-{i:07d}",
        "default_narrative": "PAYSYNC LTD",
        "description": "Monthly subscription",
        "id": payment_id(ds, i),
        "mandate": mandate_id(ds, m),
        "metadata": "",
        "paying_bank_reference": f"DDIC{i:08d}" if claimed else "",
        "payment_type": payment_type(ds, i),
        "record_type": "direct_debit",
        "related_payment": " ",  # sic: a single space when there is none
        "status": state.status if state else "pending_submission",
        "users_reference": "",
    }


def credit_events(ds: Dataset, i: int, created: int) -> list[Event]:
    rng = record_rng(ds.seed, "credits#life", i)
    submitted = next_file_time(created)
    outcome = add_banking_days(submitted, 4) + 7 * 3600
    failed = rng.random() < 0.03
    return [
        Event(created, "credit.create", "pending_submission"),
        Event(submitted, "credit.update", "submitted"),
        Event(
            outcome,
            "credit.update",
            "failed" if failed else "successful",
            "ARUCS" if failed else "",
            "credit returned" if failed else "",
        ),
    ]


def credit(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    rng = record_rng(ds.seed, "credits", i)
    state = state_at(credit_events(ds, i, created), t)
    sun, sun_name = SUNS[0]
    return {
        "ID": make_id(ds.seed, "CR01", "credits", i),
        "Sun_Name": sun_name,
        "Sun_Number": sun,
        "amount": str(rng.randint(100, 50000)),
        "auddis": "",
        "bank_account": bank_account_id(ds, ds.bank_account_of_credit(i, created)),
        "client_bank_account_id": "CBA-0000002",
        "created_at": iso_z(created),
        "credit_date": day(add_banking_days(next_file_time(created), 3)),
        "default_narrative": "PAYSYNC REFUND",
        "description": rng.choice(("Refund", "Rent payout", "Overpayment refund")),
        "metadata": "",
        "reference": f"CRREF{i:07d}",
        "rti": "",
        "status": state.status if state else "pending_submission",
        "submission_reference": "CR" + rng.token(6),
    }
