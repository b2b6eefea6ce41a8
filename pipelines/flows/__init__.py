"""Prefect orchestration, kept thin: the flows deployments point at (``flows``), what one task
runs (``run``), fanning a backfill out over workers (``fanout``) and the markdown artifacts
(``report``). Imports everything below ``cli``; nothing imports it but ``cli``."""
