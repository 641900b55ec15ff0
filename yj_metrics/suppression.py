"""Small-number protection for everything partners see.

Counts from 1 to the threshold (default 4; 0 is shown) become a marker such as ``<5``.
Secondary suppression then hides the next smallest cell in any row or column that would
otherwise hold a single hidden cell, so no hidden count can be worked out by subtracting
the others from a total. Rates, percentages and ratios built on a hidden count are hidden.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np
import pandas as pd

DEFAULT_THRESHOLD = 4
SUPPRESSED = "<5"
NOTE = "suppressed: fewer than {n} children"


def marker(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The text shown in place of a small count: ``<5`` for the default threshold of 4."""
    return f"<{int(threshold) + 1}"


def is_small(value, threshold: int = DEFAULT_THRESHOLD) -> bool:
    """True for a count from 1 to the threshold (0 and missing are not small)."""
    try:
        v = float(value)
    except (TypeError, ValueError):
        return False
    return v == v and 0 < v <= threshold


def suppression_mask(values: np.ndarray, threshold: int = DEFAULT_THRESHOLD,
                     lines: str = "both") -> np.ndarray:
    """Cells to hide in a 2-D table of counts: primary (1..threshold) plus secondary.

    Secondary rule, repeated until nothing changes: a row (or column) with exactly one
    hidden cell also hides its smallest other cell (non-zero first), so a row or column
    total never gives a hidden cell away. ``lines`` = "rows", "columns" or "both".
    """
    v = np.asarray(values, dtype="float64")
    if v.ndim == 1:
        v = v.reshape(1, -1)
    mask = (v > 0) & (v <= threshold)
    check_rows = lines in ("rows", "both")
    check_cols = lines in ("columns", "both")
    changed = True
    while changed:
        changed = False
        for axis, active in ((1, check_rows), (0, check_cols)):
            if not active:
                continue
            n_lines = v.shape[0] if axis == 1 else v.shape[1]
            for i in range(n_lines):
                line_mask = mask[i, :] if axis == 1 else mask[:, i]
                line_vals = v[i, :] if axis == 1 else v[:, i]
                if line_mask.sum() != 1 or len(line_vals) < 2:
                    continue
                candidates = [j for j in range(len(line_vals)) if not line_mask[j]]
                nonzero = [j for j in candidates if line_vals[j] > 0]
                pool = nonzero or candidates
                if not pool:
                    continue
                j = min(pool, key=lambda x: (line_vals[x], x))
                if axis == 1:
                    mask[i, j] = True
                else:
                    mask[j, i] = True
                changed = True
    return mask


def suppress_counts(table: pd.DataFrame, count_columns, threshold: int = DEFAULT_THRESHOLD,
                    add_totals: bool = False, lines: str = "columns") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(display frame, mask) for a table of counts; totals (when added) are of the true
    counts and are themselves hidden when small. ``lines="both"`` when the count columns
    also add up along each row (a row total is shown or known)."""
    cols = list(count_columns)
    vals = table[cols].astype("float64").fillna(0).to_numpy()
    mask = suppression_mask(vals, threshold, lines)
    display = table.copy().astype({col: "object" for col in cols})
    mask_df = pd.DataFrame(mask, index=table.index, columns=cols)
    for col in cols:
        display[col] = [marker(threshold) if m else _int(v) for v, m in zip(table[col], mask_df[col])]
    if add_totals:
        totals = table[cols].sum()
        total_row = {col: marker(threshold) if is_small(totals[col], threshold) else _int(totals[col]) for col in cols}
        display.loc["Total"] = {**{c: "" for c in display.columns}, **total_row}
        mask_df.loc["Total"] = [is_small(totals[col], threshold) for col in cols]
    return display, mask_df


def _int(v):
    if v is None or (isinstance(v, float) and v != v):
        return None
    f = float(v)
    return int(f) if f.is_integer() else f


def suppress_table(df: pd.DataFrame, count_columns, derived_columns: dict[str, list[str]] | None = None,
                   threshold: int = DEFAULT_THRESHOLD, lines: str = "columns") -> pd.DataFrame:
    """A copy safe to show partners: small counts hidden (with secondary suppression down each
    column, and along rows too with ``lines="both"``) and each derived column (rate, %, RRI...)
    hidden on rows where any of its source counts is."""
    display, mask = suppress_counts(df, count_columns, threshold, lines=lines)
    for col, sources in (derived_columns or {}).items():
        if col not in display.columns:
            continue
        hide = mask[[s for s in sources if s in mask.columns]].any(axis=1)
        display[col] = display[col].astype("object").where(~hide, marker(threshold))
    return display


# --------------------------------------------------------------------------- indicator results

def _hide(r, threshold):
    return replace(r, numerator=None, denominator=None, value=None, ci_low=None, ci_high=None, rag=None,
                   benchmarks=(), rank=None, rank_of=None,
                   note=(r.note + "; " if r.note else "") + NOTE.format(n=threshold + 1))


def suppress_results(results: list, threshold: int = DEFAULT_THRESHOLD) -> list:
    """Indicator results safe for partners.

    A result whose numerator or denominator is 1..threshold is hidden. Within one breakdown
    (same indicator, dimension and period) a lone hidden group also hides the next smallest
    group, so the overall figure minus the shown groups cannot give it away.
    """
    out = list(results)
    hidden = [is_small(r.numerator, threshold) or is_small(r.denominator, threshold) for r in out]
    families = defaultdict(list)
    for i, r in enumerate(out):
        if r.by is not None:
            families[(r.indicator, r.by, r.start, r.end)].append(i)
    for idx in families.values():
        for field in ("numerator", "denominator"):
            vals = np.array([[float(getattr(out[i], field) or 0) for i in idx]])
            mask = np.array([[hidden[i] for i in idx]])
            if mask.sum() == 1 and len(idx) > 1:
                cand = [j for j in range(len(idx)) if not mask[0, j]]
                nonzero = [j for j in cand if vals[0, j] > 0]
                pool = nonzero or cand
                j = min(pool, key=lambda x: (vals[0, x], x))
                hidden[idx[j]] = True
    return [_hide(r, threshold) if h else r for r, h in zip(out, hidden)]


def suppress_disproportionality(results: list, threshold: int = DEFAULT_THRESHOLD) -> list:
    """Disproportionality results safe for partners: small events or bases hidden, with
    secondary suppression across the groups of each stage, and everything built on them."""
    out = list(results)
    hidden = [is_small(r.events, threshold) or (r.base_stage != "population" and is_small(r.base, threshold))
              for r in out]
    families = defaultdict(list)
    for i, r in enumerate(out):
        families[(r.stage, r.base_stage, r.by, r.start, r.end)].append(i)
    for idx in families.values():
        vals = np.array([[float(out[i].events or 0) for i in idx], [float(out[i].base or 0) for i in idx]])
        prim = np.array([[hidden[i] for i in idx], [hidden[i] for i in idx]])
        mask = suppression_mask(np.where(prim, 1, np.where(vals == 0, 0, threshold + 1 + vals)), threshold, "rows")
        for j, i in enumerate(idx):
            if mask[:, j].any():
                hidden[i] = True
    res = []
    for r, h in zip(out, hidden):
        if h:
            r = replace(r, events=None, base=None if r.base_stage != "population" else r.base, rate=None, rri=None,
                        ci_low=None, ci_high=None, ci_method="", p_value=None, test="", flag="", expected=None, excess=None,
                        share_of_events=None, share_of_base=None if r.base_stage != "population" else r.share_of_base,
                        suppressed=True, note=NOTE.format(n=threshold + 1))
        res.append(r)
    return res
