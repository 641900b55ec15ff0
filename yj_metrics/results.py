"""Result types shared by the metrics engine, the pages and the board pack."""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class IndicatorDefinition:
    """What an indicator is: id (part of the interface), label, unit and which way is better."""

    id: str
    label: str
    unit: str  # "%", "per 100,000", "per 1,000", "per 10,000", "count", "per child", "nights", "£"
    direction: str = "lower"  # "lower" or "higher" is better; "none" for context counts
    headline: bool = False  # shown on the board scorecard
    description: str = ""


@dataclass(frozen=True)
class BenchmarkComparison:
    """A comparator's value for the same indicator and period, and our difference from it."""

    comparator: str  # National, Regional, Family, or a named service
    value: float
    difference: float  # our value minus the comparator's


@dataclass(frozen=True)
class IndicatorResult:
    """One indicator for one period and (optionally) one group of a breakdown.

    ``value`` is a percentage (0-100) for shares and per ``unit`` for rates; ``None``
    when the denominator is zero. ``ci_low``/``ci_high`` are the 95% interval (Wilson
    for proportions, exact Poisson for rates and counts) where it applies.
    """

    indicator: str
    label: str
    start: dt.date
    end: dt.date
    by: str | None
    group: str | None
    numerator: float | None
    denominator: float | None
    value: float | None
    unit: str
    ci_low: float | None = None
    ci_high: float | None = None
    rag: str | None = None  # Green | Amber | Red
    benchmarks: tuple[BenchmarkComparison, ...] = ()
    rank: int | None = None  # 1 = best among the family group, when members' values are given
    rank_of: int | None = None
    incomplete: bool = False  # reoffending follow-up window not yet complete in the data
    note: str = ""

    def to_dict(self) -> dict:
        """JSON-ready dict (dates ISO, NaN as None, benchmarks as a list of dicts)."""
        d = asdict(self)
        d["start"], d["end"] = self.start.isoformat(), self.end.isoformat()
        d["benchmarks"] = [asdict(b) for b in self.benchmarks]
        for k, v in list(d.items()):
            if isinstance(v, float) and math.isnan(v):
                d[k] = None
        return d
