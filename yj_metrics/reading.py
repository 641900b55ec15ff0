"""Read an uploaded workbook's bytes into raw sheets (python-calamine), with file-type checks.

The file type is decided from the bytes (magic numbers), not only the extension, so a
renamed PDF or an old ``.xls`` saved as ``.xlsx`` gets the right message. ``.xlsm`` files are
read for their cell values only: python-calamine never evaluates or runs macros.

Cells come back as raw Python values: ``str``, ``float`` (Excel stores every number as a
float), ``bool``, ``datetime.date`` for date-formatted cells, ``datetime.datetime`` for
date-time cells, ``datetime.time``/``datetime.timedelta`` for time or duration cells, and
``None`` for an empty cell. python-calamine returns ``datetime.date`` for any number shown
with a date format, in files written by openpyxl, Excel or LibreOffice alike.
"""
from __future__ import annotations

import io
import os
import zipfile
from dataclasses import dataclass, field

from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

__all__ = ["RawSheet", "RawWorkbook", "WorkbookReadError", "read_workbook"]

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

MSG_EMPTY = "The file is empty (0 bytes). Export the workbook again and upload the new file."
MSG_XLS = ("This is an old Excel 97-2003 (.xls) file. Open it in Excel, choose File > Save As, "
           "pick 'Excel Workbook (*.xlsx)' and upload the .xlsx file.")
MSG_ENCRYPTED = ("This workbook is password-protected, so it cannot be read. Remove the password "
                 "in Excel: File > Info > Protect Workbook > Encrypt with Password, clear the "
                 "password, save, and upload again.")
MSG_CSV = ("This is a CSV or text file, not an Excel workbook. Open it in Excel and save it as "
           "'Excel Workbook (*.xlsx)' with one sheet per entity (use the blank template), "
           "then upload the .xlsx file.")
MSG_CORRUPT = ("This workbook is damaged and cannot be opened (the .xlsx file is incomplete or "
               "corrupt). Open it in Excel, save it again as .xlsx, and upload the new file; if "
               "Excel cannot open it either, export it again from the case management system.")
MSG_ODS = ("This is an OpenDocument spreadsheet (.ods). Save it as 'Excel 2007-365 (.xlsx)' "
           "and upload the .xlsx file.")
MSG_XLSB = ("This is an Excel binary workbook (.xlsb). In Excel choose File > Save As, pick "
            "'Excel Workbook (*.xlsx)' and upload the .xlsx file.")


def _not_workbook(kind: str) -> str:
    return (f"This file is not an Excel workbook (it looks like {kind}). Upload the monthly "
            "case-level workbook as an .xlsx file (use the blank template for the layout).")


class WorkbookReadError(ValueError):
    """The file cannot be read as a workbook; ``message`` says why and what to do."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RawSheet:
    """One sheet's raw cells.

    ``header`` is row 1 (trailing blank cells dropped). ``rows`` are the data rows below it,
    fully blank rows skipped, each a tuple as wide as the widest row (empty cells ``None``);
    ``row_numbers[i]`` is the Excel row number of ``rows[i]`` (the header is row 1).
    """

    name: str
    header: tuple[object, ...]
    rows: tuple[tuple[object, ...], ...]
    row_numbers: tuple[int, ...]
    hidden: bool = False


@dataclass(frozen=True)
class RawWorkbook:
    """Every worksheet of a workbook, keyed by the sheet name exactly as in the file."""

    file_name: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)

    @property
    def sheet_names(self) -> tuple[str, ...]:
        return tuple(self.sheets)


def _is_blank(v: object) -> bool:
    return v is None or (isinstance(v, str) and v.strip() == "")


def _decode(head: bytes, enc: str) -> str | None:
    for cut in range(4):  # the sample may end part-way through a multi-byte character
        try:
            return head[:len(head) - cut].decode(enc)
        except UnicodeDecodeError:
            continue
    return None


def _looks_like_text(head: bytes) -> bool:
    """True when the first bytes decode as mostly printable text (CSV, TSV, HTML...)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings: tuple[str, ...] = ("utf-16",)
    elif b"\x00" in head:
        return False
    else:
        encodings = ("utf-8", "cp1252")
    for enc in encodings:
        text = _decode(head, enc)
        if text and sum(ch.isprintable() or ch in "\r\n\t" for ch in text) / len(text) > 0.95:
            return True
    return False


