"""The whole mapping flow in Chromium: a first upload of a case system's export needs mapping; saved, next
month's export loads with no questions; a new code is asked about, alone. axe-core checks the step."""
from __future__ import annotations

import re

from tests.browser.conftest import screenshot, wait_for_app
from tests.builders import flat_export_with_new_code
from yj_metrics import demo
from yj_metrics.example_exports import export_xlsx
from yj_metrics.store import Store

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
SAVE = "Save the mapping and load the data"


def _serious(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": [
        "wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}})
    return [f"{v['id']} ({v['impact']}): {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"] if v["impact"] in ("serious", "critical")]


def _upload(page, name: str, data: bytes) -> None:
    page.locator(".st-key-workbook input[type='file']").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data})


def test_export_mapped_once_then_loaded_in_one_step_and_a_new_code_asked_alone(start_server, context):
    server = start_server("manager")
    store = Store(server.db_url)
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)

    # April: the first upload of this export needs mapping; the suggestions are accepted as they are
    _upload(page, "april_export.xlsx", export_xlsx(demo.demo_dataset(seed=11, children=300), "flat"))
    page.get_by_text("not laid out like the template").wait_for(timeout=60_000)
    wait_for_app(page)
    assert len(store.snapshots()) == 1  # nothing stored while the mapping is being made
    page.get_by_text("Preview: the first rows as they will be read").click()
    page.get_by_text(re.compile(r"Children \([\d,]+ rows, from sheet")).wait_for(timeout=30_000)
    wait_for_app(page)
    preview = page.locator("[data-testid='stExpander']").filter(has_text="Preview: the first rows")
    preview.locator("[data-testid='stDataFrame']").first.wait_for(timeout=30_000)
    screenshot(page, "upload_mapping_step")
    assert _serious(page) == []
    page.get_by_role("button", name=SAVE).click()
    page.get_by_text(re.compile(r"Stored as snapshot 2\b")).wait_for(timeout=60_000)  # the demo is snapshot 1
    assert store.latest().file_name == "april_export.xlsx"
    assert [s.version for s in store.saved_mappings(store.get_settings().service_name)] == [1]

    # May: recognised by its headings and loaded straight away, no button to press
    _upload(page, "may_export.xlsx", export_xlsx(demo.demo_dataset(seed=12, children=280), "flat"))
    page.get_by_text(re.compile(r"Stored as snapshot 3\b")).wait_for(timeout=60_000)
    assert store.latest().file_name == "may_export.xlsx"
    assert page.get_by_role("button", name=SAVE).count() == 0

    # June: one code never seen before is the only question
    _upload(page, "june_export.xlsx",
            flat_export_with_new_code(export_xlsx(demo.demo_dataset(seed=12, children=260), "flat"), "YRO-INT")[0])
    page.get_by_text(re.compile("it is read with your saved mapping")).wait_for(timeout=60_000)
    wait_for_app(page)
    questions = page.locator("[data-testid='stSelectbox']").filter(has_text=" means")
    assert questions.count() == 1 and "YRO-INT" in questions.first.inner_text()
    assert store.latest().file_name == "may_export.xlsx"
    screenshot(page, "upload_mapping_new_code")
    assert _serious(page) == []
    questions.first.locator("input").click()
    page.get_by_role("option", name="Youth Rehabilitation Order", exact=True).click()
    wait_for_app(page)
    page.get_by_role("button", name=SAVE).click()
    page.get_by_text(re.compile(r"Stored as snapshot 4\b")).wait_for(timeout=60_000)
    assert store.latest().file_name == "june_export.xlsx"
    assert store.saved_mappings(store.get_settings().service_name)[0].version == 2


