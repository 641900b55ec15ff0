"""The quarterly KPI return in the YJB summary-template layout: cells, checks, the file."""
from __future__ import annotations

import datetime as dt
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


ORDER_SHEET_NAMES = ("KPI1 Accommodation", "KPI2 ETE", "KPI3 SEND", "KPI4 Mental health", "KPI5 Substance misuse",
                     "KPI7 Wider services")


def _header_row(ws) -> int:
    return next(r for r in range(1, 10) if ws.cell(r, 1).value == "Measure")


def _body(ws):
    """(row number, label, counts) of each measure: the rows under the header down to the first blank."""
    top = _header_row(ws) + (2 if ws.cell(_header_row(ws) + 1, 2).value == "School age" else 1)
    r = top
    while ws.cell(r, 1).value:
        yield r, ws.cell(r, 1).value, [ws.cell(r, col).value for col in range(2, ws.max_column + 1)]
        r += 1


def test_cli_writes_the_return_and_its_totals_add_up(tmp_path, demo_xlsx_path):
    out = tmp_path / "return.xlsx"
    done = _run("yjb-return", "--quarter", "2023-24Q4", "--workbook", demo_xlsx_path, "--out", out,
                "--yot-code", "4321", "--prepared-by", "Ann Smith", "--preparer-role", "Service manager")
    assert done.returncode == 0, done.stderr
    wb = openpyxl.load_workbook(out)
    assert wb.sheetnames == ["Summary", "KPI1 Accommodation", "KPI2 ETE", "KPI3 SEND", "KPI4 Mental health",
                             "KPI5 Substance misuse", "KPI6 Out of court", "KPI7 Wider services", "KPI8 Board",
                             "KPI9 Serious violence", "KPI10 Victims"]
    denominators = set()
    for name in ORDER_SHEET_NAMES:
        ws = wb[name]
        head = _header_row(ws)
        types = [ws.cell(head, col).value for col in range(2, ws.max_column + 1)]
        ages = [ws.cell(head + 1, col).value for col in range(2, ws.max_column + 1)]
        assert types[:3] == ["Out of court", None, None]  # one merged header over its three columns
        assert ages[:3] == ["School age", "Above school age", "Total"] and len(ages) == 21
        merged = {str(m) for m in ws.merged_cells.ranges}
        for i, t in enumerate(("Out of court", "Youth caution", "Youth conditional caution", "Referral order",
                               "Youth rehabilitation order", "Custody", "Total")):
            first = openpyxl.utils.get_column_letter(2 + 3 * i)
            last = openpyxl.utils.get_column_letter(4 + 3 * i)
            assert ws[f"{first}{head}"].value == t and f"{first}{head}:{last}{head}" in merged
        assert f"A{head}:A{head + 1}" in merged  # "Measure" over both header rows
        rows = list(_body(ws))
        assert rows[0][1] == "Children with an order ending"
        for _, label, cells in rows:
            groups = [cells[i:i + 3] for i in range(0, 21, 3)]
            for school, above, total in groups:
                assert school + above == total, (name, label)
            assert sum(g[2] for g in groups[:-1]) == groups[-1][2], (name, label)
        denominators.add(rows[0][2][-1])
    assert len(denominators) == 1  # the KPIs that share the denominator agree
    summary = wb["Summary"]
    head = next(r for r in range(1, 20) if summary.cell(r, 1).value == "KPI")
    by_kpi = {row[0]: row for row in summary.iter_rows(min_row=head + 1, max_row=head + 10, values_only=True)}
    assert by_kpi["KPI 1 Suitable accommodation"][2] == denominators.pop()
    facts = {summary.cell(r, 1).value: summary.cell(r, 2).value for r in range(2, head)}
    assert facts["YOT code"] == "4321"
    assert facts["Prepared by"].startswith("Ann Smith (Service manager), ")


def _return_book(ds, q=Q, **kw) -> openpyxl.Workbook:
    import io

    return openpyxl.load_workbook(io.BytesIO(yr.return_xlsx(yr.build_return(ds, q, **kw))))


def test_every_sheet_prints_a4_landscape_fitted_to_the_width_with_its_headers_repeated():
    ds, _ = _small_service()
    wb = _return_book(ds)
    for ws in wb.worksheets:
        setup = ws.page_setup
        assert int(setup.paperSize) == 9  # A4 in the OOXML paper-size codes
        assert ws.sheet_properties.pageSetUpPr.fitToPage and setup.fitToWidth == 1 and setup.fitToHeight == 0
        assert setup.orientation == ("portrait" if ws.title == "Summary" else "landscape")
        assert ws.print_title_rows, ws.title  # the header rows repeat on every printed page
        assert ws.oddFooter.right.text == "Page &P of &N"


