"""The determined partner: works back to hidden counts from everything a partner is shown.

Not a test module. It is written independently of ``yj_metrics.disclosure``: it never reads
the protection's masks, only the figures a partner receives (protected results and tables),
and it uses every relation an attacker who knows the counting rules can rely on, checked
against the true data first (a relation that does not hold is not used):

* complements: numerator + (denominator - numerator) = denominator;
* differencing across views: the groups of a breakdown add up to the whole service;
* differencing across periods: a financial or rolling year is the sum of its quarters
  (only where that is true of the count), this year so far too;
* the weeks after the reporting quarter (data exported mid-quarter): this year = this year so
  far + those weeks, an unknown count of its own; the attacker asks for the whole year as well
  as the year the partner view offers;
* the same count shown in two places (a denominator shared by several KPIs, first-time
  entrants as an indicator and as a disproportionality stage, a stage's events as the next
  stage's base) is one unknown;
* shares times totals: a shown share ties a hidden count to its (hidden or shown) total.

A count is *recovered* when the published figures and these relations leave it exactly one
integer value (linear algebra for exact determination, then linear programming with counts
>= 0 for bounds; a disproportionality complement is no count: no bound) and that value is the
truth. A programme that pins another value is a fault in this model (``Knowledge.faults``).
"""
from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace

import numpy as np
from scipy.optimize import linprog

from yj_metrics import disproportionality as dp
from yj_metrics import indicators
from yj_metrics.disclosure import null_space  # the SVD with its fallback driver: numerics, not the protection
from yj_metrics.disclosure import (NOT_FOR_PARTNERS, NOT_PERSONAL, PARTNER_DIMENSIONS, PARTNER_DP_CHAINS,
                                   PARTNER_DP_DIMENSIONS, PARTNER_LOCAL_DIMENSIONS, STOCK_INDICATORS,
                                   PartnerProtection, partner_periods)
from yj_metrics.indicators import REOFFENDING_INDICATORS, ROLLING_YEAR_INDICATORS
from yj_metrics.periods import financial_year, fy_start_year

PUBLIC = ("per 100,000", "per 1,000", "per 10,000", "per worker")



@dataclass
class Knowledge:
    """What the attacker sees (``known``), what is hidden (``unknown``), and the truth the
    engine knows (for scoring only)."""

    known: dict = field(default_factory=dict)     # cell -> value shown
    truth: dict = field(default_factory=dict)     # cell -> true value
    hidden: set = field(default_factory=set)      # cells the partner was not shown
    relations: list = field(default_factory=list)  # [(cell, coefficient), ...] summing to 0
    targets: set = field(default_factory=set)     # hidden cells that are counts of children 1..t
    small: set = field(default_factory=set)       # hidden cells whose marker says 1..t (a count's own '<5')
    not_small: set = field(default_factory=set)   # hidden cells whose marker says 0 or more than t ('hidden')
    signed: set = field(default_factory=set)      # differences that are no count (may be below 0): no bound
    withheld: set = field(default_factory=set)    # hidden cells whose marker says nothing of the size: no bound
    faults: dict = field(default_factory=dict)    # cells a programme "pinned" at a value that is not the truth

    def add(self, cell, true_value, shown_value, target: bool = True, threshold: int = 4):
        if true_value is None or (isinstance(true_value, float) and math.isnan(true_value)):
            return
        self.truth.setdefault(cell, float(true_value))
        if shown_value is None or (isinstance(shown_value, float) and math.isnan(shown_value)):
            if cell not in self.known:
                self.hidden.add(cell)
                if target and 1 <= true_value <= threshold:
                    self.targets.add(cell)
        else:
            self.known[cell] = float(shown_value)
            self.hidden.discard(cell)
            self.targets.discard(cell)


def _col(start, end):
    return (start, end)


