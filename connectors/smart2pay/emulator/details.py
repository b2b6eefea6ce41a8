"""Detail-only payment fields (customer, addresses, articles, card mask), generated on demand.

Only detail GETs, creates, notifications and the truth export pay for these; list pages do not.
"""

from __future__ import annotations

import hashlib
import random
from typing import Any

from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator.payments import PaymentCore

FIRST = ("John", "Maria", "Example", "Ana", "Lars", "Wei", "Sofia", "Omar", "Eva", "Paul")
LAST = ("Doe", "Test", "Popescu", "Jansen", "Silva", "Berg", "Li", "Novak", "Kaya", "Smith")
CITIES = ("Iasi", "Ankeborg", "Amsterdam", "Berlin", "Sao Paulo", "Shanghai", "Paris", "London")
STREETS = ("Sf Lazar", "Stargatan", "Main Street", "Kerkstraat", "Rua Augusta", "Hauptstr")
BRANDS = (("VISA", "1111"), ("VISA", "4242"), ("MASTERCARD", "4444"), ("AMEX", "8431"))
CUSTOMER_KEYS = (
    "ID",
    "MerchantCustomerID",
    "Email",
    "FirstName",
    "LastName",
    "Gender",
    "SocialSecurityNumber",
    "Phone",
    "Company",
    "DateOfBirth",
)
ADDRESS_KEYS = (
    "ID",
    "City",
    "ZipCode",
    "State",
    "Street",
    "StreetNumber",
    "HouseNumber",
    "HouseExtension",
    "Country",
)
REFERENCE_KEYS = (
    "BankCode",
    "BankName",
    "EntityID",
    "EntityNumber",
    "ReferenceID",
    "ReferenceNumber",
    "SwiftBIC",
    "AccountCurrency",
    "AccountNumber",
    "AccountHolder",
    "IBAN",
    "QRCodeURL",
)
DETAILS_KEYS = (
    "BankCode",
    "AccountNumber",
    "IBAN",
    "BIC",
    "EntityID",
    "ReferenceID",
    "EntityNumber",
    "ReferenceNumber",
    "AccountHolder",
    "BankName",
    "BankSortCode",
    "SocialSecurityNumber",
    "SWIFT_BIC",
    "AccountCurrency",
    "PayerCountry",
    "PayerEmail",
    "PayerPhone",
    "CustomerLoginID",
    "PaidAmount",
    "PaidCurrency",
    "IsMobileApp",
    "IsOffline",
)


def generated_details(seed: int, core: PaymentCore) -> dict[str, Any]:
    rng = random.Random(f"{seed}:{core.rng_key[0]}:detail:{core.rng_key[1]}")
    first, last = rng.choice(FIRST), rng.choice(LAST)
    billing = address(rng, core.country)
    out: dict[str, Any] = {
        "ClientIP": f"10.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randrange(1, 255)}",
        "ReturnURL": "http://demo.smart2pay.com/redirect.php",
        "StatementDescriptor": rng.choice((None, "bank statement message")),
        "Customer": customer(rng, first, last),
        "BillingAddress": billing,
        "ShippingAddress": rng.choice((None, billing, address(rng, core.country))),
        "Articles": articles(rng, core.amount) if rng.random() < 0.4 else None,
        "Details": None,
        "ReferenceDetails": None,
        "Card": None,
        "RedirectURL": None,
    }
    if core.card:
        brand, last4 = rng.choice(BRANDS)
        out["Card"] = {
            "HolderName": f"{first} {last}",
            "Number": f"{brand}-{last4}",
            "ExpirationMonth": f"{rng.randint(1, 12):02d}",
            "ExpirationYear": str(rng.randint(2026, 2031)),
        }
    else:
        token = hashlib.md5(f"{seed}:{core.id}".encode()).hexdigest().upper()
        out["RedirectURL"] = f"https://apitest.smart2pay.com/Home?PaymentToken={token}.{core.id}"
        method = c.METHODS_BY_ID.get(core.method_id or 0)
        if method is not None and method.reference:
            ref = dict.fromkeys(REFERENCE_KEYS)
            ref["QRCodeURL"] = f"weixin://wxpay/bizpayurl?pr={token[:7]}"
            out["ReferenceDetails"] = ref
        elif core.method_id == 2:
            det: dict[str, Any] = dict.fromkeys(DETAILS_KEYS)
            det.update(
                IBAN=f"NL{rng.randint(10, 99)}INGB{rng.randint(10**9, 10**10 - 1)}",
                BIC="INGBNL2A",
                AccountHolder=f"{first} {last}",
            )
            out["Details"] = det
    return out


def customer(rng: random.Random, first: str, last: str) -> dict[str, Any]:
    return {
        "ID": rng.randint(100, 999_999),
        "MerchantCustomerID": rng.choice(("null", None, "0125")),
        "Email": f"{first.lower()}.{last.lower()}@example.com",
        "FirstName": first,
        "LastName": last,
        "Gender": rng.choice(("1", "2", None)),
        "SocialSecurityNumber": None,
        "Phone": f"07{rng.randint(10**7, 10**8 - 1)}",
        "Company": rng.choice((None, "S2P")),
        "DateOfBirth": f"{rng.randint(1950, 2004)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}",
    }


def address(rng: random.Random, country: str) -> dict[str, Any]:
    return {
        "ID": rng.randint(1, 999_999),
        "City": rng.choice(CITIES),
        "ZipCode": str(rng.randint(10000, 99999)),
        "State": None,
        "Street": rng.choice(STREETS),
        "StreetNumber": str(rng.randint(1, 200)),
        "HouseNumber": rng.choice(("-", "5A", "22")),
        "HouseExtension": rng.choice(("-", "25")),
        "Country": country,
    }


def articles(rng: random.Random, amount: int) -> list[dict[str, Any]]:
    return [
        {
            "MerchantArticleID": str(rng.randint(1, 9999)),
            "Name": "Article",
            "Quantity": 1,
            "Price": amount,
            "VAT": 0,
            "Discount": 0,
            "Type": 1,
        }
    ]


def mask_card(card: dict[str, Any], ok: bool) -> dict[str, Any]:
    """The only place a request's card number is read: keep the last four digits, drop the
    rest and the security code (success shape `VISA-1111`, error shape `Ends with 1111`)."""
    number = "".join(ch for ch in str(card.get("Number") or "") if ch.isdigit())
    last4 = number[-4:]
    brand = {"4": "VISA", "5": "MASTERCARD", "3": "AMEX"}.get(number[:1], "CARD")
    return {
        "HolderName": card.get("HolderName"),
        "Number": f"{brand}-{last4}" if ok else f"Ends with {last4}",
        "ExpirationMonth": card.get("ExpirationMonth"),
        "ExpirationYear": card.get("ExpirationYear"),
    }
