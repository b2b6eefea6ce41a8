"""Apply provider webhooks (docs/architecture.md, layer 3): one transaction per accepted call.

The call is stored in ``paysync.webhook_events`` and applied in the same transaction: a full
record (Smart2Pay) is merged through the sync's own merge, so ``record_changes`` shows the
transition; a record the body only names (SmarterPay) is queued in ``paysync.refetch_queue``
(reason ``webhook``) and fetched by id afterwards, so a crash after the 2xx loses nothing.
A repeated idempotency key only counts a delivery. Provider knowledge comes from the
connector's ``webhook`` hook, found through the registry.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import asyncpg
import orjson

from connectors.streams import Connector, Notification, StreamSpec, WebhookParser, WebhookRecord
from pipelines.load import loader
from pipelines.load.merge_sql import StreamSql, build
from pipelines.load.records import Page, split_page
from pipelines.store.settings import SourceBase
from pipelines.sync.runs import RunCounts, RunLease

log = logging.getLogger("paysync.webhooks")
REJECT_STREAM = "webhook"  # paysync.rejects.stream for bodies that are not notifications
MAX_DEPTH = 32  # INFERRED: provider notifications nest 4 levels at most
# A notification record lacking one of these (where its stream has the column) is fetched by id
# instead of merged as is. INFERRED from the Smart2Pay advice "compare Amount/Currency".
CORE_COLUMNS = frozenset({"amount", "currency", "status_id"})


@dataclass
class Hook:
    """One source's receiving end."""

    source: SourceBase
    connector: Connector
    parser: WebhookParser
    sql: dict[str, StreamSql]
    run_id: int
    counts: RunCounts = field(default_factory=RunCounts)
    wake: asyncio.Event = field(default_factory=asyncio.Event)  # refetch work was queued
    lease: RunLease | None = None  # holds the run's lock while the receiver lives


def make_hook(source: SourceBase, connector: Connector, run_id: int) -> Hook:
    assert connector.webhook is not None
    sql = {s.name: build(connector.provider, s) for s in connector.streams.values()}
    return Hook(source, connector, connector.webhook, sql, run_id)


class RejectedBody(Exception):
    """The body is not a notification this source's provider sends; kept in paysync.rejects."""


def parse(hook: Hook, raw: bytes) -> Notification:
    try:
        body = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise RejectedBody(f"the body is not JSON: {exc}") from None
    if _depth(body) > MAX_DEPTH:
        # PostgreSQL's jsonb refuses deep nesting with an error that is not a DataError; no
        # provider notification nests this deep.
        raise RejectedBody(f"the body nests deeper than {MAX_DEPTH} levels")
    try:
        note = hook.parser.parse(body)
    except ValueError as exc:
        raise RejectedBody(str(exc)) from None
    records = []
    for record in note.records:
        spec = hook.connector.streams.get(record.stream)
        if spec is not None and record.record is not None:
            rejects = split_page(spec, [record.record]).rejects
            if rejects:
                raise RejectedBody(f"{record.stream} {record.record_id}: {rejects[0].error}")
            if not _complete(spec, record.record):
                record = replace(record, record=None)  # fetched by id: the provider's record
        records.append(record)
    return replace(note, records=tuple(records))


def _complete(spec: StreamSpec, record: Mapping[str, Any]) -> bool:
    """Does a notification carry the record itself? One without the stream's amount, currency
    or status (``{"Payment": {"ID": 777000001}}``, or another kind's body under its envelope)
    only names it: merging it would store a record with NULL amounts."""
    for column in spec.columns:
        if column.name in CORE_COLUMNS:
            value: Any = record
            for key in column.path:
                value = value.get(key) if isinstance(value, Mapping) else None
            if value is None:
                return False
    return True


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (the value may be hostile)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        children = (
            item.values() if isinstance(item, dict) else item if isinstance(item, list) else ()
        )
        stack.extend((child, level + 1) for child in children)
    return deepest


