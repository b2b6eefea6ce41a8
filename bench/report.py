"""Ratios, targets, the printed table and ``bench/results.json``."""

from __future__ import annotations

import json
import platform
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

TUNED = 16  # the tuned concurrency of the real-API scenario (bench/run.py)
FULL_BACKFILL_S = 60.0
COLUMNS = ("records", "seconds", "records_per_s", "requests", "peak_rss_mb", "rows_written")


def ratios(s: dict[str, dict[str, Any]]) -> dict[str, float | None]:
    def rate(name: str) -> float:
        return float(s[name]["records_per_s"] or 0.0)

    limit = min(rate("limit_fetch_only"), rate("limit_load_only"))
    c8 = s["latency_c8"]
    machine = min(c8["ideal_records_per_s"], rate("limit_fetch_only"))
    out: dict[str, float | None] = {
        "backfill_vs_limit": rate("backfill") / limit if limit else None,
        "backfill_vs_fetch_only": rate("backfill") / rate("limit_fetch_only"),
        "backfill_vs_load_only": rate("backfill") / rate("limit_load_only"),
        "backfill_vs_parse_validate": rate("backfill") / rate("limit_parse_validate"),
        "vs_dlt": rate("paysync_payments") / rate("dlt_payments"),
        # The most any client could reach over dlt here: the emulator's own payments rate.
        "vs_dlt_ceiling": rate("limit_fetch_payments") / rate("dlt_payments"),
        "latency_efficiency_c8": c8["efficiency"],
        # c8 against what this machine can do at all: the ideal capped by the fetch-only limit.
        "latency_c8_vs_machine": c8["records_per_s"] / machine if machine else None,
        "deep_rescan_rows_vs_changed": (
            s["deep_rescan_1pct"]["rows_written"] / s["deep_rescan_1pct"]["mutated"]
        ),
        # What the emulators serve against what paysync loads: >= 2 means serving is not the cap.
        "fetch_vs_backfill": rate("limit_fetch_only") / rate("backfill"),
        # At 300 ms a page: paysync tuned (and at its default concurrency) against dlt.
        "vs_dlt_latency": rate(f"paysync_payments_300ms_c{TUNED}") / rate("dlt_payments_300ms"),
        "vs_dlt_latency_default": rate("paysync_payments_300ms") / rate("dlt_payments_300ms"),
        # CPU-seconds (process + PostgreSQL) per 1,000 records, same zero-latency payments.
        "cpu_per_record_vs_dlt": (
            s["paysync_payments"]["cpu_per_1000_records"]
            / s["dlt_payments"]["cpu_per_1000_records"]
        ),
    }
    for phase in ("backfill", "learned", "idle"):  # cost of certainty (certainty_bench.py)
        if f"certainty_{phase}" in s:
            v = s[f"certainty_{phase}"]
            out[f"certainty_{phase}_requests_ratio"] = (
                v["verifying_requests"] / v["requests"] if v["requests"] else None
            )
            out[f"certainty_{phase}_pages_ratio"] = (
                v["pages_verifying"] / v["pages_trusting"] if v["pages_trusting"] else None
            )
    for c in (1, 4, 16):
        out[f"latency_efficiency_c{c}"] = s[f"latency_c{c}"]["efficiency"]
    for c in (1, 4, 8, 16):
        out[f"latency_efficiency_c{c}_1s"] = s[f"latency_c{c}_1s"]["efficiency"]
    return {k: round(v, 3) if v is not None else None for k, v in out.items()}


def targets(s: dict[str, dict[str, Any]], r: dict[str, Any]) -> list[tuple[str, bool, str]]:
    idle, rescan = s["incremental_nothing_new"], s["deep_rescan_1pct"]
    rss = max(v["peak_rss_mb"] for v in s.values() if is_sync(v))
    backfill = s["backfill"]
    return [
        ("backfill >= 0.8 x min(fetch, load)", (r["backfill_vs_limit"] or 0) >= 0.8,
         f"{r['backfill_vs_limit']}"),
        ("fetch-only >= 2 x backfill", r["fetch_vs_backfill"] >= 2, f"{r['fetch_vs_backfill']}"),
        (">= 5x dlt at 300 ms a page", r["vs_dlt_latency"] >= 5,
         f"{r['vs_dlt_latency']}x tuned, {r['vs_dlt_latency_default']}x at concurrency 4"),
        ("CPU per record <= 0.5 x dlt", r["cpu_per_record_vs_dlt"] <= 0.5,
         f"{r['cpu_per_record_vs_dlt']} ({s['paysync_payments']['cpu_per_1000_records']} vs "
         f"{s['dlt_payments']['cpu_per_1000_records']} CPU-s per 1,000 records)"),
        ("latency efficiency c8 at 1 s >= 0.8", r["latency_efficiency_c8_1s"] >= 0.8,
         f"{r['latency_efficiency_c8_1s']}"),
        (f"full backfill (>= 900,000 records) under {FULL_BACKFILL_S:.0f} s",
         backfill["records"] >= 900_000 and backfill["seconds"] < FULL_BACKFILL_S,
         f"{backfill['seconds']} s for {backfill['records']:,} records"),
        ("idle incremental writes nothing", idle["rows_written"] == 0,
         f"{idle['rows_written']} rows, {idle['requests']} requests"),
        ("deep re-scan writes exactly the changed", rescan["rows_written"] == rescan["mutated"],
         f"{rescan['rows_written']} rows for {rescan['mutated']} changed"),
        ("peak RSS of every paysync sync <= 250 MB", rss <= 250, f"{rss} MB"),
        *_certainty(s, r),
    ]  # fmt: skip


