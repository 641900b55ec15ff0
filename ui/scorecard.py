"""The board scorecard: summary tiles, one compact table, exceptions first, presentation mode."""
from __future__ import annotations

import html
import math
from collections import Counter
from dataclasses import dataclass
from urllib.parse import urlencode

import streamlit as st

from yj_metrics.counting import BREAKDOWN_LABELS
from yj_metrics.indicators import supported_breakdowns
from yj_metrics.narrative import Change, change
from yj_metrics.results import IndicatorDefinition, IndicatorResult

from . import fmt
from .fmt import md_escape

PRESENT_PARAM = "present"
COMPARATORS = ("National", "Regional", "Family")
RAG_ORDER = ("Green", "Amber", "Red")
NO_TARGET = "No target"
PROTECTED = "Not shown (protected)"

# Fixed stylesheets: no data in them.
BASE_CSS = """<style>
.st-key-tiles [data-testid="stMetricLabel"] * { white-space: normal; overflow: visible; text-overflow: clip; }
.st-key-scorecard table { width: 100%; }
.st-key-scorecard th, .st-key-scorecard td { padding: 0.3rem 0.6rem; vertical-align: top; }
.st-key-scorecard td:nth-child(2), .st-key-scorecard td:nth-child(3), .st-key-scorecard td:has(svg.yj-spark) { white-space: nowrap; }
.st-key-scorecard svg.yj-spark { width: 3.6em; height: 1em; vertical-align: -0.12em; margin-right: 0.35em; overflow: visible; }
</style>"""
PRESENT_CSS = """<style>
[data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stExpandSidebarButton"],
header[data-testid="stHeader"], [data-testid="stToolbar"], [data-testid="stDecoration"], footer { display: none !important; }
[data-testid="stMainBlockContainer"] { padding: 0.75rem 2rem 0.5rem; max-width: none; }
[data-testid="stMain"] h1 { font-size: 1.6rem; padding: 0; }
[data-testid="stMetric"] { padding: 0.25rem 0.75rem; }
[data-testid="stMetricValue"] { font-size: 2rem; }
.st-key-tiles [data-testid="stMetricLabel"] p { font-size: 1.1rem; }
.st-key-scorecard table { font-size: 1.3rem; }
.st-key-scorecard th, .st-key-scorecard td { padding: 0.2rem 0.5rem; }
/* one line per indicator: only the benchmarks (and what each figure says, when asked) may wrap */
.st-key-scorecard th, .st-key-scorecard td:nth-child(1), .st-key-scorecard td:nth-child(4) { white-space: nowrap; }
</style>"""


@dataclass(frozen=True)
class Row:
    """One headline indicator: its result, definition, change on the previous quarter and trend."""

    result: IndicatorResult
    definition: IndicatorDefinition
    change: Change | None
    trend: tuple[IndicatorResult, ...]

    @property
    def exception(self) -> int:
        """0 for Red, 1 for clearly worse than the previous quarter, 2 otherwise."""
        if self.result.rag == "Red":
            return 0
        return 1 if self.change and self.change.clear and self.change.better is False else 2


def rows(results, previous: dict, trends: dict, definitions: dict) -> list[Row]:
    """A row per result (in the scorecard's order)."""
    return [Row(r, definitions[r.indicator], change(r, previous.get(r.indicator), definitions[r.indicator].direction),
                tuple(trends.get(r.indicator, ()))) for r in results]


def exceptions_first(items: list[Row]) -> list[Row]:
    """Red first, then clearly worsening, then the rest, each in the scorecard's order."""
    return sorted(items, key=lambda row: row.exception)


def presenting() -> bool:
    return st.query_params.get(PRESENT_PARAM) == "1"


def set_presenting(on: bool) -> None:
    if on:
        st.query_params[PRESENT_PARAM] = "1"
    else:
        del st.query_params[PRESENT_PARAM]
    st.rerun()


def style(present: bool) -> None:
    """The tiles' and table's stylesheet; in presentation mode also no sidebar, toolbar or header,
    tighter spacing and larger text."""
    st.html(BASE_CSS + (PRESENT_CSS if present else ""))


