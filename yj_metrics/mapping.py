"""Reading a case management system's own export (ChildView, CACI/Careworks, Capita One...).

A :class:`Mapping` says which of their sheets feeds each of our sheets, which of their headings
holds each of our columns, what their codes mean in our vocabularies (``YRO`` is Youth
Rehabilitation Order), and how they write dates. It is saved as JSON and recognised next month by
its *signature* (their sheet names and headings), so only new codes need asking about.

A mapping holds headings and vocabulary values only, never child data: value maps exist only for
vocabulary columns, their right-hand side must be one of our vocabulary values, and a left-hand
side that looks like a date or an id (four digits in a row) is refused when the mapping is built.

- :func:`detect_heading_row`: the row a sheet's headings are on, under a title block ("YJS Caseload
  Extract", "Run 05/12/2026"); the mapping keeps it (``heading_rows``) and reads each sheet from it;
- :func:`suggest` / :func:`suggestions`: a first draft from heading names (a list of synonyms, matched
  on their words with rapidfuzz), the values in each column and our vocabularies, with a confidence
  for each suggestion; a code is put in the draft only when sure (:data:`APPLY_AT`);
- :func:`code_questions`: every code in the coded columns, one question per code and vocabulary (the
  same code in start and end accommodation is asked once), whether read already or not, so every
  code can be reviewed and changed (:meth:`Mapping.with_answer` applies an answer to each place);
- :func:`apply`: their workbook as a canonical :class:`~yj_metrics.reading.RawWorkbook` (what
  :func:`~yj_metrics.validation.validate` takes) with the coordinates of every cell in their
  file; :func:`translate` turns validation problems into their sheet, row and heading;
- :func:`validate_mapped`: both at once; nothing is stored unless it has no errors (the caller
  then passes ``report.dataset`` to ``Store.load_dataset``).

One of their sheets may feed several of ours (a flat export with one row per order feeds
Children, Outcomes and Interventions): a row belongs to one of our sheets when any of the
headings only that sheet uses is filled in. Children and outcomes are de-duplicated by id, and a
repeated id whose other cells differ is a problem at the differing cell. Their Excel row numbers
are kept as the canonical rows' numbers, so row numbers in messages are theirs.
"""
from __future__ import annotations

import datetime as dt
import functools
import json
import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

import pandas as pd
from rapidfuzz import fuzz, process

from . import contract as c
from .reading import RawSheet, RawWorkbook
from .validation import IGNORED_SHEETS, Problem, ValidationReport, validate, vocab_value

__all__ = ["APPLY_AT", "SCHEMA", "CodeQuestion", "ColumnSuggestion", "MappedWorkbook", "Mapping", "SheetMapping",
           "Suggestions", "ValueSuggestion", "apply", "code_questions", "could_be_headings", "detect_heading_row",
           "detect_heading_rows", "find_mapping", "heading_row_candidates", "heading_words", "in_our_layout",
           "matches", "read_headings", "shipped_mappings", "signature_of", "suggest", "suggestions", "translate",
           "unmapped_values", "validate_mapped", "with_heading_row"]

FORMAT = "yj-dashboard-mapping"
#: the JSON layout of a saved mapping: 1 had no ``schema`` key and no heading rows (every heading on row 1);
#: 2 adds ``heading_rows``. A file of a newer schema is refused with a message, never half-read.
SCHEMA = 2
#: a code suggestion is applied (and shown for review) at this confidence or above; below it, it is asked
APPLY_AT = 0.8
#: the heading row is looked for among the first rows of a sheet, and a saved one may be at most this
MAX_HEADING_ROW = 30
SHIPPED_DIR = Path(__file__).resolve().parents[1] / "data" / "mappings"
#: our sheets whose rows are de-duplicated by their key when read from an export
DEDUPLICATED = ("Children", "Outcomes")
#: text date formats tried on an export, day first before month first (UK files)
DATE_FORMATS = ("%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%d/%m/%y", "%Y-%m-%d", "%d %b %Y", "%d-%b-%Y", "%d %B %Y",
                "%d-%b-%y", "%Y%m%d", "%m/%d/%Y", "%d/%m/%Y %H:%M", "%d/%m/%Y %H:%M:%S", "%Y-%m-%d %H:%M:%S")

# --------------------------------------------------------------------------- what case systems call things

#: our sheet -> names case systems give the sheet
SHEET_SYNONYMS = {
    "Children": ("children", "young people", "young persons", "people", "persons", "clients", "child details",
                 "yp details", "person details", "cases"),
    "Outcomes": ("outcomes", "legal outcomes", "disposals", "sentences", "court outcomes", "offences"),
    "Interventions": ("interventions", "programmes", "orders", "interventions and orders", "episodes",
                      "supervision", "caseload"),
    "Victims": ("victims", "victim contacts", "victim work", "restorative justice"),
    "Remands": ("remands", "remand episodes", "secure remands"),
    "Board_attendance": ("board attendance", "board", "management board", "partnership board"),
    "Population": ("population", "population estimates", "mid year estimates"),
    "Benchmarks": ("benchmarks", "comparators", "national data"),
}

