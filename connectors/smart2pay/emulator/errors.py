"""Error bodies: the resource envelope echoing the request, with `Status.Reasons` (SEED-S2P).

Create errors carry `Status.ID/Info` null; capture/cancel errors carry the payment's current
status. Card numbers in echoes are always masked (`Ends with 1111`), the CVV dropped.
"""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator.details import CUSTOMER_KEYS, mask_card
from connectors.smart2pay.emulator.shapes import status_obj

ALT_KEYS = (
    "ID",
    "SkinID",
    "ClientIP",
    "Created",
    "MerchantTransactionID",
    "OriginatorTransactionID",
    "Amount",
    "Currency",
    "ReturnURL",
    "Description",
    "MethodID",
    "MethodOptionID",
    "IncludeMethodIDs",
    "ExcludeMethodIDs",
    "PrioritizeMethodIDs",
    "SiteID",
    "NotificationDateTime",
    "Customer",
    "BillingAddress",
    "ShippingAddress",
    "Articles",
    "Details",
    "ReferenceDetails",
    "CustomParameters",
    "PreapprovalID",
    "Status",
    "MethodTransactionID",
    "TokenLifetime",
    "Capture",
    "RedirectURL",
)
# The GET/list/capture samples lack the two request-only keys the create sample shows.
ALT_GET_KEYS = tuple(k for k in ALT_KEYS if k not in ("ClientIP", "OriginatorTransactionID"))
CARD_KEYS = (
    "InvalidRequestID",
    "ID",
    "ClientIP",
    "SkinID",
    "Created",
    "MerchantTransactionID",
    "OriginatorTransactionID",
    "Amount",
    "Currency",
    "CapturedAmount",
    "ReturnURL",
    "Description",
    "StatementDescriptor",
    "MethodID",
    "MethodOptionID",
    "SiteID",
    "NotificationDateTime",
    "Customer",
    "BillingAddress",
    "ShippingAddress",
    "Articles",
    "Card",
    "CreditCardToken",
    "Status",
    "MethodTransactionID",
    "PaymentTokenLifetime",
    "Capture",
    "Retry",
    "RedirectURL",
    "3DSecure",
)
ECHOED = (
    "MerchantTransactionID",
    "OriginatorTransactionID",
    "Amount",
    "Currency",
    "ReturnURL",
    "Description",
    "MethodID",
    "MethodOptionID",
    "StatementDescriptor",
    "Capture",
    "PreapprovalID",
)
JSON = "application/json; charset=utf-8"


def reason(code: int | str, info: str) -> dict[str, Any]:
    return {"Code": code, "Info": info}


def json_response(data: Any, status: int = 200) -> web.Response:
    response = web.Response(body=orjson.dumps(data), status=status)
    response.headers["Content-Type"] = JSON
    return response


def payment_error(
    request_payment: dict[str, Any] | None,
    reasons: list[dict[str, Any]],
    *,
    card: bool = False,
    invalid_request_id: str | None = None,
    status: int = 400,
) -> web.Response:
    """A create/list error: the request echoed into the payment shape, Status ID/Info null."""
    echo = request_payment if isinstance(request_payment, dict) else {}
    body: dict[str, Any] = dict.fromkeys(CARD_KEYS if card else ALT_KEYS)
    for key in ECHOED:
        if key in body and _scalar(echo.get(key)):
            body[key] = echo.get(key)
    customer = echo.get("Customer")
    if isinstance(customer, dict):
        body["Customer"] = {
            k: customer.get(k) if _scalar(customer.get(k)) else None for k in CUSTOMER_KEYS
        }
    if card:
        body["InvalidRequestID"] = invalid_request_id
        body["MethodID"] = c.CARD_METHOD_ID
        body["CapturedAmount"] = 0
        body["Retry"] = False
        raw_card = echo.get("Card")
        body["Card"] = mask_card(raw_card, ok=False) if isinstance(raw_card, dict) else None
    body["Status"] = status_obj(None, card, reasons)
    return json_response({"Payment": body}, status)


def action_error(
    payment_id: int,
    created: str | None,
    method_id: int | None,
    site_id: int,
    notified: str | None,
    status_id: int,
    card: bool,
) -> web.Response:
    """Refused capture/cancel: most fields null, Status = current status + code 17."""
    body: dict[str, Any] = dict.fromkeys(CARD_KEYS[1:] if card else ALT_GET_KEYS)
    body.update(
        ID=payment_id,
        Created=created,
        MethodID=method_id,
        SiteID=site_id,
        NotificationDateTime=notified,
    )
    reasons = [reason(c.PAYMENT_INVALID, f"Payment is invalid - {payment_id}")]
    body["Status"] = status_obj(status_id, card, reasons)
    return json_response({"Payment": body}, 400)


def envelope_error(
    root: str,
    keys: tuple[str, ...],
    reasons: list[dict[str, Any]],
    status: int = 400,
    echo: dict[str, Any] | None = None,
) -> web.Response:
    """Errors of the other resources (Refund, Preapproval, Payout, Method): same pattern."""
    body: dict[str, Any] = dict.fromkeys(keys)
    for key, value in (echo or {}).items():
        if key in body and key != "Status" and _scalar(value):
            body[key] = value
    body["Status"] = {"ID": None, "Info": None, "Reasons": reasons}
    return json_response({root: body}, status)


def unauthorized() -> web.Response:
    # Body NOT FOUND in the docs; the documented message, in the provider's JSON style.
    response = json_response({"Message": "No valid authorization header provided"}, 401)
    response.headers["WWW-Authenticate"] = 'Basic realm="GlobalPay"'
    return response


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)
