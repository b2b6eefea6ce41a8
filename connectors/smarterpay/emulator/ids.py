"""Record ids: the provider's prefix + 16 chars, where 7 chars carry the record index so a
detail lookup decodes the index instead of searching (the rest look random)."""

from __future__ import annotations

import uuid

from connectors.emulator_kit.lazy import B36, from_b36, record_rng, to_b36

INDEX_WIDTH = 7


def make_id(seed: int, prefix: str, resource: str, i: int, total: int = 16) -> str:
    tail = record_rng(seed, resource + "#id", i).token(total - INDEX_WIDTH)
    return f"{prefix}{to_b36(i, INDEX_WIDTH)}{tail}"


def index_of(record_id: str, prefix: str) -> int | None:
    """The index embedded in an id with this prefix, or None if it cannot be one of ours."""
    if not record_id.startswith(prefix):
        return None
    body = record_id[len(prefix) : len(prefix) + INDEX_WIDTH]
    if len(body) != INDEX_WIDTH or any(c not in B36 for c in body):
        return None
    return from_b36(body)


def make_uuid(seed: int, resource: str, i: int) -> str:
    rng = record_rng(seed, resource + "#uuid", i)
    return str(uuid.UUID(int=(rng.next64() << 64) | rng.next64(), version=4))
