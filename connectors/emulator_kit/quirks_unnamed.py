"""Provider behaviours issue 14 did not name, as more opt-in ``--quirks`` items.

The issue ends "we will also run syncs behind provider behaviours of our own choosing"; these
are the ones most likely to differ from our reading of the documents, each off by default:

- ``origin=0``: page numbers and offsets (``page_no``, ``offset``, ``pageIndex``) count from
  0, not 1 as we read the documents: the value the client sends names the next page (or
  record) of a documented server, so a client counting from 1 never sees the first page.
- ``body=bare`` / ``body=data``: a list answer is a bare JSON array, or its list sits under a
  ``data`` key instead of the documented one.
- ``filter_bounds=exclusive``: ``created_from``/``created_to``/``startDate``/``endDate`` are
  exclusive (``>`` and ``<``) where a server may equally mean inclusive.
- ``filter=ignored``: the date filters of the list windows are not understood: every window
  is answered with every record.
- ``content_type=<mime>``: JSON bodies go out with this Content-Type (``text/plain``,
  ``application/octet-stream``, ``application/json; charset=ISO-8859-1`` ...).
- ``gzip=1``: JSON bodies are gzip-compressed (``Content-Encoding: gzip``).
- ``strings=<field>`` (repeatable): numbers under ``field`` in records are sent as strings
  (``"amount": "1250"``).
- ``past_end=last``: a page number or offset past the end of a list is answered with the
  list's last page again instead of an empty page (``quirks_paging``).
- ``order=desc`` / ``order=asc``: lists come in that order whatever was asked (SmarterPay's
  ``sort_order``, Smart2Pay's ``sortDirection``): newest first where SmarterPay documents
  oldest first; oldest first where Smart2Pay documents ID descending.
- ``range_max_days=N``: a date-filtered list whose range spans more than N days is answered
  for the newest N days only (the lower bound is moved up, silently); with
  ``range_over=400`` such a request is refused with HTTP 400 and a message instead.
- ``overlap=1``: every page after the first repeats the last record of the page before it
  (an inclusive cursor; page-numbered lists only: ``quirks_paging``).

``quirks.py`` parses these through ``accept`` and calls ``rewrite_query``/``rewrite_body``/
``finish`` from its one middleware, so each provider's own code stays the documented one.
"""

from __future__ import annotations

import gzip
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import orjson
from aiohttp import web

COUNTERS = ("page_no", "offset", "pageindex")  # paging values a 0-based server reads (lower)
WINDOW_FILTERS = {
    "created_from": "%Y-%m-%d %H:%M:%S", "created_to": "%Y-%m-%d %H:%M:%S",
    "startdate": "%Y%m%d%H%M%S", "enddate": "%Y%m%d%H%M%S",
}  # fmt: skip
LOWER_BOUNDS = ("created_from", "startdate")


@dataclass(frozen=True)
class Unnamed:
    origin: int = 1
    body: str | None = None  # "bare" or "data"
    exclusive_bounds: bool = False
    filter_ignored: bool = False
    content_type: str | None = None
    gzip: bool = False
    strings: frozenset[str] = field(default_factory=frozenset)
    past_end_last: bool = False
    order: str | None = None  # "asc" or "desc"
    range_max_days: int | None = None
    range_refused: bool = False  # range_over=400: refuse a longer range, do not cut it
    overlap: bool = False

    @property
    def active(self) -> bool:
        return (
            self.origin != 1
            or self.exclusive_bounds
            or self.filter_ignored
            or bool(self.body or self.content_type or self.gzip or self.strings)
            or self.past_end_last
            or self.overlap
            or bool(self.order or self.range_max_days)
        )

    @property
    def rewrites_body(self) -> bool:
        return bool(self.body or self.strings or self.content_type or self.gzip)


def accept(name: str, value: str, found: dict[str, Any], error: type[ValueError]) -> bool:
    """Take one SPEC item into ``found`` (Unnamed's fields); False: not one of these."""
    choices = {
        "origin": ("0",), "body": ("bare", "data"), "filter_bounds": ("exclusive",),
        "filter": ("ignored",), "gzip": ("1",), "past_end": ("last",), "order": ("asc", "desc"),
        "range_over": ("400",), "overlap": ("1",),
    }  # fmt: skip
    if name in choices and value not in choices[name]:
        raise error(f"{name}={value!r}: use {' or '.join(choices[name])}")
    if name == "origin":
        found["origin"] = 0
    elif name == "body":
        found["body"] = value
    elif name == "filter_bounds":
        found["exclusive_bounds"] = True
    elif name == "filter":
        found["filter_ignored"] = True
    elif name == "gzip":
        found["gzip"] = True
    elif name == "content_type":
        if not value.strip():
            raise error("content_type: give a media type")
        found["content_type"] = value.strip()
    elif name == "strings":
        found["strings"] = frozenset(found.get("strings", frozenset()) | {value})
    elif name == "past_end":
        found["past_end_last"] = True
    elif name == "order":
        found["order"] = value
    elif name == "range_max_days":
        if not value.isdigit() or int(value) < 1:
            raise error(f"range_max_days={value!r}: a whole number of days, 1 or more")
        found["range_max_days"] = int(value)
    elif name == "range_over":
        found["range_refused"] = True
    elif name == "overlap":
        found["overlap"] = True
    else:
        return False
    return True


