"""The demo service written the way case management systems export it, with matching mappings.

Two shapes (``data/mappings/example_<layout>.json`` holds the mapping of each):

- ``flat``: one sheet, one row per order (an outcome, its intervention, or both), the child's
  details repeated on each row; codes, not words (``YRO``, ``W1``, ``M``/``F``); real date cells.
  It carries children, outcomes and interventions only.
- ``system``: one sheet per entity with the system's own sheet names and headings, dates as
  dd/mm/yyyy text, outcomes as ``Referral Order (RO)``, remands as codes.
"""
from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook

from . import contract as c
from .dataset import FRAME_OF_SHEET, Dataset
from .demo import demo_dataset
from .mapping import Mapping, SheetMapping
from .safe_export import neutralise

LAYOUTS = ("flat", "system")
FLAT_SHEET = "YJ Caseload Export"

_OUTCOME_CODE = {
    "Community Resolution": "CR", "Outcome 22": "O22", "Outcome 22 deferred prosecution": "O22DP",
    "Outcome 20/21": "O20/21", "Other diversion": "OD", "Youth Caution": "YC", "Youth Conditional Caution": "YCC",
    "Referral Order": "RO", "Reparation Order": "REP", "Fine": "FINE", "Conditional Discharge": "CD",
    "Absolute Discharge": "AD", "Other first-tier": "OFT", "Youth Rehabilitation Order": "YRO",
    "Detention and Training Order": "DTO", "Section 250": "S250", "Other custodial": "OCUST",
}
_INTERVENTION_CODE = {**_OUTCOME_CODE, "Prevention": "PREV", "Turnaround": "TURN", "Bail supervision": "BAIL"}
_ETHNICITY_CODE = {
    "White - British": "W1", "White - Irish": "W2", "White - Gypsy or Irish Traveller": "W3", "White - Roma": "W4",
    "White - Any other White background": "W9", "Mixed - White and Black Caribbean": "M1",
    "Mixed - White and Black African": "M2", "Mixed - White and Asian": "M3",
    "Mixed - Any other Mixed background": "M9", "Asian - Indian": "A1", "Asian - Pakistani": "A2",
    "Asian - Bangladeshi": "A3", "Asian - Chinese": "A4", "Asian - Any other Asian background": "A9",
    "Black - Caribbean": "B1", "Black - African": "B2", "Black - Any other Black background": "B9",
    "Other - Arab": "O1", "Other - Any other ethnic group": "O9", "Not known - Refused": "Z1",
    "Not known - Not obtained": "Z2",
}

#: layout -> our sheet -> our column -> the value as the export writes it
CODES: dict[str, dict[str, dict[str, dict[str, str]]]] = {
    "flat": {
        "Children": {"gender": {"Male": "M", "Female": "F", "Other": "O", "Not known": "U"},
                     "ethnicity": _ETHNICITY_CODE},
        "Outcomes": {"outcome_type": _OUTCOME_CODE, "court": {"Youth Court": "YC", "Magistrates' Court": "MC",
                                                              "Crown Court": "CC"}},
        "Interventions": {"intervention_type": _INTERVENTION_CODE,
                          "scaled_approach": {"Standard": "STD", "Enhanced": "ENH", "Intensive": "INT"},
                          "completion": {"Completed": "C", "Not completed": "NC", "Breached": "B", "Revoked": "R"}},
    },
    "system": {
        "Children": {"ethnicity": {ours: ours.replace(" - ", ": ") for ours in _ETHNICITY_CODE}},
        "Outcomes": {"outcome_type": {ours: f"{ours} ({code})" for ours, code in _OUTCOME_CODE.items()}},
        "Interventions": {"intervention_type": {ours: f"{ours} ({code})" for ours, code in _INTERVENTION_CODE.items()}},
        "Remands": {"remand_type": {"Secure children's home": "SCH", "Secure training centre": "STC",
                                    "Young offender institution": "YOI", "Local authority accommodation": "LAA"}},
    },
}

