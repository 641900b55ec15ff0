"""The blank template: every sheet and column, dropdown lists, instructions."""

import openpyxl

from yj_metrics import contract as c
from yj_metrics import validation
from yj_metrics.writing import template_xlsx


def test_template_has_every_sheet_column_and_dropdowns(tmp_path):
    path = tmp_path / "template.xlsx"
    path.write_bytes(template_xlsx())
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames[0] == "Instructions"
    for spec in c.SHEETS:
        ws = wb[spec.name]
        assert [cell.value for cell in ws[1]] == list(spec.column_names)
        vocab_cols = [col for col in spec.columns if col.kind == "vocab"]
        if vocab_cols:
            formulas = [dv.formula1 for dv in ws.data_validations.dataValidation]
            assert len([f for f in formulas if f.startswith("=Lists!")]) >= len(vocab_cols)
    lists = wb["Lists"]
    assert lists.sheet_state == "hidden"
    listed = {cell.value for col in lists.iter_cols() for cell in col}
    assert "Youth Rehabilitation Order" in listed and "Asian - Chinese" in listed


def test_blank_template_reports_only_missing_data_not_its_own_sheets():
    report = validation.validate_bytes(template_xlsx(), "template.xlsx")
    sheets_flagged = {p.sheet for p in report.problems}
    assert "Instructions" not in sheets_flagged and "Lists" not in sheets_flagged
    assert not report.ok  # no children yet: it cannot be loaded as it stands
