"""Small-number protection: nothing hidden can be recovered from a total shown beside it."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from yj_metrics import suppression as sp
from yj_metrics.results import IndicatorResult


def _recoverable(values: np.ndarray, mask: np.ndarray) -> list[str]:
    """Every row or column where exactly one cell is hidden: total minus the rest reveals it."""
    bad = []
    for i in range(values.shape[0]):
        if mask[i].sum() == 1:
            bad.append(f"row {i}")
    for j in range(values.shape[1]):
        if mask[:, j].sum() == 1:
            bad.append(f"column {j}")
    return bad


@pytest.mark.parametrize("seed", range(200))
def test_random_tables_never_leave_a_lone_hidden_cell(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 7, size=2))
    values = rng.choice([0, 1, 2, 3, 4, 5, 6, 9, 15, 40], size=shape)
    mask = sp.suppression_mask(values, 4)
    assert mask[(values >= 1) & (values <= 4)].all()  # every small count is hidden
    lone = _recoverable(values, mask)
    # a lone hidden cell may remain only where its line has no other cell at all
    for where in lone:
        kind, idx = where.split()
        line = values[int(idx)] if kind == "row" else values[:, int(idx)]
        assert len(line) == 1, (where, values, mask)


def test_zero_is_shown_and_marker_follows_the_threshold():
    display, mask = sp.suppress_counts(pd.DataFrame({"a": [0, 3, 12, 30]}), ["a"], threshold=4)
    assert display["a"].tolist()[0] == 0 and display["a"].tolist()[1] == "<5"
    assert display["a"].tolist()[2] == "<5"  # secondary: the column total would reveal the 3
    assert display["a"].tolist()[3] == 30
    assert sp.marker(9) == "<10"


def test_derived_columns_are_hidden_with_their_counts():
    df = pd.DataFrame({"group": ["A", "B", "C"], "events": [2, 50, 60], "base": [100, 400, 300],
                       "rate": [2.0, 12.5, 20.0]})
    out = sp.suppress_table(df, ["events", "base"], {"rate": ["events", "base"]})
    # the 2 is hidden, and the 50 with it so the events total cannot reveal it
    assert out["events"].tolist() == ["<5", "<5", 60]
    assert out["rate"].tolist() == ["<5", "<5", 20.0]
    assert out["base"].tolist() == [100, 400, 300]


def test_tables_that_add_up_along_rows_are_protected_both_ways():
    df = pd.DataFrame({"Education": [10, 3, 20], "NEET": [12, 30, 25], "total": [22, 33, 45]})
    out = sp.suppress_table(df, ["Education", "NEET"], lines="both")
    hidden = out[["Education", "NEET"]].map(lambda v: v == "<5").to_numpy()
    assert hidden[1, 0] and hidden.sum(axis=1)[1] >= 2 and hidden.sum(axis=0)[0] >= 2


def _r(group, num, den, by="ethnicity"):
    return IndicatorResult("kpi2_ete", "KPI 2", dt.date(2024, 1, 1), dt.date(2024, 3, 31), by, group, num, den,
                           None if not den else num / den * 100, "%")


def test_indicator_breakdowns_get_secondary_suppression():
    results = [_r("White", 40, 60), _r("Black", 2, 6), _r("Mixed", 8, 12), _r("Asian", 9, 20)]
    out = {r.group: r for r in sp.suppress_results(results)}
    assert out["Black"].value is None and "suppressed" in out["Black"].note
    hidden = [g for g, r in out.items() if r.numerator is None]
    assert len(hidden) >= 2  # the overall total minus the shown groups no longer reveals Black
    assert out["White"].value == pytest.approx(40 / 60 * 100)


def test_overall_result_with_small_denominator_is_hidden():
    r = sp.suppress_results([_r(None, 1, 3, by=None)])[0]
    assert (r.numerator, r.denominator, r.value, r.ci_low) == (None, None, None, None)