def gather(ds, settings, max_quarters: int = 40, dimensions=PARTNER_DIMENSIONS, localities: bool = True) -> Knowledge:
    """Every figure the partner view allows, with the truth behind it, and the relations. ``dimensions``: the
    breakdowns read (all of them unless a test narrows the attack to keep its linear algebra small).
    ``localities``: the indicators within each locality too (a test that attacks every target of a large
    grid leaves them to one of its own: they more than double the targets)."""
    t = int(settings.suppression_threshold)
    prot = PartnerProtection(ds, settings, max_quarters=max_quarters)
    periods = partner_periods(ds.covers, max_quarters)
    k = Knowledge()
    ids = [i for i in indicators.INDICATORS if i not in NOT_FOR_PARTNERS and i not in NOT_PERSONAL]
    calls = [(p, None) for p in periods.quarters]
    calls += [(p, None) for p in periods.rolling]
    years = list(periods.years)
    if periods.quarters:  # this whole financial year too, whatever the view offers (see _weeks_after)
        whole = financial_year(fy_start_year(periods.quarters[-1].end))
        years += [whole] if whole not in years else []
    for fy in years:
        calls.append((fy, None))
        calls += [(fy, by) for by in dimensions]
    last_12 = _last_12_months(periods)
    if last_12 is not None:  # the last 12 months, every figure and breakdown
        calls += [(last_12, None)] + [(last_12, by) for by in dimensions]
    for p, by in calls:
        wanted = ids if by is not None or p in periods.quarters or p in years or p == last_12 else \
            [i for i in ids if i in ROLLING_YEAR_INDICATORS or i in REOFFENDING_INDICATORS]
        try:
            true = indicators.compute(ds, p, wanted, by, settings)
        except ValueError:
            continue
        _read_results(k, [r for r in true if by is None or r.by == by], prot, t)
    # a locality, then one more dimension (the indicators' drill-down), in the years the view offers it and
    # over the last 12 months (the others come back hidden, every figure: tested on the page)
    from yj_metrics.filters import Filters, apply_filters

    places = sorted(set(ds.children["locality"].dropna().astype(str)))
    local_dims = [d for d in PARTNER_LOCAL_DIMENSIONS if d in dimensions] if localities else []
    for loc in places if localities else ():
        there = apply_filters(ds, Filters(locality=(loc,)))
        for p in list(periods.local_years) + ([last_12] if last_12 is not None else []):
            for by in local_dims:
                true = indicators.compute(there, p, ids, by, settings)
                _read_results(k, [replace(r, by=f"{by}@{loc}") for r in true if r.by == by], prot, t)
    _weeks_after(k, ds, settings, periods, ids, t, dimensions)
    _last_year_split(k, ds, settings, periods, ids, t, dimensions)
    for loc in places if local_dims else ():  # and within each locality, by the drill-down's dimensions
        _last_year_split(k, apply_filters(ds, Filters(locality=(loc,))), settings, periods, ids, t, local_dims,
                         within=loc)
    # local tables
    from yj_metrics.indicators import disposal_table, remand_table

    for p in periods.quarters + periods.years:
        col = _col(p.start, p.end)
        true, shown = disposal_table(ds, p), prot.disposal_table(p)
        for (_, a), (_, b) in zip(true.iterrows(), shown.iterrows()):
            row = (None, None) if a["disposal_type"] == "Total" else ("disposal_type", a["disposal_type"])
            for c in ("disposals", "children"):
                k.add((f"disposal_table_{c}", "table", row, col), a[c], _num(b[c]), threshold=t)
            _read_row_marker(k, [(f"disposal_table_{c}", "table", row, col) for c in ("disposals", "children")],
                             b["disposals"])
        true, shown = remand_table(ds, p, settings), prot.remand_table(p)
        for c in ("remands", "children"):
            k.add((f"remand_{c}", "table", (None, None), col), float(true[c].sum()), None, threshold=t)
            for (_, a), (_, b) in zip(true.iterrows(), shown.iterrows()):
                k.add((f"remand_{c}", "table", ("remand_type", a["remand_type"]), col), a[c], _num(b[c]), threshold=t)
        for (_, b) in shown.iterrows():
            _read_row_marker(k, [(f"remand_{c}", "table", ("remand_type", b["remand_type"]), col)
                                 for c in ("remands", "children")], b["remands"])
    # disproportionality, every partner dimension and both bases, each financial year, for the whole
    # service and within each locality
    for fy in periods.years:
        for by in [d for d in PARTNER_DP_DIMENSIONS if d in dimensions]:
            for chain in PARTNER_DP_CHAINS.values():
                for base in ("previous", "population"):
                    true = dp.stage_table(ds, fy, by, None, chain, 1, base)
                    shown = prot.protect_disproportionality(true)
                    _dp_knowledge(k, true, shown, fy, t)
            for loc in places:  # the drill-down: a locality, then this dimension
                if by == "locality":
                    continue
                local = apply_filters(ds, Filters(locality=(loc,)))
                for chain in PARTNER_DP_CHAINS.values():
                    for base in ("previous", "population"):
                        true = dp.stage_table(local, fy, by, None, chain, 1, base)
                        shown = prot.protect_disproportionality(true, loc)
                        _dp_knowledge(k, true, shown, fy, t, loc)
            comp_true = dp.composition(ds, fy, "caseload", by)
            comp_shown = prot.composition(fy, by)
            col = _col(fy.start, fy.end)
            for (_, a), (_, b) in zip(comp_true.iterrows(), comp_shown.iterrows()):
                cell = ("stage", "caseload", (by, a["group"]), col)
                k.add(cell, a["children"], _num(b["children"]), threshold=t)
                share = _num(b["share_of_children_pct"])
                if share is not None and cell in k.hidden:
                    k.relations.append([(cell, 1.0), (("stage", "caseload", (None, None), col), -share / 100)])
            k.add(("stage", "caseload", (None, None), col), float(comp_true["children"].sum()), None, threshold=t)
    _relations(k)
    return k


