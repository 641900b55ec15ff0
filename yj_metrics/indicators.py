"""The national indicators, the local measures, and the registry of every indicator.

``compute(ds, period, indicators, by, settings)`` returns :class:`IndicatorResult` objects
for any inclusive period, overall or by a breakdown. The ten YJB KPIs live in
:mod:`yj_metrics.kpis`; this module holds first-time entrants, reoffending, custody and
the local tables boards print (disposals, caseload, ETE status, remands, panel timeliness).
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
import pandas as pd

from . import contract as c
from . import counting as k
from .dataset import Dataset, age_band_of, age_on
from .filters import population_by, population_total
from .periods import add_months, custom, quarter_of
from .registry import INDICATORS
from .results import IndicatorResult
from .settings import Settings
from .targets import attach_benchmarks, benchmarks_frame

HEADLINE: tuple[str, ...] = tuple(i for i, d in INDICATORS.items() if d.headline)

#: Breakdowns each indicator supports (its id -> dimensions).
_CHILD_DIMS = ("ethnicity", "gender", "age_band", "locality", "looked_after")
SUPPORTED_BREAKDOWNS = {
    "fte_rate": _CHILD_DIMS + ("disposal",), "fte_count": _CHILD_DIMS + ("disposal",),
    "custody_rate": _CHILD_DIMS, "custody_count": _CHILD_DIMS + ("disposal",),
    "reoffending_rate": k.BREAKDOWNS, "reoffences_per_reoffender": k.BREAKDOWNS,
    "reoffences_per_child": k.BREAKDOWNS, "reoffending_prolific_share": k.BREAKDOWNS,
    "ro_panel_timeliness": _CHILD_DIMS, "disposals": _CHILD_DIMS + ("disposal",),
    "caseload_open": ("ethnicity", "gender", "age_band", "locality", "disposal", "team", "scaled_approach"),
    "caseload_per_worker": ("team",), "ete_status_open": ("ete_status",),
    "remand_nights": ("ethnicity", "gender", "age_band", "locality", "remand_type"),
    "remand_cost": ("ethnicity", "gender", "age_band", "locality", "remand_type"),
}
POPULATION_DIMS = ("ethnicity", "gender", "age_band", "locality")


def _population(ds: Dataset, period, by):
    if by is None:
        return population_total(ds, period.end)
    if by in POPULATION_DIMS:
        return population_by(ds, period.end, by)
    return None


# --------------------------------------------------------------------------- first-time entrants

def first_time_entrants(ds: Dataset, period) -> pd.DataFrame:
    """One row per first-time entrant in the period.

    Rule (YJB ``QS2-fte_redshift.sql``): the child's first substantive outcome (youth caution
    or conviction: Pre-court, First-tier, Community or Custody tier) in the data falls in the
    period, the child had none before the data began (``prior_substantive_outcome`` = N), was
    10-17 at the offence and under 18 at the first hearing (so a sentence after the 18th
    birthday still counts), and lived in the area on the outcome date; outcomes overturned on
    appeal do not count.
    """
    return ds.memo(("first_time_entrants", period.start, period.end), lambda: _first_time_entrants(ds, period))


def _first_time_entrants(ds: Dataset, period) -> pd.DataFrame:
    o = ds.per_child("first_time_entrants", _every_first_time_entrant)
    return o[period.contains(o["outcome_date"]).to_numpy()].reset_index(drop=True)


def _every_first_time_entrant(ds: Dataset) -> pd.DataFrame:
    """Each child's first substantive outcome, when it makes them a first-time entrant (whenever it was)."""
    o = ds.memo("first_substantive", lambda: _first_substantive(ds))
    return o[~o["prior_substantive_outcome"].fillna(False).astype(bool) & _fte_age_ok(o)].reset_index(drop=True)


def _fte_age_ok(o: pd.DataFrame) -> pd.Series:
    """QS2-fte_redshift.sql: ``age_at_arrest_or_offence BETWEEN 10 AND 17 AND
    age_at_first_hearing <= 17`` (a caution has no hearing: the offence decides)."""
    at_offence = age_on(o["date_of_birth"], o["offence_date"].fillna(o["outcome_date"]))
    at_hearing = k.yjb_outcome_age(o)
    court = o["tier"].isin(c.COURT_TIERS)
    return (at_offence.between(10, 17) & (~court | (at_hearing <= 17))).fillna(False).astype(bool)


