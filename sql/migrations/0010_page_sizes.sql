-- What each source's list endpoints really serve per page, learned while paging (issue 14).
-- A short page proves the end of a list only when the server is known to serve more than
-- that many records a page; until then the pager makes one confirming request. Remembering
-- what was learned keeps that certainty free on every later run.
CREATE TABLE paysync.page_sizes (
    source      text NOT NULL,
    stream      text NOT NULL,
    ask         integer NOT NULL CHECK (ask > 0),        -- page size to request
    proven      integer NOT NULL DEFAULT 0 CHECK (proven >= 0),  -- most records served on one page
    generation  text NOT NULL DEFAULT 'documented',      -- paging parameters: documented or fallback
    learned_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (source, stream)
);
COMMENT ON TABLE paysync.page_sizes IS 'Page sizes and paging generation each list endpoint of a source was seen to honour';
