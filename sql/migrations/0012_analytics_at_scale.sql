-- Analysts at scale (issue 16): what makes the analyst views' cost follow the question.
-- 1. Indexes the selective views need: value day; what each webhook-log message is about (GIN).
-- 2. paysync.stream_row_counts: live and deleted rows per stream table and source, kept exact by
--    insert-only statement-level triggers on every stream table, so analytics.sync_health reads a few rows
--    instead of counting millions. Triggers (not a step in the loader) because every path that
--    writes a stream table (merge, delete-marking, repair, webhooks, a DBA's fix) must move the
--    counts in its own transaction; a trigger cannot be forgotten by a new writer.

-- Last N days of analytics.daily_collections / failed_payments: value_date per provider.
-- SmarterPay: collection_date; Smart2Pay: the UTC day of Created (timezone(text, timestamptz)
-- is immutable, so the expression can be indexed exactly as the view spells it).
CREATE INDEX payments_value_date ON smarterpay.payments (collection_date);
CREATE INDEX payments_value_date ON smart2pay.payments (((created AT TIME ZONE 'UTC')::date));

-- What a SmarterPay webhook-log message is about: 'resource:id' of each of its events (the
-- same reading as analytics.smarterpay_events), GIN-indexed so one payment's failure reason or
-- one mandate's activation is found without opening every message's JSON. SECURITY DEFINER:
-- views call it for readers, who have no USAGE on schema paysync (a SQL body is resolved as
-- its caller).
CREATE FUNCTION paysync.smarterpay_event_refs(webhook jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    SELECT coalesce(array_agg(DISTINCT r.ref) FILTER (WHERE r.ref IS NOT NULL), '{}')
    FROM paysync.try_jsonb(webhook ->> 'webhook_body') AS b(body)
    CROSS JOIN LATERAL jsonb_array_elements(
        CASE jsonb_typeof(b.body -> 'events') WHEN 'array' THEN b.body -> 'events' ELSE '[]'::jsonb END
    ) AS e(v)
    CROSS JOIN LATERAL (SELECT
        coalesce(split_part(e.v ->> 'event_type', '.', 1), e.v ->> 'resource_type') || ':'
        || (CASE WHEN e.v ? 'event_type' THEN e.v ->> 'id' ELSE e.v ->> 'reference' END)) AS r(ref)
$$;
COMMENT ON FUNCTION paysync.smarterpay_event_refs(jsonb) IS 'resource:id of every event of a SmarterPay webhook-log message, e.g. payment:P01…, mandate:M01… (GIN-indexed: the analyst views look one record up)';
CREATE INDEX outbound_messages_event_refs ON smarterpay.outbound_messages
    USING gin (paysync.smarterpay_event_refs(webhook));

CREATE TABLE paysync.stream_row_counts (
    provider     text NOT NULL,
    source       text NOT NULL,
    stream       text NOT NULL,
    live_rows    bigint NOT NULL DEFAULT 0,
    deleted_rows bigint NOT NULL DEFAULT 0
);
CREATE INDEX stream_row_counts_key ON paysync.stream_row_counts (provider, stream, source);
COMMENT ON TABLE paysync.stream_row_counts IS 'Changes of live and deleted rows per stream table (provider = schema) and source, one row per writing statement, appended by triggers in the transaction of every write; the sum per key is the count (analytics.sync_health reads it; paysync.compact_row_counts() folds the rows)';

-- One function for the statement-level triggers of a table (a trigger with transition tables
-- may have one event only). Insert-only: concurrent windows of one stream never wait on, or
-- deadlock over, a shared counter row; rows whose deleted state did not change add nothing.
-- SECURITY DEFINER: any role that may write a stream table moves its count, with no grant of
-- its own on the counter table.
CREATE FUNCTION paysync.count_stream_rows() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO paysync.stream_row_counts (provider, source, stream, live_rows, deleted_rows)
        SELECT TG_TABLE_SCHEMA, source, TG_TABLE_NAME,
               count(*) FILTER (WHERE _deleted_at IS NULL), count(*) FILTER (WHERE _deleted_at IS NOT NULL)
        FROM new_rows GROUP BY source;
    ELSIF TG_OP = 'DELETE' THEN
        INSERT INTO paysync.stream_row_counts (provider, source, stream, live_rows, deleted_rows)
        SELECT TG_TABLE_SCHEMA, source, TG_TABLE_NAME,
               -count(*) FILTER (WHERE _deleted_at IS NULL), -count(*) FILTER (WHERE _deleted_at IS NOT NULL)
        FROM old_rows GROUP BY source;
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO paysync.stream_row_counts (provider, source, stream, live_rows, deleted_rows)
        SELECT TG_TABLE_SCHEMA, source, TG_TABLE_NAME, sum(live), sum(deleted)
        FROM (SELECT source, CASE WHEN _deleted_at IS NULL THEN 1 ELSE 0 END AS live,
                     CASE WHEN _deleted_at IS NULL THEN 0 ELSE 1 END AS deleted FROM new_rows
              UNION ALL
              SELECT source, CASE WHEN _deleted_at IS NULL THEN -1 ELSE 0 END,
                     CASE WHEN _deleted_at IS NULL THEN 0 ELSE -1 END FROM old_rows) d
        GROUP BY source HAVING sum(live) <> 0 OR sum(deleted) <> 0;
    ELSIF TG_OP = 'TRUNCATE' THEN
        DELETE FROM paysync.stream_row_counts
        WHERE provider = TG_TABLE_SCHEMA AND stream = TG_TABLE_NAME;
    END IF;
    RETURN NULL;
END $$;
COMMENT ON FUNCTION paysync.count_stream_rows() IS 'Trigger: appends to paysync.stream_row_counts the rows a statement inserted, deleted, marked deleted or undeleted';

-- Folds the appended rows into one per key, atomically: a row appended meanwhile is not
-- deleted (not in the snapshot) and stays as itself. Called at the end of every sync run.
CREATE FUNCTION paysync.compact_row_counts() RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$
    WITH gone AS (DELETE FROM paysync.stream_row_counts RETURNING *)
    INSERT INTO paysync.stream_row_counts (provider, source, stream, live_rows, deleted_rows)
    SELECT provider, source, stream, sum(live_rows), sum(deleted_rows) FROM gone
    GROUP BY provider, source, stream HAVING sum(live_rows) <> 0 OR sum(deleted_rows) <> 0
$$;
COMMENT ON FUNCTION paysync.compact_row_counts() IS 'Fold paysync.stream_row_counts into one row per (provider, source, stream); the sums do not change';

-- Attach the counters to every stream table that has none yet and count its rows once. Run
-- here and again on every migrate (sql/views/060_sync_health.sql), so a stream table added by
-- a later migration is counted without a change here.
CREATE FUNCTION paysync.attach_row_counters() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    attached integer := 0;
BEGIN
    FOR t IN
        SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('smarterpay', 'smart2pay') AND c.relkind = 'r'
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = '_deleted_at')
          AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'source')
          AND NOT EXISTS (SELECT 1 FROM pg_trigger g WHERE g.tgrelid = c.oid
                          AND g.tgname = 'paysync_count_insert')
        ORDER BY 1, 2
    LOOP
        -- The table is locked before it is counted, so no write slips between count and trigger.
        EXECUTE format('LOCK TABLE %I.%I IN SHARE ROW EXCLUSIVE MODE', t.nspname, t.relname);
        EXECUTE format('CREATE TRIGGER paysync_count_insert AFTER INSERT ON %I.%I '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION paysync.count_stream_rows()', t.nspname, t.relname);
        EXECUTE format('CREATE TRIGGER paysync_count_update AFTER UPDATE ON %I.%I '
                       'REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION paysync.count_stream_rows()', t.nspname, t.relname);
        EXECUTE format('CREATE TRIGGER paysync_count_delete AFTER DELETE ON %I.%I '
                       'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION paysync.count_stream_rows()', t.nspname, t.relname);
        EXECUTE format('CREATE TRIGGER paysync_count_truncate AFTER TRUNCATE ON %I.%I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION paysync.count_stream_rows()',
                       t.nspname, t.relname);
        EXECUTE format('DELETE FROM paysync.stream_row_counts WHERE provider = %L AND stream = %L',
                       t.nspname, t.relname);
        EXECUTE format(
            'INSERT INTO paysync.stream_row_counts (provider, source, stream, live_rows, deleted_rows) '
            'SELECT %L, source, %L, count(*) FILTER (WHERE _deleted_at IS NULL), '
            'count(*) FILTER (WHERE _deleted_at IS NOT NULL) FROM %I.%I GROUP BY source',
            t.nspname, t.relname, t.nspname, t.relname);
        attached := attached + 1;
    END LOOP;
    RETURN attached;
END $$;
COMMENT ON FUNCTION paysync.attach_row_counters() IS 'Attach the row-count triggers to stream tables that lack them and count those tables once; returns how many';

SELECT paysync.attach_row_counters();
