"""Every page, run by Streamlit's AppTest against a real SQLite store, for each role."""
from __future__ import annotations

import re
import string
from collections import Counter

import pytest
from streamlit.testing.v1 import AppTest

from tests.broken_workbooks import broken_workbooks
from ui.fmt import WORD_JOINER
from pathlib import Path
from yj_metrics import indicators
from yj_metrics.filters import Filters, apply_filters
from yj_metrics.periods import reporting_quarter
from yj_metrics.store import Store
from yj_metrics.writing import dataset_to_xlsx

PAGES = ["overview", "kpi_detail", "disproportionality", "ete_accommodation", "reoffending", "disposals_caseload",
         "data_quality", "upload", "snapshots", "settings", "audit"]
ALLOWED = {"data_quality": ("manager", "board"), "upload": ("manager",), "snapshots": ("manager",),
           "settings": ("manager",), "audit": ("manager",)}
ROOT = Path(__file__).resolve().parents[1]
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _run(page: str, role: str, monkeypatch) -> AppTest:
    monkeypatch.setenv("YJ_ROLE", role)
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=90)
    at.run()
    return at


def _text(at: AppTest) -> str:
    """The page's markdown as it reads (escaped values from the data shown as their characters)."""
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    parts += [w.value for w in at.warning] + [t.value for t in at.title]
    text = "\n".join(str(p) for p in parts).replace(WORD_JOINER, "")
    return re.sub(f"\\\\([{re.escape(string.punctuation)}])", r"\1", text)


@pytest.mark.parametrize("role", ["manager", "board", "partner"])
@pytest.mark.parametrize("page", PAGES)
def test_every_page_runs_for_every_role(page, role, store_url, monkeypatch):
    at = _run(page, role, monkeypatch)
    assert not at.exception, at.exception
    text = _text(at)
    if role in ALLOWED.get(page, (role,)):
        assert "Access denied" not in text
        assert not [e.value for e in at.error], [e.value for e in at.error]
        assert "Demo data" in text  # the demo banner on every page
    else:
        assert "Access denied" in text
        assert not at.file_uploader and not at.button  # nothing of the page beyond the refusal


def scorecard_rows(at: AppTest) -> list[list[str]]:
    """The overview's scorecard table: one list of cells (markdown source) per indicator."""
    table = next(m.value for m in at.main.markdown if m.value.startswith("| Indicator |"))
    return [[c.strip() for c in line.strip("|").split(" | ")] for line in table.splitlines()[2:]]


def _values(at: AppTest) -> list[str]:
    return [row[1] for row in scorecard_rows(at)]


def test_overview_scorecard_shows_the_engines_values(store_url, monkeypatch, demo_dataset):
    at = _run("overview", "manager", monkeypatch)
    from ui.fmt import md_escape, value

    q = reporting_quarter(demo_dataset.covers[1])
    results = indicators.scorecard(demo_dataset, q)
    rows = scorecard_rows(at)
    assert [row[1].split(" (")[0] for row in rows] == [f"**{value(r.value, r.unit)}**" for r in results]
    # each label links to its detail, keeping the period of this view
    assert [row[0] for row in rows] == [
        f"[{md_escape(indicators.INDICATORS[i].label)}](kpi_detail?period=quarter&q={q.label.replace(' ', '')}"
        f"&indicator={i})" for i in indicators.HEADLINE]
    tiles = {m.label: int(m.value) for m in at.metric}
    rags = Counter(r.rag or "No target" for r in results)
    assert [n for label, n in tiles.items() if label.endswith(("Green]", "Amber]", "Red]", "No target"))] == [
        rags["Green"], rags["Amber"], rags["Red"], rags["No target"]]
    assert at.subheader[-1].value == "Board pack"


def test_exceptions_first_puts_every_red_before_any_green(store_url, monkeypatch, demo_dataset):
    at = _run("overview", "board", monkeypatch)
    order = [row[2] for row in scorecard_rows(at)]
    assert "Red" in " ".join(order) and "Green" in " ".join(order)
    at.toggle(key="exceptions_first_0").set_value(True).run()
    order = [row[2] for row in scorecard_rows(at)]
    reds = [i for i, rag in enumerate(order) if "Red" in rag]
    greens = [i for i, rag in enumerate(order) if "Green" in rag]
    assert reds and greens and max(reds) < min(greens), order
    assert len(order) == len(indicators.HEADLINE)


def test_presentation_mode_shows_the_scorecard_only(store_url, monkeypatch):
    monkeypatch.setenv("YJ_ROLE", "board")
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=90)
    at.query_params["present"] = "1"
    at.run()
    assert not at.exception
    order = [row[2] for row in scorecard_rows(at)]
    assert [i for i, rag in enumerate(order) if "Red" in rag] == list(range(sum("Red" in r for r in order)))
    assert not [s for s in at.subheader if s.value == "Board pack"]
    assert not [b for b in at.button if b.key == "build_pack"]
    assert not at.warning  # the demo banner is one short line
    assert any("Demo data" in c.value for c in at.caption)
    at.button(key="present_toggle").click().run()
    assert "present" not in at.query_params
    assert [s for s in at.subheader if s.value == "Board pack"]