_INTERVENTION_HEADINGS = {
    "intervention_id": "Programme ID", "child_id": "YP ID", "outcome_id": "Outcome Ref",
    "intervention_type": "Programme Type", "start_date": "Start Date", "end_date": "End Date", "team": "Team",
    "case_worker": "Case Worker ID", "scaled_approach": "Scaled Approach", "ete_provision_start": "ETE at Start",
    "ete_provision_end": "ETE at End", "ete_suitable_start": "ETE Suitable at Start",
    "ete_suitable_end": "ETE Suitable at End", "ete_hours_offered_end": "ETE Hours Offered (End)",
    "ete_hours_attended_end": "ETE Hours Attended (End)", "accommodation_type_start": "Accommodation at Start",
    "accommodation_type_end": "Accommodation at End", "accommodation_suitable_start": "Accommodation Suitable at Start",
    "accommodation_suitable_end": "Accommodation Suitable at End", "send_identified": "SEND Identified",
    "send_plan": "EHCP", "mh_need": "MH Need", "mh_offered": "MH Offered", "mh_attended": "MH Attended",
    "sm_need": "SM Need", "sm_offered": "SM Offered", "sm_attended": "SM Attended", "early_help": "Early Help",
    "child_protection": "CP Plan", "child_in_need": "CIN Plan", "looked_after": "LAC During Order",
    "completion": "Completion Status", "panel_date": "Initial Panel Date", "release_date": "Release Date",
    "mh_in_treatment_at_start": "MH Treatment at Start", "sm_in_treatment_at_start": "SM Treatment at Start",
    "ete_hours_offered_start": "ETE Hours Offered (Start)", "early_help_referral": "Early Help Referral",
}

#: layout -> our sheet -> (their sheet, {our column: their heading})
HEADINGS: dict[str, dict[str, tuple[str, dict[str, str]]]] = {
    "flat": {
        "Children": (FLAT_SHEET, {
            "child_id": "YP ID", "date_of_birth": "DOB", "gender": "Sex", "ethnicity": "Ethnicity Code",
            "locality": "Locality", "resident": "Resident in Area", "prior_substantive_outcome": "Previous Sanction"}),
        "Outcomes": (FLAT_SHEET, {
            "outcome_id": "Outcome Ref", "child_id": "YP ID", "offence_date": "Offence Date",
            "outcome_date": "Outcome Date", "outcome_type": "Legal Outcome", "offence_category": "Offence Category",
            "gravity_score": "Gravity Score", "court": "Court", "looked_after": "LAC at Outcome",
            "overturned_on_appeal": "Overturned on Appeal", "offence_id": "Offence Ref",
            "first_hearing_date": "First Hearing Date", "resident_at_outcome": "Resident at Outcome"}),
        "Interventions": (FLAT_SHEET, _INTERVENTION_HEADINGS),
    },
    "system": {
        "Children": ("Young People", {
            "child_id": "Person ID", "date_of_birth": "Date of Birth", "gender": "Gender", "ethnicity": "Ethnicity",
            "locality": "Area", "resident": "Lives in Area", "prior_substantive_outcome": "Previous Substantive Outcome"}),
        "Outcomes": ("Legal Outcomes", {
            "outcome_id": "Outcome ID", "child_id": "Person ID", "offence_date": "Date of Offence",
            "outcome_date": "Sentence Date", "outcome_type": "Outcome", "offence_category": "Offence Type",
            "gravity_score": "Gravity", "court": "Court Type", "looked_after": "Looked After",
            "overturned_on_appeal": "Overturned", "offence_id": "Offence ID", "first_hearing_date": "First Court Date",
            "resident_at_outcome": "Lived in Area at Outcome"}),
        "Interventions": ("Interventions & Orders", {
            **_INTERVENTION_HEADINGS,
            "intervention_id": "Intervention ID", "child_id": "Person ID", "outcome_id": "Outcome ID",
            "intervention_type": "Intervention Type", "case_worker": "Worker ID", "scaled_approach": "Intensity",
            "ete_provision_start": "ETE Status at Start", "ete_provision_end": "ETE Status at End",
            "looked_after": "Looked After", "completion": "Completion", "panel_date": "Panel Date"}),
        "Victims": ("Victim Contacts", {
            "victim_id": "Victim ID", "child_id": "Person ID", "outcome_id": "Outcome ID",
            "consented_to_contact": "Consent to Contact", "views_sought": "Views Sought", "rj_offered": "RJ Offered",
            "rj_engaged": "RJ Participated", "progress_info_requested": "Progress Info Requested",
            "progress_info_provided": "Progress Info Provided", "support_requested": "Support Requested",
            "support_provided": "Support Provided"}),
        "Remands": ("Remand Episodes", {
            "remand_id": "Remand ID", "child_id": "Person ID", "remand_type": "Remand Type",
            "start_date": "Remand Start", "end_date": "Remand End"}),
        "Board_attendance": ("Board Attendance", {
            "meeting_date": "Meeting Date", "sector": "Agency", "attendance": "Attendance",
            "data_contributed": "Data Provided"}),
        "Population": ("Population Estimates", {
            "locality": "Area", "gender": "Sex", "ethnicity": "Ethnic Group", "age": "Age", "age_band": "Age Band",
            "population": "Population", "year": "Year"}),
        "Benchmarks": ("Benchmarks", {
            "indicator": "Indicator", "period_start": "Period Start", "period_end": "Period End",
            "comparator": "Comparator", "value": "Value"}),
    },
}

