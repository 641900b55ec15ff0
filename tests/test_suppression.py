"""Small-number protection: nothing hidden can be recovered from a total shown beside it.

The checks here do not trust the module's own reasoning: lone hidden cells are counted
line by line, exact linear recovery is tested with numpy's matrix rank, and for small
tables every non-negative integer filling of the hidden cells that matches the totals is
enumerated by brute force.
"""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from tests.builders import Service
from yj_metrics import disproportionality as dp
from yj_metrics import suppression as sp
from yj_metrics.periods import financial_year
from yj_metrics.results import IndicatorResult

VALUES = [0, 0, 1, 2, 3, 4, 5, 6, 9, 15, 40]


def _lone_hidden_lines(mask: np.ndarray, rows=True, columns=True) -> list[str]:
    """Lines of two or more cells with exactly one hidden cell: total minus the rest reveals it."""
    bad = []
    if rows and mask.shape[1] > 1:
        bad += [f"row {i}" for i in range(mask.shape[0]) if mask[i].sum() == 1]
    if columns and mask.shape[0] > 1:
        bad += [f"column {j}" for j in range(mask.shape[1]) if mask[:, j].sum() == 1]
    return bad


def _linearly_recoverable(mask: np.ndarray) -> list[tuple[int, int]]:
    """Hidden cells fixed by the row and column totals (unit vector in the row space)."""
    cells = np.argwhere(mask)
    if len(cells) == 0:
        return []
    eqs = []
    if mask.shape[1] > 1:
        eqs += [(cells[:, 0] == i).astype(float) for i in range(mask.shape[0])]
    if mask.shape[0] > 1:
        eqs += [(cells[:, 1] == j).astype(float) for j in range(mask.shape[1])]
    if not eqs:
        return []  # a single cell: no separate total is shown
    a = np.vstack(eqs)
    r = np.linalg.matrix_rank(a)
    out = []
    for k, cell in enumerate(cells):
        e = np.zeros(len(cells))
        e[k] = 1
        if np.linalg.matrix_rank(np.vstack([a, e])) == r:
            out.append(tuple(cell))
    return out


def _brute_force_recoverable(values: np.ndarray, mask: np.ndarray) -> list[tuple[int, int]]:
    """Enumerate every filling of the hidden cells with counts >= 0 that gives the same row
    and column totals; a cell that takes a single value in all of them is recoverable."""
    cells = [tuple(c) for c in np.argwhere(mask)]
    row_left = {i: values[i][mask[i]].sum() for i in range(values.shape[0])}
    col_left = {j: values[:, j][mask[:, j]].sum() for j in range(values.shape[1])}
    seen = [set() for _ in cells]

    def search(k, rows, cols, chosen):
        if all(len(s) > 1 for s in seen):
            return True  # every cell already takes two values: stop early
        if k == len(cells):
            if all(v == 0 for v in rows.values()) and all(v == 0 for v in cols.values()):
                for s, v in zip(seen, chosen):
                    s.add(v)
            return False
        i, j = cells[k]
        for x in range(0, int(min(rows[i], cols[j])) + 1):
            rows[i] -= x
            cols[j] -= x
            done = search(k + 1, rows, cols, chosen + [x])
            rows[i] += x
            cols[j] += x
            if done:
                return True
        return False

    search(0, dict(row_left), dict(col_left), [])
    return [c for c, s in zip(cells, seen) if len(s) == 1]


@pytest.mark.parametrize("seed", range(150))
def test_random_tables_with_row_and_column_totals(seed):
    rng = np.random.default_rng(seed)
    shape = tuple(rng.integers(1, 7, size=2))
    values = rng.choice(VALUES, size=shape)
    mask = sp.suppression_mask(values, 4, "both")
    assert mask[(values >= 1) & (values <= 4)].all()  # every small count is hidden
    assert _lone_hidden_lines(mask) == [], (values, mask)
    assert _linearly_recoverable(mask) == [], (values, mask)


@pytest.mark.parametrize("seed", range(150))
def test_brute_force_no_hidden_count_recoverable_in_small_tables(seed):
    rng = np.random.default_rng(1000 + seed)
    shape = tuple(rng.integers(2, 4, size=2))
    values = rng.choice([0, 0, 1, 2, 3, 4, 5, 6, 8], size=shape)
    mask = sp.suppression_mask(values, 4, "both")
    exposed = _brute_force_recoverable(values, mask)
    if exposed:
        # only when every cell is already hidden: then the totals themselves must go
        assert mask.all(), (values, mask, exposed)
        table = pd.DataFrame(values, columns=[f"c{j}" for j in range(shape[1])])
        table["total"] = table.sum(axis=1)
        display, hidden = sp.suppress_counts(table, list(table.columns), total_column="total", add_totals=True)
        positive_totals = list(table["total"] > 0) + list(table.drop(columns="total").sum() > 0)
        shown_totals = list(hidden["total"].iloc[:-1]) + list(hidden.drop(columns="total").iloc[-1])
        assert all(h for h, p in zip(shown_totals, positive_totals) if p)


