"""Read an uploaded workbook's bytes into raw sheets (python-calamine), with file-type checks.

The file type is decided from the bytes (magic numbers), not only the extension, so a
renamed PDF gets the right message and an old ``.xls`` saved as ``.xlsx`` is still read. ``.xlsx``,
``.xlsm`` and old ``.xls`` (BIFF) workbooks are read for their cell values only: python-calamine never
evaluates or runs macros. A CSV (or tab- or semicolon-separated) file is one sheet named after the file,
every cell text as written (:func:`sheet_name_of`, :func:`_csv_sheet`); several files uploaded together are
read as one workbook by :func:`read_files`.

Cells come back as raw Python values: ``str``, ``float`` (Excel stores every number as a
float), ``bool``, ``datetime.date`` for date-formatted cells, ``datetime.datetime`` for
date-time cells, ``datetime.time``/``datetime.timedelta`` for time or duration cells, and
``None`` for an empty cell. python-calamine returns ``datetime.date`` for any number shown
with a date format, in files written by openpyxl, Excel or LibreOffice alike.

Reading is bounded, because one hostile upload must not stop the service for everyone
(:class:`~yj_metrics.settings.ReadLimits`):

1. the zip directory is checked first (file size, unpacked size, compression ratio, number of
   parts), from metadata only, before anything is parsed;
2. python-calamine then parses the cells in a separate worker process with an address-space and
   CPU limit (``resource.setrlimit``): an unforeseen bomb stops the worker and the upload gets
   "could not be read safely"; the server carries on;
3. the worker refuses a sheet whose values reach beyond the row or column limit as soon as
   python-calamine has its extent, before building Python values for it, and reports merged
   header cells;
4. only when the worker fails (killed by its limits, or past its wall-clock time) does this process
   stream each sheet's XML, never unpacked past the limit, to say why: a two-cell file with a
   value in XFD1048576 makes the parser ask for 550 GB, and the message names that cell. Checking
   the extent in the worker rather than beside it keeps a normal upload's time within a few per
   cent of what it was before the checks (``benchmarks/bench_hostile.py``).
"""
from __future__ import annotations

import datetime as dt
import contextlib
import csv
import functools
import gc
import io
import logging
import os
import pickle
import posixpath
import re
import selectors
import string
import subprocess
import sys
import threading
import time
import zipfile
import zlib
from dataclasses import asdict, dataclass, field
from pathlib import Path

from .settings import ReadLimits

__all__ = ["RawSheet", "RawWorkbook", "ReadLimits", "WorkbookReadError", "bundle_bytes", "files_label", "read_files",
           "read_workbook", "sheet_name_of"]

log = logging.getLogger(__name__)

_OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_TEXT_EXTENSIONS = (".csv", ".txt", ".tsv", ".tab")
_ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")

MSG_EMPTY = "The file is empty (0 bytes). Export the workbook again and upload the new file."
MSG_ENCRYPTED = ("This workbook is password-protected, so it cannot be read. Remove the password "
                 "in Excel: File > Info > Protect Workbook > Encrypt with Password, clear the "
                 "password, save, and upload again.")
MSG_NOT_TEXT = ("This file is named {name} but it is not text: it holds binary data{kind}, so it cannot be "
                "read as CSV. Export the data again from the case management system as CSV (or open it in "
                "Excel and choose File > Save As > 'CSV UTF-8 (Comma delimited)') and upload the new file.")
MSG_CORRUPT = ("This workbook is damaged and cannot be opened (the .xlsx file is incomplete or "
               "corrupt). Open it in Excel, save it again as .xlsx, and upload the new file; if "
               "Excel cannot open it either, export it again from the case management system.")
MSG_ODS = ("This is an OpenDocument spreadsheet (.ods). Save it as 'Excel 2007-365 (.xlsx)' "
           "and upload the .xlsx file.")
MSG_XLSB = ("This is an Excel binary workbook (.xlsb). In Excel choose File > Save As, pick "
            "'Excel Workbook (*.xlsx)' and upload the .xlsx file.")


MSG_UNSAFE = ("This file could not be read safely: reading it needed more memory or time than a monthly "
              "export ever does ({memory} MB, {seconds} s), so it was stopped and nothing was stored. Open it in "
              "Excel and check each sheet holds only the case rows: delete stray cells far below or to the right "
              "of the data, images and sheets you do not need, save it as .xlsx and upload it again.")


def _mb(n: int) -> str:
    if n < 1024:
        return f"{n:,} bytes"
    return f"{n / 1024 / 1024:,.0f} MB" if n >= 1024 * 1024 else f"{n / 1024:,.0f} KB"


def _not_workbook(kind: str) -> str:
    return (f"This file is not an Excel workbook or a CSV file (it looks like {kind}). Upload the monthly "
            "case-level export as .xlsx, .xls or CSV (the blank template shows our layout; a case system's own "
            "export is read with a mapping).")


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
    #: merged ranges that include a header cell (``"A1:C1"``): only their first cell has a header
    merged_header: tuple[str, ...] = ()


@dataclass(frozen=True)
class RawWorkbook:
    """Every worksheet of a workbook, keyed by the sheet name exactly as in the file."""

    file_name: str
    sheets: dict[str, RawSheet] = field(default_factory=dict)
    #: things in the file that were ignored (parts that are not part of a workbook), as sentences
    notes: tuple[str, ...] = ()
    #: the file each sheet was read from (several files uploaded together: each CSV file is one sheet)
    sources: dict[str, str] = field(default_factory=dict, compare=False)

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


