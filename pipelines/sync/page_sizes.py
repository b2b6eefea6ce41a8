"""What one source's list endpoints were seen to do (the page size each serves, the paging
generation it understands, where it counts pages from), kept in ``paysync.page_sizes`` so a
source's servers are learned once, not every run, and what one run saw on top (probes asked,
a clamping server, the longest date range served whole). The pager (``pager.py``) learns it."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta

import asyncpg

from connectors.streams import StreamSpec


@dataclass
class PageSize:
    """What one source's list endpoint was seen to do."""

    ask: int  # the page size to request
    proven: int = 0  # the most records it served on one page: it serves at least this many
    generation: str = "documented"  # "fallback": the server ignores the documented parameters
    origin: int | None = None  # the server's first page or offset: 1, 0, None not settled yet
    dirty: bool = False
    probed: bool = False  # this run has asked the whole list for a full page once (``_probe``)
    # set when that probe's answer is in: other windows' short pages wait for it, not confirm
    probe_done: asyncio.Event = field(default_factory=asyncio.Event)
    origin_asked: bool = False  # this run asked the whole list where it counts from (empty window)
    origin_done: asyncio.Event = field(default_factory=asyncio.Event)
    # this run saw the server answer a page past the end with one already read (``clamp``)
    clamps: bool = False
    # the longest date range this run saw the server serve whole (``ranges``)
    served_span: timedelta = timedelta(0)

    def served(self, items: int) -> None:
        if items > self.proven:
            self.proven, self.dirty = items, True

    def learn_cap(self, size: int) -> None:
        if size < self.ask:
            self.ask, self.dirty = size, True
        self.served(size)


class PageSizes:
    """The learned page sizes of one source, loaded once per run and saved as they change."""

    def __init__(self, source: str, rows: Mapping[str, PageSize]) -> None:
        self.source = source
        self._by_stream = dict(rows)

    @classmethod
    async def load(cls, conn: asyncpg.Connection, source: str) -> PageSizes:
        rows = await conn.fetch(
            "SELECT stream, ask, proven, generation, origin FROM paysync.page_sizes"
            " WHERE source = $1",
            source,
        )
        return cls(source, {r["stream"]: PageSize(*tuple(r)[1:]) for r in rows})

    def get(self, spec: StreamSpec) -> PageSize:
        if spec.name not in self._by_stream:
            self._by_stream[spec.name] = PageSize(spec.page_size)
        return self._by_stream[spec.name]

    async def save(self, conn: asyncpg.Connection) -> None:
        changed = [(n, s) for n, s in self._by_stream.items() if s.dirty]
        if not changed:
            return
        await conn.executemany(
            """INSERT INTO paysync.page_sizes (source, stream, ask, proven, generation, origin)
               VALUES ($1, $2, $3, $4, $5, $6)
               ON CONFLICT (source, stream) DO UPDATE SET ask = EXCLUDED.ask,
                   proven = EXCLUDED.proven, generation = EXCLUDED.generation,
                   origin = EXCLUDED.origin, learned_at = now()""",
            [(self.source, n, s.ask, s.proven, s.generation, s.origin) for n, s in changed],
        )
        for _, size in changed:
            size.dirty = False
