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
from collections.abc import Hashable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd
from scipy.linalg import null_space

from .periods import Period, financial_year, fy_start_year, quarter_of, reporting_quarter, rolling_year

DEFAULT_THRESHOLD = 4
ALL = (None, None)  # the whole-service row
_TOL = 1e-9


def marker(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The one marker for a protected value everywhere (app, CSV, pack): ``<5`` by default."""
    return f"<{int(threshold) + 1}"


def explanation(threshold: int = DEFAULT_THRESHOLD) -> str:
    """The sentence each page shows once, next to the first protected value."""
    m = marker(threshold)
    return (f"'{m}' marks a protected figure: it rests on 1 to {threshold} children (or would let such a "
            "number be worked out from the figures around it), so it is not shown to partners.")


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
    """

    rows: list[Hashable]
    cols: list[Hashable]
    values: dict[str, np.ndarray]
    row_sums: list[tuple[int, list[int]]] = field(default_factory=list)
    col_sums: list[tuple[int, list[int]]] = field(default_factory=list)
    fixed: np.ndarray | None = None
    avoid_rows: tuple[int, ...] = ()
    keep: np.ndarray | None = None  # known to the reader from elsewhere: never chosen to hide
    _lines: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), len(self.cols)

    def present(self, family: str) -> np.ndarray:
        return ~np.isnan(self.values[family])

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
    cache: dict = {}
    for fam, vals in grid.values.items():
        pres = grid.present(fam)
        hidden = np.argwhere(mask & pres)
        if len(hidden) == 0:
            continue
        index = {(int(i), int(j)): n for n, (i, j) in enumerate(hidden)}
        lines = grid.lines(fam)
        zeros = tuple(n for (i, j), n in index.items() if vals[i, j] == 0)
        key = (tuple(index), id(lines))
        if key not in cache:
            rows = []
            for line in lines:
                coef = np.zeros(len(index))
                for i, j, c in line:
                    n = index.get((i, j))
                    if n is not None:
                        coef[n] = c
                if coef.any():
                    rows.append(coef)
            cache[key] = null_space(np.vstack(rows)) if rows else np.eye(len(index))
        basis = cache[key]
        if zeros and basis.size:
            # the reader knows the hidden zeros too: restrict to directions that keep them at 0
            sub = null_space(basis[list(zeros), :])
            basis = basis @ sub if sub.size else np.zeros((len(index), 0))
        det = np.all(np.abs(basis) < 1e-7, axis=1) if basis.size else np.ones(len(index), dtype=bool)
        for (i, j), n in index.items():
            if det[n] and vals[i, j] != 0:
                out[i, j] = True
    return out


def protect_grid(grid: Grid, threshold: int = DEFAULT_THRESHOLD, max_rounds: int = 200) -> np.ndarray:
    """The cells to hide: primary cells, then secondary cells until no hidden cell is determined.

    Secondary cells are chosen among the unhidden cells that share a relation with an exposed
    cell: not the whole service if possible, non-zero before zero, smallest first.
    """
    mask = primary_cells(grid, threshold)
    any_present = np.zeros(grid.shape, dtype=bool)
    for fam in grid.values:
        any_present |= grid.present(fam)
    all_lines = []
    for fam in grid.values:
        all_lines += [tuple((i, j) for i, j, _ in line) for line in grid.lines(fam)]
    all_lines = list(dict.fromkeys(all_lines))
    lines_of: dict[tuple[int, int], list[int]] = {}
    for n, line in enumerate(all_lines):
        for cell in line:
            lines_of.setdefault(cell, []).append(n)
    size = np.zeros(grid.shape)
    for v in grid.values.values():
        size = np.maximum(size, np.nan_to_num(v, nan=0.0))
    avoid = set(grid.avoid_rows)
    keep = grid.keep if grid.keep is not None else np.zeros(grid.shape, dtype=bool)

    def score(cell):
        i, j = cell
        return (i in avoid, size[cell] <= 0, size[cell], i, j)

    for _ in range(max_rounds):
        exposed = determined_cells(grid, mask)
        if not exposed.any():
            return mask
        used: set[int] = set()
        added = False
        for cell in sorted(map(tuple, np.argwhere(exposed)), key=score):
            mine = lines_of.get(cell, [])
            if used.intersection(mine):
                continue
            cands = {c for n in mine for c in all_lines[n] if not mask[c] and any_present[c] and not keep[c]}
            if not cands:  # every cell on its lines is hidden: widen to the lines of those cells
                cands = {c for n in mine for h in all_lines[n] for m in lines_of.get(h, [])
                         for c in all_lines[m] if not mask[c] and any_present[c] and not keep[c]}
            if cands:
                mask[min(cands, key=score)] = True
                used.update(mine)
                added = True
        if not added:  # nothing left to hide beside the exposed cells: hide the whole grid
            return any_present.copy()
    return any_present.copy()  # did not settle: protect everything rather than risk it


