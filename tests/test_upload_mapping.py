"""Mappings saved in the store per service, and the Upload page's mapping step (AppTest).

A first upload of a case system's export needs mapping; once saved, next month's export is loaded
with no questions; a code never seen before is asked about, and only that code.
"""
from __future__ import annotations

import io
import json
import re
import string
from pathlib import Path

import openpyxl
import pytest
import sqlalchemy as sa
from streamlit.testing.v1 import AppTest

from tests.builders import flat_export_with_new_code
from ui.fmt import WORD_JOINER
from yj_metrics import demo
from yj_metrics.contract import SHEETS_BY_NAME
from yj_metrics.example_exports import FLAT_SHEET, HEADINGS, example_mapping, export_xlsx
from yj_metrics.mapping import Mapping, in_our_layout
from yj_metrics.reading import read_workbook
from yj_metrics.store import Store
from yj_metrics.writing import dataset_to_xlsx

ROOT = Path(__file__).resolve().parents[1]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def months():
    """Two months of a service's flat export: different children, the same system, headings and codes (May
    brings no code April did not have, as most months do; a new code has its own test below)."""
    return {"april": demo.demo_dataset(seed=11, children=300), "may": demo.demo_dataset(seed=12, children=280)}


def _export(ds, layout="flat") -> bytes:
    return export_xlsx(ds, layout)


# --------------------------------------------------------------------------- the store

def test_each_save_is_a_new_version_kept_per_service(db_url):
    store = Store(db_url)
    flat = example_mapping("flat")
    one = store.save_mapping(flat, by="manager@north.example", service="North YJS")
    two = store.save_mapping(flat.with_value("Outcomes", "outcome_type", "YRO-I", "Youth Rehabilitation Order"),
                             by="deputy@north.example", service="North YJS")
    other = store.save_mapping(flat, by="someone@west.example", service="West YJS")
    assert (one.version, two.version, other.version) == (1, 2, 1)
    newest = store.saved_mappings("North YJS")
    assert [(s.name, s.version, s.saved_by) for s in newest] == [(flat.name, 2, "deputy@north.example")]
    assert newest[0].mapping.sheet("Outcomes").value_of("outcome_type", "yro-i") == "Youth Rehabilitation Order"
    assert [s.version for s in store.mapping_history(flat.name, "North YJS")] == [2, 1]
    assert store.mapping_history(flat.name, "North YJS")[1].mapping.sheet("Outcomes").value_of(
        "outcome_type", "YRO-I") is None  # version 1 is kept as it was
    assert [s.service for s in store.saved_mappings("West YJS")] == ["West YJS"]
    assert store.saved_mappings("East YJS") == []


def test_a_saved_mapping_round_trips_through_the_database_unchanged(db_url):
    store = Store(db_url)
    system = example_mapping("system")
    saved = store.save_mapping(system, by="m", service="")
    again = Store(db_url).saved_mappings("")[0].mapping
    assert again.to_dict() == {**system.to_dict(), "version": saved.version}


def test_a_mapping_needs_a_name_and_a_read_only_store_refuses_to_save(tmp_path):
    url = f"sqlite:///{tmp_path / 'yj.db'}"
    store = Store(url)
    with pytest.raises(ValueError, match="name"):
        store.save_mapping(Mapping("  "), by="m")
    from yj_metrics.errors import StoreReadOnlyError

    with pytest.raises(StoreReadOnlyError):
        Store(url, read_only=True).save_mapping(example_mapping("flat"), by="m")


def test_a_database_from_before_mappings_reads_as_having_none(tmp_path):
    """A read-only copy made by an older version has no mappings table: no mappings, no error."""
    url = f"sqlite:///{tmp_path / 'old.db'}"
    Store(url)
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE export_mappings")
    engine.dispose()
    assert Store(url, read_only=True).saved_mappings() == []


def test_load_export_stores_nothing_until_the_mapped_data_have_no_error(db_url, months):
    store = Store(db_url)
    flat = example_mapping("flat")
    bad, row = flat_export_with_new_code(_export(months["april"]), "ZZZ")
    report, result = store.load_export(bad, "april.xlsx", flat)
    assert result is None and store.snapshots() == []
    assert any(p.sheet == FLAT_SHEET and p.column == "Legal Outcome" and p.row == row and "ZZZ" in p.message
               for p in report.errors), report.errors
    good = _export(months["april"])
    report, result = store.load_export(good, "april.xlsx", flat)
    assert result is not None and result.created and not report.errors
    assert result.snapshot.row_counts["Children"] == len(months["april"].children)
    again, second = store.load_export(good, "april.xlsx", flat)
    assert not second.created and len(store.snapshots()) == 1  # the same bytes twice: stored once


