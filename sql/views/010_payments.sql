-- Analyst views (issue 8). Every file in sql/views runs on every migrate, in name order, in one
-- transaction. Rules for editing them:
-- - CREATE OR REPLACE only: it keeps the readers' grants and the analysts' own views built on
--   these. It can only append columns; to rename, retype or remove one, put
--   `DROP VIEW IF EXISTS analytics.<name> CASCADE;` above it, and mind that CASCADE drops the
--   views built on it too (the later files re-create ours; 900 re-applies the grants).
-- - A view that uses another comes in a later file (010 before 020 ...).
-- - Every column gets a COMMENT (tests/test_analytics.py reads pg_description).
-- - No view may expose a column named in analytics.pii_columns: --no-pii readers read every
--   analytics view (900_reader_grants.sql).
-- Statuses are normalized only through analytics.status_map (migration 0007).
-- - Keep every view selective (issue 16): a filter on a key or on a day must reach the stream
--   tables' indexes. No CTE used twice (it is computed whole), no join to a grouped subquery
--   over a whole table; tests/test_analytics_scale.py counts the rows a lookup reads.

CREATE OR REPLACE VIEW analytics.payments AS
SELECT 'smarterpay'::text AS provider, p.source, p.id, p.created_at,
       p.collection_date AS value_date,
       p.amount, round(p.amount / 100.0, 2) AS amount_major, 'GBP'::text AS currency,
       sm.status, p.status AS provider_status, NULL::bigint AS provider_status_id,
       p.record_type AS method, NULL::bigint AS method_id, p.payment_type,
       m.customer_account AS customer_reference, p.mandate,
       CASE WHEN sm.status IN ('succeeded', 'refunded', 'disputed') THEN p.amount ELSE 0 END
           AS collected_amount,
       0::bigint AS refunded_amount,
       p._changed_at AS last_changed_at, p._first_seen_at AS first_seen_at, p._synced_at AS synced_at
FROM smarterpay.payments p
LEFT JOIN analytics.status_map sm
       ON sm.provider = 'smarterpay' AND sm.object = 'payment' AND sm.provider_status = p.status
LEFT JOIN smarterpay.mandates m ON m.source = p.source AND m.id = p.mandate
WHERE p._deleted_at IS NULL
UNION ALL
SELECT 'smart2pay', p.source, p.id, p.created,
       (p.created AT TIME ZONE 'UTC')::date,
       p.amount, round(p.amount / 100.0, 2), p.currency,
       sm.status, coalesce(sm.provider_name, p.status_info), p.status_id,
       coalesce(me.display_name, p.method_id::text), p.method_id, NULL,
       coalesce(nullif(p.customer_merchant_customer_id, 'null'), p.customer_id::text),
       p.preapproval_id::text,
       CASE WHEN sm.status IN ('succeeded', 'refunded', 'disputed')
            THEN coalesce(p.captured_amount, p.amount) ELSE 0 END,
       -- A subquery per payment, not a join to all refunds grouped: one payment reads only its
       -- own refunds (index refunds (source, payment_id)), and a question that does not use
       -- the column (a count) does not evaluate it at all.
       coalesce((SELECT sum(f.amount) FROM smart2pay.refunds f
                 WHERE f.source = p.source AND f.payment_id = paysync.to_bigint(p.id)
                   AND f.status_id = 2 AND f._deleted_at IS NULL), 0)::bigint,
       p._changed_at, p._first_seen_at, p._synced_at
FROM smart2pay.payments p
LEFT JOIN analytics.status_map sm
       ON sm.provider = 'smart2pay' AND sm.object = 'payment' AND sm.provider_status = p.status_id::text
LEFT JOIN smart2pay.methods me ON me.source = p.source AND me.id = p.method_id::text
WHERE p._deleted_at IS NULL;

COMMENT ON VIEW analytics.payments IS 'One row per payment at both providers, all sources (records the provider no longer lists are left out). SmarterPay payments are GBP: its API has no currency field. Both APIs send amounts in minor units (last two digits are decimals).';
COMMENT ON COLUMN analytics.payments.provider IS 'smarterpay (Bacs Direct Debit) or smart2pay (cards and alternative methods)';
COMMENT ON COLUMN analytics.payments.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN analytics.payments.id IS 'Provider payment id (SmarterPay P…, Smart2Pay numeric ID as text)';
COMMENT ON COLUMN analytics.payments.created_at IS 'When the provider created the payment (UTC)';
COMMENT ON COLUMN analytics.payments.value_date IS 'Day the money moves: SmarterPay collection_date; Smart2Pay the UTC day of Created (the API has no settlement date)';
COMMENT ON COLUMN analytics.payments.amount IS 'Amount in minor units (pence, cents) as requested';
COMMENT ON COLUMN analytics.payments.amount_major IS 'amount in major units (pounds, euros): amount / 100';
COMMENT ON COLUMN analytics.payments.currency IS 'ISO 4217 currency; always GBP for SmarterPay (its API has no currency field)';
COMMENT ON COLUMN analytics.payments.status IS 'Normalized status: pending, succeeded, failed, refunded, cancelled, disputed (analytics.status_map); NULL for a provider status the map does not know yet';
COMMENT ON COLUMN analytics.payments.provider_status IS 'The provider''s own status: SmarterPay status; Smart2Pay Status.Info (documented spelling)';
COMMENT ON COLUMN analytics.payments.provider_status_id IS 'Smart2Pay Status.ID (smart2pay.md §5.6); NULL for SmarterPay';
COMMENT ON COLUMN analytics.payments.method IS 'Payment method: SmarterPay record_type (direct_debit, card_payment); Smart2Pay method name (smart2pay.methods), else its id';
COMMENT ON COLUMN analytics.payments.method_id IS 'Smart2Pay MethodID (e.g. 6 cards, 2 iDEAL); NULL for SmarterPay';
COMMENT ON COLUMN analytics.payments.payment_type IS 'SmarterPay payment_type (first collection, ongoing collection, represent …); NULL for Smart2Pay';
COMMENT ON COLUMN analytics.payments.customer_reference IS 'Customer: SmarterPay customer account id (CA…) of the mandate; Smart2Pay MerchantCustomerID, else Customer.ID. Never a name or e-mail';
COMMENT ON COLUMN analytics.payments.mandate IS 'SmarterPay mandate id (M…); Smart2Pay preapproval id of a recurring payment';
COMMENT ON COLUMN analytics.payments.collected_amount IS 'Minor units actually collected: the amount (Smart2Pay: CapturedAmount when sent) when the status is succeeded, refunded or disputed; else 0';
COMMENT ON COLUMN analytics.payments.refunded_amount IS 'Minor units refunded: sum of the payment''s successful Smart2Pay refunds; 0 for SmarterPay (indemnity claims are status disputed)';
COMMENT ON COLUMN analytics.payments.last_changed_at IS 'When paysync last stored a changed version of the payment';
COMMENT ON COLUMN analytics.payments.first_seen_at IS 'When paysync first stored the payment';
COMMENT ON COLUMN analytics.payments.synced_at IS 'When paysync last wrote the row';
