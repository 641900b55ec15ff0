"""The Upload page takes CSV files (several at once), old .xls workbooks and sheets on their own (issue 22
items 5 and 6), through AppTest on a real SQLite file."""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from tests.broken_workbooks import to_xlsx, valid_workbook_rows, valid_xlsx
from tests.test_reading import _soffice_convert
from ui.fmt import WORD_JOINER
from yj_metrics.example_exports import export_xlsx
from yj_metrics.store import Store

ROOT = Path(__file__).resolve().parents[1]
CSV = "text/csv"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _csv(rows: list[list], delimiter: str = ",", encoding: str = "utf-8") -> bytes:
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "Y" if v else "N"
        if isinstance(v, dt.date):
            return v.strftime("%d/%m/%Y")
        return str(v)
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows([[cell(v) for v in r] for r in rows])
    return out.getvalue().encode(encoding)


def _page(monkeypatch) -> AppTest:
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    return at


def _choose(at: AppTest, *files) -> AppTest:
    at.file_uploader(key="workbook").set_value(list(files)).run()
    assert not at.exception, at.exception
    return at


def _plain(markdown: str) -> str:
    """Escaped markdown (values from the file are shown literally) as it reads."""
    return markdown.replace(WORD_JOINER, "").replace("\\", "")


def _texts(at: AppTest) -> str:
    return " ".join(_plain(e.value) for kind in (at.error, at.warning, at.info, at.success) for e in kind)


def test_the_template_as_csv_files_chosen_together_is_stored(store_url, monkeypatch):
    rows = valid_workbook_rows()
    at = _page(monkeypatch)
    uploader = at.file_uploader(key="workbook")
    assert uploader.accept_multiple_files and {".csv", ".xls", ".xlsx"} <= set(uploader.allowed_type)
    _choose(at, *[(f"{sheet}.csv", _csv(rows[sheet], ";", "cp1252"), CSV) for sheet in ("Children", "Outcomes",
                                                                                          "Interventions")])
    live = Store(store_url).latest()
    assert not live.is_demo and live.file_name == "Children.csv, Outcomes.csv, Interventions.csv"
    assert (live.row_counts["Children"], live.row_counts["Outcomes"], live.row_counts["Interventions"]) == (5, 6, 7)
    assert "Stored as snapshot" in _texts(at)


def test_sheets_on_their_own_are_stored_with_the_live_data_and_say_where_each_came_from(store_url, monkeypatch):
    rows = valid_workbook_rows()
    store = Store(store_url)
    _, april = store.load(to_xlsx({k: rows[k] for k in ("Children", "Outcomes", "Interventions")}), "april.xlsx")
    at = _choose(_page(monkeypatch), ("Population.csv", _csv(rows["Population"]), CSV))
    live = store.latest()
    assert live.id != april.snapshot.id and live.file_name == "Population.csv"
    assert live.row_counts["Population"] == 3 and live.row_counts["Children"] == 5
    assert "on their own" in _texts(at)
    table = next(d.value for d in at.dataframe if "Kept from before" in d.value.columns)
    assert dict(zip(table["Sheet"], table["File"])) == {"Children": "april.xlsx", "Outcomes": "april.xlsx",
                                                        "Interventions": "april.xlsx", "Population": "Population.csv"}
    assert dict(zip(table["Sheet"], table["Kept from before"]))["Population"] == "No"


def test_sheets_on_their_own_over_the_demo_are_refused_and_nothing_is_stored(store_url, monkeypatch):
    before = [s.id for s in Store(store_url).snapshots()]
    at = _choose(_page(monkeypatch), ("Population.csv", _csv(valid_workbook_rows()["Population"]), CSV))
    assert any("Upload this month's case-level export first" in _plain(e.value) for e in at.error)
    assert [s.id for s in Store(store_url).snapshots()] == before


def test_an_old_xls_workbook_is_stored(store_url, monkeypatch, tmp_path):
    xls = _soffice_convert(tmp_path, "valid.xlsx", valid_xlsx(), "xls")
    _choose(_page(monkeypatch), ("april.xls", xls, "application/vnd.ms-excel"))
    live = Store(store_url).latest()
    assert live.file_name == "april.xls" and live.row_counts == {k: len(v) - 1 for k, v in valid_workbook_rows().items()}