# --------------------------------------------------------------------------- partner periods

@dataclass(frozen=True)
class PartnerPeriods:
    """The periods partners can choose, and the rolling years the scorecard reads."""

    quarters: tuple[Period, ...]  # oldest first
    years: tuple[Period, ...]
    rolling: tuple[Period, ...]

    @property
    def all(self) -> tuple[Period, ...]:
        return self.quarters + self.years + self.rolling


def partner_periods(covers: tuple[dt.date | None, dt.date | None], max_quarters: int = 40) -> PartnerPeriods:
    """Quarters from the first one the data touch to the reporting quarter, their financial
    years, and the rolling 12 months ending at each quarter end."""
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
    fys = tuple(financial_year(y) for y in years)
    rolling = tuple(rolling_year(q.end) for q in qs)
    return PartnerPeriods(tuple(qs), fys, rolling)


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


def _col_key(indicator: str, start, end):
    return (end, end) if indicator in STOCK_INDICATORS else (start, end)


def _result_key(r) -> tuple:
    return (r.indicator, r.by, r.group) + _col_key(r.indicator, r.start, r.end)


def _hide_result(r, threshold: int):
    note = f"protected ({marker(threshold)})"
    return replace(r, numerator=None, denominator=None, value=None, ci_low=None, ci_high=None, rag=None,
                   benchmarks=(), rank=None, rank_of=None, note=note)


def _view_set(ds, periods: PartnerPeriods, settings) -> list:
    """Every indicator result that a partner can be shown (see the module docstring): the whole
    service for each quarter, financial year and (for the indicators read that way) rolling
    year; each breakdown for each financial year."""
    from .indicators import INDICATORS, REOFFENDING_INDICATORS, ROLLING_YEAR_INDICATORS, compute

    ids = [i for i in INDICATORS if i not in NOT_FOR_PARTNERS]
    rolling_ids = [i for i in ids if i in ROLLING_YEAR_INDICATORS or i in REOFFENDING_INDICATORS]
    out = []
    for p in periods.quarters:
        out += compute(ds, p, ids, None, settings)
    for p in periods.rolling:
        out += compute(ds, p, rolling_ids, None, settings)
    for fy in periods.years:
        out += compute(ds, fy, ids, None, settings)
        for by in PARTNER_DIMENSIONS:
            out += [r for r in compute(ds, fy, ids, by, settings) if r.by == by]
    return out


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
            if row != ALL and row[0] not in PARTNER_DIMENSIONS and col not in cols_with_all:
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
    for n, (by, _) in enumerate(rows):
        if by is not None:
            dims.setdefault(by, []).append(n)
    row_sums = [(0, kids) for kids in dims.values()]
    return Grid(rows, cols, values, row_sums, time_relations(cols), avoid_rows=(0,))


def _protect_all(ds, periods, settings, threshold) -> dict[tuple, bool]:
    """{result key: hidden} for every indicator result in the partner view set."""
    results = _view_set(ds, periods, settings)
    main = results
    fams, roles = _family_values(main)
    hidden: dict[tuple, bool] = {}
    table_cells = _disposal_table_cells(ds, periods)
    if table_cells:  # the disposals table's types are one more breakdown of the same count
        fams[roles["disposals"]["num"]].update(table_cells["disposals"])
        fams["disposal_table|children"] = table_cells["children"]
        roles["disposal_table"] = {"num": "disposal_table|children"}
    if fams:
        grid = _build_grid(fams)
        ri, ci = {r: n for n, r in enumerate(grid.rows)}, {c: n for n, c in enumerate(grid.cols)}
        keep = np.zeros(grid.shape, dtype=bool)
        for col in roles.pop("_synthetic", {}).values():
            keep[0, ci[col]] = True

        def sub(names, fixed=None):
            return Grid(grid.rows, grid.cols, {f: grid.values[f] for f in names}, grid.row_sums, grid.col_sums,
                        fixed, grid.avoid_rows, keep)

        # 1. denominators, each on its own
        dens = {rs["den"] for rs in roles.values() if "den" in rs}
        den_mask = {d: protect_grid(sub([d]), threshold) for d in sorted(dens)}
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
            masks[root] = protect_grid(sub(members, fixed), threshold)
        for (row, col) in table_cells.get("disposals", {}):
            if row != ALL:
                hidden[("disposal_table",) + row + col] = bool(
                    masks[comp_of[roles["disposals"]["num"]]][ri[row], ci[col]]
                    | masks[comp_of["disposal_table|children"]][ri[row], ci[col]])
        for r in main:
            key = _result_key(r)
            rs = roles.get(r.indicator)
            if r.indicator in NOT_PERSONAL or rs is None:
                hidden[key] = r.indicator not in NOT_PERSONAL
                continue
            hidden[key] = bool(masks[comp_of[rs["num"]]][ri[(r.by, r.group)], ci[key[3:]]])
    return hidden


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


