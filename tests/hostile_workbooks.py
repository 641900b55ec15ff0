"""Hostile workbooks, generated here rather than committed: files a careless export or a malicious
insider could produce to stop the service (issue 15).

Not a test module: :mod:`tests.test_hostile_input` and the browser tests import it. Each builder
returns real file bytes; the large ones are zip bombs built by streaming repeated XML through
zlib, so a few hundred MB of sheet XML costs about a second and a few hundred KB on disk.
"""
from __future__ import annotations

import datetime as dt
import io
import zipfile
from dataclasses import dataclass
from typing import Callable, Iterable

import openpyxl

from tests.broken_workbooks import set_cell, to_xlsx, valid_workbook_rows, valid_xlsx

SHEET_HEAD = (b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
              b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
SHEET_TAIL = b"</sheetData></worksheet>"


def _deflated(member: str) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(member, date_time=(2024, 4, 1, 0, 0, 0))
    info.compress_type = zipfile.ZIP_DEFLATED
    return info


def _replace_member(xlsx: bytes, member: str, chunks: Callable[[], Iterable[bytes]]) -> bytes:
    """The workbook with one part rewritten from a stream of chunks (deflated, level 9)."""
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            if info.filename == member:
                continue
            dst.writestr(info, src.read(info.filename))
        with dst.open(_deflated(member), "w", force_zip64=True) as w:
            for chunk in chunks():
                w.write(chunk)
    return out.getvalue()


def _add_member(xlsx: bytes, member: str, chunks: Callable[[], Iterable[bytes]]) -> bytes:
    src = zipfile.ZipFile(io.BytesIO(xlsx))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            dst.writestr(info, src.read(info.filename))
        with dst.open(_deflated(member), "w", force_zip64=True) as w:
            for chunk in chunks():
                w.write(chunk)
    return out.getvalue()


def _children_part(xlsx: bytes) -> str:
    """The part that holds the Children sheet (openpyxl writes sheets in order: sheet1.xml)."""
    names = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True).sheetnames
    return f"xl/worksheets/sheet{names.index('Children') + 1}.xml"


def two_cell_full_grid() -> bytes:
    """A Children sheet with one value in A1 and one in XFD1048576: 549,755,813,888 cells to a naive reader."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Children"
    ws["A1"] = "child_id"
    ws["XFD1048576"] = "x"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def sheet_bomb(unpacked_mb: int = 400) -> bytes:
    """The valid workbook whose Children sheet unpacks to ``unpacked_mb`` MB of rows (a few hundred KB packed)."""
    xlsx = valid_xlsx()
    row = b'<row><c t="inlineStr"><is><t>C</t></is></c></row>'
    block = row * (1024 * 1024 // len(row))

    def chunks():
        yield SHEET_HEAD
        for _ in range(unpacked_mb):
            yield block
        yield SHEET_TAIL
    return _replace_member(xlsx, _children_part(xlsx), chunks)


def tiny_cells_bomb(rows: int = 200_000, columns: int = 150) -> bytes:
    """30 million tiny cells (no cell references, as some writers do) in a file of a few MB."""
    xlsx = valid_xlsx()
    one_row = b"<row>" + b"<c><v>1</v></c>" * columns + b"</row>"
    block = one_row * 1000

    def chunks():
        yield SHEET_HEAD
        for _ in range(rows // 1000):
            yield block
        yield SHEET_TAIL
    return _replace_member(xlsx, _children_part(xlsx), chunks)


def outside_member_bomb(unpacked_mb: int = 150) -> bytes:
    """The valid workbook plus a part that is not part of a workbook and unpacks to ``unpacked_mb`` MB."""
    block = b"\0" * (1024 * 1024)
    return _add_member(valid_xlsx(), "payload/blob.bin", lambda: (block for _ in range(unpacked_mb)))


def small_outside_member() -> bytes:
    """The valid workbook plus a small part outside the workbook's folders (a harmless extra)."""
    return _add_member(valid_xlsx(), "notes/readme.txt", lambda: iter([b"exported by the case system\n"]))


def lying_sizes() -> bytes:
    """A sheet bomb whose zip directory says each part is small: only reading it would show otherwise."""
    data = bytearray(sheet_bomb(300))
    big = 100 * 1024 * 1024  # any size above this is the bomb's
    for sig, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        start = 0
        while (at := data.find(sig, start)) >= 0:
            start = at + 4
            if int.from_bytes(data[at + offset:at + offset + 4], "little") in (0xFFFFFFFF,):
                continue
            if int.from_bytes(data[at + offset:at + offset + 4], "little") > big:
                data[at + offset:at + offset + 4] = (1000).to_bytes(4, "little")
    data = _patch_zip64_sizes(bytes(data), big)
    return bytes(data)


