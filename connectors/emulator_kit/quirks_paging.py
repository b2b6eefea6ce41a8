"""Paging behaviours not named by issue 14 that need the provider asked more than once for one
request (``quirks_unnamed`` rewrites one request or one body; these re-ask the handler):

- ``past_end=last``: a page number or offset past the end of a list is answered with the
  list's last page again, not an empty page (a server clamping the page index).
- ``overlap=1``: every page after the first repeats the last record of the page before it (an
  inclusive offset cursor): page ``k`` of ``L`` records starts at record ``(k - 1)(L - 1)``.

Both work on the documented answer of the provider's own handler, in its own counting (after
``origin`` rewrote the request), so the provider's code stays the documented one.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import orjson
from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PAGE_NUMBERS = ("page_no", "pageindex")  # counted in pages
OFFSETS = ("offset",)  # counted in records, from 1
SIZES = ("limit", "pagesize")


def _key(request: web.Request, names: tuple[str, ...]) -> str | None:
    return next((k for k in request.query if k.lower() in names), None)


def _list_of(response: web.StreamResponse) -> tuple[dict[str, Any], str] | None:
    """The decoded body of a documented list answer and the key of its one list."""
    if not isinstance(response, web.Response) or response.status != 200 or not response.body:
        return None
    try:
        body = orjson.loads(response.body)  # type: ignore[arg-type]
    except (orjson.JSONDecodeError, TypeError):
        return None
    if not isinstance(body, dict):
        return None
    lists = [k for k, v in body.items() if isinstance(v, list)]
    return (body, lists[0]) if len(lists) == 1 else None


async def _ask(request: web.Request, handler: Handler, **changes: str) -> web.StreamResponse:
    query = {**request.query, **changes}
    return await handler(request.clone(rel_url=request.rel_url.with_query(query)))


def _json(body: dict[str, Any]) -> web.Response:
    return web.Response(status=200, body=orjson.dumps(body), content_type="application/json")


async def past_end_last(
    request: web.Request, handler: Handler, response: web.StreamResponse
) -> web.StreamResponse:
    """``response`` to a page past the end answered as the list's last page instead."""
    found = _list_of(response)
    if found is None or found[0][found[1]]:
        return response  # not a list, or not past the end
    counter = _key(request, PAGE_NUMBERS + OFFSETS)
    if counter is None or not request.query[counter].strip().isdigit():
        return response
    size_key = _key(request, SIZES)
    size = int(request.query[size_key]) if size_key and request.query[size_key].isdigit() else 1
    by_offset = counter.lower() in OFFSETS
    asked = int(request.query[counter])
    page = (asked - 1) // max(size, 1) + 1 if by_offset else asked
    if page <= 1:
        return response  # the first page is empty: the list is

    def value(k: int) -> str:
        return str((k - 1) * size + 1) if by_offset else str(k)

    async def items(k: int) -> web.StreamResponse | None:
        answer = await _ask(request, handler, **{counter: value(k)})
        listed = _list_of(answer)
        return answer if listed is not None and listed[0][listed[1]] else None

    last = await items(1)
    if last is None:
        return response
    lo, hi = 1, page  # page lo holds records, page hi does not
    while hi - lo > 1:
        mid = (lo + hi) // 2
        answer = await items(mid)
        if answer is None:
            hi = mid
        else:
            lo, last = mid, answer
    return last


async def _served_size(request: web.Request, handler: Handler, counter: str, asked: int) -> int:
    """The records a page holds: fewer than ``asked`` under a lower page maximum (the cursor
    moves by what the server served, not by what was asked)."""
    first = _list_of(await _ask(request, handler, **{counter: "1"}))
    second = _list_of(await _ask(request, handler, **{counter: "2"}))
    if first is None or second is None or not second[0][second[1]]:
        return asked  # one page holds the whole list
    return min(asked, len(first[0][first[1]]))


async def overlapping(
    request: web.Request, handler: Handler, response: web.StreamResponse
) -> web.StreamResponse:
    """``response`` to page ``k`` as a server repeating each page's last record serves it."""
    found = _list_of(response)
    counter, size_key = _key(request, PAGE_NUMBERS), _key(request, SIZES)
    if found is None or counter is None or size_key is None:
        return response
    text, size_text = request.query[counter].strip(), request.query[size_key].strip()
    if not (text.isdigit() and size_text.isdigit()) or int(text) <= 1 or int(size_text) < 2:
        return response
    size, page = await _served_size(request, handler, counter, int(size_text)), int(text)
    start = (page - 1) * (size - 1)  # the first record of this page, from 0
    first = start // size + 1  # the documented page holding it
    records: list[Any] = []
    for k in (first, first + 1):
        listed = _list_of(await _ask(request, handler, **{counter: str(k)}))
        if listed is None:
            return response
        records += listed[0][listed[1]]
    body, key = found
    skip = start - (first - 1) * size
    body[key] = records[skip : skip + size]
    return _json(body)
