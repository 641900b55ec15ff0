"""A corpus of small hand-built workbooks: one valid, and many broken ones.

Not a test module: a builder other tests import (``from tests.broken_workbooks import ...``).

- :func:`valid_workbook_rows` -> ``{sheet: [header_row, data_row, ...]}``: a small, valid
  workbook covering every sheet (5 children, 6 outcomes, 7 interventions...). Row ``i`` of a
  sheet's list is Excel row ``i + 1`` (the header is row 1). Dates are ``datetime.date``.
- :func:`to_xlsx` -> real ``.xlsx`` bytes written with openpyxl (dates as real date cells).
- :func:`valid_xlsx` -> ``to_xlsx(valid_workbook_rows())``.
- :func:`broken_workbooks` -> list of :class:`BrokenCase`: each has ONE planted problem
  (``expected`` holds exactly one :class:`Expected`), except the last, ``many_problems``,
  which plants many at once and expects all of them. ``expected`` lists *every* problem of
  that severity the validator should report: for an error case, the validator reports exactly
  these errors and nothing else; warning cases have no errors (they load).

Every broken case with an error must leave a database unchanged when loaded.
"""
from __future__ import annotations

import copy
import datetime as dt
import io
from dataclasses import dataclass
from typing import Callable

import openpyxl

D = dt.date

CHILDREN_HEADER = ["child_id", "date_of_birth", "gender", "ethnicity", "locality", "resident",
                   "prior_substantive_outcome"]
OUTCOMES_HEADER = ["outcome_id", "child_id", "offence_date", "outcome_date", "outcome_type",
                   "offence_category", "gravity_score", "court", "looked_after",
                   "overturned_on_appeal"]
INTERVENTIONS_HEADER = [
    "intervention_id", "child_id", "outcome_id", "intervention_type", "start_date", "end_date",
    "team", "case_worker", "scaled_approach", "ete_provision_start", "ete_provision_end",
    "ete_suitable_start", "ete_suitable_end", "ete_hours_offered_end", "ete_hours_attended_end",
    "accommodation_type_start", "accommodation_type_end", "accommodation_suitable_start",
    "accommodation_suitable_end", "send_identified", "send_plan", "mh_need", "mh_offered",
    "mh_attended", "sm_need", "sm_offered", "sm_attended", "early_help", "child_protection",
    "child_in_need", "looked_after", "completion", "panel_date",
]
VICTIMS_HEADER = ["victim_id", "child_id", "outcome_id", "consented_to_contact", "views_sought",
                  "rj_offered", "rj_engaged", "progress_info_requested",
                  "progress_info_provided", "support_requested", "support_provided"]
REMANDS_HEADER = ["remand_id", "child_id", "remand_type", "start_date", "end_date"]
BOARD_HEADER = ["meeting_date", "sector", "attendance", "data_contributed"]
POPULATION_HEADER = ["locality", "gender", "ethnicity", "age", "age_band", "population", "year"]
BENCHMARKS_HEADER = ["indicator", "period_start", "period_end", "comparator", "value"]


def _iv(iid, child, outcome, itype, start, end, team, worker, scaled, ete, acc, needs,
        completion, panel=None, hours=(None, None)):
    """One Interventions row. ``ete``/``acc`` = (start, end, suitable_start, suitable_end);
    ``needs`` = the 12 Y/N needs and services in header order."""
    return [iid, child, outcome, itype, start, end, team, worker, scaled,
            ete[0], ete[1], ete[2], ete[3], hours[0], hours[1],
            acc[0], acc[1], acc[2], acc[3], *needs, completion, panel]


