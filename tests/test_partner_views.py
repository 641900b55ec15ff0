"""The partner's pages as Streamlit renders them (AppTest): every number sent to the browser.

For each page a partner can open, each period kind and each choice on the page (breakdown,
compare-by, base), this collects the text, the tables, the metrics and the chart
specifications (data, labels, hover data), and checks that no count of children from 1 to
the threshold is among them, that no fraction's complement is one, and that a link asking
for a filtered view shows the whole service instead.
"""
from __future__ import annotations

import json
import math
import re

import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import ROOT, _text
from yj_metrics import indicators

THRESHOLD = 4
BOARD = {indicators.INDICATORS["kpi8_board_attendance"].label}  # statutory partners, not children
COUNT_COLUMNS = {"children", "disposals", "interventions", "remands", "numerator", "denominator", "events",
                 "base", "total", "Education", "Training", "Employment", "Re-engagement", "Custody", "NEET",
                 "Not yet known"}
COUNT_AXES = ("children", "disposals", "number")


def _run(page, monkeypatch, query=None, choices=None):
    monkeypatch.setenv("YJ_ROLE", "partner")
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=900)
    for k, v in (query or {}).items():
        at.query_params[k] = v
    at.run()
    for key, value in (choices or {}).items():  # (a widget's options are its labels: set the value itself)
        widget = next((w for w in list(at.radio) + list(at.selectbox) if w.key == key), None)
        assert widget is not None, (page, key, [w.key for w in list(at.radio) + list(at.selectbox)])
        widget.set_value(value).run()
        assert not at.exception, (page, key, value, at.exception)
        assert next(w for w in list(at.radio) + list(at.selectbox) if w.key == key).value == value, (page, key)
    return at


def _charts(at) -> list[dict]:
    out = []
    for el in at.get("plotly_chart"):
        spec = getattr(el.proto, "spec", "") or getattr(getattr(el.proto, "figure", None), "spec", "")
        out.append(json.loads(spec) if spec else {})
    return out


def _small(x) -> bool:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return False
    return not math.isnan(v) and 1 <= v <= THRESHOLD and v == int(v)


_BOARD_FRACTIONS: set[str] = set()


@pytest.fixture(autouse=True)
def _board_fractions(demo_dataset):
    """Board attendance (statutory partners at meetings, not children) is not protected: its
    fractions, as the engine gives them for every partner period, are allowed."""
    if not _BOARD_FRACTIONS:
        from yj_metrics.disclosure import NOT_PERSONAL, partner_periods

        for p in partner_periods(demo_dataset.covers).all:
            for r in indicators.compute(demo_dataset, p, ["kpi8_board_attendance"]):
                if r.indicator in NOT_PERSONAL and r.numerator is not None and r.denominator is not None:
                    _BOARD_FRACTIONS.add(f"{r.numerator:,.0f} / {r.denominator:,.0f}")