def _first_substantive(ds: Dataset) -> pd.DataFrame:
    o = k.enriched_outcomes(ds)
    o = o[o["tier"].isin(c.SUBSTANTIVE_TIERS)]
    return o.sort_values(["child_id", "outcome_date", "outcome_id"]).drop_duplicates("child_id")


def _fte(ds, period, by, settings):
    fte = first_time_entrants(ds, period)
    pop = _population(ds, period, by)
    rate = k.rate_results(fte, "fte_rate", period, by, settings, population=pop, per=100_000, ds=ds,
                          groups=None if by in POPULATION_DIMS or by is None else k.group_values(by, ds, fte))
    return k.count_results(fte, "fte_count", period, by, settings, ds=ds) + rate


# --------------------------------------------------------------------------- custody

def custodial_sentences(ds: Dataset, period) -> pd.DataFrame:
    """New custodial sentences in the period (Custody tier outcomes; remands are not custody).

    The same custodial outcome type for a child on the same day counts once; 10-17 at the
    first hearing (``custodies_since_2014`` in ``recreate_ianda_team_views_pt3.sql``; the
    outcome date when no hearing date is recorded); living in the area on the outcome date;
    not overturned on appeal.
    """
    return ds.memo(("custodial_sentences", period.start, period.end),
                   lambda: k.cut_to(ds, "custodial_sentences", period, "outcome_date", _custodial_sentences,
                                    per_quarter=False))


def _custodial_sentences(ds: Dataset, period) -> pd.DataFrame:
    o = k.enriched_outcomes(ds)
    o = o[(o["tier"] == "Custody") & period.contains(o["outcome_date"])]
    o = o.drop_duplicates(["child_id", "outcome_type", "outcome_date"])
    return o[k.yjb_outcome_age(o).between(10, 17).fillna(False).to_numpy()].reset_index(drop=True)


def _custody(ds, period, by, settings):
    cs = custodial_sentences(ds, period)
    pop = _population(ds, period, by)
    out = k.count_results(cs, "custody_count", period, by, settings, ds=ds)
    if by is None or by in POPULATION_DIMS or by == "looked_after":
        out += k.rate_results(cs, "custody_rate", period, by, settings, population=pop, per=1_000, ds=ds,
                              groups=None if by in POPULATION_DIMS or by is None else k.group_values(by, ds, cs))
    return out


# --------------------------------------------------------------------------- reoffending

def reoffending_cohort(ds: Dataset, period) -> pd.DataFrame:
    """The reoffending cohort of a period, one row per child, with their proven reoffences.

    Cohort (Ministry of Justice, *Guide to proven reoffending statistics*, gov.uk, April 2019
    and later editions): children given a youth caution or conditional caution or a
    non-custodial court sentence, or released from custody, in the period; indexed at their
    first such event. A custody leaver enters on release (``release_date``; the end of the
    custodial order when it is blank). A reoffence is an offence committed in the 12 months
    after the index date and proven by a substantive outcome within a further 6 months; a
    breach of a statutory order is not a new offence, so it is not a proven reoffence.
    The MoJ publishes 3-month cohorts (since October 2017); the source plans read 12-month
    cohorts: any period can be given, and :func:`_reoffending` adds the 3-month cohort ending
    with the period as ``reoffending_rate_3month``. ``follow_up_complete`` is False while the
    data do not yet reach 18 months after the index date.
    """
    return ds.memo(("reoffending_cohort", period.start, period.end), lambda: _reoffending_cohort(ds, period))


def _reoffending_cohort(ds: Dataset, period) -> pd.DataFrame:
    events = ds.per_child("reoffending_index_events", _index_events)
    cohort = events[period.contains(events["index_date"]).to_numpy()].drop_duplicates("child_id")
    cohort = cohort[cohort["age"].between(10, 17).to_numpy()].reset_index(drop=True)
    cohort["reoffender"] = cohort["reoffences"] > 0
    cohort["follow_up_complete"] = add_months(cohort["index_date"], 18) <= _data_reach(ds)
    return cohort


