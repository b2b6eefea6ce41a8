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

from connectors.emulator_kit.lanes import Lanes, lanes
from connectors.emulator_kit.lazy import resource_key
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
from connectors.smarterpay.emulator.gen_dd import END_STRIDE, end_residue, mandate_events, state_at
from connectors.smarterpay.emulator.page_parts import Days, IdFormat, created_times
from connectors.smarterpay.emulator.timefmt import DAY, iso_ms, next_file_time

Record = dict[str, Any]


class _Keys:
    """resource_key of every stream these records draw from, looked up once per page."""

    def __init__(self, seed: int) -> None:
        self.mandate = resource_key(seed, "mandates")
        self.life = resource_key(seed, "mandates#life")
        self.validation = resource_key(seed, "mandates#validation")
        self.person = resource_key(seed, "customeraccounts#person")
        self.bank = resource_key(seed, "bankaccounts")
        self.flags = resource_key(seed, "bankaccounts#flags")
        self.customer = resource_key(seed, "customeraccounts")


def _unit(draw: int) -> float:
    """Stream.random() of that draw."""
    return (draw >> 11) / 9007199254740992.0


def _bank_details(keys: _Keys, lane: Lanes, mixed: int) -> list[tuple[str, str, str, str]]:
    """gen_accounts.bank_details of every record of a page (`mixed`: packed index_mix): the
    person stream's draws 1-2 (first, last name), the bank stream's 1-3 (number, sort code,
    bank), each a whole page at once."""
    firsts, lasts = lane.draws(keys.person, mixed), lane.draws(keys.person, mixed, 2)
    numbers, sorts = lane.draws(keys.bank, mixed), lane.draws(keys.bank, mixed, 2)
    banks = lane.draws(keys.bank, mixed, 3)
    return [
        (
            f"{FIRST[f % len(FIRST)]} {LAST[la % len(LAST)]}",
            str(n % 100000000).zfill(8)[::-1],  # Stream.digits: least significant first
            str(s % 1000000).zfill(6)[::-1],
            BANKS[b % len(BANKS)],
        )
        for f, la, n, s, b in zip(firsts, lasts, numbers, sorts, banks, strict=True)
    ]


_CREATED = ("new instruction", "", "")
_REFUSED = ("cancelled by originator", "AUDDIS5", "no account (or wrong account type)")
_FIRST = ("first collection", "", "")
_ONGOING = ("ongoing collection", "", "")


def _mandate_state(
    ds: Dataset, i: int, created: int, t: float, first: int, ends: bool
) -> tuple[str, str, str]:
    """(status, bacs_code, bacs_description) of gen_dd.mandate_events at t, from the life
    stream's first draw; the one mandate in END_STRIDE that may end later takes the events
    path (its later draws), the rest need no event list."""
    if ends:
        state = state_at(mandate_events(ds, i, created), t)
        if state is None:
            return _CREATED
        return state.status, state.bacs_code, state.bacs_description
    processed = next_file_time(created) + 2 * DAY + 7 * 3600
    if t < processed:
        return _CREATED
    if _unit(first) < 0.03:
        return _REFUSED
    return _FIRST if t < processed + 33 * DAY else _ONGOING


