"""Prefect flows (docs/operations.md), thin on purpose: one task per (source, stream) sync, never per
page; each flow returns a small summary and publishes a markdown artifact of its figures.

- ``incremental-sync``   all sources or one; scheduled every 15 minutes (``prefect.yaml``).
- ``backfill``           cuts ``[range_from, range_to)`` into partitions and runs each as its own
                         ``backfill-partition`` flow run: through the deployment when deployed
                         (so every worker of the pool shares them), inline otherwise.
- ``backfill-partition`` one partition. The engine's window ledger and window locks make a
                         partition run twice, or by two workers at once, read and write nothing
                         already done; a backfill never moves the incremental cursor backwards.
- ``reconcile``          provider vs database over a horizon, optionally repairing.
- ``deep-rescan``        re-reads a long horizon (default 400 days) and reports what changed.
"""

from __future__ import annotations

import os
from datetime import datetime
from typing import Any

from prefect import flow, get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from prefect.runtime import deployment

from pipelines.flows import fanout as flows_fanout
from pipelines.flows import report as flows_report
from pipelines.flows import run as flows_run
from pipelines.flows.run import current_flow_run_id, partitions, utc
from pipelines.store.settings import load_settings

__all__ = ["backfill", "backfill_partition", "deep_rescan", "incremental_sync", "partitions",
           "reconcile"]  # fmt: skip

PARTITION_DEPLOYMENT = "backfill-partition/backfill-partition"


async def _sync_flow(
    kind: str, source: str | None, streams: list[str] | None,
    span: tuple[datetime | None, datetime | None], as_of: datetime | None,
    facts: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    settings, rows, errors = await flows_run.run_sources(kind, source, streams, span, as_of)
    run_ids = [r["run_id"] for r in rows if r.get("run_id") is not None]
    found = await flows_report.ledger(settings, run_ids)
    facts = {"flow run": current_flow_run_id(), "sources": source or "all", **facts}
    markdown = flows_report.runs_markdown(f"paysync {kind}", facts, rows, found)
    await acreate_markdown_artifact(
        markdown, key=f"paysync-{kind}", description=f"paysync {kind}: streams, records, "
        "changes, rejects, drift",
    )  # fmt: skip
    summary: dict[str, Any] = {"kind": kind, "flow_run_id": current_flow_run_id()}
    summary |= {"streams": len(rows), "run_ids": run_ids, **flows_report.totals(rows)}
    summary["failed"] = [f"{r['source']}/{r['stream']}" for r in rows if r["outcome"] == "failed"]
    if errors:
        raise errors[0]  # the artifact above already lists every failure
    return summary


@flow(name="incremental-sync")
async def incremental_sync(
    source: str | None = None, streams: list[str] | None = None, as_of: datetime | None = None
) -> dict[str, Any]:
    """New and changed records of every source (or one): the ledger's gaps and the lookback."""
    return await _sync_flow("incremental", source, streams, (None, None), as_of, {})


@flow(name="deep-rescan")
async def deep_rescan(
    source: str | None = None, streams: list[str] | None = None, horizon_days: float = 400,
    as_of: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Re-read a long horizon whole; its 'changed' count is what the other layers missed."""
    start, end = flows_run.horizon(horizon_days, as_of)
    facts = {"horizon": f"{horizon_days:g} days", "from": start, "to": end}
    return await _sync_flow("deep-rescan", source, streams, (start, None), as_of, facts)


@flow(name="backfill-partition", flow_run_name=flows_run.partition_run_name)
async def backfill_partition(
    range_from: datetime, range_to: datetime, source: str | None = None,
    streams: list[str] | None = None, as_of: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """One partition ``[range_from, range_to)``; windows already done are skipped."""
    start, end = utc(range_from), utc(range_to)
    worker = os.environ.get("PREFECT__WORKER_NAME")  # set by the worker that took this run
    facts = {"from": start, "to": end, "worker": worker or "(inline)"}
    summary = await _sync_flow("backfill", source, streams, (start, end), as_of, facts)
    summary |= {"range_from": start.isoformat(), "range_to": end.isoformat(), "worker": worker}
    if summary["windows"] == 0 and summary["records_read"] == 0:
        get_run_logger().info(
            "partition %s .. %s: every window was already done (an earlier run recorded it); "
            "nothing read, nothing written", start, end,
        )  # fmt: skip
    return summary


@flow(name="backfill")
async def backfill(
    range_from: datetime, range_to: datetime, source: str | None = None,
    streams: list[str] | None = None, partitions: int = 4, fan_out: str = "auto",
    partition_deployment: str = PARTITION_DEPLOYMENT, wait: bool = True,
    timeout_minutes: float = 24 * 60, as_of: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Load ``[range_from, range_to)`` in ``partitions`` flow runs.

    ``fan_out``: ``"deployments"`` submits each partition to ``partition_deployment`` (any
    worker of the pool may take it), ``"inline"`` runs them here one by one, ``"auto"`` picks
    deployments when this run itself came from a deployment."""
    if fan_out not in ("auto", "deployments", "inline"):
        raise flows_fanout.BackfillError(f"fan_out must be auto, deployments or inline (got {fan_out!r})")  # fmt: skip
    settings = load_settings()
    parts = flows_run.partitions(range_from, range_to, partitions)
    params = {"source": source, "streams": streams, "as_of": as_of.isoformat() if as_of else None}
    remote = fan_out == "deployments" or (fan_out == "auto" and deployment.get_id() is not None)
    if remote:
        runs = await flows_fanout.submit(parts, params, partition_deployment, current_flow_run_id())
        if not wait:
            return {"partitions": len(parts), "submitted": [str(r) for r in runs]}
        found = await flows_fanout.wait_for(runs, timeout_minutes * 60)
    else:
        found = await flows_fanout.inline(parts, params, backfill_partition)
    return await flows_fanout.finish(settings, parts, found, partition_deployment, params)


@flow(name="reconcile")
async def reconcile(
    horizon_days: float = 30, sources: list[str] | None = None, repair: bool = False,
    as_of: datetime | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Compare provider and database over the horizon; ``repair`` re-loads what differs."""
    from pipelines.reconcile import (
        runner as recon,  # written alongside; imported when the flow runs
    )

    settings = load_settings()
    start, end = flows_run.horizon(horizon_days, as_of)
    names: list[str | None] = list(sources) if sources else [None]
    reports = [
        await recon.reconcile(settings, source=name, range_from=start, range_to=end,
                              repair=repair, as_of=as_of)
        for name in names
    ]  # fmt: skip
    markdown = "\n\n".join(recon.report_markdown(r) for r in reports)
    await acreate_markdown_artifact(markdown, key="paysync-reconcile",
                                    description="paysync reconcile: drift per source and stream")  # fmt: skip
    failed = [r.error for r in reports if r.outcome == "failed"]
    if failed:  # the artifact above shows what did run; the flow run must still turn red
        raise ReconcileFailed("; ".join(e or "reconciliation failed" for e in failed))
    return {"sources": sources or "all", "from": start.isoformat(), "to": end.isoformat(),
            "repair": repair, "reports": [flows_fanout.scalars(r) for r in reports]}  # fmt: skip


class ReconcileFailed(Exception):
    """A stream could not be reconciled (the provider failed it); the others were."""
