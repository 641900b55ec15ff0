"""The registry of every indicator and KPI sub-measure: ids, labels, units, direction.

It sits beneath the counting rules (:mod:`counting`, :mod:`indicators`, :mod:`kpis` all
import it; it imports none of them), so the rules can name their results without a cycle.
``indicators.INDICATORS`` and ``kpis.SUB_MEASURES`` are the same objects, re-exported.
"""
from __future__ import annotations

from .results import IndicatorDefinition

D = IndicatorDefinition
INDICATORS: dict[str, IndicatorDefinition] = {d.id: d for d in (
    D("fte_rate", "First-time entrants", "per 100,000", "lower", True,
      "Children receiving their first caution or conviction, per 100,000 children aged 10-17."),
    D("fte_count", "First-time entrants (number)", "count", "lower", False,
      "Children whose first substantive outcome falls in the period."),
    D("reoffending_rate", "Reoffending (binary rate)", "%", "lower", True,
      "Share of the cohort who reoffended within 12 months (proven within a further 6). "
      "The cohort is the 12 months the source plans use; the MoJ's 3-month cohort is a sub-measure."),
    D("reoffences_per_reoffender", "Reoffences per reoffender", "per reoffender", "lower", False,
      "Proven reoffences divided by the number of reoffenders."),
    D("reoffences_per_child", "Reoffences per child in the cohort", "per child", "lower", False,
      "Proven reoffences divided by the cohort."),
    D("reoffending_prolific_share", "Reoffences by children with 5 or more", "%", "lower", False,
      "Share of all reoffences committed by children with five or more."),
    D("custody_rate", "Use of custody", "per 1,000", "lower", True,
      "New custodial sentences per 1,000 children aged 10-17."),
    D("custody_count", "Custodial sentences (number)", "count", "lower", False,
      "New custodial sentences; the same sentence type for a child on one day counts once."),
    D("kpi1_accommodation", "KPI 1 Suitable accommodation", "%", "higher", True,
      "Children in suitable accommodation at the end of their order."),
    D("kpi2_ete", "KPI 2 Education, training and employment", "%", "higher", True,
      "Children in suitable ETE at the end of their order."),
    D("ete_engagement_hours", "ETE hours attended (25+ school age, 16+ above)", "%", "higher", False,
      "Children attending at least 25 hours (school age) or 16 hours (above) at the end."),
    D("kpi3_send", "KPI 3 SEND with a formal plan", "%", "higher", True,
      "Children with identified SEND who have a formal plan."),
    D("kpi4_mental_health", "KPI 4 Mental health: offered an intervention", "%", "higher", True,
      "Children with an identified mental health need who were offered an intervention."),
    D("kpi5_substance_misuse", "KPI 5 Substance misuse: offered an intervention", "%", "higher", True,
      "Children with an identified substance misuse need who were offered an intervention."),
    D("kpi6_oocd_completion", "KPI 6 Out-of-court disposals completed", "%", "higher", True,
      "Children with an out-of-court disposal ending who completed at least one successfully."),
    D("kpi7_wider_services", "KPI 7 Management by wider services", "%", "none", True,
      "Children with an order ending who are on an early help, child protection or child in need "
      "plan, or looked after."),
    D("kpi8_board_attendance", "KPI 8 Senior board attendance", "%", "higher", True,
      "Statutory partners (of five) represented by a senior leader at board meetings."),
    D("kpi9_serious_violence", "KPI 9 Serious violence", "per 10,000", "lower", True,
      "Proven serious violence offences (gravity 5+) in the quarter per 10,000 children aged 10-17 "
      "(previous year's mid-year population)."),
    D("kpi10_victims", "KPI 10 Victims engaged with restorative justice", "%", "higher", True,
      "Victims who consented to contact and engaged with restorative justice."),
    D("rj_offered", "Victims offered restorative justice", "%", "higher", False,
      "Victims who consented to contact and were offered restorative justice."),
    D("rj_engaged", "Victims engaged with restorative justice (of those offered)", "%", "higher", False,
      "Victims offered restorative justice who engaged."),
    D("ro_panel_timeliness", "Referral order panels within 20 working days", "%", "higher", False,
      "Initial panels held within 20 working days of the order (bank holidays excluded)."),
    D("disposals", "Disposals", "count", "none", False,
      "Outcomes given in the period, by disposal type."),
    D("caseload_open", "Open caseload", "count", "none", False,
      "Interventions open on the last day of the period."),
    D("caseload_per_worker", "Caseload per case worker", "per worker", "none", False,
      "Open interventions per case worker holding at least one."),
    D("ete_status_open", "Open cases in education, training or employment", "%", "higher", False,
      "Open cases at the period end whose ETE provision is not NEET or not known."),
    D("remand_nights", "Remand nights", "nights", "lower", False,
      "Nights children spent remanded, in the period."),
    D("remand_cost", "Remand cost", "£", "lower", False,
      "Remand nights in the period times the cost per night of each remand type."),
)}


