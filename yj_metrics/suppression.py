"""Small-number protection for everything partners see.

Counts from 1 to the threshold (default 4; 0 is shown) become a marker such as ``<5``
(primary suppression). Secondary suppression then hides more cells so no hidden count can
be worked out from the totals shown beside it:

* a row or column that would hold a single hidden cell also hides its smallest other cell
  (non-zero first), repeated until nothing changes;
* when both row and column totals are known, a hidden cell can still be pinned down by
  combining several totals (it is a "bridge" in the pattern of hidden cells); such a cell
  gets a partner hidden too, until no hidden cell is determined by the totals.

Rates, percentages and ratios built on a hidden count are hidden with it. Unsuppressed
results stay available to the roles allowed to see them: these functions return copies.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

import numpy as np
import pandas as pd
from scipy.linalg import null_space

DEFAULT_THRESHOLD = 4
SUPPRESSED = "<5"
NOTE = "suppressed (fewer than {n})"
REFERENCE_NOTE = "reference group suppressed: no comparison shown"


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


# --------------------------------------------------------------------------- the mask

def _pick(line_vals: np.ndarray, line_mask: np.ndarray, line_avoid: np.ndarray) -> int | None:
    """Index of the cell to hide next in a line: smallest non-zero, then zero, then avoided."""
    cand = [j for j in range(len(line_vals)) if not line_mask[j]]
    if not cand:
        return None
    return min(cand, key=lambda j: (bool(line_avoid[j]), line_vals[j] <= 0, line_vals[j], j))


def determined_cells(mask: np.ndarray, rows: bool = True, columns: bool = True) -> np.ndarray:
    """Hidden cells whose value follows from the row and/or column totals.

    The hidden cells are the unknowns of the linear system "each line's hidden cells add up
    to its total minus its shown cells"; a cell is determined exactly when its unit vector
    lies in the row space of that system (it has no component in the null space). Lines
    with a single cell carry no separate total and are left out.
    """
    mask = np.asarray(mask, dtype=bool)
    cells = np.argwhere(mask)
    out = np.zeros_like(mask)
    if len(cells) == 0:
        return out
    eqs = []
    if rows and mask.shape[1] > 1:
        eqs += [(cells[:, 0] == i).astype(float) for i in range(mask.shape[0])]
    if columns and mask.shape[0] > 1:
        eqs += [(cells[:, 1] == j).astype(float) for j in range(mask.shape[1])]
    if not eqs:
        return out
    a = np.vstack(eqs)
    ns = null_space(a)
    det = np.all(np.abs(ns) < 1e-9, axis=1) if ns.size else np.ones(len(cells), dtype=bool)
    for (i, j), d in zip(cells, det):
        out[i, j] = d
    return out


def pinned_cells(values, mask, rows: bool = True, columns: bool = True) -> np.ndarray:
    """Hidden cells whose value follows from the totals once counts are known to be >= 0.

    For each hidden cell, the smallest and largest values it can take with every line's
    hidden cells adding up to the right total and no cell negative (two small linear
    programmes); equal bounds mean the cell can be recovered. Only hidden zeros can make
    this differ from :func:`determined_cells`.
    """
    from scipy.optimize import linprog

    v = np.asarray(values, dtype="float64")
    mask = np.asarray(mask, dtype=bool)
    cells = np.argwhere(mask)
    out = np.zeros_like(mask)
    if len(cells) == 0:
        return out
    eqs, rhs = [], []
    if rows and mask.shape[1] > 1:
        for i in range(mask.shape[0]):
            eqs.append((cells[:, 0] == i).astype(float))
            rhs.append(v[i][mask[i]].sum())
    if columns and mask.shape[0] > 1:
        for j in range(mask.shape[1]):
            eqs.append((cells[:, 1] == j).astype(float))
            rhs.append(v[:, j][mask[:, j]].sum())
    if not eqs:
        return out
    a, b = np.vstack(eqs), np.array(rhs)
    for k, (i, j) in enumerate(cells):
        e = np.zeros(len(cells))
        e[k] = 1.0
        lo = linprog(e, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        hi = linprog(-e, A_eq=a, b_eq=b, bounds=(0, None), method="highs")
        if lo.status == 0 and hi.status == 0 and abs(-hi.fun - lo.fun) < 1e-7:
            out[i, j] = True
    return out


def exposed_cells(values, mask, lines: str = "both") -> np.ndarray:
    """Hidden cells that the known totals still give away (exactly, or with counts >= 0).
    Non-empty only when secondary suppression ran out of cells: then the totals must go."""
    v = np.asarray(values, dtype="float64")
    v = v.reshape(-1, 1) if v.ndim == 1 else v
    m = np.asarray(mask, dtype=bool).reshape(v.shape)
    rows, cols = lines in ("rows", "both"), lines in ("columns", "both")
    out = np.zeros_like(m)
    for axis, active in ((0, rows), (1, cols)):  # a line of several cells with one hidden
        if active and v.shape[1 - axis] > 1:
            for i in range(v.shape[axis]):
                sl = (i, slice(None)) if axis == 0 else (slice(None), i)
                if m[sl].sum() == 1:
                    out[sl] |= m[sl]
    out |= determined_cells(m, rows, cols)
    if np.any(m & (v == 0)):  # only hidden zeros can be pinned by counts being >= 0
        out |= pinned_cells(v, m, rows, cols)
    return out


def suppression_mask(values, threshold: int = DEFAULT_THRESHOLD, lines: str = "both",
                     avoid=None) -> np.ndarray:
    """Cells to hide in a 2-D table of counts: primary (1..threshold) plus secondary.

    ``lines`` says which totals are known: "rows", "columns" or "both". ``avoid`` (same
    shape, boolean) marks cells to choose last for secondary suppression (e.g. the
    reference group, whose loss would hide every comparison).
    """
    v = np.asarray(values, dtype="float64")
    if v.ndim == 1:
        v = v.reshape(-1, 1)
    v = np.nan_to_num(v, nan=0.0)
    av = np.zeros(v.shape, dtype=bool) if avoid is None else np.asarray(avoid, dtype=bool).reshape(v.shape)
    mask = (v > 0) & (v <= threshold)
    check_rows = lines in ("rows", "both")
    check_cols = lines in ("columns", "both")
    while True:
        changed = False
        # 1. no line may hold a single hidden cell
        for axis, active in ((0, check_rows), (1, check_cols)):
            if not active or v.shape[1 - axis] < 2:
                continue
            for i in range(v.shape[axis]):
                sl = (i, slice(None)) if axis == 0 else (slice(None), i)
                if mask[sl].sum() == 1:
                    j = _pick(v[sl], mask[sl], av[sl])
                    if j is not None:
                        if axis == 0:
                            mask[i, j] = True
                        else:
                            mask[j, i] = True
                        changed = True
        if changed:
            continue
        # 2. no hidden cell may follow from combining row and column totals
        if check_rows and check_cols:
            det = determined_cells(mask, True, True)
            if not det.any() and np.any(mask & (v == 0)):
                det = pinned_cells(v, mask)  # hidden zeros: counts cannot be negative
            if det.any():
                i, j = map(int, np.argwhere(det)[0])
                # close a 4-cycle through (i, j) when one cell does it, else widen its row/column
                closing = [(r, col) for r in range(v.shape[0]) for col in range(v.shape[1])
                           if r != i and col != j and not mask[r, col] and mask[i, col] and mask[r, j]]
                pool = closing or ([(i, col) for col in range(v.shape[1]) if not mask[i, col]]
                                   + [(r, j) for r in range(v.shape[0]) if not mask[r, j]])
                if pool:
                    r, col = min(pool, key=lambda rc: (bool(av[rc]), v[rc] <= 0, v[rc], rc))
                    mask[r, col] = True
                    continue
        break
    return mask


# --------------------------------------------------------------------------- tables

def _int(v):
    if v is None or (isinstance(v, float) and v != v):
        return None
    f = float(v)
    return int(f) if f.is_integer() else f


def suppress_counts(table: pd.DataFrame, count_columns, threshold: int = DEFAULT_THRESHOLD,
                    total_row=None, total_column=None, *, add_totals: bool = False,
                    lines: str = "columns") -> tuple[pd.DataFrame, pd.DataFrame]:
    """(display frame with markers, boolean mask of hidden cells) for a table of counts.

    Column totals are assumed known (shares, or a total row, give them away); use
    ``lines="both"`` when each row's counts also add up to a known total. ``total_row``
    (an index label) and ``total_column`` (a column name) name total lines already in the
    table: they are kept out of the body, shown, and hidden only when themselves small;
    a ``total_column`` means row totals are known. ``add_totals`` appends a Total row.
    """
    cols = [col for col in count_columns if col != total_column]
    body_index = [ix for ix in table.index if total_row is None or ix != total_row]
    if total_column is not None and lines == "columns":
        lines = "both"
    vals = table.loc[body_index, cols].apply(pd.to_numeric, errors="coerce").astype("float64").fillna(0).to_numpy()
    body_mask = suppression_mask(vals, threshold, lines)
    mask_df = pd.DataFrame(False, index=table.index, columns=list(count_columns))
    mask_df.loc[body_index, cols] = body_mask
    for line_col in ([total_column] if total_column is not None else []):
        mask_df[line_col] = [is_small(x, threshold) for x in table[line_col]]
    if total_row is not None:
        mask_df.loc[total_row] = [is_small(table.loc[total_row, col], threshold) for col in mask_df.columns]
    display = table.copy().astype({col: "object" for col in mask_df.columns})
    mk = marker(threshold)
    for col in mask_df.columns:
        display[col] = [mk if m else _int(x) for x, m in zip(table[col], mask_df[col])]
    # the rare table whose every cell is already hidden and still given away: hide the totals
    hide_totals = bool(exposed_cells(vals, body_mask, lines).any())
    for line_col in ([total_column] if total_column is not None else []):
        if hide_totals:
            mask_df[line_col] = mask_df[line_col] | (pd.to_numeric(table[line_col], errors="coerce").fillna(0) > 0)
            display[line_col] = [mk if m else _int(x) for x, m in zip(table[line_col], mask_df[line_col])]
    if total_row is not None and hide_totals:
        for col in count_columns:
            if float(pd.to_numeric(table.loc[total_row, col], errors="coerce") or 0) > 0:
                mask_df.loc[total_row, col] = True
                display.loc[total_row, col] = mk
    if add_totals:
        totals = table.loc[body_index, cols].sum()
        small = {c: is_small(totals[c], threshold) or (hide_totals and totals[c] > 0) for c in cols}
        display.loc["Total"] = {**{c: "" for c in display.columns},
                                **{c: mk if small[c] else _int(totals[c]) for c in cols}}
        mask_df.loc["Total"] = [small.get(c, False) for c in mask_df.columns]
    return display, mask_df.astype(bool)


def suppress_table(df: pd.DataFrame, count_columns, derived_columns: dict[str, list[str]] | None = None,
                   threshold: int = DEFAULT_THRESHOLD, lines: str = "columns") -> pd.DataFrame:
    """A copy safe to show partners: small counts hidden (secondary suppression down each
    column, and along rows too with ``lines="both"``) and each derived column (rate, %, RRI)
    hidden on rows where any of its source counts is.
    ``derived_columns={"rate": ["events", "base"]}``."""
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

    A result whose numerator or denominator is 1..threshold is hidden (numerator,
    denominator, value, interval, RAG and benchmarks). Within one breakdown (same indicator,
    dimension and period) the groups add up to the overall figure, so a lone hidden group
    also hides the next smallest group, and the overall figure minus the shown groups can
    no longer give it away.
    """
    out = list(results)
    hidden = np.array([is_small(r.numerator, threshold) or is_small(r.denominator, threshold) for r in out],
                      dtype=bool)
    families = defaultdict(list)
    for i, r in enumerate(out):
        if r.by is not None:
            families[(r.indicator, r.by, r.start, r.end)].append(i)
    for idx in families.values():
        if len(idx) < 2 or hidden[idx].sum() != 1:
            continue
        # a whole group is hidden at once (numerator and denominator), so a second hidden
        # group protects both the numerator and the denominator totals
        shown = [i for i in idx if not hidden[i]]
        num = {i: float(out[i].numerator or 0) for i in shown}
        den = {i: float(out[i].denominator or 0) for i in shown}
        pick = min(shown, key=lambda i: (num[i] <= 0 and den[i] <= 0, num[i] <= 0, num[i], den[i], idx.index(i)))
        hidden[pick] = True
    return [_hide(r, threshold) if h else r for r, h in zip(out, hidden)]


