"""Charts as PNG images without a browser: altair specs rendered by vl-convert."""
from __future__ import annotations

import math

import altair as alt
import pandas as pd
import vl_convert as vlc

PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]
WIDTH, HEIGHT = 620, 260
PACK_SCALE = 1.5  # pixels per point of the trend charts: about 200 dpi on a PDF page and on a slide
#: The app's marker shapes for the disproportionality flags (ui/charts.py draws the same).
FLAG_SHAPES = {"higher": "triangle-up", "lower": "triangle-down", "no clear difference": "circle"}


def spec(chart, validate: bool = True) -> str:
    """The Vega-Lite specification of a chart as the pack draws it (fonts and frame set);
    ``validate=False`` skips Altair's schema check (slow) for charts whose form tests check."""
    return chart.configure_view(strokeWidth=0).configure_axis(labelFontSize=11, titleFontSize=12) \
        .configure_title(fontSize=14, anchor="start").to_json(validate=validate)


def _png(chart: alt.Chart) -> bytes:
    return vlc.vegalite_to_png(spec(chart), scale=2)


def _empty(title, height: int = HEIGHT,
           text: str = "No figure to show: every value here is protected or not recorded.") -> alt.Chart:
    """A chart with nothing to draw (every value protected or missing) says so, at a chart's size."""
    note = pd.DataFrame({"text": [text]})
    return alt.Chart(note).mark_text(fontSize=14, color="#333").encode(text="text:N") \
        .properties(width=WIDTH, height=height, title=title)


def _empty_png(title) -> bytes:
    return _png(_empty(title))


def _n(v):
    return None if v is None or (isinstance(v, float) and math.isnan(v)) else v


def _hidden(r) -> bool:
    return r.value is None and (r.note or "").startswith("protected")


TARGET_COLOURS = {"green": "#009E73", "red": "#D55E00"}  # the app's RAG colours (Okabe-Ito)
#: This service, then comparators: the palette without the target lines' green and red.
SERIES_COLOURS = [c for c in PALETTE if c not in TARGET_COLOURS.values()] + ["#999999", "#882255"]


def trend_png(results, title: str, unit: str, target=None, height: int = HEIGHT) -> bytes:
    """:func:`trend_chart` as a PNG."""
    return _png(trend_chart(results, title, unit, target, height))


def _with_height(node, height: int):
    """A copy of a specification with every plot height set to ``height``."""
    if isinstance(node, dict):
        return {k: (height if k == "height" and isinstance(v, (int, float)) else _with_height(v, height))
                for k, v in node.items()}
    if isinstance(node, list):
        return [_with_height(v, height) for v in node]
    return node


def trend_pngs(results, title: str, unit: str, target=None, heights=(HEIGHT,)) -> list[bytes]:
    """:func:`trend_chart` as PNGs of several plot heights (a page's and a slide's), its
    specification built and checked once."""
    import json

    base = json.loads(spec(trend_chart(results, title, unit, target, heights[0]), validate=False))
    return [vlc.vegalite_to_png(json.dumps(_with_height(base, h)), scale=PACK_SCALE) for h in heights]


def trend_chart(results, title: str, unit: str, target=None, height: int = HEIGHT):
    """Value per period with its 95% band, any benchmark lines and the local target's green and
    red lines. Each point sits on its period's label (the axis is the periods, in order, named by
    the month they end); periods whose figure is hidden (protected) or missing are named under
    the title, never drawn as zero."""
    names = [r.end.strftime("%b %Y") for r in results]
    rows = [{"period": n, "series": "This service", "value": _n(r.value), "low": _n(r.ci_low),
             "high": _n(r.ci_high)} for n, r in zip(names, results)]
    for n, r in zip(names, results):
        for b in r.benchmarks:
            rows.append({"period": n, "series": b.comparator, "value": b.value, "low": None, "high": None})
    df = pd.DataFrame(rows, columns=["period", "series", "value", "low", "high"])
    hidden = [n for n, r in zip(names, results) if _hidden(r)]
    missing = [n for n, r in zip(names, results) if _n(r.value) is None and not _hidden(r)]
    subtitle = ([f"Hidden to protect small numbers: {', '.join(hidden)}."] if hidden else []) + \
        ([f"No figure: {', '.join(missing)}."] if missing else [])
    heading = alt.TitleParams(f"{title} ({unit})", anchor="start", **({"subtitle": subtitle} if subtitle else {}))
    if hidden and len(hidden) == len(names):
        return _empty(f"{title} ({unit})", height, f"Hidden to protect small numbers in each of these "
                      f"{len(names)} periods ({names[0]} to {names[-1]}).")
    if df.empty or pd.to_numeric(df["value"], errors="coerce").notna().sum() == 0:
        return _empty(heading, height)
    series = list(dict.fromkeys(df["series"]))  # this service first: blue, as in the app
    x = alt.X("period:O", title="Period ending", sort=names, axis=alt.Axis(labelAngle=0))
    base = alt.Chart(df).properties(width=WIDTH, height=height)
    band = base.transform_filter(alt.datum.series == "This service").mark_area(opacity=0.2, color=PALETTE[0]).encode(
        x=x, y=alt.Y("low:Q", title=unit), y2="high:Q")
    lines = base.mark_line(point=True).encode(
        x=x, y=alt.Y("value:Q", title=unit),
        color=alt.Color("series:N", scale=alt.Scale(domain=series, range=SERIES_COLOURS[:len(series)]), sort=series,
                        title=None, legend=alt.Legend(orient="right", labelFontSize=11)),
        strokeWidth=alt.condition(alt.datum.series == "This service", alt.value(3), alt.value(1.5)),
        strokeDash=alt.condition(alt.datum.series == "This service", alt.value([1, 0]), alt.value([4, 3])))
    layers = [band]
    if target is not None:
        better, worse = ("≤", "≥") if target.direction == "lower" else ("≥", "≤")
        t = pd.DataFrame({"y": [target.green, target.red], "band": ["green", "red"],
                          "text": [f"green {better} {target.green:g}", f"red {worse} {target.red:g}"],
                          "period": [names[-1], names[-1]]})
        colour = alt.Color("band:N", scale=alt.Scale(domain=list(TARGET_COLOURS), range=list(TARGET_COLOURS.values())),
                           legend=None)
        rule = alt.Chart(t).mark_rule(strokeDash=[6, 4], strokeWidth=1.5).encode(y="y:Q", color=colour)
        label = alt.Chart(t).mark_text(align="right", dy=-6, fontSize=11, fontWeight="bold").encode(
            x=alt.X("period:O", sort=names), y="y:Q", text="text:N", color=colour)
        layers += [rule, label]
    return alt.layer(*layers, lines, title=heading).resolve_scale(color="independent")


