"""The ten Youth Justice Board KPIs (from April 2023) and the local measures beside them.

Counting follows the YJB's public KPI views (``recreate_kpi_case_level_views_pt*.sql``):
the period is chosen by the order's end date; each child counts once, on their most
serious then most recent order (:func:`yj_metrics.counting.orders_ending`); "Suitable"
means Suitable, so Unknown counts as not suitable.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from . import contract as c
from . import counting as k
from . import periods
from .dataset import Dataset
from .filters import population_by, population_total
from .registry import SUB_MEASURES
from .results import IndicatorResult
from .settings import Settings

SERIOUS_VIOLENCE_CATEGORIES = ("Drugs offences", "Robbery", "Violence against the person")
HOURS_BANDS = ("0", "1-15", "16-24", "25+")
_ORDER_DIMS = k.BREAKDOWNS
_CHILD_DIMS = ("ethnicity", "gender", "age_band", "locality", "looked_after")
BREAKDOWNS_OF: dict[str, tuple[str, ...]] = {
    "kpi1_accommodation": _ORDER_DIMS, "kpi2_ete": _ORDER_DIMS, "ete_engagement_hours": _ORDER_DIMS,
    "kpi3_send": _ORDER_DIMS, "kpi4_mental_health": _ORDER_DIMS, "kpi5_substance_misuse": _ORDER_DIMS,
    "kpi6_oocd_completion": _ORDER_DIMS, "kpi7_wider_services": _ORDER_DIMS,
    "kpi8_board_attendance": ("sector",), "kpi9_serious_violence": _CHILD_DIMS,
    "kpi10_victims": (), "rj_offered": (), "rj_engaged": (),
}


def _is(series: pd.Series, value: str) -> pd.Series:
    return series.astype("object").eq(value).fillna(False).astype(bool)


def _flag(series: pd.Series) -> pd.Series:
    return series.fillna(False).astype(bool)


def _hours_band(hours: pd.Series) -> pd.Series:
    band = pd.cut(hours, bins=[-0.1, 0.5, 15.5, 24.5, 1000], labels=list(HOURS_BANDS))
    return band.astype("object").where(hours.notna(), None)


# --------------------------------------------------------------------------- order-based KPIs

def _kpi1(ds, period, by, settings):
    """KPI 1: children in suitable accommodation at the end of the order / orders ending.

    Sub-measures as ``kpi1_acc_case_level_v8``/``kpi1_acc_summary_v8`` (pt2/pt3): suitable at
    the start; unsuitable counts at start and end and their change; suitability by
    accommodation type at the end; custody: suitable on release (the end accommodation of a
    custodial order is where the child went on release)."""
    f = k.orders_ending(ds, period)
    end_ok, start_ok = _is(f["accommodation_suitable_end"], "Suitable"), _is(f["accommodation_suitable_start"], "Suitable")
    yield from k.proportion_results(f, end_ok, "kpi1_accommodation", period, by, settings, ds=ds)
    yield from k.proportion_results(f, start_ok, "kpi1_accommodation_start", period, by, settings, ds=ds)
    un_start = f["accommodation_suitable_start"].notna() & ~start_ok
    un_end = f["accommodation_suitable_end"].notna() & ~end_ok
    yield from k.count_results(f, "kpi1_unsuitable_start", period, by, settings, numerator=un_start, ds=ds)
    yield from k.count_results(f, "kpi1_unsuitable_end", period, by, settings, numerator=un_end, ds=ds)
    change = un_end.astype(float) - un_start.astype(float)
    yield from k.count_results(f, "kpi1_unsuitable_change", period, by, settings, weights=change, ds=ds)
    custody = f["order_type"] == "Custody"
    yield from k.proportion_results(f, end_ok, "kpi1_custody_release_suitable", period, by, settings,
                                    denominator=custody, ds=ds)
    if by is None:
        f2 = f.assign(accommodation_type=f["accommodation_type_end"].fillna("Not recorded"))
        types = [*c.ACCOMMODATION_TYPES, "Not recorded"]
        yield from k.count_results(f2, "kpi1_accommodation_type", period, "accommodation_type", settings, groups=types)
        yield from k.proportion_results(f2, end_ok, "kpi1_accommodation_type_suitable", period, "accommodation_type",
                                        settings, groups=types)


def _kpi2(ds, period, by, settings):
    """KPI 2: children in suitable ETE at the end of the order / orders ending."""
    f = k.orders_ending(ds, period)
    suitable = _is(f["ete_suitable_end"], "Suitable")
    yield from k.proportion_results(f, suitable, "kpi2_ete", period, by, settings, ds=ds)
    yield from k.proportion_results(f, _is(f["ete_suitable_start"], "Suitable"), "kpi2_ete_start", period, by,
                                    settings, ds=ds)
    school = f["school_age"] == k.SCHOOL_AGE_GROUPS[0]
    yield from k.proportion_results(f, suitable, "kpi2_ete_school_age", period, by, settings, denominator=school, ds=ds)
    yield from k.proportion_results(f, suitable, "kpi2_ete_above_school_age", period, by, settings,
                                    denominator=~school, ds=ds)
    for when, hours_col, age_col in (("start", "ete_hours_offered_start", "school_age_start"),
                                     ("end", "ete_hours_offered_end", "school_age")):
        full, part, known = full_time(f, hours_col, age_col)
        yield from k.proportion_results(f, full, f"kpi2_full_time_{when}", period, by, settings, denominator=known, ds=ds)
        yield from k.proportion_results(f, part, f"kpi2_part_time_{when}", period, by, settings, denominator=known, ds=ds)
    if by is None:
        f2 = f.assign(ete_provision=f["ete_provision_end"].fillna("Not recorded"),
                      hours_band=_hours_band(f["ete_hours_offered_end"]).fillna("Not recorded"))
        yield from k.count_results(f2, "kpi2_ete_provision", period, "ete_provision", settings,
                                   groups=[*c.ETE_PROVISIONS, "Not recorded"])
        yield from k.count_results(f2, "kpi2_ete_hours", period, "hours_band", settings,
                                   groups=[*HOURS_BANDS, "Not recorded"])


def full_time(frame: pd.DataFrame, hours_col: str, age_col: str = "school_age"):
    """(full time, part time, hours recorded) masks from hours offered: full time is 25+
    hours for a child of school age and 16+ above it (``kpi2_offered_full_time_start/end`` in
    ``kpi2_ete_case_level_v8``, pt4); part time is fewer hours but more than none."""
    hours = frame[hours_col] if hours_col in frame.columns else pd.Series(np.nan, index=frame.index)
    need = np.where(frame[age_col] == k.SCHOOL_AGE_GROUPS[0], 25, 16)
    known = hours.notna()
    full = (hours >= need).fillna(False).astype(bool)
    part = ((hours > 0) & (hours < need)).fillna(False).astype(bool)
    return full, part, known


def engaged_hours(frame: pd.DataFrame) -> pd.Series:
    """Attending 25+ hours (school age) or 16+ hours (above school age) at the end of the order."""
    hours = frame["ete_hours_attended_end"]
    need = np.where(frame["school_age"] == k.SCHOOL_AGE_GROUPS[0], 25, 16)
    return (hours >= need).fillna(False).astype(bool)


def _ete_hours(ds, period, by, settings):
    """The older local ETE measure (Northamptonshire): 25+/16+ hours attended at the end."""
    f = k.orders_ending(ds, period)
    ok = engaged_hours(f)
    school = f["school_age"] == k.SCHOOL_AGE_GROUPS[0]
    out = k.proportion_results(f, ok, "ete_engagement_hours", period, by, settings, ds=ds)
    out += k.proportion_results(f, ok, "ete_engagement_hours_school_age", period, by, settings,
                                denominator=school, ds=ds)
    out += k.proportion_results(f, ok, "ete_engagement_hours_above_school_age", period, by, settings,
                                denominator=~school, ds=ds)
    return out


def _kpi3(ds, period, by, settings):
    """KPI 3: children with identified SEND who have a formal plan / children with SEND."""
    f = k.orders_ending(ds, period)
    send = _flag(f["send_identified"])
    yield from k.proportion_results(f, _flag(f["send_plan"]), "kpi3_send", period, by, settings, denominator=send, ds=ds)
    yield from k.proportion_results(f, _is(f["ete_suitable_end"], "Suitable"), "kpi3_send_suitable_ete", period, by,
                                    settings, denominator=send, ds=ds)
    yield from k.proportion_results(f, send, "kpi3_send_identified", period, by, settings, ds=ds)


def _need_kpi(prefix: str, indicator: str):
    def calc(ds, period, by, settings):
        """Of children with an identified need, the share offered an intervention; of those, attending.

        YJB (``kpi4_mh_case_level_v8``/``kpi5_substance_m_case_level_v8``, pt6): a child already
        in treatment when the order started (``f_inTreatmentPrior``) has a need, was offered and
        attended. Sub-measures: the need share of all orders ending; in treatment at the start."""
        f = k.orders_ending(ds, period)
        col = f"{prefix}_in_treatment_at_start"
        prior = _flag(f[col]) if col in f.columns else pd.Series(False, index=f.index)
        need = _flag(f[f"{prefix}_need"]) | prior
        offered = _flag(f[f"{prefix}_offered"]) | prior
        attended = _flag(f[f"{prefix}_attended"]) | prior
        yield from k.proportion_results(f, offered, indicator, period, by, settings, denominator=need, ds=ds)
        yield from k.proportion_results(f, attended, f"{indicator}_attended", period, by,
                                        settings, denominator=need & offered, ds=ds)
        yield from k.proportion_results(f, need, f"{indicator}_need", period, by, settings, ds=ds)
        yield from k.proportion_results(f, prior, f"{indicator}_treatment_start", period, by, settings,
                                        denominator=need, ds=ds)
    return calc


def oocd_endings(ds: Dataset, period) -> pd.DataFrame:
    """Out-of-court disposals ending in the period, one row per disposal (intervention).

    YJB (``kpi6_oocd_case_level_v8``, pt6): the six disposal types with YJS involvement
    (:data:`contract.KPI6_TYPES`); outcome not overturned; the child lived in the area on the
    outcome date and was 10-17 at the start; ``quarter`` is the quarter of the end date."""
    return ds.memo(("oocd_endings", period.start, period.end),
                   lambda: k.cut_to(ds, "oocd_endings", period, "end_date", _oocd_endings))


def _oocd_endings(ds: Dataset, period) -> pd.DataFrame:
    iv = k.enriched_interventions(ds)
    iv = iv[iv["intervention_type"].isin(c.KPI6_TYPES) & period.contains(iv["end_date"])]
    overturned = ds.outcomes.loc[ds.outcomes["overturned_on_appeal"].fillna(False).astype(bool), "outcome_id"]
    iv = iv[~iv["outcome_id"].isin(overturned)]
    resident = pd.Series(k.outcome_resident(ds).reindex(iv["outcome_id"]).to_numpy(), index=iv.index, dtype="boolean")
    resident = resident.fillna(iv["resident"].astype("boolean")).fillna(True).astype(bool)
    iv = iv[resident & iv["age"].between(10, 17).fillna(False)]
    iv = iv.assign(quarter=periods.quarter_labels(iv["end_date"]), successful=_is(iv["completion"], "Completed"))
    return iv.sort_values(["quarter", "child_id", "end_date", "intervention_id"]).reset_index(drop=True)


def oocd_children(ds: Dataset, period) -> pd.DataFrame:
    """One row per child per quarter with an out-of-court disposal ending: ``successful``
    when any of them was completed successfully (``COUNT(DISTINCT kpi6_ypid_successful_oocd)``
    over ``COUNT(DISTINCT ypid)`` per quarter in ``kpi6_oocd_summary_v8``). The row shown is the
    child's most recent disposal in the quarter."""
    return ds.memo(("oocd_children", period.start, period.end),
                   lambda: k.cut_to(ds, "oocd_children", period, "end_date", _oocd_children))


