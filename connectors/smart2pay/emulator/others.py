"""Preapprovals, payouts, refunds and methods: their generated records and JSON shapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.emulator_kit.lazy import Timeline, record_rng
from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator.lifecycle import DAY, HOUR, Event, RefundPlan, refund_status
from connectors.smart2pay.emulator.payments import PREAPPROVAL_BASE, PaymentCore
from connectors.smart2pay.emulator.shapes import ShapeOptions
from connectors.smart2pay.emulator.timefmt import fmt

PAYOUT_BASE = 70_000
RECURRING = tuple(m for m in c.METHODS if m.recurring)


@dataclass(frozen=True, slots=True)
class Preapproval:
    id: int
    created: int
    method_id: int
    mpid: str  # MerchantPreapprovalID
    currency: str
    maximum: int | None
    frequency: str | None
    description: str
    events: tuple[Event, ...]


@dataclass(frozen=True, slots=True)
class Payout:
    id: int
    created: int
    mtid: str
    country: str
    currency: str
    amount: int
    description: str | None
    events: tuple[Event, ...]


def preapproval(seed: int, times: Timeline, j: int) -> Preapproval:
    d = record_rng(seed, "preapprovals", j)
    created = times.at(j)
    method = d.choice(RECURRING)
    events = [Event(created, 1)]
    if d.randint(0, 99) < 90:
        opened = created + d.randint(300, HOUR)
        events.append(Event(opened, 2))
        roll = d.randint(0, 99)
        if roll < 30:
            events.append(Event(opened + d.randint(30 * DAY, 300 * DAY), 3 if roll < 20 else 4))
    return Preapproval(
        id=PREAPPROVAL_BASE + j,
        created=created,
        method_id=method.id,
        mpid=f"pre{seed}-{j:06d}",
        currency=d.choice(method.currencies),
        maximum=d.choice((None, 500, 10000, 50000)),
        frequency=d.choice((None, "onetime", "daily", "weekly", "monthly")),
        description=d.choice(("Subscription", "Monthly plan", "Top-up")),
        events=tuple(events),
    )


def payout(seed: int, times: Timeline, j: int) -> Payout:
    d = record_rng(seed, "payouts", j)
    created = times.at(j)
    card = c.METHODS_BY_ID[c.CARD_METHOD_ID]
    settle = created + d.randint(HOUR, 3 * DAY)
    outcome = 2 if d.randint(0, 99) < 90 else 4
    return Payout(
        id=PAYOUT_BASE + j,
        created=created,
        mtid=f"po{seed}-{j:09d}",
        country=d.choice(card.countries),
        currency=d.choice(card.currencies),
        amount=d.randint(100, 500_000),
        description=d.choice((None, "Payout", "Winnings")),
        events=(Event(created, 1), Event(settle, outcome)),
    )


def current(events: tuple[Event, ...], t: float) -> int:
    status = events[0].status
    for e in events:
        if e.at > t:
            break
        status = e.status
    return status


def preapproval_shape(p: Preapproval, t: float, opts: ShapeOptions, full: bool) -> dict[str, Any]:
    status = current(p.events, t)
    return {
        "ID": p.id,
        "Created": fmt(p.created),
        "MethodID": p.method_id,
        "MethodOptionID": 0,
        "SiteID": opts.site_id,
        "MerchantPreapprovalID": p.mpid,
        "RecurringPeriod": 0,
        "PreapprovedMaximumAmount": None if p.maximum is None else str(p.maximum),
        "Currency": p.currency,
        "PreapprovedFrequency": p.frequency,
        "ReturnURL": "http://demo.smart2pay.com/redirect.php",
        "Description": p.description,
        "RedirectURL": (
            f"https://apitest.smart2pay.com/Preapproval?ID={p.id}" if full and status == 1 else None
        ),
        "MandateReference": f"MR{p.id}" if p.method_id == 84 else None,
        "Customer": {"Email": f"customer{p.id}@example.com"} if full else None,
        "BillingAddress": None,
        "Details": None,
        "Status": {"ID": status, "Info": c.PREAPPROVAL_STATUS[status], "Reasons": None},
    }


def payout_shape(p: Payout, t: float, opts: ShapeOptions, full: bool) -> dict[str, Any]:
    status = current(p.events, t)
    return {
        "InvalidRequestID": None,
        "ID": p.id,
        "SiteID": opts.site_id,
        "Created": fmt(p.created),
        "MethodID": c.CARD_METHOD_ID,
        "MerchantTransactionID": p.mtid,
        "OriginatorTransactionID": None,
        "Amount": opts.amount(p.amount),
        "Currency": p.currency,
        "Description": p.description,
        "StatementDescriptor": None,
        "Status": {"ID": status, "Info": c.STATUS_INFO[status], "Reasons": []},
        "Customer": {"Email": f"payee{p.id}@example.com"} if full else None,
        "BillingAddress": {"Country": p.country} if full else None,
        "Details": None,
        "MethodTransactionID": f"PT{p.id}" if status == 2 else None,
    }


def refund_shape(
    core: PaymentCore,
    rid: int,
    r: RefundPlan,
    t: float,
    opts: ShapeOptions,
    full: bool,
    payment_detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    status = refund_status(r, t)
    detail = payment_detail or {}
    return {
        "ID": rid,
        "Created": fmt(r.created),
        "MerchantTransactionID": r.mtid or f"rf{rid}",
        "OriginatorTransactionID": None,
        "InitialPaymentID": core.id,
        "Amount": opts.amount(r.amount),
        "Currency": core.currency,
        "Description": r.description,
        "TypeID": 1,
        "SiteID": opts.site_id,
        "Details": None,
        "Customer": detail.get("Customer") if full else None,
        "BillingAddress": detail.get("BillingAddress") if full else None,
        "BankAddress": None,
        "Articles": None,
        "Status": {"ID": status, "Info": c.STATUS_INFO[status], "Reasons": None},
        "SplitID": 0,
        "StatementDescriptor": None,
        "MethodTransactionID": f"RT{rid}" if status == 2 else None,
    }


def method_shape(m: c.Method, full: bool) -> dict[str, Any]:
    out: dict[str, Any] = {
        "ID": m.id,
        "DisplayName": m.name,
        "Description": f"{m.name} payments",
        "LogoURL": f"https://apitest.smart2pay.com/Images/Methods/{m.id}.png",
        "Guaranteed": m.id != 1053,
        "Active": True,
        "SupportIframe": m.id == c.CARD_METHOD_ID,
        "IframeWidth": 0,
        "IframeHeight": 0,
        "Countries": list(m.countries),
        "Currencies": list(m.currencies),
        "DetailsURL": None,
    }
    if full:
        out.update(ValidatorsPayin=[], ValidatorsRecurrent=[], Options=[])
    return out
