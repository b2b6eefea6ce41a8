-- Issue 14: times without a zone inside records are read in the source's zone, and SmarterPay
-- account validation records.

-- A time without a zone ('2023-07-13 11:12:45', Smart2Pay's YYYYMMDDHHMMSS) means the zone
-- the source's provider means: the loader sets paysync.source_timezone for each transaction
-- that projects records (default UTC when unset, as before). Times with a zone are unchanged.
CREATE FUNCTION paysync.source_timezone() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT coalesce(nullif(current_setting('paysync.source_timezone', true), ''), 'UTC') $$;
COMMENT ON FUNCTION paysync.source_timezone() IS
    'The zone times without one are read in: the source''s timezone setting (set per transaction by the loader), UTC when unset';

CREATE OR REPLACE FUNCTION paysync.to_ts(v text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN v ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d(:?\d\d)?)$' THEN v::timestamptz
        WHEN v ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?$' THEN
            v::timestamp AT TIME ZONE paysync.source_timezone()
        WHEN v ~ '^\d{14}$' THEN
            (substr(v, 1, 8) || 'T' || substr(v, 9, 6))::timestamp
                AT TIME ZONE paysync.source_timezone()
        WHEN v ~ '^\d{4}-\d\d-\d\d$' THEN v::timestamp AT TIME ZONE 'UTC'
    END $$;
