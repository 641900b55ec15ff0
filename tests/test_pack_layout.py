"""The board pack as the board sees it: nothing off a slide, tables at 12 pt or more, every slide
rendered by LibreOffice (images kept in artifacts/screenshots/pack/), every disproportionality
stage present, the filters named wherever a filtered pack goes, never used silently, and the
scorecard workbook carrying the pack's values (and no hidden count in its protected edition)."""
from __future__ import annotations

import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pypdfium2
import pytest
from pptx import Presentation
from pptx.util import Pt
from streamlit.testing.v1 import AppTest

from yj_metrics import disproportionality as dp
from yj_metrics import indicators
from yj_metrics.disclosure import PartnerProtection, marker
from yj_metrics.filters import Filters
from yj_metrics.narrative import fmt
from yj_metrics.periods import reporting_quarter
from yj_metrics.report import WHOLE_SERVICE, build_board_pack
from yj_metrics.scorecard_xlsx import HEADER_ROW

ROOT = Path(__file__).resolve().parents[1]
SHOTS = ROOT / "artifacts" / "screenshots" / "pack"
NORTH = Filters(locality=("North",))


@pytest.fixture(scope="module")
def packs(demo_dataset):
    q = reporting_quarter(demo_dataset.covers[1])
    return q, {"whole": build_board_pack(demo_dataset, q, "board"),
               "north": build_board_pack(demo_dataset, q, "board", filters=NORTH),
               "protected": build_board_pack(demo_dataset, q, "board", edition="protected")}


@pytest.fixture(scope="module")
def rendered(packs, tmp_path_factory):
    """``{name: [png path per page]}``: each deck converted to PDF by LibreOffice (one run, a private
    profile) and every page rendered to PNG."""
    soffice = shutil.which("soffice")
    assert soffice, "LibreOffice (soffice) is needed: the test command installs it"
    base = tmp_path_factory.mktemp("pack_lo")
    _, by_name = packs
    for name in ("whole", "north"):
        (base / f"{name}.pptx").write_bytes(by_name[name].pptx)
    subprocess.run([soffice, f"-env:UserInstallation=file://{base}/profile", "--headless", "--convert-to", "pdf",
                    "--outdir", str(base), str(base / "whole.pptx"), str(base / "north.pptx")],
                   check=True, capture_output=True, timeout=300)
    out = {}
    for name in ("whole", "north"):
        folder = SHOTS / name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        pdf = pypdfium2.PdfDocument(str(base / f"{name}.pdf"))
        out[name] = []
        for i in range(len(pdf)):
            path = folder / f"slide_{i + 1:02d}.png"
            pdf[i].render(scale=1.5).to_pil().save(path)
            out[name].append(path)
        pdf.close()
    return out


def _deck(pptx: bytes):
    return Presentation(io.BytesIO(pptx))


def _texts(slide) -> str:
    parts = []
    for shape in slide.shapes:
        if shape.has_text_frame:
            parts.append(shape.text_frame.text)
        if shape.has_table:
            parts += [cell.text for row in shape.table.rows for cell in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize("name", ["whole", "north", "protected"])
def test_nothing_runs_off_a_slide_and_table_text_is_at_least_12_pt(packs, name):
    prs = _deck(packs[1][name].pptx)
    for n, slide in enumerate(prs.slides, start=1):
        for shape in slide.shapes:
            assert shape.left >= 0 and shape.top >= 0, (n, shape.name)
            assert shape.left + shape.width <= prs.slide_width, (n, shape.name)
            assert shape.top + shape.height <= prs.slide_height, (n, shape.name)
            if shape.has_table:
                for row in shape.table.rows:
                    for cell in row.cells:
                        for p in cell.text_frame.paragraphs:
                            assert p.font.size is not None and p.font.size >= Pt(12), (n, cell.text)


@pytest.mark.parametrize("name", ["whole", "north"])
def test_libreoffice_renders_one_page_per_slide(packs, rendered, name):
    assert len(rendered[name]) == len(_deck(packs[1][name].pptx).slides)
    assert all(p.stat().st_size > 10_000 for p in rendered[name])  # a real picture, not a blank page


@pytest.mark.parametrize("name", ["whole", "north", "protected"])
def test_every_disproportionality_stage_is_in_the_deck(packs, name):
    text = "\n".join(_texts(s) for s in _deck(packs[1][name].pptx).slides)
    for stage in dp.DEFAULT_CHAIN[1:]:
        assert f"\n{dp.STAGE_LABELS[stage]}\n" in text, stage
    assert dp.FLAG_LEGEND in text  # the app's words and symbols


def test_the_filter_is_named_on_every_slide_and_in_the_file_names_only_when_filtered(packs):
    _, by_name = packs
    north = by_name["north"]
    for slide in _deck(north.pptx).slides:
        assert "Locality: North" in _texts(slide)
    from pypdf import PdfReader

    assert all("Locality: North" in p.extract_text() for p in PdfReader(io.BytesIO(north.pdf)).pages)
    assert all("_North_" in n for n in (north.pptx_name, north.pdf_name, north.xlsx_name))
    whole = by_name["whole"]
    for slide in _deck(whole.pptx).slides:
        assert "North" not in _texts(slide) and WHOLE_SERVICE in _texts(slide)
    assert not any("North" in n for n in (whole.pptx_name, whole.pdf_name, whole.xlsx_name))


def _fte_value(pptx: bytes) -> str:
    label = indicators.INDICATORS["fte_rate"].label
    for slide in _deck(pptx).slides:
        for shape in slide.shapes:
            if shape.has_table:
                for row in shape.table.rows:
                    if row.cells[0].text.split("\n")[0] == label:
                        return row.cells[1].text
    raise AssertionError("no first-time entrants row")


def test_the_pack_from_the_overview_is_for_the_whole_service_even_with_north_selected(store_url, monkeypatch,
                                                                                        demo_dataset):
    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=120)
    at.run()
    at.multiselect(key="w_locality").set_value(["North"]).run()
    assert at.checkbox(key="pack_filtered").value is False  # offered, not chosen
    next(b for b in at.button if b.key == "build_pack").click().run()
    assert not at.exception, at.exception
    pack = at.session_state["board_pack"]
    q = reporting_quarter(demo_dataset.covers[1])
    (fte,) = [r for r in indicators.scorecard(demo_dataset, q) if r.indicator == "fte_rate"]
    assert _fte_value(pack.pptx) == fmt(fte.value, fte.unit)
    assert not pack.filters and "North" not in pack.pptx_name
    at.checkbox(key="pack_filtered").check().run()
    next(b for b in at.button if b.key == "build_pack").click().run()
    north = at.session_state["board_pack"]
    assert north.filters == NORTH and "_North_" in north.pptx_name
    assert _fte_value(north.pptx) != _fte_value(pack.pptx)
    assert [b.label for b in at.get("download_button")][-1] == "Download the scorecard (Excel)"


