"""The shape of the generated history: how many records of each resource, when each was
created, and which records reference which (all pure functions of seed and index)."""

from __future__ import annotations

from dataclasses import dataclass, field

from connectors.emulator_kit.lazy import MappedTimeline, Timeline, record_rng
from connectors.smarterpay.emulator.timefmt import DAY, next_file_time

HISTORY_DAYS = 730
FUTURE_DAYS = 3650  # submissions keep coming as the clock moves on


@dataclass(frozen=True)
class Dataset:
    seed: int
    records: int
    end: int  # "now" when the dataset was created; the history ends here
    ties: int = 0  # --quirks ties=N: records created in groups of N sharing one second
    timelines: dict[str, Timeline] = field(default_factory=dict, compare=False)

    @classmethod
    def build(cls, seed: int, records: int, end: float, ties: int = 0) -> Dataset:
        ds = cls(seed, max(1, records), int(end), ties)
        ds.timelines.update(_timelines(ds))
        return ds

    @property
    def start(self) -> int:
        return self.end - HISTORY_DAYS * DAY

    def count(self, resource: str) -> int:
        return len(self.timelines[resource])

    def created(self, resource: str, i: int) -> int:
        return self.timelines[resource][i]

    # --- references --------------------------------------------------------------------
    def ref(self, resource: str, i: int) -> int:
        """Spawned records (index >= count) point at an existing record instead."""
        n = self.count(resource)
        return i if i < n else i % n

    def mandate_of_payment(self, i: int, created: int) -> int:
        """A mandate created at least 4 days before the payment (AUDDIS lodged by then)."""
        mandates = self.timelines["mandates"]
        hi = max(1, mandates.first_after(created - 4 * DAY))
        return record_rng(self.seed, "payments#mandate", i).randint(0, hi - 1)

    def bank_account_of_credit(self, i: int, created: int) -> int:
        accounts = self.timelines["bankaccounts"]
        hi = max(1, accounts.first_after(created))
        return record_rng(self.seed, "credits#bank", i).randint(0, hi - 1)

    def customer_of(self, resource: str, i: int, created: int) -> int:
        customers = self.timelines["customeraccounts"]
        hi = max(1, customers.first_after(created))
        return record_rng(self.seed, resource + "#customer", i).randint(0, hi - 1)


# Resources whose records share creation seconds under ``ties`` (their own timelines and the
# ones derived from mandates); submission lines already share the file run's second by design.
TIED = frozenset({
    "mandates", "customeraccounts", "bankaccounts", "recurrenceschedules", "payments",
    "credits", "paymentlinks", "cards",
})  # fmt: skip


def _tied(timeline: Timeline, ties: int) -> Timeline:
    """Groups of ``ties`` consecutive records take the first one's second (still sorted)."""
    if ties < 2:
        return timeline
    return MappedTimeline(
        len(timeline),
        lambda i: timeline[i - i % ties],
        lambda indices: timeline.many([i - i % ties for i in indices]),
    )


def _timelines(ds: Dataset) -> dict[str, Timeline]:
    n, seed, start, end = ds.records, ds.seed, ds.start, ds.end
    n_mandates = max(1, n // 4)

    def line(resource: str, lo: float, hi: float, count: int) -> Timeline:
        return _tied(Timeline(seed, resource, lo, hi, count), ds.ties)

    mandates = line("mandates", start - 30 * DAY, end - 600, n_mandates)
    payments = line("payments", start, end, n)
    first_file = next_file_time(start - 30 * DAY)
    n_files = (end - first_file) // DAY + 1 + FUTURE_DAYS
    return {
        "mandates": mandates,
        "customeraccounts": MappedTimeline(
            n_mandates, lambda i: mandates[i] - 300, lambda ix: [c - 300 for c in mandates.many(ix)]
        ),
        "bankaccounts": MappedTimeline(
            n_mandates, lambda i: mandates[i] - 120, lambda ix: [c - 120 for c in mandates.many(ix)]
        ),
        "recurrenceschedules": MappedTimeline(
            max(1, (n_mandates + 1) // 2),
            lambda k: mandates[2 * k] + 60,
            lambda ks: [c + 60 for c in mandates.many([2 * k for k in ks])],
        ),
        "payments": payments,
        "credits": line("credits", start, end, max(1, n // 20)),
        "paymentlinks": line("paymentlinks", start, end, max(1, n // 20)),
        "cards": line("cards", start, end, max(1, n // 50)),
        "submissions": MappedTimeline(n_files, lambda k: first_file + k * DAY),
        "submissionlines": MappedTimeline(
            n,
            lambda i: next_file_time(payments[i]),
            lambda ix: [next_file_time(c) for c in payments.many(ix)],
        ),
        "clientbankaccount": MappedTimeline(3, lambda k: start - 400 * DAY + k * DAY),
        "serviceusernumber": MappedTimeline(2, lambda k: start - 500 * DAY + k * DAY),
    }
