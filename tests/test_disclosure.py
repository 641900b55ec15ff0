"""Disclosure control for partners (yj_metrics.disclosure).

The protection is checked without trusting its own reasoning: small tables by brute force
(every filling of the hidden cells with counts >= 0 that matches what is shown), and whole
services by the determined partner of ``tests/attacker.py``, which works from the figures a
partner receives, never from the protection's masks.
"""
from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.builders import Service
from yj_metrics import disproportionality as dp
from yj_metrics import indicators
from yj_metrics.demo import demo_dataset as make_demo
from yj_metrics.disclosure import (Grid, PartnerProtection, determined_cells, marker, partner_periods, protect_grid,
                                   time_relations)
from yj_metrics.periods import financial_year, quarter
from yj_metrics.settings import Settings

sys.path.insert(0, str(Path(__file__).parent))
from attacker import attack, gather  # noqa: E402


# --------------------------------------------------------------------------- the grid engine

def _table_grid(values: np.ndarray) -> Grid:
    """A table with its row totals (last column) and column totals (last row) shown."""
    r, c = values.shape
    full = np.zeros((r + 1, c + 1))
    full[:r, :c] = values
    full[:r, c] = values.sum(axis=1)
    full[r, :c] = values.sum(axis=0)
    full[r, c] = values.sum()
    rows, cols = list(range(r + 1)), list(range(c + 1))
    return Grid(rows, cols, {"n": full}, [(r, list(range(r)))], [(c, list(range(c)))], avoid_rows=(r,))


def _brute_force_recoverable(grid: Grid, mask: np.ndarray, markers: bool = False,
                             threshold: int = 4) -> list[tuple[int, int]]:
    """Exact integer reasoning over every filling of the hidden cells with whole counts >= 0 that
    keeps every relation: for each hidden non-zero cell, its smallest and largest possible value
    (two integer programmes, HiGHS). Equal means the reader recovers it. ``markers``: the reader also
    reads each hidden cell's marker: ``<5`` = 1 to the threshold, ``hidden`` = 0 or more than it, ``withheld``
    (the cells in ``grid.unsized``) = 0 or more."""
    from scipy.optimize import Bounds, LinearConstraint, milp

    v = grid.values["n"]
    cells = [tuple(c) for c in np.argwhere(mask)]
    pos = {c: n for n, c in enumerate(cells)}
    withheld = {c for c in cells if markers and grid.unsized.get("n") is not None and grid.unsized["n"][c]}
    big = [c for c in cells if not (1 <= v[c] <= threshold) and c not in withheld] if markers == "both" else []
    nv = len(cells) + len(big)  # one 0/1 variable per 'hidden' cell: 0, or more than the threshold
    rows, lo_b, hi_b = [], [], []
    for line in grid.lines("n"):
        coef, const = np.zeros(nv), 0.0
        for i, j, a in line:
            if (i, j) in pos:
                coef[pos[(i, j)]] += a
            else:
                const += a * v[i, j]
        if coef.any():
            rows.append(coef)
            lo_b.append(-const)
            hi_b.append(-const)
    out = []
    if not rows:
        return out
    for q, c in enumerate(big):
        above, below = np.zeros(nv), np.zeros(nv)
        above[pos[c]], above[len(cells) + q] = 1, -(threshold + 1)  # x >= (t+1) z
        below[pos[c]], below[len(cells) + q] = 1, -10_000  # x <= 10000 z
        rows += [above, below]
        lo_b += [0, -np.inf]
        hi_b += [np.inf, 0]
    lb, ub = np.zeros(nv), np.full(nv, np.inf)
    ub[len(cells):] = 1
    if markers:
        for c in cells:
            if 1 <= v[c] <= threshold and c not in withheld:
                lb[pos[c]], ub[pos[c]] = 1, threshold
    cons = LinearConstraint(np.vstack(rows), lo_b, hi_b)
    integ = np.ones(nv)
    for n, c in enumerate(cells):
        e = np.zeros(nv)
        e[n] = 1.0
        lo = milp(e, constraints=cons, integrality=integ, bounds=Bounds(lb, ub))
        hi = milp(-e, constraints=cons, integrality=integ, bounds=Bounds(lb, ub))
        if lo.status == 0 and hi.status == 0 and round(lo.fun) == round(-hi.fun) and v[c] != 0 \
                and (not markers or v[c] <= threshold):  # read with markers: the small counts are the targets
            out.append(c)
    return out


@pytest.mark.parametrize("seed", range(200))
def test_small_tables_by_exact_integer_search(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(2, 5, size=2))
    values = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8, 15], size=shape).astype(float)
    grid = _table_grid(values)
    mask = protect_grid(grid, 4)
    v = grid.values["n"]
    assert mask[(v >= 1) & (v <= 4)].all()  # every small count, margins included, is hidden
    assert _brute_force_recoverable(grid, mask) == [], (values, mask)


@pytest.mark.parametrize("seed", range(120))
def test_small_tables_read_with_their_markers_by_exact_integer_search(seed):
    """The honest markers carry information ('<5' is 1 to 4, 'hidden' is 0 or 5 and more): a reader who uses
    it, in whole numbers, still recovers no hidden count."""
    rng = np.random.default_rng(1000 + seed)
    shape = tuple(rng.integers(2, 5, size=2))
    values = rng.choice([0, 0, 1, 1, 2, 3, 4, 5, 6, 8, 15], size=shape).astype(float)
    grid = _table_grid(values)
    mask = protect_grid(grid, 4)
    assert _brute_force_recoverable(grid, mask, markers="both") == [], (values, mask)


def test_two_small_groups_whose_hidden_total_is_two_are_not_left_alone():
    """Gender: 71 = 56 boys + 13 girls + 1 'Other' + 1 'Not known'. Hiding the two 1s alone leaves them
    undetermined by sums (any split of 2), but read with their '<5' markers both must be 1: one more cell goes,
    and the reader recovers nothing, markers read or not."""
    from yj_metrics.disclosure import bound_pinned

    grid = Grid([0, 1, 2, 3, 4], [0], {"n": np.array([[71.0], [56.0], [13.0], [1.0], [1.0]])},
                row_sums=[(0, [1, 2, 3, 4])], avoid_rows=(0,))
    naive = np.array([[False], [False], [False], [True], [True]])
    assert _brute_force_recoverable(grid, naive) == []  # sums alone: 0+2, 1+1 or 2+0
    assert sorted(_brute_force_recoverable(grid, naive, markers=True)) == [(3, 0), (4, 0)]
    assert {c for _, c, _ in bound_pinned(grid, naive, 4)} == {(3, 0), (4, 0)}
    mask = protect_grid(grid, 4)
    assert mask[3, 0] and mask[4, 0] and mask[2, 0] and not mask[0, 0]  # girls (13) go, not the total
    assert _brute_force_recoverable(grid, mask, markers="both") == []


def _quarters_and_year(quarters: list[float]) -> Grid:
    """One row: four quarters and their year (the year is the sum of its quarters)."""
    v = np.array([quarters + [sum(quarters)]], dtype=float)
    return Grid([0], ["q1", "q2", "q3", "q4", "year"], {"n": v}, [], [(4, [0, 1, 2, 3])])


def test_a_year_of_small_quarters_gets_a_marker_that_says_nothing_of_its_size():
    """Four quarters of 1 and their year of 4, all '<5': the year is at most 4 and at least 1 + 1 + 1 + 1, so
    the markers alone give every count away, and every cell is hidden already. One of them (the year, the
    largest) gets the size-neutral marker, and then a reader of the markers, in whole numbers, recovers
    nothing. Without that marker the same reader recovers all five."""
    from yj_metrics.disclosure import UNSIZED, _reader_bounds

    grid = _quarters_and_year([1.0, 1.0, 1.0, 1.0])
    mask = protect_grid(grid, 4)
    assert mask.all()
    assert grid.unsized["n"].sum() == 1 and grid.unsized["n"][0, 4]
    assert grid.state(mask, (0, 4)) == UNSIZED and grid.state(mask, (0, 0)) is True
    assert _reader_bounds(4.0, 4, unsized=True) == (0.0, np.inf)
    assert _brute_force_recoverable(grid, mask, markers="both") == []
    every_marker_small = Grid(grid.rows, grid.cols, grid.values, grid.row_sums, grid.col_sums)
    assert len(_brute_force_recoverable(every_marker_small, mask, markers="both")) == 5