def _read_results(k: Knowledge, true: list, prot, t: int) -> None:
    """What a partner reads of these results (protected by the view), with each proportion's complement."""
    shown = prot.protect_results(true)
    for r, s in zip(true, shown):
        if r.indicator in NOT_PERSONAL or r.indicator in NOT_FOR_PARTNERS:
            continue
        row, col = (r.by, r.group), _col(r.start, r.end)
        _read_marker(k, r, s, row, col)
        k.add(("num", r.indicator, row, col), r.numerator, s.numerator, threshold=t)
        if r.denominator is not None and r.unit not in PUBLIC:
            k.add(("den", r.indicator, row, col), r.denominator, s.denominator, threshold=t)
            if r.unit == "%" and r.numerator is not None:
                comp_shown = None if s.numerator is None or s.denominator is None else s.denominator - s.numerator
                k.add(("comp", r.indicator, row, col), r.denominator - r.numerator, comp_shown, threshold=t)
                k.relations.append([(("num", r.indicator, row, col), 1.0), (("comp", r.indicator, row, col), 1.0),
                                    (("den", r.indicator, row, col), -1.0)])


def _weeks_after(k: Knowledge, ds, settings, periods, ids, t, dimensions) -> None:
    """When the data run on past the reporting quarter: this financial year = this year so far (to the quarter's
    end) + the weeks after, a count of children of its own, never shown (a target where it is 1 to the
    threshold). So far and after are worked out by the calculator over those dates, not from the protection."""
    from yj_metrics.periods import Period

    if not periods.quarters:
        return
    last = periods.quarters[-1]
    year = financial_year(fy_start_year(last.end))
    if year.end == last.end:
        return
    parts = {"so_far": Period(year.start, last.end), "after": Period(last.end + dt.timedelta(days=1), year.end)}
    for by in (None,) + tuple(dimensions):
        computed = {name: indicators.compute(ds, p, ids, by, settings) for name, p in parts.items()}
        for so_far, after in zip(*computed.values()):
            if so_far.indicator in NOT_PERSONAL or so_far.indicator in NOT_FOR_PARTNERS or \
                    (by is not None and so_far.by != by) or so_far.indicator in STOCK_INDICATORS:
                continue  # (a count at a date: its differences are no count)
            assert (so_far.indicator, so_far.by, so_far.group) == (after.indicator, after.by, after.group)
            row = (so_far.by, so_far.group)
            for fam in ("num", "den", "comp"):
                values = [_family_value(r, fam) for r in (so_far, after)]
                whole = (fam, so_far.indicator, row, _col(year.start, year.end))
                if None in values or whole not in k.truth or abs(sum(values) - k.truth[whole]) > 1e-6:
                    continue  # not a count that adds up over time
                cells = [(fam, so_far.indicator, row, _col(year.start, last.end)),
                         (fam, so_far.indicator, row, ("after",) + _col(year.start, year.end))]
                for cell, v in zip(cells, values):
                    k.add(cell, v, None, threshold=t)
                k.relations.append([(whole, 1.0), (cells[0], -1.0), (cells[1], -1.0)])


