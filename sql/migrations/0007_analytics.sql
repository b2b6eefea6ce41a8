-- Reference data for the analyst layer (issue 8): status normalization, Bacs reason codes, the
-- PII column list, and the reader roles whose grants every migrate re-applies. The views that
-- use them live in sql/views/ and are re-created on every migrate.

CREATE TABLE analytics.status_map (
    provider        text NOT NULL CHECK (provider IN ('smarterpay', 'smart2pay')),
    object          text NOT NULL CHECK (object IN ('payment', 'mandate')),
    provider_status text NOT NULL,
    provider_name   text NOT NULL,
    status          text NOT NULL,
    is_final        boolean,
    note            text,
    PRIMARY KEY (provider, object, provider_status),
    CHECK (object <> 'payment' OR status IN ('pending', 'succeeded', 'failed', 'refunded', 'cancelled', 'disputed')),
    CHECK (object <> 'mandate' OR status IN ('pending', 'active', 'suspended', 'cancelled', 'expired', 'failed'))
);
COMMENT ON TABLE analytics.status_map IS 'The one place provider statuses are normalized: payments to pending/succeeded/failed/refunded/cancelled/disputed, mandates (SmarterPay mandates, Smart2Pay preapprovals) to pending/active/suspended/cancelled/expired/failed';
COMMENT ON COLUMN analytics.status_map.provider IS 'smarterpay or smart2pay';
COMMENT ON COLUMN analytics.status_map.object IS 'payment or mandate (Smart2Pay preapprovals count as mandates)';
COMMENT ON COLUMN analytics.status_map.provider_status IS 'The provider''s status as stored: SmarterPay status text (payments.status, mandates.dd_status); Smart2Pay Status.ID as text';
COMMENT ON COLUMN analytics.status_map.provider_name IS 'Readable provider status: SmarterPay the status itself; Smart2Pay Status.Info as documented (smart2pay.md §5.6)';
COMMENT ON COLUMN analytics.status_map.status IS 'Normalized status (see the table comment for the allowed values)';
COMMENT ON COLUMN analytics.status_map.is_final IS 'Whether the provider documents the status as final; NULL where the documentation does not say';
COMMENT ON COLUMN analytics.status_map.note IS 'Why the status maps as it does, where that is a choice';

