"""The broken-workbook corpus: every planted problem is reported at its sheet, row and column."""
from __future__ import annotations

import io

import openpyxl
import pytest

from tests.broken_workbooks import MANY, SINGLE_EDITS, broken_workbooks, valid_xlsx
from yj_metrics.validation import validate_bytes

CASES = broken_workbooks()


def _located(problems):
    return {(p.sheet, p.row, p.column, p.severity) for p in problems}


def test_corpus_is_large_enough_and_ends_with_many_problems():
    singles = [c for c in CASES if c.name != "many_problems"]
    assert len(singles) >= 20
    assert all(len(c.expected) == 1 for c in singles)
    assert CASES[-1].name == "many_problems" and len(CASES[-1].expected) == len(MANY)
    assert sum(c.has_errors for c in singles) >= 20


def test_the_valid_workbook_is_valid():
    report = validate_bytes(valid_xlsx(), "valid.xlsx")
    assert report.ok and not report.errors and not report.warnings


def test_every_case_is_a_real_xlsx_file():
    for case in CASES:
        wb = openpyxl.load_workbook(io.BytesIO(case.xlsx))
        assert "Interventions" in wb.sheetnames


@pytest.mark.parametrize("case", [c for c in CASES if c.name != "many_problems"],
                         ids=lambda c: c.name)
def test_planted_problem_reported_exactly_there(case):
    report = validate_bytes(case.xlsx, f"{case.name}.xlsx")
    (expected,) = case.expected
    assert report.unreadable is None
    if expected.severity == "error":
        # The one planted error, and nothing else: no cascade of follow-on errors.
        assert _located(report.errors) == {(expected.sheet, expected.row, expected.column,
                                            "error")}
        assert report.dataset is None and not report.ok
    else:
        assert report.errors == () and report.ok and report.dataset is not None
        assert _located(report.warnings) == {(expected.sheet, expected.row, expected.column,
                                              "warning")}
    (p,) = [p for p in report.problems if p.severity == expected.severity]
    # The message names the place, so a manager can find the cell.
    assert p.message.startswith(expected.sheet) or f"'{expected.sheet}'" in p.message
    if expected.row is not None and expected.row > 1:
        assert f"row {expected.row}" in p.message


def test_many_problems_all_reported_in_one_pass():
    case = CASES[-1]
    report = validate_bytes(case.xlsx, "many.xlsx")
    want = {(e.sheet, e.row, e.column, e.severity) for e in case.expected}
    assert _located(report.problems) == want
    assert len(report.errors) == sum(e.severity == "error" for e in case.expected)
    assert report.dataset is None


def test_each_single_case_name_is_described():
    assert all(desc for desc, _ in SINGLE_EDITS.values())