def _check_directory_size(data: bytes, limits: ReadLimits) -> None:
    """Refuse a zip whose directory lists more parts than a workbook has, before listing them."""
    end = data.rfind(b"PK\x05\x06", max(0, len(data) - 65_557))
    if end >= 0 and len(data) >= end + 22:
        entries = int.from_bytes(data[end + 10:end + 12], "little")
        if entries > limits.max_members:  # 0xFFFF (zip64) counts as too many too
            raise WorkbookReadError(
                f"This file holds {entries:,} parts or more; an Excel workbook holds a few dozen (the limit is "
                f"{limits.max_members:,}). It is not a monthly export: export the workbook again.")


def _check_file_type(data: bytes, file_name: str, limits: ReadLimits) -> str:
    """What the bytes are: ``"xlsx"`` (an .xlsx/.xlsm package), ``"xls"`` (an Excel 97-2003 binary
    workbook) or ``"csv"`` (delimited text); raise :class:`WorkbookReadError` for anything else."""
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
            return "xls"
        raise WorkbookReadError(_not_workbook("an old Microsoft Office 97-2003 document"))
    if head.startswith(_ZIP_MAGICS):
        _check_directory_size(data, limits)
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                names = set(zf.namelist())
                if "mimetype" in names and b"opendocument.spreadsheet" in zf.open("mimetype").read(100):
                    raise WorkbookReadError(MSG_ODS)
                if "xl/workbook.bin" in names:
                    raise WorkbookReadError(MSG_XLSB)
                if "xl/workbook.xml" not in names:
                    if "word/document.xml" in names:
                        raise WorkbookReadError(_not_workbook("a Word document"))
                    if "ppt/presentation.xml" in names:
                        raise WorkbookReadError(_not_workbook("a PowerPoint presentation"))
                    raise WorkbookReadError(_not_workbook("a zip archive"))
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                KeyError) as exc:
            if isinstance(exc, WorkbookReadError):
                raise
            raise WorkbookReadError(MSG_CORRUPT) from None
        return "xlsx"
    kind = None
    if head.startswith(b"%PDF"):
        kind = "a PDF document"
    for magic, what in ((b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"),
                        (b"GIF8", "a GIF image"), (b"BM", "a bitmap image"),
                        (b"II*\x00", "a TIFF image"), (b"MM\x00*", "a TIFF image"),
                        (b"{\\rtf", "a Rich Text document"), (b"\x1f\x8b", "a gzip archive"),
                        (b"Rar!", "a RAR archive"), (b"7z\xbc\xaf", "a 7-Zip archive")):
        if kind is None and head.startswith(magic):
            kind = what
    if kind is None and _looks_like_text(head):
        stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
        if stripped.startswith((b"<?xml", b"<html", b"<!doctype", b"<table")):
            raise WorkbookReadError(_not_workbook(
                "a web page or XML file, perhaps an 'Excel' export that is really HTML"))
        return "csv"
    if ext in _TEXT_EXTENSIONS:
        raise WorkbookReadError(MSG_NOT_TEXT.format(name=f"'{file_name}'", kind=f" (it looks like {kind})" if kind else ""))
    raise WorkbookReadError(_not_workbook(kind or "some other kind of file"))


def _sheet_from_rows(name: str, cells: list[list[object]], hidden: bool,
                     merged_header: tuple[str, ...] = ()) -> RawSheet:
    if not cells:
        return RawSheet(name, (), (), (), hidden, merged_header)
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
    return RawSheet(name, tuple(header), tuple(rows), tuple(numbers), hidden, merged_header)


# --------------------------------------------------------------------------- CSV and other delimited text

#: delimiters a case system or Excel writes (Excel in many European locales writes ``;``)
_DELIMITERS = (",", ";", "\t", "|")
#: the longest cell a CSV file may hold: a longer one is a broken quote or not an export
_MAX_CELL_CHARS = 131_072
#: characters that never appear in a text export (tab, line breaks, form feed and the DOS end-of-file mark are fine)
_BINARY_CHARS = re.compile("[\x00-\x08\x0e-\x19\x1b-\x1f]")
#: a valid UTF-8 sequence of two or more bytes (a file that has these and also bytes that are not UTF-8 mixes
#: two encodings)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")
_SAVE_AS_CSV = ("Open it in Excel and choose File > Save As > 'CSV UTF-8 (Comma delimited) (*.csv)', or export it "
                "again from the case management system, and upload the new file.")
_COPY_SUFFIX = re.compile(r"\s*\(\d+\)$")  # "Children (1)": a browser's second download of the same file


def sheet_name_of(file_name: str) -> str:
    """The sheet a CSV file becomes: its name without the extension (``Children.csv`` -> ``Children``).

    A browser's copy marker is dropped (``Children (1).csv``), and a name that ends with one of our sheets
    after `` - `` (``YJ workbook - Children.csv``, as Google Sheets and Numbers name each sheet's CSV) becomes
    that sheet, so a set of CSV files in the template's layout loads directly."""
    from .contract import SHEETS, norm_name

    stem = os.path.splitext(os.path.basename(file_name or ""))[0].strip() or "Sheet1"
    stem = _COPY_SUFFIX.sub("", stem) or stem
    if " - " in stem:
        last = stem.rsplit(" - ", 1)[1].strip()
        if any(norm_name(last) == norm_name(spec.name) for spec in SHEETS):
            return last
    return stem


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _decode_text(data: bytes, file_name: str) -> tuple[str, str]:
    """The text of a CSV file and the encoding it was read with: UTF-8 (with or without a byte-order mark),
    UTF-16 with its mark (Excel's 'Unicode text'), else Windows-1252 (what Excel and many council systems
    write). A file that mixes UTF-8 with another encoding, or holds binary data, is refused naming the line."""
    if data.startswith(b"\xef\xbb\xbf"):
        encodings = ("utf-8-sig",)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        encodings = ("utf-16",)
    else:
        encodings = ("utf-8", "cp1252")
    text = encoding = None
    first_error: UnicodeDecodeError | None = None
    for enc in encodings:
        try:
            text, encoding = data.decode(enc), enc
            break
        except UnicodeDecodeError as exc:
            first_error = first_error or exc
    if text is None or (encoding == "cp1252" and _UTF8_MULTIBYTE.search(data)):
        at = first_error.start if first_error is not None else 0
        line = _line_of(data, at) if not encodings[0].startswith("utf-16") else None
        where = f" (line {line:,} is the first that is not)" if line else ""
        mixed = "mixes UTF-8 with another text encoding" if encoding == "cp1252" else \
            f"is not in a text encoding this dashboard reads ({', '.join(encodings)})"
        raise WorkbookReadError(f"'{file_name}' {mixed}{where}, so its letters would be read wrongly. "
                                + _SAVE_AS_CSV)
    text = text.removeprefix("\ufeff")
    bad = _BINARY_CHARS.search(text)
    if bad is not None:
        line = text.count("\n", 0, bad.start()) + 1
        raise WorkbookReadError(f"'{file_name}' holds binary data on line {line:,} (a character no text export "
                                "contains), so it is not a CSV file or it is damaged. " + _SAVE_AS_CSV)
    return text, encoding


def _delimiter(text: str) -> tuple[str, str]:
    """``(delimiter, text)``: Excel's ``sep=;`` first line is obeyed (and dropped); otherwise the delimiter
    that splits the first rows into the most cells, in more than one row (quotes respected), so a title
    block above the headings does not decide; a file of one column is comma-separated."""
    first, _, rest = text.partition("\n")
    directive = re.fullmatch(r"\s*sep=(.)\s*", first.rstrip("\r"))
    if directive:
        return directive.group(1), rest
    sample = text[:65_536]
    if len(text) > len(sample) and "\n" in sample:
        sample = sample[:sample.rindex("\n")]
    best, best_width = ",", 1
    for delim in _DELIMITERS:
        try:
            rows = [r for r in csv.reader(io.StringIO(sample, newline=""), delimiter=delim) if any(r)][:50]
        except csv.Error:
            continue
        widths = [len(r) for r in rows]
        # the widest row that is not alone (a title block above the headings has one cell a row)
        width = max((w for w in widths if widths.count(w) > 1 or len(widths) < 3), default=1)
        if width > best_width:
            best, best_width = delim, width
    return best, text


_DELIMITER_NAMES = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars"}


def _csv_sheet(data: bytes, file_name: str, limits: ReadLimits):
    """A CSV file as one sheet, ``(name, hidden, cells, merged header)`` as :func:`_calamine_sheets` gives them:
    every cell is text as written (no number or date is guessed: validation and the mapping read text dates
    and numbers, and an id such as ``00123`` keeps its zeros). Row numbers are records, as Excel shows the
    file. Refused, naming the row: more rows or columns than the limits, a cell longer than any export
    writes (or a quote never closed)."""
    text, _ = _decode_text(data, file_name)
    delim, text = _delimiter(text)
    name = sheet_name_of(file_name)
    cells: list[list[object]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delim, strict=False)
    previous = csv.field_size_limit(_MAX_CELL_CHARS)
    try:
        for row in reader:
            number = len(cells) + 1
            if number > limits.max_rows:
                raise _BeyondLimits(
                    f"'{file_name}' has more than {limits.max_rows:,} rows; a monthly export has far fewer, so the "
                    "file was not read. Check it is the export you meant, delete rows that are not case rows, "
                    "and upload it again.")
            if len(row) > limits.max_columns:
                raise _BeyondLimits(
                    f"'{file_name}' row {number:,} has {len(row):,} cells (separated by "
                    f"{_DELIMITER_NAMES.get(delim, repr(delim))}); a monthly export has at most "
                    f"{limits.max_columns:,} columns, so the file was not read. Open it in a text editor, check that "
                    "row, and export the data again.")
            cells.append(row)
    except csv.Error:
        number = len(cells) + 1
        raise WorkbookReadError(
            f"'{file_name}' row {number:,} has a cell longer than {_MAX_CELL_CHARS:,} characters, or a quote "
            "mark (\") opened there that is never closed, so the file was not read. Open it in a text editor, "
            "check that row, and export the data again.") from None
    finally:
        csv.field_size_limit(previous)
    return name, False, cells, ()


# --------------------------------------------------------------------------- the zip directory

#: where the parts of an Excel, LibreOffice or Google Sheets .xlsx package live
_PACKAGE_PARTS = ("[Content_Types].xml", "_rels/", "docProps/", "xl/", "customXml/")
_SMALL_PART = 1024 * 1024  # a ratio check on parts smaller than this says nothing useful
_HOW_TO_SHRINK = ("Open it in Excel, delete stray cells far below or to the right of the data, images and "
                  "sheets you do not need, save it as .xlsx and upload it again.")


def _check_package(zf: zipfile.ZipFile, limits: ReadLimits) -> tuple[str, ...]:
    """Check the zip directory (metadata only, nothing unpacked); return notes on ignored parts."""
    infos = zf.infolist()
    if len(infos) > limits.max_members:
        raise WorkbookReadError(
            f"This file holds {len(infos):,} parts; an Excel workbook holds a few dozen (the limit is "
            f"{limits.max_members:,}). It is not a monthly export: export the workbook again.")
    unpacked = sum(i.file_size for i in infos)
    if unpacked > limits.max_unpacked_bytes:
        raise WorkbookReadError(
            f"This workbook unpacks to {_mb(unpacked)}, more than the {limits.max_unpacked_mb:,} MB a monthly "
            f"export can reach, so it was not read. {_HOW_TO_SHRINK}")
    for info in infos:
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > _SMALL_PART and ratio > limits.max_compression_ratio:
            raise WorkbookReadError(
                f"Part '{info.filename}' of this workbook is packed {ratio:,.0f} times ({_mb(info.compress_size)} "
                f"unpacks to {_mb(info.file_size)}); real sheets pack about 10 times (the limit is "
                f"{limits.max_compression_ratio}). The file was not read. "
                + (_HOW_TO_SHRINK if info.filename.startswith("xl/worksheets/") else
                   "Excel does not write parts like this: save the workbook again from Excel, or export it again "
                   "from the case management system, and upload the new file."))
    extra = [i for i in infos if not i.filename.startswith(_PACKAGE_PARTS) and not i.is_dir()]
    return tuple(f"The file also holds '{i.filename}' ({_mb(i.file_size)}), which is not part of a workbook; "
                 "it was ignored." for i in extra[:5])


# --------------------------------------------------------------------------- the sheets' real extent

#: a cell holding a value, formula or inline string, for any writer (namespace prefixes, r anywhere or
#: missing): slower, used only when a chunk is not written the common way (``<c r="A1" ...>``)
_ANY_VALUED_CELL = re.compile(rb'<(?:\w+:)?c\b([^>]*?)(?<!/)>\s*<(?:\w+:)?(?:v|is|f)\b')
_REF = re.compile(rb'\br="([A-Z]+)([0-9]+)"')
_ROW_START = re.compile(rb'<(?:\w+:)?row\b')
_CHUNK, _OVERLAP = 1 << 20, 4096


def _greater(limit: str, alphabet: str) -> str:
    """A regex for the strings as long as ``limit`` that sort after it (``GR`` -> ``[H-Z][A-Z]|G[S-Z]``)."""
    options = []
    for i, ch in enumerate(limit):
        higher = alphabet[alphabet.index(ch) + 1:]
        if higher:
            options.append(f"{re.escape(limit[:i])}[{higher[0]}-{higher[-1]}][{alphabet[0]}-{alphabet[-1]}]"
                           f"{{{len(limit) - i - 1}}}")
    return "|".join(options) or "(?!)"


@functools.lru_cache(maxsize=8)
def _beyond(max_rows: int, max_columns: int) -> re.Pattern:
    """Valued cells written the common way whose reference lies beyond the limits, and only those: one pass of
    the regex engine over the XML finds them, with no Python work per cell (a few times faster)."""
    col, row = _letters(max_columns), str(max_rows)
    far_column = f"(?:[A-Z]{{{len(col) + 1},}}|{_greater(col, string.ascii_uppercase)})[0-9]+"
    far_row = f"[A-Z]+(?:[1-9][0-9]{{{len(row)},}}|{_greater(row, string.digits)})"
    return re.compile(rf'<c r="((?:{far_column})|(?:{far_row}))"[^>]*>\s*<[vif]'.encode())


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n


def _letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


@dataclass
class _Extent:
    """How far one sheet's valued cells reach, as far as the limits need to know.

    Written the common way, only cells beyond the limits are looked at (``rows``/``columns`` then
    stay 0 when every cell is inside them); otherwise every valued cell is."""

    limits: ReadLimits
    rows: int = 0
    columns: int = 0
    positional: bool = False  # some valued cells carry no r="A1" reference (rare writers)
    widest: int = 0  # the most cells in one row, counted when cells carry no reference

    def scan(self, chunk: bytes) -> None:
        common = b":c " not in chunk and b"<c>" not in chunk and chunk.count(b"<c ") == chunk.count(b'<c r="')
        if common:
            refs = [_REF.search(b'r="%s"' % m).groups()
                    for m in _beyond(self.limits.max_rows, self.limits.max_columns).findall(chunk)]
        else:
            refs = []
            for m in _ANY_VALUED_CELL.finditer(chunk):
                ref = _REF.search(m.group(1))
                if ref is None:
                    self.positional = True
                else:
                    refs.append(ref.groups())
            if self.positional:  # cells without references stand where they are: count the widest row
                self.widest = max(self.widest, max(
                    row.count(b"<c ") + row.count(b"<c>") + row.count(b":c ") + row.count(b":c>")
                    for row in _ROW_START.split(chunk)))
        if refs:
            letters = max((r[0] for r in refs), key=lambda a: (len(a), a))
            self.columns = max(self.columns, _column_number(letters))
            self.rows = max(self.rows, max(int(r[1]) for r in refs))


def _sheet_parts(zf: zipfile.ZipFile) -> dict[str, str]:
    """``{sheet name: part path}`` from xl/workbook.xml and its relationships (small files)."""
    import xml.etree.ElementTree as ET

    ns_main = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    ns_rel = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
    try:
        if zf.getinfo("xl/workbook.xml").file_size > 10 * 1024 * 1024:
            raise WorkbookReadError(MSG_CORRUPT)
        book = ET.fromstring(zf.read("xl/workbook.xml"))
        rels = ET.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ET.ParseError):
        return {}
    targets = {r.get("Id"): r.get("Target", "") for r in rels}
    out = {}
    for sheet in book.iter(f"{ns_main}sheet"):
        target = targets.get(sheet.get(f"{ns_rel}id"), "")
        if target:
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            out[sheet.get("name", "")] = path
    return out