@pytest.mark.parametrize("quarters", [[1, 1, 1, 1], [1, 2, 1, 0], [2, 0, 0, 2], [1, 1, 1, 0], [4, 0, 0, 0]])
def test_small_years_of_small_quarters_keep_nothing_the_markers_pin(quarters):
    """Small years whose quarters are small or zero, read with every marker in whole numbers: nothing is
    recovered (a zero quarter is shown; a year of 4 in one quarter is 4 = 4 + 0 + 0 + 0)."""
    grid = _quarters_and_year([float(q) for q in quarters])
    mask = protect_grid(grid, 4)
    assert _brute_force_recoverable(grid, mask, markers="both") == [], (quarters, mask, grid.unsized)


def test_kept_masks_keep_the_size_neutral_marker():
    from yj_metrics.disclosure import UNSIZED, _decode_mask, _encode_mask

    mask = {("kpi1_accommodation", "accommodation", "Residential unit", 1, 2): UNSIZED, ("a", None, None): True,
            ("b", None, None): False}
    assert _decode_mask(_encode_mask(mask)) == mask
    with pytest.raises(ValueError):
        _decode_mask([[["k"], "small"]])


def test_brute_force_checker_can_fail():
    # a lone hidden cell in a row whose total is shown is recoverable: the checker must say so
    grid = _table_grid(np.array([[3.0, 9.0], [7.0, 8.0]]))
    naive = np.zeros(grid.shape, dtype=bool)
    naive[0, 0] = True
    assert _brute_force_recoverable(grid, naive) == [(0, 0)]
    assert determined_cells(grid, naive)[0, 0]


def test_complement_is_primary_and_zero_hidden_cells_count_as_known():
    # 85 of 89: the 4 not suitable can be worked out, so the proportion is protected
    grid = Grid([None], [0], {"num": np.array([[85.0]]), "comp": np.array([[4.0]])})
    assert protect_grid(grid, 4).all()
    # hidden 3 next to a hidden 0 on one line: with the zero known, the 3 is exposed
    g = Grid([0, 1, 2], [0], {"n": np.array([[3.0], [0.0], [3.0]])}, [(2, [0, 1])], [], avoid_rows=(2,))
    assert determined_cells(g, np.array([[True], [True], [False]]))[0, 0]


def test_periods_add_up_and_secondary_protection_covers_them():
    qs = [quarter(2023, n) for n in (1, 2, 3, 4)]
    cols = [(q.start, q.end) for q in qs] + [(financial_year(2023).start, financial_year(2023).end)]
    rel = time_relations(cols)
    assert rel == [(4, [3, 2, 1, 0])]
    # a year minus its visible quarters gives the hidden quarter, unless another quarter goes too
    vals = np.array([[10.0, 3.0, 12.0, 9.0, 34.0]])
    grid = Grid([None], cols, {"n": vals}, [], rel)
    mask = protect_grid(grid, 4)
    assert mask[0, 1] and mask.sum() >= 2 and not determined_cells(grid, mask).any()


def test_partner_periods_are_quarters_years_and_rolling_years():
    p = partner_periods((financial_year(2022).start, financial_year(2023).end))
    assert len(p.quarters) == 8 and len(p.years) == 2 and len(p.rolling) == 8
    assert p.years[0] == financial_year(2022)


def test_this_year_runs_to_the_reporting_quarter_only():
    """A workbook exported mid-quarter (15 Nov 2023: the reporting quarter is 2023-24 Q2): partners' 2023-24 is
    the year so far, to 30 Sep 2023, so that no figure they see runs on into the weeks after it."""
    import datetime as dt

    p = partner_periods((dt.date(2021, 5, 3), dt.date(2023, 11, 15)))
    assert p.quarters[-1] == quarter(2023, 2)
    so_far = p.years[-1]
    assert (so_far.start, so_far.end, so_far.kind) == (dt.date(2023, 4, 1), dt.date(2023, 9, 30), "financial_year")
    assert so_far.label == "2023-24 to 30 Sep 2023"
    assert p.years[:-1] == (financial_year(2021), financial_year(2022))  # whole years before it
    assert max(x.end for x in p.all) == dt.date(2023, 9, 30)
    # what the pages ask for is read that way: the year, a quarter's year, the year read again
    assert p.clip(financial_year(2023)) == so_far == p.breakdown_for(quarter(2023, 1)) == p.clip(so_far)
    assert p.clip(financial_year(2022)) == financial_year(2022) == p.breakdown_for(quarter(2022, 4))
    assert p.clip(quarter(2023, 2)) == quarter(2023, 2)
    # time relations see the year so far as the sum of its two quarters
    cols = [(q.start, q.end) for q in (quarter(2023, 1), quarter(2023, 2))] + [(so_far.start, so_far.end)]
    assert time_relations(cols) == [(2, [1, 0])]
    # data ending with the year: nothing is cut
    whole = partner_periods((dt.date(2021, 5, 3), dt.date(2024, 3, 31)))
    assert whole.years[-1] == financial_year(2023) == whole.clip(financial_year(2023))


def test_the_last_12_months_and_the_parts_of_last_year_they_split():
    """Reporting quarter 2023-24 Q2: partners' last 12 months are 1 Oct 2022 to 30 Sep 2023, which split
    2022-23 into its end (1 Oct 2022 to 31 Mar 2023, inside them) and its start (April to September 2022),
    never shown. The grid's relations: the 12 months = that end + 2023-24 so far; 2022-23 = its start + its end.
    When the reporting quarter ends a year, the last 12 months are that year, and nothing is split."""
    import datetime as dt

    p = partner_periods((dt.date(2021, 5, 3), dt.date(2023, 11, 15)))
    last_12 = p.last_12_months
    assert (last_12.start, last_12.end) == (dt.date(2022, 10, 1), dt.date(2023, 9, 30))
    end_part, start_part = p.unshown
    assert (end_part.start, end_part.end) == (dt.date(2022, 10, 1), dt.date(2023, 3, 31))
    assert (start_part.start, start_part.end) == (dt.date(2022, 4, 1), dt.date(2022, 9, 30))
    assert p.breakdown_for(last_12) == last_12 and p.breakdown_for(quarter(2023, 2)) == p.years[-1]
    so_far, last_year = p.years[-1], financial_year(2022)
    cols = [(c.start, c.end) for c in (last_12, end_part, so_far, last_year, start_part)]
    relations = {(n, tuple(sorted(parts))) for n, parts in time_relations(cols)}
    assert relations == {(0, (1, 2)), (3, (1, 4))}
    assert partner_periods((dt.date(2021, 5, 3), dt.date(2024, 3, 31))).last_12_months is None
    assert partner_periods((dt.date(2021, 5, 3), dt.date(2024, 3, 31))).unshown == ()


# --------------------------------------------------------------------------- whole services

@pytest.fixture(scope="module")
def demo600():
    return make_demo(seed=7, children=600)


@pytest.fixture(scope="module")
def demo_knowledge(demo600):
    """Everything but the indicators within each locality, which more than double the targets (13,244 with
    them, every year; the attack on every target took 15 minutes): they have an attack of their own."""
    return gather(demo600, Settings(), localities=False)


#: whole-number programmes on the drill-down's targets, smallest linked sets first (1,000 took 8 s)
LOCAL_MILP_TARGETS = 2000


@pytest.fixture(scope="module")
def local_knowledge(demo600):
    """The locality drill-down on the indicators: the 600-child demo's last eight quarters, by locality, gender
    and ethnicity, for the whole service, each locality, and within each locality."""
    return gather(demo600, Settings(), max_quarters=8, dimensions=("locality", "gender", "ethnicity"))


def test_the_partner_who_looks_within_each_locality_recovers_nothing(local_knowledge):
    """A group's localities add up to the group, a locality's groups to the locality (the attacker relates them
    only where the sums hold): by the sums, with the markers as bounds and with whole numbers, no small count
    of the drill-down or of the views it meets comes out."""
    from attacker import attack_with_markers

    k = local_knowledge
    local = lambda cells: {c for c in cells if c[0] != "stage" and "@" in str(c[2][0])}  # noqa: E731
    assert len(local(k.known)) > 300 and len(local(k.targets)) > 300  # read, and small counts to go after
    recovered = attack(k, lp_limit=100_000)
    assert recovered == {}, f"recovered hidden counts: {list(recovered.items())[:10]}"
    recovered = attack(k, lp_limit=100_000, markers=True)
    assert recovered == {}, f"recovered with the markers as bounds: {list(recovered.items())[:10]}"
    recovered = attack_with_markers(k, limit=LOCAL_MILP_TARGETS)
    assert recovered == {}, f"recovered with whole numbers and the markers: {list(recovered.items())[:10]}"
    assert not k.faults, list(k.faults)[:5]


