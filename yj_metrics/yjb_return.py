"""The service's quarterly KPI return to the YJB, in the layout of the YJB's summary template.

One sheet per KPI. The order-based KPIs (1-5, 7) count children with an order ending in
the quarter (:func:`counting.orders_ending`) in the template's columns: each order type
(out of court, youth caution, youth conditional caution, referral order, YRO, custody) split
by school age and above school age, with totals, and rows for the start and the end of the
order, as the YJB's ``kpi*_template_v8``/``kpi*_summary_v8`` views (``recreate_kpi_case_level
_views_pt2.sql`` .. ``pt7.sql``) read them. KPI 6 is by out-of-court disposal type, KPI 8 by
sector, KPI 9 by type of order and offence, KPI 10 by the child's order type.

Every cell can be traced to its children (:func:`cell_children`), and :func:`check_return`
runs the internal checks (each total is the sum of its parts; the KPIs that share a
denominator agree; the summary agrees with the dashboard's figures) before a file is written.
"""
from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

from . import contract as c
from . import counting as k
from . import kpis
from .dataset import Dataset

AGES = k.SCHOOL_AGE_GROUPS
TOTAL = "Total"
ORDER_COLUMNS = tuple((t, a) for t in (*c.KPI_ORDER_TYPES, TOTAL) for a in (*AGES, TOTAL))
OOCD_COLUMNS = tuple((t, TOTAL) for t in (*c.KPI6_TYPES, TOTAL))
KPI9_TYPES = ("Youth caution", "Youth conditional caution", "Referral order", "Youth rehabilitation order",
              "Custody", "Other court outcome")
KPI9_COLUMNS = tuple((t, TOTAL) for t in (*KPI9_TYPES, TOTAL))
KPI8_COLUMNS = (("Senior partner", TOTAL), ("Delegate only", TOTAL), ("Not represented", TOTAL),
                ("Meetings", TOTAL))


@dataclass(frozen=True)
class ReturnSheet:
    """One sheet: row labels, two-level column headers and the counts."""

    name: str
    title: str
    source: str  # the YJB view the layout follows
    columns: tuple[tuple[str, str], ...]
    rows: tuple[str, ...]
    values: tuple[tuple[float, ...], ...]  # rows x columns
    headline: tuple[str, str] | None = None  # (numerator row, denominator row)

    def frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.values), index=list(self.rows),
                            columns=pd.MultiIndex.from_tuples(list(self.columns)))

    def value(self, row: str, column: tuple[str, str]) -> float:
        return self.values[self.rows.index(row)][self.columns.index(column)]


@dataclass(frozen=True)
class Preparer:
    """Who prepared the return and when (printed on every sheet)."""

    name: str = ""
    role: str = ""
    on: dt.date | None = None

    def describe(self) -> str:
        """``Ann Smith (Service manager), 5 Apr 2024``; blank parts left out."""
        who = self.name + (f" ({self.role})" if self.role and self.name else self.role)
        when = f"{self.on.day} {self.on:%b %Y}" if self.on else ""
        return ", ".join(x for x in (who, when) if x)


@dataclass(frozen=True)
class YjbReturn:
    """The return for one quarter; ``problems`` lists every failed internal check."""

    quarter: object
    service: str
    sheets: tuple[ReturnSheet, ...]
    problems: tuple[str, ...] = field(default=())
    yot_code: str = ""
    preparer: Preparer = field(default_factory=Preparer)

    def sheet(self, name: str) -> ReturnSheet:
        return next(s for s in self.sheets if s.name == name)


# --------------------------------------------------------------------------- row definitions

def _is(s: pd.Series, v: str) -> pd.Series:
    return s.astype("object").eq(v).fillna(False).astype(bool)


def _flag(s: pd.Series) -> pd.Series:
    return s.fillna(False).astype(bool)


def _known_not(s: pd.Series, v: str) -> pd.Series:
    return s.notna() & ~_is(s, v)


#: Row label -> (mask over the orders frame, age column deciding school age).
Rows = dict[str, tuple[Callable[[pd.DataFrame], pd.Series], str]]
_ALL = (lambda f: pd.Series(True, index=f.index), "school_age")


