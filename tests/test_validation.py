"""Validation rules, each on small hand-built data; the happy path's Dataset types and values."""
from __future__ import annotations

import copy
import datetime as dt
import json

import pandas as pd
import pytest

from tests.broken_workbooks import (add_column, append_row, drop_column, set_cell, to_xlsx,
                                    valid_workbook_rows, valid_xlsx)
from yj_metrics.dataset import frame_columns
from yj_metrics.reading import RawSheet, RawWorkbook
from yj_metrics.validation import Problem, ValidationReport, validate, validate_bytes

D = dt.date
TODAY = D(2026, 11, 22)


def _cell(v):
    """What python-calamine returns: numbers as floats, empty cells as None."""
    if isinstance(v, bool):
        return v
    if isinstance(v, int):
        return float(v)
    return v


def raw_of(rows: dict[str, list[list]]) -> RawWorkbook:
    """A RawWorkbook straight from ``{sheet: [header, row...]}`` (row i = Excel row i+1)."""
    sheets = {}
    for name, table in rows.items():
        header = tuple(table[0]) if table else ()
        body = [tuple(_cell(v) for v in r) for r in table[1:]]
        sheets[name] = RawSheet(name, header, tuple(body), tuple(range(2, len(body) + 2)))
    return RawWorkbook("test.xlsx", sheets)


def check(rows, today=TODAY) -> ValidationReport:
    return validate(raw_of(rows), today=today)


def wb():
    return copy.deepcopy(valid_workbook_rows())


def where(report, severity="error"):
    items = report.errors if severity == "error" else report.warnings
    return {(p.sheet, p.row, p.column) for p in items}


# ------------------------------------------------------------------ happy path

def test_valid_workbook_has_no_problems_and_gives_a_dataset():
    report = check(wb())
    assert report.ok and report.errors == () and report.warnings == ()
    assert report.unreadable is None
    ds = report.dataset
    assert ds is not None and ds.file_name == "test.xlsx"
    assert ds.row_counts == {"Children": 5, "Outcomes": 6, "Interventions": 7, "Victims": 2,
                             "Remands": 1, "Board_attendance": 3, "Population": 3,
                             "Benchmarks": 1}


def test_dataset_has_canonical_columns_and_types():
    ds = check(wb()).dataset
    for frame in ("children", "outcomes", "interventions", "victims", "remands",
                  "board_attendance", "population", "benchmarks"):
        df = getattr(ds, frame)
        expected = frame_columns(frame)
        assert list(df.columns) == list(expected), frame
        for col, dtype in expected.items():
            assert str(df[col].dtype) == str(pd.Series(dtype=dtype).dtype), (frame, col)


def test_dataset_values_and_derived_columns_worked_out_by_hand():
    ds = check(wb()).dataset
    ch = ds.children.set_index("child_id")
    # C002 is DfE code MWBC; C003 gender "Boy"; C004 "F"; C005 blanks take the defaults.
    assert ch.loc["C002", "ethnicity"] == "Mixed - White and Black Caribbean"
    assert ch.loc["C002", "ethnicity_group"] == "Mixed"
    assert ch.loc["C003", "gender"] == "Male" and ch.loc["C004", "gender"] == "Female"
    assert ch.loc["C005", "ethnicity"] == "Not known"
    assert ch.loc["C005", "ethnicity_group"] == "Not known"
    assert ch.loc["C005", "resident"] == True  # noqa: E712 (contract default Y)
    assert ch.loc["C005", "prior_substantive_outcome"] == False  # noqa: E712 (default N)
    assert ch.loc["C003", "resident"] == False and ch.loc["C003", "prior_substantive_outcome"]
    assert ch.loc["C004", "resident"] == True and ch.loc["C004", "prior_substantive_outcome"] == False  # noqa: E712,E501
    assert ch.loc["C001", "date_of_birth"] == pd.Timestamp("2008-05-14")
    out = ds.outcomes.set_index("outcome_id")
    assert out["tier"].to_dict() == {"O001": "Diversion", "O002": "First-tier",
                                     "O003": "Pre-court", "O004": "Community",
                                     "O005": "Custody", "O006": "Diversion"}
    assert out.loc["O003", "looked_after"] == True  # noqa: E712
    assert out.loc["O003", "overturned_on_appeal"] == False  # noqa: E712 (blank -> default N)
    assert out.loc["O004", "gravity_score"] == 6
    assert pd.isna(out.loc["O001", "court"])
    iv = ds.interventions.set_index("intervention_id")
    assert iv.loc["I006", "tier"] == "Prevention" and iv.loc["I002", "tier"] == "First-tier"
    assert pd.isna(iv.loc["I006", "outcome_id"]) and pd.isna(iv.loc["I004", "end_date"])
    assert iv.loc["I002", "ete_hours_attended_end"] == 12.5
    assert iv.loc["I007", "send_identified"] == True  # noqa: E712 (1 = Y)
    assert iv.loc["I007", "send_plan"] == False  # noqa: E712 (0 = N)
    assert pd.isna(iv.loc["I004", "early_help"])  # blank = not recorded
    assert iv.loc["I004", "sm_attended"] == False  # noqa: E712
    assert iv.loc["I005", "mh_need"] == False and iv.loc["I005", "send_identified"] == True  # noqa: E712,E501
    assert iv.loc["I002", "panel_date"] == pd.Timestamp("2023-04-05")
    pop = ds.population
    assert pop["age_band"].tolist() == ["10-14", "15-17", "10-14"]
    assert pop["age"].isna().tolist() == [False, True, False]


