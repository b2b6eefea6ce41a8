"""Page one window of one stream and prove the pages hold the whole window (issue 14).

A provider may serve fewer records a page than asked, ignore a paging parameter it does not
know, report totals, or answer an empty list with 204 or no body. A short page therefore ends
a window only when the server is known to serve more than that many records a page
(``PageSize.proven``). The first short page of a dated list sends one probe per stream (a
full page of the whole list, ``_probe``), which usually proves the page size for good; until
it is proven, one confirming request reads on from where the page ended.
What is learned (the page size to ask, the paging generation) is kept per source and stream
in ``paysync.page_sizes``, so later runs pay nothing for it. A server that ignores the paging
parameters makes the pager fall back to the older documented generation, or stop with a
contract error; totals that disagree with the records received re-read the window once, then
stop. Pages are requested ahead while the current one is staged (``ahead.Ahead``).

Ties (issue 14, item 5): SmarterPay's default order is by a one-second ``created_at``, and
nothing says records sharing a second come in the same order on every request. Where such a
group straddles a page boundary, ``page_no`` paging may serve one of them twice and skip
another. The group straddles exactly when a page's first record shares the previous page's
last record's second (positions in the order are fixed; only the order inside a second may
move), so after the window the pager re-reads each such second on its own, narrowed by the
window filter (``narrow``): a single page holds the whole group at once. A group larger than
a page cannot be read that way, and the window stops with a contract error.

Where the server counts pages or offsets from (``origin``): probed on a stream's first page
until settled, then remembered (``origin.counts_from_zero``).

A page of records already read (INFERRED #155, #158): a clamping server's answer past the end
(``clamp``: one single-record request per stream and run tells it from a server ignoring the
page number), or, after a short page, records arriving or pages overlapping by one record
(read again once; the same answer twice running ends the window). Totals are compared with the
distinct records received.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import Any

from connectors.errors import ContractChangedError, ProviderRequestError, ProviderUnavailableError
from connectors.fields import second_of
from connectors.http import HttpClient
from connectors.streams import FromZero, Paginator, StreamSpec
from pipelines.load.records import Page, split_page
from pipelines.sync import clamp
from pipelines.sync.ahead import Ahead, Lanes, expected_left, pages_left, wire
from pipelines.sync.origin import counts_from_zero, whole_list_counts_from_zero
from pipelines.sync.page_sizes import PageSize
from pipelines.sync.refused import once, range_hint, refusal_message, refused_at, smaller_page

MAX_PAGES_PER_WINDOW = 100_000
# INFERRED: no provider caps a list page below this. A page shorter than this that a confirming
# request finds more behind means records arrived while the window was paged (a late or
# back-dated record), not a cap: learning a cap of 1 made every later page a single record.
MIN_BELIEVED_CAP = 10
MAX_ARRIVAL_REREADS = 3


class _Restart(Exception):
    """Read the window again from the start with these paging settings."""

    def __init__(self, paginator: Paginator, reason: str) -> None:
        super().__init__(reason)
        self.paginator, self.reason = paginator, reason


class _Arrived(_Restart):
    """Records arrived while the window was paged: read it again as it is now."""


class _FromZero(Exception):
    """The server counts pages from 0: read the window again with the counter one lower."""


@dataclass
class Pager:
    http: HttpClient
    source: str
    spec: StreamSpec
    size: PageSize
    window_params: Mapping[str, str]
    label: str  # "window 2024-01-01..2024-01-08" for messages
    lanes: Lanes = field(default_factory=lambda: Lanes(1))  # the source's request slots
    # window params reading just around one second (ties); None: no date filter to narrow by
    narrow: Callable[[datetime], dict[str, str]] | None = None
    reread: bool = False  # this pass re-reads the window (one more problem stops it)
    # the times the window's filter spans: how much of it the pages read so far covered tells
    # how many pages are left, so that many are requested ahead (ahead.pages_left)
    span: tuple[datetime, datetime] | None = None
    # pages the window should hold at the stream's density so far (engine), or a whole list
    # as many as it held last time: how far to ask ahead where the records tell nothing (no
    # creation order, as submission lines; no window, as payment links)
    expect: float | None = None
    _asked: int = 0  # the page size this pass asks
    # the records read and the repeat of the last confirming page of records already read
    repeat: tuple[frozenset[Any], tuple[Any, ...]] | None = None

    def _where(self) -> str:
        return f"source {self.source!r}, stream {self.spec.name}, {self.label}"

    def _paginator(self) -> Paginator:
        paginator: Paginator = self.spec.paginator
        if self.size.generation == "fallback" and paginator.fallback is not None:
            paginator = paginator.fallback
        return FromZero(paginator) if self.size.origin == 0 else paginator

    async def pages(self) -> AsyncIterator[Page]:
        paginator, arrivals = self._paginator(), 0
        while True:
            ties: set[datetime] = set()
            try:
                async for page in self._pass(paginator, self.window_params, ties):
                    yield page
                for second in sorted(ties):  # groups that straddled a page boundary
                    assert self.narrow is not None
                    async for page in self._pass(paginator, self.narrow(second), None, second):
                        yield page
                return
            except _FromZero:
                paginator = FromZero(paginator)  # nothing of the window was yielded yet
            except ProviderRequestError as refused:  # a 400 for a page size above the limit?
                if refused.status != 400:
                    raise
                if self.size.ask >= self._asked:  # (else another window lowered it already)
                    smaller = smaller_page(refused, self._asked, MIN_BELIEVED_CAP)
                    if smaller is None:
                        message = refusal_message(self._where(), refused, paginator)
                        hint = range_hint(self.window_params)
                        raise ProviderRequestError(message + hint, refused.status) from None
                    self.size.ask, self.size.dirty = smaller, True
            except _Arrived as arrived:
                arrivals += 1
                if arrivals > MAX_ARRIVAL_REREADS:
                    raise ContractChangedError(
                        f"{self._where()}: {arrived.reason}, {arrivals} times in a row; the "
                        "window is not committed. Retry later; if it persists the provider "
                        "may ignore the paging parameters (check them against its documentation)"
                    ) from None
            except _Restart as restart:
                if restart.paginator is not paginator:  # the server ignores this generation
                    paginator = restart.paginator
                    self.size.generation, self.size.dirty = "fallback", True
                    self.size.origin = None  # the older generation's origin is its own
                    self.size.proven = 0  # and so is its page size: a cap proven for the
                    # documented parameters would end the fallback's pages early
                elif self.reread:
                    raise ContractChangedError(
                        f"{self._where()}: {restart.reason}, again after re-reading the window; "
                        "records may be missing, so the window is not committed. Retry later; "
                        "if it persists the provider's paging changed (report it)"
                    ) from None
                self.reread = True

    def _second(self, item: Any) -> datetime | None:
        """The creation second the provider sorts ``item`` by (None: not known or not read)."""
        if self.narrow is None or not self.spec.cursor_column or not isinstance(item, dict):
            return None
        column = next(c for c in self.spec.columns if c.name == self.spec.cursor_column)
        return second_of(item.get(column.path[0]))

    def _straddles(
        self, tail: datetime | None, items: list[Any], ties: set[datetime] | None,
        alone: datetime | None,
    ) -> None:  # fmt: skip
        """Note a second whose records straddle the boundary before this page."""
        head = self._second(items[0]) if items else None
        if head is None or head != tail:
            return
        if alone is not None and head == alone:
            raise ContractChangedError(
                f"{self._where()}: more records were created in the second {head.isoformat()} "
                "than the provider serves on one page, and their order is not the "
                "same from page to page, so paysync cannot prove it read them all; the window "
                "is not committed. Report it to the provider (a unique sort order is needed)"
            )
        if ties is not None:
            ties.add(head)

    async def _pass(
        self, paginator: Paginator, window: Mapping[str, str],
        ties: set[datetime] | None = None, alone: datetime | None = None,
    ) -> AsyncIterator[Page]:  # fmt: skip
        """Read the window once. ``ties`` collects seconds straddling a page boundary;
        ``alone``: this pass re-reads that second, which must now fit on one page."""
        self._asked = self.size.ask  # what a 400 refused, if one comes (``refused``)
        first = {**self.spec.extra_params, **paginator.first(self.size.ask), **window}
        params: dict[str, str] | None = first
        ahead = Ahead(self.http, self.spec.path, paginator, self.lanes)
        received, reported, previous_head = 0, None, None
        seen: set[Any] = set()  # ids read in this pass, the page before's, the first's
        repeated = 0  # records of this pass read twice (overlapping pages): not in the totals
        before: set[Any] = set()
        head: Any = None
        tail: datetime | None = None
        found_alone = False
        try:
            for _ in range(MAX_PAGES_PER_WINDOW):
                if params is None:
                    break
                try:
                    body = await ahead.get(params)
                except (ContractChangedError, ProviderUnavailableError) as exc:  # name the
                    raise type(exc)(f"{self._where()}: {exc}") from None  # stream and window too
                except ProviderRequestError as exc:
                    if exc.status == 400:
                        raise  # the page size, perhaps: ``pages`` asks again smaller (refused.py)
                    raise refused_at(self._where(), window, exc) from None
                items = self._items(body)
                asked = paginator.asked(params)
                if received and clamp.repeats(self.spec, items, asked, seen, before):
                    if await self._past_end(paginator, window, received, head, before):
                        break  # a page past the end, answered with one already read
                if "_confirm" in params and clamp.repeats(self.spec, items, None, seen, set()):
                    self._repeated(paginator, seen, items)  # overlap or arrivals: read again
                    break  # the same twice running: the short page was the end
                page_ids = [clamp.record_id(self.spec, item) for item in items]
                # read twice: on an earlier page (overlap) or on this one (refused.once)
                repeated += len(page_ids) - len(set(page_ids) - seen)
                before = set(page_ids)
                seen |= before
                if head is None and items:
                    head = clamp.record_id(self.spec, items[0])
                settle = params is first and alone is None and self.size.origin != 1
                totals = paginator.totals(body)
                # a head in the second the page before ended in: a tie reordered between the
                # requests may bring the same head back (``_straddles`` judges it, not paging)
                tied = bool(items) and tail is not None and self._second(items[0]) == tail
                self._check_generation(
                    paginator, params, items, totals, asked, None if tied else previous_head
                )
                previous_head = items[0] if items else None
                self._straddles(tail, items, ties, alone)
                tail = self._second(items[-1]) if items else None
                found_alone = found_alone or any(self._second(i) == alone for i in items)
                if totals is not None and totals.page_size and asked and totals.page_size < asked:
                    self.size.learn_cap(totals.page_size)  # the server says what it served
                reported = totals.records if totals is not None else None
                received += len(items)
                following = self._next(
                    paginator, params, items, body, received, asked, totals, window
                )
                if following is None and reported is not None and received - repeated < reported:
                    # The totals' last page, full, and fewer records came than they count: pages
                    # that overlap (each repeats the record before it) hold the rest on the next
                    # one. Read on without the totals; they are checked after the window.
                    following = self._read_on(paginator, params, items, asked)
                params = following
                if (
                    params is not None
                    and "_confirm" in params
                    and await self._probe(paginator, len(items))
                ):
                    params = None  # the page size is proven now: the short page was the end
                span = self.span if window is self.window_params else None  # not a tie's second
                left = pages_left(span, tail, received, asked or self.size.ask)
                if left is None and window is self.window_params and self.expect is not None:
                    left = expected_left(ahead.read, self.expect)  # no creation order
                ahead.prefetch(params, left)
                if settle:
                    # The origin probe goes out while the next pages are on the wire (a latency
                    # saved on every stream's first read); nothing of the window is yielded
                    # yet, so a server counting from 0 restarts it (the queued pages dropped).
                    await self._settle_origin(paginator, window, items)
                # A page is full or short by what the server sent (a record listed twice on a
                # full page is no sign of its end); each record loads once (refused.once).
                yield Page.of(split_page(self.spec, once(self.spec, items)), ahead.requested_at)
            else:
                raise ContractChangedError(
                    f"{self._where()}: more than {MAX_PAGES_PER_WINDOW} pages; narrow the window"
                )
        finally:
            ahead.cancel()
        if alone is not None and not found_alone:
            raise ContractChangedError(
                f"{self._where()}: re-reading the second {alone.isoformat()} alone (its records "
                "straddled a page boundary) returned none of them, so paysync cannot prove it "
                "read them all; the window is not committed. Check the source's timezone "
                "setting against the zone the provider's date filters mean"
            )
        if reported is not None and reported != received - repeated:
            came = received - repeated
            raise _Restart(paginator, f"the provider reported {reported} records, {came} came")

    def _repeated(self, paginator: Paginator, seen: set[Any], items: list[Any]) -> None:
        """A confirming page of records already read: more arrived ahead of it (the window is
        read again), or the server repeats the last record of each page (an inclusive cursor).
        The same page over the same records twice running: nothing arrived, the window ended
        (returns; else raises to read the window again)."""
        mark = (frozenset(seen), tuple(clamp.record_id(self.spec, i) for i in items))
        if mark != self.repeat:
            self.repeat = mark
            raise _Arrived(paginator, "a confirming page repeated records already read")

    async def _past_end(
        self, paginator: Paginator, window: Mapping[str, str], received: int, head: Any,
        before: set[Any],
    ) -> bool:  # fmt: skip
        """A page of records already read: the server's answer past the end (True), or a sign
        it ignores the paging (False: the checks that follow judge it). Asked once a run per
        stream; a server honouring positions does so on every window."""
        if not self.size.clamps:
            self.size.clamps = await clamp.past_the_end(
                self.http, self.spec, paginator, window, received, head, before
            )
        return self.size.clamps

    async def _settle_origin(
        self, paginator: Paginator, window: Mapping[str, str], items: list[Any]
    ) -> None:
        if self.size.origin is None:
            if items or not window:
                zero = await counts_from_zero(
                    self.http, self.spec, paginator, window, items, self.size.ask
                )
            else:
                zero = await self._whole_list_origin(paginator)
            if zero is not None:
                self.size.origin, self.size.dirty = (0 if zero else 1), True
        # Another window of the stream may have settled it while this one was asked for.
        if self.size.origin == 0 and not isinstance(paginator, FromZero):
            raise _FromZero

    async def _whole_list_origin(self, paginator: Paginator) -> bool | None:
        """An empty window asks the whole list, once per stream and run; windows meanwhile
        wait for that answer (then in ``size.origin``) rather than each probing."""
        if self.size.origin_asked:
            await self.size.origin_done.wait()
            return None
        self.size.origin_asked = True
        try:
            return await whole_list_counts_from_zero(
                self.http, self.spec, paginator, self.size.ask, partial(self._probed, paginator)
            )
        finally:
            self.size.origin_done.set()

    def _probed(self, paginator: Paginator, items: list[Any]) -> None:
        """The whole list's first page, asked for another reason (where it counts from): the
        answer ``_probe`` would ask for, so it is not asked again (make bench: five streams
        of a backfill whose oldest window was empty)."""
        asked = paginator.asked(paginator.first(self.size.ask))
        if self.size.probed or asked is None or not items or len(items) > asked:
            return  # (an empty answer, as a server counting from 0 may give, proves nothing)
        self.size.probed = True
        self.size.served(len(items))
        self.size.probe_done.set()

    async def _probe(self, paginator: Paginator, count: int) -> bool:
        """One request per stream and run for a full page of the whole list (no date filter):
        a full page proves the page size for good (kept in ``page_sizes``), a shorter one at
        least that many. True when the short page of ``count`` records is now proven the last.
        Skipped without a date filter (it would be the same request). Once tried, later short
        pages take its answer: windows paging meanwhile wait for it (measured: a backfill's
        sparse windows, 16 at once, each sent a confirming request while the probe was out)."""
        if not self.window_params:
            return False
        if self.size.probed:
            await self.size.probe_done.wait()
            return count < self.size.proven
        self.size.probed = True  # before the await: windows paging meanwhile wait (above)
        try:
            first = {**self.spec.extra_params, **paginator.first(self.size.ask)}
            items = self._items(await self.http.get_json(self.spec.path, first))
            asked = paginator.asked(first)
            if asked is None or len(items) > asked:
                return False  # not understood: the window's own checks judge the paging
            self.size.served(len(items))
            return count < self.size.proven
        finally:
            self.size.probe_done.set()

    def _items(self, body: Mapping[str, Any]) -> list[Any]:
        if not body:
            return []  # 204 or an empty body: an empty page (http.get_json answers {})
        items = body.get(self.spec.envelope)
        if not isinstance(items, list):
            raise ContractChangedError(
                f"{self._where()}: the response has no list under {self.spec.envelope!r} "
                f"(keys: {sorted(body)[:5]}); provider contract changed?"
            )
        return items

    def _check_generation(
        self, paginator: Paginator, params: Mapping[str, str], items: list[Any],
        totals: Any, asked: int | None, previous_head: Any,
    ) -> None:  # fmt: skip
        """Signs that the server did not understand the paging parameters."""
        problem = None
        if asked is not None and len(items) > asked and len(once(self.spec, items)) > asked:
            problem = f"{len(items)} records came on a page of {asked}"
        elif items and items[0] == previous_head:
            problem = f"the same page came back twice ({dict(params)})"
        elif totals is None and paginator.totals({"TotalCount": 0, "TotalPages": 0}) is not None:
            problem = "the answer carries no totals where this paging generation has them"
        if problem is None:
            return
        confirm = params.get("_confirm")
        if confirm is not None and int(confirm) < MIN_BELIEVED_CAP and "same page" in problem:
            # a tiny confirming page repeating the last record: one arrived ahead of it
            raise _Arrived(paginator, f"records arrived while the window was paged ({problem})")
        if paginator.fallback is not None:
            raise _Restart(paginator.fallback, problem)
        if not self.reread:
            # A record created inside the window while it is paged shifts the pages by one,
            # which looks the same from here (a page of one record coming back): read the
            # window once more before calling the paging broken.
            raise _Restart(paginator, f"the provider seemed to ignore the paging ({problem})")
        raise ContractChangedError(
            f"{self._where()}: the provider ignores the paging parameters ({problem}); "
            "records would be missed, so the stream stops. Check the endpoint's paging "
            "parameters against the provider's documentation"
        )

    def _read_on(
        self, paginator: Paginator, params: dict[str, str], items: list[Any], asked: int | None
    ) -> dict[str, str] | None:
        if asked is None or len(items) < asked or "_confirm" in params:
            return None
        return paginator.next(wire(params), len(items), {})

    def _next(
        self, paginator: Paginator, params: dict[str, str], items: list[Any],
        body: Mapping[str, Any], received: int, asked: int | None, totals: Any,
        window: Mapping[str, str],
    ) -> dict[str, str] | None:  # fmt: skip
        count = len(items)
        confirm = params.get("_confirm")
        if confirm is not None and count:
            # The confirming request found more: the short page was the server's page size,
            # unless it is too short to be anyone's page size.
            if int(confirm) < MIN_BELIEVED_CAP:
                raise _Arrived(paginator, "records arrived while the window was paged")
            self.size.learn_cap(int(confirm))
        self.size.served(count)
        following = paginator.next(wire(params), count, body)
        if following is not None or totals is not None or asked is None or not count:
            return following  # more pages, or totals decide (verified after the window)
        if count >= asked or count < self.size.proven:
            # Short, from a server known to serve more a page: the end. A page shorter than
            # MIN_BELIEVED_CAP is never believed to be the last without this proof: a server
            # capping pages that low would otherwise lose records silently (review, issue 14).
            return None
        at = paginator.at(received, count)  # not proof yet: read on from where it ended
        if at is None:
            return None
        return {**self.spec.extra_params, **at, **window, "_confirm": str(count)}
