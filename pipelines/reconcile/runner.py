"""Reconciliation (docs/architecture.md, mutable records): the provider versus the database over a horizon.

For each stream the provider's records are read through the connector by the census
(``pipelines.reconcile.census``: another page size or paging generation, no trust in short
pages or totals, so a paging defect of the sync shows up as missing records), staged and compared in SQL (``pipelines.reconcile_sql``): missing, extra and differing
records, and per day, status and currency the counts and amount sums of both sides. ``repair``
merges the provider's version of each difference through the normal loader (with
``paysync.record_changes``) and marks extra records deleted, in the same transaction as the
comparison. Internal consistency checks run last, on the repaired data. Results go to
``paysync.reconciliation_runs`` / ``reconciliation_diffs``.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from typing import Any

import asyncpg
import orjson

from connectors.errors import (
    ContractChangedError,
    ProviderAuthError,
    ProviderError,
    ProviderRequestError,
    ProviderUnavailableError,
)
from connectors.registry import connector
from connectors.streams import StreamSpec
from pipelines.errors import ConfigError
from pipelines.load import loader
from pipelines.load.records import Page, Reject, split_page
from pipelines.reconcile.census import census_pages
from pipelines.reconcile.report import (
    DETAIL_SAMPLE,
    CheckResult,
    Diff,
    ReconcileReport,
    StreamResult,
    horizon,
    report_markdown,
)
from pipelines.reconcile.sql import (
    CHECKS,
    CompareSql,
    build_compare,
    copy_staged,
    save_diffs,
    scope_of,
    stage,
)
from pipelines.store.settings import Settings, SourceBase
from pipelines.sync.engine import SourceSync
from pipelines.sync.plan import SyncRequest
from pipelines.sync.refetch import fetch_by_id
from pipelines.sync.runs import RunCounts, finish_run, start_run
from pipelines.sync.service import open_pool, select_sources

__all__ = [
    "DETAIL_SAMPLE",
    "Diff",
    "ReconcileReport",
    "StreamResult",
    "horizon",
    "reconcile",
    "report_markdown",
]


async def reconcile(
    settings: Settings, source: str | None = None, range_from: date | datetime | None = None,
    range_to: date | datetime | None = None, repair: bool = False, as_of: datetime | None = None,
    streams: Sequence[str] | None = None, detail_sample: int = DETAIL_SAMPLE,
) -> ReconcileReport:  # fmt: skip
    """Compare (and with ``repair`` fix) every chosen source and stream over the horizon;
    hydrated streams also compare every column of ``detail_sample`` records fetched by id."""
    now = as_of or datetime.now(UTC)
    start, end = horizon(range_from, range_to, now, settings.sync.lag_seconds)
    sources = select_sources(settings, source)
    chosen = _choose_streams(sources, streams)
    for s in sources:
        s.require_secret()
    pool = await open_pool(settings, sum(s.concurrency for s in sources) + 2)
    try:
        report = ReconcileReport(0, start, end, [s.name for s in sources], repair)
        async with pool.acquire() as conn:
            report.recon_id = await conn.fetchval(
                """INSERT INTO paysync.reconciliation_runs (range_from, range_to, sources, repair)
                   VALUES ($1, $2, $3, $4) RETURNING recon_id""",
                start, end, report.sources, repair,
            )  # fmt: skip
        try:
            for s in sources:
                await _SourceRecon(
                    pool, settings, s, chosen[s.name], report, now, detail_sample
                ).run()
            report.outcome = report.final_outcome()
        except BaseException as exc:
            report.outcome, report.error = "failed", str(exc) or type(exc).__name__
            raise
        finally:
            async with pool.acquire() as conn:
                await _finish(conn, report)
        return report
    finally:
        await pool.close()


def _choose_streams(
    sources: list[SourceBase], streams: Sequence[str] | None
) -> dict[str, list[StreamSpec]]:
    chosen = {}
    for s in sources:
        specs = connector(s.provider).streams
        chosen[s.name] = [v for k, v in specs.items() if not streams or k in streams]
    unknown = [
        n for n in streams or () if not any(n in connector(s.provider).streams for s in sources)
    ]
    if unknown:
        known = sorted({n for s in sources for n in connector(s.provider).streams})
        raise ConfigError(
            f"reconcile: unknown stream {', '.join(unknown)} for source(s) "
            f"{', '.join(s.name for s in sources)}; known: {', '.join(known)}"
        )
    return chosen


async def _finish(conn: asyncpg.Connection, report: ReconcileReport) -> None:
    await conn.execute(
        """UPDATE paysync.reconciliation_runs SET finished_at = now(), outcome = $2, missing = $3,
               extra = $4, differing = $5, inconsistent = $6, error = $7, summary = $8::jsonb
           WHERE recon_id = $1""",
        report.recon_id, report.outcome, report.missing, report.extra, report.differing,
        report.inconsistent, report.error, orjson.dumps(report.summary(), default=str).decode(),
    )  # fmt: skip


@dataclass
class _SourceRecon:
    pool: asyncpg.Pool
    settings: Settings
    source: SourceBase
    specs: list[StreamSpec]
    report: ReconcileReport
    now: datetime
    detail_sample: int = 0
    run_id: int | None = None  # the 'repair' sync run its record_changes belong to
    parents: dict[str, list[str]] = field(default_factory=dict)

    async def run(self) -> None:
        conn_ = connector(self.source.provider)
        request = SyncRequest(kind="incremental", as_of=self.now)
        self.sync = SourceSync(
            self.pool, self.source, conn_, self.settings.sync, request, now=self.now
        )
        if self.report.repair:
            async with self.pool.acquire() as conn:
                self.run_id = await start_run(
                    conn, "repair", self.source.name, [s.name for s in self.specs],
                    self.report.range_from, self.report.range_to,
                )  # fmt: skip
        outcome = "failed"
        try:
            async with self.sync.client() as client:
                self.sync.http = client
                await self._streams()
            await self._checks()
            outcome = "partial" if any(s.error for s in self.report.streams) else "succeeded"
        finally:
            if self.run_id is not None:
                async with self.pool.acquire() as conn:
                    await finish_run(conn, self.run_id, outcome, RunCounts())

    async def _streams(self) -> None:
        """Each stream on its own: a provider error on one is reported and the others still
        run (a scheduler gets every answer it can). Bad credentials or a provider that stays
        unreachable end this source's remaining streams, which would only wait out the same
        retries; the other sources still run."""
        for i, spec in enumerate(self.specs):
            try:
                self.report.streams.append(await self._stream(spec))
            except (ProviderRequestError, ContractChangedError) as exc:
                self._failed(spec, exc)
            except (ProviderAuthError, ProviderUnavailableError) as exc:
                self._failed(spec, exc)
                for rest in self.specs[i + 1 :]:
                    self._failed(rest, exc, f"not reconciled: {self.source.name!r} failed first")
                return

    def _failed(self, spec: StreamSpec, exc: ProviderError, note: str = "") -> None:
        message = f"source {self.source.name!r}, stream {spec.name}: {exc}"
        result = StreamResult(self.source.name, spec.name, scope_of(spec), note=note)
        result.error = note or message
        self.report.streams.append(result)
        if not note:
            self.report.fail(message, exc.exit_code)

    async def _stream(self, spec: StreamSpec) -> StreamResult:
        scope = scope_of(spec)
        result = StreamResult(self.source.name, spec.name, scope)
        if scope == "children" and spec.parent not in self.parents:
            result.note = f"skipped: its parent stream {spec.parent} was not reconciled"
            return result
        sql = build_compare(self.source.provider, spec)
        async with self.pool.acquire() as conn, conn.transaction():
            # the records' zone-less times are read as the sync reads them
            await loader.use_zone(conn, self.source.timezone)
            rejects = await stage(conn, self._pages(spec, scope))
            result.rejected = len(rejects)
            found = await self._compare(conn, spec, sql, result, rejects)
            if any(c.parent == spec.name for c in self.sync.connector.streams.values()):
                rows = await conn.fetch(sql.in_horizon, *self._args())  # before a repair restages
                self.parents[spec.name] = [r["id"] for r in rows]
            if spec.hydrate and self.detail_sample > 0:
                await self._detail_sample(conn, spec, sql, result, found)
            repaired = await self._repair(conn, spec, sql, found) if self.report.repair else set()
            await self._record(conn, spec, result, found, repaired)
        return result

    def _args(self, keep: Sequence[str] = (), parents: Sequence[str] = ()) -> tuple[Any, ...]:
        r = self.report
        return (self.source.name, r.range_from, r.range_to, list(parents), list(keep))

    def _pages(self, spec: StreamSpec, scope: str) -> AsyncIterator[Page]:
        if scope == "children":
            return self._children(spec, self.parents[spec.parent or ""])
        start, end = (self.report.range_from, self.report.range_to) if spec.window else (None, None)
        zone = self.source.timezone
        return census_pages(self.sync.http, self.source.name, spec, start, end, zone)

    async def _children(self, spec: StreamSpec, parent_ids: list[str]) -> AsyncIterator[Page]:
        if spec.parent_ref:  # fetched by the ids the parents name, not per parent
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(
                    f"""SELECT DISTINCT {spec.parent_ref} AS ref
                        FROM {self.source.provider}.{spec.parent} WHERE source = $1
                          AND id = ANY($2::text[]) AND {spec.parent_ref} IS NOT NULL""",
                    self.source.name, parent_ids,
                )  # fmt: skip
            parent_ids = [r["ref"] for r in rows]
        for i in range(0, len(parent_ids), 100):
            batch = parent_ids[i : i + 100]
            at = datetime.now(UTC)
            found = await asyncio.gather(*(fetch_by_id(self.sync.http, spec, p) for p in batch))
            yield Page.of(split_page(spec, [item for items in found for item in items]), at)

    async def _compare(
        self, conn: asyncpg.Connection, spec: StreamSpec, sql: CompareSql, result: StreamResult,
        rejects: list[Reject],
    ) -> dict[str, list[asyncpg.Record]]:  # fmt: skip
        keep = [r.record_id for r in rejects if r.record_id]
        args = self._args(keep, self.parents.get(spec.parent or "", ()))
        totals = await conn.fetchrow(sql.totals, *args)
        assert totals is not None
        result.provider_records, result.db_records = totals["provider_count"], totals["db_count"]
        result.provider_amount, result.db_amount = totals["provider_amount"], totals["db_amount"]
        found = {"missing": await conn.fetch(sql.missing, *args),
                 "differs": await conn.fetch(sql.differs, *args), "extra": []}  # fmt: skip
        if any(r.record_id is None for r in rejects):
            result.note = "extra ids not checked: a rejected record had no id"
        elif scope_of(spec) == "ids":
            result.note = (
                "no cursor column: only the provider's ids are compared (no extra, no days)"
            )
        else:
            found["extra"] = await conn.fetch(sql.extra, *args)
        found["aggregate"] = await conn.fetch(sql.aggregates, *args) if sql.aggregates else []
        if spec.hydrate:
            result.note = "hydrated: list summary columns compared (no detail sample)"
        return found

    async def _detail_sample(
        self, conn: asyncpg.Connection, spec: StreamSpec, sql: CompareSql, result: StreamResult,
        found: dict[str, list[asyncpg.Record]],
    ) -> None:  # fmt: skip
        """A hydrated list carries only a summary, so the list comparison cannot see a detail
        field that drifted. Fetch the detail of a sample of the horizon's records and compare
        every column: ``detail_sample`` records, chosen by a hash of id and recon_id (a
        different sample each run, reproducible from the recon_id)."""
        ids = [
            r["id"]
            for r in await conn.fetch(
                f"SELECT id FROM ({sql.in_horizon}) h ORDER BY md5(id || ':' || $6::text) LIMIT $7",
                *self._args(), str(self.report.recon_id), self.detail_sample,
            )
        ]  # fmt: skip
        if not ids:
            return
        fetched = await asyncio.gather(*(fetch_by_id(self.sync.http, spec, i) for i in ids))
        rows = split_page(spec, [item for items in fetched for item in items]).rows
        await conn.execute("TRUNCATE _stage")
        await copy_staged(conn, rows, 0)
        detail = build_compare(self.source.provider, replace(spec, hydrate=False))
        known = {r["id"] for r in found["differs"]} | {r["id"] for r in found["missing"]}
        found["differs"] += [
            r for r in await conn.fetch(detail.differs, *self._args()) if r["id"] not in known
        ]
        result.detail_checked = len(ids)
        result.note = (
            f"hydrated: list summary columns compared, every column for a sample of {len(ids)}"
        )

    async def _repair(
        self, conn: asyncpg.Connection, spec: StreamSpec, sql: CompareSql,
        found: dict[str, list[asyncpg.Record]],
    ) -> set[str]:  # fmt: skip
        """The provider's version of each difference, through the loader's merge."""
        assert self.run_id is not None
        repaired: set[str] = set()
        ids = sorted({r["id"] for r in found["missing"]} | {r["id"] for r in found["differs"]})
        if ids:
            if spec.hydrate:  # the list item is partial: merge the detail, as the engine does
                fetched = await asyncio.gather(*(fetch_by_id(self.sync.http, spec, i) for i in ids))
                rows = split_page(spec, [item for items in fetched for item in items]).rows
                await conn.execute("TRUNCATE _stage")
                await copy_staged(conn, rows, 0)
            else:
                await conn.execute(sql.keep_only, ids)
            differing = [r["id"] for r in found["differs"]]
            await conn.execute(sql.forget_hash, self.source.name, differing)
            target = loader.Target(self.source.name, spec, self.sync.sql[spec.name], self.run_id)
            loaded = loader.LoadResult()
            await loader.merge_stage(conn, target, loaded)
            repaired |= set(loaded.new_ids) | set(loaded.changed_ids)
        extra = [r["id"] for r in found["extra"]]
        if extra:
            gone = await conn.fetch(
                sql.delete_extra, self.source.name, spec.name, self.run_id, extra
            )
            repaired |= {r["record_id"] for r in gone}
        return repaired

    async def _record(
        self, conn: asyncpg.Connection, spec: StreamSpec, result: StreamResult,
        found: dict[str, list[asyncpg.Record]], repaired: set[str],
    ) -> None:  # fmt: skip
        diffs = [
            Diff(self.source.name, spec.name, kind, r["id"], r["day"], orjson.loads(r["detail"]),
                 r["id"] in repaired)
            for kind in ("missing", "extra", "differs") for r in found[kind]
        ]  # fmt: skip
        # An aggregate is fixed by fixing its records; with none to fix it stays unexplained.
        fixed = self.report.repair and bool(diffs) and all(d.repaired for d in diffs)
        diffs += [
            Diff(self.source.name, spec.name, "aggregate", None, r["day"],
                 orjson.loads(r["detail"]), fixed)
            for r in found["aggregate"]
        ]  # fmt: skip
        result.missing, result.extra = len(found["missing"]), len(found["extra"])
        result.differing, result.aggregate = len(found["differs"]), len(found["aggregate"])
        result.repaired = sum(d.repaired for d in diffs)
        await save_diffs(conn, self.report, diffs)

    async def _checks(self) -> None:
        names = {s.name for s in self.specs}
        lo, hi = self.report.range_from, self.report.range_to
        for check in CHECKS.get(self.source.provider, ()):
            if check.stream not in names:
                continue
            async with self.pool.acquire() as conn:
                rows = await conn.fetch(check.sql, self.source.name, lo, hi)
                diffs = [
                    Diff(self.source.name, check.stream, "consistency", r["id"], r["day"],
                         orjson.loads(r["detail"]), False)
                    for r in rows
                ]  # fmt: skip
                await save_diffs(conn, self.report, diffs)
            self.report.checks.append(
                CheckResult(self.source.name, check.stream, check.name, len(rows))
            )
