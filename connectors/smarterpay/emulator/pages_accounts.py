"""Whole pages of mandates, bank accounts and customer accounts (see pages.py for why).

Each is exactly gen_dd.mandate, gen_accounts.bank_account or gen_accounts.customer_account of
the same index: the record's streams start from one shared `index_mix` (`record_rng(seed, r, i)`
is `Stream(resource_key(seed, r) ^ index_mix(i))`), and the three ids they carry (mandate i,
customer account i, bank account i) share it too. Lifecycle states still come from
gen_dd.mandate_events, unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from connectors.emulator_kit.lazy import Stream, index_mix, resource_key
from connectors.smarterpay.emulator import validations
from connectors.smarterpay.emulator.dataset import Dataset
from connectors.smarterpay.emulator.gen_accounts import (
    BANKS,
    CITIES,
    FIRST,
    LAST,
    POSTCODE_ABC,
    SUNS,
)
from connectors.smarterpay.emulator.gen_dd import Event, auddis, mandate_events, state_at
from connectors.smarterpay.emulator.page_parts import Days, created_times, ids_for
from connectors.smarterpay.emulator.timefmt import iso_ms

Record = dict[str, Any]


class _Keys:
    """resource_key of every stream these records draw from, looked up once per page."""

    def __init__(self, seed: int) -> None:
        self.mandate = resource_key(seed, "mandates")
        self.person = resource_key(seed, "customeraccounts#person")
        self.bank = resource_key(seed, "bankaccounts")
        self.flags = resource_key(seed, "bankaccounts#flags")
        self.customer = resource_key(seed, "customeraccounts")


def _bank_details(keys: _Keys, mixed: int) -> tuple[str, str, str, str]:
    """gen_accounts.bank_details of the record whose index_mix is `mixed`."""
    person, bank = Stream(keys.person ^ mixed), Stream(keys.bank ^ mixed)
    first, last = person.choice(FIRST), person.choice(LAST)
    return f"{first} {last}", bank.digits(8), bank.digits(6), bank.choice(BANKS)


def mandates(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    seed, days, keys = ds.seed, Days(), _Keys(ds.seed)
    mandate_id, customer_id = (
        ids_for(seed, "M01", "mandates"),
        ids_for(seed, "CA01", "customeraccounts"),
    )
    bank_account_id = ids_for(seed, "BA01", "bankaccounts")
    sun, sun_name = SUNS[0]
    out = []
    for i, created in zip(indices, created_times(ds, "mandates", indices), strict=True):
        mixed = index_mix(i)
        name, number, sort_code, bank = _bank_details(keys, mixed)
        state = state_at(mandate_events(ds, i, created), t) or Event(created, "", "new instruction")
        only_holder = Stream(keys.mandate ^ mixed).random() < 0.8
        # as gen_dd.mandate: spawned mandates were not set up through account validation
        validated = i < ds.count("mandates") and validations.has_validation(ds, i)
        out.append(
            {
                "I_am_the_only_account_holder": "true" if only_holder else "false",
                "Sun_Name": sun_name,
                "Sun_Number": sun,
                "account_name": name,
                "account_number": number,
                "account_validation_id": validations.validation_id(ds, i) if validated else "",
                "account_validation_url": validations.validation_url(ds, i) if validated else "",
                "auddis": auddis(i),
                "bacs_code": state.bacs_code,
                "bacs_description": state.bacs_description,
                "bank_name": bank,
                "client_bank_account_id": "CBA-0000001",
                "created_at": days.iso_z(created),
                "customer_account": customer_id(i, mixed),
                "customer_bank_account": bank_account_id(i, mixed),
                "dd_status": state.status,
                "id": mandate_id(i, mixed),
                "metadata": "",
                "originator_account_number": "*****101",
                "originator_sort_code": "****56",
                "sort_code": sort_code,
            }
        )
    return out


def bank_accounts(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    seed, days, keys = ds.seed, Days(), _Keys(ds.seed)
    customer_id = ids_for(seed, "CA01", "customeraccounts")
    bank_account_id = ids_for(seed, "BA01", "bankaccounts")
    out = []
    for i, created in zip(indices, created_times(ds, "bankaccounts", indices), strict=True):
        mixed = index_mix(i)
        name, number, sort_code, bank = _bank_details(keys, mixed)
        flags = Stream(keys.flags ^ mixed)
        out.append(
            {
                # the list sample spells the id key "Id", the detail sample "id"
                ("id" if detail else "Id"): bank_account_id(i, mixed),
                "account_name": name,
                "account_number": number,
                "bank_name": bank,
                "created_at": iso_ms(created) if detail else days.iso_z(created),
                "custom_reference": f"BA-{i:06d}",
                "customer_account": customer_id(i, mixed) if flags.random() < 0.9 else "",
                "enabled": True,
                "sort_code": sort_code,
                "metadata": "",
                "credits_allowed": flags.random() < 0.95,
                "debits_allowed": True,
            }
        )
    return out


def customer_accounts(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    seed, days, keys = ds.seed, Days(), _Keys(ds.seed)
    customer_id = ids_for(seed, "CA01", "customeraccounts")
    out = []
    for i, created in zip(indices, created_times(ds, "customeraccounts", indices), strict=True):
        mixed = index_mix(i)
        rng, person = Stream(keys.customer ^ mixed), Stream(keys.person ^ mixed)
        first, last = person.choice(FIRST), person.choice(LAST)
        company = rng.choice(("", "", "", "Acme Lettings Ltd", "Bell & Co"))
        record = {
            "id": customer_id(i, mixed),
            "created_at": days.iso_z(created),
            "email": f"{first.lower()}.{last.lower()}{i}@example.com",
            "title": rng.choice(("Mr", "Mrs", "Ms", "Dr", "")),
            "first_name": first,
            "last_name": last,
            "company_name": company,
            "address_line1": f"{rng.randint(1, 250)} High Street",
            "address_line2": "",
            "city": rng.choice(CITIES),
        }
        postal = f"HU{rng.randint(1, 20)} {rng.randint(1, 9)}{rng.token(2, POSTCODE_ABC)}"
        record.update(
            postal_code=postal,
            country_code="GB",
            state_code="",
            custom_reference=f"CUST-{i:06d}",
            metadata="",
            external_id="",
        )
        out.append(record)
    return out