def test_names_match_case_and_space_insensitively():
    rows = wb()
    rows[" children "] = rows.pop("Children")
    rows[" children "][0] = ["Child ID", " DATE OF BIRTH", "Gender", "ethnicity ", "Locality",
                             "Resident", "Prior Substantive Outcome"]
    rows["OUTCOMES"] = rows.pop("Outcomes")
    report = check(rows)
    assert report.ok, report.errors
    assert len(report.dataset.children) == 5 and len(report.dataset.outcomes) == 6


def test_optional_sheets_may_be_absent():
    rows = wb()
    for name in ("Victims", "Remands", "Board_attendance", "Population", "Benchmarks"):
        del rows[name]
    report = check(rows)
    assert report.ok and report.warnings == ()
    assert report.dataset.victims.empty and list(report.dataset.victims.columns) == list(
        frame_columns("victims"))


def test_optional_columns_may_be_absent():
    rows = wb()
    for col in ("gender", "ethnicity", "resident", "prior_substantive_outcome"):
        drop_column(rows, "Children", col)
    report = check(rows)
    assert report.ok
    ch = report.dataset.children
    assert set(ch["gender"]) == {"Not known"} and set(ch["ethnicity_group"]) == {"Not known"}
    assert ch["resident"].all() and not ch["prior_substantive_outcome"].any()


# ------------------------------------------------------------------ Y/N

@pytest.mark.parametrize("value, expected", [
    ("Y", True), ("y", True), ("Yes", True), ("YES", True), (" yes ", True), ("True", True),
    ("TRUE", True), ("1", True), (1, True), (True, True),
    ("N", False), ("n", False), ("No", False), ("nO", False), ("False", False),
    ("false", False), ("0", False), (0, False), (False, False),
])
def test_yes_no_values_accepted(value, expected):
    rows = wb()
    set_cell(rows, "Interventions", 2, "early_help", value)
    report = check(rows)
    assert report.ok, report.errors
    assert report.dataset.interventions.loc[0, "early_help"] == expected


def test_blank_yes_no_is_not_recorded():
    rows = wb()
    set_cell(rows, "Interventions", 2, "early_help", None)
    assert pd.isna(check(rows).dataset.interventions.loc[0, "early_help"])


@pytest.mark.parametrize("value", ["Maybe", "2", 2, "YN", "x", 0.5])
def test_bad_yes_no_values(value):
    rows = wb()
    set_cell(rows, "Interventions", 3, "mh_need", value)
    report = check(rows)
    assert where(report) == {("Interventions", 3, "mh_need")}
    assert "Y or N" in report.errors[0].message


# ------------------------------------------------------------------ dates

@pytest.mark.parametrize("value", [
    D(2023, 4, 3), dt.datetime(2023, 4, 3), dt.datetime(2023, 4, 3, 14, 45), "2023-04-03",
    "03/04/2023", "3/4/2023", "03-04-2023", "03.04.2023", "3 April 2023", "3 Apr 2023",
    " 2023-04-03 ", "2023-04-03 00:00:00", "2023-04-03T00:00:00",
])
def test_dates_accepted_as_3_april_2023(value):
    rows = wb()
    set_cell(rows, "Outcomes", 4, "outcome_date", value)   # O004, offence 1 Jun 2023
    set_cell(rows, "Outcomes", 4, "offence_date", D(2023, 3, 1))
    report = check(rows)
    assert report.ok, report.errors
    assert report.dataset.outcomes.loc[2, "outcome_date"] == pd.Timestamp("2023-04-03")


