"""Sentences from numbers: direction, size, target, benchmarks, caution."""
from __future__ import annotations

import datetime as dt

from yj_metrics.indicators import INDICATORS
from yj_metrics.narrative import indicator_sentence
from yj_metrics.results import BenchmarkComparison, IndicatorResult

D = INDICATORS["reoffending_rate"]


def r(value, lo, hi, num=84, den=265, rag=None, benchmarks=(), rank=None, rank_of=None, start=2017, incomplete=False):
    return IndicatorResult("reoffending_rate", D.label, dt.date(start, 4, 1), dt.date(start + 1, 3, 31), None, None,
                           num, den, value, "%", lo, hi, rag, tuple(benchmarks), rank, rank_of, incomplete)


def test_improving_with_separate_intervals_is_called_an_improvement():
    s = indicator_sentence(r(31.7, 26.4, 37.5), r(45.0, 40.0, 50.0), None, D)
    assert "31.7%" in s and "down 13.3 percentage points on the previous period" in s and "an improvement" in s


def test_worsening_is_called_a_worsening():
    s = indicator_sentence(r(45.0, 40.0, 50.0), r(31.7, 26.4, 37.5), None, D)
    assert "up 13.3 percentage points" in s and "a worsening" in s


def test_overlapping_intervals_are_no_clear_change():
    s = indicator_sentence(r(33.0, 28.0, 38.0), r(31.7, 26.4, 37.5), None, D)
    assert "no clear change" in s and "improvement" not in s and "worsening" not in s


def test_unchanged():
    assert "unchanged on a year earlier" in indicator_sentence(r(31.7, 26, 37), None, r(31.7, 26, 37), D)


def test_target_and_benchmarks_and_rank():
    s = indicator_sentence(r(31.7, 26.4, 37.5, rag="Green", rank=2, rank_of=7,
                             benchmarks=[BenchmarkComparison("National", 38.2, -6.5),
                                         BenchmarkComparison("Regional", 30.0, 1.7)]), None, None, D)
    assert "meets the local target" in s and "below National (38.2%)" in s and "above Regional (30.0%)" in s
    assert "ranks 2 of 7" in s
    s = indicator_sentence(r(45.0, 40, 50, rag="Red"), None, None, D)
    assert "misses the local target" in s


def test_no_benchmark_says_nothing_about_one():
    s = indicator_sentence(r(31.7, 26.4, 37.5), None, None, D)
    assert "National" not in s and "ranks" not in s


def test_small_denominator_and_wide_interval_caution():
    s = indicator_sentence(r(50.0, 15.0, 85.0, num=3, den=6), None, None, D)
    assert "Caution" in s and "only 6 children" in s and "wide" in s


def test_incomplete_follow_up_and_no_value():
    assert "not yet complete" in indicator_sentence(r(20.0, 15, 25, incomplete=True), None, None, D)
    assert "no figure" in indicator_sentence(r(None, None, None, num=0, den=0), None, None, D)


def test_change_says_which_way_is_better_and_whether_it_is_clear():
    from yj_metrics.narrative import change

    worse = change(r(45.0, 40.0, 50.0), r(31.7, 26.4, 37.5), "lower")
    assert worse.difference > 0 and worse.better is False and worse.clear
    better = change(r(30.0, 26.0, 35.0), r(31.7, 26.4, 37.5), "lower")
    assert better.better is True and not better.clear  # the intervals overlap
    assert change(r(33.0, 28, 38), r(31.7, 26, 37), "none").better is None
    assert change(r(31.7, 26, 37), r(31.7, 26, 37), "lower") == change(r(31.7, 26, 37), r(31.7, 26, 37), "higher")
    assert change(r(None, None, None), r(31.7, 26, 37), "lower") is None and change(r(31.7, 26, 37), None, "lower") is None


def test_filtered_figures_leave_out_benchmarks_and_rank():
    s = indicator_sentence(r(31.7, 26.4, 37.5, rag="Green", rank=2, rank_of=7,
                             benchmarks=[BenchmarkComparison("National", 38.2, -6.5)]), None, None, D,
                           benchmarks=False)
    assert "meets the local target" in s and "National" not in s and "ranks" not in s


def _kpi(indicator, value, num, den, rag=None, note="", unit="%"):
    from yj_metrics.indicators import INDICATORS as ALL

    return IndicatorResult(indicator, ALL[indicator].label, dt.date(2024, 1, 1), dt.date(2024, 3, 31), None, None,
                           num, den, value, unit, None, None, rag, (), None, None, False, note)


def test_the_small_number_caution_counts_what_the_indicator_counts():
    from yj_metrics.indicators import INDICATORS as ALL

    # KPI 8: one meeting x five statutory sectors, three with a senior leader: sector places, not children
    s = indicator_sentence(_kpi("kpi8_board_attendance", 60.0, 3, 5), None, None, ALL["kpi8_board_attendance"])
    assert "based on only 5 sector places at board meetings" in s and "children" not in s
    s = indicator_sentence(_kpi("kpi10_victims", 50.0, 3, 6), None, None, ALL["kpi10_victims"])
    assert "based on only 6 victims" in s and "children" not in s
    s = indicator_sentence(_kpi("kpi9_serious_violence", 0.24, 2, 81920, unit="per 10,000"), None, None,
                           ALL["kpi9_serious_violence"])
    assert "based on only 2 serious violence offences" in s and "events" not in s
    s = indicator_sentence(_kpi("kpi2_ete", 50.0, 3, 6), None, None, ALL["kpi2_ete"])
    assert "based on only 6 children" in s


def test_a_hidden_figure_is_said_to_be_hidden_with_its_rag_and_target():
    from yj_metrics.indicators import INDICATORS as ALL
    from yj_metrics.settings import Target

    d = ALL["kpi2_ete"]
    target = Target("kpi2_ete", 70.0, 50.0, "higher")
    kept = indicator_sentence(_kpi("kpi2_ete", None, None, None, rag="Red", note="protected (<5)"), None, None, d,
                              target=target)
    assert "hidden" in kept and "misses the local target (Red)" in kept
    assert "green at 70.0% or more, red at 50.0% or less" in kept
    assert "nothing to count" not in kept and "no target" not in kept.lower() and "no figure" not in kept
    gone = indicator_sentence(_kpi("kpi2_ete", None, None, None, note="protected (<5)"), None, None, d, target=target)
    assert "hidden" in gone and "target" in gone and "meets" not in gone and "misses" not in gone
    bare = indicator_sentence(_kpi("kpi2_ete", None, None, None, note="protected (hidden)"), None, None, d)
    assert "RAG is hidden" in bare and "nothing to count" not in bare
    # a shown figure whose previous one is hidden says so, rather than leaving the change out silently
    s = indicator_sentence(_kpi("kpi2_ete", 60.0, 30, 50, rag="Amber"),
                           _kpi("kpi2_ete", None, None, None, note="protected (<5)"), None, d)
    assert "previous period is hidden" in s and "short of the local target" in s
