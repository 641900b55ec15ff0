"""95% intervals for the indicators: Wilson for proportions, exact (Garwood) Poisson for counts."""
from __future__ import annotations

import math

import numpy as np
from scipy import stats


def wilson_interval(k, n, level: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``k`` successes of ``n`` as proportions 0-1; NaNs when n is 0."""
    k, n = int(k), int(n)
    if n <= 0:
        return (math.nan, math.nan)
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
    return (float(ci.low), float(ci.high))


def wilson_intervals(k: np.ndarray, n: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised :func:`wilson_interval` (same formula scipy uses, NaN where n is 0)."""
    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    z = stats.norm.ppf(0.5 + level / 2)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = k / n
        denom = 1 + z * z / n
        centre = (p + z * z / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
        low, high = np.clip(centre - half, 0, 1), np.clip(centre + half, 0, 1)
    low = np.where(n > 0, low, np.nan)
    high = np.where(n > 0, high, np.nan)
    return low, high


def poisson_interval(k, level: float = 0.95) -> tuple[float, float]:
    """Exact (Garwood) interval for an observed count ``k``."""
    lo, hi = poisson_intervals(np.array([k]), level)
    return (float(lo[0]), float(hi[0]))


def poisson_intervals(k: np.ndarray, level: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Vectorised exact Poisson interval: chi-square quantiles, lower bound 0 when k is 0."""
    k = np.asarray(k, dtype="float64")
    alpha = 1 - level
    with np.errstate(invalid="ignore"):
        low = np.where(k > 0, stats.chi2.ppf(alpha / 2, 2 * k) / 2, 0.0)
        high = stats.chi2.ppf(1 - alpha / 2, 2 * (k + 1)) / 2
    return low, high


def rate_interval(k, base, per: float, level: float = 0.95) -> tuple[float, float]:
    """Exact Poisson interval for ``k`` events as a rate per ``per`` of ``base``."""
    if not base or base != base:
        return (math.nan, math.nan)
    lo, hi = poisson_interval(k, level)
    return (lo / base * per, hi / base * per)
