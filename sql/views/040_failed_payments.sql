-- Failures (unpaid, declined) and returns (indemnity claims, chargebacks) with their reasons.
-- SmarterPay's REST record has no reason code: it comes from the webhook log's latest event
-- for the payment that carries one.
-- The reason is looked up per failed payment (LATERAL, through the GIN index on
-- paysync.smarterpay_event_refs, migration 0012), so a few days of failures or one payment
-- open only the messages about them, not the whole webhook log.
CREATE OR REPLACE VIEW analytics.failed_payments AS
SELECT p.provider, p.source, p.id AS payment_id,
       CASE p.status WHEN 'failed' THEN 'failure' ELSE 'return' END AS kind,
       p.status, p.provider_status, p.created_at, p.value_date, p.amount, p.amount_major,
       p.currency, p.method, p.customer_reference, p.mandate,
       coalesce(r.bacs_reason_code, paysync.to_text(s.status_reasons -> 0 ->> 'Code')) AS reason_code,
       coalesce(r.bacs_description, paysync.to_text(s.status_reasons -> 0 ->> 'Info')) AS reason_description,
       b.meaning AS reason_meaning, b.report AS bacs_report, b.default_action,
       r.event_at AS reason_at,
       CASE WHEN r.record_id IS NOT NULL THEN 'webhook log'
            WHEN s.status_reasons -> 0 IS NOT NULL THEN 'Status.Reasons' END AS reason_source
FROM analytics.payments p
LEFT JOIN LATERAL (
    SELECT e.record_id, e.bacs_reason_code, e.bacs_description, e.event_at
    FROM smarterpay.outbound_messages om
    CROSS JOIN LATERAL (
        SELECT CASE WHEN v.v ? 'event_type' THEN v.v ->> 'id' ELSE v.v ->> 'reference' END AS record_id,
               coalesce(split_part(v.v ->> 'event_type', '.', 1), v.v ->> 'resource_type') AS resource,
               coalesce(paysync.to_ts(CASE WHEN v.v ? 'event_type' THEN v.v ->> 'edited_at'
                                           ELSE v.v ->> 'created_at' END),
                        om.sent_at, om.created_at) AS event_at,
               v.n AS event_no,
               paysync.to_text(v.v ->> 'bacs_reason_code') AS bacs_reason_code,
               paysync.to_text(v.v ->> 'bacs_description') AS bacs_description
        FROM paysync.try_jsonb(om.webhook ->> 'webhook_body') AS b(body)
        CROSS JOIN LATERAL jsonb_array_elements(
            CASE jsonb_typeof(b.body -> 'events') WHEN 'array' THEN b.body -> 'events' ELSE '[]'::jsonb END
        ) WITH ORDINALITY AS v(v, n)
    ) e
    WHERE p.provider = 'smarterpay' AND om.source = p.source AND om._deleted_at IS NULL
      AND paysync.smarterpay_event_refs(om.webhook) @> ARRAY['payment:' || p.id]
      AND e.resource = 'payment' AND e.record_id = p.id AND e.bacs_reason_code IS NOT NULL
    ORDER BY e.event_at DESC, om.id DESC, e.event_no DESC
    LIMIT 1
) r ON true
LEFT JOIN LATERAL (  -- LATERAL: by primary key per failed payment, whatever the table's size
    SELECT s.status_reasons FROM smart2pay.payments s
    WHERE p.provider = 'smart2pay' AND s.source = p.source AND s.id = p.id
      AND jsonb_typeof(s.status_reasons) = 'array'
) s ON true
LEFT JOIN analytics.bacs_reason_codes b ON b.code = r.bacs_reason_code
WHERE p.status IN ('failed', 'disputed');

COMMENT ON VIEW analytics.failed_payments IS 'Payments that failed (returned unpaid, declined) or were returned (indemnity claims, chargebacks), with the reason: SmarterPay Bacs codes from the webhook log (the payment record has none) explained by analytics.bacs_reason_codes; Smart2Pay Status.Reasons';
COMMENT ON COLUMN analytics.failed_payments.provider IS 'smarterpay or smart2pay';
COMMENT ON COLUMN analytics.failed_payments.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN analytics.failed_payments.payment_id IS 'Provider payment id (analytics.payments.id)';
COMMENT ON COLUMN analytics.failed_payments.kind IS 'failure (never collected: status failed) or return (collected, then claimed back: status disputed)';
COMMENT ON COLUMN analytics.failed_payments.status IS 'Normalized status: failed or disputed';
COMMENT ON COLUMN analytics.failed_payments.provider_status IS 'The provider''s own status (e.g. failed, indemnity_claimed, Chargedback)';
COMMENT ON COLUMN analytics.failed_payments.created_at IS 'When the provider created the payment (UTC)';
COMMENT ON COLUMN analytics.failed_payments.value_date IS 'Value day (analytics.payments.value_date)';
COMMENT ON COLUMN analytics.failed_payments.amount IS 'Amount in minor units';
COMMENT ON COLUMN analytics.failed_payments.amount_major IS 'Amount in major units (/ 100)';
COMMENT ON COLUMN analytics.failed_payments.currency IS 'ISO 4217 currency (SmarterPay: GBP)';
COMMENT ON COLUMN analytics.failed_payments.method IS 'Payment method (analytics.payments.method)';
COMMENT ON COLUMN analytics.failed_payments.customer_reference IS 'Customer reference (analytics.payments.customer_reference)';
COMMENT ON COLUMN analytics.failed_payments.mandate IS 'SmarterPay mandate id; Smart2Pay preapproval id';
COMMENT ON COLUMN analytics.failed_payments.reason_code IS 'SmarterPay: Bacs reason code of the latest webhook-log event for the payment that has one (e.g. ARUDD0, DDICA); Smart2Pay: first Status.Reasons code';
COMMENT ON COLUMN analytics.failed_payments.reason_description IS 'The reason as the provider describes it';
COMMENT ON COLUMN analytics.failed_payments.reason_meaning IS 'What the Bacs code means (analytics.bacs_reason_codes); NULL for codes not in that table';
COMMENT ON COLUMN analytics.failed_payments.bacs_report IS 'Bacs report family of the code (ARUDD, DDICA …)';
COMMENT ON COLUMN analytics.failed_payments.default_action IS 'What SmarterPay does by default on that code';
COMMENT ON COLUMN analytics.failed_payments.reason_at IS 'When SmarterPay reported the reason (webhook-log event time); NULL for Smart2Pay';
COMMENT ON COLUMN analytics.failed_payments.reason_source IS 'Where the reason comes from: webhook log (SmarterPay outbound messages) or Status.Reasons (Smart2Pay); NULL when none is known';