#: our column (``column`` for every sheet, ``Sheet.column`` for one) -> headings case systems use
HEADING_SYNONYMS: dict[str, tuple[str, ...]] = {
    "child_id": ("YP ID", "Person ID", "CLD ID", "Child ID", "Client ID", "Young Person ID", "YP Ref", "Person Ref",
                 "Client Ref", "Child Ref", "Subject ID", "PID", "YJ ID", "ChildView ID", "Child Number",
                 "Person Number", "Client Number", "Client No", "CV ID", "Case Number", "Young Person Number",
                 "Person Identifier", "UPN"),
    "date_of_birth": ("DOB", "D.O.B.", "Date of Birth", "Birth Date", "Birthdate", "YP DOB"),
    "gender": ("Gender", "Sex", "Gender Identity", "Legal Sex", "Sex Code"),
    "ethnicity": ("Ethnicity", "Ethnic Origin", "Ethnic Group", "Ethnicity Code", "Ethnic Code",
                  "Self-Defined Ethnicity", "Ethnicity (ONS)"),
    "Children.locality": ("Locality", "Area", "Team Area", "Locality Team", "Home Area", "District", "Locality Name",
                          "Area Office", "Patch"),
    "Population.locality": ("Locality", "Area", "District"),
    "resident": ("Resident", "Resident in Area", "Lives in Area", "Local Resident", "In Area", "Residency",
                 "Resides in Area", "Home LA Resident", "Local Child"),
    "prior_substantive_outcome": ("Prior Substantive Outcome", "Previous Substantive Outcome", "Previous Sanction",
                                  "Prior Sanction", "Previous Conviction", "Prior Conviction",
                                  "Previous Caution or Conviction", "Previous Sanction (Y/N)"),
    "outcome_id": ("Outcome ID", "Outcome Ref", "Outcome Number", "Disposal ID", "Disposal Ref", "Sentence ID",
                   "Legal Outcome ID", "Outcome Reference", "Event ID", "Outcome Event ID", "Court Event ID",
                   "Legal Event ID"),
    "offence_date": ("Offence Date", "Date of Offence", "Offence Committed", "Date Offence Committed"),
    "outcome_date": ("Outcome Date", "Date of Outcome", "Sentence Date", "Disposal Date", "Legal Outcome Date",
                     "Date of Sentence", "Date Sentenced", "Event Date", "Outcome Event Date", "Date of Disposal"),
    "outcome_type": ("Outcome", "Outcome Type", "Legal Outcome", "Disposal", "Disposal Type", "Sentence",
                     "Sentence Type", "Outcome Code", "Legal Outcome Type", "Outcome Description", "Disposal Description",
                     "Event Outcome", "Legal Status", "Final Outcome"),
    "offence_category": ("Offence Category", "Offence Type", "Offence Group", "Primary Offence Category",
                         "Offence Class", "Main Offence", "Primary Offence", "Primary Offence Type", "Offence Type (YJB)",
                         "Most Serious Offence", "Principal Offence", "Offence Description"),
    "gravity_score": ("Gravity Score", "Gravity", "Offence Gravity", "Seriousness Score", "Gravity Factor",
                      "Offence Seriousness", "Seriousness", "Gravity Rating"),
    "court": ("Court", "Court Type", "Sentencing Court", "Court Level", "Court Name", "Court Tier"),
    "Outcomes.looked_after": ("LAC at Outcome", "Looked After at Outcome", "CLA at Outcome",
                              "Care Status at Outcome", "Looked After (Outcome)", "Looked After", "LAC"),
    "overturned_on_appeal": ("Overturned on Appeal", "Overturned", "Appeal Allowed", "Quashed on Appeal",
                             "Successful Appeal"),
    "offence_id": ("Offence ID", "Offence Ref", "Offence Number", "Offence Reference", "Charge ID", "Charge Number",
                   "Offence Sequence"),
    "first_hearing_date": ("First Hearing Date", "First Hearing", "First Court Date", "Date of First Hearing",
                           "First Appearance Date", "First Court Appearance", "First Appearance",
                           "Date of First Appearance", "First Court Appearance Date"),
    "resident_at_outcome": ("Resident at Outcome", "Lived in Area at Outcome", "In Area at Outcome",
                            "Resident (Outcome)", "Resident at Outcome Date", "Resides in Area at Outcome"),
    "intervention_id": ("Intervention ID", "Programme ID", "Order ID", "Episode ID", "Intervention Ref",
                        "Programme Ref", "Order Ref", "Supervision ID", "Intervention Number", "Episode Number",
                        "Involvement ID", "Work ID"),
    "intervention_type": ("Intervention Type", "Programme Type", "Intervention", "Programme", "Order Type",
                          "Episode Type", "Supervision Type", "Order", "Intervention Description",
                          "Programme Description", "Involvement Type", "Work Type"),
    "Interventions.start_date": ("Start Date", "Intervention Start", "Programme Start", "Order Start",
                                 "Date Started", "Episode Start", "Start", "Intervention Start Date", "Programme Start Date",
                                 "Episode Start Date", "Order Start Date", "Involvement Start"),
    "Interventions.end_date": ("End Date", "Intervention End", "Programme End", "Order End", "Date Ended",
                               "Episode End", "End", "Closure Date", "Date Closed", "Intervention End Date",
                               "Programme End Date", "Episode End Date", "Order End Date", "Involvement End"),
    "team": ("Team", "Team Name", "Allocated Team", "YOT Team", "Service Team", "Responsible Team", "Owning Team"),
    "case_worker": ("Case Worker", "Case Worker ID", "Worker ID", "Caseworker", "Allocated Worker", "Worker",
                    "Practitioner ID", "Case Manager ID", "Officer ID", "Case Manager", "Key Worker",
                    "Allocated Case Manager", "Practitioner", "Responsible Officer", "Lead Worker"),
    "scaled_approach": ("Scaled Approach", "Intensity", "Intervention Level", "Supervision Level",
                        "Level of Intervention", "Scaled Approach Level", "Intensity Level",
                        "Supervision Intensity", "Contact Level"),
    "ete_provision_start": ("ETE at Start", "ETE Status at Start", "ETE Provision at Start", "ETE Start",
                            "Education at Start", "EET at Start"),
    "ete_provision_end": ("ETE at End", "ETE Status at End", "ETE Provision at End", "ETE End", "Education at End",
                          "EET at End"),
    "ete_suitable_start": ("ETE Suitable at Start", "ETE Suitability at Start", "ETE Suitable Start",
                           "Suitable ETE at Start"),
    "ete_suitable_end": ("ETE Suitable at End", "ETE Suitability at End", "ETE Suitable End", "Suitable ETE at End"),
    "ete_hours_offered_end": ("ETE Hours Offered (End)", "ETE Hours Offered at End", "Hours Offered at End",
                              "ETE Hours Offered End", "Hours Offered End"),
    "ete_hours_attended_end": ("ETE Hours Attended (End)", "ETE Hours Attended at End", "Hours Attended at End",
                               "ETE Hours Attended End", "Hours Attended End", "ETE Hours Attended"),
    "ete_hours_offered_start": ("ETE Hours Offered (Start)", "ETE Hours Offered at Start", "Hours Offered at Start",
                                "ETE Hours Offered Start", "Hours Offered Start"),
    "accommodation_type_start": ("Accommodation at Start", "Accommodation Type at Start", "Accommodation Start",
                                 "Living Arrangements at Start"),
    "accommodation_type_end": ("Accommodation at End", "Accommodation Type at End", "Accommodation End",
                               "Living Arrangements at End"),
    "accommodation_suitable_start": ("Accommodation Suitable at Start", "Accommodation Suitability at Start",
                                     "Suitable Accommodation at Start"),
    "accommodation_suitable_end": ("Accommodation Suitable at End", "Accommodation Suitability at End",
                                   "Suitable Accommodation at End"),
    "send_identified": ("SEND Identified", "SEND", "SEN", "SEN Identified", "Special Educational Needs"),
    "send_plan": ("SEND Plan", "EHCP", "EHC Plan", "SEND Plan (EHCP)", "SEN Plan", "EHCP in Place", "Has EHCP"),
    "mh_need": ("MH Need", "Mental Health Need", "Mental Health Need Identified", "EMH Need"),
    "mh_offered": ("MH Offered", "Mental Health Offered", "Mental Health Intervention Offered",
                   "MH Intervention Offered"),
    "mh_attended": ("MH Attended", "Mental Health Attended", "Mental Health Intervention Attended",
                    "MH Intervention Attended"),
    "sm_need": ("SM Need", "Substance Misuse Need", "Substance Misuse Need Identified", "SMS Need"),
    "sm_offered": ("SM Offered", "Substance Misuse Offered", "Substance Misuse Intervention Offered",
                   "SM Intervention Offered"),
    "sm_attended": ("SM Attended", "Substance Misuse Attended", "Substance Misuse Intervention Attended",
                    "SM Intervention Attended"),
    "early_help": ("Early Help", "Early Help Open", "Early Help Involvement"),
    "child_protection": ("Child Protection", "CP", "CP Plan", "Child Protection Plan"),
    "child_in_need": ("Child in Need", "CIN", "CIN Plan", "Child in Need Plan"),
    "Interventions.looked_after": ("LAC During Order", "Looked After During Order", "CLA During Order",
                                   "Looked After", "LAC", "CLA", "Care Status", "Looked After During Intervention",
                                   "LAC During Episode", "Looked After During Episode"),
    "completion": ("Completion", "Completion Status", "Outcome of Order", "Closure Reason", "Ending",
                   "End Reason", "How Ended", "Reason for Closure", "Closure Outcome", "Episode Outcome",
                   "Intervention Outcome", "Completion Reason"),
    "panel_date": ("Panel Date", "Initial Panel Date", "First Panel Date", "Referral Order Panel Date",
                   "Initial Panel", "Date of Initial Panel", "RO Panel Date"),
    "release_date": ("Release Date", "Date of Release", "Released", "Release from Custody"),
    "mh_in_treatment_at_start": ("MH Treatment at Start", "In MH Treatment at Start",
                                 "Mental Health Treatment at Start", "Already in MH Treatment"),
    "sm_in_treatment_at_start": ("SM Treatment at Start", "In SM Treatment at Start",
                                 "Substance Misuse Treatment at Start", "Already in SM Treatment"),
    "early_help_referral": ("Early Help Referral", "Referred to Early Help", "EH Referral"),
    "victim_id": ("Victim ID", "Victim Ref", "Victim Number", "Victim Reference"),
    "consented_to_contact": ("Consented to Contact", "Consent to Contact", "Victim Consent", "Contact Consent"),
    "views_sought": ("Views Sought", "Victim Views Sought", "Views Obtained"),
    "rj_offered": ("RJ Offered", "Restorative Justice Offered", "Restorative Offered"),
    "rj_engaged": ("RJ Engaged", "RJ Participated", "Restorative Justice Engaged", "Took Part in RJ"),
    "progress_info_requested": ("Progress Info Requested", "Progress Information Requested", "Updates Requested"),
    "progress_info_provided": ("Progress Info Provided", "Progress Information Provided", "Updates Provided"),
    "support_requested": ("Support Requested", "Victim Support Requested"),
    "support_provided": ("Support Provided", "Victim Support Provided"),
    "remand_id": ("Remand ID", "Remand Ref", "Remand Number", "Remand Episode ID"),
    "remand_type": ("Remand Type", "Remand To", "Remand Placement", "Type of Remand", "Remand Status"),
    "Remands.start_date": ("Remand Start", "Remand Start Date", "Date Remanded", "Start Date", "Start"),
    "Remands.end_date": ("Remand End", "Remand End Date", "Remand Ended", "End Date", "End"),
    "meeting_date": ("Meeting Date", "Board Date", "Date of Meeting", "Board Meeting Date"),
    "sector": ("Sector", "Agency", "Partner", "Organisation", "Partner Agency"),
    "attendance": ("Attendance", "Attended", "Attendance Level", "Representation"),
    "data_contributed": ("Data Contributed", "Data Provided", "Data Shared", "Report Provided"),
    "age": ("Age", "Single Year of Age", "Age (Years)"),
    "age_band": ("Age Band", "Age Group", "Age Range"),
    "population": ("Population", "Count", "Estimate", "Population Estimate", "Mid-Year Estimate", "Persons"),
    "year": ("Year", "Estimate Year", "Mid-Year", "Population Year"),
    "indicator": ("Indicator", "Measure", "KPI", "Metric"),
    "period_start": ("Period Start", "From", "Start of Period", "Period From"),
    "period_end": ("Period End", "To", "End of Period", "Period To"),
    "comparator": ("Comparator", "Comparison", "Area Compared", "Benchmark Group"),
    "value": ("Value", "Rate", "Result", "Figure"),
}