def test_locality_filter_changes_the_scorecard(store_url, monkeypatch, demo_dataset):
    at = _run("overview", "manager", monkeypatch)
    before = _values(at)
    assert "National" in " ".join(row[4] for row in scorecard_rows(at))
    at.multiselect(key="w_locality").set_value(["North"]).run()
    after = _values(at)
    from ui.fmt import value

    q = reporting_quarter(demo_dataset.covers[1])
    north = apply_filters(demo_dataset, Filters(locality=("North",)))
    assert [v.split(" (")[0] for v in after] == [f"**{value(r.value, r.unit)}**" for r in indicators.scorecard(north, q)]
    assert after != before
    assert at.query_params["loc"] in ("North", ["North"])  # the URL carries the filter
    assert "Locality: North" in _text(at)  # the breadcrumb (_text reads escaped values as their characters)
    # benchmarks are for the whole service: none beside filtered figures, and that is said once
    table = next(m.value for m in at.main.markdown if m.value.startswith("| Indicator |"))
    assert "Benchmarks" not in table and "National" not in table and "rank" not in table
    said = [c.value for c in at.caption if "Benchmarks are for the whole service" in c.value]
    assert len(said) == 1
    assert all("loc=North" in row[0] for row in scorecard_rows(at))  # the detail keeps the filter


def test_partner_overview_shows_no_small_counts(store_url, monkeypatch, demo_dataset):
    from yj_metrics.disclosure import NOT_PERSONAL

    at = _run("overview", "partner", monkeypatch)
    q = reporting_quarter(demo_dataset.covers[1])
    # board attendance counts statutory partners at meetings, not children: it is not protected
    board = {f"{r.numerator:,.0f} / {r.denominator:,.0f}" for r in indicators.scorecard(demo_dataset, q)
             if r.indicator in NOT_PERSONAL}
    seen = 0
    for cell in _values(at):
        for num, den in re.findall(r"\((\d[\d,]*) / (\d[\d,]*)\)$", cell):
            seen += 1
            if f"{num} / {den}" in board:
                continue
            num, den = int(num.replace(",", "")), int(den.replace(",", ""))
            assert not 1 <= num <= 4 and not 1 <= den - num <= 4 and not 1 <= den <= 4, cell
    assert seen >= 1  # some figures are shown (the rest carry the marker)
    tiles = {m.label: int(m.value) for m in at.metric}
    assert sum(n for label, n in tiles.items() if not label.startswith(("↑", "↓"))) == len(indicators.HEADLINE)


def test_kpi_detail_breakdown_matches_the_engine(store_url, monkeypatch, demo_dataset):
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=90)
    at.query_params["indicator"] = "kpi2_ete"
    at.run()
    assert not at.exception
    q = reporting_quarter(demo_dataset.covers[1])
    overall = next(r for r in indicators.compute(demo_dataset, q, ["kpi2_ete"]) if r.indicator == "kpi2_ete")
    from ui.fmt import value

    assert at.metric[0].value == value(overall.value, overall.unit)
    table = at.dataframe[0].value
    by = {r.group: r for r in indicators.compute(demo_dataset, q, ["kpi2_ete"], by="ethnicity")
          if r.indicator == "kpi2_ete"}
    from ui.fmt import count

    for row in table.itertuples():
        assert row.denominator == count(by[row.group].denominator)


def test_upload_stores_a_new_snapshot_and_reports_broken_files(store_url, monkeypatch, tmp_path):
    from yj_metrics.demo import demo_dataset

    at = _run("upload", "manager", monkeypatch)
    case = next(c for c in broken_workbooks() if c.has_errors)
    at.file_uploader(key="workbook").set_value(("broken.xlsx", case.xlsx, XLSX)).run()
    assert not at.exception
    assert any("Nothing was stored" in e.value for e in at.error)
    assert at.table and len(at.table[0].value) >= 1  # the problems, sheet by sheet
    assert len(Store(store_url).snapshots()) == 1

    good = dataset_to_xlsx(demo_dataset(seed=2, children=120))
    at.file_uploader(key="workbook").set_value(("april.xlsx", good, XLSX)).run()
    assert not at.exception
    assert any("Stored as snapshot" in s.value for s in at.success)
    snaps = Store(store_url).snapshots()
    assert len(snaps) == 2 and snaps[0].file_name == "april.xlsx" and snaps[0].row_counts["Children"] == 120
    assert [m.value for m in at.metric][:1] == ["120"]


def test_settings_save_changes_the_targets(store_url, monkeypatch):
    at = _run("settings", "manager", monkeypatch)
    at.text_input[0].set_value("Northshire YJS")
    at.button[0].click().run()
    assert not at.exception
    assert Store(store_url).get_settings().service_name == "Northshire YJS"


def test_kpi_detail_return_button_for_managers_only(store_url, monkeypatch, demo_dataset):
    """The manager's button builds the quarterly YJB return (checks passed, download offered);
    a board member does not see it."""
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=90)
    at.query_params["indicator"] = "kpi1_accommodation"
    at.run()
    assert not at.exception
    at.button(key="yjb_return_button").click().run()
    assert not at.exception
    assert any("Internal checks passed" in s.value for s in at.success)
    monkeypatch.setenv("YJ_ROLE", "board")
    board = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=90)
    board.query_params["indicator"] = "kpi1_accommodation"
    board.run()
    assert not board.exception
    assert not [b for b in board.button if b.key == "yjb_return_button"]