def _last_12_months(periods):
    """The 12 months to the reporting quarter's end, worked out here from the dates (None when they are a
    financial year: the year itself)."""
    if not periods.quarters:
        return None
    end = periods.quarters[-1].end  # a quarter's end: the same day a year before exists
    start = dt.date(end.year - 1, end.month, end.day) + dt.timedelta(days=1)
    if start.month == 4 and start.day == 1:
        return None
    from yj_metrics.periods import Period

    return Period(start, end)


def _last_year_split(k: Knowledge, ds, settings, periods, ids, t, dimensions, within: str | None = None) -> None:
    """The last 12 months = last year's end (from their start) + this year so far; last year = its start + its
    end. A reader who has the last 12 months, this year so far and last year by a group has both parts by that
    group: counts of children of their own, never shown (a target where 1 to the threshold), worked out by the
    calculator over those dates, related only where the sums hold. ``within``: ``ds`` is that locality's
    children, read by ``dimensions`` only (the drill-down's rows)."""
    from yj_metrics.periods import Period

    last_12 = _last_12_months(periods)
    if last_12 is None:
        return
    this_year = financial_year(fy_start_year(last_12.end))
    last_year = financial_year(fy_start_year(last_12.end) - 1)
    so_far = Period(this_year.start, last_12.end)
    end_part = Period(last_12.start, last_year.end)
    start_part = Period(last_year.start, last_12.start - dt.timedelta(days=1))
    for by in ((None,) if within is None else ()) + tuple(dimensions):
        computed = [indicators.compute(ds, p, ids, by, settings) for p in (end_part, start_part)]
        for end_r, start_r in zip(*computed):
            if end_r.indicator in NOT_PERSONAL or end_r.indicator in NOT_FOR_PARTNERS or \
                    (by is not None and end_r.by != by) or end_r.indicator in STOCK_INDICATORS:
                continue
            assert (end_r.indicator, end_r.by, end_r.group) == (start_r.indicator, start_r.by, start_r.group)
            row = (end_r.by if within is None else f"{by}@{within}", end_r.group)
            for fam in ("num", "den", "comp"):
                e, b = _family_value(end_r, fam), _family_value(start_r, fam)
                if e is None or b is None:
                    continue
                cell = lambda p: (fam, end_r.indicator, row, _col(p.start, p.end))  # noqa: E731
                # (the same cell as a quarter's where a part is one: the same count)
                sums = [(cell(last_12), [cell(end_part), cell(so_far)]), (cell(last_year), [cell(start_part), cell(end_part)])]
                if not any(whole in k.truth for whole, _ in sums):
                    continue
                k.add(cell(end_part), e, None, threshold=t)
                k.add(cell(start_part), b, None, threshold=t)
                for whole, pair in sums:
                    if whole in k.truth and all(c in k.truth for c in pair) and \
                            abs(sum(k.truth[c] for c in pair) - k.truth[whole]) < 1e-6:
                        k.relations.append([(whole, 1.0)] + [(c, -1.0) for c in pair])


def _family_value(r, fam: str):
    if fam == "num":
        return r.numerator
    if r.denominator is None or r.unit in PUBLIC:
        return None
    if fam == "den":
        return r.denominator
    return None if r.unit != "%" or r.numerator is None else r.denominator - r.numerator


