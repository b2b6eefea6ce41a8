"""Generated customer accounts, bank accounts, cards, client bank accounts and SUNs.

These records do not change with time; each is a pure function of (seed, index, created)."""

from __future__ import annotations

from typing import Any

from connectors.emulator_kit.lazy import record_rng
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.ids import make_id, make_uuid
from connectors.smarterpay.emulator.timefmt import DAY, day, iso_ms, iso_z

FIRST = ("Chris", "Sam", "Alex", "Jo", "Priya", "Tom", "Aisha", "Mark", "Lucy", "Omar", "Ewan")
LAST = ("Bell", "Brooke", "Smith", "Patel", "Jones", "Taylor", "Khan", "Walsh", "Evans", "Reid")
BANKS = (
    "BARCLAYS BANK PLC",
    "BANK OF ENGLAND",
    "BANK OF IRELAND (UK) PLC",
    "LLOYDS BANK PLC",
    "HSBC UK BANK PLC",
    "NATIONAL WESTMINSTER BANK PLC",
    "SANTANDER UK PLC",
    "MONZO BANK LTD",
)
CITIES = ("Hull", "Leeds", "York", "London", "Bristol", "Glasgow", "Cardiff")
POSTCODE_ABC = "ABDEFGHJLNPQRSTUWXYZ"
SUNS = (("100263", "Paysync Ltd"), ("122", "Paysync Lettings"))
Record = dict[str, Any]


def customer_id(ds: Dataset, i: int) -> str:
    return make_id(ds.seed, "CA01", "customeraccounts", i)


def bank_account_id(ds: Dataset, i: int) -> str:
    return make_id(ds.seed, "BA01", "bankaccounts", i)


def person(ds: Dataset, resource: str, i: int) -> tuple[str, str]:
    rng = record_rng(ds.seed, resource + "#person", i)
    return rng.choice(FIRST), rng.choice(LAST)


def bank_details(ds: Dataset, i: int) -> tuple[str, str, str, str]:
    """(account_name, account_number, sort_code, bank_name) of bank account i."""
    first, last = person(ds, "customeraccounts", i)
    rng = record_rng(ds.seed, "bankaccounts", i)
    return f"{first} {last}", rng.digits(8), rng.digits(6), rng.choice(BANKS)


def customer_account(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    rng = record_rng(ds.seed, "customeraccounts", i)
    first, last = person(ds, "customeraccounts", i)
    company = rng.choice(("", "", "", "Acme Lettings Ltd", "Bell & Co"))
    return {
        "id": customer_id(ds, i),
        "created_at": iso_z(created),
        "email": f"{first.lower()}.{last.lower()}{i}@example.com",
        "title": rng.choice(("Mr", "Mrs", "Ms", "Dr", "")),
        "first_name": first,
        "last_name": last,
        "company_name": company,
        "address_line1": f"{rng.randint(1, 250)} High Street",
        "address_line2": "",
        "city": rng.choice(CITIES),
        "postal_code": f"HU{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.token(2, POSTCODE_ABC)}",
        "country_code": "GB",
        "state_code": "",
        "custom_reference": f"CUST-{i:06d}",
        "metadata": "",
        "external_id": "",
    }


def bank_account(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    name, number, sort_code, bank = bank_details(ds, i)
    rng = record_rng(ds.seed, "bankaccounts#flags", i)
    record: Record = {
        # the list sample spells the id key "Id", the detail sample "id"
        ("id" if detail else "Id"): bank_account_id(ds, i),
        "account_name": name,
        "account_number": number,
        "bank_name": bank,
        "created_at": iso_ms(created) if detail else iso_z(created),
        "custom_reference": f"BA-{i:06d}",
        "customer_account": customer_id(ds, ds.ref("customeraccounts", i))
        if rng.random() < 0.9
        else "",
        "enabled": True,
        "sort_code": sort_code,
        "metadata": "",
        "credits_allowed": rng.random() < 0.95,
        "debits_allowed": True,
    }
    return record


def card(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    rng = record_rng(ds.seed, "cards", i)
    first, last = person(ds, "cards", i)
    expiry = created + rng.randint(400, 1500) * DAY
    year, month = int(day(expiry)[:4]), int(day(expiry)[5:7])
    last_day = (28, 31, 29 if year % 4 == 0 else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month]
    return {
        "ID": make_uuid(ds.seed, "cards", i),
        "card_number_ending": rng.digits(4),
        "card_type": rng.choice(("Visa", "MasterCard", "Amex", "Visa Debit")),
        "created_at": iso_z(created),
        "custom_referance": f"CARD-{i:06d}",  # sic: the provider misspells this key
        "customer_id": customer_id(ds, ds.customer_of("cards", i, created)),
        "expiry_date": f"{year:04d}-{month:02d}-{last_day:02d}",
        "gateway_payment_description": "Card payment",
        "internal_payment_description": f"Order {i}",
        "metadata": "",
        "name_on_card": f"{first[0]} {last}".upper(),
        "payment_gateway": "OpayoPi",
        "status": "successful",
        "transaction_type": rng.choice(("Ecommerce", "MOTO")),
    }


def client_bank_account(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    sun, sun_name = SUNS[min(i, 1)]
    return {
        "Account_Number": f"*****{100 + i}",
        "Bank_Name": BANKS[i % len(BANKS)],
        "Default_Account": i == 0,
        "Friendly_Name": ("Main collections", "Lettings", "Refunds")[i % 3],
        "ID": f"CBA-{i + 1:07d}",
        "Sort_Code": f"****{56 + i}",
        "Sun": sun,  # the table says SUN, the sample says Sun
        "Sun_Friendly_Name": sun_name,
    }


def service_user_number(ds: Dataset, i: int, created: int, t: float, detail: bool) -> Record:
    sun, sun_name = SUNS[i % len(SUNS)]
    return {"Default_Sun": i == 0, "SUN": sun, "Sun_Friendly_Name": sun_name, "active": True}
