"""The ten Youth Justice Board KPIs (from April 2023) and the local measures beside them.

Counting follows the YJB's public KPI views (``recreate_kpi_case_level_views_pt*.sql``):
the period is chosen by the order's end date; each child counts once, on their most
serious then most recent order (:func:`yj_metrics.counting.orders_ending`); "Suitable"
means Suitable, so Unknown counts as not suitable.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from . import contract as c
from . import counting as k
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
    """KPI 1: children in suitable accommodation at the end of the order / orders ending."""
    f = k.orders_ending(ds, period)
    out = k.proportion_results(f, _is(f["accommodation_suitable_end"], "Suitable"), "kpi1_accommodation",
                               period, by, settings, ds=ds)
    out += k.proportion_results(f, _is(f["accommodation_suitable_start"], "Suitable"), "kpi1_accommodation_start",
                                period, by, settings, ds=ds)
    if by is None:
        f2 = f.assign(accommodation_type=f["accommodation_type_end"].fillna("Not recorded"))
        out += k.count_results(f2, "kpi1_accommodation_type", period, "accommodation_type", settings,
                               groups=[*c.ACCOMMODATION_TYPES, "Not recorded"])
    return out


def _kpi2(ds, period, by, settings):
    """KPI 2: children in suitable ETE at the end of the order / orders ending."""
    f = k.orders_ending(ds, period)
    suitable = _is(f["ete_suitable_end"], "Suitable")
    out = k.proportion_results(f, suitable, "kpi2_ete", period, by, settings, ds=ds)
    out += k.proportion_results(f, _is(f["ete_suitable_start"], "Suitable"), "kpi2_ete_start", period, by,
                                settings, ds=ds)
    school = f["school_age"] == k.SCHOOL_AGE_GROUPS[0]
    out += k.proportion_results(f, suitable, "kpi2_ete_school_age", period, by, settings, denominator=school, ds=ds)
    out += k.proportion_results(f, suitable, "kpi2_ete_above_school_age", period, by, settings,
                                denominator=~school, ds=ds)
    if by is None:
        f2 = f.assign(ete_provision=f["ete_provision_end"].fillna("Not recorded"),
                      hours_band=_hours_band(f["ete_hours_offered_end"]).fillna("Not recorded"))
        out += k.count_results(f2, "kpi2_ete_provision", period, "ete_provision", settings,
                               groups=[*c.ETE_PROVISIONS, "Not recorded"])
        out += k.count_results(f2, "kpi2_ete_hours", period, "hours_band", settings,
                               groups=[*HOURS_BANDS, "Not recorded"])
    return out


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
    out = k.proportion_results(f, _flag(f["send_plan"]), "kpi3_send", period, by, settings, denominator=send, ds=ds)
    out += k.proportion_results(f, _is(f["ete_suitable_end"], "Suitable"), "kpi3_send_suitable_ete", period, by,
                                settings, denominator=send, ds=ds)
    return out


def _need_kpi(prefix: str, indicator: str):
    def calc(ds, period, by, settings):
        """Of children with an identified need, the share offered an intervention; of those, attending."""
        f = k.orders_ending(ds, period)
        need, offered = _flag(f[f"{prefix}_need"]), _flag(f[f"{prefix}_offered"])
        out = k.proportion_results(f, offered, indicator, period, by, settings, denominator=need, ds=ds)
        out += k.proportion_results(f, _flag(f[f"{prefix}_attended"]), f"{indicator}_attended", period, by,
                                    settings, denominator=need & offered, ds=ds)
        return out
    return calc


def oocd_endings(ds: Dataset, period) -> pd.DataFrame:
    """Out-of-court disposal interventions (Diversion and Pre-court types) ending in the period,
    one per child (the most recent), resident children aged 10-17 at the start."""
    iv = k.enriched_interventions(ds)
    iv = iv[iv["tier"].isin(("Diversion", "Pre-court")) & period.contains(iv["end_date"])]
    iv = iv[iv["resident"].fillna(True).astype(bool) & iv["age"].between(10, 17)]
    iv = iv.sort_values(["child_id", "end_date", "intervention_id"]).drop_duplicates("child_id", keep="last")
    return iv.reset_index(drop=True)


def _kpi6(ds, period, by, settings):
    """KPI 6: out-of-court disposals ending Completed / all out-of-court disposals ending."""
    f = oocd_endings(ds, period)
    return k.proportion_results(f, _is(f["completion"], "Completed"), "kpi6_oocd_completion", period, by,
                                settings, ds=ds)


_WIDER = {"kpi7_early_help": "early_help", "kpi7_child_protection": "child_protection",
          "kpi7_child_in_need": "child_in_need", "kpi7_looked_after": "looked_after_flag"}


def _kpi7(ds, period, by, settings):
    """KPI 7: children with an order ending who are managed by wider services (any of four)."""
    f = k.orders_ending(ds, period)
    flags = {i: _flag(f[col]) for i, col in _WIDER.items()}
    anyf = flags["kpi7_early_help"] | flags["kpi7_child_protection"] | flags["kpi7_child_in_need"] | flags["kpi7_looked_after"]
    out = k.proportion_results(f, anyf, "kpi7_wider_services", period, by, settings, ds=ds)
    for i, flag in flags.items():
        out += k.proportion_results(f, flag, i, period, by, settings, ds=ds)
    return out


# --------------------------------------------------------------------------- board, violence, victims

def _kpi8(ds, period, by, settings):
    """KPI 8: senior attendance of the five statutory partners at board meetings in the period."""
    b = ds.board_attendance
    b = b[period.contains(b["meeting_date"])]
    stat = b[b["sector"].isin(c.STATUTORY_SECTORS)]
    meetings = sorted(b["meeting_date"].dropna().unique())
    senior = stat[_is(stat["attendance"], "Senior")]
    if by == "sector":
        n_meet = float(len(meetings))
        gs = list(c.STATUTORY_SECTORS)
        num = senior.groupby("sector").size().reindex(gs, fill_value=0).to_numpy(dtype=float)
        den = np.full(len(gs), n_meet)
        from .stats import wilson_intervals

        lo, hi = wilson_intervals(num, den)
        with np.errstate(invalid="ignore", divide="ignore"):
            val = np.where(den > 0, num / den * 100, np.nan)
        return k._results("kpi8_board_attendance", period, "sector", gs, num, den, val, lo * 100, hi * 100, "%",
                          settings, "KPI 8 Senior board attendance")
    # one sector counts once per meeting even if recorded twice
    per_meeting = senior.drop_duplicates(["meeting_date", "sector"]).groupby("meeting_date").size()
    num = float(per_meeting.sum())
    den = 5.0 * len(meetings)
    frame = pd.DataFrame({"ok": [True] * int(num) + [False] * int(den - num)})
    out = k.proportion_results(frame, frame["ok"], "kpi8_board_attendance", period, None, settings)
    mt = pd.DataFrame({"meeting": [pd.Timestamp(m).strftime("%d %b %Y").lstrip("0") for m in meetings],
                       "senior": [int(per_meeting.get(m, 0)) for m in meetings]})
    rows = mt.loc[mt.index.repeat(5)].assign(slot=lambda d: d.groupby("meeting").cumcount())
    rows = rows.assign(ok=rows["slot"] < rows["senior"])
    out += k.proportion_results(rows, rows["ok"], "kpi8_board_attendance_meeting", period, "meeting", settings,
                                groups=list(mt["meeting"]))
    out += k.proportion_results(b, _flag(b["data_contributed"]), "kpi8_data_contributed", period, None, settings)
    return out


def serious_violence(ds: Dataset, period) -> pd.DataFrame:
    """Proven offences in the period: substantive outcomes, with a ``serious_violence`` flag
    (gravity 5+ in Drugs offences, Robbery or Violence against the person)."""
    o = k.enriched_outcomes(ds)
    o = o[o["tier"].isin(c.SUBSTANTIVE_TIERS) & period.contains(o["outcome_date"])]
    o = o[o["age"].between(10, 17)].reset_index(drop=True)
    sv = o["offence_category"].isin(SERIOUS_VIOLENCE_CATEGORIES) & (o["gravity_score"].fillna(0) >= 5)
    return o.assign(serious_violence=sv.astype(bool))


def _kpi9(ds, period, by, settings):
    """KPI 9: proven serious violence offences per 10,000 children aged 10-17; count and share."""
    o = serious_violence(ds, period)
    sv = o["serious_violence"]
    if by is None:
        pop = population_total(ds, period.end)
    elif by in ("ethnicity", "gender", "age_band", "locality"):
        pop = population_by(ds, period.end, by)
    else:
        pop = None
    out = k.rate_results(o, "kpi9_serious_violence", period, by, settings, population=pop, per=10_000,
                         numerator=sv, ds=ds,
                         groups=None if (by is None or isinstance(pop, pd.Series)) else k.group_values(by, ds, o))
    out += k.count_results(o, "kpi9_serious_violence_count", period, by, settings, numerator=sv, ds=ds)
    out += k.proportion_results(o, sv, "kpi9_serious_violence_share", period, by, settings, ds=ds)
    return out


def victims_in_period(ds: Dataset, period) -> pd.DataFrame:
    """Victims of offences whose outcome was given in the period (victims without a linked
    outcome cannot be placed in a period and are left out)."""
    dates = ds.outcomes.set_index("outcome_id")["outcome_date"]
    v = ds.victims.assign(outcome_date=ds.victims["outcome_id"].map(dates))
    return v[period.contains(v["outcome_date"])].reset_index(drop=True)


def _victims(indicator):
    def calc(ds, period, by, settings):
        v = victims_in_period(ds, period)
        consented = _flag(v["consented_to_contact"])
        offered, engaged = _flag(v["rj_offered"]), _flag(v["rj_engaged"])
        if indicator == "rj_offered":
            return k.proportion_results(v, offered, "rj_offered", period, None, settings, denominator=consented)
        if indicator == "rj_engaged":
            return k.proportion_results(v, engaged, "rj_engaged", period, None, settings, denominator=offered)
        out = k.proportion_results(v, engaged, "kpi10_victims", period, None, settings, denominator=consented)
        out += k.proportion_results(v, _flag(v["views_sought"]), "kpi10_views_sought", period, None, settings,
                                    denominator=consented)
        out += k.proportion_results(v, _flag(v["progress_info_provided"]), "kpi10_progress_info", period, None,
                                    settings, denominator=_flag(v["progress_info_requested"]))
        out += k.proportion_results(v, _flag(v["support_provided"]), "kpi10_support", period, None, settings,
                                    denominator=_flag(v["support_requested"]))
        return out
    return calc


CALCULATORS: dict[str, Callable[[Dataset, object, str | None, Settings], list[IndicatorResult]]] = {
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
        return oocd_endings(ds, period), base + ["completion"]
    if indicator == "kpi9_serious_violence":
        o = serious_violence(ds, period)
        return o[o["serious_violence"]], ["child_id", "outcome_id", "outcome_date", "offence_category", "gravity_score"]
    if indicator in cols:
        return k.orders_ending(ds, period), base + cols[indicator]
    return pd.DataFrame(columns=["child_id"]), ["child_id"]
