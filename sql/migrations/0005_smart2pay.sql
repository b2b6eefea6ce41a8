-- Smart2Pay / GlobalPay stream tables (DESIGN §4): typed columns derived from raw by the loader.

CREATE TABLE smart2pay.payments (
    source text NOT NULL,
    id text NOT NULL,
    created timestamptz,
    invalid_request_id text,
    skin_id bigint,
    client_ip text,
    merchant_transaction_id text,
    originator_transaction_id text,
    amount bigint,
    currency text,
    captured_amount bigint,
    return_url text,
    description text,
    statement_descriptor text,
    method_id bigint,
    method_option_id bigint,
    include_method_ids jsonb,
    exclude_method_ids jsonb,
    prioritize_method_ids jsonb,
    site_id bigint,
    notification_date_time timestamptz,
    customer_id bigint,
    customer_merchant_customer_id text,
    customer_email text,
    customer_first_name text,
    customer_last_name text,
    customer_gender text,
    customer_date_of_birth date,
    customer_social_security_number text,
    customer_phone text,
    customer_company text,
    billing_id bigint,
    billing_country text,
    billing_city text,
    billing_zip_code text,
    billing_state text,
    billing_street text,
    billing_street_number text,
    billing_house_number text,
    billing_house_extension text,
    shipping_id bigint,
    shipping_country text,
    shipping_city text,
    shipping_zip_code text,
    shipping_state text,
    shipping_street text,
    shipping_street_number text,
    shipping_house_number text,
    shipping_house_extension text,
    articles jsonb,
    details jsonb,
    reference_details jsonb,
    custom_parameters jsonb,
    preapproval_id bigint,
    preapproval_details jsonb,
    status_id bigint,
    status_info text,
    status_reasons jsonb,
    method_transaction_id text,
    authorization_code text,
    token_lifetime bigint,
    payment_token_lifetime bigint,
    capture boolean,
    retry boolean,
    redirect_url text,
    redirect_in_iframe boolean,
    redirect_merchant_in_iframe boolean,
    card_holder_name text,
    card_number text,
    card_expiration_month text,
    card_expiration_year text,
    credit_card_token jsonb,
    three_d_secure boolean,
    three_d_secure_data jsonb,
    device_info jsonb,
    sca_exemption jsonb,
    card_on_file jsonb,
    fraud jsonb,
    moto jsonb,
    installments jsonb,
    splits jsonb,
    split jsonb,
    capture_details jsonb,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smart2pay.payments IS 'Smart2Pay payments, list (GET v1/payments) hydrated by detail (GET v1/payments/{id})';
CREATE INDEX ON smart2pay.payments (source, created);
CREATE INDEX ON smart2pay.payments (source, preapproval_id);
COMMENT ON COLUMN smart2pay.payments.created IS 'When the provider created the record (UTC; sent as YYYYMMDDHHMMSS) (API: Created)';
COMMENT ON COLUMN smart2pay.payments.invalid_request_id IS 'Id of a refused card request (prefix i, e.g. i3065); only on card validation errors (API: InvalidRequestID)';
COMMENT ON COLUMN smart2pay.payments.skin_id IS 'Hosted payment page skin id (API: SkinID)';
COMMENT ON COLUMN smart2pay.payments.client_ip IS 'Customer IP address (null in list items) (API: ClientIP)';
COMMENT ON COLUMN smart2pay.payments.merchant_transaction_id IS 'Merchant''s own transaction id, unique per site (duplicate: reason code 20) (API: MerchantTransactionID)';
COMMENT ON COLUMN smart2pay.payments.originator_transaction_id IS 'Originator transaction id (API: OriginatorTransactionID)';
COMMENT ON COLUMN smart2pay.payments.amount IS 'Amount in minor units (last 2 digits are decimals); int or numeric string (API: Amount)';
COMMENT ON COLUMN smart2pay.payments.currency IS 'ISO 4217 currency code (API: Currency)';
COMMENT ON COLUMN smart2pay.payments.captured_amount IS 'Captured amount in minor units (card payments) (API: CapturedAmount)';
COMMENT ON COLUMN smart2pay.payments.return_url IS 'Where the customer is redirected after paying (API: ReturnURL)';
COMMENT ON COLUMN smart2pay.payments.description IS 'Description ("" or null when none) (API: Description)';
COMMENT ON COLUMN smart2pay.payments.statement_descriptor IS 'Text on the customer''s statement (cards) (API: StatementDescriptor)';
COMMENT ON COLUMN smart2pay.payments.method_id IS 'Payment method id (6 cards, 2 iDEAL, 75 Klarna, 1066 WeChat…); null until chosen (API: MethodID)';
COMMENT ON COLUMN smart2pay.payments.method_option_id IS 'Method option id (e.g. the bank chosen for iDEAL) (API: MethodOptionID)';
COMMENT ON COLUMN smart2pay.payments.include_method_ids IS 'Methods offered on the hosted page (array of ids) (API: IncludeMethodIDs)';
COMMENT ON COLUMN smart2pay.payments.exclude_method_ids IS 'Methods hidden on the hosted page (array of ids) (API: ExcludeMethodIDs)';
COMMENT ON COLUMN smart2pay.payments.prioritize_method_ids IS 'Methods shown first on the hosted page (array of ids) (API: PrioritizeMethodIDs)';
COMMENT ON COLUMN smart2pay.payments.site_id IS 'Merchant site id (the SiteID of the API key) (API: SiteID)';
COMMENT ON COLUMN smart2pay.payments.notification_date_time IS 'Time of the last notification (status change) sent for the record (API: NotificationDateTime)';
COMMENT ON COLUMN smart2pay.payments.customer_id IS 'Customer id (returned only for some methods) (API: Customer.ID)';
COMMENT ON COLUMN smart2pay.payments.customer_merchant_customer_id IS 'Merchant''s customer id (samples send the string "null") (API: Customer.MerchantCustomerID)';
COMMENT ON COLUMN smart2pay.payments.customer_email IS 'Customer e-mail (API: Customer.Email)';
COMMENT ON COLUMN smart2pay.payments.customer_first_name IS 'Customer first name (API: Customer.FirstName)';
COMMENT ON COLUMN smart2pay.payments.customer_last_name IS 'Customer last name (API: Customer.LastName)';
COMMENT ON COLUMN smart2pay.payments.customer_gender IS 'Customer gender (string, e.g. "1") (API: Customer.Gender)';
COMMENT ON COLUMN smart2pay.payments.customer_date_of_birth IS 'Customer date of birth (sent as YYYYMMDD) (API: Customer.DateOfBirth)';
COMMENT ON COLUMN smart2pay.payments.customer_social_security_number IS 'Customer social security number (API: Customer.SocialSecurityNumber)';
COMMENT ON COLUMN smart2pay.payments.customer_phone IS 'Customer phone (API: Customer.Phone)';
COMMENT ON COLUMN smart2pay.payments.customer_company IS 'Customer company (API: Customer.Company)';
COMMENT ON COLUMN smart2pay.payments.billing_id IS 'Billing address id (API: BillingAddress.ID)';
COMMENT ON COLUMN smart2pay.payments.billing_country IS 'Billing address country (ISO 3166-1 alpha-2) (API: BillingAddress.Country)';
COMMENT ON COLUMN smart2pay.payments.billing_city IS 'Billing address city (API: BillingAddress.City)';
COMMENT ON COLUMN smart2pay.payments.billing_zip_code IS 'Billing address postal code (API: BillingAddress.ZipCode)';
COMMENT ON COLUMN smart2pay.payments.billing_state IS 'Billing address state (API: BillingAddress.State)';
COMMENT ON COLUMN smart2pay.payments.billing_street IS 'Billing address street (API: BillingAddress.Street)';
COMMENT ON COLUMN smart2pay.payments.billing_street_number IS 'Billing address street number (API: BillingAddress.StreetNumber)';
COMMENT ON COLUMN smart2pay.payments.billing_house_number IS 'Billing address house number (API: BillingAddress.HouseNumber)';
COMMENT ON COLUMN smart2pay.payments.billing_house_extension IS 'Billing address house extension (API: BillingAddress.HouseExtension)';
COMMENT ON COLUMN smart2pay.payments.shipping_id IS 'Shipping address id (API: ShippingAddress.ID)';
COMMENT ON COLUMN smart2pay.payments.shipping_country IS 'Shipping address country (ISO 3166-1 alpha-2) (API: ShippingAddress.Country)';
COMMENT ON COLUMN smart2pay.payments.shipping_city IS 'Shipping address city (API: ShippingAddress.City)';
COMMENT ON COLUMN smart2pay.payments.shipping_zip_code IS 'Shipping address postal code (API: ShippingAddress.ZipCode)';
COMMENT ON COLUMN smart2pay.payments.shipping_state IS 'Shipping address state (API: ShippingAddress.State)';
COMMENT ON COLUMN smart2pay.payments.shipping_street IS 'Shipping address street (API: ShippingAddress.Street)';
COMMENT ON COLUMN smart2pay.payments.shipping_street_number IS 'Shipping address street number (API: ShippingAddress.StreetNumber)';
COMMENT ON COLUMN smart2pay.payments.shipping_house_number IS 'Shipping address house number (API: ShippingAddress.HouseNumber)';
COMMENT ON COLUMN smart2pay.payments.shipping_house_extension IS 'Shipping address house extension (API: ShippingAddress.HouseExtension)';
COMMENT ON COLUMN smart2pay.payments.articles IS 'Articles (order lines): [{MerchantArticleID, Name, Quantity, Price, VAT, Discount, DiscountValue, Type, TaxType}]; see the payment_articles view (API: Articles)';
COMMENT ON COLUMN smart2pay.payments.details IS 'Method-specific payer details (IBAN, BIC, AccountHolder, PaidAmount, …) (API: Details)';
COMMENT ON COLUMN smart2pay.payments.reference_details IS 'Offline/QR payment reference details (BankCode, ReferenceNumber, QRCodeURL, BoletoURL, Instructions, …) (API: ReferenceDetails)';
COMMENT ON COLUMN smart2pay.payments.custom_parameters IS 'Merchant custom parameters (array or object) (API: CustomParameters)';
COMMENT ON COLUMN smart2pay.payments.preapproval_id IS 'Preapproval id of a recurring payment (API: PreapprovalID)';
COMMENT ON COLUMN smart2pay.payments.preapproval_details IS 'PreapprovedMaximumAmount, MerchantPreapprovalID, Frequency, PreapprovalDescription (API: PreapprovalDetails)';
COMMENT ON COLUMN smart2pay.payments.status_id IS 'Status id: 1 Open, 2 Success, 3 Cancelled, 4 Failed, 5 Expired, 9 Authorized, 11 Captured, 19 Disputed, 21 PartiallyRefunded, 22 Refunded, 23 DisputeWon, 26 Chargedback, 35 PartiallyCaptured, … (API: Status.ID)';
COMMENT ON COLUMN smart2pay.payments.status_info IS 'Status name (Open, Success, Failed, …) (API: Status.Info)';
COMMENT ON COLUMN smart2pay.payments.status_reasons IS 'Status reasons [{Code, Info}] (Code int or string; null or [] when none) (API: Status.Reasons)';
COMMENT ON COLUMN smart2pay.payments.method_transaction_id IS 'The method provider''s transaction id (once paid or authorized) (API: MethodTransactionID)';
COMMENT ON COLUMN smart2pay.payments.authorization_code IS 'Authorization code (API: AuthorizationCode)';
COMMENT ON COLUMN smart2pay.payments.token_lifetime IS 'Hosted page token lifetime (alternative methods; null in list items) (API: TokenLifetime)';
COMMENT ON COLUMN smart2pay.payments.payment_token_lifetime IS 'Payment token lifetime (cards) (API: PaymentTokenLifetime)';
COMMENT ON COLUMN smart2pay.payments.capture IS 'false: authorize only (cards); the merchant captures (API: Capture)';
COMMENT ON COLUMN smart2pay.payments.retry IS 'Whether the card payment may be retried (API: Retry)';
COMMENT ON COLUMN smart2pay.payments.redirect_url IS 'Hosted page URL the customer is sent to (null in list items) (API: RedirectURL)';
COMMENT ON COLUMN smart2pay.payments.redirect_in_iframe IS 'Hosted page shown in an iframe (API: RedirectInIframe)';
COMMENT ON COLUMN smart2pay.payments.redirect_merchant_in_iframe IS 'Return to the merchant inside the iframe (API: RedirectMerchantInIframe)';
COMMENT ON COLUMN smart2pay.payments.card_holder_name IS 'Card holder name (API: Card.HolderName)';
COMMENT ON COLUMN smart2pay.payments.card_number IS 'Masked card number (VISA-1111 or Ends with 1111) (API: Card.Number)';
COMMENT ON COLUMN smart2pay.payments.card_expiration_month IS 'Card expiry month (01-12) (API: Card.ExpirationMonth)';
COMMENT ON COLUMN smart2pay.payments.card_expiration_year IS 'Card expiry year (API: Card.ExpirationYear)';
COMMENT ON COLUMN smart2pay.payments.credit_card_token IS 'Card token {Value, RequireSecurityCode, …} (API: CreditCardToken)';
COMMENT ON COLUMN smart2pay.payments.three_d_secure IS '3-D Secure requested (the key begins with a digit) (API: 3DSecure)';
COMMENT ON COLUMN smart2pay.payments.three_d_secure_data IS '3-D Secure data (SDK 3.0) (API: 3DSecureData)';
COMMENT ON COLUMN smart2pay.payments.device_info IS 'Device info (SDK 3.0) (API: DeviceInfo)';
COMMENT ON COLUMN smart2pay.payments.sca_exemption IS 'SCA exemption (SDK 3.0) (API: ScaExemption)';
COMMENT ON COLUMN smart2pay.payments.card_on_file IS 'Card on file (SDK 3.0) (API: CardOnFile)';
COMMENT ON COLUMN smart2pay.payments.fraud IS 'Fraud check data (API: Fraud)';
COMMENT ON COLUMN smart2pay.payments.moto IS 'Mail/telephone order data (SDK 3.0) (API: Moto)';
COMMENT ON COLUMN smart2pay.payments.installments IS 'Installments (SDK 3.0) (API: Installments)';
COMMENT ON COLUMN smart2pay.payments.splits IS 'Payment splits (SDK 3.0) (API: Splits)';
COMMENT ON COLUMN smart2pay.payments.split IS 'Payment split (SDK 3.0) (API: Split)';
COMMENT ON COLUMN smart2pay.payments.capture_details IS 'Capture details (SDK 3.0) (API: CaptureDetails)';
COMMENT ON COLUMN smart2pay.payments.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smart2pay.payments.id IS 'Provider record id';
COMMENT ON COLUMN smart2pay.payments.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smart2pay.payments._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smart2pay.payments._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smart2pay.payments._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smart2pay.payments._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smart2pay.payments._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smart2pay.payments._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smart2pay.refunds (
    source text NOT NULL,
    id text NOT NULL,
    created timestamptz,
    payment_id bigint,
    merchant_transaction_id text,
    originator_transaction_id text,
    amount bigint,
    currency text,
    description text,
    type_id bigint,
    site_id bigint,
    details jsonb,
    customer_id bigint,
    customer_merchant_customer_id text,
    customer_email text,
    customer_first_name text,
    customer_last_name text,
    customer_gender text,
    customer_date_of_birth date,
    customer_social_security_number text,
    customer_phone text,
    customer_company text,
    billing_id bigint,
    billing_country text,
    billing_city text,
    billing_zip_code text,
    billing_state text,
    billing_street text,
    billing_street_number text,
    billing_house_number text,
    billing_house_extension text,
    bank_id bigint,
    bank_country text,
    bank_city text,
    bank_zip_code text,
    bank_state text,
    bank_street text,
    bank_street_number text,
    bank_house_number text,
    bank_house_extension text,
    articles jsonb,
    status_id bigint,
    status_info text,
    status_reasons jsonb,
    split_id bigint,
    statement_descriptor text,
    method_transaction_id text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smart2pay.refunds IS 'Smart2Pay refunds, read per payment (GET v1/payments/{id}/refunds; limited details)';
CREATE INDEX ON smart2pay.refunds (source, payment_id);
COMMENT ON COLUMN smart2pay.refunds.created IS 'When the provider created the record (UTC; sent as YYYYMMDDHHMMSS) (API: Created)';
COMMENT ON COLUMN smart2pay.refunds.payment_id IS 'The refunded payment''s id (API: InitialPaymentID)';
COMMENT ON COLUMN smart2pay.refunds.merchant_transaction_id IS 'Merchant''s own transaction id, unique per site (duplicate: reason code 20) (API: MerchantTransactionID)';
COMMENT ON COLUMN smart2pay.refunds.originator_transaction_id IS 'Originator transaction id (API: OriginatorTransactionID)';
COMMENT ON COLUMN smart2pay.refunds.amount IS 'Amount in minor units (last 2 digits are decimals); int or numeric string (API: Amount)';
COMMENT ON COLUMN smart2pay.refunds.currency IS 'ISO 4217 currency code (API: Currency)';
COMMENT ON COLUMN smart2pay.refunds.description IS 'Description ("" or null when none) (API: Description)';
COMMENT ON COLUMN smart2pay.refunds.type_id IS 'Refund type: 1 Native, 2 SEPA, 3 SWIFT, 7 Local bank transfer, … (API: TypeID)';
COMMENT ON COLUMN smart2pay.refunds.site_id IS 'Merchant site id (the SiteID of the API key) (API: SiteID)';
COMMENT ON COLUMN smart2pay.refunds.details IS 'Refund bank details (CustomerIBAN, BankSWIFTID, BankAccountNumber, …) (API: Details)';
COMMENT ON COLUMN smart2pay.refunds.customer_id IS 'Customer id (returned only for some methods) (API: Customer.ID)';
COMMENT ON COLUMN smart2pay.refunds.customer_merchant_customer_id IS 'Merchant''s customer id (samples send the string "null") (API: Customer.MerchantCustomerID)';
COMMENT ON COLUMN smart2pay.refunds.customer_email IS 'Customer e-mail (API: Customer.Email)';
COMMENT ON COLUMN smart2pay.refunds.customer_first_name IS 'Customer first name (API: Customer.FirstName)';
COMMENT ON COLUMN smart2pay.refunds.customer_last_name IS 'Customer last name (API: Customer.LastName)';
COMMENT ON COLUMN smart2pay.refunds.customer_gender IS 'Customer gender (string, e.g. "1") (API: Customer.Gender)';
COMMENT ON COLUMN smart2pay.refunds.customer_date_of_birth IS 'Customer date of birth (sent as YYYYMMDD) (API: Customer.DateOfBirth)';
COMMENT ON COLUMN smart2pay.refunds.customer_social_security_number IS 'Customer social security number (API: Customer.SocialSecurityNumber)';
COMMENT ON COLUMN smart2pay.refunds.customer_phone IS 'Customer phone (API: Customer.Phone)';
COMMENT ON COLUMN smart2pay.refunds.customer_company IS 'Customer company (API: Customer.Company)';
COMMENT ON COLUMN smart2pay.refunds.billing_id IS 'Billing address id (API: BillingAddress.ID)';
COMMENT ON COLUMN smart2pay.refunds.billing_country IS 'Billing address country (ISO 3166-1 alpha-2) (API: BillingAddress.Country)';
COMMENT ON COLUMN smart2pay.refunds.billing_city IS 'Billing address city (API: BillingAddress.City)';
COMMENT ON COLUMN smart2pay.refunds.billing_zip_code IS 'Billing address postal code (API: BillingAddress.ZipCode)';
COMMENT ON COLUMN smart2pay.refunds.billing_state IS 'Billing address state (API: BillingAddress.State)';
COMMENT ON COLUMN smart2pay.refunds.billing_street IS 'Billing address street (API: BillingAddress.Street)';
COMMENT ON COLUMN smart2pay.refunds.billing_street_number IS 'Billing address street number (API: BillingAddress.StreetNumber)';
COMMENT ON COLUMN smart2pay.refunds.billing_house_number IS 'Billing address house number (API: BillingAddress.HouseNumber)';
COMMENT ON COLUMN smart2pay.refunds.billing_house_extension IS 'Billing address house extension (API: BillingAddress.HouseExtension)';
COMMENT ON COLUMN smart2pay.refunds.bank_id IS 'Bank address id (API: BankAddress.ID)';
COMMENT ON COLUMN smart2pay.refunds.bank_country IS 'Bank address country (ISO 3166-1 alpha-2) (API: BankAddress.Country)';
COMMENT ON COLUMN smart2pay.refunds.bank_city IS 'Bank address city (API: BankAddress.City)';
COMMENT ON COLUMN smart2pay.refunds.bank_zip_code IS 'Bank address postal code (API: BankAddress.ZipCode)';
COMMENT ON COLUMN smart2pay.refunds.bank_state IS 'Bank address state (API: BankAddress.State)';
COMMENT ON COLUMN smart2pay.refunds.bank_street IS 'Bank address street (API: BankAddress.Street)';
COMMENT ON COLUMN smart2pay.refunds.bank_street_number IS 'Bank address street number (API: BankAddress.StreetNumber)';
COMMENT ON COLUMN smart2pay.refunds.bank_house_number IS 'Bank address house number (API: BankAddress.HouseNumber)';
COMMENT ON COLUMN smart2pay.refunds.bank_house_extension IS 'Bank address house extension (API: BankAddress.HouseExtension)';
COMMENT ON COLUMN smart2pay.refunds.articles IS 'Articles (order lines): [{MerchantArticleID, Name, Quantity, Price, VAT, Discount, DiscountValue, Type, TaxType}]; see the payment_articles view (API: Articles)';
COMMENT ON COLUMN smart2pay.refunds.status_id IS 'Refund status id: 1 Open, 2 Success, 4 Failed (API: Status.ID)';
COMMENT ON COLUMN smart2pay.refunds.status_info IS 'Status name (Open, Success, Failed, …) (API: Status.Info)';
COMMENT ON COLUMN smart2pay.refunds.status_reasons IS 'Status reasons [{Code, Info}] (Code int or string; null or [] when none) (API: Status.Reasons)';
COMMENT ON COLUMN smart2pay.refunds.split_id IS 'Split id (0 when none) (API: SplitID)';
COMMENT ON COLUMN smart2pay.refunds.statement_descriptor IS 'Text on the customer''s statement (cards) (API: StatementDescriptor)';
COMMENT ON COLUMN smart2pay.refunds.method_transaction_id IS 'The method provider''s transaction id (once paid or authorized) (API: MethodTransactionID)';
COMMENT ON COLUMN smart2pay.refunds.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smart2pay.refunds.id IS 'Provider record id';
COMMENT ON COLUMN smart2pay.refunds.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smart2pay.refunds._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smart2pay.refunds._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smart2pay.refunds._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smart2pay.refunds._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smart2pay.refunds._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smart2pay.refunds._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smart2pay.preapprovals (
    source text NOT NULL,
    id text NOT NULL,
    created timestamptz,
    method_id bigint,
    method_option_id bigint,
    site_id bigint,
    merchant_preapproval_id text,
    recurring_period bigint,
    preapproved_maximum_amount bigint,
    currency text,
    preapproved_frequency text,
    return_url text,
    description text,
    redirect_url text,
    mandate_reference text,
    customer_id bigint,
    customer_merchant_customer_id text,
    customer_email text,
    customer_first_name text,
    customer_last_name text,
    customer_gender text,
    customer_date_of_birth date,
    customer_social_security_number text,
    customer_phone text,
    customer_company text,
    billing_id bigint,
    billing_country text,
    billing_city text,
    billing_zip_code text,
    billing_state text,
    billing_street text,
    billing_street_number text,
    billing_house_number text,
    billing_house_extension text,
    details jsonb,
    status_id bigint,
    status_info text,
    status_reasons jsonb,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smart2pay.preapprovals IS 'Smart2Pay preapprovals (recurring), list (GET v1/preapprovals) hydrated by detail (GET v1/preapprovals/{id})';
COMMENT ON COLUMN smart2pay.preapprovals.created IS 'When the provider created the record (UTC; sent as YYYYMMDDHHMMSS) (API: Created)';
COMMENT ON COLUMN smart2pay.preapprovals.method_id IS 'Payment method id (6 cards, 2 iDEAL, 75 Klarna, 1066 WeChat…); null until chosen (API: MethodID)';
COMMENT ON COLUMN smart2pay.preapprovals.method_option_id IS 'Method option id (e.g. the bank chosen for iDEAL) (API: MethodOptionID)';
COMMENT ON COLUMN smart2pay.preapprovals.site_id IS 'Merchant site id (the SiteID of the API key) (API: SiteID)';
COMMENT ON COLUMN smart2pay.preapprovals.merchant_preapproval_id IS 'Merchant''s own preapproval id, unique (duplicate: reason code 109) (API: MerchantPreapprovalID)';
COMMENT ON COLUMN smart2pay.preapprovals.recurring_period IS 'Recurring period (0) (API: RecurringPeriod)';
COMMENT ON COLUMN smart2pay.preapprovals.preapproved_maximum_amount IS 'Maximum amount per payment in minor units (sent as a string) (API: PreapprovedMaximumAmount)';
COMMENT ON COLUMN smart2pay.preapprovals.currency IS 'ISO 4217 currency code (API: Currency)';
COMMENT ON COLUMN smart2pay.preapprovals.preapproved_frequency IS 'onetime, daily, weekly or monthly (API: PreapprovedFrequency)';
COMMENT ON COLUMN smart2pay.preapprovals.return_url IS 'Where the customer is redirected after paying (API: ReturnURL)';
COMMENT ON COLUMN smart2pay.preapprovals.description IS 'Description ("" or null when none) (API: Description)';
COMMENT ON COLUMN smart2pay.preapprovals.redirect_url IS 'Hosted page URL the customer is sent to (null in list items) (API: RedirectURL)';
COMMENT ON COLUMN smart2pay.preapprovals.mandate_reference IS 'SEPA mandate reference (API: MandateReference)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_id IS 'Customer id (returned only for some methods) (API: Customer.ID)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_merchant_customer_id IS 'Merchant''s customer id (samples send the string "null") (API: Customer.MerchantCustomerID)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_email IS 'Customer e-mail (API: Customer.Email)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_first_name IS 'Customer first name (API: Customer.FirstName)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_last_name IS 'Customer last name (API: Customer.LastName)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_gender IS 'Customer gender (string, e.g. "1") (API: Customer.Gender)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_date_of_birth IS 'Customer date of birth (sent as YYYYMMDD) (API: Customer.DateOfBirth)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_social_security_number IS 'Customer social security number (API: Customer.SocialSecurityNumber)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_phone IS 'Customer phone (API: Customer.Phone)';
COMMENT ON COLUMN smart2pay.preapprovals.customer_company IS 'Customer company (API: Customer.Company)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_id IS 'Billing address id (API: BillingAddress.ID)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_country IS 'Billing address country (ISO 3166-1 alpha-2) (API: BillingAddress.Country)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_city IS 'Billing address city (API: BillingAddress.City)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_zip_code IS 'Billing address postal code (API: BillingAddress.ZipCode)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_state IS 'Billing address state (API: BillingAddress.State)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_street IS 'Billing address street (API: BillingAddress.Street)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_street_number IS 'Billing address street number (API: BillingAddress.StreetNumber)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_house_number IS 'Billing address house number (API: BillingAddress.HouseNumber)';
COMMENT ON COLUMN smart2pay.preapprovals.billing_house_extension IS 'Billing address house extension (API: BillingAddress.HouseExtension)';
COMMENT ON COLUMN smart2pay.preapprovals.details IS 'Preapproval details (null in the samples) (API: Details)';
COMMENT ON COLUMN smart2pay.preapprovals.status_id IS 'Preapproval status id: 1 Pending, 2 Open, 3 Closed, 4 ClosedByCustomer (API: Status.ID)';
COMMENT ON COLUMN smart2pay.preapprovals.status_info IS 'Status name (Open, Success, Failed, …) (API: Status.Info)';
COMMENT ON COLUMN smart2pay.preapprovals.status_reasons IS 'Status reasons [{Code, Info}] (Code int or string; null or [] when none) (API: Status.Reasons)';
COMMENT ON COLUMN smart2pay.preapprovals.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smart2pay.preapprovals.id IS 'Provider record id';
COMMENT ON COLUMN smart2pay.preapprovals.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smart2pay.preapprovals._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smart2pay.preapprovals._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smart2pay.preapprovals._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smart2pay.preapprovals._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smart2pay.preapprovals._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smart2pay.preapprovals._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smart2pay.payouts (
    source text NOT NULL,
    id text NOT NULL,
    created timestamptz,
    invalid_request_id text,
    site_id bigint,
    method_id bigint,
    merchant_transaction_id text,
    originator_transaction_id text,
    amount bigint,
    currency text,
    description text,
    statement_descriptor text,
    status_id bigint,
    status_info text,
    status_reasons jsonb,
    customer_id bigint,
    customer_merchant_customer_id text,
    customer_email text,
    customer_first_name text,
    customer_last_name text,
    customer_gender text,
    customer_date_of_birth date,
    customer_social_security_number text,
    customer_phone text,
    customer_company text,
    billing_id bigint,
    billing_country text,
    billing_city text,
    billing_zip_code text,
    billing_state text,
    billing_street text,
    billing_street_number text,
    billing_house_number text,
    billing_house_extension text,
    details jsonb,
    method_transaction_id text,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smart2pay.payouts IS 'Smart2Pay payouts, list (GET v1/payouts) hydrated by detail (GET v1/payouts/{id})';
CREATE INDEX ON smart2pay.payouts (source, created);
COMMENT ON COLUMN smart2pay.payouts.created IS 'When the provider created the record (UTC; sent as YYYYMMDDHHMMSS) (API: Created)';
COMMENT ON COLUMN smart2pay.payouts.invalid_request_id IS 'Id of a refused card request (prefix i, e.g. i3065); only on card validation errors (API: InvalidRequestID)';
COMMENT ON COLUMN smart2pay.payouts.site_id IS 'Merchant site id (the SiteID of the API key) (API: SiteID)';
COMMENT ON COLUMN smart2pay.payouts.method_id IS 'Payment method id (6 cards, 2 iDEAL, 75 Klarna, 1066 WeChat…); null until chosen (API: MethodID)';
COMMENT ON COLUMN smart2pay.payouts.merchant_transaction_id IS 'Merchant''s own transaction id, unique per site (duplicate: reason code 20) (API: MerchantTransactionID)';
COMMENT ON COLUMN smart2pay.payouts.originator_transaction_id IS 'Originator transaction id (API: OriginatorTransactionID)';
COMMENT ON COLUMN smart2pay.payouts.amount IS 'Amount in minor units (last 2 digits are decimals); int or numeric string (API: Amount)';
COMMENT ON COLUMN smart2pay.payouts.currency IS 'ISO 4217 currency code (API: Currency)';
COMMENT ON COLUMN smart2pay.payouts.description IS 'Description ("" or null when none) (API: Description)';
COMMENT ON COLUMN smart2pay.payouts.statement_descriptor IS 'Text on the customer''s statement (cards) (API: StatementDescriptor)';
COMMENT ON COLUMN smart2pay.payouts.status_id IS 'Payout status id: 1 Open, 2 Success, 4 Failed (API: Status.ID)';
COMMENT ON COLUMN smart2pay.payouts.status_info IS 'Status name (Open, Success, Failed, …) (API: Status.Info)';
COMMENT ON COLUMN smart2pay.payouts.status_reasons IS 'Status reasons [{Code, Info}] (Code int or string; null or [] when none) (API: Status.Reasons)';
COMMENT ON COLUMN smart2pay.payouts.customer_id IS 'Customer id (returned only for some methods) (API: Customer.ID)';
COMMENT ON COLUMN smart2pay.payouts.customer_merchant_customer_id IS 'Merchant''s customer id (samples send the string "null") (API: Customer.MerchantCustomerID)';
COMMENT ON COLUMN smart2pay.payouts.customer_email IS 'Customer e-mail (API: Customer.Email)';
COMMENT ON COLUMN smart2pay.payouts.customer_first_name IS 'Customer first name (API: Customer.FirstName)';
COMMENT ON COLUMN smart2pay.payouts.customer_last_name IS 'Customer last name (API: Customer.LastName)';
COMMENT ON COLUMN smart2pay.payouts.customer_gender IS 'Customer gender (string, e.g. "1") (API: Customer.Gender)';
COMMENT ON COLUMN smart2pay.payouts.customer_date_of_birth IS 'Customer date of birth (sent as YYYYMMDD) (API: Customer.DateOfBirth)';
COMMENT ON COLUMN smart2pay.payouts.customer_social_security_number IS 'Customer social security number (API: Customer.SocialSecurityNumber)';
COMMENT ON COLUMN smart2pay.payouts.customer_phone IS 'Customer phone (API: Customer.Phone)';
COMMENT ON COLUMN smart2pay.payouts.customer_company IS 'Customer company (API: Customer.Company)';
COMMENT ON COLUMN smart2pay.payouts.billing_id IS 'Billing address id (API: BillingAddress.ID)';
COMMENT ON COLUMN smart2pay.payouts.billing_country IS 'Billing address country (ISO 3166-1 alpha-2) (API: BillingAddress.Country)';
COMMENT ON COLUMN smart2pay.payouts.billing_city IS 'Billing address city (API: BillingAddress.City)';
COMMENT ON COLUMN smart2pay.payouts.billing_zip_code IS 'Billing address postal code (API: BillingAddress.ZipCode)';
COMMENT ON COLUMN smart2pay.payouts.billing_state IS 'Billing address state (API: BillingAddress.State)';
COMMENT ON COLUMN smart2pay.payouts.billing_street IS 'Billing address street (API: BillingAddress.Street)';
COMMENT ON COLUMN smart2pay.payouts.billing_street_number IS 'Billing address street number (API: BillingAddress.StreetNumber)';
COMMENT ON COLUMN smart2pay.payouts.billing_house_number IS 'Billing address house number (API: BillingAddress.HouseNumber)';
COMMENT ON COLUMN smart2pay.payouts.billing_house_extension IS 'Billing address house extension (API: BillingAddress.HouseExtension)';
COMMENT ON COLUMN smart2pay.payouts.details IS 'Payout details (CustomerIBAN, CustomerBankAccountID, CryptoAddress, …) (API: Details)';
COMMENT ON COLUMN smart2pay.payouts.method_transaction_id IS 'The method provider''s transaction id (once paid or authorized) (API: MethodTransactionID)';
COMMENT ON COLUMN smart2pay.payouts.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smart2pay.payouts.id IS 'Provider record id';
COMMENT ON COLUMN smart2pay.payouts.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smart2pay.payouts._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smart2pay.payouts._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smart2pay.payouts._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smart2pay.payouts._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smart2pay.payouts._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smart2pay.payouts._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE TABLE smart2pay.methods (
    source text NOT NULL,
    id text NOT NULL,
    display_name text,
    description text,
    logo_url text,
    guaranteed boolean,
    active boolean,
    support_iframe boolean,
    iframe_width bigint,
    iframe_height bigint,
    countries jsonb,
    currencies jsonb,
    details_url text,
    validators_payin jsonb,
    validators_recurrent jsonb,
    options jsonb,
    raw jsonb NOT NULL,
    _hash text NOT NULL,
    _list_hash text,
    _first_seen_at timestamptz NOT NULL DEFAULT now(),
    _changed_at timestamptz NOT NULL DEFAULT now(),
    _synced_at timestamptz NOT NULL DEFAULT now(),
    _deleted_at timestamptz,
    PRIMARY KEY (source, id)
);
COMMENT ON TABLE smart2pay.methods IS 'Smart2Pay payment methods (GET v1/methods?additionalDetails=true)';
COMMENT ON COLUMN smart2pay.methods.display_name IS 'Method name (API: DisplayName)';
COMMENT ON COLUMN smart2pay.methods.description IS 'Method description (API: Description)';
COMMENT ON COLUMN smart2pay.methods.logo_url IS 'Logo URL (API: LogoURL)';
COMMENT ON COLUMN smart2pay.methods.guaranteed IS 'Whether the method guarantees payment (API: Guaranteed)';
COMMENT ON COLUMN smart2pay.methods.active IS 'Whether the method is active (API: Active)';
COMMENT ON COLUMN smart2pay.methods.support_iframe IS 'Whether the hosted page works in an iframe (API: SupportIframe)';
COMMENT ON COLUMN smart2pay.methods.iframe_width IS 'Iframe width (API: IframeWidth)';
COMMENT ON COLUMN smart2pay.methods.iframe_height IS 'Iframe height (API: IframeHeight)';
COMMENT ON COLUMN smart2pay.methods.countries IS 'Countries (ISO 3166-1 alpha-2) where the method works (API: Countries)';
COMMENT ON COLUMN smart2pay.methods.currencies IS 'Currencies the method accepts (API: Currencies)';
COMMENT ON COLUMN smart2pay.methods.details_url IS 'Method details URL (API: DetailsURL)';
COMMENT ON COLUMN smart2pay.methods.validators_payin IS 'Field validators for pay-ins (API: ValidatorsPayin)';
COMMENT ON COLUMN smart2pay.methods.validators_recurrent IS 'Field validators for recurring payments (API: ValidatorsRecurrent)';
COMMENT ON COLUMN smart2pay.methods.options IS 'Method options [{ID, DisplayName, Description, LogoURL, Guaranteed}] (API: Options)';
COMMENT ON COLUMN smart2pay.methods.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smart2pay.methods.id IS 'Provider record id';
COMMENT ON COLUMN smart2pay.methods.raw IS 'The record exactly as the provider last sent it (JSON)';
COMMENT ON COLUMN smart2pay.methods._hash IS 'md5 of the typed columns; a record is rewritten only when it changes';
COMMENT ON COLUMN smart2pay.methods._list_hash IS 'md5 of the columns a list item carries (hydrated streams: detail fetched when it changes)';
COMMENT ON COLUMN smart2pay.methods._first_seen_at IS 'When paysync first stored this record';
COMMENT ON COLUMN smart2pay.methods._changed_at IS 'When paysync last stored a changed version';
COMMENT ON COLUMN smart2pay.methods._synced_at IS 'When paysync last wrote this row';
COMMENT ON COLUMN smart2pay.methods._deleted_at IS 'When the record disappeared from a fully re-read window (providers disable, not delete); NULL while present';

CREATE VIEW smart2pay.payment_articles AS
SELECT p.source, p.id AS payment_id, a.ordinality AS line_no,
       paysync.to_text(a.value ->> 'MerchantArticleID') AS merchant_article_id,
       paysync.to_text(a.value ->> 'Name') AS name,
       paysync.to_bigint(a.value ->> 'Quantity') AS quantity,
       paysync.to_bigint(a.value ->> 'Price') AS price,
       paysync.to_bigint(a.value ->> 'VAT') AS vat,
       paysync.to_bigint(a.value ->> 'Discount') AS discount,
       paysync.to_bigint(a.value ->> 'DiscountValue') AS discount_value,
       paysync.to_bigint(a.value ->> 'Type') AS type,
       paysync.to_bigint(a.value ->> 'TaxType') AS tax_type
FROM smart2pay.payments p
CROSS JOIN LATERAL jsonb_array_elements(CASE jsonb_typeof(p.articles) WHEN 'array' THEN p.articles ELSE '[]'::jsonb END)
     WITH ORDINALITY AS a(value, ordinality);
COMMENT ON VIEW smart2pay.payment_articles IS 'Smart2Pay payment articles (order lines), one row per element of payments.articles (API: Payment.Articles)';
COMMENT ON COLUMN smart2pay.payment_articles.source IS 'paysync source name (one provider account) this record came from';
COMMENT ON COLUMN smart2pay.payment_articles.payment_id IS 'The payment id (smart2pay.payments.id)';
COMMENT ON COLUMN smart2pay.payment_articles.line_no IS 'Position of the article in the payment (from 1)';
COMMENT ON COLUMN smart2pay.payment_articles.merchant_article_id IS 'Merchant''s article id (API: Articles[].MerchantArticleID)';
COMMENT ON COLUMN smart2pay.payment_articles.name IS 'Article name (≤250) (API: Articles[].Name)';
COMMENT ON COLUMN smart2pay.payment_articles.quantity IS 'Quantity (API: Articles[].Quantity)';
COMMENT ON COLUMN smart2pay.payment_articles.price IS 'Unit price in minor units (API: Articles[].Price)';
COMMENT ON COLUMN smart2pay.payment_articles.vat IS 'VAT (≤4 digits) (API: Articles[].VAT)';
COMMENT ON COLUMN smart2pay.payment_articles.discount IS 'Discount (API: Articles[].Discount)';
COMMENT ON COLUMN smart2pay.payment_articles.discount_value IS 'Discount value (API: Articles[].DiscountValue)';
COMMENT ON COLUMN smart2pay.payment_articles.type IS '1 Product, 2 Shipping, 3 Handling, 4 Discount, 5 Physical, 6 Shipping Fee, 7 Sales Tax, 8 Digital, 9 Gift card, 10 Store credit, 11 Surcharge (API: Articles[].Type)';
COMMENT ON COLUMN smart2pay.payment_articles.tax_type IS '1 Without VAT, 2 0%, 3 10%, 4 18%, 5 10/110, 6 18/118 (API: Articles[].TaxType)';