def detail_link(indicator: str) -> str:
    """A relative link to the indicator's detail, keeping the period, the filters and presentation mode
    of this view."""
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in (PRESENT_PARAM, "indicator")}
    params["indicator"] = indicator
    if presenting():
        params[PRESENT_PARAM] = "1"
    # the breakdown the detail opens on, as it would write it into the address: otherwise its first run
    # adds it as a new history entry, and the browser's Back would land on the detail again
    dims = [b for b in supported_breakdowns(indicator) if b in BREAKDOWN_LABELS]
    if dims:
        params["by"] = dims[0]
    return "kpi_detail?" + urlencode(params)


def _detail_anchor(label: str, indicator: str) -> str:
    """The indicator's label as a link that opens its detail in the same tab (a markdown link would open a
    new tab, out of presentation mode and with nothing to go Back to). The label is markdown-escaped text."""
    return f'<a href="{html.escape(detail_link(indicator))}" target="_self">{md_escape(label)}</a>'


def back_to_scorecard() -> None:
    """On a detail page opened from the scorecard in presentation mode: the projector stylesheet and a
    same-tab link back to the scorecard, keeping the period and filters (the browser's Back works too)."""
    style(True)
    params = {k: v for k, v in st.query_params.to_dict().items() if k not in ("indicator", "by")}
    params[PRESENT_PARAM] = "1"
    st.markdown(f'<a href="./?{html.escape(urlencode(params))}" target="_self">← Back to the scorecard</a>',
                unsafe_allow_html=True)


def rag_of(r: IndicatorResult) -> str:
    """Green, Amber or Red (a hidden figure keeps its RAG where the RAG gives nothing small away); protected
    (partners: the figure and its RAG are hidden); or no target."""
    if r.rag in RAG_ORDER:
        return r.rag
    return PROTECTED if r.value is None and fmt.is_protected(r) else NO_TARGET


def rag_counts(results) -> dict[str, int]:
    """How many results are Green, Amber, Red, have no target, or are protected."""
    counts = Counter(rag_of(r) for r in results)
    return {k: counts.get(k, 0) for k in (*RAG_ORDER, NO_TARGET, PROTECTED)}


def tiles(items: list[Row]) -> None:
    """RAG counts (word and shape) and how many moved the better or the worse way."""
    counts = rag_counts(row.result for row in items)
    better = [row for row in items if row.change and row.change.better is True]
    worse = [row for row in items if row.change and row.change.better is False]
    clear = lambda group: f"{sum(row.change.clear for row in group)} clearly"  # noqa: E731
    with st.container(key="tiles"):
        cols = st.columns(7 if counts[PROTECTED] else 6)
        for col, rag in zip(cols, RAG_ORDER):
            col.metric(fmt.rag_badge(rag), counts[rag], border=True,
                       help={"Green": "Meets the local target", "Amber": "Short of the local target, within tolerance",
                             "Red": "Misses the local target"}[rag])
        cols[3].metric("No target", counts[NO_TARGET], border=True)
        cols[4].metric("↑ Better than last quarter", len(better), clear(better), delta_color="off",
                       delta_arrow="off", border=True)
        cols[5].metric("↓ Worse than last quarter", len(worse), clear(worse), delta_color="off",
                       delta_arrow="off", border=True)
        if counts[PROTECTED]:
            cols[6].metric(PROTECTED, counts[PROTECTED], border=True,
                           help="Hidden from partners: it rests on 1 to 4 children, or is hidden so that such a number "
                                "cannot be worked out. Its RAG is counted above when the RAG gives nothing small away")


def _change_text(row: Row) -> str:
    c, r = row.change, row.result
    if c is None:
        return "–"
    if c.difference == 0:
        return "no change"
    size = f"{abs(c.difference):.1f} pts" if r.unit == "%" else fmt.short_value(abs(c.difference), r.unit)
    moved = f"↑ up {size}" if c.difference > 0 else f"↓ down {size}"
    if c.better is None:
        return moved
    word = "better" if c.better else "worse"
    return f"{moved}, " + (f"**clearly {word}**" if c.clear else word)


def _benchmark_text(r: IndicatorResult) -> str:
    parts = [f"{md_escape(b.comparator)} {fmt.short_value(b.value, r.unit)}" for b in r.benchmarks
             if b.comparator in COMPARATORS]
    if r.rank and r.rank_of:
        parts.append(f"rank {r.rank} of {r.rank_of}")
    return " · ".join(parts) or "none"