def valid_workbook_rows() -> dict[str, list[list]]:
    """A small valid workbook: ``{sheet: [header, row, ...]}`` (row i = Excel row i + 1).

    Values deliberately use the accepted variants: gender ``Boy``/``F``, DfE ethnicity code
    ``MWBC``, Y/N as ``Y``, ``Yes``, ``no``, real booleans, ``1``/``0`` and blanks.
    """
    home = ("Living with parents", "Living with parents", "Suitable", "Suitable")
    return {
        "Children": [
            CHILDREN_HEADER,
            ["C001", D(2008, 5, 14), "Male", "White - British", "North", "Y", "N"],
            ["C002", D(2007, 11, 2), "Female", "MWBC", "West", "Y", "N"],
            ["C003", D(2009, 2, 20), "Boy", "Black - African", "North", "N", "Y"],
            ["C004", D(2006, 8, 30), "F", "Asian - Pakistani", "West", "Yes", "no"],
            ["C005", D(2010, 1, 15), "Male", None, "North", None, None],
        ],
        "Outcomes": [
            OUTCOMES_HEADER,
            ["O001", "C001", D(2022, 3, 1), D(2022, 4, 10), "Community Resolution",
             "Theft and handling", 2, None, "N", "N"],
            ["O002", "C001", D(2023, 1, 5), D(2023, 3, 20), "Referral Order",
             "Violence against the person", 4, "Youth Court", "N", "N"],
            ["O003", "C002", D(2022, 9, 12), D(2022, 10, 1), "Youth Caution",
             "Criminal damage", 2, None, "Y", None],
            ["O004", "C003", D(2023, 6, 1), D(2023, 8, 15), "Youth Rehabilitation Order",
             "Robbery", 6, "Youth Court", False, False],
            ["O005", "C004", D(2022, 12, 1), D(2023, 2, 1), "Detention and Training Order",
             "Robbery", 7, "Crown Court", "N", "N"],
            ["O006", "C005", D(2023, 5, 1), D(2023, 6, 1), "Outcome 22", "Drugs offences", 1,
             None, 0, 0],
        ],
        "Interventions": [
            INTERVENTIONS_HEADER,
            _iv("I001", "C001", "O001", "Community Resolution", D(2022, 4, 11), D(2022, 7, 10),
                "Out of court", "W01", "Standard", ("School", "School", "Suitable", "Suitable"),
                home, ["N"] * 12, "Completed", hours=(25, 25)),
            _iv("I002", "C001", "O002", "Referral Order", D(2023, 3, 21), D(2023, 12, 20),
                "Court", "W02", "Enhanced", ("College", "College", "Suitable", "Suitable"),
                home, ["Y", "N", "Y", "Y", "Y", "N", "N", "N", "N", "N", "N", "N"],
                "Completed", panel=D(2023, 4, 5), hours=(16, 12.5)),
            _iv("I003", "C002", "O003", "Youth Caution", D(2022, 10, 2), D(2023, 1, 2),
                "Out of court", "W01", None, ("School", "School", "Suitable", "Suitable"),
                ("Foster care", "Foster care", "Suitable", "Suitable"),
                ["N", "N", "N", "N", "N", "Y", "Y", "N", "N", "N", "Y", "Y"], "Completed"),
            _iv("I004", "C003", "O004", "Youth Rehabilitation Order", D(2023, 8, 16), None,
                "Court", "W03", "Intensive", ("NEET", None, "Unsuitable", None),
                ("Living with family (not parents)", None, "Suitable", None),
                [True, True, True, True, False, False, False, False, None, True, False, False],
                None),
            _iv("I005", "C004", "O005", "Detention and Training Order", D(2023, 2, 2),
                D(2023, 8, 1), "Court", "W02", "Intensive",
                ("Education in custody", "College", "Suitable", "Unsuitable"),
                ("Secure training centre", "Temporary accommodation", "Suitable", "Unsuitable"),
                ["Yes", "Yes", "No", "No", "No", "Yes", "Yes", "No", "No", "No", "No", "No"],
                "Breached", hours=(30, 10)),
            _iv("I006", "C005", None, "Prevention", D(2023, 1, 10), D(2023, 4, 10), "North",
                "W04", None, ("School", "School", "Suitable", "Suitable"), home,
                [None] * 12, "Completed"),
            _iv("I007", "C005", "O006", "Outcome 22", D(2023, 6, 2), D(2023, 9, 1),
                "Out of court", "W04", "Standard", ("School", "School", "Suitable", "Suitable"),
                home, [1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0], "Not completed", hours=(25, 20)),
        ],
        "Victims": [
            VICTIMS_HEADER,
            ["V001", "C001", "O002", "Y", "Y", "Y", "N", "Y", "Y", "N", "N"],
            ["V002", "C003", "O004", "N", "N", "N", "N", None, None, None, None],
        ],
        "Remands": [
            REMANDS_HEADER,
            ["R001", "C004", "Secure training centre", D(2022, 12, 2), D(2023, 1, 31)],
        ],
        "Board_attendance": [
            BOARD_HEADER,
            [D(2023, 3, 15), "Police", "Senior", "Y"],
            [D(2023, 3, 15), "Education", "Delegated", "N"],
            [D(2023, 6, 14), "Health", "Absent", "N"],
        ],
        "Population": [
            POPULATION_HEADER,
            ["North", "Male", "White", 10, None, 1200, 2023],
            ["West", "Female", "Mixed", None, "15-17", 340, 2023],
            ["North", "Female", "Black", 14, "10-14", 90, 2023],
        ],
        "Benchmarks": [
            BENCHMARKS_HEADER,
            ["first_time_entrants", D(2023, 1, 1), D(2023, 12, 31), "National", 154.0],
        ],
    }


