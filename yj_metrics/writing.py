"""Writing canonical workbooks: a Dataset as ``.xlsx`` and the blank template."""
from __future__ import annotations

import io

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from . import contract as c
from .dataset import FRAME_OF_SHEET, Dataset
from .safe_export import neutralise

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")


def _cell(value, kind: str):
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and value != value:
        return None
    if kind == "yn":
        return "Y" if bool(value) else "N"
    if kind == "date":
        return pd.Timestamp(value).to_pydatetime()
    if kind == "int":
        return int(value)
    if hasattr(value, "item"):
        return value.item()
    return neutralise(value)  # text a spreadsheet would run as a formula is written as text


def dataset_to_xlsx(ds: Dataset) -> bytes:
    """The dataset as a canonical workbook: one sheet per entity, header row 1, real dates.

    Derived columns (ethnicity group, tier) are not written: the validator derives them.
    """
    wb = Workbook(write_only=True)
    for spec in c.SHEETS:
        ws = wb.create_sheet(spec.name)
        ws.append(list(spec.column_names))
        frame = getattr(ds, FRAME_OF_SHEET[spec.name])
        if frame.empty:
            continue
        cols = []
        for col in spec.columns:
            values = frame[col.name] if col.name in frame.columns else pd.Series([None] * len(frame))
            cols.append([_cell(v, col.kind) for v in values.astype("object").tolist()])
        for row in zip(*cols):
            ws.append(list(row))
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def template_xlsx() -> bytes:
    """A blank workbook with every sheet and column, dropdown lists and an Instructions sheet."""
    wb = Workbook()
    info = wb.active
    info.title = "Instructions"
    info.append(["Youth justice board dashboard: monthly case-level workbook"])
    info["A1"].font = Font(bold=True, size=14)
    info.append(["One row per record, header in row 1. Sheets marked required must be present. "
                 "Use pseudonymous ids only: never names, addresses or postcodes. "
                 "Dates as real dates or DD/MM/YYYY. Y/N columns accept Y or N."])
    info.append([])
    info.append(["Sheet", "Column", "Required", "Allowed values / rule", "Description"])
    for cell in info[4]:
        cell.font = _HEADER_FONT
    for spec in c.SHEETS:
        for col in spec.columns:
            if col.kind == "vocab":
                rule = "; ".join(col.vocab) if len(col.vocab) <= 20 else "see the dropdown list"
            elif col.kind == "yn":
                rule = "Y or N" + ("" if col.default is None else f" (blank = {'Y' if col.default else 'N'})")
            elif col.kind in ("int", "number"):
                bounds = [f">= {col.minimum:g}" if col.minimum is not None else "",
                          f"<= {col.maximum:g}" if col.maximum is not None else ""]
                rule = "number " + " and ".join(b for b in bounds if b)
            else:
                rule = col.kind
            info.append([neutralise(v) for v in (spec.name + ("" if spec.required else " (optional)"), col.name,
                                                 "yes" if col.required else "", rule.strip(), col.description)])
    info.column_dimensions["A"].width = 24
    info.column_dimensions["B"].width = 30
    info.column_dimensions["D"].width = 60
    info.column_dimensions["E"].width = 60

    lists = wb.create_sheet("Lists")
    vocab_ranges: dict[tuple[str, ...], str] = {}
    next_col = 1
    for spec in c.SHEETS:
        for col in spec.columns:
            values = col.vocab if col.kind == "vocab" else (("Y", "N") if col.kind == "yn" else ())
            if not values or values in vocab_ranges:
                continue
            letter = get_column_letter(next_col)
            lists.cell(row=1, column=next_col, value=col.name)
            for i, v in enumerate(values, start=2):
                lists.cell(row=i, column=next_col, value=v)
            vocab_ranges[values] = f"Lists!${letter}$2:${letter}${len(values) + 1}"
            next_col += 1
    lists.sheet_state = "hidden"

    for spec in c.SHEETS:
        ws = wb.create_sheet(spec.name)
        ws.append(list(spec.column_names))
        for i, col in enumerate(spec.columns, start=1):
            cell = ws.cell(row=1, column=i)
            cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
            letter = get_column_letter(i)
            ws.column_dimensions[letter].width = max(12, len(col.name) + 2)
            values = col.vocab if col.kind == "vocab" else (("Y", "N") if col.kind == "yn" else ())
            if values:
                dv = DataValidation(type="list", formula1=f"={vocab_ranges[values]}", allow_blank=True,
                                    showErrorMessage=True, errorTitle=f"{col.name}",
                                    error=f"Choose a value from the list for {col.name}.")
                dv.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(dv)
            elif col.kind == "date":
                dv = DataValidation(type="date", operator="greaterThan", formula1="32874",
                                    allow_blank=True, showErrorMessage=True,
                                    error="Enter a date on or after 1 Jan 1990.")
                dv.add(f"{letter}2:{letter}5000")
                ws.add_data_validation(dv)
                for r in range(2, 50):
                    ws.cell(row=r, column=i).number_format = "DD/MM/YYYY"
        ws.freeze_panes = "A2"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()