def _need_rows(prefix: str, name: str) -> Rows:
    def prior(f):
        col = f"{prefix}_in_treatment_at_start"
        return _flag(f[col]) if col in f.columns else pd.Series(False, index=f.index)

    return {
        "Children with an order ending": _ALL,
        f"{name} need identified": (lambda f: _flag(f[f"{prefix}_need"]) | prior(f), "school_age"),
        "In treatment at the start of the order": (prior, "school_age"),
        f"Offered a {name} intervention": (lambda f: (_flag(f[f"{prefix}_need"]) & _flag(f[f"{prefix}_offered"]))
                                           | prior(f), "school_age"),
        f"Attended a {name} intervention": (lambda f: (_flag(f[f"{prefix}_need"]) & _flag(f[f"{prefix}_offered"])
                                                       & _flag(f[f"{prefix}_attended"])) | prior(f), "school_age"),
    }


def _ete_time(f, when, full):
    hours_col, age_col = ("ete_hours_offered_start", "school_age_start") if when == "start" else \
        ("ete_hours_offered_end", "school_age")
    ft, pt, _ = kpis.full_time(f, hours_col, age_col)
    return ft if full else pt


ORDER_SHEETS: dict[str, tuple[str, str, Rows, tuple[str, str]]] = {
    "KPI1 Accommodation": ("KPI 1 Suitable accommodation", "kpi1_acc_template_v8 / kpi1_acc_summary_v8 (pt2)", {
        "Children with an order ending": _ALL,
        "Suitable at the start": (lambda f: _is(f["accommodation_suitable_start"], "Suitable"), "school_age_start"),
        "Unsuitable at the start": (lambda f: _known_not(f["accommodation_suitable_start"], "Suitable"),
                                    "school_age_start"),
        "Suitable at the end": (lambda f: _is(f["accommodation_suitable_end"], "Suitable"), "school_age"),
        "Unsuitable at the end": (lambda f: _known_not(f["accommodation_suitable_end"], "Suitable"), "school_age"),
        "Suitable on release from custody": (lambda f: (f["order_type"] == "Custody")
                                             & _is(f["accommodation_suitable_end"], "Suitable"), "school_age"),
    }, ("Suitable at the end", "Children with an order ending")),
    "KPI2 ETE": ("KPI 2 Education, training and employment", "kpi2_ete_template_v8 / kpi2_ete_summary_v8 (pt1, pt4)", {
        "Children with an order ending": _ALL,
        "Suitable at the start": (lambda f: _is(f["ete_suitable_start"], "Suitable"), "school_age_start"),
        "Unsuitable at the start": (lambda f: _known_not(f["ete_suitable_start"], "Suitable"), "school_age_start"),
        "Suitable at the end": (lambda f: _is(f["ete_suitable_end"], "Suitable"), "school_age"),
        "Unsuitable at the end": (lambda f: _known_not(f["ete_suitable_end"], "Suitable"), "school_age"),
        "Offered full time at the start": (lambda f: _ete_time(f, "start", True), "school_age_start"),
        "Offered part time at the start": (lambda f: _ete_time(f, "start", False), "school_age_start"),
        "Offered full time at the end": (lambda f: _ete_time(f, "end", True), "school_age"),
        "Offered part time at the end": (lambda f: _ete_time(f, "end", False), "school_age"),
    }, ("Suitable at the end", "Children with an order ending")),
    "KPI3 SEND": ("KPI 3 SEND/ALN", "kpi3_sendaln_template_v8 / kpi3_sendaln_summary_v8 (pt4, pt5)", {
        "Children with an order ending": _ALL,
        "SEND/ALN identified": (lambda f: _flag(f["send_identified"]), "school_age"),
        "SEND/ALN with a formal plan": (lambda f: _flag(f["send_identified"]) & _flag(f["send_plan"]), "school_age"),
        "SEND/ALN in suitable ETE at the end": (lambda f: _flag(f["send_identified"])
                                                & _is(f["ete_suitable_end"], "Suitable"), "school_age"),
    }, ("SEND/ALN with a formal plan", "SEND/ALN identified")),
    "KPI4 Mental health": ("KPI 4 Mental health and emotional wellbeing",
                           "kpi4_mh_template_v8 / kpi4_mh_summary_v8 (pt6)", _need_rows("mh", "mental health"),
                           ("Offered a mental health intervention", "mental health need identified")),
    "KPI5 Substance misuse": ("KPI 5 Substance misuse", "kpi5_substance_m_template_v8 / kpi5_substance_m_summary_v8 (pt6)",
                              _need_rows("sm", "substance misuse"),
                              ("Offered a substance misuse intervention", "substance misuse need identified")),
    "KPI7 Wider services": ("KPI 7 Wider services", "kpi7_wider_services_template_v8 / _summary_v8 (pt7)", {
        "Children with an order ending": _ALL,
        "Supported by wider services during the order": (
            lambda f: _flag(f["early_help"]) | _flag(f["child_protection"]) | _flag(f["child_in_need"])
            | _flag(f["looked_after_flag"]), "school_age"),
        "Early help plan": (lambda f: _flag(f["early_help"]), "school_age"),
        "Child protection plan": (lambda f: _flag(f["child_protection"]), "school_age"),
        "Child in need": (lambda f: _flag(f["child_in_need"]), "school_age"),
        "Looked after (care experienced)": (lambda f: _flag(f["looked_after_flag"]), "school_age"),
        "Referred to early help": (lambda f: _flag(f["early_help_referral"]) if "early_help_referral" in f.columns
                                   else pd.Series(False, index=f.index), "school_age"),
    }, ("Supported by wider services during the order", "Children with an order ending")),
}
# the need rows are labelled with a capital first letter
for _name in ("KPI4 Mental health", "KPI5 Substance misuse"):
    _t, _src, _rows, (_num, _den) = ORDER_SHEETS[_name]
    ORDER_SHEETS[_name] = (_t, _src, {r[0].upper() + r[1:]: v for r, v in _rows.items()},
                           (_num, _den[0].upper() + _den[1:]))
