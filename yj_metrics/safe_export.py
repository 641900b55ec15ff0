"""Every CSV and Excel file the app or the CLI writes goes through here.

A spreadsheet runs a cell whose text starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return as a formula (CSV/formula injection). Following the OWASP rule, such text cells get a
leading single quote so they are shown as text and never run. Numbers are left alone.
"""
from __future__ import annotations

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """The value, with a leading ``'`` when it is text a spreadsheet would run as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def neutralise_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` with every text cell (and column name) neutralised."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.astype("object").map(neutralise)
    out.columns = [neutralise(c) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame, index: bool = False) -> bytes:
    """``df`` as UTF-8 CSV bytes, formula-like text neutralised.

    Lines end in CRLF (RFC 4180, as Excel writes): then a cell holding a carriage return is
    quoted instead of silently breaking the row.
    """
    return neutralise_frame(df).to_csv(index=index, lineterminator="\r\n").encode("utf-8")
