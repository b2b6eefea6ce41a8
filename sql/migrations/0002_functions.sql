-- Conversions from the providers' raw values to typed columns, done in C by PostgreSQL on the
-- hot path (DESIGN §10). They return NULL for anything they cannot read and never raise:
-- validity is decided by the pydantic models before a record is staged.

CREATE FUNCTION paysync.to_text(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT nullif(btrim(v), '') $$;

CREATE FUNCTION paysync.to_bigint(v text) RETURNS bigint
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v ~ '^\s*-?\d{1,18}\s*$' THEN btrim(v)::bigint END $$;

CREATE FUNCTION paysync.to_numeric(v text) RETURNS numeric
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN v ~ '^\s*-?\d{1,30}(\.\d{1,30})?\s*$' THEN btrim(v)::numeric END $$;

CREATE FUNCTION paysync.to_bool(v text) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE lower(btrim(v)) WHEN 'true' THEN true WHEN '1' THEN true
                                WHEN 'false' THEN false WHEN '0' THEN false END $$;

-- ISO 8601 with or without milliseconds and zone, 'YYYY-MM-DD HH:MM:SS' and 'YYYYMMDDHHMMSS'
-- (zone-less values are UTC), 'never' and empties as NULL.
CREATE FUNCTION paysync.to_ts(v text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN v ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d(:?\d\d)?)$' THEN v::timestamptz
        WHEN v ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?$' THEN v::timestamp AT TIME ZONE 'UTC'
        WHEN v ~ '^\d{14}$' THEN
            (substr(v, 1, 8) || 'T' || substr(v, 9, 6))::timestamp AT TIME ZONE 'UTC'
        WHEN v ~ '^\d{4}-\d\d-\d\d$' THEN v::timestamp AT TIME ZONE 'UTC'
    END $$;

CREATE FUNCTION paysync.to_date(v text) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN v ~ '^\d{4}-\d\d-\d\d' THEN left(v, 10)::date
        WHEN v ~ '^\d{8}' THEN left(v, 8)::date
    END $$;

-- The top-level keys whose values differ between two versions of a record.
CREATE FUNCTION paysync.changed_keys(before jsonb, after jsonb) RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(array_agg(key ORDER BY key), '{}')
    FROM (SELECT key FROM jsonb_each(before) b FULL JOIN jsonb_each(after) a USING (key)
          WHERE b.value IS DISTINCT FROM a.value) d $$;

-- The given keys of a record (present ones only).
CREATE FUNCTION paysync.pick(obj jsonb, keys text[]) RETURNS jsonb
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT coalesce(jsonb_object_agg(key, value), '{}') FROM jsonb_each(obj) WHERE key = ANY(keys) $$;
