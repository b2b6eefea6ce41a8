"""Payment endpoints: list, detail, status, create, capture, cancel.

See docs/providers/smart2pay.md, sections "Endpoint catalogue", "Payment object" and
"Listing payments".
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from connectors.emulator_kit.stats import ENDPOINT_KEY
from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator import create, query
from connectors.smart2pay.emulator.errors import (
    action_error,
    json_response,
    payment_error,
    reason,
)
from connectors.smart2pay.emulator.faulting import corrupt, page_faults
from connectors.smart2pay.emulator.keys import DATA_KEY, NOTIFY_KEY
from connectors.smart2pay.emulator.lifecycle import Event
from connectors.smart2pay.emulator.paging import Page, select
from connectors.smart2pay.emulator.provider import Smart2PayData
from connectors.smart2pay.emulator.shapes import status_only
from connectors.smart2pay.emulator.state import PaymentNow, cancellable
from connectors.smart2pay.emulator.timefmt import fmt


def page_body(
    root: str, items: list[dict[str, Any]], page: Page[Any], q: query.ListQuery
) -> dict[str, Any]:
    body: dict[str, Any] = {root: items}
    if q.paged:
        total = page.total or 0
        body.update(
            TotalPages=-(-total // q.size),
            PageSize=q.size,
            PageIndex=q.page_index,
            Count=len(items),
            TotalCount=total,
        )
    return body


def not_found(payment_id: str) -> web.Response:
    return payment_error(
        None, [reason(c.PAYMENT_INVALID, f"Payment is invalid - {payment_id}")], status=404
    )


def find(request: web.Request) -> tuple[Smart2PayData, PaymentNow | None, float]:
    data = request.app[DATA_KEY]
    t = data.now()
    raw = request.match_info["id"]
    now = data.payment(int(raw), t) if raw.isdigit() else None
    return data, now, t


async def list_payments(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET payments"
    data = request.app[DATA_KEY]
    try:
        q = query.parse(request.query)
    except query.QueryError as exc:
        return payment_error(None, [reason(exc.code, exc.info)])
    page_faults(request, data, q)
    t = data.now()
    cands = data.payment_candidates(q.start, q.end, t)
    exact = _exact(data, q, t)
    page = select(cands, q, exact)
    items = [data.payment_json(now, "list") for now in page.items]
    items = corrupt(request, data, "payments", items)
    return json_response(page_body("Payments", items, page, q))


def _exact(data: Smart2PayData, q: query.ListQuery, t: float) -> list[PaymentNow] | None:
    """merchantTransactionID / methodTransactionID name at most one payment: look it up."""
    found: list[PaymentNow] = []
    if q.mtid is not None:
        core = data.store.by_mtid(q.mtid)
        now = None if core is None else data.store.at(core, t)
        found = [now] if now is not None else []
    if q.method_tx_id is not None:
        raw = q.method_tx_id
        now = data.payment(int(raw[2:]), t) if raw[:2] == "MT" and raw[2:].isdigit() else None
        ok = now is not None and data.payment_json(now, "list")["MethodTransactionID"] == raw
        match = [now] if ok and now is not None else []
        found = match if q.mtid is None else [x for x in found if x in match]
    if q.mtid is None and q.method_tx_id is None:
        return None
    return found


async def get_payment(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET payment"
    data, now, _ = find(request)
    if now is None:
        return not_found(request.match_info["id"])
    return json_response({"Payment": data.payment_json(now)})


async def get_status(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET payment status"
    _, now, _ = find(request)
    if now is None:
        return not_found(request.match_info["id"])
    return json_response(status_only(now))


async def read_json(request: web.Request, root: str) -> tuple[dict[str, Any] | None, str | None]:
    """The object under `root`, or an error text for malformed JSON / a missing envelope."""
    try:
        body = orjson.loads(await request.read())
    except orjson.JSONDecodeError:
        return None, "Validation failed - request body is not valid JSON"
    if not isinstance(body, dict) or not isinstance(body.get(root), dict):
        return None, f"Missing parameter - {root}"
    return body[root], None


async def create_payment(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "POST payments"
    data = request.app[DATA_KEY]
    p, problem = await read_json(request, "Payment")
    if p is None:
        code = c.VALIDATION_FAILED if "JSON" in (problem or "") else c.MISSING_PARAMETER
        return payment_error(None, [reason(code, problem or "")])
    card = "Card" in p
    reasons = create.common_reasons(p, card) + (create.card_reasons(p.get("Card")) if card else [])
    mtid = p.get("MerchantTransactionID")
    if not reasons and isinstance(mtid, str) and data.store.by_mtid(mtid) is not None:
        info = "Key is duplicated" if card else f"MerchantTransactionID is duplicated - {mtid}"
        reasons = [reason(str(c.MTID_DUPLICATED), info)]
    if reasons:
        invalid = f"i{data.store.new_invalid_id()}" if card else None
        return payment_error(p, reasons, card=card, invalid_request_id=invalid)
    t = int(data.now())
    core, details = create.new_payment(data.settings.seed, data.store.new_id(), t, p)
    data.store.add_payment(core, details)
    now = data.store.at(core, t)
    assert now is not None
    request.app[NOTIFY_KEY](now)
    return json_response({"Payment": data.payment_json(now, "create")}, 201)


async def capture(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "POST payment capture"
    data, now, t = find(request)
    if now is None:
        return not_found(request.match_info["id"])
    core = now.core
    raw = request.query.get("amount")
    amount = core.amount if raw is None else create.amount_of(raw)
    if now.status != c.AUTHORIZED or amount is None or amount > core.amount:
        return _refused(data, now, t)
    if amount == core.amount:
        status = c.CAPTURED if core.card else c.SUCCESS
    else:
        status = c.PARTIALLY_CAPTURED
    return _apply(request, data, now, Event(int(t), status, amount))


async def cancel(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "POST payment cancel"
    data, now, t = find(request)
    if now is None:
        return not_found(request.match_info["id"])
    if not cancellable(now, t):
        return _refused(data, now, t)
    return _apply(request, data, now, Event(int(t), c.CANCELLED, 0 if now.core.card else None))


def _apply(
    request: web.Request, data: Smart2PayData, now: PaymentNow, event: Event
) -> web.Response:
    data.store.add_event(now.core.id, event)
    after = data.store.at(now.core, event.at)
    assert after is not None
    request.app[NOTIFY_KEY](after)
    return json_response({"Payment": data.payment_json(after)})


def _refused(data: Smart2PayData, now: PaymentNow, t: float) -> web.Response:
    return action_error(
        now.core.id,
        fmt(now.core.created),
        now.core.method_id,
        data.settings.site_id,
        fmt(now.notified_at),
        now.status,
        now.core.card,
    )


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/v1/payments{slash:/?}", list_payments)
    r.add_post("/v1/payments{slash:/?}", create_payment)
    r.add_get(r"/v1/payments/{id:[^/]+}", get_payment)
    r.add_get(r"/v1/payments/{id:[^/]+}/status", get_status)
    r.add_post(r"/v1/payments/{id:[^/]+}/capture", capture)
    r.add_post(r"/v1/payments/{id:[^/]+}/cancel", cancel)
