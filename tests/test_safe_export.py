"""Formula-like cells are neutralised in every CSV and Excel file we write (the OWASP rule)."""
from __future__ import annotations

import csv
import io
import subprocess
import sys

import pandas as pd
from openpyxl import load_workbook

from yj_metrics.safe_export import csv_bytes, neutralise
from yj_metrics.writing import dataset_to_xlsx

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"click\")", "=cmd|' /C calc'!A0", "@SUM(1)", "+1+1", "-2+3",
           "\tTAB", "\rCR"]


def test_every_formula_start_is_neutralised_and_plain_text_is_not():
    for v in HOSTILE:
        assert neutralise(v) == "'" + v
    for v in ["Hello", "a=b", "", "O'Neil", "1-2"]:
        assert neutralise(v) == v
    assert neutralise(-5) == -5 and neutralise(3.5) == 3.5 and neutralise(None) is None


def test_csv_bytes_neutralises_cells_and_headers_but_keeps_numbers():
    df = pd.DataFrame({"message": HOSTILE, "n": range(len(HOSTILE)), "=bad header": ["x"] * len(HOSTILE)})
    df["neg"] = -1.5
    rows = list(csv.reader(io.StringIO(csv_bytes(df).decode("utf-8"), newline="")))
    assert rows[0] == ["message", "n", "'=bad header", "neg"]
    for row, v in zip(rows[1:], HOSTILE):
        assert row[0] == "'" + v
        assert not row[0].startswith(("=", "+", "-", "@", "\t", "\r"))
        assert row[3] == "-1.5"  # a number stays a number


def test_problem_list_csv_from_a_hostile_workbook(tmp_path):
    """The upload page's problem list: cells from the uploaded file arrive neutralised."""
    from openpyxl import Workbook

    from yj_metrics.validation import validate_bytes

    wb = Workbook()
    ws = wb.active
    ws.title = "Children"
    ws.append(["child_id", "date_of_birth", "gender", "ethnicity"])
    for v in HOSTILE[:3]:
        ws.append([v, "not a date", "=cmd|' /C calc'!A0", "@SUM(1)"])
    buf = io.BytesIO()
    wb.save(buf)
    report = validate_bytes(buf.getvalue(), "hostile.xlsx")
    text = csv_bytes(report.to_frame()).decode("utf-8")
    assert "'@SUM(1)" in text  # the uploaded value reaches the problem list, neutralised
    for row in csv.reader(io.StringIO(text, newline="")):
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), cell


def test_xlsx_written_by_the_cli_has_no_formula_cells(demo_dataset, tmp_path):
    kids = demo_dataset.children.copy()
    kids.loc[kids.index[0], "locality"] = "=HYPERLINK(\"http://evil.example\")"
    ds = type(demo_dataset).from_frames(children=kids, outcomes=demo_dataset.outcomes,
                                        interventions=demo_dataset.interventions)
    wb = load_workbook(io.BytesIO(dataset_to_xlsx(ds)))
    cells = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == "'=HYPERLINK(\"http://evil.example\")" for c in cells)
    out = tmp_path / "t.xlsx"
    r = subprocess.run([sys.executable, "-m", "yj_metrics", "template", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    wb = load_workbook(out)
    assert not [c.coordinate for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.data_type == "f"]
