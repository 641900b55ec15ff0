import datetime as dt

import pandas as pd
import pytest

from yj_metrics import periods as p


@pytest.mark.parametrize("fy,q,start,end,label", [
    (2023, 1, dt.date(2023, 4, 1), dt.date(2023, 6, 30), "2023-24 Q1"),
    (2023, 3, dt.date(2023, 10, 1), dt.date(2023, 12, 31), "2023-24 Q3"),
    (2023, 4, dt.date(2024, 1, 1), dt.date(2024, 3, 31), "2023-24 Q4"),
    (1999, 4, dt.date(2000, 1, 1), dt.date(2000, 3, 31), "1999-00 Q4"),
])
def test_quarter_dates_and_labels(fy, q, start, end, label):
    per = p.quarter(fy, q)
    assert (per.start, per.end, per.label) == (start, end, label)
    assert p.parse_quarter(label.replace(" ", "")) == per
    assert p.quarter_of(start) == per and p.quarter_of(end) == per


@pytest.mark.parametrize("text", ["2023-25Q1", "2023 Q5", "Q4 2023", ""])
def test_parse_quarter_rejects_with_a_message(text):
    with pytest.raises(ValueError, match="2023-24Q4|consecutive|1-4"):
        p.parse_quarter(text)


def test_previous_and_year_earlier():
    q = p.quarter(2023, 1)
    assert q.previous() == p.quarter(2022, 4)
    assert q.year_earlier() == p.quarter(2022, 1)
    fy = p.financial_year(2023)
    assert (fy.start, fy.end, fy.label) == (dt.date(2023, 4, 1), dt.date(2024, 3, 31), "2023-24")
    assert fy.previous() == p.financial_year(2022)
    r = p.rolling_year(dt.date(2024, 3, 31))
    assert r.start == dt.date(2023, 4, 1) and r.label == "12 months to 31 Mar 2024"
    assert r.previous().end == dt.date(2023, 3, 31)


def test_last_quarters_and_rolling_years_are_oldest_first():
    qs = p.last_quarters(p.quarter(2023, 4), 5)
    assert [x.label for x in qs] == ["2022-23 Q4", "2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4"]
    ry = p.rolling_years(p.quarter(2023, 4), 2)
    assert [x.end for x in ry] == [dt.date(2023, 12, 31), dt.date(2024, 3, 31)]


def test_latest_complete_quarter():
    assert p.latest_complete_quarter(dt.date(2024, 3, 31)) == p.quarter(2023, 4)
    assert p.latest_complete_quarter(dt.date(2024, 3, 30)) == p.quarter(2023, 3)


def test_contains_is_inclusive_and_ignores_missing():
    q = p.quarter(2023, 1)
    s = pd.Series(pd.to_datetime(["2023-03-31", "2023-04-01", "2023-06-30", "2023-07-01", None]))
    assert q.contains(s).tolist() == [False, True, True, False, False]


def test_fmt_date_uk():
    assert p.fmt_date(dt.date(2024, 3, 31)) == "31 Mar 2024"
    assert p.fmt_date(None) == ""


def test_working_days_skip_weekends_and_bank_holidays():
    # Thu 28 Mar 2024 + 1 working day: Good Friday 29 Mar and Easter Monday 1 Apr are bank holidays
    assert p.add_working_days(dt.date(2024, 3, 28), 1) == dt.date(2024, 4, 2)
    # Mon 4 Dec 2023 + 20 working days: 25, 26 Dec and 1 Jan are bank holidays
    # (5-8, 11-15, 18-22, 27-29 Dec = 17; 2, 3, 4 Jan = 20)
    assert p.add_working_days(dt.date(2023, 12, 4), 20) == dt.date(2024, 1, 4)
    s = pd.Series(pd.to_datetime(["2024-03-28", None]))
    out = p.add_working_days(s, 1)
    assert out.iloc[0] == pd.Timestamp("2024-04-02") and pd.isna(out.iloc[1])
    n = p.working_days_between(pd.Series(pd.to_datetime(["2023-12-04"])), pd.Series(pd.to_datetime(["2024-01-04"])))
    assert n.iloc[0] == 20


def test_reporting_quarter_counts_the_last_fortnight_as_complete():
    assert p.reporting_quarter(dt.date(2024, 3, 18)) == p.quarter(2023, 4)
    assert p.reporting_quarter(dt.date(2024, 3, 16)) == p.quarter(2023, 3)


