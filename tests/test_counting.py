"""Shared counting rules: the YJB once-per-child selection, school age, result builders."""

import pandas as pd
import pytest

from yj_metrics import counting
from yj_metrics.dataset import Dataset
from yj_metrics.periods import quarter

Q = quarter(2023, 1)  # 1 Apr - 30 Jun 2023


def _ds(children, interventions, outcomes=None):
    return Dataset.from_frames(children=pd.DataFrame(children), interventions=pd.DataFrame(interventions),
                               outcomes=pd.DataFrame(outcomes) if outcomes else None)


def _child(cid, dob="2007-05-01", **kw):
    return {"child_id": cid, "date_of_birth": pd.Timestamp(dob), "gender": "Male", "ethnicity": "White",
            "locality": "North", **kw}


def _iv(iid, cid, itype, start, end, oid=None, **kw):
    return {"intervention_id": iid, "child_id": cid, "outcome_id": oid, "intervention_type": itype,
            "start_date": pd.Timestamp(start), "end_date": pd.Timestamp(end) if end else None, **kw}


@pytest.mark.parametrize("dob,on,expected", [
    # turns 16 on 1 May 2024: school year 2023-24, last Friday of June 2024 is 28 Jun
    ("2008-05-01", "2024-06-27", True),
    ("2008-05-01", "2024-06-28", False),
    # turns 16 on 1 Sep 2024: school year 2024-25, last Friday of June 2025 is 27 Jun
    ("2008-09-01", "2024-06-28", True),
    ("2008-09-01", "2025-06-26", True),
    ("2008-09-01", "2025-06-27", False),
    # turns 16 on 31 Aug 2024: still school year 2023-24
    ("2008-08-31", "2024-07-01", False),
])
def test_school_age_boundary_is_the_last_friday_of_june(dob, on, expected):
    out = counting.is_school_age(pd.Series([pd.Timestamp(dob)]), pd.Series([pd.Timestamp(on)]))
    assert bool(out.iloc[0]) is expected


def test_orders_ending_keeps_the_most_serious_then_most_recent_order_per_child():
    ds = _ds(
        [_child("A"), _child("B"), _child("C", resident=False), _child("D", dob="2014-01-01")],
        [
            _iv("1", "A", "Referral Order", "2022-10-01", "2023-05-01"),
            _iv("2", "A", "Youth Rehabilitation Order", "2022-11-01", "2023-04-15"),  # more serious
            _iv("3", "B", "Youth Caution", "2023-01-01", "2023-04-10"),
            _iv("4", "B", "Youth Caution", "2023-02-01", "2023-06-10"),  # same tier, more recent
            _iv("5", "C", "Referral Order", "2023-01-01", "2023-05-01"),  # out of area
            _iv("6", "D", "Referral Order", "2023-01-01", "2023-05-01"),  # aged 9 at start
            _iv("7", "A", "Prevention", "2023-01-01", "2023-06-01"),  # prevention work is not an order
            _iv("8", "B", "Detention and Training Order", "2023-01-01", "2023-07-01"),  # ends after the quarter
        ],
    )
    got = counting.orders_ending(ds, Q).set_index("child_id")["intervention_id"].to_dict()
    assert got == {"A": "2", "B": "4"}


def test_orders_ending_ignores_orders_for_outcomes_overturned_on_appeal():
    ds = _ds([_child("A")],
             [_iv("1", "A", "Referral Order", "2023-01-01", "2023-05-01", oid="O1"),
              _iv("2", "A", "Youth Caution", "2023-01-01", "2023-05-02", oid="O2")],
             [{"outcome_id": "O1", "child_id": "A", "outcome_date": pd.Timestamp("2023-01-01"),
               "outcome_type": "Referral Order", "overturned_on_appeal": True},
              {"outcome_id": "O2", "child_id": "A", "outcome_date": pd.Timestamp("2023-01-01"),
               "outcome_type": "Youth Caution"}])
    assert counting.orders_ending(ds, Q)["intervention_id"].tolist() == ["2"]