# --------------------------------------------------------------------------- disproportionality

_GENDERS = ("Not known", "Female", "Male", "Other")


def _split_eth_gender(group: str) -> tuple[str, str]:
    for g in _GENDERS:
        if group.endswith(" " + g):
            return group[: -len(g) - 1], g
    return group, ""


def _stage_masks(cells: dict, reference: dict, threshold: int) -> dict:
    """Hidden (stage key, group) cells. ``cells``: {(stage, by, start, end): {group: count}}.

    Groups of one stage add up to the stage total (shares give it away): one column. For
    ethnicity x gender the groups form a table whose row and column totals are the
    ethnicity and gender figures shown elsewhere, so both kinds of line are protected.
    """
    hidden = set()
    for key, counts in cells.items():
        stage, by = key[0], key[1]
        if stage == "population":
            continue  # published population estimates are not children's records
        groups = list(counts)
        ref = reference.get(key)
        if by == "ethnicity_gender":
            eths = sorted({_split_eth_gender(g)[0] for g in groups})
            gens = sorted({_split_eth_gender(g)[1] for g in groups})
            vals = np.zeros((len(eths), len(gens)))
            avoid = np.zeros_like(vals, dtype=bool)
            for g in groups:
                e, s = _split_eth_gender(g)
                vals[eths.index(e), gens.index(s)] = counts[g] or 0
                avoid[eths.index(e), gens.index(s)] = g == ref
            mask = suppression_mask(vals, threshold, "both", avoid)
            hidden |= {(key, g) for g in groups
                       if mask[eths.index(_split_eth_gender(g)[0]), gens.index(_split_eth_gender(g)[1])]}
        else:
            vals = np.array([float(counts[g] or 0) for g in groups])
            avoid = np.array([g == ref for g in groups])
            mask = suppression_mask(vals, threshold, "columns", avoid)[:, 0]
            hidden |= {(key, g) for g, m in zip(groups, mask) if m}
    return hidden