def _index_events(ds: Dataset) -> pd.DataFrame:
    """Every event that can index a child into a cohort, ordered as a cohort picks: by child, then date (an
    outcome before a release on the same day), each with the proven reoffences that follow it. The same for
    every period, so built once per dataset: a cohort is then each child's first event in its period."""
    o = k.enriched_outcomes(ds)
    idx_out = o[o["tier"].isin(("Pre-court", "First-tier", "Community")) & o["outcome_date"].notna()]
    idx_out = idx_out.assign(index_date=idx_out["outcome_date"], index_type=idx_out["outcome_type"])
    iv = ds.memo("custody_releases", lambda: _custody_releases(ds))
    rel = iv[iv["released"].notna()]
    age = age_on(rel["date_of_birth"], rel["released"])  # age and school age on release
    school = k.is_school_age(rel["date_of_birth"], rel["released"])
    rel = rel.assign(index_date=rel["released"], index_type="Release from custody", age=age,
                     age_band=age_band_of(age),
                     school_age=np.where(school, k.SCHOOL_AGE_GROUPS[0], k.SCHOOL_AGE_GROUPS[1]))
    events = pd.concat([idx_out, rel], ignore_index=True).sort_values(["child_id", "index_date"], kind="stable")
    events["disposal"] = events["index_type"].map(c.DISPOSAL_GROUP_OF_TYPE).fillna("Custodial sentence")

    starts = events[["child_id", "index_date"]].drop_duplicates()
    m = starts.merge(ds.memo("proven_offences", lambda: _proven_offences(ds)), on="child_id", how="inner")
    window_end = add_months(m["index_date"], 12)
    proven_by = add_months(m["index_date"], 18)
    is_re = (m["offence_date"] > m["index_date"]) & (m["offence_date"] <= window_end) & (m["outcome_date"] <= proven_by)
    counts = m[is_re.to_numpy()].groupby(["child_id", "index_date"]).size()
    keys = pd.MultiIndex.from_frame(events[["child_id", "index_date"]])
    events["reoffences"] = counts.reindex(keys, fill_value=0).to_numpy(dtype=int)
    cols = ["child_id", "index_date", "index_type", "date_of_birth", "age", *k.BREAKDOWNS, "reoffences"]
    return events[cols].reset_index(drop=True)


def _custody_releases(ds: Dataset) -> pd.DataFrame:
    """Custodial interventions of resident children with their release date (the end of the order when no
    release date is recorded): the same for every cohort, so computed once per dataset."""
    iv = k.enriched_interventions(ds)
    released = iv["release_date"].fillna(iv["end_date"]) if "release_date" in iv.columns else iv["end_date"]
    iv = iv.assign(released=released)
    return iv[(iv["tier"] == "Custody") & iv["resident"].fillna(True).astype(bool)]


def _proven_offences(ds: Dataset) -> pd.DataFrame:
    """Substantive outcomes that can prove a reoffence (not breaches), with the offence date (the outcome
    date when blank): the same for every cohort, so computed once per dataset."""
    o = k.enriched_outcomes(ds)
    subs = o[o["tier"].isin(c.SUBSTANTIVE_TIERS) & (o["offence_category"] != "Breach of statutory order")]
    subs = subs[["child_id", "offence_date", "outcome_date"]]
    return subs.assign(offence_date=subs["offence_date"].fillna(subs["outcome_date"]))


def _data_reach(ds: Dataset) -> pd.Timestamp:
    """The last day the data cover: a workbook ending in a quarter's last fortnight covers that
    quarter (as :func:`periods.reporting_quarter` reads it), so the board's reoffending cohort
    (:func:`reporting_period`) has its follow-up complete."""
    from .periods import reporting_quarter

    last = ds.covers[1]
    if last is None:
        return pd.Timestamp.min
    return pd.Timestamp(max(last, reporting_quarter(last).end))


def _reoffending(ds, period, by, settings):
    """The reoffending family for a cohort, the rate first: each result says whether the cohort's follow-up
    is complete, and which cohort it is (the MoJ 3-month cohort ending with the period comes last)."""
    cohort = reoffending_cohort(ds, period)
    incomplete = bool(len(cohort)) and not bool(cohort["follow_up_complete"].all())
    note12 = "12-month cohort" if period.days >= 365 else f"cohort {period.label}"
    for r in _reoffending_measures(ds, cohort, period, by, settings, incomplete):
        yield replace(r, incomplete=incomplete, note="; ".join(x for x in (r.note, note12) if x))
    last3 = custom(max(quarter_of(period.end).start, period.start), period.end)
    c3 = reoffending_cohort(ds, last3)
    yield from (replace(r, incomplete=incomplete)
                for r in k.proportion_results(c3, c3["reoffender"], "reoffending_rate_3month", last3, by, settings,
                                              ds=ds, note="MoJ 3-month cohort " + last3.label))