def _read_marker(k: Knowledge, r, s, row, col) -> None:
    """What a hidden result's marker tells the reader (docs/DISCLOSURE.md): 'hidden' = every count it rests on
    is 0 or more than the threshold; '<5' on a plain count = that count is 1 to the threshold (on a proportion
    it says only that one of its counts is, so no bound is read from it)."""
    if s.numerator is not None or not (s.note or "").startswith("protected"):
        return
    from yj_metrics.disclosure import OUTSIDE_MARKER, SECONDARY_MARKER, UNSIZED_MARKER, marker_of_note

    cells = [("num", r.indicator, row, col)]
    if r.denominator is not None and r.unit not in PUBLIC:
        cells.append(("den", r.indicator, row, col))
        if r.unit == "%":
            cells.append(("comp", r.indicator, row, col))
    mk = marker_of_note(s.note)
    if mk == UNSIZED_MARKER:
        k.withheld.update(cells)
    if mk in (OUTSIDE_MARKER, UNSIZED_MARKER):  # not in the partners' view, or size not given: says nothing
        return
    if mk == SECONDARY_MARKER:
        k.not_small.update(cells)
    elif mk is not None and len(cells) == 1:
        k.small.add(cells[0])


def _read_row_marker(k: Knowledge, cells: list, shown) -> None:
    """A local table's row marker: 'hidden' says every count of the row is 0 or more than the threshold; '<5'
    says only that one of them is 1 to the threshold (no bound is read from it), 'withheld' nothing."""
    from yj_metrics.disclosure import SECONDARY_MARKER, UNSIZED_MARKER

    if shown == SECONDARY_MARKER:
        k.not_small.update(c for c in cells if c in k.hidden)
    elif shown == UNSIZED_MARKER:
        k.withheld.update(c for c in cells if c in k.hidden)


def _num(v):
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(f) else f


def _dp_knowledge(k: Knowledge, true, shown, fy, t, locality=None):
    col = _col(fy.start, fy.end)
    totals = defaultdict(float)
    for r in true:
        totals[r.stage] += r.events or 0.0
    by_of = (lambda by: by) if locality is None else (lambda by: f"{by}@{locality}")
    whole = (None, None) if locality is None else ("locality", locality)
    from yj_metrics.disclosure import SECONDARY_REASON, UNSIZED_REASON

    for r, s in zip(true, shown):
        ev = ("stage", r.stage, (by_of(r.by), r.group), col)
        k.add(ev, r.events, s.events, threshold=t)
        # a row marked 'hidden' rests on no small count: its events and a stage base are each 0 or more than the
        # threshold ('<5' says only that one of them, or their difference, is small: no bound; the difference
        # may be below 0, so it gets none either)
        secondary = s.suppressed and SECONDARY_REASON in (s.note or "")
        if secondary and s.events is None:
            k.not_small.add(ev)
        if s.suppressed and UNSIZED_REASON in (s.note or ""):
            k.withheld.add(ev)
        k.add(("stage", r.stage, whole, col), totals[r.stage], None, threshold=t)
        if r.base_stage != "population":
            base = ("stage", r.base_stage, (by_of(r.by), r.group), col)
            k.add(base, r.base, s.base, threshold=t)
            if secondary and s.base is None:
                k.not_small.add(base)
        else:  # the population is public
            base = ("population", r.stage, (by_of(r.by), r.group), col)
            k.add(base, r.base, r.base, target=False, threshold=t)
        # the complement of every base choice: children of the base who did not reach this stage
        if r.base is not None and r.events is not None:
            comp = ("complement", f"{r.stage}<{r.base_stage}", (by_of(r.by), r.group), col)
            comp_shown = None if s.base is None or s.events is None else s.base - s.events
            k.add(comp, r.base - r.events, comp_shown, threshold=t)
            k.relations.append([(comp, 1.0), (ev, 1.0), (base, -1.0)])
            k.signed.add(comp)  # a population is an estimate, and a stage need not sit inside the one before
        if s.share_of_events is not None and (ev in k.hidden or ("stage", r.stage, whole, col) in k.hidden):
            k.relations.append([(ev, 1.0), (("stage", r.stage, whole, col), -s.share_of_events / 100)])
        if s.rate is not None and s.base is not None and s.events is None:  # rate x base gives the events
            k.add(ev, r.events, s.rate * s.base / (10_000 if r.base_stage == "population" else 100), threshold=t)


