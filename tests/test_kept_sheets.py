"""Victims, Remands, Board attendance, Population and Benchmarks: uploaded on their own and kept across
monthly exports that lack them (issue 22 item 6), on a real SQLite file and a real PostgreSQL server."""
from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa

from tests.broken_workbooks import to_xlsx, valid_workbook_rows
from tests.test_store import _fingerprint, _table_dump
from yj_metrics.demo import demo_dataset
from yj_metrics.reading import bundle_bytes, read_files
from yj_metrics.store import OWN_SHEETS, Store, sheets_on_their_own

D = dt.date
CORE = ("Children", "Outcomes", "Interventions")


def _april() -> bytes:
    """Every sheet of the template."""
    return to_xlsx(valid_workbook_rows())


def _may() -> bytes:
    """A monthly export with the case sheets only, one child more than April."""
    rows = {k: v for k, v in valid_workbook_rows().items() if k in CORE}
    rows["Children"].append(["C006", D(2009, 7, 1), "Female", "Asian - Indian", "West", "Y", "N"])
    return to_xlsx(rows)


def _population_csv(*lines: str) -> bytes:
    return ("locality,gender,ethnicity,age,age_band,population,year\r\n" + "".join(l + "\r\n" for l in lines)).encode()


def _frame(store: Store, snapshot_id: int, frame: str) -> pd.DataFrame:
    return getattr(store.dataset(snapshot_id), frame)


def test_a_monthly_export_without_the_other_sheets_keeps_the_stored_ones_and_says_where_from(db_url):
    store = Store(db_url)
    _, april = store.load(_april(), "april.xlsx", loaded_by="m")
    report, may = store.load(_may(), "may.xlsx", loaded_by="m")
    assert report.ok and may.created
    a, m = april.snapshot.id, may.snapshot.id
    for frame in ("victims", "remands", "board_attendance", "population", "benchmarks"):
        pd.testing.assert_frame_equal(_frame(store, m, frame), _frame(store, a, frame), obj=frame)
    assert len(_frame(store, m, "children")) == 6  # the new export's own case data
    rows = valid_workbook_rows()
    expected_counts = {sheet: len(rows[sheet]) - 1 for sheet in rows}
    expected_counts["Children"] += 1
    assert may.snapshot.row_counts == expected_counts
    sources = {s.sheet: s for s in store.sheet_sources(m)}
    assert [(s.file_name, s.kept, s.first_snapshot) for s in (sources[x] for x in CORE)] == [("may.xlsx", False, m)] * 3
    for sheet in OWN_SHEETS:
        assert (sources[sheet].file_name, sources[sheet].kept, sources[sheet].first_snapshot) == ("april.xlsx", True, a)
        assert sources[sheet].loaded_at == april.snapshot.loaded_at
    assert sources["Population"].rows == 3
    assert "Kept from before: Victims: 2 rows kept from april.xlsx" in may.message


def test_sheets_uploaded_on_their_own_go_with_the_live_case_data_and_are_kept_next_month(db_url, tmp_path):
    store = Store(db_url)
    _, april = store.load(_april(), "april.xlsx")
    pop = (tmp_path / "Population.csv")
    pop.write_bytes(_population_csv("North,Male,White,12,,1500,2024", "West,Female,Asian,,15-17,410,2024"))
    files = [(pop.name, pop.read_bytes())]
    raw = read_files(files)
    assert sheets_on_their_own(raw) == ("Population",)
    report, result = store.load_sheets(bundle_bytes(files), "Population.csv", loaded_by="m", raw=raw)
    assert report.ok and result.created, report.errors
    p = result.snapshot.id
    population = _frame(store, p, "population")
    assert population[["locality", "population", "year"]].values.tolist() == [["North", 1500.0, 2024],
                                                                               ["West", 410.0, 2024]]
    assert population["age_band"].tolist() == ["10-14", "15-17"]
    for frame in ("children", "outcomes", "interventions", "victims", "remands", "benchmarks"):
        pd.testing.assert_frame_equal(_frame(store, p, frame), _frame(store, april.snapshot.id, frame), obj=frame)
    assert (result.snapshot.covers_start, result.snapshot.covers_end) == (april.snapshot.covers_start,
                                                                         april.snapshot.covers_end)
    assert store.latest().id == p and result.snapshot.row_counts["Population"] == 2
    assert result.snapshot.row_counts["Children"] == 5
    sources = {s.sheet: s for s in store.sheet_sources(p)}
    assert (sources["Population"].file_name, sources["Population"].kept) == ("Population.csv", False)
    assert (sources["Children"].file_name, sources["Children"].kept) == ("april.xlsx", True)
    # next month's export lacks Population: the uploaded one is kept, naming the CSV file it came from
    _, may = store.load(_may(), "may.xlsx")
    kept = {s.sheet: s for s in store.sheet_sources(may.snapshot.id)}["Population"]
    assert (kept.file_name, kept.first_snapshot, kept.kept) == ("Population.csv", p, True)
    pd.testing.assert_frame_equal(_frame(store, may.snapshot.id, "population"), population)