def _value_text(r: IndicatorResult) -> str:
    if r.value is None and fmt.is_protected(r):
        return md_escape(fmt.protected_marker(r))
    part = fmt.fraction(r)
    return f"**{fmt.value(r.value, r.unit)}** ({md_escape(part) if fmt.is_protected(r) else part})"


def _known(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


SPARK_W, SPARK_H, SPARK_PAD = 36.0, 10.0, 1.5  # the drawing's own units; CSS draws it 3.6em by 1em


def spark_svg(values, unit: str) -> str:
    """A small inline SVG line of a short series, oldest to newest, the newest point marked; gaps for
    missing (or protected) values. Drawn, not typed: it is the same width whatever fonts the screen has.
    Its accessible name lists the values. Empty when no value is known."""
    known = [v for v in values if _known(v)]
    if not known:
        return ""
    lo, hi = min(known), max(known)
    step = SPARK_W / max(len(values) - 1, 1)

    def y(v) -> float:
        mid = SPARK_H / 2
        return mid if hi == lo else SPARK_PAD + (hi - v) / (hi - lo) * (SPARK_H - 2 * SPARK_PAD)

    runs, run = [], []  # the known points, split at each gap
    for i, v in enumerate(values):
        if _known(v):
            run.append((i * step, y(v)))
        elif run:
            runs.append(run)
            run = []
    if run:
        runs.append(run)
    lines = "".join('<polyline points="' + " ".join(f"{x:.1f},{yy:.1f}" for x, yy in r) + '"/>'
                    for r in runs if len(r) > 1)
    alone = "".join(f'<circle cx="{r[0][0]:.1f}" cy="{r[0][1]:.1f}" r="0.9" fill="currentColor" stroke="none"/>'
                    for r in runs[:-1] if len(r) == 1)  # a point between gaps (the newest has its own mark)
    newest = runs[-1][-1]
    dot = f'<circle cx="{newest[0]:.1f}" cy="{newest[1]:.1f}" r="1.8" fill="currentColor" stroke="none"/>'
    name = html.escape("Trend, oldest to newest: " + ", ".join(fmt.short_value(v, unit) if _known(v) else "no figure"
                                                                for v in values))
    return (f'<svg class="yj-spark" viewBox="0 0 {SPARK_W:g} {SPARK_H:g}" role="img" '
            f'aria-label="{name}" fill="none" stroke="currentColor" stroke-width="1.2" stroke-linejoin="round" '
            f'stroke-linecap="round">{lines}{alone}{dot}</svg>')


def _trend_text(row: Row) -> str:
    if not row.trend:
        return "–"
    unit = row.trend[-1].unit
    line = spark_svg([x.value for x in row.trend], unit)
    if not line:
        return "–"
    first, last = row.trend[0], row.trend[-1]
    return f"{line}{fmt.short_value(first.value, first.unit)} → {fmt.short_value(last.value, last.unit)}"


def table_markdown(items: list[Row], benchmarks: bool, narrative: dict[str, str] | None = None) -> str:
    """The scorecard as one markdown table, every cell escaped text or a number formatted here; the only
    HTML is written here (the same-tab link and the trend's SVG), around escaped text and our numbers."""
    head = ["Indicator", "Value (count)", "RAG", "Change on last quarter"]
    head += ["Benchmarks"] if benchmarks else []
    head += ["Trend, 5 quarters"]
    head += ["What it says"] if narrative is not None else []
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for row in items:
        r = row.result
        cells = [_detail_anchor(row.definition.label, r.indicator), _value_text(r),
                 "not shown" if rag_of(r) == PROTECTED else fmt.rag_badge(r.rag), _change_text(row)]
        cells += [_benchmark_text(r)] if benchmarks else []
        cells += [_trend_text(row)]
        cells += [md_escape(narrative[r.indicator])] if narrative is not None else []
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def table(items: list[Row], benchmarks: bool, narrative: dict[str, str] | None = None) -> None:
    with st.container(key="scorecard"):
        # HTML on for the links and trend lines only: every piece of data text in the table is md_escape'd
        # (each punctuation character backslash-escaped), so it stays text and can form no tag
        st.markdown(table_markdown(items, benchmarks, narrative), unsafe_allow_html=True)