def test_the_determined_partner_recovers_nothing_from_the_demo(demo_knowledge):
    k = demo_knowledge
    assert len(k.targets) > 100 and len(k.known) > 1000  # a real attack surface
    recovered = attack(k, lp_limit=100_000)  # every target (5,826 on this demo)
    assert recovered == {}, f"recovered hidden counts: {list(recovered.items())[:10]}"
    assert not k.faults, f"the attacker's programmes left values that are not the truth: {list(k.faults)[:5]}"


def test_the_partner_who_reads_the_markers_recovers_nothing_from_the_demo(demo_knowledge):
    """The honest markers say something: '<5' on a count is 1 to 4, 'hidden' is 0 or 5 and more. Before the
    protection read them too, this attacker recovered 17 small counts of the 600-child demo (two '<5' groups
    whose hidden total is 2 are 1 and 1). Linear programmes with those bounds, then whole-number programmes
    with the exact either-or meaning of 'hidden'."""
    from attacker import attack_with_markers

    k = demo_knowledge
    assert len(k.small) > 100 and len(k.not_small) > 1000  # the markers were read
    recovered = attack(k, lp_limit=100_000, markers=True)  # every target
    assert recovered == {}, f"recovered with the markers as bounds: {list(recovered.items())[:10]}"
    # 3,000 targets, smallest linked sets first (about 40 s): at 2,000 this attacker found two quarters' counts
    # of children with 0 hours of ETE (a chain through the year and another quarter's hidden band) before the
    # audit of showing again read the bands' known total as shown; all 5,826 take about 12 minutes (0 found)
    recovered = attack_with_markers(k, limit=3000)
    assert recovered == {}, f"recovered with whole numbers and the markers: {list(recovered.items())[:10]}"
    assert not k.faults, f"the attacker's programmes left values that are not the truth: {list(k.faults)[:5]}"


@pytest.mark.parametrize("seed,children,threshold", [(11, 150, 4), (23, 220, 4), (5, 200, 9)])
def test_the_determined_partner_recovers_nothing_from_small_services(seed, children, threshold):
    ds = make_demo(seed=seed, children=children)
    s = Settings(suppression_threshold=threshold)
    k = gather(ds, s, max_quarters=8)
    assert k.targets
    recovered = attack(k, lp_limit=150)
    assert recovered == {}, f"recovered hidden counts: {list(recovered.items())[:10]}"
    assert not k.faults, list(k.faults)[:5]


@pytest.fixture(scope="module")
def mid_quarter_demo():
    """The 600-child demo exported on 15 Nov 2023, in the middle of 2023-24 Q3: the reporting quarter is Q2, so
    the last 12 months (1 Oct 2022 to 30 Sep 2023) are no financial year. One object, so that each protection
    of it (8 quarters, 5 quarters) is worked out once for the tests that read it."""
    import datetime as dt

    return make_demo(seed=7, children=600, end=dt.date(2023, 11, 15))


@pytest.fixture(scope="module")
def mid_quarter_knowledge(mid_quarter_demo):
    """The attack on the whole service of the mid-quarter export: the weeks after the reporting quarter are a
    whole-service matter."""
    return gather(mid_quarter_demo, Settings(), max_quarters=8, dimensions=())


@pytest.fixture(scope="module")
def local_last_12_knowledge(mid_quarter_demo):
    """The drill-down over the last 12 months: the mid-quarter export's last five quarters (2022-23 Q2 to
    2023-24 Q2: the 12 months, this year so far, last year and its parts), by locality and gender, and within
    each locality by gender, with the parts of last year the attacker works out within each locality."""
    return gather(mid_quarter_demo, Settings(), max_quarters=5, dimensions=("locality", "gender"))


@pytest.fixture(scope="module")
def last_12_knowledge():
    """The 600-child demo to 31 Dec 2023: the last 12 months (1 Jan to 31 Dec 2023) are no financial year, so
    partners break them down too. Five quarters and one dimension keep the linear algebra small."""
    import datetime as dt

    ds = make_demo(seed=7, children=600, end=dt.date(2023, 12, 31))
    return gather(ds, Settings(), max_quarters=5, dimensions=("ethnicity",), localities=False)


def _parts_of_last_year(last_12: dict, so_far: dict, last_year: dict, rates: bool = False) -> tuple[list, int]:
    """A partner's subtraction of shown figures ({(indicator, group): protected result} for each period): the last
    12 months less this year so far is the group's count in last year's end, and last year less that its count
    in last year's start. Returns ([(key, part, which end, difference)] of the differences from 1 to 4, how many
    subtractions were possible). ``rates``: a rate's denominator (a population) is subtracted too."""
    found, compared = [], 0
    for key, r in last_12.items():
        for part in ("numerator", "denominator"):
            a, b = getattr(r, part), getattr(so_far.get(key), part, None)
            if a is None or b is None or (not rates and part == "denominator" and r.unit.startswith("per ")):
                continue  # (a rate's denominator is a population: no count of children)
            compared += 1
            end_part = a - b
            c = getattr(last_year.get(key), part, None)
            for what, v in (("end", end_part), ("start", None if c is None else c - end_part)):
                if v is not None and 1 <= v <= 4:
                    found.append((key, part, what, v))
    return found, compared


def test_subtracting_this_year_so_far_from_the_last_12_months_gives_no_small_count():
    """The partner's own subtraction, group by group: the last 12 months less 2023-24 so far is the group's
    count in January to March 2023; 2022-23 less that is its count in April to December 2022. Before those
    parts were cells of the protection, this found 24 counts of 1 to 4 on this demo (Black children starting
    orders in suitable ETE, January to March 2023: 2)."""
    import datetime as dt

    from yj_metrics.indicators import INDICATORS, compute
    from yj_metrics.disclosure import NOT_FOR_PARTNERS, NOT_PERSONAL, STOCK_INDICATORS

    ds = make_demo(seed=7, children=600, end=dt.date(2023, 12, 31))
    prot = PartnerProtection(ds, max_quarters=5)
    last_12, so_far, last_year = prot.periods.last_12_months, prot.periods.years[-1], financial_year(2022)
    assert (so_far.start, so_far.end) == (dt.date(2023, 4, 1), dt.date(2023, 12, 31))
    ids = [i for i in INDICATORS if i not in NOT_FOR_PARTNERS and i not in NOT_PERSONAL and i not in STOCK_INDICATORS]
    found, compared = [], 0
    for by in ("ethnicity", "gender", "age_band"):
        shown = [{(r.indicator, r.group): r for r in prot.protect_results(compute(ds, p, ids, by)) if r.by == by}
                 for p in (last_12, so_far, last_year)]
        small, n = _parts_of_last_year(*shown, rates=True)
        found += [(by,) + x for x in small]
        compared += n
    assert compared > 100  # the groups partners read in both periods
    assert found == [], found[:10]


def test_the_last_12_months_by_group_give_no_count_of_last_year_away(last_12_knowledge):
    """By ethnicity, the last 12 months less 2023-24 so far is a group's count in January to March 2023, and
    2022-23 less that is its count in April to December 2022: partners are shown neither, and the attacker
    (who works both out from the dates and relates them where the sums hold) recovers no small count, by the
    sums, with the markers as bounds, or with whole numbers."""
    import datetime as dt

    from attacker import attack_with_markers

    k = last_12_knowledge
    last_12 = (dt.date(2023, 1, 1), dt.date(2023, 12, 31))
    parts = {(dt.date(2023, 1, 1), dt.date(2023, 3, 31)), (dt.date(2022, 4, 1), dt.date(2022, 12, 31))}
    shown_groups = [c for c in k.known if c[3] == last_12 and c[2][0] == "ethnicity"]
    assert len(shown_groups) > 20  # partners read the last 12 months by group
    in_parts = {c for c in k.targets if c[3] in parts and c[2][0] == "ethnicity"}
    assert len(in_parts) > 20  # small counts of a group in a part of last year, for the attacker to go after
    assert not in_parts & set(k.known)
    recovered = attack(k, lp_limit=300)
    assert recovered == {}, f"recovered hidden counts: {list(recovered.items())[:10]}"
    recovered = attack(k, lp_limit=300, markers=True)
    assert recovered == {}, f"recovered with the markers as bounds: {list(recovered.items())[:10]}"
    recovered = attack_with_markers(k, limit=500)
    assert recovered == {}, f"recovered with whole numbers and the markers: {list(recovered.items())[:10]}"
    assert not k.faults, list(k.faults)[:5]


@pytest.mark.parametrize("data, max_quarters", [("demo600", 40), ("mid_quarter_demo", 5)],
                         ids=["years", "years and the last 12 months"])
