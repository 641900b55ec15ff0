"""Plotly charts in an Okabe-Ito colour-blind-safe palette; bars and points are clickable.

Plotly reads a few HTML tags (``<a href>``, ``<b>``, ``<br>``...) in every text it draws, so
names from the data (groups, comparators, categories) go in through :func:`plot_text`.
"""
from __future__ import annotations

import html
import math
import textwrap

import pandas as pd
import plotly.graph_objects as go

from .fmt import RAG_COLOURS, is_protected, protected_marker

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
HEIGHT = 340
#: Units of counts: no interval is drawn on them (nothing is compared or decided by it).
COUNT_UNITS = ("count", "children", "disposals", "interventions", "nights", "£")
INCOMPLETE = "follow-up not complete"
WRAP = 14  # characters per line of a category label under a bar (more when there are many bars: fewer)
WRAP_SIDE = 22  # characters per line of a label beside a horizontal bar


def _layout(fig: go.Figure, title: str, y_title: str = "", height: int = HEIGHT) -> go.Figure:
    fig.update_layout(title=dict(text=title, x=0, font=dict(size=15)), height=height,
                      margin=dict(l=10, r=10, t=50, b=10), yaxis_title=y_title, showlegend=True,
                      legend=dict(orientation="h", y=-0.2), plot_bgcolor="white", colorway=PALETTE)
    fig.update_yaxes(gridcolor="#e5e5e5", zeroline=True, zerolinecolor="#999")
    return fig


def plot_text(v):
    """A name from the data as Plotly text: ``&``, ``<`` and ``>`` as entities, which Plotly draws
    as the characters themselves (never as a tag or a link)."""
    return html.escape(v, quote=False) if isinstance(v, str) else v


