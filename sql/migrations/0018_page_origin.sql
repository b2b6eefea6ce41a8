-- Issue 14, a behaviour nobody named: a server may count its pages or offsets from 0 where the
-- documents count from 1, and then a client asking for page 1 never sees the first page (it
-- loaded nothing of a small window, and reported success). The pager probes the first page
-- once per source and stream and remembers what it saw here: NULL not settled yet (every
-- window read so far was empty both ways), 1 as documented, 0 one lower.
ALTER TABLE paysync.page_sizes
    ADD COLUMN origin smallint CHECK (origin IN (0, 1));
COMMENT ON COLUMN paysync.page_sizes.origin IS 'Where the server counts pages or offsets from: 1 as documented, 0 one lower, NULL not settled yet';