def _relations(k: Knowledge):
    """Group sums, period sums and identical counts, each used only where true of the data."""
    by_fam_col = defaultdict(dict)
    by_fam_row = defaultdict(dict)
    for cell in k.truth:
        fam, ind, row, col = cell
        by_fam_col[(fam, ind, col)][row] = cell
        by_fam_row[(fam, ind, row)][col] = cell
    den_wholes = defaultdict(list)
    for cell, v in k.truth.items():
        if cell[0] == "den" and cell[2] == (None, None):
            den_wholes[(cell[3], v)].append(cell)
    for (fam, ind, col), rows in by_fam_col.items():
        whole = rows.get((None, None))
        if whole is None:  # a measure by categories adds up to its parent's denominator
            dims = defaultdict(list)
            for row, cell in rows.items():
                dims[row[0]].append(cell)
            for cells in dims.values():
                total = sum(k.truth[c] for c in cells)
                parents = [c for c in den_wholes.get((col, total), []) if c[1].split("_")[0] == ind.split("_")[0]]
                if parents:
                    k.relations.append([(parents[0], 1.0)] + [(c, -1.0) for c in cells])
            continue
        dims = defaultdict(list)
        for row, cell in rows.items():
            if row != (None, None):
                dims[row[0]].append(cell)
        for cells in dims.values():
            if abs(sum(k.truth[c] for c in cells) - k.truth[whole]) < 1e-6:
                k.relations.append([(whole, 1.0)] + [(c, -1.0) for c in cells])
    # within a locality: a dimension's groups add up to the locality, a group's localities to the group
    for (fam, ind, col), rows in by_fam_col.items():
        local = defaultdict(list)
        across = defaultdict(list)
        for row, cell in rows.items():
            if row[0] is not None and "@" in str(row[0]):
                dim, loc = row[0].split("@", 1)
                local[(dim, loc)].append(cell)
                across[(dim, row[1])].append(cell)
        for (dim, loc), cells in local.items():
            parent = rows.get(("locality", loc))
            if parent is not None and abs(sum(k.truth[c] for c in cells) - k.truth[parent]) < 1e-6:
                k.relations.append([(parent, 1.0)] + [(c, -1.0) for c in cells])
        for (dim, g), cells in across.items():
            parent = rows.get((dim, g))
            if parent is not None and abs(sum(k.truth[c] for c in cells) - k.truth[parent]) < 1e-6:
                k.relations.append([(parent, 1.0)] + [(c, -1.0) for c in cells])
    for (fam, ind, row), cols in by_fam_row.items():
        quarters = {c: cell for c, cell in cols.items() if len(c) == 2 and _is_quarter(c)}
        for c, cell in cols.items():
            if c in quarters or len(c) != 2:
                continue
            parts = sorted(q for q in quarters if c[0] <= q[0] and q[1] <= c[1])
            tiled = bool(parts) and parts[0][0] == c[0] and parts[-1][1] == c[1] and all(
                (b[0] - a[1]).days == 1 for a, b in zip(parts, parts[1:]))
            if tiled and abs(sum(k.truth[quarters[q]] for q in parts) - k.truth[cell]) < 1e-6:
                k.relations.append([(cell, 1.0)] + [(quarters[q], -1.0) for q in parts])
    # the same count under two names (same counting rule): one unknown
    sig = defaultdict(list)
    groups = defaultdict(dict)
    for cell in k.truth:
        fam, ind, row, col = cell
        groups[(fam, ind)][(row, col)] = k.truth[cell]
    for key, cells in groups.items():
        sig[tuple(sorted(cells.items(), key=repr))].append(key)
    for same in sig.values():
        for a, b in zip(same, same[1:]):
            for (row, col) in groups[a]:
                k.relations.append([((a[0], a[1], row, col), 1.0), ((b[0], b[1], row, col), -1.0)])
    # a first-time-entrants stage is the FTE count; a shared denominator is one count
    for cell in list(k.truth):
        fam, ind, row, col = cell
        if fam == "stage" and ind == "fte":
            other = ("num", "fte_count", row, col)
            if other in k.truth and abs(k.truth[other] - k.truth[cell]) < 1e-9:
                k.relations.append([(cell, 1.0), (other, -1.0)])