#: codes case systems use for our vocabulary values (``column`` or ``Sheet.column`` -> code -> ours)
_OUTCOME_CODES = {
    "CR": "Community Resolution", "COMRES": "Community Resolution", "O22": "Outcome 22",
    "OC22": "Outcome 22", "O22DP": "Outcome 22 deferred prosecution", "DP": "Outcome 22 deferred prosecution",
    "O20/21": "Outcome 20/21", "O20": "Outcome 20/21", "O21": "Outcome 20/21", "OD": "Other diversion",
    "YC": "Youth Caution", "YCC": "Youth Conditional Caution", "RO": "Referral Order", "REFO": "Referral Order",
    "REP": "Reparation Order", "RPO": "Reparation Order", "FINE": "Fine", "FN": "Fine",
    "CD": "Conditional Discharge", "CDIS": "Conditional Discharge", "AD": "Absolute Discharge",
    "ADIS": "Absolute Discharge", "OFT": "Other first-tier", "YRO": "Youth Rehabilitation Order",
    "YRO ISS": "Youth Rehabilitation Order", "DTO": "Detention and Training Order", "S250": "Section 250",
    "S91": "Section 250", "SEC 91": "Section 250", "SEC 250": "Section 250", "OCUST": "Other custodial",
    "OC": "Other custodial", "DTO": "Detention and Training Order", "S250": "Section 250",
    "Section 91": "Section 250", "Detention & Training Order": "Detention and Training Order",
    "Youth Rehab Order": "Youth Rehabilitation Order", "YRO with ISS": "Youth Rehabilitation Order",
    "Deferred Prosecution": "Outcome 22 deferred prosecution", "Conditional Caution": "Youth Conditional Caution",
    "Outcome 20": "Outcome 20/21", "Outcome 21": "Outcome 20/21", "Compensation Order": "Other first-tier",
    "Bind Over": "Other first-tier", "Parenting Order": "Other first-tier",
}
VALUE_CODES: dict[str, dict[str, str]] = {
    "outcome_type": _OUTCOME_CODES,
    "intervention_type": {**_OUTCOME_CODES, "PREV": "Prevention", "PR": "Prevention", "TURN": "Turnaround",
                          "TA": "Turnaround", "BAIL": "Bail supervision", "BS": "Bail supervision",
                          "BSS": "Bail supervision", "ISS BAIL": "Bail supervision"},
    "gender": {"O": "Other", "X": "Other", "I": "Other", "U": "Not known", "NK": "Not known", "N": "Not known",
               "NS": "Not known", "Unknown/Not stated": "Not known", "Prefer not to say": "Not known"},
    "ethnicity": {
        "W1": "White - British", "W2": "White - Irish", "W3": "White - Gypsy or Irish Traveller", "W4": "White - Roma",
        "W9": "White - Any other White background", "M1": "Mixed - White and Black Caribbean",
        "M2": "Mixed - White and Black African", "M3": "Mixed - White and Asian",
        "M9": "Mixed - Any other Mixed background", "A1": "Asian - Indian", "A2": "Asian - Pakistani",
        "A3": "Asian - Bangladeshi", "A4": "Asian - Chinese", "A9": "Asian - Any other Asian background",
        "B1": "Black - Caribbean", "B2": "Black - African", "B9": "Black - Any other Black background",
        "O1": "Other - Arab", "O9": "Other - Any other ethnic group", "NS": "Not known - Refused",
        "Z1": "Not known - Refused", "Z2": "Not known - Not obtained", "NK": "Not known - Not obtained",
    },
    "scaled_approach": {"STD": "Standard", "S": "Standard", "ENH": "Enhanced", "E": "Enhanced",
                        "INT": "Intensive", "I": "Intensive"},
    "completion": {"C": "Completed", "COMP": "Completed", "NC": "Not completed", "B": "Breached", "BR": "Breached",
                   "R": "Revoked", "REV": "Revoked", "Successful": "Completed", "Completed Successfully": "Completed",
                   "Successfully Completed": "Completed", "Unsuccessful": "Not completed", "Breach": "Breached",
                   "Breach Proven": "Breached", "Revoked by Court": "Revoked", "Revocation": "Revoked"},
    "court": {"YC": "Youth Court", "MC": "Magistrates' Court", "CC": "Crown Court"},
    "remand_type": {"SCH": "Secure children's home", "STC": "Secure training centre",
                    "YOI": "Young offender institution", "LAA": "Local authority accommodation",
                    "LA": "Local authority accommodation", "RLAA": "Local authority accommodation"},
}
for _col in ("ete_provision_start", "ete_provision_end"):
    VALUE_CODES[_col] = {"AP": "Alternative provision/PRU", "PRU": "Alternative provision/PRU",
                         "EHE": "Elective home education", "FE": "College", "APP": "Apprenticeship",
                         "EMP": "Employment", "UNI": "University", "NK": "Not known",
                         "Mainstream School": "School", "Pupil Referral Unit": "Alternative provision/PRU",
                         "Alternative Provision": "Alternative provision/PRU", "Further Education": "College",
                         "FE College": "College", "Employed": "Employment", "Home Educated": "Elective home education",
                         "Not in Education, Employment or Training": "NEET", "Education Other Than at School":
                         "Alternative provision/PRU", "Secure Estate Education": "Education in custody"}
for _col in ("accommodation_type_start", "accommodation_type_end"):
    VALUE_CODES[_col] = {"NFA": "No fixed abode", "YOI": "Young offender institution",
                         "STC": "Secure training centre", "SCH": "Secure children's home", "FC": "Foster care",
                         # a (non-secure) children's home is residential care, never a secure children's home
                         "Children's Home": "Residential unit", "Residential Children's Home": "Residential unit",
                         "Living with Parent(s)": "Living with parents", "Parental Home": "Living with parents",
                         "Living with Relatives": "Living with family (not parents)",
                         "Kinship Care": "Living with family (not parents)", "Foster Placement": "Foster care",
                         "Supported Lodgings": "Supported accommodation/lodgings",
                         "Semi-Independent": "Supported accommodation/lodgings", "Bed and Breakfast":
                         "Temporary accommodation", "B&B": "Temporary accommodation",
                         "Hostel": "Temporary accommodation", "Independent": "Independent living"}
for _col in ("ete_suitable_start", "ete_suitable_end", "accommodation_suitable_start", "accommodation_suitable_end"):
    VALUE_CODES[_col] = {"S": "Suitable", "Y": "Suitable", "U": "Unsuitable", "N": "Unsuitable",
                         "NOT SUITABLE": "Unsuitable", "UNK": "Unknown", "NK": "Unknown", "Not Known": "Unknown",
                         "Not Recorded": "Unknown"}


def _norm_key(v: str) -> str:
    return c.norm_text(v)


_CODE_LOOKUP = {col: {_norm_key(k): v for k, v in codes.items()} for col, codes in VALUE_CODES.items()}

# --------------------------------------------------------------------------- the mapping

_DATE_LIKE = re.compile(r"\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4}")
_MAX_VALUE_LENGTH = 60


def _vocab_columns(sheet: str) -> tuple[str, ...]:
    return tuple(col.name for col in c.SHEETS_BY_NAME[sheet].columns if col.kind == "vocab")


def _check_value(sheet: str, column: str, theirs: str, ours: str) -> None:
    """Refuse a value map that could hold child data (see the module docstring)."""
    spec = c.SHEETS_BY_NAME[sheet].column(column)
    if spec.kind != "vocab":
        raise ValueError(f"{sheet}.{column} is not a vocabulary column, so it has no value map.")
    if ours not in spec.vocab:
        raise ValueError(f"'{ours}' is not a {column} value ({sheet}).")
    if (not isinstance(theirs, str) or not theirs.strip() or len(theirs) > _MAX_VALUE_LENGTH
            or _DATE_LIKE.search(theirs) or re.search(r"\d{4}", theirs)):
        raise ValueError(f"A {column} value in a mapping must be a short code or word, not a date, id or "
                         f"free text ({sheet}.{column}).")


@dataclass(frozen=True)
class SheetMapping:
    """One of our sheets: the sheet of theirs that feeds it, its columns and its value maps.

    ``columns``: our column -> their heading. ``values``: our vocabulary column -> {their value:
    our value}; their values match ignoring case and surrounding spaces."""

    sheet: str
    source: str
    columns: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, str]] = field(default_factory=dict)

    def __post_init__(self):
        spec = c.SHEETS_BY_NAME.get(self.sheet)
        if spec is None:
            raise ValueError(f"'{self.sheet}' is not one of our sheets ({', '.join(c.SHEETS_BY_NAME)}).")
        unknown = [col for col in self.columns if col not in spec.column_names]
        if unknown:
            raise ValueError(f"{self.sheet} has no column {', '.join(unknown)}.")
        for col, pairs in self.values.items():
            for theirs, ours in pairs.items():
                _check_value(self.sheet, col, theirs, ours)
        object.__setattr__(self, "columns", MappingProxyType({k: str(v) for k, v in self.columns.items()}))
        object.__setattr__(self, "values", MappingProxyType(
            {col: MappingProxyType({k.strip(): v for k, v in pairs.items()}) for col, pairs in self.values.items()
             if pairs}))

    def value_of(self, column: str, theirs: object) -> str | None:
        """Our value for one of their values in ``column`` (case-insensitive), or ``None``."""
        key = _text(theirs).casefold()
        return next((ours for k, ours in self.values.get(column, {}).items() if k.casefold() == key), None)

    def to_dict(self) -> dict:
        return {"source": self.source, "columns": dict(self.columns),
                "values": {col: dict(pairs) for col, pairs in self.values.items()}}


