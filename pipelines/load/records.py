"""Turn a page of items into rows to stage and rejects to keep.

The whole page is validated in one call; only a page that fails is validated record by
record, to isolate the rejects. Rows are ``(id, raw JSON text)``: PostgreSQL does the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any, NamedTuple

import orjson
from pydantic import BaseModel, TypeAdapter, ValidationError

from connectors.streams import StreamSpec


@dataclass(frozen=True)
class Reject:
    record_id: str | None
    raw: str
    error: str


class Page(NamedTuple):
    """A validated page and when its request was sent: the version time of its records (a
    read requested later is newer; see merge_sql)."""

    rows: list[tuple[str, str]]
    rejects: list[Reject]
    fetched_at: datetime


@cache
def _page_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def split_page(spec: StreamSpec, items: Any) -> tuple[list[tuple[str, str]], list[Reject]]:
    if not isinstance(items, list):
        raise ValueError(f"expected a list under {spec.envelope!r}, got {type(items).__name__}")
    try:
        _page_adapter(spec.model).validate_python(items)
        page_valid = True
    except ValidationError:
        page_valid = False
    rows: list[tuple[str, str]] = []
    rejects: list[Reject] = []
    for item in items:
        raw = orjson.dumps(item).decode()
        record_id = spec.record_id(item) if isinstance(item, dict) else None
        error = None if page_valid else _record_error(spec, item)
        if error is None and (record_id is None or str(record_id).strip() == ""):
            error = f"the record has no {spec.id_key!r}"
        if error is not None:
            rejects.append(Reject(_text_or_none(record_id), raw, error))
        else:
            rows.append((str(record_id), raw))
    return rows, rejects


def _record_error(spec: StreamSpec, item: Any) -> str | None:
    try:
        spec.model.model_validate(item)
    except ValidationError as exc:
        # include_input=False: the message must not repeat a card or bank number.
        return "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}"
            for e in exc.errors(include_input=False, include_url=False)
        )
    return None


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
