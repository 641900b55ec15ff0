"""The board pack: open the real .pptx and .pdf and check what the board reads."""
from __future__ import annotations

import html
import io
import re

import pytest
from pptx import Presentation
from pypdf import PdfReader

from yj_metrics import indicators
from yj_metrics.narrative import fmt
from yj_metrics.periods import reporting_quarter
from yj_metrics.report import CLASSIFICATION, DEMO_WARNING, build_board_pack


@pytest.fixture(scope="module")
def packs(demo_dataset, tmp_path_factory):
    q = reporting_quarter(demo_dataset.covers[1])
    out = tmp_path_factory.mktemp("packs")
    packs = {role: build_board_pack(demo_dataset, q, role, out_dir=out) for role in ("board", "partner")}
    packs["circulation"] = build_board_pack(demo_dataset, q, "board", out_dir=out / "circulation", edition="protected")
    return q, packs, out


def _slides(pptx: bytes):
    prs = Presentation(io.BytesIO(pptx))
    out = []
    for slide in prs.slides:
        texts, tables = [], []
        for shape in slide.shapes:
            if shape.has_text_frame:
                texts.append(shape.text_frame.text)
            if shape.has_table:
                tables.append([[cell.text for cell in row.cells] for row in shape.table.rows])
        title = next((s.text_frame.text for s in slide.shapes if s.name == "Title"), "")
        out.append({"title": title, "text": "\n".join(texts), "tables": tables})
    return out


def _scorecard(slides) -> dict[str, list[str]]:
    """The scorecard rows over all its slides, by indicator label (the cell's first line)."""
    return {row[0].split("\n")[0]: row for s in slides if s["title"].startswith("Scorecard")
            for row in s["tables"][0][1:]}


def test_files_are_written_with_service_quarter_and_edition_in_the_name(packs):
    q, by_role, out = packs
    stem = f"Demo_Youth_Justice_Service_{q.label.replace(' ', '_')}"
    assert by_role["board"].pptx_name == f"{stem}_board-OFFICIAL-SENSITIVE.pptx"
    assert by_role["partner"].pptx_name == f"{stem}_protected-for-circulation.pptx"
    assert by_role["circulation"].pdf_name == f"{stem}_protected-for-circulation.pdf"
    assert by_role["board"].xlsx_name == f"{stem}_scorecard_board-OFFICIAL-SENSITIVE.xlsx"
    for name, pack in by_role.items():
        folder = out / "circulation" if name == "circulation" else out
        assert (folder / pack.pptx_name).read_bytes() == pack.pptx and (folder / pack.pdf_name).read_bytes() == pack.pdf
        assert (folder / pack.xlsx_name).read_bytes() == pack.xlsx


def test_every_slide_and_page_carries_its_edition_marking(packs):
    _, by_role, _ = packs
    for name, edition in (("board", "board"), ("partner", "protected"), ("circulation", "protected")):
        slides = _slides(by_role[name].pptx)
        assert all(CLASSIFICATION[edition] in s["text"] for s in slides), name
        pages = PdfReader(io.BytesIO(by_role[name].pdf)).pages
        assert all("OFFICIAL" in p.extract_text() for p in pages), name
    assert "OFFICIAL-SENSITIVE" in CLASSIFICATION["board"] and "OFFICIAL-SENSITIVE" not in CLASSIFICATION["protected"]


def test_the_circulation_edition_is_the_partner_edition(packs):
    _, by_role, _ = packs
    partner, circulation = _slides(by_role["partner"].pptx), _slides(by_role["circulation"].pptx)
    assert [s["tables"] for s in partner] == [s["tables"] for s in circulation]
    assert [s["title"] for s in partner] == [s["title"] for s in circulation]


def test_protected_edition_shows_what_the_partner_view_shows(packs, demo_dataset):
    from yj_metrics.disclosure import PartnerProtection, SECONDARY_MARKER, UNSIZED_MARKER, UNSIZED_REASON, marker

    q, by_role, _ = packs
    rows = _scorecard(_slides(by_role["partner"].pptx))
    for r in PartnerProtection(demo_dataset).protect_results(indicators.scorecard(demo_dataset, q)):
        label = indicators.INDICATORS[r.indicator].label
        # a hidden figure carries its own marker: '<5' when it rests on a small count, 'hidden' when it
        # is hidden to protect another (the engine's note says which)
        note = r.note or ""
        want = ((SECONDARY_MARKER if "small number elsewhere" in note else UNSIZED_MARKER if UNSIZED_REASON in note
                 else marker()) if r.value is None else fmt(r.value, r.unit))
        assert rows[label][1] == want, label