INSERT INTO analytics.status_map (provider, object, provider_status, provider_name, status, is_final, note) VALUES
('smarterpay', 'payment', 'pending_submission', 'pending_submission', 'pending', false, 'waiting for the next Bacs file'),
('smarterpay', 'payment', 'submitted', 'submitted', 'pending', false, 'in a Bacs file; paid unless an ARUDD report follows'),
('smarterpay', 'payment', 'successful', 'successful', 'succeeded', true, NULL),
('smarterpay', 'payment', 'failed', 'failed', 'failed', true, 'returned unpaid (ARUDD)'),
('smarterpay', 'payment', 'cancelled', 'cancelled', 'cancelled', true, NULL),
('smarterpay', 'payment', 'indemnity_claimed', 'indemnity_claimed', 'disputed', true, 'payer claimed the money back under the Direct Debit Guarantee (DDICA)'),
('smart2pay', 'payment', '1', 'Open', 'pending', false, NULL),
('smart2pay', 'payment', '2', 'Success', 'succeeded', true, NULL),
('smart2pay', 'payment', '3', 'Cancelled', 'cancelled', true, NULL),
('smart2pay', 'payment', '4', 'Failed', 'failed', true, NULL),
('smart2pay', 'payment', '5', 'Expired', 'cancelled', true, 'the customer ran out of time: nothing was attempted, so cancelled rather than failed'),
('smart2pay', 'payment', '6', 'PendingOnCustomer', 'pending', false, NULL),
('smart2pay', 'payment', '7', 'PendingOnProvider', 'pending', false, NULL),
('smart2pay', 'payment', '8', 'Submitted', 'pending', false, NULL),
('smart2pay', 'payment', '9', 'Authorized', 'pending', false, 'authorized, not captured: no money collected yet'),
('smart2pay', 'payment', '10', 'AuthorizeRequested', 'pending', false, NULL),
('smart2pay', 'payment', '11', 'Captured', 'succeeded', NULL, NULL),
('smart2pay', 'payment', '12', 'Rejected', 'failed', NULL, NULL),
('smart2pay', 'payment', '13', 'CaptureRequested', 'pending', false, NULL),
('smart2pay', 'payment', '14', 'Exception', 'pending', false, 'manual review'),
('smart2pay', 'payment', '15', 'CancelRequested', 'pending', false, NULL),
('smart2pay', 'payment', '16', 'Reversed', 'cancelled', true, 'authorization reversed: never collected'),
('smart2pay', 'payment', '17', 'Completed', 'succeeded', NULL, NULL),
('smart2pay', 'payment', '18', 'Processing', 'pending', NULL, NULL),
('smart2pay', 'payment', '19', 'Disputed', 'disputed', false, 'chargeback open'),
('smart2pay', 'payment', '21', 'PartiallyRefunded', 'refunded', NULL, 'part of the money refunded; amounts in refunded_amount'),
('smart2pay', 'payment', '22', 'Refunded', 'refunded', NULL, NULL),
('smart2pay', 'payment', '23', 'DisputeWon', 'succeeded', NULL, 'merchant kept the money'),
('smart2pay', 'payment', '24', 'DisputeLost', 'disputed', NULL, 'chargeback lost'),
('smart2pay', 'payment', '25', 'Paid', 'succeeded', NULL, NULL),
('smart2pay', 'payment', '26', 'Chargedback', 'disputed', true, 'cardholder won the dispute'),
('smart2pay', 'payment', '27', 'Second Chargeback Won', 'succeeded', NULL, NULL),
('smart2pay', 'payment', '28', 'Second Chargeback Lost', 'disputed', NULL, NULL),
('smart2pay', 'payment', '30', 'PendingChallengeConfirmation', 'pending', NULL, NULL),
('smart2pay', 'payment', '33', 'QueuedForCapturing', 'pending', NULL, NULL),
('smart2pay', 'payment', '34', 'QueuedForCancelling', 'pending', NULL, NULL),
('smart2pay', 'payment', '35', 'PartiallyCaptured', 'succeeded', true, 'collected_amount is the captured part'),
('smart2pay', 'payment', '36', 'Success Wait for Fraud', 'pending', NULL, NULL),
('smart2pay', 'payment', '37', 'Exception Wait for Fraud', 'pending', NULL, NULL),
('smarterpay', 'mandate', 'new instruction', 'new instruction', 'pending', false, 'lodged with Bacs (AUDDIS 0N) in the next file'),
('smarterpay', 'mandate', 'await validation', 'await validation', 'pending', false, NULL),
('smarterpay', 'mandate', 'first collection', 'first collection', 'active', false, 'active: the next payment is a first collection'),
('smarterpay', 'mandate', 'ongoing collection', 'ongoing collection', 'active', false, NULL),
('smarterpay', 'mandate', 'on hold', 'on hold', 'suspended', false, NULL),
('smarterpay', 'mandate', 'cancelled', 'cancelled', 'cancelled', true, NULL),
('smarterpay', 'mandate', 'cancelled by payer', 'cancelled by payer', 'cancelled', true, 'usually ADDACS1'),
('smarterpay', 'mandate', 'cancelled by originator', 'cancelled by originator', 'cancelled', true, 'AUDDIS rejection or merchant cancellation'),
('smarterpay', 'mandate', 'expired', 'expired', 'expired', true, 'no collection for 13 months'),
('smarterpay', 'mandate', 'failed validation', 'failed validation', 'failed', true, NULL),
('smart2pay', 'mandate', '1', 'Pending', 'pending', false, NULL),
('smart2pay', 'mandate', '2', 'Open', 'active', false, NULL),
('smart2pay', 'mandate', '3', 'Closed', 'cancelled', true, NULL),
('smart2pay', 'mandate', '4', 'ClosedByCustomer', 'cancelled', true, 'closed by the customer');

