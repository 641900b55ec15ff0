"""The board pack: a PowerPoint deck (python-pptx) and a PDF (reportlab) with the same content.

Built from a snapshot, a quarter and an edition:

* the **board edition** (managers and board members) carries every figure and is marked
  OFFICIAL-SENSITIVE on every slide and page;
* the **protected edition** (for partners, and for the board to circulate) shows every figure
  through the partner disclosure control (:mod:`yj_metrics.disclosure`), exactly as partners
  see it in the app, and says so in its file name. It is always built for the whole service.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from . import charts_static as charts
from . import disproportionality as dp
from . import indicators
from .dataset import Dataset
from .narrative import fmt, indicator_sentence
from .periods import Period, fmt_date
from .settings import Settings
from .store import completeness
from .disclosure import PartnerProtection, marker

DEMO_WARNING = "DEMO DATA: synthetic figures, not real children"
ROLES = ("manager", "board", "partner")
EDITIONS = ("board", "protected")
CLASSIFICATION = {"board": "OFFICIAL-SENSITIVE: contains small numbers about children; do not circulate",
                  "protected": "OFFICIAL: protected figures, small numbers hidden; may be circulated to partners"}


@dataclass(frozen=True)
class BoardPack:
    pptx: bytes
    pdf: bytes
    pptx_name: str
    pdf_name: str


@dataclass(frozen=True)
class _Content:
    """Everything the deck and the PDF show, computed once."""

    title: str
    subtitle: str
    demo: bool
    scorecard_rows: list[list[str]]
    indicator_slides: list[tuple[str, str, bytes]]  # title, narrative, chart png
    dp_title: str
    dp_rows: list[list[str]]
    dp_charts: list[bytes]
    ete_chart: bytes
    ete_rows: list[list[str]]
    quality_lines: list[str]
    role: str
    edition: str = "board"
    marker: str = "<5"

    @property
    def classification(self) -> str:
        return CLASSIFICATION[self.edition]


SCORECARD_HEADER = ["Indicator", "Period", "Value", "Children / events", "RAG", "Change on previous quarter",
                    "National", "Rank"]


def _protected(r) -> bool:
    return r is not None and "protected" in (r.note or "")


def _marker_of(r) -> str:
    return (r.note or "").split("protected (", 1)[-1].split(")", 1)[0]


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


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "_", text).strip("_")


def _content(ds: Dataset, quarter: Period, role: str, settings: Settings, edition: str = "board") -> _Content:
    partner = edition == "protected"
    t = settings.suppression_threshold
    prot = PartnerProtection(ds, settings) if partner else None
    sup = prot.protect_results if partner else (lambda rs: rs)
    card = sup(indicators.scorecard(ds, quarter, settings))
    prev = {r.indicator: r for r in sup(indicators.scorecard(ds, quarter.previous(), settings))}
    year = {r.indicator: r for r in sup(indicators.scorecard(ds, quarter.year_earlier(), settings))}
    rows, slides = [], []
    for r in card:
        d = indicators.INDICATORS[r.indicator]
        national = next((b for b in r.benchmarks if b.comparator == "National"), None)
        rows.append([d.label, f"{fmt_date(r.start)} to {fmt_date(r.end)}", _value(r), _fraction(r), r.rag or "no target",
                     _change(r, prev.get(r.indicator)), fmt(national.value, r.unit) if national else "–",
                     f"{r.rank} of {r.rank_of}" if r.rank else "–"])
    for r in card:
        if not indicators.INDICATORS[r.indicator].headline:
            continue
        d = indicators.INDICATORS[r.indicator]
        series = sup(indicators.scorecard_trend(ds, r.indicator, quarter, 5, settings))
        png = charts.trend_png(series, f"{d.label}: last five periods", r.unit)
        slides.append((d.label, indicator_sentence(r, prev.get(r.indicator), year.get(r.indicator), d), png))

    from .periods import financial_year, fy_start_year

    fy = financial_year(fy_start_year(quarter.end))
    stages = dp.stage_table(ds, fy, "ethnicity")
    comp = dp.composition(ds, fy, "caseload", "ethnicity")
    if partner:
        stages = prot.protect_disproportionality(stages)
        comp = prot.composition(fy, "ethnicity")
        for col in ("children", "share_of_children_pct", "share_of_population_pct"):
            comp[col] = pd.to_numeric(comp[col], errors="coerce")  # charts never carry a protected number
    dp_rows = [[dp.STAGE_LABELS.get(r.stage, r.stage), r.group, marker(t) if r.events is None else f"{r.events:,.0f}",
                "–" if r.rate is None else f"{r.rate:.1f} {r.rate_unit}",
                "reference" if r.is_reference else ("–" if r.rri is None else f"{r.rri:.2f}"),
                "–" if r.ci_low is None or r.ci_high is None else f"{r.ci_low:.2f} to {r.ci_high:.2f}",
                r.flag or "–"] for r in stages]
    dp_charts = [charts.rri_png(stages, f"Relative rate index by ethnicity, {fy.label} (reference White)"),
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
    from .dataset import age_on

    dob = ds.outcomes["child_id"].map(ds.children.set_index("child_id")["date_of_birth"])
    outside = int((~age_on(dob, ds.outcomes["outcome_date"]).between(10, 17)).sum())
    lines += [f"Children excluded from local rates because they live outside the area: {n(non_resident)}.",
              f"Outcomes ignored because they were overturned on appeal: {n(overturned)}.",
              f"Outcomes outside ages 10-17 (not counted): {n(outside)}.",
              "Percentages count Unknown suitability as not suitable, as the YJB does."]
    title = f"{settings.service_name if settings.service_name != Settings().service_name else ds.service_name}"
    snap = f"snapshot #{ds.snapshot_id}" if ds.snapshot_id else (ds.file_name or "workbook")
    subtitle = (f"Board pack {quarter.label} ({fmt_date(quarter.start)} to {fmt_date(quarter.end)}) · data: {snap}, "
                f"covering {fmt_date(ds.covers[0])} to {fmt_date(ds.covers[1])} · "
                + ("protected edition for circulation" if partner else "board edition"))
    if partner:
        lines.append(f"'{marker(t)}' marks a protected figure: it rests on 1 to {t} children, or would let such a "
                     "number be worked out from the figures around it.")
    return _Content(title, subtitle, ds.is_demo, rows, slides, f"Disproportionality by ethnicity, {fy.label}",
                    dp_rows, dp_charts, ete_chart, ete_rows, lines, role, edition, marker(t))


# --------------------------------------------------------------------------- PowerPoint

def _pptx(c: _Content) -> bytes:
    from pptx import Presentation
    from pptx.dml.color import RGBColor
    from pptx.util import Inches, Pt

    prs = Presentation()
    prs.slide_width, prs.slide_height = Inches(13.333), Inches(7.5)
    blank = prs.slide_layouts[6]

    def slide_with_title(text):
        s = prs.slides.add_slide(blank)
        tb = s.shapes.add_textbox(Inches(0.5), Inches(0.3), Inches(12.3), Inches(0.8))
        tb.name = "Title"
        p = tb.text_frame.paragraphs[0]
        p.text = text
        p.font.size, p.font.bold = Pt(28), True
        mark = s.shapes.add_textbox(Inches(0.5), Inches(0.02), Inches(12.3), Inches(0.3))
        mark.name = "Classification"
        mark.text_frame.text = c.classification
        mark.text_frame.paragraphs[0].font.size = Pt(12)
        mark.text_frame.paragraphs[0].font.bold = True
        if c.demo:
            w = s.shapes.add_textbox(Inches(8.3), Inches(7.0), Inches(4.8), Inches(0.4))
            w.text_frame.text = DEMO_WARNING
            w.text_frame.paragraphs[0].font.size = Pt(11)
            w.text_frame.paragraphs[0].font.color.rgb = RGBColor(0xD5, 0x5E, 0x00)
        return s

    def table(s, header, rows, top, widths, size=11):
        shape = s.shapes.add_table(len(rows) + 1, len(header), Inches(0.4), Inches(top), Inches(sum(widths)),
                                   Inches(0.3 * (len(rows) + 1)))
        t = shape.table
        for j, w in enumerate(widths):
            t.columns[j].width = Inches(w)
        for j, h in enumerate(header):
            t.cell(0, j).text = h
        for i, row in enumerate(rows, start=1):
            for j, v in enumerate(row):
                t.cell(i, j).text = str(v)
        for i in range(len(rows) + 1):
            for j in range(len(header)):
                for p in t.cell(i, j).text_frame.paragraphs:
                    p.font.size = Pt(size)

    s = slide_with_title(c.title)
    sub = s.shapes.add_textbox(Inches(0.5), Inches(1.3), Inches(12.3), Inches(1.2))
    sub.text_frame.word_wrap = True
    sub.text_frame.text = c.subtitle
    if c.demo:
        warn = s.shapes.add_textbox(Inches(0.5), Inches(2.8), Inches(12.3), Inches(0.8))
        warn.text_frame.text = DEMO_WARNING
        warn.text_frame.paragraphs[0].font.size = Pt(24)
        warn.text_frame.paragraphs[0].font.bold = True
        warn.text_frame.paragraphs[0].font.color.rgb = RGBColor(0xD5, 0x5E, 0x00)

    s = slide_with_title("Scorecard")
    table(s, SCORECARD_HEADER, c.scorecard_rows, 1.1, [3.0, 2.2, 1.5, 1.4, 1.0, 1.4, 1.2, 0.8], size=10)

    for title, text, png in c.indicator_slides:
        s = slide_with_title(title)
        s.shapes.add_picture(io.BytesIO(png), Inches(0.4), Inches(1.1), width=Inches(8.2))
        tb = s.shapes.add_textbox(Inches(8.8), Inches(1.2), Inches(4.2), Inches(5.5))
        tb.text_frame.word_wrap = True
        tb.text_frame.text = text
        tb.text_frame.paragraphs[0].font.size = Pt(14)

    s = slide_with_title(c.dp_title)
    s.shapes.add_picture(io.BytesIO(c.dp_charts[0]), Inches(0.4), Inches(1.1), width=Inches(6.3))
    s.shapes.add_picture(io.BytesIO(c.dp_charts[1]), Inches(6.8), Inches(1.1), width=Inches(6.3))
    table(s, ["Stage", "Group", "Children", "Rate", "RRI", "95% interval", "Difference"], c.dp_rows[:12], 4.0,
          [2.2, 1.4, 1.1, 1.8, 1.0, 1.8, 2.0], size=9)

    s = slide_with_title("ETE and accommodation: start vs end of order")
    s.shapes.add_picture(io.BytesIO(c.ete_chart), Inches(0.4), Inches(1.1), width=Inches(7.5))
    table(s, ["Measure", "Value", "Children"], c.ete_rows, 1.2, [2.6, 1.0, 1.2], size=10)
    s.shapes[-1].left = Inches(8.1)

    s = slide_with_title("Data quality notes")
    tb = s.shapes.add_textbox(Inches(0.5), Inches(1.2), Inches(12.3), Inches(5.5))
    tb.text_frame.word_wrap = True
    for i, line in enumerate(c.quality_lines):
        p = tb.text_frame.paragraphs[0] if i == 0 else tb.text_frame.add_paragraph()
        p.text = "• " + line
        p.font.size = Pt(16)
    buf = io.BytesIO()
    prs.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- PDF

def _pdf(c: _Content) -> bytes:
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4, landscape
    from reportlab.lib.styles import getSampleStyleSheet
    from reportlab.lib.units import cm
    from reportlab.platypus import Image, PageBreak, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    styles = getSampleStyleSheet()
    buf = io.BytesIO()

    def on_page(canvas, doc):
        canvas.setFillColor(colors.black)
        canvas.setFont("Helvetica-Bold", 9)
        canvas.drawCentredString(landscape(A4)[0] / 2, landscape(A4)[1] - 0.8 * cm, c.classification)
        if c.demo:
            canvas.setFillColor(colors.HexColor("#D55E00"))
            canvas.setFont("Helvetica-Bold", 10)
            canvas.drawString(1.5 * cm, 1 * cm, DEMO_WARNING)
        canvas.setFillColor(colors.grey)
        canvas.setFont("Helvetica", 8)
        canvas.drawRightString(landscape(A4)[0] - 1.5 * cm, 1 * cm, f"Page {doc.page}")

    doc = SimpleDocTemplate(buf, pagesize=landscape(A4), leftMargin=1.5 * cm, rightMargin=1.5 * cm,
                            topMargin=1.3 * cm, bottomMargin=1.6 * cm, title=f"{c.title} board pack")
    cell = styles["BodyText"].clone("cell", fontSize=8, leading=10)

    def tbl(header, rows, widths):
        data = [[Paragraph(f"<b>{h}</b>", cell) for h in header]] + [[Paragraph(str(v), cell) for v in r] for r in rows]
        t = Table(data, colWidths=[w * cm for w in widths], repeatRows=1)
        t.setStyle(TableStyle([("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                               ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#DDEBF7")),
                               ("VALIGN", (0, 0), (-1, -1), "TOP")]))
        return t

    def img(png, width_cm):
        from reportlab.lib.utils import ImageReader

        w, h = ImageReader(io.BytesIO(png)).getSize()
        return Image(io.BytesIO(png), width=width_cm * cm, height=width_cm * cm * h / w)

    story = [Paragraph(c.title, styles["Title"]), Paragraph(c.subtitle, styles["BodyText"])]
    if c.demo:
        story += [Spacer(1, 12), Paragraph(f'<font color="#D55E00"><b>{DEMO_WARNING}</b></font>', styles["Heading2"])]
    story += [PageBreak(), Paragraph("Scorecard", styles["Heading1"]),
              tbl(SCORECARD_HEADER, c.scorecard_rows, [5.5, 4.2, 2.6, 2.6, 1.8, 2.6, 2.2, 1.6])]
    for title, text, png in c.indicator_slides:
        story += [PageBreak(), Paragraph(title, styles["Heading1"]), img(png, 16), Spacer(1, 6),
                  Paragraph(text, styles["BodyText"])]
    story += [PageBreak(), Paragraph(c.dp_title, styles["Heading1"]),
              Table([[img(c.dp_charts[0], 12.5), img(c.dp_charts[1], 12.5)]]),
              tbl(["Stage", "Group", "Children", "Rate", "RRI", "95% interval", "Difference"], c.dp_rows,
                  [4, 2.5, 2, 3.2, 2, 3.2, 3.5])]
    story += [PageBreak(), Paragraph("ETE and accommodation: start vs end of order", styles["Heading1"]),
              img(c.ete_chart, 16), tbl(["Measure", "Value", "Children"], c.ete_rows, [8, 3, 3])]
    story += [PageBreak(), Paragraph("Data quality notes", styles["Heading1"])]
    story += [Paragraph("• " + line, styles["BodyText"]) for line in c.quality_lines]
    doc.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buf.getvalue()


def build_board_pack(ds: Dataset, quarter: Period, role: str = "board", settings: Settings | None = None,
                     out_dir: str | Path | None = None, edition: str | None = None) -> BoardPack:
    """Write the board pack for a quarter; optionally save both files in ``out_dir``.

    ``edition``: ``board`` (every figure, OFFICIAL-SENSITIVE) or ``protected`` (the partner
    view, for circulation). Partners always get the protected edition. Pass the whole-service
    dataset for the protected edition: it is what partners can see."""
    if role not in ROLES:
        raise ValueError(f"Role must be one of {', '.join(ROLES)}, not '{role}'.")
    edition = "protected" if role == "partner" else (edition or "board")
    if edition not in EDITIONS:
        raise ValueError(f"Edition must be one of {', '.join(EDITIONS)}, not '{edition}'.")
    settings = settings or Settings()
    content = _content(ds, quarter, role, settings, edition)
    name = "protected-for-circulation" if edition == "protected" else "board-OFFICIAL-SENSITIVE"
    stem = f"{_safe(content.title)}_{_safe(quarter.label)}_{name}"
    pack = BoardPack(_pptx(content), _pdf(content), f"{stem}.pptx", f"{stem}.pdf")
    if out_dir is not None:
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / pack.pptx_name).write_bytes(pack.pptx)
        (out / pack.pdf_name).write_bytes(pack.pdf)
    return pack


__all__ = ["BoardPack", "EDITIONS", "build_board_pack"]