@dataclass(frozen=True)
class Mapping:
    """How one case system's export becomes our workbook (JSON: :meth:`to_json` / :meth:`from_json`).

    ``date_format`` (``strptime``) reads their text dates; ``None`` leaves dates to the validator
    (real date cells, ISO or day-first text). ``signature``: their sheet names and headings.
    ``heading_rows``: their sheet -> the Excel row its headings are on, for a sheet with a title block
    above them (a sheet not named has its headings on row 1; rows above the headings are not read)."""

    name: str
    version: int = 1
    sheets: tuple[SheetMapping, ...] = ()
    date_format: str | None = "%d/%m/%Y"
    signature: tuple[tuple[str, tuple[str, ...]], ...] = ()
    heading_rows: dict[str, int] = field(default_factory=dict)

    def __post_init__(self):
        names = [s.sheet for s in self.sheets]
        if len(set(names)) != len(names):
            raise ValueError("Each of our sheets can be fed by one sheet of the export only.")
        object.__setattr__(self, "sheets", tuple(self.sheets))
        object.__setattr__(self, "signature", tuple((str(s), tuple(str(h) for h in hs)) for s, hs in self.signature))
        rows = {}
        for sheet, row in dict(self.heading_rows).items():
            if isinstance(row, bool) or not isinstance(row, int) or not 1 <= row <= MAX_HEADING_ROW:
                raise ValueError(f"The headings of sheet '{sheet}' must be on a row from 1 to {MAX_HEADING_ROW}, "
                                 f"not {row!r}.")
            if row > 1:
                rows[str(sheet)] = row
        object.__setattr__(self, "heading_rows", MappingProxyType(dict(sorted(rows.items()))))

    def heading_row(self, source: str) -> int:
        """The Excel row the headings of their sheet ``source`` are on (1 unless the mapping says otherwise)."""
        if source in self.heading_rows:
            return self.heading_rows[source]
        return next((r for n, r in self.heading_rows.items() if c.norm_name(n) == c.norm_name(source)), 1)

    def sheet(self, name: str) -> SheetMapping | None:
        return next((s for s in self.sheets if s.sheet == name), None)

    def to_dict(self) -> dict:
        return {"format": FORMAT, "schema": SCHEMA, "name": self.name, "version": self.version,
                "date_format": self.date_format, "heading_rows": dict(self.heading_rows),
                "sheets": {s.sheet: s.to_dict() for s in self.sheets},
                "signature": {sheet: list(headings) for sheet, headings in self.signature}}

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False) + "\n"

    @classmethod
    def from_dict(cls, d: dict) -> "Mapping":
        if d.get("format") != FORMAT:
            raise ValueError(f"This is not a saved mapping (no \"format\": \"{FORMAT}\").")
        schema = d.get("schema", 1)  # schema 1 (before heading rows) had no "schema" key
        if isinstance(schema, bool) or not isinstance(schema, int) or schema < 1:
            raise ValueError(f"The mapping's \"schema\" must be a whole number, not {schema!r}.")
        if schema > SCHEMA:
            raise ValueError(f"This mapping was saved by a newer version of the dashboard (schema {schema}; this "
                             f"one reads up to {SCHEMA}). Update the dashboard, or export the mapping again from "
                             "the version that made it.")
        sheets = tuple(SheetMapping(name, s["source"], s.get("columns", {}), s.get("values", {}))
                       for name, s in d.get("sheets", {}).items())
        rows = d.get("heading_rows") or {}
        if not isinstance(rows, dict):
            raise ValueError("The mapping's \"heading_rows\" must map sheet names to row numbers.")
        return cls(d.get("name", ""), int(d.get("version", 1)), sheets, d.get("date_format"),
                   tuple((k, tuple(v)) for k, v in d.get("signature", {}).items()), rows)

    @classmethod
    def from_json(cls, text: str) -> "Mapping":
        try:
            return cls.from_dict(json.loads(text))
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            raise ValueError(f"The mapping file could not be read ({type(exc).__name__}: {exc}).") from None

    def with_column(self, sheet: str, column: str, heading: str | None) -> "Mapping":
        """A copy with ``column`` of ``sheet`` read from ``heading`` (``None``: not read)."""
        sm = self._sheet_or_fail(sheet)
        cols = {k: v for k, v in sm.columns.items() if k != column}
        if heading is not None:
            cols[column] = heading
        return self._with(replace(sm, columns=cols, values=_plain(sm.values)))

    def with_value(self, sheet: str, column: str, theirs: str, ours: str | None) -> "Mapping":
        """A copy where their value ``theirs`` in ``column`` means ``ours`` (``None``: forget it)."""
        sm = self._sheet_or_fail(sheet)
        values = _plain(sm.values)
        pairs = {k: v for k, v in values.get(column, {}).items() if k.casefold() != theirs.strip().casefold()}
        if ours is not None:
            pairs[theirs.strip()] = ours
        values[column] = pairs
        return self._with(replace(sm, columns=dict(sm.columns), values=values))

    def with_heading_row(self, source: str, row: int) -> "Mapping":
        """A copy that reads the headings of their sheet ``source`` from Excel row ``row``."""
        rows = {k: v for k, v in self.heading_rows.items() if c.norm_name(k) != c.norm_name(source)}
        return replace(self, heading_rows={**rows, source: row})

    def with_answer(self, question: "CodeQuestion", ours: str | None) -> "Mapping":
        """A copy where ``question``'s code means ``ours`` in every column it was found in (``None``: forget
        it). A column whose vocabulary lacks ``ours`` keeps the code unread, so it is asked about there."""
        mapping = self
        for place in question.places:
            value = _fit_vocab(place.sheet, place.column, ours) if ours is not None else None
            if mapping.sheet(place.sheet) is not None:
                mapping = mapping.with_value(place.sheet, place.column, place.value, value)
        return mapping

    def with_source(self, sheet: str, source: str | None) -> "Mapping":
        """A copy where our ``sheet`` is fed by their sheet ``source`` (``None``: not fed)."""
        kept = tuple(s for s in self.sheets if s.sheet != sheet)
        if source is not None:
            old = self.sheet(sheet)
            new = SheetMapping(sheet, source, dict(old.columns) if old else {}, _plain(old.values) if old else {})
            kept += (new,)
        return replace(self, sheets=_ordered(kept))

    def _sheet_or_fail(self, sheet: str) -> SheetMapping:
        sm = self.sheet(sheet)
        if sm is None:
            raise KeyError(f"The mapping does not read our {sheet} sheet; give it a source first.")
        return sm

    def _with(self, sm: SheetMapping) -> "Mapping":
        return replace(self, sheets=_ordered(tuple(s for s in self.sheets if s.sheet != sm.sheet) + (sm,)))


def _plain(values) -> dict[str, dict[str, str]]:
    return {col: dict(pairs) for col, pairs in values.items()}


def _ordered(sheets) -> tuple[SheetMapping, ...]:
    order = {s.name: i for i, s in enumerate(c.SHEETS)}
    return tuple(sorted(sheets, key=lambda s: order[s.sheet]))


def shipped_mappings(folder: Path | str = SHIPPED_DIR) -> list[Mapping]:
    """The mappings saved as ``*.json`` in ``folder`` (default: the shipped ``data/mappings/``)."""
    return [Mapping.from_json(p.read_text(encoding="utf-8")) for p in sorted(Path(folder).glob("*.json"))]


# --------------------------------------------------------------------------- cells and sheets

def _text(v: object) -> str:
    """A cell as text for comparing and mapping: blank is ``""``; ``3.0`` is ``"3"``; dates ISO."""
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    if isinstance(v, (dt.date, dt.datetime)):
        return v.isoformat()
    return str(v).strip()


def _grid(sheet: RawSheet) -> pd.DataFrame:
    """The sheet's data rows (object cells), indexed by Excel row number, columns by position."""
    index = pd.Index(sheet.row_numbers, dtype="int64", name="row")
    return pd.DataFrame(list(sheet.rows), index=index, dtype="object") if sheet.rows else pd.DataFrame(index=index)


def _headings(sheet: RawSheet) -> list[str]:
    return [_text(h) for h in sheet.header]


def _locate(headings: list[str], heading: str) -> int | None:
    """Position of ``heading``: the same text, else the same ignoring case, spaces and punctuation."""
    if heading in headings:
        return headings.index(heading)
    normed = [c.norm_name(h) for h in headings]
    target = c.norm_name(heading)
    return normed.index(target) if target and target in normed else None


def _find_sheet(raw: RawWorkbook, name: str) -> RawSheet | None:
    if name in raw.sheets:
        return raw.sheets[name]
    return next((s for n, s in raw.sheets.items() if c.norm_name(n) == c.norm_name(name)), None)


def _column(grid: pd.DataFrame, pos: int | None) -> pd.Series:
    if pos is not None and pos in grid.columns:
        return grid[pos]
    return pd.Series([None] * len(grid), index=grid.index, dtype="object")


def _blank(s: pd.Series) -> pd.Series:
    return s.map(lambda v: _text(v) == "").astype(bool)


# --------------------------------------------------------------------------- the heading row

_NUMBER = re.compile(r"-?[\d,]+(\.\d+)?%?")
#: how many of a sheet's first rows may be a title block above the headings
_LOOK_FOR_HEADINGS = 15