@pytest.mark.parametrize("value, phrase", [
    ("31/02/2023", "not a date"), ("2023-13-01", "not a date"), ("next week", "not a date"),
    ("04/31/2023", "not a date"), ("2023", "not a date"), ("2023-04", "not a date"),
    ("45019", "not a date"), (45019, "is a number"), (dt.time(10, 30), "time"),
    (True, "TRUE/FALSE"),
])
def test_unreadable_dates(value, phrase):
    rows = wb()
    set_cell(rows, "Interventions", 3, "start_date", value)
    report = check(rows)
    assert where(report) == {("Interventions", 3, "start_date")}
    assert phrase in report.errors[0].message


def test_future_date_relative_to_today_and_before_1990():
    rows = wb()
    set_cell(rows, "Board_attendance", 2, "meeting_date", D(2026, 11, 23))   # tomorrow
    set_cell(rows, "Board_attendance", 3, "meeting_date", D(2026, 11, 22))   # today: fine
    set_cell(rows, "Board_attendance", 4, "meeting_date", D(1989, 12, 31))
    report = check(rows, today=D(2026, 11, 22))
    assert where(report) == {("Board_attendance", 2, "meeting_date"),
                             ("Board_attendance", 4, "meeting_date")}
    msgs = {p.row: p.message for p in report.errors}
    assert "future" in msgs[2] and "1990" in msgs[4]
    set_cell(rows, "Board_attendance", 4, "meeting_date", D(1990, 1, 1))
    assert where(check(rows, today=D(2026, 11, 23))) == set()


def test_end_before_start_and_outcome_before_offence():
    rows = wb()
    set_cell(rows, "Interventions", 3, "end_date", D(2023, 3, 20))   # starts 21 Mar 2023
    set_cell(rows, "Interventions", 4, "end_date", D(2022, 10, 2))   # same day: fine
    set_cell(rows, "Outcomes", 2, "offence_date", D(2022, 4, 11))    # outcome 10 Apr 2022
    set_cell(rows, "Remands", 2, "end_date", D(2022, 12, 1))         # remand from 2 Dec 2022
    report = check(rows)
    assert where(report) == {("Interventions", 3, "end_date"), ("Outcomes", 2, "outcome_date"),
                             ("Remands", 2, "end_date")}


@pytest.mark.parametrize("outcome_date, ok", [
    (D(2018, 5, 13), False),   # the day before the 10th birthday: 9
    (D(2018, 5, 14), True),    # 10th birthday
    (D(2026, 5, 13), True),    # last day of being 17
    (D(2026, 5, 14), False),   # 18th birthday
])
def test_age_at_outcome_date_must_be_10_to_17(outcome_date, ok):
    rows = wb()   # C001 born 14 May 2008; O001 is row 2
    set_cell(rows, "Outcomes", 2, "offence_date", None)
    set_cell(rows, "Outcomes", 2, "outcome_date", outcome_date)
    report = check(rows, today=D(2027, 1, 1))
    assert where(report) == (set() if ok else {("Outcomes", 2, "outcome_date")})
    if not ok:
        assert "10-17" in report.errors[0].message and "Children row 2" in report.errors[0].message


# ------------------------------------------------------------------ vocabularies

@pytest.mark.parametrize("value, canonical", [
    ("Referral Order", "Referral Order"), ("referral order", "Referral Order"),
    ("  REFERRAL   ORDER ", "Referral Order"), ("Section 250", "Section 250"),
    ("youth rehabilitation order", "Youth Rehabilitation Order"),
])
def test_vocabulary_matches_ignoring_case_and_spaces(value, canonical):
    rows = wb()
    set_cell(rows, "Outcomes", 3, "outcome_type", value)
    report = check(rows)
    assert report.ok, report.errors
    assert report.dataset.outcomes.loc[1, "outcome_type"] == canonical