def _sheet(xlsx: bytes):
    ws = openpyxl.load_workbook(io.BytesIO(xlsx)).active
    header = [c.value for c in ws[HEADER_ROW]]
    rows = [dict(zip(header, (c.value for c in row))) for row in ws.iter_rows(min_row=HEADER_ROW + 1)]
    return ws, rows


def test_the_scorecard_workbook_has_the_values_the_pack_shows(packs, demo_dataset):
    q, by_name = packs
    ws, rows = _sheet(by_name["whole"].xlsx)
    assert ws.freeze_panes == f"A{HEADER_ROW + 1}"
    assert [r["Indicator"] for r in rows] == [indicators.INDICATORS[i].label for i in indicators.HEADLINE]
    deck = {}
    for slide in _deck(by_name["whole"].pptx).slides:
        for shape in slide.shapes:
            if shape.has_table and shape.table.cell(0, 0).text == "Indicator and period":
                deck.update({r.cells[0].text.split("\n")[0]: r.cells[1].text for r in list(shape.table.rows)[1:]})
    for r, row in zip(indicators.scorecard(demo_dataset, q), rows):
        assert row["Value"] == pytest.approx(r.value) and deck[row["Indicator"]] == fmt(r.value, r.unit)
        assert row["Children / events"] == r.numerator and row["RAG"] == (r.rag or "no target")
    fte = next(r for r in rows if r["Indicator"] == indicators.INDICATORS["fte_rate"].label)
    assert fte["National"] is not None and fte["Commentary"] is None


def test_the_protected_workbook_holds_no_hidden_count(packs, demo_dataset):
    q, by_name = packs
    _, rows = _sheet(by_name["protected"].xlsx)
    protected = PartnerProtection(demo_dataset).protect_results(indicators.scorecard(demo_dataset, q))
    hidden = [r for r in protected if r.value is None and "protected" in r.note]
    assert hidden, "the demo should have a protected scorecard figure"
    for r, row in zip(protected, rows):
        if r in hidden:
            assert row["Value"] == row["Children / events"] == marker(), row["Indicator"]
        for col in ("Children / events", "Out of"):
            if isinstance(row[col], (int, float)) and r.indicator != "kpi8_board_attendance":
                assert not 1 <= row[col] <= 4, (row["Indicator"], col)
    text = " ".join(str(v) for row in rows for v in row.values() if isinstance(v, str))
    assert not re.search(r"\b[1-4] / ", text)


# ---------------------------------------------------------------- the pack's charts and pages

def _svg_positions(results, target=None):
    """Where the trend chart draws each period's point and its axis label (x, in SVG pixels)."""
    import vl_convert as vlc

    from yj_metrics import charts_static

    svg = vlc.vegalite_to_svg(charts_static.spec(charts_static.trend_chart(results, "t", results[-1].unit, target)))
    points = {m[0]: float(m[1]) for m in re.findall(
        r'aria-label="Period ending: ([A-Z][a-z]{2} \d{4});[^"]*This service"[^>]*aria-roledescription="point" '
        r'transform="translate\(([\d.]+),', svg)}
    x_axis = re.search(r'aria-label="X-axis.*?role-axis-label"[^>]*>(.*?)</g>', svg, re.S).group(1)
    labels = {m[1]: float(m[0]) for m in re.findall(r'translate\(([\d.]+),[\d.]+\)"[^>]*>([^<]+)</text>', x_axis)}
    return points, labels


