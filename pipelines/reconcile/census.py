"""Read what the provider holds by a path that shares none of the sync's paging assumptions.

Reconciliation that pages exactly as the sync does cannot see a paging defect of the sync
(issue 14). The census therefore:

- uses the older paging generation where the connector has one (Smart2Pay payments: limit +
  offset instead of pageSize + pageIndex), otherwise the same parameters with another,
  small page size (``CENSUS_PAGE``) that is neither the documented maximum nor a learned size;
- pages in a unique, stable order where the API documents one (``StreamSpec.unique_order``:
  SmarterPay's ``sort_field=id``), so records sharing a second of the default order cannot be
  skipped or repeated across its page boundaries (ties, issue 14 item 5);
- widens the horizon's filters by the zone slack (``window.ZONE_SLACK``) where the comparison
  scopes the provider's records by their own time: a provider whose filters mean another zone
  than the source's ``timezone`` still lists the horizon's edges (item 6), and the records
  beyond them are left out of the comparison, not reported as drift;
- never takes a short page as the end: it reads on until the provider answers an empty page
  (one request more per window, the price of not trusting the page size);
- ignores totals and learned page sizes; a page that repeats the previous one, or holds more
  records than asked, stops the check with a contract error, unless the server was shown to
  answer a page past the end with its last page again (``sync.clamp``, INFERRED #155): that
  ends the census, as does a short page of records the page before held (pages that overlap,
  #158); any other page of nothing but records already read stops it (never a loop); after a
  short page a page-counting census reads the next page number at the same size (#158);
- checks for itself where the server counts pages or offsets from (``sync.origin``): a census
  reading from the second page of a server counting from 0 would call the first page's
  records ``extra``, and ``--repair`` would mark them deleted.

So a sync that stopped early (trusting a short page, a wrong total, a misunderstood
parameter) leaves records the census still finds: they are reported as ``missing`` drift and
``--repair`` merges them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from connectors.errors import ContractChangedError
from connectors.http import HttpClient
from connectors.streams import FromZero, Paginator, StreamSpec
from pipelines.load.records import Page, split_page
from pipelines.sync import clamp
from pipelines.sync.origin import counts_from_zero
from pipelines.sync.window import ZONE_SLACK, filter_params

CENSUS_PAGE = 97  # a prime: no documented maximum or learned size is a multiple of it
MAX_CENSUS_PAGES = 200_000


def census_paginator(spec: StreamSpec) -> Paginator:
    paginator: Paginator = spec.paginator
    return paginator.fallback or paginator


async def census_pages(
    http: HttpClient, source: str, spec: StreamSpec, start: datetime | None, end: datetime | None,
    timezone: str = "UTC",
) -> AsyncIterator[Page]:  # fmt: skip
    """Every record the provider lists for ``spec`` in ``[start, end)`` (or the whole list)."""
    paginator = census_paginator(spec)
    window: dict[str, str] = {**spec.unique_order}  # ties cannot cross a page boundary
    if spec.window is not None and start is not None and end is not None:
        # Written in the source's zone, as the sync writes its filters, and widened by the
        # zone slack where the comparison scopes the provider's records by their own time
        # (the cursor column): a provider meaning another zone still lists the horizon's
        # edges, and what lies beyond them is left out of the comparison.
        slack = ZONE_SLACK if spec.cursor_column else timedelta(0)
        window |= filter_params(spec.window, timezone, start, end, slack)
    where = f"source {source!r}, stream {spec.name} (reconciliation census)"
    first = paginator.first(CENSUS_PAGE)
    if paginator.asked(first) is None:  # the endpoint does not page: one request holds all
        sent = datetime.now(UTC)
        body = await http.get_json(spec.path, {**spec.extra_params, **first, **window})
        yield Page.of(split_page(spec, _items(body, spec, where)), sent)
        return
    size, position, previous_head, probed = CENSUS_PAGE, 0, None, False
    seen: set[Any] = set()  # ids read so far, those of the page before, the first one
    before: set[Any] = set()
    head: Any = None
    for _ in range(MAX_CENSUS_PAGES):
        at = paginator.at(position, size)
        if at is None:
            raise ContractChangedError(f"{where}: cannot express position {position}")
        sent = datetime.now(UTC)
        body = await http.get_json(spec.path, {**spec.extra_params, **at, **window})
        items = _items(body, spec, where)
        if not probed:
            probed = True
            if await counts_from_zero(http, spec, paginator, window, items, size):
                paginator = FromZero(paginator)
                continue  # read again from the server's real first page
        asked = paginator.asked(at) or size
        if position and clamp.repeats(spec, items, asked, seen, before):
            if await clamp.past_the_end(http, spec, paginator, window, position, head, before):
                return  # a server clamping the page index: its last page again is the end
        if len(items) > asked or (items and items[0] == previous_head):
            raise ContractChangedError(
                f"{where}: the provider ignores the paging parameters ({len(items)} records for "
                f"a page of {asked} at position {position}); completeness cannot be checked"
            )
        if not items:
            return  # only an empty page ends the census
        ids = {clamp.record_id(spec, item) for item in items}
        if ids <= before and len(items) < asked:
            return  # the last records of the page before again, no more: pages that overlap
            # (each repeats the record before it, INFERRED #158) answer so past the end
        if ids <= seen:  # nothing new, and not the end: reading on would never end
            raise ContractChangedError(
                f"{where}: the page at position {position} holds only records already read; "
                "completeness cannot be checked. Check the endpoint's paging parameters "
                "against the provider's documentation"
            )
        before = ids
        seen |= ids
        if head is None:
            head = clamp.record_id(spec, items[0])
        previous_head = items[0]
        if len(items) < asked and position and _counts_pages(paginator, size):
            # A short page after full ones, read on at the next page number: the same page size
            # keeps the server's own page boundaries (pages that overlap start each page at
            # ``(k - 1)(size - 1)``: another size would land mid-list).
            position += size
        else:
            position += len(items)
            if len(items) < asked:
                size = len(items)  # the server serves fewer a page: follow it, do not stop
        yield Page.of(split_page(spec, items), sent)
    raise ContractChangedError(f"{where}: more than {MAX_CENSUS_PAGES} pages")


def _counts_pages(paginator: Paginator, size: int) -> bool:
    """The counter counts pages (``page_no``), not records (``offset``)."""
    first, second, counter = paginator.at(0, size), paginator.at(size, size), paginator.counter
    if first is None or second is None or counter is None or size < 2:
        return False
    return int(second[counter]) - int(first[counter]) == 1


def _items(body: Mapping[str, Any], spec: StreamSpec, where: str) -> list[Any]:
    if not body:
        return []  # 204 or an empty body
    items = body.get(spec.envelope)
    if not isinstance(items, list):
        raise ContractChangedError(f"{where}: no list under {spec.envelope!r}")
    return items