def _label(text: str) -> bool:
    """Text that could be a heading: not blank, a number or a date, and short."""
    return bool(text) and len(text) <= 80 and not _NUMBER.fullmatch(text) and not _looks_date(text)


def heading_row_candidates(sheet: RawSheet, limit: int = MAX_HEADING_ROW) -> tuple[tuple[int, tuple[str, ...]], ...]:
    """The sheet's first rows that hold anything: (Excel row, its cells as text, trailing blanks dropped)."""
    def trimmed(cells) -> tuple[str, ...]:
        texts = [_text(v) for v in cells]
        while texts and not texts[-1]:
            texts.pop()
        return tuple(texts)

    out = [(1, trimmed(sheet.header))] if any(_text(h) for h in sheet.header) else []
    for n, row in zip(sheet.row_numbers, sheet.rows):
        if n > limit:
            break
        if n > 1:
            out.append((n, trimmed(row)))
    return tuple(out)


def could_be_headings(cells: tuple[str, ...]) -> bool:
    """True when a row could be headings: something in it, and every cell a label (no number or date).
    A row of a child's details is not, so it is never offered as headings (its cells would be kept in the
    mapping's signature)."""
    filled = [t for t in cells if t]
    return bool(filled) and all(_label(t) for t in filled)


def detect_heading_row(sheet: RawSheet) -> int:
    """The Excel row that holds the sheet's headings, under any title block ("YJS Caseload Extract",
    "Run 05/12/2026"): the row among the first 15 with the most cells that are headings case systems use
    (two at least); else the first row whose cells are all distinct labels (no numbers or dates), at least
    two, filling 60% of the sheet's width; else row 1."""
    rows = heading_row_candidates(sheet, _LOOK_FOR_HEADINGS)
    if not rows:
        return 1
    known = [(sum(_known_heading(t) for t in set(cells) if _label(t)), n) for n, cells in rows]
    most = max(k for k, _ in known)
    if most >= 2:
        return next(n for k, n in known if k == most)
    widest = max(sum(bool(t) for t in cells) for _, cells in rows)
    for n, cells in rows:
        filled = [t for t in cells if t]
        if (len(filled) >= 2 and len(filled) * 5 >= widest * 3 and all(_label(t) for t in filled)
                and len(set(filled)) == len(filled)):
            return n
    return 1


def with_heading_row(sheet: RawSheet, row: int) -> RawSheet:
    """``sheet`` read with its headings on Excel row ``row``: the rows above it are left out and the rows
    below keep their Excel numbers. A blank or missing row gives no headings."""
    if row <= 1:
        return sheet
    at = [i for i, n in enumerate(sheet.row_numbers) if n == row]
    header: list = list(sheet.rows[at[0]]) if at else []
    while header and (header[-1] is None or _text(header[-1]) == ""):
        header.pop()
    keep = [i for i, n in enumerate(sheet.row_numbers) if n > row]
    return replace(sheet, header=tuple(header), rows=tuple(sheet.rows[i] for i in keep),
                   row_numbers=tuple(sheet.row_numbers[i] for i in keep), merged_header=())


def read_headings(raw: RawWorkbook, heading_rows) -> RawWorkbook:
    """``raw`` with each sheet named in ``heading_rows`` (their sheet -> Excel row) read from that row."""
    rows = dict(heading_rows or {})
    if not any(r > 1 for r in rows.values()):
        return raw
    sheets = dict(raw.sheets)
    for name, row in rows.items():
        sheet = _find_sheet(raw, name)
        if sheet is not None and row > 1:
            sheets[sheet.name] = with_heading_row(sheet, row)
    return replace(raw, sheets=sheets)


def detect_heading_rows(raw: RawWorkbook) -> dict[str, int]:
    """Their sheets whose headings are not on row 1 (see :func:`detect_heading_row`), with the row."""
    found = {n: detect_heading_row(s) for n, s in raw.sheets.items() if _usable(n, s)}
    return {n: r for n, r in found.items() if r > 1}


