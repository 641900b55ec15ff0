"""The Upload page's problem list (ui/problems.py): grouped by sheet in the report's order, values shown
literally, a very long list cut per sheet with the full count said."""
from __future__ import annotations

from yj_metrics.validation import Problem, ValidationReport
from ui.problems import SHOWN_PER_SHEET, WHOLE_WORKBOOK, problem_tables


def _report() -> ValidationReport:
    errors = [Problem("Outcomes", r, "outcome_date", f"[x](http://evil.example/{r})", f"Outcomes row {r}: bad date.")
              for r in range(2, 452)]  # 450 on one sheet
    errors += [Problem("Children", 3, "resident", "<b>Maybe</b>", "Children row 3: not Y/N."),
               Problem(None, None, None, None, "The Children sheet is missing.")]
    warnings = [Problem("Children", 1, "First Name", None, "Children: a name column was dropped.", "warning")]
    return ValidationReport(errors=tuple(errors), warnings=tuple(warnings))


def test_grouped_by_sheet_with_counts_and_a_cap():
    tables = {sheet: (table, e, w) for sheet, table, e, w in problem_tables(_report().to_frame())}
    assert set(tables) == {"Outcomes", "Children", WHOLE_WORKBOOK}
    table, errors, warnings = tables["Outcomes"]
    assert (errors, warnings, len(table)) == (450, 0, SHOWN_PER_SHEET)
    assert tables["Children"][1:] == (1, 1)
    assert list(tables["Children"][0]["Severity"]) == ["Error", "Warning"]
    assert list(tables[WHOLE_WORKBOOK][0]["Row"]) == [""]


def test_values_from_the_workbook_cannot_form_links_or_markup():
    tables = {sheet: table for sheet, table, _, _ in problem_tables(_report().to_frame())}
    value = tables["Outcomes"]["Value"].iloc[0]
    assert "](" not in value and value.replace("\\", "").replace("\u2060", "") == "[x](http://evil.example/2)"
    assert "<b>" not in tables["Children"]["Value"].iloc[0]
