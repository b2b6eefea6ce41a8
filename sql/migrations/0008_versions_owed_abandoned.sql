-- Issue 17: three ways the database could stay wrong after a clean run, and dead runs.
--
-- 1. Record versions. Every stream table gets _fetched_at: when the read that wrote the row was
--    requested from the provider. A write never replaces a row with an older version: ordered by
--    the provider's own change time where the stream has one (Smart2Pay payments:
--    NotificationDateTime), then by _fetched_at (pipelines/load/merge_sql.py). Rows written
--    before this migration have NULL: the oldest version.
DO $$
DECLARE t record;
BEGIN
    FOR t IN
        SELECT c.table_schema, c.table_name FROM information_schema.columns c
        WHERE c.table_schema IN ('smarterpay', 'smart2pay') AND c.column_name = '_synced_at'
    LOOP
        EXECUTE format('ALTER TABLE %I.%I ADD COLUMN IF NOT EXISTS _fetched_at timestamptz',
                       t.table_schema, t.table_name);
        EXECUTE format(
            'COMMENT ON COLUMN %I.%I._fetched_at IS %L', t.table_schema, t.table_name,
            'When the provider read that wrote this version was requested (orders versions)');
    END LOOP;
END $$;

-- 2. A window whose read rejected records stays owed: re-read by every run until the records
--    load or are given up (paysync.give_up_rejects).
ALTER TABLE paysync.sync_windows ADD COLUMN rejected integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN paysync.sync_windows.rejected IS
    'Records of the window rejected by its last read (not given up): >0 means the window is owed and re-read';
CREATE INDEX sync_windows_owed ON paysync.sync_windows (source, stream) WHERE rejected > 0;

ALTER TABLE paysync.rejects ADD COLUMN given_up_at timestamptz;
COMMENT ON COLUMN paysync.rejects.given_up_at IS
    'Set by paysync.give_up_rejects: this record is no longer owed by its window';

-- Records fetched by id that were rejected stay queued (a later run tries again); the run that
-- tried last and why it failed, so one run does not spin on them and status can show them.
ALTER TABLE paysync.refetch_queue ADD COLUMN tried_run_id bigint, ADD COLUMN last_error text;
COMMENT ON COLUMN paysync.refetch_queue.tried_run_id IS
    'Last run whose fetch of this record was rejected (the record is still owed)';

CREATE FUNCTION paysync.give_up_rejects(p_source text, p_stream text) RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    -- Explicit decision by an operator: these records will not be loaded. Their windows are
    -- no longer owed; the rejects stay in paysync.rejects for inspection.
    UPDATE paysync.rejects SET given_up_at = now()
    WHERE source = p_source AND stream = p_stream AND given_up_at IS NULL;
    GET DIAGNOSTICS n = ROW_COUNT;
    UPDATE paysync.sync_windows SET rejected = 0
    WHERE source = p_source AND stream = p_stream AND rejected > 0;
    DELETE FROM paysync.refetch_queue
    WHERE source = p_source AND stream = p_stream AND last_error IS NOT NULL;
    RETURN n;
END $$;
COMMENT ON FUNCTION paysync.give_up_rejects(text, text) IS
    'Stop owing the rejected records of one stream (their windows and re-fetches); returns how many rejects';

-- 3. Runs that died. A live run holds an advisory lock keyed by its run_id (class 17017) on a
--    connection of its own; a process that is killed loses its connection and with it the lock.
--    paysync.mark_abandoned() turns every 'running' run whose lock nobody holds into 'abandoned'.
ALTER TABLE paysync.sync_runs ADD COLUMN leased boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN paysync.sync_runs.leased IS
    'The run holds advisory lock (17017, run_id) while it lives; without a holder it is abandoned';
ALTER TABLE paysync.sync_runs DROP CONSTRAINT sync_runs_outcome_check;
ALTER TABLE paysync.sync_runs ADD CONSTRAINT sync_runs_outcome_check
    CHECK (outcome IN ('running', 'succeeded', 'partial', 'failed', 'aborted', 'abandoned'));

CREATE FUNCTION paysync.mark_abandoned() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE n integer;
BEGIN
    UPDATE paysync.sync_runs r
    SET outcome = 'abandoned', finished_at = now(),
        error = coalesce(r.error, 'the process died (its run lock was released while running)')
    WHERE r.outcome = 'running' AND r.leased
      AND NOT EXISTS (
          SELECT 1 FROM pg_locks l
          WHERE l.locktype = 'advisory' AND l.granted AND l.classid = 17017
            AND l.objid = r.run_id::oid AND l.objsubid = 2
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()));
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END $$;
COMMENT ON FUNCTION paysync.mark_abandoned() IS
    'Mark running runs whose process is gone (no holder of their run lock) abandoned; returns how many';