class PartnerProtection:
    """The partner view of one snapshot: masks computed once per calculation, over the whole
    partner grid, and looked up for every figure shown (``protect_results`` and friends)."""

    def __init__(self, ds, settings=None, max_quarters: int = 40):
        from .settings import Settings

        self.ds = ds
        self.settings = settings or Settings()
        self.threshold = int(self.settings.suppression_threshold)
        self.periods = partner_periods(ds.covers, max_quarters)

    # ----------------------------------------------------------------- indicators
    def _mask(self) -> dict:
        """The protection of every indicator (computed once per dataset, over the whole partner grid)."""
        return self.ds.memo(("disclosure", self.periods, self.threshold, self.settings.to_json()),
                            lambda: _protect_all(self.ds, self.periods, self.settings, self.threshold))

    def is_hidden(self, r) -> bool:
        """True when a result must not be shown to partners (unknown views count as hidden)."""
        if r.indicator in NOT_FOR_PARTNERS:
            return True
        if r.indicator in NOT_PERSONAL:
            return False
        return self._mask().get(_result_key(r), True)

    def protect_results(self, results: list) -> list:
        """Results safe for partners: hidden ones keep only their labels and a note."""
        return [_hide_result(r, self.threshold) if self.is_hidden(r) else r for r in results]

    # ----------------------------------------------------------------- local tables
    def _in_grid(self, period) -> bool:
        return period_key(period) in {period_key(p) for p in self.periods.quarters + self.periods.years}

    def disposal_table(self, period) -> pd.DataFrame:
        """Disposals by type for partners: protected counts and shares (the marker where hidden)."""
        from .indicators import disposal_table

        table = disposal_table(self.ds, period)
        hidden = self._mask()
        total_hidden = hidden.get(("disposals", None, None) + period_key(period), True)
        rows = []
        for row in table.itertuples():
            if row.disposal_type == "Total":
                h = total_hidden or not self._in_grid(period)
            else:
                h = hidden.get(("disposal_table", "disposal_type", row.disposal_type) + period_key(period), True)
            rows.append(h)
        return self._mark(table, rows, ["disposals", "children", "share_pct"],
                          all_hidden_cols=["share_pct"] if total_hidden else [])

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
            return {grid.rows[i][1:] + grid.cols[j]: bool(mask[i, j])
                    for i in range(len(grid.rows)) for j in range(len(grid.cols))}

        hidden = self._table_mask("remands", make)
        table = remand_table(self.ds, period, self.settings)
        rows = [hidden.get((t,) + period_key(period), True) for t in table["remand_type"]]
        return self._mark(table, rows, ["remands", "children", "nights", "cost"])

    def ete_status_table(self, period) -> pd.DataFrame:
        """Open cases by ETE status at each month end, for partners (each month end on its own)."""
        from .indicators import ETE_STATUSES, ete_status_table

        def make():
            start = self.periods.quarters[0].start if self.periods.quarters else None
            end = self.periods.quarters[-1].end if self.periods.quarters else None
            if start is None:
                return {}
            from .periods import custom

            t = ete_status_table(self.ds, custom(start, end))
            cells: dict = {"n": {}}
            for row in t.to_dict("records"):
                col = (row["month_end"], row["month_end"])
                cells["n"][(ALL, col)] = float(row["total"])
                for st in ETE_STATUSES:
                    cells["n"][(("status", st), col)] = float(row[st])
            grid, mask = _protect_table(cells, self.threshold, relations=False)
            return {(grid.rows[i][1],) + grid.cols[j][:1]: bool(mask[i, j])
                    for i in range(len(grid.rows)) for j in range(len(grid.cols))}

        hidden = self._table_mask("ete_status", make)
        t = ete_status_table(self.ds, period)
        out = t.astype({c: "object" for c in t.columns if c != "month_end"})
        m = marker(self.threshold)
        for i, row in t.iterrows():
            for col in [c for c in t.columns if c != "month_end"]:
                key = (None if col == "total" else col, row["month_end"])
                out.at[i, col] = m if hidden.get(key, True) else _as_text(row[col])
        return out

    def _mark(self, table: pd.DataFrame, hidden_rows: list[bool], cols: list[str],
              all_hidden_cols: list[str] = ()) -> pd.DataFrame:
        out = table.astype({c: "object" for c in cols if c in table.columns})
        m = marker(self.threshold)
        for i, h in enumerate(hidden_rows):
            for c in cols:
                if c in out.columns and (h or c in all_hidden_cols):
                    out.iat[i, out.columns.get_loc(c)] = m
        for c in cols:  # one type per column (text): the marker and the figures side by side
            if c in out.columns:
                out[c] = out[c].map(_as_text)
        return out

    # ----------------------------------------------------------------- disproportionality
    def _stage_mask(self, stage: str) -> dict:
        from . import disproportionality as dp

        def make():
            cells: dict = {"n": {}}
            for fy in self.periods.years:
                col = period_key(fy)
                frame = dp.stage_children(self.ds, fy, stage)
                cells["n"][(ALL, col)] = float(len(frame))
                for dim in PARTNER_DP_DIMENSIONS:
                    for g, n in frame[dim].astype("object").fillna("Not known").value_counts().items():
                        cells["n"][((dim, g), col)] = float(n)
                    for g in _dp_groups(self.ds, dim):
                        cells["n"].setdefault(((dim, g), col), 0.0)
            grid = _build_grid(cells)
            grid.col_sums = []
            if stage == "fte":  # the same children as first-time entrants: their cells stay as there
                fte = self._mask()
                fixed = np.zeros(grid.shape, dtype=bool)
                for i, row in enumerate(grid.rows):
                    for j, col in enumerate(grid.cols):
                        fixed[i, j] = fte.get(("fte_count",) + row + col, False)
                grid.fixed = fixed
            mask = protect_grid(grid, self.threshold)
            return {grid.rows[i] + grid.cols[j]: bool(mask[i, j])
                    for i in range(len(grid.rows)) for j in range(len(grid.cols))}

        return self._table_mask(("stage", stage), make)

    def protect_disproportionality(self, results: list) -> list:
        """Disproportionality results for partners: a hidden count hides itself wherever it
        appears (events at its stage, base at the next), everything built on it, and every
        comparison at a stage whose reference group is hidden; shares are hidden when the
        stage total is."""
        years = {period_key(p) for p in self.periods.years}
        note = f"protected ({marker(self.threshold)})"

        def cell_hidden(stage, by, group, col):
            if stage == "population":
                return False
            return self._stage_mask(stage).get((by, group) + col, True)

        out = []
        by_stage: dict = {}
        for r in results:
            col = (dt.date.fromisoformat(r.start), dt.date.fromisoformat(r.end))
            outside = (col not in years or r.by not in PARTNER_DP_DIMENSIONS or "pooled" in (r.note or ""))
            ev_h = outside or cell_hidden(r.stage, r.by, r.group, col)
            base_h = outside or cell_hidden(r.base_stage, r.by, r.group, col)
            by_stage.setdefault((r.stage, r.base_stage, r.by, r.start), []).append((r, ev_h, base_h, outside, col))
        for (stage, base_stage, by, _), rows in by_stage.items():
            col = rows[0][4]
            outside = rows[0][3]
            total_ev_h = outside or cell_hidden(stage, None, None, col)
            total_base_h = outside or cell_hidden(base_stage, None, None, col)
            ref_h = any((ev_h or base_h) for r, ev_h, base_h, _, _ in rows if r.is_reference)
            for r, ev_h, base_h, _, _ in rows:
                if ev_h or base_h:
                    r = replace(r, events=None if ev_h else r.events, base=None if base_h else r.base, rate=None,
                                rri=None, ci_low=None, ci_high=None, ci_method="", p_value=None, test="", flag="",
                                expected=None, excess=None, suppressed=True, note=note)
                elif ref_h:
                    r = replace(r, rri=None, ci_low=None, ci_high=None, ci_method="", p_value=None, test="",
                                flag="", expected=None, excess=None,
                                note="reference group protected: no comparison shown")
                r = replace(r, share_of_events=None if (ev_h or total_ev_h) else r.share_of_events,
                            share_of_base=None if (base_h or total_base_h) else r.share_of_base)
                out.append(r)
        return out

    def composition(self, period, by: str) -> pd.DataFrame:
        """Caseload against population by group, for partners (the caseload stage's protection)."""
        from . import disproportionality as dp

        comp = dp.composition(self.ds, period, "caseload", by)
        col = period_key(period)
        ok = col in {period_key(p) for p in self.periods.years} and by in PARTNER_DP_DIMENSIONS
        stage = self._stage_mask("caseload")
        total_h = not ok or stage.get((None, None) + col, True)
        rows = [not ok or stage.get((by, g) + col, True) for g in comp["group"]]
        return self._mark(comp, rows, ["children", "share_of_children_pct"],
                          all_hidden_cols=["share_of_children_pct"] if total_h else [])


PARTNER_DP_DIMENSIONS = ("ethnicity", "gender", "age_band", "looked_after", "locality")


def _dp_groups(ds, dim: str) -> list[str]:
    from . import counting as k

    return k.group_values(dim, ds)


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