def _reoffending_measures(ds, cohort, period, by, settings, incomplete):
    note = "follow-up not yet complete: the figure can still rise" if incomplete else ""
    yield from k.proportion_results(cohort, cohort["reoffender"], "reoffending_rate", period, by, settings, ds=ds,
                                    note=note)
    yield from k.ratio_results(cohort, cohort["reoffences"], cohort["reoffender"], "reoffences_per_reoffender",
                               period, by, settings, unit="per reoffender", ds=ds, note=note)
    yield from k.ratio_results(cohort, cohort["reoffences"], pd.Series(True, index=cohort.index),
                               "reoffences_per_child", period, by, settings, unit="per child", ds=ds, note=note)
    # prolific share: reoffences by children with 5+ as a share of all reoffences
    gs = [None] if by is None else k.group_values(by, ds, cohort)
    key = None if by is None else cohort[by].astype("object").fillna("Not known")
    total = cohort["reoffences"].groupby(key).sum() if by else pd.Series({None: cohort["reoffences"].sum()})
    prolific = cohort["reoffences"].where(cohort["reoffences"] >= 5, 0)
    prol = prolific.groupby(key).sum() if by else pd.Series({None: prolific.sum()})
    num = np.array([float(prol.get(g, 0)) for g in gs])
    den = np.array([float(total.get(g, 0)) for g in gs])
    from .stats import wilson_intervals

    lo, hi = wilson_intervals(num, den)
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.where(den > 0, num / den * 100, np.nan)
    yield from k._results("reoffending_prolific_share", period, by, gs, num, den, val, lo * 100, hi * 100, "%",
                          settings, INDICATORS["reoffending_prolific_share"].label, note)


# --------------------------------------------------------------------------- referral order panels

def _ro_timeliness(ds, period, by, settings):
    """Referral orders made in the period whose initial panel met within 20 working days."""
    from .periods import working_days_between

    o = k.enriched_outcomes(ds)
    ro = o[(o["outcome_type"] == "Referral Order") & period.contains(o["outcome_date"])]
    panels = ds.interventions[ds.interventions["intervention_type"] == "Referral Order"]
    panels = panels.groupby("outcome_id")["panel_date"].min()
    # (reindex, not map: pandas' map with an empty mapper of dates fails, as when no referral order has a panel)
    ro = ro.assign(panel_date=panels.reindex(ro["outcome_id"].to_numpy()).to_numpy())
    ro = ro[ro["age"].between(10, 17)]
    days = working_days_between(ro["outcome_date"], ro["panel_date"])
    return k.proportion_results(ro, (days <= 20).fillna(False), "ro_panel_timeliness", period, by, settings, ds=ds)


# --------------------------------------------------------------------------- disposals

DISPOSAL_TABLE_GROUPS = {
    "Diversion": "Community resolutions and diversion",
    "Pre-court": "Youth cautions and conditional cautions",
    "Referral Order": "Referral and reparation orders",
    "Reparation Order": "Referral and reparation orders",
    "Community": "Youth rehabilitation orders",
    "Custody": "Custodial sentences",
    "First-tier": "Other first-tier",
}
DISPOSAL_TABLE_ORDER = ("Community resolutions and diversion", "Youth cautions and conditional cautions",
                        "Referral and reparation orders", "Youth rehabilitation orders",
                        "Custodial sentences", "Other first-tier")


def _disposal_outcomes(ds, period) -> pd.DataFrame:
    o = k.enriched_outcomes(ds)
    o = o[period.contains(o["outcome_date"])]
    group = o["outcome_type"].map(DISPOSAL_TABLE_GROUPS).fillna(o["tier"].map(DISPOSAL_TABLE_GROUPS))
    return o.assign(disposal_table_group=group)