def _too_far(sheet: str, rows: int, columns: int, limits: ReadLimits) -> str:
    """The message for a sheet whose values reach row ``rows`` or column ``columns``, beyond the limits."""
    far = f"{_letters(columns)}{rows}"
    return (f"Sheet '{sheet}' has values as far as cell {far} ({rows:,} rows, {columns:,} columns); a monthly "
            f"export has at most {limits.max_rows:,} rows and {limits.max_columns:,} columns per sheet, so the "
            "file was not read. Delete the stray cells far below or to the right of the data (select the empty "
            "rows or columns and delete them), save and upload again.")


class _OutOfTime(Exception):
    """The extent scan ran past its deadline (only when explaining a failed worker)."""


def _measure_sheets(zf: zipfile.ZipFile, limits: ReadLimits, deadline: float | None = None) -> None:
    """Stream every sheet's XML (never past the unpacked limit) and check its real extent.

    Only cells holding a value count: Excel and calamine ignore formatted empty cells."""
    budget = limits.max_unpacked_bytes
    parts = _sheet_parts(zf)
    mapped = set(parts.values())
    # a sheet part the workbook's relationships do not name is scanned too, under its part name
    parts.update({i.filename: i.filename for i in zf.infolist()
                  if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")
                  and i.filename not in mapped})
    for name, path in parts.items():
        try:
            info = zf.getinfo(path)
        except KeyError:
            continue
        extent, tail, rows_seen = _Extent(limits), b"", 0
        with zf.open(info) as member:
            while True:
                chunk = member.read(_CHUNK)
                if not chunk:
                    break
                budget -= len(chunk)
                if deadline is not None and time.monotonic() > deadline:
                    raise _OutOfTime
                if budget < 0:
                    raise WorkbookReadError(
                        f"This workbook unpacks to more than {limits.max_unpacked_mb:,} MB, more than a monthly "
                        f"export can reach, so it was not read. {_HOW_TO_SHRINK}")
                window = tail + chunk
                extent.scan(window)
                rows_seen += chunk.count(b"<row") + chunk.count(b":row ")
                tail = window[-_OVERLAP:]
        if extent.positional:  # no references: every row and cell counts where it stands
            extent.rows = max(extent.rows, rows_seen)
            extent.columns = max(extent.columns, extent.widest)
        if extent.rows > limits.max_rows or extent.columns > limits.max_columns:
            raise WorkbookReadError(_too_far(name, extent.rows, extent.columns, limits))


