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


# --------------------------------------------------------------------------- issue 12: the YJB's SQL rules

def test_kpi6_counts_children_with_any_successful_disposal_and_every_disposal():
    """kpi6_oocd_summary_v8 (pt6): headline COUNT(DISTINCT kpi6_ypid_successful_oocd) /
    COUNT(DISTINCT ypid); sub-measure COUNT(DISTINCT kpi6_successful_oocd) /
    COUNT(DISTINCT intervention_programme_id).
    Child A: a community resolution completed (ends 1 May) then an Outcome 22 not completed
    (ends 1 Jun, the most recent): A still counts as successful (any). Child B: a deferred
    prosecution (Outcome 22) not completed. Child C: an Outcome 20/21 completed.
    Headline: A and C of A, B, C = 2/3. Per disposal: 2 completed of 4 = 50%.
    "Other diversion" is not one of the six types, so child D is not counted at all."""
    s = Service()
    a, b, cc, d = s.child(), s.child(), s.child(), s.child()
    s.order(a, "Community Resolution", "2023-03-01", "2023-05-01", completion="Completed")
    s.order(a, "Outcome 22", "2023-03-15", "2023-06-01", completion="Not completed")
    s.order(b, "Outcome 22 deferred prosecution", "2023-03-01", "2023-05-01", completion="Not completed")
    s.order(cc, "Outcome 20/21", "2023-03-01", "2023-05-01", completion="Completed")
    s.order(d, "Other diversion", "2023-03-01", "2023-05-01", completion="Completed")
    res = indicators.compute(s.build(), Q, ["kpi6_oocd_completion"])
    head = _one(res, "kpi6_oocd_completion")
    assert (head.numerator, head.denominator) == (2, 3)
    per = _one(res, "kpi6_oocd_disposals")
    assert (per.numerator, per.denominator, per.value) == (2, 4, 50.0)


def test_kpi8_counts_a_sector_once_per_meeting_and_delegates_separately():
    """kpi8_summary_v8 (pt7): sectors (of five) represented by a senior partner. Police is
    recorded twice at the one meeting (two senior officers): it still counts once, so police
    is 1 of 1 meeting (100%, never 200%). Education sent a delegate only; health a senior and a
    delegate (senior wins). Senior: CSC, police, health = 3 of 5 = 60%; delegate only:
    education = 1 of 5 = 20%."""
    s = Service()
    day = pd.Timestamp("2023-05-10")
    for sector, att in (("Children's social care", "Senior"), ("Police", "Senior"), ("Police", "Senior"),
                        ("Education", "Delegated"), ("Health", "Senior"), ("Health", "Delegated"),
                        ("Probation", "Absent")):
        s.board.append({"meeting_date": day, "sector": sector, "attendance": att, "data_contributed": True})
    ds = s.build()
    res = indicators.compute(ds, Q, ["kpi8_board_attendance"])
    head = _one(res, "kpi8_board_attendance")
    assert (head.numerator, head.denominator) == (3, 5)
    assert _one(res, "kpi8_delegated_attendance").value == 20.0
    by = indicators.compute(ds, Q, ["kpi8_board_attendance"], by="sector")
    assert by and all(r.by == "sector" for r in by)  # by sector only, no overall figures mixed in
    police = [r for r in by if r.indicator == "kpi8_board_attendance" and r.group == "Police"][0]
    assert (police.numerator, police.denominator, police.value) == (1, 1, 100.0)


