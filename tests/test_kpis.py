"""The ten YJB KPIs and the local ETE measure: counting rules and the Northamptonshire split."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.builders import Service
from yj_metrics import indicators
from yj_metrics.periods import financial_year, quarter

Q = quarter(2023, 1)  # 1 Apr - 30 Jun 2023


def _one(results, indicator, group=None):
    found = [r for r in results if r.indicator == indicator and r.group == group]
    assert len(found) == 1, (indicator, group, [(r.indicator, r.group) for r in results])
    return found[0]


def test_northamptonshire_ete_hours_split_by_school_age():
    """ETE 2020/21: 25+/16+ hours at the end: school age 31.7%, above 41.8%, total 36.1%."""
    s = Service()
    end = pd.Timestamp("2020-12-15")
    for i in range(101):  # school age on 15 Dec 2020: born 2006 (turn 16 in 2022)
        s.order(s.child(dob="2006-02-01"), "Referral Order", "2020-06-01", end,
                ete_hours_attended_end=25.0 if i < 32 else 24.0)
    for i in range(79):  # above school age: born 2003
        s.order(s.child(dob="2003-02-01"), "Youth Rehabilitation Order", "2020-06-01", end,
                ete_hours_attended_end=16.0 if i < 33 else 15.0)
    res = indicators.compute(s.build(), financial_year(2020), ["ete_engagement_hours"])
    assert round(_one(res, "ete_engagement_hours_school_age").value, 1) == 31.7
    assert round(_one(res, "ete_engagement_hours_above_school_age").value, 1) == 41.8
    assert round(_one(res, "ete_engagement_hours").value, 1) == 36.1


def test_kpi2_child_with_two_orders_counts_once_on_the_most_serious():
    s = Service()
    c = s.child(dob="2007-01-01")
    s.order(c, "Referral Order", "2023-01-01", "2023-06-20", ete_suitable_end="Suitable")
    s.order(c, "Youth Rehabilitation Order", "2022-10-01", "2023-05-01", ete_suitable_end="Unsuitable")
    res = indicators.compute(s.build(), Q, ["kpi2_ete"])
    r = _one(res, "kpi2_ete")
    assert (r.numerator, r.denominator) == (0, 1)  # the YRO (Community) outranks the referral order


def test_unknown_suitability_is_not_suitable_and_out_of_area_children_are_excluded():
    s = Service()
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", accommodation_suitable_end="Suitable")
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", accommodation_suitable_end="Unknown")
    s.order(s.child(resident=False), "Referral Order", "2023-01-01", "2023-05-01",
            accommodation_suitable_end="Suitable")
    s.order(s.child(), "Prevention", "2023-01-01", "2023-05-01", accommodation_suitable_end="Suitable")
    r = _one(indicators.compute(s.build(), Q, ["kpi1_accommodation"]), "kpi1_accommodation")
    assert (r.numerator, r.denominator, r.value) == (1, 2, 50.0)


def test_school_age_boundary_on_the_order_end_date():
    s = Service()
    # turns 16 on 1 May 2023: may leave school on Fri 30 Jun 2023
    s.order(s.child(dob="2007-05-01"), "Referral Order", "2023-01-01", "2023-06-29", ete_suitable_end="Suitable")
    s.order(s.child(dob="2007-05-01"), "Referral Order", "2023-01-01", "2023-06-30", ete_suitable_end="Unsuitable")
    res = indicators.compute(s.build(), Q, ["kpi2_ete"])
    school, above = _one(res, "kpi2_ete_school_age"), _one(res, "kpi2_ete_above_school_age")
    assert (school.numerator, school.denominator) == (1, 1)
    assert (above.numerator, above.denominator) == (0, 1)


def test_zero_denominators_give_no_value_and_groups_are_kept():
    ds = Service().build()
    res = indicators.compute(ds, Q, ["kpi3_send"], by="ethnicity")
    groups = {r.group: r for r in res if r.indicator == "kpi3_send"}
    assert set(groups) == {"White", "Mixed", "Asian", "Black", "Other", "Not known"}
    assert all(r.value is None and r.denominator == 0 for r in groups.values())


def test_send_mental_health_and_substance_misuse_pathways():
    s = Service()
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", send_identified=True, send_plan=True,
            mh_need=True, mh_offered=True, mh_attended=False, sm_need=True, sm_offered=False)
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", send_identified=True, send_plan=False,
            mh_need=True, mh_offered=True, mh_attended=True, sm_need=False)
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", send_identified=False, mh_need=False)
    res = indicators.compute(s.build(), Q, ["kpi3_send", "kpi4_mental_health", "kpi5_substance_misuse"])
    assert (_one(res, "kpi3_send").numerator, _one(res, "kpi3_send").denominator) == (1, 2)
    assert _one(res, "kpi4_mental_health").value == 100.0
    assert _one(res, "kpi4_mental_health_attended").value == 50.0
    assert _one(res, "kpi5_substance_misuse").value == 0.0


def test_oocd_completion_and_wider_services():
    s = Service()
    s.order(s.child(), "Community Resolution", "2023-03-01", "2023-05-01", completion="Completed")
    s.order(s.child(), "Youth Conditional Caution", "2023-03-01", "2023-05-01", completion="Not completed")
    s.order(s.child(), "Referral Order", "2023-03-01", "2023-05-01", completion="Breached", child_protection=True)
    res = indicators.compute(s.build(), Q, ["kpi6_oocd_completion", "kpi7_wider_services"])
    r = _one(res, "kpi6_oocd_completion")
    assert (r.numerator, r.denominator) == (1, 2)  # the referral order is not out of court
    w = _one(res, "kpi7_wider_services")
    assert (w.numerator, w.denominator) == (1, 3)
    assert _one(res, "kpi7_child_protection").numerator == 1


def test_board_attendance_per_meeting_and_over_the_period():
    s = Service()
    for date, seniors in (("2023-05-10", 5), ("2023-06-14", 3)):
        for i, sector in enumerate(["Children's social care", "Education", "Police", "Probation", "Health"]):
            s.board.append({"meeting_date": pd.Timestamp(date), "sector": sector,
                            "attendance": "Senior" if i < seniors else "Delegated", "data_contributed": i < 4})
        s.board.append({"meeting_date": pd.Timestamp(date), "sector": "Other", "attendance": "Senior",
                        "data_contributed": True})  # not a statutory partner
    res = indicators.compute(s.build(), Q, ["kpi8_board_attendance"])
    r = _one(res, "kpi8_board_attendance")
    assert (r.numerator, r.denominator, r.value) == (8, 10, 80.0)
    assert _one(res, "kpi8_board_attendance_meeting", "10 May 2023").value == 100.0
    assert _one(res, "kpi8_board_attendance_meeting", "14 Jun 2023").value == 60.0


def test_serious_violence_needs_gravity_five_in_the_three_categories():
    s = Service()
    s.population_total(20_000, 2023)
    c = s.child()
    s.outcome(c, "2023-05-01", "Referral Order", category="Robbery", gravity=5)
    s.outcome(c, "2023-05-02", "Referral Order", category="Violence against the person", gravity=4)
    s.outcome(c, "2023-05-03", "Referral Order", category="Criminal damage", gravity=6)
    s.outcome(c, "2023-05-04", "Community Resolution", category="Drugs offences", gravity=6)  # not proven
    res = indicators.compute(s.build(), Q, ["kpi9_serious_violence"])
    assert _one(res, "kpi9_serious_violence_count").value == 1
    assert _one(res, "kpi9_serious_violence").value == pytest.approx(1 / 20_000 * 10_000)
    assert _one(res, "kpi9_serious_violence_share").value == pytest.approx(100 / 3)


def test_victims_engaged_with_restorative_justice():
    s = Service()
    c = s.child()
    o = s.outcome(c, "2023-05-01")
    # issue 12 rule 5: victims are placed by the end of the child's order (kpi10_victim_case_level_v8)
    s.order(c, "Youth Caution", "2023-05-01", "2023-06-20", outcome_id=o)
    for consented, offered, engaged in ((True, True, True), (True, True, False), (True, False, False),
                                        (False, False, False)):
        s.victims.append({"victim_id": f"V{len(s.victims)}", "child_id": c, "outcome_id": o,
                          "consented_to_contact": consented, "rj_offered": offered, "rj_engaged": engaged})
    res = indicators.compute(s.build(), Q, ["kpi10_victims", "rj_offered", "rj_engaged"])
    assert _one(res, "kpi10_victims").value == pytest.approx(100 / 3)
    assert _one(res, "rj_offered").value == pytest.approx(200 / 3)
    assert _one(res, "rj_engaged").value == 50.0