# --------------------------------------------------------------------------- parsing

def _inspect(data: bytes, limits: ReadLimits, package: bool = True, sheets: bool = True,
             deadline: float | None = None) -> tuple[str, ...]:
    """The checks: the zip directory (``package``) and each sheet's real extent (``sheets``, stopped with
    :class:`_OutOfTime` past ``deadline``); returns the notes on ignored parts."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            notes = _check_package(zf, limits) if package else ()
            if sheets:
                _measure_sheets(zf, limits, deadline)
            return notes
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, zlib.error, NotImplementedError,
            ValueError) as exc:
        if isinstance(exc, WorkbookReadError):
            raise
        raise WorkbookReadError(MSG_CORRUPT) from None


def _sheets_of(data: bytes, kind: str, file_name: str, limits: ReadLimits):
    """The raw sheets of a file of ``kind`` (:func:`_check_file_type`), one at a time."""
    if kind == "csv":
        yield _csv_sheet(data, file_name, limits)
    elif kind == "csvs":  # several CSV files of one upload, in one worker: ``data`` is ``[(name, bytes), ...]``
        for name, one in data:
            yield _csv_sheet(one, name, limits)
    else:
        yield from _calamine_sheets(data, limits)


def _parse_cells(data: bytes, limits: ReadLimits, kind: str = "xlsx",
                 file_name: str = "") -> tuple[dict[str, RawSheet], tuple[str, ...]]:
    """In this process (no worker to bound it): every check first, including each sheet's real extent, then
    the sheets, and the notes on ignored parts."""
    notes = _inspect(data, limits) if kind == "xlsx" else ()
    with _collector_paused():
        return {name: _sheet_from_rows(name, cells, hidden, merged)
                for name, hidden, cells, merged in _sheets_of(data, kind, file_name, limits)}, notes


class _BeyondLimits(WorkbookReadError):
    """A sheet's values reach beyond the row or column limit (the message names the sheet's whole extent;
    the XML scan can name the farthest cells beyond the limits, which is what a manager needs to delete)."""


def _merged_header(ranges) -> tuple[str, ...]:
    """python-calamine's merged ranges ``((row, col), (row, col))`` (from 0) that start in row 1, as ``B1:C1``."""
    return tuple(f"{_letters(c0 + 1)}{r0 + 1}:{_letters(c1 + 1)}{r1 + 1}"
                 for (r0, c0), (r1, c1) in ranges or () if r0 == 0)