#: the dashboard's headline id for each sheet (the summary must agree with it)
HEADLINE_OF = {"KPI1 Accommodation": "kpi1_accommodation", "KPI2 ETE": "kpi2_ete", "KPI3 SEND": "kpi3_send",
               "KPI4 Mental health": "kpi4_mental_health", "KPI5 Substance misuse": "kpi5_substance_misuse",
               "KPI6 Out of court": "kpi6_oocd_completion", "KPI7 Wider services": "kpi7_wider_services",
               "KPI8 Board": "kpi8_board_attendance", "KPI9 Serious violence": "kpi9_serious_violence_count",
               "KPI10 Victims": "kpi10_victims"}


def _order_cells(f: pd.DataFrame, mask: pd.Series, age_col: str) -> list[float]:
    """Counts of ``mask`` rows by (order type, school age), with the totals, in ORDER_COLUMNS order."""
    sel = f[np.asarray(mask, dtype=bool)]
    counts = sel.groupby([sel["order_type"].astype("object"), sel[age_col].astype("object")]).size()
    out = []
    for t, a in ORDER_COLUMNS:
        types = c.KPI_ORDER_TYPES if t == TOTAL else (t,)
        ages = AGES if a == TOTAL else (a,)
        out.append(float(sum(counts.get((tt, aa), 0) for tt in types for aa in ages)))
    return out


def _order_sheet(name: str, f: pd.DataFrame) -> ReturnSheet:
    title, source, rows, headline = ORDER_SHEETS[name]
    values = tuple(tuple(_order_cells(f, fn(f), age_col)) for fn, age_col in rows.values())
    return ReturnSheet(name, title, source, ORDER_COLUMNS, tuple(rows), values, headline)


# --------------------------------------------------------------------------- the other sheets

def _kpi6_sheet(ds, quarter) -> ReturnSheet:
    d = kpis.oocd_endings(ds, quarter)
    rows = ("Children with an out-of-court disposal ending", "Children who completed one successfully",
            "Disposals ending", "Disposals completed successfully")
    vals = []
    for label in rows:
        sel = d[d["successful"]] if "success" in label or "completed" in label else d
        line = []
        for t, _ in OOCD_COLUMNS:
            part = sel if t == TOTAL else sel[sel["intervention_type"] == t]
            line.append(float(part["child_id"].nunique() if label.startswith("Children") else len(part)))
        vals.append(tuple(line))
    return ReturnSheet("KPI6 Out of court", "KPI 6 Out-of-court disposals", "kpi6_oocd_summary_v8 (pt6)",
                       OOCD_COLUMNS, rows, tuple(vals), (rows[1], rows[0]))


