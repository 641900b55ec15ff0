"""Disclosure control for partners: one protection that holds across every view they can see.

The method (see ``docs/DISCLOSURE.md`` for the reasoning):

* **What partners can assemble is fixed in advance.** Whole-service figures for quarters,
  financial years and the rolling 12 months ending at a quarter end; breakdowns one dimension
  at a time, for financial years. No combined filters, no custom dates. Every figure a partner
  sees is a cell of one grid per calculation (rows: the whole service and each group of each
  dimension; columns: periods), so the same cell gets the same treatment everywhere.
* **Primary protection.** A cell whose count (or the complement of a proportion: the
  denominator minus the numerator) is from 1 to the threshold is hidden, with everything
  computed from it.
* **Secondary protection (the hypercube idea of sdcTable / ONS practice).** The grid's
  additive relations are known to the reader: groups add up to the whole service; a financial
  year or rolling year is the sum of its quarters. A hidden cell is *determined* when its unit
  vector lies in the row space of those relations restricted to hidden cells (no component in
  the null space). More cells are hidden, smallest first, until no hidden cell is determined,
  treating every hidden zero as known to the reader (stricter than the reader's real position,
  so nonnegativity cannot pin a cell either).
* **Denominators are protected first** and their hidden cells are forced hidden in every
  proportion that uses them, so no two proportions can be combined to give a denominator away.

Everything outside the partner grid (a custom period, a filtered view) is hidden, never
computed on the fly: what is shown to a partner is always looked up in a protection computed
over the whole grid.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.linalg import LinAlgError
from scipy.linalg import null_space as _null_space

from .periods import (Period, custom, financial_year, fmt_date, fy_start_year, quarter_of, reporting_quarter,
                      rolling_year)

DEFAULT_THRESHOLD = 4


def null_space(a):
    """``scipy.linalg.null_space``, with LAPACK's steadier SVD driver when the default does not converge
    (it happens on a few ill-conditioned systems)."""
    try:
        return _null_space(a)
    except LinAlgError:
        return _null_space(a, lapack_driver="gesvd")
log = logging.getLogger(__name__)
ALL = (None, None)  # the whole-service row
_TOL = 1e-9


def marker(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The one marker for a protected value everywhere (app, CSV, pack): ``<5`` by default."""
    return f"<{int(threshold) + 1}"


#: The marker of a cell hidden to protect another (secondary protection): it is not a small number itself.
SECONDARY_MARKER = "hidden"
#: The note of a hidden result always starts with this word (``protected (<5)``, ``protected (hidden ...)``).
PROTECTED = "protected"
SECONDARY_REASON = "hidden so that a small number elsewhere cannot be worked out"


def primary_sentence(threshold: int = DEFAULT_THRESHOLD) -> str:
    """What the primary marker means."""
    return (f"'{marker(threshold)}' marks a figure that rests on 1 to {threshold} children, so it is not shown "
            "to partners.")


def secondary_sentence() -> str:
    """What the secondary marker means."""
    return (f"'{SECONDARY_MARKER}' marks a figure that is not small itself but is hidden so that a small number "
            "elsewhere cannot be worked out from it and the figures around it.")


def explanation(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The sentences each partner page shows once, next to the figures: one for each marker."""
    return primary_sentence(threshold) + " " + secondary_sentence() + " " + unsized_sentence()


def primary_note(threshold: int = DEFAULT_THRESHOLD) -> str:
    return f"{PROTECTED} ({marker(threshold)})"


def secondary_note() -> str:
    return f"{PROTECTED} ({SECONDARY_REASON})"


#: A figure partners cannot ask for (a custom period, a period past the reporting quarter, a measure not for
#: partners): hidden whatever its size, and its marker says nothing about its size either.
OUTSIDE_MARKER = "n/a"
OUTSIDE_REASON = "not in the partners' view"


def outside_note() -> str:
    return f"{PROTECTED} ({OUTSIDE_REASON})"


#: A hidden figure whose marker says nothing of its size (it may be small or not). It goes on one figure of a
#: set whose ``<5`` markers alone would give their sizes away (four quarters of 1 and their year of 4, all
#: ``<5``: the year is at most 4 and at least 1 + 1 + 1 + 1), when hiding more cannot help.
UNSIZED_MARKER = "withheld"
UNSIZED_REASON = "size not given, so that the small numbers beside it cannot be worked out"
#: The mask value of such a figure: hidden, and marked :data:`UNSIZED_MARKER`.
UNSIZED = "unsized"


def unsized_sentence() -> str:
    """What the size-neutral marker means."""
    return (f"'{UNSIZED_MARKER}' marks a figure that is hidden without saying whether it is small, so that the "
            "small numbers beside it cannot be worked out from their markers.")


def unsized_note() -> str:
    return f"{PROTECTED} ({UNSIZED_REASON})"


def marker_of_note(note: str | None, threshold: int = DEFAULT_THRESHOLD) -> str | None:
    """The marker a hidden figure's note calls for (None when the note is not a protection note)."""
    note = note or ""
    if not note.startswith(PROTECTED):
        return None
    if OUTSIDE_REASON in note:
        return OUTSIDE_MARKER
    if UNSIZED_REASON in note:
        return UNSIZED_MARKER
    return SECONDARY_MARKER if SECONDARY_REASON in note else (
        note.split("(", 1)[1].split(")", 1)[0] if note.startswith(PROTECTED + " (<") else marker(threshold))


# --------------------------------------------------------------------------- the grid engine

@dataclass
class Grid:
    """Cells of one or more families of counts that share a protection.

    ``values[family]`` is a rows x columns array; NaN means the family is not published in that
    cell. ``row_sums``: (parent row, child rows) - in every column the children add up to the
    parent. ``col_sums``: (parent column, child columns) - in every row likewise.
    ``fixed``: cells that must be hidden whatever their values (e.g. a protected denominator).
    ``avoid_rows``: rows chosen last for secondary protection (the whole service).
    ``keep``: cells the reader knows from elsewhere (a total shown as another measure's
    denominator): they count as shown and are never chosen for secondary protection.
    ``cost``: what hiding each cell costs, for secondary protection's optimisation.
    ``whole_sums``: families whose row sums hold only when every child row is present (a complement to a
    population: a group without a population, such as gender "Not known", still has children in the parent).
    """

    rows: list[Hashable]
    cols: list[Hashable]
    values: dict[str, np.ndarray]
    row_sums: list[tuple[int, list[int]]] = field(default_factory=list)
    col_sums: list[tuple[int, list[int]]] = field(default_factory=list)
    fixed: np.ndarray | None = None
    avoid_rows: tuple[int, ...] = ()
    keep: np.ndarray | None = None  # known to the reader from elsewhere: never chosen to hide
    cost: np.ndarray | None = None  # what hiding each cell costs (default: :func:`cell_costs`)
    whole_sums: tuple[str, ...] = ()  # families whose groups add up to the parent only when all are present
    #: {family: cells hidden with the size-neutral marker} (set by :func:`protect_grid`): read as 0 or more
    unsized: dict = field(default_factory=dict)
    _lines: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.cols)

    def present(self, family: str) -> np.ndarray:
        return ~np.isnan(self.values[family])

    def is_unsized(self, family: str, cell: tuple[int, int]) -> bool:
        """Does this hidden cell carry the size-neutral marker (a reader knows only that it is 0 or more)?"""
        u = self.unsized.get(family)
        return bool(u is not None and u[cell])

    def state(self, mask: np.ndarray, cell: tuple[int, int]):
        """A cell's mask value for the kept masks: :data:`UNSIZED` (hidden, size-neutral marker), True
        (hidden) or False (shown)."""
        if not mask[cell]:
            return False
        return UNSIZED if any(self.is_unsized(f, cell) for f in self.values) else True

    def lines(self, family: str) -> list[list[tuple[int, int, float]]]:
        """The additive relations that hold among this family's published cells (computed once)."""
        if family not in self._lines:
            self._lines[family] = self._make_lines(family)
        return self._lines[family]

    def _make_lines(self, family: str) -> list[list[tuple[int, int, float]]]:
        pres = self.present(family)
        out = []
        for p, kids in self.row_sums:
            for j in range(len(self.cols)):
                # groups that this family does not report in this column are not part of it
                here = [k for k in kids if pres[k, j]]
                if family in self.whole_sums and len(here) < len(kids):
                    continue
                if pres[p, j] and here:
                    out.append([(p, j, 1.0)] + [(k, j, -1.0) for k in here])
        for p, kids in self.col_sums:
            for i in range(len(self.rows)):
                cells = [(i, p)] + [(i, k) for k in kids]
                if all(pres[c] for c in cells):
                    out.append([(i, p, 1.0)] + [(i, k, -1.0) for k in kids])
        return out


def _small(v: np.ndarray, threshold: int) -> np.ndarray:
    v = np.nan_to_num(np.asarray(v, dtype="float64"), nan=0.0)
    return (v > 0) & (v <= threshold)


def primary_cells(grid: Grid, threshold: int) -> np.ndarray:
    """Cells with a count from 1 to the threshold in any family (a proportion's complement is a
    family of its own), and the grid's fixed cells."""
    mask = np.zeros(grid.shape, dtype=bool)
    for v in grid.values.values():
        mask |= _small(v, threshold)
    if grid.fixed is not None:
        mask |= grid.fixed
    return mask


def determined_cells(grid: Grid, mask: np.ndarray) -> np.ndarray:
    """Hidden, non-zero cells that a reader can work out exactly from the shown cells and the
    grid's relations, assuming the reader also knows which hidden cells are zero."""
    out = np.zeros(grid.shape, dtype=bool)
    for _, cell in determined_by_family(grid, mask):
        out[cell] = True
    return out


