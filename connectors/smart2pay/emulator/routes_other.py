"""Refunds (per payment), preapprovals, payouts and methods.

See docs/providers/smart2pay.md, sections "Refunds", "Preapprovals", "Payouts" and "Methods".
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from connectors.emulator_kit.stats import ENDPOINT_KEY
from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator import create, others, query
from connectors.smart2pay.emulator.errors import envelope_error, json_response, reason
from connectors.smart2pay.emulator.faulting import corrupt
from connectors.smart2pay.emulator.keys import DATA_KEY, NOTIFY_KEY
from connectors.smart2pay.emulator.lifecycle import PAID, RefundPlan
from connectors.smart2pay.emulator.paging import select
from connectors.smart2pay.emulator.routes_payments import find, not_found, page_body, read_json
from connectors.smart2pay.emulator.state import refund_id

REFUND_KEYS = (
    "ID",
    "Created",
    "MerchantTransactionID",
    "OriginatorTransactionID",
    "InitialPaymentID",
    "Amount",
    "Currency",
    "Description",
    "TypeID",
    "SiteID",
    "Details",
    "Customer",
    "BillingAddress",
    "BankAddress",
    "Articles",
    "Status",
    "SplitID",
    "StatementDescriptor",
    "MethodTransactionID",
)
REFUND_SETTLE_S = 60  # API refunds succeed a minute later (INFERRED)


def _bad(
    root: str, keys: tuple[str, ...], code: int | str, info: str, status: int = 400
) -> web.Response:
    return envelope_error(root, keys, [reason(code, info)], status)


async def list_refunds(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET payment refunds"
    data, now, t = find(request)
    if now is None:
        return not_found(request.match_info["id"])
    items = [
        others.refund_shape(now.core, refund_id(now.core, r), r, t, data.opts, False)
        for r in now.refunds
    ]
    return json_response({"Refunds": corrupt(request, data, "refunds", items)})


async def get_refund(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET payment refund"
    data, now, t = find(request)
    rid = request.match_info["rid"]
    if now is not None:
        for r in now.refunds:
            if str(refund_id(now.core, r)) == rid:
                details = data.details(now)
                body = others.refund_shape(now.core, int(rid), r, t, data.opts, True, details)
                return json_response({"Refund": body})
    return _bad("Refund", REFUND_KEYS, c.REFUND_INVALID, f"Refund is invalid - {rid}", 404)


async def create_refund(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "POST payment refunds"
    data, now, t = find(request)
    if now is None:
        return not_found(request.match_info["id"])
    body, problem = await read_json(request, "Refund")
    if body is None:
        return _bad("Refund", REFUND_KEYS, c.VALIDATION_FAILED, problem or "")
    amount = create.amount_of(body.get("Amount"))
    mtid = body.get("MerchantTransactionID")
    if amount is None:
        return _bad("Refund", REFUND_KEYS, c.AMOUNT_INVALID, "Amount invalid")
    if mtid is not None and (not isinstance(mtid, str) or not query.ID_PATTERN.match(mtid)):
        return _bad(
            "Refund", REFUND_KEYS, c.VALIDATION_FAILED, "Validation failed - MerchantTransactionID"
        )
    if now.status not in PAID | {c.PARTIALLY_REFUNDED}:
        return _bad("Refund", REFUND_KEYS, c.PAYMENT_INVALID, f"Payment is invalid - {now.core.id}")
    paid = now.captured if now.captured else now.core.amount
    taken = sum(r.amount for r in now.refunds if r.success or t < r.settled_at)
    if amount > paid - taken:
        return _bad(
            "Refund",
            REFUND_KEYS,
            str(c.REFUND_AMOUNT_EXCEEDED),
            "Refund.Amount exceeds initial payment available amount",
        )
    desc = body.get("Description") if isinstance(body.get("Description"), str) else None
    plan = RefundPlan(0, int(t), amount, int(t) + REFUND_SETTLE_S, True, desc, mtid)
    stored = data.store.add_refund(now.core, plan)
    after = data.store.at(now.core, t)
    assert after is not None
    request.app[NOTIFY_KEY](after)
    shape = others.refund_shape(
        now.core, refund_id(now.core, stored), stored, t, data.opts, True, data.details(now)
    )
    return json_response({"Refund": shape}, 201)


def _limit(request: web.Request) -> tuple[int, int]:
    """Preapproval lists document only `limit` (default 50); `offset` as for payments."""
    q = query.parse({k: v for k, v in request.query.items() if k.lower() in ("limit", "offset")})
    return q.skip, q.size


async def list_preapprovals(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET preapprovals"
    data = request.app[DATA_KEY]
    try:
        skip, size = _limit(request)
    except query.QueryError as exc:
        return _bad("Preapproval", PRE_KEYS, exc.code, exc.info)
    t = data.now()
    ids = list(reversed(data.preapproval_ids(t)))[skip : skip + size]
    items = [
        others.preapproval_shape(p, t, data.opts, False)
        for p in (data.preapproval(i) for i in ids)
        if p is not None
    ]
    return json_response({"Preapprovals": corrupt(request, data, "preapprovals", items)})


async def get_preapproval(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET preapproval"
    data = request.app[DATA_KEY]
    raw = request.match_info["id"]
    t = data.now()
    p = data.preapproval(int(raw)) if raw.isdigit() else None
    if p is None or p.created > t:
        return _bad("Preapproval", PRE_KEYS, 12, f"Preapproval is invalid - {raw}", 404)
    return json_response({"Preapproval": others.preapproval_shape(p, t, data.opts, True)})


async def preapproval_payments(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET preapproval payments"
    data = request.app[DATA_KEY]
    raw = request.match_info["id"]
    t = data.now()
    p = data.preapproval(int(raw)) if raw.isdigit() else None
    if p is None or p.created > t:
        return _bad("Preapproval", PRE_KEYS, 12, f"Preapproval is invalid - {raw}", 404)
    try:
        q = query.parse(request.query)
    except query.QueryError as exc:
        return _bad("Preapproval", PRE_KEYS, exc.code, exc.info)
    found = []
    j = p.id - others.PREAPPROVAL_BASE
    if j < len(data.history.preapprovals):
        for i in data.history.payments_of_preapproval(j):
            core = data.history.core(i)
            now = data.store.at(core, t) if core.preapproval_id == p.id else None
            if now is not None:
                found.append(now)
    found.reverse()  # ID descending, as payment lists
    page = select(data.payment_candidates(None, None, t), q, found)
    items = [data.payment_json(now, "list") for now in page.items]
    return json_response(page_body("Payments", items, page, q))


PRE_KEYS = (
    "ID",
    "Created",
    "MethodID",
    "MethodOptionID",
    "SiteID",
    "MerchantPreapprovalID",
    "RecurringPeriod",
    "PreapprovedMaximumAmount",
    "Currency",
    "PreapprovedFrequency",
    "ReturnURL",
    "Description",
    "RedirectURL",
    "MandateReference",
    "Customer",
    "BillingAddress",
    "Details",
    "Status",
)
PAYOUT_KEYS = (
    "InvalidRequestID",
    "ID",
    "SiteID",
    "Created",
    "MethodID",
    "MerchantTransactionID",
    "OriginatorTransactionID",
    "Amount",
    "Currency",
    "Description",
    "StatementDescriptor",
    "Status",
    "Customer",
    "BillingAddress",
    "Details",
    "MethodTransactionID",
)


async def list_payouts(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET payouts"
    data = request.app[DATA_KEY]
    try:
        q = query.parse(request.query)
    except query.QueryError as exc:
        return _bad("Payout", PAYOUT_KEYS, exc.code, exc.info)
    t = data.now()
    exact: list[Any] | None = None
    if q.mtid is not None or q.method_tx_id is not None:
        exact = [(p, t) for p in _payout_by_keys(data, q, t)]
    page = select(data.payout_candidates(q.start, q.end, t), q, exact)
    items = [others.payout_shape(p, t, data.opts, False) for p, _ in page.items]
    items = corrupt(request, data, "payouts", items)
    return json_response(page_body("Payouts", items, page, q))


def _payout_by_keys(data: Any, q: query.ListQuery, t: float) -> list[others.Payout]:
    out = []
    prefix = f"po{data.settings.seed}-"
    if q.mtid is not None and q.mtid.startswith(prefix) and q.mtid[len(prefix) :].isdigit():
        p = data.payout(others.PAYOUT_BASE + int(q.mtid[len(prefix) :]))
        out = [p] if p is not None and p.mtid == q.mtid else []
    if q.method_tx_id is not None:
        raw = q.method_tx_id
        p = data.payout(int(raw[2:])) if raw[:2] == "PT" and raw[2:].isdigit() else None
        ok = p is not None and others.current(p.events, t) == 2
        match = [p] if ok else []
        out = match if q.mtid is None else [x for x in out if x in match]
    return [p for p in out if p.created <= t]


async def get_payout(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET payout"
    data = request.app[DATA_KEY]
    raw = request.match_info["id"]
    t = data.now()
    p = data.payout(int(raw)) if raw.isdigit() else None
    if p is None or p.created > t:
        return _bad("Payout", PAYOUT_KEYS, c.PAYMENT_INVALID, f"Payout is invalid - {raw}", 404)
    shape = others.payout_shape(p, t, data.opts, True)
    if request.path.rstrip("/").endswith("/status"):
        shape = {k: shape[k] for k in ("ID", "MerchantTransactionID", "Status")}
    return json_response({"Payout": shape})


async def list_methods(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET methods"
    country = request.query.get("country")
    if country is not None and country.upper() not in c.ISO_COUNTRIES:
        return _bad("Method", ("ID",), c.COUNTRY_INVALID, "Country is invalid")
    full = request.query.get("additionalDetails", "").lower() == "true"
    methods = [m for m in c.METHODS if country is None or country.upper() in m.countries]
    return json_response({"Methods": [others.method_shape(m, full) for m in methods]})


async def get_method(request: web.Request) -> web.Response:
    request[ENDPOINT_KEY] = "GET method"
    raw = request.match_info["id"]
    method = c.METHODS_BY_ID.get(int(raw)) if raw.isdigit() else None
    if method is None:
        return _bad("Method", ("ID",), c.METHOD_INVALID, "Method is invalid", 404)
    return json_response({"Method": others.method_shape(method, True)})


def add_routes(app: web.Application) -> None:
    r = app.router
    r.add_get(r"/v1/payments/{id:\d+}/refunds", list_refunds)
    r.add_post(r"/v1/payments/{id:\d+}/refunds", create_refund)
    r.add_get(r"/v1/payments/{id:\d+}/refunds/{rid:[^/]+}", get_refund)
    r.add_get("/v1/preapprovals{slash:/?}", list_preapprovals)
    r.add_get(r"/v1/preapprovals/{id:[^/]+}", get_preapproval)
    r.add_get(r"/v1/preapprovals/{id:[^/]+}/payments", preapproval_payments)
    r.add_get("/v1/payouts{slash:/?}", list_payouts)
    r.add_get(r"/v1/payouts/{id:[^/]+}", get_payout)
    r.add_get(r"/v1/payouts/{id:[^/]+}/status", get_payout)
    r.add_get("/v1/methods{slash:/?}", list_methods)
    r.add_get("/v1/methods/assigned", list_methods)
    r.add_get(r"/v1/methods/{id:[^/]+}", get_method)
