"""Hostile workbooks cannot take the service down (issue 15).

Every file of :mod:`tests.hostile_workbooks` goes through the real command line into a real
SQLite database that already holds a snapshot. Each must be refused with a message (exit 1 or
2), within 30 s and 1 GB of memory (the peak of the CLI process and of the reading worker it
waited for, from ``wait4``), and leave every table but the audit log as it was. The worker's
own limits are then shown to hold when the checks before it are loosened on purpose.
"""
from __future__ import annotations

import io
import re
import sqlite3
import subprocess
import sys
import threading
import time
from pathlib import Path

import openpyxl
import openpyxl.styles
import pytest

from tests import hostile_workbooks as hostile
from tests.broken_workbooks import valid_xlsx
from yj_metrics.reading import MSG_UNSAFE, WorkbookReadError, read_workbook
from yj_metrics.settings import ReadLimits

ROOT = Path(__file__).resolve().parents[1]
GB = 1024 ** 3
UNSAFE = MSG_UNSAFE.split(":")[0]  # "This file could not be read safely"


#: Runs a command and prints its peak resident memory. Linux counts a child's peak from the memory of the process it
#: was started from, so the CLI is started from this small launcher rather than from the (large) test process.
LAUNCHER = ("import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); _, status, usage = os.wait4(p.pid, 0); "
            "print(f'\\n@@ {usage.ru_maxrss} {os.waitstatus_to_exitcode(status)}')")


