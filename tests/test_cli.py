"""The command line, run as a real subprocess on real files."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from tests.broken_workbooks import broken_workbooks

ROOT = Path(__file__).resolve().parents[1]


def run(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "yj_metrics", *map(str, args)], cwd=cwd or ROOT,
                          capture_output=True, text=True, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})


@pytest.mark.parametrize("command", ["template", "demo", "validate", "load", "snapshots", "kpis",
                                     "disproportionality", "report", "yjb-return", "map", "mapping"])
def test_every_subcommand_has_help(command):
    out = run(command, "--help")
    assert out.returncode == 0 and "usage:" in out.stdout


def test_template_and_demo_write_workbooks(tmp_path):
    assert run("template", tmp_path / "t.xlsx").returncode == 0
    assert "Instructions" in openpyxl.load_workbook(tmp_path / "t.xlsx").sheetnames
    assert run("demo", tmp_path / "d.xlsx", "--seed", 3, "--children", 120).returncode == 0
    wb = openpyxl.load_workbook(tmp_path / "d.xlsx")
    assert wb["Children"].max_row == 121


def test_validate_exit_codes_and_json(tmp_path, demo_xlsx_path):
    ok = run("validate", demo_xlsx_path, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"errors": [], "warnings": []}
    case = next(c for c in broken_workbooks() if c.has_errors)
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(case.xlsx)
    out = run("validate", bad, "--json")
    assert out.returncode == 1
    errors = json.loads(out.stdout)["errors"]
    assert errors and {"sheet", "row", "column", "value", "message"} <= set(errors[0])
    (tmp_path / "x.csv").write_text("a,b\n1,2\n")  # read as CSV (sheet 'x'): not our layout, so errors
    assert run("validate", tmp_path / "x.csv").returncode == 1
    (tmp_path / "junk.csv").write_bytes(bytes(range(256)) * 4)
    junk = run("validate", tmp_path / "junk.csv")
    assert junk.returncode == 2 and "not text" in junk.stderr
    assert run("validate", tmp_path / "missing.xlsx").returncode == 2


def test_load_snapshots_kpis_disproportionality_report(tmp_path, demo_xlsx_path):
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    first = run("load", demo_xlsx_path, "--db", db, "--json")
    assert first.returncode == 0 and json.loads(first.stdout)["created"] is True
    again = run("load", demo_xlsx_path, "--db", db, "--json")
    assert json.loads(again.stdout)["created"] is False
    snaps = json.loads(run("snapshots", "--db", db, "--json").stdout)
    assert len(snaps) == 1 and snaps[0]["row_counts"]["Children"] == 600

    kpis = run("kpis", "--db", db, "--start", "2023-04-01", "--end", "2024-03-31", "--json")
    assert kpis.returncode == 0, kpis.stderr
    rows = json.loads(kpis.stdout)
    keys = {"indicator", "start", "end", "by", "group", "numerator", "denominator", "value", "unit", "ci_low",
            "ci_high", "rag"}
    assert keys <= set(rows[0]) and {r["indicator"] for r in rows} >= {"fte_rate", "kpi2_ete", "custody_rate"}
    by = json.loads(run("kpis", "--workbook", demo_xlsx_path, "--start", "2023-04-01", "--end", "2024-03-31",
                        "--by", "ethnicity", "--indicator", "kpi2_ete", "--json").stdout)
    assert {r["group"] for r in by if r["indicator"] == "kpi2_ete"} == {"White", "Mixed", "Asian", "Black", "Other",
                                                                      "Not known"}

    dp = run("disproportionality", "--db", db, "--start", "2023-04-01", "--end", "2024-03-31", "--suppress", "--json")
    assert dp.returncode == 0, dp.stderr
    rows = json.loads(dp.stdout)
    assert {"stage", "base_stage", "by", "group", "events", "base", "rate", "rate_unit", "rri", "ci_low", "ci_high",
            "ci_method", "p_value", "flag", "expected", "excess", "share_of_events", "share_of_base",
            "suppressed"} <= set(rows[0])
    assert all(not (1 <= (r["events"] or 0) <= 4) for r in rows)

    rep = run("report", "--db", db, "--quarter", "2023-24Q4", "--role", "partner", "--out", tmp_path / "pack")
    assert rep.returncode == 0, rep.stderr
    assert sorted(p.suffix for p in (tmp_path / "pack").iterdir()) == [".pdf", ".pptx", ".xlsx"]
    assert "for the whole service" in rep.stdout
    north = run("report", "--db", db, "--quarter", "2023-24Q4", "--filter", "locality=North", "--out", tmp_path / "n")
    assert north.returncode == 0 and "_North_" in north.stdout and "Locality: North" in north.stdout
    refused = run("report", "--db", db, "--quarter", "2023-24Q4", "--role", "partner", "--filter", "locality=North",
                  "--out", tmp_path / "n")
    assert refused.returncode == 2 and "whole service" in refused.stderr
    bad = run("report", "--db", db, "--quarter", "2023-24Q4", "--filter", "colour=blue", "--out", tmp_path / "n")
    assert bad.returncode == 2 and "DIMENSION=VALUE" in bad.stderr
    from yj_metrics.store import Store

    actions = Store(db).audit_entries()["action"].tolist()  # newest first: the packs, then both loads
    assert actions == ["board_pack_built", "board_pack_built", "upload", "upload"]


def test_errors_are_one_line_never_a_traceback(tmp_path):
    out = run("kpis", "--db", f"sqlite:///{tmp_path / 'empty.db'}", "--start", "2023-04-01", "--end", "2023-06-30")
    assert out.returncode == 2 and "Traceback" not in out.stderr and "no snapshot" in out.stderr
    out = run("report", "--db", f"sqlite:///{tmp_path / 'e.db'}", "--quarter", "2023Q9", "--out", tmp_path)
    assert out.returncode == 2 and "Traceback" not in out.stderr


def test_suppress_gives_exactly_the_partner_view(tmp_path, demo_xlsx_path, demo_dataset):
    """`--suppress` prints what a partner sees: the same protection, the same marker."""
    from yj_metrics import indicators
    from yj_metrics.disclosure import PartnerProtection
    from yj_metrics.periods import financial_year

    fy = financial_year(2022)
    out = run("kpis", "--workbook", demo_xlsx_path, "--start", fy.start, "--end", fy.end, "--by", "ethnicity",
              "--indicator", "kpi1_accommodation", "--suppress", "--json")
    assert out.returncode == 0, out.stderr
    printed = {(r["indicator"], r["group"]): r for r in json.loads(out.stdout)}
    expected = PartnerProtection(demo_dataset).protect_results(
        indicators.compute(demo_dataset, fy, ["kpi1_accommodation"], "ethnicity"))
    assert any(r.numerator is None for r in expected) and any(r.numerator is not None for r in expected)
    for r in expected:
        assert printed[(r.indicator, r.group)]["numerator"] == r.numerator
    dp_out = run("disproportionality", "--workbook", demo_xlsx_path, "--start", fy.start, "--end", fy.end,
                 "--suppress")
    assert dp_out.returncode == 0 and "<5" in dp_out.stdout
    pack = run("report", "--workbook", demo_xlsx_path, "--quarter", "2023-24Q4", "--role", "board",
               "--edition", "protected", "--out", tmp_path)
    assert pack.returncode == 0 and "protected-for-circulation.pptx" in pack.stdout


def test_load_into_a_read_only_database_says_why_and_changes_nothing(sealable_folder, demo_xlsx_path, demo_dataset):
    from yj_metrics.store import Store

    folder, seal = sealable_folder
    path = folder / "cli.db"
    store = Store(f"sqlite:///{path}")
    store.load_dataset(demo_dataset, "Demo", sha256="demo-cli", is_demo=True)
    store.engine.dispose()
    seal()
    before = path.read_bytes()
    out = run("load", demo_xlsx_path, "--db", f"sqlite:///{path}")
    assert out.returncode == 3, out.stderr  # 3: the database could not be used (see the module docstring)
    assert out.stderr.strip() == (f"Error: The database file {path} is read-only, so the change was not saved. "
                                  "Ask IT to make the file and its folder writable for the account that runs the "
                                  "dashboard, or set YJ_DATABASE_URL to a writable database.")
    assert path.read_bytes() == before and out.stdout == ""
    snaps = run("snapshots", "--db", f"sqlite:///{path}", "--json")
    assert snaps.returncode == 0 and [s["file_name"] for s in json.loads(snaps.stdout)] == ["Demo"]


def test_a_case_systems_export_with_a_mapping(tmp_path):
    """demo --layout, mapping suggest, validate/map/load --mapping: problems in the export's terms."""
    export = tmp_path / "export.xlsx"
    assert run("demo", export, "--layout", "flat", "--seed", 3, "--children", 120).returncode == 0
    draft = tmp_path / "draft.json"
    out = run("mapping", "suggest", export, "--out", draft)
    assert out.returncode == 0, out.stderr
    assert json.loads(draft.read_text())["sheets"]["Children"]["columns"]["child_id"] == "YP ID"
    shipped = ROOT / "data" / "mappings" / "example_flat.json"
    ok = run("validate", export, "--mapping", shipped, "--json")
    assert ok.returncode == 0 and json.loads(ok.stdout) == {"errors": [], "warnings": []}, ok.stdout
    canonical = tmp_path / "canonical.xlsx"
    assert run("map", export, "--mapping", draft, "--out", canonical).returncode == 0
    assert run("validate", canonical).returncode == 0

    wb = openpyxl.load_workbook(export)
    ws = wb.active
    heading = [c.value for c in ws[1]].index("Legal Outcome") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(r, heading).value)
    ws.cell(row, heading).value = "YRO Intensive"
    bad = tmp_path / "bad.xlsx"
    wb.save(bad)
    out = run("validate", bad, "--mapping", shipped, "--json")
    assert out.returncode == 1
    [error] = json.loads(out.stdout)["errors"]
    assert (error["sheet"], error["row"], error["column"]) == ("YJ Caseload Export", row, "Legal Outcome")
    assert error["message"].startswith(f'YJ Caseload Export row {row}, column "Legal Outcome": "YRO Intensive"')
    db = f"sqlite:///{tmp_path / 'm.db'}"
    rejected = run("load", bad, "--mapping", shipped, "--db", db)
    assert rejected.returncode == 1 and "Nothing was stored." in rejected.stdout
    assert run("map", bad, "--mapping", shipped, "--out", tmp_path / "no.xlsx").returncode == 1
    assert not (tmp_path / "no.xlsx").exists()
    loaded = run("load", export, "--mapping", shipped, "--db", db, "--json")
    assert loaded.returncode == 0 and json.loads(loaded.stdout)["created"] is True
    assert run("validate", export, "--mapping", tmp_path / "missing.json").returncode == 2


