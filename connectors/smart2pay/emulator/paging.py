"""Select one page of a lazy resource: window → index range, then order, filter and slice.

Without per-record filters a page costs O(page) (positions map straight to indices); with
filters the window is scanned, stopping early unless a total is wanted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from connectors.smart2pay.emulator.query import ListQuery

R = TypeVar("R")


@dataclass(frozen=True)
class Fields:
    """What the documented filters compare, extracted from a record at the current clock."""

    method_id: int | None
    country: str | None
    currency: str
    amount: int
    status_id: int
    type_id: int
    created: int
    mtid: str


@dataclass(frozen=True)
class Candidates(Generic[R]):
    gen: range  # generated indices inside the window (and created by now)
    gen_id: Callable[[int], int]
    load_gen: Callable[[int], R | None]
    extra_ids: list[int]  # API-created ids in the window, ascending
    load: Callable[[int], R | None]
    fields: Callable[[R], Fields]


@dataclass(frozen=True)
class Page(Generic[R]):
    items: list[R]
    total: int | None


def select(cands: Candidates[R], q: ListQuery, exact: list[R] | None = None) -> Page[R]:
    """`exact`: the records a unique-key filter (merchantTransactionID…) already found."""
    if exact is not None:
        matches = [r for r in exact if _match(cands.fields(r), q)]
        return Page(matches[q.skip : q.skip + q.size], len(matches))
    if q.sort_by not in ("id", "inputdatetime") or (
        q.sort_by == "inputdatetime" and cands.extra_ids
    ):
        return _sorted(cands, q)
    if not q.filtered:
        return _direct(cands, q)
    items: list[R] = []
    total = 0
    for record in _ordered(cands, q.descending):
        if not _match(cands.fields(record), q):
            continue
        if q.skip <= total < q.skip + q.size:
            items.append(record)
        total += 1
        if total >= q.skip + q.size and not q.paged:
            return Page(items, None)
    return Page(items, total)


def _direct(cands: Candidates[R], q: ListQuery) -> Page[R]:
    n_gen, extra = len(cands.gen), cands.extra_ids
    total = n_gen + len(extra)
    items: list[R] = []
    for pos in range(q.skip, min(total, q.skip + q.size)):
        if q.descending:
            k = pos - len(extra)
            record = cands.load(extra[-1 - pos]) if k < 0 else cands.load_gen(cands.gen[-1 - k])
        else:
            k = pos - n_gen
            record = cands.load_gen(cands.gen[pos]) if k < 0 else cands.load(extra[k])
        if record is not None:
            items.append(record)
    return Page(items, total)


def _ordered(cands: Candidates[R], descending: bool) -> Iterator[R]:
    if descending:
        yield from _load(reversed(cands.extra_ids), cands.load)
        yield from _load(reversed(cands.gen), cands.load_gen)
    else:
        yield from _load(cands.gen, cands.load_gen)
        yield from _load(cands.extra_ids, cands.load)


def _load(keys: Iterable[int], load: Callable[[int], R | None]) -> Iterator[R]:
    for key in keys:
        record = load(key)
        if record is not None:
            yield record


def _sorted(cands: Candidates[R], q: ListQuery) -> Page[R]:
    """sortBy amount / merchanttransactionid: needs the whole matching window in memory
    (keys only), so it is the one expensive query; connectors page by id."""
    keyed: list[tuple[Any, int, R]] = []
    for record in _ordered(cands, descending=False):
        f = cands.fields(record)
        if _match(f, q):
            key = {"amount": f.amount, "merchanttransactionid": f.mtid}.get(q.sort_by, f.created)
            keyed.append((key, len(keyed), record))
    keyed.sort(key=lambda k: (k[0], k[1]), reverse=q.descending)
    return Page([r for _, _, r in keyed[q.skip : q.skip + q.size]], len(keyed))


def _match(f: Fields, q: ListQuery) -> bool:
    return (
        (q.method_id is None or f.method_id == q.method_id)
        and (q.country is None or f.country == q.country)
        and (q.currency is None or f.currency == q.currency)
        and (q.min_amount is None or f.amount >= q.min_amount)
        and (q.max_amount is None or f.amount <= q.max_amount)
        and (q.status_id is None or f.status_id == q.status_id)
        and (q.type_id is None or f.type_id == q.type_id)
        and (q.mtid is None or f.mtid == q.mtid)
        and (q.start is None or f.created >= q.start)
        and (q.end is None or f.created <= q.end)
    )