def test_a_canonical_workbook_is_ours_and_an_export_is_not(months):
    assert in_our_layout(read_workbook(dataset_to_xlsx(months["april"]), "ours.xlsx", isolated=False))
    for layout in ("flat", "system"):
        assert not in_our_layout(read_workbook(_export(months["april"], layout), "theirs.xlsx", isolated=False))


# --------------------------------------------------------------------------- the Upload page

def _upload_page(monkeypatch) -> AppTest:
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "upload.py"), default_timeout=90)
    at.run()
    return at


def _upload(at: AppTest, name: str, data: bytes) -> AppTest:
    at.file_uploader(key="workbook").set_value((name, data, XLSX)).run()
    assert not at.exception, at.exception
    return at


def _plain(markdown: str) -> str:
    """Escaped markdown (values from the file are shown literally) as it reads."""
    return re.sub(f"\\\\([{re.escape(string.punctuation)}])", r"\1", markdown.replace(WORD_JOINER, ""))


def _problem_rows(at: AppTest) -> list[str]:
    """Every row of the problem tables (one per sheet) as it reads."""
    return [_plain(" ".join(map(str, row))) for t in at.table for row in t.value.itertuples(index=False)]


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _asked(at: AppTest) -> list[str]:
    """The values the page asks about (one choice each)."""
    return [_plain(s.label) for s in at.selectbox if " means" in s.label]


@pytest.mark.parametrize("layout", ["flat", "system"])
def test_first_upload_is_mapped_then_next_month_loads_with_no_questions(layout, store_url, monkeypatch, months):
    store = Store(store_url)
    at = _upload(_upload_page(monkeypatch), "april_export.xlsx", _export(months["april"], layout))
    # a first upload needs mapping: nothing stored yet, the step is shown with its suggestions
    assert len(store.snapshots()) == 1  # only the demo
    assert any("not laid out like the template" in i.value for i in at.info)
    assert at.radio(key="map_start_" + at.file_uploader(key="workbook").value[0].file_id).value \
        == "Suggestions from this file"
    sources = {s.key.rsplit("_src_", 1)[1]: s.value for s in at.selectbox if "_src_" in (s.key or "")}
    assert {k: sources[k] for k in ("Children", "Outcomes", "Interventions")} == {
        k: HEADINGS[layout][k][0] for k in ("Children", "Outcomes", "Interventions")}
    _button(at, "Save the mapping and load the data").click().run()
    assert not at.exception, at.exception
    snaps = store.snapshots()
    assert len(snaps) == 2 and snaps[0].file_name == "april_export.xlsx"
    assert snaps[0].row_counts["Children"] == len(months["april"].children)
    # accepting the suggestions read every code right: the stored snapshot says what April's data say
    stored, april = store.dataset(snaps[0].id), months["april"]
    for frame, column in (("children", "gender"), ("children", "ethnicity"), ("outcomes", "outcome_type"),
                          ("interventions", "intervention_type")):
        assert (getattr(stored, frame)[column].value_counts().sort_index()
                .equals(getattr(april, frame)[column].value_counts().sort_index())), (frame, column)
    saved = store.saved_mappings(store.get_settings().service_name)
    assert [(s.name, s.version) for s in saved] == [("april_export export", 1)]
    # the mapping holds headings and codes, never the children's ids
    body = json.dumps(saved[0].mapping.to_dict())
    assert not [i for i in months["april"].children.child_id if str(i) in body]

    # next month: recognised by its headings, loaded with no question asked
    at = _upload(at, "may_export.xlsx", _export(months["may"], layout))
    assert not _asked(at) and not [b for b in at.button if b.label.startswith("Save the mapping")]
    snaps = store.snapshots()
    assert len(snaps) == 3 and snaps[0].file_name == "may_export.xlsx"
    assert snaps[0].row_counts["Children"] == len(months["may"].children)
    assert any("april_export export" in _plain(i.value) and "version 1" in i.value for i in at.info)
    audit = store.audit_entries(actions=["upload"])
    assert json.loads(audit.iloc[0]["detail"])["mapping_version"] == 1


