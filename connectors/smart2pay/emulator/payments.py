"""The generated payment history: record i is a pure function of (seed, records, i)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from connectors.emulator_kit.lazy import Stream, Timeline, record_rng
from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator.lifecycle import Lifecycle, plan

T = TypeVar("T")
PAYMENT_BASE = 2_400_000
PREAPPROVAL_BASE = 5_000
GENERATED, CREATED = "payments", "payments+created"


@dataclass(frozen=True, slots=True)
class PaymentCore:
    """What lists show and filters read; the heavier detail fields live in details.py."""

    id: int
    rng_key: tuple[str, int]  # (resource, index) of the record's random streams
    created: int
    mtid: str
    method_id: int | None
    currency: str
    country: str
    amount: int
    type_id: int  # 1 payment, 2 recurring
    preapproval_id: int | None
    capture: bool | None
    token_lifetime: int | None
    description: str | None
    skin_id: int | None
    method_option_id: int | None
    life: Lifecycle

    @property
    def card(self) -> bool:
        return self.method_id == c.CARD_METHOD_ID


CORE_CACHE = 2048  # recent cores kept (~2 KB each): ~4 MB at most


@dataclass(frozen=True)
class PaymentHistory:
    seed: int
    times: Timeline
    preapprovals: Timeline
    # A first load asks for payment i three or four times in a row (its list page's id, the
    # page's record, its detail, its refunds): the core, a pure function of (seed, i) and
    # immutable, is generated once. Oldest out first, so memory stays bounded.
    _cores: dict[int, PaymentCore] = field(default_factory=dict, compare=False, repr=False)

    @property
    def count(self) -> int:
        return len(self.times)

    def core(self, i: int) -> PaymentCore:
        cores = self._cores
        hit = cores.get(i)
        if hit is not None:
            return hit
        core = generate(
            self.seed,
            (GENERATED, i),
            PAYMENT_BASE + i,
            self.times.at(i),
            self.mtid(i),
            self._preapproval_for(i),
        )
        if len(cores) >= CORE_CACHE:
            del cores[next(iter(cores))]
        cores[i] = core
        return core

    def mtid(self, i: int) -> str:
        return f"s2p{self.seed}-{i:09d}"

    def index_of_mtid(self, mtid: str) -> int | None:
        prefix = f"s2p{self.seed}-"
        digits = mtid[len(prefix) :]
        if not mtid.startswith(prefix) or not digits.isdigit():
            return None
        i = int(digits)
        return i if i < self.count and self.mtid(i) == mtid else None

    def index_of_id(self, payment_id: int) -> int | None:
        i = payment_id - PAYMENT_BASE
        return i if 0 <= i < self.count else None

    def _preapproval_for(self, i: int) -> int | None:
        """Recurring payments use preapproval i % P if it existed by then: reverse lookups
        (payments of a preapproval) then visit only every P-th payment."""
        p = len(self.preapprovals)
        if not p or record_rng(self.seed, "payments#type", i).randint(0, 99) >= 10:
            return None
        j = i % p
        return j if self.preapprovals.at(j) + 3600 < self.times.at(i) else None

    def payments_of_preapproval(self, j: int) -> range:
        """Candidate indices for preapproval index j (check `preapproval_id` on each)."""
        return range(j, self.count, len(self.preapprovals) or 1)


def weighted(d: Stream, items: Sequence[T], weights: Sequence[int]) -> T:
    r = d.randint(0, sum(weights) - 1)
    for item, w in zip(items, weights, strict=True):
        if r < w:
            return item
        r -= w
    return items[-1]


def generate(
    seed: int,
    rng_key: tuple[str, int],
    payment_id: int,
    created: int,
    mtid: str,
    preapproval: int | None,
    method_id: int | None = None,
    given: tuple[int, str] | None = None,
) -> PaymentCore:
    """`given`: (amount, currency) from a create request instead of drawn ones."""
    d = record_rng(seed, *rng_key)
    if preapproval is not None:
        method = c.METHODS_BY_ID[d.choice((6, 84, 94))]
    elif method_id in c.METHODS_BY_ID:
        method = c.METHODS_BY_ID[method_id]
    else:
        method = weighted(d, c.METHODS, c.METHOD_WEIGHTS)
    currency, country = d.choice(method.currencies), d.choice(method.countries)
    amount = d.randint(1, 2000) * (100 if d.randint(0, 3) else 1)
    if given is not None:
        amount, currency = given
    card = method.id == c.CARD_METHOD_ID
    capture = d.randint(0, 99) < 75 if card else None
    life_rng = record_rng(seed, rng_key[0] + "#life", rng_key[1])
    life = plan(life_rng, created, amount, card, capture, method.authorizes)
    return PaymentCore(
        id=payment_id,
        rng_key=rng_key,
        created=created,
        mtid=mtid,
        method_id=method.id,
        currency=currency,
        country=country,
        amount=amount,
        type_id=2 if preapproval is not None else 1,
        preapproval_id=None if preapproval is None else preapproval + PREAPPROVAL_BASE,
        capture=capture,
        token_lifetime=None if card else d.choice((1, 10, 15, 60)),
        description=d.choice((None, "", "test smart2pay", "payment product", "Order")),
        skin_id=d.choice((None, 11)),
        method_option_id=37 if method.id == 2 else None,
        life=life,
    )