def test_trend_points_sit_on_their_period_labels_with_the_target_lines(demo_dataset):
    from yj_metrics import charts_static
    from yj_metrics.report import TREND_QUARTERS
    from yj_metrics.settings import Settings

    q = reporting_quarter(demo_dataset.covers[1])
    settings = Settings()
    for ind in ("kpi2_ete", "fte_rate"):  # a quarter's KPI and a rolling year's rate
        series = indicators.scorecard_trend(demo_dataset, ind, q, TREND_QUARTERS, settings)
        points, labels = _svg_positions(series)
        expected = [r.end.strftime("%b %Y") for r in series]
        assert list(labels) == expected and len(expected) == TREND_QUARTERS
        assert set(points) == set(expected)
        for name, x in points.items():
            assert abs(x - labels[name]) < 1, name  # the point is over its label (axis offset 0.5 px)
        target = settings.targets[ind]
        spec = json.loads(charts_static.spec(charts_static.trend_chart(series, "t", series[-1].unit, target)))
        marks = [layer.get("mark", {}).get("type") for layer in spec["layer"]]
        rules = [d for values in spec["datasets"].values() for d in values if "band" in d]
        assert "rule" in marks and sorted((d["band"], d["y"]) for d in rules) == [("green", target.green),
                                                                                   ("red", target.red)]


def test_hidden_periods_are_named_not_drawn(demo_dataset):
    import dataclasses

    from yj_metrics import charts_static

    q = reporting_quarter(demo_dataset.covers[1])
    series = indicators.scorecard_trend(demo_dataset, "kpi2_ete", q, 8)
    series[2] = dataclasses.replace(series[2], value=None, numerator=None, denominator=None, ci_low=None,
                                    ci_high=None, rag=None, note="protected (<5)")
    points, _ = _svg_positions(series)
    hidden = series[2].end.strftime("%b %Y")
    assert hidden not in points and len(points) == 7
    spec = json.loads(charts_static.spec(charts_static.trend_chart(series, "t", "%")))
    assert spec["title"]["subtitle"] == [f"Hidden to protect small numbers: {hidden}."]


def test_the_pack_shows_as_many_quarters_as_the_dashboard(store_url, monkeypatch):
    from yj_metrics.report import TREND_QUARTERS

    monkeypatch.setenv("YJ_ROLE", "manager")
    at = AppTest.from_file(str(ROOT / "pages" / "kpi_detail.py"), default_timeout=300)
    at.query_params["indicator"] = "kpi2_ete"
    at.run()
    assert not at.exception, at.exception
    trend = next(json.loads(c.proto.spec) for c in at.get("plotly_chart") if "quarters" in c.proto.spec)
    line = next(t for t in trend["data"] if t.get("name", "").startswith("This service"))
    assert TREND_QUARTERS == len(line["x"])


def _fill(pdf_bytes) -> list[float]:
    """How far down its text area each PDF page is used (0-1): the lowest inked row between the
    top margin and the footer, from the page rendered by pdfium."""
    import numpy as np

    pdf = pypdfium2.PdfDocument(pdf_bytes)
    out = []
    for page in pdf:
        img = np.asarray(page.render(scale=0.5).to_pil().convert("L"))
        k = img.shape[0] / page.get_size()[1]
        top, bottom = int(1.3 / 2.54 * 72 * k), img.shape[0] - int(1.8 / 2.54 * 72 * k)
        rows = np.where((img[top:bottom] < 200).any(axis=1))[0]
        out.append(0.0 if len(rows) == 0 else (rows[-1] + 1) / (bottom - top))
    pdf.close()
    return out


@pytest.mark.parametrize("name", ["whole", "protected"])
def test_pdf_pages_are_filled_and_the_scorecard_is_on_one_page(packs, name):
    from pypdf import PdfReader

    pdf = packs[1][name].pdf
    fill = _fill(pdf)
    # no half-empty page between the first (the cover and summary, as long as the exceptions) and the last
    assert all(f >= 0.6 for f in fill[1:-1]), [round(f, 2) for f in fill]
    texts = [p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages]
    labels = [indicators.INDICATORS[i].label for i in indicators.HEADLINE]
    card = [t for t in texts if "Scorecard" in t and "Indicator and period" in t]
    assert len(card) == 1 and all(label in re.sub(r"\s+", " ", card[0]) for label in labels)
    last = [t for t in texts if labels[-1] in t]
    assert any("Disproportionality" in t for t in last[1:])  # KPI 10 shares its page with what follows
    assert len(texts) <= 12