def to_xlsx(sheets: dict[str, list[list]]) -> bytes:
    """Write ``{sheet: [header, row, ...]}`` as real .xlsx bytes (dates as date cells)."""
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(list(row))
        for row in ws.iter_rows():
            for cell in row:
                if isinstance(cell.value, dt.date) and not isinstance(cell.value, dt.datetime):
                    cell.number_format = "dd/mm/yyyy"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def valid_xlsx() -> bytes:
    """The valid workbook as .xlsx bytes."""
    return to_xlsx(valid_workbook_rows())


# --------------------------------------------------------------------------- editing helpers

Rows = dict[str, list[list]]


def set_cell(wb: Rows, sheet: str, row: int, column: str, value) -> None:
    """Set the cell at Excel ``row`` (header = 1) of the column headed ``column``."""
    rows = wb[sheet]
    rows[row - 1][rows[0].index(column)] = value


def append_row(wb: Rows, sheet: str, values: list) -> int:
    """Append a data row; returns its Excel row number."""
    wb[sheet].append(list(values))
    return len(wb[sheet])


def copy_row(wb: Rows, sheet: str, row: int, **changes) -> int:
    """Append a copy of Excel ``row`` of the *valid* workbook with some columns changed
    (so earlier edits are not copied); returns the new row's number."""
    values = list(valid_workbook_rows()[sheet][row - 1])
    for col, v in changes.items():
        values[wb[sheet][0].index(col)] = v
    return append_row(wb, sheet, values)


def drop_column(wb: Rows, sheet: str, column: str) -> None:
    i = wb[sheet][0].index(column)
    for r in wb[sheet]:
        del r[i]


def add_column(wb: Rows, sheet: str, header: str, values: list) -> None:
    """Add a column at the right; ``values`` for the data rows (padded with blanks)."""
    rows = wb[sheet]
    rows[0].append(header)
    for i, r in enumerate(rows[1:]):
        r.append(values[i] if i < len(values) else None)


@dataclass(frozen=True)
class Expected:
    """Where a planted problem must be reported (``row``/``column`` None for sheet level)."""

    sheet: str
    row: int | None
    column: str | None
    severity: str = "error"


@dataclass(frozen=True)
class BrokenCase:
    name: str
    description: str
    xlsx: bytes
    expected: tuple[Expected, ...]

    @property
    def has_errors(self) -> bool:
        return any(e.severity == "error" for e in self.expected)


def _future() -> dt.date:
    return dt.date.today() + dt.timedelta(days=400)


# Each edit plants one problem in a copy of the valid rows and returns where it must be reported.
Edit = Callable[[Rows], Expected]


