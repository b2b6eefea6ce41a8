"""List requests: the documented paging grammar, filters and sorts, served lazily.

Default sort (created_at) with no filters pages by index arithmetic: O(limit) per page, whatever
the history size. Filters or other sorts scan the window keeping only page_no*limit records.
"""

from __future__ import annotations

import bisect
import heapq
import itertools
import random
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from connectors.smarterpay.emulator.dataset import TIED
from connectors.smarterpay.emulator.errors import ApiError
from connectors.smarterpay.emulator.resources import CONTAINS, EXACT, Resource
from connectors.smarterpay.emulator.store import Item, Record, Store
from connectors.smarterpay.emulator.timefmt import parse_filter_time

DEFAULT_LIMIT, MIN_LIMIT, MAX_LIMIT = 40, 1, 500


@dataclass(frozen=True)
class ListQuery:
    limit: int
    page_no: int
    sort_field: str
    desc: bool
    created_from: float | None
    created_to: float | None
    filters: tuple[tuple[str, str, str], ...]  # (record key, mode, value)
    raw: Mapping[str, str]

    @property
    def offset(self) -> int:
        return (self.page_no - 1) * self.limit


def _int(params: Mapping[str, str], name: str, default: int) -> int:
    text = params.get(name)
    if text is None or text == "":
        return default
    try:
        return int(text)
    except ValueError:
        raise ApiError(400, f"{name} must be a whole number, got {text!r}") from None


def parse_query(res: Resource, params: Mapping[str, str]) -> ListQuery:
    limit = _int(params, "limit", DEFAULT_LIMIT)
    if not MIN_LIMIT <= limit <= MAX_LIMIT:
        raise ApiError(400, f"limit must be between {MIN_LIMIT} and {MAX_LIMIT}, got {limit}")
    page_no = _int(params, "page_no", 1)
    if page_no < 1:
        raise ApiError(400, f"page_no must be 1 or more, got {page_no}")
    sort_field = params.get("sort_field") or "created_at"
    if "sort_field" in params and sort_field not in res.sort_fields:
        options = ", ".join(res.sort_fields) or "none"
        raise ApiError(400, f"sort_field {sort_field!r} is not valid; options: {options}")
    order = (params.get("sort_order") or "asc").lower()
    if order not in ("asc", "desc"):
        raise ApiError(400, f"sort_order must be asc or desc, got {order!r}")
    start = end = None
    if res.date_filter:
        start, end = _time(params, "created_from"), _time(params, "created_to")
    filters = tuple(
        (key, mode, params[name]) for name, (key, mode) in res.filters.items() if params.get(name)
    )
    return ListQuery(limit, page_no, sort_field, order == "desc", start, end, filters, params)


def _time(params: Mapping[str, str], name: str) -> float | None:
    text = params.get(name)
    if not text:
        return None
    try:
        return parse_filter_time(text)
    except ValueError:
        raise ApiError(400, f"{name} must be YYYY-MM-DD HH:MM:SS, got {text!r}") from None


def matches(record: Record, filters: tuple[tuple[str, str, str], ...]) -> bool:
    for key, mode, wanted in filters:
        value = record.get(key)
        text = (
            "" if value is None else (str(value).lower() if isinstance(value, bool) else str(value))
        )
        if mode == CONTAINS:
            if wanted.lower() not in text.lower():
                return False
        elif mode == EXACT:
            if text != wanted:
                return False
        elif text.lower() not in {w.strip().lower() for w in wanted.split(",")}:
            return False
    return True


def page_items(store: Store, res: Resource, q: ListQuery, t: float) -> list[Item]:
    """The items of the requested page, in order."""
    generated, spawned = store.window(res, q.created_from, q.created_to, t)
    if (
        not q.filters
        and q.sort_field in ("created_at", "id")
        and not (spawned and q.sort_field == "id")
    ):
        return _fast_page(store, res, generated, spawned, q)
    return _scan_page(store, res, generated, spawned, q, t)


def _fast_page(
    store: Store, res: Resource, generated: range, spawned: list[str], q: ListQuery
) -> list[Item]:
    """Merge the contiguous generated range with the (few) spawned records by rank."""
    timeline = store.ds.timelines[res.name]
    ranks = [
        timeline.first_after(store.created_of(res, rid)) - generated.start + j
        for j, rid in enumerate(spawned)
    ]
    total = len(generated) + len(spawned)

    def at(p: int) -> Item:
        pos = total - 1 - p if q.desc else p
        j = bisect.bisect_left(ranks, pos)
        if j < len(ranks) and ranks[j] == pos:
            return spawned[j]
        return generated.start + pos - j

    stop = min(total, q.offset + q.limit)
    if store.ds.ties > 1 and res.name in TIED and q.sort_field == "created_at":
        return _unstable_ties(store, res, at, q.offset, stop, total, q)
    if not spawned:  # the usual page: a run of the generated range, as at() would list it
        if q.desc:
            return list(range(generated.stop - 1 - q.offset, generated.stop - 1 - stop, -1))
        return list(range(generated.start + q.offset, generated.start + stop))
    return [at(p) for p in range(q.offset, stop)]


def _unstable_ties(
    store: Store, res: Resource, at: Callable[[int], Item], start: int, stop: int, total: int,
    q: ListQuery,
) -> list[Item]:  # fmt: skip
    """The page as a provider sorting only by a one-second ``created_at`` may serve it: the
    records sharing a second come in an order that depends on the request (--quirks ties)."""
    if start >= stop:
        return []

    def second(p: int) -> int:
        return store.created_of(res, at(p))

    lo, hi = start, stop - 1
    while lo > 0 and second(lo - 1) == second(start):
        lo -= 1
    while hi < total - 1 and second(hi + 1) == second(stop - 1):
        hi += 1
    span = [at(p) for p in range(lo, hi + 1)]
    salt = "&".join(f"{k}={v}" for k, v in sorted(q.raw.items()))
    shuffled: list[Item] = []
    for created, group in itertools.groupby(span, key=lambda item: store.created_of(res, item)):
        members = list(group)
        random.Random(f"{salt}/{created}").shuffle(members)
        shuffled.extend(members)
    return shuffled[start - lo : stop - lo]


def _scan_page(
    store: Store, res: Resource, generated: range, spawned: list[str], q: ListQuery, t: float
) -> list[Item]:
    key_name = res.sort_fields.get(q.sort_field, "") or (
        res.item_id_key if q.sort_field == "id" else ""
    )

    def keyed() -> Iterator[tuple[Any, int, int, Item]]:
        for n, item in enumerate(_chain(generated, spawned)):
            record = store.render_item(res, item, t, False)
            if matches(record, q.filters):
                value = record.get(key_name) if key_name else None
                sort_value = "" if value is None else str(value)
                yield (sort_value, store.created_of(res, item), n, item)

    wanted = q.offset + q.limit
    best = heapq.nlargest(wanted, keyed()) if q.desc else heapq.nsmallest(wanted, keyed())
    return [row[3] for row in best[q.offset :]]


def _chain(generated: range, spawned: list[str]) -> Iterator[Item]:
    yield from generated
    yield from spawned