def test_vocabulary_typo_suggests_closest_value():
    rows = wb()
    set_cell(rows, "Outcomes", 14 - 12, "outcome_type", "Refferal Order")
    set_cell(rows, "Interventions", 2, "ete_provision_end", "Colege")
    set_cell(rows, "Outcomes", 3, "court", "Magistrates court")   # accepted: punctuation
    report = check(rows)
    msgs = {(p.sheet, p.column): p.message for p in report.errors}
    assert msgs[("Outcomes", "outcome_type")] == (
        "Outcomes row 2, column outcome_type: 'Refferal Order' is not an allowed outcome type. "
        "Did you mean 'Referral Order'?")
    assert "Did you mean 'College'?" in msgs[("Interventions", "ete_provision_end")]
    assert len(report.errors) == 2


def test_vocabulary_with_no_close_match_lists_allowed_values():
    rows = wb()
    set_cell(rows, "Interventions", 2, "completion", "zzz")
    (p,) = check(rows).errors
    assert (p.sheet, p.row, p.column, p.value) == ("Interventions", 2, "completion", "zzz")
    assert "Completed, Not completed, Breached, Revoked" in p.message


@pytest.mark.parametrize("value, detailed, group", [
    ("WBRI", "White - British", "White"), ("white british", "White - British", "White"),
    ("Chinese", "Asian - Chinese", "Asian"), ("CHNE", "Asian - Chinese", "Asian"),
    ("Arab", "Other - Arab", "Other"), ("Refused", "Not known - Refused", "Not known"),
    ("Black", "Black", "Black"), ("Mixed: White and Asian", "Mixed - White and Asian", "Mixed"),
])
def test_ethnicity_variants(value, detailed, group):
    rows = wb()
    set_cell(rows, "Children", 2, "ethnicity", value)
    ch = check(rows).dataset.children
    assert (ch.loc[0, "ethnicity"], ch.loc[0, "ethnicity_group"]) == (detailed, group)


@pytest.mark.parametrize("value, canonical", [
    ("M", "Male"), ("f", "Female"), ("Girl", "Female"), ("boy", "Male"), (None, "Not known"),
    ("Other", "Other"),
])
def test_gender_variants(value, canonical):
    rows = wb()
    set_cell(rows, "Children", 2, "gender", value)
    assert check(rows).dataset.children.loc[0, "gender"] == canonical


def test_population_ethnicity_must_be_a_broad_group():
    rows = wb()
    set_cell(rows, "Population", 2, "ethnicity", "White - British")
    assert where(check(rows)) == {("Population", 2, "ethnicity")}


# ------------------------------------------------------------------ numbers

@pytest.mark.parametrize("sheet, row, column, value, ok", [
    ("Outcomes", 2, "gravity_score", 1, True), ("Outcomes", 2, "gravity_score", 8, True),
    ("Outcomes", 2, "gravity_score", 0, False), ("Outcomes", 2, "gravity_score", 9, False),
    ("Outcomes", 2, "gravity_score", 2.5, False), ("Outcomes", 2, "gravity_score", "x", False),
    ("Outcomes", 2, "gravity_score", "3", True),
    ("Interventions", 2, "ete_hours_offered_end", 0, True),
    ("Interventions", 2, "ete_hours_offered_end", 60, True),
    ("Interventions", 2, "ete_hours_offered_end", 60.5, False),
    ("Interventions", 2, "ete_hours_offered_end", -1, False),
    ("Interventions", 2, "ete_hours_offered_end", True, False),
    ("Population", 2, "age", 17, True), ("Population", 2, "age", 18, False),
    ("Population", 2, "population", -5, False), ("Population", 2, "year", 1989, False),
])
def test_numbers_in_range(sheet, row, column, value, ok):
    rows = wb()
    set_cell(rows, sheet, row, column, value)
    if (sheet, column) == ("Population", "age") and ok:
        set_cell(rows, sheet, row, "age_band", None)
    assert where(check(rows)) == (set() if ok else {(sheet, row, column)})


def test_population_repeated_row_is_an_error():
    rows = wb()
    append_row(rows, "Population", ["West", "Female", "Mixed", None, "15-17", 10, 2023])
    append_row(rows, "Population", ["West", "Female", "Mixed", None, "15-17", 10, 2024])
    report = check(rows)
    assert where(report) == {("Population", 5, "population")}
    assert "repeats row 3" in report.errors[0].message