CREATE TABLE analytics.bacs_reason_codes (
    code           text PRIMARY KEY,
    report         text NOT NULL,
    description    text NOT NULL,
    meaning        text NOT NULL,
    default_action text,
    reference      text NOT NULL
);
COMMENT ON TABLE analytics.bacs_reason_codes IS 'Bacs report reason codes and what they mean (smarterpay.md §4; codes marked INFERRED follow Bacs conventions, not SmarterPay docs)';
COMMENT ON COLUMN analytics.bacs_reason_codes.code IS 'Code as the provider sends it (webhook bacs_reason_code, mandate bacs_code), e.g. ARUDD0';
COMMENT ON COLUMN analytics.bacs_reason_codes.report IS 'Bacs report family: ADDACS (instruction amendments), ARUDD (unpaid debits), ARUCS (unapplied credits), AUDDIS (mandate lodgement), DDICA (indemnity claims)';
COMMENT ON COLUMN analytics.bacs_reason_codes.description IS 'Description as the provider sends it (bacs_description)';
COMMENT ON COLUMN analytics.bacs_reason_codes.meaning IS 'What happened, in plain words';
COMMENT ON COLUMN analytics.bacs_reason_codes.default_action IS 'What SmarterPay does by default (default rejection profile; configurable per SUN)';
COMMENT ON COLUMN analytics.bacs_reason_codes.reference IS 'Where the row comes from: smarterpay.md §4, or Bacs convention (INFERRED)';

INSERT INTO analytics.bacs_reason_codes (code, report, description, meaning, default_action, reference) VALUES
('ADDACS', 'ADDACS', 'no collection for 13 months', 'Instruction lapsed: dormant for 13 months', 'mandate expired', 'emulator; Bacs convention (INFERRED)'),
('ADDACS0', 'ADDACS', 'instruction cancelled - refer to payer', 'The paying bank cancelled the instruction; ask the payer', 'mandate cancelled by payer', 'smarterpay.md §4'),
('ADDACS1', 'ADDACS', 'instruction cancelled by payer', 'The payer cancelled the Direct Debit at their bank', 'mandate cancelled; pending payments cancelled; schedules disabled', 'smarterpay.md §4'),
('ADDACS2', 'ADDACS', 'payer deceased', 'The payer has died', NULL, 'smarterpay.md §4'),
('ADDACS3', 'ADDACS', 'account transferred', 'The payer moved the account to another bank or branch', NULL, 'Bacs convention (INFERRED)'),
('ADDACSB', 'ADDACS', 'account closed', 'The payer closed the account', 'mandate cancelled; pending payments cancelled; schedules disabled; bank account disabled; pending credits cancelled', 'smarterpay.md §4'),
('ARUCS', 'ARUCS', 'credit returned', 'A Bacs credit could not be applied and came back', 'credit failed', 'emulator; Bacs convention (INFERRED)'),
('ARUDD0', 'ARUDD', 'refer to payer', 'Unpaid: usually not enough money in the account', 'payment failed', 'smarterpay.md §4'),
('ARUDD1', 'ARUDD', 'instruction cancelled', 'Unpaid: the payer cancelled the instruction', 'payment failed; mandate cancelled; future pending payments cancelled; schedules disabled', 'smarterpay.md §4'),
('ARUDD2', 'ARUDD', 'payer deceased', 'Unpaid: the payer has died', NULL, 'Bacs convention (INFERRED)'),
('ARUDD3', 'ARUDD', 'account transferred', 'Unpaid: the account moved to another bank or branch', NULL, 'Bacs convention (INFERRED)'),
('ARUDD5', 'ARUDD', 'no account', 'Unpaid: no such account', NULL, 'Bacs convention (INFERRED)'),
('ARUDD6', 'ARUDD', 'no instruction', 'Unpaid: the paying bank holds no Direct Debit Instruction', NULL, 'Bacs convention (INFERRED)'),
('ARUDDB', 'ARUDD', 'account closed', 'Unpaid: the account is closed', NULL, 'Bacs convention (INFERRED)'),
('AUDDIS5', 'AUDDIS', 'no account (or wrong account type)', 'Mandate rejected at lodgement: no such account, or it cannot take Direct Debits', 'mandate cancelled by originator', 'emulator; Bacs convention (INFERRED)'),
('AUDDISB', 'AUDDIS', 'account closed', 'Mandate rejected at lodgement: the account is closed', NULL, 'Bacs convention (INFERRED)'),
('DDICA', 'DDICA', 'indemnity claim', 'The payer claimed the money back under the Direct Debit Guarantee', 'payment indemnity_claimed', 'smarterpay.md §4');

-- Column names, matched in every relation of the stream schemas (so a new table with an
-- `email` column is covered without a change here). `raw` holds everything the API sent.
CREATE TABLE analytics.pii_columns (
    column_name text PRIMARY KEY,
    category    text NOT NULL,
    note        text
);
COMMENT ON TABLE analytics.pii_columns IS 'Columns of schemas smarterpay and smart2pay a --no-pii reader cannot read (matched by name in every table and view)';
COMMENT ON COLUMN analytics.pii_columns.column_name IS 'Column name, matched in every relation of schemas smarterpay and smart2pay';
COMMENT ON COLUMN analytics.pii_columns.category IS 'Kind of personal data: raw record, bank account, card, contact, name, address, identity, network';
COMMENT ON COLUMN analytics.pii_columns.note IS 'Where the column occurs and why it is personal data';