def _calamine_sheets(data: bytes, limits: ReadLimits):
    """Each worksheet's cells as python-calamine reads them, one at a time: ``(name, hidden, cells, merged
    header)``.

    A sheet whose values reach beyond ``limits`` is refused as soon as its extent is known, before a
    Python value is built for it."""
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception as exc:  # python-calamine raises several error types on damaged files
        if "Password" in type(exc).__name__:
            raise WorkbookReadError(MSG_ENCRYPTED) from None
        raise WorkbookReadError(MSG_CORRUPT) from None
    try:
        for meta in wb.sheets_metadata:
            if meta.typ != SheetTypeEnum.WorkSheet:  # chart and dialog sheets hold no cells
                continue
            try:
                sheet = wb.get_sheet_by_name(meta.name)
                if sheet.end is not None:  # (row, column) of the farthest value, from 0
                    rows, columns = sheet.end[0] + 1, sheet.end[1] + 1
                    if rows > limits.max_rows or columns > limits.max_columns:
                        raise _BeyondLimits(_too_far(meta.name, rows, columns, limits))
                cells = sheet.to_python(skip_empty_area=False)
                merged = _merged_header(sheet.merged_cell_ranges)
            except WorkbookReadError:
                raise
            except Exception as exc:
                if "Password" in type(exc).__name__:
                    raise WorkbookReadError(MSG_ENCRYPTED) from None
                raise WorkbookReadError(MSG_CORRUPT) from None
            yield meta.name, meta.visible != SheetVisibleEnum.Visible, cells, merged
    finally:
        try:
            wb.close()
        except Exception:
            pass


