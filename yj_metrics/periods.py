"""Reporting periods: inclusive date ranges, financial-year quarters and rolling years.

The financial year runs 1 April to 31 March; Q1 is April-June, labelled ``2023-24 Q1``.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

import holidays
import numpy as np
import pandas as pd

_QUARTER_RE = re.compile(r"^\s*(\d{4})\s*[-/]\s*(\d{2}|\d{4})\s*Q\s*([1-4])\s*$", re.IGNORECASE)


def fmt_date(d) -> str:
    """UK display date: ``31 Mar 2024`` (empty text for a missing date)."""
    if d is None or (isinstance(d, float) and d != d) or d is pd.NaT:
        return ""
    d = pd.Timestamp(d)
    return f"{d.day} {d.strftime('%b %Y')}"


def _month_end(year: int, month: int) -> dt.date:
    return (pd.Timestamp(year=year, month=month, day=1) + pd.offsets.MonthEnd(0)).date()


def fy_start_year(d: dt.date) -> int:
    """The calendar year in which the financial year containing ``d`` starts."""
    return d.year if d.month >= 4 else d.year - 1


def fy_label(start_year: int) -> str:
    return f"{start_year}-{(start_year + 1) % 100:02d}"


@dataclass(frozen=True)
class Period:
    """An inclusive date range with a display label."""

    start: dt.date
    end: dt.date
    label: str = ""
    kind: str = "custom"  # quarter | financial_year | rolling_year | custom

    def __post_init__(self):
        if self.end < self.start:
            raise ValueError(f"Period ends ({fmt_date(self.end)}) before it starts ({fmt_date(self.start)}).")
        if not self.label:
            object.__setattr__(self, "label", f"{fmt_date(self.start)} to {fmt_date(self.end)}")

    def __str__(self) -> str:
        return self.label

    def ts(self) -> tuple[pd.Timestamp, pd.Timestamp]:
        return pd.Timestamp(self.start), pd.Timestamp(self.end)

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask: the date falls within the period (missing dates are outside)."""
        start, end = self.ts()
        return (dates >= start) & (dates <= end)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> "Period":
        """The period of the same kind immediately before this one."""
        if self.kind == "quarter":
            fy, q = _fy_q(self.start)
            return quarter(fy, q - 1) if q > 1 else quarter(fy - 1, 4)
        if self.kind == "financial_year":
            return financial_year(fy_start_year(self.start) - 1)
        if self.kind == "rolling_year":
            return rolling_year(self.start - dt.timedelta(days=1))
        return custom(self.start - dt.timedelta(days=self.days), self.start - dt.timedelta(days=1))

    def year_earlier(self) -> "Period":
        """The same period one year before."""
        if self.kind == "quarter":
            fy, q = _fy_q(self.start)
            return quarter(fy - 1, q)
        if self.kind == "financial_year":
            return financial_year(fy_start_year(self.start) - 1)
        if self.kind == "rolling_year":
            return rolling_year((pd.Timestamp(self.end) - pd.DateOffset(years=1)).date())
        s = (pd.Timestamp(self.start) - pd.DateOffset(years=1)).date()
        e = (pd.Timestamp(self.end) - pd.DateOffset(years=1)).date()
        return custom(s, e)


def _fy_q(d: dt.date) -> tuple[int, int]:
    fy = fy_start_year(d)
    q = ((d.month - 4) % 12) // 3 + 1
    return fy, q


def quarter(fy_start_year: int, q: int) -> Period:
    """Financial-year quarter: ``quarter(2023, 4)`` is 1 Jan-31 Mar 2024, ``2023-24 Q4``."""
    if q not in (1, 2, 3, 4):
        raise ValueError(f"Quarter must be 1-4, not {q}.")
    month = 4 + 3 * (q - 1)
    year = fy_start_year + (1 if month > 12 else 0)
    month = (month - 1) % 12 + 1
    start = dt.date(year, month, 1)
    end = _month_end(year, month + 2)
    return Period(start, end, f"{fy_label(fy_start_year)} Q{q}", "quarter")


