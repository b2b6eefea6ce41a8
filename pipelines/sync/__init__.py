"""The sync engine: windows (``window``), which to read (``plan``), run bookkeeping and reports
(``runs``), paging one source's streams with bounded concurrency (``engine``), the durable
re-fetch queue for change feeds, hydration and children (``refetch``), the entry points the
CLI and flows share (``service``) and the per-stream status (``status``). Imports ``load``,
``store`` and the connectors' shared kit."""