def _check(at, where: str) -> int:
    """Assertions on everything a partner's browser receives; returns how many numbers were read."""
    assert not at.exception, (where, at.exception)
    assert not [e.value for e in at.error], (where, [e.value for e in at.error])
    read = 0
    text = _text(at) + "\n" + "\n".join(f"{m.label} {m.value}" for m in at.metric)
    for line in text.splitlines():
        if any(b in line for b in BOARD) or line.strip() in _BOARD_FRACTIONS:
            continue
        for a, b in re.findall(r"\b(\d[\d,]*) / (\d[\d,]*)\b", line):
            a, b = int(a.replace(",", "")), int(b.replace(",", ""))
            read += 1
            assert not 1 <= a <= THRESHOLD and not 1 <= b - a <= THRESHOLD and not 1 <= b <= THRESHOLD, (where, line)
    for df in (d.value for d in at.dataframe):
        for col in df.columns:
            if str(col) in COUNT_COLUMNS:
                for v in df[col]:
                    read += 1
                    assert not _small(v), (where, col, list(df[col]))
        rows = [" ".join(map(str, r)) for r in df.itertuples(index=False)]
        for row in rows:
            if any(b in row for b in BOARD):
                continue
            for a, b in re.findall(r"\b(\d+) / (\d+)\b", row):
                assert not 1 <= int(a) <= THRESHOLD and not 1 <= int(b) - int(a) <= THRESHOLD, (where, row)
    for spec in _charts(at):
        layout = spec.get("layout", {})
        y_title = json.dumps(layout.get("yaxis", {}).get("title", "")).lower()
        for trace in spec.get("data", []):
            # A stacked bar's "hidden" segment is its table's total less the parts shown beside it, which the
            # table already gives (issue 21): the engine, not the chart, decides whether that may be small.
            if any(a in y_title for a in COUNT_AXES) and not str(trace.get("name", "")).startswith("hidden"):
                for v in trace.get("y", []) or []:
                    read += 1
                    assert not _small(v), (where, trace.get("name"), trace.get("y"))
            for pair in trace.get("customdata", []) or []:  # hover: numerator / denominator
                if isinstance(pair, list) and len(pair) == 2 and pair[0] is not None and pair[1] is not None:
                    assert not _small(pair[0]) and not _small(pair[1] - pair[0]), (where, pair)
    return read


SWEEP = [
    ("overview", {}),
    ("kpi_detail", {"detail_by": "ethnicity"}),
    ("kpi_detail", {"detail_by": "locality"}),
    ("reoffending", {"re_by": "gender"}),
    ("ete_accommodation", {}),
    ("disposals_caseload", {"case_by": "team"}),
    ("disproportionality", {"dp_by": "ethnicity"}),
    ("disproportionality", {"dp_by": "age_band", "dp_base": "population"}),
    # the drill-down: a locality, then one more dimension; first-time entrants as a stage
    ("disproportionality", {"dp_by": "ethnicity", "dp_loc": "North"}),
    ("disproportionality", {"dp_by": "gender", "dp_loc": "West", "dp_stages": "First-time entrants"}),
    ("disproportionality", {"dp_by": "looked_after", "dp_loc": "North", "dp_base": "population"}),
    # and on the indicators
    ("kpi_detail", {"detail_by": "ethnicity", "detail_loc": "North"}),
    ("kpi_detail", {"detail_by": "disposal", "detail_loc": "West"}),
]


@pytest.mark.parametrize("period", ["quarter", "fy", "rolling"])
@pytest.mark.parametrize("page,choices", SWEEP)
def test_nothing_small_reaches_a_partners_browser(page, choices, period, store_url, monkeypatch):
    at = _run(page, monkeypatch, {"period": period}, choices)
    read = _check(at, f"{page} {period} {choices}")
    if page in ("overview", "disposals_caseload", "disproportionality"):
        assert read > 0  # the check read real figures


@pytest.mark.parametrize("indicator", ["kpi1_accommodation", "custody_count", "kpi4_mental_health", "disposals"])
def test_kpi_detail_for_small_indicators(indicator, store_url, monkeypatch):
    at = _run("kpi_detail", monkeypatch, {"indicator": indicator, "period": "fy"}, {"detail_by": "disposal"})
    _check(at, indicator)


def test_a_link_asking_for_a_filtered_view_shows_the_whole_service(store_url, monkeypatch):
    plain = _run("overview", monkeypatch)
    asked = _run("overview", monkeypatch, {"loc": "North", "eth": "Black", "gen": "Female"})
    table = lambda at: [m.value for m in at.main.markdown if m.value.startswith("| Indicator |")]  # noqa: E731
    assert table(asked) == table(plain) and len(table(plain)) == 1
    assert any("cannot open" in i.value for i in asked.info)
    assert "loc" not in asked.query_params and "eth" not in asked.query_params


