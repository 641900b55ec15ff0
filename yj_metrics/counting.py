"""Counting rules and result builders shared by :mod:`indicators` and :mod:`kpis`.

The YJB KPI rules (``recreate_kpi_case_level_views_pt*.sql``, ``_v8`` views): a KPI
period is chosen by the order's end date (orders closing in the period); each child counts
once per quarter, on the most serious order and then the most recent outcome (sentence)
date; longer periods add up the quarters; the child must be 10-17 at the order's start and
live in the area on the outcome date; outcomes overturned on appeal are ignored. See
``docs/COUNTING_RULES.md`` for every rule beside the YJB's.
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from . import contract as c
from .dataset import Dataset, age_band_of, age_on
from .periods import ALL_TIME, quarter_labels, whole_quarters
from .registry import definition
from .results import IndicatorResult
from .stats import poisson_intervals, wilson_intervals

#: Breakdown dimensions every indicator supports where it makes sense.
BREAKDOWNS = ("ethnicity", "gender", "age_band", "locality", "disposal", "looked_after", "school_age")

BREAKDOWN_LABELS = {
    "ethnicity": "Ethnicity", "gender": "Gender", "age_band": "Age band", "locality": "Locality",
    "disposal": "Disposal type", "looked_after": "Looked after", "school_age": "School age",
}

LOOKED_AFTER_GROUPS = ("Looked after", "Not looked after", "Not known")
SCHOOL_AGE_GROUPS = ("School age", "Above school age")
_CHILD_COLUMNS = ["child_id", "date_of_birth", "gender", "ethnicity", "ethnicity_group", "locality",
                  "resident", "prior_substantive_outcome"]


# --------------------------------------------------------------------------- child attributes

def is_school_age(date_of_birth: pd.Series, on: pd.Series | pd.Timestamp) -> pd.Series:
    """True while the child is of compulsory school age on ``on``.

    A child may leave school on the last Friday of June of the school year (1 September -
    31 August) in which they turn 16, so school age means strictly before that Friday.
    """
    dob = pd.to_datetime(date_of_birth)
    turns16_year = dob.dt.year + 16
    # school year containing the 16th birthday ends in the following calendar year when the
    # birthday falls on or after 1 September
    leave_year = turns16_year + (dob.dt.month >= 9).astype("int64")
    june30 = pd.to_datetime(dict(year=leave_year.fillna(2000).astype(int), month=6, day=30))
    last_friday = june30 - pd.to_timedelta((june30.dt.day_of_week - 4) % 7, unit="D")
    last_friday = last_friday.where(dob.notna())
    on_ts = on if isinstance(on, pd.Series) else pd.Series(pd.Timestamp(on), index=dob.index)
    return (on_ts < last_friday).fillna(False).astype(bool)


def looked_after_label(flag: pd.Series) -> pd.Series:
    """``Looked after`` / ``Not looked after`` / ``Not known`` from a Y/N column."""
    out = pd.Series("Not known", index=flag.index, dtype="object")
    out[flag.fillna(False).astype(bool)] = "Looked after"
    out[(~flag.fillna(True).astype(bool))] = "Not looked after"
    return out


def with_child_columns(frame: pd.DataFrame, ds: Dataset) -> pd.DataFrame:
    """``frame`` (with ``child_id``) joined to the child attributes it lacks."""
    if frame.empty:
        cols = [col for col in _CHILD_COLUMNS if col == "child_id" or col not in frame.columns]
        return frame.merge(ds.children[cols], on="child_id", how="left")
    children = ds.memo("children_by_id", lambda: ds.children.set_index("child_id"))
    out = frame.copy()
    ids = out["child_id"]
    for col in _CHILD_COLUMNS[1:]:
        if col not in out.columns:
            out[col] = ids.map(children[col])
    return out


def with_breakdowns(frame: pd.DataFrame, ds: Dataset, date_col: str, *,
                    type_col: str | None = None, looked_after_col: str | None = None) -> pd.DataFrame:
    """Add the breakdown columns (``BREAKDOWNS``) to an event frame with ``child_id``.

    Age band and school age are taken on ``date_col``; disposal from ``type_col``
    (outcome or intervention type); looked after from ``looked_after_col``.
    """
    out = with_child_columns(frame, ds)
    out["ethnicity"] = out["ethnicity_group"].fillna("Not known")
    out["gender"] = out["gender"].fillna("Not known")
    out["age"] = age_on(out["date_of_birth"], out[date_col])
    out["age_band"] = age_band_of(out["age"])
    out["locality"] = out["locality"].fillna("Not known")
    if type_col is not None:
        out["disposal"] = out[type_col].map(c.DISPOSAL_GROUP_OF_TYPE)
    if looked_after_col is not None and looked_after_col in out.columns:
        out["looked_after_flag"] = out[looked_after_col].astype("boolean")
        out["looked_after"] = looked_after_label(out["looked_after_flag"])
    else:
        out["looked_after"] = "Not known"
    school = is_school_age(out["date_of_birth"], out[date_col])
    out["school_age"] = np.where(school, SCHOOL_AGE_GROUPS[0], SCHOOL_AGE_GROUPS[1])
    return out


def valid_outcomes(ds: Dataset) -> pd.DataFrame:
    """Outcomes that count: not overturned on appeal, the child living in the area on the
    outcome date (:func:`outcome_resident`)."""
    return ds.memo("valid_outcomes", lambda: _valid_outcomes(ds))


def _valid_outcomes(ds: Dataset) -> pd.DataFrame:
    o = ds.outcomes
    resident = outcome_resident(ds).to_numpy(dtype=bool)
    return o[~o["overturned_on_appeal"].fillna(False).astype(bool).to_numpy() & resident]


def enriched_outcomes(ds: Dataset) -> pd.DataFrame:
    """Valid outcomes with the child columns and breakdowns (on the outcome date), once per dataset."""
    return ds.memo("enriched_outcomes", lambda: with_breakdowns(
        valid_outcomes(ds), ds, "outcome_date", type_col="outcome_type", looked_after_col="looked_after"))


def enriched_interventions(ds: Dataset) -> pd.DataFrame:
    """All interventions with the child columns and breakdowns (age on the start date), once per dataset."""
    return ds.memo("enriched_interventions", lambda: with_breakdowns(
        ds.interventions, ds, "start_date", type_col="intervention_type", looked_after_col="looked_after"))


def lookup(keys: pd.Series, frame: pd.DataFrame, key: str, column: str) -> pd.Series:
    """``frame[column]`` for each of ``keys`` matched on ``frame[key]`` (missing keys give NA)."""
    table = frame.drop_duplicates(key).set_index(key)[column]
    return pd.Series(table.reindex(keys.to_numpy()).to_numpy(), index=keys.index, dtype=table.dtype)


def outcome_resident(ds: Dataset) -> pd.Series:
    """Per outcome id: did the child live in the area on the outcome date?

    ``resident_at_outcome`` when recorded, else the child's ``resident`` (YJB:
    ``residence_on_legal_outcome_date <> 'OTHER'`` in every KPI view)."""
    def make():
        o = ds.outcomes
        child = lookup(o["child_id"], ds.children, "child_id", "resident")
        at = o["resident_at_outcome"] if "resident_at_outcome" in o.columns else pd.Series(pd.NA, index=o.index)
        res = at.astype("boolean").fillna(child.astype("boolean")).fillna(True).astype(bool)
        return pd.Series(res.to_numpy(), index=o["outcome_id"].to_numpy(), dtype=bool)
    return ds.memo("outcome_resident", make)


def yjb_outcome_age(o: pd.DataFrame) -> pd.Series:
    """The age the YJB judges an outcome by: at the offence for a caution (Pre-court), at the
    first hearing for a court outcome (``age_serious_violence`` in ``kpi9_sv_case_level_v8``,
    pt7; ``age_at_first_hearing`` in ``custodies_since_2014``). A blank first hearing date
    falls back to the outcome date, a blank offence date to the outcome date. Diversion
    (no hearing) uses the offence date."""
    offence = o["offence_date"].fillna(o["outcome_date"])
    hearing = o["first_hearing_date"] if "first_hearing_date" in o.columns else pd.Series(pd.NaT, index=o.index)
    hearing = hearing.fillna(o["outcome_date"])
    court = o["tier"].isin(c.COURT_TIERS)
    on = offence.where(~court, hearing)
    return age_on(o["date_of_birth"], on)


def kpi_orders(ds: Dataset) -> pd.DataFrame:
    """Every order that can count in the order-based KPIs, before one is picked per child.

    YJB rule (``person_details_v8``, ``recreate_kpi_case_level_views_pt2.sql``): the order is
    one of the KPI template's types (:data:`contract.KPI_ORDER_TYPE_OF`: out of court with
    YJS intervention, youth caution, youth conditional caution, referral order, YRO,
    custody); its outcome was not overturned on appeal; the child lived in the area on the
    outcome date; the child was 10-17 at the order's start. Adds ``order_type``,
    ``seriousness``, ``sentence_date`` (the outcome date) and ``quarter`` (of the end date).
    """
    return ds.per_child("kpi_orders", _kpi_orders)


def _kpi_orders(ds: Dataset) -> pd.DataFrame:
    iv = enriched_interventions(ds)
    iv = iv[iv["intervention_type"].isin(list(c.KPI_ORDER_TYPE_OF)) & iv["end_date"].notna()]
    overturned = ds.outcomes.loc[ds.outcomes["overturned_on_appeal"].fillna(False).astype(bool), "outcome_id"]
    iv = iv[~iv["outcome_id"].isin(overturned)]
    resident = pd.Series(outcome_resident(ds).reindex(iv["outcome_id"]).to_numpy(), index=iv.index, dtype="boolean")
    resident = resident.fillna(iv["resident"].astype("boolean")).fillna(True).astype(bool)
    iv = iv[resident & iv["age"].between(10, 17).fillna(False)].copy()
    iv["order_type"] = iv["intervention_type"].map(c.KPI_ORDER_TYPE_OF)
    iv["seriousness"] = iv["intervention_type"].map(c.OUTCOME_SERIOUSNESS).fillna(0)
    iv["sentence_date"] = lookup(iv["outcome_id"], ds.outcomes, "outcome_id", "outcome_date")
    iv["quarter"] = quarter_labels(iv["end_date"])
    school = is_school_age(iv["date_of_birth"], iv["end_date"])
    iv["school_age"] = np.where(school, SCHOOL_AGE_GROUPS[0], SCHOOL_AGE_GROUPS[1])
    start_school = is_school_age(iv["date_of_birth"], iv["start_date"])
    iv["school_age_start"] = np.where(start_school, SCHOOL_AGE_GROUPS[0], SCHOOL_AGE_GROUPS[1])
    return iv.reset_index(drop=True)


def _select_one_per_child_quarter(frame: pd.DataFrame) -> pd.DataFrame:
    """Most serious order, then the most recent outcome (sentence) date, per child and quarter.

    YJB: ``ROW_NUMBER() OVER (PARTITION BY ypid, label_quarter ORDER BY seriousness_ranking,
    outcome_date DESC)`` in ``person_details_v8``. Later end date and then the id break any
    remaining tie, so the pick is deterministic."""
    ranked = frame.sort_values(["child_id", "quarter", "seriousness", "sentence_date", "end_date", "intervention_id"],
                               na_position="first")
    return ranked.drop_duplicates(["child_id", "quarter"], keep="last")


def cut_to(ds: Dataset, name: str, period, date_col: str, build, *, per_quarter: bool = True,
           per_child: bool = True) -> pd.DataFrame:
    """``build(ds, period)``, cut from ``build(ds, ALL_TIME)`` where that gives the same rows.

    A selection whose row-level rules do not depend on the period, and which picks one row per child (or
    offence, or victim) *within each quarter* of ``date_col`` (``per_quarter``), gives the same rows for a
    run of whole quarters whether it is built for the period or cut from the whole history; one that
    picks within a single date (``per_quarter=False``) does so for any period. Other periods (a month, a
    chosen range) are built as they are. The board reads five quarters and as many rolling years: each
    then costs a slice, not a rebuild. The whole history is built once per dataset, and cut from the whole
    service's for a filter that keeps whole children (:meth:`Dataset.per_child`) unless ``per_child`` is
    False (a selection whose rows do not all belong to one of the dataset's children)."""
    if not per_quarter or whole_quarters(period):
        every = whole_history(ds, name, build, per_child=per_child)
        return every[period.contains(every[date_col]).to_numpy()].reset_index(drop=True)
    return build(ds, period)


def whole_history(ds: Dataset, name: str, build, *, per_child: bool = True) -> pd.DataFrame:
    """``build(ds, ALL_TIME)``, once per dataset (per child: see :func:`cut_to`)."""
    key = (name, "all time")
    return ds.per_child(key, lambda d: build(d, ALL_TIME)) if per_child else ds.memo(key, lambda: build(ds, ALL_TIME))


def orders_ending(ds: Dataset, period) -> pd.DataFrame:
    """One row per child per quarter whose order ended in the period (:func:`kpi_orders`).

    YJB rule: within each financial-year quarter of the order's end date, the child counts
    once, on the most serious order and then the one with the most recent outcome
    (sentence) date (``person_details_v8``). A period longer than a quarter (a financial
    year, a rolling year) is the sum of its quarters, as the YJB adds up the quarterly
    returns: a child whose orders end in two quarters counts in both. Breakdown columns are
    added (age band on the start date, school age on the end date).
    """
    return ds.memo(("orders_ending", period.start, period.end),
                   lambda: cut_to(ds, "orders_ending", period, "end_date", _orders_ending))


def _orders_ending(ds: Dataset, period) -> pd.DataFrame:
    iv = kpi_orders(ds)
    iv = iv[period.contains(iv["end_date"])]
    return _select_one_per_child_quarter(iv).sort_values(["quarter", "child_id"]).reset_index(drop=True)


# --------------------------------------------------------------------------- groups

def group_values(by: str, ds: Dataset | None = None, frame: pd.DataFrame | None = None) -> list[str]:
    """Groups to report for a dimension, in display order (known vocabularies first)."""
    fixed = {
        "ethnicity": list(c.ETHNIC_GROUPS),
        "gender": list(c.GENDERS),
        "age_band": list(c.AGE_BANDS),
        "disposal": [g for g in c.DISPOSAL_GROUPS if g != "Prevention"],
        "looked_after": list(LOOKED_AFTER_GROUPS),
        "school_age": list(SCHOOL_AGE_GROUPS),
    }
    if by in fixed:
        groups = fixed[by]
    elif by == "locality" and ds is not None:
        groups = sorted(set(ds.children["locality"].dropna()) | set(ds.population["locality"].dropna()))
    else:
        groups = []
    if frame is not None and by in frame.columns:
        extra = sorted(set(frame[by].dropna().astype(str)) - set(groups))
        groups = groups + extra
    return groups


def _definition(indicator: str):
    """Label and unit of an indicator id from the registry."""
    return definition(indicator)


def _rag(settings, indicator: str, value):
    if settings is None or value is None:
        return None
    target = settings.targets.get(indicator)
    return target.rag(value) if target else None


def _none(x):
    return None if x is None or (isinstance(x, float) and np.isnan(x)) else float(x)


def _results(indicator, period, by, groups, num, den, value, lo, hi, unit, settings, label, note=""):
    out = []
    for i, g in enumerate(groups):
        v = _none(value[i])
        out.append(IndicatorResult(
            indicator=indicator, label=label, start=period.start, end=period.end,
            by=by, group=g, numerator=_none(num[i]), denominator=_none(den[i]) if den is not None else None,
            value=v, unit=unit, ci_low=_none(lo[i]) if lo is not None else None,
            ci_high=_none(hi[i]) if hi is not None else None, rag=_rag(settings, indicator, v), note=note,
        ))
    return out


def _group_codes(frame: pd.DataFrame, by: str, groups: list) -> np.ndarray:
    """Position of each row's group in ``groups`` (its first occurrence; -1 when not
    reported); a blank counts as Not known."""
    col = frame[by]
    codes = pd.Categorical(col.astype("object"), categories=list(dict.fromkeys(groups))).codes.astype("int64")
    if "Not known" in groups:
        codes[col.isna().to_numpy()] = list(dict.fromkeys(groups)).index("Not known")
    return codes


def _grouped_sum(frame: pd.DataFrame, mask: pd.Series, by: str | None, groups: list) -> np.ndarray:
    mask = np.asarray(mask, dtype=bool)
    if by is None:
        return np.array([float(mask.sum())])
    codes = _group_codes(frame, by, groups)
    unique = list(dict.fromkeys(groups))
    counts = np.bincount(codes[mask & (codes >= 0)], minlength=len(unique)).astype("float64")
    return counts[[unique.index(g) for g in groups]]


def _groups_for(frame, by, groups, ds=None):
    if by is None:
        return [None]
    if groups is not None:
        return list(groups)
    return group_values(by, ds, frame)


def _label(indicator, label):
    if label:
        return label
    d = _definition(indicator)
    return d.label if d else indicator


def proportion_results(frame: pd.DataFrame, numerator: pd.Series, indicator: str, period, by: str | None,
                       settings=None, *, denominator: pd.Series | None = None,
                       groups: Sequence[str] | None = None, ds: Dataset | None = None,
                       label: str | None = None, note: str = "") -> list[IndicatorResult]:
    """Share (0-100) of ``denominator`` rows (default: all rows) where ``numerator`` holds.

    One overall result when ``by`` is None, else one per group (zero denominators kept,
    value None). 95% Wilson interval.
    """
    den_mask = pd.Series(True, index=frame.index) if denominator is None else denominator
    num_mask = pd.Series(np.asarray(numerator, dtype=bool), index=frame.index) & np.asarray(den_mask, dtype=bool)
    gs = _groups_for(frame, by, groups, ds)
    num = _grouped_sum(frame, num_mask, by, gs)
    den = _grouped_sum(frame, den_mask, by, gs)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, num / den * 100, np.nan)
    lo, hi = wilson_intervals(num, den)
    return _results(indicator, period, by, gs, num, den, value, lo * 100, hi * 100, "%", settings,
                    _label(indicator, label), note)


