"""List query parameters: both paging generations, every documented filter
(docs/providers/smart2pay.md, "Listing payments").

Keys match case-insensitively (NUVEI examples write `pagesize`, others `pageSize`). A bad
value raises QueryError, answered as 400 with `Reasons` by the handlers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from connectors.smart2pay.emulator import codes as c
from connectors.smart2pay.emulator import timefmt

MAX_PAGE = 500
DEFAULT_PAGE = 50
ID_PATTERN = re.compile(r"^[0-9a-zA-Z_-]{1,50}$")
SORT_KEYS = ("id", "merchanttransactionid", "inputdatetime", "amount")


class QueryError(ValueError):
    def __init__(self, code: int, info: str) -> None:
        super().__init__(info)
        self.code, self.info = code, info


@dataclass(frozen=True)
class ListQuery:
    start: int | None = None
    end: int | None = None
    method_id: int | None = None
    country: str | None = None
    currency: str | None = None
    min_amount: int | None = None
    max_amount: int | None = None
    mtid: str | None = None
    status_id: int | None = None
    method_tx_id: str | None = None
    type_id: int | None = None
    paged: bool = False  # pageSize/pageIndex generation: the answer carries totals
    size: int = DEFAULT_PAGE
    skip: int = 0
    page_index: int = 1
    sort_by: str = "id"
    descending: bool = True

    @property
    def filtered(self) -> bool:
        return any(
            v is not None
            for v in (
                self.method_id,
                self.country,
                self.currency,
                self.min_amount,
                self.max_amount,
                self.status_id,
                self.type_id,
            )
        )


def parse(query: Mapping[str, str]) -> ListQuery:
    q = {k.lower(): v for k, v in query.items()}
    old = "limit" in q or "offset" in q
    new = "pagesize" in q or "pageindex" in q
    if old and new:
        raise QueryError(
            c.VALIDATION_FAILED,
            "Validation failed - use limit/offset or pageSize/pageIndex, not both",
        )
    size = _int(q, "pagesize" if new else "limit", 1, MAX_PAGE) or DEFAULT_PAGE
    page_index = _int(q, "pageindex", 1, None) or 1
    offset = _int(q, "offset", 0, None) or 0
    # "limit=2&offset=3 returns two entries starting with the third one" (SEED-S2P).
    skip = (page_index - 1) * size if new else max(offset - 1, 0)
    sort_by = q.get("sortby", "id").lower()
    if sort_by not in SORT_KEYS:
        raise QueryError(c.VALIDATION_FAILED, f"Validation failed - sortBy {sort_by!r}")
    direction = q.get("sortdirection", "desc").lower()
    if direction not in ("asc", "desc"):
        raise QueryError(c.VALIDATION_FAILED, f"Validation failed - sortDirection {direction!r}")
    return ListQuery(
        start=_date(q, "startdate"),
        end=_date(q, "enddate"),
        method_id=_int(q, "methodid", 0, None),
        country=_code(q, "country", c.ISO_COUNTRIES, c.COUNTRY_INVALID),
        currency=_code(q, "currency", c.ISO_CURRENCIES, c.CURRENCY_INVALID),
        min_amount=_int(q, "minimumamount", 0, None),
        max_amount=_int(q, "maximumamount", 0, None),
        mtid=_ident(q, "merchanttransactionid"),
        status_id=_int(q, "statusid", 0, None),
        method_tx_id=_ident(q, "methodtransactionid"),
        type_id=_int(q, "typeid", 1, 2),
        paged=new,
        size=size,
        skip=skip,
        page_index=page_index,
        sort_by=sort_by,
        descending=direction == "desc",
    )


def _int(q: dict[str, str], key: str, lo: int, hi: int | None) -> int | None:
    raw = q.get(key)
    if raw is None:
        return None
    try:
        value = int(raw.strip())
    except ValueError:
        raise QueryError(
            c.VALIDATION_FAILED, f"Validation failed - {key} must be an integer"
        ) from None
    if value < lo or (hi is not None and value > hi):
        bound = f"between {lo} and {hi}" if hi is not None else f">= {lo}"
        raise QueryError(c.VALIDATION_FAILED, f"Validation failed - {key} must be {bound}")
    return value


def _date(q: dict[str, str], key: str) -> int | None:
    raw = q.get(key)
    if raw is None:
        return None
    try:
        return timefmt.parse(raw.strip())
    except ValueError:
        raise QueryError(
            c.VALIDATION_FAILED, f"Validation failed - {key} must be YYYYMMDDHHMMSS"
        ) from None


def _code(q: dict[str, str], key: str, valid: frozenset[str], code: int) -> str | None:
    raw = q.get(key)
    if raw is None:
        return None
    if raw.upper() not in valid:
        raise QueryError(code, f"{key} is invalid - {raw[:10]}")
    return raw.upper()


def _ident(q: dict[str, str], key: str) -> str | None:
    raw = q.get(key)
    if raw is None:
        return None
    if not ID_PATTERN.match(raw):
        raise QueryError(
            c.VALIDATION_FAILED, f"Validation failed - {key} must match ^[0-9a-zA-Z_-]{{1,50}}$"
        )
    return raw