def test_population_needs_age_or_age_band():
    rows = wb()
    set_cell(rows, "Population", 2, "age", None)   # row 2 had age 10 and no band
    assert where(check(rows)) == {("Population", 2, "age_band")}
    rows = wb()
    drop_column(rows, "Population", "age")
    drop_column(rows, "Population", "age_band")
    assert where(check(rows)) == {("Population", None, "age_band")}


# ------------------------------------------------------------------ ids and references

def test_duplicate_ids_point_at_the_first_row():
    rows = wb()
    set_cell(rows, "Interventions", 5, "intervention_id", "I001")
    set_cell(rows, "Interventions", 8, "intervention_id", "I001")
    report = check(rows)
    assert where(report) == {("Interventions", 5, "intervention_id"),
                             ("Interventions", 8, "intervention_id")}
    assert all("first on row 2" in p.message for p in report.errors)


def test_numeric_ids_match_text_ids():
    rows = wb()
    set_cell(rows, "Children", 2, "child_id", 1001)          # a number cell
    for r in (2, 3):
        set_cell(rows, "Outcomes", r, "child_id", "1001")    # text
    for r in (2, 3):
        set_cell(rows, "Interventions", r, "child_id", 1001.0)
    set_cell(rows, "Victims", 2, "child_id", "1001")
    report = check(rows)
    assert report.ok, report.errors
    assert report.dataset.children.loc[0, "child_id"] == "1001"


def test_unknown_references():
    rows = wb()
    set_cell(rows, "Outcomes", 3, "child_id", "C404")
    set_cell(rows, "Interventions", 7, "outcome_id", "O404")
    set_cell(rows, "Interventions", 7, "child_id", "C405")
    set_cell(rows, "Remands", 2, "child_id", "C406")
    set_cell(rows, "Victims", 2, "outcome_id", "O405")
    report = check(rows)
    assert where(report) == {("Outcomes", 3, "child_id"), ("Interventions", 7, "outcome_id"),
                             ("Interventions", 7, "child_id"), ("Remands", 2, "child_id"),
                             ("Victims", 2, "outcome_id")}


def test_intervention_outcome_must_belong_to_the_same_child():
    rows = wb()
    set_cell(rows, "Interventions", 4, "outcome_id", "O004")   # I003 is C002; O004 is C003
    (p,) = check(rows).errors
    assert (p.sheet, p.row, p.column) == ("Interventions", 4, "outcome_id")
    assert "'C003'" in p.message and "'C002'" in p.message


# ------------------------------------------------------------------ sheets and columns

def test_missing_required_sheets_and_columns_all_reported():
    rows = wb()
    del rows["Interventions"]
    drop_column(rows, "Children", "locality")
    drop_column(rows, "Outcomes", "outcome_date")
    rows["outcomes "] = rows.pop("Outcomes")   # still matches Outcomes
    report = check(rows)
    assert where(report) == {("Interventions", None, None), ("Children", None, "locality"),
                             ("Outcomes", None, "outcome_date")}


def test_misnamed_sheet_gets_a_hint():
    rows = wb()
    rows["Intervention"] = rows.pop("Interventions")
    report = check(rows)
    assert where(report) == {("Interventions", None, None)}
    assert "'Intervention'" in report.errors[0].message
    assert where(report, "warning") == {("Intervention", None, None)}


def test_required_sheet_with_no_rows_is_an_error():
    rows = wb()
    rows["Remands"] = [rows["Remands"][0]]            # optional: fine empty
    rows["Interventions"] = [rows["Interventions"][0]]
    assert where(check(rows)) == {("Interventions", None, None)}


def test_blank_required_cells():
    rows = wb()
    set_cell(rows, "Interventions", 3, "start_date", None)
    set_cell(rows, "Interventions", 3, "intervention_type", "  ")
    set_cell(rows, "Children", 6, "date_of_birth", None)
    report = check(rows)
    assert where(report) == {("Interventions", 3, "start_date"),
                             ("Interventions", 3, "intervention_type"),
                             ("Children", 6, "date_of_birth")}
    assert all("blank" in p.message for p in report.errors)


def test_unknown_columns_are_warnings_and_ignored():
    rows = wb()
    add_column(rows, "Outcomes", "Officer notes", ["x"] * 6)
    add_column(rows, "Outcomes", "outcome_dat", [None] * 6)
    report = check(rows)
    assert report.ok
    assert where(report, "warning") == {("Outcomes", 1, "Officer notes"),
                                        ("Outcomes", 1, "outcome_dat")}
    msgs = {p.column: p.message for p in report.warnings}
    assert "Did you mean" not in msgs["Officer notes"]
    assert "column K" in msgs["Officer notes"]
    assert "Officer notes" not in report.dataset.outcomes.columns


