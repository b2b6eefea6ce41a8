"""Whether a window's read reached both its ends, without always reading an hour past them.

The zone a provider means in its date filters is not documented (INFERRED #18, #19). Reading
one hour past both ends of every window (``window.ZONE_SLACK``, #127) makes a one-hour
disagreement harmless, but costs two hours of records a window: pages that paging trusting
the filter never pays (``make bench``, cost of certainty). A dense window's own listing proves
its ends instead. The provider's filter and the records' times disagree, if at all, by a zone
offset: a whole number of quarter hours (INFERRED #135). So

- a record listed less than a quarter hour after the start the filter asked for shows the
  filter began less than a quarter hour late, so not late at all: nothing at the start was
  left out;
- a record listed less than a quarter hour before the end the filter asked for (or later)
  shows the same of the end.

An end its listing does not prove is read again on its own, an hour either side of it (a
*band*: whatever a disagreement of up to an hour left out lies in it), in the window's
transaction, so the window still commits with everything or not at all.

Which of the two a window pays for is chosen per stream by what each cost the windows read so
far in this run (``Costs``): after every window both are known, one as spent and the other as
it would have been (a window read with the slack shows whether its ends would have been proven
and whether the slack cost a page; a proven one, whether two hours more records would have
filled another page). Measured, not modelled, because the slack's cost is a page exactly where
windows hold just under a whole number of pages, which a steady stream makes common (``make
bench``: every account window held 2,497 records, the slack made them 6 pages instead of 5).
So the window sizer cuts a steady stream's windows short enough to leave the slack room on
their last page (``WindowSizer.feedback``, ``reach``), where it then costs nothing.
Before a stream has a window, its density decides (records an hour, the ledger's recent
windows): the slack costs about ``2 h × density / page size`` pages, proving about
``2 × e^(-density × ¼ h)`` band requests (no record within a quarter hour of an end). A stream
whose density is not known reads the slack.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import asyncpg

from pipelines.sync.window import ZONE_SLACK, Interval, merge

QUARTER = timedelta(minutes=15)  # zone offsets differ by whole quarter hours (INFERRED #135)
HOUR = 3600.0


def slack_pays(per_hour: float | None, page_size: int) -> bool:
    """True when reading the hour of slack past both ends is expected to cost fewer requests
    than proving the ends from the listing (``None``: density not known yet)."""
    if per_hour is None or page_size <= 0:
        return True
    slack_pages = 2 * ZONE_SLACK.total_seconds() / HOUR * per_hour / page_size
    band_requests = 2 * math.exp(-per_hour * QUARTER.total_seconds() / HOUR)
    return slack_pages <= band_requests


def ends_often_unproven(per_hour: float | None) -> bool:
    """True when more than one end in twenty has no record within a quarter hour of it, at
    ``per_hour`` records an hour (about 12 an hour or fewer); False when not known."""
    if per_hour is None:
        return False
    return math.exp(-per_hour * QUARTER.total_seconds() / HOUR) > 0.05


def bands(
    start: datetime, end: datetime, first: datetime | None, last: datetime | None, pages: int,
    widen: timedelta = timedelta(0), settled: tuple[bool, bool] = (False, False),
) -> list[Interval]:  # fmt: skip
    """What to read again of ``[start, end)`` whose listing ran from ``first`` to ``last``
    (its earliest and latest record, None when it listed none): an hour either side of each end
    it does not prove. A window read in one page is read again whole, an hour past both ends
    (one request, where two bands would be two).

    The proof is against the bounds the filter asked for, ``widen`` past the ends and written
    to the second (the fraction dropped), not against the window's: a filter a quarter hour
    late still lists a record at ``asked start + 15 min``, and one a quarter hour early one at
    ``asked end - 15 min`` (bounds may be inclusive), so neither of those proves anything.
    ``settled``: the start, the end, known to need no second read for another reason."""
    asked_start = (start - widen).replace(microsecond=0)
    asked_end = (end + widen).replace(microsecond=0)
    proven_start = settled[0] or (first is not None and first < asked_start + QUARTER)
    proven_end = settled[1] or (last is not None and last > asked_end - QUARTER)
    if proven_start and proven_end:
        return []
    if pages <= 1 and not proven_start and not proven_end:
        return [(start - ZONE_SLACK, end + ZONE_SLACK)]
    around = [edge for edge, proven in ((start, proven_start), (end, proven_end)) if not proven]
    return merge((edge - ZONE_SLACK, edge + ZONE_SLACK) for edge in around)


class Density:
    """Records an hour each stream of one source listed: this run's latest windows once one was
    read, else the ledger's windows of the last 30 days the stream was read in."""

    def __init__(self, ledger: dict[str, float] | None = None) -> None:
        self._ledger = dict(ledger or {})
        self._run: dict[str, tuple[float, float]] = {}  # stream -> (records, seconds listed)

    @classmethod
    async def load(cls, conn: asyncpg.Connection, source: str) -> Density:
        rows = await conn.fetch(
            """SELECT stream, sum(records) / sum(extract(epoch FROM window_end - window_start))
                      * 3600 AS per_hour
               FROM (SELECT *, max(window_end) OVER (PARTITION BY stream) AS newest
                     FROM paysync.sync_windows WHERE source = $1) w
               WHERE window_end > newest - interval '30 days'
               GROUP BY stream""",
            source,
        )  # fmt: skip
        return cls({r["stream"]: float(r["per_hour"]) for r in rows if r["per_hour"] is not None})

    def per_hour(self, stream: str) -> float | None:
        records, seconds = self._run.get(stream, (0, 0.0))
        if seconds > 0:
            return records / seconds * HOUR
        return self._ledger.get(stream)

    def observe(self, stream: str, records: int, seconds: float) -> None:
        """A window read: earlier ones weigh half as much with each window after them, so the
        density follows the stretch of history being read (a backfill's empty oldest windows
        say nothing of the dense ones after them)."""
        had_records, had_seconds = self._run.get(stream, (0.0, 0.0))
        self._run[stream] = (had_records / 2 + records, had_seconds / 2 + seconds)


class Costs:
    """Per stream, the requests the slack and the proof cost (or would have) this run's latest
    windows."""

    def __init__(self) -> None:
        self._spent: dict[str, tuple[float, float]] = {}  # stream -> (slack pages, band requests)

    def slack(self, stream: str, per_hour: float | None, page_size: int) -> bool:
        """Read the next window of ``stream`` with the slack?"""
        slack, proof = self._spent.get(stream, (0.0, 0.0))
        if slack == proof:  # nothing read yet, or a draw: the density decides
            return slack_pays(per_hour, page_size)
        return slack < proof

    def add(self, stream: str, slack_pages: float, band_requests: float) -> None:
        """A window's costs; the earlier ones weigh half as much with each window after them,
        so the choice follows the stretch of history being read (a backfill's empty oldest
        windows, where only proving costs, say nothing of the dense ones after them)."""
        slack, proof = self._spent.get(stream, (0.0, 0.0))
        self._spent[stream] = (slack / 2 + slack_pages, proof / 2 + band_requests)


def pages_for(records: int, page_size: int) -> int:
    """The pages ``records`` fill (a last page partly full counts)."""
    return math.ceil(records / page_size)


def slack_pages(listed: int, inside: int, page_size: int) -> int:
    """Pages reading past the ends cost a window that listed ``listed`` records, ``inside``
    of them its own."""
    return max(0, pages_for(listed, page_size) - pages_for(inside, page_size))