def _kpi8_sheet(ds, quarter) -> ReturnSheet:
    g = kpis.board_sectors(ds, quarter)
    rows = (*c.STATUTORY_SECTORS, "All five sectors")
    vals = []
    for sector in rows:
        part = g if sector == "All five sectors" else g[g["sector"] == sector]
        senior, dele = float(part["senior"].sum()), float(part["delegated"].sum())
        vals.append((senior, dele, float(len(part)) - senior - dele, float(len(part))))
    return ReturnSheet("KPI8 Board", "KPI 8 Management board attendance", "kpi8_summary_v8 (pt7)",
                       KPI8_COLUMNS, rows, tuple(vals), None)


def _kpi9_type(o: pd.DataFrame) -> pd.Series:
    t = o["outcome_type"].map(c.KPI_ORDER_TYPE_OF)
    return t.where(t.isin(KPI9_TYPES[:-1]), KPI9_TYPES[-1])


def _kpi9_sheet(ds, quarter) -> ReturnSheet:
    o = kpis.serious_violence(ds, quarter)
    o = o.assign(kpi9_type=_kpi9_type(o))
    sv = o[o["serious_violence"]]
    rows = ("Proven offences", "Serious violence offences", "Children with a serious violence offence",
            *[f"Serious violence: {x}" for x in kpis.SERIOUS_VIOLENCE_CATEGORIES],
            *[f"Serious violence: gravity {g}" for g in (5, 6, 7, 8)])
    vals = []
    for label in rows:
        if label == "Proven offences":
            sel = o
        elif label.startswith("Serious violence: gravity"):
            sel = sv[sv["gravity_score"] == int(label.rsplit(" ", 1)[1])]
        elif label.startswith("Serious violence: "):
            sel = sv[sv["offence_category"] == label.split(": ", 1)[1]]
        else:
            sel = sv
        line = []
        for t, _ in KPI9_COLUMNS:
            part = sel if t == TOTAL else sel[sel["kpi9_type"] == t]
            line.append(float(part["child_id"].nunique() if label.startswith("Children") else len(part)))
        vals.append(tuple(line))
    return ReturnSheet("KPI9 Serious violence", "KPI 9 Serious violence", "kpi9_sv_summary_v8 (pt7)",
                       KPI9_COLUMNS, rows, tuple(vals), None)


def _victims_frame(ds, quarter) -> pd.DataFrame:
    v = kpis.victims_in_period(ds, quarter)
    orders = k.kpi_orders(ds).drop_duplicates("outcome_id").set_index("outcome_id")["order_type"]
    return v.assign(order_type=v["outcome_id"].map(orders))


_VICTIM_ROWS = {
    "Victims who consented to contact": lambda v: _flag(v["consented_to_contact"]),
    "Engaged with restorative justice": lambda v: _flag(v["consented_to_contact"]) & _flag(v["rj_engaged"]),
    "Views sought before the outcome": lambda v: _flag(v["consented_to_contact"]) & _flag(v["views_sought"]),
    "Given progress information": lambda v: _flag(v["consented_to_contact"]) & _flag(v["progress_info_provided"]),
    "Given additional support": lambda v: _flag(v["consented_to_contact"]) & _flag(v["support_provided"]),
}
VICTIM_COLUMNS = tuple((t, TOTAL) for t in (*c.KPI_ORDER_TYPES, TOTAL))


def _kpi10_sheet(ds, quarter) -> ReturnSheet:
    v = _victims_frame(ds, quarter)
    vals = []
    for fn in _VICTIM_ROWS.values():
        sel = v[fn(v).to_numpy(dtype=bool)]
        vals.append(tuple(float(len(sel) if t == TOTAL else (sel["order_type"] == t).sum()) for t, _ in VICTIM_COLUMNS))
    rows = tuple(_VICTIM_ROWS)
    return ReturnSheet("KPI10 Victims", "KPI 10 Victims", "kpi10_victim_summary_v8 (pt2)", VICTIM_COLUMNS,
                       rows, tuple(vals), (rows[1], rows[0]))


# --------------------------------------------------------------------------- build, check, write