def disposal_table(ds: Dataset, period) -> pd.DataFrame:
    """Disposals by type like Southampton's table 9: outcomes, children, share of disposals.

    Children are counted once per disposal type (a child with two types appears in both,
    as in the published table); the total row sums the rows.
    """
    o = _disposal_outcomes(ds, period)
    g = o.groupby("disposal_table_group")
    t = pd.DataFrame({"disposals": g.size(), "children": g["child_id"].nunique()})
    t = t.reindex(DISPOSAL_TABLE_ORDER, fill_value=0)
    total = t["disposals"].sum()
    t["share_pct"] = (t["disposals"] / total * 100).round(1) if total else np.nan
    t.loc["Total"] = [t["disposals"].sum(), t["children"].sum(), 100.0 if total else np.nan]
    t.index.name = "disposal_type"
    t[["disposals", "children"]] = t[["disposals", "children"]].astype(int)
    return t.reset_index()


def _disposals(ds, period, by, settings):
    o = _disposal_outcomes(ds, period)
    return k.count_results(o, "disposals", period, by, settings, ds=ds)


# --------------------------------------------------------------------------- caseload

def open_interventions(ds: Dataset, on) -> pd.DataFrame:
    """Interventions open on a date (started on or before it, not ended before it)."""
    on = pd.Timestamp(on)
    iv = k.enriched_interventions(ds)
    return iv[(iv["start_date"] <= on) & (iv["end_date"].isna() | (iv["end_date"] >= on))]


def caseload_table(ds: Dataset, on, by: str = "team") -> pd.DataFrame:
    """Open interventions on a date by team, locality, scaled approach or case worker."""
    iv = open_interventions(ds, on)
    col = by if by in iv.columns else "team"
    t = iv.groupby(iv[col].fillna("Not recorded")).agg(interventions=("intervention_id", "size"),
                                                       children=("child_id", "nunique"))
    t.index.name = by
    t = t.sort_values("interventions", ascending=False).reset_index()
    t["share_pct"] = (t["interventions"] / t["interventions"].sum() * 100).round(1) if len(t) else []
    return t


def _caseload(ds, period, by, settings):
    iv = open_interventions(ds, period.end)
    out = k.count_results(iv, "caseload_open", period, by, settings, ds=ds)
    workers = iv.dropna(subset=["case_worker"])
    gs = [None] if by is None else k.group_values(by, ds, workers) if by in workers.columns else [None]
    if by is None:
        num, den = np.array([float(len(workers))]), np.array([float(workers["case_worker"].nunique())])
    elif by in workers.columns:
        g = workers.groupby(workers[by].astype("object").fillna("Not known"))
        num = g.size().reindex(gs, fill_value=0).to_numpy(dtype=float)
        den = g["case_worker"].nunique().reindex(gs, fill_value=0).to_numpy(dtype=float)
    else:
        return out
    with np.errstate(invalid="ignore", divide="ignore"):
        val = np.where(den > 0, num / den, np.nan)
    out += k._results("caseload_per_worker", period, by, gs, num, den, val, None, None, "per worker",
                      settings, INDICATORS["caseload_per_worker"].label)
    return out


# --------------------------------------------------------------------------- ETE status of open cases

ETE_STATUS_OF_PROVISION = {
    "School": "Education", "Special school": "Education", "Alternative provision/PRU": "Education",
    "College": "Education", "Elective home education": "Education", "Education in custody": "Custody",
    "Training": "Training", "Apprenticeship": "Training", "Employment": "Employment",
    "Re-engagement": "Re-engagement", "NEET": "NEET", "Not known": "Not yet known",
}
ETE_STATUSES = ("Education", "Training", "Employment", "Re-engagement", "Custody", "NEET", "Not yet known")


def ete_status_table(ds: Dataset, period) -> pd.DataFrame:
    """ETE status of the open caseload at each month end in the period (Southampton appendix 3).

    Uses the latest recorded provision: the end provision where recorded, else the start.
    """
    month_ends = pd.date_range(pd.Timestamp(period.start), pd.Timestamp(period.end), freq="ME")
    rows = []
    for me in month_ends:
        iv = open_interventions(ds, me)
        iv = iv[iv["tier"].notna()].drop_duplicates("child_id")
        prov = iv["ete_provision_end"].where(iv["end_date"].notna() & (iv["end_date"] <= me), iv["ete_provision_start"])
        status = prov.map(ETE_STATUS_OF_PROVISION).fillna("Not yet known")
        counts = status.value_counts().reindex(ETE_STATUSES, fill_value=0)
        rows.append({"month_end": me.date(), **counts.to_dict(), "total": int(counts.sum())})
    return pd.DataFrame(rows, columns=["month_end", *ETE_STATUSES, "total"])


