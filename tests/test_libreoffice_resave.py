"""A workbook re-saved by LibreOffice validates identically to the openpyxl original."""
from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess

import openpyxl
import pandas as pd
import pytest

from tests.broken_workbooks import broken_workbooks, valid_xlsx
from yj_metrics.dataset import FRAME_OF_SHEET
from yj_metrics.reading import read_workbook
from yj_metrics.validation import validate_bytes

#: Broken cases re-saved too: dates typed as text, numbers as dates, booleans, many problems.
RESAVED_CASES = ("unparseable_date", "number_as_date", "bad_yes_no", "personal_name_column",
                 "age_under_10", "many_problems")


def _dates_xlsx() -> bytes:
    """Date cells, a date-time cell, a number shown as a date, and a plain number."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Dates"
    ws.append(["date", "datetime", "number_as_date", "number", "bool", "text"])
    ws.append([dt.date(2023, 4, 3), dt.datetime(2023, 4, 3, 13, 30), 45019, 45019, True,
               "03/04/2023"])
    ws.append([dt.date(1999, 12, 31), dt.datetime(2000, 1, 1), 36526, 2.5, False, "x"])
    ws["C2"].number_format = "dd/mm/yyyy"
    ws["C3"].number_format = "d mmmm yyyy"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def resaved(tmp_path_factory):
    """``{name: (original_bytes, libreoffice_bytes)}``; one soffice run converts them all."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed: the test command installs it"
    base = tmp_path_factory.mktemp("lo")
    src, out = base / "src", base / "out"
    src.mkdir()
    out.mkdir()
    originals = {"valid": valid_xlsx(), "dates": _dates_xlsx()}
    originals.update({c.name: c.xlsx for c in broken_workbooks() if c.name in RESAVED_CASES})
    for name, data in originals.items():
        (src / f"{name}.xlsx").write_bytes(data)
    subprocess.run([soffice, f"-env:UserInstallation=file://{base}/profile", "--headless",
                    "--convert-to", "xlsx", "--outdir", str(out),
                    *sorted(str(p) for p in src.iterdir())],
                   check=True, capture_output=True, timeout=300)
    result = {}
    for name, data in originals.items():
        converted = (out / f"{name}.xlsx").read_bytes()
        assert converted != data  # really re-written by LibreOffice
        result[name] = (data, converted)
    return result


def test_valid_workbook_resaved_gives_identical_dataset(resaved):
    original, converted = resaved["valid"]
    a = validate_bytes(original, "monthly.xlsx")
    b = validate_bytes(converted, "monthly.xlsx")
    assert a.ok and b.ok
    assert a.to_json_dict() == b.to_json_dict() == {"errors": [], "warnings": []}
    for frame in FRAME_OF_SHEET.values():
        pd.testing.assert_frame_equal(getattr(a.dataset, frame), getattr(b.dataset, frame),
                                      check_exact=True, obj=frame)


@pytest.mark.parametrize("name", RESAVED_CASES)
def test_broken_workbook_resaved_reports_identical_problems(resaved, name):
    original, converted = resaved[name]
    a = validate_bytes(original, "monthly.xlsx")
    b = validate_bytes(converted, "monthly.xlsx")
    assert a.problems  # each of these has something to report
    assert a.to_json_dict() == b.to_json_dict()
    assert (a.dataset is None) == (b.dataset is None)
    if a.dataset is not None:
        for frame in FRAME_OF_SHEET.values():
            pd.testing.assert_frame_equal(getattr(a.dataset, frame), getattr(b.dataset, frame),
                                          check_exact=True, obj=frame)


@pytest.mark.parametrize("name", ["valid", "dates", "many_problems"])
def test_raw_cells_identical_after_resave(resaved, name):
    """python-calamine returns the same raw values (dates as dates) from both files."""
    original, converted = resaved[name]
    a, b = read_workbook(original, "a.xlsx"), read_workbook(converted, "b.xlsx")
    assert list(a.sheets) == list(b.sheets)
    for sheet in a.sheets:
        assert a.sheets[sheet].header == b.sheets[sheet].header
        assert a.sheets[sheet].row_numbers == b.sheets[sheet].row_numbers
        for ra, rb in zip(a.sheets[sheet].rows, b.sheets[sheet].rows):
            assert ra == rb and [type(v) for v in ra] == [type(v) for v in rb], sheet
    if name == "dates":
        # 45019 and 36526 days after 30 Dec 1899: 3 Apr 2023 and 1 Jan 2000.
        assert b.sheets["Dates"].rows == (
            (dt.date(2023, 4, 3), dt.datetime(2023, 4, 3, 13, 30), dt.date(2023, 4, 3), 45019.0,
             True, "03/04/2023"),
            # A date-time at exactly midnight comes back as a plain date.
            (dt.date(1999, 12, 31), dt.date(2000, 1, 1), dt.date(2000, 1, 1), 2.5, False, "x"))
