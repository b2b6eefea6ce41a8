"""API field -> table column, and API value -> column value, as the provider documents say.

SmarterPay Cloud documents snake_case fields (a few Capitalised_Snake ones: ``Sun_Name``,
``I_am_the_only_account_holder``, card ``Account_Number``): the column is the lower-cased
key. Smart2Pay documents PascalCase fields, nested objects included (``Customer.FirstName``,
``Status.ID``): the column is the snake_case path joined by ``_``. Where a document spells a
field in a way the rule cannot turn into its column, ``EXCEPTIONS`` names it.

Values: text trimmed (empty: NULL); integers and decimals from JSON numbers or digit strings;
booleans from JSON booleans, "true"/"false", 1/0; times are ISO 8601 (SmarterPay; zone-less
is UTC) or ``YYYYMMDDHHMMSS`` in UTC (Smart2Pay), "never" is none; dates ``YYYY-MM-DD`` or
``YYYYMMDD``; objects and lists kept as JSON.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

import orjson

# (provider, table) -> {column: API path}, where the documented name does not follow the rule.
EXCEPTIONS: dict[tuple[str, str], dict[str, tuple[str, ...]]] = {
    # smarterpay.md, Cards: "`custom_referance` | str | **misspelt key**" (part of the contract)
    ("smarterpay", "cards"): {"custom_reference": ("custom_referance",)},
    # smart2pay.md, Refunds: "`InitialPaymentID` | int | parent payment"
    ("smart2pay", "refunds"): {"payment_id": ("InitialPaymentID",)},
    # smart2pay.md, Payments: "`3DSecure` ... key starts with a digit"
    ("smart2pay", "payments"): {
        "three_d_secure": ("3DSecure",),
        "three_d_secure_data": ("3DSecureData",),
    },
}

_WORD = re.compile(r"[A-Z]+(?=[A-Z][a-z]|\d|\b|_|$)|[A-Z]?[a-z]+|[A-Z]+|\d+")


def snake(key: str) -> str:
    """``MerchantTransactionID`` -> ``merchant_transaction_id``, ``Sun_Name`` -> ``sun_name``,
    ``address_line1`` as is, ``IncludeMethodIDs`` -> ``include_method_ids`` (a plural acronym
    stays one word)."""
    if "_" in key or key.islower():  # SmarterPay's snake_case (some words capitalised)
        return key.lower()
    key = key.replace("IDs", "Ids").replace("URLs", "Urls")
    return "_".join(w.lower() for w in _WORD.findall(key))


def prefix_name(key: str) -> str:
    """A nested object's column prefix: Smart2Pay's ``BillingAddress`` fields are
    ``billing_*`` (the address objects), ``Customer`` fields ``customer_*``."""
    name = snake(key)
    return name[: -len("_address")] if name.endswith("_address") else name


def paths(record: Any, prefix: tuple[str, ...] = ()) -> dict[str, tuple[str, ...]]:
    """Every object path of a record by its column name (objects themselves included, for
    columns that keep them as JSON)."""
    found: dict[str, tuple[str, ...]] = {}
    if not isinstance(record, dict):
        return found
    for key, value in record.items():
        path = (*prefix, key)
        found.setdefault("_".join([*(prefix_name(p) for p in prefix), snake(key)]), path)
        if isinstance(value, dict):
            for name, inner in paths(value, path).items():
                found.setdefault(name, inner)
    return found


def at(record: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(record, dict) or key not in record:
            return None
        record = record[key]
    return record


def _text(v: Any) -> str | None:
    if v is None:
        return None
    if isinstance(v, bool):
        text = "true" if v else "false"
    elif isinstance(v, str):
        text = v
    else:
        text = orjson.dumps(v).decode()
    return text.strip() or None


def _int(v: Any) -> int | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, str) and re.fullmatch(r"\s*-?\d{1,18}\s*", v):
        return int(v)
    return None


def _num(v: Any) -> Decimal | None:
    if isinstance(v, bool) or v is None:
        return None
    try:
        return Decimal(str(v).strip()) if re.fullmatch(r"-?\d+(\.\d+)?", str(v).strip()) else None
    except InvalidOperation:
        return None


def _bool(v: Any) -> bool | None:
    if isinstance(v, bool):
        return v
    text = str(v).strip().lower() if v is not None else ""
    return {"true": True, "1": True, "false": False, "0": False}.get(text)


def _ts(v: Any) -> datetime | None:
    if not isinstance(v, str) or v.strip().lower() in ("", "never"):
        return None
    v = v.strip()
    if re.fullmatch(r"\d{14}", v):  # Smart2Pay: YYYYMMDDHHMMSS, UTC
        return datetime.strptime(v, "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    if re.fullmatch(r"\d{4}-\d\d-\d\d", v):
        return datetime.fromisoformat(v).replace(tzinfo=UTC)
    parsed = datetime.fromisoformat(v.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _date(v: Any) -> date | None:
    if not isinstance(v, str):
        return None
    if re.match(r"\d{4}-\d\d-\d\d", v):
        return date.fromisoformat(v[:10])
    if re.match(r"\d{8}", v):
        return datetime.strptime(v[:8], "%Y%m%d").date()
    return None


def _json(v: Any) -> Any:
    return v


CONVERT = {
    "text": _text, "bigint": _int, "integer": _int, "numeric": _num, "boolean": _bool,
    "timestamp with time zone": _ts, "date": _date, "jsonb": _json,
}  # fmt: skip


def expected_row(
    provider: str, table: str, columns: dict[str, str], record: dict[str, Any]
) -> dict[str, Any]:
    """The typed columns (name -> PostgreSQL type) a record must be stored as."""
    index = paths(record)
    index.update(EXCEPTIONS.get((provider, table), {}))
    return {
        name: CONVERT[kind](at(record, index[name])) if name in index else None
        for name, kind in columns.items()
    }