def test_brute_force_catches_a_table_given_away_by_a_zero_column():
    # the checker itself can fail: a hidden 2x2 block with a zero column is fully recoverable
    values = np.array([[0, 15], [0, 1]])
    assert sorted(_brute_force_recoverable(values, np.ones((2, 2), bool))) == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert _linearly_recoverable(np.array([[True, False], [False, False]])) == [(0, 0)]


@pytest.mark.parametrize("seed", range(60))
def test_random_single_columns_never_leave_a_lone_hidden_group(seed):
    rng = np.random.default_rng(5000 + seed)
    values = rng.choice(VALUES, size=rng.integers(2, 9))
    mask = sp.suppression_mask(values, 4, "columns")[:, 0]
    assert mask[(values >= 1) & (values <= 4)].all()
    assert mask.sum() != 1  # the column total minus the shown groups leaves two or more unknowns
    assert not mask[values > 4].any() or mask.sum() == 2  # only one partner, never more than needed


def test_zero_is_shown_and_marker_follows_the_threshold():
    display, mask = sp.suppress_counts(pd.DataFrame({"a": [0, 3, 12, 30]}), ["a"], threshold=4)
    assert display["a"].tolist() == [0, "<5", "<5", 30]  # 12 hidden too: the total would reveal the 3
    assert mask["a"].tolist() == [False, True, True, False]
    assert sp.marker(9) == "<10" and sp.marker(4) == sp.SUPPRESSED
    display, _ = sp.suppress_counts(pd.DataFrame({"a": [0, 7, 12, 30]}), ["a"], threshold=9)
    assert display["a"].tolist() == [0, "<10", "<10", 30]


def test_derived_columns_are_hidden_with_their_counts():
    df = pd.DataFrame({"group": ["A", "B", "C"], "events": [2, 50, 60], "base": [100, 400, 300],
                       "rate": [2.0, 12.5, 20.0]})
    out = sp.suppress_table(df, ["events", "base"], {"rate": ["events", "base"]})
    # the 2 is hidden, and the 50 with it so the events total cannot reveal it
    assert out["events"].tolist() == ["<5", "<5", 60]
    assert out["rate"].tolist() == ["<5", "<5", 20.0]
    assert out["base"].tolist() == [100, 400, 300]
    assert df["events"].tolist() == [2, 50, 60]  # the unsuppressed table is untouched


def test_tables_that_add_up_along_rows_are_protected_both_ways():
    df = pd.DataFrame({"Education": [10, 3, 20], "NEET": [12, 30, 25]})
    out = sp.suppress_table(df, ["Education", "NEET"], lines="both")
    hidden = out[["Education", "NEET"]].map(lambda v: v == "<5").to_numpy()
    assert hidden[1, 0] and _lone_hidden_lines(hidden) == [] and _linearly_recoverable(hidden) == []


def test_total_row_is_kept_out_of_the_body():
    df = pd.DataFrame({"n": [3, 10, 20, 33]}, index=["A", "B", "C", "Total"])
    display, mask = sp.suppress_counts(df, ["n"], total_row="Total")
    assert display["n"].tolist() == ["<5", "<5", 20, 33]
    assert not mask.loc["Total", "n"]


# --------------------------------------------------------------------------- indicator results

def _r(group, num, den, by="ethnicity", indicator="kpi2_ete"):
    return IndicatorResult(indicator, "KPI 2", dt.date(2024, 1, 1), dt.date(2024, 3, 31), by, group, num, den,
                           None if not den else num / den * 100, "%", ci_low=1.0, ci_high=2.0, rag="Green")


def test_indicator_breakdowns_get_secondary_suppression():
    results = [_r(None, 59, 98, by=None), _r("White", 40, 60), _r("Black", 2, 6), _r("Mixed", 8, 12),
               _r("Asian", 9, 20)]
    out = {r.group: r for r in sp.suppress_results(results)}
    black = out["Black"]
    assert (black.numerator, black.denominator, black.value, black.ci_low, black.ci_high) == (None,) * 5
    assert "suppressed (fewer than 5)" in black.note
    # Mixed (the next smallest) goes too, so overall minus the shown groups leaves two unknowns
    assert out["Mixed"].numerator is None
    assert out[None].numerator == 59 and out["White"].value == pytest.approx(40 / 60 * 100)
    assert results[2].numerator == 2  # originals untouched for roles allowed to see them