async def store_reject(pool: asyncpg.Pool, hook: Hook, raw: bytes, error: str) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            """INSERT INTO paysync.rejects (source, stream, run_id, raw, error)
               VALUES ($1, $2, $3, $4, $5)""",
            hook.source.name, REJECT_STREAM, hook.run_id,
            raw.decode("utf-8", errors="replace").replace("\x00", "\ufffd"), error,
        )  # fmt: skip
    hook.counts.records_rejected += 1


Call = tuple[Hook, Notification, bytes]


async def accept(pool: asyncpg.Pool, hook: Hook, note: Notification, raw: bytes) -> str:
    """Store and apply one call in its own transaction (``Batcher`` is the fast path)."""
    async with pool.acquire() as conn, conn.transaction():
        [outcome] = await store_and_apply(conn, [(hook, note, raw)])
    if outcome == "fetched":
        hook.wake.set()
    return outcome


async def store_and_apply(conn: asyncpg.Connection, calls: list[Call]) -> list[str]:
    """Inside the caller's transaction; per call 'applied', 'fetched', 'ignored' (stale or
    nothing known) or 'duplicate' (key seen before: only a delivery is counted). The full
    records of all calls are merged once per stream: one merge costs the same for one record
    as for a hundred (its planning dominates)."""
    work = _Work()
    outcomes: list[str] = []
    not_applied: list[tuple[int, str]] = []
    for hook, note, raw in calls:
        event_id = await _store(conn, hook, note, raw)
        if event_id is None:
            outcomes.append("duplicate")
            continue
        outcomes.append(await work.add(conn, hook, note.records))
        if outcomes[-1] != "applied":
            not_applied.append((event_id, outcomes[-1]))
    await work.flush(conn)
    if not_applied:
        await conn.execute(
            """UPDATE paysync.webhook_events e SET outcome = u.outcome
               FROM unnest($1::bigint[], $2::text[]) AS u(event_id, outcome)
               WHERE e.event_id = u.event_id""",
            [e for e, _ in not_applied], [o for _, o in not_applied],
        )  # fmt: skip
    return outcomes


async def _store(
    conn: asyncpg.Connection, hook: Hook, note: Notification, raw: bytes
) -> int | None:
    """The new event's id, or None when its key was seen (the delivery is counted)."""
    row = await conn.fetchrow(
        """INSERT INTO paysync.webhook_events
               (source, provider, idempotency_key, body, outcome, record_ids)
           VALUES ($1, $2, $3, $4::jsonb, 'applied', $5)
           ON CONFLICT (source, idempotency_key) DO UPDATE
           SET deliveries = paysync.webhook_events.deliveries + 1
           RETURNING event_id, (xmax = 0) AS inserted""",
        hook.source.name, hook.connector.provider, note.key, raw.decode(),
        [r.record_id for r in note.records],
    )  # fmt: skip
    assert row is not None
    return int(row["event_id"]) if row["inserted"] else None


class _Work:
    """What a transaction's calls ask for: full records to merge (the newest of each id, by
    the provider's ordering rule) and ids to fetch."""

    def __init__(self) -> None:
        self.hooks: dict[str, Hook] = {}
        self.merge: dict[tuple[str, str], dict[str, Mapping[str, Any]]] = defaultdict(dict)
        self.fetch: dict[tuple[str, str], list[str]] = defaultdict(list)

    async def add(
        self, conn: asyncpg.Connection, hook: Hook, records: tuple[WebhookRecord, ...]
    ) -> str:
        self.hooks[hook.source.name] = hook
        merged = fetched = False
        for record in records:
            spec = hook.connector.streams.get(record.stream)
            if spec is None:
                continue
            key = (hook.source.name, spec.name)
            if record.record is None:
                self.fetch[key].append(record.record_id)
                fetched = True
            elif not await self._stale(conn, hook, spec, record.record_id, record.record):
                self.merge[key][record.record_id] = record.record
                merged = True
        return "applied" if merged else "fetched" if fetched else "ignored"

    async def _stale(
        self, conn: asyncpg.Connection, hook: Hook, spec: StreamSpec, record_id: str,
        record: Mapping[str, Any],
    ) -> bool:  # fmt: skip
        """Is a newer version pending here or stored? Calls for one record are serialised by
        a lock, so two arriving at once cannot both pass the check and the older one win."""
        if hook.parser.is_stale is None:
            return False
        current = self.merge[(hook.source.name, spec.name)].get(record_id)
        if current is None:
            await conn.execute(
                "SELECT pg_advisory_xact_lock(hashtext($1), hashtext($2))",
                f"{hook.source.name}/{spec.name}", record_id,
            )  # fmt: skip
            stored = await conn.fetchval(
                f"SELECT raw::text FROM {hook.sql[spec.name].table} WHERE source = $1 AND id = $2",
                hook.source.name, record_id,
            )  # fmt: skip
            current = orjson.loads(stored) if stored is not None else None
        return current is not None and hook.parser.is_stale(record, current)

    async def flush(self, conn: asyncpg.Connection) -> None:
        for (source, stream), ids in self.fetch.items():
            await loader.enqueue(conn, source, stream, ids, "webhook")
        for (source, stream), records in self.merge.items():
            if records:
                hook = self.hooks[source]
                await _merge(conn, hook, hook.connector.streams[stream], list(records.values()))


