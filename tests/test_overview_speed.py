"""The overview's figures: one grouped pass for its five quarters (equal to quarter by quarter, computing
only the headline indicators), the default view warmed once per snapshot, and concurrent sessions sharing
one computation (timings: benchmarks/)."""
from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from yj_metrics import indicators
from yj_metrics.filters import Filters, apply_filters
from yj_metrics.periods import last_quarters, reporting_quarter
from yj_metrics.registry import INDICATORS

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize("flt", [Filters(), Filters(locality=("North",)), Filters(gender=("Female",), age_band=("15-17",))],
                         ids=["whole-service", "north", "girls-15-17"])
def test_grouped_scorecards_equal_quarter_by_quarter(demo_dataset, flt):
    base = apply_filters(demo_dataset, flt)
    latest = reporting_quarter(demo_dataset.covers[1])
    quarters = last_quarters(latest, 5) + [last_quarters(latest, 12)[0]]  # the overview's five and an older one
    every = tuple(INDICATORS)
    # separate dataset objects standing alone (dataclasses.replace forgets the whole service), so the grouped
    # pass cannot lean on frames the per-quarter calls memoised, nor these on the whole service's
    per_quarter = {q: indicators.scorecard(dataclasses.replace(apply_filters(demo_dataset, flt)), q, None, every)
                   for q in quarters}
    grouped = indicators.scorecards(base, quarters, None, every)
    assert list(grouped) == quarters
    for q in quarters:
        assert [r.indicator for r in grouped[q]] == [r.indicator for r in per_quarter[q]]
        assert grouped[q] == per_quarter[q], q.label
    # the headline scorecard (the overview's rows), default settings object given explicitly
    from yj_metrics.settings import Settings

    s = Settings()
    assert indicators.scorecards(base, quarters[:2], s) == {q: indicators.scorecard(base, q, s) for q in quarters[:2]}


def test_grouped_scorecards_refuse_unknown_indicator(demo_dataset):
    with pytest.raises(ValueError, match="Unknown indicator"):
        indicators.scorecards(demo_dataset, [reporting_quarter(demo_dataset.covers[1])], None, ["nope"])


@pytest.fixture
def counted_scorecards(monkeypatch):
    """Counts the calls of the real ``indicators.scorecards`` (the result is the real one)."""
    for t in threading.enumerate():  # a warm-up another test started is not counted here
        if t.name.startswith("yj-warm-"):
            t.join(120)
    calls = []
    real = indicators.scorecards

    def counting(ds, quarters, settings=None, wanted=None):
        calls.append((id(ds), tuple(quarters)))
        return real(ds, quarters, settings, wanted)

    monkeypatch.setattr(indicators, "scorecards", counting)
    return calls


def test_warm_up_computes_the_default_view_once_and_the_overview_uses_it(store_url, monkeypatch, counted_scorecards):
    from streamlit.testing.v1 import AppTest

    from ui import data

    monkeypatch.setenv("YJ_ROLE", "board")
    snapshot = data.get_store().latest().id
    thread = data.warm_up(store_url, snapshot, partners=False)
    assert thread is not None
    assert data.warm_up(store_url, snapshot) is None  # once per snapshot
    thread.join(300)
    assert not thread.is_alive()
    assert len(counted_scorecards) == 1  # the board's view, once
    quarters = data.default_quarters(data._dataset(store_url, snapshot))
    assert all(q == quarters for _, q in counted_scorecards)

    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=120)
    at.run()
    assert not at.exception
    table = next(m.value for m in at.main.markdown if m.value.startswith("| Indicator |"))
    assert len(table.splitlines()) - 2 == 13  # the scorecard's row for every headline indicator
    assert len(counted_scorecards) == 1  # the first visitor found the figures ready


