"""The board pack: a PowerPoint deck (python-pptx) and a PDF (reportlab) with the same content,
and the scorecard as an Excel workbook (:mod:`yj_metrics.scorecard_xlsx`).

Built from a snapshot, a quarter and an edition, for the **whole service** unless the caller
passes filters (then every slide, page and file name says which):

* the **board edition** (managers and board members) carries every figure and is marked
  OFFICIAL-SENSITIVE on every slide and page;
* the **protected edition** (for partners, and for the board to circulate) shows every figure
  through the partner disclosure control (:mod:`yj_metrics.disclosure`), exactly as partners
  see it in the app, and says so in its file name. It is always built for the whole service.

The deck opens with a summary (RAG counts, exceptions, actions), carries the manager's
commentary (:class:`yj_metrics.commentary.BoardNotes`) beside each indicator, and shows every
disproportionality stage, its tables split over as many slides as they need.
"""
from __future__ import annotations

import datetime as dt
import io
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts_static as charts
from . import disproportionality as dp
from . import indicators
from .commentary import BoardNotes
from .dataset import Dataset, age_on
from .disclosure import PartnerProtection, explanation, marker, marker_of_note
from .filters import Filters, apply_filters
from .narrative import clear_change, fmt, indicator_sentence
from .periods import Period, financial_year, fmt_date, fy_start_year
from .scorecard_xlsx import scorecard_xlsx
from .settings import Settings
from .store import completeness
from .targets import RAG_ICONS

DEMO_WARNING = "DEMO DATA: synthetic figures, not real children"
ROLES = ("manager", "board", "partner")
EDITIONS = ("board", "protected")
CLASSIFICATION = {"board": "OFFICIAL-SENSITIVE: contains small numbers about children; do not circulate",
                  "protected": "OFFICIAL: protected figures, small numbers hidden; may be circulated to partners"}
WHOLE_SERVICE = "Whole service (no filters)"
NO_NOTES = "No commentary has been written for this quarter yet."
RAG_LEGEND = "RAG: ● Green meets the local target, ▲ Amber within tolerance, ■ Red misses it."
HIDDEN_LEGEND = " hidden: the figure is protected and its RAG would give it away; its target stands."
TABLE_PT = 12  # the smallest text in the deck's tables
TREND_QUARTERS = 8  # as the dashboard's indicator detail
PAGE_CHART_HEIGHT = 300  # on a PDF page, two indicators a page
SLIDE_CHART_HEIGHT = 470  # a trend chart's plot height on a slide: it fills the space beside the text


@dataclass(frozen=True)
class BoardPack:
    pptx: bytes
    pdf: bytes
    xlsx: bytes
    pptx_name: str
    pdf_name: str
    xlsx_name: str
    edition: str = "board"
    filters: Filters = Filters()


@dataclass(frozen=True)
class _Table:
    """A table for the deck and the PDF; ``widths`` in inches on the slide."""

    header: list[str]
    rows: list[list[str]]
    widths: list[float]


@dataclass(frozen=True)
class _Content:
    """Everything the deck, the PDF and the workbook show, computed once."""

    title: str
    subtitle: str
    scope: str  # the filters, or WHOLE_SERVICE: on every slide and page
    demo: bool
    tiles: list[tuple[str, int, str, str]]  # label, count, fill, text colour
    exceptions: list[str]
    actions: _Table
    actions_note: str
    scorecard: _Table
    indicator_slides: list[tuple[str, str, str, bytes, bytes]]  # title, narrative, commentary, chart png (page, slide)
    dp_title: str
    dp_table: _Table
    dp_charts: list[bytes]
    ete_chart: bytes
    ete_rows: list[list[str]]
    quality_lines: list[str]
    workbook: bytes
    edition: str = "board"

    @property
    def classification(self) -> str:
        return CLASSIFICATION[self.edition]

    @property
    def rag_legend(self) -> str:
        return RAG_LEGEND + (HIDDEN_LEGEND if any(row[3] == HIDDEN for row in self.scorecard.rows) else "")

    @property
    def footer(self) -> str:
        return self.scope if self.scope == WHOLE_SERVICE else f"Filtered, not the whole service: {self.scope}"


SCORECARD_HEADER = ["Indicator and period", "Value", "Children / events", "RAG", "Change on previous quarter",
                    "National", "Rank"]