def test_a_new_code_is_the_only_question_and_its_answer_is_saved(store_url, monkeypatch, months):
    store = Store(store_url)
    service = store.get_settings().service_name
    store.save_mapping(example_mapping("flat"), by="manager", service=service)
    data, row = flat_export_with_new_code(_export(months["may"]), "YRO-INT")
    at = _upload(_upload_page(monkeypatch), "may_export.xlsx", data)
    asked = _asked(at)
    assert len(asked) == 1 and "YRO-INT" in asked[0] and "(1 row)" in asked[0], asked
    assert len(store.snapshots()) == 1  # nothing stored while the question is open
    box = next(s for s in at.selectbox if " means" in s.label)
    box.set_value("Youth Rehabilitation Order").run()
    _button(at, "Save the mapping and load the data").click().run()
    assert not at.exception, at.exception
    assert store.snapshots()[0].file_name == "may_export.xlsx"
    newest = store.saved_mappings(service)[0]
    assert newest.version == 2
    assert newest.mapping.sheet("Outcomes").value_of("outcome_type", "yro-int") == "Youth Rehabilitation Order"
    stored = store.dataset(store.snapshots()[0].id).outcomes
    ws = openpyxl.load_workbook(io.BytesIO(data))[FLAT_SHEET]
    changed = ws.cell(row=row, column=[c.value for c in ws[1]].index("Outcome Ref") + 1).value
    assert stored.loc[stored.outcome_id == changed, "outcome_type"].item() == "Youth Rehabilitation Order"


def test_errors_in_a_mapped_export_are_in_its_terms_and_store_nothing(store_url, monkeypatch, months):
    store = Store(store_url)
    service = store.get_settings().service_name
    store.save_mapping(example_mapping("flat"), by="manager", service=service)
    wb = openpyxl.load_workbook(io.BytesIO(_export(months["may"])))
    ws = wb[FLAT_SHEET]
    col = [c.value for c in ws[1]].index("DOB") + 1
    ws.cell(row=5, column=col, value="31/02/2009")
    buf = io.BytesIO()
    wb.save(buf)
    at = _upload(_upload_page(monkeypatch), "may_export.xlsx", buf.getvalue())
    assert len(store.snapshots()) == 1
    assert any("Nothing was stored" in e.value for e in at.error)
    problems = _problem_rows(at)
    assert any(f'{FLAT_SHEET} row 5, column "DOB"' in m for m in problems), problems


def test_a_shared_mapping_file_is_imported_and_recognises_the_export(store_url, monkeypatch, months):
    store = Store(store_url)
    at = _upload_page(monkeypatch)
    shared = example_mapping("system").to_json().encode()
    at.file_uploader(key="saved_mapping_import").set_value(("shared.json", shared, "application/json")).run()
    _button(at, "Save the imported mapping").click().run()
    assert not at.exception, at.exception
    assert [s.version for s in store.saved_mappings(store.get_settings().service_name)] == [1]
    at = _upload(at, "system_export.xlsx", _export(months["april"], "system"))
    assert store.snapshots()[0].file_name == "system_export.xlsx"
    assert not _asked(at)


def test_a_canonical_workbook_still_loads_with_no_mapping_step(store_url, monkeypatch, months):
    at = _upload(_upload_page(monkeypatch), "ours.xlsx", dataset_to_xlsx(months["april"]))
    assert not [i for i in at.info if "not laid out like the template" in i.value]
    assert Store(store_url).snapshots()[0].file_name == "ours.xlsx"


def test_a_template_workbook_with_no_sheet_of_ours_can_still_be_checked_as_one(store_url, monkeypatch, months):
    """A workbook meant to follow the template but with every sheet renamed looks like an export: the manager
    can say so and gets the validator's list of problems instead of the mapping step; nothing is stored."""
    wb = openpyxl.load_workbook(io.BytesIO(dataset_to_xlsx(months["april"])))
    for ws in wb.worksheets:
        ws.title = f"{ws.title} (copy)"
    buf = io.BytesIO()
    wb.save(buf)
    at = _upload(_upload_page(monkeypatch), "renamed.xlsx", buf.getvalue())
    assert any("not laid out like the template" in i.value for i in at.info)
    _button(at, "It is meant to follow the template: list its problems instead").click().run()
    assert not at.exception, at.exception
    assert any("Nothing was stored" in e.value for e in at.error)
    assert any("Children" in m for m in _problem_rows(at))
    assert len(Store(store_url).snapshots()) == 1 and Store(store_url).saved_mappings() == []


# --------------------------------------------------------------------------- the command line

def _cli(*args):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "yj_metrics", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


