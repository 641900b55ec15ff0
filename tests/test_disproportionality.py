"""RRI, both interval methods and the test, checked against independent calculations."""
from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from tests.builders import Service
from yj_metrics import disproportionality as dp
from yj_metrics.periods import financial_year

FY = financial_year(2020)


def _group(results, stage, group):
    return next(r for r in results if r.stage == stage and r.group == group)


def test_katz_interval_matches_the_log_formula():
    a, n1, b, n0 = 60, 400, 150, 2000
    lo, hi, method = dp.rri_interval(a, n1, b, n0)
    rri = (a / n1) / (b / n0)
    se = math.sqrt(1 / a - 1 / n1 + 1 / b - 1 / n0)
    assert method == "katz"
    assert lo == pytest.approx(rri * math.exp(-1.959964 * se), rel=1e-5)
    assert hi == pytest.approx(rri * math.exp(1.959964 * se), rel=1e-5)


def test_exact_conditional_interval_inverts_clopper_pearson():
    a, n1, b, n0 = 3, 50, 10, 500  # small counts: exact method
    lo, hi, method = dp.rri_interval(a, n1, b, n0)
    assert method == "exact conditional"
    # independently: at theta = lo, P(X >= a) = 2.5% with p = theta*n1/(theta*n1+n0)
    for theta, tail in ((lo, lambda p: stats.binom.sf(a - 1, a + b, p)), (hi, lambda p: stats.binom.cdf(a, a + b, p))):
        p = theta * n1 / (theta * n1 + n0)
        assert tail(p) == pytest.approx(0.025, abs=1e-6)
    assert lo < (a / n1) / (b / n0) < hi


def test_tests_agree_with_scipy():
    p, name = dp.rri_test(60, 400, 150, 2000)
    expected = stats.chi2_contingency(np.array([[60, 340], [150, 1850]]), correction=False).pvalue
    assert name == "chi-square" and p == pytest.approx(expected)
    p, name = dp.rri_test(3, 50, 10, 500)
    assert name == "exact binomial" and p == pytest.approx(stats.binomtest(3, 13, 50 / 550).pvalue)


def test_zero_events_in_group_and_in_reference():
    lo, hi, _ = dp.rri_interval(0, 100, 10, 1000)
    assert lo == 0 and hi > 0
    lo, hi, _ = dp.rri_interval(5, 100, 0, 1000)  # reference has none: no upper bound
    assert math.isinf(hi)
    assert all(math.isnan(x) for x in dp.rri_interval(0, 100, 0, 1000)[:2])


def _southampton() -> Service:
    """Caseload 76% White, 18% BAME, 6% Not known; youth population 19,591 of whom 3,215 BAME."""
    s = Service()
    for eth, n in (("White", 16_376), ("Mixed", 1_200), ("Black", 800), ("Asian", 915), ("Other", 300)):
        s.population.append({"locality": "City", "gender": "Male", "ethnicity": eth, "age": 14, "population": n,
                             "year": 2020})
    caseload = {"White - British": 76, "Mixed - White and Black Caribbean": 8, "Black - African": 5,
                "Asian - Pakistani": 3, "Other - Any other ethnic group": 2, "Not known - Refused": 6}
    for eth, n in caseload.items():
        for _ in range(n):
            c = s.child(dob="2005-01-01", ethnicity=eth, locality="City")
            s.order(c, "Referral Order", "2020-06-01", "2021-01-31")
    return s


def test_southampton_inspection_caseload_against_population():
    ds = _southampton().build()
    comp = dp.composition(ds, FY, "caseload", "ethnicity").set_index("group")
    bame = ["Mixed", "Asian", "Black", "Other"]
    assert comp.loc["White", "share_of_children_pct"] == pytest.approx(76.0)
    assert comp.loc[bame, "share_of_children_pct"].sum() == pytest.approx(18.0)
    assert comp.loc["Not known", "share_of_children_pct"] == pytest.approx(6.0)
    assert comp.loc["White", "population"] + comp.loc[bame, "population"].sum() == 19_591
    assert comp.loc[bame, "population"].sum() / 19_591 * 100 == pytest.approx(16.41, abs=0.01)

    res = dp.disproportionality(ds, FY, stage="caseload", base="population", by="ethnicity")
    white, black, unknown = (_group(res, "caseload", g) for g in ("White", "Black", "Not known"))
    assert white.is_reference and white.rri == 1 and white.flag == "reference"
    assert white.rate == pytest.approx(76 / 16_376 * 10_000) and white.rate_unit == "per 10,000"
    rri = (5 / 800) / (76 / 16_376)
    assert black.rri == pytest.approx(rri)
    lo, hi, method = dp.rri_interval(5, 800, 76, 16_376)
    assert (black.ci_low, black.ci_high, black.ci_method) == (pytest.approx(lo), pytest.approx(hi), "exact conditional")
    p = stats.binomtest(5, 81, 800 / (800 + 16_376)).pvalue
    assert black.p_value == pytest.approx(p)
    assert black.flag == ("higher" if p < 0.05 and lo > 1 else "no clear difference")
    assert black.expected == pytest.approx(800 * 76 / 16_376) and black.excess == pytest.approx(5 - 800 * 76 / 16_376)
    assert unknown.rri is None and unknown.flag == ""  # shown, never compared


def test_flag_is_never_significant_when_the_interval_contains_one(demo_dataset):
    res = dp.stage_table(demo_dataset, financial_year(2022), "ethnicity", chain=dp.STAGES)
    for r in res:
        if r.flag in ("higher", "lower"):
            assert not (r.ci_low <= 1 <= r.ci_high)
            assert r.p_value < 0.05


def test_group_absent_from_population_has_no_rate():
    s = _southampton()
    s.population = [p for p in s.population if p["ethnicity"] != "Other"]
    res = dp.disproportionality(s.build(), FY, stage="caseload", base="population")
    other = _group(res, "caseload", "Other")
    assert other.base == 0 and other.rate is None and other.rri is None and "no base" in other.note


def test_pooling_adds_years():
    s = Service()
    for year in (2019, 2020):
        for eth, n in (("White", 1000), ("Black", 100)):
            s.population.append({"locality": "N", "gender": "Male", "ethnicity": eth, "age": 14, "population": n,
                                 "year": year})
        for eth in ("White - British", "Black - African"):
            s.outcome(s.child(dob="2005-01-01", ethnicity=eth), f"{year}-06-01", "Referral Order")
    one = _group(dp.disproportionality(s.build(), FY, "outcomes", "population"), "outcomes", "Black")
    two = _group(dp.disproportionality(s.build(), FY, "outcomes", "population", pool_years=2), "outcomes", "Black")
    assert (one.events, one.base) == (1, 100) and (two.events, two.base) == (2, 200)


def test_stage_chain_uses_previous_stage_as_base(demo_dataset):
    res = dp.stage_table(demo_dataset, financial_year(2022), "gender")
    counts = dp.stage_counts(demo_dataset, financial_year(2022), "gender")
    court_male = _group(res, "court", "Male")
    assert court_male.base_stage == "substantive"
    assert court_male.events == counts.loc["Male", "court"] and court_male.base == counts.loc["Male", "substantive"]
    assert court_male.rate == pytest.approx(court_male.events / court_male.base * 100)
