"""The canonical workbook: sheets, columns and vocabularies (the data contract).

Every other module reads the names defined here. Sheet and column names in an
uploaded workbook match case- and whitespace-insensitively (``Child ID``,
``child_id`` and `` CHILD_ID `` are the same column).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# --------------------------------------------------------------------------
# Vocabularies
# --------------------------------------------------------------------------

GENDERS = ("Male", "Female", "Other", "Not known")
GENDER_ALIASES = {
    "m": "Male", "male": "Male", "boy": "Male",
    "f": "Female", "female": "Female", "girl": "Female",
    "other": "Other",
    "not known": "Not known", "unknown": "Not known", "not stated": "Not known",
    "not recorded": "Not known",
}

ETHNIC_GROUPS = ("White", "Mixed", "Asian", "Black", "Other", "Not known")

#: Tier of each outcome type. Substantive = Pre-court, First-tier, Community, Custody.
OUTCOME_TIERS: dict[str, str] = {
    "Community Resolution": "Diversion",
    "Outcome 22": "Diversion",
    "Outcome 22 deferred prosecution": "Diversion",
    "Outcome 20/21": "Diversion",
    "Other diversion": "Diversion",
    "Youth Caution": "Pre-court",
    "Youth Conditional Caution": "Pre-court",
    "Referral Order": "First-tier",
    "Reparation Order": "First-tier",
    "Fine": "First-tier",
    "Conditional Discharge": "First-tier",
    "Absolute Discharge": "First-tier",
    "Other first-tier": "First-tier",
    "Youth Rehabilitation Order": "Community",
    "Detention and Training Order": "Custody",
    "Section 250": "Custody",
    "Other custodial": "Custody",
}
OUTCOME_TYPES = tuple(OUTCOME_TIERS)
TIERS = ("Diversion", "Pre-court", "First-tier", "Community", "Custody")
SUBSTANTIVE_TIERS = ("Pre-court", "First-tier", "Community", "Custody")
COURT_TIERS = ("First-tier", "Community", "Custody")
#: Seriousness used to pick one intervention per child (higher is more serious).
TIER_SERIOUSNESS = {"Diversion": 1, "Pre-court": 2, "First-tier": 3, "Community": 4, "Custody": 5}
#: Seriousness of each legal outcome (higher is more serious), used to pick one order per
#: child per quarter. It follows the YJB's ranking of legal outcomes
#: (``yjb_ianda_team.legal_outcome_seriousness_ranking``, joined in ``person_details_v8`` of
#: ``recreate_kpi_case_level_views_pt2.sql``): the tier first, then within a tier the heavier
#: outcome. The table's own rows are not published, so the order within a tier is ours.
OUTCOME_SERIOUSNESS: dict[str, int] = {
    "Other diversion": 10, "Community Resolution": 11, "Outcome 20/21": 12, "Outcome 22": 13,
    "Outcome 22 deferred prosecution": 14,
    "Youth Caution": 20, "Youth Conditional Caution": 21,
    "Absolute Discharge": 30, "Conditional Discharge": 31, "Fine": 32, "Other first-tier": 33,
    "Reparation Order": 34, "Referral Order": 35,
    "Youth Rehabilitation Order": 40,
    "Other custodial": 50, "Detention and Training Order": 51, "Section 250": 52,
}
#: The KPI template's order types (``type_of_order`` in the SQL: ``mapping_to_kpi_template``
#: of ``count_in_kpi_legal_outcome``), in the template's column order.
KPI_ORDER_TYPES = ("Out of court", "Youth caution", "Youth conditional caution", "Referral order",
                   "Youth rehabilitation order", "Custody")
KPI_ORDER_TYPE_OF = {
    "Community Resolution": "Out of court", "Outcome 22": "Out of court",
    "Outcome 22 deferred prosecution": "Out of court", "Outcome 20/21": "Out of court",
    "Other diversion": "Out of court",
    "Youth Caution": "Youth caution", "Youth Conditional Caution": "Youth conditional caution",
    "Referral Order": "Referral order", "Youth Rehabilitation Order": "Youth rehabilitation order",
    "Detention and Training Order": "Custody", "Section 250": "Custody", "Other custodial": "Custody",
}
#: Out-of-court disposals KPI 6 counts (``kpi6_oocd_case_level_v8``, pt6: the six
#: ``disposal_type_fixed`` values with YJS involvement).
KPI6_TYPES = ("Community Resolution", "Outcome 20/21", "Outcome 22", "Outcome 22 deferred prosecution",
              "Youth Caution", "Youth Conditional Caution")

INTERVENTION_ONLY_TYPES = ("Prevention", "Turnaround", "Bail supervision")
INTERVENTION_TYPES = OUTCOME_TYPES + INTERVENTION_ONLY_TYPES

#: The YJB order types used for the ``disposal`` breakdown.
DISPOSAL_GROUPS = (
    "Out-of-court with YJS intervention",
    "Youth caution",
    "Youth conditional caution",
    "Referral order",
    "Youth rehabilitation order",
    "Custodial sentence",
    "Other first-tier",
    "Prevention",
)
DISPOSAL_GROUP_OF_TYPE = {
    "Community Resolution": "Out-of-court with YJS intervention",
    "Outcome 22": "Out-of-court with YJS intervention",
    "Outcome 22 deferred prosecution": "Out-of-court with YJS intervention",
    "Outcome 20/21": "Out-of-court with YJS intervention",
    "Other diversion": "Out-of-court with YJS intervention",
    "Youth Caution": "Youth caution",
    "Youth Conditional Caution": "Youth conditional caution",
    "Referral Order": "Referral order",
    "Reparation Order": "Other first-tier",
    "Fine": "Other first-tier",
    "Conditional Discharge": "Other first-tier",
    "Absolute Discharge": "Other first-tier",
    "Other first-tier": "Other first-tier",
    "Youth Rehabilitation Order": "Youth rehabilitation order",
    "Detention and Training Order": "Custodial sentence",
    "Section 250": "Custodial sentence",
    "Other custodial": "Custodial sentence",
    "Prevention": "Prevention",
    "Turnaround": "Prevention",
    "Bail supervision": "Prevention",
}

OFFENCE_CATEGORIES = (
    "Violence against the person", "Robbery", "Drugs offences", "Sexual offences",
    "Domestic burglary", "Non-domestic burglary", "Theft and handling", "Vehicle theft",
    "Criminal damage", "Arson", "Public order", "Motoring offences", "Fraud and forgery",
    "Breach of statutory order", "Breach of bail", "Other",
)
COURTS = ("Youth Court", "Magistrates' Court", "Crown Court")
TEAMS_EXAMPLE = ("Court", "North", "West", "Out of court")
SCALED_APPROACH = ("Standard", "Enhanced", "Intensive")
ETE_PROVISIONS = (
    "School", "Special school", "Alternative provision/PRU", "College", "Training",
    "Apprenticeship", "Employment", "Elective home education", "Re-engagement",
    "Education in custody", "NEET", "Not known",
    # the YJB KPI 2 template's further types
    "University", "Traineeship", "Supported internship", "Self-employment", "Voluntary work",
    "Mentoring circle",
)
SUITABILITY = ("Suitable", "Unsuitable", "Unknown")
ACCOMMODATION_TYPES = (
    "Living with parents", "Living with family (not parents)", "Living with friends",
    "Foster care", "Independent living", "Residential unit",
    "Supported accommodation/lodgings", "Temporary accommodation",
    "Secure children's home", "Secure training centre", "Young offender institution",
    "No fixed abode", "Other",
)
COMPLETION = ("Completed", "Not completed", "Breached", "Revoked")
REMAND_TYPES = (
    "Secure children's home", "Secure training centre", "Young offender institution",
    "Local authority accommodation",
)
#: Remands to youth detention accommodation (YDA); local authority remands are not YDA.
YDA_REMAND_TYPES = REMAND_TYPES[:3]
BOARD_SECTORS = ("Children's social care", "Education", "Police", "Probation", "Health", "Other")
STATUTORY_SECTORS = BOARD_SECTORS[:5]
ATTENDANCE = ("Senior", "Delegated", "Absent")
AGE_BANDS = ("10-14", "15-17")
BENCHMARK_COMPARATOR_KINDS = ("National", "Regional", "Family")

YES_VALUES = {"y", "yes", "true", "1", "t"}
NO_VALUES = {"n", "no", "false", "0", "f"}

#: Column names that look like personal names or addresses: dropped, never stored.
PERSONAL_COLUMN_PATTERN = re.compile(
    r"^(name|full_?name|first_?name|forename|forenames|given_?name|middle_?name|surname|"
    r"last_?name|family_?name|child_?name|known_?as|preferred_?name|address|address_?line_?\d*|"
    r"home_?address|street|town|post_?code|postcode|nhs_?number|upn|pnc_?number|email|phone|"
    r"telephone|mobile)$"
)

# --------------------------------------------------------------------------
# Ethnicity: ONS 2021, ONS 2011, DfE codes and broad groups
# --------------------------------------------------------------------------

#: Canonical detailed categories (as stored) with their broad group.
ETHNICITIES: dict[str, str] = {
    "White - British": "White",
    "White - Irish": "White",
    "White - Gypsy or Irish Traveller": "White",
    "White - Roma": "White",
    "White - Any other White background": "White",
    "Mixed - White and Black Caribbean": "Mixed",
    "Mixed - White and Black African": "Mixed",
    "Mixed - White and Asian": "Mixed",
    "Mixed - Any other Mixed background": "Mixed",
    "Asian - Indian": "Asian",
    "Asian - Pakistani": "Asian",
    "Asian - Bangladeshi": "Asian",
    "Asian - Chinese": "Asian",
    "Asian - Any other Asian background": "Asian",
    "Black - Caribbean": "Black",
    "Black - African": "Black",
    "Black - Any other Black background": "Black",
    "Other - Arab": "Other",
    "Other - Any other ethnic group": "Other",
    "Not known - Refused": "Not known",
    "Not known - Not obtained": "Not known",
    # A broad group given on its own is stored as the group.
    "White": "White", "Mixed": "Mixed", "Asian": "Asian", "Black": "Black",
    "Other": "Other", "Not known": "Not known",
}

DFE_ETHNICITY_CODES = {
    "WBRI": "White - British", "WIRI": "White - Irish",
    "WIRT": "White - Gypsy or Irish Traveller", "WROM": "White - Roma",
    "WOTH": "White - Any other White background",
    "MWBC": "Mixed - White and Black Caribbean", "MWBA": "Mixed - White and Black African",
    "MWAS": "Mixed - White and Asian", "MOTH": "Mixed - Any other Mixed background",
    "AIND": "Asian - Indian", "APKN": "Asian - Pakistani", "ABAN": "Asian - Bangladeshi",
    "CHNE": "Asian - Chinese", "AOTH": "Asian - Any other Asian background",
    "BCRB": "Black - Caribbean", "BAFR": "Black - African",
    "BOTH": "Black - Any other Black background",
    "OOTH": "Other - Any other ethnic group",
    "REFU": "Not known - Refused", "NOBT": "Not known - Not obtained",
}

_GROUP_PREFIXES = {
    "White": ["white", "white british", "white welsh"],
    "Mixed": ["mixed", "mixed multiple ethnic groups", "mixed or multiple ethnic groups",
              "mixed multiple ethnic group", "mixed dual background", "dual heritage"],
    "Asian": ["asian", "asian british", "asian or asian british", "asian asian british",
              "asian asian british or asian welsh", "asian asian british asian welsh"],
    "Black": ["black", "black british", "black or black british", "black african caribbean or black british",
              "black black british black welsh caribbean or african",
              "black black british caribbean or african", "black african caribbean black british"],
    "Other": ["other", "other ethnic group", "other ethnic groups", "any other ethnic group"],
    "Not known": ["not known", "unknown"],
}
_DETAIL_ALIASES = {
    "White - British": ["british", "english welsh scottish northern irish or british",
                        "english welsh scottish northern irish british", "english", "welsh",
                        "scottish", "northern irish", "white british"],
    "White - Irish": ["irish"],
    "White - Gypsy or Irish Traveller": ["gypsy or irish traveller", "gypsy irish traveller",
                                         "traveller of irish heritage", "gypsy roma"],
    "White - Roma": ["roma"],
    "White - Any other White background": ["any other white background", "other white",
                                           "other white background", "any other white"],
    "Mixed - White and Black Caribbean": ["white and black caribbean"],
    "Mixed - White and Black African": ["white and black african"],
    "Mixed - White and Asian": ["white and asian"],
    "Mixed - Any other Mixed background": ["any other mixed background", "other mixed",
                                           "any other mixed or multiple ethnic background",
                                           "any other mixed multiple ethnic background",
                                           "other mixed background"],
    "Asian - Indian": ["indian"],
    "Asian - Pakistani": ["pakistani"],
    "Asian - Bangladeshi": ["bangladeshi"],
    "Asian - Chinese": ["chinese"],
    "Asian - Any other Asian background": ["any other asian background", "other asian",
                                           "other asian background"],
    "Black - Caribbean": ["caribbean"],
    "Black - African": ["african"],
    "Black - Any other Black background": ["any other black background", "other black",
                                           "any other black african or caribbean background",
                                           "any other black black british or caribbean background",
                                           "other black background"],
    "Other - Arab": ["arab"],
    "Other - Any other ethnic group": ["any other ethnic group", "any other", "other ethnic group"],
    "Not known - Refused": ["refused", "information refused", "declined", "not stated"],
    "Not known - Not obtained": ["not obtained", "information not yet obtained",
                                 "information not obtained", "not recorded"],
}


def norm_text(value: object) -> str:
    """Lower-case, ``&`` as ``and``, punctuation to spaces, whitespace folded."""
    s = str(value).strip().lower().replace("&", " and ")
    s = re.sub(r"[^a-z0-9]+", " ", s)
    return re.sub(r"\s+", " ", s).strip()


def _build_ethnicity_lookup() -> dict[str, str]:
    lookup: dict[str, str] = {}
    for canonical in ETHNICITIES:
        lookup[norm_text(canonical)] = canonical
    for code, canonical in DFE_ETHNICITY_CODES.items():
        lookup[code.lower()] = canonical
    for canonical, aliases in _DETAIL_ALIASES.items():
        group = ETHNICITIES[canonical]
        for alias in aliases:
            lookup.setdefault(norm_text(alias), canonical)
            for prefix in _GROUP_PREFIXES[group]:
                lookup[norm_text(f"{prefix} {alias}")] = canonical
    for group, prefixes in _GROUP_PREFIXES.items():
        for prefix in prefixes:
            lookup.setdefault(norm_text(prefix), group)
    # Ambiguous bare words resolve to the broad group, not a detail.
    lookup["other"] = "Other"
    lookup["white british"] = "White - British"
    lookup["black british"] = "Black"
    lookup["asian british"] = "Asian"
    return lookup


ETHNICITY_LOOKUP = _build_ethnicity_lookup()


def parse_ethnicity(value: object) -> tuple[str, str] | None:
    """Return ``(detailed, broad_group)`` for a recognised value, or ``None``.

    Blank is ``("Not known", "Not known")``. Chinese is Asian and Arab is Other
    (ONS 2011/2021); refused or not obtained is Not known.
    """
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return ("Not known", "Not known")
    canonical = ETHNICITY_LOOKUP.get(norm_text(value))
    if canonical is None:
        return None
    return canonical, ETHNICITIES[canonical]


def parse_gender(value: object) -> str | None:
    """Return the canonical gender (blank is Not known), or ``None`` if unrecognised."""
    if value is None or (isinstance(value, float) and value != value) or str(value).strip() == "":
        return "Not known"
    return GENDER_ALIASES.get(norm_text(value))


# --------------------------------------------------------------------------
# Sheets and columns
# --------------------------------------------------------------------------

#: Column kinds: id (text key), text, date, yn (Y/N -> bool), vocab, int, number.
KINDS = ("id", "text", "date", "yn", "vocab", "int", "number")


@dataclass(frozen=True)
class ColumnSpec:
    name: str
    kind: str
    required: bool = False
    vocab: tuple[str, ...] = ()
    default: object = None
    minimum: float | None = None
    maximum: float | None = None
    description: str = ""


@dataclass(frozen=True)
class SheetSpec:
    name: str
    required: bool
    columns: tuple[ColumnSpec, ...]
    key: str | None = None
    description: str = ""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> ColumnSpec:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _yn(name: str, default: bool | None = None, description: str = "") -> ColumnSpec:
    return ColumnSpec(name, "yn", default=default, description=description)


CHILDREN = SheetSpec(
    "Children", True, key="child_id",
    description="One row per child. Pseudonymous ids only: never names or addresses.",
    columns=(
        ColumnSpec("child_id", "id", required=True, description="Pseudonymous child id, unique"),
        ColumnSpec("date_of_birth", "date", required=True),
        ColumnSpec("gender", "vocab", vocab=GENDERS, default="Not known"),
        ColumnSpec("ethnicity", "vocab", vocab=tuple(ETHNICITIES),
                   description="ONS 2021/2011 category, DfE code or broad group"),
        ColumnSpec("locality", "text", required=True),
        _yn("resident", True, "N = lives outside the area (excluded from local rates)"),
        _yn("prior_substantive_outcome", False,
            "Y = caution or conviction before this workbook's earliest date"),
    ),
)

OUTCOMES = SheetSpec(
    "Outcomes", True, key="outcome_id", description="One row per legal outcome.",
    columns=(
        ColumnSpec("outcome_id", "id", required=True),
        ColumnSpec("child_id", "id", required=True),
        ColumnSpec("offence_date", "date"),
        ColumnSpec("outcome_date", "date", required=True),
        ColumnSpec("outcome_type", "vocab", required=True, vocab=OUTCOME_TYPES),
        ColumnSpec("offence_category", "vocab", vocab=OFFENCE_CATEGORIES),
        ColumnSpec("gravity_score", "int", minimum=1, maximum=8),
        ColumnSpec("court", "vocab", vocab=COURTS),
        _yn("looked_after", None, "Care status at the outcome date"),
        _yn("overturned_on_appeal", False),
        ColumnSpec("offence_id", "id",
                   description="The offence; the same offence sentenced again keeps its id (KPI 9 counts offences)"),
        ColumnSpec("first_hearing_date", "date", description="First court hearing (YJB age rule)"),
        _yn("resident_at_outcome", None,
            "Lived in the area on the outcome date; overrides the child's resident for this outcome"),
    ),
)

_SUIT = SUITABILITY
INTERVENTIONS = SheetSpec(
    "Interventions", True, key="intervention_id",
    description="One row per order or programme the service supervises.",
    columns=(
        ColumnSpec("intervention_id", "id", required=True),
        ColumnSpec("child_id", "id", required=True),
        ColumnSpec("outcome_id", "id", description="Blank for prevention work"),
        ColumnSpec("intervention_type", "vocab", required=True, vocab=INTERVENTION_TYPES),
        ColumnSpec("start_date", "date", required=True),
        ColumnSpec("end_date", "date", description="Blank = still open"),
        ColumnSpec("team", "text"),
        ColumnSpec("case_worker", "id", description="Pseudonymous worker id"),
        ColumnSpec("scaled_approach", "vocab", vocab=SCALED_APPROACH),
        ColumnSpec("ete_provision_start", "vocab", vocab=ETE_PROVISIONS),
        ColumnSpec("ete_provision_end", "vocab", vocab=ETE_PROVISIONS),
        ColumnSpec("ete_suitable_start", "vocab", vocab=_SUIT),
        ColumnSpec("ete_suitable_end", "vocab", vocab=_SUIT),
        ColumnSpec("ete_hours_offered_end", "number", minimum=0, maximum=60),
        ColumnSpec("ete_hours_attended_end", "number", minimum=0, maximum=60),
        ColumnSpec("accommodation_type_start", "vocab", vocab=ACCOMMODATION_TYPES),
        ColumnSpec("accommodation_type_end", "vocab", vocab=ACCOMMODATION_TYPES),
        ColumnSpec("accommodation_suitable_start", "vocab", vocab=_SUIT),
        ColumnSpec("accommodation_suitable_end", "vocab", vocab=_SUIT),
        _yn("send_identified"), _yn("send_plan"),
        _yn("mh_need"), _yn("mh_offered"), _yn("mh_attended"),
        _yn("sm_need"), _yn("sm_offered"), _yn("sm_attended"),
        _yn("early_help"), _yn("child_protection"), _yn("child_in_need"), _yn("looked_after"),
        ColumnSpec("completion", "vocab", vocab=COMPLETION, description="Blank = open"),
        ColumnSpec("panel_date", "date", description="Referral order initial panel"),
        ColumnSpec("release_date", "date", description="Custodial orders: release from custody"),
        _yn("mh_in_treatment_at_start", None, "Already in mental health treatment when the order started"),
        _yn("sm_in_treatment_at_start", None, "Already in substance misuse treatment when the order started"),
        ColumnSpec("ete_hours_offered_start", "number", minimum=0, maximum=60),
        _yn("early_help_referral", None, "Referred to early help during the order"),
    ),
)

VICTIMS = SheetSpec(
    "Victims", False, key="victim_id",
    columns=(
        ColumnSpec("victim_id", "id", required=True),
        ColumnSpec("child_id", "id"),
        ColumnSpec("outcome_id", "id"),
        _yn("consented_to_contact"), _yn("views_sought"), _yn("rj_offered"), _yn("rj_engaged"),
        _yn("progress_info_requested"), _yn("progress_info_provided"),
        _yn("support_requested"), _yn("support_provided"),
    ),
)

REMANDS = SheetSpec(
    "Remands", False, key="remand_id",
    columns=(
        ColumnSpec("remand_id", "id", required=True),
        ColumnSpec("child_id", "id", required=True),
        ColumnSpec("remand_type", "vocab", required=True, vocab=REMAND_TYPES),
        ColumnSpec("start_date", "date", required=True),
        ColumnSpec("end_date", "date"),
    ),
)

BOARD_ATTENDANCE = SheetSpec(
    "Board_attendance", False,
    columns=(
        ColumnSpec("meeting_date", "date", required=True),
        ColumnSpec("sector", "vocab", required=True, vocab=BOARD_SECTORS),
        ColumnSpec("attendance", "vocab", required=True, vocab=ATTENDANCE),
        _yn("data_contributed"),
    ),
)

POPULATION = SheetSpec(
    "Population", False,
    description="The service's 10-17 population for rates; one of age or age_band per row.",
    columns=(
        ColumnSpec("locality", "text"),
        ColumnSpec("gender", "vocab", vocab=GENDERS),
        ColumnSpec("ethnicity", "vocab", vocab=ETHNIC_GROUPS, description="Broad group"),
        ColumnSpec("age", "int", minimum=10, maximum=17),
        ColumnSpec("age_band", "vocab", vocab=AGE_BANDS),
        ColumnSpec("population", "number", required=True, minimum=0),
        ColumnSpec("year", "int", required=True, minimum=1990, maximum=2100,
                   description="Mid-year estimate year (e.g. 2023 = mid-2023)"),
    ),
)

BENCHMARKS = SheetSpec(
    "Benchmarks", False,
    description="Comparator values: National, Regional, Family or a named service.",
    columns=(
        ColumnSpec("indicator", "text", required=True),
        ColumnSpec("period_start", "date", required=True),
        ColumnSpec("period_end", "date", required=True),
        ColumnSpec("comparator", "text", required=True),
        ColumnSpec("value", "number", required=True),
    ),
)

SHEETS: tuple[SheetSpec, ...] = (
    CHILDREN, OUTCOMES, INTERVENTIONS, VICTIMS, REMANDS, BOARD_ATTENDANCE, POPULATION, BENCHMARKS,
)
SHEETS_BY_NAME = {s.name: s for s in SHEETS}


def norm_name(name: object) -> str:
    """Normalise a sheet or column name: ``' Child ID '`` -> ``'child_id'``."""
    s = str(name).strip().lower()
    s = re.sub(r"[\s\-]+", "_", s)
    s = re.sub(r"[^a-z0-9_]", "", s)
    return re.sub(r"_+", "_", s).strip("_")


def is_personal_column(name: object) -> bool:
    """True for a column that looks like a personal name or address (never stored)."""
    return bool(PERSONAL_COLUMN_PATTERN.match(norm_name(name)))


@dataclass(frozen=True)
class DerivedColumns:
    """Columns the loader adds to the canonical frames (not in the workbook)."""

    children: tuple[str, ...] = ("ethnicity_group",)
    outcomes: tuple[str, ...] = ("tier",)
    interventions: tuple[str, ...] = ("tier",)
    extra: dict = field(default_factory=dict)


DERIVED = DerivedColumns()
