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
