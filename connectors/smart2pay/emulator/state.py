"""What the provider holds now: the lazy history plus everything changed through the API.

Only API-created records, manual status changes and API refunds take memory; the generated
history is recomputed on demand.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.emulator_kit.lazy import Overlay
from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator.lifecycle import (
    PAID,
    Event,
    RefundPlan,
    last_notified,
    refund_events,
    state_at,
)
from connectors.smart2pay.emulator.payments import PAYMENT_BASE, PaymentCore, PaymentHistory

REFUND_BASE = 16_000
API_REFUND_BASE = 900_000_000  # far above generated refund ids (two per payment)


@dataclass(frozen=True, slots=True)
class PaymentNow:
    """A payment as the provider shows it at one instant."""

    core: PaymentCore
    status: int
    captured: int | None
    notified_at: int | None
    refunds: tuple[RefundPlan, ...]


def refund_id(core: PaymentCore, plan: RefundPlan) -> int:
    if plan.id is not None:
        return plan.id
    return REFUND_BASE + 2 * (core.id - PAYMENT_BASE) + plan.index


class PaymentStore:
    def __init__(self, history: PaymentHistory) -> None:
        self.history = history
        self.created = Overlay()  # str(id) -> (PaymentCore, request detail fields)
        self._manual: dict[int, list[Event]] = {}
        self._api_refunds: dict[int, list[RefundPlan]] = {}
        self._mtids: dict[str, int] = {}
        self._next_id = PAYMENT_BASE + history.count
        self._next_refund = API_REFUND_BASE
        self._next_invalid = 3000

    # --- lookups ------------------------------------------------------------------------
    def core(self, payment_id: int) -> PaymentCore | None:
        i = self.history.index_of_id(payment_id)
        if i is not None:
            return self.history.core(i)
        entry = self.created.get(str(payment_id))
        return None if entry is None else entry[0]

    def by_mtid(self, mtid: str) -> PaymentCore | None:
        i = self.history.index_of_mtid(mtid)
        if i is not None:
            return self.history.core(i)
        pid = self._mtids.get(mtid)
        return None if pid is None else self.core(pid)

    def request_details(self, core: PaymentCore) -> dict[str, Any] | None:
        entry = self.created.get(str(core.id))
        return None if entry is None else entry[1]

    def changed(self, payment_id: int) -> bool:
        return payment_id in self._manual or payment_id in self._api_refunds

    # --- the state at t -------------------------------------------------------------------
    def refunds(self, core: PaymentCore) -> tuple[RefundPlan, ...]:
        manual = self._manual.get(core.id)
        generated = core.life.refunds
        if manual:
            generated = tuple(r for r in generated if r.created < manual[0].at)
        return generated + tuple(self._api_refunds.get(core.id, ()))

    def events(self, core: PaymentCore) -> tuple[Event, ...]:
        base = core.life.events
        manual = self._manual.get(core.id)
        if manual:
            base = tuple(e for e in base if e.at <= manual[0].at) + tuple(manual)
        paid_event = next((e for e in reversed(base) if e.status in PAID), None)
        if paid_event is None:
            return base
        paid = paid_event.captured if paid_event.captured is not None else core.amount
        extra = refund_events(self.refunds(core), paid)
        return tuple(sorted(base + extra, key=lambda e: e.at)) if extra else base

    def at(self, core: PaymentCore, t: float) -> PaymentNow | None:
        if core.created > t:
            return None
        events = self.events(core)
        event = state_at(events, t) or events[0]
        captured = None
        for e in events:
            if e.at > t:
                break
            if e.captured is not None:
                captured = e.captured
        visible = tuple(r for r in self.refunds(core) if r.created <= t)
        return PaymentNow(core, event.status, captured, last_notified(events, t), visible)

    # --- changes --------------------------------------------------------------------------
    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id - 1

    def new_invalid_id(self) -> int:
        """Refused card requests are stored as "invalid requests" with their own ids."""
        self._next_invalid += 1
        return self._next_invalid

    def add_payment(self, core: PaymentCore, details: dict[str, Any] | None) -> None:
        self.created.put_created(str(core.id), core.created, (core, details))
        self._mtids[core.mtid] = core.id

    def add_event(self, payment_id: int, event: Event) -> None:
        self._manual.setdefault(payment_id, []).append(event)

    def add_refund(self, core: PaymentCore, plan: RefundPlan) -> RefundPlan:
        self._next_refund += 1
        stored = RefundPlan(
            len(self.refunds(core)),
            plan.created,
            plan.amount,
            plan.settled_at,
            plan.success,
            plan.description,
            plan.mtid,
            self._next_refund,
        )
        self._api_refunds.setdefault(core.id, []).append(stored)
        return stored

    def created_ids(self, start: float | None, end: float | None) -> list[int]:
        return [int(x) for x in self.created.created_between(start, end)]


def cancellable(now: PaymentNow, t: float) -> bool:
    """Authorized, or Open before the customer opened RedirectURL (SEED-S2P cancel rules)."""
    if now.status == c.AUTHORIZED:
        return True
    visited = now.core.life.visited_at
    return now.status == c.OPEN and (visited is None or t < visited)
