-- Row counts per source of every stream table, kept by triggers (migration 0012) on every
-- stream table, so a new stream is counted without a change here. SECURITY DEFINER: it
-- counts with the view owner's rights,
-- like the view reads paysync.* for readers who cannot (they see counts, never rows).
-- Stream tables added since the last migrate get their row counters (migration 0012).
SELECT paysync.attach_row_counters();

CREATE OR REPLACE FUNCTION analytics.stream_rows()
RETURNS TABLE (provider text, source text, stream text, live_rows bigint, deleted_rows bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    -- The counters the stream tables' triggers keep exact at every commit: a few rows, where
    -- counting the tables themselves read every record on each dashboard refresh.
    SELECT provider, source, stream, sum(live_rows)::bigint, sum(deleted_rows)::bigint
    FROM paysync.stream_row_counts GROUP BY provider, source, stream
    HAVING sum(live_rows) <> 0 OR sum(deleted_rows) <> 0
$$;
COMMENT ON FUNCTION analytics.stream_rows() IS 'Live and deleted rows per provider, source and stream table (used by analytics.sync_health)';

CREATE OR REPLACE VIEW analytics.sync_health AS
WITH counted AS (
    SELECT * FROM analytics.stream_rows()
), providers AS (
    SELECT DISTINCT source, provider FROM counted
), pairs AS (
    SELECT source, stream FROM paysync.stream_state
    UNION SELECT source, stream FROM counted
    UNION SELECT source, stream FROM paysync.rejects
), rejects AS (
    SELECT source, stream, count(*) AS rejects, max(received_at) AS last_reject_at
    FROM paysync.rejects GROUP BY source, stream
), recon AS (
    SELECT DISTINCT ON (s.source) s.source, r.recon_id, r.finished_at, r.outcome
    FROM paysync.reconciliation_runs r CROSS JOIN LATERAL unnest(r.sources) AS s(source)
    ORDER BY s.source, r.recon_id DESC
)
SELECT coalesce(c.provider, pv.provider) AS provider, p.source, p.stream,
       coalesce(st.last_success_at, ok.finished_at) AS last_success_at, st.cursor, now() - st.cursor AS lag,
       run.run_id AS last_run_id, run.started_at AS last_run_at,
       -- A run whose process died shows 'abandoned' even before anything marked it so.
       CASE WHEN run.outcome = 'running' AND run.leased AND NOT EXISTS (
                SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted
                  AND l.classid = 17017 AND l.objid = run.run_id::oid AND l.objsubid = 2)
            THEN 'abandoned' ELSE run.outcome END AS last_run_outcome,
       coalesce(c.live_rows, 0) AS rows, coalesce(c.deleted_rows, 0) AS deleted_rows,
       coalesce(rj.rejects, 0) AS rejects, rj.last_reject_at,
       (SELECT count(*) FROM paysync.schema_drift d
        WHERE d.source = p.source AND d.stream = p.stream) AS drift_fields,
       (SELECT count(*) FROM paysync.refetch_queue q
        WHERE q.source = p.source AND q.stream = p.stream) AS queued_refetches,
       rc.recon_id AS last_reconciliation_id, rc.finished_at AS last_reconciliation_at,
       rc.outcome AS last_reconciliation_outcome,
       CASE WHEN rc.recon_id IS NOT NULL THEN
           (SELECT count(*) FROM paysync.reconciliation_diffs d
            WHERE d.recon_id = rc.recon_id AND d.source = p.source AND d.stream = p.stream)
       END AS last_reconciliation_differences,
       (SELECT coalesce(sum(w.rejected), 0) FROM paysync.sync_windows w
        WHERE w.source = p.source AND w.stream = p.stream)
       + (SELECT count(*) FROM paysync.refetch_queue q
          WHERE q.source = p.source AND q.stream = p.stream AND q.last_error IS NOT NULL)
         AS owed_records
FROM pairs p
LEFT JOIN counted c ON c.source = p.source AND c.stream = p.stream
LEFT JOIN providers pv ON pv.source = p.source
LEFT JOIN paysync.stream_state st ON st.source = p.source AND st.stream = p.stream
LEFT JOIN rejects rj ON rj.source = p.source AND rj.stream = p.stream
LEFT JOIN recon rc ON rc.source = p.source
LEFT JOIN LATERAL (
    SELECT r.run_id, r.started_at, r.outcome, r.leased FROM paysync.sync_runs r
    WHERE r.source = p.source AND (p.stream = ANY(r.streams) OR r.streams = '{}')
    ORDER BY r.run_id DESC LIMIT 1
) run ON true
LEFT JOIN LATERAL (  -- child streams (read per parent record) keep no stream_state of their own
    SELECT r.finished_at FROM paysync.sync_runs r
    WHERE r.source = p.source AND (p.stream = ANY(r.streams) OR r.streams = '{}')
      AND r.outcome = 'succeeded'
    ORDER BY r.run_id DESC LIMIT 1
) ok ON st.last_success_at IS NULL;

COMMENT ON VIEW analytics.sync_health IS 'Per source and stream: last successful sync, lag, rows, rejects, drift and the last reconciliation (readable without rights on paysync.*)';
COMMENT ON COLUMN analytics.sync_health.provider IS 'smarterpay or smart2pay (schema of the stream table)';
COMMENT ON COLUMN analytics.sync_health.source IS 'paysync source name (one provider account)';
COMMENT ON COLUMN analytics.sync_health.stream IS 'Stream (table name in the provider''s schema)';
COMMENT ON COLUMN analytics.sync_health.last_success_at IS 'When a sync of this stream last succeeded (child streams such as refunds: the last succeeded run of their source)';
COMMENT ON COLUMN analytics.sync_health.cursor IS 'Incremental high-water mark: records created before it are loaded';
COMMENT ON COLUMN analytics.sync_health.lag IS 'now() - cursor: how far the copy is behind the provider';
COMMENT ON COLUMN analytics.sync_health.last_run_id IS 'Last sync run that covered the stream (paysync.sync_runs)';
COMMENT ON COLUMN analytics.sync_health.last_run_at IS 'When that run started';
COMMENT ON COLUMN analytics.sync_health.last_run_outcome IS 'running, succeeded, partial, failed, aborted or abandoned (its process died)';
COMMENT ON COLUMN analytics.sync_health.rows IS 'Records held (not marked deleted)';
COMMENT ON COLUMN analytics.sync_health.deleted_rows IS 'Records marked deleted (gone from a fully re-read window)';
COMMENT ON COLUMN analytics.sync_health.rejects IS 'Records that failed validation, all time (paysync.rejects)';
COMMENT ON COLUMN analytics.sync_health.last_reject_at IS 'When the last reject was stored';
COMMENT ON COLUMN analytics.sync_health.drift_fields IS 'Fields the provider sends that the models do not know (paysync.schema_drift)';
COMMENT ON COLUMN analytics.sync_health.queued_refetches IS 'Records waiting to be fetched again by id';
COMMENT ON COLUMN analytics.sync_health.last_reconciliation_id IS 'Last reconciliation covering the source (paysync.reconciliation_runs)';
COMMENT ON COLUMN analytics.sync_health.last_reconciliation_at IS 'When it finished';
COMMENT ON COLUMN analytics.sync_health.last_reconciliation_outcome IS 'running, clean, drift, repaired or failed';
COMMENT ON COLUMN analytics.sync_health.last_reconciliation_differences IS 'Differences it found in this stream';
COMMENT ON COLUMN analytics.sync_health.owed_records IS 'Rejected records still owed: re-read with their windows, or re-fetched by id, until they load or are given up (paysync.give_up_rejects)';