def test_duplicate_column_is_an_error():
    rows = wb()
    add_column(rows, "Remands", "Start Date", [D(2022, 12, 2)])
    assert where(check(rows)) == {("Remands", 1, "start_date")}


@pytest.mark.parametrize("header", ["name", "First Name", "surname", "Address", "postcode",
                                    "Post Code", "address_line_1", "Full name"])
def test_personal_columns_are_dropped_and_never_echoed(header):
    rows = wb()
    secret = ["Alice Smith", "Bob Jones", "Carol White", "Dan Brown", "Eve Black"]
    add_column(rows, "Children", header, secret)
    report = check(rows)
    assert report.ok
    assert where(report, "warning") == {("Children", 1, header)}
    assert "dropped" in report.warnings[0].message
    text = json.dumps(report.to_json_dict()) + report.to_frame().to_csv()
    for frame in ("children", "outcomes", "interventions"):
        df = getattr(report.dataset, frame)
        text += df.to_csv()
        assert header not in df.columns
    assert not any(s in text for s in secret)


def test_unknown_sheet_is_a_warning_but_instructions_sheet_is_not():
    rows = wb()
    rows["Instructions"] = [["How to fill in this workbook"], ["..."]]
    rows["Scratch"] = [["a"], [1]]
    report = check(rows)
    assert report.ok and where(report, "warning") == {("Scratch", None, None)}


def test_headerless_column_with_data_is_a_warning():
    rows = wb()
    add_column(rows, "Remands", None, ["stray"])
    report = check(rows)
    assert report.ok and where(report, "warning") == {("Remands", 1, None)}


# ------------------------------------------------------------------ one pass, results, robustness

def test_every_problem_in_one_pass_across_sheets():
    rows = wb()
    set_cell(rows, "Children", 2, "gender", "Mael")
    set_cell(rows, "Children", 3, "resident", "perhaps")
    set_cell(rows, "Outcomes", 5, "gravity_score", 10)
    set_cell(rows, "Interventions", 8, "scaled_approach", "Very high")
    set_cell(rows, "Interventions", 8, "ete_hours_attended_end", 99)
    set_cell(rows, "Victims", 3, "rj_offered", "sometimes")
    set_cell(rows, "Board_attendance", 4, "attendance", "Sent apologies")
    append_row(rows, "Remands", ["R001", "C001", "Secure children's home", D(2023, 1, 1), None])
    report = check(rows)
    assert where(report) == {
        ("Children", 2, "gender"), ("Children", 3, "resident"), ("Outcomes", 5, "gravity_score"),
        ("Interventions", 8, "scaled_approach"), ("Interventions", 8, "ete_hours_attended_end"),
        ("Victims", 3, "rj_offered"), ("Board_attendance", 4, "attendance"),
        ("Remands", 3, "remand_id")}
    assert report.dataset is None and not report.ok


def test_problem_and_report_shapes():
    rows = wb()
    set_cell(rows, "Outcomes", 3, "outcome_type", "Refferal Order")
    add_column(rows, "Children", "Favourite colour", [])
    set_cell(rows, "Children", 4, "resident", "perhaps")
    report = check(rows)
    p = report.errors[0]
    assert isinstance(p, Problem)
    with pytest.raises(Exception):
        p.row = 5  # frozen
    assert set(p.to_dict()) == {"sheet", "row", "column", "value", "message", "severity"}
    j = report.to_json_dict()
    assert set(j) == {"errors", "warnings"} and len(j["errors"]) == 2 and len(j["warnings"]) == 1
    json.dumps(j)
    frame = report.to_frame()
    assert list(frame.columns) == ["severity", "sheet", "row", "column", "value", "message"]
    # Errors first, then sheets in contract order (Children before Outcomes), then rows.
    assert frame[["severity", "sheet", "row"]].values.tolist() == [
        ["error", "Children", 4], ["error", "Outcomes", 3], ["warning", "Children", 1]]


def test_empty_report_frame_has_columns():
    frame = check(wb()).to_frame()
    assert frame.empty and "message" in frame.columns


