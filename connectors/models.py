"""One pydantic model per stream, derived from its columns so the two cannot disagree."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model

from connectors.fields import Bool, Day, Int, SortCode, Timestamp
from connectors.streams import Column, Kind

_TYPES: dict[Kind, Any] = {
    "int": Int, "num": Any, "bool": Bool, "ts": Timestamp, "date": Day,
    "sortcode": SortCode, "text": Any, "json": Any,
}  # fmt: skip


class Record(BaseModel):
    # Unknown fields are kept (in raw) and reported as schema drift, never rejected.
    model_config = ConfigDict(extra="allow", populate_by_name=False, frozen=True)


def model_for(name: str, columns: Iterable[Column]) -> type[BaseModel]:
    """A model validating every typed column (all optional; the engine checks the id)."""
    fields: dict[str, Any] = {}
    nested: dict[str, list[Column]] = {}
    for column in columns:
        key = column.path[0]
        if len(column.path) > 1:
            nested.setdefault(key, []).append(Column(column.name, column.path[1:], column.kind))
        else:
            fields[_field(key)] = (_TYPES[column.kind], Field(None, alias=key))
    for key, inner in nested.items():
        sub = model_for(f"{name}_{key}", inner)
        fields[_field(key)] = (sub | None, Field(None, alias=key))
    return create_model(name, __base__=Record, **fields)


def _field(key: str) -> str:
    # Aliases carry the API's spelling; attribute names only need to be unique identifiers.
    return "f_" + "".join(ch if ch.isalnum() else "_" for ch in key)