def test_the_drill_down_tells_nothing_new_of_a_hidden_group_or_locality(data, max_quarters, request):
    """The second pass's rules, read off the protection's answers: within each locality, a group whose figure
    is hidden (one dimension, the whole service) says only "withheld" (no marker that gives a size: two '<5'
    children would tell a reader the hidden group is 2 to 8); and in a year (or the last 12 months) whose
    whole-service or locality figure is hidden, the drill-down stands on nothing shown, so every figure of it
    says only "withheld" (no marker that gives a size). Each rule must have cases to hold on."""
    from yj_metrics.disclosure import UNSIZED

    prot = PartnerProtection(request.getfixturevalue(data), max_quarters=max_quarters)
    mask = prot._mask()
    if max_quarters == 5:  # the last 12 months are offered within a locality, and the rules hold there too
        last_12 = prot.periods.last_12_months
        assert last_12 is not None and last_12 in prot.periods.local_periods
        assert any(v is False for k, v in mask.items() if isinstance(k[1], str) and "@" in k[1]
                   and k[3:] == (last_12.start, last_12.end))
    local = {k: v for k, v in mask.items() if isinstance(k[1], str) and "@" in k[1]}
    assert local and any(v is False for v in local.values())  # something is shown within a locality
    children_of_hidden = withheld_years = 0
    for (ind, by, g, start, end), v in local.items():
        dim, loc = by.split("@", 1)
        if mask.get((ind, dim, g, start, end), True):
            children_of_hidden += 1  # without a size: a '<5' there would bound the hidden group
            assert v == UNSIZED, (ind, by, g, start)
        stand = [mask.get((ind, None, None, start, end), True)] + \
            [mask.get((ind, "locality", place, start, end), True) for place in prot.localities]
        if any(stand):
            withheld_years += 1
            assert v == UNSIZED, (ind, by, g, start)
    assert children_of_hidden > 100 and withheld_years > 10, (children_of_hidden, withheld_years)


def test_the_partner_who_looks_within_a_locality_over_the_last_12_months_recovers_nothing(local_last_12_knowledge):
    """Within a locality, the last 12 months less this year so far is a group's count there from October 2022 to
    March 2023, and 2022-23 less that is its count from April to September 2022: partners are shown neither, and
    the attacker (who works both out from the dates, locality by locality, and relates them where the sums hold)
    recovers no small count, by the sums, with the markers as bounds, or with whole numbers."""
    import datetime as dt
    from dataclasses import replace

    from attacker import attack_with_markers

    k = local_last_12_knowledge
    last_12 = (dt.date(2022, 10, 1), dt.date(2023, 9, 30))
    parts = {(dt.date(2022, 10, 1), dt.date(2023, 3, 31)), (dt.date(2022, 4, 1), dt.date(2022, 9, 30))}
    within = lambda c: isinstance(c[2][0], str) and "@" in c[2][0]  # noqa: E731
    assert sum(1 for c in k.known if c[3] == last_12 and within(c)) > 10  # partners read it within a locality
    in_parts = {c for c in k.targets if c[3] in parts and within(c)}
    assert len(in_parts) > 20  # small counts of a group in a locality in a part of last year, to go after
    assert not in_parts & set(k.known)
    # the targets: every small count of the drill-down these sums touch (within a locality: the last 12 months,
    # this year so far, last year and its parts); the rest of the grid is attacked in the tests above. The last
    # 12 months join every quarter into one linked set, where each linear programme takes seconds: every target
    # is tried by exact linear algebra, and the parts of last year (the counts the sums give a reader) by
    # programmes, as many as the budgets allow
    linked = {last_12, (dt.date(2023, 4, 1), dt.date(2023, 9, 30)), (dt.date(2022, 4, 1), dt.date(2023, 3, 31))}
    k = replace(k, targets={c for c in k.targets if c[3] in linked | parts and within(c)}, faults={})
    assert len(k.targets) > len(in_parts)
    recovered = attack(k, lp_limit=0)
    assert recovered == {}, f"recovered hidden counts: {list(recovered.items())[:10]}"
    k = replace(k, targets=in_parts)
    recovered = attack(k, lp_limit=25)
    assert recovered == {}, f"recovered with counts of 0 or more: {list(recovered.items())[:10]}"
    recovered = attack(k, lp_limit=15, markers=True)
    assert recovered == {}, f"recovered with the markers as bounds: {list(recovered.items())[:10]}"
    recovered = attack_with_markers(k, limit=20, time_limit=5.0)
    assert recovered == {}, f"recovered with whole numbers and the markers: {list(recovered.items())[:10]}"
    assert not k.faults, list(k.faults)[:5]


def test_subtracting_this_year_from_the_last_12_months_within_a_locality_gives_no_small_count(mid_quarter_demo):
    """The partner's own subtraction, within each locality, group by group, for every indicator and the four
    dimensions of the drill-down: the last 12 months less 2023-24 so far is the group's count there from October
    2022 to March 2023, and 2022-23 less that is its count from April to September 2022. Worked out here from
    the shown figures alone; where all the figures are shown the difference is never 1 to 4."""
    import datetime as dt

    from yj_metrics.disclosure import (NOT_FOR_PARTNERS, NOT_PERSONAL, PARTNER_LOCAL_DIMENSIONS, STOCK_INDICATORS,
                                       local_results)
    from yj_metrics.filters import Filters, apply_filters
    from yj_metrics.indicators import INDICATORS, compute

    prot = PartnerProtection(mid_quarter_demo, max_quarters=5)
    last_12, so_far, last_year = prot.periods.last_12_months, prot.periods.years[-1], financial_year(2022)
    assert (last_12.start, last_12.end) == (dt.date(2022, 10, 1), dt.date(2023, 9, 30))
    assert (so_far.start, so_far.end) == (dt.date(2023, 4, 1), dt.date(2023, 9, 30))
    ids = [i for i in INDICATORS if i not in NOT_FOR_PARTNERS and i not in NOT_PERSONAL and i not in STOCK_INDICATORS]
    found, compared = [], 0
    for loc in prot.localities:
        there = apply_filters(mid_quarter_demo, Filters(locality=(loc,)))
        for by in PARTNER_LOCAL_DIMENSIONS:
            shown = [{(r.indicator, r.group): r for r in
                      prot.protect_results(local_results(compute(there, p, ids, by), by, loc))}
                     for p in (last_12, so_far, last_year)]
            small, n = _parts_of_last_year(*shown)
            found += [(loc, by) + x for x in small]
            compared += n
    assert compared > 20, compared  # the groups partners read within a locality in both periods
    assert found == [], found[:10]


def test_subtracting_one_locality_from_the_whole_gives_no_small_count(demo600):
    """The partner's own subtraction on the locality drill-down: a group's figure less the North's is the
    West's, and a locality's figure (the breakdown by locality) less the groups shown within it is what the
    hidden groups there hold. Every indicator, the four dimensions, the three years offered: where the
    difference is of one hidden figure, it is never 1 to 4; where nothing is hidden, it is 0 (the sums a
    partner relies on hold, so the protection has to cover them)."""
    from yj_metrics.disclosure import (NOT_FOR_PARTNERS, NOT_PERSONAL, PARTNER_LOCAL_DIMENSIONS, STOCK_INDICATORS,
                                       local_results)
    from yj_metrics.filters import Filters, apply_filters

    prot = PartnerProtection(demo600)
    assert prot.localities == ("North", "West")
    ids = [i for i in indicators.INDICATORS if i not in NOT_FOR_PARTNERS + NOT_PERSONAL + STOCK_INDICATORS]
    found, broken, subtractions = [], [], 0

    def counts(r):  # the counts of children a partner reads off a result (a rate's denominator is a population)
        return {"numerator": r.numerator} | ({} if r.unit.startswith("per ") else {"denominator": r.denominator})

    def check(where, total, parts):
        nonlocal subtractions
        hidden = [p for p in parts if p is None]
        if total is None or len(hidden) > 1:
            return
        subtractions += 1
        left = total - sum(p for p in parts if p is not None)
        if hidden and 1 <= left <= 4:
            found.append(where + (left,))
        if not hidden and abs(left) > 1e-9:
            broken.append(where + (left,))

    for fy in prot.periods.local_years:
        whole = {(r.indicator, r.by, r.group): r for by in PARTNER_LOCAL_DIMENSIONS + ("locality",)
                 for r in prot.protect_results(indicators.compute(demo600, fy, ids, by)) if r.by == by}
        for by in PARTNER_LOCAL_DIMENSIONS:
            local = {}
            for loc in prot.localities:
                res = local_results(indicators.compute(apply_filters(demo600, Filters(locality=(loc,))), fy, ids, by),
                                    by, loc)
                local[loc] = {(r.indicator, r.group): r for r in prot.protect_results(res)}
            keys = set().union(*(set(v) for v in local.values()))
            for ind, g in keys:  # a group's localities add up to the group
                w = whole.get((ind, by, g))
                if w is None:
                    continue
                for part, total in counts(w).items():
                    check((fy.label, ind, by, g, part), total,
                          [getattr(local[loc].get((ind, g)), part, 0) for loc in prot.localities])
            for loc in prot.localities:  # a locality's groups add up to the locality
                for ind in {i for i, _ in local[loc]}:
                    t = whole.get((ind, "locality", loc))
                    if t is None:
                        continue
                    for part, total in counts(t).items():
                        check((fy.label, ind, by, loc, part), total,
                              [getattr(r, part) for (i, _), r in local[loc].items() if i == ind])
    assert subtractions > 300, subtractions  # the sums a partner can do with what is shown
    assert broken == [], broken[:10]
    assert found == [], found[:10]


