-- Mandates (SmarterPay) and preapprovals (Smart2Pay's recurring consent) by month of creation
-- and status. "Active" is the first moment the provider reported an active status: from the
-- webhook log (SmarterPay) or, failing that, when paysync observed the change; a mandate first
-- seen already active has no activation time.
-- Activations are looked up per mandate (LATERAL: the GIN index on paysync.smarterpay_event_refs
-- and the record_changes index), so a few months of the funnel read those months' mandates
-- and their own events, not the whole webhook log.
CREATE OR REPLACE VIEW analytics.mandate_funnel AS
WITH mandates AS (
    SELECT 'smarterpay'::text AS provider, m.source, m.id, m.created_at, m.dd_status AS provider_status,
           m.bacs_code AS reason_code, m.bacs_description AS reason_description,
           'mandates'::text AS stream, 'dd_status'::text AS field
    FROM smarterpay.mandates m WHERE m._deleted_at IS NULL
    UNION ALL
    SELECT 'smart2pay', p.source, p.id, p.created, p.status_id::text,
           paysync.to_text(p.status_reasons -> 0 ->> 'Code'),
           paysync.to_text(p.status_reasons -> 0 ->> 'Info'), 'preapprovals', 'status_id'
    FROM smart2pay.preapprovals p
    WHERE p._deleted_at IS NULL
), timed AS (
    SELECT m.*, sm.status, coalesce(sm.provider_name, m.provider_status) AS provider_name,
           CASE WHEN sm.status IN ('cancelled', 'expired', 'failed') THEN m.reason_code END AS why_code,
           CASE WHEN sm.status IN ('cancelled', 'expired', 'failed') THEN m.reason_description END AS why,
           a.activated_at - m.created_at AS to_active
    FROM mandates m
    LEFT JOIN LATERAL (
        SELECT min(t) AS activated_at FROM (
            -- the webhook log: when SmarterPay reported an active status
            SELECT coalesce(paysync.to_ts(CASE WHEN v.v ? 'event_type' THEN v.v ->> 'edited_at'
                                               ELSE v.v ->> 'created_at' END),
                            om.sent_at, om.created_at)
            FROM smarterpay.outbound_messages om
            CROSS JOIN LATERAL paysync.try_jsonb(om.webhook ->> 'webhook_body') AS b(body)
            CROSS JOIN LATERAL jsonb_array_elements(
                CASE jsonb_typeof(b.body -> 'events') WHEN 'array' THEN b.body -> 'events' ELSE '[]'::jsonb END
            ) AS v(v)
            JOIN analytics.status_map sm ON sm.provider = 'smarterpay' AND sm.object = 'mandate'
                 AND sm.provider_status = paysync.to_text(v.v ->> 'status') AND sm.status = 'active'
            WHERE m.provider = 'smarterpay' AND om.source = m.source AND om._deleted_at IS NULL
              AND paysync.smarterpay_event_refs(om.webhook) @> ARRAY['mandate:' || m.id]
              AND coalesce(split_part(v.v ->> 'event_type', '.', 1), v.v ->> 'resource_type') = 'mandate'
              AND (CASE WHEN v.v ? 'event_type' THEN v.v ->> 'id' ELSE v.v ->> 'reference' END) = m.id
            UNION ALL
            -- failing that, when paysync stored the change to an active status
            SELECT c.changed_at
            FROM paysync.record_changes c
            JOIN analytics.status_map sm ON sm.provider = m.provider AND sm.object = 'mandate'
                 AND sm.provider_status = c.after ->> m.field AND sm.status = 'active'
            WHERE c.source = m.source AND c.stream = m.stream AND c.record_id = m.id
              AND m.field = ANY(c.changed_fields)
        ) x(t)
    ) a ON true
    LEFT JOIN analytics.status_map sm ON sm.provider = m.provider AND sm.object = 'mandate'
         AND sm.provider_status = m.provider_status
)
SELECT provider, source, date_trunc('month', created_at AT TIME ZONE 'UTC')::date AS created_month,
       status, provider_name AS provider_status, why_code AS reason_code,
       why AS reason_description, b.meaning AS reason_meaning,
       count(*) AS mandates,
       count(to_active) AS activated,
       round((extract(epoch FROM avg(to_active)) / 86400)::numeric, 2) AS avg_days_to_active,
       round((extract(epoch FROM percentile_cont(0.5) WITHIN GROUP (ORDER BY to_active)) / 86400)::numeric, 2)
           AS median_days_to_active,
       round((extract(epoch FROM max(to_active)) / 86400)::numeric, 2) AS max_days_to_active
FROM timed
LEFT JOIN analytics.bacs_reason_codes b ON b.code = timed.why_code
GROUP BY provider, source, created_month, status, provider_name, why_code, why, b.meaning;

COMMENT ON VIEW analytics.mandate_funnel IS 'Mandates (SmarterPay) and preapprovals (Smart2Pay) by month of creation, status and cancellation reason, with the time from creation to active';
COMMENT ON COLUMN analytics.mandate_funnel.provider IS 'smarterpay (Bacs mandates) or smart2pay (preapprovals)';
COMMENT ON COLUMN analytics.mandate_funnel.source IS 'paysync source name (one provider account)';
COMMENT ON COLUMN analytics.mandate_funnel.created_month IS 'First day of the UTC month the mandate was created in';
COMMENT ON COLUMN analytics.mandate_funnel.status IS 'Normalized mandate status now: pending, active, suspended, cancelled, expired, failed (analytics.status_map)';
COMMENT ON COLUMN analytics.mandate_funnel.provider_status IS 'The provider''s own status (SmarterPay dd_status; Smart2Pay preapproval Status.Info)';
COMMENT ON COLUMN analytics.mandate_funnel.reason_code IS 'For cancelled, expired and failed mandates: SmarterPay''s last Bacs code (e.g. ADDACS1, AUDDIS5); Smart2Pay first Status.Reasons code';
COMMENT ON COLUMN analytics.mandate_funnel.reason_description IS 'The reason as the provider describes it';
COMMENT ON COLUMN analytics.mandate_funnel.reason_meaning IS 'What the Bacs code means (analytics.bacs_reason_codes)';
COMMENT ON COLUMN analytics.mandate_funnel.mandates IS 'Number of mandates in the group';
COMMENT ON COLUMN analytics.mandate_funnel.activated IS 'How many of them have a known activation time (became active while the webhook log or paysync watched)';
COMMENT ON COLUMN analytics.mandate_funnel.avg_days_to_active IS 'Average days from creation to first active status, over the activated ones';
COMMENT ON COLUMN analytics.mandate_funnel.median_days_to_active IS 'Median days from creation to first active status';
COMMENT ON COLUMN analytics.mandate_funnel.max_days_to_active IS 'Longest days from creation to first active status';