def test_slides_titles_and_scorecard_values_match_the_engine(packs, demo_dataset):
    q, by_role, _ = packs
    slides = _slides(by_role["board"].pptx)
    titles = [s["title"] for s in slides]
    headline = [indicators.INDICATORS[i].label for i in indicators.HEADLINE]
    assert titles[1] == "Summary" and titles[2] == "Scorecard"  # no notes, so no actions slide
    first = titles.index(headline[0])
    assert titles[first:first + len(headline)] == headline
    assert all(t.startswith("Scorecard") for t in titles[2:first])
    assert titles[-2].startswith("ETE") and titles[-1] == "Data quality notes"
    assert titles[first + len(headline)].startswith("Disproportionality")
    rows = _scorecard(slides)
    for r in indicators.scorecard(demo_dataset, q):
        label = indicators.INDICATORS[r.indicator].label
        assert rows[label][1] == fmt(r.value, r.unit), label
        assert rows[label][3] == ({"Green": "● Green", "Amber": "▲ Amber", "Red": "■ Red"}.get(r.rag) or "no target")


def test_demo_warning_on_every_slide_and_in_the_pdf(packs):
    _, by_role, _ = packs
    for slide in _slides(by_role["board"].pptx):
        assert DEMO_WARNING in slide["text"]
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(by_role["board"].pdf)).pages)
    assert "DEMO DATA" in text and "Scorecard" in text and "Data quality notes" in text


def test_pdf_has_the_same_scorecard_values(packs, demo_dataset):
    q, by_role, _ = packs
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(by_role["board"].pdf)).pages)
    text = re.sub(r"\s+", " ", text)
    for r in indicators.scorecard(demo_dataset, q):
        if r.value is not None:
            assert fmt(r.value, r.unit).split(" ")[0] in text


def test_partner_pack_has_no_count_from_one_to_the_threshold(packs):
    _, by_role, _ = packs
    board = indicators.INDICATORS["kpi8_board_attendance"].label  # statutory partners, not children
    checked = 0
    for slide in _slides(by_role["partner"].pptx):
        for table in slide["tables"]:
            header = table[0]
            for row in table[1:]:
                for name, cell in zip(header, row):
                    if name in ("Children / events", "Children") and row[0].split("\n")[0] != board:
                        numbers = [int(n.replace(",", "")) for n in re.findall(r"\d[\d,]*", cell)]
                        checked += bool(numbers)
                        assert not any(1 <= n <= 4 for n in numbers), (slide["title"], row)
                        if len(numbers) == 2:  # a fraction: the complement is a count too
                            assert not 1 <= numbers[1] - numbers[0] <= 4, (slide["title"], row)
    assert checked >= 5
    quality = _slides(by_role["partner"].pptx)[-1]["text"]
    for number in re.findall(r": (\d+)\.", quality):
        assert not 1 <= int(number) <= 4


def test_narrative_sentences_appear_in_the_pack(packs):
    _, by_role, _ = packs
    slides = _slides(by_role["board"].pptx)
    fte = next(s for s in slides if s["title"] == indicators.INDICATORS["fte_rate"].label)
    assert "First-time entrants was" in fte["text"]


def test_unknown_role_is_refused(demo_dataset):
    with pytest.raises(ValueError, match="Role"):
        build_board_pack(demo_dataset, reporting_quarter(demo_dataset.covers[1]), "auditor")


def test_the_summary_counts_the_scorecard_and_names_the_red_indicators(packs, demo_dataset):
    q, by_role, _ = packs
    summary = _slides(by_role["board"].pptx)[1]
    card = indicators.scorecard(demo_dataset, q)
    assert summary["title"] == "Summary"
    for rag, icon in (("Green", "●"), ("Amber", "▲"), ("Red", "■")):
        assert f"{sum(r.rag == rag for r in card)}\n{icon} {rag}" in summary["text"]
    for r in card:
        if r.rag == "Red":
            assert indicators.INDICATORS[r.indicator].label in summary["text"]
    assert "No actions have been recorded" in summary["text"]


def test_without_notes_every_indicator_slide_says_there_is_no_commentary(packs):
    _, by_role, _ = packs
    slides = _slides(by_role["board"].pptx)
    for label in (indicators.INDICATORS[i].label for i in indicators.HEADLINE):
        slide = next(s for s in slides if s["title"] == label)
        assert "No commentary has been written for this quarter yet." in slide["text"]


