"""GET handlers: lists (with paging faults and malformed records) and details."""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable
from typing import Any

import orjson
from aiohttp import web

from connectors.emulator_kit.faults import RequestFaults, unit
from connectors.smarterpay.emulator import outbound as om
from connectors.smarterpay.emulator import validations
from connectors.smarterpay.emulator.errors import ApiError
from connectors.smarterpay.emulator.listing import ListQuery, matches, page_items, parse_query
from connectors.smarterpay.emulator.resources import LIST_PATHS, OUTBOUND, RESOURCES, Resource
from connectors.smarterpay.emulator.state import MUTATIONS, Emulator
from connectors.smarterpay.emulator.timefmt import parse_filter_time

Record = dict[str, Any]
FAULTS_KEY = "sp_faults"


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(data), status=status, content_type="application/json")


def list_records(emu: Emulator, request: web.Request, name: str) -> web.Response:
    res = LIST_PATHS[name]
    q = parse_query(res, request.query)
    faults: RequestFaults | None = request.get(FAULTS_KEY)
    if faults is not None and res is not OUTBOUND:
        _paging_faults(emu, res, q, faults)
    t = emu.clock.timestamp()
    key = _cache_key(emu, res, request, t)
    if key is not None and (body := emu.pages.get(key)) is not None:
        return web.Response(body=body, content_type="application/json")
    if res is OUTBOUND:
        records = _outbound_page(emu, q, t)
    else:
        records = emu.store.render_items(res, page_items(emu.store, res, q, t), t, False)
    rate = emu.core.faults.plan.malformed
    if rate > 0:
        records = [_maybe_malformed(emu, res, r, rate) for r in records]
    body = orjson.dumps({res.list_key: records})
    if key is not None:
        emu.pages.put(key, body)
    return web.Response(body=body, content_type="application/json")


def _cache_key(emu: Emulator, res: Resource, request: web.Request, t: float) -> Any:
    """What a list body depends on: the query, the clock and the changes so far (the store's
    counter, bumped by every spawn and change, paging faults included: they ran already).
    None (not cached) while the clock runs (every request sees another instant), with
    malformed records injected, and for outbound messages (their own engine)."""
    if res is OUTBOUND or not emu.clock.frozen or emu.core.faults.plan.malformed > 0:
        return None
    return (res.name, tuple(sorted(request.query.items())), t, emu.store.version)


def detail(emu: Emulator, request: web.Request, segment: str, record_id: str) -> web.Response:
    res = next(r for r in LIST_PATHS.values() if r.detail == segment)
    t = emu.clock.timestamp()
    if res is OUTBOUND:
        msg = emu.outbound.find(record_id, t)
        if msg is None:
            raise ApiError(404, f"outboundmessage {record_id!r} not found")
        return json_response({res.detail_key: om.render(emu.ds, msg)})
    item = emu.store.find(res, record_id, t)
    if item is None:
        raise ApiError(404, f"{segment} {record_id!r} not found")
    return json_response({res.detail_key: emu.store.render_item(res, item, t, True)})


def validation(emu: Emulator, record_id: str) -> web.Response:
    """``GET accountvalidation/{ID}``: a detail with no list (documented)."""
    t = emu.clock.timestamp()
    i = validations.mandate_index(emu.ds, record_id, t)
    if i is None:
        raise ApiError(404, f"accountvalidation {record_id!r} not found")
    return json_response({validations.ENVELOPE: emu.validation(i, t)})


def _outbound_page(emu: Emulator, q: ListQuery, t: float) -> list[Record]:
    start = q.created_from
    sent_from = q.raw.get("sent_from")
    if sent_from:
        try:
            start = max(start or 0, parse_filter_time(sent_from) + 1)
        except ValueError:
            raise ApiError(
                400, f"sent_from must be YYYY-MM-DD HH:MM:SS, got {sent_from!r}"
            ) from None
    # Ordered by the messages' own id and time (created_at is the time), and only the page
    # rendered: rendering every message for every page made a census of the feed quadratic.
    if q.sort_field == "id" and not q.filters:
        ordered = emu.outbound.by_id(start, q.created_to, t)
        lo, hi = q.offset, q.offset + q.limit
        if q.desc:  # the same slice counted from the end, without reversing the whole feed
            lo, hi = max(0, len(ordered) - hi), max(0, len(ordered) - lo)
        page = ordered[lo:hi]
        return [om.render(emu.ds, m) for m in (page[::-1] if q.desc else page)]
    messages: Iterable[om.Message] = emu.outbound.stream(start, q.created_to, t)
    if q.filters:  # they read rendered fields
        messages = (m for m in messages if matches(om.render(emu.ds, m), q.filters))
    if q.sort_field == "id":
        pick = heapq.nlargest if q.desc else heapq.nsmallest
        page = pick(q.offset + q.limit, messages, key=lambda m: m.id)[q.offset :]
    elif q.desc:
        page = heapq.nlargest(q.offset + q.limit, messages, key=lambda m: (m.ts, m.id))
        page = page[q.offset :]
    else:
        page = list(itertools.islice(messages, q.offset, q.offset + q.limit))
    return [om.render(emu.ds, m) for m in page]


def _paging_faults(emu: Emulator, res: Resource, q: ListQuery, faults: RequestFaults) -> None:
    """Records inserted, changed or back-dated while a client pages through a window."""
    if res.name not in MUTATIONS:
        return
    now = emu.clock.timestamp()
    if faults.insert_while_paging:
        emu.spawn(res, now)
    if faults.change_while_paging:
        emu.mutate(res.name, 1)
    if faults.late_arrival:
        lo = q.created_from if q.created_from is not None else emu.ds.start
        hi = min(q.created_to if q.created_to is not None else now, now)
        if hi > lo:
            at = lo + unit(emu.ds.seed, "late", res.name, faults.number) * (hi - lo)
            emu.spawn(res, at)


def _maybe_malformed(emu: Emulator, res: Resource, record: Record, rate: float) -> Record:
    rid = str(record.get(res.item_id_key, ""))
    decider = emu.core.faults.decider
    if not decider.chance(rate, "malformed", res.name, rid):
        return record
    bad = dict(record)
    variant = int(unit(decider.plan.seed, "malformed-kind", res.name, rid) * 4)
    if variant == 0 and "sort_code" in bad:
        bad["sort_code"] = "12-34X"
    elif variant <= 1 and "amount" in bad:
        bad["amount"] = "12.5O"
    elif variant <= 2:
        bad.pop(res.item_id_key, None)
    else:
        bad["x_unannounced_field"] = {"nested": True}
    return bad


__all__ = ["RESOURCES", "detail", "json_response", "list_records"]
