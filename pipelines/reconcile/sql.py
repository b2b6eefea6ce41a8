"""The SQL of a reconciliation, built once per stream from its spec (never from API data).

The provider's records are staged in ``_stage`` (``pipelines.loader.STAGE``) and projected
through the loader's own conversions (``merge_sql.projection``), so "differs" means exactly
what the merge would write. Every query takes the same five parameters, bound once in ``args``:
$1 source, $2 horizon start, $3 horizon end, $4 parent ids (child streams), $5 ids to spare
(rejected records: the provider still has them, we could not read them).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import asyncpg
import orjson

from connectors.streams import Column, StreamSpec
from pipelines.load.loader import STAGE
from pipelines.load.merge_sql import json_object, projection
from pipelines.load.records import Page, Reject

if TYPE_CHECKING:
    from pipelines.reconcile.report import Diff, ReconcileReport

# window: list read for the horizon, scoped by the cursor column on both sides;
# whole: no date filter, every record compared; children: read per parent in the horizon;
# ids: windowed list without a cursor column, so the database side cannot be scoped by date
# and only the provider's ids are compared (no "extra", no per-day aggregates).
Scope = Literal["window", "whole", "children", "ids"]

ARGS = """args AS (SELECT $1::text AS source, $2::timestamptz AS lo, $3::timestamptz AS hi,
                  $4::text[] AS parents, $5::text[] AS keep)"""


def scope_of(spec: StreamSpec) -> Scope:
    if spec.parent:
        return "children"
    if spec.window is None:
        return "whole"
    return "window" if spec.cursor_column else "ids"


def compared_columns(spec: StreamSpec) -> tuple[Column, ...]:
    """Hydrated lists carry only their summary columns in full: compare those alone."""
    if spec.hydrate:
        return tuple(c for c in spec.columns if c.name in spec.list_columns)
    return spec.columns


@dataclass(frozen=True)
class CompareSql:
    table: str
    missing: str  # -> id, day, detail
    extra: str  # -> id, day, detail
    differs: str  # -> id, day, detail
    aggregates: str | None  # -> id (NULL), day, detail
    totals: str  # -> provider_count, provider_amount, db_count, db_amount
    in_horizon: str  # -> id: the provider's records in the horizon (parents of child streams)
    delete_extra: str  # $1 source, $2 stream, $3 run, $4 ids -> record_id
    keep_only: str  # $1 ids: drop every other staged record before a repair merge
    # $1 source, $2 ids: a row edited behind the loader's back keeps its old _hash, which
    # would make the merge skip it; forget the hash so the merge compares and writes.
    forget_hash: str


def build_compare(schema: str, spec: StreamSpec) -> CompareSql:
    table = f"{schema}.{spec.name}"
    cols = compared_columns(spec)
    names = {c.name for c in cols}
    scope = scope_of(spec)
    ctes = _ctes(table, spec, cols, scope)
    dim = _dimension(spec, names)
    return CompareSql(
        table=table,
        missing=f"""{ctes}
SELECT p.id, {_day(spec, names, "p.")} AS day,
       jsonb_build_object('deleted_at', t._deleted_at) AS detail
FROM args CROSS JOIN p LEFT JOIN {table} t ON t.source = args.source AND t.id = p.id
WHERE t.id IS NULL OR t._deleted_at IS NOT NULL ORDER BY p.id""",
        extra=f"""{ctes}
SELECT d.id, {_day(spec, names, "d.")} AS day, '{{}}'::jsonb AS detail
FROM args CROSS JOIN d WHERE NOT EXISTS (SELECT 1 FROM s WHERE s.id = d.id)
  AND d.id <> ALL(args.keep) ORDER BY d.id""",
        differs=f"""{ctes}, pairs AS (
    SELECT s.id, {_day(spec, names, "s.")} AS day,
           {json_object(cols, "t.")} AS db, {json_object(cols, "s.")} AS pv
    FROM args CROSS JOIN s JOIN {table} t
         ON t.source = args.source AND t.id = s.id AND t._deleted_at IS NULL
    WHERE s.id IN (SELECT id FROM p) OR t.id IN (SELECT id FROM d)
)
SELECT id, day, jsonb_build_object('columns', to_jsonb(keys), 'db', paysync.pick(db, keys),
                                   'provider', paysync.pick(pv, keys)) AS detail
FROM (SELECT pairs.*, paysync.changed_keys(db, pv) AS keys FROM pairs) x
WHERE cardinality(keys) > 0 ORDER BY id""",
        aggregates=_aggregates(ctes, spec, names, dim) if scope == "window" else None,
        totals=f"""{ctes}
