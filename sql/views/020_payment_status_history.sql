-- Status transitions as paysync observed them: the first-seen state, then one row per stored
-- change of the status column (paysync.record_changes; the view owner reads paysync).
CREATE OR REPLACE VIEW analytics.payment_status_history AS
WITH payments AS (
    SELECT 'smarterpay'::text AS provider, source, id, status AS code, _first_seen_at
    FROM smarterpay.payments
    UNION ALL
    SELECT 'smart2pay', source, id, status_id::text, _first_seen_at FROM smart2pay.payments
), changes AS (
    SELECT p.provider, p.source, p.id, c.change_id, c.changed_at, c.run_id, c.change_kind,
           c.before ->> f.field AS from_code, c.after ->> f.field AS to_code
    FROM payments p
    JOIN (VALUES ('smarterpay', 'status'), ('smart2pay', 'status_id')) f(provider, field)
      ON f.provider = p.provider
    JOIN paysync.record_changes c
      ON c.source = p.source AND c.stream = 'payments' AND c.record_id = p.id
     AND f.field = ANY(c.changed_fields)
), first_change AS (
    SELECT DISTINCT ON (provider, source, id) provider, source, id, from_code
    FROM changes ORDER BY provider, source, id, changed_at, change_id
), first_seen AS (
    SELECT p.provider, p.source, p.id, 0::bigint AS change_id, p._first_seen_at AS changed_at,
           NULL::bigint AS run_id, 'first_seen'::text AS change_kind, NULL::text AS from_code,
           coalesce(fc.from_code, p.code) AS to_code
    FROM payments p
    LEFT JOIN first_change fc ON fc.provider = p.provider AND fc.source = p.source AND fc.id = p.id
), history AS (
    SELECT * FROM first_seen UNION ALL SELECT * FROM changes
)
SELECT h.provider, h.source, h.id AS payment_id,
       row_number() OVER (PARTITION BY h.provider, h.source, h.id
                          ORDER BY h.changed_at, h.change_id) AS seq,
       h.changed_at, h.change_kind, h.run_id,
       fm.status AS from_status, tm.status AS to_status,
       coalesce(fm.provider_name, h.from_code) AS from_provider_status,
       coalesce(tm.provider_name, h.to_code) AS to_provider_status
FROM history h
LEFT JOIN analytics.status_map fm
       ON fm.provider = h.provider AND fm.object = 'payment' AND fm.provider_status = h.from_code
LEFT JOIN analytics.status_map tm
       ON tm.provider = h.provider AND tm.object = 'payment' AND tm.provider_status = h.to_code;

COMMENT ON VIEW analytics.payment_status_history IS 'Every payment status transition paysync stored, both providers: seq 1 is the status when paysync first saw the payment, then one row per change (times are when paysync observed the change, not when the provider made it)';
COMMENT ON COLUMN analytics.payment_status_history.provider IS 'smarterpay or smart2pay';
COMMENT ON COLUMN analytics.payment_status_history.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN analytics.payment_status_history.payment_id IS 'Provider payment id (analytics.payments.id)';
COMMENT ON COLUMN analytics.payment_status_history.seq IS 'Position in the payment''s history, from 1 (first seen)';
COMMENT ON COLUMN analytics.payment_status_history.changed_at IS 'When paysync stored this status: first seen, or the change (UTC)';
COMMENT ON COLUMN analytics.payment_status_history.change_kind IS 'first_seen, update, or undelete (the record came back after disappearing)';
COMMENT ON COLUMN analytics.payment_status_history.run_id IS 'The sync run that stored the change (NULL for first_seen)';
COMMENT ON COLUMN analytics.payment_status_history.from_status IS 'Normalized status before the change (NULL for first_seen)';
COMMENT ON COLUMN analytics.payment_status_history.to_status IS 'Normalized status after the change (analytics.status_map)';
COMMENT ON COLUMN analytics.payment_status_history.from_provider_status IS 'Provider''s status before the change (Smart2Pay: Status.Info of the ID)';
COMMENT ON COLUMN analytics.payment_status_history.to_provider_status IS 'Provider''s status after the change (Smart2Pay: Status.Info of the ID)';
