"""The demo service written the way case management systems export it, with matching mappings.

Two shapes ship with their mapping (``data/mappings/example_<layout>.json``):

- ``flat``: one sheet, one row per order (an outcome, its intervention, or both), the child's
  details repeated on each row; codes, not words (``YRO``, ``W1``, ``M``/``F``); real date cells.
  It carries children, outcomes and interventions only.
- ``system``: one sheet per entity with the system's own sheet names and headings, dates as
  dd/mm/yyyy text, outcomes as ``Referral Order (RO)``, remands as codes.

Three more (:data:`SHAPES`) are written the way the case systems services use export their
caseload, to measure the suggestions on (``benchmarks/bench_mapping.py``); their mapping is the
right answer, made by hand, not shipped. They are our own examples of those shapes, not the
systems' real layouts:

- ``childview``: a report export (ChildView style): one sheet per entity, each under a title block
  ("YJS Caseload Extract", "Run 05/12/2026 ...", the criteria) with its headings on row 4; codes
  in words, some local ("Triage", "Children's Home", "Closed - Not Completed"); real date cells.
- ``careworks``: the same kind of report without a title block (CareWorks style): "CODE -
  Description" values, DfE ethnicity codes, dates as 31-Mar-2024 text.
- ``capita``: a one-sheet event list (Capita One style): "YOT Locality", "Client No", "Event Ref",
  "Episode No", "Offence No.", "Primary Offence", "YJB Gravity", "First Court Appearance"...; a
  row per event, outcomes such as "OC22 Diversion" and "YRO"; dates as dd/mm/yyyy text.
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
from .validation import vocab_value

LAYOUTS = ("flat", "system")
#: export shapes shaped like real case systems' (see the module docstring); no shipped mapping
SHAPES = ("childview", "careworks", "capita")
FLAT_SHEET = "YJ Caseload Export"
EVENTS_SHEET = "Events"
#: the layouts written as one sheet, one row per order, and the headings that key it (child, outcome)
ONE_SHEET = {"flat": (FLAT_SHEET, "YP ID", "Outcome Ref"), "capita": (EVENTS_SHEET, "Client No", "Event Ref")}
#: the title block above the headings, per layout (rows 1-3; headings on the row after)
TITLES = {"childview": ("YJS Caseload Extract - {sheet}", "Run 05/12/2026 07:02 by yjs.reports",
                        "Criteria: open or closed 01/04/2019 to 31/03/2024")}
#: how each layout writes dates (``None``: real date cells) and yes/no
DATE_WRITING = {"flat": None, "system": "%d/%m/%Y", "childview": None, "careworks": "%d-%b-%Y",
                "capita": "%d/%m/%Y"}
YES_NO = {"flat": ("Y", "N"), "system": ("Yes", "No"), "childview": ("Yes", "No"), "careworks": ("Y", "N"),
          "capita": ("Yes", "No")}

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

_ONS_2021 = {"White": "White", "Mixed": "Mixed or Multiple ethnic groups", "Asian": "Asian or Asian British",
             "Black": "Black, Black British, Caribbean or African", "Other": "Other ethnic group"}
_CHILDVIEW_OUTCOMES = {
    "Detention and Training Order": "Detention & Training Order", "Section 250": "Section 250 (formerly s91)",
    "Outcome 22 deferred prosecution": "Outcome 22 - Deferred Prosecution", "Other diversion": "Triage",
    "Other first-tier": "Other First Tier", "Outcome 20/21": "Outcome 20/21 (NFA)",
}
_CAREWORKS_CODE = {**_OUTCOME_CODE, "Outcome 22": "OC22", "Outcome 22 deferred prosecution": "DP",
                   "Outcome 20/21": "NFA20", "Other diversion": "DIV", "Other custodial": "CUST", "Prevention": "PREV",
                   "Turnaround": "TURN", "Bail supervision": "BAIL"}
_CAREWORKS_WORDS = {"Other diversion": "Diversion", "Bail supervision": "Bail Supervision & Support"}
_CAPITA_OUTCOMES = {
    "Outcome 22": "OC22 Diversion", "Outcome 22 deferred prosecution": "Deferred Prosecution",
    "Outcome 20/21": "Outcome 21", "Other diversion": "Triage", "Youth Rehabilitation Order": "YRO",
    "Detention and Training Order": "DTO", "Section 250": "S250 Detention", "Other custodial": "Other Custody",
    "Other first-tier": "Other First Tier Order", "Prevention": "Prevention", "Turnaround": "Turnaround Programme",
    "Bail supervision": "Bail Supervision",
}
_ACCOMMODATION_WORDS = {
    "Living with parents": "Living with Parent(s)", "Living with family (not parents)": "Living with Relatives",
    "Residential unit": "Children's Home", "Supported accommodation/lodgings": "Supported Lodgings",
    "Temporary accommodation": "B&B / Temporary", "No fixed abode": "NFA", "Independent living": "Independent",
}
_ETE_WORDS = {"School": "Mainstream School", "Alternative provision/PRU": "Pupil Referral Unit",
              "College": "FE College", "Employment": "Employed", "Elective home education": "Home Educated"}
_CAREWORKS_ACCOMMODATION = {
    "Living with parents": "PAR", "Living with family (not parents)": "FAM", "Living with friends": "FRD",
    "Foster care": "FC", "Independent living": "IND", "Residential unit": "CH", "Supported accommodation/lodgings": "SUP",
    "Temporary accommodation": "TMP", "Secure children's home": "SCH", "Secure training centre": "STC",
    "Young offender institution": "YOI", "No fixed abode": "NFA", "Other": "OTH"}
_DFE_CODE = {ours: code for code, ours in c.DFE_ETHNICITY_CODES.items()}


CODES.update({
    "childview": {
        "Children": {"gender": {"Not known": "Not Stated"},
                     "ethnicity": {ours: f"{_ONS_2021.get(ours.split(' - ')[0], 'Not known')}: {ours.split(' - ')[1]}"
                                   for ours in _ETHNICITY_CODE if not ours.startswith("Not known")}
                                  | {"Not known - Refused": "Refused", "Not known - Not obtained": "Not Obtained"}},
        "Outcomes": {"outcome_type": _CHILDVIEW_OUTCOMES, "court": {"Magistrates' Court": "Magistrates Court"}},
        "Interventions": {
            "intervention_type": {**_CHILDVIEW_OUTCOMES, "Prevention": "Prevention (Early Support)",
                                  "Turnaround": "Turnaround Programme", "Bail supervision": "Bail Supervision & Support"},
            "completion": {"Completed": "Completed Successfully", "Not completed": "Closed - Not Completed",
                           "Breached": "Breach"},
            "ete_provision_start": _ETE_WORDS, "ete_provision_end": _ETE_WORDS,
            "accommodation_type_start": _ACCOMMODATION_WORDS, "accommodation_type_end": _ACCOMMODATION_WORDS,
            **{col: {"Unsuitable": "Not Suitable", "Unknown": "Not Known"}
               for col in ("ete_suitable_start", "ete_suitable_end", "accommodation_suitable_start",
                           "accommodation_suitable_end")}},
    },
    "careworks": {
        "Children": {"gender": {"Male": "M", "Female": "F", "Other": "I", "Not known": "U"},
                     "ethnicity": _DFE_CODE | {"Other - Arab": "OARA"}},
        "Outcomes": {"outcome_type": {ours: f"{code} - {_CAREWORKS_WORDS.get(ours, ours)}"
                                      for ours, code in _CAREWORKS_CODE.items() if ours in c.OUTCOME_TYPES},
                     "court": {"Youth Court": "YTH", "Magistrates' Court": "MAG", "Crown Court": "CRN"}},
        "Interventions": {
            "intervention_type": {ours: f"{code} - {_CAREWORKS_WORDS.get(ours, ours)}"
                                  for ours, code in _CAREWORKS_CODE.items()},
            "scaled_approach": {"Standard": "STD", "Enhanced": "ENH", "Intensive": "INT"},
            "completion": {"Completed": "COMP - Completed", "Not completed": "NC - Not Completed",
                           "Breached": "BR - Breached", "Revoked": "REV - Revoked"},
            "accommodation_type_start": {o: f"{k} - {_ACCOMMODATION_WORDS.get(o, o)}"
                                         for o, k in _CAREWORKS_ACCOMMODATION.items()},
            "accommodation_type_end": {o: f"{k} - {_ACCOMMODATION_WORDS.get(o, o)}"
                                       for o, k in _CAREWORKS_ACCOMMODATION.items()},
            **{col: {"Suitable": "S", "Unsuitable": "U", "Unknown": "NK"}
               for col in ("ete_suitable_start", "ete_suitable_end", "accommodation_suitable_start",
                           "accommodation_suitable_end")}},
    },
    "capita": {
        "Children": {"gender": {"Not known": "Unknown"},
                     "ethnicity": {ours: ours.replace(" - ", " ") for ours in _ETHNICITY_CODE
                                   if not ours.startswith("Not known")}
                                  | {"Not known - Refused": "Refused", "Not known - Not obtained": "Not Obtained"}},
        "Outcomes": {"outcome_type": {k: v for k, v in _CAPITA_OUTCOMES.items() if k in c.OUTCOME_TYPES},
                     "court": {"Magistrates' Court": "Magistrates"}},
        "Interventions": {
            "intervention_type": _CAPITA_OUTCOMES,
            "completion": {"Completed": "Successful", "Not completed": "Unsuccessful", "Breached": "Breach Proven",
                           "Revoked": "Revoked by Court"},
            "ete_provision_start": _ETE_WORDS, "ete_provision_end": _ETE_WORDS,
            "accommodation_type_start": _ACCOMMODATION_WORDS, "accommodation_type_end": _ACCOMMODATION_WORDS},
    },
})

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

_IV_COLUMNS = tuple(_INTERVENTION_HEADINGS)


def _iv(*headings: str) -> dict[str, str]:
    """Interventions headings in our column order (:data:`_IV_COLUMNS`)."""
    assert len(headings) == len(_IV_COLUMNS)
    return dict(zip(_IV_COLUMNS, headings))


HEADINGS.update({
    "childview": {
        "Children": ("Young People", {
            "child_id": "ChildView ID", "date_of_birth": "Date Of Birth", "gender": "Gender",
            "ethnicity": "Ethnicity (ONS 2021)", "locality": "YJS Locality", "resident": "Resides In Area",
            "prior_substantive_outcome": "Prev. Substantive Outcome"}),
        "Outcomes": ("Offences and Outcomes", {
            "outcome_id": "Outcome Ref", "child_id": "ChildView ID", "offence_date": "Offence Date",
            "outcome_date": "Outcome Date", "outcome_type": "Legal Outcome", "offence_category": "Offence Category (YJB)",
            "gravity_score": "Gravity Score", "court": "Court", "looked_after": "Looked After at Outcome",
            "overturned_on_appeal": "Overturned on Appeal", "offence_id": "Offence Ref",
            "first_hearing_date": "First Hearing Date", "resident_at_outcome": "Resident at Outcome Date"}),
        "Interventions": ("Interventions", _iv(
            "Intervention Ref", "ChildView ID", "Outcome Ref", "Intervention Type", "Intervention Start Date",
            "Intervention End Date", "Team", "Case Manager", "Scaled Approach Level", "ETE Provision - Start",
            "ETE Provision - End", "ETE Suitable - Start", "ETE Suitable - End", "ETE Hours Offered - End",
            "ETE Hours Attended - End", "Accommodation - Start", "Accommodation - End",
            "Accommodation Suitable - Start", "Accommodation Suitable - End", "SEND Identified", "EHCP in Place",
            "Mental Health Need", "MH Intervention Offered", "MH Intervention Attended", "Substance Misuse Need",
            "SM Intervention Offered", "SM Intervention Attended", "Early Help", "Child Protection Plan",
            "Child in Need Plan", "Looked After During Intervention", "Completion Status", "Referral Order Panel Date",
            "Release Date", "MH Treatment at Start", "SM Treatment at Start", "ETE Hours Offered - Start",
            "Early Help Referral")),
    },
    "careworks": {
        "Children": ("Clients", {
            "child_id": "Client ID", "date_of_birth": "DOB", "gender": "Sex", "ethnicity": "Ethnic Origin",
            "locality": "Area Office", "resident": "Resident (Y/N)", "prior_substantive_outcome": "Previous Sanction (Y/N)"}),
        "Outcomes": ("Legal Outcomes", {
            "outcome_id": "Legal Outcome ID", "child_id": "Client ID", "offence_date": "Date of Offence",
            "outcome_date": "Date of Outcome", "outcome_type": "Legal Outcome Type", "offence_category": "Offence Group",
            "gravity_score": "Seriousness Score", "court": "Sentencing Court", "looked_after": "CLA at Outcome",
            "overturned_on_appeal": "Appeal Allowed (Y/N)", "offence_id": "Offence Number",
            "first_hearing_date": "Date of First Hearing", "resident_at_outcome": "In Area at Outcome (Y/N)"}),
        "Interventions": ("Orders & Programmes", _iv(
            "Programme ID", "Client ID", "Legal Outcome ID", "Programme Type", "Programme Start Date",
            "Programme End Date", "Allocated Team", "Allocated Worker", "Intervention Level", "EET at Start",
            "EET at End", "Suitable ETE at Start", "Suitable ETE at End", "Hours Offered at End", "Hours Attended at End",
            "Living Arrangements at Start", "Living Arrangements at End", "Suitable Accommodation at Start",
            "Suitable Accommodation at End", "SEN Identified", "EHC Plan", "EMH Need", "MH Intervention Offered",
            "MH Intervention Attended", "SMS Need", "SM Intervention Offered", "SM Intervention Attended",
            "Early Help Involvement", "CP Plan", "CIN Plan", "CLA During Order", "Reason for Closure",
            "Date of Initial Panel", "Date of Release", "Already in MH Treatment", "Already in SM Treatment",
            "Hours Offered at Start", "Referred to Early Help")),
    },
    "capita": {
        "Children": (EVENTS_SHEET, {
            "child_id": "Client No", "date_of_birth": "Date of Birth", "gender": "Gender", "ethnicity": "Ethnicity",
            "locality": "YOT Locality", "resident": "Resident in YOT Area", "prior_substantive_outcome": "Prior Sanction"}),
        "Outcomes": (EVENTS_SHEET, {
            "outcome_id": "Event Ref", "child_id": "Client No", "offence_date": "Offence Date",
            "outcome_date": "Outcome Date", "outcome_type": "Outcome", "offence_category": "Primary Offence",
            "gravity_score": "YJB Gravity", "court": "Court Type", "looked_after": "Looked After (Outcome)",
            "overturned_on_appeal": "Overturned", "offence_id": "Offence No.",
            "first_hearing_date": "First Court Appearance", "resident_at_outcome": "Resident at Outcome"}),
        "Interventions": (EVENTS_SHEET, _iv(
            "Episode No", "Client No", "Event Ref", "Episode Type", "Episode Start", "Episode End", "YOT Team",
            "Key Worker", "Intensity", "ETE Status at Start", "ETE Status at End", "ETE Suitable at Start",
            "ETE Suitable at End", "ETE Hours Offered at End", "ETE Hours Attended at End",
            "Accommodation Type at Start", "Accommodation Type at End", "Accommodation Suitable at Start",
            "Accommodation Suitable at End", "SEND", "EHCP", "Mental Health Need", "Mental Health Offered",
            "Mental Health Attended", "Substance Misuse Need", "Substance Misuse Offered", "Substance Misuse Attended",
            "Early Help Open", "Child Protection", "Child in Need", "LAC During Episode", "Episode Outcome",
            "Initial Panel", "Release from Custody", "In MH Treatment at Start", "In SM Treatment at Start",
            "ETE Hours Offered at Start", "EH Referral")),
    },
})

_NAMES = {"flat": "Example flat export (one row per order)",
          "system": "Example case system export (one sheet per entity)",
          "childview": "Example report export with a title block (ChildView style)",
          "careworks": "Example report export (CareWorks style)",
          "capita": "Example event list (Capita One style)"}


def _layout(layout: str) -> str:
    if layout not in LAYOUTS + SHAPES:
        raise ValueError(f"Unknown layout '{layout}'; use one of {', '.join(LAYOUTS + SHAPES)}.")
    return layout


def example_mapping(layout: str) -> Mapping:
    """The mapping of one example shape (what ``data/mappings/example_<layout>.json`` holds)."""
    def pairs(ours: str, col: str, codes: dict[str, str]) -> dict[str, str]:
        # a shape's mapping names only the codes the validator would not read as they are
        return {code: value for value, code in codes.items()
                if layout in LAYOUTS or vocab_value(ours, col, code) != value}

    sheets = tuple(
        SheetMapping(ours, their, columns,
                     {col: pairs(ours, col, codes) for col, codes in CODES[layout].get(ours, {}).items()})
        for ours, (their, columns) in HEADINGS[_layout(layout)].items())
    signature = {}
    for their, columns in HEADINGS[layout].values():
        signature.setdefault(their, [])
        signature[their] += [h for h in columns.values() if h not in signature[their]]
    rows = {their: len(TITLES[layout]) + 1 for their in signature} if layout in TITLES else {}
    return Mapping(_NAMES[layout], 1, sheets, DATE_WRITING[layout],
                   tuple((k, tuple(v)) for k, v in signature.items()), rows)


def _flat_columns(layout: str) -> list[str]:
    return list(example_mapping(layout).signature[0][1])


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
            write = (lambda v, yn=YES_NO[layout]: yn[0] if v else yn[1])
        elif kind == "date":
            write = ((lambda v, f=DATE_WRITING[layout]: v.strftime(f)) if DATE_WRITING[layout]
                     else (lambda v: v.to_pydatetime()))
        elif kind in ("int", "number"):
            write = int if kind == "int" else float
        elif col in codes:
            write = (lambda v, table=codes[col]: table.get(v, v))
        else:
            write = (lambda v: neutralise(v) if isinstance(v, str) else v)
        s = s.map(write, na_action="ignore")
        out[heading] = s.where(filled, None)
    return pd.DataFrame(out, index=frame.index, dtype="object")


def _flat_rows(ds: Dataset, layout: str = "flat") -> pd.DataFrame:
    """One row per order: each outcome with its intervention, each intervention without an outcome,
    and each child with neither; the child's details on every row."""
    _, child, outcome = ONE_SHEET[layout]
    children = _their_frame(ds, layout, "Children")
    outcomes = _their_frame(ds, layout, "Outcomes")
    interventions = _their_frame(ds, layout, "Interventions")
    linked = interventions[outcome].notna()
    orders = pd.concat([outcomes.merge(interventions[linked], on=[child, outcome], how="outer"),
                        interventions[~linked]], ignore_index=True)
    rows = children.merge(orders, on=child, how="left").sort_values(child, kind="stable")
    return rows[_flat_columns(layout)].astype("object")


def _write(sheets: dict[str, pd.DataFrame], titles: tuple[str, ...] = ()) -> bytes:
    wb = Workbook(write_only=True)
    for name, frame in sheets.items():
        ws = wb.create_sheet(name)
        for line in titles:  # a report's title block: one cell a row above the headings
            ws.append([line.format(sheet=name)])
        ws.append(list(frame.columns))
        for row in frame.itertuples(index=False, name=None):
            ws.append([None if v is None or (isinstance(v, float) and v != v) else v for v in row])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_xlsx(ds: Dataset, layout: str) -> bytes:
    """``ds`` written in one example export shape."""
    if _layout(layout) in ONE_SHEET:
        return _write({ONE_SHEET[layout][0]: _flat_rows(ds, layout)})
    ours = ("Children", "Outcomes", "Interventions") if layout in SHAPES else HEADINGS[layout]
    return _write({HEADINGS[layout][o][0]: _their_frame(ds, layout, o) for o in ours}, TITLES.get(layout, ()))


def demo_export(layout: str, seed: int = 7, children: int = 1500) -> bytes:
    """The demo service (:func:`~yj_metrics.demo.demo_dataset`) as a case system would export it."""
    return export_xlsx(demo_dataset(seed=seed, children=children), layout)