def test_cli_imports_a_mapping_and_load_then_uses_it_as_the_upload_page_does(tmp_path, months):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    shared = tmp_path / "shared.json"
    shared.write_text(example_mapping("flat").to_json(), encoding="utf-8")
    export = tmp_path / "may_export.xlsx"
    export.write_bytes(_export(months["may"]))

    # before any mapping is saved: the export is not ours, so nothing is stored and the note says what to do
    out = _cli("load", export, "--db", db)
    assert out.returncode == 1 and "no saved mapping recognises it" in out.stderr and Store(db).snapshots() == []

    out = _cli("mapping", "import", shared, "--db", db)
    assert out.returncode == 0 and "version 1" in out.stdout, out.stderr
    listed = _cli("mapping", "list", "--db", db)
    assert example_mapping("flat").name in listed.stdout and "version 1" in listed.stdout

    out = _cli("load", export, "--db", db)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "saved mapping" in out.stderr and Store(db).latest().file_name == "may_export.xlsx"
    assert Store(db).latest().row_counts["Children"] == len(months["may"].children)

    # a new code: named with its row count, nothing stored
    june = tmp_path / "june_export.xlsx"
    data, row = flat_export_with_new_code(_export(months["april"]), "YRO-INT")
    june.write_bytes(data)
    out = _cli("load", june, "--db", db)
    assert out.returncode == 1 and 'Legal Outcome": "YRO-INT" (1 row)' in out.stderr, out.stderr
    assert Store(db).latest().file_name == "may_export.xlsx"

    # exported again, the saved mapping is the one imported
    back = tmp_path / "back.json"
    out = _cli("mapping", "export", example_mapping("flat").name, "--out", back, "--db", db)
    assert out.returncode == 0, out.stderr
    assert Mapping.from_json(back.read_text()).to_dict() == {**example_mapping("flat").to_dict(), "version": 1}
    out = _cli("mapping", "export", "No such mapping", "--out", back, "--db", db)
    assert out.returncode != 0 and "No saved mapping 'No such mapping'" in (out.stdout + out.stderr)


def _truth_for(mapping: Mapping, value: str) -> str:
    """The right answer for one of their codes, from the shape's hand-made mapping."""
    from yj_metrics.validation import vocab_value

    for sm in mapping.sheets:
        for col in sm.values:
            if (ours := sm.value_of(col, value)) is not None:
                return ours
    for sm in mapping.sheets:
        for col in sm.columns:
            if SHEETS_BY_NAME[sm.sheet].column(col).kind == "vocab" and (ours := vocab_value(sm.sheet, col, value)):
                return ours
    raise AssertionError(value)