def _linked(lines, index: dict) -> tuple[list, list[int]]:
    """The relations touching the cells of ``index`` ({cell: n}) as [(members [(n, coefficient)], line)], and
    each cell's linked set (cells joined through those relations, by union-find) as a root per n."""
    parent = list(range(len(index)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    eqs = []
    for line in lines:
        members = [(index[(i, j)], a) for i, j, a in line if (i, j) in index]
        if not members:
            continue
        eqs.append((members, line))
        for n, _ in members[1:]:
            parent[find(n)] = find(members[0][0])
    return eqs, [find(n) for n in range(len(index))]


def determined_by_family(grid: Grid, mask: np.ndarray, families=None,
                         cols=None) -> list[tuple[str, tuple[int, int]]]:
    """(family, cell) for every hidden non-zero cell that the family's relations give away.

    Hidden cells linked by no relation are independent, so each connected set of hidden cells is
    solved on its own (small null spaces instead of one large one). ``cols``: audit only these columns
    (valid when no relation links columns: a grid without ``col_sums``)."""
    out = []
    for fam in (grid.values if families is None else families):
        vals = grid.values[fam]
        pres = grid.present(fam)
        if cols is not None:
            pres = pres.copy()
            pres[:, [j for j in range(pres.shape[1]) if j not in cols]] = False
        hidden = np.argwhere(mask & pres)
        if len(hidden) == 0:
            continue
        index = {(int(i), int(j)): n for n, (i, j) in enumerate(hidden)}
        eqs, root_of = _linked(grid.lines(fam), index)
        comp_eqs: dict[int, list] = {}
        for members, _ in eqs:
            comp_eqs.setdefault(root_of[members[0][0]], []).append(members)
        cells = list(index.items())
        for root, members_list in comp_eqs.items():
            nodes = sorted({n for members in members_list for n, _ in members})
            local = {n: k for k, n in enumerate(nodes)}
            a = np.zeros((len(members_list), len(nodes)))
            for r, members in enumerate(members_list):
                for n, c in members:
                    a[r, local[n]] = c
            basis = null_space(a)
            zeros = [local[n] for n in nodes if vals[cells[n][0]] == 0]
            if zeros and basis.size:
                # the reader knows the hidden zeros too: restrict to directions that keep them at 0
                sub = null_space(basis[zeros, :])
                basis = basis @ sub if sub.size else np.zeros((len(nodes), 0))
            det = np.all(np.abs(basis) < 1e-7, axis=1) if basis.size else np.ones(len(nodes), dtype=bool)
            for n in nodes:
                cell = cells[n][0]
                if det[local[n]] and vals[cell] != 0:
                    out.append((fam, cell))
    return out


def cell_costs(grid: Grid) -> np.ndarray:
    """What hiding each cell costs the reader (information loss): a cell of a breakdown costs about 1
    (a little more the larger its count, so that a small cell is hidden before a large one); a cell of
    an ``avoid_rows`` row (the whole service) costs 100, so it is chosen only when nothing else will do.
    ``Grid.cost`` overrides this."""
    if grid.cost is not None:
        return np.asarray(grid.cost, dtype="float64")
    size = np.zeros(grid.shape)
    for v in grid.values.values():
        size = np.maximum(size, np.nan_to_num(v, nan=0.0))
    top = max(float(size.max()), 1.0)
    cost = 1.0 + 0.25 * np.log1p(size) / np.log1p(top)
    for i in grid.avoid_rows:
        cost[i, :] *= 100.0
    return cost


def _line_matrix(grid: Grid, family: str, ok: np.ndarray):
    """The family's relations restricted to the cells in ``ok`` (the others held still), as a sparse matrix
    with a row per relation that touches them: (cells, {cell: column}, matrix)."""
    from scipy.sparse import coo_matrix

    cells = [tuple(map(int, c)) for c in np.argwhere(ok)]
    index = {c: n for n, c in enumerate(cells)}
    rows, cols, data = [], [], []
    r = 0
    for line in grid.lines(family):
        if all((i, j) not in index for i, j, _ in line):
            continue
        for i, j, a in line:
            n = index.get((i, j))
            if n is not None:
                rows.append(r)
                cols.append(n)
                data.append(a)
        r += 1
    return cells, index, coo_matrix((data, (rows, cols)), shape=(r, len(cells))).tocsr()


def _pattern(grid: Grid, family: str, cell: tuple[int, int], mask: np.ndarray, cost: np.ndarray,
             usable: np.ndarray) -> list[tuple[int, int]] | None:
    """The cheapest set of cells to hide so that ``cell`` can move while every relation of ``family``
    still holds: a linear programme (HiGHS) over the family's relations, one variable per usable cell
    (hidden non-zero cells cost almost nothing, shown ones their cost), the cell itself moving by 1.
    Returns the cells to hide beyond ``mask``, or None when no such set exists."""
    from scipy.optimize import linprog

    vals = grid.values[family]
    pres = grid.present(family)
    ok = pres & usable & (np.nan_to_num(vals, nan=0.0) != 0)
    ok[cell] = True
    cells, index, a_eq = _line_matrix(grid, family, ok)
    r, m = a_eq.shape
    if r == 0:
        return []
    w = np.array([1e-3 if mask[c] else cost[c] for c in cells])
    # x = plus - minus; the cell itself: plus = 1, minus = 0
    from scipy.sparse import hstack

    a = hstack([a_eq, -a_eq]).tocsr()
    bounds = [(0, None)] * (2 * m)
    p = index[cell]
    bounds[p] = (1, 1)
    bounds[m + p] = (0, 0)
    res = linprog(np.concatenate([w, w]), A_eq=a, b_eq=np.zeros(r), bounds=bounds, method="highs")
    if res.status != 0:
        return None
    x = res.x[:m] - res.x[m:]
    if np.abs(a_eq @ x).max(initial=0.0) > 1e-6:  # not a true direction of the relations: take no risk
        return None
    return [c for n, c in enumerate(cells) if abs(x[n]) > 1e-9 and not mask[c]]


def _tighten(terms: list[tuple[float, float, float]], known: float) -> list[tuple[float, float]]:
    """Interval propagation over one relation sum(a * x) + known = 0, for terms (a, lower, upper): each
    unknown's range given the others' (whole numbers: rounded inwards). Plain Python: lines are short."""
    inf = float("inf")
    los, his = [], []
    for a, l, u in terms:
        x, y = a * l, a * u
        los.append(x if x < y else y)
        his.append(y if x < y else x)
    n_lo_inf = sum(1 for x in los if x == -inf)
    n_hi_inf = sum(1 for x in his if x == inf)
    lo_fin = sum(x for x in los if x != -inf)
    hi_fin = sum(x for x in his if x != inf)
    out = []
    for n, (a, l, u) in enumerate(terms):
        lo_n, hi_n = los[n], his[n]
        others_lo = -inf if n_lo_inf - (lo_n == -inf) > 0 else lo_fin - (0.0 if lo_n == -inf else lo_n)
        others_hi = inf if n_hi_inf - (hi_n == inf) > 0 else hi_fin - (0.0 if hi_n == inf else hi_n)
        e1, e2 = -(known + others_hi) / a, -(known + others_lo) / a
        x_lo = max(l, e1 if e1 < e2 else e2)
        x_hi = min(u, e2 if e1 < e2 else e1)
        out.append((math.ceil(x_lo - 1e-9) if abs(x_lo) != inf else x_lo,
                    math.floor(x_hi + 1e-9) if abs(x_hi) != inf else x_hi))
    return out


def _reader_bounds(v: float, threshold: int, unsized: bool = False) -> tuple[float, float]:
    """What the markers tell a reader about a hidden count: ``<5`` says 1 to the threshold; the other marker
    says 0 or more than the threshold (for a zero, read here as at least 0: the bounds of a relaxation); the
    size-neutral marker (``unsized``) says only that it is 0 or more."""
    if v == 0 or unsized:
        return (0.0, np.inf)
    return (1.0, float(threshold)) if 0 < v <= threshold else (float(threshold + 1), np.inf)


def _propagate(relations: list[tuple[list, float]], bounds: dict, sweeps: int = 30) -> dict:
    """Bounds propagation to a fixed point (or ``sweeps``) over relations [([(a, key)], known)]: tightened
    {key: (lower, upper)}."""
    for _ in range(sweeps):
        changed = False
        for terms, known in relations:
            new = _tighten([(a,) + bounds[key] for a, key in terms], known)
            for (a, key), (lo, hi) in zip(terms, new):
                old = bounds[key]
                if lo > old[0] + 1e-9 or hi < old[1] - 1e-9:
                    bounds[key] = (max(lo, old[0]), min(hi, old[1]))
                    changed = True
        if not changed:
            break
    return bounds


def bound_pinned(grid: Grid, mask: np.ndarray, threshold: int, families=None,
                 cells: set | None = None) -> list[tuple[str, tuple[int, int], list]]:
    """(family, hidden cell, a line through it) for every hidden non-zero count that the family's relations fix
    once the reader reads the markers as bounds (``<5``: 1 to the threshold; ``hidden``: more than the
    threshold; hidden zeros known, as in :func:`determined_by_family`), e.g. two ``<5`` groups whose hidden
    total is 2 are 1 and 1, or a year's hidden total pinned by its quarters and its groups together. Bounds
    propagation over the lines linked by hidden cells. ``cells``: only the lines linked to these cells."""
    out = []
    for fam in (grid.values if families is None else families):
        bounds, line_of, vals = _propagated(grid, mask, threshold, fam, cells)
        for cell, (lo, hi) in bounds.items():
            if np.isfinite(lo) and np.isfinite(hi) and hi <= lo and vals[cell] != 0:
                out.append((fam, cell, line_of[cell]))
    return out


def _propagated(grid: Grid, mask: np.ndarray, threshold: int, fam: str, cells: set | None = None):
    """The bounds a reader can put on each hidden cell of a family (see :func:`bound_pinned`): ({cell: (lower,
    upper)}, {cell: a line through it}, the family's values)."""
    keep = grid.keep if grid.keep is not None else np.zeros(grid.shape, dtype=bool)
    vals = np.nan_to_num(grid.values[fam], nan=0.0)
    lines = grid.lines(fam)
    hid = mask & ~keep & grid.present(fam)  # a hidden zero is 0 or more than the threshold to the reader
    at = grid._lines.setdefault(("at", fam), {})
    if not at:
        for n, line in enumerate(lines):
            for i, j, _ in line:
                at.setdefault((i, j), []).append(n)
    if cells is None:
        todo = sorted({n for c in map(tuple, np.argwhere(hid)) for n in at.get((int(c[0]), int(c[1])), ())})
    else:  # the lines through these cells and every line linked to them by hidden cells
        todo, seen = [], set()
        stack = [n for c in cells for n in at.get(c, ())]
        while stack:
            n = stack.pop()
            if n in seen:
                continue
            seen.add(n)
            todo.append(n)
            for i, j, _ in lines[n]:
                if hid[i, j]:
                    stack.extend(m for m in at.get((i, j), ()) if m not in seen)
    relations, bounds, line_of = [], {}, {}
    for n in todo:
        terms, known = [], 0.0
        for i, j, a in lines[n]:
            if hid[i, j]:
                terms.append((a, (i, j)))
                bounds.setdefault((i, j), _reader_bounds(vals[i, j], threshold, grid.is_unsized(fam, (i, j))))
                line_of.setdefault((i, j), lines[n])
            else:
                known += a * vals[i, j]
        if terms:
            relations.append((terms, known))
    if relations:
        bounds = _propagate(relations, bounds)
    return bounds, line_of, vals


def milp_pinned(grid: Grid, mask: np.ndarray, threshold: int, max_vars: int = 24,
                families=None) -> list[tuple[str, tuple[int, int], list]]:
    """What :func:`bound_pinned` misses in small linked sets: whole-number reasoning with the markers' exact
    meaning (``<5``: 1 to the threshold; ``hidden``: 0 or more than the threshold, a choice per cell), by two
    mixed-integer programmes per hidden small count (HiGHS through ``scipy.optimize.milp``). Linked sets of
    up to 20 times ``max_vars`` hidden cells are solved; larger ones are left to interval reasoning. A filling
    found for one count also frees every other count it moves (each then has a second value), and a set
    solved before with the same hidden and size-neutral cells is not solved again."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    solved = grid._lines.setdefault(("milp", threshold), {})
    out = []
    keep = grid.keep if grid.keep is not None else np.zeros(grid.shape, dtype=bool)
    for fam in (grid.values if families is None else families):
        vals = np.nan_to_num(grid.values[fam], nan=0.0)
        hid = mask & ~keep & grid.present(fam)
        lines = grid.lines(fam)
        index = {(int(i), int(j)): n for n, (i, j) in enumerate(np.argwhere(hid))}
        if not index:
            continue
        linked, root_of = _linked(lines, index)
        eqs = [(members, sum(a * vals[i, j] for i, j, a in line if (i, j) not in index), line)
               for members, line in linked]
        cells = list(index)
        sets: dict = {}
        for n in range(len(cells)):
            sets.setdefault(root_of[n], []).append(n)
        eq_of: dict = {}
        for e in eqs:
            eq_of.setdefault(root_of[e[0][0][0]], []).append(e)
        for root, nodes in sets.items():
            small = [n for n in nodes if 0 < vals[cells[n]] <= threshold]
            if not small or root not in eq_of:
                continue
            if len(nodes) > 20 * max_vars:  # too large for whole-number programmes: interval reasoning only
                continue
            uns = {n for n in nodes if grid.is_unsized(fam, cells[n])}  # read as 0 or more
            key = (fam, tuple(cells[n] for n in nodes), tuple(sorted(uns)))
            if key in solved:
                out += solved[key]
                continue
            found = []
            local = {n: k for k, n in enumerate(nodes)}
            big = [n for n in nodes if not 0 < vals[cells[n]] <= threshold and n not in uns]
            nv = len(nodes) + len(big)
            rows, lo_b, hi_b = [], [], []
            for members, known, _ in eq_of[root]:
                r = np.zeros(nv)
                for n, a in members:
                    r[local[n]] += a
                rows.append(r)
                lo_b.append(-known)
                hi_b.append(-known)
            top = float(sum(abs(k) for _, k, _ in eq_of[root]) + vals[tuple(zip(*[cells[n] for n in nodes]))].sum()
                        + 10 * threshold)
            for q, n in enumerate(big):
                above, below = np.zeros(nv), np.zeros(nv)
                above[local[n]], above[len(nodes) + q] = 1.0, -(threshold + 1.0)
                below[local[n]], below[len(nodes) + q] = 1.0, -top
                rows += [above, below]
                lo_b += [0.0, -np.inf]
                hi_b += [np.inf, 0.0]
            lb, ub = np.zeros(nv), np.full(nv, np.inf)
            ub[len(nodes):] = 1
            for n in small:
                if n not in uns:
                    lb[local[n]], ub[local[n]] = 1, threshold
            cons = LinearConstraint(np.vstack(rows), lo_b, hi_b)
            line_of = {n: line for members, _, line in eq_of[root] for n, _ in members}
            zero = np.zeros(nv)
            truth = np.array([vals[cells[n]] for n in nodes])
            moved: set = set()  # counts some filling found so far puts at another value: not pinned
            for n in small:
                # pinned unless a whole-number filling exists with this count above, or below, its true value
                if n in moved:
                    continue
                v = vals[cells[n]]
                other = False
                for lo_n, hi_n in ((v + 1, ub[local[n]]), (lb[local[n]], v - 1)):
                    if lo_n > hi_n:
                        continue
                    lb2, ub2 = lb.copy(), ub.copy()
                    lb2[local[n]], ub2[local[n]] = lo_n, hi_n
                    res = milp(zero, constraints=cons, integrality=np.ones(nv), bounds=Bounds(lb2, ub2))
                    if res.status == 0:
                        other = True
                        # the same filling moves other counts too: each of them is not pinned either
                        moved.update(nodes[k] for k in np.flatnonzero(np.abs(res.x[:len(nodes)] - truth) > 0.5))
                        break
                if not other:
                    found.append((fam, cells[n], line_of[n]))
            solved[key] = found
            out += found
    return out


def _bounded_pattern(grid: Grid, family: str, cell: tuple[int, int], mask: np.ndarray, cost: np.ndarray,
                     usable: np.ndarray, threshold: int) -> list[tuple[int, int]] | None:
    """The cheapest cells to hide so that a count the markers' bounds pin can move: :func:`_pattern` with each
    hidden (or newly hidden) count kept inside what its marker says (``<5``: 1 to the threshold; ``hidden``:
    more than the threshold, the linear relaxation of "0 or more"), the cell moving by +1 or -1, whichever
    costs less (the protection levels of tau-argus). Cells the reader knows are zero do not move. Returns the
    cells to hide beyond ``mask`` ([] when it can already move), or None when no such set exists."""
    from scipy.optimize import linprog
    from scipy.sparse import hstack

    vals = np.nan_to_num(grid.values[family], nan=0.0)
    pres = grid.present(family)
    ok = pres & (usable | mask) & (vals != 0)
    if grid.keep is not None:
        ok &= ~grid.keep
    ok[cell] = True
    cells, index, a_eq = _line_matrix(grid, family, ok)
    r, m = a_eq.shape
    if r == 0:
        return []
    a = hstack([a_eq, -a_eq]).tocsr()
    w = np.array([1e-3 if mask[c] else cost[c] for c in cells])
    # y = plus - minus, each cell's value plus y inside its marker's range
    uns = [grid.is_unsized(family, c) for c in cells]  # size-neutral marker: 0 or more
    lo = np.array([-vals[c] if u else (1.0 if vals[c] <= threshold else threshold + 1.0) - vals[c]
                   for c, u in zip(cells, uns)])
    hi = np.array([np.inf if u else (threshold - vals[c]) if vals[c] <= threshold else np.inf
                   for c, u in zip(cells, uns)])
    best = None
    p = index[cell]
    for step in (1.0, -1.0):
        if not lo[p] <= step <= hi[p]:
            continue
        # plus in [0, hi], minus in [0, -lo] (each value is inside its range, so lo <= 0 <= hi): y in [lo, hi]
        bounds = [(0.0, h if np.isfinite(h) else None) for h in hi] + [(0.0, -x) for x in lo]
        bounds[p], bounds[m + p] = ((step, step), (0.0, 0.0)) if step > 0 else ((0.0, 0.0), (1.0, 1.0))
        res = linprog(np.concatenate([w, w]), A_eq=a, b_eq=np.zeros(r), bounds=bounds, method="highs")
        if res.status != 0:
            continue
        y = res.x[:m] - res.x[m:]
        if np.abs(a_eq @ y).max(initial=0.0) > 1e-6:
            continue
        extra = [c for n, c in enumerate(cells) if abs(y[n]) > 1e-9 and not mask[c]]
        c_extra = sum(cost[c] for c in extra)
        if best is None or c_extra < best[0]:
            best = (c_extra, extra)
    return None if best is None else best[1]


def _still_pinned(grid: Grid, mask: np.ndarray, threshold: int, fam: str, cell: tuple[int, int]) -> bool:
    """Is this hidden count still pinned by the markers' bounds (intervals, then whole numbers)?"""
    if any(c == cell for _, c, _ in bound_pinned(grid, mask, threshold, [fam], {cell})):
        return True
    return any(c == cell for _, c, _ in milp_pinned(grid, mask, threshold, families=[fam]))


def _free_near(grid: Grid, fam: str, cell: tuple[int, int], mask: np.ndarray, usable: np.ndarray, threshold: int,
               cost: np.ndarray, depth: int = 3) -> tuple[int, int] | None:
    """The shown cell to hide for a count the markers' bounds pin: in a line through it first, else in a line
    linked to it by hidden cells (up to ``depth`` lines away); a breakdown cell before a whole-service one
    (searching further for it), the nearest, then one larger than threshold + 1 (a count of exactly
    threshold + 1 added to a line at its lower bounds would pin it again), then the cheapest. None when there
    is none."""
    vals = np.nan_to_num(grid.values[fam], nan=0.0)
    lines = grid.lines(fam)
    at = grid._lines.get(("at", fam), {})
    hid = mask & (vals != 0)
    best, seen_lines, frontier = None, set(), [cell]
    for level in range(depth):
        nxt = []
        for c in frontier:
            for n in at.get(c, ()):
                if n in seen_lines:
                    continue
                seen_lines.add(n)
                for i, j, _ in lines[n]:
                    if not mask[i, j] and usable[i, j] and vals[i, j] > 0:
                        key = (bool(i in grid.avoid_rows), level, bool(vals[i, j] <= threshold + 1), float(cost[i, j]))
                        if best is None or key < best[0]:
                            best = (key, (int(i), int(j)))
                    elif hid[i, j]:
                        nxt.append((int(i), int(j)))
        if best is not None and not best[0][0]:
            return best[1]
        frontier = nxt
    return None if best is None else best[1]


def _unsize(grid: Grid, fam: str, cell: tuple[int, int], mask: np.ndarray, threshold: int, tries: int = 12) -> bool:
    """For a count the markers pin when hiding more cannot help (every cell near it is hidden or known): give
    one hidden cell linked to it (or itself) the size-neutral marker, so that the reader reads it as 0 or more.
    The largest count first (a year before its quarters: the marker then stands on a total, not a group); the
    first that frees it is kept. False when none does (then it is logged, as before). A ``fixed`` cell is hidden
    by another protection, whose view sets its marker: it is never chosen here."""
    bounds, _, vals = _propagated(grid, mask, threshold, fam, {cell})
    uns = grid.unsized.setdefault(fam, np.zeros(grid.shape, dtype=bool))
    fixed = grid.fixed if grid.fixed is not None else np.zeros(grid.shape, dtype=bool)
    candidates = sorted((c for c in bounds if not uns[c] and not fixed[c] and vals[c] != 0),
                        key=lambda c: (-vals[c], c))[:tries]
    for c in candidates:
        uns[c] = True
        if not _still_pinned(grid, mask, threshold, fam, cell):
            return True
        uns[c] = False
    return False


def protect_grid(grid: Grid, threshold: int = DEFAULT_THRESHOLD, max_rounds: int = 10_000) -> np.ndarray:
    """The cells to hide: primary cells, then the cheapest secondary cells until no hidden cell is determined.

    Secondary protection is an optimisation, as in tau-argus and sdcTable: for each hidden cell that the
    relations still give away, a linear programme finds the pattern of cells of least cost
    (:func:`cell_costs`) whose hiding lets it move while every relation holds (cells already hidden cost
    nothing), and those cells are hidden. Once nothing is determined, each secondary cell is shown again,
    dearest first, if the audit still passes without it.

    The markers are read as bounds too (``<5``: 1 to the threshold; ``hidden``: 0 or more than it): a hidden
    count they pin (:func:`bound_pinned`, then :func:`milp_pinned` for whole numbers in small linked sets)
    gets one more hidden cell near it (:func:`_free_near`), in selection and after showing cells again. When
    every cell near it is hidden already, one of them gets the size-neutral marker instead (:func:`_unsize`,
    recorded in ``grid.unsized``).
    A cell that cannot be protected at all (every cell it shares a relation with is known to the reader)
    leaves its whole family hidden: the whole grid, or only its column when columns share no relation.
    """
    mask = primary_cells(grid, threshold)
    any_present = np.zeros(grid.shape, dtype=bool)
    for fam in grid.values:
        any_present |= grid.present(fam)
    keep = grid.keep if grid.keep is not None else np.zeros(grid.shape, dtype=bool)
    usable = any_present & ~keep
    cost = cell_costs(grid)
    primary = mask.copy()
    given_up: set = set()
    cannot: set = set()  # cells no pattern of hideable cells protects
    bound_given_up: set = set()  # cells the markers' bounds pin that no further hiding frees (logged)
    by_column = not grid.col_sums  # columns share no relation: each is protected on its own

    milp_rounds = [0]

    def settle() -> bool:
        """Hide until nothing is determined or pinned; False when it does not settle."""
        for _ in range(max_rounds):
            exposed = [fc for fc in determined_by_family(grid, mask) if fc not in given_up]
            if not exposed:
                # the markers' bounds: a line that pins a hidden count gets one more hidden cell, a large one
                pinned = bound_pinned(grid, mask, threshold)
                if not pinned and milp_rounds[0] < 20:  # then whole-number reasoning in the small linked sets
                    milp_rounds[0] += 1
                    pinned = [p for p in milp_pinned(grid, mask, threshold) if p[:2] not in bound_given_up]
                if not pinned:
                    break
                done: set = set(bound_given_up)
                moved = False
                for fam, cell, line in pinned:
                    if (fam, cell) in done:
                        continue
                    done.add((fam, cell))
                    if moved and not _still_pinned(grid, mask, threshold, fam, cell):
                        continue  # freed by a cell hidden for another pin of this round
                    extra = _bounded_pattern(grid, fam, cell, mask, cost, usable, threshold)
                    if extra:  # the cheapest cells that let it move inside every marker's range
                        for c in extra:
                            mask[c] = True
                        moved = True
                        continue
                    free = _free_near(grid, fam, cell, mask, usable, threshold, cost)
                    if free is None:  # every cell near it is hidden or known from elsewhere: hiding more cannot help
                        if _unsize(grid, fam, cell, mask, threshold):  # a marker that says nothing of a size
                            moved = True
                        else:
                            bound_given_up.add((fam, cell))
                        continue
                    mask[free] = True
                    moved = True
                if not moved:  # nothing more can be hidden for these pins: a further round would repeat this one
                    break
                continue
            exposed.sort(key=lambda fc: (cost[fc[1]], fc[1]))
            if by_column:  # the cheapest exposed cell of every column at once
                first: dict = {}
                for fc in exposed:
                    first.setdefault(fc[1][1], fc)
                todo = list(first.values())
            else:
                todo = exposed[:1]
            for fam, cell in todo:
                extra = _pattern(grid, fam, cell, mask, cost, usable)
                if not extra and extra is not None:
                    # the programme found (and checked) a direction that moves the cell through hidden cells
                    # alone: it is not determined, though the audit's tolerance says so
                    given_up.add((fam, cell))
                    continue
                if extra is None:  # nothing can protect it: hide every cell of the family that can be hidden
                    cannot.add((fam, cell))
                    fam_cells = grid.present(fam) & usable
                    if by_column:
                        fam_cells[:, [j for j in range(grid.shape[1]) if j != cell[1]]] = False
                    np.logical_or(mask, fam_cells, out=mask)
                    given_up.add((fam, cell))
                    continue
                for c in extra:
                    mask[c] = True
        else:
            return False
        return True

    if not settle():
        return any_present.copy()
    unsafe = {fc for fc in given_up if fc in cannot} & set(determined_by_family(grid, mask))
    closed = {c[1] for _, c in unsafe}  # columns hidden whole: nothing in them is shown again
    if unsafe:  # still given away: protect everything it is linked to (its column when columns are independent)
        if not by_column:
            return any_present.copy()
        for j in sorted(closed):
            mask[:, j] |= usable[:, j]
        log.warning("partner protection: %d count(s) given away whatever is hidden; their columns hidden",
                    len(unsafe))
    # show again what turned out not to be needed, dearest first
    secondary = [tuple(map(int, c)) for c in np.argwhere(mask & ~primary) if int(c[1]) not in closed]
    for c in sorted(secondary, key=lambda c: -cost[c]):
        fams = [f for f in grid.values if grid.present(f)[c]]
        pinned_before = {(f, p) for f, p, _ in bound_pinned(grid, mask, threshold, fams, {c})}
        mask[c] = False
        if any(fc not in given_up for fc in determined_by_family(grid, mask, fams, {c[1]} if by_column else None)) \
                or any((f, p) not in pinned_before for f, p, _ in bound_pinned(grid, mask, threshold, fams, {c})):
            mask[c] = True
    # showing cells again was checked with interval reasoning: check whole numbers again, and repair
    for _ in range(10):
        pins = [p for p in bound_pinned(grid, mask, threshold) + milp_pinned(grid, mask, threshold)
                if p[:2] not in bound_given_up]
        changed = False
        for fam, cell, _ in pins:
            if changed and not _still_pinned(grid, mask, threshold, fam, cell):
                continue
            extra = _bounded_pattern(grid, fam, cell, mask, cost, usable, threshold)
            if extra:
                for c in extra:
                    mask[c] = True
                changed = True
                continue
            free = _free_near(grid, fam, cell, mask, usable, threshold, cost)
            if free is None:
                if _unsize(grid, fam, cell, mask, threshold):
                    changed = True
                else:
                    bound_given_up.add((fam, cell))
                continue
            mask[free] = True
            changed = True
        if not changed:
            break
        if not settle():
            return any_present.copy()
    for u in grid.unsized.values():  # a cell shown again needs no marker
        u &= mask
    if bound_given_up:
        log.info("partner protection: %d hidden count(s) the markers' bounds pin and no further hiding frees",
                 len(bound_given_up))
        log.debug("pinned and given up: %s", [(f, grid.rows[i], grid.cols[j]) for f, (i, j) in sorted(bound_given_up)])
    return mask


# --------------------------------------------------------------------------- partner periods

@dataclass(frozen=True)
class PartnerPeriods:
    """The periods partners can choose, and the rolling years the scorecard reads."""

    quarters: tuple[Period, ...]  # oldest first
    years: tuple[Period, ...]  # the last one ends with the reporting quarter (the year so far)
    rolling: tuple[Period, ...]
    #: the 12 months to the reporting quarter's end, when that is no financial year's end: partners read every
    #: figure and every breakdown for it too (the last 12 months)
    last_12_months: Period | None = None
    #: the two parts of last year that it splits: its end, in the last 12 months (which are this year so far
    #: and that end), and its start. Never shown: cells of the protection, since a reader who subtracts this
    #: year so far from the last 12 months has the first, and last year less that the second.
    unshown: tuple[Period, ...] = ()

    @property
    def all(self) -> tuple[Period, ...]:
        return self.quarters + self.years + self.rolling

    def clip(self, period: Period) -> Period:
        """``period`` as partners read it: a period running on past the reporting quarter (this financial year,
        when the data end inside it) ends with that quarter. The weeks after it are never shown to partners:
        this year's figure less its shown quarters would be their count, a small number that no protection
        sees (docs/DISCLOSURE.md)."""
        if not self.quarters or period.end <= self.quarters[-1].end or period.start > self.quarters[-1].end:
            return period
        return so_far(period, self.quarters[-1])  # (this year: equal to the last of ``years``)

    def year_of(self, period: Period) -> Period:
        """The financial year ``period`` ends in, so far (never past the reporting quarter)."""
        return self.clip(financial_year(fy_start_year(period.end)))

    @property
    def local_years(self) -> tuple[Period, ...]:
        """The financial years partners can look within a locality (a locality, then one more dimension)."""
        return self.years[-PARTNER_LOCAL_YEARS:]

    @property
    def local_periods(self) -> tuple[Period, ...]:
        """Every period partners can look within a locality: the financial years, and the last 12 months when
        the reporting quarter ends none."""
        return self.local_years + (() if self.last_12_months is None else (self.last_12_months,))

    def local_for(self, period: Period) -> Period | None:
        """The period partners compare groups in within a locality when they chose ``period``: the last 12
        months when they chose them, else the financial year (so far) its end falls in, if partners can look
        within a locality then; else None."""
        if self.last_12_months is not None and period_key(period) == period_key(self.last_12_months):
            return self.last_12_months
        fy = self.year_of(period)
        return fy if period_key(fy) in {period_key(y) for y in self.local_years} else None

    def breakdown_for(self, period: Period) -> Period:
        """The period partners compare groups in when they chose ``period``: the last 12 months when they chose
        them, else its financial year, so far."""
        if self.last_12_months is not None and period_key(period) == period_key(self.last_12_months):
            return self.last_12_months
        return self.year_of(period)


def so_far(period: Period, last: Period) -> Period:
    """``period`` cut at the end of the quarter ``last``, labelled as such (``2023-24 to 30 Sep 2023``)."""
    return Period(period.start, last.end, f"{period.label} to {fmt_date(last.end)}", period.kind)


def partner_periods(covers: tuple[dt.date | None, dt.date | None], max_quarters: int = 40) -> PartnerPeriods:
    """Quarters from the first one the data touch to the reporting quarter, their financial
    years (the last one so far: to the reporting quarter's end) and the rolling 12 months ending
    at each quarter end."""
    start, end = covers
    if end is None:
        return PartnerPeriods((), (), ())
    last = reporting_quarter(end)
    qs, q = [], last
    while len(qs) < max_quarters and (start is None or q.end >= start):
        qs.append(q)
        q = q.previous()
    qs.reverse()
    years = sorted({fy_start_year(q.start) for q in qs})
    fys = tuple(financial_year(y) if financial_year(y).end <= last.end else so_far(financial_year(y), last)
                for y in years)
    rolling = tuple(rolling_year(q.end) for q in qs)
    last_12, unshown = rolling_year(last.end), ()
    this_year = financial_year(fy_start_year(last.end))
    if last_12.start == this_year.start:  # the reporting quarter ends a financial year: the year itself
        last_12 = None
    else:
        before = financial_year(fy_start_year(last.end) - 1)
        unshown = (custom(last_12.start, before.end), custom(before.start, last_12.start - dt.timedelta(days=1)))
    return PartnerPeriods(tuple(qs), fys, rolling, last_12, unshown)


def period_key(p) -> tuple[dt.date, dt.date]:
    return (p.start, p.end)


def time_relations(cols: list[tuple[dt.date, dt.date]]) -> list[tuple[int, list[int]]]:
    """Columns that are sums of quarter columns: each financial or rolling year whose four
    quarters are all columns too (a year not fully covered by quarters has no relation)."""
    index = {c: n for n, c in enumerate(cols)}
    quarters = {c: n for c, n in index.items() if quarter_of(c[0]).start == c[0] and quarter_of(c[0]).end == c[1]}
    out = []
    for c, n in index.items():
        if c in quarters:
            continue
        parts, q = [], quarter_of(c[1])
        while q.start >= c[0]:
            parts.append(period_key(q))
            q = q.previous()
        if parts and parts[-1][0] == c[0] and all(p in quarters for p in parts):
            out.append((n, [quarters[p] for p in parts]))
    # a period split into two longer columns (the last 12 months: last year's end and this year so far; last
    # year: its start and its end), where they are not all quarters
    for c, n in index.items():
        if c[0] >= c[1]:
            continue
        for a, m in index.items():
            b = (a[1] + dt.timedelta(days=1), c[1])
            if a[0] == c[0] and a[1] < c[1] and b in index and not (a in quarters and b in quarters):
                out.append((n, [m, index[b]]))
    return out


# --------------------------------------------------------------------------- indicators

#: Counts at a date (the end of the period), not over it: a year's figure is its last quarter's.
STOCK_INDICATORS = ("caseload_open", "caseload_per_worker", "ete_status_open")
#: Not shown to partners at all: worker-level, or nights and costs whose counts live elsewhere.
NOT_FOR_PARTNERS = ("caseload_per_worker", "ete_status_open", "remand_nights", "remand_cost",
                    # differences and overlapping windows of counts shown elsewhere: they would let a
                    # hidden quarter or end-of-order count be worked out
                    "kpi1_unsuitable_change", "kpi9_serious_violence_rolling")
#: Not about children (board members' attendance): shown as they are.
NOT_PERSONAL = ("kpi8_board_attendance", "kpi8_board_attendance_meeting", "kpi8_data_contributed")
_PUBLIC_DENOMINATORS = ("per 100,000", "per 1,000", "per 10,000", "per worker")
#: Breakdowns partners can use (one dimension at a time, financial years only).
PARTNER_DIMENSIONS = ("ethnicity", "gender", "age_band", "locality", "disposal", "looked_after", "school_age",
                      "team", "scaled_approach")
#: partners' drill-down on the indicators: a locality, then one of these, by financial year (issue 21), for
#: the latest PARTNER_LOCAL_YEARS years (this year so far and the two before: the recent years a partner asks
#: about; each year is a column of the drill-down's own grid, about 3 s of protection on the demo), and over
#: the last 12 months
PARTNER_LOCAL_DIMENSIONS = ("ethnicity", "gender", "age_band", "disposal")
PARTNER_LOCAL_YEARS = 3


def partner_localities(ds) -> tuple[str, ...]:
    """The localities partners can look within: none unless every child's locality is known (a group's
    localities must add up to the group, as a reader will add them)."""
    loc = ds.children["locality"] if "locality" in ds.children else pd.Series(dtype="object")
    if not len(loc) or loc.isna().any():
        return ()
    return tuple(sorted(set(loc.astype(str))))


def local_results(results: list, dim: str, locality: str) -> list:
    """A breakdown of one locality's children by ``dim``, keyed as the partner grid holds it
    (``by`` = ``dim@locality``, see :func:`local_by`)."""
    return [replace(r, by=local_by(dim, locality)) for r in results if r.by == dim]


def _col_key(indicator: str, start, end):
    return (end, end) if indicator in STOCK_INDICATORS else (start, end)


def _result_key(r) -> tuple:
    return (r.indicator, r.by, r.group) + _col_key(r.indicator, r.start, r.end)


def _is_small(v, threshold: int) -> bool:
    return v is not None and v == v and 0 < v <= threshold


def is_primary(r, threshold: int) -> bool:
    """A result that rests on a small count itself: its numerator, its (personal) denominator or, for a
    proportion, its complement is from 1 to the threshold."""
    den = r.denominator if r.unit not in _PUBLIC_DENOMINATORS else None
    comp = (r.denominator - r.numerator if r.unit == "%" and None not in (r.numerator, r.denominator) else None)
    return _is_small(r.numerator, threshold) or _is_small(den, threshold) or _is_small(comp, threshold)


def safe_rag(r, threshold: int, settings=None) -> str | None:
    """The RAG a hidden result may keep: only when the band, read with the true denominator (the most a
    reader could know), still leaves the count at least ``2 * (threshold + 1)`` possible values, so the band
    cannot narrow a protected count (or a proportion's complement) to a small range. Otherwise None."""
    if r.rag is None or r.numerator is None or settings is None:
        return None
    target = settings.targets.get(r.indicator)
    if target is None:
        return None
    n, d = float(r.numerator), r.denominator
    if r.unit == "count" or d is None:
        scale, top = 1.0, max(10 * n, n + 1000)
    elif d and d > 0 and r.value is not None:
        scale = 100.0 if r.unit == "%" else (r.value * d / n if n else None)
        if scale is None:
            return None
        top = d if r.unit == "%" else max(10 * n, n + 1000)
        scale = scale / d
    else:
        return None
    counts = np.arange(0, int(min(top, 200_000)) + 1, dtype="float64")
    same = np.fromiter((target.rag(c * scale) == r.rag for c in counts), bool, len(counts))
    # (for a proportion the complement's range is the mirror image of the count's: as wide)
    return r.rag if same.sum() >= 2 * (threshold + 1) else None


def _hide_result(r, threshold: int, settings=None, outside: bool = False, unsized: bool = False):
    """A hidden result: labels, its note (``protected (<5)`` when it rests on a small count itself,
    ``protected (hidden so that ...)`` when it is hidden to protect another, ``protected (not in the partners'
    view)`` when it is not in the grid at all, ``protected (size not given ...)`` when ``unsized``: for those two,
    nothing about its size, not even its RAG), a public denominator (a population), and its RAG where
    :func:`safe_rag` allows it."""
    if outside:
        note, rag = outside_note(), None
    elif unsized:
        note, rag = unsized_note(), None
    else:
        note = primary_note(threshold) if is_primary(r, threshold) else secondary_note()
        rag = safe_rag(r, threshold, settings)
    den = r.denominator if r.unit in _PUBLIC_DENOMINATORS else None
    return replace(r, numerator=None, denominator=den, value=None, ci_low=None, ci_high=None,
                   rag=rag, benchmarks=(), rank=None, rank_of=None, note=note)


def _view_set(ds, periods: PartnerPeriods, settings, progress: "Progress | None" = None) -> list:
    """Every indicator result that a partner can be shown (see the module docstring): the whole
    service for each quarter, financial year and (for the indicators read that way) rolling
    year; each breakdown for each financial year."""
    from .indicators import INDICATORS, REOFFENDING_INDICATORS, ROLLING_YEAR_INDICATORS, compute

    ids = [i for i in INDICATORS if i not in NOT_FOR_PARTNERS]
    rolling_ids = [i for i in ids if i in ROLLING_YEAR_INDICATORS or i in REOFFENDING_INDICATORS]
    calls = [(p, ids, None) for p in periods.quarters] + [(p, rolling_ids, None) for p in periods.rolling]
    for fy in periods.years:
        calls += [(fy, ids, None)] + [(fy, ids, by) for by in PARTNER_DIMENSIONS]
    last_12 = periods.last_12_months
    if last_12 is not None:
        calls += [(last_12, [i for i in ids if i not in rolling_ids], None)]
        calls += [(last_12, ids, by) for by in PARTNER_DIMENSIONS]
    local = []  # a locality, then one more dimension: each financial year
    if periods.years:
        from .filters import Filters, apply_filters

        for loc in partner_localities(ds):
            there = apply_filters(ds, Filters(locality=(loc,)))
            local += [(p, ids, by, loc, there) for p in periods.local_periods for by in PARTNER_LOCAL_DIMENSIONS]
    calls = [c + (None, ds) for c in calls] + local
    out = []
    for n, (p, which, by, loc, data) in enumerate(calls):
        # a calculator also yields measures partners are never shown (KPI 1's net change, signed): left out;
        # and measures by categories (accommodation type, ETE provision, hours band) by quarter and year only
        categories = by is None and p != last_12
        res = [r for r in compute(data, p, which, by, settings)
               if (categories or r.by == by) and r.indicator not in NOT_FOR_PARTNERS]
        out += res if loc is None else local_results(res, by, loc)
        if progress is not None:
            progress.step(0.7 * (n + 1) / len(calls), "Computing every figure partners can see")
    return out


def _unshown_set(ds, periods: PartnerPeriods, settings) -> list:
    """The results of the periods partners are never shown but can work out by subtraction
    (``PartnerPeriods.unshown``): every indicator, whole service and each breakdown, and within each locality
    by each dimension of the drill-down. Cells of the protection, so that a small count among them is
    protected like any other."""
    from .filters import Filters, apply_filters
    from .indicators import INDICATORS, compute

    ids = [i for i in INDICATORS if i not in NOT_FOR_PARTNERS]
    calls = [(p, by, None, ds) for p in periods.unshown for by in (None,) + PARTNER_DIMENSIONS]
    for loc in partner_localities(ds) if periods.unshown else ():
        there = apply_filters(ds, Filters(locality=(loc,)))
        calls += [(p, by, loc, there) for p in periods.unshown for by in PARTNER_LOCAL_DIMENSIONS]
    out = []
    for p, by, loc, data in calls:
        res = [r for r in compute(data, p, ids, by, settings) if r.by == by  # (no measure by categories)
               and r.indicator not in NOT_FOR_PARTNERS and r.indicator not in NOT_PERSONAL]
        out += res if loc is None else local_results(res, by, loc)
    return out


_PREPARE_LOCK = __import__("threading").Lock()


class Progress:
    """How far the partner protection has got (0 to 1, and what it is doing), for a page to show while a
    partner waits. Written by one thread, read by others."""

    def __init__(self):
        self.fraction = 0.0
        self.doing = "Waiting to start"
        self.done = False
        self.error: str | None = None

    def step(self, fraction: float, doing: str) -> None:
        self.fraction, self.doing = max(self.fraction, min(float(fraction), 1.0)), doing


def _family_values(results: list) -> tuple[dict, dict]:
    """Families of counts in a calculator's results: each indicator's numerator, its complement
    (proportions: denominator minus numerator) and its denominator (unless it is a public
    population or a worker count). Identical families are merged (``fte_count`` and
    ``fte_rate`` share a numerator; reoffenders are one rate's numerator and another's
    denominator). Returns ({family: {cell: value}}, {indicator: {"num"|"comp"|"den": family}})."""
    fams: dict[str, dict] = {}
    roles: dict[str, dict[str, str]] = {}
    for r in results:
        if r.indicator in NOT_PERSONAL:
            continue
        cell = ((r.by, r.group), _col_key(r.indicator, r.start, r.end))
        parts = {"num": r.numerator}
        if r.denominator is not None and r.unit not in _PUBLIC_DENOMINATORS:
            parts["den"] = r.denominator
            if r.unit == "%" and r.numerator is not None:
                parts["comp"] = r.denominator - r.numerator
        for part, v in parts.items():
            name = f"{r.indicator}|{part}"
            fams.setdefault(name, {})[cell] = np.nan if v is None else float(v)
            roles.setdefault(r.indicator, {})[part] = name
    # a measure reported only by categories (accommodation type, ETE provision, hours band) adds up
    # to a whole that is shown elsewhere (its parent's denominator): a known total, never hidden here
    synthetic = set()
    for name, cells in fams.items():
        cols_with_all = {col for (row, col) in cells if row == ALL}
        sums: dict = {}
        for (row, col), v in cells.items():
            if row != ALL and row[0] not in PARTNER_DIMENSIONS and "@" not in str(row[0]) and col not in cols_with_all:
                sums[col] = sums.get(col, 0.0) + (0.0 if np.isnan(v) else v)
        for col, total in sums.items():
            cells[(ALL, col)] = total
            synthetic.add((name, col))
    seen: dict = {}
    alias = {}
    for name, cells in fams.items():
        sig = tuple(sorted(cells.items(), key=lambda kv: repr(kv[0])))
        alias[name] = seen.setdefault(sig, name)
    merged = {name: cells for name, cells in fams.items() if alias[name] == name}
    roles = {i: {part: alias[f] for part, f in rs.items()} for i, rs in roles.items()}
    roles["_synthetic"] = {f"{alias[name]}@{n}": col for n, (name, col) in enumerate(sorted(synthetic, key=repr))}
    return merged, roles


def _components(roles: dict[str, dict[str, str]]) -> dict[str, str]:
    """Families that must share one protection: an indicator's numerator and complement, and
    any family that is the numerator or complement of another indicator too. Denominators are
    protected on their own first and forced hidden wherever they are used."""
    parent: dict[str, str] = {}

    def find(x):
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rs in roles.values():
        shown = [rs[p] for p in ("num", "comp") if p in rs]
        for f in shown:
            find(f)
        for a, b in zip(shown, shown[1:]):
            parent[find(a)] = find(b)
    numerators = set(parent)
    for rs in roles.values():  # a denominator that is another measure's numerator: one protection
        if rs.get("den") in numerators and "num" in rs:
            parent[find(rs["den"])] = find(rs["num"])
    return {f: find(f) for f in parent}


def _build_grid(cells_by_family: dict[str, dict], child_rows: bool = True) -> Grid:
    rows = [ALL]
    cols = []
    for cells in cells_by_family.values():
        for (row, col) in cells:
            if row not in rows:
                rows.append(row)
            if col not in cols:
                cols.append(col)
    rows = [ALL] + sorted((r for r in rows if r != ALL), key=lambda r: (str(r[0]), str(r[1])))
    cols = sorted(cols)
    ri, ci = {r: n for n, r in enumerate(rows)}, {c: n for n, c in enumerate(cols)}
    values = {}
    for fam, cells in cells_by_family.items():
        v = np.full((len(rows), len(cols)), np.nan)
        for (row, col), x in cells.items():
            v[ri[row], ci[col]] = x
        values[fam] = v
    dims: dict = {}
    within: dict = {}  # {(locality, dimension): rows}: a dimension's groups within a locality
    across: dict = {}  # {(dimension, group): rows}: a group's localities
    for n, (by, g) in enumerate(rows):
        if by is not None and "@" in by:
            dim, loc = by.split("@", 1)
            within.setdefault((loc, dim), []).append(n)
            across.setdefault((dim, g), []).append(n)
        elif by is not None:
            dims.setdefault(by, []).append(n)
    row_sums = [(0, kids) for kids in dims.values()]
    row_sums += [(ri[("locality", loc)], kids) for (loc, _), kids in within.items() if ("locality", loc) in ri]
    row_sums += [(ri[key], kids) for key, kids in across.items() if key in ri]
    return Grid(rows, cols, values, row_sums, time_relations(cols), avoid_rows=(0,))


def _protect_all(ds, periods, settings, threshold, progress: Progress | None = None) -> dict[tuple, bool]:
    """{result key: hidden} for every indicator result in the partner view set."""
    results = _view_set(ds, periods, settings, progress)
    main = [r for r in results if not _is_local(r)]
    unshown_all = _unshown_set(ds, periods, settings)
    unshown = [r for r in unshown_all if not _is_local(r)]
    fams, roles = _family_values(main + unshown)
    hidden: dict[tuple, bool] = {}
    table_cells = _disposal_table_cells(ds, periods)
    if table_cells:  # the disposals table's types are one more breakdown of the same count
        fams[roles["disposals"]["num"]].update(table_cells["disposals"])
        fams["disposal_table|children"] = table_cells["children"]
        roles["disposal_table"] = {"num": "disposal_table|children"}
    if fams:
        grid = _build_grid(fams)
        ri, ci = {r: n for n, r in enumerate(grid.rows)}, {c: n for n, c in enumerate(grid.cols)}
        synthetic = roles.pop("_synthetic", {})

        # cells partners are never shown (the parts of last year): hiding them costs the reader nothing
        never = _never_shown(grid, ri, ci, main, unshown)

        def sub(names, fixed=None):
            # a category measure's whole-service total is known from elsewhere for that measure only
            keep = np.zeros(grid.shape, dtype=bool)
            for name, col in synthetic.items():
                if name.rsplit("@", 1)[0] in names:
                    keep[0, ci[col]] = True
            g = Grid(grid.rows, grid.cols, {f: grid.values[f] for f in names}, grid.row_sums, grid.col_sums,
                     fixed, grid.avoid_rows, keep)
            if never.any():
                g.cost = np.where(never, 0.01, cell_costs(g))
                # no marker reaches the reader for them: a hidden one is read as 0 or more
                g.unsized = {f: never & g.present(f) for f in names}
            return g

        # 1. denominators, each on its own
        dens = {rs["den"] for rs in roles.values() if "den" in rs}
        unsized: dict = {}  # {family: cells hidden with the size-neutral marker}, from every grid it is in

        def protected(g):
            mask = protect_grid(g, threshold)
            for f, u in g.unsized.items():
                unsized[f] = unsized[f] | u if f in unsized else u.copy()
            return mask

        den_mask = {d: protected(sub([d])) for d in sorted(dens)}
        # 2. each component of numerators and complements, with its denominators' cells forced hidden
        comp_of = _components(roles)
        masks = {}
        for root in sorted(set(comp_of.values())):
            members = sorted(f for f, r in comp_of.items() if r == root)
            fixed = np.zeros(grid.shape, dtype=bool)
            for f in members:
                if f in den_mask:
                    fixed |= den_mask[f]
            for rs in roles.values():
                if rs.get("num") in members and "den" in rs:
                    fixed |= den_mask[rs["den"]]
            masks[root] = protected(sub(members, fixed))
            if progress is not None:
                progress.step(0.7 + 0.2 * len(masks) / max(1, len(set(comp_of.values()))),
                              "Choosing the figures to hide")
        # 3. a component shares one mask over its families, which hides more than each result needs: show
        # again each hidden result whose own counts are not small, if the audit of every relation of the
        # component (each family's sums, and numerator + complement = denominator) still gives nothing away
        fam_mask = {f: masks[root] for f, root in comp_of.items()}
        for d in dens:
            fam_mask.setdefault(d, den_mask[d])
        known = {}
        for name, col in synthetic.items():
            known.setdefault(name.rsplit("@", 1)[0], set()).add((0, ci[col]))
        grid.unsized = unsized  # showing again reads those markers as 0 or more
        for root in sorted(set(comp_of.values())):
            fam_mask.update(_show_again(grid, roles, root, comp_of, fam_mask, den_mask, known, threshold, main, ri, ci))
            if progress is not None:
                progress.step(0.9, "Showing again what need not be hidden")

        def state(fams, cell, mask_of):  # UNSIZED when a hidden count of the figure has the size-neutral marker
            hid = [f for f in fams if bool(mask_of[f][cell])]
            return (UNSIZED if any(grid.is_unsized(f, cell) for f in hid) else True) if hid else False

        for (row, col) in table_cells.get("disposals", {}):
            if row != ALL:  # the table's rows follow their components' masks
                hidden[("disposal_table",) + row + col] = state(
                    [roles["disposals"]["num"], "disposal_table|children"], (ri[row], ci[col]),
                    {f: masks[comp_of[f]] for f in (roles["disposals"]["num"], "disposal_table|children")})
        for r in main:
            key = _result_key(r)
            rs = roles.get(r.indicator)
            if r.indicator in NOT_PERSONAL or rs is None:
                hidden[key] = r.indicator not in NOT_PERSONAL
                continue
            cell = (ri[(r.by, r.group)], ci[key[3:]])
            hidden[key] = state([f for f in (rs["num"], rs.get("comp"), rs.get("den")) if f is not None and f in fam_mask],
                                cell, fam_mask)
        local = [r for r in results if _is_local(r)]
        if local:
            hidden.update(_protect_local(local, main + unshown, grid, ri, ci, roles, fam_mask, threshold,
                                         [r for r in unshown_all if _is_local(r)]))
    return hidden


def _never_shown(grid: Grid, ri: dict, ci: dict, shown: list, unshown: list) -> np.ndarray:
    """The cells of ``grid`` that only ``unshown`` results fill (the parts of last year, which partners never
    see but can work out): a result's cell is shown when a result partners see has the same key."""
    shown_keys = {_result_key(r) for r in shown}
    never = np.zeros(grid.shape, dtype=bool)
    for r in unshown:
        key = _result_key(r)
        if key not in shown_keys:
            never[ri[(r.by, r.group)], ci[key[3:]]] = True
    return never


def _is_local_by(by) -> bool:
    """Is ``by`` the drill-down's (a locality's children by one more dimension: ``dim@locality``)?"""
    return by is not None and "@" in str(by)


def _is_local(r) -> bool:
    """A result of the drill-down."""
    return _is_local_by(r.by)


def _protect_local(local: list, main: list, grid1: Grid, ri1: dict, ci1: dict, roles1: dict, fam_mask1: dict,
                   threshold: int, unshown: list = ()) -> dict[tuple, bool]:
    """{result key: hidden} for the drill-down (a locality, then one more dimension), protected in a second
    pass with everything else fixed: its own grid, one column per financial year (and the last 12 months),
    whose rows are the drill-down's groups and their margins (the whole service, each locality, each group of
    the dimension), related as a reader relates them (a locality's groups add up to the locality, a group's
    localities to the group, the groups and the localities to the whole service).

    The last 12 months are last year's end plus this year so far, and last year is its start plus its end: a
    reader who has all three within a locality has both parts of last year there too. Those parts
    (``unshown``: the drill-down over ``PartnerPeriods.unshown``) are columns of the grid that are never shown
    (hiding one costs the reader nothing, and its marker would say nothing of a size), related to the others
    by those sums, so a small count among them is protected like any other; the years those sums link are
    protected together, the others each on its own.

    The margins keep the states the first pass gave them: a shown margin is known to the reader (never hidden
    here), a hidden one stays hidden and must stay undetermined. So that the drill-down tells a reader nothing
    new of a hidden margin, every child of a hidden group is withheld (hidden with the size-neutral marker: a
    '<5' would bound the group): the children of the hidden groups then add up, locality by locality, to the
    hidden groups' total, which the shown groups give away already (the whole service less them); nothing else
    about the hidden groups follows. A year in which the whole service or a locality is hidden gives the
    drill-down nothing to stand on: every figure of it there is withheld. A margin shown for one family of a
    component and hidden for another is read as hidden by the component's one mask, then each family is
    audited with what it shows (sums and the markers' bounds) and a year that gives anything away is withheld.
    Last, results hidden beyond their need are shown again as in the first pass (:func:`_show_again`)."""
    unshown = list(unshown)
    cols = {_result_key(r)[3:] for r in local + unshown}
    dims = {str(r.by).split("@", 1)[0] for r in local}
    margins = [r for r in main if _result_key(r)[3:] in cols and (r.by is None or r.by == "locality" or r.by in dims)]
    fams, roles = _family_values(local + unshown + margins)
    roles.pop("_synthetic", None)
    if not fams:
        return {}
    grid = _build_grid(fams)  # (its column relations: the last 12 months and last year, by their parts)
    ri, ci = {r: n for n, r in enumerate(grid.rows)}, {c: n for n, c in enumerate(grid.cols)}
    never = _never_shown(grid, ri, ci, local, unshown)  # the drill-down over the parts of last year
    drill = np.array([_is_local_by(by) for by, _ in grid.rows])
    # where each margin cell is in the first pass's grid (-1: not there, so never shown and unknown)
    r1 = np.array([-1 if drill[n] else ri1.get(row, -1) for n, row in enumerate(grid.rows)])
    c1 = np.array([ci1.get(c, -1) for c in grid.cols])
    in1 = (r1 >= 0)[:, None] & (c1 >= 0)[None, :]
    at1 = np.ix_(np.maximum(r1, 0), np.maximum(c1, 0))
    # this pass's families and the first pass's behind them (``_family_values`` merges identical families)
    behind: dict = {}
    for ind, rs in roles.items():
        for part, f in rs.items():
            f1 = roles1.get(ind, {}).get(part)
            if f1 in fam_mask1:
                behind.setdefault(f, set()).add(f1)
    stand = [ri[ALL]] + [n for n, (by, _) in enumerate(grid.rows) if by == "locality"]
    hidden_margin, known_margin, closed = {}, {}, {}
    for f in fams:
        pres = grid.present(f)
        margin = pres & ~drill[:, None]
        f1s = sorted(behind.get(f, ()))
        if f1s:
            # shown when any family behind it is shown (the same count): a reader knows it
            h = margin & (~in1 | np.logical_and.reduce([fam_mask1[f1][at1] for f1 in f1s]))
            none = np.zeros(grid1.shape, dtype=bool)
            u = h & in1 & np.logical_and.reduce([grid1.unsized.get(f1, none)[at1] for f1 in f1s])
        else:
            h, u = margin, np.zeros(grid.shape, dtype=bool)
        hidden_margin[f] = h
        known_margin[f] = margin & ~h
        grid.unsized[f] = u
        # a column without the whole service or a locality to stand on
        closed[f] = (h[stand, :] & pres[stand, :]).any(axis=0)

    # each drill-down row's group in the dimension (its parent row; -1 when the dimension lacks the group)
    parent = np.array([ri.get((str(by).split("@", 1)[0], g), -1) if drill[n] else -1
                       for n, (by, g) in enumerate(grid.rows)])
    has_parent = parent >= 0

    def children_of_hidden(f) -> np.ndarray:
        out = np.zeros(grid.shape, dtype=bool)
        out[has_parent] = hidden_margin[f][parent[has_parent]] & grid.present(f)[has_parent]
        return out

    comp_of = _components(roles)
    dens = {rs["den"] for rs in roles.values() if "den" in rs}
    groups = [[d] for d in sorted(dens)] + [sorted(f for f, r in comp_of.items() if r == root)
                                            for root in sorted(set(comp_of.values()))]
    mask_of: dict = {}
    locked: dict = {}  # {family: drill-down cells the rules above hide, never shown again}
    for members in groups:
        shape_cells = np.zeros(grid.shape, dtype=bool)
        for f in members:
            shape_cells |= grid.present(f)
        shut = np.zeros(grid.shape[1], dtype=bool)
        any_hidden = np.zeros(grid.shape, dtype=bool)
        any_known = np.zeros(grid.shape, dtype=bool)
        kids = np.zeros(grid.shape, dtype=bool)  # children of a hidden group: hidden, and without a size
        for f in members:
            shut |= closed[f]
            any_hidden |= hidden_margin[f]
            any_known |= known_margin[f]
            kids |= children_of_hidden(f)
        fixed = kids.copy()
        keep = any_known & ~any_hidden
        fixed |= any_hidden  # (a margin shown for one family and hidden for another: hidden here, checked below)
        for f in members:  # the drill-down hidden in a denominator (protected first) hides what rests on it
            dens_here = {f} | {rs["den"] for rs in roles.values() if rs.get("num") == f and "den" in rs}
            for d in dens_here:
                if d in mask_of:
                    fixed |= mask_of[d] & drill[:, None]
        mixed = any_hidden & any_known
        for _ in range(grid.shape[1] + 1):  # each round withholds one more year, or ends
            withheld = ((drill[:, None] & shut[None, :]) | kids) & shape_cells
            g = Grid(grid.rows, grid.cols, {f: grid.values[f] for f in members}, grid.row_sums, grid.col_sums,
                     fixed | withheld, (ri[ALL],), keep)
            if never.any():
                g.cost = np.where(never, 0.01, cell_costs(g))
            g.unsized = {f: grid.unsized[f] | ((withheld | never) & grid.present(f)) for f in members}
            mask = _protect_linked(g, threshold)
            if not mixed.any():
                break
            # the one mask read a margin as hidden that a family shows: audit each family with what it shows
            leaks = set()
            for f in members:
                own = mask.copy()
                own[~drill, :] = hidden_margin[f][~drill, :]
                leaks |= {cell[1] for _, cell in determined_by_family(g, own, [f])}
                before = {(x, c) for x, c, _ in bound_pinned(g, mask, threshold, [f])}
                leaks |= {c[1] for x, c, _ in bound_pinned(g, own, threshold, [f]) if (x, c) not in before}
            leaks -= set(np.flatnonzero(shut).tolist())
            if not leaks:
                break
            shut[sorted(leaks)] = True  # the drill-down withheld in those years
        for f in members:
            mask_of[f] = mask
            grid.unsized[f] = g.unsized[f] & mask
            locked[f] = (fixed | withheld) & drill[:, None]

    # show again what one mask over a component hid beyond each result's need, as the first pass does, each
    # family read with the margins it really shows; never a cell the rules above hide
    fam_mask = {}
    for f, m in mask_of.items():
        fam_mask[f] = m.copy()
        fam_mask[f][~drill, :] = hidden_margin[f][~drill, :]
    den_mask = {d: fam_mask[d] for d in dens}

    def open_cell(r) -> bool:
        rs = roles.get(r.indicator)
        if rs is None:
            return False
        cell = (ri[(r.by, r.group)], ci[_result_key(r)[3:]])
        return not any(locked[f][cell] for f in rs.values() if f in locked)

    candidates = [r for r in local if open_cell(r)]
    for root in sorted(set(comp_of.values())):
        fam_mask.update(_show_again(grid, roles, root, comp_of, fam_mask, den_mask, {}, threshold, candidates, ri, ci))
    mask_of = fam_mask

    out = {}
    for r in local:
        rs = roles.get(r.indicator)
        key = _result_key(r)
        if r.indicator in NOT_PERSONAL or rs is None:
            out[key] = r.indicator not in NOT_PERSONAL
            continue
        cell = (ri[(r.by, r.group)], ci[key[3:]])
        fs = [f for f in (rs["num"], rs.get("comp"), rs.get("den")) if f is not None and f in mask_of]
        hid = [f for f in fs if bool(mask_of[f][cell])]
        out[key] = (UNSIZED if any(grid.is_unsized(f, cell) for f in hid) else True) if hid else False
    return out


def _protect_linked(grid: Grid, threshold: int) -> np.ndarray:
    """:func:`protect_grid` on the columns the grid's column relations link, together, and on the others each
    on its own (a cell that cannot be protected then hides its column, not the whole grid)."""
    if not grid.col_sums:
        return protect_grid(grid, threshold)
    linked = sorted({j for p, kids in grid.col_sums for j in [p, *kids]})
    parts = [linked, [j for j in range(grid.shape[1]) if j not in set(linked)]]
    cost = cell_costs(grid)  # (over the whole grid: a cell costs what it costs there)
    mask = np.zeros(grid.shape, dtype=bool)
    for part in [p for p in parts if p]:
        at = {j: n for n, j in enumerate(part)}
        sums = [(at[p], [at[k] for k in kids]) for p, kids in grid.col_sums if p in at]
        sub = Grid(grid.rows, [grid.cols[j] for j in part], {f: v[:, part] for f, v in grid.values.items()},
                   grid.row_sums, sums, None if grid.fixed is None else grid.fixed[:, part], grid.avoid_rows,
                   None if grid.keep is None else grid.keep[:, part], cost[:, part], grid.whole_sums,
                   {f: u[:, part].copy() for f, u in grid.unsized.items()})
        mask[:, part] = protect_grid(sub, threshold)
        for f, u in sub.unsized.items():
            grid.unsized.setdefault(f, np.zeros(grid.shape, dtype=bool))[:, part] = u
    return mask


def _show_again(grid: Grid, roles: dict, root: str, comp_of: dict, fam_mask: dict, den_mask: dict, known: dict,
                threshold: int, results: list, ri: dict, ci: dict) -> dict:
    """Per-family masks for one component, starting from its shared mask: each hidden result (whole service
    first) whose numerator and complement are not small and whose denominator is shown is shown again when the
    audit still passes. The audit is over every family of the component and the denominators they use, with
    every relation a reader has: each family's sums (groups to the whole, quarters to the year) and, for each
    proportion, numerator + complement = denominator. It passes when no hidden non-zero count becomes exactly
    determined that was not before (and hidden zeros count as known, as in :func:`determined_by_family`).
    When showing a result alone fixes the counts of one other result that could be shown (the last two hidden
    quarters of a year), the two are tried together: a pair move.
    Returns {family: mask} for the families changed."""
    from scipy.sparse import coo_matrix

    members = sorted(f for f, r in comp_of.items() if r == root)
    inds = [(i, rs) for i, rs in roles.items() if rs.get("num") in members]
    fams = sorted(set(members) | {rs["den"] for _, rs in inds if "den" in rs})
    masks = {f: fam_mask[f].copy() for f in fams}
    # the variables: hidden, non-zero, not known from elsewhere
    var: dict = {}
    for f in fams:
        vals = grid.values[f]
        for i, j in np.argwhere(masks[f] & ~np.isnan(vals)):
            if vals[i, j] != 0 and (int(i), int(j)) not in known.get(f, ()):
                var[(f, int(i), int(j))] = len(var)
    if not var:
        return {}
    rows, cols, data = [], [], []
    r = 0
    for f in fams:
        for line in grid.lines(f):
            terms = [(var[(f, i, j)], c) for i, j, c in line if (f, i, j) in var]
            if terms:
                for n, c in terms:
                    rows.append(r), cols.append(n), data.append(c)
                r += 1
    for _, rs in inds:
        if "comp" not in rs or "den" not in rs:
            continue
        both = (~np.isnan(grid.values[rs["num"]]) & ~np.isnan(grid.values[rs["comp"]])
                & ~np.isnan(grid.values[rs["den"]]))
        for i, j in np.argwhere(both):
            terms = [(var[(f, int(i), int(j))], c) for f, c in ((rs["num"], 1.0), (rs["comp"], 1.0), (rs["den"], -1.0))
                     if (f, int(i), int(j)) in var]
            if terms:
                for n, c in terms:
                    rows.append(r), cols.append(n), data.append(c)
                r += 1
    a = coo_matrix((data, (rows, cols)), shape=(max(r, 1), len(var))).tocsr()
    # independent sets of variables (linked by no relation) are solved on their own
    parent = list(range(len(var)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for k in range(a.shape[0]):
        idx = a.indices[a.indptr[k]:a.indptr[k + 1]]
        for n in idx[1:]:
            parent[find(int(n))] = find(int(idx[0]))
    sets: dict = {}
    for n in range(len(var)):
        sets.setdefault(find(n), []).append(n)
    where = {}  # variable -> (set root, position)
    basis = {}
    for s_root, nodes in sets.items():
        sub = a[:, nodes]
        used = np.unique(sub.nonzero()[0])
        dense = sub[used, :].toarray() if len(used) else np.zeros((0, len(nodes)))
        basis[s_root] = null_space(dense) if len(used) else np.eye(len(nodes))
        for k, n in enumerate(nodes):
            where[n] = (s_root, k)

    def determined(s_root):
        b = basis[s_root]
        return np.all(np.abs(b) < 1e-7, axis=1) if b.size else np.ones(b.shape[0], dtype=bool)

    known_at = {}  # {family: cells the reader knows from elsewhere (a category measure's total)}: not hidden
    for f, cs in known.items():
        if f in masks and cs:
            known_at[f] = np.zeros(grid.shape, dtype=bool)
            known_at[f][tuple(zip(*cs))] = True
    shown: set = set()
    candidates = sorted({(ri[(x.by, x.group)], ci[_result_key(x)[3:]], x.indicator) for x in results
                         if x.indicator in dict(inds)}, key=lambda c: (c[0] != 0, c[1], c[0], c[2]))
    at_cell: dict = {}  # {(i, j): [indicator, ...]}: the candidates of each cell, for a pair move
    for i, j, ind in candidates:
        at_cell.setdefault((i, j), []).append(ind)
    key_of = {n: k for k, n in var.items()}

    def own_of(ind):
        rs = roles[ind]
        return [rs["num"]] + [rs[p] for p in ("comp",) if p in rs]

    def eligible(i, j, ind) -> bool:
        rs, own = roles[ind], own_of(ind)
        den = rs.get("den")
        return (any(masks[f][i, j] for f in own)  # not shown already
                and not (den is not None and masks[den][i, j])  # its denominator is hidden: so is the result
                # a count that is another figure's protected denominator
                and not any(den_mask.get(f) is not None and den_mask[f][i, j] for f in own)
                and not any(_small(grid.values[f][i, j], threshold) for f in own))  # rests on a small count

    def attempt(group: list) -> tuple[bool, list]:
        """Show the results of ``group`` together when the audit passes; else (False, the hidden counts that
        showing them would fix)."""
        reveal = sorted({var[(f, i, j)] for i, j, ind in group for f in own_of(ind) if (f, i, j) in var})
        by_set: dict = {}
        for n in reveal:
            by_set.setdefault(where[n][0], []).append(where[n][1])
        trial = {}
        for s_root, pos in by_set.items():
            b = basis[s_root]
            before = determined(s_root)
            if b.size:
                keep = null_space(b[pos, :])
                nb = b @ keep if keep.size else np.zeros((b.shape[0], 0))
            else:
                nb = b
            after = np.all(np.abs(nb) < 1e-7, axis=1) if nb.size else np.ones(b.shape[0], dtype=bool)
            fresh = after & ~before
            fresh[pos] = False
            fresh[[k for k, n in enumerate(sets[s_root]) if n in shown]] = False
            if fresh.any():
                return False, [key_of[sets[s_root][k]] for k in np.flatnonzero(fresh)]
            trial[s_root] = nb
        cells = {(i, j): [] for i, j, _ in group}
        for i, j, ind in group:
            cells[(i, j)] += [f for f in own_of(ind) if f not in cells[(i, j)]]
        before_masks = {(f, c): masks[f][c] for c, own in cells.items() for f in own}
        pinned_before = set().union(*(_pins_at(grid, masks, own, inds, c, threshold, known_at)
                                      for c, own in cells.items()))
        for (f, c) in before_masks:
            masks[f][c] = False
        pinned_after = set().union(*(_pins_at(grid, masks, own, inds, c, threshold, known_at)
                                     for c, own in cells.items()))
        if pinned_after - pinned_before:  # the markers would pin a count
            for (f, c), m in before_masks.items():
                masks[f][c] = m
            return False, []
        basis.update(trial)
        shown.update(reveal)
        return True, []

    for i, j, ind in candidates:
        if not eligible(i, j, ind):
            continue
        ok, fixes = attempt([(i, j, ind)])
        if ok or not fixes:
            continue
        # a pair move: showing it fixes one hidden count that another result shows anyway (the last two
        # quarters of a year whose others are shown): show both, if nothing else follows
        (f2, i2, j2), rest = fixes[0], fixes[1:]
        for ind2 in at_cell.get((i2, j2), ()):
            own2 = own_of(ind2)
            if ((i2, j2, ind2) != (i, j, ind) and f2 in own2 and all(f in own2 and (a, b) == (i2, j2) for f, a, b in rest)
                    and eligible(i2, j2, ind2) and attempt([(i, j, ind), (i2, j2, ind2)])[0]):
                break
    return {f: m for f, m in masks.items() if f in members}


def _pins_at(grid: Grid, masks: dict, own: list, inds: list, cell: tuple[int, int], threshold: int,
             known_at: dict | None = None) -> set:
    """The hidden counts pinned, read with the markers' bounds, by the relations through ``cell``: each of
    ``own``'s families' sums linked to it, and numerator + complement = denominator there. ``known_at``
    ({family: bool array}): cells the reader knows from elsewhere, read as shown."""
    known_at = known_at or {}

    def seen(f):
        return masks[f] & ~known_at[f] if f in known_at else masks[f]

    out = {(f, c) for f in own for _, c, _ in bound_pinned(grid, seen(f), threshold, [f], {cell})}
    i, j = cell
    for ind, rs in inds:
        if "comp" not in rs or "den" not in rs or not any(f in own for f in (rs["num"], rs["comp"], rs["den"])):
            continue
        terms, names, known = [], [], 0.0
        for f, a in ((rs["num"], 1.0), (rs["comp"], 1.0), (rs["den"], -1.0)):
            v = grid.values[f][i, j]
            if np.isnan(v):
                break
            if masks[f][i, j] and v != 0:
                terms.append((a,) + _reader_bounds(v, threshold, grid.is_unsized(f, (i, j))))
                names.append(f)
            else:
                known += a * v
        else:
            if terms:
                out |= {(f, cell) for f, (lo, hi) in zip(names, _tighten(terms, known))
                        if np.isfinite(lo) and np.isfinite(hi) and hi <= lo}
    return out


def _disposal_table_cells(ds, periods: PartnerPeriods) -> dict[str, dict]:
    from .indicators import disposal_table

    out: dict[str, dict] = {"disposals": {}, "children": {}}
    for p in periods.quarters + periods.years:
        t = disposal_table(ds, p)
        col = period_key(p)
        for row in t.itertuples():
            key = ALL if row.disposal_type == "Total" else ("disposal_type", row.disposal_type)
            out["disposals"][(key, col)] = float(row.disposals)
            out["children"][(key, col)] = float(row.children)
    return out


def _protect_table(cells: dict[str, dict], threshold: int, relations: bool = True) -> tuple[Grid, np.ndarray]:
    grid = _build_grid(cells)
    if not relations:
        grid.col_sums = []
    return grid, protect_grid(grid, threshold)


#: the layout of :meth:`PartnerProtection.dump` (a change makes every kept protection be computed again)
KEPT_FORMAT = 2


def _code_digest() -> str:
    """SHA-256 of this package's Python sources: a kept protection is only reused by the code that made it."""
    import hashlib
    from pathlib import Path

    global _CODE_DIGEST
    if _CODE_DIGEST is None:
        h = hashlib.sha256()
        for path in sorted(Path(__file__).parent.glob("*.py")):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
        _CODE_DIGEST = h.hexdigest()
    return _CODE_DIGEST


_CODE_DIGEST: str | None = None


def _missing():
    raise KeyError("not computed")


def _encode_value(v):
    """A mask key's part as JSON: dates and tuples tagged, so that decoding gives equal (and equally hashed)
    keys."""
    if isinstance(v, tuple):
        return {"t": [_encode_value(x) for x in v]}
    if isinstance(v, pd.Timestamp):
        return {"ts": v.isoformat()}
    if isinstance(v, dt.datetime):
        return {"dt": v.isoformat()}
    if isinstance(v, dt.date):
        return {"d": v.isoformat()}
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating,)):
        return float(v)
    if v is None or isinstance(v, (str, int, float, bool)):
        return v
    raise TypeError(f"cannot keep a mask key part of type {type(v).__name__}")


def _decode_value(v):
    if isinstance(v, dict):
        (tag, x), = v.items()
        if tag == "t":
            return tuple(_decode_value(i) for i in x)
        if tag == "ts":
            return pd.Timestamp(x)
        if tag == "dt":
            return dt.datetime.fromisoformat(x)
        if tag == "d":
            return dt.date.fromisoformat(x)
        raise ValueError(f"unknown tag {tag!r}")
    return v


def _encode_mask(mask: dict) -> list:
    return [[_encode_value(k), h if h == UNSIZED else bool(h)] for k, h in mask.items()]


def _decode_mask(rows: list) -> dict:
    out = {}
    for k, h in rows:
        if not isinstance(h, bool) and h != UNSIZED:
            raise ValueError("a mask value is not true, false or unsized")
        out[_decode_value(k)] = h
    return out


class PartnerProtection:
    """The partner view of one snapshot: masks computed once per calculation, over the whole
    partner grid, and looked up for every figure shown (``protect_results`` and friends)."""

    def __init__(self, ds, settings=None, max_quarters: int = 40):
        from .settings import Settings

        self.ds = ds
        self.settings = settings or Settings()
        self.threshold = int(self.settings.suppression_threshold)
        self.periods = partner_periods(ds.covers, max_quarters)
        self.progress = Progress()
        #: called with this protection once :meth:`prepare` has finished (the app keeps it in the store)
        self.on_ready = None

    def ready(self) -> bool:
        """True when :meth:`prepare` has finished: every partner figure is a look-up."""
        return self.progress.done

    def prepare(self) -> "PartnerProtection":
        """Compute the whole protection now (indicators, disproportionality, local tables), reporting to
        ``progress``: called when a snapshot goes live, so that no partner waits for it."""
        self._mask()
        self.progress.step(0.9, "Protecting disproportionality")
        self._chain_mask()
        self.progress.step(0.97, "Protecting the local tables")
        if self.periods.quarters:
            last = self.periods.quarters[-1]
            self.remand_table(last)
            self.ete_status_table(last)
        self.progress.step(1.0, "Ready")
        self.progress.done = True
        if self.on_ready is not None:
            try:
                self.on_ready(self)
            except Exception as exc:  # keeping it is an economy: the protection itself is ready
                log.warning("keeping the partner protection failed: %s", type(exc).__name__)
        return self

    # ----------------------------------------------------------------- kept across restarts
    @classmethod
    def for_snapshot(cls, ds, settings, store, snapshot_id: int | None = None,
                     keep: bool = True) -> "PartnerProtection":
        """The protection of a stored snapshot: the one kept in ``store`` when it reads back (then ready at
        once), else a new one that keeps itself there when :meth:`prepare` finishes (``keep``). Reading the
        kept one is an economy: if the store cannot give it, it is computed. ``store``: anything with
        ``kept_protection(snapshot_id, identity)`` and ``keep_protection(snapshot_id, identity, body)``."""
        prot = cls(ds, settings)
        snapshot_id = ds.snapshot_id if snapshot_id is None else snapshot_id
        if store is None or snapshot_id is None:
            return prot
        try:
            kept = store.kept_protection(snapshot_id, prot.identity)
        except Exception as exc:
            log.warning("cannot read the kept partner protection: %s", type(exc).__name__)
            kept = None
        if (kept is None or not prot.restore(kept)) and keep:
            prot.on_ready = lambda p: store.keep_protection(snapshot_id, p.identity, p.dump())
        return prot

    #: the masks :meth:`dump` writes (the per-stage masks are cut from ``dp-chain`` when asked for)
    _KEPT_TABLES = ("dp-chain", "remands", "ete_status")

    @property
    def identity(self) -> str:
        """What the masks depend on besides the snapshot's rows, as a SHA-256: the partner periods, the
        threshold, the settings and this package's code (an upgrade computes the protection again)."""
        import hashlib
        import json

        body = json.dumps({"format": KEPT_FORMAT, "code": _code_digest(), "threshold": self.threshold,
                           "settings": self.settings.to_json(),
                           "periods": [[p.start.isoformat(), p.end.isoformat()] for p in self.periods.all]},
                          sort_keys=True)
        return hashlib.sha256(body.encode()).hexdigest()

    def dump(self) -> bytes:
        """Every mask of the finished protection, as compressed JSON (no figures: only which cells are
        hidden), for :meth:`restore` after a restart."""
        import json
        import zlib

        if not self.ready():
            raise RuntimeError("the partner protection is not ready yet")
        tables = {name: _encode_mask(self._table_mask(name, _missing)) for name in self._KEPT_TABLES
                  if self._has_table_mask(name)}
        body = {"format": KEPT_FORMAT, "identity": self.identity, "indicators": _encode_mask(self._mask()),
                "tables": tables}
        return zlib.compress(json.dumps(body, separators=(",", ":")).encode(), 6)

    def restore(self, data: bytes) -> bool:
        """Take the masks from :meth:`dump` (of the same snapshot) instead of computing them; True when they
        were taken. Anything else (another identity, a damaged body) is refused and computed afresh."""
        import json
        import zlib

        try:
            body = json.loads(zlib.decompress(data))
            if body.get("format") != KEPT_FORMAT or body.get("identity") != self.identity:
                return False
            indicators = _decode_mask(body["indicators"])
            tables = {name: _decode_mask(m) for name, m in body["tables"].items() if name in self._KEPT_TABLES}
        except Exception as exc:
            log.warning("a kept partner protection could not be read (%s): computing it again", type(exc).__name__)
            return False
        if set(tables) != set(self._KEPT_TABLES) and self.periods.quarters:
            return False
        self.ds.memo(self._mask_key(), lambda: indicators)
        for name, mask in tables.items():
            self._table_mask(name, lambda m=mask: m)
        self.progress.step(1.0, "Ready")
        self.progress.done = True
        return True

    def _mask_key(self) -> tuple:
        return ("disclosure", self.periods, self.threshold, self.settings.to_json())

    def _has_table_mask(self, name: str) -> bool:
        return ("disclosure-table", name, self.periods, self.threshold, self.settings.to_json()) in self.ds._memo

    def prepare_in_background(self) -> None:
        """Start :meth:`prepare` in a thread, once (a failure is kept in ``progress.error``)."""
        import threading

        with _PREPARE_LOCK:
            if getattr(self, "_preparing", None) is not None:
                return
            self._preparing = threading.Thread(target=self._prepare_quietly, name="yj-partner-protection",
                                               daemon=True)
        self._preparing.start()

    def _prepare_quietly(self) -> None:
        try:
            self.prepare()
        except Exception as exc:  # the page computes it again in its own run, and reports the failure there
            self.progress.error = type(exc).__name__
            log.warning("preparing the partner protection failed: %s", type(exc).__name__)

    # ----------------------------------------------------------------- indicators
    def _mask(self) -> dict:
        """The protection of every indicator (computed once per dataset, over the whole partner grid)."""
        return self.ds.memo(self._mask_key(),
                            lambda: _protect_all(self.ds, self.periods, self.settings, self.threshold, self.progress))

    @property
    def localities(self) -> tuple[str, ...]:
        """The localities partners can look within (a locality, then one more dimension)."""
        return partner_localities(self.ds)

    def is_hidden(self, r) -> bool:
        """True when a result must not be shown to partners (unknown views count as hidden)."""
        if r.indicator in NOT_FOR_PARTNERS:
            return True
        if r.indicator in NOT_PERSONAL:
            return False
        return bool(self._mask().get(_result_key(r), True))

    def protect_results(self, results: list) -> list:
        """Results safe for partners: hidden ones keep only their labels and a note (a result outside the grid:
        the note says so, and nothing of its size)."""
        mask = self._mask()
        return [_hide_result(r, self.threshold, self.settings,
                             outside=r.indicator in NOT_FOR_PARTNERS or _result_key(r) not in mask,
                             unsized=mask.get(_result_key(r)) == UNSIZED)
                if self.is_hidden(r) else r for r in results]

    # ----------------------------------------------------------------- local tables
    def in_grid(self, period) -> bool:
        """Is ``period`` one the local tables (disposals, remands, ETE status) are protected for: a quarter or a
        financial year partners can choose?"""
        return period_key(period) in {period_key(p) for p in self.periods.quarters + self.periods.years}

    def disposal_table(self, period) -> pd.DataFrame:
        """Disposals by type for partners: protected counts and shares (the marker where hidden)."""
        from .indicators import disposal_table

        period = self.periods.clip(period)
        table = disposal_table(self.ds, period)
        hidden = self._mask()
        total_hidden = hidden.get(("disposals", None, None) + period_key(period), True)
        rows = []
        for row in table.itertuples():
            if row.disposal_type == "Total":
                h = total_hidden or not self.in_grid(period)
            else:
                h = hidden.get(("disposal_table", "disposal_type", row.disposal_type) + period_key(period), True)
            rows.append(h)
        return self._mark(table, rows, ["disposals", "children", "share_pct"],
                          all_hidden_cols=["share_pct"] if total_hidden else [], count_cols=["disposals", "children"],
                          outside=not self.in_grid(period))

    def _table_mask(self, name: str, make):
        key = ("disclosure-table", name, self.periods, self.threshold, self.settings.to_json())
        return self.ds.memo(key, make)

    def remand_table(self, period) -> pd.DataFrame:
        """Remands by type for partners: remands and children protected; nights and cost hidden with them."""
        from .indicators import remand_table

        def make():
            cells: dict[str, dict] = {"remands": {}, "children": {}}
            for p in self.periods.quarters + self.periods.years:
                t = remand_table(self.ds, p, self.settings)
                col = period_key(p)
                for fam in cells:
                    cells[fam][(ALL, col)] = float(t[fam].sum())
                    for row in t.itertuples():
                        cells[fam][(("remand_type", row.remand_type), col)] = float(getattr(row, fam))
            grid, mask = _protect_table(cells, self.threshold)
            return {grid.rows[i][1:] + grid.cols[j]: grid.state(mask, (i, j))
                    for i in range(len(grid.rows)) for j in range(len(grid.cols))}

        hidden = self._table_mask("remands", make)
        period = self.periods.clip(period)
        table = remand_table(self.ds, period, self.settings)
        rows = [hidden.get((t,) + period_key(period), True) for t in table["remand_type"]]
        return self._mark(table, rows, ["remands", "children", "nights", "cost"], count_cols=["remands", "children"],
                          outside=not self.in_grid(period))

    def ete_status_table(self, period) -> pd.DataFrame:
        """Open cases by ETE status at each month end, for partners (each month end on its own)."""
        from .indicators import ETE_STATUSES, ete_status_table

        def make():
            start = self.periods.quarters[0].start if self.periods.quarters else None
            end = self.periods.quarters[-1].end if self.periods.quarters else None
            if start is None:
                return {}
            t = ete_status_table(self.ds, custom(start, end))
            cells: dict = {"n": {}}
            for row in t.to_dict("records"):
                col = (row["month_end"], row["month_end"])
                cells["n"][(ALL, col)] = float(row["total"])
                for st in ETE_STATUSES:
                    cells["n"][(("status", st), col)] = float(row[st])
            grid, mask = _protect_table(cells, self.threshold, relations=False)
            return {(grid.rows[i][1],) + grid.cols[j][:1]: grid.state(mask, (i, j))
                    for i in range(len(grid.rows)) for j in range(len(grid.cols))}

        hidden = self._table_mask("ete_status", make)
        t = ete_status_table(self.ds, self.periods.clip(period))
        out = t.astype({c: "object" for c in t.columns if c != "month_end"})
        for i, row in t.iterrows():
            for col in [c for c in t.columns if c != "month_end"]:
                key = (None if col == "total" else col, row["month_end"])
                if key not in hidden:  # a month end partners cannot ask for
                    out.at[i, col] = OUTSIDE_MARKER
                elif hidden[key]:
                    out.at[i, col] = self.cell_marker(_is_small(_as_float(row[col]), self.threshold), hidden[key])
                else:
                    out.at[i, col] = _as_text(row[col])
        return out

    def _mark(self, table: pd.DataFrame, hidden_rows: list[bool], cols: list[str],
              all_hidden_cols: list[str] = (), count_cols: list[str] | None = None,
              outside: bool = False) -> pd.DataFrame:
        """The table with each hidden cell's marker: ``<5`` where the row rests on a count from 1 to the
        threshold (any of ``count_cols``, default the first of ``cols``), the secondary marker where it
        is hidden to protect another cell. ``outside``: a table partners cannot ask for (its period is not
        in the grid): every cell hidden, marked ``n/a``, whatever its size."""
        out = table.astype({c: "object" for c in cols if c in table.columns})
        counts = [c for c in (count_cols or cols[:1]) if c in table.columns]
        for i, h in enumerate(hidden_rows):
            small = any(_is_small(_as_float(table.iat[i, table.columns.get_loc(c)]), self.threshold) for c in counts)
            for c in cols:
                if c in out.columns and outside:
                    out.iat[i, out.columns.get_loc(c)] = OUTSIDE_MARKER
                elif c in out.columns and (h or c in all_hidden_cols):
                    out.iat[i, out.columns.get_loc(c)] = self.cell_marker(small and bool(h), h)
        for c in cols:  # one type per column (text): the marker and the figures side by side
            if c in out.columns:
                out[c] = out[c].map(_as_text)
        return out

    def cell_marker(self, small: bool, state=True) -> str:
        """``<5`` for a hidden count from 1 to the threshold, the secondary marker for a cell hidden to
        protect another, the size-neutral marker where the mask says so (``state`` :data:`UNSIZED`)."""
        if state == UNSIZED:
            return UNSIZED_MARKER
        return marker(self.threshold) if small else SECONDARY_MARKER

    # ----------------------------------------------------------------- disproportionality
    def _chain_mask(self) -> dict:
        """The protection of every disproportionality stage partners can see, in one grid: each stage's
        children by group and financial year, for the whole service and within each locality (locality then
        one more dimension), with the complements a reader can form from the shown figures for every base
        choice (the previous stage minus this one; the population minus this one), so that ``16 of 18``
        cannot show that 2 children did not go on. The grid's relations: a dimension's groups add up to the
        whole service (within a locality: to the locality), and a group's localities add up to the group.
        {(stage, by, group, start, end): hidden}; a group within a locality has ``by`` = ``dim@locality``."""
        from . import disproportionality as dp
        from .filters import Filters, apply_filters

        localities = sorted(set(self.ds.children["locality"].dropna().astype(str)))
        local = {loc: apply_filters(self.ds, Filters(locality=(loc,))) for loc in localities}

        def rows_of(frame, loc=None):
            out = {}
            for dim in PARTNER_DP_DIMENSIONS:
                if loc is not None and dim == "locality":
                    continue
                by = dim if loc is None else local_by(dim, loc)
                for g in _dp_groups(self.ds, dim):
                    out[(by, g)] = 0.0
                for g, n in frame[dim].astype("object").fillna("Not known").value_counts().items():
                    out[(by, g)] = float(n)
            return out

        def make():
            cells: dict = {"n": {}, "previous": {}, "population": {}}
            for fy in self.periods.years:
                col = period_key(fy)
                counts: dict = {}
                pops: dict = {}
                for stage in PARTNER_DP_STAGES:
                    frame = dp.stage_children(self.ds, fy, stage)
                    counts[(ALL, stage)] = float(len(frame))
                    for row, v in rows_of(frame).items():
                        counts[(row, stage)] = v
                    for loc in localities:
                        sub = frame[frame["locality"].astype("object") == loc]
                        for row, v in rows_of(sub, loc).items():
                            counts[(row, stage)] = v
                for dim in PARTNER_DP_DIMENSIONS:
                    series = dp._population_counts(self.ds, fy, dim)
                    for g, v in series.items():
                        pops[(dim, g)] = float(v)
                    if dim == "gender" and len(series):
                        pops[ALL] = float(series.sum())
                    for loc in localities:
                        if dim == "locality":
                            continue
                        for g, v in dp._population_counts(local[loc], fy, dim).items():
                            pops[(local_by(dim, loc), g)] = float(v)
                for (row, stage), v in counts.items():
                    c = col + (stage,)
                    cells["n"][(row, c)] = v
                    prev = PARTNER_DP_PREVIOUS.get(stage)
                    if prev is not None:
                        cells["previous"][(row, c)] = counts.get((row, prev), 0.0) - v
                    if row in pops:
                        cells["population"][(row, c)] = pops[row] - v
            grid = _build_grid(cells)
            grid.col_sums = []
            ri = {r: n for n, r in enumerate(grid.rows)}
            kids: dict = {}
            for n, (by, g) in enumerate(grid.rows):
                if by is None:
                    continue
                if "@" in by:
                    dim, loc = by.split("@", 1)
                    kids.setdefault(ri[("locality", loc)], []).append(n)  # groups within a locality
                    kids.setdefault(("group", dim, g), []).append(n)  # a group's localities
                else:
                    kids.setdefault(("dim", by), []).append(n)
            sums = []
            for parent, members in kids.items():
                if isinstance(parent, int):
                    by_dim: dict = {}
                    for m in members:
                        by_dim.setdefault(grid.rows[m][0], []).append(m)
                    sums += [(parent, ms) for ms in by_dim.values()]
                elif parent[0] == "dim":
                    sums.append((0, members))
                elif (parent[1], parent[2]) in ri:
                    sums.append((ri[(parent[1], parent[2])], members))
            grid.row_sums = sums
            grid.whole_sums = ("population",)  # "Not known" has children but no population
            try:  # the same children as first-time entrants: their hidden cells stay hidden
                fte, missing = self._mask(), False
            except Exception as exc:  # the indicators cannot be computed: first-time entrants stay hidden
                log.warning("partner protection: the indicators failed (%s); first-time entrants hidden",
                            type(exc).__name__)
                fte, missing = {}, True
            fixed = np.zeros(grid.shape, dtype=bool)
            known = np.zeros(grid.shape, dtype=bool)
            for i, row in enumerate(grid.rows):
                for j, col in enumerate(grid.cols):
                    key = ("fte_count",) + row + col[:2]
                    # within a locality too, in the years the indicators' drill-down offers
                    if col[2] == "fte" and ("@" not in str(row[0]) or key in fte):
                        state = fte.get(key, missing)
                        fixed[i, j] = bool(state)
                        if state == UNSIZED:  # the same marker here as on the indicator
                            grid.unsized.setdefault("n", np.zeros(grid.shape, dtype=bool))[i, j] = True
                        # shown as the indicator: known to the reader, never hidden here to protect another
                        known[i, j] = not fixed[i, j]
            grid.fixed = fixed
            grid.keep = known
            # what a cell costs follows its count of children (not the population minus it)
            grid.cost = cell_costs(Grid(grid.rows, grid.cols, {"n": grid.values["n"]}, avoid_rows=grid.avoid_rows))
            mask = protect_grid(grid, self.threshold)
            return {(grid.cols[j][2],) + grid.rows[i] + grid.cols[j][:2]: grid.state(mask, (i, j))
                    for i in range(len(grid.rows)) for j in range(len(grid.cols))}

        return self._table_mask("dp-chain", make)

    def _stage_mask(self, stage: str) -> dict:
        """{(by, group, start, end): hidden} for one stage (stages partners cannot see: everything hidden)."""
        return self._table_mask(("stage", stage),
                                lambda: {k[1:]: v for k, v in self._chain_mask().items() if k[0] == stage})

    def protect_disproportionality(self, results: list, locality: str | None = None) -> list:
        """Disproportionality results for partners: a hidden count hides itself wherever it
        appears (events at its stage, base at the next), everything built on it, and every
        comparison at a stage whose reference group is hidden; shares are hidden when the
        stage total is. ``locality``: the results are of that locality's children (partners' drill-down:
        a locality, then one more dimension)."""
        years = {period_key(p) for p in self.periods.years}
        key = (lambda by: by) if locality is None else (lambda by: local_by(by, locality))
        total = (None, None) if locality is None else ("locality", locality)
        t = self.threshold

        def note_of(r, ev_h, base_h):  # <5 when the figure rests on a small count (its events, base or their
            # difference); the size-neutral marker where either of its counts carries it
            if UNSIZED in (ev_h, base_h):
                return unsized_note()
            comp = r.base - r.events if r.base_stage != "population" and None not in (r.base, r.events) else None
            small = _is_small(r.events, t) or _is_small(comp, t) or (
                r.base_stage != "population" and _is_small(r.base, t))
            return primary_note(t) if small else secondary_note()

        def cell_hidden(stage, by, group, col):
            if stage == "population":
                return False
            return self._stage_mask(stage).get((by, group) + col, True)

        out = []
        by_stage: dict = {}
        for r in results:
            col = (dt.date.fromisoformat(r.start), dt.date.fromisoformat(r.end))
            outside = (col not in years or r.by not in PARTNER_DP_DIMENSIONS or "pooled" in (r.note or "")
                       or (locality is not None and r.by == "locality"))
            ev_h = outside or cell_hidden(r.stage, key(r.by), r.group, col)
            base_h = outside or cell_hidden(r.base_stage, key(r.by), r.group, col)
            by_stage.setdefault((r.stage, r.base_stage, r.by, r.start), []).append((r, ev_h, base_h, outside, col))
        for (stage, base_stage, by, _), rows in by_stage.items():
            col = rows[0][4]
            outside = rows[0][3]
            total_ev_h = outside or cell_hidden(stage, *total, col)
            total_base_h = outside or cell_hidden(base_stage, *total, col)
            ref_h = any((ev_h or base_h) for r, ev_h, base_h, _, _ in rows if r.is_reference)
            for r, ev_h, base_h, _, _ in rows:
                if ev_h or base_h:
                    r = replace(r, events=None if ev_h else r.events, base=None if base_h else r.base, rate=None,
                                rri=None, ci_low=None, ci_high=None, ci_method="", p_value=None, test="", flag="",
                                expected=None, excess=None, suppressed=True,
                                note=outside_note() if outside else note_of(r, ev_h, base_h))
                elif ref_h:
                    r = replace(r, rri=None, ci_low=None, ci_high=None, ci_method="", p_value=None, test="",
                                flag="", expected=None, excess=None,
                                note="reference group protected: no comparison shown")
                r = replace(r, share_of_events=None if (ev_h or total_ev_h) else r.share_of_events,
                            share_of_base=None if (base_h or total_base_h) else r.share_of_base)
                out.append(r)
        return out

    def composition(self, period, by: str, locality: str | None = None) -> pd.DataFrame:
        """Caseload against population by group, for partners (the caseload stage's protection), for the
        whole service or within one ``locality``."""
        from . import disproportionality as dp
        from .filters import Filters, apply_filters

        ds = self.ds if locality is None else apply_filters(self.ds, Filters(locality=(locality,)))
        period = self.periods.clip(period)
        comp = dp.composition(ds, period, "caseload", by)
        col = period_key(period)
        ok = (col in {period_key(p) for p in self.periods.years} and by in PARTNER_DP_DIMENSIONS
              and not (locality is not None and by == "locality"))
        stage = self._stage_mask("caseload")
        row_by = by if locality is None else local_by(by, locality)
        total = (None, None) if locality is None else ("locality", locality)
        total_h = not ok or stage.get(total + col, True)
        rows = [not ok or stage.get((row_by, g) + col, True) for g in comp["group"]]
        return self._mark(comp, rows, ["children", "share_of_children_pct"],
                          all_hidden_cols=["share_of_children_pct"] if total_h else [], outside=not ok)


PARTNER_DP_DIMENSIONS = ("ethnicity", "gender", "age_band", "looked_after", "locality")
#: The disproportionality stages partners see (the default chain, first-time entrants, and the caseload of
#: the composition table), and the stage each one's "previous stage" base is.
PARTNER_DP_STAGES = ("caseload", "outcomes", "substantive", "court", "custody", "fte")
PARTNER_DP_PREVIOUS = {"substantive": "outcomes", "court": "substantive", "custody": "court"}
#: The chains a partner can pick on the disproportionality page.
PARTNER_DP_CHAINS = {"system": ("population", "outcomes", "substantive", "court", "custody"),
                     "fte": ("population", "fte")}


def local_by(dim: str, locality: str) -> str:
    """The breakdown key of a dimension within one locality (partners' drill-down: locality, then one more)."""
    return f"{dim}@{locality}"


def _dp_groups(ds, dim: str) -> list[str]:
    from . import counting as k

    return k.group_values(dim, ds)


def _as_float(v) -> float | None:
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if f != f else f


def _as_text(v) -> str:
    """A table cell as text: the marker as it is, whole numbers without decimals, others to 0.1."""
    if isinstance(v, str):
        return v
    try:
        f = float(v)
    except (TypeError, ValueError):
        return ""
    if f != f:
        return ""
    return str(int(f)) if f.is_integer() else f"{f:.1f}"
