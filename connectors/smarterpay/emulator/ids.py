"""Record ids: the provider's prefix + 16 chars, where 7 chars carry the record index so a
detail lookup decodes the index instead of searching (the rest look random)."""

from __future__ import annotations

import uuid

from connectors.emulator_kit.lazy import (
    B36,
    B36_PAIRS,
    first_draw,
    from_b36,
    record_rng,
    resource_key,
    to_b36,
    token36_of,
)

INDEX_WIDTH = 7
_id_keys: dict[tuple[int, str], int] = {}  # (seed, resource) -> key; a few dozen entries
# prefix + the index's high 5 digits, shared by 1,296 consecutive records; cleared when large
_heads: dict[tuple[str, int], str] = {}


def make_id(seed: int, prefix: str, resource: str, i: int, total: int = 16) -> str:
    """prefix + 7 base-36 digits of i + record_rng(seed, resource + "#id", i).token(9).

    Ids are a third of a record's rendering cost, so the tail comes from the stream's first
    draw directly and the leading digits from a small cache."""
    key = _id_keys.get((seed, resource))
    if key is None:
        key = _id_keys[(seed, resource)] = resource_key(seed, resource + "#id")
    n = total - INDEX_WIDTH
    if n > 12:
        return f"{prefix}{to_b36(i, INDEX_WIDTH)}{record_rng(seed, resource + '#id', i).token(n)}"
    high, low = divmod(i, 1296)
    head = _heads.get((prefix, high))
    if head is None:
        if len(_heads) > 4096:
            _heads.clear()
        head = _heads[(prefix, high)] = prefix + to_b36(high, INDEX_WIDTH - 2)
    return f"{head}{B36_PAIRS[low]}{token36_of(first_draw(key, i), n)}"


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
