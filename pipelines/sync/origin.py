"""Where a list endpoint counts its pages or offsets from (issue 14, a behaviour not named).

The documents count ``page_no``, ``offset`` and ``pageIndex`` from 1. A server counting from 0
answers page 1 with what is really its second page: a window smaller than a page then loads
nothing and the run succeeds, and SmarterPay lists carry no totals that could tell. So the
first time a stream pages (per source) the pager asks one more page: the one at counter 0,
of the page size it really asks (a server counting from 0 may refuse a tiny page, and a refusal
reads as "from 1"). A server counting from 1 refuses that, answers nothing, or answers page 1
again (page 0 read as page 1); a server counting from 0 answers a record that page 1 does not
hold. Comparing ids, not positions, keeps the probe right when records sharing a
creation second come in another order from request to request (ties). An empty window cannot
tell (a server counting from 0 shows a small window empty at 1 as well): the whole list is
asked instead, once per stream (a backfill's oldest windows are often empty, and each sent its
own probe: 36 for Smart2Pay payouts in ``make bench``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from connectors.errors import ProviderRequestError
from connectors.http import HttpClient
from connectors.streams import Paginator, StreamSpec


async def counts_from_zero(
    http: HttpClient, spec: StreamSpec, paginator: Paginator, window: Mapping[str, str],
    first_page: list[Any], size: int,
) -> bool | None:  # fmt: skip
    """True: the server counts from 0; False: from 1 as documented (or nothing to count);
    None: cannot tell yet (the window is empty both ways, so nothing was missed)."""
    counter, probe = paginator.counter, paginator.at(0, size)
    if counter is None or probe is None or counter not in probe:
        return False
    probe = {**spec.extra_params, **probe, **window, counter: str(int(probe[counter]) - 1)}
    try:
        body = await http.get_json(spec.path, probe)
    except ProviderRequestError:
        return False  # a 4xx for counter 0: the server counts from 1
    items = body.get(spec.envelope) if body else None
    if not isinstance(items, list) or not items:
        return None if not first_page else False
    seen = {_id(spec, item) for item in first_page}
    return _id(spec, items[0]) not in seen


def _id(spec: StreamSpec, item: Any) -> Any:
    return spec.record_id(item) if isinstance(item, dict) else repr(item)


async def whole_list_counts_from_zero(
    http: HttpClient, spec: StreamSpec, paginator: Paginator, size: int,
    first_page: Callable[[list[Any]], None] = lambda items: None,
) -> bool | None:  # fmt: skip
    """``counts_from_zero`` asked of the whole list (no date filter): its first page (handed to
    ``first_page``: the pager's page-size probe asks the same), then the page at counter 0.
    None only when the list is empty both ways."""
    first = {**spec.extra_params, **paginator.first(size)}
    try:
        body = await http.get_json(spec.path, first)
    except ProviderRequestError:
        return None  # the window's own paging decides (and names the error)
    items = body.get(spec.envelope) if body else None
    if isinstance(items, list):
        first_page(items)
    return await counts_from_zero(http, spec, paginator, {}, items or [], size)
