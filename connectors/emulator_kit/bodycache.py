"""A bounded cache of served list bodies, so a page read again costs a dictionary lookup.

Clients re-read pages: a verifying pager confirms a stream's page size and re-reads short
pages and tie boundaries, and an incremental run reads again the recent windows a backfill
has just read. A body depends on the query, the emulator clock (lifecycle states move with
it) and every change made through the API or admin since, so the key a provider passes must
hold all three (its store's change counter for the last); nothing is ever invalidated by hand,
a stale key simply stops being asked for and ages out. Bounded by the bytes it holds (least
recently used first out), so memory stays flat however long the emulator runs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

DEFAULT_BYTES = 4 * 1024 * 1024  # ~9,000 records: a pager's re-reads, not a whole history


class BodyCache:
    def __init__(self, max_bytes: int = DEFAULT_BYTES) -> None:
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = self.misses = 0
        self._bodies: OrderedDict[Hashable, bytes] = OrderedDict()

    def get(self, key: Hashable) -> bytes | None:
        body = self._bodies.get(key)
        if body is None:
            self.misses += 1
            return None
        self._bodies.move_to_end(key)
        self.hits += 1
        return body

    def put(self, key: Hashable, body: bytes) -> None:
        if len(body) > self.max_bytes // 4 or key in self._bodies:
            return  # one huge body would flush everything else
        self._bodies[key] = body
        self.size += len(body)
        while self.size > self.max_bytes:
            _, old = self._bodies.popitem(last=False)
            self.size -= len(old)

    def info(self) -> dict[str, int]:
        return {"pages": len(self._bodies), "bytes": self.size, "hits": self.hits,
                "misses": self.misses}  # fmt: skip