def _ete_status_open(ds, period, by, settings):
    iv = open_interventions(ds, period.end)
    iv = iv.drop_duplicates("child_id")
    prov = iv["ete_provision_end"].fillna(iv["ete_provision_start"])
    iv = iv.assign(ete_status=prov.map(ETE_STATUS_OF_PROVISION).fillna("Not yet known"))
    in_ete = iv["ete_status"].isin(["Education", "Training", "Employment", "Custody"])
    if by == "ete_status":
        return k.count_results(iv, "ete_status_open", period, "ete_status", settings,
                               groups=list(ETE_STATUSES), label="Open cases by ETE status")
    return k.proportion_results(iv, in_ete, "ete_status_open", period, by, settings, ds=ds)


# --------------------------------------------------------------------------- remands

def remand_nights_frame(ds: Dataset, period) -> pd.DataFrame:
    """Each remand's nights inside the period (open remands run to the period end)."""
    r = ds.remands
    start, end = period.ts()
    r_end = r["end_date"].fillna(end)
    overlap_start = r["start_date"].where(r["start_date"] > start, start)
    overlap_end = r_end.where(r_end < end + pd.Timedelta(days=1), end + pd.Timedelta(days=1))
    nights = (overlap_end - overlap_start).dt.days.clip(lower=0)
    r = r.assign(nights=nights.astype(float))
    r = r[r["nights"] > 0]
    return k.with_breakdowns(r, ds, "start_date")


def remand_table(ds: Dataset, period, settings: Settings | None = None) -> pd.DataFrame:
    """Remand nights and cost in the period by remand type, with the per-night rate used."""
    settings = settings or Settings()
    r = remand_nights_frame(ds, period)
    t = r.groupby("remand_type").agg(remands=("remand_id", "size"), children=("child_id", "nunique"),
                                     nights=("nights", "sum"))
    t = t.reindex(list(c.REMAND_TYPES), fill_value=0)
    t["cost_per_night"] = [settings.remand_rates.get(x, 0.0) for x in t.index]
    t["cost"] = t["nights"] * t["cost_per_night"]
    t.index.name = "remand_type"
    return t.reset_index()


def _remands(ds, period, by, settings):
    settings = settings or Settings()
    r = remand_nights_frame(ds, period)
    cost = r["nights"] * r["remand_type"].map(settings.remand_rates).fillna(0.0)
    out = k.count_results(r, "remand_nights", period, by, settings, weights=r["nights"], unit="nights", ds=ds)
    out += k.count_results(r, "remand_cost", period, by, settings, weights=cost, unit="£", ds=ds)
    return out


# --------------------------------------------------------------------------- registry and compute

_NATIONAL = {
    ("fte_count", "fte_rate"): _fte,
    ("custody_count", "custody_rate"): _custody,
    ("reoffending_rate", "reoffences_per_reoffender", "reoffences_per_child", "reoffending_prolific_share"): _reoffending,
    ("ro_panel_timeliness",): _ro_timeliness,
    ("disposals",): _disposals,
    ("caseload_open", "caseload_per_worker"): _caseload,
    ("ete_status_open",): _ete_status_open,
    ("remand_nights", "remand_cost"): _remands,
}


def _calculators():
    from .kpis import CALCULATORS

    calcs = {}
    for ids, fn in _NATIONAL.items():
        for i in ids:
            calcs[i] = (ids, fn)
    for i, fn in CALCULATORS.items():
        calcs[i] = ((i,), fn)
    return calcs


def supported_breakdowns(indicator: str) -> tuple[str, ...]:
    """Dimensions an indicator can be broken down by."""
    if indicator in SUPPORTED_BREAKDOWNS:
        return SUPPORTED_BREAKDOWNS[indicator]
    from .kpis import BREAKDOWNS_OF

    return BREAKDOWNS_OF.get(indicator, k.BREAKDOWNS)