def signature_of(raw: RawWorkbook, sheets: list[str] | None = None) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Their sheet names and headings (``sheets``: only these), as a :class:`Mapping` stores them."""
    names = sheets if sheets is not None else [n for n, s in raw.sheets.items() if _usable(n, s)]
    return tuple((n, tuple(h for h in _headings(raw.sheets[n]) if h)) for n in names if n in raw.sheets)


def _usable(name: str, sheet: RawSheet) -> bool:
    return not sheet.hidden and bool(sheet.rows) and c.norm_name(name) not in IGNORED_SHEETS


def in_our_layout(raw: RawWorkbook) -> bool:
    """True when ``raw`` is laid out as our workbook (the template), so it needs no mapping: one of our
    required sheets (Children, Outcomes, Interventions) is there by name with at least half of its required
    headings. A workbook that is ours but damaged (a sheet missing, a heading misspelt) is then left to the
    validator, which says what to fix."""
    for spec in c.SHEETS:
        sheet = _find_sheet(raw, spec.name) if spec.required else None
        if sheet is None:
            continue
        have = {c.norm_name(h) for h in _headings(sheet)}
        required = [col.name for col in spec.columns if col.required]
        if sum(col in have for col in required) * 2 >= len(required):
            return True
    return False


def matches(raw: RawWorkbook, mapping: Mapping) -> bool:
    """True when ``raw`` is the export ``mapping`` was made for: every sheet of its signature is
    there with every heading (in any order; new headings are allowed)."""
    if not mapping.signature:
        return False
    raw = read_headings(raw, mapping.heading_rows)
    for name, headings in mapping.signature:
        sheet = _find_sheet(raw, name)
        if sheet is None:
            return False
        have = {c.norm_name(h) for h in _headings(sheet)}
        if not {c.norm_name(h) for h in headings} <= have:
            return False
    return True


def find_mapping(raw: RawWorkbook, mappings: list[Mapping]) -> Mapping | None:
    """The saved mapping that recognises ``raw`` (the one with the most headings when several do)."""
    hits = [m for m in mappings if matches(raw, m)]
    return max(hits, key=lambda m: sum(len(h) for _, h in m.signature), default=None)


# --------------------------------------------------------------------------- suggesting

@dataclass(frozen=True)
class ColumnSuggestion:
    """Which heading seems to hold one of our columns; ``heading`` ``None`` when none does."""

    sheet: str
    column: str
    source: str
    heading: str | None
    confidence: float
    reason: str


@dataclass(frozen=True)
class ValueSuggestion:
    """One of their values in a vocabulary column, how many rows hold it, and what it seems to mean."""

    sheet: str
    column: str
    source: str
    heading: str
    value: str
    rows: int
    suggested: str | None
    confidence: float


@dataclass(frozen=True)
class Suggestions:
    """A draft :class:`Mapping` with the confidence of each column and value in it."""

    mapping: Mapping
    columns: tuple[ColumnSuggestion, ...]
    values: tuple[ValueSuggestion, ...]


#: words that say nothing about which column a heading is (the service's name, "at", brackets' "Y/N")
_FILLER = {"yot", "yjs", "yos", "yjb", "ys", "the", "of", "at", "a", "y", "n", "yn", "flag", "field", "value"}
#: words written several ways in headings, as one word
_SAME_WORD = {"no": "id", "num": "id", "number": "id", "nbr": "id", "ref": "id", "reference": "id",
              "identifier": "id", "dob": "date birth", "lac": "looked after", "cla": "looked after",
              "eet": "ete", "accom": "accommodation", "dt": "date", "yp": "young person", "sen": "send"}


@functools.lru_cache(maxsize=65536)
def heading_words(heading: str) -> str:
    """A heading as the words that matter, for comparing: lower case, no punctuation, "No"/"Ref"/"Number" as
    "id", "DOB" as "date birth", filler ("YOT", "at", "(Y/N)") dropped: "Offence No." -> "offence id"."""
    words = []
    for word in c.norm_text(heading).split():
        words += _SAME_WORD.get(word, word).split()
    kept = [w for w in words if w not in _FILLER]
    return " ".join(kept or words)


def _synonyms(sheet: str, column: str) -> tuple[str, ...]:
    names = HEADING_SYNONYMS.get(f"{sheet}.{column}", ()) + HEADING_SYNONYMS.get(column, ())
    return tuple(dict.fromkeys([heading_words(n) for n in names] + [heading_words(column)]))


_SYNONYMS = {(s.name, col.name): _synonyms(s.name, col.name) for s in c.SHEETS for col in s.columns}
_ALL_SYNONYMS = tuple(sorted({n for names in _SYNONYMS.values() for n in names}))


@functools.lru_cache(maxsize=65536)
def _name_score(heading: str, sheet: str, column: str) -> float:
    """How sure a heading names our column, from its words (rapidfuzz): 1 for a known name, 0.9 or less
    for a near spelling of one, 0.6-0.9 for a known name inside a longer heading ("Ethnicity (ONS 2021)")."""
    h = heading_words(heading)
    names = _SYNONYMS[(sheet, column)]
    if not h:
        return 0.0
    if h in names:
        return 1.0
    best = process.extractOne(h, names, scorer=fuzz.ratio, score_cutoff=88)
    if best:
        return round(0.9 * best[1] / 100, 3)
    words = set(h.split())
    inside = [n for n in names if set(n.split()) <= words]
    if inside:
        longest = max(len(n.split()) for n in inside)
        return round(0.6 + 0.3 * longest / len(words), 3)
    return 0.0


@functools.lru_cache(maxsize=65536)
def _known_heading(text: str) -> bool:
    """True when ``text`` is (nearly) a heading case systems use for one of our columns."""
    h = heading_words(text)
    return bool(h) and process.extractOne(h, _ALL_SYNONYMS, scorer=fuzz.ratio, score_cutoff=90) is not None


def _fit_vocab(sheet: str, column: str, candidate: str | None) -> str | None:
    """``candidate`` as a value of our column: itself, or its broad group for a column of groups (ethnicity)."""
    vocab = c.SHEETS_BY_NAME[sheet].column(column).vocab
    if candidate in vocab:
        return candidate
    group = c.ETHNICITIES.get(candidate) if column == "ethnicity" else None
    return group if group in vocab else None


_SEPARATORS = re.compile(r"\s+[-\u2013|]\s+|\s*:\s*")  # "RO - Referral Order", "RO: Referral Order"
_BRACKETS = re.compile(r"\(([^)]*)\)")  # "Referral Order (RO)"


def _parts(value: str) -> list[str]:
    """The pieces a value may be made of: "PAR - Living with Parent(s)" -> "PAR", "Living with Parent(s)",
    "Living with Parent"; "Referral Order (RO)" -> "Referral Order", "RO"."""
    out = []
    for piece in [value, *_SEPARATORS.split(value)]:
        out += [piece, _BRACKETS.sub(" ", piece), *(b for b in _BRACKETS.findall(piece) if len(b.strip()) > 1)]
    return [p.strip() for p in dict.fromkeys(out[1:]) if p and p.strip() and p.strip() != value.strip()]


@functools.lru_cache(maxsize=65536)
def _our_value(sheet: str, column: str, value: str) -> tuple[str | None, float]:
    """What one of their values seems to mean in our vocabulary, and how sure that is.

    1.0 one of ours as written; 0.95 a code case systems use (``YRO``) or ours without punctuation;
    0.9 a code and a wording that agree (``RO - Referral Order``); 0.85 a near spelling of one of ours
    with no rival. Below :data:`APPLY_AT` it is a guess to ask about: a code word inside a longer value
    (``OC22 Diversion``: Outcome 22, 0.5, or 0.4 when the wording points elsewhere), or the nearest
    wording (at most 0.6: ``Children's Home`` is not a *secure* children's home)."""
    vocab = c.SHEETS_BY_NAME[sheet].column(column).vocab
    native = vocab_value(sheet, column, value)
    if native is not None:
        return native, 1.0
    codes = _CODE_LOOKUP.get(f"{sheet}.{column}") or _CODE_LOOKUP.get(column, {})
    key = _norm_key(value)
    got = _fit_vocab(sheet, column, codes.get(key))
    normed = {_norm_key(v): v for v in vocab}
    if got is None and key in normed:
        got = normed[key]
    if got:
        return got, 0.95
    parts = _parts(value)
    if parts:
        hits = {_fit_vocab(sheet, column, vocab_value(sheet, column, part) or codes.get(_norm_key(part))
                           or normed.get(_norm_key(part))) for part in parts} - {None}
        if len(hits) == 1:
            return hits.pop(), 0.9
        if hits:
            return sorted(hits, key=lambda h: vocab.index(h) if h in vocab else 99)[0], 0.4
    near = process.extract(key, list(normed), scorer=fuzz.ratio, limit=2)
    if near and near[0][1] >= 92 and (len(near) < 2 or near[1][1] < near[0][1] - 5):
        return normed[near[0][0]], 0.85
    words = list(dict.fromkeys(w for w in (_fit_vocab(sheet, column, codes.get(word)) for word in key.split()) if w))
    wording = process.extractOne(key, list(normed), scorer=fuzz.token_set_ratio, score_cutoff=70)
    if words:
        agree = wording is None or normed[wording[0]] == words[0]
        return words[0], 0.5 if agree and len(words) == 1 else 0.4
    if wording:
        return normed[wording[0]], round(min(0.6, 0.6 * wording[1] / 100), 3)
    return None, 0.0


_ID_LIKE = re.compile(r"^[A-Za-z]{0,6}[-_/ ]?\d{1,12}[A-Za-z]?$|^[0-9A-Fa-f-]{16,40}$")


@dataclass
class _Profile:
    """What the values in one of their columns look like (shares of the filled cells)."""

    filled: int
    distinct: int
    dates: float
    numbers: float
    yn: float
    ids: float
    counts: pd.Series  # text -> rows


_DATE_SHAPE = re.compile(r"^\d{1,4}[-/. ][A-Za-z0-9]{1,9}[-/. ]\d{2,4}(?:[ T][\d:.]+)?$|^\d{8}$")


def _looks_date(text: str) -> bool:
    return bool(_DATE_SHAPE.match(text)) and any(_parses(text, f) for f in DATE_FORMATS)


def _parses(text: str, fmt: str) -> bool:
    try:
        dt.datetime.strptime(text, fmt)
        return True
    except ValueError:
        return False


def _profile(col: pd.Series) -> _Profile:
    kinds = col.map(lambda v: "date" if isinstance(v, (dt.date, dt.datetime)) else
                    "number" if isinstance(v, (int, float)) and not isinstance(v, bool) else
                    "bool" if isinstance(v, bool) else "text")
    text = col.map(_text)
    filled = text != ""
    n = int(filled.sum())
    counts = text[filled].value_counts()
    if n == 0:
        return _Profile(0, 0, 0.0, 0.0, 0.0, 0.0, counts)
    sample = counts.index[:200]
    weight = counts.iloc[:200]
    share = float(weight.sum())

    def of(test) -> float:
        return float(weight[pd.Series([bool(test(v)) for v in sample], index=sample)].sum()) / share

    yn_words = c.YES_VALUES | c.NO_VALUES | {"true", "false"}
    date_cells = float((kinds[filled] == "date").mean())
    text_dates = of(_looks_date) * float((kinds[filled] == "text").mean())
    return _Profile(n, len(counts), date_cells + text_dates,
                    of(lambda v: re.fullmatch(r"-?\d+(\.\d+)?", v) is not None),
                    of(lambda v: v.lower() in yn_words),
                    of(lambda v: _ID_LIKE.match(v) is not None), counts)


def _value_score(profile: _Profile, sheet: str, spec: c.ColumnSpec) -> float:
    if profile.filled == 0:
        return 0.5
    if spec.kind == "date":
        return profile.dates
    if spec.kind == "yn":
        return profile.yn
    if spec.kind in ("int", "number"):
        return profile.numbers
    if spec.kind == "id":
        return profile.ids * (1.0 if profile.dates < 0.5 else 0.0)
    if spec.kind == "vocab":
        top = profile.counts.iloc[:60]
        known = sum(n for v, n in top.items() if _our_value(sheet, spec.name, v)[0] is not None)
        return known / max(int(top.sum()), 1)
    return 0.5 if profile.dates < 0.5 else 0.0


def _score(heading: str, profile: _Profile, sheet: str, spec: c.ColumnSpec) -> tuple[float, str]:
    name = _name_score(heading, sheet, spec.name)
    if name:
        value = _value_score(profile, sheet, spec)
        return round(name * (0.6 + 0.4 * value), 3), ("heading" if name == 1.0 else "similar heading") + \
            (", values fit" if value >= 0.8 else ", values do not fit" if value < 0.3 else "")
    if spec.kind == "vocab" and 0 < profile.distinct <= 40:
        value = _value_score(profile, sheet, spec)
        if value >= 0.9:
            return round(0.45 * value, 3), "values fit"
    return 0.0, ""


def _assign(sheet: str, source: RawSheet, profiles: dict[int, _Profile]) -> dict[str, tuple[str, float, str]]:
    """Greedy: the best (heading, column) pairs first, each heading and column used once."""
    spec = c.SHEETS_BY_NAME[sheet]
    headings = _headings(source)
    pairs = []
    for pos, heading in enumerate(headings):
        if not heading or pos not in profiles:
            continue
        for col in spec.columns:
            score, why = _score(heading, profiles[pos], sheet, col)
            if score >= 0.4:
                pairs.append((score, pos, col.name, why))
    out, used = {}, set()
    for score, pos, col, why in sorted(pairs, key=lambda p: (-p[0], p[1])):
        if col in out or pos in used:
            continue
        out[col] = (headings[pos], score, why)
        used.add(pos)
    return out


def _fit(sheet: str, source_name: str, found: dict) -> float:
    """How well a sheet of theirs fits one of ours (0 when its key or most required columns are missing)."""
    spec = c.SHEETS_BY_NAME[sheet]
    required = [col.name for col in spec.columns if col.required]
    if spec.key and found.get(spec.key, ("", 0))[1] < 0.6:
        return 0.0
    if sum(col in found for col in required) < 0.75 * len(required):
        return 0.0
    weights = {col.name: 3 if col.name == spec.key else 2 if col.required else 1 for col in spec.columns}
    score = sum(w * found[col][1] for col, w in weights.items() if col in found) / sum(weights.values())
    return score + (0.2 if c.norm_text(source_name) in SHEET_SYNONYMS[sheet] else 0.0)


def _detect_date_format(texts: list[str]) -> str | None:
    """The format that reads most of their text dates; day first when formats tie (UK files)."""
    if not texts:
        return None
    hits = [(sum(_parses(t, f) for t in texts), -i, f) for i, f in enumerate(DATE_FORMATS)]
    best = max(hits)
    return best[2] if best[0] else None


def suggestions(raw: RawWorkbook, name: str | None = None, heading_rows: dict[str, int] | None = None
                ) -> Suggestions:
    """A first draft mapping for ``raw`` with a confidence (0-1) for each column and value.

    Each sheet's heading row is detected (:func:`detect_heading_row`) unless ``heading_rows`` gives it.
    A code is put in the mapping only when its confidence is at least :data:`APPLY_AT`; the others are
    in ``values`` with their guess, to be asked about (:func:`code_questions`)."""
    heading_at = {**detect_heading_rows(raw), **(heading_rows or {})}
    raw = read_headings(raw, heading_at)
    profiles = {n: {pos: _profile(col) for pos, col in _grid(s).items()}
                for n, s in raw.sheets.items() if _usable(n, s)}
    sheets, col_suggestions, value_suggestions, date_texts = [], [], [], []
    for spec in c.SHEETS:
        options = {n: _assign(spec.name, raw.sheets[n], p) for n, p in profiles.items()}
        fits = {n: _fit(spec.name, n, found) for n, found in options.items()}
        best = max(fits, key=fits.get, default=None)
        if best is None or fits[best] < 0.3:
            continue
        found = options[best]
        grid = _grid(raw.sheets[best])
        headings = _headings(raw.sheets[best])
        values = {}
        for col in spec.columns:
            heading, conf, why = found.get(col.name, (None, 0.0, "no heading fits"))
            col_suggestions.append(ColumnSuggestion(spec.name, col.name, best, heading, conf, why))
            if heading is None:
                continue
            profile = profiles[best][headings.index(heading)]
            if col.kind == "date":
                texts = _column(grid, headings.index(heading)).map(lambda v: v.strip() if isinstance(v, str) else "")
                date_texts += [t for t in texts.unique().tolist() if t][:500]
            if col.kind != "vocab" or profile.distinct > 200:
                continue
            pairs = {}
            for value, rows in profile.counts.items():
                ours, vconf = _our_value(spec.name, col.name, value)
                value_suggestions.append(ValueSuggestion(spec.name, col.name, best, heading, value, int(rows),
                                                         ours, vconf))
                if ours is not None and vconf >= APPLY_AT and _safe_value(value):
                    pairs[value] = ours
            values[col.name] = pairs
        columns = {col: h for col, (h, _, _) in found.items()}
        sheets.append(SheetMapping(spec.name, best, columns, values))
    used = list(dict.fromkeys(s.source for s in sheets))
    mapping = Mapping(name or f"Draft for {raw.file_name}", 1, tuple(sheets), _detect_date_format(date_texts),
                      signature_of(raw, used), {n: r for n, r in heading_at.items() if n in used and r > 1})
    return Suggestions(mapping, tuple(col_suggestions), tuple(value_suggestions))


def _safe_value(value: str) -> bool:
    """A value that may be kept in a mapping (see :func:`_check_value`)."""
    return (0 < len(value) <= _MAX_VALUE_LENGTH and not _DATE_LIKE.search(value)
            and not re.search(r"\d{4}", value))


def suggest(raw: RawWorkbook, name: str | None = None) -> Mapping:
    """A first draft mapping for ``raw``: :func:`suggestions` without the confidences."""
    return suggestions(raw, name).mapping


def unmapped_values(raw: RawWorkbook, mapping: Mapping) -> tuple[ValueSuggestion, ...]:
    """Values in the mapped vocabulary columns that the mapping does not map and we do not recognise
    (so next month only new codes are asked about), with their row counts and a suggestion."""
    return tuple(v for v, current in _vocab_cells(raw, mapping) if current is None)


def _vocab_cells(raw: RawWorkbook, mapping: Mapping) -> list[tuple[ValueSuggestion, str | None]]:
    """Every value in the mapped vocabulary columns, with what the mapping reads it as now (mapped, or one
    of ours as written; ``None``: not read) and our guess."""
    raw = read_headings(raw, mapping.heading_rows)
    out = []
    for sm in mapping.sheets:
        sheet = _find_sheet(raw, sm.source)
        if sheet is None:
            continue
        grid, headings = _grid(sheet), _headings(sheet)
        rows = _belongs(grid, headings, sm, mapping)
        for col in _vocab_columns(sm.sheet):
            heading = sm.columns.get(col)
            pos = _locate(headings, heading) if heading else None
            if pos is None:
                continue
            text = _column(grid, pos)[rows].map(_text)
            for value, n in text[text != ""].value_counts().items():
                current = sm.value_of(col, value) or vocab_value(sm.sheet, col, value)
                ours, conf = _our_value(sm.sheet, col, value)
                out.append((ValueSuggestion(sm.sheet, col, sheet.name, heading, value, int(n), ours, conf), current))
    return out


def _family(sheet: str, column: str) -> tuple[str, ...]:
    """The vocabulary a code of ``column`` is asked in: the widest of our vocabularies that holds the column's
    own (start and end accommodation share one; outcome types sit inside intervention types)."""
    own = set(c.SHEETS_BY_NAME[sheet].column(column).vocab)
    wider = [v for v in _VOCABULARIES if own <= set(v)]
    return max(wider, key=lambda v: (len(v), v))


_VOCABULARIES = tuple(dict.fromkeys(col.vocab for s in c.SHEETS for col in s.columns if col.kind == "vocab"))


@dataclass(frozen=True)
class CodeQuestion:
    """One of their codes in one vocabulary, wherever it is (asked once, the answer applied to every place).

    ``places``: each column it is in (sheet, heading, rows); ``options``: our values to choose from;
    ``suggested``/``confidence``: our guess; ``current``: what the mapping reads it as now in every one of
    the places (``None``: not read, so it must be answered). A code read one way in one column and
    another way (or not at all) in another is two questions."""

    value: str
    places: tuple[ValueSuggestion, ...]
    options: tuple[str, ...]
    suggested: str | None
    confidence: float
    current: str | None

    @property
    def rows(self) -> int:
        return sum(p.rows for p in self.places)

    @property
    def key(self) -> str:
        return f"{'|'.join(self.options)}|{self.value.casefold()}"

    @property
    def applied(self) -> bool:
        """True when the code is read (as suggested or as chosen): shown for review, not asked."""
        return self.current is not None


def code_questions(raw: RawWorkbook, mapping: Mapping, unread_only: bool = False) -> tuple[CodeQuestion, ...]:
    """Every code in the export's mapped vocabulary columns as one question per code and vocabulary (the
    same code in start and end accommodation is one question): unread codes first, then by rows."""
    groups: dict[tuple, list[ValueSuggestion]] = {}
    for v, current in _vocab_cells(raw, mapping):
        groups.setdefault((_family(v.sheet, v.column), v.value.casefold(), current), []).append(v)
    out = []
    for (options, _, current), places in groups.items():
        places = tuple(places)
        if unread_only and current is not None:
            continue
        best = max(places, key=lambda v: (v.confidence, v.rows))
        guesses = {v.suggested for v in places if v.suggested}
        confidence = best.confidence if len(guesses) <= 1 else min(best.confidence, 0.4)
        out.append(CodeQuestion(best.value, places, options, best.suggested, confidence, current))
    return tuple(sorted(out, key=lambda q: (q.current is not None, -q.rows, q.value.casefold())))


# --------------------------------------------------------------------------- applying

@dataclass(frozen=True)
class MappedWorkbook:
    """Their export as our canonical workbook, and where each canonical cell is in their file.

    Canonical rows keep their Excel row numbers. ``sources``: our sheet -> their sheet;
    ``headings``: (our sheet, our column) -> their heading. ``problems`` (in their terms) are what
    mapping found (unmapped values, missing headings, conflicting duplicates); ``covered`` are the
    canonical (sheet, row, column) places they cover, so the validator's own report of the same
    place is not repeated."""

    raw: RawWorkbook
    mapping: Mapping
    sources: dict[str, str]
    headings: dict[tuple[str, str], str]
    problems: tuple[Problem, ...] = ()
    covered: frozenset = frozenset()

    def where(self, sheet: str, row: int | None, column: str | None) -> tuple[str, int | None, str | None]:
        """Their (sheet, Excel row, heading) for one of our (sheet, row, column)."""
        return (self.sources.get(sheet, sheet), row, self.headings.get((sheet, column), column))


def _own_headings(sm: SheetMapping, mapping: Mapping) -> set[str]:
    """Headings only ``sm`` reads among the sheets of ours fed by the same sheet of theirs."""
    others = {h for s in mapping.sheets if s.source == sm.source and s.sheet != sm.sheet for h in s.columns.values()}
    return set(sm.columns.values()) - others


def _belongs(grid: pd.DataFrame, headings: list[str], sm: SheetMapping, mapping: Mapping) -> pd.Series:
    """Rows of their sheet that are rows of ``sm.sheet`` (all, unless the sheet feeds several of ours)."""
    if sum(s.source == sm.source for s in mapping.sheets) < 2:
        return pd.Series(True, index=grid.index)
    own = [_locate(headings, h) for h in _own_headings(sm, mapping)]
    own = [p for p in own if p is not None]
    if not own:
        return pd.Series(True, index=grid.index)
    return ~pd.concat([_blank(_column(grid, p)) for p in own], axis=1).all(axis=1)


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def _cell_problem(sheet: str, row: int, heading: str, value: object, text: str) -> Problem:
    shown = _text(value)
    return Problem(sheet, int(row), heading, shown, f'{sheet} row {int(row)}, column "{heading}": {text}')


def _map_values(frame: pd.DataFrame, sm: SheetMapping, their: str, problems: list, covered: set) -> None:
    """Our values for their codes, in place; a value neither mapped nor ours is a problem at its cell."""
    for col in _vocab_columns(sm.sheet):
        if col not in frame.columns:
            continue
        text = frame[col].map(_text)
        lookup = {}
        for value in text[text != ""].unique().tolist():
            lookup[value] = sm.value_of(col, value)
            if lookup[value] is None and vocab_value(sm.sheet, col, value) is None:
                lookup[value] = False
        mapped = text.map(lambda v: lookup.get(v))
        frame[col] = frame[col].where(~mapped.map(lambda v: isinstance(v, str)).astype(bool), mapped)
        heading = sm.columns[col]
        for row, value in text[mapped.map(lambda v: v is False).astype(bool)].items():
            problems.append(_cell_problem(
                their, row, heading, value,
                f'"{value}" is not mapped to {_article(col)} {col.replace("_", " ")}. Choose which '
                f'{col.replace("_", " ")} it means in the mapping, or correct it in the case system.'))
            covered.add((sm.sheet, row, col))


def _read_dates(frame: pd.DataFrame, sm: SheetMapping, date_format: str | None) -> None:
    """Their text dates as dates, in place; text that does not fit is left for the validator to report."""
    if not date_format:
        return
    for col in frame.columns:
        if c.SHEETS_BY_NAME[sm.sheet].column(col).kind != "date":
            continue
        texts = frame[col].map(lambda v: v.strip() if isinstance(v, str) else None)
        uniq = pd.Series(texts.dropna().unique(), dtype="object")
        if uniq.empty:
            continue
        parsed = pd.to_datetime(uniq, format=date_format, errors="coerce")
        lookup = {t: p.date() for t, p in zip(uniq.tolist(), parsed.tolist()) if not pd.isna(p)}
        dates = texts.map(lambda t: lookup.get(t))
        frame[col] = frame[col].where(dates.isna(), dates)


def _deduplicate(frame: pd.DataFrame, sm: SheetMapping, their: str, problems: list) -> pd.DataFrame:
    """One row per id: repeats are dropped; a repeat whose cells differ is a problem at each differing cell."""
    key = c.SHEETS_BY_NAME[sm.sheet].key
    if key not in frame.columns:
        return frame
    texts = frame.map(_text)
    ids = texts[key]
    repeat = (ids != "") & ids.duplicated()
    if not repeat.any():
        return frame
    firsts = texts[(ids != "") & ~repeat].set_index(key)
    first_row = pd.Series(frame.index[(ids != "") & ~repeat], index=firsts.index)
    what = {"Children": "child", "Outcomes": "outcome"}[sm.sheet]
    for col in frame.columns.drop(key):
        ref = ids[repeat].map(firsts[col])
        for row in ref.index[(texts.loc[repeat, col] != ref).to_numpy()]:
            other, here, ident = ref[row], texts.at[row, col], ids[row]
            problems.append(_cell_problem(
                their, row, sm.columns[col], frame.at[row, col],
                f"{what} '{ident}' has \"{here}\" here but \"{other}\" on row {first_row[ident]}. "
                f"One {what} has one {col.replace('_', ' ')}: correct the record in the case system."))
    return frame[~repeat]


def apply(raw: RawWorkbook, mapping: Mapping) -> MappedWorkbook:
    """Their export as our canonical workbook (see :class:`MappedWorkbook`); each sheet of theirs is read
    from the mapping's heading row for it, rows above that (a title block) left out."""
    sheets, sources, headings = {}, {}, {}
    problems: list[Problem] = []
    covered: set = set()
    raw = read_headings(raw, mapping.heading_rows)
    for sm in mapping.sheets:
        spec = c.SHEETS_BY_NAME[sm.sheet]
        source = _find_sheet(raw, sm.source)
        if source is None:
            problems.append(Problem(sm.source, None, None, None,
                                    f"The export has no sheet '{sm.source}', which the mapping reads as our "
                                    f"{sm.sheet} sheet. Export it again with that sheet, or change the mapping."))
            covered.add((sm.sheet, None, None))
            continue
        sources[sm.sheet] = source.name
        grid, their_headings = _grid(source), _headings(source)
        at = mapping.heading_row(source.name)
        if not any(their_headings):
            problems.append(Problem(source.name, at, None, None,
                                    f"{source.name} row {at}, where the mapping reads the headings, is blank. Choose "
                                    "the row the headings are on in the mapping, or export the report as before."))
            covered.update({(sm.sheet, None, None)} | {(sm.sheet, None, col) for col in sm.columns})
            continue
        columns = {}
        for col, heading in sm.columns.items():
            headings[(sm.sheet, col)] = heading
            pos = _locate(their_headings, heading)
            if pos is None:
                problems.append(Problem(source.name, at, heading, None,
                                        f"{source.name}: there is no column \"{heading}\", which the mapping reads "
                                        f"as {sm.sheet} {col}. Export it again with that column, or change the "
                                        "mapping."))
                covered.add((sm.sheet, None, col))
                continue
            columns[col] = _column(grid, pos)
        for col in spec.columns:
            if col.required and col.name not in sm.columns:
                problems.append(Problem(source.name, None, None, None,
                                        f"{source.name}: no column is mapped to {sm.sheet} {col.name}, which is "
                                        "required. Choose the heading that holds it in the mapping."))
                covered.add((sm.sheet, None, col.name))
        frame = pd.DataFrame(columns, index=grid.index, dtype="object")
        frame = frame[_belongs(grid, their_headings, sm, mapping).to_numpy()]
        _map_values(frame, sm, source.name, problems, covered)
        _read_dates(frame, sm, mapping.date_format)
        if sm.sheet in DEDUPLICATED:
            frame = _deduplicate(frame, sm, source.name, problems)
        frame = frame.astype("object").where(frame.notna(), None)
        sheets[sm.sheet] = RawSheet(sm.sheet, tuple(frame.columns), tuple(frame.itertuples(index=False, name=None)),
                                    tuple(int(r) for r in frame.index))
    canonical = RawWorkbook(raw.file_name, sheets, raw.notes)
    return MappedWorkbook(canonical, mapping, sources, headings, _unique(problems), frozenset(covered))


