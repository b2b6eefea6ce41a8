-- Records to fetch again by id, queued in the same transaction as whatever learned of them
-- (a change-feed message, a changed list summary, a new parent with children, a webhook), and
-- removed in the same transaction as the fetched version is merged: nothing learned is lost
-- to a crash between the two.
CREATE TABLE paysync.refetch_queue (
    source     text NOT NULL,
    stream     text NOT NULL,
    record_id  text NOT NULL,
    reason     text NOT NULL,   -- feed, hydrate, children, webhook
    queued_at  timestamptz NOT NULL DEFAULT now(),
    -- feed entries: when the provider says the change happened. An entry whose record was
    -- written at or after this time is already satisfied and is dropped unfetched.
    event_at   timestamptz,
    PRIMARY KEY (source, stream, record_id)
);
COMMENT ON TABLE paysync.refetch_queue IS 'Records waiting to be fetched again by id (durable work list of the sync engine)';
