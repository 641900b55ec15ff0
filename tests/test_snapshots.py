"""Snapshot history: what changed, rollback (SQLite and PostgreSQL), the Snapshots page, the stale-data
warning, and banners that follow an upload or a settings change in the same run."""
from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.broken_workbooks import valid_xlsx
from tests.builders import Service
from yj_metrics.changes import ID_COLUMNS, id_changes
from yj_metrics.dataset import FRAME_OF_SHEET, Dataset
from yj_metrics.demo import demo_dataset as make_demo
from yj_metrics.errors import StoreReadOnlyError
from yj_metrics.store import Store, snapshots as snapshots_table

ROOT = Path(__file__).resolve().parents[1]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _same_data(a, b) -> None:
    for frame in FRAME_OF_SHEET.values():
        pd.testing.assert_frame_equal(getattr(a, frame), getattr(b, frame), obj=frame)


def _expected_changes(before, after) -> dict[str, tuple[int, int]]:
    """Added and removed per sheet, straight from the two datasets' id sets."""
    out = {}
    for frame, (sheet, column) in ID_COLUMNS.items():
        old = set(getattr(before, frame)[column].dropna())
        new = set(getattr(after, frame)[column].dropna())
        out[sheet] = (len(new - old), len(old - new))
    return out


def _next_month():
    """A later workbook: more children than the demo, less 50 of them (with their records)."""
    ds = make_demo(seed=2, children=700)
    gone = set(ds.children["child_id"][:50])
    frames = {f: getattr(ds, f) for f in FRAME_OF_SHEET.values()}
    return Dataset.from_frames(**{f: df[~df["child_id"].isin(gone)] if "child_id" in df.columns else df
                                  for f, df in frames.items()})


def _rows_in_data_tables(store: Store) -> int:
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT count(*) FROM children")).scalar()


# ---------------------------------------------------------------- the store

def test_rollback_makes_the_first_snapshot_live_again(db_url, demo_dataset):
    store = Store(db_url)
    first = store.load_dataset(demo_dataset, "march.xlsx", sha256="a" * 64, loaded_by="ann").snapshot
    first_data = store.dataset(first.id)
    second = store.load_dataset(make_demo(seed=2, children=150), "april.xlsx", sha256="b" * 64).snapshot
    assert store.latest().id == second.id
    rows = _rows_in_data_tables(store)

    info = store.make_live(first.id, "ann@council.example",
                           audit={"subject": "sub-1", "email": "ann@council.example", "role": "manager"})
    assert info.id == first.id and store.latest().id == first.id
    assert [s.id for s in store.snapshots()] == [first.id, second.id]
    _same_data(store.dataset(), first_data)
    assert store.dataset().snapshot_id == first.id
    assert _rows_in_data_tables(store) == rows  # nothing copied
    (row,) = store.audit_entries(actions=["rollback"]).to_dict("records")
    assert json.loads(row["detail"])["from_snapshot"] == second.id
    assert json.loads(row["detail"])["to_snapshot"] == first.id == row["snapshot_id"]
    assert (row["subject"], row["email"], row["role"]) == ("sub-1", "ann@council.example", "manager")
    assert abs(row["at"] - dt.datetime.now(dt.timezone.utc)) < dt.timedelta(minutes=5)
    with store.engine.connect() as conn:
        seqs = dict(conn.execute(sa.select(snapshots_table.c.id, snapshots_table.c.commit_seq)).all())
    assert seqs[first.id] == max(seqs.values()) == seqs[second.id] + 1

    with pytest.raises(ValueError, match="already the live data"):
        store.make_live(first.id, "ann")
    with pytest.raises(LookupError):
        store.make_live(999, "ann")
    store.make_live(second.id, "ann")  # and forward again
    assert store.latest().id == second.id
    assert [json.loads(d)["to_snapshot"] for d in store.audit_entries(actions=["rollback"])["detail"]] == [
        second.id, first.id]


def test_rollback_on_a_read_only_store_says_so_and_changes_nothing(tmp_path, demo_dataset):
    url = f"sqlite:///{tmp_path / 'yj.db'}"
    writer = Store(url)
    first = writer.load_dataset(demo_dataset, "march.xlsx", sha256="a" * 64).snapshot
    second = writer.load_dataset(make_demo(seed=2, children=100), "april.xlsx", sha256="b" * 64).snapshot
    writer.engine.dispose()
    store = Store(url, read_only=True)
    with pytest.raises(StoreReadOnlyError) as info:
        store.make_live(first.id, "ann")
    assert str(tmp_path / "yj.db") in info.value.message and "read-only" in info.value.message
    assert store.latest().id == second.id and store.audit_entries().empty


