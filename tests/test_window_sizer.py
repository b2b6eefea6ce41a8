"""The window sizer under concurrency (issue 15): windows read at once report together.

Pure: WindowSizer only. Measured with bench/timeline.py before the fix: eight dense 7-day
windows finishing together halved the size eight times, to 40 minutes, so the rest of the
range was read a near-empty page a request (186 requests for 133 pages at concurrency 8)."""

from __future__ import annotations

from datetime import timedelta

from pipelines.sync.window import WindowSizer

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