@pytest.mark.parametrize("weird", [dt.timedelta(days=3), dt.time(1, 2), float("nan"), 1e300,
                                   -0.0, "#DIV/0!", "=SUM(A1:A3)", "\u00a0", "😀" * 50, True])
def test_odd_cell_values_anywhere_never_crash(weird):
    rows = wb()
    for sheet, table in rows.items():
        for col in table[0]:
            set_cell(rows, sheet, 2, col, weird)
    report = check(rows)   # must not raise
    assert all(p.message for p in report.problems)
    assert not any("unexpected problem" in p.message for p in report.problems)


def test_odd_headers_never_crash():
    rows = wb()
    rows["Children"][0][2] = D(2023, 1, 1)
    rows["Children"][0][3] = 42
    rows["Outcomes"][1].extend(["extra", "cells", "beyond", "the", "header"])
    report = check(rows)
    assert not any("unexpected problem" in p.message for p in report.problems)
    assert ("Children", None, "locality") not in where(report)


def test_validate_bytes_round_trip_through_a_real_file():
    rows = wb()
    set_cell(rows, "Outcomes", 3, "outcome_type", "Refferal Order")
    report = validate_bytes(to_xlsx(rows), "monthly.xlsx", today=TODAY)
    assert where(report) == {("Outcomes", 3, "outcome_type")}
    assert report.file_name == "monthly.xlsx"
    good = validate_bytes(valid_xlsx(), "monthly.xlsx")
    assert good.ok and good.dataset.file_name == "monthly.xlsx"


def test_validate_bytes_unreadable_file_gives_message_not_exception():
    report = validate_bytes(b"\x00\x01\x02not a workbook at all", "monthly.xlsx")
    assert report.unreadable and "CSV" in report.unreadable
    assert not report.ok and report.dataset is None
    assert [p.message for p in report.errors] == [report.unreadable]


# ------------------------------------------------------------------ the demo workbook

_ROOT = __import__("pathlib").Path(__file__).resolve().parents[1]
DEMO_READY = all((_ROOT / "yj_metrics" / f).exists() for f in ("demo.py", "writing.py"))


@pytest.mark.skipif(not DEMO_READY, reason="yj_metrics/demo.py and writing.py not written yet")
def test_demo_workbook_validates_with_no_errors(demo_xlsx_path, demo_dataset):
    report = validate_bytes(demo_xlsx_path.read_bytes(), demo_xlsx_path.name)
    assert report.unreadable is None
    assert report.errors == (), [p.message for p in report.errors[:10]]
    assert report.dataset.row_counts == demo_dataset.row_counts


@pytest.mark.skipif(not DEMO_READY, reason="yj_metrics/demo.py and writing.py not written yet")
def test_demo_dataset_round_trips_through_the_workbook(demo_xlsx_path, demo_dataset):
    """Dataset -> .xlsx (writing) -> validate gives back the same canonical frames."""
    got = validate_bytes(demo_xlsx_path.read_bytes(), demo_xlsx_path.name).dataset
    assert got is not None
    for frame in ("children", "outcomes", "interventions", "victims", "remands",
                  "board_attendance", "population", "benchmarks"):
        pd.testing.assert_frame_equal(getattr(got, frame).reset_index(drop=True),
                                      getattr(demo_dataset, frame).reset_index(drop=True),
                                      obj=frame)


def _add_column(rows, sheet, column, values):
    """Add a column to a sheet: ``values`` for its data rows (blank after them)."""
    rows[sheet][0].append(column)
    for i, r in enumerate(rows[sheet][1:]):
        r.append(values[i] if i < len(values) else None)


@pytest.mark.parametrize("hearing, ok", [
    (D(2026, 5, 13), True),    # first hearing on the last day of being 17: an outcome at 18 is accepted
    (D(2026, 5, 14), False),   # first hearing on the 18th birthday: rejected
])
def test_outcome_after_the_18th_birthday_is_accepted_when_the_first_hearing_was_before_it(hearing, ok):
    """Issue 12 rule 8 (QS2-fte_redshift.sql: age at first hearing <= 17). C001 is born 14 May
    2008; the outcome is on 1 Jun 2026 (aged 18), the offence date blank."""
    rows = wb()
    set_cell(rows, "Outcomes", 2, "offence_date", None)
    set_cell(rows, "Outcomes", 2, "outcome_date", D(2026, 6, 1))
    _add_column(rows, "Outcomes", "first_hearing_date", [hearing])
    report = check(rows, today=D(2027, 1, 1))
    assert where(report) == (set() if ok else {("Outcomes", 2, "outcome_date")})