def test_what_changed_counts_match_the_id_sets(demo_dataset):
    after = _next_month()
    expected = _expected_changes(demo_dataset, after)
    assert all(added and removed for added, removed in expected.values())  # both ways, on every sheet
    got = {c.sheet: (c.added, c.removed) for c in id_changes(demo_dataset, after)}
    assert got == expected
    counts = {c.sheet: (c.before, c.after) for c in id_changes(demo_dataset, after)}
    assert counts["Children"] == (len(demo_dataset.children), len(after.children))


# ---------------------------------------------------------------- the Snapshots page

def _page(name: str, role: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("YJ_ROLE", role)
    at = AppTest.from_file(str(ROOT / "pages" / f"{name}.py"), default_timeout=300)
    at.run()
    assert not at.exception, at.exception
    return at


def _texts(at: AppTest) -> list[str]:
    return [w.value for w in at.warning] + [e.value for e in at.error] + [s.value for s in at.success]


def test_snapshots_page_shows_what_changed_and_rolls_back_after_confirming(store_url, monkeypatch):
    store = Store(store_url)
    demo_id = store.latest().id
    new = store.load_dataset(_next_month(), "april.xlsx", sha256="b" * 64,
                             loaded_by="ann@council.example").snapshot
    at = _page("snapshots", "manager", monkeypatch)
    listed, shown, headline = (d.value for d in at.dataframe if "kept from before" not in d.value.columns)
    assert listed["snapshot"].tolist() == [new.id, demo_id] and listed["live"].tolist() == [True, False]
    assert listed["loaded by"].tolist()[0] == "ann@council.example"
    shown = shown.set_index("sheet")
    expected = _expected_changes(store.dataset(demo_id), store.dataset(new.id))
    assert {s: (r.added, r.removed) for s, r in shown.iterrows()} == expected
    assert headline["figure"].tolist() == ["First-time entrants (number)", "Custodial sentences (number)",
                                           "Open caseload"]

    at.selectbox(key="snapshot_pick").set_value(demo_id).run()
    at.button(key="rollback").click().run()
    assert store.latest().id == new.id  # asked first, nothing changed yet
    assert any("Go ahead?" in w for w in _texts(at))
    at.button(key="rollback_cancel").click().run()
    assert store.latest().id == new.id and not any("Go ahead?" in w for w in _texts(at))
    at.button(key="rollback").click().run()
    at.button(key="rollback_confirm").click().run()
    assert not at.exception, at.exception
    assert store.latest().id == demo_id
    assert any(f"Snapshot #{demo_id} is the live data again" in s for s in _texts(at))
    assert any(w.startswith("**Demo data.**") for w in _texts(at))  # the banner follows at once
    (row,) = store.audit_entries(actions=["rollback"]).to_dict("records")
    assert json.loads(row["detail"])["from_snapshot"] == new.id and row["role"] == "manager"


def test_snapshots_page_is_for_managers_only(store_url, monkeypatch):
    for role in ("board", "partner"):
        at = _page("snapshots", role, monkeypatch)
        assert any(e.value.startswith("Access denied") for e in at.error) and not at.button


def test_snapshots_page_on_a_read_only_store_offers_no_rollback(sealable_folder, monkeypatch, demo_dataset):
    folder, seal = sealable_folder
    url = f"sqlite:///{folder / 'app.db'}"
    store = Store(url)
    store.load_dataset(demo_dataset, "march.xlsx", sha256="a" * 64)
    store.load_dataset(make_demo(seed=2, children=100), "april.xlsx", sha256="b" * 64)
    store.engine.dispose()
    seal()
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    at = _page("snapshots", "manager", monkeypatch)
    at.selectbox(key="snapshot_pick").set_value(1).run()
    assert any("read-only, so no snapshot can be made live" in e for e in _texts(at))
    assert not [b for b in at.button if b.key == "rollback"]


# ---------------------------------------------------------------- banners

def _load_real(url: str, days_ago: int) -> int:
    store = Store(url)
    _, result = store.load(valid_xlsx(), "april.xlsx", loaded_by="ann")
    with store.engine.begin() as conn:
        conn.execute(snapshots_table.update().where(snapshots_table.c.id == result.snapshot.id).values(
            loaded_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=days_ago)))
    return result.snapshot.id