DP_HEADER = ["Stage", "Group", "Children", "Rate", "RRI", "95% interval", "Difference"]
ACTIONS_HEADER = ["Indicator", "Action", "Owner", "Due", "Status", "Agreed"]


def _protected(r) -> bool:
    return r is not None and "protected" in (r.note or "")


def _marker_of(r) -> str:
    """The engine's marker for a hidden figure: ``<5`` (a small count) or ``hidden`` (hidden to protect another)."""
    return marker_of_note(r.note) or marker()


def _value(r) -> str:
    if r is None or r.value is None:
        return _marker_of(r) if _protected(r) else "–"
    return fmt(r.value, r.unit)


def _fraction(r) -> str:
    if r.numerator is None:
        return _marker_of(r) if _protected(r) else "–"
    if r.denominator is None or r.unit in ("count", "£", "nights"):
        return f"{r.numerator:,.0f}"
    return f"{r.numerator:,.0f} / {r.denominator:,.0f}"


def _change(cur, prev) -> str:
    if cur is None or prev is None or cur.value is None or prev.value is None:
        return "–"
    d = cur.value - prev.value
    unit = " pts" if cur.unit == "%" else ""
    return f"{d:+.1f}{unit}" if abs(d) >= 0.05 or cur.unit != "per 1,000" else f"{d:+.2f}"


HIDDEN = "hidden"


def _rag(r) -> str:
    """The RAG as printed: its shape and word; ``hidden`` for a protected figure whose RAG the
    protection hid with it (never "no target": the target stands); else ``no target``."""
    if r.rag:
        return f"{RAG_ICONS[r.rag]} {r.rag}"
    return HIDDEN if _protected(r) else "no target"


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")


def _slug(filters: Filters) -> str:
    """``North`` or ``North-Female``: the filter values, short enough for a file name."""
    return _safe("-".join(v for values in filters.active.values() for v in values))[:40].strip("_-")


def _summary(card, prev, labels) -> tuple[list[tuple[str, int, str]], list[str]]:
    """The RAG and change tiles, and the exceptions: red indicators and clear worsening."""
    rags = [r.rag or (HIDDEN if _protected(r) else None) for r in card]
    changes = [clear_change(r, prev.get(r.indicator), indicators.INDICATORS[r.indicator].direction) for r in card]
    white, black = "#FFFFFF", "#000000"
    tiles = [(f"{RAG_ICONS['Green']} Green", rags.count("Green"), "#009E73", white),
             (f"{RAG_ICONS['Amber']} Amber", rags.count("Amber"), "#E69F00", black),
             (f"{RAG_ICONS['Red']} Red", rags.count("Red"), "#D55E00", white),
             ("No target", rags.count(None), "#767676", white)]
    if HIDDEN in rags:  # protected figures whose RAG is hidden with them: they have a target
        tiles.append(("RAG hidden (protected)", rags.count(HIDDEN), "#4D4D4D", white))
    tiles += [("Clearly improved", changes.count("improved"), "#0072B2", white),
              ("Clearly worsened", changes.count("worsened"), "#CC79A7", black)]
    exceptions = []
    for r, change in zip(card, changes):
        why = [f"{RAG_ICONS['Red']} Red"] if r.rag == "Red" else []
        if change == "worsened":
            why.append(f"clearly worse than the previous quarter ({_value(prev[r.indicator])})")
        if why:
            exceptions.append(f"{labels[r.indicator]}: {_value(r)}; {'; '.join(why)}.")
    return tiles, exceptions or ["No indicator is red or clearly worse than the previous quarter."]


def _actions(notes: BoardNotes | None, labels, today: dt.date) -> tuple[_Table, str]:
    """This quarter's and last quarter's actions (overdue first, marked), and a one-line count."""
    table = _Table(ACTIONS_HEADER, [], [2.6, 4.6, 1.5, 1.3, 1.5, 1.1])
    if notes is None or not (notes.actions or notes.previous_actions):
        return table, "No actions have been recorded for this quarter yet."
    rows, overdue = [], 0
    for agreed, actions in (("this quarter", notes.actions), ("last quarter", notes.previous_actions)):
        for a in actions:
            late = a.overdue(today)
            overdue += late
            rows.append([labels.get(a.indicator, a.indicator), a.text, a.owner or "–",
                         fmt_date(a.due) if a.due else "–", a.status + (": OVERDUE" if late else ""), agreed])
    rows.sort(key=lambda r: not r[4].endswith("OVERDUE"))
    still_open = sum(a.status == "Open" for a in notes.actions + notes.previous_actions)
    note = (f"Actions: {len(notes.actions)} agreed this quarter, {len(notes.previous_actions)} from last quarter; "
            f"{still_open} open, {overdue} overdue.")
    return _Table(ACTIONS_HEADER, rows, table.widths), note