def _num(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def wrap_label(v, width: int = WRAP) -> str:
    """A category label on lines of about ``width`` characters (as Plotly text), so labels never
    need rotating."""
    if not isinstance(v, str):
        return v
    return "<br>".join(plot_text(line) for line in textwrap.wrap(v, width, break_long_words=False) or [v])


def _category_ticks(fig: go.Figure, raw: list, shown: list, axis: str = "x", width: int | None = None) -> None:
    """Horizontal, wrapped category labels on ``axis`` (the data keep the unwrapped names)."""
    width = width or (WRAP if len(raw) <= 6 else 7)
    fig.update_layout({f"{axis}axis": dict(tickmode="array", tickvals=shown, tickangle=0, automargin=True,
                                           ticktext=[wrap_label(v, width) for v in raw])})


def _interval(results, unit: str):
    """Error-bar arrays (above, below) for rates and shares; ``None`` for counts."""
    if unit in COUNT_UNITS:
        return None
    vals = [_num(r.value) for r in results]
    hi = [(_num(r.ci_high) - v) if v is not None and _num(r.ci_high) is not None else None for r, v in zip(results, vals)]
    lo = [(v - _num(r.ci_low)) if v is not None and _num(r.ci_low) is not None else None for r, v in zip(results, vals)]
    known = any(v is not None for v in hi)
    return dict(type="data", array=hi, arrayminus=lo, color="#555", thickness=1.2) if known else None


def breakdown_bars(results, title: str, unit: str) -> go.Figure:
    """One bar per group, with its 95% interval when the bars are rates or shares (not counts);
    hidden (suppressed) groups drawn empty; hatched, and said, while follow-up is not complete.
    Many groups are drawn as horizontal bars, so their names can be read."""
    raw = [r.group for r in results]
    groups = [plot_text(g) for g in raw]
    vals = [_num(r.value) for r in results]
    text = [protected_marker(r) if is_protected(r) else ("" if v is None else f"{v:,.1f}") for r, v in zip(results, vals)]
    incomplete = any(getattr(r, "incomplete", False) for r in results)
    horizontal = len(results) > 6
    err = _interval(results, unit)
    bar = dict(name=f"{unit}, {INCOMPLETE}" if incomplete else unit, marker_color=PALETTE[0], text=text,
               textposition="outside", customdata=[[r.numerator, r.denominator] for r in results],
               marker_pattern_shape="/" if incomplete else "", showlegend=incomplete)
    if horizontal:
        fig = go.Figure(go.Bar(y=groups, x=vals, orientation="h", error_x=err,
                               hovertemplate="%{y}: %{x:.2f}<br>%{customdata[0]} / %{customdata[1]}<extra></extra>",
                               **bar))
        fig.update_yaxes(autorange="reversed")
        _category_ticks(fig, raw, groups, "y", WRAP_SIDE)
    else:
        fig = go.Figure(go.Bar(x=groups, y=vals, error_y=err,
                               hovertemplate="%{x}: %{y:.2f}<br>%{customdata[0]} / %{customdata[1]}<extra></extra>",
                               **bar))
        _category_ticks(fig, raw, groups)
    if incomplete:
        title += f" ({INCOMPLETE}: the rates can still rise)"
    lines = sum(str(wrap_label(g, WRAP_SIDE)).count("<br>") + 1 for g in raw)
    fig = _layout(fig, title, "" if horizontal else unit,
                  height=max(HEIGHT, 130 + 16 * lines + 12 * len(raw)) if horizontal else HEIGHT)
    if horizontal:
        fig.update_xaxes(title=unit, gridcolor="#e5e5e5")
    return fig


def trend_chart(results, title: str, unit: str, target=None, benchmarks: bool = True) -> go.Figure:
    """Value over periods with its 95% band (not for counts), target band and, when ``benchmarks``,
    the comparators' lines. Periods whose follow-up is not complete are drawn dashed and named so."""
    x = [r.end.strftime("%d %b %Y") for r in results]
    y = [_num(r.value) for r in results]
    lo = [_num(r.ci_low) for r in results]
    hi = [_num(r.ci_high) for r in results]
    fig = go.Figure()
    if unit not in COUNT_UNITS and any(v is not None for v in hi):
        fig.add_trace(go.Scatter(x=x + x[::-1], y=hi + lo[::-1], fill="toself", fillcolor="rgba(0,114,178,0.15)",
                                 line=dict(width=0), name="95% interval", hoverinfo="skip"))
    done = [not getattr(r, "incomplete", False) for r in results]
    first_open = done.index(False) if False in done else len(results)
    if first_open:
        fig.add_trace(go.Scatter(x=x[:first_open], y=y[:first_open], mode="lines+markers", name="This service",
                                 line=dict(color=PALETTE[0], width=3), marker=dict(size=9)))
    if first_open < len(results):  # joined to the last complete point, dashed, open markers
        start = max(first_open - 1, 0)
        fig.add_trace(go.Scatter(x=x[start:], y=y[start:], mode="lines+markers", name=f"This service, {INCOMPLETE}",
                                 line=dict(color=PALETTE[0], width=2, dash="dash"),
                                 marker=dict(size=9, symbol=["circle"] * (first_open - start) +
                                             ["circle-open"] * (len(results) - first_open))))
    comparators = {}
    for r in results if benchmarks else ():
        for b in r.benchmarks:
            comparators.setdefault(b.comparator, {})[r.end.strftime("%d %b %Y")] = b.value
    for i, (name, vals) in enumerate(comparators.items()):
        fig.add_trace(go.Scatter(x=x, y=[vals.get(v) for v in x], mode="lines", name=plot_text(name),
                                 line=dict(dash="dot", width=1.5, color=PALETTE[(i + 1) % len(PALETTE)])))
    if target is not None:
        fig.add_hline(y=target.green, line=dict(color=RAG_COLOURS["Green"], dash="dash"),
                      annotation_text=f"green {'≤' if target.direction == 'lower' else '≥'} {target.green:g}")
        fig.add_hline(y=target.red, line=dict(color=RAG_COLOURS["Red"], dash="dash"),
                      annotation_text=f"red {'≥' if target.direction == 'lower' else '≤'} {target.red:g}")
    _category_ticks(fig, x, x, width=6)  # "30 Jun" over "2024"
    return _layout(fig, title, unit)


#: Ticks of a log axis of ratios, in the 1-2-5 steps people read (half, same, double), never as
#: powers of ten; Plotly draws those within the axis range.
LOG_TICKS = (0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100)


def rri_chart(results, title: str) -> go.Figure:
    """RRI per group and stage with intervals; the reference line at 1; flags in the labels."""
    fig = go.Figure()
    stages = list(dict.fromkeys(r.stage for r in results))
    for i, stage in enumerate(stages):
        rows = [r for r in results if r.stage == stage and r.rri is not None and not r.is_reference]
        if not rows:
            continue
        fig.add_trace(go.Scatter(
            x=[plot_text(r.group) for r in rows], y=[r.rri for r in rows], mode="markers", name=plot_text(stage),
            marker=dict(size=11, color=PALETTE[i % len(PALETTE)], symbol=["triangle-up" if r.flag == "higher" else
                                                                          "triangle-down" if r.flag == "lower" else "circle"
                                                                          for r in rows]),
            error_y=dict(type="data", symmetric=False,
                         array=[(r.ci_high - r.rri) if r.ci_high is not None and math.isfinite(r.ci_high) else 0 for r in rows],
                         arrayminus=[(r.rri - r.ci_low) if r.ci_low is not None else 0 for r in rows]),
            customdata=[[r.flag, r.events, r.base] for r in rows],
            hovertemplate="%{x} (" + plot_text(stage) + "): RRI %{y:.2f}<br>%{customdata[0]}<br>%{customdata[1]} of %{customdata[2]}<extra></extra>",
        ))
    fig.add_hline(y=1, line=dict(color="#333", dash="dash"), annotation_text="same rate as reference")
    fig.update_yaxes(type="log", tickmode="array", tickvals=LOG_TICKS, ticktext=[f"{t:g}" for t in LOG_TICKS])
    raw = list(dict.fromkeys(r.group for r in results if r.rri is not None and not r.is_reference))
    _category_ticks(fig, raw, [plot_text(g) for g in raw])
    return _layout(fig, title, "Relative rate index (log scale)", height=380)


def grouped_bars(df, x: str, ys: list[str], names: list[str], title: str, y_title: str) -> go.Figure:
    """Bars side by side, one colour per column of ``ys``; category labels wrapped."""
    fig = go.Figure()
    for i, (y, name) in enumerate(zip(ys, names)):
        fig.add_trace(go.Bar(x=df[x].map(plot_text), y=df[y], name=plot_text(name),
                             marker_color=PALETTE[i % len(PALETTE)],
                             text=[None if v is None or v != v else f"{v:,.1f}" for v in df[y]], textposition="outside"))
    fig.update_layout(barmode="group")
    _category_ticks(fig, list(df[x]), list(df[x].map(plot_text)))
    return _layout(fig, title, y_title)


HIDDEN = "hidden"
HIDDEN_COLOUR = "#BBBBBB"  # light grey with a hatch: never one of the palette's colours


def _numbers(column) -> tuple[list, list[bool]]:
    """A column's numbers (missing as 0) and which cells are hidden: any text that is not a number
    is a protection marker ("<5", "hidden", ...)."""
    values, hidden = [], []
    for v in column:
        n = pd.to_numeric(v, errors="coerce") if isinstance(v, str) else v
        gone = isinstance(v, str) and pd.isna(n)
        hidden.append(gone)
        values.append(0.0 if gone or n is None or pd.isna(n) else float(n))
    return values, hidden


def stacked_bars(df, x: str, ys: list[str], title: str, y_title: str, total: str | None = None) -> go.Figure:
    """Bars stacked by the columns of ``ys``; category labels wrapped.

    Cells may hold protection markers (any text that is not a number is hidden). With ``total``
    (the table's total column), a bar never draws a total other than its table's: the parts that
    are hidden are drawn together as one grey, hatched segment labelled "hidden", of the total
    minus the shown parts (which the reader of the table can already work out); when the total
    itself is hidden the bar draws the shown parts only and says "total hidden" above it."""
    fig = go.Figure()
    cats = list(df[x])
    shown_x = [plot_text(c) for c in cats]
    parts = {y: _numbers(df[y]) for y in ys}
    for i, y in enumerate(ys):
        values, hidden = parts[y]
        fig.add_trace(go.Bar(x=shown_x, y=[None if h else v for v, h in zip(values, hidden)], name=plot_text(y),
                             marker_color=PALETTE[i % len(PALETTE)]))
    any_hidden = [any(parts[y][1][j] for y in ys) for j in range(len(cats))]
    if total is not None:
        totals, total_hidden = _numbers(df[total])
        gap = [max(t - sum(parts[y][0][j] for y in ys), 0.0) if h and not th else None
               for j, (t, h, th) in enumerate(zip(totals, any_hidden, total_hidden))]
        if any(g is not None for g in gap):
            fig.add_trace(go.Bar(x=shown_x, y=gap, name=f"{HIDDEN} (small numbers protected)",
                                 marker=dict(color=HIDDEN_COLOUR, pattern=dict(shape="/", fgcolor="#555555")),
                                 text=[HIDDEN if g else None for g in gap], textposition="inside",
                                 hovertemplate="%{x}: hidden parts, together %{y:,.0f} (the total less the parts "
                                               "shown)<extra></extra>"))
        tops = [sum(parts[y][0][j] for y in ys) for j in range(len(cats))]
        for j, th in enumerate(total_hidden):
            if th:
                fig.add_annotation(x=shown_x[j], y=tops[j], text="total hidden" + (
                    ": some parts not drawn" if any_hidden[j] else ""), showarrow=False, yshift=12,
                    font=dict(size=12, color="#333333"))
        if any(total_hidden):
            title += " (where the total is hidden, the bar shows only the parts that can be shown)"
    fig.update_layout(barmode="stack")
    _category_ticks(fig, cats, shown_x)
    return _layout(fig, title, y_title)


def clicked_x(event) -> str | None:
    """The category (as in the data) of the first selected bar or point of a plotly selection event:
    its x value, or its y value on horizontal bars."""
    try:
        points = event.selection.points if hasattr(event, "selection") else event["selection"]["points"]
    except (KeyError, TypeError, AttributeError):
        return None
    if not points:
        return None
    p = points[0]
    x, y = ((p.get("x"), p.get("y")) if isinstance(p, dict) else (getattr(p, "x", None), getattr(p, "y", None)))
    cat = x if isinstance(x, str) or not isinstance(y, str) else y
    return html.unescape(cat) if isinstance(cat, str) else cat
