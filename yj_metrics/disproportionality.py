"""Disproportionality stage by stage: rates, relative rate index (RRI), intervals, tests.

For each stage of the system (population, caseload, outcomes, ... custody) children are
counted once per stage. A group's rate is its events over its base (the population, per
10,000, or the previous stage, as a percentage); the RRI is the group's rate over the
reference group's. Intervals: Katz log method, or an exact conditional interval
(Clopper-Pearson on the binomial split of events between group and reference) when any of
the four counts is under 20. "Not known" is shown but never given an RRI.
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from . import contract as c
from . import counting as k
from .dataset import Dataset
from .filters import population_by, population_year
from .periods import Period, custom

STAGES = ("population", "caseload", "outcomes", "diversion", "fte", "substantive", "court",
          "custody", "remand", "breach", "reoffending")
DEFAULT_CHAIN = ("population", "outcomes", "substantive", "court", "custody")
DIMENSIONS = ("ethnicity", "gender", "age_band", "looked_after", "locality", "ethnicity_gender")
STAGE_LABELS = {
    "population": "Population 10-17", "caseload": "Caseload", "outcomes": "Any outcome",
    "diversion": "Diversion", "fte": "First-time entrants", "substantive": "Caution or conviction",
    "court": "Court sentence", "custody": "Custody", "remand": "Remand to youth detention",
    "breach": "Breach or revocation", "reoffending": "Reoffended",
}
DEFAULT_REFERENCE = {"ethnicity": "White", "gender": "Male", "age_band": "15-17", "looked_after": "Not looked after",
                     "locality": None, "ethnicity_gender": "White Male"}
SMALL_COUNT = 20
#: The shape of each flag, as the app's chart draws it and the app and the board pack write it.
FLAG_SYMBOLS = {"higher": "▲", "lower": "▼", "no clear difference": "●"}
FLAG_LEGEND = ("Triangles mark a significant difference at 5% (▲ higher, ▼ lower); a circle (●) means no "
               "clear difference.")
NOT_KNOWN = ("Not known", "Not known Male", "Not known Female")
#: Not a stage of the system but the base of the reoffending stage (``base="previous"``).
COHORT = "reoffending_cohort"
STAGE_LABELS[COHORT] = "Reoffending cohort"


def is_not_known(group) -> bool:
    """Groups with an unrecorded attribute (``Not known``, ``Not known Male``, ``White Not known``)."""
    return group is None or "Not known" in str(group)


@dataclass(frozen=True)
class DisproportionalityResult:
    """One group at one stage: its events, base, rate, RRI against the reference and the test."""

    stage: str
    base_stage: str
    by: str
    group: str
    events: float | None
    base: float | None
    rate: float | None
    rate_unit: str  # "per 10,000" or "%"
    rri: float | None
    ci_low: float | None
    ci_high: float | None
    ci_method: str  # "katz" | "exact conditional" | ""
    p_value: float | None
    test: str  # "chi-square" | "exact binomial" | ""
    flag: str  # "higher" | "lower" | "no clear difference" | "reference" | ""
    expected: float | None
    excess: float | None
    share_of_events: float | None
    share_of_base: float | None
    suppressed: bool = False
    reference: str = "White"
    is_reference: bool = False
    start: str = ""
    end: str = ""
    note: str = ""

    def to_dict(self) -> dict:
        d = asdict(self)
        for key, v in d.items():
            if isinstance(v, float) and (math.isnan(v) or math.isinf(v)):
                d[key] = None
        return d


# --------------------------------------------------------------------------- stage membership

def _child_dims(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    out["ethnicity_gender"] = out["ethnicity"].astype(str) + " " + out["gender"].astype(str)
    return out


def stage_children(ds: Dataset, period: Period, stage: str) -> pd.DataFrame:
    """One row per child at a stage in the period, with the breakdown columns."""
    if (stage not in STAGES and stage != COHORT) or stage == "population":
        raise ValueError(f"'{stage}' is not a counted stage; choose one of {', '.join(STAGES[1:])}.")
    return ds.memo(("stage", stage, period.start, period.end), lambda: _stage_children(ds, period, stage))


def _stage_children(ds: Dataset, period: Period, stage: str) -> pd.DataFrame:
    """Stage membership (YJB counting rules as in :mod:`counting`): outcomes overturned on
    appeal are ignored, children living outside the area (``resident`` = N) are excluded and
    the child must be 10-17 on the event date (outcome date, intervention or remand start)."""
    from . import indicators

    start, end = period.ts()
    if stage in ("caseload", "breach"):
        iv = k.enriched_interventions(ds)
        if stage == "caseload":  # any intervention open at some time in the period
            iv = iv[(iv["start_date"] <= end) & (iv["end_date"].isna() | (iv["end_date"] >= start))]
        else:  # intervention ended Breached or Revoked in the period
            iv = iv[iv["completion"].isin(["Breached", "Revoked"]) & period.contains(iv["end_date"])]
        overturned = ds.memo("overturned_outcome_ids", lambda: set(
            ds.outcomes.loc[ds.outcomes["overturned_on_appeal"].fillna(False).astype(bool), "outcome_id"]))
        frame = iv[~iv["outcome_id"].isin(overturned) & iv["resident"].fillna(True).astype(bool)]
    elif stage in ("outcomes", "diversion", "substantive", "court", "custody"):
        tiers = {"outcomes": c.TIERS, "diversion": ("Diversion",), "substantive": c.SUBSTANTIVE_TIERS,
                 "court": c.COURT_TIERS, "custody": ("Custody",)}[stage]
        o = k.enriched_outcomes(ds)  # valid outcomes: not overturned, resident children
        frame = o[o["tier"].isin(tiers) & period.contains(o["outcome_date"])]
    elif stage == "fte":
        frame = indicators.first_time_entrants(ds, period)
    elif stage == "remand":
        r = ds.remands
        r = r[r["remand_type"].isin(c.YDA_REMAND_TYPES) & (r["start_date"] <= end)
              & (r["end_date"].isna() | (r["end_date"] >= start))]
        frame = k.with_breakdowns(r, ds, "start_date")
        frame = frame[frame["resident"].fillna(True).astype(bool)]
    elif stage == COHORT:
        frame = indicators.reoffending_cohort(ds, period)
    else:  # reoffending: reoffenders among the reoffending cohort
        cohort = indicators.reoffending_cohort(ds, period)
        frame = cohort[cohort["reoffender"]]
    if "age" in frame.columns:
        frame = frame[frame["age"].between(10, 17).fillna(False).astype(bool)]
    frame = frame.drop_duplicates("child_id")
    return _child_dims(frame)[["child_id", "ethnicity", "gender", "age_band", "looked_after", "locality",
                               "ethnicity_gender"]].reset_index(drop=True)


def _population_counts(ds: Dataset, period: Period, by: str) -> pd.Series:
    """10-17 residents per group for the mid-year estimate of the period's end; none are
    kept by looked-after status. Ethnicity x gender groups the population by both."""
    if by != "ethnicity_gender":
        return population_by(ds, period.end, by)
    year = population_year(ds.population, period.end)
    if year is None:
        return pd.Series(dtype="float64")
    pop = ds.population[ds.population["year"] == year]
    keys = pop["ethnicity"].fillna("Not known").astype(str) + " " + pop["gender"].fillna("Not known").astype(str)
    return pop.groupby(keys)["population"].sum().astype("float64")


def _pooled_periods(period: Period, pool_years: int) -> list[Period]:
    """The period and the same period in each of the ``pool_years - 1`` years before it (for a
    financial year: the N financial years ending with it). Events and bases are summed over
    them (child-years against resident-years)."""
    out = [period]
    for n in range(1, max(1, pool_years)):
        s = (pd.Timestamp(period.start) - pd.DateOffset(years=n)).date()
        e = (pd.Timestamp(period.end) - pd.DateOffset(years=n)).date()
        out.append(custom(s, e))
    return out


def _counts(ds: Dataset, period: Period, stage: str, by: str, pool_years: int) -> pd.Series:
    total = None
    for p in _pooled_periods(period, pool_years):
        if stage == "population":
            s = _population_counts(ds, p, by)
        else:
            s = stage_children(ds, p, stage)[by].astype("object").fillna("Not known").value_counts().astype("float64")
        total = s if total is None else total.add(s, fill_value=0)
    return total


def stage_counts(ds: Dataset, period: Period, by: str = "ethnicity", pool_years: int = 1,
                 stages=STAGES) -> pd.DataFrame:
    """Children at each stage (columns) per group (rows); population is the 10-17 residents."""
    cols = {s: _counts(ds, period, s, by, pool_years) for s in stages}
    df = pd.DataFrame(cols).fillna(0.0)
    order = k.group_values(by, ds) if by != "ethnicity_gender" else []
    rows = [g for g in order if g in df.index] + sorted(g for g in df.index if g not in order)
    return df.reindex(rows)


# --------------------------------------------------------------------------- statistics

def rri_interval(a: float, n1: float, b: float, n0: float, level: float = 0.95) -> tuple[float, float, str]:
    """RRI interval for ``a`` events of base ``n1`` against ``b`` of ``n0``.

    Katz log method when every count is at least 20; otherwise the exact conditional
    interval: given ``a + b`` events, ``a`` is Binomial(a + b, p) with
    ``p = θ·n1 / (θ·n1 + n0)``; the Clopper-Pearson bounds for ``p`` map to ``θ``.
    """
    if n1 <= 0 or n0 <= 0 or a + b == 0:
        return (math.nan, math.nan, "")
    if min(a, b, n1 - a, n0 - b) >= SMALL_COUNT:
        rri = (a / n1) / (b / n0)
        se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n0)
        z = stats.norm.ppf(0.5 + level / 2)
        return (rri * math.exp(-z * se), rri * math.exp(z * se), "katz")
    ci = stats.binomtest(int(a), int(a + b)).proportion_ci(confidence_level=level, method="exact")

    def theta(p):
        if p <= 0:
            return 0.0
        if p >= 1:
            return math.inf
        return (p / (1 - p)) * (n0 / n1)

    return (theta(ci.low), theta(ci.high), "exact conditional")


def rri_test(a: float, n1: float, b: float, n0: float) -> tuple[float, str]:
    """p-value for a difference in rates: exact conditional binomial test for small counts,
    chi-square (2x2, no continuity correction) otherwise."""
    if n1 <= 0 or n0 <= 0 or a + b == 0:
        return (math.nan, "")
    table = np.array([[a, max(n1 - a, 0)], [b, max(n0 - b, 0)]])
    if min(a, b, table[0, 1], table[1, 1]) < SMALL_COUNT:
        p0 = n1 / (n1 + n0)
        return (float(stats.binomtest(int(a), int(a + b), p0).pvalue), "exact binomial")
    chi = stats.chi2_contingency(table, correction=False)
    return (float(chi.pvalue), "chi-square")


def _flag(lo, hi, p) -> str:
    """"higher" / "lower" only when the test is significant at 5% AND the interval lies
    wholly on one side of 1; never when the interval contains 1."""
    if lo is None or hi is None or (isinstance(lo, float) and math.isnan(lo)) or \
            (isinstance(hi, float) and math.isnan(hi)):
        return ""
    if p is not None and p < 0.05 and lo > 1:
        return "higher"
    if p is not None and p < 0.05 and hi < 1:
        return "lower"
    return "no clear difference"


def _none(x):
    return None if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))) else float(x)


def _base_stage(stage: str, base: str, chain: tuple[str, ...]) -> str:
    if base != "previous":
        if base not in STAGES and base != COHORT:
            raise ValueError(f"'{base}' is not a base; use population, previous or one of {', '.join(STAGES)}.")
        return base
    if stage in chain and chain.index(stage) > 0:
        return chain[chain.index(stage) - 1]
    if stage == "reoffending":
        return COHORT  # reoffenders among the cohort: the proven reoffending rate
    return "population"


def _reference(by: str, reference: str | None, groups: list[str], bases: pd.Series) -> str:
    if reference is not None and reference in groups:
        return reference
    if reference is not None and not (reference == "White" and by != "ethnicity"):
        raise ValueError(f"'{reference}' is not a group of {by}; choose one of {', '.join(groups)}.")
    default = DEFAULT_REFERENCE.get(by)
    if default in groups:
        return default
    known = [g for g in groups if not is_not_known(g)] or groups
    return max(known, key=lambda g: (float(bases.get(g, 0.0)), g)) if known else ""


def _combine(counts: pd.Series, combine: dict[str, tuple[str, ...]]) -> pd.Series:
    out = counts.copy()
    for name, members in combine.items():
        members = [m for m in members if m in out.index]
        total = float(out[members].sum()) if members else 0.0
        out = out.drop(members)
        out[name] = total
    return out


def disproportionality(ds: Dataset, period: Period, stage: str = "custody", base: str = "previous",
                       by: str = "ethnicity", reference: str | None = None, pool_years: int = 1,
                       chain: tuple[str, ...] = DEFAULT_CHAIN,
                       combine: dict[str, tuple[str, ...]] | None = None) -> list["DisproportionalityResult"]:
    """One result per group for a stage against a base.

    ``base``: ``population`` (rate per 10,000 residents aged 10-17), ``previous`` (the stage
    before in ``chain``; the reoffending cohort for ``reoffending``; else the population) or
    any stage name (rate as a % of that stage). ``reference``: the comparison group (White
    by default for ethnicity; see ``DEFAULT_REFERENCE``). ``pool_years``: events and bases
    summed over this many years ending with the period. ``combine`` merges groups, e.g.
    ``{"Black and minority ethnic": ("Mixed", "Asian", "Black", "Other")}`` as the
    inspectorate reports. "Not known" is shown (with shares) but gets no RRI, interval or flag.
    """
    if by not in DIMENSIONS:
        raise ValueError(f"'{by}' is not a disproportionality dimension; choose one of {', '.join(DIMENSIONS)}.")
    if stage not in STAGES:
        raise ValueError(f"'{stage}' is not a stage; choose one of {', '.join(STAGES)}.")
    if int(pool_years) < 1:
        raise ValueError(f"pool_years must be 1 or more (got {pool_years}).")
    base_stage = _base_stage(stage, base, chain)
    bases = _counts(ds, period, base_stage, by, pool_years)
    events = bases if stage == "population" else _counts(ds, period, stage, by, pool_years)
    if combine:
        events, bases = _combine(events, combine), _combine(bases, combine)
    groups = list(stage_counts_index(ds, by, events, bases))
    reference = _reference(by, reference, groups, bases)
    per_pop = base_stage == "population"
    unit, mult = ("per 10,000", 10_000.0) if per_pop else ("%", 100.0)
    ev = events.reindex(groups).fillna(0.0).to_numpy(dtype="float64")
    bs = bases.reindex(groups).fillna(0.0).to_numpy(dtype="float64")
    tot_e, tot_b = ev.sum(), bs.sum()
    a0 = float(events.get(reference, 0.0))
    n0 = float(bases.get(reference, 0.0))
    ref_rate = a0 / n0 if n0 > 0 else math.nan
    pooled = f"{pool_years} years pooled" if pool_years > 1 else ""
    out = []
    for g, a, n1 in zip(groups, ev, bs):
        rate = a / n1 * mult if n1 > 0 else None
        notes = [pooled] if pooled else []
        if n1 == 0:
            notes.append("no base for this group" + (" in the population figures" if per_pop else ""))
        elif a > n1 and not per_pop:
            notes.append("more events than base: check the data")
        rri = lo = hi = p = expected = excess = None
        method = test = ""
        if g == reference:
            rri, flag = (1.0 if n1 > 0 and a0 > 0 else None), "reference"
            if n0 > 0 and a0 == 0:
                notes.append("no events in the reference group: no ratio")
            expected, excess = (a, 0.0) if n0 > 0 else (None, None)
        elif is_not_known(g):
            flag = ""
            notes.append("not known: shown, never compared")
        else:
            if n1 > 0 and n0 > 0:
                if a0 > 0:
                    rri = (a / n1) / ref_rate
                else:
                    notes.append("no events in the reference group: the ratio is unbounded" if a > 0
                                 else "no events in either group: no ratio")
            elif n0 == 0:
                notes.append("no base for the reference group")
            lo, hi, method = rri_interval(a, n1, a0, n0)
            p, test = rri_test(a, n1, a0, n0)
            lo = 0.0 if lo == 0 else _none(lo)
            hi_inf = isinstance(hi, float) and math.isinf(hi)
            hi, p = _none(hi), _none(p)
            flag = _flag(lo, math.inf if hi_inf else hi, p)
            if ref_rate == ref_rate:
                expected = n1 * ref_rate
                excess = a - expected
        out.append(DisproportionalityResult(
            stage=stage, base_stage=base_stage, by=by, group=g, events=float(a), base=float(n1),
            rate=_none(rate), rate_unit=unit, rri=_none(rri), ci_low=lo, ci_high=hi,
            ci_method=method, p_value=p, test=test, flag=flag,
            expected=_none(expected), excess=_none(excess),
            share_of_events=_none(a / tot_e * 100) if tot_e > 0 else None,
            share_of_base=_none(n1 / tot_b * 100) if tot_b > 0 else None,
            reference=reference, is_reference=g == reference,
            start=period.start.isoformat(), end=period.end.isoformat(), note="; ".join(notes),
        ))
    return out


def stage_counts_index(ds, by, events, bases):
    """Groups to show, in display order: known vocabulary first, then any others."""
    order = k.group_values(by, ds) if by != "ethnicity_gender" else []
    present = set(events.index) | set(bases.index)
    rows = [g for g in order if g in present or by in ("ethnicity", "gender")]
    if by == "gender":
        rows = [g for g in rows if g in present or g in ("Male", "Female")]
    rows += sorted(g for g in present if g not in rows)
    return rows


def stage_table(ds: Dataset, period: Period, by: str = "ethnicity", reference: str | None = None,
                chain: tuple[str, ...] = DEFAULT_CHAIN, pool_years: int = 1,
                base: str = "previous", combine: dict[str, tuple[str, ...]] | None = None
                ) -> list[DisproportionalityResult]:
    """Every stage of the chain (after the population), each against its base
    (``previous``: the stage before it in the chain)."""
    out = []
    for stage in chain:
        if stage == "population":
            continue
        out += disproportionality(ds, period, stage, base, by, reference, pool_years, chain, combine)
    return out


def composition(ds: Dataset, period: Period, stage: str = "caseload", by: str = "ethnicity",
                pool_years: int = 1) -> pd.DataFrame:
    """Share of a stage (e.g. caseload) next to share of the 10-17 population per group,
    Not known included (the inspectorate's comparison)."""
    ev = _counts(ds, period, stage, by, pool_years)
    pop = _counts(ds, period, "population", by, pool_years)
    groups = stage_counts_index(ds, by, ev, pop)
    df = pd.DataFrame({"group": groups, "children": [float(ev.get(g, 0)) for g in groups],
                       "population": [float(pop.get(g, 0)) for g in groups]})
    df["share_of_children_pct"] = df["children"] / df["children"].sum() * 100 if df["children"].sum() else np.nan
    df["share_of_population_pct"] = df["population"] / df["population"].sum() * 100 if df["population"].sum() else np.nan
    return df


def flag_text(flag: str) -> str:
    """A flag with its symbol (``▲ higher``), as the legend reads; ``reference`` and blanks as they are."""
    return f"{FLAG_SYMBOLS[flag]} {flag}" if flag in FLAG_SYMBOLS else flag


def results_frame(results: list[DisproportionalityResult]) -> pd.DataFrame:
    """Results as a table (one row per stage and group)."""
    return pd.DataFrame([r.to_dict() for r in results])