def build_return(ds: Dataset, quarter, *, yot_code: str = "", preparer: Preparer | None = None) -> YjbReturn:
    """The return for ``quarter`` (a :class:`periods.Period` of kind quarter), checked; ``yot_code`` (a
    setting) and ``preparer`` are printed on it."""
    f = k.orders_ending(ds, quarter)
    sheets = [_order_sheet(n, f) for n in ("KPI1 Accommodation", "KPI2 ETE", "KPI3 SEND", "KPI4 Mental health",
                                           "KPI5 Substance misuse")]
    sheets.append(_kpi6_sheet(ds, quarter))
    sheets.append(_order_sheet("KPI7 Wider services", f))
    sheets += [_kpi8_sheet(ds, quarter), _kpi9_sheet(ds, quarter), _kpi10_sheet(ds, quarter)]
    ret = YjbReturn(quarter, ds.service_name or "", tuple(sheets), yot_code=(yot_code or "").strip(),
                    preparer=preparer or Preparer())
    return replace(ret, problems=tuple(check_return(ret, ds)))


def _headline(sheet: ReturnSheet) -> tuple[float, float] | None:
    if sheet.name == "KPI8 Board":
        return sheet.value("All five sectors", KPI8_COLUMNS[0]), sheet.value("All five sectors", KPI8_COLUMNS[3])
    if sheet.name == "KPI9 Serious violence":
        return sheet.value("Serious violence offences", (TOTAL, TOTAL)), None
    if sheet.headline is None:
        return None
    num, den = sheet.headline
    return sheet.value(num, (TOTAL, TOTAL)), sheet.value(den, (TOTAL, TOTAL))


def check_return(ret: YjbReturn, ds: Dataset | None = None) -> list[str]:
    """Every failed internal check, as a sentence naming the sheet, row and column."""
    problems: list[str] = []
    for s in ret.sheets:
        fr = s.frame()
        if s.columns == ORDER_COLUMNS:
            for t in (*c.KPI_ORDER_TYPES, TOTAL):
                parts = fr[(t, AGES[0])] + fr[(t, AGES[1])]
                for row in fr.index[parts != fr[(t, TOTAL)]]:
                    problems.append(f"{s.name}, '{row}', {t}: the total is not school age plus above school age.")
            for a in (*AGES, TOTAL):
                parts = sum(fr[(t, a)] for t in c.KPI_ORDER_TYPES)
                for row in fr.index[parts != fr[(TOTAL, a)]]:
                    problems.append(f"{s.name}, '{row}', {a}: the total is not the sum of the order types.")
        elif s.name in ("KPI9 Serious violence", "KPI10 Victims") or s.name == "KPI6 Out of court":
            parts = fr.drop(columns=[(TOTAL, TOTAL)]).sum(axis=1)
            for row in fr.index:
                whole, summed = fr.loc[row, (TOTAL, TOTAL)], parts.loc[row]
                distinct_children = row.startswith("Children")
                ok = (whole <= summed and whole >= fr.loc[row].drop((TOTAL, TOTAL)).max()) if distinct_children \
                    else whole == summed
                if not ok:
                    problems.append(f"{s.name}, '{row}': the total does not agree with its parts.")
        if s.name == "KPI8 Board":
            body = fr.drop(index="All five sectors")
            if not (body.sum() == fr.loc["All five sectors"]).all():
                problems.append("KPI8 Board: 'All five sectors' is not the sum of the sectors.")
            if not (fr[KPI8_COLUMNS[0]] + fr[KPI8_COLUMNS[1]] + fr[KPI8_COLUMNS[2]] == fr[KPI8_COLUMNS[3]]).all():
                problems.append("KPI8 Board: senior, delegate and not represented do not add up to the meetings.")
        if s.name == "KPI9 Serious violence":
            total = fr.loc["Serious violence offences", (TOTAL, TOTAL)]
            cats = sum(fr.loc[f"Serious violence: {x}", (TOTAL, TOTAL)] for x in kpis.SERIOUS_VIOLENCE_CATEGORIES)
            grav = sum(fr.loc[f"Serious violence: gravity {g}", (TOTAL, TOTAL)] for g in (5, 6, 7, 8))
            if cats != total or grav != total:
                problems.append("KPI9 Serious violence: the offence types or gravity scores do not add up to "
                                "the serious violence offences.")
    # shared denominators: the children with an order ending are the same in KPIs 1-5 and 7
    dens = {s.name: s.value("Children with an order ending", (TOTAL, TOTAL)) for s in ret.sheets
            if "Children with an order ending" in s.rows}
    if len(set(dens.values())) > 1:
        problems.append("The children with an order ending differ between sheets: "
                        + ", ".join(f"{n} {v:.0f}" for n, v in dens.items()) + ".")
    if ds is not None:
        problems += _check_against_dashboard(ret, ds)
    return problems