SELECT (SELECT count(*) FROM p) AS provider_count,
       (SELECT sum({dim["amount"]}) FROM p) AS provider_amount,
       (SELECT count(*) FROM d) AS db_count, (SELECT sum({dim["amount"]}) FROM d) AS db_amount""",
        in_horizon=f"{ctes}\nSELECT id FROM p ORDER BY id",
        delete_extra=f"""
WITH gone AS (
    UPDATE {table} t SET _deleted_at = now(), _synced_at = now()
    WHERE t.source = $1 AND t._deleted_at IS NULL AND t.id = ANY($4::text[])
    RETURNING t.id
)
INSERT INTO paysync.record_changes (source, stream, record_id, run_id, change_kind)
SELECT $1, $2, id, $3, 'delete' FROM gone RETURNING record_id""",
        keep_only="DELETE FROM _stage WHERE id <> ALL($1::text[])",
        forget_hash=f"UPDATE {table} SET _hash = '' WHERE source = $1 AND id = ANY($2::text[])",
    )


def _ctes(table: str, spec: StreamSpec, cols: tuple[Column, ...], scope: Scope) -> str:
    """s: the provider's records (last version of each id); p: those in the horizon;
    d: the database's live records in the horizon."""
    projected = ", ".join(f"{projection(c)} AS {c.name}" for c in cols)
    listed = ", ".join(f"t.{c.name}" for c in cols)
    cursor = spec.cursor_column
    p_where, d_where = {
        "window": (f"s.{cursor} >= args.lo AND s.{cursor} < args.hi",
                   f"t.{cursor} >= args.lo AND t.{cursor} < args.hi"),
        "whole": ("true", "true"),
        "children": ("true", f"t.{spec.child_parent_column}::text = ANY(args.parents)"),
        "ids": ("true", "t.id IN (SELECT id FROM s)"),
    }[scope]  # fmt: skip
    return f"""WITH {ARGS},
s AS (SELECT id, {projected}
      FROM (SELECT DISTINCT ON (id) id, raw FROM _stage ORDER BY id, seq DESC) latest),
p AS (SELECT s.* FROM args CROSS JOIN s WHERE {p_where}),
d AS (SELECT t.id, {listed} FROM args CROSS JOIN {table} t
      WHERE t.source = args.source AND t._deleted_at IS NULL AND {d_where})"""


def _dimension(spec: StreamSpec, names: set[str]) -> dict[str, str]:
    """Status, currency and amount columns where the stream has them (NULL otherwise: one
    group; SmarterPay amounts are GBP pence with no currency column)."""
    status = spec.status_column if spec.status_column in names else None
    return {
        "status": f"{status}::text" if status else "NULL::text",
        "currency": "currency::text" if "currency" in names else "NULL::text",
        "amount": "amount" if "amount" in names else "NULL::bigint",
    }


def _day(spec: StreamSpec, names: set[str], prefix: str) -> str:
    cursor = spec.cursor_column
    if not cursor or cursor not in names:
        return "NULL::date"
    kind = next(c.kind for c in spec.columns if c.name == cursor)
    return f"({prefix}{cursor} AT TIME ZONE 'UTC')::date" if kind == "ts" else f"{prefix}{cursor}"


def _aggregates(ctes: str, spec: StreamSpec, names: set[str], dim: dict[str, str]) -> str:
    day = _day(spec, names, "")
    per_side = (
        f"SELECT {{side}} AS side, {day} AS day, {dim['status']} AS status, "
        f"{dim['currency']} AS currency, count(*) AS n, sum({dim['amount']}) AS amount "
        "FROM {rel} GROUP BY 2, 3, 4"
    )
    zero = "0" if dim["amount"] != "NULL::bigint" else "NULL"  # no rows on a side: amount 0
    provider = per_side.format(side="'provider'", rel="p")
    db = per_side.format(side="'db'", rel="d")
    return f"""{ctes}, sides AS ({provider} UNION ALL {db}), grouped AS (
    SELECT day, status, currency,
           coalesce(sum(n) FILTER (WHERE side = 'provider'), 0)::bigint AS pn,
           coalesce(sum(amount) FILTER (WHERE side = 'provider'), {zero})::bigint AS pa,
           coalesce(sum(n) FILTER (WHERE side = 'db'), 0)::bigint AS dn,
           coalesce(sum(amount) FILTER (WHERE side = 'db'), {zero})::bigint AS da
    FROM sides GROUP BY day, status, currency
)
SELECT NULL::text AS id, day, jsonb_build_object(
    'day', day, 'status', status, 'currency', currency,
    'provider', jsonb_build_object('count', pn, 'amount', pa),
    'db', jsonb_build_object('count', dn, 'amount', da)) AS detail
FROM grouped WHERE pn <> dn OR pa IS DISTINCT FROM da ORDER BY day, status, currency"""