def _weeks_after(cells) -> set:
    return {c for c in cells if isinstance(c[3][0], str) and c[3][0] == "after"}


def test_the_weeks_after_the_reporting_quarter_cannot_be_worked_out(mid_quarter_knowledge):
    """Before partners' year stopped at the reporting quarter, this year's figure less its two shown quarters gave
    the count of 1 October to 15 November: this attacker recovered 5 such counts of 1 to 4 (KPI 2 part-time at
    the end of the order: 4). Every target is tried (no budget): by the sums nothing is recovered, and with the
    markers as bounds none of those weeks."""
    k = mid_quarter_knowledge
    assert len(_weeks_after(k.targets)) > 20  # small counts in those weeks, for the attacker to go after
    recovered = attack(k, lp_limit=100_000)
    assert recovered == {}, f"recovered hidden counts: {list(recovered.items())[:10]}"
    recovered = attack(k, lp_limit=100_000, markers=True)
    assert not _weeks_after(recovered), f"recovered with the markers as bounds: {list(recovered.items())[:10]}"
    assert not k.faults, list(k.faults)[:5]


def test_the_markers_alone_pin_nothing_in_the_mid_quarter_export(mid_quarter_knowledge):
    """KPI 1's children in a residential unit, 2022-23: four quarters of 1 and a year of 4, all hidden already.
    Were they all '<5', the year would be at most 4 and at least 1 + 1 + 1 + 1, and every one of them known. One
    of them says 'withheld' instead, and the attacker reading every marker as bounds recovers nothing."""
    k = mid_quarter_knowledge
    recovered = attack(k, lp_limit=100_000, markers=True)
    assert recovered == {}, list(recovered.items())[:10]
    # the third marker reached the partner, on few figures (5 of the thousands hidden, when this was written),
    # among them the year of the set in point (a total, not one of its quarters)
    figures = {c[1:] for c in k.withheld}
    assert 0 < len(figures) <= 8, sorted(figures, key=repr)
    assert k.withheld <= k.hidden and not k.withheld & (k.small | k.not_small)
    year = (dt.date(2022, 4, 1), dt.date(2023, 3, 31))
    assert ("kpi1_accommodation_type", ("accommodation_type", "Residential unit"), year) in figures


def test_the_attacker_finds_the_weeks_after_when_the_whole_year_is_shown(mid_quarter_knowledge):
    """The attack above can succeed: where every count that is not small is shown (the whole year among them),
    the weeks after the reporting quarter come out as this year less its quarters."""
    from attacker import Knowledge, _relations

    k = mid_quarter_knowledge
    naive = Knowledge(truth=dict(k.truth))
    for cell, v in k.truth.items():
        naive.add(cell, v, None if 1 <= v <= 4 or _weeks_after([cell]) else v)
    _relations(naive)
    naive.relations += [r for r in k.relations if any(_weeks_after([c]) for c, _ in r)]
    recovered = attack(naive, lp_limit=50)
    assert _weeks_after(recovered), list(recovered)[:5]


def test_the_attacker_recovers_counts_from_primary_suppression_alone(demo600):
    """Hiding only the small counts (what the first release did per table) gives counts away:
    the attacker is strong enough to find that."""
    from attacker import Knowledge, _relations

    k = gather(demo600, Settings(), max_quarters=8, localities=False)
    naive = Knowledge(known={}, truth=dict(k.truth), relations=[r for r in k.relations])
    for cell, v in k.truth.items():
        small = 1 <= v <= 4
        naive.add(cell, v, None if small else v)
    naive.relations = []
    _relations(naive)
    naive.relations += [r for r in k.relations if len(r) == 3]  # num + comp = den
    assert len(attack(naive, lp_limit=50)) > 0


def test_same_cell_same_treatment_in_every_view(demo600):
    prot = PartnerProtection(demo600)
    fy = financial_year(2022)
    fte = {r.group: r for r in prot.protect_results(indicators.compute(demo600, fy, ["fte_count"], "ethnicity"))
           if r.indicator == "fte_count"}
    stage = {r.group: r for r in prot.protect_disproportionality(
        dp.stage_table(demo600, fy, "ethnicity", chain=("population", "fte", "substantive")))
        if r.stage == "fte"}
    for g, r in fte.items():
        if g in stage and stage[g].base_stage == "population":
            assert (r.numerator is None) == (stage[g].events is None), g
    # a scorecard cell and the same cell from a KPI page are the same object of protection
    q = quarter(2022, 3)
    card = {r.indicator: r for r in prot.protect_results(indicators.scorecard(demo600, q))}
    direct = {r.indicator: r for r in prot.protect_results(indicators.compute(demo600, q, ["kpi2_ete"]))}
    assert (card["kpi2_ete"].value is None) == (direct["kpi2_ete"].value is None)


def test_views_outside_the_partner_grid_are_hidden(demo600):
    from yj_metrics.filters import Filters, apply_filters
    from yj_metrics.periods import custom

    prot = PartnerProtection(demo600)
    odd = custom(financial_year(2022).start, quarter(2022, 2).end.replace(day=15))
    assert all(r.value is None for r in prot.protect_results(indicators.compute(demo600, odd, ["fte_count"])))
    q = quarter(2022, 3)
    by_quarter = prot.protect_results(indicators.compute(demo600, q, ["fte_count"], "ethnicity"))
    assert all(r.value is None for r in by_quarter if r.by == "ethnicity")  # breakdowns: years only
    # a filtered dataset is not the partner's: protection is computed on the whole service only
    north = apply_filters(demo600, Filters(locality=("North",)))
    assert PartnerProtection(north).periods == prot.periods


# --------------------------------------------------------------------------- disproportionality

def _dp_service(custody: dict[str, int], court: dict[str, int]):
    s = Service()
    for eth, n in (("White", 5000), ("Black", 600), ("Asian", 700), ("Mixed", 500), ("Other", 200)):
        s.population.append({"locality": "N", "gender": "Male", "ethnicity": eth, "age": 14, "population": n,
                             "year": 2020})
    codes = {"White": "White - British", "Black": "Black - African", "Asian": "Asian - Indian",
             "Mixed": "Mixed - Other", "Other": "Other - Arab"}
    for eth, n in court.items():
        for i in range(n):
            cid = s.child(dob="2005-01-01", ethnicity=codes[eth])
            s.outcome(cid, "2020-09-01", "Detention and Training Order" if i < custody.get(eth, 0) else "Referral Order")
    late = s.child(dob="2005-01-01")  # the data run into the next year, so 2020-21 is a whole year
    s.outcome(late, "2021-04-02", "Referral Order")
    return s.build()


def test_disproportionality_hides_counts_bases_chains_and_comparisons():
    ds = _dp_service(custody={"White": 30, "Black": 3}, court={"White": 80, "Black": 9, "Asian": 12, "Mixed": 2})
    fy = financial_year(2020)
    out = PartnerProtection(ds).protect_disproportionality(dp.stage_table(ds, fy, "ethnicity"))
    by = {(r.stage, r.group): r for r in out}
    black = by[("custody", "Black")]
    assert black.suppressed and black.events is None and black.rate is None and black.rri is None
    assert black.ci_low is None and black.expected is None and black.share_of_events is None
    # a count hidden at one stage is hidden where it is the next stage's base, and vice versa
    for (stage, group), r in by.items():
        nxt = dp.DEFAULT_CHAIN[dp.DEFAULT_CHAIN.index(stage) + 1] if stage != dp.DEFAULT_CHAIN[-1] else None
        if nxt and (nxt, group) in by:
            assert (r.events is None) == (by[(nxt, group)].base is None), (stage, group)
    # custody: Black's 3 is not left alone beside the stage total. The other groups are zero (and a
    # reader who sees a zero knows it), so the only other count that can protect it is White's,
    # the reference: hidden too, and with it every comparison at the custody stage
    custody_hidden = [r.group for r in out if r.stage == "custody" and r.events is None]
    assert "Black" in custody_hidden and "White" in custody_hidden
    assert all(r.rri is None for r in out if r.stage == "custody")
    # the court stage keeps its comparisons: its reference (White) is shown
    assert by[("court", "White")].events == 80 and by[("court", "Asian")].rri is not None
    # every stage whose reference is hidden shows no comparison at all
    for r in out:
        ref = by.get((r.stage, r.reference))
        if ref is not None and (ref.events is None or ref.base is None):
            assert r.rri is None and r.flag in ("", "reference")


