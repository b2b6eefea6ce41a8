"""``make bench``: every scenario side by side in one run, reported as ratios.

python bench/run.py --scale full|small [--only NAME ...]

Starts an embedded PostgreSQL (or uses $BENCH_DATABASE_URL) and the emulators itself, prints a
table and writes bench/results.json. See bench/README.md for what each scenario measures.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench import analyst_queries, certainty_bench, env, readme, report, scenarios  # noqa: E402
from bench.dlt_side import dlt_rows  # noqa: E402

# sp: SmarterPay payments (other streams scale with it: ~3 records per payment in the chosen
# streams); s2p: Smart2Pay payments; latency: a dense SmarterPay history (~570 payments a day,
# so a 7-day window is ~8 full pages) of which `latency_days` are backfilled per concurrency
# at 150 ms a page, and `days_1s` x concurrency at 1 s a page (the same ideal duration for every
# concurrency); realapi: SmarterPay payments read by dlt and paysync at 300 ms a page.
SCALES: dict[str, dict[str, int]] = {
    "full": {"sp": 330_000, "s2p": 5_000, "latency": 417_000, "latency_days": 112,
             "days_1s": 14, "dlt": 200_000, "realapi": 50_000, "sample": 120_000,
             "changed_pct": 1},
    "medium": {"sp": 100_000, "s2p": 1_000, "latency": 417_000, "latency_days": 112,
               "days_1s": 14, "dlt": 50_000, "realapi": 50_000, "sample": 60_000,
               "changed_pct": 1},
    "small": {"sp": 16_000, "s2p": 500, "latency": 417_000, "latency_days": 28,
              "days_1s": 7, "dlt": 20_000, "realapi": 20_000, "sample": 30_000,
              "changed_pct": 1},
}  # fmt: skip
GROUPS = ("limits", "backfill", "latency", "dlt", "realapi", "analyst_queries")
REAL_API_MS, TUNED_CONCURRENCY = 300, 16


def _log(message: str) -> None:
    print(f"bench {time.strftime('%H:%M:%S')}: {message}", file=sys.stderr, flush=True)


def _main_world(pg: env.Postgres, scale: dict[str, int], only: set[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    sp, s2p = env.smarterpay(scale["sp"]), env.smart2pay(scale["s2p"])
    try:
        sp.clock_freeze(True)  # nothing changes by itself: idle and re-scan counts are exact
        s2p.clock_freeze(True)
        world = scenarios.World(pg, sp, s2p, concurrency=4)
        if "limits" in only:
            _log("limits: fetch-only, parse+validate, load-only")
            expected_pages = scale["sp"] * 3 // 500 + scale["s2p"] // 100
            keep = max(1, expected_pages // (scale["sample"] // 500))
            rows += scenarios.limit_rows(world, keep)
        if "backfill" in only:
            _log(
                "full backfill, idle incremental (+ certainty: their windows paged trusting), "
                "deep re-scan"
            )
            changed = scale["sp"] * scale["changed_pct"] // 100
            certainty = certainty_bench.Certainty(world)
            found, _ = scenarios.backfill_rows(world, changed, after=certainty)
            rows += found + certainty.result
    finally:
        sp.close()
        s2p.close()
    return rows


def _latency(pg: env.Postgres, scale: dict[str, int]) -> list[dict[str, Any]]:
    rows = []
    for ms, days_for, suffix in (
        (150, lambda c: scale["latency_days"], ""),
        (1000, lambda c: scale["days_1s"] * c, "_1s"),
    ):
        _log(f"latency-bound backfill at {ms} ms a page, concurrency 1, 4, 8, 16")
        emu = env.smarterpay(scale["latency"], seed=5, latency_ms=ms)
        try:
            emu.clock_freeze(True)
            rows += scenarios.latency_rows(pg, emu, days_for, ms / 1000, suffix=suffix)
        finally:
            emu.close()
    return rows


def _real_api(pg: env.Postgres, scale: dict[str, int]) -> list[dict[str, Any]]:
    _log(f"real-API latency ({REAL_API_MS} ms a page): dlt and paysync on the payments")
    emu = env.smarterpay(scale["realapi"], seed=11, latency_ms=REAL_API_MS)
    try:
        emu.clock_freeze(True)
        return dlt_rows(pg, emu, f"_{REAL_API_MS}ms", tuned=TUNED_CONCURRENCY, ceiling=False)
    finally:
        emu.close()


def _dlt(pg: env.Postgres, scale: dict[str, int]) -> list[dict[str, Any]]:
    _log("dlt side by side on the payments endpoint")
    emu = env.smarterpay(scale["dlt"], seed=7)
    try:
        emu.clock_freeze(True)
        return dlt_rows(pg, emu)
    finally:
        emu.close()


def _analyst(pg: env.Postgres, scale: str) -> dict[str, Any]:
    _log("analyst_queries: README queries and point lookups at two history sizes")
    sp, s2p = env.smarterpay(2_000, seed=11), env.smart2pay(500, seed=11)
    try:
        sp.clock_freeze(True)
        s2p.clock_freeze(True)
        return analyst_queries.run(pg, scale, sp, s2p)
    finally:
        sp.close()
        s2p.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="full")
    parser.add_argument("--only", nargs="*", choices=GROUPS, default=list(GROUPS))
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results.json")
    parser.add_argument("--readme", action="store_true",
                        help="regenerate README's Performance from this run at any scale")  # fmt: skip
    args = parser.parse_args()
    scale, only = SCALES[args.scale], set(args.only)
    started, load_before = time.perf_counter(), os.getloadavg()[0]
    pg = env.Postgres.start()
    rows = _main_world(pg, scale, only) if only & {"limits", "backfill"} else []
    if "latency" in only:
        rows += _latency(pg, scale)
    if "dlt" in only:
        rows += _dlt(pg, scale)
    if "realapi" in only:
        rows += _real_api(pg, scale)
    analyst = _analyst(pg, args.scale) if "analyst_queries" in only else None
    found = {r.pop("name"): r for r in rows}
    conditions = {
        "cpus": os.cpu_count(), "loadavg_before": round(load_before, 2),
        "loadavg_after": round(os.getloadavg()[0], 2),
        "bench_seconds": round(time.perf_counter() - started, 1),
    }  # fmt: skip
    if only == set(GROUPS):
        ratios = report.ratios(found)
        print(report.table(found, ratios, args.scale))
        report.write(args.out, args.scale, found, ratios, conditions)
        _log(f"wrote {args.out} ({conditions})")
        if args.scale == "full" or args.readme:
            readme.update(ROOT / "README.md", json.loads(args.out.read_text()))
            _log("README.md: Performance regenerated from the results")
    else:
        for name, values in found.items():
            print(name, values)
    if analyst is not None:  # its own key in results.json (bench/analyst_queries.py)
        analyst["conditions"] = conditions
        analyst_queries.record(args.out, analyst)
        print(analyst_queries.summary(analyst))
    return 0


if __name__ == "__main__":
    sys.exit(main())
