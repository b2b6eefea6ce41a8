-- SmarterPay's webhook log (outbound messages) holds each body as JSON text; this view opens
-- it. It is the only place SmarterPay states when a status changed and which Bacs reason code
-- caused it: the REST payment record carries no reason code.
CREATE OR REPLACE VIEW analytics.smarterpay_events AS
SELECT om.source, om.id AS message_id, e.n AS event_no,
       CASE WHEN e.v ? 'event_type' THEN e.v ->> 'id' ELSE e.v ->> 'reference' END AS record_id,
       coalesce(split_part(e.v ->> 'event_type', '.', 1), e.v ->> 'resource_type') AS resource,
       coalesce(e.v ->> 'event_type', e.v ->> 'resource_type') AS event_type,
       coalesce(paysync.to_ts(CASE WHEN e.v ? 'event_type' THEN e.v ->> 'edited_at'
                                   ELSE e.v ->> 'created_at' END),
                om.sent_at, om.created_at) AS event_at,
       paysync.to_text(e.v ->> 'status') AS status,
       paysync.to_text(e.v ->> 'bacs_reason_code') AS bacs_reason_code,
       paysync.to_text(e.v ->> 'bacs_description') AS bacs_description,
       paysync.to_text(e.v ->> 'bacs_reference') AS bacs_reference,
       paysync.to_text(e.v ->> 'event_source') AS event_source
FROM smarterpay.outbound_messages om
CROSS JOIN LATERAL paysync.try_jsonb(om.webhook ->> 'webhook_body') AS b(body)
CROSS JOIN LATERAL jsonb_array_elements(
    CASE jsonb_typeof(b.body -> 'events') WHEN 'array' THEN b.body -> 'events' ELSE '[]'::jsonb END
) WITH ORDINALITY AS e(v, n)
WHERE om._deleted_at IS NULL;

COMMENT ON VIEW analytics.smarterpay_events IS 'Events of SmarterPay''s webhook log (smarterpay.outbound_messages, webhook.webhook_body opened), one row per event: what changed, when, and the Bacs reason code. Bank details the events may carry are not exposed';
COMMENT ON COLUMN analytics.smarterpay_events.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN analytics.smarterpay_events.message_id IS 'Outbound message id (OM…), the webhook''s id';
COMMENT ON COLUMN analytics.smarterpay_events.event_no IS 'Position of the event in the message (from 1)';
COMMENT ON COLUMN analytics.smarterpay_events.record_id IS 'Id of the record the event is about (v2 events[].id; v1 events[].reference)';
COMMENT ON COLUMN analytics.smarterpay_events.resource IS 'Kind of record: payment, mandate, credit, customer_account …';
COMMENT ON COLUMN analytics.smarterpay_events.event_type IS 'Event type, e.g. payment.update (v1: resource_type)';
COMMENT ON COLUMN analytics.smarterpay_events.event_at IS 'When the change happened at SmarterPay (v2 edited_at, v1 created_at; else the message time)';
COMMENT ON COLUMN analytics.smarterpay_events.status IS 'The record''s status after the event';
COMMENT ON COLUMN analytics.smarterpay_events.bacs_reason_code IS 'Bacs report code behind the change, e.g. ARUDD0 (analytics.bacs_reason_codes); NULL when none';
COMMENT ON COLUMN analytics.smarterpay_events.bacs_description IS 'Bacs reason as SmarterPay describes it';
COMMENT ON COLUMN analytics.smarterpay_events.bacs_reference IS 'Bacs report reference';
COMMENT ON COLUMN analytics.smarterpay_events.event_source IS 'Who made the change: API, Portal, DDMS Service …';