def _patch_zip64_sizes(data: bytes, big: int) -> bytes:
    """Set every zip64 extra field's uncompressed size above ``big`` to 1,000 bytes."""
    out = bytearray(data)
    at = 0
    while (at := out.find(b"\x01\x00", at)) >= 0:
        size = int.from_bytes(out[at + 2:at + 4], "little")
        if size in (8, 16, 24, 28) and at + 4 + 8 <= len(out):
            value = int.from_bytes(out[at + 4:at + 12], "little")
            if big < value < 1 << 40:
                out[at + 4:at + 12] = (1000).to_bytes(8, "little")
        at += 2
    return bytes(out)


def open_ended_dates() -> bytes:
    """31/12/9999 as a date cell, as text, and a huge date serial, beside an ordinary bad date."""
    wb = valid_workbook_rows()
    set_cell(wb, "Interventions", 2, "end_date", dt.date(9999, 12, 31))
    set_cell(wb, "Interventions", 3, "end_date", "31/12/9999")
    set_cell(wb, "Remands", 2, "end_date", 3_000_000.0)
    set_cell(wb, "Outcomes", 2, "offence_date", "31/13/2023")
    return to_xlsx(wb)


def hidden_children_sheet() -> bytes:
    """The valid workbook with its Children sheet hidden."""
    wb = openpyxl.load_workbook(io.BytesIO(valid_xlsx()))
    wb["Children"].sheet_state = "hidden"
    wb.active = wb.sheetnames.index("Outcomes")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def merged_header() -> bytes:
    """The valid workbook with the Children header cells B1:C1 merged (date_of_birth over gender)."""
    wb = openpyxl.load_workbook(io.BytesIO(valid_xlsx()))
    wb["Children"].merge_cells("B1:C1")
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@dataclass(frozen=True)
class HostileFile:
    name: str
    build: Callable[[], bytes]
    says: str  # a phrase the message must contain (case-insensitive)


#: every file the CLI must refuse quickly, within memory, and without changing the database
CORPUS = (
    HostileFile("two_cell_full_grid", two_cell_full_grid, "XFD1048576"),
    HostileFile("sheet_bomb", sheet_bomb, "unpacks to"),
    HostileFile("tiny_cells_bomb", tiny_cells_bomb, "unpacks to"),
    HostileFile("outside_member_bomb", outside_member_bomb, "payload/blob.bin"),
    HostileFile("lying_sizes", lying_sizes, "damaged"),
    HostileFile("open_ended_dates", open_ended_dates, "open-ended date"),
)


# --------------------------------------------------------------------------- CSV and .xls (issue 22)

def csv_huge_row(cells: int = 20_000_000) -> bytes:
    """One CSV row of twenty million empty cells (20 MB of commas)."""
    return b"child_id,date_of_birth\r\n" + b"," * cells + b"\r\n"


def csv_too_many_rows(rows: int = 1_200_000) -> bytes:
    """A CSV file of more rows than any monthly export (a few MB)."""
    return b"child_id\r\n" + b"C\r\n" * rows


def csv_dense(rows: int = 80_000, columns: int = 200) -> bytes:
    """48 MB of short cells within the file, row and column limits: 16 million cells, each a new text value,
    more than the reading worker's memory holds."""
    row = b",".join([b"10"] * columns) + b"\r\n"
    return b",".join(b"c%d" % i for i in range(columns)) + b"\r\n" + row * rows


def csv_unclosed_quote(rows: int = 500_000) -> bytes:
    """A quote opened on row 2 and never closed: the rest of the file would be one cell."""
    return b"child_id,locality\r\nC1,\"North\r\n" + b"C2,West\r\n" * rows


def binary_renamed_csv(size: int = 2_000_000) -> bytes:
    """Random bytes saved as a .csv."""
    import random

    rng = random.Random(22)
    return bytes(rng.getrandbits(8) for _ in range(size))


def csv_binary_tail(rows: int = 50_000) -> bytes:
    """A CSV file that starts as text and turns into binary data after 400 KB."""
    return b"child_id,locality\r\n" + b"C1,North\r\n" * rows + bytes(range(32)) * 1000


@dataclass(frozen=True)
class HostileTextFile:
    file_name: str
    build: Callable[[], bytes]
    says: str


#: CSV files the CLI must refuse as quickly, within memory and without changing the database
TEXT_CORPUS = (
    HostileTextFile("huge_row.csv", csv_huge_row, "row 2 has 20,000,001 cells"),
    HostileTextFile("too_many_rows.csv", csv_too_many_rows, "more than 1,000,000 rows"),
    HostileTextFile("dense.csv", csv_dense, "could not be read safely"),
    HostileTextFile("unclosed_quote.csv", csv_unclosed_quote, "row 2 has a cell longer"),
    HostileTextFile("binary.csv", binary_renamed_csv, "is named 'binary.csv' but it is not text"),
    HostileTextFile("binary_tail.csv", csv_binary_tail, "binary data on line 50,002"),
)