def _oocd_children(ds: Dataset, period) -> pd.DataFrame:
    d = oocd_endings(ds, period)
    any_ok = d.groupby(["child_id", "quarter"])["successful"].transform("any")
    out = d.assign(successful=any_ok).drop_duplicates(["child_id", "quarter"], keep="last")
    return out.reset_index(drop=True)


def _kpi6(ds, period, by, settings):
    """KPI 6: children with any successful out-of-court disposal ending / children with any ending
    (per quarter, added up over longer periods); sub-measure: successful disposals / all."""
    f = oocd_children(ds, period)
    yield from k.proportion_results(f, f["successful"], "kpi6_oocd_completion", period, by, settings, ds=ds)
    d = oocd_endings(ds, period)
    yield from k.proportion_results(d, d["successful"], "kpi6_oocd_disposals", period, by, settings, ds=ds)


_WIDER = {"kpi7_early_help": "early_help", "kpi7_child_protection": "child_protection",
          "kpi7_child_in_need": "child_in_need", "kpi7_looked_after": "looked_after_flag",
          "kpi7_early_help_referral": "early_help_referral"}


def _kpi7(ds, period, by, settings):
    """KPI 7: children with an order ending supported by wider services during the order (early
    help plan, child protection plan, child in need, looked after: ``kpi7_supported_by_wider_services``
    in ``kpi7_wider_services_case_level_v8``, pt7). The flags are read as "during the order";
    early help referral and looked after at the start are sub-measures."""
    f = k.orders_ending(ds, period)
    flags = {i: _flag(f[col]) if col in f.columns else pd.Series(False, index=f.index) for i, col in _WIDER.items()}
    anyf = flags["kpi7_early_help"] | flags["kpi7_child_protection"] | flags["kpi7_child_in_need"] | flags["kpi7_looked_after"]
    yield from k.proportion_results(f, anyf, "kpi7_wider_services", period, by, settings, ds=ds)
    for i, flag in flags.items():
        yield from k.proportion_results(f, flag, i, period, by, settings, ds=ds)
    # at the start: the care status recorded on the outcome date (kpi7_care_experienced_start)
    la_start = k.lookup(f["outcome_id"], ds.outcomes, "outcome_id", "looked_after").astype("boolean")
    yield from k.proportion_results(f, la_start.fillna(False).astype(bool), "kpi7_looked_after_start", period, by,
                                    settings, ds=ds)


