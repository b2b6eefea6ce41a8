"""One running SmarterPay emulator: dataset, overlay store, outbound log, idempotency keys,
and the admin hooks (truth, mutate, health)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from itertools import chain
from typing import Any

from connectors.emulator_kit.admin import EmulatorCore
from connectors.emulator_kit.bodycache import DEFAULT_BYTES, BodyCache
from connectors.emulator_kit.clock import EmulatorClock
from connectors.emulator_kit.faults import FaultController, FaultPlan, unit
from connectors.emulator_kit.stats import RequestStats
from connectors.smarterpay.emulator import validations
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_dd import Event
from connectors.smarterpay.emulator.outbound import OUTBOUND_NAME, Outbound, render
from connectors.smarterpay.emulator.resources import RESOURCES, Resource
from connectors.smarterpay.emulator.store import Store

IDEMPOTENCY_TTL = 24 * 3600
# status a mutation moves a record to (the provider's own vocabulary)
MUTATIONS = {
    "payments": ("status", "cancelled", "payment.update"),
    "mandates": ("dd_status", "cancelled by payer", "mandate.update"),
    "credits": ("status", "cancelled", "credit.update"),
    "recurrenceschedules": ("status", "inactive", "recurrence_schedule.update"),
    "paymentlinks": ("status", "expired", "payment_link.update"),
    "bankaccounts": ("enabled", False, "bank_account.update"),
    "customeraccounts": ("custom_reference", "CHANGED", "customer_account.update"),
}


@dataclass(frozen=True)
class Options:
    records: int = 10000
    seed: int = 1
    token: str = "sp_test_token"
    webhook_url: str | None = None
    ties: int = 0  # --quirks ties=N: records created N to a second, tie order unstable
    page_cache_bytes: int = DEFAULT_BYTES  # list bodies kept while the clock is frozen; 0: off


class Emulator:
    name = "smarterpay"

    def __init__(self, options: Options, plan: FaultPlan, clock: EmulatorClock | None = None):
        self.options = options
        self.clock = clock or EmulatorClock()
        self.ds = Dataset.build(options.seed, options.records, self.clock.timestamp(), options.ties)
        self.store = Store(self.ds, self.clock)
        self.outbound = Outbound(self.ds)
        self.pages = BodyCache(options.page_cache_bytes)
        self.idempotency: dict[tuple[str, str], tuple[float, int, bytes]] = {}
        self.core = EmulatorCore(self.clock, FaultController(plan), RequestStats(), self)
        self._mutations = 0

    # --- AdminProvider ------------------------------------------------------------------
    def resources(self) -> Sequence[str]:
        return [*RESOURCES, OUTBOUND_NAME, validations.NAME]

    def health_info(self) -> dict[str, Any]:
        counts = {name: self.ds.count(name) for name in RESOURCES if name != "submissions"}
        return {
            "seed": self.ds.seed,
            "records": self.ds.records,
            "history_end": self.ds.end,
            "generated": counts,
            "page_cache": self.pages.info(),
        }

    def truth(self, resource: str, since: float | None = None) -> Iterator[dict[str, Any]]:
        t = self.clock.timestamp()
        if since is not None and resource not in RESOURCES:
            raise ValueError(f"not offered for {resource}")
        if resource == OUTBOUND_NAME:
            return (render(self.ds, m) for m in self.outbound.stream(None, None, t))
        if resource == validations.NAME:
            mandates = self.store.window(RESOURCES["mandates"], None, None, t)[0]
            return (
                self.validation(i, t) for i in mandates if validations.has_validation(self.ds, i)
            )
        res = RESOURCES[resource]
        generated, spawned = self.store.window(res, since, None, t)
        items: Iterator[int | str] = chain(generated, spawned)
        return (self.store.render_item(res, item, t, True) for item in items)

    def mutate(self, resource: str, count: int) -> list[str]:
        if resource not in MUTATIONS:
            return []
        res = RESOURCES[resource]
        t = self.clock.timestamp()
        generated, spawned = self.store.window(res, None, None, t)
        total = len(generated) + len(spawned)
        ids: list[str] = []
        for _ in range(min(count, total)):
            self._mutations += 1
            pos = int(unit(self.ds.seed, "mutate", resource, self._mutations) * total)
            item = generated[pos] if pos < len(generated) else spawned[pos - len(generated)]
            ids.append(self.change(res, item, *MUTATIONS[resource][:2], MUTATIONS[resource][2]))
        return ids

    def validation(self, i: int, t: float) -> dict[str, Any]:
        """The account validation of mandate ``i`` (``GET accountvalidation/{ID}``)."""
        mandate = self.store.render_item(RESOURCES["mandates"], i, t, True)
        return validations.render(self.ds, i, mandate)

    # --- changes shared by admin, API writes and paging faults --------------------------
    def change(self, res: Resource, item: int | str, key: str, value: Any, event_type: str) -> str:
        t = self.clock.timestamp()
        rid = self.store.change(res, item, {key: value})
        created = self.store.created_of(res, item)
        status = value if isinstance(value, str) else str(value).lower()
        self.outbound.add(int(t), res, rid, created, Event(int(t), event_type, status))
        return rid

    def spawn(self, res: Resource, created: float, overrides: dict[str, Any] | None = None) -> str:
        rid = self.store.spawn(res, int(created), overrides)
        entry = self.store.overlays[res.name].get(rid)
        self.outbound.add_spawned(res, rid, entry.index, entry.created)
        return rid

    # --- idempotency --------------------------------------------------------------------
    def replay(self, key: str, endpoint: str) -> tuple[int, bytes] | None:
        hit = self.idempotency.get((key, endpoint))
        if hit is None:
            return None
        if self.clock.timestamp() - hit[0] >= IDEMPOTENCY_TTL:
            del self.idempotency[(key, endpoint)]
            return None
        return hit[1], hit[2]

    def remember(self, key: str, endpoint: str, status: int, body: bytes) -> None:
        now = self.clock.timestamp()
        if len(self.idempotency) > 10000:  # expired keys go first; memory stays bounded
            for k in [k for k, v in self.idempotency.items() if now - v[0] >= IDEMPOTENCY_TTL]:
                del self.idempotency[k]
        self.idempotency[(key, endpoint)] = (now, status, body)
