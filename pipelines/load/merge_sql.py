"""The SQL of one stream, built once from its spec (never from API data).

Typed columns are projected from ``raw`` by the ``paysync.to_*`` functions; ``_hash`` is the md5
of that projection, so two spellings of the same record (a list item and a detail, say) are one
version. Unchanged records are dropped before the upsert: no write, no lock; those stored with
the very same ``raw`` are dropped before they are even projected and hashed.

Newer wins, against every writer (windows, fetches by id, webhooks): a staged version replaces
the stored one only when it is not older, ordered by the provider's change time where the
stream has one (``changed_column``, NULL oldest) and then by ``_fetched_at``, when the read was
requested. Counts and change rows come from what the upsert really wrote.

Cost (issue 15): the stored table is only read for the staged ids (``id = ANY``: the primary
key once the table has any size), at most once per window whatever the planner believes of it
(a fresh table has no statistics); a window's merge then costs about the same at 3M stored rows
as at none. Per 1,000 new payments the merge is ~30 ms
of PostgreSQL CPU: a third projecting and hashing, the rest the upsert (heap, four indexes,
WAL); ``python bench/merge_profile.py`` measures its parts.
"""

from __future__ import annotations

from dataclasses import dataclass

from connectors.streams import Column, StreamSpec

CONVERT = {
    "text": "paysync.to_text({v})", "sortcode": "paysync.to_text({v})",
    "int": "paysync.to_bigint({v})", "num": "paysync.to_numeric({v})",
    "bool": "paysync.to_bool({v})", "ts": "paysync.to_ts({v})", "date": "paysync.to_date({v})",
    "json": "nullif({j}, 'null'::jsonb)",
}  # fmt: skip


def projection(column: Column, raw: str = "raw") -> str:
    path = "{" + ",".join(column.path) + "}"
    return CONVERT[column.kind].format(v=f"({raw} #>> '{path}')", j=f"({raw} #> '{path}')")


def json_object(columns: tuple[Column, ...], prefix: str) -> str:
    # jsonb_build_object takes at most 100 arguments: build it in chunks.
    chunks = [columns[i : i + 40] for i in range(0, len(columns), 40)] or [()]
    parts = [
        "jsonb_build_object(" + ", ".join(f"'{c.name}', {prefix}{c.name}" for c in chunk) + ")"
        for chunk in chunks
    ]
    return " || ".join(parts)


def _hash(columns: tuple[Column, ...], names: tuple[str, ...] | None = None) -> str:
    """md5 over already projected columns (of the row being selected)."""
    chosen = [c.name for c in columns if names is None or c.name in names]
    return "md5(ROW(" + ", ".join(chosen) + ")::text)" if chosen else "NULL::text"


def _projected(cols: tuple[Column, ...]) -> str:
    return ", ".join(f"{projection(c)} AS {c.name}" for c in cols)


def _latest_projected(cols: tuple[Column, ...]) -> str:
    """The staged records, last version of each id, with their typed columns."""
    return f"""SELECT id, raw, fetched_at, {_projected(cols)} FROM (
        SELECT DISTINCT ON (id) id, raw, fetched_at FROM _stage ORDER BY id, seq DESC) latest"""


def not_older(spec: StreamSpec, new: str, old: str) -> str:
    """SQL: the version ``new`` (an alias) is not older than the stored row ``old``."""
    fetched = f"{new}._fetched_at >= coalesce({old}._fetched_at, '-infinity')"
    if spec.changed_column is None:
        return fetched
    c = spec.changed_column
    return (
        f"(coalesce({new}.{c}, '-infinity'), {new}._fetched_at)"
        f" >= (coalesce({old}.{c}, '-infinity'), coalesce({old}._fetched_at, '-infinity'))"
    )


@dataclass(frozen=True)
class StreamSql:
    table: str
    merge: str  # $1 source, $2 stream, $3 run_id -> inserted, changed, new_ids, changed_ids
    changed_summaries: str  # hydrate: ids whose list summary is new or changed
    mark_deleted: str  # $1 source, $2 stream, $3 run, $4 start, $5 end, $6 keep ids
    mark_deleted_all: str  # whole-stream reads: $1 source, $2 stream, $3 run, $4 keep ids
    drift: str  # $1 source, $2 stream, $3 run, $4 known keys