def parse_quarter(text: str) -> Period:
    """``2023-24Q4``, ``2023-24 Q4`` or ``2023/24 Q4`` as a :class:`Period`."""
    m = _QUARTER_RE.match(str(text))
    if not m:
        raise ValueError(f"'{text}' is not a financial-year quarter; write it like 2023-24Q4.")
    start, end2, q = int(m.group(1)), m.group(2), int(m.group(3))
    if int(end2[-2:]) != (start + 1) % 100:
        raise ValueError(f"'{text}': the years must be consecutive, like 2023-24.")
    return quarter(start, q)


def financial_year(fy_start_year: int) -> Period:
    """1 April to 31 March, labelled ``2023-24``."""
    return Period(dt.date(fy_start_year, 4, 1), dt.date(fy_start_year + 1, 3, 31),
                  fy_label(fy_start_year), "financial_year")


def quarter_of(d: dt.date) -> Period:
    return quarter(*_fy_q(pd.Timestamp(d).date()))


def quarter_labels(dates: pd.Series) -> pd.Series:
    """The financial-year quarter of each date, as its label (``2023-24 Q1``), vectorised;
    missing dates give ``None``."""
    d = pd.to_datetime(dates)
    ok = d.notna()
    year, month = d.dt.year.fillna(2000).astype(int), d.dt.month.fillna(1).astype(int)
    fy = year - (month < 4).astype(int)
    q = ((month - 4) % 12) // 3 + 1
    label = fy.astype(str) + "-" + ((fy + 1) % 100).astype(str).str.zfill(2) + " Q" + q.astype(str)
    return label.astype("object").where(ok, None)


def quarters_in(period: Period) -> list[Period]:
    """The financial-year quarters that overlap ``period``, oldest first (each whole)."""
    q, out = quarter_of(period.start), []
    while q.start <= period.end:
        out.append(q)
        fy, n = _fy_q(q.start)
        q = quarter(fy, n + 1) if n < 4 else quarter(fy + 1, 1)
    return out


def rolling_year(end: dt.date) -> Period:
    """The 12 months ending on ``end`` (inclusive)."""
    end = pd.Timestamp(end).date()
    start = (pd.Timestamp(end) - pd.DateOffset(years=1) + pd.Timedelta(days=1)).date()
    return Period(start, end, f"12 months to {fmt_date(end)}", "rolling_year")


def custom(start: dt.date, end: dt.date) -> Period:
    return Period(pd.Timestamp(start).date(), pd.Timestamp(end).date(), "", "custom")


#: Every date a pandas date column can hold: a selection built once for it can be cut to any period where
#: the rule allows (:func:`yj_metrics.counting.cut_to`).
ALL_TIME = Period(dt.date(1678, 1, 1), dt.date(2262, 4, 11), "all time", "custom")


def whole_quarters(period: Period) -> bool:
    """The period is a run of whole financial-year quarters: a quarter, a financial year, or a rolling
    year to a quarter's end."""
    return period.start == quarter_of(period.start).start and period.end == quarter_of(period.end).end


def bounded_custom(start: dt.date, end: dt.date, covers: tuple[dt.date, dt.date]) -> tuple[Period, tuple[str, ...]]:
    """A custom period from dates that may come from a pasted link, kept inside the data's coverage.

    Reversed dates are swapped; dates outside ``covers`` (first and last date in the data) are
    moved to its edges, so no link can ask for centuries of quarters. Returns the period and
    one plain sentence per change made."""
    first, last = covers
    notes = []
    if start > end:
        start, end = end, start
        notes.append(f"The start date was after the end date, so the two were swapped: {fmt_date(start)} to "
                     f"{fmt_date(end)}.")
    if end < first or start > last:
        notes.append(f"The dates asked for are outside the data, which covers {fmt_date(first)} to "
                     f"{fmt_date(last)}: showing the whole of that instead.")
        start, end = first, last
    elif start < first or end > last:
        start, end = max(start, first), min(end, last)
        notes.append(f"The data covers {fmt_date(first)} to {fmt_date(last)}, so the period was narrowed to "
                     f"{fmt_date(start)} to {fmt_date(end)}.")
    return custom(start, end), tuple(notes)