def test_shares_do_not_give_back_a_hidden_count():
    ds = _dp_service(custody={"White": 30, "Black": 3}, court={"White": 80, "Black": 9, "Asian": 12, "Mixed": 2})
    out = PartnerProtection(ds).protect_disproportionality(dp.stage_table(ds, financial_year(2020), "ethnicity"))
    for stage in {r.stage for r in out}:
        rows = [r for r in out if r.stage == stage]
        shown = [r for r in rows if r.events is not None and r.share_of_events]
        hidden = [r for r in rows if r.events is None]
        if shown and hidden:  # total = events / share, then total minus the shown = the hidden ones
            total = shown[0].events / shown[0].share_of_events * 100
            rest = total - sum(r.events for r in rows if r.events is not None)
            assert len(hidden) >= 2 or not 1 <= round(rest) <= 4, stage


def test_marker_follows_the_threshold():
    assert marker(4) == "<5" and marker(9) == "<10"


# --------------------------------------------------------------------------- issue 21: honest, no over-hiding

def _fte_service():
    """First-time entrants by locality and ethnicity, counted by hand: one Youth Rehabilitation Order (a
    first conviction) each on 1 Sep 2020, every child 14 and resident. North: Black 12, White 40, Mixed 3,
    Asian 8; West: Black 20, White 50, Mixed 6, Asian 7."""
    s = Service()
    codes = {"White": "White - British", "Black": "Black - African", "Asian": "Asian - Indian",
             "Mixed": "Mixed - White and Asian"}
    counts = {"North": {"Black": 12, "White": 40, "Mixed": 3, "Asian": 8},
              "West": {"Black": 20, "White": 50, "Mixed": 6, "Asian": 7}}
    pops = {"White": 4000, "Black": 500, "Asian": 600, "Mixed": 400}
    for loc, by_eth in counts.items():
        for eth, n in by_eth.items():
            s.population.append({"locality": loc, "gender": "Male", "ethnicity": eth, "age": 14,
                                 "population": pops[eth], "year": 2020})
            for _ in range(n):
                cid = s.child(dob="2006-01-01", ethnicity=codes[eth], locality=loc)
                s.outcome(cid, "2020-09-01", "Youth Rehabilitation Order", offence_date="2020-08-01")
    late = s.child(dob="2006-01-01")  # the data run into the next year, so 2020-21 is a whole year
    oid = s.outcome(late, "2021-04-02", "Referral Order", offence_date="2021-03-01")
    s.order(late, "Referral Order", "2021-04-02", outcome_id=oid, panel_date=pd.Timestamp("2021-04-20"))
    return s.build(), counts, pops


def test_a_partner_finds_black_first_time_entrants_in_the_north_and_whether_it_is_disproportionate():
    from yj_metrics.disclosure import SECONDARY_MARKER, marker_of_note
    from yj_metrics.filters import Filters, apply_filters

    ds, counts, pops = _fte_service()
    fy = financial_year(2020)
    prot = PartnerProtection(ds)
    north = apply_filters(ds, Filters(locality=("North",)))
    true = dp.stage_table(north, fy, "ethnicity", None, ("population", "fte"), 1, "population")
    shown = {r.group: r for r in prot.protect_disproportionality(true, "North")}
    black, white = shown["Black"], shown["White"]
    assert black.events == counts["North"]["Black"] == 12 and black.base == pops["Black"]
    assert black.rate == pytest.approx(12 / 500 * 10_000) and white.events == 40
    assert black.rri == pytest.approx((12 / 500) / (40 / 4000)) and black.flag  # a comparison is shown
    mixed = shown["Mixed"]  # 3: the small count itself
    assert mixed.events is None and marker_of_note(mixed.note) == "<5"
    # Mixed North is 3 beside shown totals: another North group and the West's Mixed must go too, and
    # they are marked as hidden to protect it, not as small
    others = [r for r in shown.values() if r.events is None and r.group != "Mixed"]
    assert others and all(marker_of_note(r.note) == SECONDARY_MARKER for r in others)
    assert all(r.note.startswith("protected") for r in shown.values() if r.events is None)
    west = {r.group: r for r in prot.protect_disproportionality(
        dp.stage_table(apply_filters(ds, Filters(locality=("West",))), fy, "ethnicity", None, ("population", "fte"),
                       1, "population"), "West")}
    whole = {r.group: r for r in prot.protect_disproportionality(
        dp.stage_table(ds, fy, "ethnicity", None, ("population", "fte"), 1, "population"))}
    # the three views together still leave North's Mixed 3 undetermined: North's shown groups, the West's
    # and the whole service's cannot be subtracted to it
    known_n = sum(r.events for r in shown.values() if r.events is not None)
    known_w = sum(r.events for r in west.values() if r.events is not None)
    assert not (whole["Mixed"].events is not None and west["Mixed"].events is not None)
    assert sum(r.events is None for r in shown.values()) >= 2 and known_n < 69 and known_w <= 83


def test_a_small_complement_is_never_shown_for_any_base(demo_knowledge):
    """'16 of 18' gives away the 2 who did not go on: no complement of 1 to 4 is shown, for either base."""
    k = demo_knowledge
    shown = {c: v for c, v in k.known.items() if c[0] in ("complement", "comp") and 1 <= v <= 4}
    assert shown == {}
    assert any(c[0] == "complement" for c in k.known)  # the complements are there to check


def test_a_figure_outside_the_partners_view_says_nothing_of_its_size(demo600):
    """A custom period (one week), or this year past the reporting quarter, is not in the grid: hidden whatever
    its size, and marked 'n/a' alike for a count of 2 and of 40 (a '<5' there would tell 1 to 4 of any week a
    partner cared to ask for), with no RAG; the same for its tables."""
    import datetime as dt

    from yj_metrics.disclosure import NOT_PERSONAL, marker_of_note
    from yj_metrics.periods import custom

    prot = PartnerProtection(demo600)
    week = custom(dt.date(2023, 6, 5), dt.date(2023, 6, 11))
    true = indicators.compute(demo600, week)
    shown = prot.protect_results(true)
    sizes = {r.numerator for r in true if r.numerator is not None}
    assert any(1 <= v <= 4 for v in sizes) and any(v == 0 for v in sizes)  # small ones and zeros among them
    assert all(s.numerator is None and s.rag is None and marker_of_note(s.note) == "n/a"
               for r, s in zip(true, shown) if r.indicator not in NOT_PERSONAL), {marker_of_note(s.note) for s in shown}
    for table in (prot.disposal_table(week), prot.remand_table(week)):
        counts = table[[c for c in ("disposals", "remands") if c in table.columns][0]]
        assert set(counts) <= {"n/a"}, set(counts)


def test_markers_are_honest(demo600):
    """'<5' only where the figure's own count (or complement) is 1 to 4; every other hidden figure is
    marked as hidden to protect another, or says nothing of its size ('withheld', with no RAG); every hidden
    note starts with 'protected'."""
    from yj_metrics.disclosure import NOT_FOR_PARTNERS, SECONDARY_MARKER, UNSIZED_MARKER, marker_of_note

    prot = PartnerProtection(demo600)
    fy = financial_year(2022)
    true = indicators.compute(demo600, fy, None, "gender") + indicators.scorecard(demo600, quarter(2023, 4))
    seen = set()
    for r, s in zip(true, prot.protect_results(true)):
        if not prot.is_hidden(r):
            continue
        assert s.note.startswith("protected"), s.note
        if r.indicator in NOT_FOR_PARTNERS:  # never in the partners' view: nothing of its size, nor its RAG
            assert marker_of_note(s.note) == "n/a" and s.rag is None, (r.indicator, s.note)
            continue
        comp = r.denominator - r.numerator if r.unit == "%" and None not in (r.numerator, r.denominator) else None
        small = any(v is not None and 1 <= v <= 4 for v in (r.numerator, comp))
        mk = marker_of_note(s.note)
        if mk == UNSIZED_MARKER:
            assert s.rag is None, (r.indicator, r.group)
            continue
        if not small and mk == "<5":  # a personal denominator of 1 to 4 is the only other small reason
            assert r.denominator is not None and 1 <= r.denominator <= 4, (r.indicator, r.group, r.numerator)
        if small:
            assert mk == "<5", (r.indicator, r.group)
        seen.add(mk)
    assert SECONDARY_MARKER in seen or "<5" in seen