@pytest.mark.parametrize("name, data, says", [
    ("Children.csv", bytes(range(256)) * 20, "is named 'Children.csv' but it is not text"),
    ("Children.csv", "child_id\r\nC1 Zoë\r\n".encode() + "C2 Zoë\r\n".encode("cp1252"), "mixes UTF-8"),
    ("Children.csv", b"a,b\r\n1,\"" + b"x" * 140_000 + b"\r\n", "row 2 has a cell longer"),
])
def test_hostile_csv_is_refused_with_its_message_and_nothing_is_stored(store_url, monkeypatch, name, data, says):
    before = [s.id for s in Store(store_url).snapshots()]
    at = _choose(_page(monkeypatch), (name, data, CSV))
    assert any(says in _plain(e.value) for e in at.error), [e.value for e in at.error]
    assert "Traceback" not in _texts(at)
    assert [s.id for s in Store(store_url).snapshots()] == before


def test_the_mapping_step_says_the_other_sheets_come_only_as_sheets(store_url, monkeypatch, demo_dataset):
    at = _choose(_page(monkeypatch), ("export.xlsx", export_xlsx(demo_dataset, "flat"), XLSX))
    text = _texts(at)
    assert "not laid out like the template" in text
    assert "Population" in text and "read only from sheets of an upload" in text and "Population.csv" in text


def test_next_month_chosen_after_a_stored_upload_is_an_upload_of_its_own(store_url, monkeypatch):
    """The uploader keeps every file of the session: files of a stored upload are left out of the next one,
    while after a refused upload every file chosen counts (a set of CSV files mended one file at a time)."""
    rows = valid_workbook_rows()
    at = _page(monkeypatch)
    children, outcomes, interventions = [(f"{s}.csv", _csv(rows[s]), CSV) for s in ("Children", "Outcomes",
                                                                                     "Interventions")]
    _choose(at, children, outcomes)  # Interventions forgotten: refused
    assert Store(store_url).latest().is_demo
    _choose(at, children, outcomes, interventions)  # added: the three together are stored
    first = Store(store_url).latest()
    assert first.file_name == "Children.csv, Outcomes.csv, Interventions.csv"
    may = to_xlsx({k: rows[k] for k in ("Children", "Outcomes", "Interventions", "Remands")})
    at = _choose(at, children, outcomes, interventions, ("may.xlsx", may, XLSX))
    live = Store(store_url).latest()
    assert live.id != first.id and live.file_name == "may.xlsx", live.file_name
    assert live.row_counts["Remands"] == 1
    assert not at.error and "Stored as snapshot" in _texts(at)  # the page shows what was stored, nothing more
    assert len(Store(store_url).snapshots()) == 3


def test_the_snapshots_page_says_where_each_sheet_came_from(store_url, monkeypatch):
    rows = valid_workbook_rows()
    store = Store(store_url)
    store.load(to_xlsx({k: rows[k] for k in ("Children", "Outcomes", "Interventions")}), "april.xlsx")
    store.load_sheets(_csv(rows["Population"]), "Population.csv")
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "snapshots.py"), default_timeout=90)
    at.run()
    assert not at.exception, at.exception
    table = next(d.value for d in at.dataframe if "kept from before" in d.value.columns)
    assert table[["sheet", "file", "kept from before"]].values.tolist() == [
        ["Children", "april.xlsx", "Yes"], ["Outcomes", "april.xlsx", "Yes"], ["Interventions", "april.xlsx", "Yes"],
        ["Population", "Population.csv", "No"]]


def test_an_event_list_exported_as_csv_maps_to_the_same_data_as_the_workbook(demo_dataset):
    """The flat export (one row per order) saved as one Windows-1252 CSV file: the shipped mapping reads it
    (its text dates and numbers) into the same data as the .xlsx it was saved from."""
    import pandas as pd

    from yj_metrics.dataset import FRAME_OF_SHEET
    from yj_metrics.example_exports import example_mapping
    from yj_metrics.mapping import matches, validate_mapped
    from yj_metrics.reading import read_files, read_workbook

    xlsx = export_xlsx(demo_dataset, "flat")
    book = read_workbook(xlsx, "flat.xlsx")
    (name, sheet), = book.sheets.items()

    def cell(v):
        if isinstance(v, (dt.date, dt.datetime)):
            return v.strftime("%d/%m/%Y")
        return int(v) if isinstance(v, float) and v.is_integer() else v
    data = _csv([list(sheet.header)] + [[cell(v) for v in row] for row in sheet.rows], encoding="cp1252")
    raw = read_files([(f"{name}.csv", data)])
    mapping = example_mapping("flat")
    assert list(raw.sheets) == [name] and matches(raw, mapping)
    from_csv, from_xlsx = validate_mapped(raw, mapping), validate_mapped(book, mapping)
    assert from_csv.ok and from_xlsx.ok, from_csv.errors[:3]
    for frame in FRAME_OF_SHEET.values():
        pd.testing.assert_frame_equal(getattr(from_csv.dataset, frame), getattr(from_xlsx.dataset, frame), obj=frame)
