"""Proving a window's ends from its own listing (pipelines/sync/edges.py): the arithmetic.
Expected values are worked by hand from the rule (a quarter-hour lattice of zone offsets, an
hour's band), not computed by the module."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from pipelines.sync.edges import Costs, Density, bands, slack_pages, slack_pays

S = datetime(2026, 7, 1, tzinfo=UTC)
E = S + timedelta(days=7)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def test_an_end_with_a_record_within_a_quarter_hour_is_proven() -> None:
    assert bands(S, E, S + 14 * M, E - 14 * M, pages=5) == []
    # a record before the start (the filter began early) proves the start as well
    assert bands(S, E, S - 30 * M, E + 10 * M, pages=5) == []


def test_an_end_without_one_is_read_again_an_hour_either_side() -> None:
    assert bands(S, E, S + 15 * M, E - 14 * M, pages=5) == [(S - H, S + H)]
    # a filter ending a quarter hour early (inclusive) still lists a record at end - 15 min
    assert bands(S, E, S + 1 * M, E - 15 * M, pages=5) == [(E - H, E + H)]
    assert bands(S, E, S + 1 * M, E - 16 * M, pages=5) == [(E - H, E + H)]
    assert bands(S, E, S + 2 * H, E - 2 * H, pages=5) == [(S - H, S + H), (E - H, E + H)]


def test_a_one_page_window_proving_neither_end_is_read_again_whole() -> None:
    assert bands(S, E, None, None, pages=1) == [(S - H, E + H)]
    assert bands(S, E, S + 3 * H, E - 3 * H, pages=0) == [(S - H, E + H)]
    # one end proven: only the other is read again
    assert bands(S, E, S + 3 * H, E - 1 * M, pages=1) == [(S - H, S + H)]


def test_bands_of_a_short_window_overlap_and_join() -> None:
    end = S + 90 * M
    assert bands(S, end, None, None, pages=2) == [(S - H, end + H)]


def test_the_slack_is_read_where_records_are_too_sparse_to_prove_the_ends() -> None:
    # 2 an hour, 100 a page: slack ~0.04 pages against ~2 x e^-0.5 = 1.2 band requests
    assert slack_pays(2, 100)
    # 30 an hour: slack 0.6 pages against 2 x e^-7.5 = 0.001 band requests
    assert not slack_pays(30, 100)
    # 10 an hour: slack 0.2 pages at 100 a page (bands 2 x e^-2.5 = 0.16), 0.4 at 50
    assert slack_pays(10, 100) is False
    assert slack_pays(10, 50) is False
    assert slack_pays(6, 100) is True  # 0.12 pages against 0.45
    assert slack_pays(None, 100)  # not known yet: as before


def test_density_is_this_runs_once_read_else_the_ledgers() -> None:
    density = Density({"payments": 12.0})
    assert density.per_hour("payments") == 12.0
    assert density.per_hour("mandates") is None
    density.observe("payments", 30, 2 * 3600)
    density.observe("payments", 10, 2 * 3600)
    # the earlier window weighs half: (15 + 10) records over (1 + 2) hours
    assert density.per_hour("payments") == pytest.approx(25 / 3)


def test_the_proof_is_against_the_bounds_the_filter_asked_for() -> None:
    """Widened by 1 s and written to the second: asked ``[S - 1 s, E + 1 s]``. A filter a
    quarter hour late begins at S + 14:59 and lists a record there; one a quarter hour early
    ends at E - 14:59 and lists one there."""
    s1 = timedelta(seconds=1)
    assert bands(S, E, S + 15 * M - s1, E, pages=5, widen=s1) == [(S - H, S + H)]
    assert bands(S, E, S + 15 * M - 2 * s1, E, pages=5, widen=s1) == []
    assert bands(S, E, S, E - 15 * M + s1, pages=5, widen=s1) == [(E - H, E + H)]
    assert bands(S, E, S, E - 15 * M + 2 * s1, pages=5, widen=s1) == []
    # a window starting at a fraction of a second (the last run's now - lag): S + 0.7 s asks
    # from S - 0.3 s, written S - 1 s; a quarter hour late that lists a record at S + 14:59
    frac = S + timedelta(milliseconds=700)
    assert bands(frac, E, S + 15 * M - s1, E, pages=5, widen=s1) == [(frac - H, frac + H)]
    assert bands(frac, E, S + 15 * M - 2 * s1, E, pages=5, widen=s1) == []


def test_the_slack_costs_a_page_where_it_crosses_a_page_boundary() -> None:
    assert slack_pages(2506, 2497, 500) == 1  # five pages become six
    assert slack_pages(2490, 2480, 500) == 0
    assert slack_pages(10, 0, 500) == 1  # an empty window's slack records still need a page
    assert slack_pages(0, 0, 500) == 0


def test_each_stream_reads_what_cost_its_windows_less() -> None:
    costs = Costs()
    # nothing measured: the density decides (2 an hour: the slack; 30: the proof)
    assert costs.slack("mandates", 2, 500) and not costs.slack("payments", 30, 500)
    costs.add("mandates", slack_pages=1, band_requests=0.0)  # as the bench's account windows
    costs.add("mandates", slack_pages=1, band_requests=1.0)
    assert not costs.slack("mandates", 2, 500)  # 1.5 pages against 1 band request: prove
    costs.add("mandates", slack_pages=0, band_requests=2.0)
    assert costs.slack("mandates", 2, 500)  # 0.75 against 2.5: the slack again
    # older windows weigh less: ten empty windows (only proving costs) and then two dense ones
    for _ in range(10):
        costs.add("cards", slack_pages=0, band_requests=1.0)
    assert costs.slack("cards", 2, 500)  # 0 pages against 2.0 requests
    costs.add("cards", slack_pages=1, band_requests=0.0)
    costs.add("cards", slack_pages=1, band_requests=0.0)
    assert not costs.slack("cards", 2, 500)  # 1.5 against 0.5 (summed, the slack: 2 against 10)
    costs.add("payments", slack_pages=0, band_requests=0.0)  # a draw: the density decides
    assert not costs.slack("payments", 30, 500)
