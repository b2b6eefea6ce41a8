"""A backfill's partitions as separate flow runs: submit them to the ``backfill-partition``
deployment (every worker of the pool may take one), or run them inline; then wait, report
per partition, and name the exact command that re-runs a failed partition alone."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from prefect import get_run_logger
from prefect.artifacts import acreate_markdown_artifact
from prefect.client.orchestration import get_client

from pipelines.errors import PaysyncError
from pipelines.flows import report as flows_report
from pipelines.store.settings import Settings
from pipelines.sync.window import Interval

POLL_SECONDS = 2.0


class BackfillError(PaysyncError):
    """Some partitions did not complete; the finished ones are kept."""

    exit_code = 1


def _params(part: Interval, base: dict[str, Any]) -> dict[str, Any]:
    return {**base, "range_from": part[0].isoformat(), "range_to": part[1].isoformat()}


async def submit(
    parts: list[Interval], base: dict[str, Any], name: str, parent: str | None
) -> list[UUID]:
    """One scheduled flow run per partition; returns at once (``timeout=0``)."""
    from prefect.deployments import arun_deployment

    ids = []
    for part in parts:
        run = await arun_deployment(
            name, parameters=_params(part, base), timeout=0,
            flow_run_name=f"backfill {part[0]:%Y-%m-%d %H:%M:%S} .. {part[1]:%Y-%m-%d %H:%M:%S}",
            # a retried parent finds the runs it already made instead of doubling them
            idempotency_key=f"{parent}/{part[0].isoformat()}" if parent else None,
        )  # fmt: skip
        ids.append(run.id)
    get_run_logger().info("submitted %d partitions to %s", len(ids), name)
    return ids


async def wait_for(ids: list[UUID], timeout_s: float) -> list[dict[str, Any]]:
    """Poll until every partition run is final (bounded); its state and the worker that ran it."""
    deadline = time.monotonic() + timeout_s
    async with get_client() as client:
        while True:
            runs = [await client.read_flow_run(i) for i in ids]
            if all(r.state is not None and r.state.is_final() for r in runs):
                break
            if time.monotonic() > deadline:
                pending = sum(1 for r in runs if not (r.state and r.state.is_final()))
                raise BackfillError(
                    f"backfill: {pending} of {len(ids)} partition runs still unfinished after "
                    f"{timeout_s / 60:g} minutes; they keep running (see the Prefect UI), "
                    "finished windows are kept"
                )
            await asyncio.sleep(POLL_SECONDS)
    return [
        {"flow_run_id": str(r.id), "state": r.state.name if r.state else None,
         "worker": r.labels.get("prefect.worker.name"),
         "ok": bool(r.state and r.state.is_completed())}
        for r in runs
    ]  # fmt: skip


async def inline(
    parts: list[Interval], base: dict[str, Any], partition_flow: Callable[..., Any]
) -> list[dict[str, Any]]:
    """The partitions one after another in this process (no deployment needed)."""
    found = []
    for part in parts:
        try:
            summary = await partition_flow(**_params(part, base))
            found.append({"flow_run_id": summary["flow_run_id"], "state": "Completed", "ok": True})
        except Exception as exc:  # reported below with the command that re-runs it
            get_run_logger().error("partition %s .. %s failed: %s", part[0], part[1], exc)
            found.append({"flow_run_id": None, "state": f"Failed: {exc}", "ok": False})
    return found


async def finish(
    settings: Settings, parts: list[Interval], found: list[dict[str, Any]], name: str,
    base: dict[str, Any],
) -> dict[str, Any]:  # fmt: skip
    """Join each partition with what its engine runs wrote; publish; fail if any failed."""
    ids = [f["flow_run_id"] for f in found if f["flow_run_id"]]
    by_run: dict[str, dict[str, Any]] = {}
    for row in await flows_report.partition_runs(settings, ids):
        seen = by_run.setdefault(row["flow_run_id"], {"windows": 0, "records_read": 0, "records_inserted": 0})  # fmt: skip
        for key in seen:
            seen[key] += int(row[key] or 0)
    rows = [
        {"range_from": p[0], "range_to": p[1], **f, **by_run.get(f["flow_run_id"] or "", {})}
        for p, f in zip(parts, found, strict=True)
    ]  # fmt: skip
    facts = {"from": parts[0][0], "to": parts[-1][1], "partitions": len(parts), "source": base["source"] or "all"}  # fmt: skip
    await acreate_markdown_artifact(
        flows_report.partitions_markdown(facts, rows), key="paysync-backfill",
        description="paysync backfill: partitions, workers, records",
    )  # fmt: skip
    failed = [r for r in rows if not r["ok"]]
    summary = {
        "partitions": len(parts), "completed": len(parts) - len(failed),
        "workers": sorted({r["worker"] for r in rows if r.get("worker")}),
        **{k: sum(int(r.get(k) or 0) for r in rows) for k in ("windows", "records_read", "records_inserted")},
    }  # fmt: skip
    if failed:
        raise BackfillError(_failed_message(failed, len(parts), name, base))
    return summary


def _failed_message(
    failed: list[dict[str, Any]], total: int, name: str, base: dict[str, Any]
) -> str:
    first = failed[0]
    params = json.dumps(_params((first["range_from"], first["range_to"]), base))
    ranges = ", ".join(f"{r['range_from']:%Y-%m-%d %H:%M:%S}..{r['range_to']:%Y-%m-%d %H:%M:%S} ({r['state']})" for r in failed)  # fmt: skip
    return (
        f"backfill: {len(failed)} of {total} partitions did not complete: {ranges}; finished "
        f"windows are kept. Re-run a failed partition alone, e.g. "
        f"prefect deployment run '{name}' --params '{params}'"
    )


def scalars(report: Any) -> dict[str, Any]:
    """A report's scalar fields (a small, JSON-friendly summary of any dataclass report)."""
    if not dataclasses.is_dataclass(report):
        return {"report": str(report)[:200]}
    found = {}
    for f in dataclasses.fields(report):
        value = getattr(report, f.name)
        if isinstance(value, str | int | float | bool | datetime) or value is None:
            found[f.name] = value.isoformat() if isinstance(value, datetime) else value
    return found
