"""Benchmarks: a row names its indicator by id, label or the YJB's short KPI name, and is matched."""
from __future__ import annotations

import pandas as pd
import pytest

from yj_metrics import indicators
from yj_metrics.periods import reporting_quarter
from yj_metrics.targets import benchmarks_frame, indicator_id


@pytest.mark.parametrize("name,expected", [
    ("kpi1_accommodation", "kpi1_accommodation"), ("KPI 1", "kpi1_accommodation"), ("kpi10", "kpi10_victims"),
    ("KPI 2 Education, training and employment", "kpi2_ete"), ("First-time entrants", "fte_rate"),
    ("Somewhere else's measure", "Somewhere else's measure"),
])
def test_indicator_names(name, expected):
    assert indicator_id(name) == expected


@pytest.mark.parametrize("name", ["kpi1_accommodation", "KPI 1", "KPI 1 Suitable accommodation"])
def test_a_kpi_benchmark_row_reaches_the_kpi_result(name, demo_dataset):
    q = reporting_quarter(demo_dataset.covers[1])
    row = pd.DataFrame([(name, pd.Timestamp(q.start), pd.Timestamp(q.end), "National", 88.0)],
                       columns=demo_dataset.benchmarks.columns)
    ds = demo_dataset.with_frames(benchmarks=pd.concat([demo_dataset.benchmarks, row], ignore_index=True))
    r = next(r for r in indicators.compute(ds, q, ["kpi1_accommodation"], benchmarks=benchmarks_frame(ds))
             if r.indicator == "kpi1_accommodation")
    assert [(b.comparator, b.value) for b in r.benchmarks] == [("National", 88.0)]