def last_quarters(end: Period, n: int) -> list[Period]:
    """The ``n`` quarters ending with the one containing ``end.end``, oldest first."""
    q = quarter_of(end.end)
    out = [q]
    for _ in range(n - 1):
        out.append(out[-1].previous())
    return out[::-1]


def rolling_years(end: Period, n: int) -> list[Period]:
    """Rolling 12 months ending at each of the last ``n`` quarter ends, oldest first."""
    return [rolling_year(q.end) for q in last_quarters(end, n)]


def latest_complete_quarter(last_date: dt.date) -> Period:
    """The newest quarter that ends on or before ``last_date``."""
    q = quarter_of(last_date)
    return q if q.end <= pd.Timestamp(last_date).date() else q.previous()


def reporting_quarter(last_date: dt.date) -> Period:
    """The quarter a board reads by default: the newest complete one, counting a workbook
    whose data end in the last fortnight of a quarter as covering that quarter."""
    return latest_complete_quarter(pd.Timestamp(last_date).date() + dt.timedelta(days=14))


def add_months(dates: pd.Series, months: int) -> pd.Series:
    """Each date plus whole calendar months, vectorised (31 Jan + 1 month = 29 Feb or 28 Feb).

    Times of day are dropped (the result is midnight); a blank date stays blank."""
    if dates.empty:
        return dates.astype("datetime64[ns]")
    v = dates.to_numpy(dtype="datetime64[ns]")
    blank = np.isnat(v)
    v = np.where(blank, np.datetime64("2000-01-01", "ns"), v)
    month = v.astype("datetime64[M]")
    day0 = (v.astype("datetime64[D]") - month.astype("datetime64[D]")).astype("int64")  # day of month - 1
    target = month + np.timedelta64(months, "M")
    month_days = ((target + np.timedelta64(1, "M")).astype("datetime64[D]") - target.astype("datetime64[D]")).astype("int64")
    out = (target.astype("datetime64[D]") + np.minimum(day0, month_days - 1)).astype("datetime64[ns]")
    out[blank] = np.datetime64("NaT")
    return pd.Series(out, index=dates.index)


@lru_cache(maxsize=1)
def _bank_holidays() -> np.ndarray:
    days = holidays.country_holidays("GB", subdiv="ENG", years=range(1990, 2051))
    return np.array(sorted(days), dtype="datetime64[D]")


def add_working_days(d, n: int):
    """The date ``n`` working days after ``d`` (weekends and England and Wales bank holidays skipped).

    Accepts a date or a datetime64 Series (NaT stays NaT).
    """
    if isinstance(d, pd.Series):
        out = pd.Series(pd.NaT, index=d.index, dtype="datetime64[ns]")
        ok = d.notna()
        if ok.any():
            vals = d[ok].to_numpy().astype("datetime64[D]")
            shifted = np.busday_offset(vals, n, roll="forward", holidays=_bank_holidays())
            out[ok] = shifted.astype("datetime64[ns]")
        return out
    day = np.datetime64(pd.Timestamp(d).date(), "D")
    return pd.Timestamp(np.busday_offset(day, n, roll="forward", holidays=_bank_holidays())).date()


def working_days_between(start: pd.Series, end: pd.Series) -> pd.Series:
    """Working days from ``start`` (exclusive) to ``end`` (inclusive); NaN where either is missing."""
    out = pd.Series(np.nan, index=start.index, dtype="float64")
    ok = start.notna() & end.notna()
    if ok.any():
        s = start[ok].to_numpy().astype("datetime64[D]")
        e = end[ok].to_numpy().astype("datetime64[D]")
        out[ok] = np.busday_count(s + 1, e + 1, holidays=_bank_holidays())
    return out
