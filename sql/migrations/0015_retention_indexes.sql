-- Issue 18, growth over months: `paysync db prune` deletes paysync's own bookkeeping older than
-- its retention by time; these indexes let it find those rows without reading whole tables.
CREATE INDEX record_changes_changed_at ON paysync.record_changes (changed_at);
CREATE INDEX webhook_events_received_at ON paysync.webhook_events (received_at);
CREATE INDEX rejects_received_at ON paysync.rejects (received_at);
CREATE INDEX sync_runs_started_at ON paysync.sync_runs (started_at);
CREATE INDEX reconciliation_runs_started_at ON paysync.reconciliation_runs (started_at);