def _e(sheet, row, column, value, severity="error", reported_at: str | None = None) -> Edit:
    """Set one cell; the problem is reported there (or at ``reported_at`` on the same row)."""
    def edit(wb: Rows) -> Expected:
        set_cell(wb, sheet, row, column, value)
        return Expected(sheet, row, reported_at or column, severity)
    return edit


def _missing_sheet(sheet) -> Edit:
    def edit(wb):
        del wb[sheet]
        return Expected(sheet, None, None)
    return edit


def _missing_column(sheet, column) -> Edit:
    def edit(wb):
        drop_column(wb, sheet, column)
        return Expected(sheet, None, column)
    return edit


def _extra_column(sheet, header, values, severity="warning") -> Edit:
    def edit(wb):
        add_column(wb, sheet, header, values)
        return Expected(sheet, 1, header, severity)
    return edit


def _duplicate(sheet, row, key) -> Edit:
    def edit(wb):
        return Expected(sheet, copy_row(wb, sheet, row), key)
    return edit


def _new_outcome_for_unknown_child(wb):
    row = copy_row(wb, "Outcomes", 4, outcome_id="O900", child_id="C999")
    return Expected("Outcomes", row, "child_id")


def _dob(child_row: int, dob: dt.date, outcome_row: int) -> Edit:
    """Change a child's date of birth so one outcome falls outside ages 10-17."""
    def edit(wb):
        set_cell(wb, "Children", child_row, "date_of_birth", dob)
        return Expected("Outcomes", outcome_row, "outcome_date")
    return edit