# --------------------------------------------------------------------------- board, violence, victims

def board_sectors(ds: Dataset, period) -> pd.DataFrame:
    """One row per board meeting in the period and statutory sector: ``senior`` when a senior
    partner of the sector attended, ``delegated`` when only a delegate did. A sector counts once
    per meeting however many of its people are recorded, so no share can pass 100%. The same for every
    filter of the children (shared with the dataset a filter narrowed)."""
    return ds.shared(("board_sectors", period.start, period.end), lambda d: _board_sectors(d, period))


def _board_sectors(ds: Dataset, period) -> pd.DataFrame:
    b = ds.board_attendance
    b = b[period.contains(b["meeting_date"])]
    meetings = sorted(b["meeting_date"].dropna().unique())
    grid = pd.MultiIndex.from_product([meetings, list(c.STATUTORY_SECTORS)], names=["meeting_date", "sector"])
    stat = b[b["sector"].isin(c.STATUTORY_SECTORS)]
    senior = stat[_is(stat["attendance"], "Senior")].groupby(["meeting_date", "sector"]).size() > 0
    delegate = stat[_is(stat["attendance"], "Delegated")].groupby(["meeting_date", "sector"]).size() > 0
    out = pd.DataFrame(index=grid).reset_index()
    keys = pd.MultiIndex.from_frame(out[["meeting_date", "sector"]])
    out["senior"] = senior.reindex(keys, fill_value=False).to_numpy(dtype=bool)
    out["delegated"] = delegate.reindex(keys, fill_value=False).to_numpy(dtype=bool) & ~out["senior"]
    out["meeting"] = [f"{pd.Timestamp(m).day} {pd.Timestamp(m).strftime('%b %Y')}" for m in out["meeting_date"]]
    return out