def test_a_report_with_a_title_block_is_mapped_each_code_asked_once_and_every_read_code_changeable(
        store_url, monkeypatch, months):
    store = Store(store_url)
    truth = example_mapping("childview")
    at = _upload(_upload_page(monkeypatch), "caseload_extract.xlsx", _export(months["april"], "childview"))
    # the headings were found on row 4, under the title block, on each sheet
    rows = {s.label: s.value for s in at.selectbox if (s.key or "").startswith("map_hr_")}
    assert rows == {f"Sheet {n}: the headings are on": 4
                    for n in ("Young People", "Offences and Outcomes", "Interventions")}, rows
    sources = {s.key.rsplit("_src_", 1)[1]: s.value for s in at.selectbox if "_src_" in (s.key or "")}
    assert sources["Children"] == "Young People" and sources["Interventions"] == "Interventions"
    # the manager can choose another row: on row 3 (the criteria line) nothing reads as children
    young = next(s for s in at.selectbox if s.label == "Sheet Young People: the headings are on")
    assert young.options[:3] == ["Row 1: YJS Caseload Extract - Young People",
                                 "Row 2: Run 05/12/2026 07:02 by yjs.reports",
                                 "Row 3: Criteria: open or closed 01/04/2019 to 31/03/2024"]
    assert young.options[3].startswith("Row 4: ChildView ID | Date Of Birth | Gender | Ethnicity (ONS 2021)")
    assert len(young.options) == 4  # a child's row is never offered as headings (it would be kept in the mapping)
    young.set_value(3).run()
    sources = {s.key.rsplit("_src_", 1)[1]: s.value for s in at.selectbox if "_src_" in (s.key or "")}
    assert sources["Children"] != "Young People"
    next(s for s in at.selectbox if s.label == "Sheet Young People: the headings are on").set_value(4).run()
    sources = {s.key.rsplit("_src_", 1)[1]: s.value for s in at.selectbox if "_src_" in (s.key or "")}
    assert sources["Children"] == "Young People"
    # each code is asked once, with plain labels (no markdown backslashes reach a screen reader)
    asked = [s for s in at.selectbox if s.label.endswith(" means")]
    labels = [s.label for s in asked]
    assert len(labels) == len(set(labels)) and all("\\" not in label for label in labels), labels
    temp = [label for label in labels if "\u201cB&B / Temporary\u201d" in label]
    assert temp == [f"\u201cB&B / Temporary\u201d in Accommodation - Start and Accommodation - End on sheet "
                    f"Interventions ({_count(months['april'], 'Temporary accommodation')} rows) means"], labels
    assert all(s.value is None for s in asked)  # a guess is offered, never chosen for the manager
    for box in asked:
        value = re.search("\u201c(.*)\u201d", box.label).group(1)
        box.set_value(_truth_for(truth, value))
    at.run()
    # a code read from our lists is shown for review and can be changed: Children's Home read as Residential
    # unit, changed here to Other
    [home] = [s for s in at.selectbox if s.label.startswith("\u201cChildren's Home\u201d") and "is read as" in s.label]
    assert home.value == "Residential unit"
    home.set_value("Other").run()
    _button(at, "Save the mapping and load the data").click().run()
    assert not at.exception, at.exception
    snap = store.snapshots()[0]
    assert snap.file_name == "caseload_extract.xlsx"
    stored, april = store.dataset(snap.id).interventions, months["april"].interventions
    for column in ("intervention_type", "completion", "ete_provision_start"):
        assert stored[column].value_counts().sort_index().equals(april[column].value_counts().sort_index()), column
    want = april["accommodation_type_start"].replace({"Residential unit": "Other"}).value_counts().sort_index()
    assert stored["accommodation_type_start"].value_counts().sort_index().equals(want)
    saved = store.saved_mappings(store.get_settings().service_name)[0].mapping
    assert dict(saved.heading_rows) == dict.fromkeys(("Young People", "Offences and Outcomes", "Interventions"), 4)
    # next month the report is recognised under its title block and loaded with no question
    at = _upload(at, "caseload_extract_may.xlsx", _export(months["may"], "childview"))
    assert not _asked(at) and store.snapshots()[0].file_name == "caseload_extract_may.xlsx"


def _count(ds, ours: str) -> int:
    """Rows of the export whose start or end accommodation is ``ours``."""
    iv = ds.interventions
    return int((iv["accommodation_type_start"] == ours).sum() + (iv["accommodation_type_end"] == ours).sum())


def test_a_code_a_mapping_may_not_hold_is_said_plainly_not_a_traceback(store_url, monkeypatch, months):
    """A code that looks like an id or a date ("Order 2023") can never be kept in a mapping (no child data in
    a mapping): answering it says so next to the question, and nothing is stored."""
    store = Store(store_url)
    store.save_mapping(example_mapping("flat"), by="manager", service=store.get_settings().service_name)
    data, _ = flat_export_with_new_code(_export(months["may"]), "Order 2023")
    at = _upload(_upload_page(monkeypatch), "may_export.xlsx", data)
    [box] = [s for s in at.selectbox if s.label.endswith(" means")]
    assert "\u201cOrder 2023\u201d" in box.label
    box.set_value("Referral Order").run()
    assert not at.exception, at.exception
    assert any("short code or word" in w.value and "Correct" in w.value for w in at.warning), at.warning
    _button(at, "Save the mapping and load the data").click().run()
    assert not at.exception and any("Choose a value" in e.value for e in at.error)
    assert len(store.snapshots()) == 1 and store.saved_mappings(store.get_settings().service_name)[0].version == 1


def test_cli_suggests_a_titled_report_with_its_heading_rows(tmp_path, months):
    export = tmp_path / "caseload_extract.xlsx"
    export.write_bytes(_export(months["may"], "childview"))
    out_file = tmp_path / "draft.json"
    out = _cli("mapping", "suggest", export, "--out", out_file)
    assert out.returncode == 0, out.stderr
    assert "HEADINGS  Young People: row 4, under a title block" in out.stdout
    draft = Mapping.from_json(out_file.read_text())
    assert dict(draft.heading_rows) == dict.fromkeys(("Young People", "Offences and Outcomes", "Interventions"), 4)
    assert 'VALUE     Outcomes.outcome_type "Triage"' in out.stdout  # a guess is listed to check, not applied
    assert draft.sheet("Outcomes").value_of("outcome_type", "Triage") is None
