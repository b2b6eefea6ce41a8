-- Issue 14: times without a zone inside records are read in the source's zone, and SmarterPay
-- account validation records.

-- A time without a zone ('2023-07-13 11:12:45', Smart2Pay's YYYYMMDDHHMMSS) means the zone
-- the source's provider means: the loader sets paysync.source_timezone for each transaction
-- that projects records (default UTC when unset, as before). Times with a zone are unchanged.
-- The setting is read inline, not through another paysync function: views call to_ts, and an
-- inlined body naming a paysync function would need USAGE on schema paysync, which analyst
-- readers do not have.
CREATE OR REPLACE FUNCTION paysync.to_ts(v text) RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN v ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d(:?\d\d)?)$' THEN v::timestamptz
        WHEN v ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?$' THEN
            v::timestamp AT TIME ZONE coalesce(nullif(current_setting('paysync.source_timezone', true), ''), 'UTC')
        WHEN v ~ '^\d{14}$' THEN
            (substr(v, 1, 8) || 'T' || substr(v, 9, 6))::timestamp
                AT TIME ZONE coalesce(nullif(current_setting('paysync.source_timezone', true), ''), 'UTC')
        WHEN v ~ '^\d{4}-\d\d-\d\d$' THEN v::timestamp AT TIME ZONE 'UTC'
    END $$;

-- SmarterPay account validations (GET accountvalidation/{ID}; no list): the records that
-- mandates name in account_validation_id, fetched by that id.
CREATE TABLE smarterpay.account_validations (
    source text NOT NULL,
    id text NOT NULL,
    mandate_id text,
    successful_validation boolean,
    account_name text,
    account_number text,
    sort_code text,
    client_bank_account_id text,
    reference text,
    message text,
    error_message text,
    report text,
    account_validation_url text,
    return_url text,
    metadata text,
    metadata_bank_account text,
    metadata_mandate text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    _fetched_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.account_validations IS 'SmarterPay account validations, fetched by the id a mandate names (GET accountvalidation/{ID}; no list is documented)';
CREATE INDEX ON smarterpay.account_validations (source, mandate_id);
COMMENT ON COLUMN smarterpay.account_validations.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.account_validations.id IS 'Provider record id (AV01…), as named by mandates.account_validation_id';
COMMENT ON COLUMN smarterpay.account_validations.mandate_id IS 'The mandate a successful validation created (M01…) (API: mandate_id)';
COMMENT ON COLUMN smarterpay.account_validations.successful_validation IS 'Whether the payer''s account was validated; the API sends the strings "True"/"False" (API: successful_validation)';
COMMENT ON COLUMN smarterpay.account_validations.account_name IS 'Name on the validated bank account (API: account_name)';
COMMENT ON COLUMN smarterpay.account_validations.account_number IS 'Validated bank account number (API: account_number)';
COMMENT ON COLUMN smarterpay.account_validations.sort_code IS 'Validated bank sort code (API: sort_code)';
COMMENT ON COLUMN smarterpay.account_validations.client_bank_account_id IS 'The merchant''s bank account the Direct Debit collects into (API: client_bank_account_id)';
COMMENT ON COLUMN smarterpay.account_validations.reference IS 'AUDDIS reference of the mandate (≤18 characters; system-generated when not given) (API: reference)';
COMMENT ON COLUMN smarterpay.account_validations.message IS 'The provider''s message about the validation (API: message)';
COMMENT ON COLUMN smarterpay.account_validations.error_message IS 'Why a validation failed; empty when it succeeded (API: error_message)';
COMMENT ON COLUMN smarterpay.account_validations.report IS 'The validation report: JSON sent as a string, or NULL (API: report)';
COMMENT ON COLUMN smarterpay.account_validations.account_validation_url IS 'Page the payer completes the validation on (API: account_validation_url)';
COMMENT ON COLUMN smarterpay.account_validations.return_url IS 'Where the payer returns after validating (≤500 characters) (API: return_url)';
COMMENT ON COLUMN smarterpay.account_validations.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.account_validations.metadata_bank_account IS 'Metadata given to the bank account the validation creates (API: metadata_bank_account)';
COMMENT ON COLUMN smarterpay.account_validations.metadata_mandate IS 'Metadata given to the mandate the validation creates (API: metadata_mandate)';
COMMENT ON COLUMN smarterpay.account_validations.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.account_validations._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.account_validations._list_hash IS 'Unused: the resource has no list (kept so every stream table has the same bookkeeping columns)';
COMMENT ON COLUMN smarterpay.account_validations._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.account_validations._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.account_validations._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.account_validations._deleted_at IS 'Not set by sync (records fetched by id are never marked deleted); reconcile --repair may set it';
COMMENT ON COLUMN smarterpay.account_validations._fetched_at IS 'When the provider read that wrote this version was requested (orders versions)';