def suppress_disproportionality(results: list, threshold: int = DEFAULT_THRESHOLD) -> list:
    """Disproportionality results safe for partners.

    Children counts of 1..threshold at a stage are hidden, with secondary suppression across
    the groups of each stage (the reference group is chosen last). The same count is hidden
    wherever it appears: as a stage's events and as the next stage's base. A hidden count
    hides everything built on it (rate, RRI, interval, test, expected, excess, shares); a
    hidden reference group hides every comparison at that stage, since the other groups'
    rates and RRIs would give its rate away. Population bases (public estimates) stay shown.
    """
    out = list(results)
    cells: dict = defaultdict(dict)
    reference: dict = {}
    for r in out:
        key = (r.stage, r.by, r.start, r.end)
        if r.events is not None:
            cells[key].setdefault(r.group, r.events)
        reference[key] = r.reference
        if r.base_stage != "population" and r.base is not None:
            bkey = (r.base_stage, r.by, r.start, r.end)
            cells[bkey].setdefault(r.group, r.base)
            reference.setdefault(bkey, r.reference)
    hidden = _stage_masks(cells, reference, threshold)
    note = NOTE.format(n=threshold + 1)

    def cell_hidden(stage, r):
        return ((stage, r.by, r.start, r.end), r.group) in hidden

    families = defaultdict(list)
    for r in out:
        families[(r.stage, r.base_stage, r.by, r.start, r.end)].append(r)
    ref_hidden = set()
    for fam, rs in families.items():
        for r in rs:
            if r.is_reference and (cell_hidden(r.stage, r) or (r.base_stage != "population" and cell_hidden(r.base_stage, r))):
                ref_hidden.add(fam)

    res = []
    for r in out:
        ev_h = cell_hidden(r.stage, r)
        base_h = r.base_stage != "population" and cell_hidden(r.base_stage, r)
        if ev_h or base_h:
            r = replace(r, events=None if ev_h else r.events, base=None if base_h else r.base, rate=None, rri=None,
                        ci_low=None, ci_high=None, ci_method="", p_value=None, test="", flag="", expected=None,
                        excess=None, share_of_events=None if ev_h else r.share_of_events,
                        share_of_base=None if base_h else r.share_of_base, suppressed=True, note=note)
        elif (r.stage, r.base_stage, r.by, r.start, r.end) in ref_hidden:
            r = replace(r, rri=None, ci_low=None, ci_high=None, ci_method="", p_value=None, test="", flag="",
                        expected=None, excess=None, note=REFERENCE_NOTE)
        res.append(r)
    return res