def _unique(problems) -> tuple[Problem, ...]:
    return tuple(dict.fromkeys(problems))


def translate(problems, mapped: MappedWorkbook) -> tuple[Problem, ...]:
    """Validation problems about ``mapped.raw`` in the export's terms: their sheet, Excel row and
    heading, also inside the message. Places the mapping already reported are left out."""
    out = []
    for p in problems:
        if (p.sheet, p.row, p.column) in mapped.covered:
            continue
        their = mapped.sources.get(p.sheet)
        if their is None:
            out.append(p)
            continue
        heading = mapped.headings.get((p.sheet, p.column), p.column)
        prefix, body = "", p.message
        cell = f"{p.sheet} row {p.row}, column {p.column}: "
        if p.row is not None and body.startswith(cell):
            prefix, body = f'{their} row {p.row}, column "{heading}": ', body[len(cell):]
        elif body.startswith(f"{p.sheet}: "):
            prefix, body = f"{their} (our {p.sheet} sheet): ", body[len(p.sheet) + 2:]
        for ours, theirs in mapped.sources.items():  # "(born 3 Apr 2008, Children row 12)"
            body = re.sub(rf"\b{re.escape(ours)} row (\d+)", lambda m, t=theirs: f"{t} row {m.group(1)}", body)
        out.append(replace(p, sheet=their, column=heading, message=prefix + body))
    return _unique(out)


def validate_mapped(raw: RawWorkbook, mapping: Mapping, today: dt.date | None = None) -> ValidationReport:
    """Map and validate their export; every problem is in the export's terms. ``dataset`` is set
    only when there is no error, so a caller that stores ``report.dataset`` stores clean data only."""
    mapped = apply(raw, mapping)
    report = validate(mapped.raw, today=today)
    problems = _unique(mapped.problems + translate(report.problems, mapped))

    def order(p: Problem):
        return (p.sheet or "", p.row or 0, p.column or "")

    errors = tuple(sorted((p for p in problems if p.severity == "error"), key=order))
    warnings = tuple(sorted((p for p in problems if p.severity != "error"), key=order))
    return ValidationReport(errors, warnings, None, None if errors else report.dataset, raw.file_name)
