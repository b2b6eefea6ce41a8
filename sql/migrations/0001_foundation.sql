-- Schemas and paysync's own state tables. Stream tables arrive with their connectors.
CREATE SCHEMA IF NOT EXISTS smarterpay;
CREATE SCHEMA IF NOT EXISTS smart2pay;
CREATE SCHEMA IF NOT EXISTS analytics;

COMMENT ON SCHEMA paysync IS 'paysync internal state: runs, windows, changes, rejects, drift, reconciliation, webhooks';
COMMENT ON SCHEMA smarterpay IS 'SmarterPay Cloud (UK Bacs Direct Debit) records, one table per list endpoint';
COMMENT ON SCHEMA smart2pay IS 'Smart2Pay / GlobalPay records, one table per list endpoint';
COMMENT ON SCHEMA analytics IS 'Stable, documented views for analysts';

CREATE TABLE paysync.sync_runs (
    run_id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind              text NOT NULL CHECK (kind IN ('incremental', 'full-refresh', 'backfill', 'deep-rescan', 'repair', 'webhook')),
    source            text NOT NULL,
    streams           text[] NOT NULL DEFAULT '{}',
    range_from        timestamptz,
    range_to          timestamptz,
    started_at        timestamptz NOT NULL DEFAULT now(),
    finished_at       timestamptz,
    outcome           text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'succeeded', 'partial', 'failed', 'aborted')),
    windows           integer NOT NULL DEFAULT 0,
    pages             integer NOT NULL DEFAULT 0,
    requests          integer NOT NULL DEFAULT 0,
    retries           integer NOT NULL DEFAULT 0,
    records_read      bigint NOT NULL DEFAULT 0,
    records_inserted  bigint NOT NULL DEFAULT 0,
    records_changed   bigint NOT NULL DEFAULT 0,
    records_deleted   bigint NOT NULL DEFAULT 0,
    records_rejected  bigint NOT NULL DEFAULT 0,
    error             text,
    host              text,
    pid               integer,
    flow_run_id       text,
    details           jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE paysync.sync_runs IS 'One row per sync run (incremental, backfill partition, re-scan, repair)';
CREATE INDEX sync_runs_source_started ON paysync.sync_runs (source, started_at DESC);

-- A window is a half-open interval [window_start, window_end) on a stream's cursor field.
CREATE TABLE paysync.sync_windows (
    source        text NOT NULL,
    stream        text NOT NULL,
    window_start  timestamptz NOT NULL,
    window_end    timestamptz NOT NULL,
    run_id        bigint NOT NULL REFERENCES paysync.sync_runs,
    completed_at  timestamptz NOT NULL DEFAULT now(),
    pages         integer NOT NULL,
    records       integer NOT NULL,
    -- records in a non-final status when the window was read: >0 means re-read it until they settle
    open_records  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (source, stream, window_start, window_end),
    CHECK (window_start < window_end)
);
COMMENT ON TABLE paysync.sync_windows IS 'Windows fully loaded, written in the same transaction as their records';
CREATE INDEX sync_windows_open ON paysync.sync_windows (source, stream) WHERE open_records > 0;

CREATE TABLE paysync.stream_state (
    source          text NOT NULL,
    stream          text NOT NULL,
    cursor          timestamptz,        -- incremental high-water mark: never moved backwards
    feed_cursor     timestamptz,        -- change-feed position (SmarterPay outbound messages)
    last_run_id     bigint REFERENCES paysync.sync_runs,
    last_success_at timestamptz,
    state           jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (source, stream)
);
COMMENT ON TABLE paysync.stream_state IS 'Per source and stream: the incremental cursor and change-feed position';

CREATE TABLE paysync.record_changes (
    change_id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source         text NOT NULL,
    stream         text NOT NULL,
    record_id      text NOT NULL,
    run_id         bigint REFERENCES paysync.sync_runs,
    changed_at     timestamptz NOT NULL DEFAULT now(),
    change_kind    text NOT NULL CHECK (change_kind IN ('update', 'delete', 'undelete')),
    changed_fields text[] NOT NULL DEFAULT '{}',
    before         jsonb,
    after          jsonb
);
COMMENT ON TABLE paysync.record_changes IS 'One row per changed record: the changed top-level fields before and after';
CREATE INDEX record_changes_record ON paysync.record_changes (source, stream, record_id, changed_at);

CREATE TABLE paysync.rejects (
    reject_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source       text NOT NULL,
    stream       text NOT NULL,
    record_id    text,
    run_id       bigint REFERENCES paysync.sync_runs,
    received_at  timestamptz NOT NULL DEFAULT now(),
    window_start timestamptz,
    window_end   timestamptz,
    raw          text NOT NULL,        -- as received; may not even be valid JSON
    error        text NOT NULL
);
COMMENT ON TABLE paysync.rejects IS 'Records (or webhook bodies) that failed validation, kept verbatim for inspection';
CREATE INDEX rejects_source_stream ON paysync.rejects (source, stream, received_at DESC);

CREATE TABLE paysync.schema_drift (
    source        text NOT NULL,
    stream        text NOT NULL,
    field_path    text NOT NULL,
    first_seen_at timestamptz NOT NULL DEFAULT now(),
    first_run_id  bigint REFERENCES paysync.sync_runs,
    example       jsonb,
    PRIMARY KEY (source, stream, field_path)
);
COMMENT ON TABLE paysync.schema_drift IS 'Fields the provider sent that the models do not know, recorded once each';

CREATE TABLE paysync.reconciliation_runs (
    recon_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    range_from   timestamptz NOT NULL,
    range_to     timestamptz NOT NULL,
    sources      text[] NOT NULL,
    repair       boolean NOT NULL DEFAULT false,
    outcome      text NOT NULL DEFAULT 'running' CHECK (outcome IN ('running', 'clean', 'drift', 'repaired', 'failed')),
    missing      integer NOT NULL DEFAULT 0,
    extra        integer NOT NULL DEFAULT 0,
    differing    integer NOT NULL DEFAULT 0,
    inconsistent integer NOT NULL DEFAULT 0,
    error        text,
    summary      jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE paysync.reconciliation_runs IS 'One row per reconciliation: provider versus database over a horizon';

CREATE TABLE paysync.reconciliation_diffs (
    diff_id    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recon_id   bigint NOT NULL REFERENCES paysync.reconciliation_runs ON DELETE CASCADE,
    source     text NOT NULL,
    stream     text NOT NULL,
    day        date,
    kind       text NOT NULL CHECK (kind IN ('missing', 'extra', 'differs', 'aggregate', 'consistency')),
    record_id  text,
    detail     jsonb NOT NULL DEFAULT '{}',
    repaired   boolean NOT NULL DEFAULT false
);
COMMENT ON TABLE paysync.reconciliation_diffs IS 'Each difference a reconciliation found, and whether it was repaired';
CREATE INDEX reconciliation_diffs_run ON paysync.reconciliation_diffs (recon_id);

CREATE TABLE paysync.webhook_events (
    event_id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source          text NOT NULL,
    provider        text NOT NULL CHECK (provider IN ('smarterpay', 'smart2pay')),
    idempotency_key text NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now(),
    body            jsonb NOT NULL,
    outcome         text NOT NULL CHECK (outcome IN ('applied', 'fetched', 'ignored', 'rejected')),
    deliveries      integer NOT NULL DEFAULT 1,   -- repeats of the same key are counted, not re-applied
    record_ids      text[] NOT NULL DEFAULT '{}',
    error           text,
    UNIQUE (source, idempotency_key)
);
COMMENT ON TABLE paysync.webhook_events IS 'Every accepted webhook call, stored in the transaction that applied it';