def _kpi8(ds, period, by, settings):
    """KPI 8: statutory sectors (of five) represented by a senior partner, per board meeting
    in the period (``kpi8_summary_v8``, pt7: ``kpi8_total_senior_attended`` over 5 per return).
    Sub-measures: by sector (8a), by meeting, sectors represented by a delegate only (8b/8c,
    the SQL's "Delegated or non-senior partner" rows), partners contributing data."""
    g = board_sectors(ds, period)
    if by == "sector":
        yield from k.proportion_results(g, g["senior"], "kpi8_board_attendance", period, "sector", settings,
                                        groups=list(c.STATUTORY_SECTORS), label="KPI 8 Senior board attendance")
        yield from k.proportion_results(g, g["delegated"], "kpi8_delegated_attendance", period, "sector", settings,
                                        groups=list(c.STATUTORY_SECTORS))
        return
    yield from k.proportion_results(g, g["senior"], "kpi8_board_attendance", period, None, settings)
    yield from k.proportion_results(g, g["senior"], "kpi8_board_attendance_meeting", period, "meeting", settings,
                                    groups=list(dict.fromkeys(g["meeting"])))
    yield from k.proportion_results(g, g["delegated"], "kpi8_delegated_attendance", period, None, settings)
    b = ds.board_attendance
    b = b[period.contains(b["meeting_date"])]
    yield from k.proportion_results(b, _flag(b["data_contributed"]), "kpi8_data_contributed", period, None, settings)