def test_proportion_results_overall_and_by_group_keep_zero_denominators():
    frame = pd.DataFrame({"gender": ["Male", "Male", "Male", "Female"], "ok": [True, False, True, True]})
    overall = counting.proportion_results(frame, frame["ok"], "x", Q, None, label="X")
    assert len(overall) == 1
    r = overall[0]
    assert (r.numerator, r.denominator, r.value) == (3, 4, 75.0)
    assert r.ci_low < 75 < r.ci_high and r.unit == "%"
    by = {x.group: x for x in counting.proportion_results(frame, frame["ok"], "x", Q, "gender", label="X")}
    assert by["Male"].value == pytest.approx(200 / 3)
    assert by["Female"].value == 100.0
    assert by["Other"].denominator == 0 and by["Other"].value is None


def test_rate_results_per_population_group():
    frame = pd.DataFrame({"locality": ["North"] * 3 + ["West"]})
    res = counting.rate_results(frame, "x", Q, "locality", population=pd.Series({"North": 1000.0, "West": 500.0, "East": 10.0}),
                                per=1000, label="X")
    by = {r.group: r for r in res}
    assert by["North"].value == 3.0 and by["West"].value == 2.0 and by["East"].value == 0.0
    assert by["North"].unit == "per 1,000"
    overall = counting.rate_results(frame, "x", Q, None, population=None, per=1000, label="X")[0]
    assert overall.numerator == 4 and overall.value is None


# --------------------------------------------------------------------------- rule 1 (issue 12)

def test_equal_seriousness_is_broken_by_the_latest_sentence_date_not_the_latest_end():
    """person_details_v8 (pt2): ROW_NUMBER() OVER (PARTITION BY ypid, label_quarter ORDER BY
    seriousness_ranking, outcome_date DESC). Two referral orders end in 2023-24 Q1: the one
    sentenced on 1 Feb 2023 is picked over the one sentenced on 10 Jan 2023, although the
    latter ends later (20 Jun against 1 May)."""
    from tests.builders import Service

    s = Service()
    c = s.child(dob="2007-01-01")
    early = s.outcome(c, "2023-01-10", "Referral Order")
    late = s.outcome(c, "2023-02-01", "Referral Order")
    s.order(c, "Referral Order", "2023-01-10", "2023-06-20", outcome_id=early)
    picked = s.order(c, "Referral Order", "2023-02-01", "2023-05-01", outcome_id=late)
    got = counting.orders_ending(s.build(), Q)
    assert got["intervention_id"].tolist() == [picked]


def test_a_child_counts_once_in_each_quarter_and_a_year_adds_up_the_quarters():
    """The YJB de-duplicates within label_quarter and aggregates the quarterly returns, so
    a child with a YRO ending in Q1 (suitable accommodation) and a referral order ending in
    Q3 (unsuitable) counts in both quarters: the year is 1 suitable of 2, where picking once
    over the year (the YRO, more serious) would have given 1 of 1."""
    from tests.builders import Service
    from yj_metrics import indicators
    from yj_metrics.periods import financial_year

    s = Service()
    c = s.child(dob="2007-01-01")
    s.order(c, "Youth Rehabilitation Order", "2022-10-01", "2023-05-01", accommodation_suitable_end="Suitable")
    s.order(c, "Referral Order", "2023-03-01", "2023-11-01", accommodation_suitable_end="Unsuitable")
    # a second referral order in Q3 for the same child still counts once in Q3
    s.order(c, "Referral Order", "2023-04-01", "2023-12-01", accommodation_suitable_end="Unsuitable")
    ds = s.build()
    frame = counting.orders_ending(ds, financial_year(2023))
    assert sorted(frame["quarter"]) == ["2023-24 Q1", "2023-24 Q3"]
    r = [x for x in indicators.compute(ds, financial_year(2023), ["kpi1_accommodation"])
         if x.indicator == "kpi1_accommodation"][0]
    assert (r.numerator, r.denominator) == (1, 2)


