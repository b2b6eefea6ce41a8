-- The role that runs sync, backfill, reconcile, status and the webhook receiver
-- (`paysync db grant-writer ROLE`, README "Two roles"): it reads and writes rows, never the
-- schema. Every migrate re-applies it to the recorded writers, so new tables follow. The schema's own bookkeeping stays read-only to them.
CREATE OR REPLACE FUNCTION paysync.apply_writer_grants(role_name text)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    r text := quote_ident(role_name);
BEGIN
    -- CONNECT and TEMPORARY: a managed PostgreSQL may have revoked them from PUBLIC, and the
    -- loader stages each page in a temporary table.
    EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %s', current_database(), r);
    EXECUTE format('GRANT USAGE ON SCHEMA paysync, analytics, smarterpay, smart2pay TO %s', r);
    EXECUTE format('GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA paysync, smarterpay, smart2pay TO %s', r);
    EXECUTE format('GRANT SELECT ON ALL TABLES IN SCHEMA analytics TO %s', r);
    EXECUTE format('GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA paysync, smarterpay, smart2pay TO %s', r);
    EXECUTE format('GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA paysync, analytics, smarterpay, smart2pay TO %s', r);
    EXECUTE format('REVOKE INSERT, UPDATE, DELETE ON paysync.schema_migrations, paysync.view_files, '
                   'paysync.writer_roles, paysync.reader_roles FROM %s', r);
END $$;
COMMENT ON FUNCTION paysync.apply_writer_grants(text) IS 'Grant a role DML on paysync''s tables (no DDL, no schema bookkeeping writes)';

-- pipelines/store/migrate.py re-applies it to paysync.writer_roles on every migrate.