def rri_png(results, title: str, stage_labels: dict[str, str]) -> bytes:
    """RRI per group with its interval, by stage, against the reference line at 1. The legend names
    each stage (in chain order) and the flag shapes are the app's: ▲ higher, ▼ lower, ● no clear difference."""
    order = [stage_labels.get(s, s) for s in dict.fromkeys(r.stage for r in results)]
    rows = [{"group": r.group, "stage": stage_labels.get(r.stage, r.stage), "rri": r.rri, "low": _n(r.ci_low),
             "high": _n(r.ci_high) if r.ci_high is None or math.isfinite(r.ci_high) else None,
             "flag": r.flag or "no clear difference"}
            for r in results if r.rri is not None and not r.is_reference and r.rri > 0]
    df = pd.DataFrame(rows, columns=["group", "stage", "rri", "low", "high", "flag"])
    if df.empty:
        return _empty_png(title)
    colour = alt.Color("stage:N", scale=alt.Scale(domain=order, range=PALETTE[:len(order)]), sort=order,
                       title="Stage", legend=alt.Legend(orient="right", labelFontSize=12, titleFontSize=12))
    base = alt.Chart(df).properties(width=WIDTH, height=HEIGHT, title=title)
    offset = alt.XOffset("stage:N", sort=order)
    y = alt.Y("rri:Q", scale=alt.Scale(type="log"), title="Relative rate index (log scale)")
    bars = base.mark_rule().encode(x="group:N", xOffset=offset, y="low:Q", y2="high:Q", color=colour)
    pts = base.mark_point(filled=True, size=90, opacity=1).encode(
        x=alt.X("group:N", title=None, axis=alt.Axis(labelAngle=0)), xOffset=offset, y=y, color=colour,
        shape=alt.Shape("flag:N", title="Difference", scale=alt.Scale(
            domain=list(FLAG_SHAPES), range=list(FLAG_SHAPES.values())),
            legend=alt.Legend(orient="right", labelFontSize=12, titleFontSize=12)))
    ref = alt.Chart(pd.DataFrame({"y": [1.0]})).mark_rule(strokeDash=[4, 4], color="#333").encode(y="y:Q")
    return _png(alt.layer(bars, pts, ref).resolve_legend(color="shared"))


def grouped_bars_png(df: pd.DataFrame, category: str, series: list[str], title: str, unit: str) -> bytes:
    """Grouped bars (e.g. caseload vs population shares, or start vs end), series in the given order."""
    long = df.melt(id_vars=[category], value_vars=series, var_name="series", value_name="value")
    long["value"] = pd.to_numeric(long["value"], errors="coerce")
    if long["value"].notna().sum() == 0:
        return _empty_png(title)
    chart = alt.Chart(long).mark_bar().encode(  # series in the order given (start before end), legend too
        x=alt.X(f"{category}:N", title=None, sort=None, axis=alt.Axis(labelAngle=0)), xOffset=alt.XOffset("series:N", sort=series),
        y=alt.Y("value:Q", title=unit),
        color=alt.Color("series:N", scale=alt.Scale(domain=series, range=SERIES_COLOURS[:len(series)]), sort=series,
                        title=None, legend=alt.Legend(orient="top", labelFontSize=12)),
    ).properties(width=WIDTH, height=HEIGHT, title=title)
    text = chart.mark_text(dy=-6, fontSize=10).encode(text=alt.Text("value:Q", format=".1f"))
    return _png(alt.layer(chart, text))