def _check_against_dashboard(ret: YjbReturn, ds: Dataset) -> list[str]:
    from . import indicators

    res = {r.indicator: r for r in indicators.compute(ds, ret.quarter, list(dict.fromkeys(
        i if i in indicators.INDICATORS else "kpi9_serious_violence" for i in HEADLINE_OF.values())))
        if r.by is None}
    problems = []
    for s in ret.sheets:
        head, r = _headline(s), res.get(HEADLINE_OF.get(s.name, ""))
        if head is None or r is None:
            continue
        num, den = head
        if r.numerator != num or (den is not None and r.denominator != den):
            problems.append(f"{s.name}: the return's headline ({num:.0f}/{den if den is None else f'{den:.0f}'}) "
                            f"differs from the dashboard's ({r.numerator}/{r.denominator}).")
    return problems


def summary_frame(ret: YjbReturn) -> pd.DataFrame:
    """One row per KPI: headline numerator, denominator and percentage."""
    rows = []
    for s in ret.sheets:
        head = _headline(s)
        if head is None:
            continue
        num, den = head
        pct = None if not den else round(num / den * 100, 1)
        rows.append({"KPI": s.title, "Numerator": num, "Denominator": den, "Percentage": pct, "Source view": s.source})
    return pd.DataFrame(rows)


#: rows about the start of the order: their school-age columns are the child's school age on the start date
START_MARK = " †"
SCHOOL_AGE_NOTE = (
    "School age: children count under School age or Above school age by their age on the order's end date, "
    "except in the rows marked †, about the start of the order, which use their age on the order's start "
    "date (the YJB's f_isSchoolAgeStart and f_isSchoolAgeEnd). So a child who passed school-leaving age "
    "during the order is under School age in a † row and under Above school age in the others; the "
    "Total columns do not depend on it. School age ends on the last Friday of June in the school year the "
    "child turns 16. The YJB's template splits only KPI 2 by school age: on the other sheets the split is "
    "extra detail, and the Total columns are the template's figures.")
COUNTING_NOTE = ("Children count once per quarter, on the order ending in the quarter that is most serious, then "
                 "the most recently sentenced (YJB person_details_v8).")
_WIDTH_LABEL, _WIDTH_CELL = 36, 8.5


SCHOOL_AGE_END_NOTE = (
    "School age: children count under School age or Above school age by their age on the order's end date. "
    "School age ends on the last Friday of June in the school year the child turns 16. The YJB's template "
    "splits only KPI 2 by school age: on this sheet the split is extra detail, and the Total columns are the "
    "template's figures.")


def start_rows(sheet: str) -> tuple[str, ...]:
    """The rows of an order sheet whose school-age columns are the child's school age on the order's start
    date (marked † in the workbook)."""
    rows = ORDER_SHEETS[sheet][2] if sheet in ORDER_SHEETS else {}
    return tuple(label for label, (_, age_col) in rows.items() if age_col == "school_age_start")


def _page_setup(ws, header_rows: str, last_col: str, last_row: int, ret: YjbReturn, sheet_title: str) -> None:
    """A4 landscape, the table fitted to the page width (as many pages down as needed), the header rows
    repeated on every page, and a footer naming the service, quarter, sheet and page."""
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_setup.orientation = ws.ORIENTATION_LANDSCAPE
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    if header_rows:
        ws.print_title_rows = header_rows
    ws.print_area = f"A1:{last_col}{last_row}"
    ident = ret.service + (f" (YOT {ret.yot_code})" if ret.yot_code else "")
    ws.oddFooter.left.text = f"{ident} · {ret.quarter.label}"[:120]
    ws.oddFooter.center.text = sheet_title[:60]
    ws.oddFooter.right.text = "Page &P of &N"


def _identity_rows(ret: YjbReturn) -> list[tuple[str, str]]:
    q = ret.quarter
    return [("Service", ret.service or "(not named: set it on the Settings page)"),
            ("YOT code", ret.yot_code or "(not set: a manager sets it on the Settings page)"),
            ("Quarter", f"{q.label}: {q.start.day} {q.start:%b %Y} to {q.end.day} {q.end:%b %Y}"),
            ("Prepared by", ret.preparer.describe() or "(not given)"),
            ("Internal checks", "passed: every total is the sum of its parts and the summary agrees with the "
                                "dashboard")]