def all_breakdowns() -> tuple[str, ...]:
    """Every dimension any indicator can be broken down by."""
    from .kpis import BREAKDOWNS_OF

    dims = list(k.BREAKDOWNS)
    for d in list(SUPPORTED_BREAKDOWNS.values()) + list(BREAKDOWNS_OF.values()):
        dims += [x for x in d if x not in dims]
    return tuple(dims)


def compute(ds: Dataset, period, indicators: Iterable[str] | None = None, by: str | None = None,
            settings: Settings | None = None, benchmarks: pd.DataFrame | None = None) -> list[IndicatorResult]:
    """Results for the chosen indicators (all when None), overall or by one breakdown.

    Only results whose id was asked for are returned, plus the sub-measures of asked-for
    KPIs. Overall results carry the benchmarks for the same period and the family rank.
    """
    settings = settings or Settings()
    wanted = list(INDICATORS) if indicators is None else list(indicators)
    unknown = [i for i in wanted if i not in INDICATORS]
    if unknown:
        raise ValueError(f"Unknown indicator(s): {', '.join(unknown)}. Known: {', '.join(INDICATORS)}.")
    if by is not None and by not in all_breakdowns():
        raise ValueError(f"'{by}' is not a breakdown; use one of {', '.join(all_breakdowns())}.")
    calcs = _calculators()
    done, out = set(), []
    for ind in wanted:
        ids, fn = calcs[ind]
        if ids in done:
            continue
        done.add(ids)
        if by is not None and by not in supported_breakdowns(ind):
            continue
        for r in fn(ds, period, by, settings):
            base_id = r.indicator
            if base_id in wanted or base_id not in INDICATORS:
                out.append(r)
    if by is None:
        bench = benchmarks if benchmarks is not None else ds.shared("benchmarks", benchmarks_frame)
        out = [attach_benchmarks(r, bench, INDICATORS[r.indicator].direction if r.indicator in INDICATORS else "lower")
               for r in out]
    return out


#: Indicators a board reads over a rolling year (population rates, as the YJB publishes them).
ROLLING_YEAR_INDICATORS = ("fte_rate", "fte_count", "custody_rate", "custody_count")
#: Reoffending is read for the latest rolling-year cohort whose 18-month follow-up is complete.
REOFFENDING_INDICATORS = ("reoffending_rate", "reoffences_per_reoffender", "reoffences_per_child",
                          "reoffending_prolific_share")


def reporting_period(indicator: str, quarter):
    """The period the board reads an indicator for in a quarter.

    Population rates: the rolling 12 months to the quarter end. Reoffending: the rolling
    12-month cohort ending 18 months before the quarter end (follow-up complete). KPIs
    (KPI 9 serious violence included, as the YJB's quarterly figure): the quarter itself.
    """
    from .periods import quarter_of, rolling_year

    if indicator in ROLLING_YEAR_INDICATORS:
        return rolling_year(quarter.end)
    if indicator in REOFFENDING_INDICATORS:
        lagged = (pd.Timestamp(quarter.end) - pd.DateOffset(months=18)).date()
        return rolling_year(quarter_of(lagged).end)
    return quarter


def scorecard(ds: Dataset, quarter, settings: Settings | None = None,
              indicators: Iterable[str] | None = None) -> list[IndicatorResult]:
    """The headline indicators, overall, for the board scorecard (in HEADLINE order), each for
    its :func:`reporting_period` of the quarter."""
    bench = ds.shared("benchmarks", benchmarks_frame)
    out = []
    for ind in (HEADLINE if indicators is None else tuple(indicators)):
        res = compute(ds, reporting_period(ind, quarter), [ind], None, settings, bench)
        out.extend(r for r in res if r.indicator == ind)
    return out


