"""A dataset narrowed by a filter: derived frames cut from the whole service's, and shared values."""
from __future__ import annotations

import dataclasses
import pickle

import pandas as pd
import pytest

from yj_metrics import counting, indicators, kpis
from yj_metrics.filters import Filters, apply_filters
from yj_metrics.periods import financial_year, last_quarters, reporting_quarter, rolling_year


def _per_child_frames(ds):
    """Every frame derived with ``Dataset.per_child``, by name."""
    return {
        "kpi_orders": counting.kpi_orders(ds),
        "first_time_entrants": ds.per_child("first_time_entrants", indicators._every_first_time_entrant),
        "index_events": ds.per_child("reoffending_index_events", indicators._index_events),
        **{name: counting.whole_history(ds, name, build) for name, build in (
            ("orders_ending", counting._orders_ending), ("serious_violence", kpis._serious_violence),
            ("oocd_endings", kpis._oocd_endings), ("oocd_children", kpis._oocd_children),
            ("custodial_sentences", indicators._custodial_sentences))},
    }


WHOLE_CHILDREN = [Filters(locality=("North",)), Filters(gender=("Female",)),
                  Filters(ethnicity=("Black", "Mixed"), locality=("West",))]


@pytest.mark.parametrize("flt", WHOLE_CHILDREN, ids=["north", "girls", "black-mixed-west"])
def test_frames_cut_from_the_whole_service_equal_frames_built_for_the_filter(demo_dataset, flt):
    """A filter on the children keeps whole children, so the frames a narrowed dataset cuts from the whole
    service's are the frames a dataset holding only those children builds: same rows, order and index."""
    whole = dataclasses.replace(demo_dataset)
    narrowed = apply_filters(whole, flt)
    alone = dataclasses.replace(narrowed)  # the same frames, nothing to cut from: it builds its own
    assert narrowed._narrowed_from[0] is whole and alone._narrowed_from is None
    cut, built = _per_child_frames(narrowed), _per_child_frames(alone)
    assert {"kpi_orders", "reoffending_index_events", ("orders_ending", "all time")} <= set(whole._memo)  # built there
    everyone = _per_child_frames(whole)
    for name in built:
        assert len(cut[name]) < len(everyone[name]), name
        pd.testing.assert_frame_equal(cut[name], built[name], obj=name)
    assert sum(len(f) > 0 for f in cut.values()) >= len(cut) - 1  # rows to compare (few are in custody)


@pytest.mark.parametrize("flt", [*WHOLE_CHILDREN, Filters(age_band=("15-17",)),
                                 Filters(disposal=("Referral order",), locality=("North",))],
                         ids=["north", "girls", "black-mixed-west", "15-17", "referral-north"])
def test_every_figure_of_a_narrowed_dataset_equals_the_figure_built_alone(demo_dataset, flt):
    """The indicators, overall and by breakdown, over quarters, a rolling and a financial year, are the same
    whether the filtered dataset cuts from the whole service or builds everything itself."""
    whole = dataclasses.replace(demo_dataset)
    narrowed = apply_filters(whole, flt)
    alone = dataclasses.replace(narrowed)
    latest = reporting_quarter(demo_dataset.covers[1])
    for period in (*last_quarters(latest, 2), rolling_year(latest.end), financial_year(latest.start.year - 1)):
        for by in (None, "ethnicity", "disposal"):
            assert indicators.compute(narrowed, period, by=by) == indicators.compute(alone, period, by=by), \
                (period.label, by)


def test_an_age_band_or_disposal_filter_builds_its_own_frames(demo_dataset):
    """Those filters drop rows of the children they keep (orders outside the band or disposal), so nothing
    per child can be cut from the whole service."""
    for flt in (Filters(age_band=("10-14",)), Filters(disposal=("Youth caution",), gender=("Male",))):
        narrowed = apply_filters(demo_dataset, flt)
        parent, kept = narrowed._narrowed_from
        assert parent is demo_dataset and kept is None
        orders = counting.kpi_orders(narrowed)
        whole_orders = counting.kpi_orders(demo_dataset)
        mine = whole_orders[whole_orders["child_id"].isin(set(narrowed.children["child_id"]))]
        assert len(orders) < len(mine)  # cutting by child would have kept rows the filter dropped


def test_values_a_filter_leaves_alone_are_shared_with_the_whole_service(demo_dataset):
    whole = dataclasses.replace(demo_dataset)
    latest = reporting_quarter(demo_dataset.covers[1])
    north = apply_filters(whole, Filters(locality=("North",)))
    older = apply_filters(whole, Filters(age_band=("15-17",)))
    assert kpis.board_sectors(north, latest) is kpis.board_sectors(whole, latest) is kpis.board_sectors(older, latest)
    assert whole.shared("benchmarks", indicators.benchmarks_frame) is north.shared("benchmarks", indicators.benchmarks_frame)


def test_a_pickled_narrowed_dataset_stands_alone_with_the_same_figures(demo_dataset):
    north = apply_filters(dataclasses.replace(demo_dataset), Filters(locality=("North",)))
    copy = pickle.loads(pickle.dumps(north))
    assert copy._narrowed_from is None
    latest = reporting_quarter(demo_dataset.covers[1])
    assert indicators.scorecard(copy, latest) == indicators.scorecard(north, latest)
