"""The emulator's data: histories, API changes, and the admin hooks (truth, mutate, health)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.lazy import Overlay, Timeline, record_rng
from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator import others, shapes
from connectors.smart2pay.emulator.details import generated_details
from connectors.smart2pay.emulator.lifecycle import PAID, Event
from connectors.smart2pay.emulator.paging import Candidates, Fields
from connectors.smart2pay.emulator.payments import GENERATED, PaymentHistory, generate
from connectors.smart2pay.emulator.state import PaymentNow, PaymentStore, refund_id

SPAN = 365 * 86400  # seconds of generated history before the emulator's start
RESOURCES = ("payments", "refunds", "preapprovals", "payouts", "methods")


@dataclass(frozen=True)
class Settings:
    seed: int = 1
    records: int = 10_000
    site_id: int = 30201
    api_key: str = "test-api-key"
    string_amounts: bool = False
    webhook_url: str | None = None
    # chance a delivered notification is sent once more (at-least-once delivery, as documented)
    notify_duplicates: float = 0.03


class Smart2PayData:
    name = "smart2pay"

    def __init__(self, settings: Settings, clock: EmulatorClock) -> None:
        self.settings, self.clock = settings, clock
        seed, n = settings.seed, settings.records
        end = int(clock.timestamp())
        self.anchor = end
        pre = Timeline(
            seed, "preapprovals", end - SPAN - 30 * 86400, end, min(400, max(5, n // 25))
        )
        self.history = PaymentHistory(seed, Timeline(seed, "payments", end - SPAN, end, n), pre)
        self.payout_times = Timeline(seed, "payouts", end - SPAN, end, max(5, n // 20))
        self.store = PaymentStore(self.history)
        self.created_preapprovals = Overlay()
        self.created_payouts = Overlay()
        self.opts = shapes.ShapeOptions(settings.site_id, seed, settings.string_amounts)
        self._mutations = 0

    def now(self) -> float:
        return self.clock.timestamp()

    # --- payments -----------------------------------------------------------------------
    def payment(self, payment_id: int, t: float) -> PaymentNow | None:
        core = self.store.core(payment_id)
        return None if core is None else self.store.at(core, t)

    def payment_json(self, now: PaymentNow, view: str = "detail") -> dict[str, Any]:
        return shapes.payment(now, self.store, self.opts, view)

    def payment_candidates(
        self, start: int | None, end: int | None, t: float
    ) -> Candidates[PaymentNow]:
        end_t = int(t) if end is None else min(end, int(t))
        gen = self.history.times.index_range(start, end_t)
        return Candidates(
            gen=gen,
            gen_id=lambda i: self.history.core(i).id,
            load_gen=lambda i: self.store.at(self.history.core(i), t),
            extra_ids=sorted(self.store.created_ids(start, end_t)),
            load=lambda pid: self.payment(pid, t),
            fields=payment_fields,
        )

    def details(self, now: PaymentNow) -> dict[str, Any]:
        return self.store.request_details(now.core) or generated_details(
            self.settings.seed, now.core
        )

    # --- payouts and preapprovals ---------------------------------------------------------
    def payout(self, payout_id: int) -> others.Payout | None:
        j = payout_id - others.PAYOUT_BASE
        if 0 <= j < len(self.payout_times):
            return others.payout(self.settings.seed, self.payout_times, j)
        entry = self.created_payouts.get(str(payout_id))
        return None if entry is None else entry

    def payout_candidates(
        self, start: int | None, end: int | None, t: float
    ) -> Candidates[tuple[others.Payout, float]]:
        end_t = int(t) if end is None else min(end, int(t))
        seed = self.settings.seed

        def load(pid: int) -> tuple[others.Payout, float] | None:
            p = self.payout(pid)
            return None if p is None or p.created > t else (p, t)

        return Candidates(
            gen=self.payout_times.index_range(start, end_t),
            gen_id=lambda j: others.PAYOUT_BASE + j,
            load_gen=lambda j: (others.payout(seed, self.payout_times, j), t),
            extra_ids=sorted(int(x) for x in self.created_payouts.created_between(start, end_t)),
            load=load,
            fields=payout_fields,
        )

    def preapproval(self, pre_id: int) -> others.Preapproval | None:
        j = pre_id - others.PREAPPROVAL_BASE
        if 0 <= j < len(self.history.preapprovals):
            return others.preapproval(self.settings.seed, self.history.preapprovals, j)
        return self.created_preapprovals.get(str(pre_id))

    def preapproval_ids(self, t: float) -> list[int]:
        """All preapprovals created by t, ascending (a few hundred at most)."""
        rng = self.history.preapprovals.index_range(None, int(t))
        created = self.created_preapprovals.created_between(None, int(t))
        return [others.PREAPPROVAL_BASE + j for j in rng] + sorted(int(x) for x in created)

    # --- admin hooks --------------------------------------------------------------------
    def resources(self) -> tuple[str, ...]:
        return RESOURCES

    def health_info(self) -> dict[str, Any]:
        return {
            "records": self.settings.records,
            "seed": self.settings.seed,
            "site_id": self.settings.site_id,
            "created": len(self.store.created),
        }

    def truth(self, resource: str, since: float | None = None) -> Iterator[bytes]:
        if since is not None:
            raise ValueError("not offered by this emulator")
        return self._truth(resource)

    def _truth(self, resource: str) -> Iterator[bytes]:
        t = self.now()
        if resource == "methods":
            yield from (orjson.dumps(others.method_shape(m, True)) for m in c.METHODS)
            return
        if resource == "preapprovals":
            for pid in self.preapproval_ids(t):
                p = self.preapproval(pid)
                assert p is not None
                yield orjson.dumps(others.preapproval_shape(p, t, self.opts, True))
            return
        if resource == "payouts":
            cands = self.payout_candidates(None, None, t)
            for j in cands.gen:
                loaded = cands.load_gen(j)
                assert loaded is not None  # a generated payout always loads
                yield orjson.dumps(others.payout_shape(loaded[0], t, self.opts, True))
            for pid in cands.extra_ids:
                payout = self.payout(pid)
                assert payout is not None
                yield orjson.dumps(others.payout_shape(payout, t, self.opts, True))
            return
        yield from self._payment_truth(resource, t)

    def _payment_truth(self, resource: str, t: float) -> Iterator[bytes]:
        cands = self.payment_candidates(None, None, t)
        for now in _all(cands):
            if resource == "payments":
                yield orjson.dumps(self.payment_json(now))
                continue
            detail = self.details(now) if now.refunds else None
            for r in now.refunds:
                rid = refund_id(now.core, r)
                yield orjson.dumps(
                    others.refund_shape(now.core, rid, r, t, self.opts, True, detail)
                )

    def mutate(self, resource: str, count: int) -> list[str]:
        if resource != "payments":
            return []
        t = self.now()
        changed: list[str] = []
        for _ in range(count * 20):
            if len(changed) >= count:
                break
            self._mutations += 1
            pick = record_rng(self.settings.seed, "mutate", self._mutations)
            pid = self.change_payment(pick.randint(0, max(0, self.history.count - 1)), t)
            if pid is not None:
                changed.append(str(pid))
        return changed

    def change_payment(self, i: int, t: float) -> int | None:
        """Move payment i on now (the change a sync must notice); None when it cannot move."""
        if not 0 <= i < self.history.count:
            return None
        now = self.store.at(self.history.core(i), t)
        if now is None:
            return None
        nxt = {c.OPEN: c.CANCELLED, c.AUTHORIZED: c.CANCELLED, c.DISPUTED: c.CHARGEDBACK}.get(
            now.status, c.DISPUTED if now.status in PAID else None
        )
        if nxt is None:
            return None
        self.store.add_event(now.core.id, Event(int(t), nxt, now.captured))
        return now.core.id

    def insert_payment(self, created: int) -> PaymentNow:
        """A new generated-looking payment (insert-while-paging and late-arrival faults)."""
        pid = self.store.new_id()
        core = generate(
            self.settings.seed,
            (GENERATED + "+inserted", pid),
            pid,
            created,
            f"s2p{self.settings.seed}-new-{pid}",
            None,
        )
        self.store.add_payment(core, None)
        now = self.store.at(core, max(created, self.now()))
        assert now is not None
        return now


def _all(cands: Candidates[PaymentNow]) -> Iterator[PaymentNow]:
    for i in cands.gen:
        now = cands.load_gen(i)
        if now is not None:
            yield now
    for pid in cands.extra_ids:
        now = cands.load(pid)
        if now is not None:
            yield now


def payment_fields(now: PaymentNow) -> Fields:
    core = now.core
    return Fields(
        core.method_id,
        core.country,
        core.currency,
        core.amount,
        now.status,
        core.type_id,
        core.created,
        core.mtid,
    )


def payout_fields(item: tuple[others.Payout, float]) -> Fields:
    p, t = item
    return Fields(
        c.CARD_METHOD_ID,
        p.country,
        p.currency,
        p.amount,
        others.current(p.events, t),
        1,
        p.created,
        p.mtid,
    )
