"""Page answers the documents do not describe (docs/inferred.md #157, #162, #164), and how a
refused request is named (stream, window, and what to set where a date range is too long).

A page request refused with HTTP 400: perhaps the page size is above the provider's limit.

The documents do not say what a list does with a page size above its limit (docs/inferred.md
#162). Some servers cap the page (``page_sizes.PageSize.learn_cap`` learns that from short
pages); others refuse the request with 400 and a message such as "PageSize must be between 1
and 50".
The pager then asks again with a smaller page: the largest number in the provider's message
that is below the size asked (and at least ``MIN_BELIEVED_CAP``), else half the size asked,
until ``MIN_BELIEVED_CAP``; the size found is kept in ``paysync.page_sizes`` like a learned
cap. A 400 that persists at every size is another refusal: it stops the stream loudly, naming
the page size parameter tried and the provider's message.

A page listing one record twice, identical both times (``once``): it is one record. Counted
twice it made a full page look longer than asked ("the provider ignores the paging") and
the records more than the totals said, stopping streams that had lost nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import orjson

from connectors.errors import ProviderRequestError
from connectors.streams import Paginator, StreamSpec

BODY_MARK = "answered HTTP 400: "  # how connectors.http quotes the provider's answer


def smaller_page(refused: ProviderRequestError, asked: int, least: int) -> int | None:
    """The page size to try after ``asked`` was refused with 400; None: nothing smaller than
    ``asked`` is left from ``least`` up."""
    said = str(refused).partition(BODY_MARK)[2]
    named = [int(n) for n in re.findall(r"\d+", said) if least <= int(n) < asked]
    smaller = max(named) if named else asked // 2
    return smaller if smaller >= least else None


def size_parameter(paginator: Paginator) -> str:
    """The name of the query parameter carrying the page size (for messages)."""
    probe = 7919  # a page size no other parameter of a first request carries
    names = [k for k, v in paginator.first(probe).items() if v == str(probe)]
    return names[0] if names else "the page size"


def refusal_message(where: str, refused: ProviderRequestError, paginator: Paginator) -> str:
    return (
        f"{where}: {refused}; it was refused at every page size tried "
        f"({size_parameter(paginator)} down to the smallest paysync believes, so it is not "
        "the page size or not only). Nothing of the window is committed: check the request "
        "against the provider's documentation and report the provider's message"
    )


def once(spec: StreamSpec, items: list[Any]) -> list[Any]:
    """``items`` without repeats of the same record with the same content (first kept). The
    same id with other content stays twice: that is for the loader's checks to judge."""
    ids = [spec.record_id(i) if isinstance(i, dict) else None for i in items]
    if len(set(map(repr, ids))) == len(ids):
        return items  # the usual page: one id look-up a record, nothing serialised
    seen: set[bytes] = set()
    kept = []
    for item in items:
        key = orjson.dumps(item, option=orjson.OPT_SORT_KEYS)
        if key not in seen:
            seen.add(key)
            kept.append(item)
    return kept


def refused_at(where: str, window: Mapping[str, str], exc: ProviderRequestError) -> Exception:
    """A request the provider refused (4xx), named by stream and window."""
    return ProviderRequestError(f"{where}: {exc}{range_hint(window)}", exc.status)


def range_hint(window: Mapping[str, str]) -> str:
    """What a dated request refused says to set where the provider limits the date range one
    request may span (INFERRED #157)."""
    if not window:
        return ""
    return (
        ". If the provider limits the date range one request may span, set "
        "sync.max_window_days (environment PAYSYNC_SYNC__MAX_WINDOW_DAYS) to that many days"
    )