def _certainty(s: dict[str, dict[str, Any]], r: dict[str, Any]) -> list[tuple[str, bool, str]]:
    """Issue 14: once a source's page sizes are learned, verifying costs a backfill under 2%
    more list requests, an idle run none. The first backfill of a new source, which learns
    them (a probe or two per stream, once), is reported beside it."""
    if not all(f"certainty_{p}" in s for p in ("backfill", "learned", "idle")):
        return []
    back, learned, idle = s["certainty_backfill"], s["certainty_learned"], s["certainty_idle"]
    return [
        ("certainty: backfill, page sizes learned, list requests < 1.02 x trusting paging",
         (r["certainty_learned_requests_ratio"] or 9) < 1.02,
         f"{learned['verifying_requests']:,} vs {learned['requests']:,} "
         f"({learned['extra_pct']:+}%); the first backfill of a new source, learning them: "
         f"{back['verifying_requests']:,} vs {back['requests']:,} ({back['extra_pct']:+}%)"),
        ("certainty: idle incremental list requests <= trusting paging",
         (r["certainty_idle_requests_ratio"] or 9) <= 1.0,
         f"{idle['verifying_requests']:,} vs {idle['requests']:,}"),
        ("certainty: idle, lists whose page size is learned, <= trusting",
         idle.get("learned_verifying_requests", 9) <= idle.get("learned_requests", 0),
         f"{idle.get('learned_verifying_requests', 0):,} vs {idle.get('learned_requests', 0):,}"
         f" (not learnable, shorter than any page: {idle.get('unlearned')})"),
        ("certainty: backfill pages read through < 1.02 x trusting (no dropped prefetch)",
         (r["certainty_backfill_pages_ratio"] or 9) < 1.02,
         f"{back['pages_verifying']:,} vs {back['pages_trusting']:,}"),
        ("certainty: idle pages read through <= trusting (no dropped prefetch)",
         (r["certainty_idle_pages_ratio"] or 9) <= 1.0,
         f"{idle['pages_verifying']:,} vs {idle['pages_trusting']:,}"),
    ]  # fmt: skip


def is_sync(values: dict[str, Any]) -> bool:
    """A paysync sync process (its peak RSS counts toward the bound; dlt's does not)."""
    return "sync_cpu_seconds" in values and "dlt_version" not in values


def table(s: dict[str, dict[str, Any]], r: dict[str, Any], scale: str) -> str:
    lines = [f"paysync bench ({scale})", ""]
    header = f"{'scenario':<26}" + "".join(f"{c:>15}" for c in COLUMNS)
    lines += [header, "-" * len(header)]
    for name, values in s.items():
        cells = "".join(f"{_fmt(values.get(c)):>15}" for c in COLUMNS)
        lines.append(f"{name:<26}{cells}")
    lines += ["", "ratios:"] + [f"  {k:<30} {v}" for k, v in r.items()]
    lines += ["", "targets:"] + [
        f"  [{'met' if ok else 'MISSED'}] {what}: {figure}" for what, ok, figure in targets(s, r)
    ]
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.1f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def write(path: Path, scale: str, s: dict[str, dict[str, Any]], r: dict[str, Any],
          conditions: dict[str, Any]) -> None:  # fmt: skip
    document = {
        "scale": scale,
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), **conditions},
        "scenarios": s,
        "ratios": r,
        "targets": [{"target": t, "met": ok, "figure": f} for t, ok, f in targets(s, r)],
    }
    path.write_text(json.dumps(document, indent=2, default=str) + "\n")