Item = tuple[Hook, Notification, bytes, "asyncio.Future[str]"]


class Batcher:
    """Group commit: calls that arrive while a transaction is open share the next one, so a
    burst costs one WAL flush (and one staging table) per batch instead of per call. Each
    caller is answered only after its batch commits. A batch that fails is retried one call
    per transaction, so only the bad call fails."""

    def __init__(self, pool: asyncpg.Pool, writers: int = 4, max_batch: int = 100) -> None:
        self.pool, self.max_batch = pool, max_batch
        self.queue: asyncio.Queue[Item] = asyncio.Queue()
        self.tasks = [asyncio.create_task(self._write()) for _ in range(writers)]

    async def submit(self, hook: Hook, note: Notification, raw: bytes) -> str:
        future: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self.queue.put_nowait((hook, note, raw, future))
        return await future

    async def close(self) -> None:
        for task in self.tasks:
            task.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)

    async def _write(self) -> None:
        while True:
            batch = [await self.queue.get()]
            while len(batch) < self.max_batch and not self.queue.empty():
                batch.append(self.queue.get_nowait())
            await self._commit(batch)

    async def _commit(self, batch: list[Item]) -> None:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                outcomes = await store_and_apply(conn, [(h, n, r) for h, n, r, _ in batch])
        except Exception as exc:  # handed to the caller, or isolated below
            if len(batch) > 1:
                for item in batch:
                    await self._commit([item])
            elif not batch[0][3].done():
                batch[0][3].set_exception(exc)
            return
        for (hook, _, _, future), outcome in zip(batch, outcomes, strict=True):
            if outcome == "fetched":
                hook.wake.set()
            if not future.done():
                future.set_result(outcome)


async def _merge(
    conn: asyncpg.Connection, hook: Hook, spec: StreamSpec, items: list[Mapping[str, Any]]
) -> None:
    target = loader.Target(hook.source.name, spec, hook.sql[spec.name], hook.run_id)
    result = loader.LoadResult()
    await loader.use_zone(conn, hook.source.timezone)  # one transaction may serve many sources

    async def one_page() -> AsyncIterator[Page]:
        # A full record in a notification is a read as of its receipt (fetch time ordering;
        # Smart2Pay payments order by their NotificationDateTime first).
        yield Page.of(split_page(spec, items), datetime.now(UTC))

    await loader.stage_pages(conn, target, one_page(), result)
    await loader.merge_stage(conn, target, result)
    # As the sync does for a new or changed parent: its children are read again by the next
    # run (a payment notification says nothing of its refunds).
    for child in hook.connector.streams.values():
        if child.parent == spec.name and (result.new_ids or result.changed_ids):
            ids = result.new_ids + result.changed_ids
            await loader.enqueue_children(conn, target, child, ids)
    hook.counts.records_read += result.records
    hook.counts.records_inserted += result.inserted
    hook.counts.records_changed += result.changed