def serious_violence(ds: Dataset, period) -> pd.DataFrame:
    """Proven offences in the period, one row per offence per quarter, with a
    ``serious_violence`` flag (gravity 5-8 in Drugs offences, Robbery or Violence against the
    person).

    YJB (``kpi9_sv_case_level_v8``/``kpi9_sv_summary_v8``, pt7): substantive outcomes (Pre-court,
    First-tier, Community, Custody) by outcome date; an offence sentenced again in the same
    quarter counts once (``COUNT(DISTINCT offence_id)`` per quarter; ``offence_id`` when
    recorded, else each outcome is its own offence), on its most serious then latest outcome;
    the child is 10-17 at the offence for a caution and at the first hearing for a court
    outcome (``age_serious_violence``); lived in the area on the outcome date."""
    return ds.memo(("serious_violence", period.start, period.end),
                   lambda: k.cut_to(ds, "serious_violence", period, "outcome_date", _serious_violence))


def _serious_violence(ds: Dataset, period) -> pd.DataFrame:
    o = k.enriched_outcomes(ds)
    o = o[o["tier"].isin(c.SUBSTANTIVE_TIERS) & period.contains(o["outcome_date"])]
    o = o[k.outcome_resident(ds).reindex(o["outcome_id"]).fillna(True).to_numpy(dtype=bool)]
    o = o.assign(age=k.yjb_outcome_age(o))
    o = o[o["age"].between(10, 17).fillna(False)]
    o = o.assign(quarter=periods.quarter_labels(o["outcome_date"]),
                 offence_key=o["offence_id"].fillna(o["outcome_id"]) if "offence_id" in o.columns else o["outcome_id"],
                 seriousness=o["outcome_type"].map(c.OUTCOME_SERIOUSNESS).fillna(0))
    o = o.sort_values(["child_id", "offence_key", "quarter", "seriousness", "outcome_date", "outcome_id"])
    o = o.drop_duplicates(["child_id", "offence_key", "quarter"], keep="last").reset_index(drop=True)
    sv = o["offence_category"].isin(SERIOUS_VIOLENCE_CATEGORIES) & o["gravity_score"].between(5, 8).fillna(False)
    return o.assign(serious_violence=sv.astype(bool))