def _plant(xlsx: bytes, sheet: str, heading: str, value: str, heading_row: int = 1) -> bytes:
    import io

    import openpyxl

    wb = openpyxl.load_workbook(io.BytesIO(xlsx))
    ws = wb[sheet]
    col = [c.value for c in ws[heading_row]].index(heading) + 1
    row = next(r for r in range(heading_row + 1, ws.max_row + 1) if ws.cell(row=r, column=col).value)
    ws.cell(row=row, column=col, value=value)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _cells(xlsx: bytes, sheet: str, value: str) -> int:
    import io

    import openpyxl

    ws = openpyxl.load_workbook(io.BytesIO(xlsx), read_only=True)[sheet]
    return sum(v == value for row in ws.iter_rows(min_row=2, values_only=True) for v in row)


def test_code_questions_read_as_written_to_a_screen_reader(start_server, context):
    """Issue 22 item 7: Streamlit puts a widget label into the control's aria-label as given, so the labels
    are plain text; a code with characters markdown would act on is still shown literally on screen."""
    server = start_server("manager")
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)
    odd = "Turnaround *enhanced* [TA]"
    data = _plant(export_xlsx(demo.demo_dataset(seed=13, children=200), "capita"), "Events", "Episode Type", odd)
    _upload(page, "events.xlsx", data)
    page.get_by_text("not laid out like the template").wait_for(timeout=60_000)
    triage = f"\u201cTriage\u201d in Outcome and Episode Type on sheet Events ({_cells(data, 'Events', 'Triage'):,} rows) means"
    page.locator(f"[aria-label='{triage}']").wait_for(timeout=60_000)
    wait_for_app(page)
    boxes = page.locator("[role='combobox']")
    names = boxes.evaluate_all("els => els.map(e => e.getAttribute('aria-label'))")
    assert names and not [n for n in names if n is None or "\\" in n], names
    assert triage in names, [n for n in names if "Triage" in n]
    box = page.locator("[data-testid='stSelectbox']").filter(has=page.locator(f"[aria-label='{triage}']"))
    assert box.locator("label").inner_text().strip() == triage  # what is seen is what is read out
    planted = f"\u201c{odd}\u201d in Episode Type on sheet Events (1 row) means"
    assert planted in names
    assert page.get_by_text(planted, exact=True).count() == 1  # shown literally above its control
    page.get_by_text(planted, exact=True).scroll_into_view_if_needed()
    screenshot(page, "upload_mapping_plain_labels")
    assert _serious(page) == []


def test_a_report_with_a_title_block_opens_on_its_heading_rows(start_server, context):
    """The ChildView-style report: the step says the headings are under a title block, row 4 is chosen on
    each sheet, and the page passes axe-core with the heading rows and the code review open."""
    server = start_server("manager")
    page = context.new_page()
    page.goto(f"{server.url}/upload")
    wait_for_app(page)
    _upload(page, "caseload_extract.xlsx", export_xlsx(demo.demo_dataset(seed=14, children=200), "childview"))
    page.get_by_text("under a title block on 3 sheets").wait_for(timeout=60_000)
    page.locator("[aria-label='Sheet Interventions: the headings are on']").wait_for(timeout=60_000)
    wait_for_app(page)
    for sheet in ("Young People", "Offences and Outcomes", "Interventions"):
        box = page.locator("[data-testid='stSelectbox']").filter(
            has=page.locator(f"[aria-label='Sheet {sheet}: the headings are on']"))
        shown = box.locator("[role='combobox']").evaluate(
            "e => e.value || e.placeholder || e.closest('[data-baseweb=select]').innerText")
        assert shown.strip().startswith("Row 4: "), shown
    page.get_by_text(re.compile(r"^Accommodation type: \d+ codes read$")).click()
    page.get_by_text(re.compile("\u201cChildren's Home\u201d in .* is read as")).wait_for(timeout=30_000)
    wait_for_app(page)
    page.get_by_text("under a title block on 3 sheets").scroll_into_view_if_needed()
    screenshot(page, "upload_mapping_heading_rows")
    assert _serious(page) == []