def test_partners_choose_quarters_years_and_the_last_12_months_only(store_url, monkeypatch):
    at = _run("overview", monkeypatch, {"period": "custom", "start": "2020-01-01", "end": "2020-02-15"})
    period = next(s for s in at.selectbox if s.key == "w_period")
    assert set(period.options) == {"Quarter", "Financial year", "Last 12 months"}
    assert not [m for m in at.multiselect]  # no filters for partners
    # each marker is explained once: '<5' rests on 1 to 4 children, 'hidden' protects another figure
    assert sum("'<5' marks a figure that rests on 1 to 4 children" in c.value for c in at.caption) == 1
    assert sum("'hidden' marks a figure that is not small itself" in c.value for c in at.caption) == 1
    assert sum("'withheld' marks a figure that is hidden without saying whether it is small" in c.value
               for c in at.caption) == 1


@pytest.fixture(scope="module")
def _mid_quarter_store_file(tmp_path_factory):
    """A real SQLite file holding a workbook exported in the middle of a quarter (the demo to 15 Nov 2023: the
    reporting quarter is 2023-24 Q2) and its partner protection, kept by the app's ``protect`` command."""
    import datetime as dt

    from yj_metrics import cli
    from yj_metrics.demo import demo_dataset
    from yj_metrics.store import Store

    path = tmp_path_factory.mktemp("mid-quarter") / "app.db"
    url = f"sqlite:///{path}"
    ds = demo_dataset(seed=7, children=600, end=dt.date(2023, 11, 15))
    Store(url).load_dataset(ds, "Exported 15 Nov 2023", sha256="mid-quarter")
    assert cli.main(["protect", "--db", url]) == 0
    return url, ds


def test_partners_read_this_year_so_far(_mid_quarter_store_file, monkeypatch):
    """Partners choosing 2023-24 on that workbook read it to the end of the reporting quarter, and are told so:
    its KPI 2 is the children whose orders ended from 1 April to 30 September (worked out here by the counting
    rules over those dates), which is also the sum of the two quarters shown beside it."""
    import datetime as dt

    from yj_metrics.periods import Period, quarter

    url, ds = _mid_quarter_store_file
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    at = _run("kpi_detail", monkeypatch, {"indicator": "kpi2_ete", "period": "fy", "q": "2023-24Q2"},
              {"detail_by": "ethnicity"})
    _check(at, "this year so far")
    assert any("2023-24 so far: to the end of 2023-24 Q2" in c.value for c in at.caption)
    figure = next(m for m in at.metric if m.label.startswith("Children / events"))
    so_far = indicators.compute(ds, Period(dt.date(2023, 4, 1), dt.date(2023, 9, 30)), ["kpi2_ete"])[0]
    q1, q2 = (indicators.compute(ds, quarter(2023, n), ["kpi2_ete"])[0] for n in (1, 2))
    assert so_far.numerator == q1.numerator + q2.numerator and so_far.denominator == q1.denominator + q2.denominator
    assert figure.value == f"{so_far.numerator:,.0f} / {so_far.denominator:,.0f}"
    assert any("2023-24 to 30 Sep 2023" in m.label for m in at.metric)
    # the breakdown is of the same months: every group shown is the counting rules' figure over them
    groups = {r.group: r for r in indicators.compute(ds, Period(dt.date(2023, 4, 1), dt.date(2023, 9, 30)),
                                                     ["kpi2_ete"], "ethnicity") if r.indicator == "kpi2_ete"}
    shown = [row for row in at.dataframe[0].value.to_dict("records") if row["numerator"] not in ("<5", "hidden")]
    assert shown and all(row["numerator"] == f"{groups[row['group']].numerator:,.0f}" and
                         row["denominator"] == f"{groups[row['group']].denominator:,.0f}" for row in shown), shown


