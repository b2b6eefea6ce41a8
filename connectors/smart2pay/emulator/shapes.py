"""JSON shapes of payments, key for key and in the order of the SEED-S2P samples.

Views: `detail` (GET, capture, cancel, notification, truth), `create` (201 body: adds ClientIP
and OriginatorTransactionID for redirect methods, as the create sample does) and `list`
(the "limited details" of list items: nested objects, URLs and lifetimes null).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator.details import generated_details
from connectors.smart2pay.emulator.state import PaymentNow, PaymentStore
from connectors.smart2pay.emulator.timefmt import fmt

# Statuses after which the method provider's transaction id is known.
HAS_METHOD_TX = frozenset({2, 9, 11, 19, 21, 22, 23, 26, 35})
LIST_NULLED = (
    "Customer",
    "BillingAddress",
    "ShippingAddress",
    "Articles",
    "Details",
    "ReferenceDetails",
    "TokenLifetime",
    "RedirectURL",
    "Card",
    "CreditCardToken",
    "PaymentTokenLifetime",
    "ClientIP",
)


@dataclass(frozen=True)
class ShapeOptions:
    site_id: int
    seed: int
    string_amounts: bool = False  # newer docs show "Amount": "100"

    def amount(self, value: int | None) -> int | str | None:
        if value is None or not self.string_amounts:
            return value
        return str(value)


def status_obj(
    status_id: int | None, card: bool, reasons: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    """Card samples carry `Reasons: []`, redirect-method samples `null` when there are none."""
    if reasons is None:
        reasons_out: list[dict[str, Any]] | None = [] if card else None
    else:
        reasons_out = reasons
    info = None if status_id is None else c.STATUS_INFO.get(status_id, "Unknown")
    return {"ID": status_id, "Info": info, "Reasons": reasons_out}


def method_tx_id(now: PaymentNow) -> str | None:
    return f"MT{now.core.id}" if now.status in HAS_METHOD_TX else None


def payment(
    now: PaymentNow, store: PaymentStore, opts: ShapeOptions, view: str = "detail"
) -> dict[str, Any]:
    core = now.core
    if view == "list":
        extra: dict[str, Any] = dict.fromkeys(LIST_NULLED)
        extra["ReturnURL"] = "http://demo.smart2pay.com/redirect.php"
        extra["StatementDescriptor"] = None
    else:
        extra = store.request_details(core) or generated_details(opts.seed, core)
    base = {
        "ID": core.id,
        "SkinID": core.skin_id,
        "Created": fmt(core.created),
        "MerchantTransactionID": core.mtid,
        "Amount": opts.amount(core.amount),
        "Currency": core.currency,
        "ReturnURL": extra.get("ReturnURL"),
        "Description": core.description,
        "MethodID": core.method_id,
        "MethodOptionID": core.method_option_id,
        "SiteID": opts.site_id,
        "NotificationDateTime": fmt(now.notified_at),
        "Customer": extra.get("Customer"),
        "BillingAddress": extra.get("BillingAddress"),
        "ShippingAddress": extra.get("ShippingAddress"),
        "Articles": extra.get("Articles"),
        "Status": status_obj(now.status, core.card),
        "MethodTransactionID": method_tx_id(now),
        "Capture": core.capture,
        "RedirectURL": extra.get("RedirectURL"),
    }
    if core.card:
        return _card(base, now, extra, opts)
    return _redirect(base, core, extra, view)


def _redirect(base: dict[str, Any], core: Any, extra: dict[str, Any], view: str) -> dict[str, Any]:
    out = {"ID": base["ID"], "SkinID": base["SkinID"]}
    if view == "create":
        out["ClientIP"] = extra.get("ClientIP")
    out["Created"] = base["Created"]
    out["MerchantTransactionID"] = base["MerchantTransactionID"]
    if view == "create":
        out["OriginatorTransactionID"] = None
    for key in ("Amount", "Currency", "ReturnURL", "Description", "MethodID", "MethodOptionID"):
        out[key] = base[key]
    out.update(IncludeMethodIDs=None, ExcludeMethodIDs=None, PrioritizeMethodIDs=None)
    for key in (
        "SiteID",
        "NotificationDateTime",
        "Customer",
        "BillingAddress",
        "ShippingAddress",
        "Articles",
    ):
        out[key] = base[key]
    out["Details"] = extra.get("Details")
    out["ReferenceDetails"] = extra.get("ReferenceDetails")
    out["CustomParameters"] = None
    out["PreapprovalID"] = core.preapproval_id
    out["Status"] = base["Status"]
    out["MethodTransactionID"] = base["MethodTransactionID"]
    out["TokenLifetime"] = None if view == "list" else core.token_lifetime
    out["Capture"] = base["Capture"]
    out["RedirectURL"] = base["RedirectURL"]
    return out


def _card(
    base: dict[str, Any], now: PaymentNow, extra: dict[str, Any], opts: ShapeOptions
) -> dict[str, Any]:
    return {
        "ID": base["ID"],
        "ClientIP": extra.get("ClientIP"),
        "SkinID": base["SkinID"],
        "Created": base["Created"],
        "MerchantTransactionID": base["MerchantTransactionID"],
        "OriginatorTransactionID": None,
        "Amount": base["Amount"],
        "Currency": base["Currency"],
        "CapturedAmount": opts.amount(now.captured or 0),
        "ReturnURL": base["ReturnURL"],
        "Description": base["Description"],
        "StatementDescriptor": extra.get("StatementDescriptor"),
        "MethodID": base["MethodID"],
        "MethodOptionID": base["MethodOptionID"],
        "SiteID": base["SiteID"],
        "NotificationDateTime": base["NotificationDateTime"],
        "Customer": base["Customer"],
        "BillingAddress": base["BillingAddress"],
        "ShippingAddress": base["ShippingAddress"],
        "Articles": base["Articles"],
        "Card": extra.get("Card"),
        "CreditCardToken": None,
        # Not in the card samples, but recurring card payments must name their preapproval.
        "PreapprovalID": now.core.preapproval_id,
        "Status": base["Status"],
        "MethodTransactionID": base["MethodTransactionID"],
        "PaymentTokenLifetime": None,
        "Capture": base["Capture"],
        "Retry": not now.core.capture,
        "RedirectURL": None,
        "3DSecure": None,
    }


def status_only(now: PaymentNow) -> dict[str, Any]:
    return {
        "Payment": {
            "ID": now.core.id,
            "MerchantTransactionID": now.core.mtid,
            "Status": status_obj(now.status, now.core.card),
        }
    }
