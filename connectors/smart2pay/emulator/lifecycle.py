"""Payment and refund lifecycles as event lists: the state at clock t is a pure function.

Offsets come from the record's own draws, so a test can recompute the truth for any t.
Flows (docs/providers/smart2pay.md, "Status and status IDs" and "Capture / cancel"):
Open → Success / Failed / Cancelled / Expired; Authorized → Captured / PartiallyCaptured /
Cancelled; later refunds (PartiallyRefunded / Refunded) or a chargeback (Disputed →
Chargedback / DisputeWon).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from connectors.emulator_kit.lazy import Stream
from connectors.smart2pay.emulator import codes as c

HOUR, DAY = 3600, 86400
# Final-ish statuses a refund or chargeback can follow.
PAID = frozenset({c.SUCCESS, c.CAPTURED, c.PARTIALLY_CAPTURED})


@dataclass(frozen=True, slots=True)
class Event:
    at: int
    status: int
    captured: int | None = None  # CapturedAmount from this event on (cards)


@dataclass(frozen=True, slots=True)
class RefundPlan:
    index: int  # position within the payment's refunds
    created: int
    amount: int
    settled_at: int
    success: bool
    description: str | None = None
    mtid: str | None = None  # None: generated from the refund id
    id: int | None = None  # None: derived from the payment id (generated refunds)


@dataclass(frozen=True, slots=True)
class Lifecycle:
    events: tuple[Event, ...]  # without refund effects: those depend on API refunds too
    visited_at: int | None  # customer opened RedirectURL; cancel of Open is refused after
    refunds: tuple[RefundPlan, ...] = ()


def plan(
    d: Stream, created: int, amount: int, card: bool, capture: bool | None, authorizes: bool
) -> Lifecycle:
    """The generated lifecycle of one payment; `capture` is the card's Capture flag."""
    if card:
        events = _card_events(d, created, amount, capture)
        visited = None
    else:
        visited = created + d.randint(30, 900)
        events = _redirect_events(d, created, visited, amount, authorizes)
    last = events[-1]
    if last.status not in PAID:
        return Lifecycle(events, visited)
    paid = last.captured if last.captured is not None else amount
    if d.randint(0, 999) < 12:
        return Lifecycle(events + _chargeback(d, last.at), visited)
    return Lifecycle(events, visited, _refunds(d, last.at, paid))


def _card_events(d: Stream, created: int, amount: int, capture: bool | None) -> tuple[Event, ...]:
    if capture:
        if d.randint(0, 99) < 12:
            return (Event(created, c.FAILED, 0),)
        return (Event(created, c.CAPTURED, amount),)
    auth = Event(created, c.AUTHORIZED, 0)
    return (auth, *_after_authorized(d, created, amount, card=True))


def _redirect_events(
    d: Stream, created: int, visited: int, amount: int, authorizes: bool
) -> tuple[Event, ...]:
    opened = Event(created, c.OPEN)
    done = visited + d.randint(60, 2 * HOUR)
    roll = d.randint(0, 99)
    if roll < 10:
        return (opened, Event(done, c.FAILED))
    if roll < 16:
        return (opened, Event(done, c.CANCELLED))
    if roll < 28:
        return (opened, Event(created + 6 * HOUR, c.EXPIRED))
    if not authorizes:
        return (opened, Event(done, c.SUCCESS))
    return (opened, Event(done, c.AUTHORIZED), *_after_authorized(d, done, amount, card=False))


def _after_authorized(d: Stream, since: int, amount: int, card: bool) -> tuple[Event, ...]:
    at = since + d.randint(HOUR, 5 * DAY)
    roll = d.randint(0, 99)
    if roll < 70:
        return (Event(at, c.CAPTURED if card else c.SUCCESS, amount),)
    if roll < 80:
        partial = max(1, amount * d.randint(30, 95) // 100)
        return (Event(at, c.PARTIALLY_CAPTURED, partial),)
    if roll < 95:
        return (Event(at, c.CANCELLED, 0),)
    return ()  # left Authorized: the merchant never acted


def _chargeback(d: Stream, paid_at: int) -> tuple[Event, ...]:
    disputed = paid_at + d.randint(10 * DAY, 60 * DAY)
    resolved = disputed + d.randint(10 * DAY, 40 * DAY)
    outcome = c.CHARGEDBACK if d.randint(0, 99) < 60 else c.DISPUTE_WON
    return (Event(disputed, c.DISPUTED), Event(resolved, outcome))


def _refunds(d: Stream, paid_at: int, paid: int) -> tuple[RefundPlan, ...]:
    if d.randint(0, 99) >= 8:
        return ()
    count = 1 + d.randint(0, 1)
    out: list[RefundPlan] = []
    left, at = paid, paid_at
    for k in range(count):
        at += d.randint(DAY, 30 * DAY)
        amount = left if d.randint(0, 99) < 40 else max(1, left * d.randint(10, 60) // 100)
        success = d.randint(0, 99) < 92
        out.append(RefundPlan(k, at, amount, at + d.randint(HOUR, 2 * DAY), success))
        left -= amount if success else 0
        if left <= 0:
            break
    return tuple(out)


def refund_events(refunds: Iterable[RefundPlan], paid: int) -> tuple[Event, ...]:
    """The payment's status follows its successful refunds (INFERRED: SDK status 21/22)."""
    events: list[Event] = []
    refunded = 0
    for r in sorted(refunds, key=lambda r: r.settled_at):
        if r.success:
            refunded += r.amount
            status = c.REFUNDED if refunded >= paid else c.PARTIALLY_REFUNDED
            events.append(Event(r.settled_at, status))
    return tuple(events)


def state_at(events: tuple[Event, ...], t: float) -> Event | None:
    """The latest event at or before t; None before creation."""
    current = None
    for e in events:
        if e.at > t:
            break
        current = e
    return current


def last_notified(events: tuple[Event, ...], t: float) -> int | None:
    """NotificationDateTime: the latest change after creation (creation itself is silent)."""
    stamp = None
    for e in events[1:]:
        if e.at > t:
            break
        stamp = e.at
    return stamp


def refund_status(r: RefundPlan, t: float) -> int:
    if t < r.settled_at:
        return c.OPEN
    return c.SUCCESS if r.success else c.FAILED