def test_partners_read_the_last_12_months_by_group(_mid_quarter_store_file, monkeypatch):
    """On that workbook the reporting quarter is 2023-24 Q2, so the last 12 months (1 Oct 2022 to 30 Sep 2023)
    are no financial year. A partner reads KPI 2 for them, by gender: each group shown is the sum of that
    group's counts in the four quarters (worked out here quarter by quarter), and nothing small is sent."""
    import datetime as dt

    from yj_metrics.periods import quarter

    url, ds = _mid_quarter_store_file
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    at = _run("kpi_detail", monkeypatch, {"indicator": "kpi2_ete", "period": "rolling", "q": "2023-24Q2"},
              {"detail_by": "gender"})
    _check(at, "the last 12 months")
    assert any("12 months to 30 Sep 2023" in m.label for m in at.metric)
    assert not any("Partners compare groups by financial year" in c.value for c in at.caption)
    quarters = [quarter(2022, 3), quarter(2022, 4), quarter(2023, 1), quarter(2023, 2)]
    assert quarters[0].start == dt.date(2022, 10, 1) and quarters[-1].end == dt.date(2023, 9, 30)
    sums: dict = {}
    for q in quarters:
        for r in indicators.compute(ds, q, ["kpi2_ete"], "gender"):
            if r.indicator == "kpi2_ete" and r.by == "gender":
                n, d = sums.get(r.group, (0, 0))
                sums[r.group] = (n + r.numerator, d + r.denominator)
    rows = at.dataframe[0].value.to_dict("records")
    assert {row["group"] for row in rows} == set(sums)
    shown = [row for row in rows if row["numerator"] not in ("<5", "hidden", "withheld")]
    assert shown, rows  # boys at least: a partner's question answered
    for row in shown:
        assert (row["numerator"], row["denominator"]) == tuple(f"{x:,.0f}" for x in sums[row["group"]]), row


def test_partners_look_within_a_locality_over_the_last_12_months(_mid_quarter_store_file, monkeypatch):
    """The police analyst's question over the last 12 months (1 Oct 2022 to 30 Sep 2023 on the mid-quarter
    workbook): first-time entrants in the North by ethnicity. The page keeps the 12 months (no fallback to a
    financial year, no "showing all localities"), the title says where and when, and each group shown is the
    North's count summed here quarter by quarter by the counting rules; nothing small is sent."""
    import datetime as dt

    from yj_metrics.filters import Filters, apply_filters
    from yj_metrics.periods import quarter

    url, ds = _mid_quarter_store_file
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    at = _run("kpi_detail", monkeypatch, {"indicator": "fte_count", "period": "rolling", "q": "2023-24Q2"},
              {"detail_by": "ethnicity", "detail_loc": "North"})
    _check(at, "North by ethnicity, last 12 months")
    assert not any("Showing all localities" in i.value for i in at.info)
    assert not any(c.value.startswith(("Within a locality", "Partners compare groups")) for c in at.caption), \
        [c.value for c in at.caption]  # (no other period put in its place)
    titles = [json.dumps(c.get("layout", {}).get("title", "")) for c in _charts(at)]
    assert any("by ethnicity in North (12 months to 30 Sep 2023)" in t for t in titles), titles
    quarters = [quarter(2022, 3), quarter(2022, 4), quarter(2023, 1), quarter(2023, 2)]
    assert quarters[0].start == dt.date(2022, 10, 1) and quarters[-1].end == dt.date(2023, 9, 30)
    north = apply_filters(ds, Filters(locality=("North",)))
    sums: dict = {}
    for q in quarters:
        for r in indicators.compute(north, q, ["fte_count"], "ethnicity"):
            if r.indicator == "fte_count" and r.by == "ethnicity":
                sums[r.group] = sums.get(r.group, 0) + r.numerator
    rows = at.dataframe[0].value.to_dict("records")
    assert {row["group"] for row in rows} == set(sums)
    shown = [row for row in rows if row["numerator"] not in ("<5", "hidden", "withheld")]
    assert shown, rows  # some of the North's groups answered over the 12 months
    for row in shown:
        assert row["numerator"] == f"{sums[row['group']]:,.0f}", row


