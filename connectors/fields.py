"""Pydantic field types for the providers' quirks: validate at the boundary, never coerce silently.

Values stay as the API sent them in ``raw``; these types only decide whether a record is valid.
Typed columns are derived in PostgreSQL (``paysync.to_*`` functions) from the same raw values.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator

_DIGITS = re.compile(r"^-?\d{1,18}$")
_COMPACT = re.compile(r"^\d{14}$")
_EMPTY = ("", " ", None)


def _int(value: Any) -> int | None:
    if value in _EMPTY:
        return None
    if isinstance(value, bool):
        raise ValueError("expected an integer amount or count, got a boolean")
    if isinstance(value, int):
        return value
    if isinstance(value, str) and _DIGITS.match(value.strip()):
        return int(value)
    raise ValueError(f"expected an integer amount or count, got {str(value)[:30]!r}")


def _timestamp(value: Any) -> datetime | None:
    if value in _EMPTY or value == "never":
        return None
    if not isinstance(value, str):
        raise ValueError("expected a timestamp string")
    try:
        if _COMPACT.match(value):
            parsed = datetime.strptime(value, "%Y%m%d%H%M%S")
        else:
            parsed = datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"unrecognised timestamp {value[:40]!r}") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def second_of(value: Any) -> datetime | None:
    """The whole second a record's time names (None when it names none): what a provider
    sorting by a one-second ``created_at`` orders by (pipelines/sync/pager.py, ties)."""
    try:
        stamp = _timestamp(value)
    except ValueError:
        return None
    return stamp.replace(microsecond=0) if stamp else None


def _date(value: Any) -> date | None:
    if value in _EMPTY:
        return None
    if not isinstance(value, str):
        raise ValueError("expected a date string")
    stamp = _timestamp(value if len(value) != 8 else value + "000000")
    return stamp.date() if stamp else None


def _bool(value: Any) -> bool | None:
    if value in _EMPTY or isinstance(value, bool):
        return value if isinstance(value, bool) else None
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    if value in (0, 1):
        return bool(value)
    raise ValueError(f"expected a boolean, got {str(value)[:20]!r}")


def _sort_code(value: Any) -> str | None:
    if value in _EMPTY:
        return None
    if isinstance(value, str) and re.fullmatch(r"\d{6}", value.replace("-", "")):
        return value
    raise ValueError("a sort code has 6 digits")


def _required_id(value: Any) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str) and value.strip():
        return value
    raise ValueError("the record has no id")


Int = Annotated[int | None, BeforeValidator(_int)]
Timestamp = Annotated[datetime | None, BeforeValidator(_timestamp)]
Day = Annotated[date | None, BeforeValidator(_date)]
Bool = Annotated[bool | None, BeforeValidator(_bool)]
SortCode = Annotated[str | None, BeforeValidator(_sort_code)]
RecordId = Annotated[str, BeforeValidator(_required_id)]