def _stale(at: AppTest) -> list[str]:
    return [w.value for w in at.warning if "may be out of date" in w.value]


@pytest.mark.parametrize("page", ["overview", "settings"])
def test_stale_data_warning_after_the_settings_days(page, store_url, monkeypatch):
    _load_real(store_url, days_ago=60)
    loaded = (dt.datetime.now(dt.timezone.utc) - dt.timedelta(days=60)).date()
    (warning,) = _stale(_page(page, "manager", monkeypatch))
    assert f"loaded on {loaded.day} {loaded:%b %Y}, 60 days ago (more than the 45 days" in warning


def test_no_stale_warning_for_recent_data_until_the_setting_says_so(store_url, monkeypatch):
    _load_real(store_url, days_ago=10)
    for role in ("manager", "board"):
        assert not _stale(_page("kpi_detail", role, monkeypatch))
    at = _page("settings", "manager", monkeypatch)
    at.number_input(key="stale_after_days").set_value(7)
    next(b for b in at.button if b.label == "Save settings").click().run()
    assert not at.exception, at.exception
    assert Store(store_url).get_settings().stale_after_days == 7
    assert "10 days ago (more than the 7 days" in _stale(at)[0]  # the same run: the banner follows the save
    assert any(s.value == "Settings saved. Every page now uses them." for s in at.success)


def test_demo_banner_goes_in_the_same_run_as_the_upload(store_url, monkeypatch):
    at = _page("upload", "manager", monkeypatch)
    assert any(w.value.startswith("**Demo data.**") for w in at.warning)
    at.file_uploader(key="workbook").set_value(("april.xlsx", valid_xlsx(), XLSX)).run()
    assert not at.exception, at.exception
    assert any("Stored as snapshot" in s.value for s in at.success)
    assert not any(w.value.startswith("**Demo data.**") for w in at.warning)
    assert "live data: snapshot #2" in " ".join(c.value for c in at.sidebar.caption)
    at.run()  # running again does not load or audit the same file again
    assert [json.loads(d)["outcome"] for d in Store(store_url).audit_entries(actions=["upload"])["detail"]] == [
        "accepted"]
    assert any("Stored as snapshot" in s.value for s in at.success)


# ---------------------------------------------------------------- the cases behind the counts

def _two_months():
    """May's and June's snapshots of one small service, built by hand. May's data end on 31 May 2023.

    I1 referral order, open in May, ended 10 Jun in June          -> closed (Referral order)
    I2 YRO open in both; its team corrected from A to B            -> a correction, nothing else
    I3 DTO ended 1 Mar in both                                      -> nothing
    I4 youth caution ended 1 May in May, end blank in June          -> reopened
    I5 referral order ended 20 Apr in May, 25 Apr in June           -> end date moved
    I6 new in June: referral order from 5 Jun, open                 -> opened (Referral order)
    I7 new in June: community resolution 2-20 Jun                   -> opened and closed (out of court)
    I8 new in June: YRO Jan-Jun 2022                                -> added late (backdated)
    O9 new outcome 3 Jun (referral order); O10 new outcome Dec 2022 -> one new outcome, one added late
    child C2's gender corrected
    """
    def month(june: bool):
        s = Service()
        c1, c2 = s.child(cid="C1"), s.child(cid="C2", gender="Female" if june else "Male")
        s.outcome(c1, "2023-05-31", "Referral Order", outcome_id="O1")
        s.order(c1, "Referral Order", "2023-01-01", "2023-06-10" if june else None, intervention_id="I1")
        s.order(c1, "Youth Rehabilitation Order", "2023-02-01", team="B" if june else "A", intervention_id="I2")
        s.order(c2, "Detention and Training Order", "2022-09-01", "2023-03-01", intervention_id="I3")
        s.order(c2, "Youth Caution", "2023-02-15", None if june else "2023-05-01", intervention_id="I4")
        s.order(c2, "Referral Order", "2022-10-01", "2023-04-25" if june else "2023-04-20", intervention_id="I5")
        if june:
            s.order(c1, "Referral Order", "2023-06-05", intervention_id="I6")
            s.order(c2, "Community Resolution", "2023-06-02", "2023-06-20", intervention_id="I7")
            s.order(c2, "Youth Rehabilitation Order", "2022-01-01", "2022-06-01", intervention_id="I8")
            s.outcome(c1, "2023-06-03", "Referral Order", outcome_id="O9")
            s.outcome(c2, "2022-12-01", "Youth Caution", outcome_id="O10")
        return s.build()

    return month(False), month(True)