def _check_file_type(data: bytes, file_name: str) -> None:
    """Raise :class:`WorkbookReadError` unless the bytes look like an .xlsx/.xlsm package."""
    ext = os.path.splitext(file_name or "")[1].lower()
    if not data:
        raise WorkbookReadError(MSG_EMPTY)
    head = data[:8192]
    if head.startswith(_OLE2_MAGIC):
        # An OLE2 compound file is either an encrypted OOXML package or an old binary file.
        if "EncryptedPackage".encode("utf-16-le") in data or \
                "EncryptionInfo".encode("utf-16-le") in data:
            raise WorkbookReadError(MSG_ENCRYPTED)
        if "Workbook".encode("utf-16-le") in data or "Book".encode("utf-16-le") in data:
            raise WorkbookReadError(MSG_XLS)
        raise WorkbookReadError(_not_workbook("an old Microsoft Office 97-2003 document"))
    if head.startswith(_ZIP_MAGICS):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in zf.read("mimetype"):
                    raise WorkbookReadError(MSG_ODS)
                if "xl/workbook.bin" in names:
                    raise WorkbookReadError(MSG_XLSB)
                if "xl/workbook.xml" not in names:
                    if "word/document.xml" in names:
                        raise WorkbookReadError(_not_workbook("a Word document"))
                    if "ppt/presentation.xml" in names:
                        raise WorkbookReadError(_not_workbook("a PowerPoint presentation"))
                    raise WorkbookReadError(_not_workbook("a zip archive"))
                bad = zf.testzip()
                if bad is not None:
                    raise WorkbookReadError(MSG_CORRUPT)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                KeyError) as exc:
            if isinstance(exc, WorkbookReadError):
                raise
            raise WorkbookReadError(MSG_CORRUPT) from None
        return
    if head.startswith(b"%PDF"):
        raise WorkbookReadError(_not_workbook("a PDF document"))
    for magic, kind in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
                        (b"GIF8", "a GIF image"), (b"BM", "a bitmap image"),
                        (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
                        (b"{\\rtf", "a Rich Text document"), (b"\x1f\x8b", "a gzip archive"),
                        (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive")):
        if head.startswith(magic):
            raise WorkbookReadError(_not_workbook(kind))
    if _looks_like_text(head):
        stripped = head.lstrip().lower()
        if stripped.startswith((b"<?xml", b"<html", b"<!doctype", b"<table")):
            raise WorkbookReadError(_not_workbook(
                "a web page or XML file, perhaps an 'Excel' export that is really HTML"))
        raise WorkbookReadError(MSG_CSV)
    if ext in (".csv", ".txt", ".tsv"):
        raise WorkbookReadError(MSG_CSV)
    if ext == ".xls":
        raise WorkbookReadError(MSG_XLS)
    raise WorkbookReadError(_not_workbook("some other kind of file"))


def _sheet_from_rows(name: str, cells: list[list[object]], hidden: bool) -> RawSheet:
    if not cells:
        return RawSheet(name, (), (), (), hidden)
    width = max(len(r) for r in cells)

    def clean(row: list[object]) -> tuple[object, ...]:
        out = [None if (v == "" and isinstance(v, str)) else v for v in row]
        out.extend([None] * (width - len(out)))
        return tuple(out)

    header = list(clean(cells[0]))
    while header and _is_blank(header[-1]):
        header.pop()
    rows, numbers = [], []
    for i, row in enumerate(cells[1:], start=2):
        if all(_is_blank(v) for v in row):
            continue
        rows.append(clean(row))
        numbers.append(i)
    return RawSheet(name, tuple(header), tuple(rows), tuple(numbers), hidden)


def read_workbook(data: bytes, file_name: str) -> RawWorkbook:
    """Read every worksheet's raw cell values; raise :class:`WorkbookReadError` if unreadable.

    Row 1 is the header; fully blank rows are skipped but every kept row keeps its Excel
    row number. Macros in ``.xlsm`` files are never run (values only).
    """
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    _check_file_type(data, file_name)
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # python-calamine raises several error types on damaged files
        name = type(exc).__name__
        if "Password" in name:
            raise WorkbookReadError(MSG_ENCRYPTED) from None
        raise WorkbookReadError(MSG_CORRUPT) from None
    sheets: dict[str, RawSheet] = {}
    try:
        for meta in wb.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:  # chart and dialog sheets hold no cells
                continue
            sheet = wb.get_sheet_by_name(meta.name)
            cells = sheet.to_python(skip_empty_area=False)
            hidden = meta.visible != SheetVisibleEnum.Visible
            sheets[meta.name] = _sheet_from_rows(meta.name, cells, hidden)
    except Exception as exc:
        if "Password" in type(exc).__name__:
            raise WorkbookReadError(MSG_ENCRYPTED) from None
        raise WorkbookReadError(MSG_CORRUPT) from None
    finally:
        try:
            wb.close()
        except Exception:
            pass
    if not sheets:
        raise WorkbookReadError("This workbook has no worksheets. Use the blank template, "
                                "fill in the sheets and upload it again.")
    return RawWorkbook(file_name=file_name, sheets=sheets)