_gc_lock = threading.Lock()
_gc_pauses = 0  # reads in progress with the collector paused
_gc_was_enabled = True


@contextlib.contextmanager
def _collector_paused():
    """Build the cells with the cyclic garbage collector paused: they are all kept, and in a process holding
    pandas and the app, each collection pass walks the whole heap (it doubled the time to unpickle a monthly
    workbook's cells). Concurrent reads are counted; the collector resumes, if it was on, when the last ends."""
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def _worker_main() -> None:  # pragma: no cover - runs in the worker process (tested through read_workbook)
    """The worker: wait for a request on stdin (imports done, as a spare), limit this process, read, answer."""
    import resource

    import python_calamine  # noqa: F401  (imported while waiting, not while the upload waits)

    gc.disable()  # a worker reads one file and exits; its memory is bounded by RLIMIT_AS below

    size = sys.stdin.buffer.read(8)
    if len(size) < 8:  # the app stopped while this worker was a spare
        return
    request = pickle.loads(sys.stdin.buffer.read(int.from_bytes(size, "little")))
    limits = ReadLimits(**request["limits"])
    memory = limits.worker_memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits.worker_cpu_seconds, limits.worker_cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # writes no file
    out = sys.stdout.buffer

    def send(frame: tuple) -> None:
        blob = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
        out.write(len(blob).to_bytes(8, "little") + blob)
        out.flush()

    try:  # one frame per sheet, so the app builds each sheet while the next is parsed
        for sheet in _sheets_of(request["data"], request["kind"], request["name"], limits):
            send(("sheet", *sheet))
        answer = ("done",)
    except _BeyondLimits as exc:
        answer = ("beyond", exc.message)
    except WorkbookReadError as exc:
        answer = ("error", exc.message)
    except MemoryError:
        answer = ("unsafe",)
    send(answer)


_ROOT = str(Path(__file__).resolve().parents[1])
_WORKER = ("import sys; sys.path.insert(0, sys.argv[1]); "
           "from yj_metrics.reading import _worker_main; _worker_main()")
#: at most two workbooks are parsed at once (each worker may take worker_memory_mb)
_WORKER_SLOTS = threading.BoundedSemaphore(2)
_spare_lock = threading.Lock()
_spare: subprocess.Popen | None = None


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-I", "-c", _WORKER, _ROOT], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _take_worker() -> subprocess.Popen:
    """A worker for one file: the spare if there is one (each worker reads exactly one file)."""
    global _spare
    with _spare_lock:
        worker = _spare if _spare is not None and _spare.poll() is None else _start_worker()
        _spare = None
    return worker


def _start_spare() -> None:
    """Start the next worker, so it has Python up and the reader imported (30 to 60 ms) before an upload
    arrives."""
    global _spare
    with _spare_lock:
        if _spare is None or _spare.poll() is not None:
            _spare = _start_worker()


#: seconds after a read before the next spare starts: booting it straight away took a core from the
#: validation of the upload just read (about 30 ms more on a 2-core machine)
_SPARE_AFTER = 1.0


def _start_spare_later() -> None:
    timer = threading.Timer(_SPARE_AFTER, _start_spare)
    timer.daemon = True
    timer.start()


def prepare_worker() -> None:
    """Have a reading worker ready for the next upload (the Upload page calls this as it opens)."""
    _start_spare()