def _commentary(notes: BoardNotes | None, indicator: str, labels) -> str:
    if notes is None:
        return NO_NOTES
    comment, actions = notes.for_indicator(indicator)
    text = f"Commentary: {comment.text}" if comment else "No commentary on this indicator for this quarter yet."
    for a in actions:
        due = f", due {fmt_date(a.due)}" if a.due else ""
        text += f"\nAction: {a.text} ({a.owner or 'no owner'}{due}; {a.status})"
    return text


def _content(whole: Dataset, quarter: Period, settings: Settings, edition: str, filters: Filters,
             notes: BoardNotes | None, today: dt.date) -> _Content:
    partner = edition == "protected"
    ds = apply_filters(whole, filters)
    t = settings.suppression_threshold
    prot = PartnerProtection(ds, settings) if partner else None
    sup = prot.protect_results if partner else (lambda rs: rs)
    card = sup(indicators.scorecard(ds, quarter, settings))
    prev = {r.indicator: r for r in sup(indicators.scorecard(ds, quarter.previous(), settings))}
    year = {r.indicator: r for r in sup(indicators.scorecard(ds, quarter.year_earlier(), settings))}
    labels = {i: d.label for i, d in indicators.INDICATORS.items()}
    rows, slides = [], []
    for r in card:
        national = next((b for b in r.benchmarks if b.comparator == "National"), None)
        rows.append([f"{labels[r.indicator]}\n{fmt_date(r.start)} to {fmt_date(r.end)}", _value(r), _fraction(r),
                     _rag(r), _change(r, prev.get(r.indicator)), fmt(national.value, r.unit) if national else "–",
                     f"{r.rank} of {r.rank_of}" if r.rank else "–"])
        d = indicators.INDICATORS[r.indicator]
        if d.headline:
            target = settings.targets.get(r.indicator)
            series = sup(indicators.scorecard_trend(ds, r.indicator, quarter, TREND_QUARTERS, settings))
            chart_title = f"{d.label}: last {TREND_QUARTERS} quarters"
            slides.append((d.label, indicator_sentence(r, prev.get(r.indicator), year.get(r.indicator), d,
                                                       target=target),
                           _commentary(notes, r.indicator, labels),
                           *charts.trend_pngs(series, chart_title, r.unit, target,
                                              (PAGE_CHART_HEIGHT, SLIDE_CHART_HEIGHT))))
    tiles, exceptions = _summary(card, prev, labels)
    actions, actions_note = _actions(notes, labels, today)

    fy = financial_year(fy_start_year(quarter.end))
    if partner:  # never past the reporting quarter
        fy = prot.periods.clip(fy)
    stages = dp.stage_table(ds, fy, "ethnicity")
    comp = dp.composition(ds, fy, "caseload", "ethnicity")
    if partner:
        stages = prot.protect_disproportionality(stages)
        comp = prot.composition(fy, "ethnicity")
        for col in ("children", "share_of_children_pct", "share_of_population_pct"):
            comp[col] = pd.to_numeric(comp[col], errors="coerce")  # charts never carry a protected number
    dp_rows = [[dp.STAGE_LABELS.get(r.stage, r.stage), r.group, (marker_of_note(r.note, t) or marker(t)) if r.events is None else f"{r.events:,.0f}",
                "–" if r.rate is None else f"{r.rate:.1f} {r.rate_unit}",
                "reference" if r.is_reference else ("–" if r.rri is None else f"{r.rri:.2f}"),
                "–" if r.ci_low is None or r.ci_high is None else f"{r.ci_low:.2f} to {r.ci_high:.2f}",
                dp.flag_text(r.flag) or "–"] for r in stages]
    reference = dp.DEFAULT_REFERENCE["ethnicity"]
    dp_charts = [charts.rri_png(stages, f"Relative rate index by ethnicity and stage, {fy.label} (reference {reference})",
                                dp.STAGE_LABELS),
                 charts.grouped_bars_png(comp.rename(columns={"share_of_children_pct": "Caseload",
                                                              "share_of_population_pct": "Population 10-17"}),
                                         "group", ["Caseload", "Population 10-17"],
                                         f"Caseload and population by ethnicity, {fy.label} (%)", "%")]

    ete = {r.indicator: r for r in sup(indicators.compute(ds, quarter, ["kpi1_accommodation", "kpi2_ete"], None, settings))
           if r.by is None}
    df = pd.DataFrame({"measure": ["Accommodation", "ETE"],
                       "At the start": [getattr(ete.get("kpi1_accommodation_start"), "value", None),
                                        getattr(ete.get("kpi2_ete_start"), "value", None)],
                       "At the end": [getattr(ete.get("kpi1_accommodation"), "value", None),
                                      getattr(ete.get("kpi2_ete"), "value", None)]})
    ete_chart = charts.grouped_bars_png(df, "measure", ["At the start", "At the end"],
                                        f"Suitable accommodation and ETE, start vs end of order, {quarter.label} (%)", "%")
    ete_rows = [[ete[i].label, _value(ete[i]), _fraction(ete[i])] for i in
                ("kpi1_accommodation_start", "kpi1_accommodation", "kpi2_ete_start", "kpi2_ete",
                 "kpi2_ete_school_age", "kpi2_ete_above_school_age") if i in ete]

    comp_q = completeness(ds)
    lines = []
    for sheet, col in (("Children", "ethnicity"), ("Children", "gender"), ("Interventions", "ete_suitable_end"),
                       ("Interventions", "accommodation_suitable_end")):
        row = comp_q[(comp_q["sheet"] == sheet) & (comp_q["column"] == col)]
        if len(row) and row["rows"].iloc[0]:
            lines.append(f"{sheet} {col.replace('_', ' ')}: {row['filled_pct'].iloc[0]:.1f}% filled, "
                         f"{row['not_known_pct'].iloc[0]:.1f}% recorded as not known or unknown.")

    def n(v):
        return marker(t) if partner and 0 < v <= t else f"{v:,}"

    non_resident = int((~ds.children["resident"].fillna(True).astype(bool)).sum())
    overturned = int(ds.outcomes["overturned_on_appeal"].fillna(False).astype(bool).sum())
    dob = ds.outcomes["child_id"].map(ds.children.set_index("child_id")["date_of_birth"])
    outside = int((~age_on(dob, ds.outcomes["outcome_date"]).between(10, 17)).sum())
    lines += [f"Children excluded from local rates because they live outside the area: {n(non_resident)}.",
              f"Outcomes ignored because they were overturned on appeal: {n(overturned)}.",
              f"Outcomes outside ages 10-17 (not counted): {n(outside)}.",
              "Percentages count Unknown suitability as not suitable, as the YJB does."]
    if partner:
        lines.append(explanation(t))
    title = f"{settings.service_name if settings.service_name != Settings().service_name else ds.service_name}"
    snap = f"snapshot #{ds.snapshot_id}" if ds.snapshot_id else (ds.file_name or "workbook")
    scope = filters.describe() if filters else WHOLE_SERVICE
    subtitle = (f"Board pack {quarter.label} ({fmt_date(quarter.start)} to {fmt_date(quarter.end)}) · data: {snap}, "
                f"covering {fmt_date(ds.covers[0])} to {fmt_date(ds.covers[1])} · "
                + ("protected edition for circulation" if partner else "board edition"))
    comments = {} if notes is None else {i: c.text for i, c in notes.commentary.items()}
    workbook = scorecard_xlsx(card, prev, labels, title=f"{title}: scorecard {quarter.label}",
                              subtitle=f"{subtitle} · {scope}", classification=CLASSIFICATION[edition],
                              marker=marker(t), commentary=comments)
    return _Content(title, subtitle, scope, ds.is_demo, tiles, exceptions, actions, actions_note,
                    _Table(SCORECARD_HEADER, rows, [4.0, 1.8, 1.4, 1.2, 1.3, 1.8, 0.9]), slides,
                    f"Disproportionality by ethnicity, {fy.label}",
                    _Table(DP_HEADER, dp_rows, [2.5, 1.6, 1.2, 2.0, 1.1, 1.7, 2.5]), dp_charts, ete_chart, ete_rows,
                    lines, workbook, edition)


