"""The demo service: valid, deterministic, and shaped like the source plans."""
import pandas as pd

from yj_metrics import demo, validation
from yj_metrics.writing import dataset_to_xlsx


def test_demo_workbook_validates_with_no_problems(demo_xlsx_path):
    report = validation.validate_bytes(demo_xlsx_path.read_bytes(), demo_xlsx_path.name)
    assert report.ok, report.to_frame().head(10).to_string()
    assert report.errors == () and report.warnings == ()


def test_demo_is_deterministic_for_a_seed():
    a, b, other = demo.demo_dataset(seed=3, children=200), demo.demo_dataset(seed=3, children=200), demo.demo_dataset(seed=4, children=200)
    pd.testing.assert_frame_equal(a.outcomes, b.outcomes)
    assert not a.outcomes["outcome_type"].equals(other.outcomes["outcome_type"])


def test_children_count_is_honoured_and_ids_are_pseudonymous():
    ds = demo.demo_dataset(seed=1, children=250)
    assert len(ds.children) == 250
    assert ds.children["child_id"].str.fullmatch(r"C\d{6}").all()
    assert not any("name" in col or "address" in col for col in ds.children.columns)


def test_demo_mix_is_like_the_source_plans(demo_dataset):
    ds = demo_dataset
    eth = ds.children["ethnicity_group"].value_counts(normalize=True)
    assert 0.6 < eth["White"] < 0.85
    assert eth["Mixed"] > eth["Other"] and eth["Black"] > eth["Other"] and eth["Asian"] > 0
    assert 0.7 < (ds.children["gender"] == "Male").mean() < 0.9
    assert 0.35 < (ds.outcomes["tier"] == "Diversion").mean() < 0.65
    assert 0 < (ds.outcomes["tier"] == "Custody").mean() < 0.08
    assert set(ds.children["locality"]) == {"North", "West"}
    # five financial years of data, every sheet filled
    start, end = ds.covers
    assert (end - start).days > 4 * 365
    assert all(n > 0 for n in ds.row_counts.values())
    # some children reoffend, a few prolifically
    per_child = ds.outcomes.groupby("child_id").size()
    assert (per_child >= 2).mean() > 0.1 and (per_child >= 5).sum() >= 3


def test_demo_round_trips_through_a_real_workbook(tmp_path):
    ds = demo.demo_dataset(seed=5, children=150)
    path = tmp_path / "demo.xlsx"
    path.write_bytes(dataset_to_xlsx(ds))
    back = validation.validate_bytes(path.read_bytes(), "demo.xlsx").dataset
    for frame in ("children", "outcomes", "interventions", "victims", "remands", "population"):
        a, b = getattr(ds, frame), getattr(back, frame)
        pd.testing.assert_frame_equal(a.reset_index(drop=True), b.reset_index(drop=True), check_dtype=False,
                                      obj=frame)