def test_residence_on_the_outcome_date_overrides_the_childs_resident_flag():
    """SQL: residence_on_legal_outcome_date <> 'OTHER'. resident_at_outcome = N removes an
    order of a resident child; = Y keeps the order of a child now living elsewhere."""
    from tests.builders import Service

    s = Service()
    a, b = s.child(resident=True), s.child(resident=False)
    oa = s.outcome(a, "2023-01-05", "Referral Order", resident_at_outcome=False)
    ob = s.outcome(b, "2023-01-05", "Referral Order", resident_at_outcome=True)
    s.order(a, "Referral Order", "2023-01-05", "2023-05-01", outcome_id=oa)
    kept = s.order(b, "Referral Order", "2023-01-05", "2023-05-01", outcome_id=ob)
    assert counting.orders_ending(s.build(), Q)["intervention_id"].tolist() == [kept]


def test_only_the_kpi_templates_order_types_count():
    """The KPI templates' total is the sum of six order types (kpi1_acc_template_v8:
    out_court_no_yjs + yc_with_yjs + ycc + ro + yro + cust); a fine or a reparation order
    has no column, so it is not an order ending. Outcome 20/21 is out of court."""
    from tests.builders import Service

    s = Service()
    s.order(s.child(), "Fine", "2023-01-05", "2023-05-01")
    s.order(s.child(), "Reparation Order", "2023-01-05", "2023-05-01")
    o2021 = s.order(s.child(), "Outcome 20/21", "2023-01-05", "2023-05-01")
    got = counting.orders_ending(s.build(), Q)
    assert got["intervention_id"].tolist() == [o2021]
    assert got["order_type"].tolist() == ["Out of court"]


# ---------------------------------------------------------------- selections cut from the whole history

def _cut_selections():
    from yj_metrics import indicators, kpis

    # public (cut where the rule allows) and the builder for one period, applied to a fresh dataset
    return {
        "orders_ending": (counting.orders_ending, counting._orders_ending),
        "serious_violence": (kpis.serious_violence, kpis._serious_violence),
        "oocd_endings": (kpis.oocd_endings, kpis._oocd_endings),
        "victims_in_period": (kpis.victims_in_period, kpis._victims_in_period),
        "custodial_sentences": (indicators.custodial_sentences, indicators._custodial_sentences),
    }


def test_selections_cut_from_the_whole_history_equal_those_built_for_the_period(demo_dataset):
    """Orders, offences, disposals and victims are picked once per child (or offence, victim) per quarter,
    custodial sentences once per day: cutting the whole history's selection to a run of whole quarters
    gives the rows, order and index that building it for the period gives. A month and a range that cuts
    quarters are built for themselves."""
    import dataclasses

    from yj_metrics.periods import custom, financial_year, last_quarters, reporting_quarter, rolling_year

    latest = reporting_quarter(demo_dataset.covers[1])
    chosen = [*last_quarters(latest, 6), rolling_year(latest.end), financial_year(latest.start.year - 1),
              custom(latest.start.replace(day=15), latest.end), rolling_year(latest.end.replace(day=17))]
    ds = dataclasses.replace(demo_dataset)  # its own memo, shared by every period below
    compared = 0
    for period in chosen:
        for name, (public, build) in _cut_selections().items():
            got = public(ds, period)
            expected = build(dataclasses.replace(demo_dataset), period).reset_index(drop=True)
            pd.testing.assert_frame_equal(got, expected, obj=f"{name} {period.label}")
            compared += len(expected)
    assert compared > 1_000  # the demo gives every selection rows to compare


def test_a_rule_that_picks_across_quarters_would_be_caught():
    """The comparison above can fail: a child's two orders in one quarter, the more serious ending on 15 May,
    pick the YRO for the quarter; built for 1-14 May alone, the referral order is picked."""
    ds = _ds([_child("C1")], [_iv("I1", "C1", "Referral Order", "2022-10-01", "2023-05-01"),
                              _iv("I2", "C1", "Youth Rehabilitation Order", "2022-11-01", "2023-05-15")])
    from yj_metrics.periods import ALL_TIME, custom

    part = custom(pd.Timestamp("2023-05-01").date(), pd.Timestamp("2023-05-14").date())
    assert counting.orders_ending(ds, Q)["intervention_id"].tolist() == ["I2"]
    assert counting.orders_ending(ds, part)["intervention_id"].tolist() == ["I1"]  # built, not cut
    every = counting._orders_ending(ds, ALL_TIME)
    assert every.loc[part.contains(every["end_date"]), "intervention_id"].tolist() == []  # a cut would lose I1