def test_a_figure_whose_marker_would_give_its_neighbours_away_says_withheld(_mid_quarter_store_file, monkeypatch):
    """On the mid-quarter workbook, 2022-23: four quarters of 1 child in a residential unit and their year of 4,
    all hidden; '<5' on all five would give every count away (the year is at most 4 and at least 1+1+1+1). The
    partner reads 'withheld' on the year, in the chart and wherever the same count is a denominator, with no
    RAG, and the page says what the marker means."""
    import datetime as dt

    from yj_metrics.periods import financial_year

    url, ds = _mid_quarter_store_file
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    year = indicators.compute(ds, financial_year(2022), ["kpi1_accommodation"])
    residential = next(r for r in year if r.indicator == "kpi1_accommodation_type" and r.group == "Residential unit")
    assert residential.numerator == 4 and residential.start == dt.date(2022, 4, 1)  # the case in point
    at = _run("ete_accommodation", monkeypatch, {"period": "fy", "q": "2022-23Q4"})
    _check(at, "withheld")
    assert sum("'withheld' marks a figure that is hidden without saying whether it is small" in c.value
               for c in at.caption) == 1
    bars = next(c for c in _charts(at) if "Accommodation at the end of the order" in json.dumps(c.get("layout", {})))
    texts = {x: t for trace in bars["data"] for x, t in zip(trace.get("y" if trace.get("orientation") == "h" else "x")
                                                            or [], trace.get("text", []) or [])}
    assert texts.get("Residential unit") == "withheld", texts
    assert "<5" not in json.dumps([t for x, t in texts.items() if x == "Residential unit"])


def test_partners_look_within_a_locality_then_by_one_more_dimension(store_url, demo_dataset, monkeypatch):
    """The police analyst's drill-down on the indicators: first-time entrants in the North, by gender, for the
    last financial year. Each group shown is the North's count as a manager reads it with the sidebar's locality filter, and
    the North's and the West's counts add up to the whole service's group (worked out here from the
    unprotected figures: the relation a partner will use, so it must hold for the protection to cover it).
    Nothing small is sent, the title says where, and a year partners cannot look within says so and shows all
    localities instead."""
    from yj_metrics.disclosure import partner_periods
    from yj_metrics.filters import Filters, apply_filters

    periods = partner_periods(demo_dataset.covers)
    fy = periods.years[-1]
    q = periods.quarters[-1]
    at = _run("kpi_detail", monkeypatch, {"indicator": "fte_count", "period": "fy", "q": q.label.replace(" ", "")},
              {"detail_by": "gender", "detail_loc": "North"})
    _check(at, "North by gender")
    assert any("by gender in North" in json.dumps(c.get("layout", {}).get("title", "")) for c in _charts(at))

    def truth(loc):
        ds = apply_filters(demo_dataset, Filters(locality=(loc,))) if loc else demo_dataset
        return {r.group: r.numerator for r in indicators.compute(ds, fy, ["fte_count"], "gender")
                if r.indicator == "fte_count" and r.by == "gender"}

    north, west, whole = truth("North"), truth("West"), truth(None)
    assert set(north) | set(west) == set(whole)
    for g, n in whole.items():
        assert north.get(g, 0) + west.get(g, 0) == n, g
    rows = at.dataframe[0].value.to_dict("records")
    assert {row["group"] for row in rows} == set(north)
    shown = [row for row in rows if row["numerator"] not in ("<5", "hidden", "withheld")]
    assert "Male" in {row["group"] for row in shown}, rows  # the question answered, for boys at least
    for row in shown:
        assert row["numerator"] == f"{north[row['group']]:,.0f}", row

    early = periods.quarters[3]
    assert periods.local_for(early) is None  # a year partners cannot look within a locality
    at = _run("kpi_detail", monkeypatch, {"indicator": "fte_count", "period": "fy",
                                         "q": early.label.replace(" ", "")},
              {"detail_by": "gender", "detail_loc": "North"})
    _check(at, "an early year")
    assert any("Showing all localities" in i.value for i in at.info)
    assert not any(" in North" in json.dumps(c.get("layout", {}).get("title", "")) for c in _charts(at))