def _csv_files(folder: Path, sheets, encoding="utf-8") -> list[Path]:
    """The valid workbook's sheets as real CSV files named after them (dates day first, Y/N)."""
    import csv
    import datetime as dt

    from tests.broken_workbooks import valid_workbook_rows

    rows = valid_workbook_rows()
    paths = []
    for sheet in sheets:
        path = folder / f"{sheet}.csv"
        with path.open("w", newline="", encoding=encoding) as f:
            w = csv.writer(f)
            for r in rows[sheet]:
                w.writerow(["" if v is None else ("Y" if v else "N") if isinstance(v, bool) else
                            v.strftime("%d/%m/%Y") if isinstance(v, dt.date) else v for v in r])
        paths.append(path)
    return paths


def test_load_csv_files_together_then_sheets_on_their_own(tmp_path):
    """Several CSV files are one upload (in any order); Population.csv on its own goes with the live data, and
    the next export without it keeps it; `snapshots` says where each sheet came from."""
    db = f"sqlite:///{tmp_path / 'cli.db'}"
    core = _csv_files(tmp_path, ("Children", "Outcomes", "Interventions"), "utf-8-sig")
    first = run("load", *core, "--db", db, "--json")
    assert first.returncode == 0, first.stderr
    assert json.loads(first.stdout)["snapshot"]["row_counts"]["Children"] == 5
    again = run("load", *reversed(core), "--db", db, "--json")
    assert json.loads(again.stdout)["created"] is False  # the same files in another order
    (pop,) = _csv_files(tmp_path, ("Population",), "cp1252")
    own = run("load", pop, "--db", db, "--json")
    assert own.returncode == 0, own.stdout + own.stderr
    counts = json.loads(own.stdout)["snapshot"]["row_counts"]
    assert (counts["Population"], counts["Children"]) == (3, 5)
    snaps = json.loads(run("snapshots", "--db", db, "--json").stdout)
    sheets = {s["sheet"]: s for s in snaps[0]["sheets"]}
    assert (sheets["Population"]["file_name"], sheets["Population"]["kept"]) == ("Population.csv", False)
    assert (sheets["Children"]["file_name"], sheets["Children"]["kept"]) == ("Children.csv", True)  # its own file
    assert sheets["Outcomes"]["file_name"] == "Outcomes.csv"
    (tmp_path / "may").mkdir()
    may = _csv_files(tmp_path / "may", ("Children", "Outcomes", "Interventions", "Victims"))
    (may[0]).write_text(may[0].read_text() + "C006,01/07/2009,Female,Asian - Indian,West,Y,N\r\n")
    out = run("load", *may, "--db", db)
    assert out.returncode == 0 and "Population: 3 rows kept from Population.csv" in out.stdout, out.stdout
    listing = run("snapshots", "--db", db).stdout
    assert "Population: 3 rows kept from Population.csv" in listing


def test_csv_problems_name_the_file_row_and_column(tmp_path):
    core = _csv_files(tmp_path, ("Children", "Outcomes", "Interventions"))
    text = core[0].read_text().replace("14/05/2008", "31/02/2008")
    core[0].write_text(text)
    out = run("validate", *core, "--json")
    assert out.returncode == 1
    assert [(e["sheet"], e["row"], e["column"]) for e in json.loads(out.stdout)["errors"]] == [
        ("Children", 2, "date_of_birth")]


def test_two_files_for_one_sheet_are_refused(tmp_path):
    core = _csv_files(tmp_path, ("Children", "Outcomes", "Interventions"))
    copy = tmp_path / "copy"
    copy.mkdir()
    (copy / "children.csv").write_bytes(core[0].read_bytes())
    out = run("validate", *core, copy / "children.csv")
    assert out.returncode == 2 and "Children.csv and children.csv both give a sheet" in out.stderr
