"""The board scorecard as an Excel workbook (openpyxl): one row per indicator, beside the board pack.

Written from the same results the pack shows (for the protected edition, the partner-protected
results: a hidden figure shows the marker, never its number). Every text cell goes through
:func:`yj_metrics.safe_export.neutralise`, so nothing in it runs as a formula.
"""
from __future__ import annotations

import io

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from .periods import fmt_date
from .results import IndicatorResult
from .safe_export import neutralise

__all__ = ["COLUMNS", "HEADER_ROW", "scorecard_xlsx"]

#: (header, width in characters)
COLUMNS = (("Indicator", 44), ("Period", 26), ("Value", 12), ("Unit", 13), ("Children / events", 17),
           ("Out of", 10), ("RAG", 11), ("Change on previous quarter", 16), ("National", 11), ("Regional", 11),
           ("Family", 11), ("Rank in family", 13), ("Commentary", 70))
HEADER_ROW = 4
BENCHMARKS = ("National", "Regional", "Family")
RAG_FILLS = {"Green": "C6EFCE", "Amber": "FFEB9C", "Red": "FFC7CE"}
NUMBER_FORMATS = {"%": '0.0"%"', "per 100,000": "#,##0", "count": "#,##0", "nights": "#,##0", "£": '"£"#,##0'}


def _format(unit: str, signed: bool = False) -> str:
    fmt = NUMBER_FORMATS.get(unit, "0.00")
    return f"+{fmt};-{fmt};{fmt}" if signed else fmt


def _hidden(r: IndicatorResult) -> bool:
    return "protected" in (r.note or "") and r.value is None


def scorecard_xlsx(card: list[IndicatorResult], previous: dict[str, IndicatorResult], labels: dict[str, str], *,
                   title: str, subtitle: str, classification: str, marker: str,
                   commentary: dict[str, str]) -> bytes:
    """The scorecard workbook: a title, the edition's marking and what it covers, then a frozen
    header and one row per indicator (values as numbers in their unit's format)."""
    wb = Workbook()
    ws = wb.active
    ws.title = "Scorecard"
    ws["A1"] = neutralise(title)
    ws["A1"].font = Font(bold=True, size=14)
    ws["A2"] = neutralise(subtitle)
    ws["A3"] = neutralise(classification)
    ws["A3"].font = Font(bold=True, color="C00000")
    header_fill, header_font = PatternFill("solid", fgColor="1F4E79"), Font(bold=True, color="FFFFFF")
    for j, (name, width) in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, j, name)
        cell.fill, cell.font = header_fill, header_font
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[get_column_letter(j)].width = width
    for i, r in enumerate(card, start=HEADER_ROW + 1):
        hidden = _hidden(r)
        prev = previous.get(r.indicator)
        bench = {b.comparator: b.value for b in r.benchmarks}
        whole = r.unit in ("count", "£", "nights")
        change = None if hidden or prev is None or prev.value is None or r.value is None else r.value - prev.value
        row = [labels[r.indicator], f"{fmt_date(r.start)} to {fmt_date(r.end)}",
               marker if hidden else r.value, r.unit,
               marker if r.numerator is None and hidden else r.numerator,
               None if whole else (marker if r.denominator is None and hidden else r.denominator),
               r.rag or ("hidden" if hidden else "no target"), "–" if change is None else change,
               *(bench.get(name) for name in BENCHMARKS),
               f"{r.rank} of {r.rank_of}" if r.rank else None, commentary.get(r.indicator)]
        for j, value in enumerate(row, start=1):
            cell = ws.cell(i, j, neutralise(value))
            cell.alignment = Alignment(wrap_text=j in (1, len(COLUMNS)), vertical="top")
        for j in (3, 9, 10, 11):
            ws.cell(i, j).number_format = _format(r.unit)
        ws.cell(i, 8).number_format = _format("%" if r.unit == "%" else r.unit, signed=True).replace('"%"', '" pts"')
        for j in (5, 6):
            ws.cell(i, j).number_format = "#,##0"
        if r.rag in RAG_FILLS:
            ws.cell(i, 7).fill = PatternFill("solid", fgColor=RAG_FILLS[r.rag])
            ws.cell(i, 7).font = Font(bold=True)
    ws.freeze_panes = ws.cell(HEADER_ROW + 1, 1)
    ws.auto_filter.ref = f"A{HEADER_ROW}:{get_column_letter(len(COLUMNS))}{HEADER_ROW + len(card)}"
    ws.oddHeader.center.text = neutralise(classification)
    ws.page_setup.orientation = "landscape"
    ws.page_setup.fitToWidth = 1
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