SUB_MEASURES: dict[str, IndicatorDefinition] = {d.id: d for d in (
    D("reoffending_rate_3month", "Reoffending (binary rate), MoJ 3-month cohort", "%", "lower"),
    D("kpi1_accommodation_start", "Suitable accommodation at the start", "%", "higher"),
    D("kpi1_accommodation_type", "Accommodation at the end, by type", "count", "none"),
    D("kpi1_unsuitable_start", "Unsuitable accommodation at the start (number)", "count", "lower"),
    D("kpi1_unsuitable_end", "Unsuitable accommodation at the end (number)", "count", "lower"),
    D("kpi1_unsuitable_change", "Change in unsuitable accommodation, start to end (number)", "count", "lower"),
    D("kpi1_accommodation_type_suitable", "Suitable accommodation at the end, by type", "%", "higher"),
    D("kpi1_custody_release_suitable", "Custody: suitable accommodation on release", "%", "higher"),
    D("kpi2_ete_start", "Suitable ETE at the start", "%", "higher"),
    D("kpi2_ete_school_age", "Suitable ETE at the end: school age", "%", "higher"),
    D("kpi2_ete_above_school_age", "Suitable ETE at the end: above school age", "%", "higher"),
    D("kpi2_ete_provision", "ETE provision at the end, by type", "count", "none"),
    D("kpi2_ete_hours", "Hours of ETE offered at the end", "count", "none"),
    D("kpi2_full_time_start", "Offered full-time ETE at the start (25+ hours school age, 16+ above)", "%", "higher"),
    D("kpi2_full_time_end", "Offered full-time ETE at the end (25+ hours school age, 16+ above)", "%", "higher"),
    D("kpi2_part_time_start", "Offered part-time ETE at the start", "%", "none"),
    D("kpi2_part_time_end", "Offered part-time ETE at the end", "%", "none"),
    D("ete_engagement_hours_school_age", "ETE hours attended: school age (25+)", "%", "higher"),
    D("ete_engagement_hours_above_school_age", "ETE hours attended: above school age (16+)", "%", "higher"),
    D("kpi3_send_suitable_ete", "Children with SEND in suitable ETE", "%", "higher"),
    D("kpi3_send_identified", "Children with identified SEND (of all orders ending)", "%", "none"),
    D("kpi4_mental_health_attended", "Mental health: attended (of those offered)", "%", "higher"),
    D("kpi4_mental_health_need", "Mental health need (of all orders ending)", "%", "none"),
    D("kpi4_mental_health_treatment_start", "Mental health: already in treatment at the start (of those with a need)",
      "%", "none"),
    D("kpi5_substance_misuse_attended", "Substance misuse: attended (of those offered)", "%", "higher"),
    D("kpi5_substance_misuse_need", "Substance misuse need (of all orders ending)", "%", "none"),
    D("kpi5_substance_misuse_treatment_start",
      "Substance misuse: already in treatment at the start (of those with a need)", "%", "none"),
    D("kpi6_oocd_disposals", "Out-of-court disposals completed (of all disposals ending)", "%", "higher"),
    D("kpi7_early_help", "On an early help plan", "%", "none"),
    D("kpi7_child_protection", "On a child protection plan", "%", "none"),
    D("kpi7_child_in_need", "Child in need", "%", "none"),
    D("kpi7_looked_after", "Looked after", "%", "none"),
    D("kpi7_looked_after_start", "Looked after at the start (care status on the outcome date)", "%", "none"),
    D("kpi7_early_help_referral", "Referred to early help during the order", "%", "none"),
    D("kpi8_board_attendance_meeting", "Senior attendance by meeting", "%", "higher"),
    D("kpi8_delegated_attendance", "Sectors represented by a delegate only", "%", "none"),
    D("kpi8_data_contributed", "Partners contributing disproportionality data", "%", "higher"),
    D("kpi9_serious_violence_count", "Serious violence offences (number)", "count", "lower"),
    D("kpi9_serious_violence_share", "Serious violence as a share of proven offences", "%", "lower"),
    D("kpi9_serious_violence_rolling", "Serious violence per 10,000, rolling 12 months", "per 10,000", "lower"),
    D("kpi9_serious_violence_children", "Children with a serious violence offence (number)", "count", "lower"),
    D("kpi10_views_sought", "Victims whose views were sought", "%", "higher"),
    D("kpi10_progress_info", "Victims given information on the case's progress (of those who consented)",
      "%", "higher"),
    D("kpi10_support", "Victims given additional support (of those who consented)", "%", "higher"),
)}


def definition(indicator: str) -> IndicatorDefinition | None:
    """The definition of an indicator or sub-measure id (``None`` when unknown)."""
    return INDICATORS.get(indicator) or SUB_MEASURES.get(indicator)
