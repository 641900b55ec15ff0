"""Benchmarks: a row names its indicator by id, label or the YJB's short KPI name, and is matched."""
from __future__ import annotations

import pandas as pd
import pytest

from yj_metrics import indicators
from yj_metrics.periods import reporting_quarter
from yj_metrics.targets import benchmarks_frame, indicator_id


@pytest.mark.parametrize("name,expected", [
    ("kpi1_accommodation", "kpi1_accommodation"), ("KPI 1", "kpi1_accommodation"), ("kpi10", "kpi10_victims"),
    ("KPI 2 Education, training and employment", "kpi2_ete"), ("First-time entrants", "fte_rate"),
    ("Somewhere else's measure", "Somewhere else's measure"),
])
def test_indicator_names(name, expected):
    assert indicator_id(name) == expected


@pytest.mark.parametrize("name", ["kpi1_accommodation", "KPI 1", "KPI 1 Suitable accommodation"])
def test_a_kpi_benchmark_row_reaches_the_kpi_result(name, demo_dataset):
    q = reporting_quarter(demo_dataset.covers[1])
    row = pd.DataFrame([(name, pd.Timestamp(q.start), pd.Timestamp(q.end), "National", 88.0)],
                       columns=demo_dataset.benchmarks.columns)
    ds = demo_dataset.with_frames(benchmarks=pd.concat([demo_dataset.benchmarks, row], ignore_index=True))
    r = next(r for r in indicators.compute(ds, q, ["kpi1_accommodation"], benchmarks=benchmarks_frame(ds))
             if r.indicator == "kpi1_accommodation")
    assert [(b.comparator, b.value) for b in r.benchmarks] == [("National", 88.0)]


# ---------------------------------------------------------------- the Settings page's targets

import json  # noqa: E402
from pathlib import Path  # noqa: E402

from streamlit.testing.v1 import AppTest  # noqa: E402

from yj_metrics.registry import INDICATORS  # noqa: E402
from yj_metrics.settings import Settings, Target  # noqa: E402
from yj_metrics.store import Store  # noqa: E402
from yj_metrics.targets import target_problem, targetable  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def _settings_page(monkeypatch) -> AppTest:
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "settings.py"), default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def _save(at: AppTest) -> AppTest:
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception, at.exception
    return at


def test_every_kpi_can_have_a_target_and_only_context_counts_cannot():
    ids = [d.id for d in targetable()]
    assert {f"kpi{i}" for i in range(1, 11)} <= {i.split("_")[0] for i in ids}  # the ten KPIs, 7 and 9 included
    assert "kpi7_wider_services" in ids and "kpi9_serious_violence" in ids
    assert set(INDICATORS) - set(ids) == {"disposals", "caseload_open"}


@pytest.mark.parametrize("green,red,direction,says", [
    (5, None, "lower", "give both"), (12, 8, "lower", "at or below red"), (60, 80, "higher", "at or above red"),
    (90, 120, "higher", "percentages from 0 to 100"), (-1, 3, "lower", "not negative"),
])
def test_a_band_that_cannot_work_is_explained(green, red, direction, says):
    d = INDICATORS["kpi9_serious_violence"] if says == "not negative" else (
        INDICATORS["kpi1_accommodation"] if direction == "higher" else INDICATORS["kpi9_serious_violence"])
    problem = target_problem(d, green, red, direction)
    assert problem and says in problem and d.label in problem
    assert target_problem(d, None, None, direction) is None  # blank = no target


def test_settings_page_sets_kpi7_and_kpi9_targets_by_name_with_units_and_audits_them(store_url, monkeypatch):
    store = Store(store_url)  # a manager cleared KPI 1's target earlier: it must not come back from the defaults
    store.save_settings(Settings(targets={k: v for k, v in Settings().targets.items() if k != "kpi1_accommodation"}))
    at = _settings_page(monkeypatch)
    assert at.number_input(key="target_kpi1_accommodation_green").value is None
    assert not at.data_editor  # no canvas grid
    labels = [n.label for n in at.number_input]
    assert "KPI 9 Serious violence: green at or below (per 10,000 children)" in labels
    assert "KPI 9 Serious violence: red at or above (per 10,000 children)" in labels
    assert "KPI 1 Suitable accommodation: green at or above (%)" in labels
    assert not [lab for lab in labels if "kpi9_serious_violence" in lab or "kpi1_" in lab]  # names, not ids
    at.number_input(key="target_kpi9_serious_violence_green").set_value(3.0)
    at.number_input(key="target_kpi9_serious_violence_red").set_value(5.5)
    at.selectbox(key="target_kpi7_wider_services_direction").set_value("higher")
    at.number_input(key="target_kpi7_wider_services_green").set_value(70.0)
    at.number_input(key="target_kpi7_wider_services_red").set_value(50.0)
    _save(at)
    targets = Store(store_url).get_settings().targets
    assert targets["kpi9_serious_violence"] == Target("kpi9_serious_violence", 3.0, 5.5, "lower")
    assert targets["kpi7_wider_services"] == Target("kpi7_wider_services", 70.0, 50.0, "higher")
    assert "kpi1_accommodation" not in targets  # stays cleared when read back
    assert targets["fte_rate"] == Settings().targets["fte_rate"]  # untouched ones kept
    (row,) = Store(store_url).audit_entries(actions=["settings_changed"]).to_dict("records")
    detail = json.loads(row["detail"])
    assert detail["targets"]["kpi9_serious_violence"] == {
        "before": None, "after": {"green": 3.0, "red": 5.5, "direction": "lower"}}
    assert set(detail["targets"]) == {"kpi9_serious_violence", "kpi7_wider_services"}
    assert "target kpi9_serious_violence" in detail["changed"]
    # the page shows what was saved when it is opened again
    again = _settings_page(monkeypatch)
    assert again.number_input(key="target_kpi9_serious_violence_green").value == 3.0
    assert again.number_input(key="target_kpi1_accommodation_green").value is None


def test_settings_page_refuses_a_band_the_wrong_way_round_and_stores_nothing(store_url, monkeypatch):
    at = _settings_page(monkeypatch)
    at.number_input(key="target_kpi9_serious_violence_green").set_value(6.0)
    at.number_input(key="target_kpi9_serious_violence_red").set_value(4.0)
    at.number_input(key="target_kpi7_wider_services_green").set_value(80.0)  # only green: red missing
    _save(at)
    (error,) = [e.value for e in at.error]
    assert "Nothing was saved" in error and "KPI 9 Serious violence" in error and "KPI 7 Management by wider services" in error
    assert Store(store_url).get_settings() == Settings()
    assert Store(store_url).audit_entries(actions=["settings_changed"]).empty


def test_saved_yot_code_is_kept(store_url, monkeypatch):
    at = _settings_page(monkeypatch)
    at.text_input(key="yot_code").set_value(" 4321 ")
    _save(at)
    assert Store(store_url).get_settings().yot_code == "4321"