def test_commentary_and_actions_from_the_notes(demo_dataset):
    import datetime as dt

    from yj_metrics.commentary import Action, BoardNotes, Commentary

    q = reporting_quarter(demo_dataset.covers[1])
    notes = BoardNotes(q.label, {"kpi2_ete": Commentary("kpi2_ete", q.label, "=ETE fell: two schools closed.")},
                       actions=(Action("kpi2_ete", q.label, "Meet the schools", "Head of service", dt.date(2024, 5, 1)),),
                       previous_actions=(Action("fte_rate", q.previous().label, "Review diversion", "Police lead",
                                                dt.date(2024, 1, 31)),))
    pack = build_board_pack(demo_dataset, q, "board", notes=notes, today=dt.date(2024, 4, 15))
    slides = _slides(pack.pptx)
    assert [s["title"] for s in slides][:3] == [slides[0]["title"], "Summary", "Actions due"]
    ete = next(s for s in slides if s["title"] == indicators.INDICATORS["kpi2_ete"].label)
    assert "=ETE fell: two schools closed." in ete["text"] and "Meet the schools" in ete["text"]
    actions = slides[2]["tables"][0]
    assert actions[1][1] == "Review diversion" and actions[1][4] == "Open: OVERDUE"  # overdue first
    assert actions[2][1] == "Meet the schools" and actions[2][4] == "Open"
    assert "1 overdue" in slides[1]["text"]
    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(pack.xlsx)).active
    comments = [ws.cell(r, 13).value for r in range(5, ws.max_row + 1)]
    assert "'=ETE fell: two schools closed." in comments  # neutralised: never run as a formula


def test_the_protected_edition_refuses_filters(demo_dataset):
    from yj_metrics.filters import Filters

    q = reporting_quarter(demo_dataset.covers[1])
    for role, edition in (("partner", None), ("board", "protected")):
        with pytest.raises(ValueError, match="whole service"):
            build_board_pack(demo_dataset, q, role, edition=edition, filters=Filters(locality=("North",)))


# ---------------------------------------------------------------- the pack's RAG is the app's

RAG_WORDS = {"Green": "meets the local target", "Amber": "short of the local target", "Red": "misses the local target"}


def _app_rags(at) -> dict[str, str]:
    """The RAG column of the overview's scorecard as the page shows it, by indicator label:
    Green / Amber / Red, "hidden" (the page says "not shown") or "no target"."""
    (table,) = [m.value for m in at.markdown if m.value.startswith("| Indicator")]
    out = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip("|").split(" | ")]
        link = re.match(r"<a [^>]*>(.*)</a>", cells[0])  # the same-tab link to the indicator's detail
        label = re.sub(r"\\(.)", r"\1", html.unescape(link.group(1)))
        rag = next((w for w in ("Green", "Amber", "Red") if w in cells[2]), None)
        out[label] = rag or ("hidden" if cells[2] == "not shown" else cells[2])
    return out


def _pack_rags(pptx: bytes) -> dict[str, str]:
    return {label: next((w for w in ("Green", "Amber", "Red") if w in row[3]), row[3])
            for label, row in _scorecard(_slides(pptx)).items()}


def _build_on_overview(monkeypatch, role, edition=None):
    from streamlit.testing.v1 import AppTest

    from tests.test_app_pages import ROOT

    monkeypatch.setenv("YJ_ROLE", role)
    at = AppTest.from_file(str(ROOT / "pages" / "overview.py"), default_timeout=600).run()
    if edition:
        at.radio(key="pack_edition").set_value(edition).run()
    next(b for b in at.button if b.key == "build_pack").click().run()
    assert not at.exception, at.exception
    return at, at.session_state["board_pack"]


def test_the_packs_rag_is_the_apps_for_partners_and_the_board(store_url, monkeypatch):
    """Built from the overview as each role would: every indicator's RAG in the pack's scorecard is
    the one the page beside it shows (a protected figure is "hidden", never "no target"), and each
    indicator's narrative agrees with the RAG printed for it."""
    at, pack = _build_on_overview(monkeypatch, "partner")
    partner_view = _app_rags(at)
    assert pack.edition == "protected" and _pack_rags(pack.pptx) == partner_view
    assert "hidden" in partner_view.values(), "the demo should have a protected scorecard figure"
    at, board_pack = _build_on_overview(monkeypatch, "board")
    assert board_pack.edition == "board" and _pack_rags(board_pack.pptx) == _app_rags(at)
    _, circulated = _build_on_overview(monkeypatch, "board", "protected")
    assert _pack_rags(circulated.pptx) == partner_view  # the board's circulation copy: the partner view's RAG

    for p in (pack, board_pack):
        slides, rags = _slides(p.pptx), _pack_rags(p.pptx)
        summary = slides[1]["text"]
        for rag in ("Green", "Amber", "Red"):
            assert re.search(rf"{sum(v == rag for v in rags.values())}\n. {rag}", summary), rag
        if "hidden" in rags.values():
            assert f"{sum(v == 'hidden' for v in rags.values())}\nRAG hidden (protected)" in summary
        assert f"{sum(v == 'no target' for v in rags.values())}\nNo target" in summary
        for label, rag in rags.items():
            text = next(s for s in slides if s["title"] == label)["text"]
            said = {w for w, words in RAG_WORDS.items() if words in text}
            assert said == ({rag} if rag in RAG_WORDS else set()), (label, rag)
            if rag == "hidden":
                assert "hidden" in text and "nothing to count" not in text, label
