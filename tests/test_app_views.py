"""The right figures in the right place (AppTest over a real SQLite store holding the demo):
reoffending opens on the scorecard's cohort, benchmarks stand only beside whole-service
figures, KPI benchmarks reach the KPI detail page, every choice on a page survives a copied
link, and tables speak plain words."""
from __future__ import annotations

import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.test_app_pages import PAGES, ROOT, _text
from ui import fmt
from yj_metrics import indicators
from yj_metrics.periods import reporting_quarter
from yj_metrics.store import Store


def _run(page, role, monkeypatch, **query) -> AppTest:
    monkeypatch.setenv("YJ_ROLE", role)
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=180)
    for k, v in query.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    return at


def _param(at, key):
    v = at.query_params.get(key)
    return v[-1] if isinstance(v, list) else v


def _traces(at) -> list[str]:
    names = []
    for el in at.get("plotly_chart"):
        spec = json.loads(el.proto.spec or "{}")
        names += [t.get("name") for t in spec.get("data", [])]
    return names


# ----------------------------------------------------------------- reoffending

def test_reoffending_opens_on_the_scorecards_cohort(store_url, monkeypatch, demo_dataset):
    at = _run("reoffending", "manager", monkeypatch)
    q = reporting_quarter(demo_dataset.covers[1])
    card = indicators.scorecard(demo_dataset, q, indicators=["reoffending_rate"])[0]
    assert not card.incomplete
    metric = at.metric[0]
    assert metric.value == fmt.value(card.value, card.unit)  # what the overview's scorecard shows
    assert "not complete" not in metric.label
    cohort = indicators.reporting_period("reoffending_rate", q)
    assert f"in {cohort.label}:" in _text(at)
    assert not [w for w in at.warning if "not yet complete" in w.value]


def test_an_incomplete_cohort_is_not_presented_as_final(store_url, monkeypatch):
    at = _run("reoffending", "manager", monkeypatch, period="rolling")
    assert any("not final" in w.value for w in at.warning)
    assert all("follow-up not complete" in m.label for m in at.metric)
    table = at.dataframe[0].value
    assert (table["follow-up"] == "complete").any() and table["follow-up"].str.contains("not complete").any()
    assert any(n and "follow-up not complete" in n for n in _traces(at))  # dashed line and hatched bars


# ----------------------------------------------------------------- benchmarks

def test_filtered_kpi_detail_shows_no_benchmark_or_rank(store_url, monkeypatch):
    at = _run("kpi_detail", "manager", monkeypatch, indicator="fte_rate", loc="North", eth="Black")
    text = _text(at)
    assert text.count("Benchmarks are for the whole service") == 1
    shown = "\n".join(m.value for m in at.markdown)
    assert "National" not in shown and "rank" not in shown and "Family" not in shown
    assert "National" not in _traces(at)


def test_unfiltered_kpi_detail_shows_benchmarks(store_url, monkeypatch):
    at = _run("kpi_detail", "manager", monkeypatch, indicator="fte_rate")
    shown = "\n".join(m.value for m in at.markdown)
    assert "**Benchmarks** National" in shown and ("below National" in shown or "above National" in shown)
    assert "Benchmarks are for the whole service" not in _text(at)
    assert "National" in _traces(at)


def test_a_kpi_benchmark_row_appears_on_the_kpi_detail_page(tmp_path, monkeypatch, demo_dataset):
    q = reporting_quarter(demo_dataset.covers[1])
    row = pd.DataFrame([("KPI 1", pd.Timestamp(q.start), pd.Timestamp(q.end), "Regional", 87.5)],
                       columns=demo_dataset.benchmarks.columns)
    ds = demo_dataset.with_frames(benchmarks=pd.concat([demo_dataset.benchmarks, row], ignore_index=True))
    url = f"sqlite:///{tmp_path / 'kpi.db'}"
    Store(url).load_dataset(ds, "Demo data (synthetic)", sha256="demo-kpi", is_demo=True)
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    at = _run("kpi_detail", "manager", monkeypatch, indicator="kpi1_accommodation")
    shown = "\n".join(m.value for m in at.markdown).replace("\\", "")  # markdown escapes
    assert "**Benchmarks** Regional 87.5%" in shown
    assert "Regional (87.5%)" in shown  # and in the sentence


# ----------------------------------------------------------------- choices in the URL

ROUND_TRIPS = {  # page: [(widget kind, key, URL key, value in the link, value chosen next)]
    "kpi_detail": [("selectbox", "detail_select", "indicator", "kpi2_ete", "kpi1_accommodation"),
                   ("radio", "detail_by", "by", "gender", "locality")],
    "disproportionality": [("selectbox", "dp_base", "stage", "population", "previous"),
                           ("selectbox", "dp_pool", "pool", "2", 3),
                           ("selectbox", "dp_ref_age_band", "ref", "10-14", "15-17"),
                           ("selectbox", "dp_by", "cmp", "age_band", "gender")],
    "reoffending": [("radio", "re_by", "by", "gender", "locality")],
    "disposals_caseload": [("radio", "case_by", "by", "locality", "scaled_approach")],
}


@pytest.mark.parametrize("page", list(ROUND_TRIPS))
def test_every_choice_round_trips_through_the_url(page, store_url, monkeypatch):
    trips = ROUND_TRIPS[page]
    at = _run(page, "manager", monkeypatch, loc="North", **{p: v for _, _, p, v, _ in trips})
    for kind, key, param, linked, _ in trips:
        assert str(getattr(at, kind)(key=key).value) == linked, key
    for kind, key, param, _, chosen in trips:
        getattr(at, kind)(key=key).set_value(chosen).run()
        assert not at.exception
        assert str(getattr(at, kind)(key=key).value) == str(chosen)
        assert _param(at, param) == str(chosen), (param, dict(at.query_params))
    assert _param(at, "loc") == "North"  # the sidebar's keys are kept beside the page's


def test_an_unknown_choice_in_a_link_falls_back_silently(store_url, monkeypatch):
    at = _run("disproportionality", "manager", monkeypatch, cmp="shoe_size", stage="moon", pool="9", ref="<b>x</b>")
    assert at.selectbox(key="dp_by").value == "ethnicity" and at.selectbox(key="dp_pool").value == 1
    assert at.selectbox(key="dp_base").value == "previous" and at.selectbox(key="dp_ref_ethnicity").value == "White"
    assert _param(at, "cmp") == "ethnicity" and _param(at, "pool") == "1"


def test_partners_links_keep_only_what_partners_may_see(store_url, monkeypatch):
    at = _run("disproportionality", "partner", monkeypatch, cmp="gender", pool="3")
    assert at.selectbox(key="dp_by").value == "gender"
    assert at.selectbox(key="dp_pool").value == 1 and _param(at, "pool") == "1"


# ----------------------------------------------------------------- tables

@pytest.mark.parametrize("page", PAGES)
def test_tables_have_plain_column_names_and_no_none(page, store_url, monkeypatch):
    at = _run(page, "manager", monkeypatch)
    for el in at.dataframe:
        df = el.value
        assert not [c for c in df.columns if "_" in str(c)], (page, list(df.columns))
        cells = [(c, v) for c in df.columns for v in df[c] if v is None or str(v) in ("None", "nan", "<NA>", "NaT")]
        assert not cells, (page, cells[:5])