def test_an_empty_sheet_in_the_upload_replaces_the_stored_one(db_url):
    """A sheet the export has, even with no rows, is the export's: only a sheet it lacks is kept."""
    store = Store(db_url)
    store.load(_april(), "april.xlsx")
    rows = {k: v for k, v in valid_workbook_rows().items() if k in CORE or k == "Remands"}
    rows["Remands"] = rows["Remands"][:1]
    _, result = store.load(to_xlsx(rows), "june.xlsx")
    assert result.snapshot.row_counts["Remands"] == 0 and result.snapshot.row_counts["Population"] == 3
    sources = {s.sheet: s for s in store.sheet_sources(result.snapshot.id)}
    assert (sources["Remands"].file_name, sources["Remands"].kept, sources["Remands"].rows) == ("june.xlsx", False, 0)


def test_sheets_on_their_own_with_errors_store_nothing(db_url):
    store = Store(db_url)
    store.load(_april(), "april.xlsx")
    before = _fingerprint(db_url)
    bad_pop = _population_csv("North,Male,White,25,,1500,2024")
    report, result = store.load_sheets(bad_pop, "Population.csv")
    assert result is None and [(e.sheet, e.row, e.column) for e in report.errors] == [("Population", 2, "age")]
    remands = b"remand_id,child_id,remand_type,start_date,end_date\r\nR9,C999,Secure training centre,01/02/2023,\r\n"
    report, result = store.load_sheets(remands, "Remands.csv")
    assert result is None
    assert [(e.sheet, e.row, e.column, e.value) for e in report.errors] == [("Remands", 2, "child_id", "C999")]
    assert _fingerprint(db_url) == before


def test_sheets_on_their_own_need_the_service_own_case_data(db_url):
    """Over the demo (or an empty database) there is nothing for them to go with: refused, nothing stored."""
    store = Store(db_url)
    report, result = store.load_sheets(_population_csv("North,Male,White,12,,1500,2024"), "Population.csv")
    assert result is None and "Upload this month's case-level export first" in report.unreadable
    store.ensure_demo()
    before = _fingerprint(db_url)
    report, result = store.load_sheets(_population_csv("North,Male,White,12,,1500,2024"), "Population.csv")
    assert result is None and "only the demo data" in report.unreadable
    assert _fingerprint(db_url) == before


def test_the_demo_sheets_are_never_kept_for_a_real_service(db_url):
    store = Store(db_url)
    store.load_dataset(demo_dataset(children=60), "Demo data (synthetic)", "demo-60", is_demo=True)
    _, result = store.load(_may(), "may.xlsx")
    assert result.created and not store.dataset().population.shape[0]
    assert {s.sheet for s in store.sheet_sources(result.snapshot.id)} == set(CORE)  # none kept
    assert not any(s.kept for s in store.sheet_sources(result.snapshot.id))


def _refuse_sources(url: str) -> None:
    """The database itself refuses the last step of a load (a real trigger): the load must leave nothing."""
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("CREATE TRIGGER no_sources BEFORE INSERT ON sheet_sources "
                                 "BEGIN SELECT RAISE(ABORT, 'refused'); END")
        else:
            conn.exec_driver_sql("CREATE FUNCTION no_sources() RETURNS trigger LANGUAGE plpgsql AS "
                                 "$$ BEGIN RAISE EXCEPTION 'refused'; END $$")
            conn.exec_driver_sql("CREATE TRIGGER no_sources BEFORE INSERT ON sheet_sources "
                                 "FOR EACH ROW EXECUTE FUNCTION no_sources()")
    engine.dispose()


def test_a_load_that_fails_while_keeping_sheets_leaves_nothing_half_stored(db_url):
    store = Store(db_url)
    _, april = store.load(_april(), "april.xlsx")
    _refuse_sources(db_url)
    before = _table_dump(db_url)
    with pytest.raises(sa.exc.DBAPIError):
        store.load(_may(), "may.xlsx")
    with pytest.raises(sa.exc.DBAPIError):
        store.load_sheets(_population_csv("North,Male,White,12,,1500,2024"), "Population.csv")
    assert _table_dump(db_url) == before
    assert [s.id for s in store.snapshots()] == [april.snapshot.id]


def test_only_an_upload_of_nothing_but_those_sheets_is_taken_as_sheets_on_their_own():
    from yj_metrics.example_exports import export_xlsx
    from yj_metrics.reading import read_workbook

    rows = valid_workbook_rows()
    both = to_xlsx({"Instructions": [["How to fill in"]], "Population": rows["Population"],
                    "Remands": rows["Remands"]})
    assert sheets_on_their_own(read_workbook(both, "extra.xlsx", isolated=False)) == ("Remands", "Population")
    # a case system's export with its own names for the case sheets and a sheet called Benchmarks is not
    system = export_xlsx(demo_dataset(children=40), "system")
    assert sheets_on_their_own(read_workbook(system, "export.xlsx", isolated=False)) == ()
    assert sheets_on_their_own(read_workbook(_april(), "april.xlsx", isolated=False)) == ()
