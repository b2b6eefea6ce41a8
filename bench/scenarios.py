"""The measured scenarios. Each returns one result row (see ``bench/report.py``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench import limits
from bench.env import Postgres, secrets_env, source_config
from bench.procs import Measured, cpu_seconds, run_sync
from connectors.emulator_kit.testing import RunningEmulator
from pipelines.store.settings import Smart2PaySource, SmarterPaySource

# Outbound messages are SmarterPay's change feed (4-5 per payment): with them the data set would
# be mostly messages, and the issue asks for mostly payments. Every scenario uses this selection.
SP_STREAMS = (
    "bank_accounts", "customer_accounts", "mandates", "payments", "credits",
    "recurrence_schedules", "payment_links", "submissions", "submission_lines", "cards",
    "client_bank_accounts", "service_user_numbers",
)  # fmt: skip
LATENCY_S = 0.15
PAGE = 500


@dataclass
class World:
    pg: Postgres
    sp: RunningEmulator
    s2p: RunningEmulator
    concurrency: int

    def sources(self) -> list[dict[str, Any]]:
        return [
            source_config(self.sp, "smarterpay", "bacs", self.concurrency),
            source_config(self.s2p, "smart2pay", "cards", self.concurrency),
        ]

    def watch(self) -> dict[str, int]:
        return {"postgres": self.pg.pid, "smarterpay_emulator": self.sp.process.pid,
                "smart2pay_emulator": self.s2p.process.pid}  # fmt: skip

    def runs(self, kind: str = "incremental") -> list[dict[str, Any]]:
        return [
            {"source": "bacs", "kind": kind, "streams": list(SP_STREAMS),
             "as_of": self.sp.clock_now().isoformat()},
            {"source": "cards", "kind": kind, "as_of": self.s2p.clock_now().isoformat()},
        ]  # fmt: skip


def row(name: str, records: int, seconds: float, **extra: Any) -> dict[str, Any]:
    return {
        "records": records,
        "seconds": round(seconds, 3),
        "records_per_s": round(records / seconds, 1) if seconds else None,
        "requests": extra.pop("requests", None),
        "peak_rss_mb": extra.pop("peak_rss_mb", None),
        "rows_written": extra.pop("rows_written", None),
        **extra,
        "name": name,
    }


def sync_row(name: str, m: Measured, c: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """Rates use the time of the sync itself (migrate check, pool, runs); the process's wall
    time, interpreter start included, is ``wall_seconds``."""
    return row(
        name, c["records_read"], m.extra["sync_seconds"], requests=c["requests"],
        wall_seconds=round(m.seconds, 3), sync_cpu_seconds=round(m.extra["cpu_seconds"], 2),
        **{k: v for k, v in m.extra.items() if k.endswith("_cpu_seconds") and k != "cpu_seconds"},
        peak_rss_mb=round(m.peak_rss_mb, 1), rows_written=c["tuples_written"],
        inserted=c["records_inserted"], changed=c["records_changed"], pages=c["pages"],
        windows=c["windows"], rejected=c["records_rejected"], outcomes=c["outcomes"], **extra,
    )  # fmt: skip


def limit_rows(world: World, keep_every: int) -> list[dict[str, Any]]:
    """(a), (c), (b) in that order: (a) provides the in-memory pages the other two use."""
    sp = SmarterPaySource.model_validate(
        source_config(world.sp, "smarterpay", "bacs", world.concurrency)
    )
    s2p = Smart2PaySource.model_validate(
        source_config(world.s2p, "smart2pay", "cards", world.concurrency)
    )
    for source in (sp, s2p):
        source.set_secret(secrets_env()[source.secret_env])
    as_of = world.sp.clock_now()
    watch = {k: pid for k, pid in world.watch().items() if k != "postgres"}
    before, client_before = {k: cpu_seconds(p) for k, p in watch.items()}, time.process_time()
    fetched = asyncio.run(limits.fetch_only([(sp, SP_STREAMS), (s2p, None)], as_of, keep_every))
    cpu = {f"{k}_cpu_seconds": round(cpu_seconds(p) - before[k], 2) for k, p in watch.items()}
    cpu["client_cpu_seconds"] = round(time.process_time() - client_before, 2)
    records, seconds = limits.parse_validate(fetched.sample)
    parse = row("limit_parse_validate", records, seconds, pages=len(fetched.sample))
    url = world.pg.fresh("load")
    records, seconds = asyncio.run(limits.load_only(url, fetched.sample, "bench"))
    load = row("limit_load_only", records, seconds, rows_written=records)
    fetch = row(
        "limit_fetch_only",
        fetched.records,
        fetched.seconds,
        requests=fetched.requests,
        pages=fetched.pages,
        **cpu,
    )
    fetched.sample.clear()
    return [fetch, load, parse]


def backfill_rows(
    world: World, changed: int, after: Callable[[str, str], None] | None = None
) -> tuple[list[dict[str, Any]], str]:
    """Full backfill, then an idle incremental, then a deep re-scan after ``changed`` edits.
    ``after(run, database_url)`` is called after the backfill and the idle run (certainty)."""
    after = after or (lambda run, url: None)
    url = world.pg.fresh("backfill")
    m, c = run_sync(url, world.sources(), world.runs(), watch=world.watch())
    after("backfill", url)
    # Records = rows loaded: hydrated records are read twice (list, then detail).
    backfill = sync_row("backfill", m, c, per_stream=_records_by_stream(c))
    backfill["records_read"] = c["records_read"]
    backfill["records"] = c["records_inserted"]
    backfill["records_per_s"] = round(c["records_inserted"] / backfill["seconds"], 1)
    m, c = run_sync(url, world.sources(), world.runs(), watch=world.watch())
    idle = sync_row("incremental_nothing_new", m, c)
    after("idle", url)
    ids = set(world.sp.mutate("payments", changed))
    run = {"source": "bacs", "kind": "deep-rescan", "streams": ["payments"],
           "as_of": world.sp.clock_now().isoformat()}  # fmt: skip
    m, c = run_sync(url, world.sources()[:1], [run], watch=world.watch())
    rescan = sync_row("deep_rescan_1pct", m, c, mutated=len(ids))
    return [backfill, idle, rescan], url


def _records_by_stream(c: dict[str, Any]) -> dict[str, int]:
    return {name: s["records_read"] for name, s in sorted(c["per_stream"].items())}


def latency_rows(
    pg: Postgres, emu: RunningEmulator, days_for: Callable[[int], int], latency_s: float,
    prefix: str = "latency", suffix: str = "",
) -> list[dict[str, Any]]:  # fmt: skip
    """Payments backfilled over a dense range at growing concurrency, ``latency_s`` a page.

    ``days_for(concurrency)`` is the range read: growing with the concurrency, every run's ideal
    duration (pages x latency / concurrency) is the same, so ramp-up and the last window's merge
    weigh the same in each efficiency."""
    now = emu.clock_now()
    end = datetime(now.year, now.month, now.day, tzinfo=now.tzinfo) - timedelta(days=30)
    rows = []
    for concurrency in (1, 4, 8, 16):
        url = pg.fresh(f"latency{concurrency}")
        start = end - timedelta(days=days_for(concurrency))
        run = {"source": "bacs", "kind": "backfill", "streams": ["payments"],
               "range_from": start.isoformat(), "range_to": end.isoformat(),
               "as_of": now.isoformat()}  # fmt: skip
        m, c = run_sync(
            url,
            [source_config(emu, "smarterpay", "bacs", concurrency)],
            [run],
            watch={"postgres": pg.pid, "smarterpay_emulator": emu.process.pid},
        )
        result = sync_row(f"{prefix}_c{concurrency}{suffix}", m, c, concurrency=concurrency,
                          latency_ms=round(latency_s * 1000), days=days_for(concurrency))  # fmt: skip
        ideal = concurrency * PAGE / latency_s
        result["ideal_records_per_s"] = round(ideal, 1)
        result["efficiency"] = round(result["records_per_s"] / ideal, 3)
        rows.append(result)
    return rows