def test_add_months_is_calendar_months():
    s = pd.Series(pd.to_datetime(["2023-01-31", "2023-03-15", None, "2024-02-29"]))
    out = p.add_months(s, 12)
    expected = [pd.Timestamp(x) + pd.DateOffset(months=12) if x is not None else None
                for x in ["2023-01-31", "2023-03-15", None, "2024-02-29"]]
    assert out.iloc[0] == expected[0] and out.iloc[1] == expected[1] and pd.isna(out.iloc[2])
    assert out.iloc[3] == pd.Timestamp("2025-02-28")
    assert p.add_months(s, 1).iloc[0] == pd.Timestamp("2023-02-28")
    assert p.add_months(s, 18).iloc[1] == pd.Timestamp("2024-09-15")


def test_quarter_labels_and_quarters_in_a_rolling_year():
    """31 Mar 2024 is in 2023-24 Q4 and 1 Apr 2024 in 2024-25 Q1; the rolling year to
    15 Feb 2024 touches five quarters (2022-23 Q4 to 2023-24 Q4)."""
    import datetime as dt

    import pandas as pd

    from yj_metrics.periods import quarter_labels, quarters_in, rolling_year

    labels = quarter_labels(pd.Series(pd.to_datetime(["2024-03-31", "2024-04-01", None, "2023-12-01"])))
    assert labels.tolist() == ["2023-24 Q4", "2024-25 Q1", None, "2023-24 Q3"]
    assert [q.label for q in quarters_in(rolling_year(dt.date(2024, 2, 15)))] == [
        "2022-23 Q4", "2023-24 Q1", "2023-24 Q2", "2023-24 Q3", "2023-24 Q4"]


COVERS = (dt.date(2021, 4, 3), dt.date(2024, 3, 28))


@pytest.mark.parametrize("start, end, want, says", [
    (dt.date(2022, 1, 1), dt.date(2022, 3, 31), (dt.date(2022, 1, 1), dt.date(2022, 3, 31)), []),
    (dt.date(2022, 3, 31), dt.date(2022, 1, 1), (dt.date(2022, 1, 1), dt.date(2022, 3, 31)), ["swapped"]),
    # the link that cost 49 s a request: centuries of quarters become the data's own span
    (dt.date(1678, 1, 1), dt.date(2262, 4, 1), COVERS, ["narrowed"]),
    (dt.date(1, 1, 1), dt.date(9999, 12, 31), COVERS, ["narrowed"]),
    (dt.date(2262, 4, 1), dt.date(1678, 1, 1), COVERS, ["swapped", "narrowed"]),
    (dt.date(2022, 6, 1), dt.date(2030, 1, 1), (dt.date(2022, 6, 1), COVERS[1]), ["narrowed"]),
    (dt.date(1990, 1, 1), dt.date(1995, 1, 1), COVERS, ["outside the data"]),
])
def test_custom_periods_stay_inside_the_data_and_in_order(start, end, want, says):
    period, notes = p.bounded_custom(start, end, COVERS)
    assert (period.start, period.end) == want and period.kind == "custom"
    assert len(notes) == len(says) and all(word in note for word, note in zip(says, notes))
    assert all("3 Apr 2021" in n and "28 Mar 2024" in n for n in notes if "swapped" not in n)


@pytest.mark.parametrize("period,whole", [
    (p.quarter(2023, 1), True),
    (p.financial_year(2023), True),
    (p.rolling_year(dt.date(2024, 3, 31)), True),  # 1 Apr 2023 - 31 Mar 2024
    (p.rolling_year(dt.date(2024, 6, 30)), True),  # 1 Jul 2023 - 30 Jun 2024
    (p.rolling_year(dt.date(2024, 8, 17)), False),  # ends mid-quarter
    (p.custom(dt.date(2024, 4, 1), dt.date(2024, 4, 30)), False),  # a month
    (p.custom(dt.date(2024, 4, 2), dt.date(2024, 6, 30)), False),  # starts a day late
    (p.custom(dt.date(2024, 1, 1), dt.date(2024, 9, 30)), True),  # three whole quarters across a year end
])
def test_whole_quarters(period, whole):
    assert p.whole_quarters(period) is whole