def rewrite_query(plan: Unnamed, query: dict[str, str]) -> bool:
    """Change ``query`` as such a server reads it; True when something changed."""
    changed = _order(plan, query) | _cut_range(plan, query)
    for key in list(query):
        low = key.lower()
        if plan.origin != 1 and low in COUNTERS and query[key].strip().isdigit():
            query[key] = str(int(query[key]) + 1 - plan.origin)
            changed = True
        elif plan.filter_ignored and low in WINDOW_FILTERS:
            del query[key]
            changed = True
        elif plan.exclusive_bounds and low in WINDOW_FILTERS:
            step = 1 if low in LOWER_BOUNDS else -1  # "> from" is ">= from + 1s"
            query[key] = _shift(query[key], WINDOW_FILTERS[low], step)
            changed = True
    return changed


def _order(plan: Unnamed, query: dict[str, str]) -> bool:
    if plan.order is None:
        return False
    lower = {k.lower(): k for k in query}
    if "page_no" in lower:  # SmarterPay's paging, so its sort parameter
        name = lower.get("sort_order", "sort_order")
    elif lower.keys() & {"offset", "pageindex", "pagesize", "limit"}:
        name = lower.get("sortdirection", "sortDirection")
    else:
        return False
    query[name] = plan.order
    return True


def _range(query: Mapping[str, str]) -> tuple[str, str, str, datetime, datetime] | None:
    """(lower key, upper key, format, lower, upper) of a date-filtered list request."""
    keys = {k.lower(): k for k in query}
    for low, high in (("created_from", "created_to"), ("startdate", "enddate")):
        if low in keys and high in keys:
            fmt = WINDOW_FILTERS[low]
            try:
                start = datetime.strptime(query[keys[low]].strip(), fmt)
                end = datetime.strptime(query[keys[high]].strip(), fmt)
            except ValueError:
                return None
            return keys[low], keys[high], fmt, start, end
    return None


def _cut_range(plan: Unnamed, query: dict[str, str]) -> bool:
    """The newest ``range_max_days`` of a longer range (range_over=400 refuses it instead)."""
    found = _range(query) if plan.range_max_days and not plan.range_refused else None
    if found is None or plan.range_max_days is None:
        return False
    low, _, fmt, start, end = found
    cap = timedelta(days=plan.range_max_days)
    if end - start <= cap:
        return False
    query[low] = (end - cap).strftime(fmt)
    return True


def refusal(plan: Unnamed, query: Mapping[str, str]) -> web.Response | None:
    """HTTP 400 for a date range longer than ``range_max_days`` (with ``range_over=400``)."""
    found = _range(query) if plan.range_refused and plan.range_max_days else None
    if found is None or plan.range_max_days is None:
        return None
    low, high, _, start, end = found
    if end - start <= timedelta(days=plan.range_max_days):
        return None
    message = (
        f"The date range {low}..{high} may span at most {plan.range_max_days} days"
        f" (asked {(end - start).days} days)"
    )
    body = orjson.dumps({"error": {"code": 400, "message": "Bad Request", "description": message}})
    return web.Response(status=400, body=body, content_type="application/json")


def _shift(text: str, fmt: str, seconds: int) -> str:
    try:
        moment = datetime.strptime(text.strip(), fmt)
    except ValueError:
        return text
    return (moment + timedelta(seconds=seconds)).strftime(fmt)


def rewrite_body(plan: Unnamed, body: Mapping[str, Any]) -> Any:
    """The decoded body as such a server sends it (a list answer may become a bare array)."""
    lists = [k for k, v in body.items() if isinstance(v, list)]
    if plan.strings:
        for value in body.values():
            for record in value if isinstance(value, list) else [value]:
                if isinstance(record, dict):
                    _stringify(record, plan.strings)
    if len(lists) == 1 and plan.body == "bare":
        return body[lists[0]]
    if len(lists) == 1 and plan.body == "data":
        return {("data" if k == lists[0] else k): v for k, v in body.items()}
    return body


def _stringify(record: dict[str, Any], names: frozenset[str]) -> None:
    for name in names & record.keys():
        value = record[name]
        if isinstance(value, int | float) and not isinstance(value, bool):
            record[name] = str(value)


def finish(plan: Unnamed, body: bytes) -> web.Response:
    """The 200 response carrying ``body`` with this server's Content-Type and encoding."""
    headers = {"Content-Type": plan.content_type or "application/json"}
    if plan.gzip:
        body = gzip.compress(body)
        headers["Content-Encoding"] = "gzip"
    return web.Response(status=200, body=body, headers=headers)