def rate_results(frame: pd.DataFrame, indicator: str, period, by: str | None, settings=None, *,
                 population, per: float, numerator: pd.Series | None = None,
                 groups: Sequence[str] | None = None, ds: Dataset | None = None, unit: str | None = None,
                 label: str | None = None, note: str = "") -> list[IndicatorResult]:
    """Rows (or rows where ``numerator`` holds) per ``per`` of ``population``.

    ``population`` is a number for the overall result or a Series indexed by group for a
    breakdown; groups missing from it get value None. Exact Poisson interval.
    """
    mask = pd.Series(True, index=frame.index) if numerator is None else numerator
    gs = _groups_for(frame, by, groups, ds)
    if by is not None and isinstance(population, pd.Series) and groups is None:
        gs = gs + [g for g in population.index if g not in gs]
    num = _grouped_sum(frame, mask, by, gs)
    if by is None:
        pop = np.array([np.nan if population is None else float(population)])
    elif isinstance(population, pd.Series):
        pop = population.reindex(gs).to_numpy(dtype="float64")
    else:
        pop = np.full(len(gs), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(pop > 0, num / pop * per, np.nan)
        lo, hi = poisson_intervals(num)
        lo = np.where(pop > 0, lo / pop * per, np.nan)
        hi = np.where(pop > 0, hi / pop * per, np.nan)
    unit = unit or f"per {per:,.0f}"
    return _results(indicator, period, by, gs, num, pop, value, lo, hi, unit, settings,
                    _label(indicator, label), note)


def count_results(frame: pd.DataFrame, indicator: str, period, by: str | None, settings=None, *,
                  numerator: pd.Series | None = None, groups: Sequence[str] | None = None,
                  ds: Dataset | None = None, label: str | None = None,
                  weights: pd.Series | None = None, unit: str = "count", note: str = "") -> list[IndicatorResult]:
    """Count of rows (or sum of ``weights``) per group, with an exact Poisson interval for counts."""
    mask = pd.Series(True, index=frame.index) if numerator is None else numerator
    gs = _groups_for(frame, by, groups, ds)
    if weights is None:
        num = _grouped_sum(frame, mask, by, gs)
        lo, hi = poisson_intervals(num)
    else:
        w = pd.Series(np.where(np.asarray(mask, dtype=bool), weights, 0.0), index=frame.index)
        if by is None:
            num = np.array([float(w.sum())])
        else:
            num = w.groupby(frame[by].astype("object").fillna("Not known")).sum().reindex(gs, fill_value=0).to_numpy(dtype="float64")
        lo = hi = None
    return _results(indicator, period, by, gs, num, None, num, lo, hi, unit, settings,
                    _label(indicator, label), note)


def ratio_results(frame: pd.DataFrame, numerator_values: pd.Series, denominator_mask: pd.Series,
                  indicator: str, period, by: str | None, settings=None, *, unit: str = "per child",
                  groups=None, ds=None, label=None, note="") -> list[IndicatorResult]:
    """Sum of ``numerator_values`` over rows in ``denominator_mask`` / number of those rows."""
    den_mask = pd.Series(np.asarray(denominator_mask, dtype=bool), index=frame.index)
    vals = pd.Series(np.where(den_mask, numerator_values, 0.0), index=frame.index)
    gs = _groups_for(frame, by, groups, ds)
    if by is None:
        num = np.array([float(vals.sum())])
    else:
        num = vals.groupby(frame[by].astype("object").fillna("Not known")).sum().reindex(gs, fill_value=0).to_numpy(dtype="float64")
    den = _grouped_sum(frame, den_mask, by, gs)
    with np.errstate(invalid="ignore", divide="ignore"):
        value = np.where(den > 0, num / den, np.nan)
        lo, hi = poisson_intervals(num)
        lo = np.where(den > 0, lo / den, np.nan)
        hi = np.where(den > 0, hi / den, np.nan)
    return _results(indicator, period, by, gs, num, den, value, lo, hi, unit, settings,
                    _label(indicator, label), note)