def _is_quarter(c) -> bool:
    from yj_metrics.periods import quarter_of

    q = quarter_of(c[0])
    return q.start == c[0] and q.end == c[1]


def _pinned(k: Knowledge, recovered: dict, cell, value: float) -> None:
    """A programme left ``cell`` one value: a recovery when it is the truth; else the attacker's model is wrong
    somewhere (a bound or relation the reader cannot have), kept in ``k.faults`` for the tests to see."""
    if abs(value - k.truth[cell]) < 1e-6:
        recovered[cell] = value
    else:
        k.faults[cell] = value


_LAST_NULL_SPACE: list = []  # [(key, basis)]: the last linked set's, for the next attack on the same knowledge


def _null_space(sub: np.ndarray) -> np.ndarray:
    """``null_space(sub)``, kept for the last matrix asked: a test attacks the same knowledge several times
    (by the sums, with the markers, ...), and one SVD of a large linked set takes minutes."""
    import hashlib

    key = (sub.shape, hashlib.sha256(np.ascontiguousarray(sub).tobytes()).hexdigest())
    if _LAST_NULL_SPACE and _LAST_NULL_SPACE[0][0] == key:
        return _LAST_NULL_SPACE[0][1]
    basis = null_space(sub)
    if sub.size > 1_000_000:  # (only a large one is worth keeping)
        _LAST_NULL_SPACE[:] = [(key, basis)]
    return basis


