"""The Upload page's list of problems, readable at any width: grouped by sheet, every message wrapped.

A static table per sheet (``st.table``: real HTML, text wraps, read by screen readers as a table),
not a canvas grid whose last column is cut off on a laptop screen. Every cell from the workbook is
shown literally (markdown-escaped). A sheet with very many problems shows the first
:data:`SHOWN_PER_SHEET`; the CSV download has them all.
"""
from __future__ import annotations

import pandas as pd
import streamlit as st

from ui.fmt import md_escape

SHOWN_PER_SHEET = 200
WHOLE_WORKBOOK = "The workbook as a whole"
HEADINGS = {"severity": "Severity", "row": "Row", "column": "Column", "value": "Value",
            "message": "What is wrong and how to fix it"}


def _count(n: int, word: str) -> str:
    return f"{n:,} {word}" + ("" if n == 1 else "s")


def _cell(v) -> str:
    if v is None or (not isinstance(v, str) and pd.isna(v)):
        return ""
    return md_escape(v)


def problem_tables(df: pd.DataFrame) -> list[tuple[str, pd.DataFrame, int, int]]:
    """(sheet, the rows shown with plain headings and escaped cells, errors, warnings) per sheet, in
    the report's order (errors first, then by sheet and row)."""
    sheets = df["sheet"].astype("object").where(df["sheet"].notna(), WHOLE_WORKBOOK)
    out = []
    for sheet in dict.fromkeys(sheets):
        part = df[(sheets == sheet).to_numpy()]
        shown = part.head(SHOWN_PER_SHEET)
        table = pd.DataFrame({
            HEADINGS["severity"]: [str(s).capitalize() for s in shown["severity"]],
            HEADINGS["row"]: ["" if pd.isna(r) else f"{int(r):,}" for r in shown["row"]],
            HEADINGS["column"]: [_cell(c) for c in shown["column"]],
            HEADINGS["value"]: [_cell(v) for v in shown["value"]],
            HEADINGS["message"]: [_cell(m) for m in shown["message"]],
        })
        errors = int((part["severity"] == "error").sum())
        out.append((sheet, table, errors, len(part) - errors))
    return out


def problem_list(df: pd.DataFrame) -> None:
    """Draw the problems (``ValidationReport.to_frame()``) sheet by sheet."""
    for sheet, table, errors, warnings in problem_tables(df):
        n = errors + warnings
        counts = ", ".join(x for x in (_count(errors, "error") if errors else "",
                                       _count(warnings, "warning") if warnings else "") if x)
        st.markdown(f"**{md_escape(sheet)}**: {counts}")
        st.table(table, hide_index=True, border="horizontal", alt=f"Problems found on {sheet}")
        if n > len(table):
            st.caption(f"The first {len(table):,} of {n:,} problems on {md_escape(sheet)} are shown; the "
                       "download below lists them all.")