def return_xlsx(ret: YjbReturn) -> bytes:
    """The return as an .xlsx: a summary sheet (service, YOT code, quarter, preparer, the headline of each
    KPI and the notes), then one sheet per KPI: the order types as merged headers over their school-age
    columns, a row per measure, notes, and a print setup (A4 landscape, fitted to the page width, header
    rows repeated). Raises ``ValueError`` listing the failed internal checks rather than writing a return
    that does not add up."""
    if ret.problems:
        raise ValueError("The return failed its internal checks: " + " ".join(ret.problems))
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    centre = Alignment(horizontal="center", vertical="center", wrap_text=True)
    thin = Side(style="thin", color="808080")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    shade = PatternFill("solid", fgColor="E7EEF7")

    wb = Workbook()
    ws = wb.active
    ws.title = "Summary"
    ws.append([f"YJB KPI return {ret.quarter.label}" + (f": {ret.service}" if ret.service else "")])
    ws["A1"].font = Font(bold=True, size=14)
    for label, value in _identity_rows(ret):
        ws.append([label, value])
        ws.cell(ws.max_row, 1).font = bold
        ws.merge_cells(start_row=ws.max_row, start_column=2, end_row=ws.max_row, end_column=5)
    ws.append([])
    summ = summary_frame(ret)
    ws.append(list(summ.columns))
    head_row = ws.max_row
    for cell in ws[head_row]:
        cell.font, cell.alignment, cell.border, cell.fill = bold, centre, box, shade
    for rec in summ.itertuples(index=False):
        ws.append(list(rec))
        for cell in ws[ws.max_row]:
            cell.border = box
    ws.append([])
    for note in (COUNTING_NOTE, SCHOOL_AGE_NOTE):
        ws.append([note])
        ws.merge_cells(start_row=ws.max_row, start_column=1, end_row=ws.max_row, end_column=5)
        ws.cell(ws.max_row, 1).alignment = wrap
        ws.row_dimensions[ws.max_row].height = 15 * (1 + len(note) // 150)
    for col, width in zip("ABCDE", (44, 13, 13, 13, 66)):
        ws.column_dimensions[col].width = width
    _page_setup(ws, f"{head_row}:{head_row}", "E", ws.max_row, ret, "Summary")
    ws.page_setup.orientation = ws.ORIENTATION_PORTRAIT  # five columns fit a portrait page

    for s in ret.sheets:
        sh = wb.create_sheet(s.name[:31])
        ncol = len(s.columns) + 1
        last = get_column_letter(ncol)
        ident = ret.service + (f", YOT {ret.yot_code}" if ret.yot_code else "")
        sh.append([f"{s.title}: {ret.quarter.label}" + (f" ({ident})" if ident else "")])
        sh["A1"].font = Font(bold=True, size=13)
        sh.merge_cells(f"A1:{last}1")
        by_age = any(a != TOTAL for _, a in s.columns)
        sh.append([f"Layout of the YJB view {s.source}. Prepared by {ret.preparer.describe() or '(not given)'}."])
        sh.merge_cells(f"A2:{last}2")
        sh["A2"].alignment = wrap
        top = 3
        types = list(dict.fromkeys(t for t, _ in s.columns))
        sh.append(["Measure", *[col[0] for col in s.columns]])
        if by_age:
            sh.append(["", *[col[1] for col in s.columns]])
            sh.merge_cells(start_row=top, start_column=1, end_row=top + 1, end_column=1)
            for t in types:  # one merged header over each order type's school-age columns
                cols = [i + 2 for i, (tt, _) in enumerate(s.columns) if tt == t]
                sh.merge_cells(start_row=top, start_column=cols[0], end_row=top, end_column=cols[-1])
        head_last = top + (1 if by_age else 0)
        for r in range(top, head_last + 1):
            for cell in sh[r]:
                cell.font, cell.alignment, cell.border, cell.fill = bold, centre, box, shade
            sh.row_dimensions[r].height = 30 if r == top and by_age else 44  # three lines: "Above school age"
        sh.cell(top, 1).alignment = Alignment(vertical="center", wrap_text=True)
        marked = start_rows(s.name)
        for label, line in zip(s.rows, s.values):
            sh.append([label + (START_MARK if label in marked else ""), *[int(v) for v in line]])
            for cell in sh[sh.max_row]:
                cell.border = box
            sh.cell(sh.max_row, 1).alignment = wrap
            for i, (t, a) in enumerate(s.columns):
                if t == TOTAL or (by_age and a == TOTAL):
                    sh.cell(sh.max_row, i + 2).font = bold
        sh.append([])
        notes = [COUNTING_NOTE, SCHOOL_AGE_NOTE if marked else SCHOOL_AGE_END_NOTE] if s.name in ORDER_SHEETS else []
        for note in notes:
            sh.append([note])
            sh.merge_cells(start_row=sh.max_row, start_column=1, end_row=sh.max_row, end_column=ncol)
            sh.cell(sh.max_row, 1).alignment = wrap
            sh.row_dimensions[sh.max_row].height = 15 * (1 + len(note) // 190)
        sh.column_dimensions["A"].width = _WIDTH_LABEL
        for i in range(2, ncol + 1):
            sh.column_dimensions[get_column_letter(i)].width = _WIDTH_CELL if by_age else 16
        sh.freeze_panes = sh.cell(head_last + 1, 2)
        _page_setup(sh, f"{top}:{head_last}", last, sh.max_row, ret, s.title)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def cell_children(ds: Dataset, quarter, sheet: str, row: str, column: tuple[str, str] = (TOTAL, TOTAL)) -> pd.DataFrame:
    """The pseudonymous children (or victims, offences, meetings) behind one cell (managers only)."""
    if sheet in ORDER_SHEETS:
        f = k.orders_ending(ds, quarter)
        fn, age_col = ORDER_SHEETS[sheet][2][row]
        sel = f[np.asarray(fn(f), dtype=bool)]
        t, a = column
        if t != TOTAL:
            sel = sel[sel["order_type"] == t]
        if a != TOTAL:
            sel = sel[sel[age_col] == a]
        return sel[["child_id", "quarter", "intervention_id", "intervention_type", "order_type", "sentence_date",
                    "start_date", "end_date", age_col]].reset_index(drop=True)
    if sheet == "KPI6 Out of court":
        d = kpis.oocd_endings(ds, quarter)
        if "success" in row or "completed" in row:
            d = d[d["successful"]]
        if column[0] != TOTAL:
            d = d[d["intervention_type"] == column[0]]
        return d[["child_id", "intervention_id", "intervention_type", "end_date", "completion"]].reset_index(drop=True)
    if sheet == "KPI9 Serious violence":
        o = kpis.serious_violence(ds, quarter)
        o = o.assign(kpi9_type=_kpi9_type(o))
        if row != "Proven offences":
            o = o[o["serious_violence"]]
        if row.startswith("Serious violence: gravity"):
            o = o[o["gravity_score"] == int(row.rsplit(" ", 1)[1])]
        elif row.startswith("Serious violence: "):
            o = o[o["offence_category"] == row.split(": ", 1)[1]]
        if column[0] != TOTAL:
            o = o[o["kpi9_type"] == column[0]]
        return o[["child_id", "offence_key", "outcome_id", "outcome_date", "outcome_type", "offence_category",
                  "gravity_score"]].reset_index(drop=True)
    if sheet == "KPI10 Victims":
        v = _victims_frame(ds, quarter)
        v = v[_VICTIM_ROWS[row](v).to_numpy(dtype=bool)]
        if column[0] != TOTAL:
            v = v[v["order_type"] == column[0]]
        return v[["victim_id", "child_id", "outcome_id", "order_type", "end_date"]].reset_index(drop=True)
    if sheet == "KPI8 Board":
        g = kpis.board_sectors(ds, quarter)
        if row != "All five sectors":
            g = g[g["sector"] == row]
        return g[["meeting", "sector", "senior", "delegated"]].reset_index(drop=True)
    raise KeyError(f"No sheet '{sheet}' in the return.")


def return_cells(ret: YjbReturn) -> list[tuple[str, str, tuple[str, str]]]:
    """Every (sheet, row, column) of the return, for a picker of the cell to open."""
    return [(s.name, r, col) for s in ret.sheets for r in s.rows for col in s.columns]
