-- Money per value day. Refunds and disputes count against the day of the payment they
-- reverse (a cohort view), so one day's figures are final once its payments settle.
CREATE OR REPLACE VIEW analytics.daily_collections AS
SELECT value_date AS day, provider, source, currency,
       count(*) AS payments,
       count(*) FILTER (WHERE status = 'pending') AS pending_count,
       coalesce(sum(amount) FILTER (WHERE status = 'pending'), 0)::bigint AS pending_amount,
       count(*) FILTER (WHERE collected_amount > 0) AS collected_count,
       sum(collected_amount)::bigint AS collected_amount,
       count(*) FILTER (WHERE status = 'failed') AS failed_count,
       coalesce(sum(amount) FILTER (WHERE status = 'failed'), 0)::bigint AS failed_amount,
       count(*) FILTER (WHERE refunded_amount > 0) AS refunded_count,
       sum(refunded_amount)::bigint AS refunded_amount,
       count(*) FILTER (WHERE status = 'disputed') AS disputed_count,
       coalesce(sum(collected_amount) FILTER (WHERE status = 'disputed'), 0)::bigint AS disputed_amount,
       (sum(collected_amount) - sum(refunded_amount)
        - coalesce(sum(collected_amount) FILTER (WHERE status = 'disputed'), 0))::bigint AS net_amount,
       round((sum(collected_amount) - sum(refunded_amount)
        - coalesce(sum(collected_amount) FILTER (WHERE status = 'disputed'), 0)) / 100.0, 2) AS net_major
FROM analytics.payments
GROUP BY value_date, provider, source, currency;

COMMENT ON VIEW analytics.daily_collections IS 'Per value day, provider, source and currency: payments collected, failed, refunded, disputed and net (minor units). Refunds and disputes count on the day of the payment they reverse';
COMMENT ON COLUMN analytics.daily_collections.day IS 'Value day (analytics.payments.value_date: SmarterPay collection date, Smart2Pay UTC day of creation)';
COMMENT ON COLUMN analytics.daily_collections.provider IS 'smarterpay or smart2pay';
COMMENT ON COLUMN analytics.daily_collections.source IS 'paysync source name (one provider account)';
COMMENT ON COLUMN analytics.daily_collections.currency IS 'ISO 4217 currency (SmarterPay: GBP)';
COMMENT ON COLUMN analytics.daily_collections.payments IS 'Payments with this value day, any status';
COMMENT ON COLUMN analytics.daily_collections.pending_count IS 'Payments still pending';
COMMENT ON COLUMN analytics.daily_collections.pending_amount IS 'Amount of the pending payments (minor units)';
COMMENT ON COLUMN analytics.daily_collections.collected_count IS 'Payments whose money was collected (status succeeded, refunded or disputed)';
COMMENT ON COLUMN analytics.daily_collections.collected_amount IS 'Money collected (minor units; Smart2Pay partial captures count what was captured)';
COMMENT ON COLUMN analytics.daily_collections.failed_count IS 'Payments that failed (SmarterPay: returned unpaid, ARUDD)';
COMMENT ON COLUMN analytics.daily_collections.failed_amount IS 'Amount of the failed payments (minor units)';
COMMENT ON COLUMN analytics.daily_collections.refunded_count IS 'Payments with at least one successful refund';
COMMENT ON COLUMN analytics.daily_collections.refunded_amount IS 'Money refunded (minor units; successful Smart2Pay refunds)';
COMMENT ON COLUMN analytics.daily_collections.disputed_count IS 'Payments disputed: SmarterPay indemnity claims, Smart2Pay disputes and chargebacks';
COMMENT ON COLUMN analytics.daily_collections.disputed_amount IS 'Collected money of the disputed payments (minor units)';
COMMENT ON COLUMN analytics.daily_collections.net_amount IS 'collected_amount - refunded_amount - disputed_amount (minor units)';
COMMENT ON COLUMN analytics.daily_collections.net_major IS 'net_amount in major units (/ 100)';
