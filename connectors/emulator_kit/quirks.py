"""Provider behaviours the documents allow but do not describe, as an opt-in emulator option.

``--quirks`` takes a SPEC of comma-separated ``name=value`` items; none is on by default, so
the emulator behaves as documented unless a test asks otherwise (issue 14):

- ``page_max=N``: every list serves at most N items a page, whatever was asked (the server
  clamps its page size and computes offsets from the clamped size, as a real one would).
- ``page_max.<endpoint>=N``: the same for one list endpoint (its last path segment, e.g.
  ``page_max.payments=120``), so limits may differ by endpoint.
- ``paging=legacy``: the newer ``pageSize``/``pageIndex`` parameters are not understood
  (dropped before the provider sees them): the default page comes back, without totals.
- ``empty=204`` / ``empty=blank``: a list with no items is answered 204 with no body, or 200
  with an empty body.
- ``totals_off=N``: list bodies that carry ``TotalCount`` report N more than they hold (a
  provider whose totals and records disagree).
- ``filter_tz=<IANA zone>``: date filter values (``created_from``/``created_to``,
  ``startDate``/``endDate``, ``sent_from``) are read as local time in that zone, as a UK
  service may mean them; times without a zone inside records (``YYYY-MM-DD HH:MM:SS``, as
  SmarterPay's payment links send, and Smart2Pay's ``YYYYMMDDHHMMSS``) are written in that
  zone too (top-level fields of each record). Times with a zone are left
  alone, and the admin truth stays in UTC.
- ``ties=N`` (SmarterPay): records are created in groups of N sharing one ``created_at``
  second, and the default order (by ``created_at``) lists a group's records in an order that
  differs from request to request (seeded by the query), so ``limit``/``page_no`` paging may
  skip or repeat records where a group straddles a page boundary. Orders by ``id`` stay
  unique and stable.
- ``shape.<field>=<json>``: every record carrying ``field`` (lists and details) carries this
  value instead, e.g. ``shape.3DSecure={"Enrolled":"Y"}``: a value of a shape we only inferred.
- behaviours the issue did not name (``origin``, ``body``, ``filter_bounds``, ``filter``,
  ``content_type``, ``gzip``, ``strings``, ``past_end``, ``order``, ``range_max_days``,
  ``range_over``, ``overlap``): see ``quirks_unnamed``; at the HTTP level (``error_body``,
  ``html``, ``page_size_error``, ``redirect``, ``dupes``): ``quirks_http``.

Implemented as one aiohttp middleware between the stats and the provider middleware, so each
provider's own code stays the documented behaviour.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from aiohttp import web

from connectors.emulator_kit import quirks_http as http
from connectors.emulator_kit import quirks_paging as paging
from connectors.emulator_kit import quirks_unnamed as unnamed
from connectors.emulator_kit.stats import ADMIN_PREFIX, ENDPOINT_KEY

SIZE_PARAMS = ("limit", "pagesize")  # clamped by page_max (compared case-insensitively)
# Date filters and their formats, by lower-cased parameter name.
FILTER_FORMATS = {
    "created_from": "%Y-%m-%d %H:%M:%S", "created_to": "%Y-%m-%d %H:%M:%S",
    "sent_from": "%Y-%m-%d %H:%M:%S", "startdate": "%Y%m%d%H%M%S", "enddate": "%Y%m%d%H%M%S",
}  # fmt: skip
NEW_PAGING = ("pagesize", "pageindex")


class QuirkSpecError(ValueError):
    """A --quirks SPEC that cannot be read."""


@dataclass(frozen=True)
class QuirkPlan:
    page_max: int | None = None
    page_max_by_endpoint: Mapping[str, int] = field(default_factory=dict)
    legacy_paging: bool = False
    empty: str | None = None  # "204" or "blank"
    shapes: Mapping[str, Any] = field(default_factory=dict)
    totals_off: int = 0
    filter_tz: str | None = None
    ties: int = 0  # records per shared creation second (SmarterPay's dataset and order)
    more: unnamed.Unnamed = field(default_factory=unnamed.Unnamed)  # behaviours not named
    http: http.HttpQuirks = field(default_factory=http.HttpQuirks)  # ... at the HTTP level

    @property
    def active(self) -> bool:
        return bool(
            self.page_max or self.page_max_by_endpoint or self.legacy_paging or self.empty
        ) or bool(self.shapes or self.totals_off or self.filter_tz or self.ties or self.more.active)

    @classmethod
    def parse(cls, spec: str | None) -> QuirkPlan:
        by_endpoint: dict[str, int] = {}
        shapes: dict[str, Any] = {}
        options: dict[str, Any] = {}
        more: dict[str, Any] = {}
        on_http: dict[str, Any] = {}
        for item in _items(spec or ""):
            name, sep, value = item.partition("=")
            if not sep:
                raise QuirkSpecError(f"{item!r}: expected name=value")
            if name == "page_max" or name.startswith("page_max."):
                size = _positive(name, value)
                if name == "page_max":
                    options["page_max"] = size
                else:
                    by_endpoint[name.split(".", 1)[1].lower()] = size
            elif name == "paging":
                if value != "legacy":
                    raise QuirkSpecError(f"paging={value!r}: only 'legacy' is known")
                options["legacy_paging"] = True
            elif name == "empty":
                if value not in ("204", "blank"):
                    raise QuirkSpecError(f"empty={value!r}: use 204 or blank")
                options["empty"] = value
            elif name == "filter_tz":
                try:
                    ZoneInfo(value)
                except (ZoneInfoNotFoundError, ValueError):
                    raise QuirkSpecError(f"filter_tz={value!r}: unknown time zone") from None
                options["filter_tz"] = value
            elif name == "ties":
                options["ties"] = _positive(name, value)
                if options["ties"] < 2:
                    raise QuirkSpecError(f"ties={value!r}: a tie needs 2 or more records")
            elif name == "totals_off":
                options["totals_off"] = _positive(name, value)
            elif name.startswith("shape."):
                try:
                    shapes[name.split(".", 1)[1]] = orjson.loads(value)
                except orjson.JSONDecodeError:
                    raise QuirkSpecError(f"{name}: {value!r} is not JSON") from None
            elif not unnamed.accept(name, value, more, QuirkSpecError) and not http.accept(
                name, value, on_http, QuirkSpecError
            ):
                raise QuirkSpecError(f"unknown quirk {name!r}")
        return cls(
            page_max_by_endpoint=by_endpoint, shapes=shapes, more=unnamed.Unnamed(**more),
            http=http.HttpQuirks(**on_http), **options,
        )  # fmt: skip

    def page_limit(self, path: str) -> int | None:
        segment = path.rstrip("/").rsplit("/", 1)[-1].lower()
        return self.page_max_by_endpoint.get(segment, self.page_max)


def _items(spec: str) -> list[str]:
    """Split on commas outside JSON brackets and quotes (shape values may hold commas)."""
    items, depth, quoted, current = [], 0, False, ""
    for char in spec:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in "[{":
            depth += 1
        elif not quoted and char in "]}":
            depth -= 1
        if char == "," and depth == 0 and not quoted:
            items.append(current.strip())
            current = ""
        else:
            current += char
    if current.strip():
        items.append(current.strip())
    return items


def _positive(name: str, value: str) -> int:
    try:
        size = int(value)
    except ValueError:
        raise QuirkSpecError(f"{name}={value!r}: expected a whole number") from None
    if size < 1:
        raise QuirkSpecError(f"{name}={value!r}: must be 1 or more")
    return size


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def quirks_middleware(plan: QuirkPlan) -> Any:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path.startswith(ADMIN_PREFIX) or request.method != "GET":
            return await handler(request)
        rewritten = _rewrite_query(plan, request)
        refused = unnamed.refusal(plan.more, rewritten.query)
        if refused is not None:
            return refused
        response = await handler(rewritten)
        if plan.more.overlap:
            response = await paging.overlapping(rewritten, handler, response)
        if plan.more.past_end_last:
            response = await paging.past_end_last(rewritten, handler, response)
        if rewritten is not request and ENDPOINT_KEY in rewritten:
            request[ENDPOINT_KEY] = rewritten[ENDPOINT_KEY]  # the stats label the clone got
        if not isinstance(response, web.Response) or response.status != 200:
            return response
        return _rewrite_body(plan, response)

    return middleware


def _rewrite_query(plan: QuirkPlan, request: web.Request) -> web.Request:
    limit = plan.page_limit(request.path)
    query = dict(request.query)
    changed = unnamed.rewrite_query(plan.more, query)
    for key in list(query):
        low = key.lower()
        if plan.legacy_paging and low in NEW_PAGING:
            del query[key]
            changed = True
        elif plan.filter_tz and low in FILTER_FORMATS:
            query[key] = _local_to_utc(query[key], FILTER_FORMATS[low], plan.filter_tz)
            changed = True
        elif limit is not None and low in SIZE_PARAMS and query[key].strip().isdigit():
            if int(query[key]) > limit:
                query[key] = str(limit)
                changed = True
    if not changed:
        return request
    return request.clone(rel_url=request.rel_url.with_query(query))


def _local_to_utc(text: str, fmt: str, zone: str) -> str:
    """The UTC spelling of a wall-clock time in ``zone`` (unparsable text is left alone)."""
    try:
        local = datetime.strptime(text.strip(), fmt).replace(tzinfo=ZoneInfo(zone))
    except ValueError:
        return text
    return local.astimezone(UTC).strftime(fmt)


def _rewrite_body(plan: QuirkPlan, response: web.Response) -> web.Response:
    if (
        not (plan.empty or plan.shapes or plan.totals_off or plan.filter_tz)
        and not plan.more.rewrites_body
    ) or response.body is None:
        return response
    try:
        body = orjson.loads(response.body)  # type: ignore[arg-type]
    except (orjson.JSONDecodeError, TypeError):
        return response
    if not isinstance(body, dict):
        return response
    lists = [v for v in body.values() if isinstance(v, list)]
    if plan.empty and len(lists) == 1 and not lists[0]:
        if plan.empty == "204":
            return web.Response(status=204)
        return web.Response(status=200, body=b"", content_type="application/json")
    if not (
        plan.shapes
        or plan.filter_tz
        or plan.more.rewrites_body
        or (plan.totals_off and isinstance(body.get("TotalCount"), int))
    ):
        return response
    if plan.totals_off and isinstance(body.get("TotalCount"), int):
        body["TotalCount"] += plan.totals_off
    if plan.filter_tz:
        for value in body.values():
            for record in value if isinstance(value, list) else [value]:
                if isinstance(record, dict):
                    _local_times(record, plan.filter_tz)
    if plan.shapes:
        for value in body.values():
            for record in value if isinstance(value, list) else [value]:
                if isinstance(record, dict):
                    for key, shaped in plan.shapes.items():
                        if key in record:
                            record[key] = shaped
    return unnamed.finish(plan.more, orjson.dumps(unnamed.rewrite_body(plan.more, body)))


ZONELESS = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$")
COMPACT = re.compile(r"^20\d{12}$")  # Smart2Pay's YYYYMMDDHHMMSS


def _local_times(record: dict[str, Any], zone: str) -> None:
    """Zone-less times (the emulator renders them in UTC) as wall-clock time in ``zone``."""
    for key, value in record.items():
        if not isinstance(value, str):
            continue
        fmt = "%Y-%m-%d %H:%M:%S" if ZONELESS.match(value) else None
        fmt = "%Y%m%d%H%M%S" if fmt is None and COMPACT.match(value) else fmt
        if fmt is not None:
            moment = datetime.strptime(value, fmt).replace(tzinfo=UTC)
            record[key] = moment.astimezone(ZoneInfo(zone)).strftime(fmt)


def install(app: web.Application, plan: QuirkPlan) -> None:
    """Put the quirks just inside the stats middleware (before the app starts)."""
    if plan.active:
        app.middlewares.insert(1, quirks_middleware(plan))
    if plan.http.active:
        app.middlewares.insert(1, http.middleware(plan.http))
