"""Data faults on list requests: records inserted or changed while a client pages, late
(back-dated) arrivals, and malformed records in served pages (never in the truth export)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from connectors.emulator_kit.faults import RequestFaults
from connectors.emulator_kit.lazy import record_rng
from connectors.smart2pay.emulator.keys import CORE_KEY
from connectors.smart2pay.emulator.middleware import FAULTS_KEY
from connectors.smart2pay.emulator.provider import Smart2PayData
from connectors.smart2pay.emulator.query import ListQuery

CORRUPTIONS = ("amount", "id", "created", "field")


def page_faults(request: web.Request, data: Smart2PayData, q: ListQuery) -> None:
    faults: RequestFaults | None = request.get(FAULTS_KEY)
    if faults is None:
        return
    t = int(data.now())
    rng = record_rng(data.settings.seed, "page-faults", faults.number)
    if faults.insert_while_paging:
        data.insert_payment(t)
    if faults.late_arrival:
        lo = q.start if q.start is not None else data.anchor - 86400
        hi = min(q.end if q.end is not None else t, t)
        data.insert_payment(rng.randint(min(lo, hi), hi))
    if faults.change_while_paging:
        window = data.history.times.index_range(q.start, min(q.end or t, t))
        for _ in range(10):  # some records cannot move (already final); try a few
            if window and data.change_payment(window[rng.randint(0, len(window) - 1)], t):
                break


def corrupt(
    request: web.Request, data: Smart2PayData, resource: str, items: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    faults = request.app[CORE_KEY].faults
    rate = faults.plan.malformed
    if not rate or FAULTS_KEY not in request:
        return items
    decider = faults.decider
    out = []
    for item in items:
        key = item.get("ID")
        if decider.chance(rate, "malformed", resource, key):
            item = dict(item)
            pick = record_rng(data.settings.seed, "malformed", int(key or 0))
            kind = CORRUPTIONS[pick.randint(0, 3)]
            if kind == "amount":
                item["Amount"] = "12,5x"
            elif kind == "id":
                item.pop("ID", None)
            elif kind == "created":
                item["Created"] = "2016-13-45 25:61"
            else:
                item["UnexpectedNewField"] = {"Added": True}
        out.append(item)
    return out