def test_whole_service_headlines_are_shown_when_nothing_small_rests_on_them(demo600):
    """Over-hiding: most whole-service cells that do not rest on 1 to 4 themselves are shown (secondary
    protection picks breakdown cells first, then results are shown again family by family). On this small
    demo (600 children) at least 70% (71.7% measured, 70.9% before pair moves; 83% before the markers were
    read as bounds, which left small counts recoverable: reoffending's quarters, rolling years and years pin
    each other); the issue's 90% target is for the default demo, measured by benchmarks/bench_partner.py
    (before: 38%)."""
    from yj_metrics.disclosure import NOT_FOR_PARTNERS, NOT_PERSONAL, _view_set, is_primary

    prot = PartnerProtection(demo600)
    cells = [r for r in _view_set(demo600, prot.periods, prot.settings)
             if r.by is None and r.numerator is not None and r.indicator not in NOT_PERSONAL + NOT_FOR_PARTNERS
             and not is_primary(r, 4)]
    shown = sum(not prot.is_hidden(r) for r in cells)
    assert len(cells) > 300 and shown / len(cells) >= 0.70, shown / len(cells)


def test_a_hidden_result_keeps_its_rag_only_where_the_band_gives_nothing_small_away():
    """Worked by hand: Green at 95% or more, Red at 80% or less. 78 of 81 (96.3%) is Green, and the
    counts that are Green with 81 are 77 to 81: the complement is 0 to 4, so the RAG must go. 3 of 81
    (3.7%) is Red, which 0 to 64 of 81 are: the RAG may stay. A hidden result's note starts with
    'protected' and the marker says why."""
    from yj_metrics.disclosure import _hide_result, marker_of_note
    from yj_metrics.results import IndicatorResult
    from yj_metrics.settings import Target

    s = Settings(targets={"kpi2_ete": Target("kpi2_ete", green=95, red=80, direction="higher")})
    fy = financial_year(2023)

    def res(n, d):
        return IndicatorResult("kpi2_ete", "ETE", fy.start, fy.end, None, None, n, d, 100 * n / d, "%",
                               rag=s.targets["kpi2_ete"].rag(100 * n / d))

    green = _hide_result(res(78, 81), 4, s)
    assert res(78, 81).rag == "Green" and green.rag is None and marker_of_note(green.note) == "<5"
    red = _hide_result(res(3, 81), 4, s)
    assert red.rag == "Red" and red.value is None and red.numerator is None and marker_of_note(red.note) == "<5"
    secondary = _hide_result(res(44, 81), 4, s)  # hidden only to protect another figure
    assert secondary.note.startswith("protected") and marker_of_note(secondary.note) == "hidden"
    assert secondary.rag == "Red"  # 0 to 64 of 81 are Red: nothing small in that


# ------------------------------------------------------------------ showing results again, family by family

def _rank_determined(a: np.ndarray, k: int) -> bool:
    """Independent of the engine: unknown k is fixed by A x = b iff adding the unit row e_k leaves A's rank
    unchanged (e_k is in A's row space)."""
    e = np.zeros((1, a.shape[1]))
    e[0, k] = 1.0
    return np.linalg.matrix_rank(np.vstack([a, e])) == np.linalg.matrix_rank(a)


def test_a_result_is_shown_again_only_when_no_count_of_the_component_is_given_away():
    """Treatment A (numerator 3 in Q1: small) out of children with a need N; need B is N out of orders ending O.
    A and B share one protection (N is A's denominator and B's numerator), so the shared mask hides Q1-Q3 of
    both, though B's counts are all large. Showing B again in a quarter reveals N there: with the year shown,
    the first such quarter leaves N's other two quarters moving together, so a second alone would fix the
    third; shown as a pair, the last two reveal nothing more (N's quarters are all known then, and A's counts
    still move: 3 + 7 = 10 splits many ways). A's small count stays hidden, and the reader (worked out here
    with every relation, numerator + complement = denominator included, then with whole numbers and the
    markers) can fix no hidden count."""
    from yj_metrics.disclosure import _show_again

    rows, cols = [(None, None)], ["Q1", "Q2", "Q3", "FY"]
    v = {"A|num": [3, 10, 10, 23], "A|comp": [7, 10, 15, 32], "N": [10, 20, 25, 55], "O": [40, 40, 45, 125]}
    v["B|comp"] = [o - n for o, n in zip(v["O"], v["N"])]
    grid = Grid(rows, cols, {f: np.array([x], dtype=float) for f, x in v.items()}, col_sums=[(3, [0, 1, 2])],
                avoid_rows=(0,))
    roles = {"A": {"num": "A|num", "comp": "A|comp", "den": "N"}, "B": {"num": "N", "comp": "B|comp", "den": "O"}}
    comp_of = {f: "A|num" for f in ("A|num", "A|comp", "N", "B|comp")}
    shared = np.array([[True, True, True, False]])
    fam_mask = {f: shared for f in comp_of} | {"O": np.zeros((1, 4), dtype=bool)}
    den_mask = {"N": np.zeros((1, 4), dtype=bool), "O": np.zeros((1, 4), dtype=bool)}

    class R:  # the results the partner view holds: A and B in each quarter and the year
        def __init__(self, ind, col):
            self.indicator, self.by, self.group, self.start, self.end = ind, None, None, col, col

    results = [R(i, c) for i in ("A", "B") for c in cols]
    ci = {(c, c): n for n, c in enumerate(cols)}
    out = _show_again(grid, roles, "A|num", comp_of, fam_mask, den_mask, {}, 4, results, {(None, None): 0}, ci)
    masks = {f: out.get(f, fam_mask[f]) for f in fam_mask}
    assert masks["A|num"][0, 0] and masks["A|comp"][0, 0]  # A rests on 3 in Q1: never shown
    shown_b = [j for j in range(3) if not masks["N"][0, j] and not masks["B|comp"][0, j]]
    assert shown_b == [0, 1, 2], "B is shown in every quarter: one alone, then the last two as a pair"

    # the reader's position, worked out here with every relation, including across families
    fams = list(v)
    unknown = [(f, j) for f in fams for j in range(4) if masks[f][0, j]]
    idx = {u: n for n, u in enumerate(unknown)}
    eqs = []
    for f in fams:  # quarters add up to the year
        row = np.zeros(len(unknown))
        for j, c in ((0, 1), (1, 1), (2, 1), (3, -1)):
            if (f, j) in idx:
                row[idx[(f, j)]] = c
        eqs.append(row)
    for num, comp, den in (("A|num", "A|comp", "N"), ("N", "B|comp", "O")):
        for j in range(4):
            row = np.zeros(len(unknown))
            for f, c in ((num, 1), (comp, 1), (den, -1)):
                if (f, j) in idx:
                    row[idx[(f, j)]] = c
            eqs.append(row)
    a = np.array(eqs)
    fixed = [u for u in unknown if _rank_determined(a, idx[u])]
    assert fixed == [], f"the reader can work out {fixed}"
    assert ("A|num", 0) in unknown
    # whole numbers and the markers ('<5': 1 to 4; 'hidden': 0 or 5 and more), B's quarters read as shown:
    # every filling of A's quarters that keeps N's quarters and A's year
    def fits(x, truth):
        return 1 <= x <= 4 if 0 < truth <= 4 else not 0 < x <= 4

    seen = set()
    for n1 in range(v["N"][0] + 1):
        for n2 in range(v["N"][1] + 1):
            n3 = v["A|num"][3] - n1 - n2
            nums, comps = (n1, n2, n3), [v["N"][j] - x for j, x in enumerate((n1, n2, n3))]
            if 0 <= n3 <= v["N"][2] and all(fits(x, v["A|num"][j]) and fits(c, v["A|comp"][j])
                                            for j, (x, c) in enumerate(zip(nums, comps))):
                seen.add(n1)
    assert 3 in seen and len(seen) > 1, f"A's small count in Q1 is pinned: {seen}"