_NAMES = {"flat": "Example flat export (one row per order)",
          "system": "Example case system export (one sheet per entity)"}


def _layout(layout: str) -> str:
    if layout not in LAYOUTS:
        raise ValueError(f"Unknown layout '{layout}'; use one of {', '.join(LAYOUTS)}.")
    return layout


def example_mapping(layout: str) -> Mapping:
    """The mapping of one example shape (what ``data/mappings/example_<layout>.json`` holds)."""
    sheets = tuple(
        SheetMapping(ours, their, columns,
                     {col: {code: value for value, code in codes.items()}
                      for col, codes in CODES[layout].get(ours, {}).items()})
        for ours, (their, columns) in HEADINGS[_layout(layout)].items())
    signature = {}
    for their, columns in HEADINGS[layout].values():
        signature.setdefault(their, [])
        signature[their] += [h for h in columns.values() if h not in signature[their]]
    return Mapping(_NAMES[layout], 1, sheets, "%d/%m/%Y" if layout == "system" else None,
                   tuple((k, tuple(v)) for k, v in signature.items()))


def _flat_columns() -> list[str]:
    return list(example_mapping("flat").signature[0][1])


def _their_frame(ds: Dataset, layout: str, sheet: str) -> pd.DataFrame:
    """One of our frames with their headings and their way of writing each value (object cells)."""
    spec = c.SHEETS_BY_NAME[sheet]
    frame = getattr(ds, FRAME_OF_SHEET[sheet])
    _, columns = HEADINGS[layout][sheet]
    codes = CODES[layout].get(sheet, {})
    out = {}
    for col, heading in columns.items():
        kind = spec.column(col).kind
        s = frame[col].astype("object")
        filled = s.notna()
        if kind == "yn":
            write = (lambda v: "Y" if v else "N") if layout == "flat" else (lambda v: "Yes" if v else "No")
        elif kind == "date":
            write = (lambda v: v.strftime("%d/%m/%Y")) if layout == "system" else (lambda v: v.to_pydatetime())
        elif kind in ("int", "number"):
            write = int if kind == "int" else float
        elif col in codes:
            write = (lambda v, table=codes[col]: table.get(v, v))
        else:
            write = (lambda v: neutralise(v) if isinstance(v, str) else v)
        s = s.map(write, na_action="ignore")
        out[heading] = s.where(filled, None)
    return pd.DataFrame(out, index=frame.index, dtype="object")


def _flat_rows(ds: Dataset) -> pd.DataFrame:
    """One row per order: each outcome with its intervention, each intervention without an outcome,
    and each child with neither; the child's details on every row."""
    children = _their_frame(ds, "flat", "Children")
    outcomes = _their_frame(ds, "flat", "Outcomes")
    interventions = _their_frame(ds, "flat", "Interventions")
    linked = interventions["Outcome Ref"].notna()
    orders = pd.concat([outcomes.merge(interventions[linked], on=["YP ID", "Outcome Ref"], how="outer"),
                        interventions[~linked]], ignore_index=True)
    rows = children.merge(orders, on="YP ID", how="left").sort_values("YP ID", kind="stable")
    return rows[_flat_columns()].astype("object")


def _write(sheets: dict[str, pd.DataFrame]) -> bytes:
    wb = Workbook(write_only=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            ws.append([None if v is None or (isinstance(v, float) and v != v) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_xlsx(ds: Dataset, layout: str) -> bytes:
    """``ds`` written in one example export shape."""
    if _layout(layout) == "flat":
        return _write({FLAT_SHEET: _flat_rows(ds)})
    return _write({their: _their_frame(ds, layout, ours) for ours, (their, _) in HEADINGS[layout].items()})


def demo_export(layout: str, seed: int = 7, children: int = 1500) -> bytes:
    """The demo service (:func:`~yj_metrics.demo.demo_dataset`) as a case system would export it."""
    return export_xlsx(demo_dataset(seed=seed, children=children), layout)