def test_kpi9_counts_offences_by_the_yjb_age_rule_over_the_previous_years_population():
    """kpi9_sv_case_level_v8 / kpi9_sv_summary_v8 (pt7):
    - robbery (gravity 6) sentenced twice in the quarter under one offence_id counts once;
    - a child born 1 Jun 2005 sentenced at court on 20 Jun 2023 (aged 18) for violence
      (gravity 5) with a first hearing on 15 May 2023 (aged 17) counts: the age is taken at
      the first hearing;
    - a youth caution for drugs (gravity 5) on 10 May 2023 for an offence on 1 Mar 2023,
      for a child born 1 Jan 2013 (10 at the offence): counts.
    Three serious violence offences. The 2023-24 quarters divide by the mid-2022 population
    (``2022_pop``): 30,000, not the mid-2023 20,000: 3 / 30,000 x 10,000 = 1.0."""
    s = Service()
    s.population_total(30_000, 2022)
    s.population_total(20_000, 2023)
    a = s.child(dob="2007-01-01")
    s.outcome(a, "2023-04-20", "Referral Order", category="Robbery", gravity=6, offence_id="OFF-1")
    s.outcome(a, "2023-06-01", "Youth Rehabilitation Order", category="Robbery", gravity=6, offence_id="OFF-1")
    b = s.child(dob="2005-06-01")
    s.outcome(b, "2023-06-20", "Youth Rehabilitation Order", category="Violence against the person", gravity=5,
              offence_date="2023-04-01", first_hearing_date=pd.Timestamp("2023-05-15"))
    cc = s.child(dob="2013-01-01")
    s.outcome(cc, "2023-05-10", "Youth Caution", category="Drugs offences", gravity=5, offence_date="2023-03-01")
    res = indicators.compute(s.build(), Q, ["kpi9_serious_violence"])
    assert _one(res, "kpi9_serious_violence_count").value == 3
    assert _one(res, "kpi9_serious_violence").value == pytest.approx(3 / 30_000 * 10_000)
    assert _one(res, "kpi9_serious_violence_children").value == 3
    assert _one(res, "kpi9_serious_violence_rolling").note.startswith("rolling 12 months")


def test_kpi9_is_read_for_the_quarter_on_the_scorecard():
    """The YJB's KPI 9 is quarterly (label_quarter of the outcome date)."""
    assert indicators.reporting_period("kpi9_serious_violence", Q) == Q


def test_kpi10_places_victims_in_the_quarter_the_order_ends_with_consent_denominators():
    """kpi10_victim_case_level_v8 (pt2): label_quarter is the quarter of the order's end.
    The outcome is in 2022-23 Q4 (20 Mar 2023), the order ends on 10 May 2023: the victims
    count in 2023-24 Q1, not in Q4. Of four victims, three consented; among them, progress
    information was given to two (one never asked) and support to one: 10e = 2/3, 10f = 1/3.
    The non-consenting victim's support does not count. A resident child aged 9 at the start
    has no order that counts, so that victim is left out."""
    from yj_metrics.periods import quarter as q

    s = Service()
    c = s.child(dob="2007-01-01")
    o = s.outcome(c, "2023-03-20", "Referral Order")
    s.order(c, "Referral Order", "2023-03-20", "2023-05-10", outcome_id=o)
    rows = ((True, True, False, False, True), (True, False, True, False, False),
            (True, False, True, True, False), (False, False, False, True, True))
    for consented, asked, given, support_asked, support in rows:
        s.victims.append({"victim_id": f"V{len(s.victims)}", "child_id": c, "outcome_id": o,
                          "consented_to_contact": consented, "progress_info_requested": asked,
                          "progress_info_provided": given, "support_requested": support_asked,
                          "support_provided": support, "rj_engaged": False})
    young = s.child(dob="2013-06-01")
    oy = s.outcome(young, "2023-04-01", "Referral Order")
    s.order(young, "Referral Order", "2023-04-01", "2023-06-01", outcome_id=oy)
    s.victims.append({"victim_id": "VY", "child_id": young, "outcome_id": oy, "consented_to_contact": True})
    ds = s.build()
    res = indicators.compute(ds, Q, ["kpi10_victims"])
    assert _one(res, "kpi10_victims").denominator == 3
    info, support = _one(res, "kpi10_progress_info"), _one(res, "kpi10_support")
    assert (info.numerator, info.denominator) == (2, 3)
    assert (support.numerator, support.denominator) == (1, 3)
    before = _one(indicators.compute(ds, q(2022, 4), ["kpi10_victims"]), "kpi10_victims")
    assert before.denominator == 0


def test_kpi4_a_child_in_treatment_at_the_start_counts_as_offered_and_attended():
    """kpi4_mh_case_level_v8 (pt6): f_inTreatmentPrior makes kpi4_treatment_start, which counts
    as a need (kpi4_mh_ew_need), offered and attended. Child A: in treatment at the start,
    nothing else recorded. Child B: need, not offered. Child C: no need.
    Headline: offered 1 of need 2 = 50%; attended 1 of offered 1; need share 2 of 3."""
    s = Service()
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", mh_in_treatment_at_start=True)
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", mh_need=True, mh_offered=False)
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", mh_need=False)
    res = indicators.compute(s.build(), Q, ["kpi4_mental_health"])
    assert _one(res, "kpi4_mental_health").value == 50.0
    assert _one(res, "kpi4_mental_health_attended").value == 100.0
    need = _one(res, "kpi4_mental_health_need")
    assert (need.numerator, need.denominator) == (2, 3)