# --------------------------------------------------------------------------- PowerPoint

def _lines(text: str, width_in: float, size: int) -> int:
    """How many lines ``text`` takes in a cell ``width_in`` wide (an estimate on the safe side)."""
    per_line = max(1, int((width_in - 0.2) / (0.6 * size / 72)))
    lines = 0
    for part in str(text).split("\n"):
        lines, used = lines + 1, 0
        for word in part.split():
            if used and used + 1 + len(word) > per_line:
                lines, used = lines + 1, 0
            lines += max(0, math.ceil(len(word) / per_line) - 1)
            used = (used + 1 if used else 0) + len(word)
    return lines


def _row_height(row, widths, size) -> float:
    """Inches for a table row at ``size`` points: its tallest cell plus the cell margins."""
    return max(_lines(v, w, size) for v, w in zip(row, widths)) * 1.25 * size / 72 + 0.12


def _table_pages(t: _Table, space_in: float, size: int) -> list[list[list[str]]]:
    """The rows split into slides, each fitting ``space_in`` inches under its header, as few
    slides as fit and the rows shared evenly between them (never one row left alone on a slide)."""
    head = _row_height(t.header, t.widths, size)
    heights = [_row_height(row, t.widths, size) for row in t.rows]

    def split(cap: float) -> list[list[list[str]]]:
        pages, page, used = [], [], head
        for row, h in zip(t.rows, heights):
            if page and used + h > cap:
                pages.append(page)
                page, used = [], head
            page.append(row)
            used += h
        return pages + [page] if page else pages

    pages = split(space_in)
    if len(pages) > 1:  # the smallest page height that still needs no more slides: even pages
        cap = head + sum(heights) / len(pages)
        while len(split(cap)) > len(pages) and cap < space_in:
            cap += 0.05
        pages = split(min(cap, space_in))
    return pages


