"""Formatting in the service's conventions: UK dates, FY quarters, units, RAG words."""
from __future__ import annotations

import datetime as dt
import math
import re
import string

import pandas as pd

from yj_metrics.narrative import fmt
from yj_metrics.periods import fmt_date  # noqa: F401  (re-exported for pages)
from yj_metrics.targets import RAG_ICONS

RAG_COLOURS = {"Green": "#009E73", "Amber": "#E69F00", "Red": "#D55E00"}  # Okabe-Ito
SMALL_BASE = 10
WHOLE_SERVICE_BENCHMARKS = ("Benchmarks are for the whole service: they and the family rank are not shown beside "
                            "filtered figures.")
_MD_ESCAPES = {**{ord(ch): "\\" + ch for ch in string.punctuation}, **{ord(ch): " " for ch in "\n\r\t\v\f"}}
WORD_JOINER = "\u2060"  # invisible; no line break at it
# Streamlit finds web and e-mail addresses in the text after markdown is parsed (GFM autolinks),
# where escapes are already gone: an invisible word joiner breaks "://", "www." and "x@y".
_AUTOLINK_BREAKS = re.compile(r"(?<=:)(?=/)|(?i:(?<=www))(?=\.)|(?=@)")


def md_escape(text) -> str:
    """``text`` shown literally inside Streamlit markdown (st.markdown, captions, alerts, widget
    labels, radio options): every ASCII punctuation character backslash-escaped, as CommonMark
    allows, so no link, image, HTML, ``:color[...]``/``:material/...:`` directive, emoji code or
    ``$`` formula can form; a word joiner keeps web and e-mail addresses from becoming links;
    line breaks and tabs become spaces. For values from data or users."""
    return _AUTOLINK_BREAKS.sub(WORD_JOINER, str(text)).translate(_MD_ESCAPES)


def value(v, unit: str) -> str:
    """``31.7%``, ``229 per 100,000``, ``0.17 per 1,000``, ``£12,345``, ``41`` (as the narrative writes them)."""
    return "–" if v is None or (isinstance(v, float) and math.isnan(v)) else fmt(v, unit)


def short_value(v, unit: str) -> str:
    """The value without a long unit, for tables and charts."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    if unit == "%":
        return f"{v:.1f}%"
    if unit == "£":
        return f"£{v:,.0f}"
    if unit in ("count", "nights") or unit.startswith("per 100,000"):
        return f"{v:,.0f}"
    return f"{v:,.2f}"


def count(v) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "–"
    return f"{v:,.0f}"


def is_protected(r) -> bool:
    """A result hidden from partners (see yj_metrics.disclosure)."""
    return "protected" in (getattr(r, "note", "") or "") or "suppressed" in (getattr(r, "note", "") or "")


def protected_marker(r) -> str:
    """The marker a hidden result calls for: ``<5`` when it rests on a small count itself (note
    ``protected (<5)``), ``hidden`` when it is hidden to protect another (see yj_metrics.disclosure)."""
    from yj_metrics.disclosure import marker_of_note

    return marker_of_note(getattr(r, "note", "") or "") or "<5"


def fraction(r) -> str:
    """``84 / 265`` or the protection marker."""
    if r.numerator is None and is_protected(r):  # a public denominator (a population) stays
        return protected_marker(r) if r.denominator is None else f"{protected_marker(r)} / {count(r.denominator)}"
    if r.denominator is None or r.unit in ("count", "£", "nights"):
        return count(r.numerator)
    return f"{count(r.numerator)} / {count(r.denominator)}"


def rag_badge(rag: str | None) -> str:
    """RAG as a word with a shape and colour (never colour alone)."""
    if not rag:
        return "no target"
    return f":{ {'Green': 'green', 'Amber': 'orange', 'Red': 'red'}[rag] }[{RAG_ICONS[rag]} {rag}]"


def small_base_note(results) -> str | None:
    small = [r for r in results if r.denominator is not None and 0 < r.denominator < SMALL_BASE]
    if small:
        return "Some figures rest on fewer than 10 children: read them with care."
    return None


def plottable(df, columns):
    """A copy with the protection marker (and any text) turned into gaps, for charts: a chart
    never carries a protected number, not even in its tooltip or specification."""
    out = df.copy()
    for c in columns:
        out[c] = pd.to_numeric(out[c], errors="coerce")
    return out


#: Column names that read better spelt out than with their underscores turned into spaces.
COLUMN_NAMES = {"ci_low": "95% interval from", "ci_high": "95% interval to", "ci_method": "interval method",
                "rri": "RRI", "p_value": "p value", "rate_unit": "rate per", "child_id": "child"}


def column_name(name) -> str:
    """A column name in plain words: ``share_of_children_pct`` -> ``share of children (%)``."""
    name = str(name)
    if name in COLUMN_NAMES:
        return COLUMN_NAMES[name]
    if name.endswith("_pct"):
        return name[:-4].replace("_", " ") + " (%)"
    return name.replace("_", " ")


def _cell(v, decimals: int) -> str:
    """One cell as text: blank when missing, numbers rounded, dates as ``31 Mar 2024``."""
    if v is None or (not isinstance(v, (list, tuple)) and pd.isna(v)):
        return ""
    if isinstance(v, float):
        return f"{v:,.{decimals}f}".rstrip("0").rstrip(".")
    if isinstance(v, dt.date):
        return fmt_date(v)
    return str(v)


def plain_table(df: pd.DataFrame, decimals: int = 3) -> pd.DataFrame:
    """A table as shown on a page: plain-word column names, UK dates, Yes/No, and blanks (never
    ``None``) where a value is missing. Numbers are rounded to ``decimals`` places."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_bool_dtype(s):
            out[col] = [("Yes" if v else "No") if pd.notna(v) else "" for v in s]
        elif pd.api.types.is_float_dtype(s) and s.notna().all():
            out[col] = s.round(decimals)
        elif not pd.api.types.is_numeric_dtype(s) or s.isna().any():
            out[col] = [_cell(v, decimals) for v in s]
    return out.rename(columns=column_name)