def mandates(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    if not indices:
        return []
    seed, days, keys, lane = ds.seed, Days(), _Keys(ds.seed), lanes(len(indices))
    mixed = lane.index_mix(indices)
    ids = IdFormat(seed, "M01", "mandates").page(indices, mixed)
    customers = IdFormat(seed, "CA01", "customeraccounts").page(indices, mixed)
    accounts = IdFormat(seed, "BA01", "bankaccounts").page(indices, mixed)
    validation_ids = IdFormat(seed, validations.PREFIX, "accountvalidations").page(indices, mixed)
    banks = _bank_details(keys, lane, mixed)
    holders = lane.draws(keys.mandate, mixed)
    lives = lane.draws(keys.life, mixed)
    validated = lane.draws(keys.validation, mixed)  # has_validation: randint(1, SHARE) == 1
    count, residue = ds.count("mandates"), end_residue(ds)
    sun, sun_name = SUNS[0]
    out = []
    created_at = created_times(ds, "mandates", indices)
    for n, (i, created) in enumerate(zip(indices, created_at, strict=True)):
        name, number, sort_code, bank = banks[n]
        status, code, description = _mandate_state(
            ds, i, created, t, lives[n], i % END_STRIDE == residue
        )
        # as gen_dd.mandate: spawned mandates were not set up through account validation
        valid = i < count and validated[n] % validations.SHARE == 0
        out.append(
            {
                "I_am_the_only_account_holder": "true" if _unit(holders[n]) < 0.8 else "false",
                "Sun_Name": sun_name,
                "Sun_Number": sun,
                "account_name": name,
                "account_number": number,
                "account_validation_id": validation_ids[n] if valid else "",
                "account_validation_url": f"{validations.URL}{validation_ids[n]}" if valid else "",
                "auddis": f"MA{10100000 + i}",
                "bacs_code": code,
                "bacs_description": description,
                "bank_name": bank,
                "client_bank_account_id": "CBA-0000001",
                "created_at": days.iso_z(created),
                "customer_account": customers[n],
                "customer_bank_account": accounts[n],
                "dd_status": status,
                "id": ids[n],
                "metadata": "",
                "originator_account_number": "*****101",
                "originator_sort_code": "****56",
                "sort_code": sort_code,
            }
        )
    return out


def bank_accounts(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    if not indices:
        return []
    seed, days, keys, lane = ds.seed, Days(), _Keys(ds.seed), lanes(len(indices))
    mixed = lane.index_mix(indices)
    customers = IdFormat(seed, "CA01", "customeraccounts").page(indices, mixed)
    ids = IdFormat(seed, "BA01", "bankaccounts").page(indices, mixed)
    banks = _bank_details(keys, lane, mixed)
    linked, credits = lane.draws(keys.flags, mixed), lane.draws(keys.flags, mixed, 2)
    out = []
    created_at = created_times(ds, "bankaccounts", indices)
    for n, (i, created) in enumerate(zip(indices, created_at, strict=True)):
        name, number, sort_code, bank = banks[n]
        out.append(
            {
                # the list sample spells the id key "Id", the detail sample "id"
                ("id" if detail else "Id"): ids[n],
                "account_name": name,
                "account_number": number,
                "bank_name": bank,
                "created_at": iso_ms(created) if detail else days.iso_z(created),
                "custom_reference": f"BA-{i:06d}",
                "customer_account": customers[n] if _unit(linked[n]) < 0.9 else "",
                "enabled": True,
                "sort_code": sort_code,
                "metadata": "",
                "credits_allowed": _unit(credits[n]) < 0.95,
                "debits_allowed": True,
            }
        )
    return out


def customer_accounts(ds: Dataset, indices: Sequence[int], t: float, detail: bool) -> list[Record]:
    if not indices:
        return []
    seed, days, keys, lane = ds.seed, Days(), _Keys(ds.seed), lanes(len(indices))
    mixed = lane.index_mix(indices)
    ids = IdFormat(seed, "CA01", "customeraccounts").page(indices, mixed)
    firsts, lasts = lane.draws(keys.person, mixed), lane.draws(keys.person, mixed, 2)
    # the customer stream: company, title, house number, city, then the postcode's three
    # numbers and its two letters (one draw), in that order
    draws = [lane.draws(keys.customer, mixed, k) for k in range(1, 8)]
    companies = ("", "", "", "Acme Lettings Ltd", "Bell & Co")
    titles = ("Mr", "Mrs", "Ms", "Dr", "")
    out = []
    created_at = created_times(ds, "customeraccounts", indices)
    for n, (i, created) in enumerate(zip(indices, created_at, strict=True)):
        first, last = FIRST[firsts[n] % len(FIRST)], LAST[lasts[n] % len(LAST)]
        company, title, house, city, area, district, letters = (d[n] for d in draws)
        out.append(
            {
                "id": ids[n],
                "created_at": days.iso_z(created),
                "email": f"{first.lower()}.{last.lower()}{i}@example.com",
                "title": titles[title % 5],
                "first_name": first,
                "last_name": last,
                "company_name": companies[company % 5],
                "address_line1": f"{1 + house % 250} High Street",
                "address_line2": "",
                "city": CITIES[city % len(CITIES)],
                "postal_code": f"HU{1 + area % 20} {1 + district % 9}{_letters(letters)}",
                "country_code": "GB",
                "state_code": "",
                "custom_reference": f"CUST-{i:06d}",
                "metadata": "",
                "external_id": "",
            }
        )
    return out


def _letters(draw: int) -> str:
    """Stream.token(2, POSTCODE_ABC) of that draw: least significant digit first."""
    size = len(POSTCODE_ABC)
    return POSTCODE_ABC[draw % size] + POSTCODE_ABC[draw // size % size]