@pytest.mark.parametrize("seed", range(40))
def test_random_breakdowns_never_reveal_a_group_from_the_overall(seed):
    rng = np.random.default_rng(9000 + seed)
    n = int(rng.integers(2, 7))
    nums = rng.choice([0, 1, 2, 3, 4, 6, 10, 25], size=n)
    dens = nums + rng.choice([0, 1, 3, 8, 30], size=n)
    overall = _r(None, int(nums.sum()), int(dens.sum()), by=None)
    groups = [_r(f"G{i}", int(a), int(b)) for i, (a, b) in enumerate(zip(nums, dens))]
    out = sp.suppress_results([overall, *groups])
    hidden = [r.numerator is None for r in out[1:]]
    for r, a, b in zip(out[1:], nums, dens):
        if 1 <= a <= 4 or 1 <= b <= 4:
            assert r.numerator is None and r.value is None
    if out[0].numerator is not None and any(hidden):
        assert sum(hidden) >= 2  # overall minus the shown groups is a sum of two or more unknowns


def test_overall_result_with_small_denominator_is_hidden():
    r = sp.suppress_results([_r(None, 1, 3, by=None)])[0]
    assert (r.numerator, r.denominator, r.value, r.ci_low, r.rag) == (None, None, None, None, None)


# --------------------------------------------------------------------------- disproportionality

def _service(custody: dict[str, int], court: dict[str, int]) -> Service:
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
    return s


def test_disproportionality_suppression_hides_counts_bases_and_comparisons():
    ds = _service(custody={"White": 30, "Black": 3}, court={"White": 80, "Black": 9, "Asian": 12, "Mixed": 2}).build()
    fy = financial_year(2020)
    res = dp.stage_table(ds, fy, "ethnicity")
    out = sp.suppress_disproportionality(res)
    by = {(r.stage, r.group): r for r in out}
    black = by[("custody", "Black")]
    assert black.suppressed and black.events is None and black.rate is None and black.rri is None
    assert black.ci_low is None and black.expected is None and black.share_of_events is None
    assert black.base == 9  # the court count of 9 is not small and not hidden at the court stage
    # custody: Black's 3 is alone; the reference (White, 30) is avoided, so a zero group goes too
    custody_hidden = [r.group for r in out if r.stage == "custody" and r.suppressed]
    assert len(custody_hidden) >= 2 and "White" not in custody_hidden
    assert by[("custody", "White")].events == 30 and by[("custody", "White")].rri == 1
    # court: Mixed (2) hidden; so is the next smallest (Black 9); and the same counts are hidden
    # where they are the base of the next stage
    assert by[("court", "Mixed")].events is None and by[("court", "Black")].events is None
    assert by[("custody", "Mixed")].base is None
    # the unsuppressed results are untouched for managers
    assert next(r for r in res if r.stage == "custody" and r.group == "Black").events == 3


def test_a_hidden_reference_group_hides_every_comparison_at_that_stage():
    ds = _service(custody={"White": 3, "Black": 10}, court={"White": 80, "Black": 40, "Asian": 30}).build()
    out = sp.suppress_disproportionality(dp.disproportionality(ds, financial_year(2020), "custody"))
    for r in out:
        assert r.rri is None and r.ci_low is None and r.expected is None and r.excess is None
    shown = [r for r in out if not r.suppressed and r.events]
    assert shown and all(r.note == sp.REFERENCE_NOTE for r in shown)


def test_ethnicity_by_gender_is_protected_against_the_ethnicity_and_gender_totals(demo_dataset):
    fy = financial_year(2022)
    out = sp.suppress_disproportionality(dp.stage_table(demo_dataset, fy, "ethnicity_gender", chain=dp.STAGES))
    for stage in {r.stage for r in out}:
        rows = [r for r in out if r.stage == stage]
        eths = sorted({sp._split_eth_gender(r.group)[0] for r in rows})
        gens = sorted({sp._split_eth_gender(r.group)[1] for r in rows})
        mask = np.zeros((len(eths), len(gens)), bool)
        for r in rows:
            e, g = sp._split_eth_gender(r.group)
            mask[eths.index(e), gens.index(g)] = r.events is None
        assert _lone_hidden_lines(mask) == [], stage
        assert _linearly_recoverable(mask) == [], stage
