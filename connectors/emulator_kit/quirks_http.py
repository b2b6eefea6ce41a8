"""HTTP-level provider behaviours issue 14 did not name, as opt-in ``--quirks`` items.

Each is off by default (the emulator stays the documented server); each is a way a real .NET
service behind a load balancer may answer a list request that the documents never describe:

- ``error_body=<fraction>``: that share of list requests (``1`` = all) is answered HTTP 200
  with an ASP.NET Web API error object instead of the list
  (``{"Message": "An error has occurred.", "ExceptionMessage": "Timeout expired..."}``).
- ``html=<status>``: list requests are answered with a maintenance/proxy page: this status
  (``502``, ``503`` or even ``200``) with ``Content-Type: text/html`` and an HTML body;
  ``html_rate=<fraction>`` answers only that share of them so (default all).
- ``page_size_error=N``: a request asking for more than N records a page (``limit`` or
  ``pageSize``) is refused with HTTP 400 and a JSON message saying the page size is too
  large, instead of being served a capped page.
- ``redirect=1``: every request is first answered ``308 Permanent Redirect`` to the same path
  on the same origin (the query gains a marker the server strips); ``redirect=http``: to the
  same path on plain ``http://`` (where a client must not send its credentials).
- ``dupes=1``: every non-empty list page lists its first record twice (once more at its end).

``quirks.py`` parses these through ``accept`` and puts ``middleware`` just inside the stats
middleware, so each provider's own code stays the documented one.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

from connectors.emulator_kit.stats import ADMIN_PREFIX

SIZE_PARAMS = ("limit", "pagesize")  # compared case-insensitively
MOVED = "_moved"  # the query marker a redirected request carries (stripped before the provider)
ASPNET_ERROR = {
    "Message": "An error has occurred.",
    "ExceptionMessage": "Timeout expired. The timeout period elapsed prior to completion of the "
    "operation or the server is not responding.",
    "ExceptionType": "System.Data.SqlClient.SqlException",
    "StackTrace": None,
}
MAINTENANCE_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>Service Unavailable</title></head>\n"
    b"<body><h1>Down for maintenance</h1><p>We will be back shortly.</p></body></html>\n"
)


@dataclass(frozen=True)
class HttpQuirks:
    error_body: float = 0.0
    html: int | None = None
    html_rate: float = 1.0
    page_size_error: int | None = None
    redirect: str | None = None  # "1" (same origin) or "http"
    dupes: bool = False

    @property
    def active(self) -> bool:
        return bool(self.error_body or self.html or self.page_size_error or self.redirect) or (
            self.dupes
        )


def accept(name: str, value: str, found: dict[str, Any], error: type[ValueError]) -> bool:
    """Take one SPEC item into ``found`` (HttpQuirks' fields); False: not one of these."""
    if name in ("error_body", "html_rate"):
        found[name] = _fraction(name, value, error)
    elif name == "html":
        if not value.isdigit() or not 200 <= int(value) <= 599:
            raise error(f"html={value!r}: give an HTTP status such as 503 or 200")
        found["html"] = int(value)
    elif name == "page_size_error":
        if not value.isdigit() or int(value) < 1:
            raise error(f"page_size_error={value!r}: give the largest page size served")
        found["page_size_error"] = int(value)
    elif name == "redirect":
        if value not in ("1", "http"):
            raise error(f"redirect={value!r}: use 1 or http")
        found["redirect"] = value
    elif name == "dupes":
        if value != "1":
            raise error(f"dupes={value!r}: use 1")
        found["dupes"] = True
    else:
        return False
    return True


def _fraction(name: str, value: str, error: type[ValueError]) -> float:
    try:
        share = float(value)
    except ValueError:
        share = -1.0
    if not 0 < share <= 1:
        raise error(f"{name}={value!r}: give a share of requests above 0, up to 1")
    return share


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def middleware(plan: HttpQuirks, seed: int = 0) -> Any:
    rng = random.Random(seed)  # request order varies with concurrency; the share does not

    @web.middleware
    async def quirks_http(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX) or request.method != "GET":
            return await handler(request)
        if plan.redirect:
            if MOVED not in request.query:
                raise _redirect(plan.redirect, request)
            query = {k: v for k, v in request.query.items() if k != MOVED}
            request = request.clone(rel_url=request.rel_url.with_query(query))
        if plan.page_size_error is not None and _asks_more(request, plan.page_size_error):
            message = (
                f"The request is invalid. PageSize must be between 1 and {plan.page_size_error}."
            )
            return web.json_response({"Message": message}, status=400)
        response = await handler(request)
        if not isinstance(response, web.Response) or response.status != 200:
            return response
        items = _list_of(response)
        if items is None:
            return response  # not a list answer (a detail, or already no JSON)
        if plan.html and rng.random() < plan.html_rate:
            return web.Response(
                status=plan.html, body=MAINTENANCE_PAGE,
                headers={"Content-Type": "text/html; charset=utf-8"},
            )  # fmt: skip
        if plan.error_body and rng.random() < plan.error_body:
            return web.json_response(ASPNET_ERROR, status=200)
        body, (key, records) = items
        if plan.dupes and records:
            body[key] = [*records, records[0]]
            return web.Response(
                status=200, body=orjson.dumps(body), headers={"Content-Type": response.content_type}
            )
        return response

    return quirks_http


def _redirect(how: str, request: web.Request) -> web.HTTPException:
    url = request.url.update_query({MOVED: "1"})
    if how == "http":
        url = url.with_scheme("http")
    return web.HTTPPermanentRedirect(location=str(url))


def _asks_more(request: web.Request, most: int) -> bool:
    for key, value in request.query.items():
        if key.lower() in SIZE_PARAMS and value.strip().isdigit() and int(value) > most:
            return True
    return False


def _list_of(response: web.Response) -> tuple[dict[str, Any], tuple[str, list[Any]]] | None:
    """The decoded body and its one list (key, items), when ``response`` is a list answer."""
    if not isinstance(response.body, bytes | bytearray) or not response.body:
        return None
    try:
        body = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return None
    if not isinstance(body, dict):
        return None
    lists = [(k, v) for k, v in body.items() if isinstance(v, list)]
    return (body, lists[0]) if len(lists) == 1 else None
