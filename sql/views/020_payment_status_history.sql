-- Status transitions as paysync observed them: the first-seen state, then one row per stored
-- change of the status column (paysync.record_changes; the view owner reads paysync).
-- Written without CTEs and with the first-seen status taken by lead() over the same window:
-- a filter on provider, source or payment_id is pushed through the window (they are its
-- partition) into both stream tables and the record_changes index, so one payment's history
-- reads that payment's rows only, while a whole-history question can still use hash joins.
CREATE OR REPLACE VIEW analytics.payment_status_history AS
SELECT x.provider, x.source, x.payment_id, x.seq, x.changed_at, x.change_kind, x.run_id,
       fm.status AS from_status, tm.status AS to_status,
       coalesce(fm.provider_name, x.from_code) AS from_provider_status,
       coalesce(tm.provider_name, x.to_code) AS to_provider_status
FROM (
    SELECT h.provider, h.source, h.payment_id, h.changed_at, h.change_kind, h.run_id, h.from_code,
           row_number() OVER w AS seq,
           -- first seen: the status before the first stored change, else the current one
           CASE WHEN h.change_kind = 'first_seen' THEN coalesce(lead(h.from_code) OVER w, h.to_code)
                ELSE h.to_code END AS to_code
    FROM (
        SELECT p.provider, p.source, p.id AS payment_id, 0::bigint AS change_id,
               p._first_seen_at AS changed_at, NULL::bigint AS run_id,
               'first_seen'::text AS change_kind, NULL::text AS from_code, p.code AS to_code
        FROM (SELECT 'smarterpay'::text AS provider, source, id, status AS code, _first_seen_at
              FROM smarterpay.payments
              UNION ALL
              SELECT 'smart2pay', source, id, status_id::text, _first_seen_at
              FROM smart2pay.payments) p
        UNION ALL
        SELECT p.provider, p.source, p.id, c.change_id, c.changed_at, c.run_id, c.change_kind,
               c.before ->> p.field, c.after ->> p.field
        FROM (SELECT 'smarterpay'::text AS provider, source, id, 'status'::text AS field
              FROM smarterpay.payments
              UNION ALL
              SELECT 'smart2pay', source, id, 'status_id' FROM smart2pay.payments) p
        JOIN paysync.record_changes c
          ON c.source = p.source AND c.stream = 'payments' AND c.record_id = p.id
         AND p.field = ANY(c.changed_fields)
    ) h
    WINDOW w AS (PARTITION BY h.provider, h.source, h.payment_id ORDER BY h.changed_at, h.change_id)
) x
LEFT JOIN analytics.status_map fm
       ON fm.provider = x.provider AND fm.object = 'payment' AND fm.provider_status = x.from_code
LEFT JOIN analytics.status_map tm
       ON tm.provider = x.provider AND tm.object = 'payment' AND tm.provider_status = x.to_code;

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
