-- Analyst read access (`paysync db grant-reader ROLE [--no-pii]`, DESIGN §4), defined here so
-- every migrate re-applies it to the recorded readers: new tables, columns and views follow
-- without anyone re-running grant-reader. A --no-pii reader gets column-level SELECT on the
-- stream tables minus analytics.pii_columns (and never `raw`); every analytics view is readable
-- by both kinds, so no view may expose a PII column.
CREATE OR REPLACE FUNCTION paysync.apply_reader_grants(role_name text, no_pii boolean, reset boolean)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r text := quote_ident(role_name);
    rel record;
    cols text;
BEGIN
    -- Grants only what is missing: this runs on every migrate (every sync), so it must not
    -- rewrite catalog rows that are already right.
    IF reset THEN
        EXECUTE format('REVOKE ALL ON SCHEMA paysync FROM %s', r);
        EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA paysync FROM %s', r);
        EXECUTE format('GRANT USAGE ON SCHEMA analytics, smarterpay, smart2pay TO %s', r);
        EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA analytics GRANT SELECT ON TABLES TO %s', r);
        IF no_pii THEN  -- a table created later must not be readable whole
            EXECUTE format('REVOKE ALL ON ALL TABLES IN SCHEMA smarterpay, smart2pay FROM %s', r);
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA smarterpay, smart2pay REVOKE SELECT ON TABLES FROM %s', r);
        ELSE
            EXECUTE format('ALTER DEFAULT PRIVILEGES IN SCHEMA smarterpay, smart2pay GRANT SELECT ON TABLES TO %s', r);
        END IF;
    END IF;
    FOR rel IN
        SELECT c.oid, n.nspname, format('%I.%I', n.nspname, c.relname) AS name
        FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
        WHERE n.nspname IN ('analytics', 'smarterpay', 'smart2pay')
          AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
          AND NOT has_table_privilege(role_name, c.oid, 'SELECT')
    LOOP
        IF rel.nspname = 'analytics' OR NOT no_pii THEN
            EXECUTE format('GRANT SELECT ON %s TO %s', rel.name, r);
            CONTINUE;
        END IF;
        SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum) INTO cols
        FROM pg_attribute a
        WHERE a.attrelid = rel.oid AND a.attnum > 0 AND NOT a.attisdropped
          AND a.attname NOT IN (SELECT column_name FROM analytics.pii_columns)
          AND NOT has_column_privilege(role_name, rel.oid, a.attnum, 'SELECT');
        IF cols IS NOT NULL THEN
            EXECUTE format('GRANT SELECT (%s) ON %s TO %s', cols, rel.name, r);
        END IF;
    END LOOP;
END $$;
COMMENT ON FUNCTION paysync.apply_reader_grants(text, boolean, boolean) IS 'Grant an analyst role read access (no_pii: column grants without analytics.pii_columns); reset first revokes stream-table grants';

DO $$
DECLARE
    reader record;
BEGIN
    FOR reader IN
        SELECT rr.role, rr.no_pii FROM paysync.reader_roles rr
        JOIN pg_roles pr ON pr.rolname = rr.role ORDER BY rr.role
    LOOP
        PERFORM paysync.apply_reader_grants(reader.role, reader.no_pii, false);
    END LOOP;
END $$;
