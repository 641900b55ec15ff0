"""Reading workbook bytes: real files of every kind we must reject, .xlsm, row numbers, dates."""
from __future__ import annotations

import datetime as dt
import io
import random
import shutil
import subprocess
import zipfile

import openpyxl
import pytest

from tests.broken_workbooks import to_xlsx, valid_workbook_rows, valid_xlsx
from yj_metrics.reading import RawWorkbook, WorkbookReadError, read_workbook
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


def test_old_xls_file_says_save_as_xlsx(tmp_path):
    xls = _soffice_convert(tmp_path, "valid.xlsx", valid_xlsx(), "xls")
    assert xls.startswith(b"\xd0\xcf\x11\xe0")
    for name in ("monthly.xls", "monthly.xlsx"):  # decided by content, not the name
        msg = _read_error(xls, name)
        assert ".xls" in msg and "Save As" in msg and ".xlsx" in msg


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


@pytest.mark.parametrize("name", ["monthly.csv", "monthly.xlsx", "monthly.txt"])
def test_csv_or_text_says_save_as_workbook(name):
    csv = b"child_id,date_of_birth,gender\r\nC001,14/05/2008,Male\r\nC002,02/11/2007,Female\r\n"
    msg = _read_error(csv, name)
    assert "CSV" in msg and ".xlsx" in msg


def test_utf16_tab_separated_export_is_text():
    data = "child_id\tgender\r\nC001\tMale\r\n".encode("utf-16")
    assert "CSV" in _read_error(data, "export.xls")


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