INSERT INTO analytics.pii_columns (column_name, category, note) VALUES
('raw', 'raw record', 'the record as received: holds every field below'),
('account_number', 'bank account', 'smarterpay bank_accounts, mandates'),
('sort_code', 'bank account', 'smarterpay bank_accounts, mandates'),
('account_name', 'name', 'name on the bank account: smarterpay bank_accounts, mandates'),
('webhook', 'bank account', 'smarterpay outbound_messages: v2 mandate events carry bank_account{account_number, sort_code, account_name}'),
('details', 'bank account', 'smart2pay payments, refunds, payouts, preapprovals: AccountNumber, IBAN, AccountHolder, PayerEmail, SocialSecurityNumber'),
('reference_details', 'bank account', 'smart2pay payments: AccountNumber, IBAN, AccountHolder'),
('card_number', 'card', 'smart2pay payments (masked, kept out anyway)'),
('card_number_ending', 'card', 'smarterpay cards'),
('card_holder_name', 'name', 'smart2pay payments'),
('name_on_card', 'name', 'smarterpay cards'),
('credit_card_token', 'card', 'smart2pay payments'),
('email', 'contact', 'smarterpay customer_accounts'),
('customer_email', 'contact', 'smart2pay payments, refunds, preapprovals, payouts'),
('customer_phone', 'contact', 'smart2pay'),
('title', 'name', 'smarterpay customer_accounts'),
('first_name', 'name', 'smarterpay customer_accounts'),
('last_name', 'name', 'smarterpay customer_accounts'),
('customer_first_name', 'name', 'smart2pay'),
('customer_last_name', 'name', 'smart2pay'),
('customer_gender', 'identity', 'smart2pay'),
('customer_date_of_birth', 'identity', 'smart2pay'),
('customer_social_security_number', 'identity', 'smart2pay'),
('address_line1', 'address', 'smarterpay customer_accounts'),
('address_line2', 'address', 'smarterpay customer_accounts'),
('city', 'address', 'smarterpay customer_accounts'),
('postal_code', 'address', 'smarterpay customer_accounts'),
('client_ip', 'network', 'smart2pay payments: the customer''s IP address'),
('billing_street', 'address', 'smart2pay'), ('billing_street_number', 'address', 'smart2pay'),
('billing_house_number', 'address', 'smart2pay'), ('billing_house_extension', 'address', 'smart2pay'),
('billing_zip_code', 'address', 'smart2pay'), ('billing_city', 'address', 'smart2pay'),
('shipping_street', 'address', 'smart2pay'), ('shipping_street_number', 'address', 'smart2pay'),
('shipping_house_number', 'address', 'smart2pay'), ('shipping_house_extension', 'address', 'smart2pay'),
('shipping_zip_code', 'address', 'smart2pay'), ('shipping_city', 'address', 'smart2pay'),
('bank_street', 'address', 'smart2pay refunds'), ('bank_street_number', 'address', 'smart2pay refunds'),
('bank_house_number', 'address', 'smart2pay refunds'), ('bank_house_extension', 'address', 'smart2pay refunds'),
('bank_zip_code', 'address', 'smart2pay refunds'), ('bank_city', 'address', 'smart2pay refunds');

CREATE TABLE paysync.reader_roles (
    role       text PRIMARY KEY,
    no_pii     boolean NOT NULL,
    granted_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE paysync.reader_roles IS 'Roles given read access by `paysync db grant-reader`; every migrate re-applies their grants so new tables, columns and views follow';

-- SmarterPay's webhook log keeps each body as JSON text; one malformed body must not break
-- every view that reads the log, so parse it to NULL instead of raising.
CREATE FUNCTION paysync.try_jsonb(v text) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
BEGIN
    RETURN CASE WHEN v ~ '^\s*[{\[]' THEN v::jsonb END;
EXCEPTION WHEN others THEN
    RETURN NULL;
END $$;
COMMENT ON FUNCTION paysync.try_jsonb(text) IS 'text parsed as jsonb, or NULL when it is not valid JSON';
