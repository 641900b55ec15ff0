"""National indicators and local tables, against the figures the source plans publish."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from tests.builders import Service
from yj_metrics import indicators
from yj_metrics.periods import custom, financial_year, quarter

JAN_DEC_2022 = custom(dt.date(2022, 1, 1), dt.date(2022, 12, 31))
APR22_MAR23 = custom(dt.date(2022, 4, 1), dt.date(2023, 3, 31))


def _one(results, indicator, group=None):
    found = [r for r in results if r.indicator == indicator and r.group == group]
    assert len(found) == 1, (indicator, group, found)
    return found[0]


# ---------------------------------------------------------------- Portsmouth FTE and custody

def portsmouth() -> Service:
    s = Service()
    s.population_total(17_900, 2022)
    for i in range(41):  # 41 first-time entrants in Jan-Dec 2022
        c = s.child(dob="2007-03-01")
        s.outcome(c, dt.date(2022, 1, 10) + dt.timedelta(days=8 * i),
                  "Youth Caution" if i % 3 else "Referral Order")
    # not first-time entrants:
    c = s.child(dob="2007-03-01")  # first substantive outcome in 2021
    s.outcome(c, "2021-11-01")
    s.outcome(c, "2022-05-01", "Referral Order")
    s.outcome(s.child(dob="2007-03-01", prior=True), "2022-06-01")  # a caution before the data began
    s.outcome(s.child(dob="2007-03-01", resident=False), "2022-06-01")  # lives out of area
    s.outcome(s.child(dob="2007-03-01"), "2022-06-01", "Community Resolution")  # diversion is not substantive
    s.outcome(s.child(dob="2007-03-01"), "2022-06-01", "Referral Order", overturned=True)  # appeal
    s.outcome(s.child(dob="2013-01-01"), "2022-06-01")  # aged 9
    # custody Apr 22 - Mar 23: three new sentences
    # (children sentenced to custody already had convictions before the data began: not FTEs)
    for d in ("2022-05-03", "2022-09-14", "2023-02-20"):
        s.outcome(s.child(dob="2006-01-01", prior=True), d, "Detention and Training Order", gravity=6)
    c = s.child(dob="2006-01-01", prior=True)
    s.outcome(c, "2022-12-01", "Detention and Training Order", gravity=6)
    s.outcome(c, "2022-12-01", "Detention and Training Order", gravity=6)  # same type, same day: once
    s.outcome(s.child(dob="2006-01-01", prior=True), "2022-12-01", "Section 250", overturned=True)  # appealed
    s.outcome(s.child(dob="2006-01-01", prior=True, resident=False), "2022-12-01", "Section 250")  # out of area
    s.remands.append({"remand_id": "R1", "child_id": c, "remand_type": "Young offender institution",
                      "start_date": pd.Timestamp("2022-10-01"), "end_date": pd.Timestamp("2022-11-30")})
    return s


def test_portsmouth_fte_41_is_229_per_100000():
    res = indicators.compute(portsmouth().build(), JAN_DEC_2022, ["fte_count", "fte_rate"])
    assert _one(res, "fte_count").value == 41
    rate = _one(res, "fte_rate")
    assert (rate.numerator, rate.denominator) == (41, 17_900)
    assert round(rate.value) == 229  # Portsmouth plan, Jan 22 - Dec 22
    assert rate.ci_low < rate.value < rate.ci_high and rate.unit == "per 100,000"


def test_portsmouth_custody_3_is_017_per_1000():
    res = indicators.compute(portsmouth().build(), APR22_MAR23, ["custody_count", "custody_rate"])
    # three sentences + one child sentenced twice to the same order on one day (counted once);
    # the appealed sentence, the out-of-area child and the remand do not count
    assert _one(res, "custody_count").value == 4
    only_three = portsmouth()
    only_three.outcomes = [o for o in only_three.outcomes if o["outcome_date"] != pd.Timestamp("2022-12-01")]
    rate = _one(indicators.compute(only_three.build(), APR22_MAR23, ["custody_rate"]), "custody_rate")
    assert rate.numerator == 3 and round(rate.value, 2) == 0.17  # Portsmouth plan, Apr 22 - Mar 23


def test_fte_rate_by_group_uses_each_group_population():
    s = Service()
    s.population.extend([{"locality": "North", "gender": g, "ethnicity": "White", "age": 14, "population": p,
                          "year": 2022} for g, p in (("Male", 1000), ("Female", 4000))])
    for _ in range(3):
        s.outcome(s.child(gender="Male"), "2022-03-01")
    s.outcome(s.child(gender="Female"), "2022-03-01")
    res = indicators.compute(s.build(), JAN_DEC_2022, ["fte_rate"], by="gender")
    assert _one(res, "fte_rate", "Male").value == pytest.approx(300.0)
    assert _one(res, "fte_rate", "Female").value == pytest.approx(25.0)
    other = _one(res, "fte_rate", "Other")
    assert other.numerator == 0 and other.value is None  # no population for the group: no rate


# ---------------------------------------------------------------- reoffending

def reoffending_cohort(cohort: int, reoffences_per_reoffender: list[int], start="2017-04-01") -> Service:
    """``cohort`` children cautioned in the year from ``start``; reoffenders get the listed counts."""
    s = Service()
    base = pd.Timestamp(start)
    for i in range(cohort):
        c = s.child(dob="2003-06-01")
        index = base + pd.Timedelta(days=i % 360)
        s.outcome(c, index, "Youth Caution")
        if i < len(reoffences_per_reoffender):
            for j in range(reoffences_per_reoffender[i]):
                off = index + pd.Timedelta(days=20 + 30 * j)
                s.outcome(c, off + pd.Timedelta(days=40), "Referral Order", offence_date=off)
        elif i == len(reoffences_per_reoffender):  # distractors for the first non-reoffender
            s.outcome(c, index + pd.Timedelta(days=420), "Referral Order",
                      offence_date=index + pd.Timedelta(days=400))  # committed after 12 months
            s.outcome(c, index + pd.Timedelta(days=600), "Referral Order",
                      offence_date=index + pd.Timedelta(days=300))  # proven after 18 months
            s.outcome(c, index + pd.Timedelta(days=100), "Community Resolution",
                      offence_date=index + pd.Timedelta(days=90))  # not a substantive outcome
    return s


def test_northamptonshire_reoffending_row_265_84_258():
    counts = [3] * 78 + [4] * 6  # 84 reoffenders, 258 reoffences
    ds = reoffending_cohort(265, counts).build()
    res = indicators.compute(ds, financial_year(2017), ["reoffending_rate", "reoffences_per_reoffender",
                                                        "reoffences_per_child"])
    rate = _one(res, "reoffending_rate")
    assert (rate.numerator, rate.denominator) == (84, 265) and round(rate.value, 1) == 31.7
    assert round(_one(res, "reoffences_per_reoffender").value, 2) == 3.07
    assert round(_one(res, "reoffences_per_child").value, 2) == 0.97


def test_southampton_live_tracker_135_29_72_and_prolific_share():
    counts = [5, 5, 6, 6] + [2] * 25  # 4 prolific children with 22 reoffences; 29 reoffenders, 72 reoffences
    ds = reoffending_cohort(135, counts, start="2019-04-01").build()
    res = indicators.compute(ds, financial_year(2019), ["reoffending_rate", "reoffending_prolific_share"])
    rate = _one(res, "reoffending_rate")
    assert (rate.numerator, rate.denominator) == (29, 135) and round(rate.value, 2) == 21.48
    prolific = _one(res, "reoffending_prolific_share")
    assert (prolific.numerator, prolific.denominator) == (22, 72) and round(prolific.value, 1) == 30.6


def test_release_from_custody_indexes_the_cohort_and_follow_up_is_flagged():
    s = Service()
    c = s.child(dob="2006-01-01", prior=True)
    s.order(c, "Detention and Training Order", "2022-01-01", "2022-06-30")  # released in the period
    s.outcome(c, "2022-09-01", "Youth Rehabilitation Order", offence_date="2022-08-01")
    ds = s.build()
    res = indicators.compute(ds, financial_year(2022), ["reoffending_rate"])
    r = _one(res, "reoffending_rate")
    assert (r.numerator, r.denominator) == (1, 1)
    assert r.incomplete  # data end 1 Sep 2022, before 18 months after the release


# ---------------------------------------------------------------- Southampton disposals table 9

SOUTHAMPTON_T9 = {
    # year: [(type, disposals, children, share)]
    2019: [("Community Resolution", 132, 119, 46.5), ("Youth Caution", 66, 48, 23.2), ("Referral Order", 38, 34, 13.4),
           ("Youth Rehabilitation Order", 40, 23, 14.1), ("Detention and Training Order", 8, 8, 2.8)],
    2020: [("Community Resolution", 30, 29, 22.1), ("Youth Conditional Caution", 55, 49, 40.4),
           ("Referral Order", 34, 28, 25.0), ("Youth Rehabilitation Order", 14, 12, 10.3),
           ("Detention and Training Order", 3, 3, 2.2)],
}
TABLE_GROUP = {"Community Resolution": "Community resolutions and diversion",
               "Youth Caution": "Youth cautions and conditional cautions",
               "Youth Conditional Caution": "Youth cautions and conditional cautions",
               "Referral Order": "Referral and reparation orders",
               "Youth Rehabilitation Order": "Youth rehabilitation orders",
               "Detention and Training Order": "Custodial sentences"}


@pytest.mark.parametrize("year", [2019, 2020])
def test_southampton_disposals_table(year):
    s = Service()
    start = pd.Timestamp(f"{year}-04-02")
    for otype, disposals, children, _ in SOUTHAMPTON_T9[year]:
        kids = [s.child(dob="2004-09-01") for _ in range(children)]
        for i in range(disposals):
            s.outcome(kids[i % children], start + pd.Timedelta(days=(i * 7) % 350), otype, gravity=6)
    table = indicators.disposal_table(s.build(), financial_year(year)).set_index("disposal_type")
    for otype, disposals, children, share in SOUTHAMPTON_T9[year]:
        row = table.loc[TABLE_GROUP[otype]]
        assert (row["disposals"], row["children"], row["share_pct"]) == (disposals, children, share)
    total = table.loc["Total"]
    assert total["disposals"] == sum(x[1] for x in SOUTHAMPTON_T9[year])
    assert total["children"] == sum(x[2] for x in SOUTHAMPTON_T9[year])


# ---------------------------------------------------------------- local measures

def test_referral_order_panel_timeliness_skips_bank_holidays():
    s = Service()
    c1, c2 = s.child(), s.child()
    o1 = s.outcome(c1, "2023-12-04", "Referral Order")
    o2 = s.outcome(c2, "2023-12-04", "Referral Order")
    s.order(c1, "Referral Order", "2023-12-04", outcome_id=o1, panel_date=pd.Timestamp("2024-01-04"))  # 20th working day
    s.order(c2, "Referral Order", "2023-12-04", outcome_id=o2, panel_date=pd.Timestamp("2024-01-05"))  # 21st
    r = _one(indicators.compute(s.build(), quarter(2023, 3), ["ro_panel_timeliness"]), "ro_panel_timeliness")
    assert (r.numerator, r.denominator, r.value) == (1, 2, 50.0)


def test_a_referral_order_without_any_panel_recorded_counts_as_late():
    """No referral order in the data has a panel (as in one locality's children when the only panel is in
    the other): each order made counts, none met within 20 working days, and nothing fails (pandas' map
    with an empty mapper of dates did)."""
    s = Service()
    c1, c2 = s.child(), s.child()
    s.outcome(c1, "2023-12-04", "Referral Order")
    s.outcome(c2, "2023-12-05", "Referral Order")
    r = _one(indicators.compute(s.build(), quarter(2023, 3), ["ro_panel_timeliness"]), "ro_panel_timeliness")
    assert (r.numerator, r.denominator) == (0, 2)


def test_remand_nights_and_cost_use_the_rates():
    from yj_metrics.settings import Settings

    s = Service()
    c = s.child()
    s.remands += [{"remand_id": "R1", "child_id": c, "remand_type": "Secure children's home",
                   "start_date": pd.Timestamp("2023-03-30"), "end_date": pd.Timestamp("2023-04-05")},
                  {"remand_id": "R2", "child_id": c, "remand_type": "Young offender institution",
                   "start_date": pd.Timestamp("2023-05-01"), "end_date": pd.Timestamp("2023-05-11")}]
    t = indicators.remand_table(s.build(), quarter(2023, 1), Settings()).set_index("remand_type")
    # nights inside 1 Apr - 30 Jun: 1 Apr to 5 Apr = 4 nights; 1 May to 11 May = 10 nights
    assert t.loc["Secure children's home", "nights"] == 4 and t.loc["Young offender institution", "nights"] == 10
    assert t["cost"].sum() == 4 * 762 + 10 * 321


def test_caseload_open_on_the_period_end_by_team():
    s = Service()
    c = s.child()
    s.order(c, "Referral Order", "2023-04-01", None, team="North", case_worker="W1")
    s.order(c, "Youth Rehabilitation Order", "2023-05-01", "2023-06-30", team="Court", case_worker="W2")
    s.order(c, "Youth Caution", "2023-04-01", "2023-06-29", team="Out of court", case_worker="W1")  # closed before
    res = indicators.compute(s.build(), quarter(2023, 1), ["caseload_open", "caseload_per_worker"], by="team")
    assert _one(res, "caseload_open", "North").value == 1 and _one(res, "caseload_open", "Court").value == 1
    overall = indicators.compute(s.build(), quarter(2023, 1), ["caseload_open", "caseload_per_worker"])
    assert _one(overall, "caseload_open").value == 2 and _one(overall, "caseload_per_worker").value == 1.0


def test_every_indicator_and_breakdown_runs_on_the_demo(demo_dataset):
    from yj_metrics.periods import reporting_quarter

    q = reporting_quarter(demo_dataset.covers[1])
    overall = indicators.compute(demo_dataset, q)
    assert {r.indicator for r in overall} >= set(indicators.INDICATORS)
    for by in indicators.all_breakdowns():
        res = indicators.compute(demo_dataset, q, by=by)
        for r in res:
            assert r.by == by
            if r.value is not None and r.unit == "%":
                assert 0 <= r.value <= 100


def test_unknown_breakdown_is_a_clear_error(demo_dataset):
    with pytest.raises(ValueError, match="not a breakdown"):
        indicators.compute(demo_dataset, quarter(2023, 1), by="postcode")


def test_the_scorecards_reoffending_cohort_has_its_follow_up_complete(demo_dataset):
    """Data ending in the quarter's last fortnight cover the quarter (reporting_quarter), so the
    cohort the scorecard reads is final, as its reporting period promises."""
    from yj_metrics.periods import reporting_quarter

    last = demo_dataset.covers[1]
    q = reporting_quarter(last)
    assert last < q.end  # the demo's data end a few days before the quarter does
    r = indicators.scorecard(demo_dataset, q, indicators=["reoffending_rate"])[0]
    assert not r.incomplete and "not yet complete" not in r.note


def test_each_cohort_indexes_a_child_at_their_first_event_in_that_cohorts_period():
    """The index events are built once for every period: a cohort still takes the child's first event in
    its own period, and counts the reoffences after that date (worked out by hand below)."""
    s = Service()
    c = s.child(dob="2006-01-01")
    s.outcome(c, "2021-05-01", "Youth Caution", offence_date="2021-04-20")  # FY2021 index
    s.outcome(c, "2022-02-01", "Referral Order", offence_date="2022-01-10")  # reoffence for 2021; Jan-Dec 2022 index
    s.outcome(c, "2022-06-01", "Youth Caution", offence_date="2022-05-20")  # FY2022 index
    s.outcome(c, "2022-12-01", "Referral Order", offence_date="2022-11-01")
    s.outcome(s.child(dob="2006-01-01"), "2024-06-30", "Youth Caution")  # the data reach mid-2024
    ds = s.build()
    expected = {
        # 1 May 2021: only the January 2022 offence is within 12 months (20 May 2022 is past 1 May 2022)
        financial_year(2021): ("2021-05-01", 1),
        # 1 Feb 2022: the offences of 20 May and 1 Nov 2022 follow within 12 months, proven within 18
        JAN_DEC_2022: ("2022-02-01", 2),
        # 1 Jun 2022: the offence of 1 Nov 2022 follows
        financial_year(2022): ("2022-06-01", 1),
    }
    for period, (index_date, reoffences) in expected.items():
        cohort = indicators.reoffending_cohort(ds, period).set_index("child_id")
        assert cohort.loc[c, "index_date"] == pd.Timestamp(index_date), period.label
        assert cohort.loc[c, "reoffences"] == reoffences, period.label
        assert bool(cohort.loc[c, "reoffender"]) and bool(cohort.loc[c, "follow_up_complete"])
