"""Plotly charts in an Okabe-Ito colour-blind-safe palette; bars and points are clickable.

Plotly reads a few HTML tags (``<a href>``, ``<b>``, ``<br>``...) in every text it draws, so
names from the data (groups, comparators, categories) go in through :func:`plot_text`.
"""
from __future__ import annotations

import html
import math

import plotly.graph_objects as go

from .fmt import RAG_COLOURS, is_protected, protected_marker

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
HEIGHT = 340


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


def breakdown_bars(results, title: str, unit: str) -> go.Figure:
    """One bar per group with its 95% interval; hidden (suppressed) groups drawn empty."""
    groups = [plot_text(r.group) for r in results]
    vals = [_num(r.value) for r in results]
    hi = [(_num(r.ci_high) - v) if v is not None and _num(r.ci_high) is not None else None for r, v in zip(results, vals)]
    lo = [(v - _num(r.ci_low)) if v is not None and _num(r.ci_low) is not None else None for r, v in zip(results, vals)]
    text = [protected_marker(r) if is_protected(r) else ("" if v is None else f"{v:,.1f}") for r, v in zip(results, vals)]
    fig = go.Figure(go.Bar(x=groups, y=vals, name=unit, marker_color=PALETTE[0], text=text, textposition="outside",
                           error_y=dict(type="data", array=hi, arrayminus=lo, color="#555", thickness=1.2),
                           customdata=[[r.numerator, r.denominator] for r in results],
                           hovertemplate="%{x}: %{y:.2f}<br>%{customdata[0]} / %{customdata[1]}<extra></extra>"))
    return _layout(fig, title, unit)


def trend_chart(results, title: str, unit: str, target=None) -> go.Figure:
    """Value over periods with its 95% band, target band and benchmark lines (markers clickable)."""
    x = [r.end.strftime("%d %b %Y") for r in results]
    y = [_num(r.value) for r in results]
    lo = [_num(r.ci_low) for r in results]
    hi = [_num(r.ci_high) for r in results]
    fig = go.Figure()
    if any(v is not None for v in hi):
        fig.add_trace(go.Scatter(x=x + x[::-1], y=hi + lo[::-1], fill="toself", fillcolor="rgba(0,114,178,0.15)",
                                 line=dict(width=0), name="95% interval", hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=y, mode="lines+markers", name="This service", line=dict(color=PALETTE[0], width=3),
                             marker=dict(size=9)))
    comparators = {}
    for r in results:
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
    return _layout(fig, title, unit)


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
    fig.update_yaxes(type="log")
    return _layout(fig, title, "Relative rate index (log scale)", height=380)


def grouped_bars(df, x: str, ys: list[str], names: list[str], title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    for i, (y, name) in enumerate(zip(ys, names)):
        fig.add_trace(go.Bar(x=df[x].map(plot_text), y=df[y], name=plot_text(name),
                             marker_color=PALETTE[i % len(PALETTE)],
                             text=[None if v is None or v != v else f"{v:,.1f}" for v in df[y]], textposition="outside"))
    fig.update_layout(barmode="group")
    return _layout(fig, title, y_title)


def stacked_bars(df, x: str, ys: list[str], title: str, y_title: str) -> go.Figure:
    fig = go.Figure()
    for i, y in enumerate(ys):
        fig.add_trace(go.Bar(x=df[x].map(plot_text), y=df[y], name=plot_text(y),
                             marker_color=PALETTE[i % len(PALETTE)]))
    fig.update_layout(barmode="stack")
    return _layout(fig, title, y_title)


def clicked_x(event) -> str | None:
    """The x value (as in the data) of the first selected bar or point of a plotly selection event."""
    try:
        points = event.selection.points if hasattr(event, "selection") else event["selection"]["points"]
    except (KeyError, TypeError, AttributeError):
        return None
    if not points:
        return None
    p = points[0]
    x = p.get("x") if isinstance(p, dict) else getattr(p, "x", None)
    return html.unescape(x) if isinstance(x, str) else x
