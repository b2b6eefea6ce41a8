"""Turn a page of items into rows to stage and rejects to keep.

The whole page is validated in one call; only a page that fails is validated record by
record, to isolate the rejects. Rows are ``(id, raw JSON text)``: PostgreSQL does the rest.
A record is rejected only when its id, time, status or money cannot be read
(``StreamSpec.critical_keys``); a value of another shape in any other field loads (its typed
column NULL, the value kept in ``raw``) and is reported once as schema drift (issue 14).
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


@dataclass(frozen=True)
class ShapeDrift:
    """A field whose value did not have the shape the model expects; the record still loads."""

    field_path: str
    example: str  # JSON text of the value


class Split(NamedTuple):
    """A validated list of items: rows to stage, rejects to keep, fields of another shape."""

    rows: list[tuple[str, str]]
    rejects: list[Reject]
    drift: list[ShapeDrift]


class Page(NamedTuple):
    """A validated page and when its request was sent: the version time of its records (a
    read requested later is newer; see merge_sql)."""

    rows: list[tuple[str, str]]
    rejects: list[Reject]
    fetched_at: datetime
    drift: list[ShapeDrift] = []

    @classmethod
    def of(cls, split: Split, fetched_at: datetime) -> Page:
        return cls(split.rows, split.rejects, fetched_at, split.drift)


@cache
def _page_adapter(model: type[BaseModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


def split_page(spec: StreamSpec, items: Any) -> Split:
    if not isinstance(items, list):
        raise ValueError(f"expected a list under {spec.envelope!r}, got {type(items).__name__}")
    try:
        _page_adapter(spec.model).validate_python(items)
        page_valid = True
    except ValidationError:
        page_valid = False
    rows: list[tuple[str, str]] = []
    rejects: list[Reject] = []
    drift: dict[str, ShapeDrift] = {}
    for item in items:
        raw = orjson.dumps(item).decode()
        record_id = spec.record_id(item) if isinstance(item, dict) else None
        error = None
        if not page_valid:
            error, shapes = _record_error(spec, item)
            for path in shapes:
                drift.setdefault(path, ShapeDrift(path, _example(item, path)))
        if error is None and (record_id is None or str(record_id).strip() == ""):
            error = f"the record has no {spec.id_key!r}"
        if error is not None:
            rejects.append(Reject(_text_or_none(record_id), raw, error))
        else:
            rows.append((str(record_id), raw))
    return Split(rows, rejects, list(drift.values()))


def _record_error(spec: StreamSpec, item: Any) -> tuple[str | None, list[str]]:
    """The reject reason (None: the record loads) and the optional fields of another shape."""
    try:
        spec.model.model_validate(item)
    except ValidationError as exc:
        # include_input=False: the message must not repeat a card or bank number.
        errors = exc.errors(include_input=False, include_url=False)
        critical = [e for e in errors if not e["loc"] or e["loc"][0] in spec.critical_keys]
        if critical or not isinstance(item, dict):
            return "; ".join(
                f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in critical or errors
            ), []
        return None, sorted({".".join(str(p) for p in e["loc"]) for e in errors})
    return None, []


def _example(item: Any, path: str) -> str:
    value = item
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return orjson.dumps(value).decode()


def _text_or_none(value: Any) -> str | None:
    return str(value) if value not in (None, "") else None