def test_kpi2_full_and_part_time_by_school_age_thresholds():
    """kpi2_ete_case_level_v8 (pt4): offered full time is 25+ hours for a child of school age
    and 16+ above. At the end (15 May 2023): a school-age child (born 2009) offered 24 hours is
    part time; an older child (born Mar 2006: 16 in Mar 2022, left school Jun 2022; 16 at the start) offered 16 hours is full time; a school-age child
    offered 25 is full time. Full time 2 of 3; part time 1 of 3."""
    s = Service()
    s.order(s.child(dob="2009-01-01"), "Referral Order", "2023-01-01", "2023-05-15", ete_hours_offered_end=24.0)
    s.order(s.child(dob="2006-03-01"), "Referral Order", "2023-01-01", "2023-05-15", ete_hours_offered_end=16.0)
    s.order(s.child(dob="2009-01-01"), "Referral Order", "2023-01-01", "2023-05-15", ete_hours_offered_end=25.0)
    res = indicators.compute(s.build(), Q, ["kpi2_ete"])
    full, part = _one(res, "kpi2_full_time_end"), _one(res, "kpi2_part_time_end")
    assert (full.numerator, full.denominator) == (2, 3)
    assert (part.numerator, part.denominator) == (1, 3)


def test_kpi1_unsuitable_counts_at_start_and_end_and_the_change():
    """kpi1_acc_summary_v8: unsuitable (not Suitable, where recorded) at start and end.
    Child A: unsuitable -> suitable; B: unsuitable -> unsuitable; C: suitable -> Unknown
    (Unknown is not suitable). Start 2, end 2, change 0; A's custodial order... none, so the
    custody-release share has no denominator."""
    s = Service()
    for start, end in (("Unsuitable", "Suitable"), ("Unsuitable", "Unsuitable"), ("Suitable", "Unknown")):
        s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01",
                accommodation_suitable_start=start, accommodation_suitable_end=end)
    res = indicators.compute(s.build(), Q, ["kpi1_accommodation"])
    assert _one(res, "kpi1_unsuitable_start").value == 2
    assert _one(res, "kpi1_unsuitable_end").value == 2
    assert _one(res, "kpi1_unsuitable_change").value == 0
    assert _one(res, "kpi1_custody_release_suitable").denominator == 0


def test_first_time_entrant_sentenced_after_18_counts_by_the_age_at_offence_and_hearing():
    """QS2-fte_redshift.sql: age_at_arrest_or_offence BETWEEN 10 AND 17 AND
    age_at_first_hearing <= 17. Born 1 Jun 2005: offence 1 Mar 2023 (17), first hearing
    20 May 2023 (17), sentenced 20 Jun 2023 (18): a first-time entrant. A second child with
    the same dates but a first hearing on 5 Jun 2023 (18) is not."""
    s = Service()
    a, b = s.child(dob="2005-06-01"), s.child(dob="2005-06-01")
    s.outcome(a, "2023-06-20", "Referral Order", offence_date="2023-03-01",
              first_hearing_date=pd.Timestamp("2023-05-20"))
    s.outcome(b, "2023-06-20", "Referral Order", offence_date="2023-03-01",
              first_hearing_date=pd.Timestamp("2023-06-05"))
    fte = indicators.first_time_entrants(s.build(), Q)
    assert fte["child_id"].tolist() == [a]


