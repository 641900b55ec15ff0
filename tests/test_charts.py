"""ui.charts: names from the data reach Plotly as text, never as its HTML-like markup."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from ui.charts import breakdown_bars, clicked_x, plot_text, stacked_bars

NAMES = ["North", "<a href='http://example.invalid'>x</a>", "<img src=http://example.invalid/i.png>",
         "Tom & Jerry", "&lt;already&gt;", "<b>bold</b><br>"]


@pytest.mark.parametrize("name", NAMES)
def test_plot_text_has_no_tags_and_clicks_give_the_data_value_back(name):
    shown = plot_text(name)
    assert "<" not in shown and ">" not in shown
    assert clicked_x({"selection": {"points": [{"x": shown}]}}) == name


def test_group_and_trace_names_are_escaped():
    r = SimpleNamespace(group="<a href='http://example.invalid'>x</a>", value=1.0, ci_low=None, ci_high=None,
                        numerator=1, denominator=2, note="")
    fig = breakdown_bars([r], "t", "%")
    assert list(fig.data[0].x) == ["&lt;a href='http://example.invalid'&gt;x&lt;/a&gt;"]
    df = pd.DataFrame({"year": ["2024-25"], "<img src=x>": [3]})
    fig = stacked_bars(df, "year", ["<img src=x>"], "t", "n")
    assert fig.data[0].name == "&lt;img src=x&gt;"


# ---------------------------------------------------------------- stacked bars never misreport a total

def _values(v) -> list:
    """A trace's array as a list: Plotly's JSON sends numeric arrays as typed arrays (dtype, bdata)."""
    if isinstance(v, dict) and "bdata" in v:
        import base64

        import numpy as np

        return np.frombuffer(base64.b64decode(v["bdata"]), dtype=np.dtype(v["dtype"])).tolist()
    return list(v)


def _drawn_totals(fig_or_spec) -> dict:
    """The height each bar of a stacked chart reaches: the sum of its traces' values, by category
    (read from the figure's traces, as the browser draws them)."""
    data = fig_or_spec["data"] if isinstance(fig_or_spec, dict) else [t.to_plotly_json() for t in fig_or_spec.data]
    out: dict = {}
    for trace in data:
        if trace.get("type", "bar") != "bar":
            continue
        for x, y in zip(_values(trace["x"]), _values(trace["y"])):
            out[x] = out.get(x, 0) + (0 if y is None or y != y else y)
    return out


def _annotations(fig_or_spec) -> list[str]:
    layout = fig_or_spec["layout"] if isinstance(fig_or_spec, dict) else fig_or_spec.layout.to_plotly_json()
    return [a.get("text", "") for a in layout.get("annotations", [])]


def test_hidden_parts_are_one_labelled_segment_and_the_bar_reaches_the_tables_total():
    # Worked by hand: 2022-23: 40 + 25 shown, "<5" and "hidden" hidden, total 71 -> hidden segment 6.
    # 2023-24: nothing hidden, 30 + 12 + 3 + 5 = 50. 2024-25: the total itself hidden.
    df = pd.DataFrame({"year": ["2022-23", "2023-24", "2024-25"],
                       "Caution": ["40", "30", "22"], "Referral order": [25, 12, "<5"],
                       "Custody": ["<5", 3, "hidden"], "Other": ["hidden", 5, 9], "Total": ["71", 50, "<5"]})
    fig = stacked_bars(df, "year", ["Caution", "Referral order", "Custody", "Other"], "Disposals", "disposals",
                       total="Total")
    assert _drawn_totals(fig) == {"2022-23": 71, "2023-24": 50, "2024-25": 31}
    (gap,) = [t for t in fig.data if t.name.startswith("hidden")]
    assert list(gap.y) == [6, None, None] and list(gap.text) == ["hidden", None, None]
    assert _annotations(fig) == ["total hidden: some parts not drawn"]  # 2024-25 says what is missing
    assert "total is hidden" in fig.layout.title.text


def test_a_chart_with_nothing_hidden_has_no_hidden_segment():
    df = pd.DataFrame({"m": ["Jan", "Feb"], "a": [3, 4], "b": [5, 6], "total": [8, 10]})
    fig = stacked_bars(df, "m", ["a", "b"], "t", "n", total="total")
    assert [t.name for t in fig.data] == ["a", "b"] and _drawn_totals(fig) == {"Jan": 8, "Feb": 10}
    assert not _annotations(fig)


def test_every_partner_chart_draws_its_tables_totals(store_url, monkeypatch, demo_dataset):
    """The partner's stacked charts on the demo (disposals by year, ETE status by month end): each
    bar reaches the total of the table partners are shown for it, or says its total is hidden."""
    import json

    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import ROOT
    from ui.fmt import fmt_date
    from yj_metrics.disclosure import PartnerProtection
    from yj_metrics.periods import financial_year

    monkeypatch.setenv("YJ_ROLE", "partner")
    prot = PartnerProtection(demo_dataset)
    checked = hidden_parts = 0

    def compare(spec, tables: dict):
        nonlocal checked, hidden_parts
        drawn, notes = _drawn_totals(spec), _annotations(spec)
        hidden_parts += sum(t.get("name", "").startswith("hidden") for t in spec["data"])
        for x, total in tables.items():
            if isinstance(total, str) and not total.replace(",", "").isdigit():
                assert any(n.startswith("total hidden") for n in notes), x
            else:
                assert drawn.get(x, 0) == pytest.approx(float(str(total).replace(",", ""))), x
            checked += 1

    at = AppTest.from_file(str(ROOT / "pages" / "disposals_caseload.py"), default_timeout=180).run()
    assert not at.exception, at.exception
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    years = sorted(set(_values(spec["data"][0]["x"])))
    totals = {}
    for label in years:
        t = prot.disposal_table(financial_year(int(label[:4])))
        totals[label] = t.loc[t["disposal_type"] == "Total", "disposals"].iloc[0]
    compare(spec, totals)

    at = AppTest.from_file(str(ROOT / "pages" / "ete_accommodation.py"), default_timeout=180).run()
    assert not at.exception, at.exception
    (spec,) = [json.loads(c.proto.spec) for c in at.get("plotly_chart") if "ETE status" in c.proto.spec]
    table = at.dataframe[-1].value
    compare(spec, {fmt_date(d): v for d, v in zip(table["month end"], table["total"])})
    assert checked >= 4 + 3
    assert hidden_parts, "the demo should have a chart with hidden parts under a shown total"