def _pptx(c: _Content) -> bytes:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.enum.text import MSO_AUTO_SIZE
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]
    top, bottom = 1.15, 6.9  # the content area, between the title and the footer
    orange = RGBColor(0xD5, 0x5E, 0x00)

    def text_box(s, left, top_, width, height, text, size, bold=False, colour=None, name=None, fit=False):
        tb = s.shapes.add_textbox(Inches(left), Inches(top_), Inches(width), Inches(height))
        if name:
            tb.name = name
        tf = tb.text_frame
        tf.word_wrap = True
        if fit:
            tf.auto_size = MSO_AUTO_SIZE.TEXT_TO_FIT_SHAPE
        for i, line in enumerate(text.split("\n")):
            p = tf.paragraphs[0] if i == 0 else tf.add_paragraph()
            p.text = line
            p.font.size, p.font.bold = Pt(size), bold
            if colour is not None:
                p.font.color.rgb = colour
        return tb

    def slide_with_title(text):
        s = prs.slides.add_slide(blank)
        text_box(s, 0.5, 0.3, 12.3, 0.8, text, 28 if len(text) <= 40 else 24, bold=True, name="Title")
        text_box(s, 0.5, 0.02, 12.3, 0.3, c.classification, 12, bold=True, name="Classification")
        text_box(s, 0.5, 7.0, 7.7, 0.4, c.footer, 12, name="Footer")
        if c.demo:
            text_box(s, 8.3, 7.0, 4.8, 0.4, DEMO_WARNING, 11, colour=orange)
        return s

    def picture(s, png, left, top_, max_w, max_h):
        """The chart as large as fits the box, its proportions kept."""
        pic = s.shapes.add_picture(io.BytesIO(png), Inches(left), Inches(top_), width=Inches(max_w))
        if pic.height > Inches(max_h):
            ratio = Inches(max_h) / pic.height
            pic.height, pic.width = Inches(max_h), int(pic.width * ratio)
        return pic

    def table(s, t: _Table, rows, top_, left=0.3):
        heights = [_row_height(r, t.widths, TABLE_PT) for r in [t.header] + rows]
        shape = s.shapes.add_table(len(rows) + 1, len(t.header), Inches(left), Inches(top_), Inches(sum(t.widths)),
                                   Inches(sum(heights)))
        tbl = shape.table
        for j, w in enumerate(t.widths):
            tbl.columns[j].width = Inches(w)
        for i, (row, h) in enumerate(zip([t.header] + rows, heights)):
            tbl.rows[i].height = Inches(h)
            for j, v in enumerate(row):
                cell = tbl.cell(i, j)
                cell.text = str(v)
                for p in cell.text_frame.paragraphs:
                    p.font.size = Pt(TABLE_PT)
        return shape

    def paged_table(title, t: _Table, note: str | None = None):
        """The table over as many slides as it needs ("continued"), with a note under each part."""
        space = bottom - top - (0.55 if note else 0)
        for k, rows in enumerate(_table_pages(t, space, TABLE_PT)):
            s = slide_with_title(title if k == 0 else f"{title} (continued)")
            shape = table(s, t, rows, top)
            if note:
                text_box(s, 0.5, top + shape.height / 914400 + 0.1, 12.3, 0.45, note, 12, name="Legend")

    s = slide_with_title(c.title)
    text_box(s, 0.5, 1.3, 12.3, 1.0, c.subtitle, 18)
    text_box(s, 0.5, 2.4, 12.3, 0.9, f"For: {c.scope}", 24, bold=True, name="Scope")
    if c.demo:
        text_box(s, 0.5, 3.5, 12.3, 0.8, DEMO_WARNING, 24, bold=True, colour=orange)

    s = slide_with_title("Summary")
    step = 12.4 / len(c.tiles)  # six or seven tiles across the slide
    for i, (label, count, colour, ink) in enumerate(c.tiles):
        tile = s.shapes.add_shape(1, Inches(0.5 + i * step), Inches(top), Inches(step - 0.17), Inches(1.3))
        tile.fill.solid()
        tile.fill.fore_color.rgb = RGBColor.from_string(colour.lstrip("#"))
        tile.line.fill.background()
        tf = tile.text_frame
        tf.text = str(count)
        tf.paragraphs[0].font.size, tf.paragraphs[0].font.bold = Pt(32), True
        p = tf.add_paragraph()
        p.text = label
        p.font.size = Pt(14)
        for para in tf.paragraphs:
            para.font.color.rgb = RGBColor.from_string(ink.lstrip("#"))
    text_box(s, 0.5, 2.6, 12.3, 0.4, "Indicators by RAG, and clear changes on the previous quarter "
             "(95% intervals apart). Exceptions: red, or clearly worse.", 14)
    text_box(s, 0.5, 3.1, 6.0, 0.5, "Exceptions", 18, bold=True)
    text_box(s, 0.5, 3.6, 6.0, bottom - 3.6, "\n".join("• " + e for e in c.exceptions), 16, fit=True,
             name="Exceptions")
    text_box(s, 6.9, 3.1, 6.0, 0.5, "Actions due", 18, bold=True)
    due = [f"• {r[0]}: {r[1]} ({r[2]}, due {r[3]}; {r[4]})" for r in c.actions.rows[:5]]
    more = len(c.actions.rows) - len(due)
    text_box(s, 6.9, 3.6, 6.0, bottom - 3.6, "\n".join([c.actions_note] + due + ([f"and {more} more: see Actions due."]
                                                                            if more else [])),
             16, fit=True, name="Actions due")

    if c.actions.rows:
        paged_table("Actions due", c.actions, "OVERDUE: still open after its due date.")
    paged_table("Scorecard", c.scorecard, c.rag_legend)

    for title, text, comment, _, png in c.indicator_slides:
        s = slide_with_title(title)
        picture(s, png, 0.4, top, 8.2, bottom - top)
        text_box(s, 8.8, top, 4.2, 2.9, text, 14, fit=True, name="Narrative")
        text_box(s, 8.8, top + 3.0, 4.2, bottom - top - 3.0, comment, 14, fit=True, name="Commentary")

    s = slide_with_title(c.dp_title)
    pic = picture(s, c.dp_charts[0], 0.4, top, 12.5, bottom - top - 0.8)
    text_box(s, 0.5, top + pic.height / 914400 + 0.1, 12.3, 0.7, dp.FLAG_LEGEND + " Every stage is in the tables "
             "that follow.", 14, name="Legend")
    s = slide_with_title(f"Caseload and population by ethnicity, {c.dp_title.rsplit(', ', 1)[-1]}")
    picture(s, c.dp_charts[1], 0.4, top, 12.5, bottom - top)
    paged_table(f"Every stage by ethnicity, {c.dp_title.rsplit(', ', 1)[-1]}", c.dp_table, dp.FLAG_LEGEND)

    s = slide_with_title("ETE and accommodation: start vs end of order")
    picture(s, c.ete_chart, 0.4, top, 7.3, bottom - top)
    table(s, _Table(["Measure", "Value", "Children"], [], [3.0, 1.1, 1.2]), c.ete_rows, top, left=7.9)

    s = slide_with_title("Data quality notes")
    text_box(s, 0.5, top, 12.3, bottom - top, "\n".join("• " + line for line in c.quality_lines), 16, fit=True)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- PDF