def kpi9_population_date(period) -> pd.Timestamp:
    """The mid-year estimate KPI 9 divides by: the year before the financial year of the
    period's end (``kpi9_sv_summary_v8``: 2023-24 quarters use ``2022_pop``)."""
    return pd.Timestamp(year=periods.fy_start_year(period.end) - 1, month=6, day=30)


def _kpi9(ds, period, by, settings):
    """KPI 9: proven serious violence offences per 10,000 children aged 10-17 (the previous
    year's population), for the quarter; count, share of all proven offences, children; and
    the rolling 12 months to the period's end, labelled as such."""
    o = serious_violence(ds, period)
    sv = o["serious_violence"]
    on = kpi9_population_date(period)
    if by is None:
        pop = population_total(ds, on)
    elif by in ("ethnicity", "gender", "age_band", "locality"):
        pop = population_by(ds, on, by)
    else:
        pop = None
    yield from k.rate_results(o, "kpi9_serious_violence", period, by, settings, population=pop, per=10_000,
                              numerator=sv, ds=ds,
                              groups=None if (by is None or isinstance(pop, pd.Series)) else k.group_values(by, ds, o))
    yield from k.count_results(o, "kpi9_serious_violence_count", period, by, settings, numerator=sv, ds=ds)
    yield from k.proportion_results(o, sv, "kpi9_serious_violence_share", period, by, settings, ds=ds)
    kids = o[sv].drop_duplicates(["child_id", "quarter"])
    yield from k.count_results(kids, "kpi9_serious_violence_children", period, by, settings, ds=ds)
    if by is None:
        year = periods.rolling_year(period.end)
        ry = serious_violence(ds, year)
        rolling = k.rate_results(ry, "kpi9_serious_violence_rolling", year, None, settings,
                                 population=population_total(ds, kpi9_population_date(year)), per=10_000,
                                 numerator=ry["serious_violence"], ds=ds)
        note = f"rolling 12 months to {periods.fmt_date(period.end)}"
        yield from (replace(r, start=period.start, end=period.end, note=note) for r in rolling)


def victims_in_period(ds: Dataset, period) -> pd.DataFrame:
    """Victims placed in the quarter their child's order ends.

    YJB (``kpi10_victim_case_level_v8``, pt2): a victim is linked to the offence, the offence
    to the order, and ``label_quarter`` is the quarter of the order's end date; the order must
    count in the KPIs (:func:`counting.kpi_orders`: template order type, resident, 10-17 at the
    start, not overturned). Each victim once per quarter, on the latest-ending order.
    Victims whose outcome has no order cannot be placed and are left out."""
    return ds.memo(("victims_in_period", period.start, period.end),
                   lambda: k.cut_to(ds, "victims_in_period", period, "end_date", _victims_in_period, per_child=False))


def _victims_in_period(ds: Dataset, period) -> pd.DataFrame:
    orders = k.kpi_orders(ds)
    orders = orders[period.contains(orders["end_date"]) & orders["outcome_id"].notna()]
    orders = orders.sort_values(["end_date", "intervention_id"])[["outcome_id", "end_date", "quarter"]]
    v = ds.victims.merge(orders, on="outcome_id", how="inner")
    return v.drop_duplicates(["victim_id", "quarter"], keep="last").reset_index(drop=True)