def _fillings(values: np.ndarray, hidden: np.ndarray, threshold: int = 4) -> dict:
    """Independent of the engine: every whole-number filling of a band-by-quarter table (row 0: the total,
    which the reader knows; then the bands; columns: four quarters, then the year) that agrees with what is
    shown and with the markers ('<5': 1 to 4; 'hidden': 0 or 5 and more). Brute force: each quarter's hidden
    bands take every split of what its total leaves; the year's bands are then the sums of their quarters.
    {hidden band cell: set of values it takes}."""
    import itertools

    def fits(i, j, x):
        small = 0 < values[i, j] <= threshold
        return 1 <= x <= threshold if small else not 0 < x <= threshold

    per_quarter = []
    for j in range(4):
        cells = [i for i in range(1, values.shape[0]) if hidden[i, j]]
        left = values[0, j] - sum(values[i, j] for i in range(1, values.shape[0]) if not hidden[i, j])
        splits = [dict(zip(cells, xs)) for xs in itertools.product(range(int(left) + 1), repeat=len(cells))
                  if sum(xs) == left and all(fits(i, j, x) for i, x in zip(cells, xs))]
        per_quarter.append(splits)
    seen: dict = {}
    for choice in itertools.product(*per_quarter):
        v = values.copy()
        for j, split in enumerate(choice):
            for i, x in split.items():
                v[i, j] = x
        year = v[1:, :4].sum(axis=1)
        ok = all((fits(i, 4, year[i - 1]) if hidden[i, 4] else year[i - 1] == values[i, 4])
                 for i in range(1, values.shape[0]))
        if ok:
            v[1:, 4] = year
            for i, j in zip(*np.nonzero(hidden[1:])):
                seen.setdefault((int(i) + 1, int(j)), set()).add(float(v[i + 1, j]))
    return seen


def test_a_category_measure_shown_again_keeps_its_small_quarters_unpinned():
    """Hours of ETE offered by band: the bands add up to orders ending, which partners see elsewhere (a known
    total). 0 hours in Q1 (4) and Q4 (2) are small; in each quarter one other band is hidden beside it. Showing
    the year's 0-hours count (21) again gives Q1 + Q4 = 6, and Q4's hidden '1-15' band (5) is 0 or 5 and more,
    so Q4's 0 hours is at most 2, and Q1's is 4. No relation through the year fixes a count on its own, so only
    a reader who knows the total and reads the markers finds it (the 600-child demo gave these two counts away
    before the audit read the known total as shown)."""
    from yj_metrics.disclosure import _show_again

    rows = [(None, None), ("hours_band", "0"), ("hours_band", "1-15"), ("hours_band", "25+")]
    cols = ["Q1", "Q2", "Q3", "Q4", "FY"]
    bands = np.array([[4, 6, 9, 2], [12, 10, 9, 5], [13, 14, 17, 24]], dtype=float)
    values = np.vstack([bands.sum(axis=0), bands])
    values = np.hstack([values, values.sum(axis=1, keepdims=True)])
    grid = Grid(rows, cols, {"H|num": values}, row_sums=[(0, [1, 2, 3])], col_sums=[(4, [0, 1, 2, 3])],
                avoid_rows=(0,))
    start = np.zeros(values.shape, dtype=bool)
    start[0, :] = True  # the total row: hidden in this grid's mask, known to the reader from elsewhere
    for i, j in ((1, 0), (3, 0), (1, 3), (2, 3), (1, 4), (2, 4), (3, 4)):
        start[i, j] = True
    before = _fillings(values, start)
    assert all(len(v) > 1 for c, v in before.items() if 0 < values[c] <= 4), "the starting mask protects"
    shown_year = start.copy()
    shown_year[1, 4] = False
    pinned = _fillings(values, shown_year)
    assert pinned[(1, 0)] == {4.0} and pinned[(1, 3)] == {2.0}, "showing the year's 0 hours gives both away"

    class R:
        def __init__(self, row, col):
            self.indicator, (self.by, self.group), self.start, self.end = "H", rows[row], col, col

    results = [R(i, c) for i in range(4) for c in cols]
    out = _show_again(grid, {"H": {"num": "H|num"}}, "H|num", {"H|num": "H|num"}, {"H|num": start}, {},
                      {"H|num": {(0, j) for j in range(5)}}, 4, results, {r: n for n, r in enumerate(rows)},
                      {(c, c): n for n, c in enumerate(cols)})
    final = out.get("H|num", start)
    after = _fillings(values, final)
    small = [c for c in after if 0 < values[c] <= 4]
    assert small and all(len(after[c]) > 1 for c in small), f"pinned: {[(c, after[c]) for c in small]}"


def test_partners_view_set_leaves_out_what_they_are_never_shown(demo600):
    """KPI 1's calculator also yields the net change in unsuitable accommodation (a signed difference of two
    counts partners see): partners are never shown it, so it is not protected either (its negative values
    made the markers' bounds meaningless, and its grid hid everything after ten thousand rounds)."""
    from yj_metrics.disclosure import NOT_FOR_PARTNERS, _view_set

    prot = PartnerProtection(demo600)
    names = {r.indicator for r in _view_set(demo600, prot.periods, prot.settings)}
    assert "kpi1_accommodation" in names and not names & set(NOT_FOR_PARTNERS)


def test_counts_the_markers_pin_and_nothing_frees_are_left_without_hiding_the_whole_grid(demo600):
    """A round of marker repairs that hides nothing ends the repairs (the grid is then checked and the pins
    logged), instead of repeating until the round limit and hiding every cell. Shown on the signed KPI 1
    change grid of the 600-child demo, whose pins no hiding frees: the linear audit still passes."""
    from yj_metrics.disclosure import _build_grid, _family_values

    from yj_metrics.disclosure import PARTNER_DIMENSIONS

    periods = partner_periods(demo600.covers)
    calls = [(p, None) for p in periods.quarters] + [(fy, by) for fy in periods.years
                                                     for by in (None,) + PARTNER_DIMENSIONS]
    results = []
    for p, by in calls:  # as the partner view set was built before it left the change out
        results += [r for r in indicators.compute(demo600, p, ["kpi1_accommodation"], by, Settings())
                    if r.indicator == "kpi1_unsuitable_change" and r.by == by]
    fams, _ = _family_values(results)
    grid = _build_grid({"kpi1_unsuitable_change|num": fams["kpi1_unsuitable_change|num"]})
    present = grid.present("kpi1_unsuitable_change|num")
    assert (np.nan_to_num(grid.values["kpi1_unsuitable_change|num"]) < 0).any()  # signed: the case in point
    mask = protect_grid(grid, 4, max_rounds=200)
    assert mask.sum() < present.sum()
    assert not determined_cells(grid, mask).any()


def _remand_grids(prot: PartnerProtection, withheld: bool = True) -> list[tuple[Grid, np.ndarray]]:
    """The remand table as a partner reads it, one grid per count (remands, children) and remand type: columns
    every quarter and year partners can choose; the values the truth; hidden where the partner's table shows a
    marker; ``unsized`` where it says 'withheld' (``withheld=False``: read as if it said '<5' or 'hidden'
    instead). The only relations: the type's quarters add up to its year, kept where true of the data (a remand
    whose nights run over two quarters counts in both, and children are distinct in each period)."""
    from yj_metrics.disclosure import UNSIZED_MARKER
    from yj_metrics.indicators import remand_table

    periods = list(prot.periods.quarters) + list(prot.periods.years)
    shown = {p: prot.remand_table(p).set_index("remand_type") for p in periods}
    true = {p: remand_table(prot.ds, p, prot.settings).set_index("remand_type") for p in periods}
    out = []
    for fam in ("remands", "children"):
        for t in true[periods[0]].index:
            v = np.array([[float(true[p].at[t, fam]) for p in periods]])
            marks = np.array([[str(shown[p].at[t, fam]) for p in periods]])
            mask = ~np.char.isnumeric(np.char.replace(marks, ",", ""))
            sums = []
            for j, y in enumerate(periods):
                kids = [n for n, q in enumerate(periods) if q.kind == "quarter" and y.kind != "quarter"
                        and y.start <= q.start and q.end <= y.end]
                if len(kids) == 4 and v[0, j] == v[0, kids].sum():
                    sums.append((j, kids))
            grid = Grid([t], [p.label for p in periods], {"n": v}, [], sums)
            if withheld:
                grid.unsized = {"n": marks == UNSIZED_MARKER}
            out.append((grid, mask))
    return out


def test_the_remand_table_read_with_its_markers_gives_no_count_away(demo600):
    """The local tables are protected by the same engine, which the attacker does not read. Read as a partner
    reads the remand table (every quarter and year, each marker as bounds, in whole numbers, with every relation
    that is true of the data), no small count is recovered. (The engine also assumes relations that are not
    true of this table, to be safe: those are where it put its 'withheld' markers on the demo.)"""
    prot = PartnerProtection(demo600)
    grids = _remand_grids(prot)
    assert any(mask.any() for _, mask in grids) and any(g.col_sums for g, _ in grids)  # something to attack
    for grid, mask in grids:
        assert _brute_force_recoverable(grid, mask, markers="both") == []