def test_no_heading_is_cut_off():
    """Every header cell wraps, and each word of it fits its (merged) column width: no "Numerato"."""
    ds, _ = _small_service()
    wb = _return_book(ds)
    for ws in wb.worksheets:
        head = next(r for r in range(1, 20) if ws.cell(r, 1).value in ("Measure", "KPI"))
        widths = {col: ws.column_dimensions[openpyxl.utils.get_column_letter(col)].width
                  for col in range(1, ws.max_column + 1)}
        spans = {(m.min_row, m.min_col): range(m.min_col, m.max_col + 1) for m in ws.merged_cells.ranges}
        for r in (head, head + 1):
            for col in range(1, ws.max_column + 1):
                text = ws.cell(r, col).value
                if not isinstance(text, str):
                    continue
                width = sum(widths[c] for c in spans.get((r, col), [col]))
                longest = max(len(w) for w in text.split())
                assert longest + 1 <= width, (ws.title, text, width)
                assert ws.cell(r, col).alignment.wrap_text or len(text) + 1 <= width, (ws.title, text)
        for r, label, _ in _body(ws) if ws.title != "Summary" else ():  # a long measure wraps, never cut
            assert len(label) + 1 <= widths[1] or ws.cell(r, 1).alignment.wrap_text, (ws.title, label)


def test_yot_code_and_preparer_are_on_every_sheet():
    ds, _ = _small_service()
    wb = _return_book(ds, yot_code="1234", preparer=yr.Preparer("Ann Smith", "Service manager",
                                                                dt.date(2023, 7, 14)))
    for ws in wb.worksheets:
        text = " ".join(str(c.value) for row in ws.iter_rows(max_row=8) for c in row if c.value)
        assert "1234" in text and "Ann Smith (Service manager), 14 Jul 2023" in text, ws.title
        assert "1234" in ws.oddFooter.left.text


def test_start_rows_are_split_by_school_age_at_the_start_and_say_so():
    """D (born 15 Jan 2007) passes school-leaving age (the last Friday of June 2023, 30 Jun) during her
    referral order, 1 Jan 2023 to 30 Jun 2023, suitable accommodation at the start: she is under School age
    in the start rows and under Above school age in the rows about the end, and the note says why."""
    s = Service()
    d = s.child(dob="2007-01-15")
    s.order(d, "Referral Order", "2023-01-01", "2023-06-30", accommodation_suitable_start="Suitable",
            accommodation_suitable_end="Suitable")
    ds = s.build()
    ret = yr.build_return(ds, Q)
    sheet = ret.sheet("KPI1 Accommodation")
    assert sheet.value("Suitable at the start", ("Referral order", "School age")) == 1
    assert sheet.value("Suitable at the end", ("Referral order", "Above school age")) == 1
    assert sheet.value("Children with an order ending", ("Referral order", "Above school age")) == 1
    wb = _return_book(ds)
    #: the rows about the start of the order, whose split is by school age on the start date (by hand from
    #: the YJB's KPI 1 and KPI 2 start measures); the other sheets' rows are all split on the end date
    start = {"KPI1 Accommodation": {"Suitable at the start", "Unsuitable at the start"},
             "KPI2 ETE": {"Suitable at the start", "Unsuitable at the start", "Offered full time at the start",
                          "Offered part time at the start"}}
    for name in ORDER_SHEET_NAMES:
        ws = wb[name]
        labels = [label for _, label, _ in _body(ws)]
        assert {lab[:-2] for lab in labels if lab.endswith(" †")} == start.get(name, set()), name
        notes = [ws.cell(r, 1).value for r in range(1, ws.max_row + 1)]
        says = "rows marked †" if name in start else "by their age on the order's end date"
        assert any(n and n.startswith("School age:") and says in n for n in notes), name


def test_the_return_prints_one_a4_page_per_sheet(tmp_path):
    """LibreOffice prints the demo's return on 11 A4 pages (it printed 34 portrait pages before the print setup)."""
    from benchmarks.bench_yjb_return import pdf_pages
    from yj_metrics.demo import demo_dataset

    data = yr.return_xlsx(yr.build_return(demo_dataset(seed=7, children=600), quarter(2023, 4)))
    pages, sizes = pdf_pages(data, tmp_path)
    assert pages == 11
    assert all(round(min(w, h)) == 210 and round(max(w, h)) == 297 for w, h in sizes)
    assert sum(w > h for w, h in sizes) == 10  # every KPI sheet landscape


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


def test_the_managers_panel_prints_the_yot_code_and_the_preparer(store_url, monkeypatch, demo_dataset):
    from yj_metrics.periods import reporting_quarter

    from streamlit.testing.v1 import AppTest

    from yj_metrics.settings import Settings
    from yj_metrics.store import Store

    Store(store_url).save_settings(Settings(yot_code="4321"))
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=120)
    at.query_params["indicator"] = "kpi2_ete"
    at.run()
    assert not at.exception, at.exception
    assert at.text_input(key="yjb_return_preparer_role").value == "Service manager"  # from the signed-in role
    at.text_input(key="yjb_return_preparer").set_value("Ann Smith")
    at.button(key="yjb_return_button").click().run()
    assert not at.exception, at.exception
    ret = at.session_state[f"yjb_return_{reporting_quarter(demo_dataset.covers[1]).label}"]
    assert ret.yot_code == "4321" and ret.preparer.name == "Ann Smith" and ret.preparer.role == "Service manager"
    assert ret.preparer.on == dt.date.today()
    assert any("Prepared by Ann Smith (Service manager)" in c.value.replace("\\", "") for c in at.caption)