def build(schema: str, spec: StreamSpec) -> StreamSql:
    table = f"{schema}.{spec.name}"
    cols = spec.columns
    names = ", ".join(c.name for c in cols)
    updates = ", ".join(f"{c.name} = excluded.{c.name}" for c in cols)
    list_hash = _hash(cols, spec.list_columns) if spec.hydrate else "NULL::text"
    merge = f"""
WITH latest AS (
    SELECT DISTINCT ON (id) id, raw, fetched_at FROM _stage ORDER BY id, seq DESC
), candidates AS (
    -- A record stored with the very same raw is unchanged: it is neither projected nor hashed
    -- (most of an incremental's or a re-scan's records). One index probe also tells new ones.
    -- A forgotten hash ('' : reconcile's repair, or a migration that retypes columns) means
    -- "rewrite from raw", so those rows take the full hash test.
    -- Only the staged ids are read from the table (= ANY: a primary-key lookup). A fresh table
    -- has no statistics: ``source = $1`` alone looked like 0.5% of it, and the planner read
    -- every stored record of the source, once per window (quadratic in a backfill). Whatever
    -- index the planner picks now, the table is read at most once per window, never per row.
    SELECT l.id, l.raw, l.fetched_at, t.id IS NULL AS new_row FROM latest l
    LEFT JOIN (SELECT id, raw, _hash, _deleted_at FROM {table}
               WHERE source = $1 AND id = ANY(ARRAY(SELECT id FROM _stage))) t ON t.id = l.id
    WHERE t.id IS NULL OR t._deleted_at IS NOT NULL OR coalesce(t._hash, '') = ''
       OR t.raw <> l.raw
), typed AS (
    SELECT id, raw, fetched_at, new_row, {_projected(cols)} FROM candidates
), projected AS (
    SELECT typed.*, typed.fetched_at AS _fetched_at, {_hash(cols)} AS h, {list_hash} AS lh
    FROM typed
), existing AS (
    -- Lock only the rows about to change, in id order. A concurrent window that already
    -- wrote the same version makes the hash test fail on re-check: no second change row.
    -- A stored version newer than the staged one is kept (a webhook during a window's read).
    SELECT p.*, false AS is_new, t._deleted_at IS NOT NULL AS was_deleted,
           {json_object(cols, "t.")} AS before
    FROM projected p JOIN {table} t ON t.source = $1 AND t.id = p.id
    -- the same guard as above: only these ids are read
    WHERE t.id = ANY(ARRAY(SELECT id FROM projected WHERE NOT new_row))
      AND NOT p.new_row AND (t._hash <> p.h OR t._deleted_at IS NOT NULL)
      AND {not_older(spec, "p", "t")}
    ORDER BY t.id FOR UPDATE OF t
), diff AS (
    SELECT * FROM existing
    UNION ALL
    SELECT p.*, true, false, NULL::jsonb FROM projected p WHERE p.new_row
), upsert AS (
    -- The WHERE re-checks against a row a concurrent writer inserted meanwhile: the same
    -- version is not written (nor counted) twice, an older one not at all.
    INSERT INTO {table} AS t (source, id, {names}, raw, _hash, _list_hash, _fetched_at)
    SELECT $1, id, {names}, raw, h, lh, _fetched_at FROM diff ORDER BY id  -- one lock order
    ON CONFLICT (source, id) DO UPDATE SET {updates}, raw = excluded.raw,
        _hash = excluded._hash, _list_hash = excluded._list_hash,
        _fetched_at = excluded._fetched_at,
        _changed_at = now(), _synced_at = now(), _deleted_at = NULL
    WHERE (t._hash <> excluded._hash OR t._deleted_at IS NOT NULL)
      AND {not_older(spec, "excluded", "t")}
    RETURNING t.id, (t.xmax = 0) AS is_insert
), changes AS (
    INSERT INTO paysync.record_changes
        (source, stream, record_id, run_id, change_kind, changed_fields, before, after)
    SELECT $1, $2, id, $3, CASE WHEN was_deleted THEN 'undelete' ELSE 'update' END,
           keys, paysync.pick(before, keys), paysync.pick(after, keys)
    FROM (SELECT x.*, paysync.changed_keys(x.before, x.after) AS keys
          FROM (SELECT d.id, d.was_deleted, d.before, {json_object(cols, "d.")} AS after
                FROM diff d JOIN upsert u ON u.id = d.id
                WHERE NOT d.is_new AND NOT u.is_insert) x) c
)
SELECT count(*) FILTER (WHERE is_insert) AS inserted,
       count(*) FILTER (WHERE NOT is_insert) AS changed,
       coalesce(array_agg(id) FILTER (WHERE is_insert), '{{}}') AS new_ids,
       coalesce(array_agg(id) FILTER (WHERE NOT is_insert), '{{}}') AS changed_ids
FROM upsert"""
    changed_summaries = f"""
SELECT p.id FROM (SELECT typed.id, {list_hash} AS lh FROM ({_latest_projected(cols)}) typed) p
LEFT JOIN (SELECT id, _list_hash, _deleted_at FROM {table}  -- the staged ids only, as in merge
           WHERE source = $1 AND id = ANY(ARRAY(SELECT id FROM _stage))) t ON t.id = p.id
WHERE t.id IS NULL OR t._list_hash IS DISTINCT FROM p.lh OR t._deleted_at IS NOT NULL"""
    deleted = f"""
WITH gone AS (
    UPDATE {table} t SET _deleted_at = now(), _synced_at = now()
    WHERE t.source = $1 AND t._deleted_at IS NULL {{range}}
      AND NOT EXISTS (SELECT 1 FROM _stage s WHERE s.id = t.id) AND t.id <> ALL({{keep}})
    RETURNING t.id
)
INSERT INTO paysync.record_changes (source, stream, record_id, run_id, change_kind)
SELECT $1, $2, id, $3, 'delete' FROM gone"""
    cursor = spec.cursor_column
    in_window = f"AND t.{cursor} >= $4 AND t.{cursor} < $5" if cursor else "AND false"
    return StreamSql(
        table=table,
        merge=merge,
        changed_summaries=changed_summaries,
        mark_deleted=deleted.format(range=in_window, keep="$6::text[]"),
        mark_deleted_all=deleted.format(range="", keep="$4::text[]"),
        # Strip the known keys in C first: only records with unknown keys are expanded (3-4x
        # cheaper per window than expanding every key of every record).
        drift="""
INSERT INTO paysync.schema_drift (source, stream, field_path, first_run_id, example)
SELECT DISTINCT ON (k) $1, $2, k, $3, s.raw -> k
FROM (SELECT raw, raw - $4::text[] AS unknown FROM _stage) s, jsonb_object_keys(s.unknown) k
WHERE s.unknown <> '{}'::jsonb
ON CONFLICT DO NOTHING""",
    )
