"""The window sizer under concurrency (issue 15): windows read at once report together.

Pure: WindowSizer only. Measured with bench/timeline.py before the fix: eight dense 7-day
windows finishing together halved the size eight times, to 40 minutes, so the rest of the
range was read a near-empty page a request (186 requests for 133 pages at concurrency 8)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from pipelines.sync.window import DoneWindow, WindowSizer, to_read

WEEK = timedelta(days=7)


def test_dense_windows_read_together_halve_the_size_once() -> None:
    sizer = WindowSizer(WEEK)
    for _ in range(8):  # eight workers, each back from one of the first 7-day windows
        sizer.feedback(pages=9, last_page_items=120, page_size=500, length=WEEK)
    assert sizer.size == WEEK / 2


def test_a_smaller_dense_window_halves_below_the_current_size() -> None:
    sizer = WindowSizer(WEEK / 2)
    sizer.feedback(pages=12, last_page_items=10, page_size=500, length=WEEK / 2)
    assert sizer.size == WEEK / 4
    sizer.feedback(pages=9, last_page_items=10, page_size=500, length=WEEK)  # an older window
    assert sizer.size == WEEK / 4  # never grows from a dense report


def test_empty_windows_still_double_quickly() -> None:
    # an empty stretch of history costs a request a window: leave it fast (each report doubles)
    sizer = WindowSizer(WEEK)
    for _ in range(3):
        sizer.feedback(pages=1, last_page_items=0, page_size=500, length=WEEK)
    assert sizer.size == WEEK * 8


def test_windows_overshooting_whole_pages_by_a_sliver_are_cut_shorter() -> None:
    # 46-day windows of a steady stream listing 2,502 records: five full pages and a request
    # for 2 (make bench: recurrence schedules, with the hour of slack past both ends)
    days = timedelta(days=46)
    sizer = WindowSizer(days)
    sizer.feedback(pages=6, last_page_items=2, page_size=500, length=days)
    assert sizer.size == days  # one sliver may be chance
    sizer.feedback(pages=6, last_page_items=2, page_size=500, length=days)
    # shorter by the sliver and 10 records (1/50 of a page) more: 2,490 a window, five pages,
    # to the minute: 1,104 h - 1,104 h x 12 / 2,502 = 1,104 h - 5 h 17.7 min = 45 days 18 h 42.3 min
    assert sizer.size == timedelta(days=45, hours=18, minutes=42)
    sizer.feedback(pages=5, last_page_items=490, page_size=500, length=sizer.size)
    assert sizer.size == timedelta(days=45, hours=18, minutes=42)  # a fit: left alone


def test_a_sliver_now_and_then_does_not_shrink_the_windows() -> None:
    sizer = WindowSizer(WEEK)
    for last in (3, 240, 7, 410, 1):  # slivers, never two running
        sizer.feedback(pages=4, last_page_items=last, page_size=500, length=WEEK)
    assert sizer.size == WEEK


def test_windows_with_no_room_for_the_zone_slack_are_cut_to_leave_it() -> None:
    # 46-day windows listing 2,497 records (make bench: recurrence schedules, proven ends): the
    # 2 h past their ends hold about 4.5 more, so reading them costs a sixth page; proving the
    # ends instead costs a band request an end with no record within a quarter hour
    days = timedelta(days=46)
    slack = timedelta(hours=2)
    sizer = WindowSizer(days)
    sizer.feedback(pages=5, last_page_items=497, page_size=500, length=days, reach=slack)
    assert sizer.size == days  # once may be chance
    sizer.feedback(pages=5, last_page_items=497, page_size=500, length=days, reach=slack)
    # room for 2,497 x 2 h / 1,104 h = 4.52 records and 10 (1/50 of a page) more, where there
    # were 3: shorter by 11.52 of 2,497 records, 1,104 h x 11.52 / 2,497 = 5 h 5.7 min, to the
    # minute: 45 days 18 h 54 min
    assert sizer.size == timedelta(days=45, hours=18, minutes=54)
    # read with the slack (no reach left), or leaving room: left alone
    sizer.feedback(pages=5, last_page_items=497, page_size=500, length=days)
    sizer.feedback(pages=5, last_page_items=497, page_size=500, length=days)
    sizer.feedback(pages=5, last_page_items=480, page_size=500, length=days, reach=slack)
    sizer.feedback(pages=5, last_page_items=480, page_size=500, length=days, reach=slack)
    assert sizer.size == timedelta(days=45, hours=18, minutes=54)


def test_a_lookback_inside_a_done_window_read_again_is_read_once() -> None:
    # The newest done window still holds open records and ends at the present (an idle run at
    # the same time as the last): the lookback lies wholly inside it and is read with it. A
    # lookback reaching past a done window is read as before, the done window too.
    day = datetime(2026, 11, 1, tzinfo=UTC)
    present = day + timedelta(days=30)
    older = DoneWindow(day, day + timedelta(days=10), open_records=0)
    newest = DoneWindow(day + timedelta(days=10), present, open_records=5)
    gaps, reopen = to_read((day, present), [older, newest], present - timedelta(days=7))
    assert gaps == [] and reopen == [(newest.start, newest.end)]
    later = present + timedelta(hours=1)
    gaps, reopen = to_read((day, later), [older, newest], later - timedelta(days=7))
    assert gaps == [(later - timedelta(days=7), later)]
    assert reopen == [(newest.start, newest.end)]


# A stream whose two hours of records fill a page or more: no window leaves that room on its
# last page, so the rule must leave the size alone (review: it shrank windows to a minute).
HOUR_ = timedelta(hours=1)


def backfill(per_hour: float, page: int, reach: timedelta, days: int = 30) -> int:
    """Windows read one after another over ``days`` of a steady stream; the windows used."""
    sizer = WindowSizer(timedelta(days=7))
    done, total, windows = timedelta(0), timedelta(days=days), 0
    while done < total:
        length = min(sizer.size, total - done)
        records = round(per_hour * (length / HOUR_))
        pages = max(1, math.ceil(records / page))
        sizer.feedback(pages, records - (pages - 1) * page, page, length, reach)
        done, windows = done + length, windows + 1
    return windows


def test_a_stream_with_two_hours_of_records_per_page_is_not_cut_to_minute_windows() -> None:
    # 300 payments an hour (7,200 a day), pages of 500: 600 records lie in the 2 h past the ends
    without = backfill(300, 500, timedelta(0))
    with_reach = backfill(300, 500, 2 * HOUR_)
    assert with_reach <= 2 * without, (with_reach, without)


def test_the_full_rule_never_cuts_below_what_it_can_use() -> None:
    sizer = WindowSizer(2 * HOUR_)
    for _ in range(2):  # 600 records in 2 h: two pages, the last one holding 100
        sizer.feedback(
            pages=2, last_page_items=100, page_size=500, length=2 * HOUR_, reach=2 * HOUR_
        )
    assert sizer.size >= HOUR_ / 2
    length = sizer.size
    records = round(300 * (length / HOUR_))
    for _ in range(2):
        sizer.feedback(
            pages=1, last_page_items=records, page_size=500, length=length, reach=2 * HOUR_
        )
    assert sizer.size >= HOUR_ / 2, sizer.size  # was: 1 minute


def test_a_lookback_inside_a_done_window_ending_after_the_present_is_still_read() -> None:
    day = datetime(2026, 11, 1, tzinfo=UTC)
    present = day + timedelta(days=30)  # now - lag: the lag was raised by an hour
    newest = DoneWindow(
        present - timedelta(days=7), present + timedelta(minutes=30), open_records=5
    )
    older = DoneWindow(day, newest.start, open_records=0)
    gaps, reopen = to_read((day, present), [older, newest], present - timedelta(days=7))
    assert reopen == [(newest.start, newest.end)]
    assert gaps == [(present - timedelta(days=7), present)]  # was: [] (read once, unproven)
