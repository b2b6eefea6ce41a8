"""Loading: a page's records validated into rows and rejects (``records``), the SQL built once
per stream from its spec (``merge_sql``), and one window's transaction — COPY to staging,
merge, change rows, delete-marking, the ledger row (``loader``). Imports ``store`` and the
connectors' stream specs; knows nothing of HTTP or scheduling."""