def attack(k: Knowledge, lp_limit: int = 400, markers: bool = False, threshold: int = 4) -> dict:
    """{cell: value} of every target the attacker pins down exactly. ``markers``: the bounds read from the
    markers too ('<5' on a count: 1 to the threshold), in the linear programmes."""
    unknown = sorted(k.hidden, key=repr)
    index = {c: n for n, c in enumerate(unknown)}
    rows, rhs = [], []
    for rel in k.relations:
        coef = np.zeros(len(unknown))
        const = 0.0
        for cell, a in rel:
            if cell in index:
                coef[index[cell]] += a
            elif cell in k.known:
                const += a * k.known[cell]
            else:
                coef = None
                break
        if coef is None or not coef.any():
            continue
        rows.append(coef)
        rhs.append(-const)
    recovered = {}
    if not rows:
        return recovered
    a, b = np.vstack(rows), np.array(rhs)
    # components of the relation graph keep each solve small
    parent = list(range(len(unknown)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in a:
        nz = np.flatnonzero(r)
        for x in nz[1:]:
            parent[find(x)] = find(nz[0])
    comps = defaultdict(list)
    for n in range(len(unknown)):
        comps[find(n)].append(n)
    eq_of = defaultdict(list)  # the relations of each component
    for i, r in enumerate(a):
        eq_of[find(int(np.flatnonzero(r)[0]))].append(i)
    from scipy.sparse import csr_matrix
    budget = lp_limit
    for members in comps.values():
        targets = [n for n in members if unknown[n] in k.targets]
        if not targets:
            continue
        eq = eq_of[find(members[0])]
        sub, sb = a[np.ix_(eq, members)], b[eq]
        basis = _null_space(sub)
        sparse = csr_matrix(sub)
        pos = {n: i for i, n in enumerate(members)}
        for n in targets:
            i = pos[n]
            if basis.size == 0 or np.all(np.abs(basis[i]) < 1e-7):
                sol = np.linalg.lstsq(sub, sb, rcond=None)[0]
                if abs(sol[i] - k.truth[unknown[n]]) < 1e-6:
                    recovered[unknown[n]] = float(sol[i])
                continue
            if budget <= 0:
                continue
            budget -= 1
            c = np.zeros(len(members))
            c[i] = 1.0
            bounds = [(1, threshold) if markers and unknown[m] in k.small else
                      (None, None) if unknown[m] in k.signed else (0, None) for m in members]
            lo = linprog(c, A_eq=sparse, b_eq=sb, bounds=bounds, method="highs")
            hi = linprog(-c, A_eq=sparse, b_eq=sb, bounds=bounds, method="highs")
            if lo.status == 0 and hi.status == 0 and math.floor(-hi.fun + 1e-6) == math.ceil(lo.fun - 1e-6):
                _pinned(k, recovered, unknown[n], float(round(lo.fun)))
    return recovered


def attack_with_markers(k: Knowledge, limit: int = 100, threshold: int = 4, time_limit: float = 10.0) -> dict:
    """The attacker who reads the markers exactly: whole numbers, '<5' on a count = 1 to the threshold, and
    'hidden' = 0 or more than the threshold (a mixed-integer programme per target, HiGHS through
    ``scipy.optimize.milp``; ``limit`` targets, those in the smallest linked sets first).
    {cell: value} of every target left with one possible value."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    unknown = sorted(k.hidden, key=repr)
    index = {c: n for n, c in enumerate(unknown)}
    rows, rhs = [], []
    for rel in k.relations:
        coef = np.zeros(len(unknown))
        const = 0.0
        for cell, a in rel:
            if cell in index:
                coef[index[cell]] += a
            elif cell in k.known:
                const += a * k.known[cell]
            else:
                coef = None
                break
        if coef is None or not coef.any():
            continue
        rows.append(coef)
        rhs.append(-const)
    if not rows:
        return {}
    a, b = np.vstack(rows), np.array(rhs)
    parent = list(range(len(unknown)))

    def find(x):
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for r in a:
        nz = np.flatnonzero(r)
        for x in nz[1:]:
            parent[find(x)] = find(nz[0])
    comps = defaultdict(list)
    for n in range(len(unknown)):
        comps[find(n)].append(n)
    eq_of = defaultdict(list)
    for i, r in enumerate(a):
        eq_of[find(int(np.flatnonzero(r)[0]))].append(i)
    recovered, budget = {}, limit
    for members in sorted(comps.values(), key=len):
        targets = [n for n in members if unknown[n] in k.targets]
        if not targets or budget <= 0:
            continue
        eq = eq_of[find(members[0])]
        sub, sb = a[np.ix_(eq, members)], b[eq]
        m = len(members)
        ns = [j for j, n in enumerate(members) if unknown[n] in k.not_small]
        nv = m + len(ns)  # one 0/1 variable per 'hidden' cell: zero, or more than the threshold
        big = float(np.abs(sb).sum() + 1e4)
        con = np.zeros((len(eq) + 2 * len(ns), nv))
        lo_b, hi_b = np.zeros(con.shape[0]), np.zeros(con.shape[0])
        con[:len(eq), :m], lo_b[:len(eq)], hi_b[:len(eq)] = sub, sb, sb
        for q, j in enumerate(ns):
            r1 = len(eq) + 2 * q
            con[r1, j], con[r1, m + q], lo_b[r1], hi_b[r1] = 1, -(threshold + 1), 0, np.inf
            con[r1 + 1, j], con[r1 + 1, m + q], lo_b[r1 + 1], hi_b[r1 + 1] = 1, -big, -np.inf, 0
        lb, ub = np.zeros(nv), np.full(nv, np.inf)
        ub[m:] = 1
        for j, n in enumerate(members):
            if unknown[n] in k.small:
                lb[j], ub[j] = 1, threshold
            elif unknown[n] in k.signed:
                lb[j] = -np.inf
        cons = LinearConstraint(con, lo_b, hi_b)
        for n in targets:
            if budget <= 0:
                break
            budget -= 1
            c = np.zeros(nv)
            c[members.index(n)] = 1.0
            opts = {"time_limit": time_limit}
            lo = milp(c, constraints=cons, bounds=Bounds(lb, ub), integrality=np.ones(nv), options=opts)
            hi = milp(-c, constraints=cons, bounds=Bounds(lb, ub), integrality=np.ones(nv), options=opts)
            if lo.status == 0 and hi.status == 0 and round(lo.fun) == round(-hi.fun):
                _pinned(k, recovered, unknown[n], float(round(lo.fun)))
    return recovered