def test_new_optional_columns_are_read_and_checked():
    """Issue 12 contract additions: offence_id, resident_at_outcome; release_date not before the
    start; the YJB's further out-of-court and ETE types are valid values."""
    rows = wb()
    _add_column(rows, "Outcomes", "offence_id", ["OFF-1", "OFF-1"])
    _add_column(rows, "Outcomes", "resident_at_outcome", ["N", "perhaps"])
    _add_column(rows, "Interventions", "release_date", [None, D(2020, 1, 1)])
    _add_column(rows, "Interventions", "early_help_referral", ["Y"])
    set_cell(rows, "Interventions", 2, "ete_provision_end", "Supported internship")
    report = check(rows)
    assert where(report) == {("Outcomes", 3, "resident_at_outcome"), ("Interventions", 3, "release_date")}


# --------------------------------------------------------------------------- surprises in the file (issue 15)

def _sheet(name, table, hidden=False, merged=()):
    body = [tuple(_cell(v) for v in r) for r in table[1:]]
    return RawSheet(name, tuple(table[0]), tuple(body), tuple(range(2, len(body) + 2)), hidden, tuple(merged))


def test_hidden_children_sheet_is_read_and_said():
    rows = valid_workbook_rows()
    raw = raw_of(rows)
    raw.sheets["Children"] = _sheet("Children", rows["Children"], hidden=True)
    report = validate(raw, today=TODAY)
    assert report.ok and len(report.dataset.children) == len(rows["Children"]) - 1
    [w] = [w for w in report.warnings if w.sheet == "Children"]
    assert "hidden" in w.message and "was read as the Children sheet" in w.message


def test_visible_sheet_is_read_and_hidden_namesake_ignored_and_both_named():
    rows = valid_workbook_rows()
    raw = raw_of(rows)
    old = copy.deepcopy(rows["Children"][:2])
    raw.sheets["children "] = _sheet("children ", old, hidden=True)
    report = validate(raw, today=TODAY)
    assert report.ok and len(report.dataset.children) == len(rows["Children"]) - 1
    [w] = [w for w in report.warnings if w.sheet == "Children"]
    assert "'Children' was read" in w.message and "'children '" in w.message and "ignored" in w.message


def test_other_hidden_sheets_are_named_as_ignored_but_template_lists_are_not():
    rows = valid_workbook_rows()
    raw = raw_of(rows)
    raw.sheets["Old export"] = _sheet("Old export", [["x"], ["y"]], hidden=True)
    raw.sheets["Lists"] = _sheet("Lists", [["x"], ["y"]], hidden=True)
    messages = [w.message for w in validate(raw, today=TODAY).warnings]
    assert any("Hidden sheet 'Old export'" in m for m in messages)
    assert not any("Lists" in m for m in messages)


def test_merged_header_cells_are_explained_from_a_real_file():
    from tests.hostile_workbooks import merged_header

    report = validate_bytes(merged_header(), "merged.xlsx", today=TODAY)
    merged = [w for w in report.warnings if w.value == "B1:C1"]
    assert len(merged) == 1 and merged[0].sheet == "Children" and merged[0].row == 1
    assert "Unmerge" in merged[0].message


def test_parts_outside_a_workbook_are_named_in_a_warning_and_the_file_loads():
    from tests.hostile_workbooks import small_outside_member

    report = validate_bytes(small_outside_member(), "extra.xlsx", today=TODAY)
    assert report.ok
    assert any("'notes/readme.txt'" in w.message and "ignored" in w.message for w in report.warnings)


@pytest.mark.parametrize("value", [D(9999, 12, 31), "31/12/9999", "9999-12-31", D(2101, 1, 1), 2_958_465.0, 1e300])
def test_open_ended_dates_are_cell_problems_with_the_cell(value):
    rows = valid_workbook_rows()
    set_cell(rows, "Interventions", 2, "end_date", value)
    set_cell(rows, "Remands", 2, "end_date", "not a date")
    report = check(rows)
    where = {(e.sheet, e.row, e.column) for e in report.errors}
    assert where == {("Interventions", 2, "end_date"), ("Remands", 2, "end_date")}
    [e] = [e for e in report.errors if e.sheet == "Interventions"]
    assert "open-ended date" in e.message and "Leave the cell blank" in e.message
