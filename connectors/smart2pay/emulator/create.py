"""Create-request validation and the records it produces.

Returns either a record or the list of Reasons; handlers turn Reasons into the documented
400 envelopes. Card numbers are masked here and never stored, logged or echoed in full.

Reference: docs/providers/smart2pay.md, "Create rules".
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Any

from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator.details import ADDRESS_KEYS, CUSTOMER_KEYS, mask_card
from connectors.smart2pay.emulator.errors import reason
from connectors.smart2pay.emulator.lifecycle import Event, Lifecycle
from connectors.smart2pay.emulator.payments import CREATED, PaymentCore, generate
from connectors.smart2pay.emulator.query import ID_PATTERN

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
DECLINED_CARD = "4000000000000002"  # test number that always fails (INFERRED convention)


def amount_of(value: Any) -> int | None:
    """Amounts arrive as JSON integers or numeric strings (`"100"`); 1..12 digits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 10**12 else None
    if isinstance(value, str) and value.isdigit() and 0 < len(value) <= 12 and int(value) > 0:
        return int(value)
    return None


def common_reasons(p: dict[str, Any], card: bool) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    mtid = p.get("MerchantTransactionID")
    if mtid is None:
        out.append(reason(c.MISSING_PARAMETER, "Missing parameter - MerchantTransactionID"))
    elif not isinstance(mtid, str) or not ID_PATTERN.match(mtid):
        out.append(reason(c.VALIDATION_FAILED, "Validation failed - MerchantTransactionID"))
    if p.get("Amount") is None:
        out.append(reason(c.MISSING_PARAMETER, "Missing parameter - Amount"))
    elif amount_of(p.get("Amount")) is None:
        out.append(reason(c.AMOUNT_INVALID, "Amount invalid"))
    currency = p.get("Currency")
    if currency is None:
        out.append(reason(c.MISSING_PARAMETER, "Missing parameter - Currency"))
    elif currency not in c.ISO_CURRENCIES:
        out.append(reason(c.CURRENCY_INVALID, "Currency is invalid"))
    if not card and not p.get("ReturnURL"):
        out.append(reason(c.MISSING_PARAMETER, "Missing parameter - ReturnURL"))
    method = p.get("MethodID")
    if method is not None and (not isinstance(method, int) or method not in c.METHODS_BY_ID):
        out.append(reason(c.METHOD_INVALID, "Method is invalid"))
    billing = p.get("BillingAddress")
    country = billing.get("Country") if isinstance(billing, dict) else None
    if country is not None and (
        not isinstance(country, str) or country.upper() not in c.ISO_COUNTRIES
    ):
        out.append(reason(c.COUNTRY_INVALID, "Country is invalid"))
    customer = p.get("Customer")
    email = customer.get("Email") if isinstance(customer, dict) else None
    if email is not None and (not isinstance(email, str) or not EMAIL.match(email)):
        out.append(reason(102, "Customer email is invalid"))
    return out


def card_reasons(card: Any) -> list[dict[str, Any]]:
    if not isinstance(card, dict):
        return [reason(c.MISSING_PARAMETER, "Missing parameter - Card")]
    number = str(card.get("Number") or "")
    checks = (
        ("Number", number.isdigit() and 16 <= len(number) <= 19),
        (
            "HolderName",
            isinstance(card.get("HolderName"), str)
            and not any(ch.isdigit() for ch in card["HolderName"]),
        ),
        ("ExpirationMonth", str(card.get("ExpirationMonth")) in {f"{m:02d}" for m in range(1, 13)}),
        (
            "ExpirationYear",
            re.fullmatch(r"\d{2}|\d{4}", str(card.get("ExpirationYear"))) is not None,
        ),
        (
            "SecurityCode",
            card.get("SecurityCode") is None
            or re.fullmatch(r"\d{3,4}", str(card.get("SecurityCode"))) is not None,
        ),
    )
    return [
        reason(c.VALIDATION_FAILED, f"Validation failed - Card.{name}")
        for name, ok in checks
        if not ok
    ]


def new_payment(
    seed: int, pid: int, t: int, p: dict[str, Any]
) -> tuple[PaymentCore, dict[str, Any]]:
    card = isinstance(p.get("Card"), dict)
    method_id = c.CARD_METHOD_ID if card else p.get("MethodID")
    amount = amount_of(p["Amount"])
    assert amount is not None
    core = generate(
        seed,
        (CREATED, pid),
        pid,
        t,
        p["MerchantTransactionID"],
        None,
        method_id,
        (amount, p["Currency"]),
    )
    billing = _obj(p.get("BillingAddress"), ADDRESS_KEYS, pid)
    core = replace(
        core,
        description=_str(p.get("Description")),
        method_id=method_id,
        skin_id=None,
        method_option_id=None,
        country=(billing or {}).get("Country") or core.country,
        capture=bool(p.get("Capture", True)) if card else None,
        token_lifetime=None if card else p.get("TokenLifetime") or 10,
    )
    if card:
        declined = str(p["Card"].get("Number")) == DECLINED_CARD
        status = c.FAILED if declined else (c.CAPTURED if core.capture else c.AUTHORIZED)
        captured = amount if status == c.CAPTURED else 0
        core = replace(core, life=Lifecycle((Event(t, status, captured),), None))
    details = {
        "ClientIP": None,
        "ReturnURL": _str(p.get("ReturnURL")),
        "StatementDescriptor": _str(p.get("StatementDescriptor")),
        "Customer": _obj(p.get("Customer"), CUSTOMER_KEYS, 400 + pid % 10**6),
        "BillingAddress": billing,
        "ShippingAddress": _obj(p.get("ShippingAddress"), ADDRESS_KEYS, pid + 1),
        "Articles": p.get("Articles") if isinstance(p.get("Articles"), list) else None,
        "Details": None,
        "ReferenceDetails": None,
        "Card": mask_card(p["Card"], ok=True) if card else None,
        "RedirectURL": None
        if card
        else f"https://apitest.smart2pay.com/Home?PaymentToken={pid:032X}.{pid}",
    }
    return core, details


def _obj(value: Any, keys: tuple[str, ...], new_id: int) -> dict[str, Any] | None:
    """Keep only documented keys with scalar values; the provider assigns the object ID."""
    if not isinstance(value, dict):
        return None
    out = {k: value.get(k) if isinstance(value.get(k), str | int | None) else None for k in keys}
    out["ID"] = new_id
    if out.get("Country"):
        out["Country"] = str(out["Country"]).upper()
    return out


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None
