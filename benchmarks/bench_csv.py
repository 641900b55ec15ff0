"""What a CSV or .xls upload costs beside the .xlsx it was saved from, and how fast hostile CSV files are refused
(issue 22 item 5).

The default demo service (1,500 children) is written as .xlsx, as one CSV file per sheet (Windows-1252,
semicolons, dates day first) and as .xls (LibreOffice's 'MS Excel 97' filter). Each is read through the
bounded reader as shipped (a worker per file) and validated; the median of several interleaved rounds is
printed, with the time of each hostile CSV file of the test corpus to its refusal.

    .venv/bin/python benchmarks/bench_csv.py [ROUNDS]
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests import hostile_workbooks as hostile  # noqa: E402
from yj_metrics import demo  # noqa: E402
from yj_metrics.reading import WorkbookReadError, read_files, read_workbook  # noqa: E402
from yj_metrics.validation import validate  # noqa: E402

ROUNDS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
xlsx = demo.demo_xlsx()
book = read_workbook(xlsx, "demo.xlsx")


def cell(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "Y" if v else "N"
    if isinstance(v, (dt.date, dt.datetime)):
        return v.strftime("%d/%m/%Y")
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


csv_files = []
for name, sheet in book.sheets.items():
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell(v) for v in sheet.header])
    writer.writerows([[cell(v) for v in row] for row in sheet.rows])
    csv_files.append((f"{name}.csv", out.getvalue().encode("cp1252", "replace")))

with tempfile.TemporaryDirectory() as tmp:
    (Path(tmp) / "demo.xlsx").write_bytes(xlsx)
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation=file://{tmp}/lo", "--headless", "--convert-to",
                    "xls", "--outdir", tmp, str(Path(tmp) / "demo.xlsx")], check=True, capture_output=True)
    xls = (Path(tmp) / "demo.xls").read_bytes()

UPLOADS = {
    "demo .xlsx": [("demo.xlsx", xlsx)],
    "demo as 8 CSV files (cp1252, ;)": csv_files,
    "demo .xls (BIFF8)": [("demo.xls", xls)],
}
for label, files in UPLOADS.items():
    print(f"{label:<40} {sum(len(d) for _, d in files) / 2**20:8.2f} MiB")
    report = validate(read_files(files))
    assert report.ok, report.errors[:3]

times: dict[str, list[float]] = {k: [] for k in UPLOADS}
for _ in range(ROUNDS):
    for label, files in UPLOADS.items():
        t0 = time.perf_counter()
        validate(read_files(files))
        times[label].append(time.perf_counter() - t0)
print(f"\nread + validate, median of {ROUNDS} rounds (bounded reader: a worker per workbook, one for all CSV files):")
base = statistics.median(times["demo .xlsx"])
for label, ts in times.items():
    m = statistics.median(ts)
    print(f"  {label:<40} {m * 1000:8.0f} ms  ({m / base:4.2f} x the .xlsx)")

print("\nhostile CSV files, time to refusal:")
for case in hostile.TEXT_CORPUS:
    data = case.build()
    t0 = time.perf_counter()
    try:
        read_workbook(data, case.file_name)
        outcome = "READ (not refused!)"
    except WorkbookReadError as exc:
        outcome = exc.message[:70]
    print(f"  {case.file_name:<22} {len(data) / 2**20:7.1f} MiB {time.perf_counter() - t0:6.2f} s  {outcome}")
