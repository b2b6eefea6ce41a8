"""The cost of certainty (issue 14), broken down by cause: which list requests a verifying sync
makes that paging as before issue 14 would not.

``before`` is the sync with issue 14's guards switched off in process: every page size taken
as proven (a short page ends the window), no zone slack on the window filters and no end read
again, no tie re-reads.
``verifying`` is the sync as it is. Both read the same frozen emulator history into fresh
databases, then run an idle incremental. Every list request is classified as it is sent:

- ``page``: a page of the window as asked (zone slack shows up here, as more pages);
- ``probe``: the one request a stream makes to prove its page size (a full page of the whole
  list), instead of a ``confirm`` after every short page;
- ``confirm``: the request reading on after a short page, while the page size is not proven;
- ``tie``: a second re-read alone because its records straddled a page boundary;
- ``band``: an end of a window its listing did not prove, read again an hour either side
  (``pipelines/sync/edges.py``; a one-page window read again whole counts as ``page``);
- ``day``: a long window's oldest day read alone (``pipelines/sync/ranges.py``: a date range
  cut short?);
- ``repeat``: a request already sent once in this run (a window re-read: totals or arrivals);
- ``dropped``: pages requested ahead and dropped unread (the paging ended before them).

    .venv/bin/python bench/certainty.py --records 20000

The figure ``make bench`` reports is measured independently of this module's patches (see
``bench/certainty_bench.py``); this one says where the difference comes from.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections import Counter
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.env import S2P_KEY, S2P_SITE, SP_TOKEN, Postgres, smart2pay, smarterpay
from pipelines.store.settings import (
    DatabaseSettings,
    Settings,
    Smart2PaySource,
    SmarterPaySource,
    SyncSettings,
)
from pipelines.sync import ahead, edges, engine, page_sizes, pager, ranges, service
from pipelines.sync.plan import SyncRequest

Tally = Counter[tuple[str, str]]  # (list path, cause) -> requests


@contextlib.contextmanager
def before_issue_14() -> Iterator[None]:
    """Paging as it was: short pages trusted, filters exactly the window, ties not guarded,
    long date ranges taken as served whole."""
    get, slack, bands, pages, guard = (
        page_sizes.PageSizes.get, engine.SourceSync._slack, edges.bands, engine.SourceSync.pages,
        ranges.guard,
    )  # fmt: skip

    async def unchecked(*_: Any) -> None:
        return None

    def trusted(self: Any, spec: Any) -> page_sizes.PageSize:
        return page_sizes.PageSize(spec.page_size, proven=10**9, origin=1)

    async def unguarded(
        self: Any, spec: Any, start: Any, end: Any, *more: Any, **options: Any
    ) -> Any:
        options["past_end"] = False  # the window at the present read exactly to its end
        original = pager.Pager.__init__

        def no_narrow(p: Any, *args: Any, **kwargs: Any) -> None:
            original(p, *args, **kwargs)
            p.narrow = None  # no second is ever re-read alone

        pager.Pager.__init__ = no_narrow  # type: ignore[method-assign,assignment]
        try:
            async for page in pages(self, spec, start, end, *more, **options):
                yield page
        finally:
            pager.Pager.__init__ = original  # type: ignore[method-assign]

    page_sizes.PageSizes.get = trusted  # type: ignore[method-assign]
    engine.SourceSync._slack = lambda *_: False  # type: ignore[method-assign]
    edges.bands = lambda *_: []  # every end taken as reached
    engine.SourceSync.pages = unguarded  # type: ignore[method-assign,assignment]
    ranges.guard = unchecked  # type: ignore[assignment]
    try:
        yield
    finally:
        ranges.guard = guard
        page_sizes.PageSizes.get = get  # type: ignore[method-assign]
        engine.SourceSync._slack = slack  # type: ignore[method-assign]
        edges.bands = bands
        engine.SourceSync.pages = pages  # type: ignore[method-assign]


@contextlib.contextmanager
def tallied(tally: Tally) -> Iterator[None]:
    """Classify every list request the pager's ``Ahead`` sends (see the module docstring)."""
    request, get, drop = ahead.Ahead._request, ahead.Ahead.get, ahead.Ahead._drop
    probe = pager.Pager._probe
    sent: set[tuple[str, frozenset[tuple[str, str]]]] = set()

    def cause(path: str, params: dict[str, str]) -> str:
        key = (path, frozenset(ahead.wire(params).items()))
        if "_confirm" in params:
            found = "confirm"
        elif key in sent:
            found = "repeat"
        elif _one_second(params):
            found = "tie"
        elif _band(params):
            found = "band"
        elif _span(params) == timedelta(days=1):
            found = "day"  # a long window's oldest day read alone (ranges.py)
        else:
            found = "page"
        sent.add(key)
        return found

    def counted_request(self: Any, params: dict[str, str]) -> None:
        tally[(self.path, cause(self.path, params))] += 1
        request(self, params)

    async def counted_get(self: Any, params: dict[str, str]) -> dict[str, Any]:
        if not (self.queue and self.queue[0][0] == params):
            tally[(self.path, cause(self.path, params))] += 1
        return await get(self, params)

    def counted_drop(self: Any) -> None:
        tally[(self.path, "dropped")] += len(self.queue)
        drop(self)

    async def counted_probe(self: Any, paginator: Any, count: int) -> bool:
        before = self.size.probed or not self.window_params
        if not before:
            tally[(self.spec.path, "probe")] += 1
        return await probe(self, paginator, count)

    pager.Pager._probe = counted_probe  # type: ignore[method-assign]
    ahead.Ahead._request = counted_request  # type: ignore[method-assign]
    ahead.Ahead.get = counted_get  # type: ignore[method-assign]
    ahead.Ahead._drop = counted_drop  # type: ignore[method-assign]
    try:
        yield
    finally:
        ahead.Ahead._request, ahead.Ahead.get, ahead.Ahead._drop = request, get, drop  # type: ignore[method-assign]
        pager.Pager._probe = probe  # type: ignore[method-assign]


