"""Issue 18: overall progress with an ETA for long backfills, across their partitions.

A fake clock drives the progress; the expected shares and times are worked out by hand."""

from __future__ import annotations

from datetime import timedelta

from pipelines.cli.progress import SyncProgress
from pipelines.sync.runs import RunReport, StreamReport


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_overall_share_and_eta_span_the_partitions(capsys) -> None:
    clock = Clock()
    progress = SyncProgress(enabled=True, clock=clock)
    progress.live = False  # plain lines, as under cron
    assert progress.overall() == (0.0, None)

    progress.partition(0, 4)
    run = RunReport("bacs", run_id=7)
    a = StreamReport("payments", seconds_total=300.0, seconds_done=150.0)
    b = StreamReport("mandates", seconds_total=100.0, seconds_done=50.0)
    clock.now += 60  # a minute in
    progress(run, a)
    progress(run, b)
    # partition 1 of 4 half read: 1/8 done after 60 s -> 7/8 left at that rate: 420 s
    assert progress.overall() == (0.125, timedelta(seconds=420))
    assert "overall 12% eta 0:07:00" in capsys.readouterr().err

    progress.partition(1, 4)  # the first partition is done whatever its streams reported
    second = RunReport("bacs", run_id=8)
    clock.now += 60
    progress(second, StreamReport("payments", seconds_total=200.0, seconds_done=0.0))
    # 1/4 done after 120 s -> 360 s left
    assert progress.overall() == (0.25, timedelta(seconds=360))

    progress.partition(3, 4)
    last = RunReport("bacs", run_id=9)
    clock.now += 240
    progress(last, StreamReport("payments", seconds_total=10.0, seconds_done=10.0))
    assert progress.overall() == (1.0, timedelta(0))


def test_a_disabled_progress_still_tracks_nothing_printed(capsys) -> None:
    clock = Clock()
    progress = SyncProgress(enabled=False, clock=clock)
    clock.now += 10
    progress(RunReport("s", 1), StreamReport("x", seconds_total=4.0, seconds_done=1.0))
    assert progress.overall() == (0.25, timedelta(seconds=30))
    assert capsys.readouterr().err == ""
