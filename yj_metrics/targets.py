"""Local targets (RAG bands) and benchmark comparisons.

Default bands come from the published plans in the seeds: Portsmouth's FTE (green under
224, red over 341 per 100,000), reoffending (green under 36%, red over 41%) and custody
(green under 0.35, red over 0.45 per 1,000) bands; KPI bands are sensible starting points
the manager edits on the Settings page.
"""
from __future__ import annotations

import re
from dataclasses import replace
from functools import cache
from pathlib import Path

import pandas as pd

from .registry import INDICATORS, SUB_MEASURES
from .results import BenchmarkComparison, IndicatorResult
from .settings import Target

#: RAG as a shape as well as a colour (never colour alone): the app and the board pack use these.
RAG_ICONS = {"Green": "●", "Amber": "▲", "Red": "■"}

#: Comparators that are not members of the family group when ranking.
NON_FAMILY = ("National", "Regional", "Family")


def _key(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


@cache
def _aliases() -> dict[str, str]:
    """Every way a Benchmarks row may name an indicator, reduced to letters and digits: its id
    (``kpi1_accommodation``), its label (``KPI 1 Suitable accommodation``) and, for the ten KPIs,
    the YJB's short name (``KPI 1``, ``KPI1``, ``kpi 01``)."""
    out = {}
    for d in (*SUB_MEASURES.values(), *INDICATORS.values()):
        out[_key(d.label)] = out[_key(d.id)] = d.id
        kpi = re.match(r"kpi(\d+)_", d.id)
        if kpi and d.id in INDICATORS:
            out[f"kpi{kpi.group(1)}"] = out[f"kpi0{kpi.group(1)}"] = d.id
    return out


def indicator_id(name) -> str:
    """The indicator id a benchmark row names (see :func:`_aliases`); other names are kept as given."""
    return _aliases().get(_key(str(name)), name) if isinstance(name, str) else name


def benchmarks_frame(ds, csv_dir: str | Path | None = "data") -> pd.DataFrame:
    """Benchmarks from the workbook's Benchmarks sheet plus any ``data/benchmarks*.csv``; indicators
    named by id, label or the YJB's short name (``KPI 1``) are matched to their id."""
    frames = [ds.benchmarks[["indicator", "period_start", "period_end", "comparator", "value"]]]
    if csv_dir is not None:
        base = Path(csv_dir)
        if not base.is_absolute():
            base = Path(__file__).resolve().parents[1] / base
        for path in sorted(base.glob("benchmarks*.csv")):
            df = pd.read_csv(path, parse_dates=["period_start", "period_end"])
            frames.append(df[["indicator", "period_start", "period_end", "comparator", "value"]])
    out = pd.concat([f for f in frames if len(f)], ignore_index=True) if any(len(f) for f in frames) else frames[0]
    out = out.assign(indicator=out["indicator"].map(indicator_id))
    return out.drop_duplicates(["indicator", "period_start", "period_end", "comparator"], keep="last")


_INDEX_CACHE: dict[int, tuple[pd.DataFrame, dict]] = {}


def _index(benchmarks: pd.DataFrame) -> dict:
    """Benchmarks grouped by (indicator, start, end), built once per frame object."""
    key = id(benchmarks)
    hit = _INDEX_CACHE.get(key)
    if hit is not None and hit[0] is benchmarks:
        return hit[1]
    index = {k: g for k, g in benchmarks.groupby(["indicator", "period_start", "period_end"], sort=False)}
    if len(_INDEX_CACHE) > 32:
        _INDEX_CACHE.clear()
    _INDEX_CACHE[key] = (benchmarks, index)
    return index


def attach_benchmarks(result: IndicatorResult, benchmarks: pd.DataFrame, direction: str = "lower") -> IndicatorResult:
    """The result with the benchmarks for its indicator and exact period, and its family rank.

    Difference = our value minus the comparator's. Rank counts the service and every
    comparator that is not National/Regional/Family (named family members); 1 is best.
    """
    if benchmarks is None or benchmarks.empty or result.by is not None:
        return result
    index = _index(benchmarks)
    rows = index.get((result.indicator, pd.Timestamp(result.start), pd.Timestamp(result.end)))
    if rows is None:
        return result
    comps = tuple(
        BenchmarkComparison(str(r.comparator), float(r.value),
                            float(result.value - r.value) if result.value is not None else float("nan"))
        for r in rows.itertuples()
    )
    rank = rank_of = None
    members = rows[~rows["comparator"].isin(NON_FAMILY)]
    if len(members) and result.value is not None and direction in ("lower", "higher"):
        values = members["value"].astype(float)
        better = (values < result.value) if direction == "lower" else (values > result.value)
        rank, rank_of = int(better.sum()) + 1, len(members) + 1
    return replace(result, benchmarks=comps, rank=rank, rank_of=rank_of)


# --------------------------------------------------------------------------- targets a manager can set

#: context figures with no better or worse: a target would mean nothing
NO_TARGET = ("disposals", "caseload_open")


def targetable() -> list:
    """The indicators a manager can give a local target, in scorecard order: every indicator but the
    context counts in :data:`NO_TARGET`. Headline indicators first (the ten KPIs among them, KPI 7 and
    KPI 9 included), then the local measures."""
    keep = [d for d in INDICATORS.values() if d.id not in NO_TARGET]
    return [d for d in keep if d.headline] + [d for d in keep if not d.headline]


def target_problem(definition, green, red, direction: str) -> str | None:
    """Why a band typed on the Settings page cannot be saved (``None`` when it can, or when both
    thresholds are blank: no target). Green and red must both be given, in range for a percentage,
    not negative, and green must be at or better than red in ``direction``."""
    if green is None and red is None:
        return None
    name = definition.label
    if green is None or red is None:
        return f"{name}: give both the green and the red threshold, or clear both for no target."
    if direction not in ("lower", "higher"):
        return f"{name}: choose whether lower or higher is better."
    if min(green, red) < 0 or (definition.unit == "%" and max(green, red) > 100):
        return f"{name}: thresholds are " + ("percentages from 0 to 100." if definition.unit == "%"
                                             else "not negative.")
    if direction == "lower" and green > red:
        return (f"{name}: lower is better, so green ({green:g}) must be at or below red ({red:g}). "
                "Swap them or correct one.")
    if direction == "higher" and green < red:
        return (f"{name}: higher is better, so green ({green:g}) must be at or above red ({red:g}). "
                "Swap them or correct one.")
    return None


def target_changes(before: dict, after: dict) -> dict[str, dict]:
    """Per indicator whose target changed: ``{"before": band or None, "after": band or None}`` (for the
    audit log), bands as ``{"green", "red", "direction"}``."""
    def band(t):
        return None if t is None else {"green": t.green, "red": t.red, "direction": t.direction}

    return {i: {"before": band(before.get(i)), "after": band(after.get(i))}
            for i in sorted(set(before) | set(after)) if band(before.get(i)) != band(after.get(i))}