def run_cli(*args, env: dict | None = None) -> tuple[int, str, float, int]:
    """Run the CLI; return its exit code, output, seconds and peak resident bytes (with its waited-for worker)."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", LAUNCHER, sys.executable, "-m", "yj_metrics", *map(str, args)],
                          cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", **(env or {})})
    seconds = time.perf_counter() - started
    out, _, measured = done.stdout.rpartition("\n@@ ")
    peak_kb, code = measured.split()[:2]
    # Linux reports the larger of the CLI's own peak and its reaped children's (the reading worker)
    return int(code), out, seconds, int(peak_kb) * 1024


def dump(db: Path) -> list[str]:
    """Every table but the audit log, as SQL: what a rejected upload must not change."""
    with sqlite3.connect(db) as conn:
        return [line for line in conn.iterdump() if "audit_log" not in line]


def audit_rows(db: Path) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT action, detail FROM audit_log ORDER BY id").fetchall()


@pytest.fixture(scope="module")
def loaded_db(tmp_path_factory) -> Path:
    """A database holding the valid workbook as its live snapshot."""
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "valid.xlsx").write_bytes(valid_xlsx())
    db = folder / "live.db"
    code, out, _, _ = run_cli("load", folder / "valid.xlsx", "--db", f"sqlite:///{db}")
    assert code == 0, out
    return db


@pytest.mark.parametrize("case", hostile.CORPUS, ids=lambda c: c.name)
def test_cli_refuses_hostile_file_quickly_within_memory_and_changes_nothing(case, loaded_db, tmp_path):
    path = tmp_path / f"{case.name}.xlsx"
    path.write_bytes(case.build())
    before, audit_before = dump(loaded_db), audit_rows(loaded_db)
    code, out, seconds, peak = run_cli("load", path, "--db", f"sqlite:///{loaded_db}")
    assert code in (1, 2), out
    assert case.says.lower() in out.lower(), out
    assert "Traceback" not in out
    assert seconds < 30, f"{case.name} took {seconds:.1f} s"
    assert peak < GB, f"{case.name} peaked at {peak / 2**20:.0f} MB"
    assert dump(loaded_db) == before
    new = audit_rows(loaded_db)[len(audit_before):]
    assert [a for a, _ in new] == ["upload"] and '"rejected"' in new[0][1]


@pytest.mark.parametrize("case", hostile.TEXT_CORPUS, ids=lambda c: c.file_name)
def test_cli_refuses_hostile_csv_quickly_within_memory_and_changes_nothing(case, loaded_db, tmp_path):
    path = tmp_path / case.file_name
    path.write_bytes(case.build())
    before, audit_before = dump(loaded_db), audit_rows(loaded_db)
    code, out, seconds, peak = run_cli("load", path, "--db", f"sqlite:///{loaded_db}")
    assert code == 2, out
    assert case.says.lower() in out.lower(), out
    assert "Traceback" not in out
    assert seconds < 30, f"{case.file_name} took {seconds:.1f} s"
    assert peak < GB, f"{case.file_name} peaked at {peak / 2**20:.0f} MB"
    assert dump(loaded_db) == before
    new = audit_rows(loaded_db)[len(audit_before):]
    assert [a for a, _ in new] == ["upload"] and '"rejected"' in new[0][1]


def test_cli_refuses_an_xls_with_values_beyond_the_column_limit(loaded_db, tmp_path):
    """A real .xls (LibreOffice) with a stray value in column IV, the last an .xls has: refused by the same
    extent check as an .xlsx, naming the cell."""
    import shutil

    wb = openpyxl.load_workbook(io.BytesIO(valid_xlsx()))
    wb["Children"]["IV3"] = "stray"
    src = tmp_path / "stray.xlsx"
    wb.save(src)
    subprocess.run([shutil.which("soffice"), f"-env:UserInstallation=file://{tmp_path}/lo", "--headless",
                    "--convert-to", "xls", "--outdir", str(tmp_path / "out"), str(src)],
                   check=True, capture_output=True, timeout=180)
    before = dump(loaded_db)
    code, out, seconds, peak = run_cli("load", tmp_path / "out" / "stray.xls", "--db", f"sqlite:///{loaded_db}")
    assert code == 2 and "Sheet 'Children' has values as far as cell IV6" in out, out
    assert seconds < 30 and peak < GB
    assert dump(loaded_db) == before


def test_open_ended_dates_are_cell_problems_beside_every_other_problem(tmp_path):
    path = tmp_path / "dates.xlsx"
    path.write_bytes(hostile.open_ended_dates())
    code, out, _, _ = run_cli("validate", path)
    assert code == 1
    lines = [line for line in out.splitlines() if "open-ended date" in line]
    assert [re.search(r"(\w+ row \d+), column end_date:", line).group(1) for line in lines] == [
        "Interventions row 2", "Interventions row 3", "Remands row 2"], out
    assert all("Leave the cell blank" in line for line in lines)
    # the ordinary bad date elsewhere is still reported: one problem does not hide the others
    assert "Outcomes row 2, column offence_date: '31/13/2023' is not a date" in out


# --------------------------------------------------------------------------- the worker's own limits

LOOSE = {"YJ_READ_MAX_ROWS": "2000000", "YJ_READ_MAX_COLUMNS": "20000", "YJ_READ_MAX_UNPACKED_MB": "2000",
         "YJ_READ_MAX_COMPRESSION_RATIO": "1000000"}


def test_with_checks_loosened_the_full_grid_file_stops_only_the_worker(tmp_path, loaded_db):
    """The two-cell file asks the parser for 550 GB: with the extent check switched off, the worker's memory
    limit stops it and the command still answers (before issue 15 the process aborted, exit 134)."""
    path = tmp_path / "grid.xlsx"
    path.write_bytes(hostile.two_cell_full_grid())
    before = dump(loaded_db)
    code, out, seconds, peak = run_cli("load", path, "--db", f"sqlite:///{loaded_db}", env=LOOSE)
    assert code == 2 and UNSAFE in out, out
    assert seconds < 30 and peak < GB
    assert dump(loaded_db) == before


def test_with_checks_loosened_a_cpu_bomb_is_stopped_at_the_cpu_limit(tmp_path):
    path = tmp_path / "cells.xlsx"
    path.write_bytes(hostile.tiny_cells_bomb())
    code, out, seconds, peak = run_cli("validate", path, env={**LOOSE, "YJ_READ_MAX_ROWS": "100000000",
                                                               "YJ_READ_MAX_COLUMNS": "1000",
                                                               "YJ_READ_WORKER_CPU_SECONDS": "2"})
    assert code == 2 and UNSAFE in out and "2 s" in out, out
    assert seconds < 30 and peak < GB


def test_a_worker_past_its_wall_clock_time_is_stopped_and_the_reader_answers():
    """A worker still parsing at its wall-clock limit is killed and the upload is refused (within its limits
    the file would be read, after several seconds); the reader then reads ordinary files as before."""
    bomb = hostile.tiny_cells_bomb(rows=100_000)  # 15 million cells: several seconds of parsing
    limits = ReadLimits(max_rows=100_000_000, max_columns=1_000, max_unpacked_mb=2_000,
                        max_compression_ratio=1_000_000, worker_wall_seconds=1)
    t0 = time.perf_counter()
    with pytest.raises(WorkbookReadError) as err:
        read_workbook(bomb, "slow.xlsx", limits=limits)
    assert err.value.message.startswith(UNSAFE)
    assert time.perf_counter() - t0 < 30  # the wall limit, then the explaining scan (itself bounded to 10 s)
    assert read_workbook(valid_xlsx(), "valid.xlsx").sheets["Children"].header[0] == "child_id"


def test_a_failed_worker_leaves_this_process_reading_normally():
    """In the app's own process: a worker stopped at its limit, then ordinary files read as before,
    including while another worker is being stopped."""
    loose = ReadLimits(max_rows=2_000_000, max_columns=20_000)
    grid = hostile.two_cell_full_grid()
    with pytest.raises(WorkbookReadError) as err:
        read_workbook(grid, "grid.xlsx", limits=loose)
    assert err.value.message.startswith(UNSAFE)
    results = {}

    def attack():
        try:
            read_workbook(grid, "grid.xlsx", limits=loose)
        except WorkbookReadError as exc:
            results["attack"] = exc.message

    thread = threading.Thread(target=attack)
    thread.start()
    raw = read_workbook(valid_xlsx(), "valid.xlsx")
    thread.join(60)
    assert results["attack"].startswith(UNSAFE)
    assert raw.sheets["Children"].header[0] == "child_id" and len(raw.sheets["Children"].rows) == 5


def test_isolated_and_in_process_reading_give_the_same_cells(demo_xlsx_path):
    data = Path(demo_xlsx_path).read_bytes()
    assert read_workbook(data, "d.xlsx") == read_workbook(data, "d.xlsx", isolated=False)


def test_read_limits_come_from_the_environment():
    limits = ReadLimits.from_env({"YJ_READ_MAX_ROWS": "5000", "YJ_READ_WORKER_MEMORY_MB": "512",
                                  "YJ_READ_MAX_COLUMNS": "nonsense", "YJ_READ_MAX_FILE_MB": "0"})
    assert (limits.max_rows, limits.worker_memory_mb) == (5000, 512)
    assert (limits.max_columns, limits.max_file_mb) == (ReadLimits().max_columns, ReadLimits().max_file_mb)


@pytest.mark.parametrize("limit, value, says", [
    ("max_file_mb", 1, "the limit is 1 MB"),
    ("max_members", 5, "the limit is 5"),
    ("max_unpacked_mb", 1, "more than the 1 MB"),
    ("max_rows", 4, "at most 4 rows"),
    ("max_columns", 5, "and 5 columns"),
])
def test_each_limit_refuses_a_normal_file_when_set_below_it_and_says_which(limit, value, says, demo_xlsx_path):
    """The limits are real: set below what the demo workbook needs, each one refuses it by name."""
    demo = Path(demo_xlsx_path).read_bytes()
    data = demo if limit != "max_file_mb" else demo + b"\0" * (1024 * 1024)
    with pytest.raises(WorkbookReadError) as err:
        read_workbook(data, "demo.xlsx", limits=ReadLimits(**{limit: value}))
    assert says in err.value.message
    read_workbook(demo, "demo.xlsx")  # and the defaults read it


def _sheet_with(cells: dict[str, str]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Children"
    for ref, value in cells.items():
        ws[ref] = value
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.mark.parametrize("cells, far", [
    ({"A1": "x", "E4": "y"}, None),                 # exactly at the limits: read
    ({"A1": "x", "F1": "y"}, "F1"),                 # one column too far
    ({"A1": "x", "A5": "y"}, "A5"),                 # one row too far
    ({"A1": "x", "ZZ1": "y", "B3": "z"}, "ZZ1"),
    ({"A1": "x", "E10": "y", "AA2": "z"}, "AA10"),  # rows and columns beyond: the farthest of each is named
])
def test_extent_limits_are_exact_at_the_edge(cells, far):
    limits = ReadLimits(max_rows=4, max_columns=5)
    data = _sheet_with(cells)
    if far is None:
        assert read_workbook(data, "edge.xlsx", limits=limits).sheets["Children"].header[0] == "x"
        return
    with pytest.raises(WorkbookReadError) as err:
        read_workbook(data, "edge.xlsx", limits=limits)
    assert f"as far as cell {far}" in err.value.message


def test_styled_empty_cells_far_away_do_not_count():
    """Excel and calamine ignore a formatted cell with no value, so a workbook formatted to the last row loads."""
    wb = openpyxl.load_workbook(io.BytesIO(valid_xlsx()))
    wb["Children"]["XFD1048576"].font = openpyxl.styles.Font(bold=True)
    buf = io.BytesIO()
    wb.save(buf)
    raw = read_workbook(buf.getvalue(), "formatted.xlsx")
    assert len(raw.sheets["Children"].rows) == 5 and len(raw.sheets["Children"].header) == 7