class _AnswerUnpickler(pickle.Unpickler):
    """The worker's answer holds only plain values and dates: refuse anything else."""

    _ALLOWED = {("datetime", "date"), ("datetime", "datetime"), ("datetime", "time"), ("datetime", "timedelta")}

    def find_class(self, module, name):
        if (module, name) in self._ALLOWED:
            return getattr(dt, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not expected from the reading worker")


#: seconds the XML scan may take to explain a failed worker (a 200 MB sheet of cells without references
#: takes about 7 s; the usual form a fraction of that)
_EXPLAIN_SECONDS = 10.0


def _explain(data: bytes, limits: ReadLimits, otherwise: WorkbookReadError) -> WorkbookReadError:
    """Why the worker failed or refused, when the file says: stream each sheet's XML (bounded by the unpacked
    limit and by :data:`_EXPLAIN_SECONDS`) for the farthest values beyond the row or column limit; otherwise
    ``otherwise``."""
    try:
        _inspect(data, limits, package=False, deadline=time.monotonic() + _EXPLAIN_SECONDS)
    except WorkbookReadError as exc:
        return exc
    except _OutOfTime:
        pass
    return otherwise


class _WorkerFailed(Exception):
    """The worker stopped, overran its wall-clock time or its answer's size, or answered out of protocol."""


def _frames(worker: subprocess.Popen, limits: ReadLimits, file_name: str):
    """The worker's answer, frame by frame (8-byte length, then a pickle), within its wall-clock time and at
    most the unpacked limit in all; stderr is drained alongside so the worker never blocks on it."""
    deadline = time.monotonic() + limits.worker_wall_seconds
    budget = limits.max_unpacked_bytes
    buf, err = bytearray(), bytearray()
    with selectors.DefaultSelector() as sel:
        sel.register(worker.stdout, selectors.EVENT_READ, "out")
        sel.register(worker.stderr, selectors.EVENT_READ, "err")
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                log.warning("reading %r took over %s s: the worker was stopped", file_name,
                            limits.worker_wall_seconds)
                raise _WorkerFailed
            for key, _ in sel.select(remaining):
                chunk = os.read(key.fd, 1 << 20)
                if not chunk:
                    sel.unregister(key.fileobj)
                elif key.data == "err":
                    err = (err + chunk)[-2000:]
                else:
                    budget -= len(chunk)
                    if budget < 0:
                        raise _WorkerFailed
                    buf += chunk
                    while len(buf) >= 8 and len(buf) >= 8 + (size := int.from_bytes(buf[:8], "little")):
                        frame = bytes(buf[8:8 + size])
                        del buf[:8 + size]
                        yield frame
    if worker.wait() != 0 or buf:
        log.warning("the reading worker for %r stopped with exit code %s: %s", file_name, worker.returncode,
                    err.decode("utf-8", "replace")[-500:])
        raise _WorkerFailed


def _parse_in_worker(data: bytes, file_name: str, limits: ReadLimits, kind: str = "xlsx"
                     ) -> tuple[dict[str, RawSheet], tuple[str, ...]]:
    """The zip directory checked here, then the sheets parsed in a worker with memory and CPU limits; each
    sheet is built here as it arrives. A worker that fails is explained from the XML where the file can say
    why (:func:`_explain`)."""
    unsafe = WorkbookReadError(MSG_UNSAFE.format(memory=f"{limits.worker_memory_mb:,}",
                                                 seconds=limits.worker_cpu_seconds))
    # the zip directory, before anything is parsed (an .xls or CSV file is bounded by its size alone)
    notes = _inspect(data, limits, sheets=False) if kind == "xlsx" else ()
    request = pickle.dumps({"data": data, "limits": asdict(limits), "kind": kind, "name": file_name},
                           protocol=pickle.HIGHEST_PROTOCOL)
    sheets: dict[str, RawSheet] = {}
    failed: WorkbookReadError | None = None  # explained once the worker is gone and its slot free
    with _WORKER_SLOTS:
        worker = _take_worker()
        try:
            try:
                worker.stdin.write(len(request).to_bytes(8, "little") + request)
                worker.stdin.close()
            except BrokenPipeError:
                pass
            for frame in _frames(worker, limits, file_name):
                with _collector_paused():
                    try:
                        answer = _AnswerUnpickler(io.BytesIO(frame)).load()
                    except Exception:
                        log.warning("the reading worker for %r gave an answer that is not expected", file_name)
                        raise _WorkerFailed from None
                    if answer[0] == "sheet":
                        name, hidden, cells, merged = answer[1:]
                        sheets[name] = _sheet_from_rows(name, cells, hidden, merged)
                        continue
                if answer[0] == "done":
                    break
                if answer[0] == "error":
                    raise WorkbookReadError(answer[1])
                if answer[0] == "beyond":
                    failed = WorkbookReadError(answer[1])
                    break
                raise _WorkerFailed
            else:
                raise _WorkerFailed  # the worker ended without saying it was done
        except _WorkerFailed:
            failed = unsafe
        finally:
            if worker.poll() is None:  # done, failed or refused: nothing more is wanted from it
                worker.kill()
            worker.wait()
            for pipe in (worker.stdin, worker.stdout, worker.stderr):
                with contextlib.suppress(OSError):
                    pipe.close()
            _start_spare_later()
    if failed is not None:
        raise _explain(data, limits, failed) if kind == "xlsx" else failed
    return sheets, notes


def read_workbook(data: bytes, file_name: str, limits: ReadLimits | None = None,
                  isolated: bool = True) -> RawWorkbook:
    """Read every worksheet's raw cell values; raise :class:`WorkbookReadError` if unreadable.

    An .xlsx/.xlsm or old .xls workbook gives its worksheets; a CSV (or tab- or semicolon-separated) file
    gives one sheet named after the file (:func:`sheet_name_of`), every cell as text. The kind is decided from
    the bytes, not the name. Row 1 is the header; fully blank rows are skipped but every kept row keeps its
    row number. Macros in ``.xlsm`` files are never run (values only). ``limits`` default to
    :meth:`ReadLimits.from_env`; ``isolated=False`` parses in this process (the benchmark
    compares the two; the service always isolates).
    """
    limits = limits or ReadLimits.from_env()
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if len(data) > limits.max_file_bytes:
        raise WorkbookReadError(
            f"This file is {_mb(len(data))}; the limit is {limits.max_file_mb:,} MB and a monthly export is "
            f"about 1 MB. {_HOW_TO_SHRINK}")
    kind = _check_file_type(data, file_name, limits)
    sheets, notes = (_parse_in_worker(data, file_name, limits, kind) if isolated
                     else _parse_cells(data, limits, kind, file_name))
    if not sheets:
        raise WorkbookReadError("This workbook has no worksheets. Use the blank template, "
                                "fill in the sheets and upload it again.")
    if kind == "csv":
        notes += _csv_note(file_name, next(iter(sheets)))
    return RawWorkbook(file_name=file_name, sheets=sheets, notes=notes,
                       sources={name: file_name for name in sheets})


def _csv_note(file_name: str, sheet: str) -> tuple[str, ...]:
    if os.path.splitext(file_name or "")[1].lower() in (".xlsx", ".xlsm", ".xls"):
        return (f"'{file_name}' is named as an Excel workbook but holds text, so it was read as a CSV file "
                f"(one sheet, '{sheet}').",)
    return ()


#: at most this many files in one upload (one CSV file per entity is eight at most)
MAX_FILES = 20


def files_label(names: list[str] | tuple[str, ...]) -> str:
    """How several uploaded files are named together (in messages, the snapshot and the audit log)."""
    return ", ".join(names)


def bundle_bytes(files: list[tuple[str, bytes]]) -> bytes:
    """The bytes an upload is identified by (its SHA-256 says whether it was loaded before): a single file's
    own bytes, so a workbook keeps the fingerprint it always had; for several files, each name and its bytes,
    in name order, so the same files chosen in another order are the same upload."""
    if len(files) == 1:
        return bytes(files[0][1])
    out = bytearray(b"yj-upload-files\0")
    for name, data in sorted(files, key=lambda f: f[0]):
        encoded = name.encode("utf-8")
        out += len(encoded).to_bytes(4, "little") + encoded + len(data).to_bytes(8, "little") + bytes(data)
    return bytes(out)


def read_files(files: list[tuple[str, bytes]], limits: ReadLimits | None = None,
               isolated: bool = True) -> RawWorkbook:
    """Several files uploaded together as one workbook: each CSV file is one sheet (named after the file),
    each workbook gives its worksheets. Each file goes through :func:`read_workbook` (every limit applies to
    each file, and the file size limit to them all together). Two files giving the same sheet are refused,
    naming both."""
    limits = limits or ReadLimits.from_env()
    files = [(name, bytes(data)) for name, data in files]
    if not files:
        raise WorkbookReadError("No file was chosen. Choose the monthly export (one workbook, or its CSV files).")
    if len(files) == 1:
        return read_workbook(files[0][1], files[0][0], limits, isolated)
    if len(files) > MAX_FILES:
        raise WorkbookReadError(f"{len(files)} files were chosen; an upload takes at most {MAX_FILES} (one CSV file "
                                "per sheet). Choose only the files of this month's export.")
    total = sum(len(data) for _, data in files)
    if total > limits.max_file_bytes:
        raise WorkbookReadError(
            f"These files come to {_mb(total)} together; the limit is {limits.max_file_mb:,} MB and a monthly "
            f"export is about 1 MB. Choose only the files of this month's export.")
    names = [name for name, _ in files]
    doubled = sorted({n for n in names if names.count(n) > 1})
    if doubled:
        raise WorkbookReadError(f"The file {doubled[0]!r} was chosen twice. Choose each file once.")
    from .contract import norm_name

    def named(exc: WorkbookReadError, name: str) -> WorkbookReadError:
        return exc if name in exc.message else WorkbookReadError(f"{name}: {exc.message}")

    kinds = {}
    for name, data in files:
        if len(data) > limits.max_file_bytes:
            raise WorkbookReadError(f"{name} is {_mb(len(data))}; the limit is {limits.max_file_mb:,} MB.")
        try:
            kinds[name] = _check_file_type(data, name, limits)
        except WorkbookReadError as exc:
            raise named(exc, name) from None
    # the CSV files are parsed together in one worker (a worker per file would cost its start each time)
    texts = [(name, data) for name, data in files if kinds[name] == "csv"]
    from_text: dict[str, RawSheet] = {}
    if texts:
        label = files_label([name for name, _ in texts])
        from_text, _ = (_parse_in_worker(texts, label, limits, "csvs") if isolated
                        else _parse_cells(texts, limits, "csvs", label))
    sheets: dict[str, RawSheet] = {}
    sources: dict[str, str] = {}
    notes: list[str] = []
    for name, data in files:
        if kinds[name] == "csv":
            sheet_name = sheet_name_of(name)
            book = RawWorkbook(name, {sheet_name: from_text[sheet_name]}, _csv_note(name, sheet_name))
        else:
            try:
                book = read_workbook(data, name, limits, isolated)
            except WorkbookReadError as exc:
                raise named(exc, name) from None
        for sheet_name, sheet in book.sheets.items():
            clash = next((s for s in sheets if norm_name(s) == norm_name(sheet_name)), None)
            if clash is not None:
                raise WorkbookReadError(
                    f"{sources[clash]} and {name} both give a sheet called '{sheet_name}'. Choose only one of "
                    "them (each sheet comes from one file).")
            sheets[sheet_name] = sheet
            sources[sheet_name] = name
        notes.extend(f"{name}: {note}" if name not in note else note for note in book.notes)
    return RawWorkbook(file_name=files_label(names), sheets=sheets, notes=tuple(notes), sources=sources)
