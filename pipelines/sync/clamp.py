"""Whether a page of records already read means the list ended (a behaviour issue 14 did not
name: servers that clamp the page index).

A documented server answers a page past the end of a list with an empty page. A server clamping
the page index answers it with the list's last page again, so a window whose last page is full
(or whose short last page the pager confirms by reading on) sees a page that repeats one it
already read. That looks like a server ignoring the paging parameter, which repeats the first
page whatever page is asked, and which must stop the stream (records past its first page are
never served). One request of a single record tells the two apart: the record at the position
of the last record read. A server honouring positions answers that record (one of the page
before); a server ignoring the page number answers the list's first record again.

With one record read both answer it, and nothing is lost either way: a server ignoring the page
number answered a first page of one record where it was asked for many, so the list holds one
(no server caps pages that low: ``pager.MIN_BELIEVED_CAP``); a record arriving ahead of it while
the window was paged is answered instead, and the pager reads the window again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from connectors.errors import ProviderRequestError
from connectors.http import HttpClient
from connectors.streams import Paginator, StreamSpec


def record_id(spec: StreamSpec, item: Any) -> Any:
    return spec.record_id(item) if isinstance(item, dict) else repr(item)


def repeats(
    spec: StreamSpec, items: list[Any], asked: int | None, seen: set[Any], before: set[Any]
) -> bool:
    """True when a page may be a clamping server's last page again: records all read already in
    this pass, as many as asked (the last page of that size) or the very page before (a short
    last page); ``asked`` None: any number of them. Records arriving while a window is paged shift the pages by as many records as
    arrived, which repeats fewer than a page (``pager._Arrived`` reads the window again)."""
    ids = [record_id(spec, item) for item in items]
    if not ids or not all(i in seen for i in ids):
        return False
    return asked is None or len(ids) == asked or (len(ids) == len(before) and set(ids) == before)


async def past_the_end(
    http: HttpClient, spec: StreamSpec, paginator: Paginator, window: Mapping[str, str],
    received: int, head: Any, before: set[Any],
) -> bool:  # fmt: skip
    """True: the server honours paging positions, so a page repeating records already read was
    its answer to a page past the end. ``received``: records read so far in the pass, ``head``
    the id of its first, ``before`` the ids of the page before the repeat."""
    at = paginator.at(received - 1, 1)
    if at is None:
        return False
    try:
        body = await http.get_json(spec.path, {**spec.extra_params, **at, **window})
    except ProviderRequestError:
        return False  # the window's own checks judge the paging (and name the error)
    items = body.get(spec.envelope) if body else None
    if not isinstance(items, list) or len(items) != 1:
        return False
    answered = record_id(spec, items[0])
    if received == 1:  # both answer the one record; a record arrived ahead of it is another
        return answered == head
    return answered != head and answered in before