def _victims(indicator):
    def calc(ds, period, by, settings):
        """KPI 10: victims who engaged with restorative justice / victims who consented to contact.
        The views, progress-information and support sub-measures share that denominator, and
        count only victims who consented (``kpi10_victim_consent_contact``, pt2)."""
        v = victims_in_period(ds, period)
        consented = _flag(v["consented_to_contact"])
        offered, engaged = _flag(v["rj_offered"]), _flag(v["rj_engaged"])
        if indicator == "rj_offered":
            yield from k.proportion_results(v, offered, "rj_offered", period, None, settings, denominator=consented)
        elif indicator == "rj_engaged":
            yield from k.proportion_results(v, engaged, "rj_engaged", period, None, settings, denominator=offered)
        else:
            yield from k.proportion_results(v, engaged, "kpi10_victims", period, None, settings, denominator=consented)
            for ind, col in (("kpi10_views_sought", "views_sought"), ("kpi10_progress_info", "progress_info_provided"),
                             ("kpi10_support", "support_provided")):
                yield from k.proportion_results(v, _flag(v[col]), ind, period, None, settings, denominator=consented)
    return calc


#: Each calculator gives its results headline first (most are generators), so a reader that wants only the
#: headline (the board's scorecard) stops there and the sub-measures are never computed.
CALCULATORS: dict[str, Callable[[Dataset, object, str | None, Settings], Iterable[IndicatorResult]]] = {
    "kpi1_accommodation": _kpi1,
    "kpi2_ete": _kpi2,
    "ete_engagement_hours": _ete_hours,
    "kpi3_send": _kpi3,
    "kpi4_mental_health": _need_kpi("mh", "kpi4_mental_health"),
    "kpi5_substance_misuse": _need_kpi("sm", "kpi5_substance_misuse"),
    "kpi6_oocd_completion": _kpi6,
    "kpi7_wider_services": _kpi7,
    "kpi8_board_attendance": _kpi8,
    "kpi9_serious_violence": _kpi9,
    "kpi10_victims": _victims("kpi10_victims"),
    "rj_offered": _victims("rj_offered"),
    "rj_engaged": _victims("rj_engaged"),
}


def kpi_frame(ds: Dataset, period, indicator: str) -> tuple[pd.DataFrame, list[str]]:
    """The child-level frame behind a KPI and the columns that decided it (managers only)."""
    base = ["child_id", "quarter", "intervention_id", "intervention_type", "order_type", "sentence_date", "end_date"]
    cols = {
        "kpi1_accommodation": ["accommodation_type_start", "accommodation_suitable_start",
                               "accommodation_type_end", "accommodation_suitable_end"],
        "kpi2_ete": ["ete_provision_start", "ete_suitable_start", "ete_provision_end", "ete_suitable_end"],
        "ete_engagement_hours": ["ete_provision_end", "ete_hours_offered_end", "ete_hours_attended_end"],
        "kpi3_send": ["send_identified", "send_plan", "ete_suitable_end"],
        "kpi4_mental_health": ["mh_need", "mh_offered", "mh_attended"],
        "kpi5_substance_misuse": ["sm_need", "sm_offered", "sm_attended"],
        "kpi7_wider_services": ["early_help", "child_protection", "child_in_need", "looked_after_flag"],
    }
    if indicator == "kpi6_oocd_completion":
        return oocd_endings(ds, period), ["child_id", "quarter", "intervention_id", "intervention_type", "end_date",
                                          "completion", "successful"]
    if indicator == "kpi9_serious_violence":
        o = serious_violence(ds, period)
        return o[o["serious_violence"]], ["child_id", "quarter", "offence_key", "outcome_id", "outcome_date",
                                          "outcome_type", "offence_category", "gravity_score", "age"]
    if indicator in ("kpi10_victims", "rj_offered", "rj_engaged"):
        v = victims_in_period(ds, period)
        return v, ["victim_id", "child_id", "outcome_id", "quarter", "end_date", "consented_to_contact",
                   "rj_offered", "rj_engaged"]
    if indicator in cols:
        return k.orders_ending(ds, period), base + cols[indicator]
    return pd.DataFrame(columns=["child_id"]), ["child_id"]
