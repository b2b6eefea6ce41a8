-- SmarterPay stream tables (DESIGN §4): typed columns derived from raw by the loader.

CREATE TABLE smarterpay.bank_accounts (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    account_number text,
    sort_code text,
    account_name text,
    bank_name text,
    customer_account text,
    enabled boolean,
    custom_reference text,
    metadata text,
    credits_allowed boolean,
    debits_allowed boolean,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.bank_accounts IS 'SmarterPay payer bank accounts (GET bankaccounts)';
CREATE INDEX ON smarterpay.bank_accounts (source, created_at);
COMMENT ON COLUMN smarterpay.bank_accounts.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.bank_accounts.account_number IS 'Bank account number (8 digits) (API: account_number)';
COMMENT ON COLUMN smarterpay.bank_accounts.sort_code IS 'Bank sort code (6 digits) (API: sort_code)';
COMMENT ON COLUMN smarterpay.bank_accounts.account_name IS 'Name on the bank account (API: account_name)';
COMMENT ON COLUMN smarterpay.bank_accounts.bank_name IS 'Bank name from the modulus check (API: bank_name)';
COMMENT ON COLUMN smarterpay.bank_accounts.customer_account IS 'Customer account id (CA…) this record belongs to (API: customer_account)';
COMMENT ON COLUMN smarterpay.bank_accounts.enabled IS 'Whether the bank account is enabled (API: enabled)';
COMMENT ON COLUMN smarterpay.bank_accounts.custom_reference IS 'Merchant''s own reference (API: custom_reference)';
COMMENT ON COLUMN smarterpay.bank_accounts.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.bank_accounts.credits_allowed IS 'Whether credits may be paid to this account (API: credits_allowed)';
COMMENT ON COLUMN smarterpay.bank_accounts.debits_allowed IS 'Whether direct debits may be collected from this account (API: debits_allowed)';
COMMENT ON COLUMN smarterpay.bank_accounts.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.bank_accounts.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.bank_accounts.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.bank_accounts._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.bank_accounts._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.bank_accounts._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.bank_accounts._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.bank_accounts._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.bank_accounts._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.customer_accounts (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    email text,
    title text,
    first_name text,
    last_name text,
    company_name text,
    address_line1 text,
    address_line2 text,
    city text,
    postal_code text,
    country_code text,
    state_code text,
    custom_reference text,
    metadata text,
    external_id text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.customer_accounts IS 'SmarterPay customer accounts (GET customeraccounts)';
CREATE INDEX ON smarterpay.customer_accounts (source, created_at);
COMMENT ON COLUMN smarterpay.customer_accounts.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.customer_accounts.email IS 'Customer e-mail address (API: email)';
COMMENT ON COLUMN smarterpay.customer_accounts.title IS 'Customer title (API: title)';
COMMENT ON COLUMN smarterpay.customer_accounts.first_name IS 'Customer first name (API: first_name)';
COMMENT ON COLUMN smarterpay.customer_accounts.last_name IS 'Customer last name (API: last_name)';
COMMENT ON COLUMN smarterpay.customer_accounts.company_name IS 'Company name (API: company_name)';
COMMENT ON COLUMN smarterpay.customer_accounts.address_line1 IS 'Address line 1 (API: address_line1)';
COMMENT ON COLUMN smarterpay.customer_accounts.address_line2 IS 'Address line 2 (API: address_line2)';
COMMENT ON COLUMN smarterpay.customer_accounts.city IS 'City (API: city)';
COMMENT ON COLUMN smarterpay.customer_accounts.postal_code IS 'Postal code (API: postal_code)';
COMMENT ON COLUMN smarterpay.customer_accounts.country_code IS 'ISO 3166-1 alpha-2 country (default GB) (API: country_code)';
COMMENT ON COLUMN smarterpay.customer_accounts.state_code IS 'US state code (API: state_code)';
COMMENT ON COLUMN smarterpay.customer_accounts.custom_reference IS 'Merchant''s own reference (API: custom_reference)';
COMMENT ON COLUMN smarterpay.customer_accounts.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.customer_accounts.external_id IS 'External system id (e.g. Xero) (API: external_id)';
COMMENT ON COLUMN smarterpay.customer_accounts.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.customer_accounts.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.customer_accounts.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.customer_accounts._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.customer_accounts._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.customer_accounts._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.customer_accounts._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.customer_accounts._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.customer_accounts._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.mandates (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    dd_status text,
    auddis text,
    customer_account text,
    customer_bank_account text,
    client_bank_account_id text,
    i_am_the_only_account_holder boolean,
    sun_name text,
    sun_number text,
    account_name text,
    account_number text,
    sort_code text,
    bank_name text,
    originator_account_number text,
    originator_sort_code text,
    account_validation_url text,
    account_validation_id text,
    bacs_code text,
    bacs_description text,
    metadata text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.mandates IS 'SmarterPay Direct Debit mandates (GET mandates)';
CREATE INDEX ON smarterpay.mandates (source, created_at);
CREATE INDEX ON smarterpay.mandates (source, customer_bank_account);
COMMENT ON COLUMN smarterpay.mandates.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.mandates.dd_status IS 'Mandate status: new instruction, first collection, ongoing collection, cancelled, cancelled by payer, cancelled by originator, expired, on hold, await validation, failed validation (API: dd_status)';
COMMENT ON COLUMN smarterpay.mandates.auddis IS 'AUDDIS (mandate) reference (API: auddis)';
COMMENT ON COLUMN smarterpay.mandates.customer_account IS 'Customer account id (CA…) this record belongs to (API: customer_account)';
COMMENT ON COLUMN smarterpay.mandates.customer_bank_account IS 'Payer bank account id (BA…) (API: customer_bank_account)';
COMMENT ON COLUMN smarterpay.mandates.client_bank_account_id IS 'Merchant (client) bank account id (CBA-…) (API: client_bank_account_id)';
COMMENT ON COLUMN smarterpay.mandates.i_am_the_only_account_holder IS 'Payer declared being the only account holder (sent as a string) (API: I_am_the_only_account_holder)';
COMMENT ON COLUMN smarterpay.mandates.sun_name IS 'Service user (originator) name (API: Sun_Name)';
COMMENT ON COLUMN smarterpay.mandates.sun_number IS 'Service user number (SUN) (API: Sun_Number)';
COMMENT ON COLUMN smarterpay.mandates.account_name IS 'Name on the bank account (API: account_name)';
COMMENT ON COLUMN smarterpay.mandates.account_number IS 'Bank account number (8 digits) (API: account_number)';
COMMENT ON COLUMN smarterpay.mandates.sort_code IS 'Bank sort code (6 digits) (API: sort_code)';
COMMENT ON COLUMN smarterpay.mandates.bank_name IS 'Bank name from the modulus check (API: bank_name)';
COMMENT ON COLUMN smarterpay.mandates.originator_account_number IS 'Originator account number (masked) (API: originator_account_number)';
COMMENT ON COLUMN smarterpay.mandates.originator_sort_code IS 'Originator sort code (masked) (API: originator_sort_code)';
COMMENT ON COLUMN smarterpay.mandates.account_validation_url IS 'Account validation link (API: account_validation_url)';
COMMENT ON COLUMN smarterpay.mandates.account_validation_id IS 'Account validation id (AV…) (API: account_validation_id)';
COMMENT ON COLUMN smarterpay.mandates.bacs_code IS 'Last Bacs report code (e.g. ADDACS1, AUDDIS…) (API: bacs_code)';
COMMENT ON COLUMN smarterpay.mandates.bacs_description IS 'Meaning of the last Bacs report code (API: bacs_description)';
COMMENT ON COLUMN smarterpay.mandates.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.mandates.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.mandates.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.mandates.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.mandates._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.mandates._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.mandates._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.mandates._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.mandates._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.mandates._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.payments (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    status text,
    amount bigint,
    collection_date date,
    mandate text,
    auddis text,
    payment_type text,
    record_type text,
    related_payment text,
    custom_reference text,
    default_narrative text,
    description text,
    paying_bank_reference text,
    users_reference text,
    metadata text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.payments IS 'SmarterPay Direct Debit payments (GET payments)';
CREATE INDEX ON smarterpay.payments (source, created_at);
CREATE INDEX ON smarterpay.payments (source, mandate);
COMMENT ON COLUMN smarterpay.payments.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.payments.status IS 'Payment status: pending_submission, submitted, successful, failed, cancelled, indemnity_claimed (API: status)';
COMMENT ON COLUMN smarterpay.payments.amount IS 'Amount in pence (minor units; sent as a string) (API: amount)';
COMMENT ON COLUMN smarterpay.payments.collection_date IS 'Date the payment is collected (moved to the next banking day) (API: collection_date)';
COMMENT ON COLUMN smarterpay.payments.mandate IS 'Mandate id (M…) (API: mandate)';
COMMENT ON COLUMN smarterpay.payments.auddis IS 'AUDDIS (mandate) reference (API: auddis)';
COMMENT ON COLUMN smarterpay.payments.payment_type IS 'first collection, ongoing collection, final collection, represent, ecommerce, MOTO (API: payment_type)';
COMMENT ON COLUMN smarterpay.payments.record_type IS 'direct_debit or card_payment (API: record_type)';
COMMENT ON COLUMN smarterpay.payments.related_payment IS 'For a represent: the failed payment it re-presents (API: related_payment)';
COMMENT ON COLUMN smarterpay.payments.custom_reference IS 'Merchant''s own reference (API: custom_reference)';
COMMENT ON COLUMN smarterpay.payments.default_narrative IS 'Text on the payer''s bank statement (≤18) (API: default_narrative)';
COMMENT ON COLUMN smarterpay.payments.description IS 'Description (API: description)';
COMMENT ON COLUMN smarterpay.payments.paying_bank_reference IS 'Reference from the paying bank (DDICA reports) (API: paying_bank_reference)';
COMMENT ON COLUMN smarterpay.payments.users_reference IS 'User reference (API: users_reference)';
COMMENT ON COLUMN smarterpay.payments.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.payments.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.payments.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.payments.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.payments._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.payments._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.payments._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.payments._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.payments._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.payments._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.credits (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    status text,
    amount bigint,
    credit_date date,
    bank_account text,
    auddis text,
    client_bank_account_id text,
    sun_name text,
    sun_number text,
    default_narrative text,
    description text,
    reference text,
    rti text,
    submission_reference text,
    metadata text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.credits IS 'SmarterPay Bacs credits (GET credits)';
CREATE INDEX ON smarterpay.credits (source, created_at);
COMMENT ON COLUMN smarterpay.credits.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.credits.status IS 'Credit status: pending_submission, submitted, successful, failed, cancelled (API: status)';
COMMENT ON COLUMN smarterpay.credits.amount IS 'Amount in pence (minor units; sent as a string) (API: amount)';
COMMENT ON COLUMN smarterpay.credits.credit_date IS 'Date the credit is paid (API: credit_date)';
COMMENT ON COLUMN smarterpay.credits.bank_account IS 'Bank account id (BA…) (API: bank_account)';
COMMENT ON COLUMN smarterpay.credits.auddis IS 'AUDDIS (mandate) reference (API: auddis)';
COMMENT ON COLUMN smarterpay.credits.client_bank_account_id IS 'Merchant (client) bank account id (CBA-…) (API: client_bank_account_id)';
COMMENT ON COLUMN smarterpay.credits.sun_name IS 'Service user (originator) name (API: Sun_Name)';
COMMENT ON COLUMN smarterpay.credits.sun_number IS 'Service user number (SUN) (API: Sun_Number)';
COMMENT ON COLUMN smarterpay.credits.default_narrative IS 'Text on the payer''s bank statement (≤18) (API: default_narrative)';
COMMENT ON COLUMN smarterpay.credits.description IS 'Description (API: description)';
COMMENT ON COLUMN smarterpay.credits.reference IS 'Credit reference (API: reference)';
COMMENT ON COLUMN smarterpay.credits.rti IS 'Payroll RTI reference (≤4) (API: rti)';
COMMENT ON COLUMN smarterpay.credits.submission_reference IS 'Reference sent to Bacs (API: submission_reference)';
COMMENT ON COLUMN smarterpay.credits.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.credits.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.credits.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.credits.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.credits._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.credits._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.credits._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.credits._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.credits._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.credits._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.recurrence_schedules (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    status text,
    type text,
    payment_type text,
    mandate text,
    auddis text,
    card_id text,
    amount bigint,
    first_collection_amount bigint,
    first_collection_date date,
    next_collection_date date,
    start_date date,
    end_date date,
    collection_day text,
    collection_period text,
    collection_stretch bigint,
    first_collection_in_same_month_as_next_collection boolean,
    installments bigint,
    upcoming_payments jsonb,
    custom_reference text,
    description text,
    metadata text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.recurrence_schedules IS 'SmarterPay recurrence schedules (GET recurrenceschedules)';
CREATE INDEX ON smarterpay.recurrence_schedules (source, created_at);
COMMENT ON COLUMN smarterpay.recurrence_schedules.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.status IS 'Schedule status: active or inactive (API: status)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.type IS 'Schedule type: DDOngoingPayment or DDPaymentPlan (API: type)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.payment_type IS 'directdebit or cardpayment (API: payment_type)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.mandate IS 'Mandate id (M…) (API: mandate)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.auddis IS 'AUDDIS (mandate) reference (API: auddis)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.card_id IS 'Card id for card schedules (API: card_id)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.amount IS 'Amount in pence (minor units; sent as a string) (API: amount)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.first_collection_amount IS 'First collection amount in pence (API: first_collection_amount)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.first_collection_date IS 'First collection date (API: first_collection_date)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.next_collection_date IS 'Next collection date (API: next_collection_date)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.start_date IS 'Start date (API: start_date)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.end_date IS 'End date (API: end_date)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.collection_day IS 'Day of collection (1-28 or last day) (API: collection_day)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.collection_period IS 'monthly or weekly (API: collection_period)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.collection_stretch IS 'Collect every N periods (API: collection_stretch)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.first_collection_in_same_month_as_next_collection IS 'First collection falls in the same month as the next one (API: firstCollectionInSameMonthAsNextCollection)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.installments IS 'Number of instalments (payment plans) (API: installments)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.upcoming_payments IS 'Upcoming collections [{collection_date, amount}] (API: upcoming_payments)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.custom_reference IS 'Merchant''s own reference (API: custom_reference)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.description IS 'Description (API: description)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.recurrence_schedules.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.recurrence_schedules.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.recurrence_schedules.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.recurrence_schedules._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.recurrence_schedules._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.recurrence_schedules._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.recurrence_schedules._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.recurrence_schedules._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.recurrence_schedules._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.payment_links (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    status text,
    url text,
    amount bigint,
    description text,
    expiry timestamptz,
    visited_at timestamptz,
    completed_at timestamptz,
    return_url text,
    customer_account text,
    bank_account text,
    mandate text,
    recurrence_schedule text,
    ecommerce_page text,
    auddis text,
    bank_account_custom_reference text,
    recurrence_schedule_custom_reference text,
    card_payment_custom_reference text,
    account_validation_callback boolean,
    start_date date,
    end_date date,
    first_collection_amount bigint,
    first_collection_date date,
    metadata text,
    metadata_account_validation text,
    metadata_bank_account text,
    metadata_card text,
    metadata_customer_account text,
    metadata_mandate text,
    metadata_recurrence_schedule text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.payment_links IS 'SmarterPay payment links (GET paymentlinks)';
COMMENT ON COLUMN smarterpay.payment_links.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.payment_links.status IS 'Link status: active, expired (completed INFERRED) (API: status)';
COMMENT ON COLUMN smarterpay.payment_links.url IS 'Link URL to send to the payer (API: url)';
COMMENT ON COLUMN smarterpay.payment_links.amount IS 'Amount in pence (minor units; sent as a string) (API: amount)';
COMMENT ON COLUMN smarterpay.payment_links.description IS 'Description (API: description)';
COMMENT ON COLUMN smarterpay.payment_links.expiry IS 'When the link expires (NULL for never) (API: expiry)';
COMMENT ON COLUMN smarterpay.payment_links.visited_at IS 'When the payer opened the link (API: visited_at)';
COMMENT ON COLUMN smarterpay.payment_links.completed_at IS 'When the payer completed the link (API: completed_at)';
COMMENT ON COLUMN smarterpay.payment_links.return_url IS 'Where the payer returns after completing (API: return_url)';
COMMENT ON COLUMN smarterpay.payment_links.customer_account IS 'Customer account id (CA…) this record belongs to (API: customer_account)';
COMMENT ON COLUMN smarterpay.payment_links.bank_account IS 'Bank account id (BA…) (API: bank_account)';
COMMENT ON COLUMN smarterpay.payment_links.mandate IS 'Mandate id (M…) (API: mandate)';
COMMENT ON COLUMN smarterpay.payment_links.recurrence_schedule IS 'Recurrence schedule id (RS…) (API: recurrence_schedule)';
COMMENT ON COLUMN smarterpay.payment_links.ecommerce_page IS 'Ecommerce page id (EP…) (API: ecommerce_page)';
COMMENT ON COLUMN smarterpay.payment_links.auddis IS 'AUDDIS (mandate) reference (API: auddis)';
COMMENT ON COLUMN smarterpay.payment_links.bank_account_custom_reference IS 'Custom reference for the created bank account (API: bank_account_custom_reference)';
COMMENT ON COLUMN smarterpay.payment_links.recurrence_schedule_custom_reference IS 'Custom reference for the created schedule (API: recurrence_schedule_custom_reference)';
COMMENT ON COLUMN smarterpay.payment_links.card_payment_custom_reference IS 'Custom reference for the card payment (API: card_payment_custom_reference)';
COMMENT ON COLUMN smarterpay.payment_links.account_validation_callback IS 'Whether account validation calls back (API: account_validation_callback)';
COMMENT ON COLUMN smarterpay.payment_links.start_date IS 'Start date (API: start_date)';
COMMENT ON COLUMN smarterpay.payment_links.end_date IS 'End date (API: end_date)';
COMMENT ON COLUMN smarterpay.payment_links.first_collection_amount IS 'First collection amount in pence (API: first_collection_amount)';
COMMENT ON COLUMN smarterpay.payment_links.first_collection_date IS 'First collection date (API: first_collection_date)';
COMMENT ON COLUMN smarterpay.payment_links.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.payment_links.metadata_account_validation IS 'Metadata for the account validation (API: metadata_account_validation)';
COMMENT ON COLUMN smarterpay.payment_links.metadata_bank_account IS 'Metadata for the bank account (API: metadata_bank_account)';
COMMENT ON COLUMN smarterpay.payment_links.metadata_card IS 'Metadata for the card (API: metadata_card)';
COMMENT ON COLUMN smarterpay.payment_links.metadata_customer_account IS 'Metadata for the customer account (API: metadata_customer_account)';
COMMENT ON COLUMN smarterpay.payment_links.metadata_mandate IS 'Metadata for the mandate (API: metadata_mandate)';
COMMENT ON COLUMN smarterpay.payment_links.metadata_recurrence_schedule IS 'Metadata for the recurrence schedule (API: metadata_recurrence_schedule)';
COMMENT ON COLUMN smarterpay.payment_links.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.payment_links.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.payment_links.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.payment_links._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.payment_links._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.payment_links._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.payment_links._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.payment_links._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.payment_links._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.submissions (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    status text,
    serial_number text,
    sun_name text,
    sun_number text,
    payment_total_count bigint,
    payment_total_value bigint,
    credit_total_count bigint,
    credit_total_value bigint,
    mandate_new_instruction_count bigint,
    mandate_cancellation_count bigint,
    mandate_convert_count bigint,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.submissions IS 'SmarterPay Bacs file submissions (GET submissions)';
CREATE INDEX ON smarterpay.submissions (source, created_at);
COMMENT ON COLUMN smarterpay.submissions.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.submissions.status IS 'Submitted or Submitted With errors (API: status)';
COMMENT ON COLUMN smarterpay.submissions.serial_number IS 'Bacs submission serial number (API: serial_number)';
COMMENT ON COLUMN smarterpay.submissions.sun_name IS 'Service user name (API: sun_name)';
COMMENT ON COLUMN smarterpay.submissions.sun_number IS 'Service user number (API: sun_number)';
COMMENT ON COLUMN smarterpay.submissions.payment_total_count IS 'Number of payments submitted (API: payment_total_count)';
COMMENT ON COLUMN smarterpay.submissions.payment_total_value IS 'Total of payments in pence (API: payment_total_value)';
COMMENT ON COLUMN smarterpay.submissions.credit_total_count IS 'Number of credits submitted (API: credit_total_count)';
COMMENT ON COLUMN smarterpay.submissions.credit_total_value IS 'Total of credits in pence (API: credit_total_value)';
COMMENT ON COLUMN smarterpay.submissions.mandate_new_instruction_count IS 'New instructions (0N) (API: mandate_new_instruction_count)';
COMMENT ON COLUMN smarterpay.submissions.mandate_cancellation_count IS 'Cancellations (0C) (API: mandate_cancellation_count)';
COMMENT ON COLUMN smarterpay.submissions.mandate_convert_count IS 'Conversions (0S) (API: mandate_convert_count)';
COMMENT ON COLUMN smarterpay.submissions.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.submissions.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.submissions.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.submissions._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.submissions._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.submissions._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.submissions._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.submissions._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.submissions._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.submission_lines (
    source text NOT NULL,
    id text NOT NULL,
    submission_id text,
    record_id text,
    type text,
    transaction_code text,
    status text,
    amount bigint,
    collection_date date,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.submission_lines IS 'SmarterPay Bacs file submission lines (GET submissionlines)';
CREATE INDEX ON smarterpay.submission_lines (source, submission_id);
COMMENT ON COLUMN smarterpay.submission_lines.submission_id IS 'Submission id (FS…) (API: submission_id)';
COMMENT ON COLUMN smarterpay.submission_lines.record_id IS 'Id of the mandate, payment or credit submitted (API: record_id)';
COMMENT ON COLUMN smarterpay.submission_lines.type IS 'What the line submits: mandate, payment or credit (API: type)';
COMMENT ON COLUMN smarterpay.submission_lines.transaction_code IS 'Bacs transaction code (0N, 01, 17, 18, 19, 99…) (API: transaction_code)';
COMMENT ON COLUMN smarterpay.submission_lines.status IS 'Line status (e.g. Successful) (API: status)';
COMMENT ON COLUMN smarterpay.submission_lines.amount IS 'Amount in pence (minor units; sent as a string) (API: amount)';
COMMENT ON COLUMN smarterpay.submission_lines.collection_date IS 'Date the payment is collected (moved to the next banking day) (API: collection_date)';
COMMENT ON COLUMN smarterpay.submission_lines.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.submission_lines.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.submission_lines.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.submission_lines._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.submission_lines._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.submission_lines._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.submission_lines._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.submission_lines._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.submission_lines._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.outbound_messages (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    sent_at timestamptz,
    status text,
    record_type text,
    idempotency_key text,
    subscription_id text,
    webhook jsonb,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.outbound_messages IS 'SmarterPay outbound messages: the webhook log (GET outboundmessages)';
CREATE INDEX ON smarterpay.outbound_messages (source, created_at);
COMMENT ON COLUMN smarterpay.outbound_messages.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.outbound_messages.sent_at IS 'When the message was sent (API: sent_at)';
COMMENT ON COLUMN smarterpay.outbound_messages.status IS 'Delivery status (API: status)';
COMMENT ON COLUMN smarterpay.outbound_messages.record_type IS 'email or webhook (API: record_type)';
COMMENT ON COLUMN smarterpay.outbound_messages.idempotency_key IS 'Idempotency key of the webhook (UUID) (API: idempotency_key)';
COMMENT ON COLUMN smarterpay.outbound_messages.subscription_id IS 'Webhook subscription id (SU…) (API: subscription_id)';
COMMENT ON COLUMN smarterpay.outbound_messages.webhook IS 'Webhook response code and body (body is JSON in a string) (API: webhook)';
COMMENT ON COLUMN smarterpay.outbound_messages.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.outbound_messages.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.outbound_messages.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.outbound_messages._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.outbound_messages._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.outbound_messages._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.outbound_messages._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.outbound_messages._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.outbound_messages._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.cards (
    source text NOT NULL,
    id text NOT NULL,
    created_at timestamptz,
    status text,
    card_type text,
    card_number_ending text,
    expiry_date date,
    name_on_card text,
    customer_id text,
    custom_reference text,
    payment_gateway text,
    transaction_type text,
    gateway_payment_description text,
    internal_payment_description text,
    metadata text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.cards IS 'SmarterPay cards (GET cards)';
CREATE INDEX ON smarterpay.cards (source, created_at);
COMMENT ON COLUMN smarterpay.cards.created_at IS 'When the provider created the record (UTC) (API: created_at)';
COMMENT ON COLUMN smarterpay.cards.status IS 'Card status (e.g. successful) (API: status)';
COMMENT ON COLUMN smarterpay.cards.card_type IS 'Card brand (Visa, Amex…) (API: card_type)';
COMMENT ON COLUMN smarterpay.cards.card_number_ending IS 'Last 4 digits of the card (API: card_number_ending)';
COMMENT ON COLUMN smarterpay.cards.expiry_date IS 'Card expiry (last day of month) (API: expiry_date)';
COMMENT ON COLUMN smarterpay.cards.name_on_card IS 'Name on the card (API: name_on_card)';
COMMENT ON COLUMN smarterpay.cards.customer_id IS 'Customer account id (API: customer_id)';
COMMENT ON COLUMN smarterpay.cards.custom_reference IS 'Merchant reference (the API misspells the key custom_referance) (API: custom_referance)';
COMMENT ON COLUMN smarterpay.cards.payment_gateway IS 'Card gateway (e.g. OpayoPi) (API: payment_gateway)';
COMMENT ON COLUMN smarterpay.cards.transaction_type IS 'Ecommerce or MOTO (API: transaction_type)';
COMMENT ON COLUMN smarterpay.cards.gateway_payment_description IS 'Description sent to the gateway (API: gateway_payment_description)';
COMMENT ON COLUMN smarterpay.cards.internal_payment_description IS 'Internal description (API: internal_payment_description)';
COMMENT ON COLUMN smarterpay.cards.metadata IS 'Free-text metadata (≤1000 characters) (API: metadata)';
COMMENT ON COLUMN smarterpay.cards.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.cards.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.cards.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.cards._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.cards._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.cards._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.cards._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.cards._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.cards._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.client_bank_accounts (
    source text NOT NULL,
    id text NOT NULL,
    account_number text,
    sort_code text,
    bank_name text,
    friendly_name text,
    default_account boolean,
    sun text,
    sun_friendly_name text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.client_bank_accounts IS 'SmarterPay merchant (client) bank accounts (GET clientbankaccount)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.account_number IS 'Merchant bank account number (masked) (API: Account_Number)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.sort_code IS 'Merchant sort code (masked) (API: Sort_Code)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.bank_name IS 'Bank name from the modulus check (API: Bank_Name)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.friendly_name IS 'Friendly name (API: Friendly_Name)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.default_account IS 'Default account for its SUN (API: Default_Account)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.sun IS 'Service user number (API: Sun)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.sun_friendly_name IS 'Service user friendly name (API: Sun_Friendly_Name)';
COMMENT ON COLUMN smarterpay.client_bank_accounts.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.client_bank_accounts.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.client_bank_accounts.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.client_bank_accounts._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.client_bank_accounts._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.client_bank_accounts._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.client_bank_accounts._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.client_bank_accounts._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.client_bank_accounts._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smarterpay.service_user_numbers (
    source text NOT NULL,
    id text NOT NULL,
    sun_friendly_name text,
    default_sun boolean,
    active boolean,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smarterpay.service_user_numbers IS 'SmarterPay service user numbers (GET serviceusernumber)';
COMMENT ON COLUMN smarterpay.service_user_numbers.sun_friendly_name IS 'Service user friendly name (API: Sun_Friendly_Name)';
COMMENT ON COLUMN smarterpay.service_user_numbers.default_sun IS 'Default service user number (API: Default_Sun)';
COMMENT ON COLUMN smarterpay.service_user_numbers.active IS 'Whether the SUN is active (API: active)';
COMMENT ON COLUMN smarterpay.service_user_numbers.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smarterpay.service_user_numbers.id IS 'Provider record id';
COMMENT ON COLUMN smarterpay.service_user_numbers.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smarterpay.service_user_numbers._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smarterpay.service_user_numbers._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smarterpay.service_user_numbers._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smarterpay.service_user_numbers._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smarterpay.service_user_numbers._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smarterpay.service_user_numbers._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

