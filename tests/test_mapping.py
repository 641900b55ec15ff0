"""Reading a case system's export through a mapping: round trip, suggestions, problems in their terms."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import re

import pandas as pd
import pytest

from yj_metrics import demo, indicators
from yj_metrics.contract import SHEETS_BY_NAME
from yj_metrics.dataset import Dataset
from yj_metrics.example_exports import FLAT_SHEET, LAYOUTS, example_mapping, export_xlsx
from yj_metrics.mapping import (SHIPPED_DIR, Mapping, SheetMapping, apply, find_mapping, matches, shipped_mappings,
                                suggestions, unmapped_values, validate_mapped)
from yj_metrics.periods import latest_complete_quarter
from yj_metrics.reading import RawSheet, RawWorkbook, read_workbook

#: the frames each example shape carries, and the columns that identify a row of each
FRAMES = {"flat": ("children", "outcomes", "interventions"),
          "system": ("children", "outcomes", "interventions", "victims", "remands", "board_attendance",
                     "population", "benchmarks")}
SORT = {"children": ["child_id"], "outcomes": ["outcome_id"], "interventions": ["intervention_id"],
        "victims": ["victim_id"], "remands": ["remand_id"], "board_attendance": ["meeting_date", "sector"],
        "population": ["locality", "gender", "ethnicity", "age", "year"],
        "benchmarks": ["indicator", "period_start", "comparator"]}


@pytest.fixture(scope="module")
def demo_small():
    return demo.demo_dataset(seed=5, children=150)


@pytest.fixture(scope="module")
def exports(demo_small):
    """Each example shape of the small demo, read as the Upload page reads it."""
    return {layout: read_workbook(export_xlsx(demo_small, layout), f"{layout}.xlsx", isolated=False)
            for layout in LAYOUTS}


def shipped(layout: str) -> Mapping:
    return Mapping.from_json((SHIPPED_DIR / f"example_{layout}.json").read_text(encoding="utf-8"))


def set_cell(raw: RawWorkbook, sheet: str, row: int, heading: str, value) -> RawWorkbook:
    """A copy of ``raw`` with one cell changed (``row``: Excel row number)."""
    s = raw.sheets[sheet]
    col, i = list(s.header).index(heading), s.row_numbers.index(row)
    cells = list(s.rows[i])
    cells[col] = value
    rows = s.rows[:i] + (tuple(cells),) + s.rows[i + 1:]
    return dataclasses.replace(raw, sheets={**raw.sheets, sheet: dataclasses.replace(s, rows=rows)})


def add_row(raw: RawWorkbook, sheet: str, cells: tuple) -> tuple[RawWorkbook, int]:
    s = raw.sheets[sheet]
    row = max(s.row_numbers) + 1
    new = dataclasses.replace(s, rows=s.rows + (cells,), row_numbers=s.row_numbers + (row,))
    return dataclasses.replace(raw, sheets={**raw.sheets, sheet: new}), row


def cell(raw: RawWorkbook, sheet: str, row: int, heading: str):
    s = raw.sheets[sheet]
    return s.rows[s.row_numbers.index(row)][list(s.header).index(heading)]


def rows_where(raw: RawWorkbook, sheet: str, heading: str) -> list[int]:
    """Excel rows of ``sheet`` where ``heading`` is filled in."""
    s = raw.sheets[sheet]
    col = list(s.header).index(heading)
    return [n for n, r in zip(s.row_numbers, s.rows) if r[col] not in (None, "")]


def sorted_frame(ds: Dataset, frame: str) -> pd.DataFrame:
    return getattr(ds, frame).sort_values(SORT[frame]).reset_index(drop=True)


def scorecard_frame(ds: Dataset) -> pd.DataFrame:
    quarter = latest_complete_quarter(dt.date(2024, 3, 31))
    return pd.DataFrame([r.to_dict() for r in indicators.scorecard(ds, quarter)])


# --------------------------------------------------------------------------- round trip

@pytest.mark.parametrize("layout", LAYOUTS)
def test_each_example_export_maps_back_to_exactly_the_demo(layout, demo_small, exports):
    report = validate_mapped(exports[layout], shipped(layout))
    assert report.ok and report.errors == () and report.warnings == (), report.to_frame().head().to_string()
    back = report.dataset
    for frame in FRAMES[layout]:
        pd.testing.assert_frame_equal(sorted_frame(demo_small, frame), sorted_frame(back, frame),
                                      check_dtype=False, obj=frame)
    if layout == "flat":  # the flat shape carries no victims, remands, board, population or benchmarks
        rest = {f: getattr(demo_small, f) for f in FRAMES["system"] if f not in FRAMES["flat"]}
        back = Dataset.from_frames(**{f: getattr(back, f) for f in FRAMES["flat"]}, **rest)
    pd.testing.assert_frame_equal(scorecard_frame(demo_small), scorecard_frame(back))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_shipped_mappings_are_the_example_mappings(layout):
    assert shipped(layout) == example_mapping(layout)
    assert Mapping.from_json(shipped(layout).to_json()) == shipped(layout)
    assert {m.name for m in shipped_mappings()} >= {example_mapping(x).name for x in LAYOUTS}


# --------------------------------------------------------------------------- suggestions

@pytest.mark.parametrize("layout", LAYOUTS)
def test_suggestions_without_a_saved_mapping_get_nine_in_ten_columns_right(layout, exports):
    found = suggestions(exports[layout])
    expected = shipped(layout)
    pairs = [(sm.sheet, col, sm.source, heading) for sm in expected.sheets for col, heading in sm.columns.items()]
    right = [p for p in pairs if (s := found.mapping.sheet(p[0])) and s.source == p[2] and s.columns.get(p[1]) == p[3]]
    assert len(right) >= 0.9 * len(pairs), sorted(set(pairs) - set(right))
    assert {s.sheet for s in found.mapping.sheets} == {s.sheet for s in expected.sheets}
    assert found.mapping.date_format == expected.date_format
    assert all(0 <= s.confidence <= 1 for s in found.columns)
    # every value of every vocabulary column is suggested with its count of rows; the codes are read
    assert not unmapped_values(exports[layout], found.mapping)
    for sm in expected.sheets:
        for col, pairs_ in sm.values.items():
            got = found.mapping.sheet(sm.sheet).values.get(col, {})
            assert {k: v for k, v in got.items() if k in pairs_} == {k: pairs_[k] for k in got if k in pairs_}
    if layout == "flat":
        yro = next(v for v in found.values if v.column == "outcome_type" and v.value == "YRO")
        assert yro.suggested == "Youth Rehabilitation Order" and yro.rows > 0 and yro.confidence >= 0.8
        assert apply(exports[layout], found.mapping).raw.sheets.keys() == {"Children", "Outcomes", "Interventions"}
    else:
        ro = next(v for v in found.values if v.column == "outcome_type" and v.value == "Referral Order (RO)")
        assert ro.suggested == "Referral Order" and ro.heading == "Outcome"


def test_value_suggestions_read_common_codes(exports):
    raw = exports["flat"]
    rows = rows_where(raw, FLAT_SHEET, "Legal Outcome")[:4]
    for row, code in zip(rows, ("Referral Order (RO)", "CR", "W1", "Unknown/Not stated")):
        heading = "Ethnicity Code" if code in ("W1", "Unknown/Not stated") else "Legal Outcome"
        raw = set_cell(raw, FLAT_SHEET, row, heading, code)
    found = {(v.column, v.value): v.suggested for v in suggestions(raw).values}
    assert found[("outcome_type", "Referral Order (RO)")] == "Referral Order"
    assert found[("outcome_type", "CR")] == "Community Resolution"
    assert found[("ethnicity", "W1")] == "White - British"
    assert found[("ethnicity", "Unknown/Not stated")] == "Not known - Refused"  # as the validator reads it


# --------------------------------------------------------------------------- problems in their terms

def _planted(layout: str, raw: RawWorkbook):
    """A bad date, an unknown code, a missing id and a duplicate child with another date of birth,
    each with the export cell (sheet, Excel row, heading) it must be reported at."""
    if layout == "flat":
        people, outcomes, dob, date, kind, kid = FLAT_SHEET, FLAT_SHEET, "DOB", "Outcome Date", "Legal Outcome", "YP ID"
    else:
        people, outcomes, dob, date, kind, kid = ("Young People", "Legal Outcomes", "Date of Birth", "Sentence Date",
                                                  "Outcome", "Person ID")
    first, second, third = rows_where(raw, outcomes, kind)[3:6]
    raw = set_cell(raw, outcomes, first, date, "31/02/2023")
    raw = set_cell(raw, outcomes, second, kind, "YRO Intensive")
    raw = set_cell(raw, outcomes, third, kid, None)
    planted = [(outcomes, first, date), (outcomes, second, kind), (outcomes, third, kid)]
    s = raw.sheets[people]
    ids = [r[list(s.header).index(kid)] for r in s.rows]
    if layout == "flat":  # a child on several rows, with another date of birth on a later one
        twice = next(i for i in ids if ids.count(i) > 1 and i != cell(raw, people, third, kid))
        row = [n for n, i in zip(s.row_numbers, ids) if i == twice][1]
    else:  # the child's row again, at the end, with another date of birth
        raw, row = add_row(raw, people, s.rows[0])
    born = cell(raw, people, row, dob)
    if isinstance(born, str):  # the system shape writes dates as dd/mm/yyyy text
        other = (dt.datetime.strptime(born, "%d/%m/%Y") + dt.timedelta(days=3)).strftime("%d/%m/%Y")
    else:
        other = born + dt.timedelta(days=3)
    raw = set_cell(raw, people, row, dob, other)
    planted.append((people, row, dob))
    return raw, planted


@pytest.mark.parametrize("layout", LAYOUTS)
def test_planted_problems_are_reported_at_their_cells_in_the_export(layout, exports):
    raw, planted = _planted(layout, exports[layout])
    report = validate_mapped(raw, shipped(layout), today=dt.date(2024, 6, 1))
    assert not report.ok and report.dataset is None
    where = {(p.sheet, p.row, p.column): p for p in report.errors}
    for place in planted:
        assert place in where, (place, report.to_frame().to_string())
    sheet, row, heading = planted[1]
    assert where[planted[1]].message.startswith(f'{sheet} row {row}, column "{heading}": "YRO Intensive" is not mapped')
    sheet, row, heading = planted[0]
    assert where[planted[0]].message.startswith(f'{sheet} row {row}, column "{heading}": \'31/02/2023\' is not a date')
    assert "here but" in where[planted[3]].message
    # every problem speaks of their sheets and headings, never of ours
    for p in report.problems:
        assert p.sheet in raw.sheets, p
        assert p.column is None or p.column in raw.sheets[p.sheet].header, p
        assert not re.search(r"(?<!Legal )\b(Children|Outcomes|Interventions) row \d", p.message), p.message


def test_a_missing_sheet_or_heading_is_said_once_in_their_terms(exports):
    raw = exports["system"]
    mapping = shipped("system").with_column("Outcomes", "outcome_date", "Date Sentenced")
    report = validate_mapped(raw, mapping)
    assert [p.message for p in report.errors] == [
        'Legal Outcomes: there is no column "Date Sentenced", which the mapping reads as Outcomes outcome_date. '
        "Export it again with that column, or change the mapping."]
    gone = dataclasses.replace(raw, sheets={k: v for k, v in raw.sheets.items() if k != "Remand Episodes"})
    errors = validate_mapped(gone, shipped("system")).errors
    assert [p.sheet for p in errors] == ["Remand Episodes"] and "no sheet 'Remand Episodes'" in errors[0].message


# --------------------------------------------------------------------------- no child data in a mapping

def _child_values(raw: RawWorkbook, mapping: Mapping) -> set[str]:
    """Every id, date and free-text value in the export (headings aside)."""
    out = set()
    for sm in mapping.sheets:
        s = raw.sheets[sm.source]
        for col, heading in sm.columns.items():
            if SHEETS_BY_NAME[sm.sheet].column(col).kind in ("id", "date", "text"):
                i = list(s.header).index(heading)
                out |= {str(r[i]) for r in s.rows if r[i] not in (None, "")}
    headings = {h for s in raw.sheets.values() for h in s.header}
    return out - headings


@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_mapping_holds_no_child_data(layout, exports):
    raw = set_cell(exports[layout], *(("Young People", 2, "Gender") if layout == "system" else (FLAT_SHEET, 2, "Sex")),
                   "Jane Smith")
    for mapping in (suggestions(raw).mapping, shipped(layout)):
        text = mapping.to_json()
        strings = set(re.findall(r'"((?:[^"\\]|\\.)*)"', text))
        leaked = strings & (_child_values(raw, mapping) | {"Jane Smith"})
        assert not leaked, sorted(leaked)[:5]
        assert not re.search(r"\d{4}", json.dumps(mapping.to_dict()["sheets"]))
    for bad in ({"child_id": {"C100001": "x"}}, {"gender": {"C100001": "Male"}}, {"gender": {"12/03/2009": "Male"}},
                {"gender": {"M": "Man"}}, {"locality": {"N": "North"}}):
        with pytest.raises(ValueError):
            SheetMapping("Children", "Young People", {}, bad)


# --------------------------------------------------------------------------- next month

@pytest.mark.parametrize("layout", LAYOUTS)
def test_next_months_export_is_recognised_and_only_a_new_value_is_asked_about(layout, exports):
    other = "system" if layout == "flat" else "flat"
    nxt = read_workbook(export_xlsx(demo.demo_dataset(seed=6, children=120), layout), "next.xlsx", isolated=False)
    assert nxt.sheets[next(iter(nxt.sheets))].rows != exports[layout].sheets[next(iter(nxt.sheets))].rows
    mapping = shipped(layout)
    assert matches(nxt, mapping) and not matches(nxt, shipped(other))
    assert matches(nxt, suggestions(exports[layout]).mapping)
    assert find_mapping(nxt, shipped_mappings()) == mapping
    assert unmapped_values(nxt, mapping) == ()
    sheet, heading = (FLAT_SHEET, "Legal Outcome") if layout == "flat" else ("Legal Outcomes", "Outcome")
    row = rows_where(nxt, sheet, heading)[0]
    planted = set_cell(nxt, sheet, row, heading, "YRO Intensive")
    [new] = unmapped_values(planted, mapping)
    assert (new.sheet, new.column, new.source, new.heading, new.value, new.rows) == (
        "Outcomes", "outcome_type", sheet, heading, "YRO Intensive", 1)
    assert new.suggested == "Youth Rehabilitation Order"
    # the manager says what it means once; the mapping then reads it
    answered = mapping.with_value("Outcomes", "outcome_type", "YRO Intensive", "Youth Rehabilitation Order")
    assert unmapped_values(planted, answered) == () and validate_mapped(planted, answered).ok
    assert Mapping.from_json(answered.to_json()) == answered


def test_an_empty_workbook_suggests_nothing():
    raw = RawWorkbook("empty.xlsx", {"Sheet1": RawSheet("Sheet1", (), (), ())})
    found = suggestions(raw)
    assert found.mapping.sheets == () and not matches(raw, found.mapping)