#: Fonts with the RAG and flag symbols (● ▲ ■ ▼), the first found is used; else Helvetica.
PDF_FONTS = (("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
             ("/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
              "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf"),
             ("C:/Windows/Fonts/arial.ttf", "C:/Windows/Fonts/arialbd.ttf"))


def _pdf_fonts() -> tuple[str, str]:
    """Register a font with the symbols (once) and return its regular and bold names."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    if "PackSans" in pdfmetrics.getRegisteredFontNames():
        return "PackSans", "PackSans-Bold"
    for regular, bold in PDF_FONTS:
        if Path(regular).exists() and Path(bold).exists():
            pdfmetrics.registerFont(TTFont("PackSans", regular))
            pdfmetrics.registerFont(TTFont("PackSans-Bold", bold))
            for italic in (0, 1):
                addMapping("PackSans", 0, italic, "PackSans")
                addMapping("PackSans", 1, italic, "PackSans-Bold")
            return "PackSans", "PackSans-Bold"
    return "Helvetica", "Helvetica-Bold"


def _pdf(c: _Content) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import (Image, KeepTogether, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table,
                                    TableStyle)

    regular, bold = _pdf_fonts()
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading1", "Heading2"):
        styles[name].fontName = bold
    body = styles["BodyText"].clone("body", fontName=regular, fontSize=11, leading=14)
    cell = body.clone("cell", fontSize=10, leading=12.5)
    width, height = landscape(A4)
    buf = io.BytesIO()

    def on_page(canvas, doc):
        canvas.setFillColor(colors.black)
        canvas.setFont(bold, 9)
        canvas.drawCentredString(width / 2, height - 0.8 * cm, c.classification)
        canvas.setFont(regular, 9)
        canvas.drawString(1.5 * cm, 0.55 * cm, c.footer)
        if c.demo:
            canvas.setFillColor(colors.HexColor("#D55E00"))
            canvas.setFont(bold, 10)
            canvas.drawString(1.5 * cm, 1 * cm, DEMO_WARNING)
        canvas.setFillColor(colors.grey)
        canvas.setFont(regular, 8)
        canvas.drawRightString(width - 1.5 * cm, 1 * cm, f"Page {doc.page}")

    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.3 * cm, bottomMargin=1.8 * cm, title=f"{c.title} board pack")

    def para(text, style=body):
        return Paragraph(escape(text).replace("\n", "<br/>"), style)

    full = width - 3 * cm  # the text width
    tight = [("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]

    def tbl(t: _Table, rows=None, widths=None, total=full, style=cell):
        widths = widths or t.widths
        scale = total / sum(widths)  # the deck's proportions across the space
        data = [[Paragraph(f"<b>{escape(h)}</b>", style) for h in t.header]]
        data += [[para(str(v), style) for v in r] for r in (t.rows if rows is None else rows)]
        out = Table(data, colWidths=[w * scale for w in widths], repeatRows=1)
        out.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                 ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP")] + tight))
        return out

    def img(png, width_cm=None, max_h_cm=None):
        from reportlab.lib.utils import ImageReader

        w, h = ImageReader(io.BytesIO(png)).getSize()
        out_w = width_cm * cm
        if max_h_cm and out_w * h / w > max_h_cm * cm:
            out_w = max_h_cm * cm * w / h
        return Image(io.BytesIO(png), width=out_w, height=out_w * h / w)

    def side_by_side(left, right, left_cm):
        """Two blocks beside each other (a chart and its text), top-aligned, no lines."""
        out = Table([[left, right]], colWidths=[left_cm * cm, full - left_cm * cm])
        out.setStyle(TableStyle([("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (0, 0), 0),
                                 ("RIGHTPADDING", (-1, 0), (-1, 0), 0)]))
        return out

    # Page 1: the cover and the summary together.
    story = [para(c.title, styles["Title"]), para(c.subtitle), para(f"For: {c.scope}", styles["Heading2"])]
    if c.demo:
        story += [Paragraph(f'<font color="#D55E00"><b>{DEMO_WARNING}</b></font>', styles["Heading2"])]
    tiles = Table([[para(f"{count}\n{label}", body.clone("tile", fontSize=13, leading=17,
                                                         textColor=colors.HexColor(ink)))
                    for label, count, _, ink in c.tiles]],
                  colWidths=[full / len(c.tiles)] * len(c.tiles))
    tiles.setStyle(TableStyle([("BACKGROUND", (i, 0), (i, 0), colors.HexColor(colour))
                               for i, (_, _, colour, _) in enumerate(c.tiles)]))
    story += [para("Summary", styles["Heading1"]), tiles, Spacer(1, 4),
              para("Exceptions", styles["Heading2"])] + [para("• " + e) for e in c.exceptions]
    story += [Spacer(1, 6), para(c.actions_note, styles["Heading2"])]
    if c.actions.rows:
        story += [tbl(c.actions), para("OVERDUE: still open after its due date.")]
    # The scorecard on one page: the label column wide enough for every label on one line.
    story += [PageBreak(), para("Scorecard", styles["Heading1"]),
              tbl(c.scorecard, widths=[5.4, 1.9, 1.5, 1.3, 1.5, 1.9, 0.9]), Spacer(1, 4), para(c.rag_legend)]
    # Then the sections flow, each kept whole, so pages fill: two indicators a page (the chart on the
    # left, what it says and the commentary beside it), and an odd one out shares its page with what follows.
    heading = styles["Heading2"].clone("indicator", spaceBefore=4, spaceAfter=2, keepWithNext=1)
    story.append(PageBreak())
    for title, text, comment, png, _ in c.indicator_slides:
        block = side_by_side(img(png, 15.5, 6.9), [para(text), Spacer(1, 6), para(comment)], 15.8)
        story += [KeepTogether([para(title, heading), block]), Spacer(1, 10)]
    story += [KeepTogether([para(c.dp_title, heading),
                            side_by_side(img(c.dp_charts[0], 15.0, 7.0), img(c.dp_charts[1], full / cm - 15.3, 7.0),
                                         15.3), para(dp.FLAG_LEGEND)]), Spacer(1, 10),
              para(f"Every stage by ethnicity, {c.dp_title.rsplit(', ', 1)[-1]}", heading), tbl(c.dp_table),
              para(dp.FLAG_LEGEND), Spacer(1, 10)]
    ete = tbl(_Table(["Measure", "Value", "Children"], c.ete_rows, [6, 2, 2]), total=full - 14.3 * cm)
    story += [KeepTogether([para("ETE and accommodation: start vs end of order", heading),
                            side_by_side(img(c.ete_chart, 14.0, 8.0), ete, 14.3)]), Spacer(1, 10),
              KeepTogether([para("Data quality notes", heading)] + [para("• " + line) for line in c.quality_lines])]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def build_board_pack(ds: Dataset, quarter: Period, role: str = "board", settings: Settings | None = None,
                     out_dir: str | Path | None = None, edition: str | None = None, *,
                     filters: Filters | None = None, notes: BoardNotes | None = None,
                     today: dt.date | None = None) -> BoardPack:
    """Write the board pack for a quarter; optionally save its three files in ``out_dir``.

    ``ds`` is the whole service: the pack covers all of it unless ``filters`` narrow it (then
    the filters are named on every slide and page and in the file names). ``edition``:
    ``board`` (every figure, OFFICIAL-SENSITIVE) or ``protected`` (the partner view, for
    circulation, always the whole service). Partners always get the protected edition.
    ``notes``: the quarter's commentary and actions; ``today`` decides which are overdue."""
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}, not '{role}'.")
    edition = "protected" if role == "partner" else (edition or "board")
    if edition not in EDITIONS:
        raise ValueError(f"Edition must be one of {', '.join(EDITIONS)}, not '{edition}'.")
    filters = filters or Filters()
    if edition == "protected" and filters:
        raise ValueError("The protected edition is always for the whole service: it cannot be filtered.")
    settings = settings or Settings()
    content = _content(ds, quarter, settings, edition, filters, notes, today or dt.date.today())
    name = "protected-for-circulation" if edition == "protected" else "board-OFFICIAL-SENSITIVE"
    stem = "_".join(x for x in (_safe(content.title), _safe(quarter.label), _slug(filters)) if x)
    pack = BoardPack(_pptx(content), _pdf(content), content.workbook, f"{stem}_{name}.pptx", f"{stem}_{name}.pdf",
                     f"{stem}_scorecard_{name}.xlsx", edition, filters)
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        for file_name, data in ((pack.pptx_name, pack.pptx), (pack.pdf_name, pack.pdf), (pack.xlsx_name, pack.xlsx)):
            (out / file_name).write_bytes(data)
    return pack


__all__ = ["BoardPack", "EDITIONS", "WHOLE_SERVICE", "build_board_pack"]
