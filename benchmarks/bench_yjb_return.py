"""The YJB return as printed: A4 pages per sheet when LibreOffice converts the .xlsx to PDF (as a
manager's "Print" or "Save as PDF" would), and the time to build and write it.

    python -m benchmarks.bench_yjb_return [--quarter 2023-24Q4] [--keep DIR]

Prints the pages of the whole return and of each sheet, and the page size and orientation.
"""
from __future__ import annotations

import argparse
import shutil
import subprocess
import tempfile
from pathlib import Path

from benchmarks._common import timed


def pdf_pages(xlsx: bytes, work: Path) -> tuple[int, list[tuple[float, float]]]:
    """Pages of the PDF LibreOffice prints from ``xlsx``, and each page's (width, height) in mm."""
    from pypdf import PdfReader

    soffice = shutil.which("soffice")
    if not soffice:
        raise SystemExit("LibreOffice (soffice) is needed to count printed pages.")
    src = work / "return.xlsx"
    src.write_bytes(xlsx)
    subprocess.run([soffice, f"-env:UserInstallation=file://{work}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(work), str(src)], check=True, capture_output=True, timeout=180)
    reader = PdfReader(str(work / "return.pdf"))
    sizes = [(float(p.mediabox.width) * 25.4 / 72, float(p.mediabox.height) * 25.4 / 72) for p in reader.pages]
    return len(reader.pages), sizes


def main(argv=None) -> None:
    from yj_metrics import yjb_return as yr
    from yj_metrics.demo import demo_dataset
    from yj_metrics.periods import parse_quarter

    ap = argparse.ArgumentParser()
    ap.add_argument("--quarter", default="2023-24Q4")
    ap.add_argument("--keep", help="folder to keep the .xlsx and .pdf in")
    args = ap.parse_args(argv)
    ds = demo_dataset()
    q = parse_quarter(args.quarter)
    ret = timed("build_return (demo, 1,500 children)", lambda: yr.build_return(ds, q), repeat=3)
    data = timed("return_xlsx", lambda: yr.return_xlsx(ret), repeat=3)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(args.keep or tmp)
        work.mkdir(parents=True, exist_ok=True)
        total, sizes = pdf_pages(data, work)
        print(f"{'printed pages, whole return (LibreOffice PDF)':<60} {total}")
        orient = {"landscape" if w > h else "portrait" for w, h in sizes}
        print(f"{'page size':<60} {sizes[0][0]:.0f} x {sizes[0][1]:.0f} mm, {', '.join(sorted(orient))}")
        # pages per sheet: print each sheet alone
        from openpyxl import load_workbook
        import io

        for name in load_workbook(io.BytesIO(data)).sheetnames:
            wb = load_workbook(io.BytesIO(data))
            for other in [s for s in wb.sheetnames if s != name]:
                del wb[other]
            buf = io.BytesIO()
            wb.save(buf)
            one = work / "one"
            one.mkdir(exist_ok=True)
            n, _ = pdf_pages(buf.getvalue(), one)
            print(f"  {name:<58} {n} page(s)")


if __name__ == "__main__":
    main()