def _one_second(params: dict[str, str]) -> bool:
    """A filter reading one second (plus the spec's widening): a tie re-read."""
    from datetime import datetime

    values = [v for k, v in params.items() if k in ("created_from", "created_to")]
    if len(values) != 2:
        return False
    start, end = (datetime.strptime(v, "%Y-%m-%d %H:%M:%S") for v in values)
    return end - start <= timedelta(seconds=10)


def _band(params: dict[str, str]) -> bool:
    """A filter reading two hours (plus the spec's widening): an end read again (edges.py)."""
    span = _span(params)
    return span is not None and timedelta(hours=2) <= span <= timedelta(hours=2, seconds=10)


def _span(params: dict[str, str]) -> timedelta | None:
    """The stretch a request's date filter asks for (None: not a dated request)."""
    from datetime import datetime

    values = [v for k, v in params.items() if k in ("created_from", "created_to")]
    formats = "%Y-%m-%d %H:%M:%S"
    if len(values) != 2:
        values, formats = (
            [params[k] for k in ("startDate", "endDate") if k in params],
            "%Y%m%d%H%M%S",
        )
    if len(values) != 2:
        return None
    start, end = (datetime.strptime(v, formats) for v in values)
    return end - start


def settings(db_url: str, emu: Any, provider: str) -> Settings:
    common = dict(base_url=emu.base_url, ca_bundle=Path(emu.ca_path), start_date=date(2018, 1, 1))
    src: Any
    if provider == "smarterpay":
        src = SmarterPaySource(name="s", provider=provider, token_env="X_TOKEN", **common)
        src.set_secret(SP_TOKEN)
    else:
        src = Smart2PaySource(
            name="s", provider=provider, site_id=S2P_SITE, api_key_env="X_KEY", **common
        )
        src.set_secret(S2P_KEY)
    return Settings(
        database=DatabaseSettings(url=db_url),
        sync=SyncSettings(lag_seconds=0, retry_budget_seconds=120),
        sources=[src],
    )


async def _run(config: Settings, emu: Any, streams: tuple[str, ...] | None) -> None:
    request = SyncRequest(kind="incremental", as_of=emu.clock_now())
    [report] = await service.sync(config, request, None, streams)
    assert report.outcome == "succeeded", report


def measure(
    pg: Postgres, provider: str, records: int, streams: tuple[str, ...] | None
) -> dict[str, Any]:
    emu = (smarterpay if provider == "smarterpay" else smart2pay)(records)
    try:
        emu.clock_freeze(True)
        start = emu.clock_now()
        out: dict[str, Any] = {"provider": provider, "records": records}
        for mode in ("before", "verifying"):
            emu.clock_set(start)  # both modes read the same history
            config = settings(pg.fresh(mode), emu, provider)
            for run in ("backfill", "idle"):
                tally: Tally = Counter()
                guard = before_issue_14() if mode == "before" else contextlib.nullcontext()
                with guard, tallied(tally):
                    asyncio.run(_run(config, emu, streams))
                out[f"{mode}_{run}"] = _by_stream(tally)
                emu.clock_advance(3600)  # an hour later, nothing new: an idle incremental run
        return out
    finally:
        emu.close()


def _by_stream(tally: Tally) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for (path, cause), n in sorted(tally.items()):
        out.setdefault(path.rsplit("/", 1)[-1], {})[cause] = n
    return out


def main() -> None:
    from bench.scenarios import SP_STREAMS

    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=20000)
    parser.add_argument("--providers", nargs="*", default=["smarterpay", "smart2pay"])
    args = parser.parse_args()
    pg = Postgres.start()
    streams = {"smarterpay": SP_STREAMS, "smart2pay": None}
    results = [measure(pg, p, args.records, streams[p]) for p in args.providers]
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