def test_reoffending_ignores_breaches_and_indexes_custody_leavers_on_release():
    """MoJ proven reoffending: child A (referral order 1 Apr 2023) is later convicted only of a
    breach of a statutory order: not a reoffender. Child B leaves custody on 15 May 2023
    (release_date; the custodial order itself runs to 30 Nov 2023), offends on 1 Jul 2023,
    convicted 1 Aug 2023: in the 2023-24 Q1 cohort, a reoffender. Rate 1 of 2."""
    s = Service()
    a = s.child(dob="2007-01-01")
    s.outcome(a, "2023-04-01", "Referral Order", offence_date="2023-03-01")
    s.outcome(a, "2023-07-01", "Referral Order", offence_date="2023-06-01", category="Breach of statutory order")
    b = s.child(dob="2007-01-01")
    ob = s.outcome(b, "2022-11-30", "Detention and Training Order", offence_date="2022-10-01")
    s.order(b, "Detention and Training Order", "2022-11-30", "2023-11-30", outcome_id=ob,
            release_date=pd.Timestamp("2023-05-15"))
    s.outcome(b, "2023-08-01", "Youth Rehabilitation Order", offence_date="2023-07-01")
    cohort = indicators.reoffending_cohort(s.build(), Q).set_index("child_id")
    assert cohort.loc[b, "index_date"] == pd.Timestamp("2023-05-15")
    assert bool(cohort.loc[b, "reoffender"]) and not bool(cohort.loc[a, "reoffender"])


def test_custody_counts_by_the_age_at_first_hearing():
    """custodies_since_2014 (ianda pt3): age_at_first_hearing BETWEEN 10 AND 17. Both children
    are born 1 Jun 2005 and sentenced to a DTO on 20 Jun 2023 (aged 18): A's first hearing was
    on 25 May 2023 (17) and counts; B's on 2 Jun 2023 (18) does not."""
    s = Service()
    a, b = s.child(dob="2005-06-01"), s.child(dob="2005-06-01")
    s.outcome(a, "2023-06-20", "Detention and Training Order", first_hearing_date=pd.Timestamp("2023-05-25"))
    s.outcome(b, "2023-06-20", "Detention and Training Order", first_hearing_date=pd.Timestamp("2023-06-02"))
    assert indicators.custodial_sentences(s.build(), Q)["child_id"].tolist() == [a]


def test_reoffending_offers_the_moj_three_month_cohort_and_says_which_is_shown():
    """The MoJ's cohorts are three months long; the source plans read twelve. For the financial
    year 2023-24, the 3-month cohort is the last quarter (Jan-Mar 2024). Child A (caution on
    1 May 2023) is in the 12-month cohort only; child B (caution on 10 Feb 2024) is in both.
    Neither reoffends: 12-month cohort 2, 3-month cohort 1."""
    s = Service()
    s.outcome(s.child(dob="2008-01-01"), "2023-05-01", "Youth Caution")
    s.outcome(s.child(dob="2008-01-01"), "2024-02-10", "Youth Caution")
    res = indicators.compute(s.build(), financial_year(2023), ["reoffending_rate"])
    twelve, three = _one(res, "reoffending_rate"), _one(res, "reoffending_rate_3month")
    assert twelve.denominator == 2 and "12-month cohort" in twelve.note
    assert three.denominator == 1 and "3-month cohort" in three.note


def test_kpi10_leaves_out_victims_of_children_living_elsewhere():
    """kpi10_victim_case_level_v8 keeps residence_on_legal_outcome_date <> 'OTHER': the victim
    of a child who lived outside the area on the outcome date is not counted."""
    s = Service()
    c = s.child(resident=False)
    o = s.outcome(c, "2023-04-01", "Referral Order")
    s.order(c, "Referral Order", "2023-04-01", "2023-06-01", outcome_id=o)
    s.victims.append({"victim_id": "V1", "child_id": c, "outcome_id": o, "consented_to_contact": True,
                      "rj_engaged": True})
    assert _one(indicators.compute(s.build(), Q, ["kpi10_victims"]), "kpi10_victims").denominator == 0


def test_kpi3_send_share_and_kpi7_early_help_referral():
    """kpi3_sendaln_summary_v8: children with SEND/ALN among all orders ending (1 of 2);
    kpi7_wider_services_case_level_v8: kpi7_referred_to_early_help (1 of 2), which is not in the
    headline (the four plans/statuses only: 0 of 2)."""
    s = Service()
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", send_identified=True, early_help_referral=True)
    s.order(s.child(), "Referral Order", "2023-01-01", "2023-05-01", send_identified=False)
    res = indicators.compute(s.build(), Q, ["kpi3_send", "kpi7_wider_services"])
    send = _one(res, "kpi3_send_identified")
    assert (send.numerator, send.denominator) == (1, 2)
    assert _one(res, "kpi7_early_help_referral").numerator == 1
    assert _one(res, "kpi7_wider_services").numerator == 0