def test_case_changes_between_two_hand_built_months():
    from yj_metrics.changes import Correction, TypeCount, case_changes

    may, june = _two_months()
    ch = case_changes(may, june)
    assert (ch.since, ch.until) == (dt.date(2023, 5, 31), dt.date(2023, 6, 20))
    assert ch.closed == (TypeCount("Out-of-court with YJS intervention", 1), TypeCount("Referral order", 1))
    assert ch.closed_total == 2
    assert ch.opened == (TypeCount("Out-of-court with YJS intervention", 1), TypeCount("Referral order", 1))
    assert (ch.reopened, ch.end_moved, ch.backdated) == (1, 1, 2)
    assert ch.new_outcomes == (TypeCount("Referral Order", 1),)
    assert set(ch.corrected) == {Correction("Interventions", "team", 1), Correction("Children", "gender", 1)}


def test_no_change_is_no_change(demo_dataset):
    from yj_metrics.changes import case_changes

    ch = case_changes(demo_dataset, demo_dataset)
    assert ch.closed == ch.opened == ch.new_outcomes == ch.corrected == ()
    assert ch.reopened == ch.end_moved == ch.backdated == 0


def test_orders_closed_in_the_month_match_a_separate_count(demo_dataset):
    """The demo one month on, with 25 of its open orders closed: counted again here from the two frames
    with plain Python (ids whose end date was blank and is set)."""
    from yj_metrics.changes import case_changes

    iv = demo_dataset.interventions
    open_ = iv[iv["end_date"].isna() & ~iv["intervention_type"].isin(["Prevention", "Turnaround"])]
    assert len(open_) >= 25
    closing = list(open_["intervention_id"][:25])
    end = pd.Timestamp(demo_dataset.covers[1]) + pd.Timedelta(days=10)
    later = demo_dataset.with_frames(interventions=iv.assign(
        end_date=iv["end_date"].where(~iv["intervention_id"].isin(closing), end),
        completion=iv["completion"].where(~iv["intervention_id"].isin(closing), "Completed")))
    ch = case_changes(demo_dataset, later)
    before = dict(zip(iv["intervention_id"], iv["end_date"]))
    expected = sum(1 for i, e in zip(later.interventions["intervention_id"], later.interventions["end_date"])
                   if pd.isna(before[i]) and not pd.isna(e))
    assert ch.closed_total == expected == 25
    assert ch.since == demo_dataset.covers[1]
    assert [c for c in ch.corrected if c.column == "completion"][0].records == 25  # reported as corrections too


@pytest.mark.parametrize("role", ["manager", "board"])
def test_data_quality_page_shows_orders_closed_and_what_else_changed(role, tmp_path, monkeypatch):
    may, june = _two_months()
    url = f"sqlite:///{tmp_path / 'dq.db'}"
    store = Store(url)
    store.load_dataset(may, "may.xlsx", sha256="a" * 64)
    june_id = store.load_dataset(june, "june.xlsx", sha256="b" * 64).snapshot.id
    monkeypatch.setenv("YJ_DATABASE_URL", url)
    at = _page("data_quality", role, monkeypatch)
    assert at.selectbox(key="dq_snapshot").value == june_id
    text = " ".join(m.value for m in at.markdown).replace("\\", "")
    assert ("31 May 2023: 2 closed, 2 opened, 1 reopened (an end date removed) and 1 end date changed. "
            "1 new outcome; 2 records added late") in text
    frames = [d.value for d in at.dataframe]
    closed = next(f for f in frames if list(f.columns) == ["type", "closed", "opened"]).set_index("type")
    assert closed.loc["Referral order"].tolist() == [1, 1]
    assert closed.loc["Out-of-court with YJS intervention"].tolist() == [1, 1]
    corrected = {(r.sheet, r.column): r.records
                 for r in next(f for f in frames if list(f.columns) == ["sheet", "column", "records"]).itertuples()}
    assert corrected == {("Interventions", "team"): 1, ("Children", "gender"): 1}
