import math

import numpy as np
import pytest
from scipy import stats as ss

from yj_metrics import stats


@pytest.mark.parametrize("k,n", [(0, 10), (3, 10), (84, 265), (10, 10), (1, 1)])
def test_wilson_matches_the_textbook_formula(k, n):
    z = ss.norm.ppf(0.975)
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    lo, hi = stats.wilson_interval(k, n)
    assert lo == pytest.approx(max(0, centre - half), abs=1e-9)
    assert hi == pytest.approx(min(1, centre + half), abs=1e-9)
    vlo, vhi = stats.wilson_intervals(np.array([k]), np.array([n]))
    assert vlo[0] == pytest.approx(lo, abs=1e-9) and vhi[0] == pytest.approx(hi, abs=1e-9)


def test_wilson_zero_denominator_is_nan():
    assert all(math.isnan(x) for x in stats.wilson_interval(0, 0))


@pytest.mark.parametrize("k,low,high", [(0, 0.0, 3.689), (1, 0.0253, 5.572), (41, 29.42, 55.62)])
def test_exact_poisson_against_published_table(k, low, high):
    lo, hi = stats.poisson_interval(k)
    assert lo == pytest.approx(low, abs=5e-3) and hi == pytest.approx(high, abs=2e-2)


def test_rate_interval_scales_counts():
    lo, hi = stats.rate_interval(41, 17_900, 100_000)
    klo, khi = stats.poisson_interval(41)
    assert lo == pytest.approx(klo / 17_900 * 100_000)
    assert lo < 41 / 17_900 * 100_000 < hi
    assert all(math.isnan(x) for x in stats.rate_interval(3, 0, 1000))