#: name -> (description, edit). Each plants exactly one problem.
SINGLE_EDITS: dict[str, tuple[str, Edit]] = {
    "missing_children_sheet": ("the required Children sheet is absent",
                               _missing_sheet("Children")),
    "missing_outcomes_sheet": ("the required Outcomes sheet is absent",
                               _missing_sheet("Outcomes")),
    "missing_outcome_type_column": ("the required outcome_type column is absent",
                                    _missing_column("Outcomes", "outcome_type")),
    "missing_date_of_birth_column": ("the required date_of_birth column is absent",
                                     _missing_column("Children", "date_of_birth")),
    "outcome_type_typo": ("'Refferal Order' is not an outcome type",
                          _e("Outcomes", 3, "outcome_type", "Refferal Order")),
    "unknown_ethnicity": ("an ethnicity that is not a recognised category",
                          _e("Children", 4, "ethnicity", "Purple")),
    "unknown_gender": ("a gender that is not recognised", _e("Children", 3, "gender", "Mail x")),
    "unparseable_date": ("31/02/2008 is not a real date",
                         _e("Children", 2, "date_of_birth", "31/02/2008")),
    "text_date_nonsense": ("a remand start date written in words",
                           _e("Remands", 2, "start_date", "next Tuesday")),
    "number_as_date": ("a date typed as a bare number",
                       _e("Interventions", 3, "panel_date", 45000)),
    "future_outcome_date": ("an outcome date in the future",
                            _e("Outcomes", 2, "outcome_date", _future())),
    "date_before_1990": ("an intervention start before 1990",
                         _e("Interventions", 4, "start_date", D(1985, 1, 1))),
    "end_before_start": ("an intervention that ends before it starts",
                         _e("Interventions", 2, "end_date", D(2022, 4, 1))),
    "remand_end_before_start": ("a remand that ends before it starts",
                                _e("Remands", 2, "end_date", D(2022, 11, 1))),
    "outcome_before_offence": ("an outcome dated before its offence",
                               _e("Outcomes", 4, "offence_date", D(2022, 11, 1),
                                  reported_at="outcome_date")),
    "age_under_10": ("a child aged 9 at the outcome date",
                     _dob(6, D(2014, 1, 1), 7)),
    "age_over_17": ("a child aged 19 at the outcome date", _dob(5, D(2004, 1, 1), 6)),
    "duplicate_child_id": ("a child row repeated", _duplicate("Children", 3, "child_id")),
    "duplicate_outcome_id": ("an outcome row repeated", _duplicate("Outcomes", 4, "outcome_id")),
    "unknown_child_reference": ("an outcome for a child not on Children",
                                _new_outcome_for_unknown_child),
    "unknown_outcome_reference": ("an intervention for an outcome not on Outcomes",
                                  _e("Interventions", 4, "outcome_id", "O999")),
    "outcome_of_another_child": ("an intervention linked to another child's outcome",
                                 _e("Interventions", 4, "outcome_id", "O001")),
    "victim_unknown_outcome": ("a victim record for an unknown outcome",
                               _e("Victims", 3, "outcome_id", "O404")),
    "gravity_out_of_range": ("gravity score 9 (allowed 1-8)",
                             _e("Outcomes", 5, "gravity_score", 9)),
    "gravity_not_whole": ("gravity score 2.5", _e("Outcomes", 2, "gravity_score", 2.5)),
    "hours_out_of_range": ("75 ETE hours attended (allowed 0-60)",
                           _e("Interventions", 6, "ete_hours_attended_end", 75)),
    "hours_not_a_number": ("ETE hours written as text",
                           _e("Interventions", 2, "ete_hours_offered_end", "lots")),
    "bad_yes_no": ("'Maybe' in a Y/N column", _e("Children", 3, "resident", "Maybe")),
    "blank_required_cell": ("a blank outcome date", _e("Outcomes", 5, "outcome_date", None)),
    "blank_locality": ("a blank locality (required)", _e("Children", 4, "locality", None)),
    "bad_remand_type": ("an unknown remand type",
                        _e("Remands", 2, "remand_type", "Police cell")),
    "bad_board_sector": ("an unknown board sector",
                         _e("Board_attendance", 3, "sector", "Fire service")),
    "population_age_out_of_range": ("a population row for age 9",
                                    _e("Population", 2, "age", 9)),
    "population_age_band_clash": ("age 14 with age band 15-17",
                                  _e("Population", 4, "age_band", "15-17")),
    "unknown_column": ("an extra column that is not in the contract (warning)",
                       _extra_column("Children", "Favourite colour",
                                     ["red", "blue", "green", "red", "blue"])),
    "personal_name_column": ("a first_name column (warning: dropped, never stored)",
                             _extra_column("Children", "First Name",
                                           ["Alice", "Bob", "Carol", "Dan", "Eve"])),
    "address_column": ("a postcode column (warning: dropped, never stored)",
                       _extra_column("Outcomes", "Postcode", ["NN1 1AA"] * 6)),
}

#: The edits planted together in the many-problems workbook (they touch different cells and
#: do not mask each other).
MANY = (
    "outcome_type_typo", "unknown_ethnicity", "unparseable_date", "text_date_nonsense",
    "number_as_date", "future_outcome_date", "end_before_start", "outcome_before_offence",
    "age_over_17", "unknown_outcome_reference", "victim_unknown_outcome",
    "gravity_out_of_range", "hours_out_of_range", "bad_yes_no", "blank_required_cell",
    "bad_board_sector", "population_age_out_of_range", "unknown_column",
    "personal_name_column", "duplicate_child_id", "unknown_child_reference",
)


def build_case(name: str, description: str, edits: list[Edit]) -> BrokenCase:
    """Apply ``edits`` to a fresh copy of the valid rows and write the workbook."""
    wb = copy.deepcopy(valid_workbook_rows())
    expected = tuple(edit(wb) for edit in edits)
    return BrokenCase(name, description, to_xlsx(wb), expected)


def broken_workbooks() -> list[BrokenCase]:
    """Every single-problem case, then the ``many_problems`` case (last)."""
    cases = [build_case(name, desc, [edit]) for name, (desc, edit) in SINGLE_EDITS.items()]
    cases.append(build_case("many_problems", f"{len(MANY)} problems planted at once",
                            [SINGLE_EDITS[n][1] for n in MANY]))
    return cases
