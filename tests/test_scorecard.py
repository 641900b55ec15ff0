"""The scorecard's table and trend line: the trend is an inline SVG whose points are the values scaled into the
drawing, with gaps where a quarter has no figure, the newest point marked, and the values in its accessible
name; the table's only markup is its own."""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from ui.scorecard import spark_svg

SVG = "{http://www.w3.org/2000/svg}"


def _parse(svg: str) -> ET.Element:
    return ET.fromstring(svg.replace("<svg ", f'<svg xmlns="{SVG[1:-1]}" ', 1))


def _points(el: ET.Element) -> list[tuple[float, float]]:
    return [tuple(map(float, p.split(","))) for p in el.get("points").split()]


def test_points_are_the_values_scaled_into_the_drawing():
    # drawing 36 x 10 with 1.5 of padding: the lowest value at y 8.5, the highest at 1.5, worked by hand;
    # five quarters 9 apart on x
    svg = _parse(spark_svg([10.0, 20.0, 30.0, 15.0, 20.0], "%"))
    (line,) = svg.findall(f"{SVG}polyline")
    assert _points(line) == [(0.0, 8.5), (9.0, 5.0), (18.0, 1.5), (27.0, 6.8), (36.0, 5.0)]  # 15: 8.5 - 7 * 0.25
    (dot,) = svg.findall(f"{SVG}circle")
    assert (float(dot.get("cx")), float(dot.get("cy"))) == (36.0, 5.0)  # the newest point is marked
    assert svg.get("role") == "img"
    assert svg.get("aria-label") == "Trend, oldest to newest: 10.0%, 20.0%, 30.0%, 15.0%, 20.0%"


def test_gaps_break_the_line_and_a_lone_point_is_still_drawn():
    svg = _parse(spark_svg([4.0, None, 2.0, float("nan"), 3.0, 5.0], "count"))
    lines = svg.findall(f"{SVG}polyline")
    # 3 and 5, on x 7.2 apart; lowest 2, highest 5: 3 at 1.5 + (5-3)/3 * 7 = 6.17
    assert [_points(line) for line in lines] == [[(28.8, 6.2), (36.0, 1.5)]]
    circles = [(float(c.get("cx")), float(c.get("cy"))) for c in svg.findall(f"{SVG}circle")]
    # 4 alone at x 0 (y 1.5 + (5-4)/3 * 7), 2 alone at x 14.4 (the lowest), and the newest, 5
    assert circles == [(0.0, 3.8), (14.4, 8.5), (36.0, 1.5)]
    assert "no figure" in svg.get("aria-label")


def test_a_flat_or_single_series_sits_in_the_middle_and_nothing_known_draws_nothing():
    flat = _parse(spark_svg([7.0, 7.0, 7.0], "count"))
    assert {y for _, y in _points(flat.find(f"{SVG}polyline"))} == {5.0}
    one = _parse(spark_svg([None, None, 3.0], "count"))
    assert one.find(f"{SVG}polyline") is None and len(one.findall(f"{SVG}circle")) == 1
    assert spark_svg([None, float("nan")], "%") == ""


def test_the_svg_is_one_line_with_no_table_pipe_and_no_text_but_its_name():
    svg = spark_svg([1.0, 2.0, 3.0], "%")
    assert "\n" not in svg and "|" not in svg
    assert re.sub(r'aria-label="[^"]*"', "", svg).count(">") == svg.count("<")  # only tags, no text nodes
    assert "<text" not in svg and "<title" not in svg


def test_the_scorecard_table_carries_no_markup_but_its_own():
    """With HTML allowed (for the same-tab links and the trend lines), text from the data is still text: the
    only tags in the table are the link, the SVG and its shapes; the hostile narrative's are escaped."""
    import datetime as dt

    from ui.scorecard import rows, table_markdown
    from yj_metrics.indicators import INDICATORS
    from yj_metrics.results import IndicatorResult

    def result(value):
        return IndicatorResult("kpi2_ete", "KPI 2", dt.date(2024, 1, 1), dt.date(2024, 3, 31), None, None, 8, 20,
                               value, "%", rag="Red")

    now = result(40.0)
    hostile = '<img src=x onerror=alert(1)> <a href="http://example.invalid">x</a> <svg onload=alert(2)>'
    items = rows([now], {"kpi2_ete": result(50.0)}, {"kpi2_ete": [result(v) for v in (30.0, None, 50.0, 40.0)]},
                 INDICATORS)
    md = table_markdown(items, benchmarks=True, narrative={"kpi2_ete": hostile})
    tags = re.findall(r"(?<!\\)<\s*/?\s*([a-zA-Z]+)", md)
    assert set(tags) == {"a", "svg", "polyline", "circle"}, tags
    assert tags.count("a") == 2  # the one link, opened and closed
    assert r"example\.invalid" in md and 'href="http://example.invalid' not in md  # shown, backslash-escaped
    assert "onerror" in md and not re.search(r"(?<!\\)<img", md)
