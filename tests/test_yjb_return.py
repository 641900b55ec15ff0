"""The quarterly KPI return in the YJB summary-template layout: cells, checks, the file."""
from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import openpyxl

from tests.builders import Service
from yj_metrics import yjb_return as yr
from yj_metrics.periods import quarter

ROOT = Path(__file__).resolve().parents[1]
Q = quarter(2023, 1)


def _small_service():
    """Three children with orders ending in 2023-24 Q1, worked out by hand:
    A born 2009 (school age on 10 May 2023): referral order, accommodation suitable at the end;
    B born 2006-03-01 (left school Jun 2022: above school age): custody, unsuitable at the end,
      suitable at the start;
    C born 2009: referral order ending 1 Jun 2023 and a youth caution ending 5 Jun 2023: counts
      once, on the referral order (more serious), suitable at the end."""
    s = Service()
    a, b, c = s.child(dob="2009-01-01"), s.child(dob="2006-03-01"), s.child(dob="2009-01-01")
    s.order(a, "Referral Order", "2023-01-01", "2023-05-10", accommodation_suitable_end="Suitable")
    s.order(b, "Detention and Training Order", "2022-11-01", "2023-05-10", accommodation_suitable_start="Suitable",
            accommodation_suitable_end="Unsuitable")
    s.order(c, "Referral Order", "2023-01-01", "2023-06-01", accommodation_suitable_end="Suitable")
    s.order(c, "Youth Caution", "2023-03-01", "2023-06-05", accommodation_suitable_end="Unsuitable")
    return s.build(), (a, b, c)


def test_order_sheet_cells_by_order_type_and_school_age():
    ds, (a, b, c) = _small_service()
    ret = yr.build_return(ds, Q)
    assert ret.problems == ()
    s = ret.sheet("KPI1 Accommodation")
    children = "Children with an order ending"
    assert s.value(children, ("Referral order", "School age")) == 2  # A and C
    assert s.value(children, ("Custody", "Above school age")) == 1  # B
    assert s.value(children, ("Youth caution", "Total")) == 0  # C's caution is not picked
    assert s.value(children, ("Total", "Total")) == 3
    assert s.value("Suitable at the end", ("Total", "Total")) == 2
    assert s.value("Unsuitable at the end", ("Custody", "Total")) == 1
    assert s.value("Suitable at the start", ("Custody", "Above school age")) == 1
    assert s.value("Suitable on release from custody", ("Total", "Total")) == 0
    behind = yr.cell_children(ds, Q, "KPI1 Accommodation", children, ("Referral order", "School age"))
    assert sorted(behind["child_id"]) == sorted([a, c])


def test_checks_report_a_total_that_is_not_the_sum_of_its_parts():
    ds, _ = _small_service()
    ret = yr.build_return(ds, Q)
    s = ret.sheet("KPI2 ETE")
    values = [list(v) for v in s.values]
    values[0][s.columns.index(("Total", "Total"))] += 1  # one child too many in the grand total
    broken = replace(ret, sheets=tuple(replace(x, values=tuple(map(tuple, values))) if x.name == "KPI2 ETE" else x
                                       for x in ret.sheets))
    problems = yr.check_return(broken)
    assert any("KPI2 ETE" in p and "sum of the order types" in p for p in problems)
    assert any("differ between sheets" in p for p in problems)  # KPI 2's denominator now disagrees with KPI 1's


def _run(*args):
    return subprocess.run([sys.executable, "-m", "yj_metrics", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_writes_the_return_and_its_totals_add_up(tmp_path, demo_xlsx_path):
    out = tmp_path / "return.xlsx"
    done = _run("yjb-return", "--quarter", "2023-24Q4", "--workbook", demo_xlsx_path, "--out", out)
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "KPI1 Accommodation", "KPI2 ETE", "KPI3 SEND", "KPI4 Mental health",
                             "KPI5 Substance misuse", "KPI6 Out of court", "KPI7 Wider services", "KPI8 Board",
                             "KPI9 Serious violence", "KPI10 Victims"]
    denominators = set()
    for name in ("KPI1 Accommodation", "KPI2 ETE", "KPI3 SEND", "KPI4 Mental health", "KPI5 Substance misuse",
                 "KPI7 Wider services"):
        ws = wb[name]
        types = [ws.cell(2, col).value for col in range(2, ws.max_column + 1)]
        ages = [ws.cell(3, col).value for col in range(2, ws.max_column + 1)]
        assert types[:3] == ["Out of court"] * 3 and ages[:3] == ["School age", "Above school age", "Total"]
        assert types[-1] == "Total" and len(types) == 21  # six order types and the total, three columns each
        for r in range(4, ws.max_row + 1):
            cells = [ws.cell(r, col).value for col in range(2, ws.max_column + 1)]
            groups = [cells[i:i + 3] for i in range(0, 21, 3)]
            for school, above, total in groups:
                assert school + above == total, (name, ws.cell(r, 1).value)
            assert sum(g[2] for g in groups[:-1]) == groups[-1][2], (name, ws.cell(r, 1).value)
        assert ws.cell(4, 1).value == "Children with an order ending"
        denominators.add(ws.cell(4, 22).value)
    assert len(denominators) == 1  # the KPIs that share the denominator agree
    summary = {ws_row[0]: ws_row for ws_row in wb["Summary"].iter_rows(min_row=5, values_only=True)}
    assert summary["KPI 1 Suitable accommodation"][2] == denominators.pop()


def test_cli_explains_a_bad_quarter_and_a_wrong_file_type(tmp_path, demo_xlsx_path):
    bad = _run("yjb-return", "--quarter", "2024Q1", "--workbook", demo_xlsx_path, "--out", tmp_path / "r.xlsx")
    assert bad.returncode == 2 and "2023-24Q4" in bad.stderr and "Traceback" not in bad.stderr
    csv = _run("yjb-return", "--quarter", "2023-24Q4", "--workbook", demo_xlsx_path, "--out", tmp_path / "r.csv")
    assert csv.returncode == 2 and ".xlsx" in csv.stderr


def test_every_quarter_of_the_demo_passes_its_checks(demo_dataset):
    from yj_metrics.periods import financial_year, quarters_in

    for fy in range(2019, 2024):
        for q in quarters_in(financial_year(fy)):
            assert yr.build_return(demo_dataset, q).problems == (), q.label