@dataclass(frozen=True)
class Check:
    """An internal consistency rule analysts rely on: rows it returns are inconsistent.
    Parameters: $1 source, $2 horizon start, $3 horizon end -> id, day, detail."""

    stream: str
    name: str
    sql: str


# Provider table names appear here as SQL only (the engine stays generic): these rules are
# about what the data means, which no stream spec can say.
CHECKS: dict[str, tuple[Check, ...]] = {
    "smarterpay": (
        Check("payments", "payment-mandate-exists", """
SELECT p.id, (p.created_at AT TIME ZONE 'UTC')::date AS day,
       jsonb_build_object('check', 'payment-mandate-exists', 'mandate', p.mandate) AS detail
FROM smarterpay.payments p
WHERE p.source = $1 AND p._deleted_at IS NULL AND p.created_at >= $2 AND p.created_at < $3
  AND p.mandate IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM smarterpay.mandates m
                  WHERE m.source = p.source AND m.id = p.mandate AND m._deleted_at IS NULL)
ORDER BY p.id"""),
        Check("submissions", "submission-totals-equal-lines", """
WITH subs AS (
    SELECT * FROM smarterpay.submissions s
    WHERE s.source = $1 AND s._deleted_at IS NULL AND s.created_at >= $2 AND s.created_at < $3
), lines AS (
    SELECT l.submission_id, count(*) AS n, sum(l.amount) AS v FROM smarterpay.submission_lines l
    WHERE l.source = $1 AND l._deleted_at IS NULL AND l.type = 'payment'
      AND l.submission_id IN (SELECT id FROM subs)
    GROUP BY l.submission_id
)
SELECT s.id, (s.created_at AT TIME ZONE 'UTC')::date AS day, jsonb_build_object(
    'check', 'submission-totals-equal-lines',
    'payment_total_count', s.payment_total_count, 'payment_total_value', s.payment_total_value,
    'lines_count', coalesce(l.n, 0), 'lines_value', coalesce(l.v, 0)) AS detail
FROM subs s LEFT JOIN lines l ON l.submission_id = s.id
WHERE s.payment_total_count IS DISTINCT FROM coalesce(l.n, 0)
   OR s.payment_total_value IS DISTINCT FROM coalesce(l.v, 0)
ORDER BY s.id"""),
    ),
    "smart2pay": (
        Check("payments", "captured-not-above-authorized", """
SELECT p.id, (p.created AT TIME ZONE 'UTC')::date AS day, jsonb_build_object(
    'check', 'captured-not-above-authorized', 'amount', p.amount,
    'captured_amount', p.captured_amount, 'currency', p.currency) AS detail
FROM smart2pay.payments p
WHERE p.source = $1 AND p._deleted_at IS NULL AND p.created >= $2 AND p.created < $3
  AND p.captured_amount > p.amount
ORDER BY p.id"""),
    ),
}  # fmt: skip


async def stage(conn: asyncpg.Connection, pages: AsyncIterator[Page]) -> list[Reject]:
    """The provider's records into ``_stage`` (dropped at commit); rejects are returned, not
    stored: a reconciliation reports, the sync keeps rejects."""
    await conn.execute(STAGE)
    rejects: list[Reject] = []
    seq = 0
    async for rows, page_rejects, *_ in pages:  # staged now: a repair is the newest read
        seq = await copy_staged(conn, rows, seq)
        rejects.extend(page_rejects)
    return rejects


async def copy_staged(conn: asyncpg.Connection, rows: list[tuple[str, str]], seq: int) -> int:
    if rows:
        records = [(seq + i, rid, raw) for i, (rid, raw) in enumerate(rows)]
        await conn.copy_records_to_table("_stage", records=records, columns=["seq", "id", "raw"])
    return seq + len(rows)


async def save_diffs(conn: asyncpg.Connection, report: ReconcileReport, diffs: list[Diff]) -> None:
    report.add(diffs)
    if diffs:
        await conn.copy_records_to_table(
            "reconciliation_diffs", schema_name="paysync",
            columns=["recon_id", "source", "stream", "day", "kind", "record_id", "detail",
                     "repaired"],
            records=[(report.recon_id, d.source, d.stream, d.day, d.kind, d.record_id,
                      orjson.dumps(d.detail).decode(), d.repaired) for d in diffs],
        )  # fmt: skip