def scorecards(ds: Dataset, quarters: Iterable, settings: Settings | None = None,
               indicators: Iterable[str] | None = None) -> dict:
    """``{quarter: scorecard(ds, quarter, settings, indicators)}`` for several quarters in one pass.

    The board overview reads five quarters (the trend column). One pass shares what the quarters have in
    common: the benchmarks, the registry of calculators, each family calculation done once per reporting
    period (a family such as reoffending gives several indicators from one cohort), and the per-dataset
    frames every period slices (enriched outcomes and interventions, KPI orders, custody releases, proven
    offences), which are built once, before the first quarter asks for them. A family stops at the
    indicators asked for: the sub-measures behind them are not computed.
    """
    settings = settings or Settings()
    wanted = HEADLINE if indicators is None else tuple(indicators)
    unknown = [i for i in wanted if i not in INDICATORS]
    if unknown:
        raise ValueError(f"Unknown indicator(s): {', '.join(unknown)}. Known: {', '.join(INDICATORS)}.")
    quarters = list(quarters)
    bench = ds.shared("benchmarks", benchmarks_frame)
    calcs = _calculators()
    families: dict = {}  # (family ids, reporting period) -> (the family's results so far, the rest to come)
    out = {}
    for q in quarters:
        rows = []
        for ind in wanted:
            period = reporting_period(ind, q)
            ids, fn = calcs[ind]
            key = (ids, period)
            if key not in families:
                families[key] = ([], iter(fn(ds, period, None, settings)))
            result = _result_of(families[key], ind)
            if result is not None:
                rows.append(attach_benchmarks(result, bench, INDICATORS[ind].direction))
        out[q] = rows
    return out


def _result_of(family, indicator: str):
    """The overall result for ``indicator`` from a family's calculator, computing no further than needed
    (calculators give the headline first, so the scorecard never computes the sub-measures)."""
    done, rest = family
    for r in done:
        if r.indicator == indicator:
            return r
    for r in rest:
        done.append(r)
        if r.indicator == indicator:
            return r
    return None


def scorecard_trend(ds: Dataset, indicator: str, quarter, n: int = 5,
                    settings: Settings | None = None) -> list[IndicatorResult]:
    """The indicator's scorecard value for each of the last ``n`` quarters, oldest first."""
    from .periods import last_quarters

    return trend(ds, indicator, [reporting_period(indicator, q) for q in last_quarters(quarter, n)], settings)


def trend(ds: Dataset, indicator: str, periods: list, settings: Settings | None = None) -> list[IndicatorResult]:
    """One overall result per period (oldest first) for one indicator."""
    bench = ds.shared("benchmarks", benchmarks_frame)
    out = []
    for p in periods:
        res = [r for r in compute(ds, p, [indicator], None, settings, bench) if r.indicator == indicator]
        out.extend(res[:1])
    return out


def children_behind(ds: Dataset, period, indicator: str, by: str | None = None,
                    group: str | None = None) -> pd.DataFrame:
    """The child-level rows behind an indicator (managers only): pseudonymous ids and the facts
    that decided each child's place in the figure. Never names."""
    if indicator in ("fte_count", "fte_rate"):
        df = first_time_entrants(ds, period)
        cols = ["child_id", "outcome_date", "outcome_type"]
    elif indicator in ("custody_count", "custody_rate"):
        df = custodial_sentences(ds, period)
        cols = ["child_id", "outcome_date", "outcome_type"]
    elif indicator.startswith("reoff"):
        df = reoffending_cohort(ds, period)
        cols = ["child_id", "index_date", "index_type", "reoffences", "reoffender", "follow_up_complete"]
    elif indicator == "disposals":
        df = _disposal_outcomes(ds, period)
        cols = ["child_id", "outcome_id", "outcome_date", "outcome_type"]
    elif indicator.startswith("caseload"):
        df = open_interventions(ds, period.end)
        cols = ["child_id", "intervention_id", "intervention_type", "team", "case_worker", "start_date"]
    else:
        from .kpis import kpi_frame

        df, cols = kpi_frame(ds, period, indicator)
    dims = [d for d in ("ethnicity", "gender", "age_band", "locality", "disposal", "looked_after", "school_age")
            if d in df.columns]
    if by is not None and group is not None and by in df.columns:
        df = df[df[by].astype("object").fillna("Not known") == group]
    keep = [col for col in dict.fromkeys(cols + dims) if col in df.columns]
    return df[keep].reset_index(drop=True)


__all__ = ["INDICATORS", "HEADLINE", "compute", "scorecard", "scorecards", "trend", "reoffending_cohort", "disposal_table",
           "caseload_table", "ete_status_table", "remand_table", "children_behind", "first_time_entrants",
           "custodial_sentences", "supported_breakdowns"]