def test_clear_caches_warms_the_live_snapshot_again(store_url, monkeypatch, counted_scorecards):
    from ui import data

    monkeypatch.setenv("YJ_WARM_UP", "board")  # as a server does (without the long partner protection)
    snapshot = data.get_store().latest().id
    assert data.live_snapshot_id() == snapshot  # the first sight of the snapshot starts the warm-up
    for t in [t for t in threading.enumerate() if t.name == f"yj-warm-{snapshot}"]:
        t.join(300)
    assert len(counted_scorecards) == 1
    data.live_snapshot_id()
    assert len(counted_scorecards) == 1
    data.clear_caches()  # as after an upload or a settings change
    for t in [t for t in threading.enumerate() if t.name == f"yj-warm-{snapshot}"]:
        t.join(300)
    assert len(counted_scorecards) == 2


def test_two_sessions_asking_at_once_share_one_computation(store_url, counted_scorecards):
    from ui import data

    snapshot = data.get_store().latest().id
    settings_json = data._settings_json(store_url)
    quarters = data.default_quarters(data._dataset(store_url, snapshot))
    north = Filters(locality=("North",))
    start, results = threading.Barrier(2), []

    def session():
        start.wait()
        results.append(data._scorecards(store_url, snapshot, quarters, north, settings_json, False))

    threads = [threading.Thread(target=session) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(results) == 2 and results[0] == results[1]
    north_calls = [c for c in counted_scorecards if c[1] == quarters and c[0] == id(data._filtered(store_url, snapshot, north))]
    assert len(north_calls) == 1


def test_dataset_memo_computes_once_for_concurrent_callers(demo_dataset):
    ds = apply_filters(demo_dataset, Filters(locality=("West",)))
    made, start = [], threading.Barrier(4)

    def make():
        made.append(1)
        return indicators.reoffending_cohort(ds, reporting_quarter(ds.covers[1]))

    def ask():
        start.wait()
        ds.memo("test-key", make)

    threads = [threading.Thread(target=ask) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(made) == 1


def test_a_boards_local_server_does_not_warm_the_partner_view(store_url, monkeypatch, counted_scorecards):
    """Local mode with the board role: no partner can come, so the warm-up computes the board's view only
    (the partner protection would take the CPU from the meeting's sessions). With the partner role, or with
    sign-in configured, partners can come and their view is warmed too."""
    from ui import auth, data

    monkeypatch.setenv("YJ_WARM_UP", "all")
    monkeypatch.setenv("YJ_ROLE", "board")
    assert auth.sign_in_state() == "local" and not auth.partners_may_come()
    snapshot = data.get_store().latest().id
    data.live_snapshot_id()
    for t in [t for t in threading.enumerate() if t.name == f"yj-warm-{snapshot}"]:
        t.join(300)
    assert len(counted_scorecards) == 1  # the board's scorecards; none for partners
    monkeypatch.setenv("YJ_ROLE", "partner")
    assert auth.partners_may_come()


@pytest.mark.parametrize("role", ["board", "partner"])
def test_warm_up_prepares_each_indicators_detail_as_the_scorecard_opens_it(store_url, monkeypatch, role):
    """After the warm-up, opening any headline indicator from the scorecard (KPI detail for the reporting
    quarter) computes nothing: its figure, its last 8 quarters and its first breakdown are in the cache."""
    from streamlit.testing.v1 import AppTest

    from ui import data
    from yj_metrics.disclosure import NOT_FOR_PARTNERS
    from yj_metrics.indicators import HEADLINE

    monkeypatch.setenv("YJ_ROLE", role)
    snapshot = data.get_store().latest().id
    settings_json = data._settings_json(store_url)
    quarters = data.default_quarters(data._dataset(store_url, snapshot))
    if role == "partner":
        data._protection(store_url, snapshot, settings_json).prepare()
    data.warm_details(store_url, snapshot, quarters[-1], settings_json, role == "partner")
    opened = [i for i in HEADLINE if role != "partner" or i not in NOT_FOR_PARTNERS]
    for ind in (opened[0], opened[len(opened) // 2], opened[-1]):
        before = dict(data.COMPUTED)
        at = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=300)
        at.query_params["indicator"] = ind
        at.run()
        assert not at.exception, at.exception
        assert at.selectbox(key="detail_select").value == ind
        assert dict(data.COMPUTED) == before, f"{ind}: computed {dict(data.COMPUTED)} after {before}"
